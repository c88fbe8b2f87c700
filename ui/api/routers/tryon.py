"""Understanding requests and trying garments on: /parse, /garments, /tryon."""

from __future__ import annotations

import base64

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from ...engines import Engines
from ..dependencies import EngineDep, WidgetKey, body_schema, read_body, user_errors
from ..middleware import PHOTO_BODY, SMALL_BODY
from ..schemas import ErrorResponse, Garment, ParseRequest, ParseResponse, TryOnRequest, TryOnResponse
from ..threads import in_drawing_thread, in_thread

router = APIRouter(prefix="/api/v1", tags=["try-on"], max_body_size=SMALL_BODY)
photos = APIRouter(prefix="/api/v1", tags=["try-on"], max_body_size=PHOTO_BODY)
REFUSALS = {code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 415, 422, 429)}


def _garment(request: Request, engines: Engines, garment_id: str) -> Garment:
    garment = engines.garment(garment_id)
    return Garment(id=garment.id, title=garment.title, category=garment.category,
                   image_url=str(request.url_for("garment_image", garment_id=garment.id)))


@router.post("/parse", response_model=ParseResponse, summary="Understand a shopper's request",
             openapi_extra=body_schema(ParseRequest, multipart=False), responses=REFUSALS)
async def parse(request: Request, engines: EngineDep, _: WidgetKey) -> ParseResponse:
    body = await read_body(request, ParseRequest)  # only now, after the key: a keyless body costs nothing
    with user_errors():
        parsed = await in_thread(engines.parse, body.text)
    return ParseResponse.model_validate(parsed.to_dict())


@router.get("/garments", response_model=list[Garment], summary="The garments that can be tried on", responses=REFUSALS)
def garments(request: Request, engines: EngineDep, _: WidgetKey) -> list[Garment]:
    return [_garment(request, engines, g.id) for g in engines.garments]


@router.get("/garments/{garment_id}/image", name="garment_image", summary="A try-on garment's photo",
            response_class=FileResponse, responses={404: {"model": ErrorResponse}})
def garment_image(garment_id: str, engines: EngineDep) -> FileResponse:
    with user_errors():
        return FileResponse(engines.garment(garment_id).image_path)


@photos.post("/tryon", response_model=TryOnResponse, summary="See a shopper wearing a garment",
             openapi_extra=body_schema(TryOnRequest), responses=REFUSALS)
async def tryon(request: Request, engines: EngineDep, key: WidgetKey) -> TryOnResponse:
    body = await read_body(request, TryOnRequest)
    if body.keep_photo and key.scope != "admin":
        raise HTTPException(403, "keeping a shopper's photo needs an admin key (the shop's server, not its page)")
    with user_errors():
        # The instruction is parsed once, here; the explicit fields win over what it says. Rendering blocks for
        # about a second: off the event loop, on a drawing thread.
        parsed, ask = await in_thread(engines.ask, body.instruction, None, body.colour, body.size, body.style)
        result = await in_drawing_thread(engines.try_on, body.person_image, body.garment_id, ask, body.user_id,
                                         body.keep_photo)
    parsed = ParseResponse.model_validate(parsed.to_dict()) if parsed else None
    image = base64.b64encode(result.png).decode("ascii")  # compressed from pixels in the drawing process
    return TryOnResponse(image=image, garment=_garment(request, engines, result.garment.id),
                         message=result.message,
                         parsed=parsed, size=result.size, colour=result.colour, style=result.style,
                         kept_photo=result.kept_photo, seconds=round(result.seconds, 3))
