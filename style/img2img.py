"""The diffusers restyle engine: image-to-image diffusion over a garment photo, for users who have diffusion weights.

No diffusion weights ship with Atelier. They are the model registry's ``diffusion`` entry (weights/manifest.json),
a user entry: point ``ATELIER_WEIGHTS_DIFFUSION`` (or the ``diffusion`` key of ``ATELIER_WEIGHTS_CONFIG``) at a
local folder saved with ``save_pretrained`` or at a hub id (for example ``stabilityai/sd-turbo``) and load it with
``Img2ImgRestyler.from_pretrained()``. Any diffusers image-to-image pipeline instance also works directly:
``Img2ImgRestyler(pipeline)``.

With a canny ControlNet (the registry's ``controlnet`` entry, ``ATELIER_WEIGHTS_CONTROLNET``, or
``from_pretrained(controlnet=...)``) the pipeline is a ControlNet image-to-image one: the garment's edges (its
silhouette, collar and seams) are handed in as the control image, so a high strength can change the fabric
without melting the garment's shape.

``Img2ImgRestyler.__call__`` reads top to bottom like a diffusers pipeline: check inputs, resize to the VAE's
grid, run the pipeline, resize back and keep every pixel outside the garment mask exactly as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np
import PIL.Image
import torch

from tryon import get_style
from weights import WeightsNotFoundError, env_var, is_hub_id, resolve_pretrained, user_setting

MODEL_ID = "diffusion"  # the registry entry
CONTROLNET_ID = "controlnet"  # optional: canny edges hold the silhouette
WEIGHTS_SETTING = env_var(MODEL_ID)  # ATELIER_WEIGHTS_DIFFUSION
EDGES = (100, 200)  # Canny thresholds of the control image, as canny ControlNets were trained
WHAT_WORKS = ("a local diffusers folder saved with save_pretrained, or a hub id such as stabilityai/sd-turbo "
              "(no diffusion weights ship with Atelier)")
VAE_SCALE_FACTOR = 8
MAX_SIDE = 768


class DiffusersNotConfiguredError(RuntimeError):
    """No usable diffusion weights: the registry's ``diffusion`` entry is not set, or names a missing local folder."""


@dataclass
class Img2ImgOptions:
    """How far to move from the input: ``strength`` 0 keeps it, 1 ignores it; ``seed`` None draws a fresh one."""

    strength: float = 0.6
    steps: int = 20
    guidance: float = 7.5
    seed: int | None = 0
    control: float = 1.0  # how strictly a ControlNet holds the garment's edges (0 = ignore them)


