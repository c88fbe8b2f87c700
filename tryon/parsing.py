"""What the person wears: the upper and lower garments' regions, how long the sleeves and legs are, a dress or not.

The try-on redraws the region the person's own clothing occupies (it already sits on the body, with real folds and
with hair, hands and arms in front of it), so this map decides what is replaced. Packaged models only:

- the person: BlazePose's segmentation mask (``Person.mask``);
- face, neck and hair above the chin: ``Person.head``; bare skin: a chroma model from the face (``Person.skin``);
  hands: skin near the hand landmarks (``Person.hands``);
- hair falling over the shoulders: a colour model from the hair above the face, kept only where it joins the head;
- upper vs lower garment: two colour models (Gaussian mixtures in Lab) seeded from the chest and the thighs, with
  a waist prior; the same fabric on chest and thighs reads as one piece (a dress). Seeded, so the same photo always
  gives the same map.

Measured on a hand-labelled dev set: bench/tryon_quality.py (parsing IoU).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000
from sklearn.mixture import GaussianMixture

from .person import Person

# Where down the arm (0 shoulder, 1 wrist) bare skin starts: above the first, no sleeves; above the second, short.
_SHORT_AT, _LONG_AT = 0.2, 0.65
_MIN_SEED = 200  # pixels: fewer, and a seed says nothing about a garment's colour
_SAME_COLOUR = 8.0  # CIEDE2000 between chest and thighs under which they are one garment


@dataclass
class Clothing:
    """One person's clothing, as masks over the photo (HxW bool) and what they are."""

    upper: np.ndarray  # top or dress, sleeves included
    lower: np.ndarray  # trousers, jeans, shorts or skirt (empty under a dress)
    hair: np.ndarray  # hair in front of the body (below the chin)
    sleeves: str  # "none", "short" or "long": how far the upper garment runs down the arms
    legs: str  # "full" (to the ankles), "knee", "short" or "none" (bare legs, or a dress)
    dress: bool  # the upper garment runs past the hips as one piece


def parse_clothing(person: Person) -> Clothing:
    """What ``person`` wears, as masks and lengths (see the module doc)."""
    body = person.mask > 0.5
    hair = hair_mask(person)
    bare = person.skin | person.head | person.hands | hair
    # Where skin meets the backdrop (an arm's outline) the pixels blend both and read as neither: not clothing.
    ring = np.ones((7, 7), np.uint8)
    rim = cv2.dilate(person.skin.astype(np.uint8), ring) & cv2.dilate((~body).astype(np.uint8), ring)
    cloth = body & ~bare & ~rim.astype(bool)
    upper, lower, dress = _split(person, cloth)
    upper, lower = _absorb_edges(person, upper, lower, hair), _above_the_shoes(person, lower)
    return Clothing(upper, lower, hair, _sleeves(person, upper), _legs(person, lower), dress)


