"""atelier_io: the bottom layer every Atelier package may use; it imports nothing of the project.

    image = load_image("photo.jpg")          # metadata-free 8-bit RGB, or ImageError (a ValueError)
    downscale(image, 1024)                   # long side at most 1024 px
    atomic_write("pred.csv", text)           # whole or not at all
    with replacing("model.pt") as tmp:       # for writers that want a path (torch.save, np.save, ...)
        torch.save(state, tmp)
    data_dir()                               # $ATELIER_DATA, else ../shared/data
    run = MicroBatcher(model_on_a_list)         # many threads' calls gathered into one batched call
    __getattr__ = lazy_exports(__name__, {".module": ["name", ...]})   # a package's names, imported on first use

The image functions (numpy, Pillow) load on first use: the command line imports this package for its file writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .batching import MicroBatcher
from .files import atomic_write, replacing
from .lazy import lazy_exports

if TYPE_CHECKING:
    from .images import MAX_BYTES, MAX_PIXELS, ImageError, downscale, load_image


def data_dir(value: str | Path | None = None) -> Path:
    """The real-data folder: ``value``, else ``$ATELIER_DATA``, else ``../shared/data``."""
    return Path(value or os.environ.get("ATELIER_DATA", "../shared/data"))


__getattr__ = lazy_exports(__name__, {".images": ["MAX_BYTES", "MAX_PIXELS", "ImageError", "downscale", "load_image"]})

__all__ = ["MAX_BYTES", "MAX_PIXELS", "ImageError", "MicroBatcher", "atomic_write", "data_dir", "downscale",
           "lazy_exports", "load_image", "replacing"]
