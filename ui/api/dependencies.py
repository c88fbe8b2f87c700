"""Dependencies shared by the routers: the engines, API keys (scope, origin) and rate limits, bodies read without
touching the disk and only after the key is checked, and the mapping of engine refusals to 4xx responses and of an
unreachable store to 503."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from recsys import StoreUnavailable

from ..drawing import DrawingUnavailable
from ..engines import Engines
from ..keys import ApiKey
from ..uploads import MAX_UPLOAD_BYTES, public_message
from .middleware import CATALOG_BODY
from .threads import in_thread

IMAGE_FIELD = "image"
LIMIT_TEXT = f"the upload is over the limit of {MAX_UPLOAD_BYTES // 2**20} MB a photo"
Model = TypeVar("Model", bound=BaseModel)
STORE_RETRY_SECONDS = 5  # Retry-After of a 503: a restarting database is usually back within seconds
DRAWING_RETRY_SECONDS = 10  # ...and a drawing process that died loads its models again in about this long
log = logging.getLogger(__name__)


async def get_engines(request: Request) -> Engines:
    """The engines the app's lifespan loaded; tests swap them through ``app.dependency_overrides``. ``async``: it
    only reads an attribute, and FastAPI would run a plain ``def`` dependency in its threadpool, a thread hand-off
    on every request."""
    return request.app.state.engines


EngineDep = Annotated[Engines, Depends(get_engines)]
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an Atelier API key (atl_…)")


def _origin_refused(request: Request, key: ApiKey) -> bool:
    """A browser page on another origin may use a key only if the key lists that origin. Requests without an
    Origin header (servers, scripts) and the server's own pages are not browser cross-origin calls."""
    origin = request.headers.get("origin")
    if origin is None or origin == f"{request.url.scheme}://{request.headers.get('host', '')}":
        return False
    return not key.allows_origin(origin)


@contextmanager
def store_reachable() -> Iterator[None]:
    """The store down or unreachable: a 503 the client can retry, not a hung request nor a 500. The reason (with
    the database's address) goes to the log, not to the client."""
    try:
        yield
    except StoreUnavailable as err:
        log.warning("%s", err)
        raise HTTPException(503, "the database is unavailable; try again shortly",
                            headers={"Retry-After": str(STORE_RETRY_SECONDS)}) from err


def authorise(request: Request, engines: Engines, secret: str | None, admin: bool) -> ApiKey:
    with store_reachable():
        key = engines.keys.verify(secret)
    if key is None:  # the same answer for a missing, unknown or revoked key: nothing to learn from it
        raise HTTPException(401, "a valid API key is required in the X-API-Key header",
                            headers={"WWW-Authenticate": "ApiKey"})
    if admin and key.scope != "admin":
        raise HTTPException(403, "this route needs an admin key")
    if _origin_refused(request, key):
        raise HTTPException(403, "this API key is not allowed on pages of this origin; add the origin to the key")
    # A widget key is public in a shop's pages: one abuser must not use up the limit of every shopper, so each
    # client address has its own bucket. An admin key is one client.
    client = key.id if key.scope == "admin" else f"{key.id}|{request.client.host if request.client else ''}"
    with store_reachable():
        wait = engines.limiter.take(client, key.rate_per_minute)
    if wait:
        raise HTTPException(429, f"rate limit reached: {key.rate_per_minute} requests a minute for this key",
                            headers={"Retry-After": str(math.ceil(wait))})
    request.state.api_key = key
    return key


async def widget_key(request: Request, engines: EngineDep,
                     secret: Annotated[str | None, Depends(_key_header)]) -> ApiKey:
    """Any live key: what a shop page may call from a shopper's browser."""
    return await in_thread(authorise, request, engines, secret, False)


async def admin_key(request: Request, engines: EngineDep,
                    secret: Annotated[str | None, Depends(_key_header)]) -> ApiKey:
    """An admin key: catalog and user data."""
    return await in_thread(authorise, request, engines, secret, True)


WidgetKey = Annotated[ApiKey, Depends(widget_key)]
AdminKey = Annotated[ApiKey, Depends(admin_key)]