def _absorb_edges(person: Person, upper: np.ndarray, lower: np.ndarray, hair: np.ndarray) -> np.ndarray:
    """The top's region grown by a few pixels into what touches it that is not head, hair, hands, the bottom or the
    inside of bare skin: the blended edge pixels of the old garment (a sleeve's hem against the arm, a strap against
    the backdrop) otherwise stay in view around the new one."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    grown = cv2.dilate(upper.astype(np.uint8), disc) > 0
    skin_inside = cv2.erode(person.skin.astype(np.uint8), disc) > 0
    keep = person.head | person.hands | hair | lower | skin_inside
    return upper | (grown & (person.mask > 0.5) & ~keep)


def _above_the_shoes(person: Person, lower: np.ndarray) -> np.ndarray:
    """Trousers end at the ankles: below them are shoes."""
    ankles = float(max(person.points["ankle_l"][1], person.points["ankle_r"][1]))
    cut = lower.copy()
    cut[int(max(ankles + 0.02 * person.torso_length, 0)):] = False
    return cut


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


def _split(person: Person, cloth: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Upper and lower garment, and whether they are one piece. Two colour models (Gaussian mixtures in Lab), one
    from the chest and one from the thighs, each pixel of clothing to the likelier, with a prior that is the upper
    garment above the waist and the lower below. When the two seeds are the same colour and texture the garment is
    taken as one piece (a dress; same-coloured separates read as one too, and a dress is then refused for them)."""
    p = person.points
    height, width = cloth.shape
    shoulder_y = float((p["shoulder_l"][1] + p["shoulder_r"][1]) / 2)
    hip_y = float((p["hip_l"][1] + p["hip_r"][1]) / 2)
    torso = hip_y - shoulder_y
    rows = np.arange(height)[:, None]
    size = np.array([person.shoulder_width, torso])
    chest = _quad(cloth.shape, [p["shoulder_l"] + (0.15, 0.25) * size, p["shoulder_r"] + (-0.15, 0.25) * size,
                                p["shoulder_r"] + (-0.2, 0.6) * size, p["shoulder_l"] + (0.2, 0.6) * size]) & cloth
    thighs = np.zeros(cloth.shape, np.uint8)
    for side in ("l", "r"):
        hip, knee = p[f"hip_{side}"], p[f"knee_{side}"]
        cv2.line(thighs, _pt(hip + 0.3 * (knee - hip)), _pt(hip + 0.7 * (knee - hip)), 1,
                 max(int(0.12 * person.shoulder_width), 1))
    thighs = (thighs > 0) & cloth & (rows > hip_y)
    if chest.sum() < _MIN_SEED or thighs.sum() < _MIN_SEED:  # bare legs, or the legs out of frame
        return _largest(cloth & (rows < hip_y)), cloth & (rows >= hip_y), False
    lab = cv2.cvtColor(person.image, cv2.COLOR_RGB2LAB).astype(np.float32)
    if _same_garment(lab, chest, thighs):
        return _largest(cloth), np.zeros_like(cloth), True
    upper_model, lower_model = (_colour_model(lab[seed]) for seed in (chest, thighs))
    # Scored at half size (4x fewer pixels; the boundary is smoothed afterwards anyway).
    small = (width // 2, height // 2)
    small_lab = cv2.resize(lab, small, interpolation=cv2.INTER_AREA)
    small_cloth = cv2.resize(cloth.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
    pixels = small_lab[small_cloth]
    odds = upper_model.score_samples(pixels) - lower_model.score_samples(pixels)
    waist = hip_y - 0.15 * torso
    prior = -(2 * np.nonzero(small_cloth)[0] - waist) / (0.1 * torso)  # log-odds: upper above the waist
    small_upper = np.zeros(small_cloth.shape, np.float32)
    small_upper[small_cloth] = odds + np.clip(prior, -8, 8) > 0
    upper = (cv2.resize(small_upper, (width, height), interpolation=cv2.INTER_LINEAR) > 0.5) & cloth
    upper |= cloth & (rows < waist - 0.3 * torso)  # trousers never reach the chest: a dark sleeve is the top's
    upper = _largest(upper)
    # The lower garment is what joins the thighs; clothing left over above the hips (a trim, a cuff, a shoulder
    # tape the colour models gave the other side) belongs to the top, so no piece of it survives the redraw.
    rest = cloth & ~upper
    count, pieces = cv2.connectedComponents(rest.astype(np.uint8))
    seeds = np.unique(pieces[thighs & rest])
    lower = np.isin(pieces, seeds[seeds > 0])
    upper |= rest & ~lower & (rows < hip_y)
    # Specks of the top's colour on the trousers (a faded patch, a seam) are not its hem.
    below = rows > waist - 0.1 * torso
    solid = cv2.morphologyEx(upper.astype(np.uint8), cv2.MORPH_OPEN, np.ones((9, 9), np.uint8)) > 0
    specks = upper & below & ~solid
    upper &= ~specks
    return _smooth(upper, cloth), _smooth(lower & ~upper, cloth), False


def _colour_model(samples: np.ndarray) -> GaussianMixture:
    rng = np.random.default_rng(0)
    picked = samples[rng.choice(len(samples), min(len(samples), 3000), replace=False)]
    return GaussianMixture(3, covariance_type="full", reg_covar=4.0, random_state=0).fit(picked)


def _same_garment(lab: np.ndarray, chest: np.ndarray, thighs: np.ndarray) -> bool:
    """Whether chest and thighs show the same fabric: close median colours (CIEDE2000 on OpenCV's 8-bit Lab) and
    a similar spread (a print against a plain fabric differs there)."""
    a, b = (np.median(lab[seed], axis=0) for seed in (chest, thighs))
    to_lab = np.array([100 / 255, 1, 1]), np.array([0, -128, -128])
    distance = float(deltaE_ciede2000(a * to_lab[0] + to_lab[1], b * to_lab[0] + to_lab[1]))
    spread = [float(lab[seed][:, 0].std()) for seed in (chest, thighs)]
    return distance < _SAME_COLOUR and abs(spread[0] - spread[1]) < 0.5 * max(max(spread), 8.0)


def _smooth(mask: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Drop slivers (skin edges along the arms), close pinholes and the stair steps of the upsampled GrabCut
    result, staying inside ``within``."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, disc)
    closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    soft = cv2.GaussianBlur(closed.astype(np.float32), (0, 0), 2.0)
    return (soft > 0.5) & within


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
