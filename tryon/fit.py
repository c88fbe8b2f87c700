"""Fit a garment to a body: where each garment key point lands on the person, and the warp that takes it there.

The model, in order:
1. Placement (``_placement``): the flat garment's chest (waistband for bottoms) is unwrapped onto the
   body's chest (waist); its height is scaled on its own from neckline-to-armpit (waistband-to-crotch),
   mapped onto average-adult depths below the shoulder joints. The garment stays upright on the body axis.
2. Size: a size other than the shopper's own widens or narrows the garment about the body's axis by the
   ratio of chest girths in a letter-size grading table, and lengthens it by a quarter of that. A photo
   gives proportions but not centimetres, so the body's own size is the shopper's stated size, or M.
3. Wrap: side points come in to the worn width, never inside the body's outline at their height.
4. Parts: the garment's body is warped by a thin-plate spline through its points (scipy's
   RBFInterpolator, fitted from person to garment so every output pixel has a source, evaluated on a
   coarse grid, applied with OpenCV's remap); each sleeve moves as one affine piece down its arm; trouser
   legs are spline points along hip → knee → ankle.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.interpolate import RBFInterpolator

from .garment import Garment
from .person import Person

# Chest girth (cm) by letter size: the ISO/EN 13402 style grading most shops publish, 8 cm a step
# from M up and 6 cm below it.
CHEST_CM = {"XXS": 76, "XS": 82, "S": 88, "M": 96, "L": 104, "XL": 112, "XXL": 120, "3XL": 128, "4XL": 136}
# Numeric systems folded onto letters (womenswear tables of the big EU/UK/US shops).
_NUMERIC = {
    "eu": {32: "XXS", 34: "XS", 36: "S", 38: "M", 40: "L", 42: "XL", 44: "XXL", 46: "3XL"},
    "uk": {4: "XXS", 6: "XS", 8: "S", 10: "M", 12: "L", 14: "XL", 16: "XXL", 18: "3XL"},
    "us": {0: "XXS", 2: "XS", 4: "S", 6: "M", 8: "L", 10: "XL", 12: "XXL", 14: "3XL"},
}
# Where the body's outline lies relative to its joints (adult anthropometry): BlazePose's shoulder
# points sit on the joints, a tenth of the shoulder width inside the outline; the chest is about three
# quarters of the shoulders' breadth; hip joints sit well inside the hips.
SHOULDER_OUTLINE = 1.22
CHEST_OUTLINE = 0.92
HIP_OUTLINE = 1.55
# A flat garment shows half its girth; worn, the photo shows the body's width, about 1/1.25 of that
# (an elliptical chest 32 cm wide and 22 cm deep is 86 cm round).
WRAP = 1.25
SLEEVE_FLARE = 20  # degrees a short sleeve stands off a hanging upper arm
# Depths below the shoulder joints' line, in torso lengths (shoulder joints to hip joints): where an
# armpit, a waistband and the crotch sit on an average adult.
ARMPIT_DEPTH, WAIST_DEPTH, CROTCH_DEPTH = 0.25, 0.8, 1.22
NECK_RISE = -0.04  # a neckline's corners above the shoulders' outline
MAX_TOP_HEM = 1.35  # the longest a top reaches (tunic length)
_GRID = 8  # the spline is evaluated every 8 px and interpolated between


@dataclass
class Part:
    """One piece of a garment warped on its own: the body, or a sleeve that follows an arm."""

    name: str
    mask: np.ndarray  # garment pixels, bool
    sources: dict[str, np.ndarray]  # control points in the garment photo
    targets: dict[str, np.ndarray]  # the same points on the person
    affine: bool = False  # three points and one affine map, instead of a thin-plate spline


@dataclass
class Fit:
    """A garment warped onto the person's canvas."""

    rgb: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray  # HxW float32 in [0, 1]
    sleeves: np.ndarray  # HxW float32: the part of alpha that is sleeves or trouser legs (follows limbs)
    parts: list[Part]


