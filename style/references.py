"""Reference pictures for the named styles: a swatch of each style's recipe (its print in its palette, on its
fabric), for the neural engine, which reads a style from a picture. Made here, so there is no third-party artwork
to license, and seeded, so a style's swatch is the same on every machine.
"""

from __future__ import annotations

import zlib

import numpy as np
from PIL import Image

from .engine import palette_rgb
from .recipes import RECIPES
from .textures import draw_fabric, draw_print

SIZE = 256
PX_PER_CM = 6.0  # the swatch shows about 40 cm of fabric: a print's repeat, several times


def reference_image(name: str) -> Image.Image:
    """The seeded swatch of a canonical style name's recipe (KeyError for unknown names)."""
    recipe = RECIPES[name]
    seed = zlib.crc32(name.encode())
    flat = draw_print(recipe.prints[0], (SIZE, SIZE), palette_rgb(recipe.palette), PX_PER_CM, seed, recipe.scale)
    relief = draw_fabric(recipe.fabric, (SIZE, SIZE), PX_PER_CM, seed).relief
    return Image.fromarray(np.clip(flat * relief[..., None] + 0.5, 0, 255).astype(np.uint8))
