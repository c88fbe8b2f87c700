"""Garment analysis for try-on: cut a product photo out, crop it, and find the landmarks the warp needs.

analyzer = GarmentAnalyzer.from_pretrained()   # U2-Net-p cut-out, weights from the registry ("u2netp")
garment = analyzer(photo, "upper")             # Garment(image, alpha, category, keypoints, sleeves, cutout, legs)

Photos are front views (flat-lay or ghost mannequin, garment upright). Landmarks come from the silhouette
alone: the body's side edges are followed row by row up from the torso, and a sleeve shows up where an edge
leaves the body outwards. "l"/"r" in landmark names are image left/right.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import onnxruntime
from PIL import Image
from scipy import ndimage

from .cutout import GarmentError, cut_out

GARMENT_CATEGORIES = ("upper", "lower", "dress")

_MARGIN = 0.03  # crop margin, fraction of the garment's box
_FULL_SLEEVE = 1.4  # shoulder-to-wrist length over torso width in a flat-lay: a long sleeve measures about this

Point = tuple[float, float]


@dataclass
class Garment:
    """One analysed product photo, cropped to the garment; keypoints are (x, y) pixels in ``image``."""

    image: np.ndarray  # HxWx3 uint8 RGB
    alpha: np.ndarray  # HxW float32 in [0, 1], 1 = garment
    category: str  # one of GARMENT_CATEGORIES
    keypoints: dict[str, Point]
    sleeves: float  # sleeve length over a wrist-length sleeve: 0 sleeveless, ~0.3 short, 1 long; 0 for "lower"
    cutout: str  # "u2netp", "classic" or "enclosed" (a white garment on a backdrop retouched to one colour)
    legs: bool = False  # lower garments: True for trousers and shorts, False for skirts


class GarmentAnalyzer:
    """Cut-out plus silhouette landmarks. ``session`` is a U2-Net-p ONNX session, or None for the classic
    cut-out only (plain studio backdrops)."""

    def __init__(self, session: onnxruntime.InferenceSession | None):
        self.session = session

    @classmethod
    def from_pretrained(cls, path: str | None = None) -> GarmentAnalyzer:
        """U2-Net-p from ``path`` or the registry; missing weights raise WeightsNotFoundError naming the package."""
        if path is None:
            from weights import resolve

            path = str(resolve("u2netp"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        return cls(onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"]))

    def __call__(self, image: Image.Image, category: str) -> Garment:
        # 1. Check inputs
        self.check_inputs(image, category)
        rgb = np.asarray(image)
        # 2. Cut the garment out
        mask, cutout = self.cut_out(rgb)
        # 3. Crop to the garment plus a margin, with slightly softened edges
        top, bottom, left, right = _crop_box(mask)
        sigma = max(0.8, 0.0012 * max(mask.shape))
        alpha = np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), 0.0, 1.0)[top:bottom, left:right]
        mask = mask[top:bottom, left:right]
        # 4. Landmarks from the silhouette
        sleeves, legs = 0.0, False
        if category == "lower":
            keypoints, legs = _lower_keypoints(mask)
        else:
            keypoints, sleeves = _upper_keypoints(mask, dress=category == "dress")
        _check_shape(keypoints, category, mask.shape[1])
        crop = np.ascontiguousarray(rgb[top:bottom, left:right])
        return Garment(crop, alpha, category, keypoints, sleeves, cutout, legs)

    @staticmethod
    def check_inputs(image: Image.Image, category: str) -> None:
        if category not in GARMENT_CATEGORIES:
            raise GarmentError(f"category must be one of {GARMENT_CATEGORIES}, got {category!r}")
        if not isinstance(image, Image.Image) or image.mode != "RGB":
            kind = f"a {image.mode} image" if isinstance(image, Image.Image) else type(image).__name__
            raise GarmentError(f"image must be an RGB PIL.Image.Image, got {kind}")
        if min(image.size) < 32:
            raise GarmentError(f"image must be at least 32x32 pixels, got {image.size[0]}x{image.size[1]}")

    def cut_out(self, rgb: np.ndarray) -> tuple[np.ndarray, str]:
        """Boolean garment mask of an HxWx3 uint8 RGB photo, and the method that produced it."""
        return cut_out(rgb, self.session)


def _check_shape(k: dict[str, Point], category: str, width: int) -> None:
    """Refuse key points no upright front view has: a warp built on them draws nonsense. A level chest
    (or waistband) at least a third of the photo wide, a level neckline above it, the hem below it."""
    left, right = ("waist_l", "waist_r") if category == "lower" else ("armpit_l", "armpit_r")
    span = k[right][0] - k[left][0]
    level = abs(k[left][1] - k[right][1]) < 0.15 * max(span, 1)
    ok = span > width / 3 and level and min(k["hem_l"][1], k["hem_r"][1]) > max(k[left][1], k[right][1])
    if category != "lower":
        neck_level = abs(k["neck_l"][1] - k["neck_r"][1]) < 0.15 * span
        ok = ok and neck_level and max(k["neck_l"][1], k["neck_r"][1]) < min(k[left][1], k[right][1])
    if not ok:
        raise GarmentError(
            "could not read the garment's shape (neckline, armpits or waistband, hem) from the photo; "
            "use a front view of the garment alone, upright, on a plain background"
        )


def _crop_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """top, bottom, left, right (exclusive) of the mask's box grown by the margin, inside the image."""
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    my, mx = round(_MARGIN * (ys[-1] - ys[0] + 1)), round(_MARGIN * (xs[-1] - xs[0] + 1))
    h, w = mask.shape
    return max(ys[0] - my, 0), min(ys[-1] + 1 + my, h), max(xs[0] - mx, 0), min(xs[-1] + 1 + mx, w)


