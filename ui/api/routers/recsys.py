"""Catalog search: by text, by photo, and the catalog's product photos."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import AfterValidator

from recsys import ImageError, SearchHit

from ...engines import MAX_QUERY_CHARS, MAX_RESULTS
from ..dependencies import IMAGE_UPLOAD_BODY, EngineDep, read_image_upload
from ..schemas import ErrorResponse, ProductHit, SearchResponse

router = APIRouter(prefix="/api/v1", tags=["search"])


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the search text is only whitespace: type what you are looking for")
    return text


SearchText = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="e.g. 'red dress'"),
                       AfterValidator(_not_blank)]
TopK = Annotated[int, Query(ge=1, le=MAX_RESULTS, description="number of results")]


def _hits(request: Request, hits: list[SearchHit]) -> list[ProductHit]:
    return [ProductHit(id=hit.product.id, title=hit.product.title, attributes=hit.product.attributes,
                       score=hit.score, image_url=str(request.url_for("product_image", product_id=hit.product.id)))
            for hit in hits]


@router.get("/search", response_model=SearchResponse, summary="Search the catalog by text")
def search(request: Request, engines: EngineDep, q: SearchText, k: TopK = 10) -> SearchResponse:
    # Plain ``def``: encoding blocks, so FastAPI runs it in its threadpool, off the event loop.
    return SearchResponse(query=q, k=k, results=_hits(request, engines.search_text(q, k)))


@router.post("/search/image", response_model=SearchResponse, summary="Find products that look like a photo",
             openapi_extra=IMAGE_UPLOAD_BODY, responses={400: {"model": ErrorResponse}, 413: {"model": ErrorResponse}})
def search_image(request: Request, engines: EngineDep, image: Annotated[bytes, Depends(read_image_upload)],
                 k: TopK = 10) -> SearchResponse:
    try:
        hits = engines.search_image(image, k)
    except ImageError as err:
        raise HTTPException(400, str(err)) from err
    return SearchResponse(query=None, k=k, results=_hits(request, hits))


@router.get("/products/{product_id}/image", name="product_image", summary="A catalog product's photo",
            response_class=FileResponse, responses={404: {"model": ErrorResponse}})
def product_image(product_id: str, engines: EngineDep) -> FileResponse:
    product = engines.products.get(product_id)
    if product is None:
        raise HTTPException(404, f"no product with id {product_id!r} in the catalog")
    return FileResponse(product.image_path)
