"""Dependencies shared by the routers: the loaded engines, and uploads read without touching the disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..engines import MAX_UPLOAD_BYTES, Engines

IMAGE_FIELD = "image"
# The whole request body: the photo plus a little multipart framing around it.
BODY_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024
# OpenAPI description of the multipart body that ``read_image_upload`` parses by hand.
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


def get_engines(request: Request) -> Engines:
    """The engines the app's lifespan loaded; tests swap them through ``app.dependency_overrides``."""
    return request.app.state.engines


EngineDep = Annotated[Engines, Depends(get_engines)]


class _InMemoryParser(MultiPartParser):
    # Starlette spools uploads over 1 MB to a temporary file; user photos must stay in memory, and the
    # capped stream below keeps every upload under this size.
    spool_max_size = BODY_LIMIT


async def _capped(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise HTTPException(413, f"the upload is over the limit of {MAX_UPLOAD_BYTES // 2**20} MB")
        yield chunk


async def read_image_upload(request: Request) -> bytes:
    """The bytes of the multipart field ``image``, parsed in memory only."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, f"send the photo as multipart/form-data in a field named {IMAGE_FIELD!r}")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > BODY_LIMIT:
        raise HTTPException(413, f"the upload is over the limit of {MAX_UPLOAD_BYTES // 2**20} MB")
    parser = _InMemoryParser(request.headers, _capped(request.stream(), BODY_LIMIT), max_files=1, max_fields=4)
    try:
        form = await parser.parse()
    except MultiPartException as err:
        raise HTTPException(400, f"unreadable multipart upload: {err.message}") from err
    try:
        upload = form.get(IMAGE_FIELD)
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, f"no file in the multipart field {IMAGE_FIELD!r}")
        return await upload.read()
    finally:
        await form.close()
