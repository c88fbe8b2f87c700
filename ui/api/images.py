"""Images out of the API: PNG, re-encoded from pixels, so no metadata of any input can ride along."""

from __future__ import annotations

import base64
import io

from PIL import Image


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
