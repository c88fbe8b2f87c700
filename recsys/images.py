"""The colour evidence the encoder uses beside its CNN features (images are loaded by ``atelier_io``)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image


def border_colour(array: np.ndarray) -> np.ndarray:
    """Median colour of a 2-pixel frame: the studio background of a product photo."""
    frame = np.concatenate(
        [array[:2].reshape(-1, 3), array[-2:].reshape(-1, 3), array[:, :2].reshape(-1, 3), array[:, -2:].reshape(-1, 3)]
    )
    return np.median(frame, axis=0)


def pad_square(image: Image.Image) -> Image.Image:
    """Pad to a square with the photo's own background colour, keeping the garment whole."""
    width, height = image.size
    side = max(width, height)
    fill = tuple(int(v) for v in border_colour(np.asarray(image)))
    canvas = Image.new("RGB", (side, side), fill)
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


# Lab bins of the colour descriptor: lightness coarse, the two chroma axes finer, since colour names
# are mostly told apart by hue and saturation.
_L_BINS, _AB_BINS = 5, 7
COLOUR_DIM = _L_BINS * _AB_BINS * _AB_BINS + 12 + 7


def colour_descriptor(image: Image.Image, size: int = 64) -> np.ndarray:
    """Foreground colour evidence: a joint Lab histogram, a hue histogram and Lab moments.

    The foreground is every pixel that differs from the border colour by more than a just-noticeable
    margin; when almost nothing does (a white shirt on white), the whole image is used.
    """
    small = np.asarray(image.resize((size, size), Image.Resampling.BILINEAR))
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100 / 255
    lab[..., 1:] -= 128
    background = border_colour(lab)
    distance = np.linalg.norm(lab - background, axis=-1)
    mask = distance > 12
    if mask.mean() < 0.03:
        mask[:] = True
    pixels = lab[mask]
    l_idx = np.clip((pixels[:, 0] / 100 * _L_BINS).astype(int), 0, _L_BINS - 1)
    ab_idx = np.clip(((pixels[:, 1:] + 64) / 128 * _AB_BINS).astype(int), 0, _AB_BINS - 1)
    joint = np.bincount(
        (l_idx * _AB_BINS + ab_idx[:, 0]) * _AB_BINS + ab_idx[:, 1], minlength=_L_BINS * _AB_BINS * _AB_BINS
    ).astype(np.float32)
    chroma = np.hypot(pixels[:, 1], pixels[:, 2])
    hue = (np.degrees(np.arctan2(pixels[:, 2], pixels[:, 1])) + 360) % 360
    hue_hist = np.bincount((hue / 30).astype(int) % 12, weights=chroma, minlength=12).astype(np.float32)
    moments = np.concatenate([pixels.mean(0) / 100, pixels.std(0) / 100, [mask.mean()]]).astype(np.float32)
    return np.concatenate([joint / len(pixels), hue_hist / (chroma.sum() + 1e-6), moments])