# ------------------------------------------------------------------------------------ landmarks: tops, dresses


@dataclass
class _Body:
    """A top's torso: centre column, a row through the torso (y0) and the torso's width there, the body's
    side edges per row (NaN off the body) and per side the underarm row a sleeve leaves from (None: none)."""

    cx: float
    y0: int
    width: int
    edges: dict[int, np.ndarray]  # side: -1 image left, 1 image right
    jumps: dict[int, int | None]


def _row_runs(mask: np.ndarray) -> list[np.ndarray]:
    """Per row, an (n, 2) array of the [start, end) column spans of the mask."""
    rows, cols = np.nonzero(np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1))
    return [c.reshape(-1, 2) for c in np.split(cols, np.searchsorted(rows, np.arange(1, mask.shape[0])))]


def _track(runs: list[np.ndarray], y0: int, span: tuple[int, int], step: int,
           max_out: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Left and right edges (NaN where not reached) of the part joined to ``span`` at row ``y0``, row by row
    in direction ``step``. An edge stepping out by more than ``max_out`` in one row stays: that is a sleeve."""
    left, right = np.full(len(runs), np.nan), np.full(len(runs), np.nan)
    a, b = span
    for y in range(y0, len(runs) if step > 0 else -1, step):
        hit = runs[y][(runs[y][:, 0] < b) & (runs[y][:, 1] > a)]
        if not len(hit):
            break
        na, nb = hit[:, 0].min(), hit[:, 1].max()
        a, b = (a if na < a - max_out else na), (b if nb > b + max_out else nb)
        left[y], right[y] = a, b - 1
    return left, right


def _deviation(out: np.ndarray, rows: np.ndarray, start: Point, end: Point) -> np.ndarray:
    """Signed distance of the points (out[row], row) from the chord start->end (end below), + outwards."""
    (o1, y1), (o2, y2) = start, end
    return ((out[rows] - o1) * (y2 - y1) - (rows - y1) * (o2 - o1)) / max(np.hypot(o2 - o1, y2 - y1), 1e-6)


def _find_body(mask: np.ndarray, dress: bool) -> _Body:
    """The torso row is the narrowest run across the centre where the waist is: there sleeves hanging beside
    the body are least likely to touch it."""
    runs = _row_runs(mask)
    ys, xs = np.nonzero(mask)
    top, bottom, cx = int(ys.min()), int(ys.max()), float(np.median(xs))
    min_width, spans = 0.15 * (xs.max() - xs.min()), []
    for lo, hi in ((0.2, 0.55) if dress else (0.45, 0.8), (0.0, 1.0)):
        for y in range(top + round(lo * (bottom - top)), top + round(hi * (bottom - top)) + 1):
            for a, b in runs[y][(runs[y][:, 0] <= cx) & (runs[y][:, 1] > cx)]:
                if b - a >= min_width:
                    spans.append((b - a, y, (int(a), int(b))))
        if spans:
            break
    if not spans:
        raise GarmentError("the silhouette has no body across its centre: is this a garment photo?")
    width, y0, span = min(spans)
    up, down = _track(runs, y0, span, -1), _track(runs, y0, span, 1, max_out=0.02 * width)
    edges = {side: np.where(np.isnan(up[i]), down[i], up[i]) for i, side in enumerate((-1, 1))}
    jumps = {side: _sleeve_jump(side * (edges[side] - cx), y0, width) for side in (-1, 1)}
    return _Body(cx, y0, width, edges, jumps)


def _sleeve_jump(out: np.ndarray, y0: int, width: float) -> int | None:
    """Underarm row where a sleeve leaves the body, or None. ``out`` is the body edge's distance from the
    centre per row; walking up from the torso, a sleeve is where it jumps (or swings fast) outwards."""
    crossed = np.flatnonzero(~(out[:y0 + 1] > 0.05 * width))  # above here the edge is the other side's strap
    top = int(crossed[-1]) + 1 if len(crossed) else 0
    k, jump = max(3, round(0.06 * width)), 0.08 * width
    for y in range(y0 - 1, top - 1, -1):
        if out[y] - np.min(out[y + 1:min(y + 1 + k, y0 + 1)]) > jump:
            rows = np.arange(y + 1, min(y + k, y0) + 1)  # the underarm: the body's corner below the jump
            return int(rows[np.argmin(_deviation(out, rows, (out[y], y), (out[rows[-1]], rows[-1])))])
    return None


def _hanging_sleeves(mask: np.ndarray, body: _Body, ytop: np.ndarray) -> list[tuple[int, int, int]]:
    """Cuts (column, bottom row, top row) freeing sleeves that hang against the body, from where they part
    from it (at the hem when no sleeve left the body; at a "sleeve" too deep to be an armpit, a cuff leaving
    it) up to the other armpit if that looks right, else the usual armhole depth (0.4 width below the top)."""
    ybot = np.where(mask.any(axis=0), mask.shape[0] - 1 - mask[::-1].argmax(axis=0), -1)
    rows = {side: row for side, row in body.jumps.items() if row is not None}
    deep = {side for side, row in rows.items() if row - ytop[int(body.edges[side][row])] > 1.2 * body.width
            or row - min(rows.values()) > 0.25 * body.width}
    armpits = [row for side, row in rows.items() if side not in deep]
    cuts = []
    for side in (-1, 1):
        if side in deep:
            notch = int(body.edges[side][rows[side]]), rows[side]
        elif side not in rows:
            notch = _hem_notch(ybot, body, side)
        else:
            continue
        if notch is not None:
            top = min(armpits) if armpits else round(ytop[notch[0]] + 0.8 * abs(notch[0] - body.cx))
            cuts.append((*notch, top))
    return cuts


def _hem_notch(ybot: np.ndarray, body: _Body, side: int) -> tuple[int, int] | None:
    """Walking out along the bottom edge from the centre, the first place inside the torso span and below
    the torso row where a cuff hangs lower than the hem beside it."""
    step, edge = max(2, round(0.03 * body.width)), body.edges[side][body.y0]
    for x in range(round(body.cx + side * 0.15 * body.width), round(edge - side * 0.02 * body.width), side):
        if ybot[x] > body.y0 and ybot[x + side * step] - ybot[x] > step:
            return x, int(ybot[x])
    return None


def _neck(ytop: np.ndarray, xl: int, xr: int, tol: float) -> tuple[int, int]:
    """Columns of the neckline corners: the highest points either side of the centre. With an open
    neckline (a dip at the centre) they are the inner ends of the high ground, else its outer ends."""
    mid = (xl + xr) // 2
    left, right = ytop[xl:mid + 1], ytop[mid:xr + 1]
    near_l = np.flatnonzero(left <= left.min() + tol) + xl
    near_r = np.flatnonzero(right <= right.min() + tol) + mid
    if ytop[mid] - max(left.min(), right.min()) > tol:
        return int(near_l.max()), int(near_r.min())
    return int(near_l.min()), int(near_r.max())


def _shoulder(ytop: np.ndarray, x_neck: int, x_limit: int, step: int) -> int:
    """Column of the shoulder point: going out from the neck, where the top edge falls steeply (an
    armhole, a strap's outer side, a hanging sleeve) or ``x_limit``, whichever comes first."""
    direction = 1 if x_limit > x_neck else -1
    for x in range(x_neck, x_limit, direction):
        if ytop[x + direction * step] - ytop[x] > 2 * step:
            return x
    return x_limit


def _sleeveless_armpit(out: np.ndarray, shoulder_row: int, y0: int, width: float) -> int:
    """Underarm row without a sleeve: the corner the armhole curves out to from the strap, or, when the side
    runs straight down from the shoulder (a shell top, a sheath dress), the usual armhole depth."""
    shoulder_row = min(max(shoulder_row, int(np.flatnonzero(~np.isnan(out))[0])), y0)
    rows = np.arange(shoulder_row, y0 + 1)
    corner = int(rows[np.argmax(_deviation(out, rows, (out[shoulder_row], shoulder_row), (out[y0], y0)))])
    if out[corner] - out[shoulder_row] > 0.1 * width and corner - shoulder_row > 0.2 * width:
        return corner
    return min(shoulder_row + round(0.4 * width), y0)


def _sleeve_end(mask: np.ndarray, bound: np.ndarray, side: int, root: np.ndarray, armpit_row: int,
                band: float) -> np.ndarray | None:
    """Centre of a sleeve's end: the sleeve is the garment outside the body line ``bound`` (per row) that
    reaches above the underarm; its end is the far band of the sleeve along the root->centroid axis."""
    columns = np.arange(mask.shape[1])[None, :]
    labels, count = ndimage.label(mask & (side * (columns - bound[:, None]) > 0))
    upper = np.bincount(labels[:armpit_row + 1].ravel(), minlength=count + 1)[1:]
    if count == 0 or upper.max() == 0:
        return None
    ys, xs = np.nonzero(labels == upper.argmax() + 1)
    points = np.stack([xs, ys], axis=1) - root
    proj = points @ (points.mean(axis=0) / max(np.linalg.norm(points.mean(axis=0)), 1e-6))
    return points[proj >= proj.max() - band].mean(axis=0) + root


def _side_points(mask: np.ndarray, body: _Body, side: int, neck: int, ytop: np.ndarray) -> tuple[dict, float]:
    """Shoulder, armpit, sleeve end, waist and hem on one side, and that sleeve's length fraction."""
    edge, row = body.edges[side], body.jumps[side]
    out = side * (edge - body.cx)  # distance from the centre, positive outwards
    x = _shoulder(ytop, neck, int(edge[body.y0 if row is None else row]), max(2, round(0.02 * body.width)))
    shoulder = np.array([x, ytop[x]])
    if row is None:
        row = _sleeveless_armpit(out, int(shoulder[1]), body.y0, body.width)
    armpit = np.array([edge[row], row])
    end, length = shoulder, 0.0
    if body.jumps[side] is not None:
        bound = np.where(np.arange(len(edge)) <= row, armpit[0], np.nan_to_num(edge, nan=body.cx))
        found = _sleeve_end(mask, bound, side, (shoulder + armpit) / 2, row, 0.03 * body.width)
        if found is not None and np.linalg.norm(found - shoulder) >= 0.1 * body.width:
            end, length = found, float(np.linalg.norm(found - shoulder))
    hem_row = int(np.flatnonzero(~np.isnan(edge))[-1])
    lower = np.arange(body.y0, hem_row + 1)
    hem = lower[np.argmax(_deviation(out, lower, (out[body.y0], body.y0), (0.0, hem_row)))]
    waist = round((row + hem_row) / 2)
    tag = "_l" if side < 0 else "_r"
    points = {"neck" + tag: (neck, ytop[neck]), "shoulder" + tag: tuple(shoulder), "armpit" + tag: tuple(armpit),
              "sleeve" + tag: tuple(end), "waist" + tag: (edge[waist], waist), "hem" + tag: (edge[hem], hem)}
    return points, min(1.0, length / (_FULL_SLEEVE * body.width))


def _upper_keypoints(mask: np.ndarray, dress: bool, cut: bool = True) -> tuple[dict[str, Point], float]:
    """Landmarks of a top or dress, and its sleeve length as a fraction of a long sleeve."""
    body = _find_body(mask, dress)
    ytop = np.where(mask.any(axis=0), mask.argmax(axis=0), mask.shape[0]).astype(float)
    if cut and (cuts := _hanging_sleeves(mask, body, ytop)):
        mask = mask.copy()
        for x, bottom, top in cuts:
            mask[top:bottom + 1, max(x - 1, 0):x + 2] = False
        return _upper_keypoints(mask, dress, cut=False)
    limits = [int(body.edges[side][body.y0 if row is None else row]) for side, row in body.jumps.items()]
    points, fractions = {}, []
    for side, neck in zip((-1, 1), _neck(ytop, *limits, 0.02 * body.width), strict=True):
        side_points, fraction = _side_points(mask, body, side, neck, ytop)
        points |= side_points
        fractions.append(fraction)
    return {name: (float(x), float(y)) for name, (x, y) in points.items()}, float(np.mean(fractions))


# ------------------------------------------------------------------------------------------ landmarks: lower


def _leg_gap(mask: np.ndarray, cx: float, width: int, length: int) -> Point | None:
    """Top of the gap between trouser legs: the highest-reaching tall hollow of the convex hull near the
    centre that comes down to the hem (a hole when the legs touch at the hem), or None for a skirt."""
    hull = np.zeros(mask.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(mask.astype(np.uint8))), 1)
    labels, _ = ndimage.label(hull.astype(bool) & ~mask)
    bottom = np.flatnonzero(mask.any(axis=1))[-1]
    best = None
    for label, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1):
        apex = np.flatnonzero(labels[rows.start, cols] == label).mean() + cols.start
        tall = rows.stop - rows.start > 0.1 * length and rows.stop > bottom - 0.15 * length
        if tall and abs(apex - cx) < 0.15 * width and (best is None or rows.start < best[1]):
            best = (float(apex), float(rows.start))
    return best


