"""Catalog search, recommendations, catalog ingestion and user histories."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import AfterValidator

from recsys import Recommendations, SearchHit

from ...engines import Engines
from ...uploads import MAX_QUERY_CHARS, MAX_RESULTS, declared_pixels, decode_upload
from ..dependencies import (
    IMAGE_UPLOAD_BODY,
    AdminKey,
    EngineDep,
    WidgetKey,
    body_schema,
    read_body,
    read_image_upload,
    require_admin_for,
    user_errors,
)
from ..middleware import CATALOG_BODY, PHOTO_BODY, SMALL_BODY
from ..schemas import (
    CatalogRequest,
    CatalogResponse,
    ErrorResponse,
    Interaction,
    InteractionsRequest,
    ProductHit,
    RecommendedItem,
    RecommendRequest,
    RecommendResponse,
    SearchResponse,
    UserDeletion,
    UserHistory,
    UserId,
    not_blank,
)
from ..threads import in_thread
from .tryon import REFUSALS

router = APIRouter(prefix="/api/v1", tags=["search & recommend"], max_body_size=SMALL_BODY)
photos = APIRouter(prefix="/api/v1", tags=["search & recommend"], max_body_size=PHOTO_BODY)
users = APIRouter(prefix="/api/v1", tags=["catalog & users"], max_body_size=SMALL_BODY)
catalog = APIRouter(prefix="/api/v1", tags=["catalog & users"], max_body_size=CATALOG_BODY)
# Decoded pixels one catalog request may cost: 40 large product photos, not 40 decompression bombs.
CATALOG_PIXELS = 400_000_000


SearchText = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="e.g. 'red dress'"),
                       AfterValidator(not_blank)]
TopK = Annotated[int, Query(ge=1, le=MAX_RESULTS, description="number of results")]


def _image_urls(request: Request, engines: Engines, product_ids: list[str]) -> list[str | None]:
    """Each product's photo URL (None for an id not in the catalog), the id percent-encoded: an id may hold '?', '#'
    or a space, which cut the URL short. Each id goes into the slot of a URL the router built once for this host:
    built whole for each of ten results (``url_path_for``, ``request.base_url``), they took 9% of the interpreter
    time a burst of recommendations had."""
    scope = request.scope
    host = request.headers.get("host") or _server_host(scope)
    head, tail = _photo_url_slot(f"{scope['scheme']}://{host}{scope.get('root_path', '')}/")
    return [f"{head}/{quote(pid, safe='')}/{tail}" if pid in engines.products else None for pid in product_ids]


def _server_host(scope: dict) -> str:
    """The server's own address for a request with no Host header, its port left out where it is the scheme's
    default (as ``request.base_url`` writes it)."""
    name, port = scope.get("server") or ("", None)
    default = {"http": 80, "https": 443}.get(scope["scheme"])
    return name if port in (None, default) else f"{name}:{port}"


@lru_cache(maxsize=64)
def _photo_url_slot(base_url: str) -> tuple[str, str]:
    """A product photo's URL under ``base_url``, before and after its id."""
    head, tail = str(router.url_path_for("product_image", product_id="0").make_absolute_url(base_url)).rsplit("/0/", 1)
    return head, tail


def _hits(request: Request, engines: Engines, hits: list[SearchHit]) -> list[ProductHit]:
    urls = _image_urls(request, engines, [hit.product.id for hit in hits])
    return [ProductHit(id=hit.product.id, title=hit.product.title, attributes=hit.product.attributes,
                       score=hit.score, image_url=url) for hit, url in zip(hits, urls, strict=True)]


@router.get("/search", response_model=SearchResponse, summary="Search the catalog by a request in words",
            responses=REFUSALS)
def search(request: Request, engines: EngineDep, _: WidgetKey, q: SearchText, k: TopK = 10) -> SearchResponse:
    # Plain ``def``: parsing and encoding block, so FastAPI runs it in its threadpool, off the event loop.
    with user_errors():  # no fashion request in the words, a contradiction, an impossible budget: 422
        found = engines.search_text(q, k)
    return SearchResponse(query=q, k=k, results=_hits(request, engines, found.hits), message=found.message)


@photos.post("/search/image", response_model=SearchResponse, summary="Find products that look like a photo",
             openapi_extra=IMAGE_UPLOAD_BODY, responses=REFUSALS)
def search_image(request: Request, engines: EngineDep, _: WidgetKey,
                 image: Annotated[bytes, Depends(read_image_upload)], k: TopK = 10) -> SearchResponse:
    with user_errors():  # an unusable image is a 422, as on every route that takes photos
        hits = engines.search_image(image, k)
    return SearchResponse(query=None, k=k, results=_hits(request, engines, hits))


@router.get("/products/{product_id}/image", name="product_image", summary="A catalog product's photo",
            response_class=FileResponse, responses={404: {"model": ErrorResponse}})