def letter_size(system: str | None, value: str | None) -> str | None:
    """A size as the parser reports it (system, value), as a letter of CHEST_CM, or None if unknown."""
    if not value:
        return None
    if system in _NUMERIC or system == "numeric":
        table = _NUMERIC.get(system, _NUMERIC["eu"])
        try:
            return table.get(int(float(value)))
        except ValueError:
            return None
    letter = value.split("/")[0].upper().replace("2XL", "XXL").replace("XXXL", "3XL")
    return letter if letter in CHEST_CM else None


def size_factors(size: str | None, body_size: str | None) -> tuple[float, float]:
    """(width, length) factors of ``size`` worn by a body of ``body_size`` (both letters; None = M)."""
    chest = CHEST_CM.get(size or "M", CHEST_CM["M"]) / CHEST_CM.get(body_size or "M", CHEST_CM["M"])
    return chest, 1 + 0.25 * (chest - 1)


class BodyFrame:
    """Body axes: ``u`` along the shoulders (image left to right), ``v`` down the torso."""

    def __init__(self, person: Person) -> None:
        p = person.points
        self.neck = (p["shoulder_l"] + p["shoulder_r"]) / 2
        self.pelvis = (p["hip_l"] + p["hip_r"]) / 2
        u = p["shoulder_r"] - p["shoulder_l"]
        self.u = u / np.linalg.norm(u)
        self.v = np.array([-self.u[1], self.u[0]], np.float32)
        if np.dot(self.v, self.pelvis - self.neck) < 0:
            self.v = -self.v
        self.shoulder_half = SHOULDER_OUTLINE * np.linalg.norm(u) / 2
        self.chest_half = CHEST_OUTLINE * np.linalg.norm(u) / 2
        self.hip_half = HIP_OUTLINE * np.linalg.norm(p["hip_r"] - p["hip_l"]) / 2
        self.torso = float(np.dot(self.pelvis - self.neck, self.v))
        self.shoulder_top = self._shoulder_top(person)

    def _shoulder_top(self, person: Person) -> float:
        """Depth of the shoulders' upper outline above each shoulder joint (the person mask's first row
        there), averaged over both sides; clamped to what bodies do, since long hair can cover it."""
        depths = []
        for side in ("l", "r"):
            x, y = (int(v) for v in person.points[f"shoulder_{side}"])
            column = person.mask[: max(y, 0), int(np.clip(x, 0, person.mask.shape[1] - 1))] > 0.5
            rows = np.flatnonzero(column & ~person.head[: max(y, 0), int(np.clip(x, 0, person.mask.shape[1] - 1))])
            depths.append((rows[0] - y) / self.torso if rows.size else -0.1)
        return float(np.clip(np.mean(depths), -0.16, -0.04)) * self.torso

    def half_width(self, depth: float) -> float:
        """Half the body's width at ``depth`` below the shoulder line: the shoulders' outline, narrowing
        to the chest at the armpits, then widening to the hips (linear between, constant beyond)."""
        depths = (0.0, ARMPIT_DEPTH * self.torso, self.torso)
        return float(np.interp(depth, depths, (self.shoulder_half, self.chest_half, self.hip_half)))

    def coords(self, point: np.ndarray) -> tuple[float, float]:
        d = point - self.neck
        return float(np.dot(d, self.u)), float(np.dot(d, self.v))

    def point(self, across: float, down: float) -> np.ndarray:
        return self.neck + across * self.u + down * self.v


def _apply(matrix: np.ndarray, point) -> np.ndarray:
    return matrix[:, :2] @ np.asarray(point, np.float32) + matrix[:, 2]


def _along(chain: list[np.ndarray], distance: float) -> tuple[np.ndarray, np.ndarray]:
    """The point ``distance`` along a polyline (extended past its end) and the direction there."""
    for start, end in zip(chain, chain[1:], strict=False):
        segment = float(np.linalg.norm(end - start))
        direction = (end - start) / max(segment, 1e-6)
        if distance <= segment or end is chain[-1]:
            return start + direction * distance, direction
        distance -= segment
    raise ValueError("empty chain")