def _hem_ends(region: np.ndarray, length: float) -> tuple[Point, Point]:
    """Leftmost and rightmost pixels of ``region`` in its lowest 3% of the garment's length."""
    ys, xs = np.nonzero(region)
    low = ys >= ys.max() - 0.03 * length
    ys, xs = ys[low], xs[low]
    return (float(xs.min()), float(ys[xs.argmin()])), (float(xs.max()), float(ys[xs.argmax()]))


def _lower_keypoints(mask: np.ndarray) -> tuple[dict[str, Point], bool]:
    """Landmarks of trousers, shorts or a skirt, and whether it has legs."""
    ys, xs = np.nonzero(mask)
    top, bottom = int(ys.min()), int(ys.max())
    length, width = bottom - top, int(xs.max() - xs.min())
    rows = np.flatnonzero(mask.any(axis=1))
    points: dict[str, Point] = {}
    for name, frac in (("waist", 0.01), ("hip", 0.2)):
        y = int(rows[rows >= top + frac * length][0])  # the first garment row there (a belt may float above)
        row = np.flatnonzero(mask[y])
        points[name + "_l"], points[name + "_r"] = (row[0], y), (row[-1], y)
    cx = (points["waist_l"][0] + points["waist_r"][0]) / 2
    crotch = _leg_gap(mask, cx, width, length)
    if crotch is not None:
        columns, below = np.arange(mask.shape[1])[None, :], (np.arange(mask.shape[0]) > crotch[1])[:, None]
        legs = below & (columns < crotch[0]) & mask, below & (columns > crotch[0]) & mask
        if not (legs[0].any() and legs[1].any()):
            crotch = None
    if crotch is None:
        column = np.flatnonzero(mask[:, round(cx)])
        points["crotch"] = (round(cx), column[-1] if len(column) else bottom)
        points["hem_l"], points["hem_r"] = _hem_ends(mask, length)
    else:
        points["crotch"] = crotch
        points["hem_l"], points["hem_li"] = _hem_ends(legs[0], length)
        points["hem_ri"], points["hem_r"] = _hem_ends(legs[1], length)
    return {name: (float(x), float(y)) for name, (x, y) in points.items()}, crotch is not None
