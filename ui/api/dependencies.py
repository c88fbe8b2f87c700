"""Dependencies shared by the routers: the engines, API keys and rate limits, bodies read without touching the
disk, and the mapping of engine refusals to 4xx responses."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..engines import MAX_UPLOAD_BYTES, Engines
from ..keys import ApiKey

IMAGE_FIELD = "image"
# A request body: two photos at most plus a little framing (or their base64, a third larger).
BODY_LIMIT = 3 * MAX_UPLOAD_BYTES
LIMIT_TEXT = f"the upload is over the limit of {MAX_UPLOAD_BYTES // 2**20} MB a photo"
Model = TypeVar("Model", bound=BaseModel)


def get_engines(request: Request) -> Engines:
    """The engines the app's lifespan loaded; tests swap them through ``app.dependency_overrides``."""
    return request.app.state.engines


EngineDep = Annotated[Engines, Depends(get_engines)]
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an Atelier API key (atl_…)")


def _authorise(request: Request, engines: Engines, secret: str | None, admin: bool) -> ApiKey:
    key = engines.keys.verify(secret)
    if key is None:  # the same answer for a missing, unknown or revoked key: nothing to learn from it
        raise HTTPException(401, "a valid API key is required in the X-API-Key header",
                            headers={"WWW-Authenticate": "ApiKey"})
    if admin and key.scope != "admin":
        raise HTTPException(403, "this route needs an admin key")
    wait = engines.limiter.take(key.id, key.rate_per_minute)
    if wait:
        raise HTTPException(429, f"rate limit reached: {key.rate_per_minute} requests a minute for this key",
                            headers={"Retry-After": str(math.ceil(wait))})
    request.state.api_key = key
    return key


def widget_key(request: Request, engines: EngineDep, secret: Annotated[str | None, Depends(_key_header)]) -> ApiKey:
    """Any live key: what a shop page may call from a shopper's browser."""
    return _authorise(request, engines, secret, admin=False)


def admin_key(request: Request, engines: EngineDep, secret: Annotated[str | None, Depends(_key_header)]) -> ApiKey:
    """An admin key: catalog and user data."""
    return _authorise(request, engines, secret, admin=True)


WidgetKey = Annotated[ApiKey, Depends(widget_key)]
AdminKey = Annotated[ApiKey, Depends(admin_key)]


def require_admin_for(key: ApiKey, what: str) -> None:
    if key.scope != "admin":
        raise HTTPException(403, f"{what} needs an admin key")


@contextmanager
def user_errors() -> Iterator[None]:
    """Engine refusals (bad image, unknown id, unusable photo) become 4xx with the engine's message."""
    try:
        yield
    except KeyError as err:
        raise HTTPException(404, str(err.args[0]) if err.args else "not found") from err
    except (ValueError, TypeError) as err:  # ImageError, TryOnError, RestyleError, StoreError are ValueErrors
        raise HTTPException(422, str(err)) from err


class _InMemoryParser(MultiPartParser):
    # Starlette spools uploads over 1 MB to a temporary file; user photos must stay in memory, and the
    # capped stream below keeps every body under this size.
    spool_max_size = BODY_LIMIT


async def _capped(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise HTTPException(413, LIMIT_TEXT)
        yield chunk


def _check_length(request: Request, limit: int = BODY_LIMIT) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise HTTPException(413, LIMIT_TEXT)


async def _form(request: Request, limit: int = BODY_LIMIT) -> dict[str, bytes | str]:
    parser = _InMemoryParser(request.headers, _capped(request.stream(), limit), max_files=3, max_fields=20)
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
    _check_length(request)
    if kind == "multipart/form-data":
        data = await _form(request)
        # Form fields are text: an empty field means "not given", and "true"/"false" are booleans for pydantic.
        data = {k: v for k, v in data.items() if v != ""}
    elif kind == "application/json":
        raw = b"".join([chunk async for chunk in _capped(request.stream(), BODY_LIMIT)])
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise HTTPException(400, f"the body is not valid JSON: {err}") from err
    else:
        raise HTTPException(415, "send application/json (images base64) or multipart/form-data (images as files)")
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as err:
        raise HTTPException(422, err.errors(include_url=False, include_input=False, include_context=False)) from err


# Models nested in hand-parsed bodies; create_app adds them to the OpenAPI components.
NESTED_SCHEMAS: dict[str, dict] = {}


def body_schema(model: type[BaseModel]) -> dict:
    """OpenAPI for a body ``read_body`` parses by hand: the model as JSON, and the same fields as a form."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    NESTED_SCHEMAS.update(schema.pop("$defs", {}))
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        "multipart/form-data": {"schema": schema},
    }}}


async def read_image_upload(request: Request) -> bytes:
    """The bytes of the multipart field ``image`` (image search), parsed in memory only."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, f"send the photo as multipart/form-data in a field named {IMAGE_FIELD!r}")
    _check_length(request, MAX_UPLOAD_BYTES + 64 * 1024)
    upload = (await _form(request, MAX_UPLOAD_BYTES + 64 * 1024)).get(IMAGE_FIELD)
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