class Img2ImgRestyler:
    """Restyle a garment photo with any diffusers image-to-image pipeline (``AutoPipelineForImage2Image`` etc.)."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    @classmethod
    def from_pretrained(
        cls, path: str | None = None, device: str = "cpu", dtype: torch.dtype = torch.float32,
        controlnet: str | None = None,
    ) -> Img2ImgRestyler:
        """Load weights from ``path``, a local folder or a hub id; default: the registry's ``diffusion`` entry
        (``$ATELIER_WEIGHTS_DIFFUSION``). ``controlnet``: a canny ControlNet's folder or hub id; default: the
        registry's ``controlnet`` entry when set, else none."""
        if path is None:
            try:
                path = resolve_pretrained(MODEL_ID)
            except WeightsNotFoundError as err:  # the registry's message names the setting and what it holds
                raise DiffusersNotConfiguredError(f"No usable diffusion weights: {err}. {WEIGHTS_SETTING} takes "
                                                  f"{WHAT_WORKS}.") from err
        path = os.path.expanduser(path)
        if not is_hub_id(path) and not os.path.isdir(path):
            raise DiffusersNotConfiguredError(f"Diffusion weights folder {path!r} does not exist (or is not a folder); "
                                              f"give {WHAT_WORKS}, or set {WEIGHTS_SETTING} to one.")

        from diffusers import AutoPipelineForImage2Image  # soft dependency: only users with weights need diffusers

        # diffusers 0.42 renamed `torch_dtype` to `dtype` (the old name still works there, with a FutureWarning)
        dtype_kwarg = {"dtype" if _diffusers_version() >= (0, 42) else "torch_dtype": dtype}
        if controlnet is None and user_setting(CONTROLNET_ID) is not None:
            controlnet = resolve_pretrained(CONTROLNET_ID)  # a missing folder is an error, not "no ControlNet"
        extra = {}
        if controlnet is not None:
            from diffusers import ControlNetModel

            extra["controlnet"] = ControlNetModel.from_pretrained(os.path.expanduser(controlnet), **dtype_kwarg)
        pipeline = AutoPipelineForImage2Image.from_pretrained(path, safety_checker=None, **dtype_kwarg, **extra)
        pipeline = pipeline.to(device)
        return cls(pipeline)

    @property
    def device(self) -> torch.device:
        return self.pipeline.device

    @property
    def controlled(self) -> bool:
        """Whether the pipeline takes a ControlNet's control image (the garment's edges)."""
        return getattr(self.pipeline, "controlnet", None) is not None

    def check_inputs(self, image, prompt, mask, options: Img2ImgOptions) -> None:
        if not isinstance(image, PIL.Image.Image):
            raise ValueError(f"`image` must be a PIL.Image.Image, received {type(image).__name__}.")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"`prompt` must be a non-empty string, received {prompt!r}.")
        if not 0.0 <= options.strength <= 1.0:
            raise ValueError(f"`strength` must be in [0.0, 1.0], received {options.strength}.")
        if not isinstance(options.steps, int) or options.steps < 1:
            raise ValueError(f"`steps` must be an integer >= 1, received {options.steps!r}.")
        if options.guidance < 0:
            raise ValueError(f"`guidance` must be >= 0, received {options.guidance}.")
        if not 0.0 <= options.control <= 2.0:
            raise ValueError(f"`control` must be in [0.0, 2.0], received {options.control}.")
        if mask is not None:
            expected = (image.height, image.width)
            if np.ndim(mask) != 2 or tuple(np.shape(mask)) != expected:
                raise ValueError(
                    f"`mask` must be a 2-D array of shape (height, width) = {expected}, received shape "
                    f"{tuple(np.shape(mask))}."
                )

    def __call__(
        self,
        image: PIL.Image.Image,
        prompt: str,
        mask: np.ndarray | None = None,
        options: Img2ImgOptions | None = None,
        negative_prompt: str | None = None,
    ) -> PIL.Image.Image:
        """Restyle ``image`` toward ``prompt``; with ``mask`` (HxW in [0, 1], 1 = garment) only the garment changes."""
        options = options or Img2ImgOptions()

        # 1. Check inputs
        self.check_inputs(image, prompt, mask, options)

        # 2. Resize to the VAE's grid (a multiple of 8), keeping the aspect ratio, long side at most 768
        source = image.convert("RGB")
        work_size = _working_size(source.size)
        work_image = source.resize(work_size, PIL.Image.Resampling.LANCZOS)

        # 3. Run the pipeline
        generator = None
        if options.seed is not None:
            generator = torch.Generator(self.device).manual_seed(options.seed)
        control = {}
        if self.controlled:
            control = {"control_image": edges(work_image), "controlnet_conditioning_scale": options.control}
        result = self.pipeline(
            prompt=prompt,
            image=work_image,
            strength=options.strength,
            num_inference_steps=options.steps,
            guidance_scale=options.guidance,
            negative_prompt=negative_prompt,
            generator=generator,
            output_type="pil",
            **control,
        ).images[0]

        # 4. Resize back and keep everything outside the garment mask exactly as it was
        restyled = result.convert("RGB").resize(source.size, PIL.Image.Resampling.LANCZOS)
        if mask is not None:
            restyled = _composite(source, restyled, mask)
        return restyled


def build_prompt(style_description: str, garment: str | None = None, attributes: list[str] | None = None) -> str:
    """A product-photo prompt; a text that is exactly a style name or synonym is expanded to its description.

    >>> build_prompt("vintage", "shirt", ["red", "cotton"])  # doctest: +ELLIPSIS
    'a product photo of a red cotton shirt, vintage style: retro pieces from past decades..., studio lighting, ...'
    """
    subject = " ".join([*(attributes or []), garment or "garment"])
    text = style_description.strip()
    style = get_style(text)
    if style is not None and text.lower() in (style.name, *style.synonyms):
        look = f"{style.name} style: {style.description}"
    else:
        look = text  # free text (or a phrase that merely mentions a style) goes in as written
    parts = [f"a product photo of a {subject}"]
    if look:
        parts.append(look)
    parts += ["studio lighting", "plain background"]
    return ", ".join(parts)


def edges(image: PIL.Image.Image) -> PIL.Image.Image:
    """The canny control image: white edges on black, three channels, as canny ControlNets expect."""
    grey = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2GRAY)
    return PIL.Image.fromarray(cv2.Canny(grey, *EDGES)).convert("RGB")


def _diffusers_version() -> tuple[int, int]:
    import diffusers

    major, minor = diffusers.__version__.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def _working_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, MAX_SIDE / max(width, height))
    width = max(VAE_SCALE_FACTOR, round(width * scale / VAE_SCALE_FACTOR) * VAE_SCALE_FACTOR)
    height = max(VAE_SCALE_FACTOR, round(height * scale / VAE_SCALE_FACTOR) * VAE_SCALE_FACTOR)
    return width, height


def _composite(source: PIL.Image.Image, restyled: PIL.Image.Image, mask: np.ndarray) -> PIL.Image.Image:
    alpha = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)[..., None]
    before = np.asarray(source, dtype=np.float32)
    after = np.asarray(restyled, dtype=np.float32)
    blended = np.rint(alpha * after + (1.0 - alpha) * before).astype(np.uint8)
    return PIL.Image.fromarray(blended)
