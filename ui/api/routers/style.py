"""Restyling garment photos: /restyle."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from atelier_io import load_image

from ..dependencies import EngineDep, WidgetKey, body_schema, read_body, require_admin_for, user_errors
from ..images import png_base64
from ..middleware import PHOTO_BODY
from ..schemas import RestyleRequest, RestyleResponse
from ..threads import in_drawing_thread
from .tryon import REFUSALS

router = APIRouter(prefix="/api/v1", tags=["restyle"], max_body_size=PHOTO_BODY)


@router.post("/restyle", response_model=RestyleResponse, summary="Restyle a garment photo into a look",
             openapi_extra=body_schema(RestyleRequest), responses=REFUSALS)
async def restyle(request: Request, engines: EngineDep, key: WidgetKey) -> RestyleResponse:
    body = await read_body(request, RestyleRequest)
    if (body.image is None) == (body.garment_id is None):
        raise HTTPException(422, "give exactly one of image or garment_id")
    if body.user_id is not None:
        require_admin_for(key, "a customer's taste (user_id)")
    with user_errors():
        image = body.image if body.image is not None else load_image(engines.garment(body.garment_id).image_path)
        out = await in_drawing_thread(engines.restyle, image, body.style, body.style_image, body.user_id,
                                      body.strength, body.preserve_colour)
    label = body.style or ("reference image" if body.style_image is not None else f"taste of {body.user_id}")
    # a PNG takes tens of milliseconds to compress: off the event loop, where every light request would wait for it
    image = await in_drawing_thread(png_base64, out.image)
    return RestyleResponse(image=image, style=label, description=out.description)