def plan(garment: Garment, person: Person, factors: tuple[float, float]) -> list[Part]:
    """The garment's parts with their control points on the person."""
    frame, p = BodyFrame(person), person.points
    k = {name: np.asarray(point, np.float32) for name, point in garment.keypoints.items()}
    matrix, anchor_depth = _placement(garment, k, frame)
    limb = matrix[:, :2] * np.array(factors, np.float32)  # a flat sleeve or leg vector -> its worn length
    if garment.category != "lower" and garment.sleeves > 0.05:
        for side in ("l", "r"):
            k[f"seam_{side}"] = _seam_top(garment.alpha, k[f"armpit_{side}"])
    targets = {}
    for name, point in k.items():
        across, down = frame.coords(_apply(matrix, point))
        targets[name] = frame.point(across * factors[0], anchor_depth + (down - anchor_depth) * factors[1])
    _wrap_sides(targets, frame, garment)
    if garment.category == "lower":
        legs = {}
        if garment.legs:
            for side in ("l", "r"):
                chain = [p[f"hip_{side}"], p[f"knee_{side}"], p[f"ankle_{side}"]]
                legs.update(_leg(k, targets, side, chain, limb))
        # A trouser leg's hem is placed by its leg points; a skirt's hem by the wrap rule.
        names = [n for n in targets if not (garment.legs and n.startswith("hem"))]
        sources = {**{n: k[n] for n in names}, **{n: src for n, (src, _) in legs.items()}}
        destinations = {**{n: targets[n] for n in names}, **{n: dst for n, (_, dst) in legs.items()}}
        return [Part("body", garment.alpha > 0.5, sources, destinations)]
    parts = []
    sleeves = np.zeros(garment.alpha.shape, bool)
    if garment.sleeves > 0.05:
        for side in ("l", "r"):
            chain = [p[f"shoulder_{side}"], p[f"elbow_{side}"], p[f"wrist_{side}"]]
            sleeve = _sleeve(garment, k, targets, side, chain, limb)
            sleeves |= sleeve.mask
            parts.append(sleeve)
    names = [n for n in targets if not n.startswith("sleeve")]
    body = Part("body", (garment.alpha > 0.5) & ~sleeves, {n: k[n] for n in names}, {n: targets[n] for n in names})
    return [body, *parts]


def _placement(garment: Garment, k: dict, frame: BodyFrame) -> tuple[np.ndarray, float]:
    """The affine map that puts the garment on the body, and the depth it is anchored at.

    Width: the flat garment's most reliable width, unwrapped onto the body: the chest (between the
    armpits) for tops and dresses, the waistband for bottoms. Shoulder points are not used: on raglan
    sleeves, straps and off-shoulder cuts they say little about the fit.
    Height: scaled on its own, from a vertical measure the body also has: neckline to armpit (tops and
    dresses) or waistband to crotch (trousers). Product photos are often stretched to fill their frame,
    so the garment's aspect ratio is not trusted; skirts, with no crotch, keep it.
    The garment stays upright along the body's axis."""
    if garment.category == "lower":
        left, right, depth = k["waist_l"], k["waist_r"], WAIST_DEPTH * frame.torso
        top = (left[1] + right[1]) / 2
        flat, worn = (k["crotch"][1] - top, (CROTCH_DEPTH - WAIST_DEPTH) * frame.torso) if garment.legs else (0, 0)
        chest = frame.half_width(depth)
    else:
        # The neckline's corners sit just above the shoulders' outline (or a strap's top on it).
        left, right, depth = k["armpit_l"], k["armpit_r"], frame.shoulder_top + NECK_RISE * frame.torso
        top = (k["neck_l"][1] + k["neck_r"][1]) / 2
        flat, worn = (left[1] + right[1]) / 2 - top, ARMPIT_DEPTH * frame.torso - depth
        chest = frame.half_width(ARMPIT_DEPTH * frame.torso)
    across = 2 * chest * WRAP / max(abs(right[0] - left[0]), 1.0)
    down = float(np.clip(worn / flat, 0.5 * across, 1.5 * across)) if flat > 0.05 * abs(right[0] - left[0]) else across
    if garment.category == "upper":
        # A top ends by mid-thigh; a longer one means the armpits were read too high.
        hem = np.flatnonzero((garment.alpha > 0.5).any(axis=1))[-1] - top
        down = min(down, (MAX_TOP_HEM * frame.torso - depth) / max(hem, 1.0))
    centre = (left[0] + right[0]) / 2
    # garment (x, y) -> neck + u * across * (x - centre) + v * (depth + down * (y - top))
    linear = np.column_stack([frame.u * across, frame.v * down])
    offset = frame.neck + frame.v * depth - linear @ np.array([centre, top], np.float32)
    anchor = depth if garment.category == "lower" else 0.0
    return np.column_stack([linear, offset]).astype(np.float32), anchor


