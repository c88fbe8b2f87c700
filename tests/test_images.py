"""load_image refuses bad input with ImageError and normalises every good image to metadata-free RGB."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from atelier_io import ImageError, load_image


def _png_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def _huge_png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries almost no data: a decompression bomb."""
    data = bytearray(_png_bytes(Image.new("L", (1, 1))))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"this is not an image at all", "not a readable image"),
        (_png_bytes(Image.new("RGB", (64, 64)))[:60], "not a readable image"),
        (_huge_png_header(20000, 20000), "decompression bomb|over the limit"),
        (_png_bytes(Image.new("RGB", (4, 4))), "too small"),
    ],
)
def test_bad_images_raise_clear_errors(payload, message):
    with pytest.raises(ImageError, match=message):
        load_image(payload)


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load_image(tmp_path / "empty.jpg")
    with pytest.raises(ImageError, match="expected a path"):
        load_image(12345)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("CMYK", (40, 30), (0, 255, 255, 0)),
        Image.new("RGBA", (40, 30), (255, 0, 0, 0)),
        Image.new("LA", (40, 30)),
        Image.new("P", (40, 30)),
        Image.fromarray(np.full((30, 40), 40000, dtype=np.uint16)),
    ],
    ids=["cmyk", "rgba", "la", "palette", "16bit"],
)
def test_modes_become_rgb(image):
    out = load_image(image)
    assert out.mode == "RGB" and out.size == (40, 30)


def test_transparent_pixels_become_white_and_metadata_is_dropped():
    image = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    assert load_image(image).getpixel((5, 5)) == (255, 255, 255)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: personal metadata that must not travel on
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "blue").save(buffer, format="JPEG", exif=exif)
    out = load_image(buffer.getvalue())
    assert not out.info and not out.getexif()


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: a portrait phone photo stored sideways
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "green").save(buffer, format="JPEG", exif=exif)
    assert load_image(buffer.getvalue()).size == (20, 40)


def test_16bit_pixels_scale_to_8bit():
    pixels = np.zeros((16, 16), dtype=np.uint16)
    pixels[0, 0], pixels[0, 1] = 1000, 500
    out = np.asarray(load_image(_png_bytes(Image.fromarray(pixels))))
    assert out[0, 0].tolist() == [255, 255, 255]  # the brightest pixel
    assert out[0, 1].tolist() == [127, 127, 127]  # 500 / 1000 * 255, truncated
    assert out[5, 5].tolist() == [0, 0, 0]
    negative = Image.fromarray(np.full((16, 16), -7, dtype=np.int32))  # 32-bit "I": negatives clip to black
    assert np.asarray(load_image(negative)).max() == 0


def test_16bit_png_decodes_in_bounded_memory():
    # A 3000x3000 16-bit gradient compresses to ~100 KB; a whole-image float64 copy alone would be 72 MB.
    gradient = (np.arange(3000 * 3000, dtype=np.uint32) % 65536).astype(np.uint16).reshape(3000, 3000)
    payload = _png_bytes(Image.fromarray(gradient))
    tracemalloc.start()  # numpy's buffers are traced; Pillow's own pixel memory is not
    try:
        out = load_image(payload)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.size == (3000, 3000)
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB"
