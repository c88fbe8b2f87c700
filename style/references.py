"""Reference pictures for the named styles, made here from palettes (no third-party artwork to license).

Magenta's style network reads a style from a picture: colours, contrast and the scale of the texture. Each
named style gets a palette (five colours, the look's usual colour story) and a pattern (stripes, checks,
soft blobs, grain or flat blocks); ``reference_image(name)`` paints them into a seeded 256x256 picture,
so a style's reference is the same on every machine.
"""

from __future__ import annotations

import zlib

import cv2
import numpy as np
from PIL import Image

# style -> (pattern, palette as hex). Every name in style.STYLES has an entry (tested).
# fmt: off
PALETTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "vintage": ("grain", ("#b5651d", "#d9a066", "#8a9a5b", "#c2b280", "#7b3f00")),
    "minimalist": ("blocks", ("#f5f5f0", "#d8d5cf", "#a9a9a9", "#4a4a4a", "#e8e2d6")),
    "boho": ("blobs", ("#c1663b", "#e0a96d", "#7a8450", "#a0522d", "#f3d9b1")),
    "streetwear": ("blocks", ("#111111", "#f2f2f2", "#ff3b30", "#ffd60a", "#2b59c3")),
    "classic": ("blocks", ("#1f2a44", "#c8b89a", "#ffffff", "#6b4f3a", "#8c8c8c")),
    "preppy": ("checks", ("#0b2545", "#ffffff", "#a4161a", "#2e7d32", "#f4d35e")),
    "sporty": ("stripes", ("#0a0a0a", "#ffffff", "#00a6fb", "#ff006e", "#9ef01a")),
    "elegant": ("blobs", ("#2d1e2f", "#c9ada7", "#f2e9e4", "#4a4e69", "#9a8c98")),
    "grunge": ("checks", ("#3b0d11", "#1b1b1b", "#5c5346", "#6a994e", "#8d0801")),
    "gothic": ("grain", ("#0b0b0b", "#2b0a3d", "#5a0001", "#3d3d3d", "#c0c0c0")),
    "romantic": ("blobs", ("#f7cad0", "#ffe5ec", "#cdb4db", "#fb6f92", "#ffffff")),
    "y2k": ("blobs", ("#ff70a6", "#70d6ff", "#e9ff70", "#c0c0c0", "#b388eb")),
    "casual": ("grain", ("#3d5a80", "#98c1d9", "#e0fbfc", "#ee6c4d", "#293241")),
    "business": ("stripes", ("#1b263b", "#415a77", "#e0e1dd", "#0d1b2a", "#778da9")),
    "western": ("checks", ("#8b5a2b", "#c19a6b", "#2f4f6f", "#a52a2a", "#f5deb3")),
    "utility": ("grain", ("#4b5320", "#8a7f5a", "#c3b091", "#2f3b23", "#6b705c")),
    "coastal": ("stripes", ("#ffffff", "#1d3557", "#a8dadc", "#f1faee", "#457b9d")),
    "ethnic": ("blobs", ("#9d0208", "#ffba08", "#370617", "#e85d04", "#0f5257")),
    "luxe": ("grain", ("#1c1c1c", "#d4af37", "#5b0e2d", "#0f3d3e", "#f5e6c8")),
    "cottagecore": ("checks", ("#fdf6e3", "#e9c46a", "#a7c957", "#f4a3a8", "#ffffff")),
}
# fmt: on

SIZE = 256


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], np.float32)


def reference_image(name: str) -> Image.Image:
    """The seeded reference picture of a canonical style name (KeyError for unknown names)."""
    pattern, hexes = PALETTES[name]
    colours = np.stack([_rgb(h) for h in hexes])
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    if pattern == "stripes":
        index = (y // rng.integers(14, 28)).astype(int) % len(colours)
    elif pattern == "checks":
        step = int(rng.integers(18, 34))
        index = ((x // step).astype(int) + 2 * (y // step).astype(int)) % len(colours)
    elif pattern == "blocks":
        index = (x // (SIZE // 2)).astype(int) + 2 * (y // (SIZE // 2)).astype(int)
        index = index % len(colours)
    else:  # blobs and grain: smooth random fields, each pixel takes the colour of the strongest
        sigma = 18 if pattern == "blobs" else 3
        fields = [cv2.GaussianBlur(rng.random((SIZE, SIZE)).astype(np.float32), (0, 0), sigma) for _ in colours]
        index = np.argmax(np.stack(fields), axis=0)
    picture = colours[index]
    grain = rng.normal(0, 10 if pattern == "grain" else 3, picture.shape[:2])[..., None]
    return Image.fromarray(np.clip(picture + grain, 0, 255).astype(np.uint8))