def _wrap_sides(targets: dict, frame: BodyFrame, garment: Garment) -> None:
    """A flat garment is half its girth wide; worn, the photo shows less of it. Points come in towards the
    body's axis by WRAP, side points never inside the body's outline at their height (clothes do not
    squeeze the body), shoulder points never inside the shoulders."""
    if garment.category == "lower":
        sides = ["waist", "hip"] + ([] if garment.legs else ["hem"])
        inner = []
    else:
        sides, inner = ["armpit", "waist", "hem", "shoulder", "seam"], ["neck"]
    for part in sides + inner:
        for side in ("l", "r"):
            name = f"{part}_{side}"
            if name not in targets:
                continue
            across, down = frame.coords(targets[name])
            least = frame.half_width(max(down, 0.0)) * 1.03 if part in sides else 0.0
            wanted = max(abs(across) / WRAP, least)
            targets[name] = frame.point((1 if side == "r" else -1) * wanted, down)


def _ribbon(root: np.ndarray, end: np.ndarray, half: float, outward: np.ndarray) -> dict[str, np.ndarray]:
    """Points across a limb-shaped strip at its middle and end; "a" is on the ``outward`` side."""
    direction = (end - root) / max(float(np.linalg.norm(end - root)), 1e-6)
    across = np.array([-direction[1], direction[0]], np.float32)
    across = across if np.dot(across, outward) >= 0 else -across
    points = {}
    for t in (0.5, 1.0):
        middle = root + (end - root) * t
        points.update({f"{t}c": middle, f"{t}a": middle + across * half, f"{t}b": middle - across * half})
    return points


def _sleeve(garment: Garment, k: dict, targets: dict, side: str, chain: list, limb: np.ndarray) -> Part:
    """A sleeve moved as one piece (an affine map, which cannot fold): the middle of its seam onto the
    body part's seam, its axis down the arm at its worn length, its width worn. A long sleeve runs to the
    wrist; a short one stands off the upper arm by SLEEVE_FLARE, as fabric does. The three points
    (seam middle, cuff, one side) never line up, so the map stays well conditioned even for a sleeve
    that hangs straight down beside the body in the photo."""
    seam, armpit, end = k[f"seam_{side}"], k[f"armpit_{side}"], k[f"sleeve_{side}"]
    seam_to, armpit_to = targets[f"seam_{side}"], targets[f"armpit_{side}"]
    root, start = (seam + armpit) / 2, (seam_to + armpit_to) / 2
    axis = end - root
    length = float(np.linalg.norm(limb @ axis))
    flat_across = np.array([-axis[1], axis[0]], np.float32) / max(float(np.linalg.norm(axis)), 1e-6)
    half = 0.5 * float(np.linalg.norm(seam - armpit))
    width = half * float(np.linalg.norm(limb[:, 0])) / WRAP
    joint = chain[2] if garment.sleeves > 0.6 else chain[1]
    direction = (joint - chain[0]) / max(float(np.linalg.norm(joint - chain[0])), 1e-6)
    if garment.sleeves <= 0.6:
        outward = 1.0 if side == "r" else -1.0  # image right is the right arm's outside
        angle = np.deg2rad(SLEEVE_FLARE) * outward * (1 if direction[1] > 0 else -1)
        rotation = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]], np.float32)
        direction = rotation @ direction
    # The same turn for both across-vectors: the sleeve is rotated, never mirrored.
    turn = np.arctan2(direction[1], direction[0]) - np.arctan2(axis[1], axis[0])
    across = np.array([np.cos(turn) * flat_across[0] - np.sin(turn) * flat_across[1],
                       np.sin(turn) * flat_across[0] + np.cos(turn) * flat_across[1]], np.float32)
    sources = {"root": root, "end": end, "side": root + flat_across * half, "seam": seam}
    destinations = {"root": start, "end": start + direction * length, "side": start + across * width, "seam": seam_to}
    return Part(f"sleeve_{side}", _sleeve_mask(garment.alpha, armpit, end, side), sources, destinations, affine=True)


