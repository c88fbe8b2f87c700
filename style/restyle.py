"""One entry point for the restyle engines: ``restyle(image, style, engine="recipe" | "neural" | "diffusers", ...)``.

``style`` is a style name (any word style.STYLES knows: "70s" means vintage), a reference picture (PIL
image), or a list of pictures (a shopper's history: their taste). The garment is found with tryon's
cut-out, so only the garment changes; pass ``mask`` to use your own.

- ``recipe`` (the default): the style's recipe (style/recipes.py), or the recipe read from the pictures, drawn as
  a print and a fabric over the garment's own folds; the output says what was applied ("description").
- ``neural``: Magenta's arbitrary style network, taking the look of a picture (for a name: its recipe's swatch).
- ``diffusers``: an image-to-image diffusion pipeline, for users who have the weights (style/img2img.py).
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
from PIL import Image

from atelier_io import downscale
from tryon import style_named

from .engine import draw_recipe
from .errors import RestyleError
from .neural import NeuralRestyler, RestyleOutput
from .reading import read_style
from .recipes import RECIPES, Recipe
from .references import reference_image

ENGINES = ("recipe", "neural", "diffusers")
# Photos larger than this on their long side are scaled down first (the documented preprocess): the
# network works at 384 px, so more pixels only cost time.
MAX_SIDE = 2048
READ_SIDE = 512  # reference and history pictures are read at this size: a style is in colours and prints, not pixels
# Fewer garment pixels than this: nothing to restyle (or the cut-out found no garment).
_MIN_GARMENT = 0.02
EDGE_REACH = 0.002  # how far past the cut-out the garment's soft edge may reach, as a share of the long side
# A hole in the cut-out is backdrop: within HOLE_COLOUR (8-bit Lab) of its colour, flat (median local L* contrast
# under HOLE_FLAT), between HOLE_MIN and HOLE_AREA of the garment's area, ringed by cloth HOLE_RING from it
HOLE_COLOUR, HOLE_FLAT, HOLE_MIN, HOLE_AREA, HOLE_RING = 6.0, 1.5, 0.001, 0.15, 20.0
# A product photo shows few gaps of backdrop through a garment (beside each hanging sleeve, a keyhole): more holes
# than this are the print's own motifs in the backdrop's colour (a Breton top's white stripes, a bow's polka dots)
HOLE_MOST = 3


@cache
def _neural() -> NeuralRestyler:
    return NeuralRestyler.from_pretrained()


@cache
def _cutter():
    from tryon import GarmentAnalyzer

    return GarmentAnalyzer.from_pretrained()


def check_style(style) -> str | Image.Image | list[Image.Image]:
    """A canonical style name, a picture or a list of pictures; unknown names get the nearest suggestion."""
    if isinstance(style, Image.Image):
        return style
    if isinstance(style, list | tuple) and style and all(isinstance(s, Image.Image) for s in style):
        return list(style)
    if isinstance(style, str) and style.strip():
        try:
            return style_named(style)
        except ValueError as err:
            raise RestyleError(str(err)) from err
    raise RestyleError(f"style: give a style name, a picture or a list of pictures; got {type(style).__name__}")


def describe(name: str, recipe: Recipe, print_name: str | None = None) -> str:
    """What a recipe applies, in a stylist's words: "vintage: cream, rust, mustard; small ditsy floral; cotton,
    faded, grain"."""
    look = print_name or recipe.prints[0]
    pattern = "plain" if look == "solid" else f"{recipe.scale} {look}"
    return f"{name}: {', '.join(recipe.palette)}; {pattern}; {', '.join((recipe.fabric, *recipe.finish))}"


