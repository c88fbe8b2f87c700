"""Garment cut-out from a product photo: U2-Net-p saliency, checked against (and on plain studio backdrops
replaced by) a classic backdrop-distance mask."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import onnxruntime
from scipy import ndimage

_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)
_SIZE = 320  # U2-Net-p's input side
_MIN_SALIENCY = 0.3  # raw U2-Net-p peak below this: nothing stands out (uniform images and noise peak < 0.01)
_PLAIN_BORDER = 15.0  # 90th percentile Lab distance of border pixels from their median on a studio backdrop
_MIN_PART = 0.03  # extra components kept when at least this fraction of the largest (a second leg, a strap)
# A backdrop retouched to one colour: this share of its border within _FLAT Lab units of its median
_FLAT, _FLAT_BORDER = 1.0, 0.9
# A cut-out this far from solid (its area over its convex hull's) is in shreds, when what the border cannot reach
# through the flat backdrop is at least _SOLID: a white tee on white, whose cloth differs from it by 0-8 units
_SHREDS, _SOLID = 0.6, 0.75


class GarmentError(ValueError):
    """A garment photo cannot be used; the message names the problem."""


def cut_out(rgb: np.ndarray, session: onnxruntime.InferenceSession | None) -> tuple[np.ndarray, str]:
    """Boolean garment mask of an HxWx3 uint8 RGB photo, and the method that produced it."""
    backdrop = _Backdrop.of(rgb)
    classic = None if backdrop is None else backdrop.classic_mask()
    mask, method = classic, "classic"
    if session is not None and (saliency := _saliency(session, rgb)) is not None:
        u2 = _clean(saliency > 0.5, fill_all=False)
        if backdrop is not None:
            u2 = _clean(u2 & ~backdrop.gaps_in(u2), fill_all=False)
        if classic is None or _u2_plausible(u2, classic):
            mask, method = u2, "u2netp"
    if method == "classic" and backdrop is not None and backdrop.flat and _solidity(mask) < _SHREDS:
        enclosed = backdrop.enclosed()
        if _solidity(enclosed) >= _SOLID:
            mask, method = enclosed, "enclosed"
    if mask is None:
        if session is None:
            raise GarmentError("the background is not plain, so the classic cut-out cannot separate the garment")
        raise GarmentError("no separable foreground: nothing in the photo stands out from the rest")
    if not 0.005 <= mask.mean() <= 0.95:
        raise GarmentError(f"no separable foreground: the cut-out covers {mask.mean():.1%} of the photo")
    return mask, method


def _saliency(session: onnxruntime.InferenceSession, rgb: np.ndarray) -> np.ndarray | None:
    """U2-Net-p's first output min-max normalised at image size, or None when nothing is salient."""
    x = cv2.resize(rgb, (_SIZE, _SIZE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    x = ((x - _MEAN) / _STD).transpose(2, 0, 1)[None]
    out = session.run(None, {session.get_inputs()[0].name: x})[0][0, 0]
    if out.max() < _MIN_SALIENCY:
        return None
    out = (out - out.min()) / (out.max() - out.min())
    return cv2.resize(out, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)


@dataclass
class _Backdrop:
    """A plain backdrop: each pixel's Lab distance from the border's median colour, and where "differs" starts."""

    distance: np.ndarray
    threshold: float
    flat: bool = False  # retouched to one colour (_FLAT)

    @classmethod
    def of(cls, rgb: np.ndarray) -> _Backdrop | None:
        """The photo's backdrop, or None when its border is not plain."""
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
        b = max(2, round(0.01 * min(rgb.shape[:2])))
        border = np.concatenate([lab[:b], lab[-b:], lab[:, :b].transpose(1, 0, 2), lab[:, -b:].transpose(1, 0, 2)],
                                axis=1).reshape(-1, 3)
        colour = np.median(border, axis=0)
        spread = np.percentile(np.linalg.norm(border - colour, axis=1), 90)
        # Studio backdrops are often exactly flat; a white T-shirt on white differs from one by only ~5.
        if spread >= _PLAIN_BORDER:
            return None
        flat = float((np.linalg.norm(border - colour, axis=1) <= _FLAT).mean()) >= _FLAT_BORDER
        return cls(np.linalg.norm(lab - colour, axis=2), 4.0 + 2.0 * spread, flat)

    def enclosed(self) -> np.ndarray:
        """What the border cannot reach through the backdrop's exact colour, its outline's spurs (where the
        cloth's edge fades into the backdrop) opened away."""
        k = 2 * round(0.006 * max(self.distance.shape)) + 1
        shape = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        return _clean(cv2.morphologyEx((~self.reached()).astype(np.uint8), cv2.MORPH_OPEN, shape) > 0, fill_all=True)

    def reached(self) -> np.ndarray:
        """The backdrop's exact colour (within _FLAT) joined to the photo's border."""
        reach, _ = ndimage.label(self.distance <= _FLAT)
        outer = np.unique(np.concatenate([reach[0], reach[-1], reach[:, 0], reach[:, -1]]))
        return np.isin(reach, outer[outer > 0])

    def classic_mask(self) -> np.ndarray:
        """Pixels that differ from the backdrop; the closing joins a light garment's faint outline so that
        filling holes recovers its inside (a white shirt on white differs only along its edge)."""
        fg = (self.distance > self.threshold).astype(np.uint8)
        k = 2 * round(0.004 * max(fg.shape)) + 1
        fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
        return _clean(fg.astype(bool), fill_all=True)

    def gaps_in(self, mask: np.ndarray) -> np.ndarray:
        """Backdrop inside ``mask``: U2-Net-p, working at 320 px, fills narrow gaps (between trouser legs,
        between a hanging sleeve and the body). A gap is exactly backdrop-coloured, joined to the border by
        backdrop colour, starts below the garment's top (unlike the inside of the back seen through a
        neckline) and has garment on both sides (a light garment's own edge has it on one side only)."""
        candidates, _ = ndimage.label(mask & self.reached())
        gaps, rows = np.zeros_like(mask), np.flatnonzero(mask.any(axis=1))
        for label, box in enumerate(ndimage.find_objects(candidates), start=1):
            box = tuple(slice(max(s.start - 3, 0), s.stop + 3) for s in box)
            part = candidates[box] == label
            ring = cv2.dilate(part.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~part
            below_top = box[0].start + 3 > rows[0] + 0.1 * (rows[-1] - rows[0])
            if part.sum() > 50 and below_top and (mask[box] & ring).sum() > 0.75 * ring.sum():
                gaps[box] |= part
        return gaps


def _clean(mask: np.ndarray, fill_all: bool) -> np.ndarray:
    """Largest component plus sizeable others, holes filled. For U2-Net-p large holes stay: they are real
    (the gap between trouser legs that touch at the hem, a keyhole back)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    mask = np.isin(labels, np.flatnonzero(areas >= _MIN_PART * areas.max()) + 1)
    holes = ndimage.binary_fill_holes(mask) & ~mask
    if not fill_all:
        hole_labels, n = ndimage.label(holes)
        sizes = ndimage.sum_labels(holes, hole_labels, np.arange(1, n + 1))
        holes = np.isin(hole_labels, np.flatnonzero(sizes < 0.02 * mask.sum()) + 1)
    return mask | holes


def _solidity(mask: np.ndarray | None) -> float:
    """A mask's area over its convex hull's (1: convex; a tee about 0.8, trousers about 0.7)."""
    points = cv2.findNonZero(mask.astype(np.uint8)) if mask is not None else None
    if points is None:
        return 0.0
    return float(mask.sum()) / max(cv2.contourArea(cv2.convexHull(points)), 1.0)


def _u2_plausible(u2: np.ndarray, classic: np.ndarray) -> bool:
    """On a plain backdrop U2-Net-p is wrong when it covers almost nothing or everything, or when what
    plainly differs from the backdrop holds its mask and much more (it kept a print without its shirt). Where
    the classic mask misses much of U2-Net-p's, the garment is as light as the backdrop: trust U2-Net-p."""
    if not 0.05 <= u2.mean() <= 0.95:
        return not 0.005 <= classic.mean() <= 0.95
    inter = np.logical_and(u2, classic).sum()
    return inter < 0.9 * u2.sum() or inter > 0.9 * np.logical_or(u2, classic).sum()