def _seam_top(alpha: np.ndarray, armpit: np.ndarray) -> np.ndarray:
    """Where a sleeve meets the body at the top: the garment's upper edge straight above the armpit."""
    column = np.flatnonzero(alpha[:, int(np.clip(armpit[0], 0, alpha.shape[1] - 1))] > 0.5)
    top = column[0] if column.size else 0
    return np.array([armpit[0], min(top, armpit[1])], np.float32)


def _leg(k: dict, targets: dict, side: str, chain: list, limb: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Trouser-leg control points (garment, person): centre line from hip to hem down hip→knee→ankle."""
    root = (k[f"hip_{side}"] + k["crotch"]) / 2
    end = (k[f"hem_{side}"] + k[f"hem_{side}i"]) / 2
    half = float(np.linalg.norm(k[f"hem_{side}"] - k[f"hem_{side}i"])) / 2
    outward = k[f"hem_{side}"] - k[f"hem_{side}i"]
    sources = _ribbon(root, end, half, outward)
    length = float(np.linalg.norm(limb @ (end - root)))
    scale = float(np.linalg.norm(limb[:, 0])) / WRAP  # widths: flat -> worn
    out = {}
    for t in (0.5, 1.0):
        point, direction = _along(chain, length * t)
        across = np.array([-direction[1], direction[0]], np.float32)
        across = across if np.dot(across, targets[f"hip_{side}"] - targets["crotch"]) >= 0 else -across
        for tag, sign in (("c", 0), ("a", 1), ("b", -1)):
            out[f"leg_{side}{t}{tag}"] = (sources[f"{t}{tag}"], point + sign * across * half * scale)
    return out


def warp(garment: Garment, parts: list[Part], shape: tuple[int, int]) -> Fit:
    """Warp each part so its control points land on their targets, body first, sleeves over it. Each part
    is drawn only inside the box it can reach, which keeps a try-on's warp near a tenth of a second."""
    height, width = shape
    rgb = np.zeros((height, width, 3), np.float32)
    alpha = np.zeros((height, width), np.float32)
    sleeves = np.zeros((height, width), np.float32)
    for part in parts:
        rgba = np.dstack([garment.image, (garment.alpha * part.mask * 255).astype(np.uint8)])
        draw = _warp_affine if part.affine else _warp_spline
        warped, a, (x0, y0, x1, y1) = draw(part, rgba, shape)
        if x1 <= x0 or y1 <= y0:
            continue
        box = np.s_[y0:y1, x0:x1]
        rgb[box] = rgb[box] * (1 - a[..., None]) + warped[..., :3] * a[..., None]
        alpha[box] = alpha[box] + a * (1 - alpha[box])
        if part.name != "body":
            sleeves[box] = np.maximum(sleeves[box], a)
    if garment.category == "lower" and garment.legs:
        sleeves = alpha * (np.arange(height)[:, None] > _crotch_row(parts))
    return Fit(rgb=rgb.astype(np.uint8), alpha=alpha, sleeves=sleeves, parts=parts)


def _box(points: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 1
    return max(x0, 0), max(y0, 0), min(x1, shape[1]), min(y1, shape[0])


def _warp_affine(part: Part, rgba: np.ndarray, shape: tuple[int, int]):
    names = ("root", "end", "side")
    matrix = cv2.getAffineTransform(
        np.array([part.sources[n] for n in names], np.float32), np.array([part.targets[n] for n in names], np.float32)
    )
    ys, xs = np.nonzero(rgba[..., 3])
    if xs.size == 0:
        return None, None, (0, 0, 0, 0)
    corners = np.array([[xs.min(), ys.min()], [xs.max(), ys.min()], [xs.min(), ys.max()], [xs.max(), ys.max()]])
    x0, y0, x1, y1 = _box(corners @ matrix[:, :2].T + matrix[:, 2], shape)
    # Turned down the arm, the sleeve's top corner would stick up past the shoulder seam.
    y0 = max(y0, int(part.targets["seam"][1]))
    if x1 <= x0 or y1 <= y0:
        return None, None, (0, 0, 0, 0)
    shifted = matrix.copy()
    shifted[:, 2] -= (x0, y0)
    warped = cv2.warpAffine(rgba, shifted, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0)
    return warped, warped[..., 3].astype(np.float32) / 255, (x0, y0, x1, y1)


def _warp_spline(part: Part, rgba: np.ndarray, shape: tuple[int, int]):
    reach = _reach(part)
    x0, y0, x1, y1 = _box(reach, shape)
    if x1 <= x0 or y1 <= y0:
        return None, None, (0, 0, 0, 0)
    map_x, map_y = _spline_maps(part, (x0, y0, x1, y1))
    warped = cv2.remap(rgba, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    inside = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillConvexPoly(inside, (reach - (x0, y0)).astype(np.int32), 1.0)
    return warped, warped[..., 3].astype(np.float32) / 255 * inside, (x0, y0, x1, y1)


def _reach(part: Part) -> np.ndarray:
    """Where a part may land: its targets' hull, grown by a quarter. A spline maps every pixel, and far
    from its control points it can fold back onto the garment and draw a stray copy."""
    hull = cv2.convexHull(np.array(list(part.targets.values()), np.float32)).reshape(-1, 2)
    centre = hull.mean(axis=0)
    return centre + (hull - centre) * 1.25


def _crotch_row(parts: list[Part]) -> float:
    return float(parts[0].targets["crotch"][1])


def _spline_maps(part: Part, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """For every person pixel in ``box``, the garment pixel it shows: a thin-plate spline from targets to
    sources, evaluated every _GRID pixels and resized up. Samples sit at the pixel positions that
    cv2.resize's centre convention maps them to (8j + 3.5), so the upsampled map is not shifted."""
    x0, y0, x1, y1 = box
    names = sorted(part.targets)
    src = np.array([part.sources[n] for n in names], np.float64)
    dst = np.array([part.targets[n] for n in names], np.float64)
    spline = RBFInterpolator(dst, src, kernel="thin_plate_spline", smoothing=1.0)
    rows, cols = -(-(y1 - y0) // _GRID), -(-(x1 - x0) // _GRID)
    gy, gx = np.mgrid[0:rows, 0:cols].astype(np.float64) * _GRID + (_GRID - 1) / 2
    coarse = spline(np.column_stack([gx.ravel() + x0, gy.ravel() + y0])).astype(np.float32).reshape(rows, cols, 2)
    full = cv2.resize(coarse, (cols * _GRID, rows * _GRID), interpolation=cv2.INTER_LINEAR)
    return full[: y1 - y0, : x1 - x0, 0].copy(), full[: y1 - y0, : x1 - x0, 1].copy()


def _sleeve_mask(alpha: np.ndarray, armpit: np.ndarray, end: np.ndarray, side: str) -> np.ndarray:
    """One sleeve in garment pixels: the garment beyond the vertical through its armpit (flat-laid sleeves
    stick out from, or hang beside, the body's straight sides), less thin slivers of the body's flank
    (an opening cuts them off), kept only where connected to the cuff."""
    columns = np.arange(alpha.shape[1])[None, :]
    beyond = (alpha > 0.5) & (columns < armpit[0] if side == "l" else columns > armpit[0])
    size = max(int(0.03 * alpha.shape[1]), 3)
    opened = cv2.morphologyEx(beyond.astype(np.uint8), cv2.MORPH_OPEN, np.ones((size, size), np.uint8))
    count, labels = cv2.connectedComponents(opened)
    x, y = (int(np.clip(v, 0, n - 1)) for v, n in zip(end, (alpha.shape[1], alpha.shape[0]), strict=True))
    keep = labels[y, x] if labels[y, x] > 0 else (np.argmax(np.bincount(labels.ravel())[1:]) + 1 if count > 1 else 0)
    return beyond & (labels == keep) if keep else beyond
