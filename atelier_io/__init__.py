"""atelier_io: the bottom layer every Atelier package may use; it imports nothing of the project.

    image = load_image("photo.jpg")          # metadata-free 8-bit RGB, or ImageError (a ValueError)
    downscale(image, 1024)                   # long side at most 1024 px
    atomic_write("pred.csv", text)           # whole or not at all
    with replacing("model.pt") as tmp:       # for writers that want a path (torch.save, np.save, ...)
        torch.save(state, tmp)
    data_dir()                               # $ATELIER_DATA, else ../shared/data
"""

from __future__ import annotations

import os
from pathlib import Path

from .files import atomic_write, replacing
from .images import MAX_BYTES, MAX_PIXELS, ImageError, downscale, load_image


def data_dir(value: str | Path | None = None) -> Path:
    """The real-data folder: ``value``, else ``$ATELIER_DATA``, else ``../shared/data``."""
    return Path(value or os.environ.get("ATELIER_DATA", "../shared/data"))


__all__ = ["MAX_BYTES", "MAX_PIXELS", "ImageError", "atomic_write", "data_dir", "downscale", "load_image",
           "replacing"]
