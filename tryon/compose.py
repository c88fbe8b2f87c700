"""Compose a fitted garment into the person photo so that it looks worn, not pasted.

Back to front: the photo with the old clothing painted out where the new garment will not cover it
(OpenCV inpainting), the garment carrying the photo's own shading and folds (a band-pass of the photo's
lightness multiplied into the garment's), then whatever is in front of the body: head, hands, and bare
arms where the garment's body (not its sleeves) passes behind them. Edges are feathered by a blur of the
alpha. A requested colour is applied in Lab, keeping the garment's texture and shading.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .fit import BodyFrame, Fit
from .person import Person

# Shading is the photo's lightness at fold scale (3.5% of the torso) over its lightness at body scale;
# the fold-scale blur and the clip keep a logo or print on the old clothing from showing through.
_SHADE_CLIP = (0.8, 1.12)
_SHADE_STRENGTH = 0.7


@dataclass
class Composite:
    image: np.ndarray  # HxWx3 uint8
    removed: np.ndarray  # HxW bool: old clothing painted out
    front: np.ndarray  # HxW bool: the person's parts drawn over the garment
    shading: np.ndarray  # HxW float32: the multiplier carried onto the garment


def recolour(rgb: np.ndarray, alpha: np.ndarray, target: tuple[int, int, int]) -> np.ndarray:
    """Move the garment's colour to ``target`` in Lab: chroma takes the target's, lightness is shifted to the
    target's while keeping the garment's own variation (texture, print, shading) at reduced amplitude."""
    inside = alpha > 0.5
    if not inside.any():
        return rgb
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    goal = cv2.cvtColor(np.uint8([[target]]), cv2.COLOR_RGB2LAB).astype(np.float32)[0, 0]
    mean = lab[inside].mean(axis=0)
    out = lab.copy()
    out[..., 0] = goal[0] + (lab[..., 0] - mean[0]) * 0.8
    out[..., 1:] = goal[1:] + (lab[..., 1:] - mean[1:]) * 0.3
    result = cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    return np.where(inside[..., None], result, rgb)


def shading(person: Person, frame: BodyFrame, region: np.ndarray) -> np.ndarray:
    """The photo's shading and folds inside the old clothing as a multiplier around 1 (a band-pass of the
    lightness). Blurs are normalised to the clothing region, so skin, hair and background next to it do
    not read as shadows; elsewhere the multiplier is 1."""
    lightness = cv2.cvtColor(person.image, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32) + 1
    weight = region.astype(np.float32)
    ratio = (_masked_blur(lightness, weight, frame.torso * 0.035) + 1e-3) / (
        _masked_blur(lightness, weight, frame.torso * 0.12) + 1e-3
    )
    shade = np.clip(ratio, *_SHADE_CLIP) ** _SHADE_STRENGTH
    return np.where(region, shade, 1.0).astype(np.float32)


def _masked_blur(values: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``values`` over the pixels where ``weight`` is 1 (normalised convolution). Wide
    blurs run on a smaller copy: a 50 px Gaussian at full size costs a quarter of a second."""
    factor = 4 if sigma > 16 else 2 if sigma > 4 else 1
    size = (values.shape[1] // factor, values.shape[0] // factor)
    small_v, small_w = (cv2.resize(x, size, interpolation=cv2.INTER_AREA) for x in (values * weight, weight))
    sigma = max(sigma / factor, 0.5)
    blurred = cv2.GaussianBlur(small_v, (0, 0), sigma) / (cv2.GaussianBlur(small_w, (0, 0), sigma) + 1e-3)
    return cv2.resize(blurred, (values.shape[1], values.shape[0]), interpolation=cv2.INTER_LINEAR)


def clothing_region(person: Person, frame: BodyFrame, category: str) -> np.ndarray:
    """Where the clothing the new garment replaces can be: the person minus skin, head and arms (an old
    sleeve left below a new short one reads as a layer), between the neck and the hips (tops), the waist
    and the ankles (bottoms), or both (dresses)."""
    height, width = person.mask.shape
    top = frame.point(0, -0.1 * frame.torso)[1] if category != "lower" else frame.point(0, 0.8 * frame.torso)[1]
    if category == "upper":
        bottom = frame.point(0, 1.15 * frame.torso)[1]
    else:
        ankles = max(person.points["ankle_l"][1], person.points["ankle_r"][1])
        bottom = min(ankles, height)
    rows = np.arange(height)[:, None]
    band = (rows >= top) & (rows <= bottom)
    return band & (person.mask > 0.5) & ~person.skin & ~person.head & ~person.arms


def _inpaint(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Telea inpainting at half resolution (4x cheaper; the filled area is smooth anyway), pasted back
    only inside the region."""
    if not region.any():
        return image
    small = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(region.astype(np.uint8), (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
    small_mask = cv2.dilate(small_mask, np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(small, small_mask, 3, cv2.INPAINT_TELEA)
    filled = cv2.resize(filled, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.where(region[..., None], filled, image)


def _feather(mask: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)


def compose(person: Person, fit: Fit, category: str, colour: tuple[int, int, int] | None = None) -> Composite:
    frame = BodyFrame(person)
    clothing = clothing_region(person, frame, category)
    covered = fit.alpha > 0.5
    # Old clothing peeking out next to the new garment is painted out; further away it stays, and reads
    # as a layer underneath (trousers under a dress), which inpainting large areas could not better.
    distance = cv2.distanceTransform((~covered).astype(np.uint8), cv2.DIST_L2, 3)
    removed = clothing & (distance < frame.torso * 0.06) & ~covered
    base = _inpaint(person.image, removed)

    garment = fit.rgb if colour is None else recolour(fit.rgb, fit.alpha, colour)
    shade = shading(person, frame, clothing)
    shaded = np.clip(garment.astype(np.float32) * shade[..., None], 0, 255)

    alpha = np.minimum(_feather(fit.alpha, 1.2), fit.alpha)[..., None]  # feathered inwards only
    image = base.astype(np.float32) * (1 - alpha) + shaded * alpha

    front = person.head | person.hands | (person.arms & (fit.sleeves < 0.5))
    front_alpha = np.minimum(_feather(front, 1.0), person.mask)[..., None] * (alpha > 0.01)
    image = image * (1 - front_alpha) + person.image.astype(np.float32) * front_alpha
    return Composite(image=np.clip(image, 0, 255).astype(np.uint8), removed=removed, front=front, shading=shade)