def require_admin_for(key: ApiKey, what: str) -> None:
    if key.scope != "admin":
        raise HTTPException(403, f"{what} needs an admin key")


@contextmanager
def user_errors() -> Iterator[None]:
    """Engine refusals (bad image, unknown id, unusable photo) become 4xx with the engine's message; an unreachable
    store, or a drawing process starting again, a 503."""
    try:
        with store_reachable():
            yield
    except DrawingUnavailable as err:  # its process died and is starting again
        raise HTTPException(503, str(err), headers={"Retry-After": str(DRAWING_RETRY_SECONDS)}) from err
    except KeyError as err:
        raise HTTPException(404, public_message(err) if err.args else "not found") from err
    except (ValueError, TypeError) as err:  # ImageError, TryOnError, RestyleError, StoreError are ValueErrors
        raise HTTPException(422, public_message(err)) from err


class _InMemoryParser(MultiPartParser):
    # Starlette spools uploads over 1 MB to a temporary file; user photos must stay in memory. Each route's
    # max_body_size keeps every body under this size.
    spool_max_size = CATALOG_BODY


async def _form(request: Request) -> dict[str, bytes | str]:
    parser = _InMemoryParser(request.headers, request.stream(), max_files=3, max_fields=20)
    try:
        form = await parser.parse()
    except MultiPartException as err:
        raise HTTPException(400, f"unreadable multipart body: {err.message}") from err
    try:
        fields = {name: (await value.read()) if isinstance(value, UploadFile) else value
                  for name, value in form.multi_items()}
    finally:
        await form.close()
    if any(isinstance(value, bytes) and len(value) > MAX_UPLOAD_BYTES for value in fields.values()):
        raise HTTPException(413, LIMIT_TEXT)
    return fields


async def read_body(request: Request, model: type[Model]) -> Model:
    """The body as ``model``: JSON (images base64) or multipart (images as files, other fields as text)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        data = await _form(request)
        # Form fields are text: an empty field means "not given", and "true"/"false" are booleans for pydantic.
        data = {k: v for k, v in data.items() if v != ""}
    elif kind == "application/json":
        try:
            data = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise HTTPException(400, f"the body is not valid JSON: {err}") from err
        except RecursionError as err:  # "[[[[…" a million deep
            raise HTTPException(400, "the body's JSON is nested too deeply") from err
    else:
        raise HTTPException(415, "send application/json (images base64) or multipart/form-data (images as files)")
    try:
        return model.model_validate(data, strict=False)
    except RecursionError as err:
        raise HTTPException(400, "the body's JSON is nested too deeply") from err
    except ValidationError as err:
        raise HTTPException(422, err.errors(include_url=False, include_input=False, include_context=False)) from err


# Models nested in hand-parsed bodies; create_app adds them to the OpenAPI components.
NESTED_SCHEMAS: dict[str, dict] = {}


def body_schema(model: type[BaseModel], multipart: bool = True) -> dict:
    """OpenAPI for a body ``read_body`` parses by hand: the model as JSON, and (for photo routes) the same fields
    as a form."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    NESTED_SCHEMAS.update(schema.pop("$defs", {}))
    content = {"application/json": {"schema": schema}}
    if multipart:
        content["multipart/form-data"] = {"schema": schema}
    return {"requestBody": {"required": True, "content": content}}


async def read_image_upload(request: Request) -> bytes:
    """The bytes of the multipart field ``image`` (image search), parsed in memory only."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, f"send the photo as multipart/form-data in a field named {IMAGE_FIELD!r}")
    upload = (await _form(request)).get(IMAGE_FIELD)
    if not isinstance(upload, bytes):
        raise HTTPException(422, f"no file in the multipart field {IMAGE_FIELD!r}")
    return upload


IMAGE_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [IMAGE_FIELD],
            "properties": {IMAGE_FIELD: {"type": "string", "format": "binary",
                                         "description": f"JPEG, PNG or WebP photo, at most "
                                                        f"{MAX_UPLOAD_BYTES // 2**20} MB"}},
        }}},
    }
}
