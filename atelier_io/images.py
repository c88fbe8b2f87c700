"""Safe image loading: every image that enters Atelier goes through ``load_image``.

It refuses corrupt, empty, non-image and oversized files with ``ImageError`` (a ``ValueError``), flattens alpha
onto white, converts CMYK, palette and 16-bit images to 8-bit RGB, applies the EXIF orientation and drops all
metadata. ``downscale`` is the one resize-to-fit the pipelines use as their documented preprocess.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# Larger than any product or phone photo (a 108 MP phone is ~12000x9000); refuses decompression bombs.
MAX_PIXELS = 120_000_000
MAX_BYTES = 50 * 1024 * 1024
# Pixels per band when scaling a 16/32-bit image to 8 bits: an 8 MB float64 working copy at most
BAND_PIXELS = 1 << 20


class ImageError(ValueError):
    """An input is not a usable image; the message says why."""


def _open(source: str | Path | bytes | Image.Image) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, bytes | bytearray):
        if not source:
            raise ImageError("image is empty (0 bytes)")
        if len(source) > MAX_BYTES:
            raise ImageError(f"image is {len(source) / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB")
        return Image.open(io.BytesIO(source))
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"{path}: no such file")
        size = path.stat().st_size
        if size == 0:
            raise ImageError(f"{path}: file is empty (0 bytes)")
        if size > MAX_BYTES:
            raise ImageError(f"{path}: {size / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB")
        return Image.open(path)
    raise ImageError(f"expected a path, bytes or PIL image, got {type(source).__name__}")


def load_image(source: str | Path | bytes | Image.Image) -> Image.Image:
    """Decode ``source`` into a metadata-free 8-bit RGB image, or raise ``ImageError``."""
    name = str(source) if isinstance(source, str | Path) else "image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open(source)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"{name}: {width}x{height} pixels is over the limit of {MAX_PIXELS:,}")
            if width < 8 or height < 8:
                raise ImageError(f"{name}: {width}x{height} is too small (at least 8x8)")
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_rgb(image)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError(f"{name}: refused as a decompression bomb ({err})") from err
    except Image.UnidentifiedImageError as err:
        raise ImageError(f"{name}: not a readable image (unrecognised or unsupported format)") from err
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{name}: not a readable image ({err})") from err


def _row_bands(image: Image.Image) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, pixels) of each band of rows, in the image's own dtype (uint16, int32 or float32)."""
    width, height = image.size
    step = max(1, BAND_PIXELS // width)
    for top in range(0, height, step):
        yield top, np.asarray(image.crop((0, top, width, min(top + step, height))))


def _to_8bit(image: Image.Image) -> Image.Image:
    """A 16/32-bit greyscale image as 8 bits: value / max * 255 (max at least 1, negatives 0).

    Band by band, because whole-image float64 arrays (the copy and its scaled copies) cost 4x a 16-bit image
    each: a 111 KB 16-bit PNG of 7000x7000 pixels took about 1 GB that way.
    """
    brightest = max([float(band.max()) for _, band in _row_bands(image)] + [1.0])
    out = np.empty((image.height, image.width), dtype=np.uint8)
    for first, band in _row_bands(image):
        scaled = band.astype(np.float64)
        scaled /= brightest
        scaled *= 255
        out[first : first + len(band)] = np.clip(scaled, 0, 255, out=scaled)
    return Image.fromarray(out)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = _to_8bit(image)
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    # A fresh RGB copy carries no EXIF, ICC or XMP: user photos leave here without metadata. Pasted rather than
    # rebuilt from tobytes(), which holds two extra copies of the pixels as Python bytes on the way.
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


def downscale(image: Image.Image, max_side: int) -> Image.Image:
    """``image`` scaled (in place, aspect kept) so that its long side is at most ``max_side``; a smaller image
    is left as it is."""
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image
