"""What the person wears: the upper and lower garments' regions, how long the sleeves and legs are, a dress or not.

The try-on redraws the region the person's own clothing occupies (it already sits on the body, with real folds and
with hair, hands and arms in front of it), so this map decides what is replaced. Packaged models only:

- the person: BlazePose's segmentation mask (``Person.mask``);
- face, neck and hair above the chin: ``Person.head``; bare skin: a chroma model from the face (``Person.skin``);
  hands: skin near the hand landmarks (``Person.hands``);
- hair falling over the shoulders: a colour model from the hair above the face, kept only where it joins the head;
- upper vs lower garment: GrabCut seeded with the chest (upper) and the thighs (lower), seeded RNG so the same
  photo always gives the same map.

Measured on a hand-labelled dev set: bench/tryon_quality.py (parsing IoU).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .person import Person

# Where down the arm (0 shoulder, 1 wrist) bare skin starts: above the first, no sleeves; above the second, short.
_SHORT_AT, _LONG_AT = 0.2, 0.65
_GRABCUT_ITERATIONS = 3
_WORK_SIDE = 384  # GrabCut runs on a copy this tall: 7x faster than full size, masks are upsampled


@dataclass
class Clothing:
    """One person's clothing, as masks over the photo (HxW bool) and what they are."""

    upper: np.ndarray  # top or dress, sleeves included
    lower: np.ndarray  # trousers, jeans, shorts or skirt (empty under a dress)
    hair: np.ndarray  # hair in front of the body (below the chin)
    sleeves: str  # "none", "short" or "long": how far the upper garment runs down the arms
    legs: str  # "full" (to the ankles), "knee", "short" or "none" (bare legs, or a dress)
    dress: bool  # the upper garment runs past the hips as one piece

    @property
    def hem(self) -> float:
        """The upper garment's lowest row (its hem), in pixels."""
        rows = np.flatnonzero(self.upper.any(axis=1))
        return float(rows[-1]) if rows.size else 0.0


def parse_clothing(person: Person) -> Clothing:
    body = person.mask > 0.5
    hair = hair_mask(person)
    bare = person.skin | person.head | person.hands | hair
    cloth = body & ~bare
    upper, lower = _split(person, cloth)
    dress = _is_dress(person, upper, lower)
    if dress:
        upper, lower = upper | lower, np.zeros_like(lower)
    return Clothing(upper, lower, hair, _sleeves(person, upper), _legs(person, lower), dress)


def hair_mask(person: Person) -> np.ndarray:
    """Hair below the chin (over the shoulders, in front of the top): pixels of the hair's colour (a Lab model
    from the person above the eyes) joined to the head, between the ears' columns widened by half a shoulder."""
    image, points = person.image, person.points
    height, width = person.mask.shape
    eyes_y = int(person.landmarks[[2, 5], 1].mean())
    body = person.mask > 0.5
    above = body.copy()
    above[max(eyes_y - 5, 0):] = False
    above &= ~person.skin
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    samples = lab[above.reshape(-1)]
    if len(samples) < 200:  # bald, cropped or covered: no hair model
        return np.zeros_like(body)
    mean, cov = samples.mean(axis=0), np.cov(samples.T) + np.eye(3) * 9.0
    diff = lab - mean
    near = (np.einsum("ij,jk,ik->i", diff, np.linalg.inv(cov), diff) < 7.8).reshape(height, width)
    shoulder = person.shoulder_width
    centre = float((points["shoulder_l"][0] + points["shoulder_r"][0]) / 2)
    band = np.zeros_like(body)
    x0, x1 = int(max(centre - 0.75 * shoulder, 0)), int(min(centre + 0.75 * shoulder, width))
    band[:, x0:x1] = True
    candidate = (near & body & band & ~person.skin) | person.head
    count, labels = cv2.connectedComponents(candidate.astype(np.uint8))
    joined = np.unique(labels[person.head & candidate])
    hair = np.isin(labels, joined[joined > 0]) & ~person.head
    return cv2.morphologyEx(hair.astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)).astype(bool)


