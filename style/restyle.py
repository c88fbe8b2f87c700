"""One entry point for both restyle engines: ``restyle(image, style, engine="neural" | "diffusers", ...)``.

``style`` is a style name (any word style.STYLES knows: "70s" means vintage), a reference picture (PIL
image), or a list of pictures (a shopper's history: their taste). The garment is found with tryon's
cut-out, so only the garment changes; pass ``mask`` to use your own.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image

from atelier_io import downscale
from tryon import style_named

from .neural import NeuralRestyler, RestyleError, RestyleOutput
from .references import reference_image

ENGINES = ("neural", "diffusers")
# Photos larger than this on their long side are scaled down first (the documented preprocess): the
# network works at 384 px, so more pixels only cost time.
MAX_SIDE = 2048
# Fewer garment pixels than this: nothing to restyle (or the cut-out found no garment).
_MIN_GARMENT = 0.02


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


def garment_mask(image: Image.Image) -> np.ndarray:
    """Where the garment is in a product photo (tryon's cut-out), or RestyleError when nothing separates."""
    from tryon import GarmentError

    try:
        mask, _ = _cutter().cut_out(np.asarray(image.convert("RGB")))
    except GarmentError as err:
        raise RestyleError(f"image: {err}") from err
    if mask.mean() < _MIN_GARMENT:
        raise RestyleError("image: no garment separates from the background")
    return mask.astype(np.float32)


def restyle(
    image: Image.Image,
    style,
    engine: str = "neural",
    strength: float = 0.8,
    preserve_colour: bool = False,
    mask: np.ndarray | None = None,
    **options,
) -> RestyleOutput:
    """Restyle a garment photo. Neural options: ``strength``, ``preserve_colour``. Diffusers options:
    ``strength``, ``steps``, ``guidance``, ``seed`` (see style.img2img)."""
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
    mask = garment_mask(image) if mask is None else mask
    if engine == "diffusers":
        return _diffusers(image, style, mask, strength, **options)
    restyler = _neural()
    if isinstance(style, str):
        vector = restyler.style_vector(reference_image(style))
    elif isinstance(style, list):
        vector = restyler.taste_vector(style)
    else:
        vector = restyler.style_vector(style)
    return restyler(image, vector, mask, strength=float(strength), preserve_colour=preserve_colour)


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