def garment_mask(image: Image.Image) -> np.ndarray:
    """Where the garment is in a product photo (tryon's cut-out), or RestyleError when nothing separates."""
    from tryon import GarmentError

    try:
        mask, _ = _cutter().cut_out(np.asarray(image.convert("RGB")))
    except GarmentError as err:
        raise RestyleError(f"image: {err}") from err
    if mask.mean() < _MIN_GARMENT:
        raise RestyleError("image: no garment separates from the background")
    # the cut-out stops just inside the garment's antialiased edge: take that edge too, or it stays behind as a
    # dark (or light) fringe. The cut-out is made at 320 px, so on a big photo its edge is steps of several pixels
    # and the band grows with the photo; the engine unmixes the band from the backdrop.
    reach = max(2, round(EDGE_REACH * max(mask.shape)))
    mask = cv2.dilate(mask.astype(np.float32), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    return without_backdrop_holes(np.asarray(image.convert("RGB")), mask)


def without_backdrop_holes(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` less the backdrop it encloses: the cut-out fills the gap between a hanging sleeve and the body, and
    a restyle would paint that gap as cloth. A hole is a flat region of the backdrop's own colour, smaller than
    HOLE_AREA of the garment, ringed by cloth that is not (a white shirt's flat patch on a white backdrop is ringed
    by its own white folds, and stays); and there are at most HOLE_MOST of them."""
    garment = mask > 0.5
    around = (cv2.dilate(garment.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0) & ~garment
    if not around.any():
        return mask
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    distance = np.linalg.norm(lab - np.median(lab[around], axis=0), axis=-1)
    contrast = np.abs(lab[..., 0] - cv2.GaussianBlur(lab[..., 0], (0, 0), 1))
    count, labels, stats, _ = cv2.connectedComponentsWithStats((garment & (distance < HOLE_COLOUR)).astype(np.uint8),
                                                               connectivity=4)
    holes = np.zeros_like(garment)
    found = 0
    for label in np.flatnonzero(stats[:, cv2.CC_STAT_AREA] > HOLE_MIN * garment.sum()):
        if label == 0 or stats[label, cv2.CC_STAT_AREA] > HOLE_AREA * garment.sum():
            continue
        region = labels == label
        ring = (cv2.dilate(region.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0) & ~region & garment
        if np.median(contrast[region]) < HOLE_FLAT and (distance[ring] > HOLE_RING).mean() > 0.7:
            holes |= region
            found += 1
    if not holes.any() or found > HOLE_MOST:  # cut out, a white stripe stayed white under every restyle
        return mask
    holes = cv2.dilate(holes.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # and the hole's own soft rim
    return np.where(holes, 0, mask).astype(mask.dtype)


def restyle(
    image: Image.Image,
    style,
    engine: str = "recipe",
    strength: float = 0.8,
    preserve_colour: bool = False,
    mask: np.ndarray | None = None,
    **options,
) -> RestyleOutput:
    """Restyle a garment photo. Recipe options: ``print_name`` (one of the recipe's prints), ``seed``. Neural:
    ``strength``, ``preserve_colour``. Diffusers: ``strength``, ``steps``, ``guidance``, ``seed``, ``control``
    (see style.img2img)."""
    if engine not in ENGINES:
        raise RestyleError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if not isinstance(strength, int | float) or not 0.0 <= strength <= 1.0:
        raise RestyleError(f"strength must be a number between 0 and 1; got {strength!r}")
    if not isinstance(image, Image.Image):
        raise RestyleError(f"image: expected a PIL image, got {type(image).__name__}")
    style = check_style(style)
    image = image.convert("RGB")
    if mask is None:  # a given mask fixes the size
        image = downscale(image, MAX_SIDE)
        mask = garment_mask(image)
    if engine == "diffusers":
        return _diffusers(image, style, mask, strength, **options)
    if engine == "recipe":
        return _recipe(image, style, mask, strength, preserve_colour, **options)
    restyler = _neural()
    if isinstance(style, str):
        vector = restyler.style_vector(reference_image(style))
    elif isinstance(style, list):
        vector = restyler.taste_vector(style)
    else:
        vector = restyler.style_vector(style)
    return restyler(image, vector, mask, strength=float(strength), preserve_colour=preserve_colour)


def _recipe(image: Image.Image, style, mask: np.ndarray, strength: float, preserve_colour: bool,
            print_name: str | None = None, seed: int = 0) -> RestyleOutput:
    if isinstance(style, str):
        recipe, description = RECIPES[style], describe(style, RECIPES[style], print_name)
    else:
        pictures = [downscale(p.convert("RGB"), READ_SIDE) for p in (style if isinstance(style, list) else [style])]
        reading = read_style(pictures, [_mask_or_none(picture) for picture in pictures])
        recipe, description = reading.recipe, reading.description
    drawn = draw_recipe(image, recipe, mask, strength, preserve_colour, print_name, seed)
    if drawn.kept_print:  # say so: the look's palette on the garment's own print, not the recipe's print
        parts = description.split("; ")  # palette; print; cloth (a reading may say less)
        tonal = (print_name or recipe.prints[0]) == "solid"
        parts[1:2] = ["its own print recoloured" + (", tone on tone" if tonal else "")]
        description = "; ".join(parts)
    return RestyleOutput(drawn.image, mask, description)


def _mask_or_none(picture: Image.Image) -> np.ndarray | None:
    """The garment in a product photo (one on a plain backdrop); None for any other picture (a fabric swatch, a
    painting, a street photo: all of it is the look)."""
    from tryon import GarmentError

    try:
        mask, method = _cutter().cut_out(np.asarray(picture))
    except GarmentError:
        return None
    return mask if method == "classic" and mask.mean() >= _MIN_GARMENT else None


def _diffusers(image: Image.Image, style, mask: np.ndarray, strength: float, **options) -> RestyleOutput:
    from .img2img import Img2ImgOptions, build_prompt

    if not isinstance(style, str):
        raise RestyleError("style: the diffusers engine takes a style name (a prompt), not pictures")
    pipe = _diffusion(options.pop("weights", None))
    prompt = build_prompt(style, options.pop("garment", None))
    settings = Img2ImgOptions(strength=strength, **{k: v for k, v in options.items() if v is not None})
    return RestyleOutput(pipe(image, prompt, mask=mask, options=settings), mask)


@cache
def _diffusion(path: str | None):
    from .img2img import Img2ImgRestyler

    return Img2ImgRestyler.from_pretrained(path)