def product_image(product_id: str, engines: EngineDep) -> FileResponse:
    product = engines.products.get(product_id)
    if product is None:
        raise HTTPException(404, "no product with this id in the catalog")
    return FileResponse(product.image_path)


@router.post("/recommend", response_model=RecommendResponse, summary="Recommendations with their reasons",
             openapi_extra=body_schema(RecommendRequest, multipart=False), responses=REFUSALS)
async def recommend(request: Request, engines: EngineDep, key: WidgetKey) -> RecommendResponse:
    body = await read_body(request, RecommendRequest)  # only now, after the key: a keyless body costs nothing
    if body.user_id is not None:
        require_admin_for(key, "recommending from a stored user's history (user_id)")
    with user_errors():
        answer = await in_thread(_recommend, engines, body)
    urls = _image_urls(request, engines, [r.item_id for r in answer.items])
    return RecommendResponse(model=type(engines.shop.model).__name__, message=answer.message, results=[
        RecommendedItem(id=r.item_id, title=engines.titles.get(r.item_id, r.item_id), score=r.score, reasons=r.reasons,
                        image_url=url) for r, url in zip(answer.items, urls, strict=True)])


def _recommend(engines: Engines, body: RecommendRequest) -> Recommendations:
    """The words parsed (``Engines.ask``), then the recommendations: one trip to the threadpool for both, as each
    trip is a thread hand-off that a burst of requests pays under one interpreter lock."""
    ask = engines.ask(body.text)[1] if body.text is not None else None
    return engines.recommend(body.user_id, ask, body.history, body.k)


@catalog.post("/catalog", response_model=CatalogResponse, summary="Add or update catalog items (admin)",
              openapi_extra=body_schema(CatalogRequest), responses=REFUSALS)
async def ingest_catalog(request: Request, engines: EngineDep, _: AdminKey) -> CatalogResponse:
    body = await read_body(request, CatalogRequest)
    photos = {item.id: item.image for item in body.items if item.image}
    pixels = sum(declared_pixels(data) for data in photos.values())
    if pixels > CATALOG_PIXELS:
        raise HTTPException(413, f"the photos of one request may hold {CATALOG_PIXELS:,} pixels in all; these hold "
                                 f"{pixels:,}: send fewer items at a time")
    rows = pd.DataFrame([item.model_dump(exclude={"image"}) for item in body.items])
    with user_errors():  # decoding and writing block: off the event loop
        count = await in_thread(_ingest, engines, rows, photos)
    return CatalogResponse(ingested=count, products=len(engines.products))


def _ingest(engines: Engines, rows: pd.DataFrame, photos: dict[str, bytes]) -> int:
    images = {item_id: decode_upload(data, f"item {item_id}") for item_id, data in photos.items()}
    return engines.ingest_items(rows, images)


def _interactions(frame: pd.DataFrame) -> list[Interaction]:
    return [Interaction(item_id=r.item_id, kind=r.kind or "interaction", ts=pd.Timestamp(r.ts).isoformat())
            for r in frame.itertuples()]


@users.get("/users/{user_id}", response_model=UserHistory, summary="A user's history (admin)", responses=REFUSALS)
def user_history(user_id: UserId, engines: EngineDep, _: AdminKey) -> UserHistory:
    with user_errors():
        kept = engines.photos.count(user_id)
        try:
            interactions = _interactions(engines.history(user_id))
        except KeyError:
            if not kept:
                raise
            interactions = []  # a shopper who kept a photo but has no history yet
    return UserHistory(user_id=user_id, interactions=interactions, kept_photos=kept)


@users.post("/users/{user_id}/interactions", response_model=UserHistory, summary="Add to a user's history (admin)",
            openapi_extra=body_schema(InteractionsRequest, multipart=False), responses=REFUSALS)
async def add_interactions(user_id: UserId, request: Request, engines: EngineDep, _: AdminKey) -> UserHistory:
    body = await read_body(request, InteractionsRequest)  # only now, after the key: a keyless body costs nothing
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    rows = pd.DataFrame([{"item_id": i.item_id, "kind": i.kind, "ts": i.ts or now} for i in body.interactions])
    with user_errors():
        await in_thread(engines.add_interactions, user_id, rows)
        return UserHistory(user_id=user_id, interactions=_interactions(engines.history(user_id)),
                           kept_photos=engines.photos.count(user_id))


@users.delete("/users/{user_id}", response_model=UserDeletion, summary="Delete everything about a user (admin)",
              responses=REFUSALS)
def delete_user(user_id: UserId, engines: EngineDep, _: AdminKey) -> UserDeletion:
    with user_errors():
        interactions, reviews, photos = engines.delete_user(user_id)
    return UserDeletion(user_id=user_id, interactions=interactions, reviews=reviews, photos=photos)