def _split(person: Person, cloth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower garment by GrabCut: the chest is surely the upper garment, the thighs surely the lower,
    the rest of the clothing probably whichever side of the hip line it lies on."""
    p = person.points
    height, width = cloth.shape
    shoulder_y = float((p["shoulder_l"][1] + p["shoulder_r"][1]) / 2)
    hip_y = float((p["hip_l"][1] + p["hip_r"][1]) / 2)
    torso = hip_y - shoulder_y
    rows = np.arange(height)[:, None]
    labels = np.where(cloth, np.where(rows < hip_y - 0.1 * torso, cv2.GC_PR_FGD, cv2.GC_PR_BGD),
                      cv2.GC_BGD).astype(np.uint8)
    chest = _quad(cloth.shape, [p["shoulder_l"] + (0.15, 0.25) * np.array([person.shoulder_width, torso]),
                                p["shoulder_r"] + (-0.15, 0.25) * np.array([person.shoulder_width, torso]),
                                p["shoulder_r"] + (-0.2, 0.6) * np.array([person.shoulder_width, torso]),
                                p["shoulder_l"] + (0.2, 0.6) * np.array([person.shoulder_width, torso])])
    labels[chest & cloth] = cv2.GC_FGD
    for side in ("l", "r"):
        hip, knee = p[f"hip_{side}"], p[f"knee_{side}"]
        thigh = np.zeros(cloth.shape, np.uint8)
        cv2.line(thigh, _pt(hip + 0.35 * (knee - hip)), _pt(hip + 0.7 * (knee - hip)), 1,
                 max(int(0.12 * person.shoulder_width), 1))
        labels[(thigh > 0) & cloth & (rows > hip_y)] = cv2.GC_BGD
    if not (labels == cv2.GC_FGD).any() or not (labels == cv2.GC_BGD).any():
        return cloth & (rows < hip_y), cloth & (rows >= hip_y)
    upper = _largest(_grabcut(person.image, labels) & cloth)
    # The lower garment is what joins the thighs; clothing left over above the hips (a trim, a cuff, a shoulder
    # tape GrabCut gave the other side) belongs to the top, so no piece of it survives the redraw.
    rest = cloth & ~upper
    count, pieces = cv2.connectedComponents(rest.astype(np.uint8))
    seeds = np.unique(pieces[(labels == cv2.GC_BGD) & rest])
    lower = np.isin(pieces, seeds[seeds > 0])
    upper |= rest & ~lower & (rows < hip_y)
    return _smooth(upper, cloth), _smooth(lower & ~upper, cloth)


def _smooth(mask: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Close pinholes and the stair steps of the upsampled GrabCut result, staying inside ``within``."""
    closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    soft = cv2.GaussianBlur(closed.astype(np.float32), (0, 0), 1.5)
    return (soft > 0.5) & within


def _grabcut(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    height, width = labels.shape
    scale = min(1.0, _WORK_SIDE / height)
    size = (max(int(width * scale), 1), max(int(height * scale), 1))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small_labels = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
    cv2.setRNGSeed(0)  # GrabCut's GMM initialisation is random: the same photo must give the same map
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), small_labels, None, bgd, fgd, _GRABCUT_ITERATIONS,
                cv2.GC_INIT_WITH_MASK)
    chosen = ((small_labels == cv2.GC_FGD) | (small_labels == cv2.GC_PR_FGD)).astype(np.float32)
    return cv2.resize(chosen, (width, height), interpolation=cv2.INTER_LINEAR) > 0.5


def _is_dress(person: Person, upper: np.ndarray, lower: np.ndarray) -> bool:
    """One piece: the upper garment reaches a third of the way to the knees and the lower garment is small."""
    p = person.points
    hip_y = float((p["hip_l"][1] + p["hip_r"][1]) / 2)
    knee_y = float((p["knee_l"][1] + p["knee_r"][1]) / 2)
    rows = np.flatnonzero(upper.any(axis=1))
    reaches = rows.size > 0 and rows[-1] > hip_y + 0.35 * (knee_y - hip_y)
    return bool(reaches and lower.sum() < 0.25 * upper.sum())


def _sleeves(person: Person, upper: np.ndarray) -> str:
    """How far the sleeves run, read from the bare arm: the skin joined to each hand reaches up to the sleeve's
    end. (BlazePose's arm line often runs over the body's edge, so sampling the garment along it read bare arms
    next to a top as long sleeves.) The barer arm decides: a hidden or bent arm shows less skin, not more."""
    p = person.points
    bare = person.skin & ~person.head
    count, pieces = cv2.connectedComponents(bare.astype(np.uint8))
    reach = []
    for side in ("l", "r"):
        shoulder_y, wrist_y = float(p[f"shoulder_{side}"][1]), float(p[f"wrist_{side}"][1])
        if wrist_y - shoulder_y < 0.3 * person.torso_length:  # a raised or folded arm: nothing to read
            continue
        hand = np.zeros(bare.shape, np.uint8)
        cv2.circle(hand, _pt(p[f"wrist_{side}"]), max(int(0.08 * person.shoulder_width), 2), 1, -1)
        joined = np.unique(pieces[(hand > 0) & bare])
        arm = np.isin(pieces, joined[joined > 0])
        rows = np.flatnonzero(arm.any(axis=1))
        top = float(rows[0]) if rows.size else wrist_y
        reach.append((top - shoulder_y) / (wrist_y - shoulder_y))
    if not reach:
        return "long" if upper.any() else "none"
    bare_from = min(reach)
    return "none" if bare_from < _SHORT_AT else "short" if bare_from < _LONG_AT else "long"


def _legs(person: Person, lower: np.ndarray) -> str:
    """How far the lower garment runs down the legs: to the ankles, the knees, the thighs, or not at all."""
    if not lower.any():
        return "none"
    bottom = float(np.flatnonzero(lower.any(axis=1))[-1])
    p = person.points
    knee_y = float((p["knee_l"][1] + p["knee_r"][1]) / 2)
    ankle_y = float((p["ankle_l"][1] + p["ankle_r"][1]) / 2)
    if bottom >= min(ankle_y - 0.25 * (ankle_y - knee_y), lower.shape[0] - 3):
        return "full"
    return "knee" if bottom >= knee_y - 0.1 * (ankle_y - knee_y) else "short"


def _largest(mask: np.ndarray) -> np.ndarray:
    """The mask's largest connected piece plus any piece at least a tenth of it (a sleeve cut off by an arm)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= 0.1 * areas.max()) + 1
    return np.isin(labels, keep)


def _quad(shape: tuple[int, int], corners: list[np.ndarray]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, np.array(corners, np.float32).astype(np.int32), 1)
    return mask.astype(bool)


def _pt(point: np.ndarray) -> tuple[int, int]:
    return int(round(float(point[0]))), int(round(float(point[1])))
