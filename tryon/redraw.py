"""Draw a garment into the region the person's own garment occupies, shaded by that garment's folds.

The old garment already sits on the body: its outline follows the shoulders and arms, hair and hands lie in front
of it, its folds are real. So nothing is pasted over the photo: every pixel of the old garment's region takes the
new garment's colour and print, mapped from the product photo, and keeps the old garment's light and shade.

- body rows: each row of the region between the torso's sides takes the product photo's row at the same height
  between collar and hem, stretched to the region's width there (a looser old garment gives a looser look);
- sleeves: each point of a sleeve takes the product photo's sleeve at the same fraction of the way from shoulder to
  cuff and across, following the arm (shoulder → elbow → wrist);
- lower garments: each leg (or a skirt as one) row by row from the waist to the hem;
- shade: the old garment's lightness at fold scale over its lightness at body scale, clipped so that a print or
  logo on it does not carry over.
A pairing this cannot draw believably (sleeves or length that differ, a dress on a top and trousers) is refused
before drawing, by ``refusal``, with what would work.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from .garment import Garment
from .parsing import Clothing
from .person import Person

_SHADE_CLIP = (0.82, 1.12)
PRINT_DISTANCE = 30.0  # 8-bit Lab distance from the worn garment's median colour beyond which a pixel is print
ARMPIT_DEPTH = 0.25  # the armpits' depth below the shoulder joints, in torso lengths (average adult)
# A flat-lay's chest width over the worn garment's width between the torso's sides in the photo: set so that
# regular tees land at the hips + 0.05-0.15 torso on the untucked tees of the VITON-HD / DressCode persons.
WRAP = 1.33
MAX_TOP_HEM = 1.3  # the longest a top reaches, in torso lengths below the shoulder joints (tunic length)
COLLAR = 0.6  # product rows above neck + COLLAR x neck width show the collar's inside back: never sampled
SHORTER = 0.08  # a product whose hem lands this many torso lengths above the worn one's is refused
LONG_BOTTOM = 2.0  # waist-to-hem over waist width above which a bottom is full length (trousers: 2.6-3.1)
_SHADE_STRENGTH = 0.85
SLEEVE_CLASS = (0.15, 0.75)  # Garment.sleeves below the first: sleeveless; below the second: short; else long
SLEEVE_LENGTH = {"none": 0.0, "short": 0.4, "long": 1.0}  # a known sleeve length as a Garment.sleeves value


def garment_sleeves(garment: Garment) -> str:
    none, short = SLEEVE_CLASS
    return "none" if garment.sleeves < none else "short" if garment.sleeves < short else "long"


def refusal(person: Person, garment: Garment, clothing: Clothing, category: str,
            title: str = "this garment") -> str | None:
    """Why this pairing cannot be drawn believably, with what would work; None when it can."""
    return worn_refusal(clothing, category, garment_sleeves(garment), title) or _fit_refusal(
        person, garment, clothing, category, title)


def worn_refusal(clothing: Clothing, category: str, sleeves: str | None, title: str = "this garment") -> str | None:
    """``refusal``'s reasons that need only what the photo shows, the garment's category and its sleeves ("none",
    "short", "long"; None: not known yet): a catalog garment refused on them is refused before its photo is cut
    out."""
    if category == "dress" and not clothing.dress:
        return (f"{title} is a dress, and the photo shows a separate top and bottom: drawing a dress over them "
                "is not believable yet. Use a photo in a dress, or try a top or trousers")
    if category == "lower":
        if clothing.dress or clothing.legs == "none":
            return (f"{title} is worn on the legs, and the photo shows no trousers or skirt to replace; use a photo "
                    "in trousers or jeans")
        return None
    if clothing.dress and category == "upper":
        return (f"{title} is a top, and the photo shows a dress: drawing a top over a dress is not believable yet; "
                "use a photo in a top and trousers or a skirt")
    if sleeves is not None and sleeves != clothing.sleeves:
        names = {"none": "no sleeves", "short": "short sleeves", "long": "long sleeves"}
        return (f"{title} has {names[sleeves]} and the photo shows {names[clothing.sleeves]}: arms cannot be "
                f"redrawn believably yet. Try a garment with {names[clothing.sleeves]}, or a photo in {names[sleeves]}")
    return None


def _fit_refusal(person: Person, garment: Garment, clothing: Clothing, category: str, title: str) -> str | None:
    """``refusal``'s reasons that need the garment's cut-out: a bottom's length, a top's hem."""
    if category == "lower":
        full = garment.legs or _long_bottom(garment)  # flares that touch read as a skirt's outline
        if full and clothing.legs != "full":
            return (f"{title} runs to the ankles, and the photo shows {clothing.legs}-length legwear: bare legs "
                    "cannot be covered believably yet. Use a photo in full-length trousers or jeans")
        if not full and clothing.legs == "full":
            return f"{title} is a skirt, and the photo shows trousers: use a photo in a skirt"
        return None
    body = clothing.upper & ~_sleeve_zone(person, clothing.upper.shape, clothing.sleeves)
    fit = fit_top(person, body, garment)
    if fit.hem < fit.old_hem - SHORTER * person.torso_length:
        kind = "dress" if category == "dress" else "top"
        return (f"{title} is shorter than the {kind} in the photo, which would show below it: what lies under it "
                f"cannot be redrawn believably yet. Try a longer garment, or a photo in a shorter {kind}")
    return None


def _long_bottom(garment: Garment) -> bool:
    """A bottom at least twice as long as its waist is wide: trousers (a maxi skirt is refused for trousers too,
    rightly: it would need the legs drawn away)."""
    k = garment.keypoints
    width = max(abs(k["waist_r"][0] - k["waist_l"][0]), 1.0)
    return (max(k["hem_l"][1], k["hem_r"][1]) - min(k["waist_l"][1], k["waist_r"][1])) > LONG_BOTTOM * width


def redraw(person: Person, clothing: Clothing, garment: Garment, category: str,
           colour: tuple[int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The photo with the garment drawn into the person's clothing region, and that region (HxW bool)."""
    texture = _bled(garment.image if colour is None else recolour(garment.image, garment.alpha, colour),
                    garment.alpha)
    worn = region = clothing.upper if category != "lower" else clothing.lower
    sleeves = np.zeros_like(region)
    if category == "lower":
        xs, ys = _map_rows(region, garment, ("waist", "hem"), runs=True)
    else:
        xs, ys, region, sleeves = _map_upper(person, region, garment)
    drawn = cv2.remap(texture, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if sleeves.any():  # sleeves take the product's sleeve colour along their length, without its grain
        soft = cv2.remap(cv2.blur(texture, (15, 15)), xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        drawn = np.where(sleeves[..., None], soft, drawn)
    region = _without_specks(region)
    shade = _shading(person, worn)
    shade *= _hem_shadow(person, region)
    lab = cv2.cvtColor(drawn, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] = np.clip(lab[..., 0] * shade, 0, 255)
    drawn = cv2.cvtColor(lab.astype(np.uint8), cv2.COLOR_LAB2RGB)
    alpha = cv2.GaussianBlur(region.astype(np.float32), (0, 0), 0.8)
    alpha = np.maximum(alpha, region)[..., None]  # soft outside the region only: no old pixel inside survives
    image = person.image.astype(np.float32) * (1 - alpha) + drawn.astype(np.float32) * alpha
    return np.clip(image, 0, 255).astype(np.uint8), region


def _without_specks(region: np.ndarray) -> np.ndarray:
    """The drawn region without pieces under 1% of its largest: a garment-coloured patch on an arm or in the hair."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), connectivity=8)
    if count <= 2:
        return region
    areas = stats[1:, cv2.CC_STAT_AREA]
    return np.isin(labels, np.flatnonzero(areas >= 0.01 * areas.max()) + 1)


def _hem_shadow(person: Person, region: np.ndarray, depth: int = 8) -> np.ndarray:
    """A soft shadow the drawn garment casts on what lies just below its edge (on the person only)."""
    shade = np.ones(region.shape, np.float32)
    for d in range(1, depth + 1):
        below = np.zeros_like(region)
        below[d:] = region[:-d]
        shade[below & ~region & (person.mask > 0.5)] *= 1 - 0.05 * (1 - d / depth)
    return np.maximum(shade, 0.7)


def recolour(rgb: np.ndarray, alpha: np.ndarray, target: tuple[int, int, int]) -> np.ndarray:
    """The garment in ``target`` colour (Lab): its median lands on the target, its own lightness variation (print,
    texture, folds) is kept at reduced amplitude so the colour reads as the one named."""
    inside = alpha > 0.5
    if not inside.any():
        return rgb
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    goal = cv2.cvtColor(np.uint8([[target]]), cv2.COLOR_RGB2LAB).astype(np.float32)[0, 0]
    median = np.median(lab[inside], axis=0)
    out = lab.copy()
    out[..., 0] = goal[0] + (lab[..., 0] - median[0]) * 0.7
    out[..., 1:] = goal[1:] + (lab[..., 1:] - median[1:]) * 0.25
    result = cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    return np.where(inside[..., None], result, rgb)


def _bled(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The product photo with every backdrop pixel replaced by the nearest garment pixel: a sample that lands a
    little outside the garment takes its edge colour, never the studio's white."""
    inside = cv2.erode((alpha > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0  # edges blend the backdrop
    outside = ~inside
    if not outside.any() or outside.all():
        return rgb
    _, (iy, ix) = ndimage.distance_transform_edt(outside, return_indices=True)
    return rgb[iy, ix]


@dataclass
class TopFit:
    """How a top (or dress) product sits on the person: rows of the product per row of the photo, anchored at the
    chest, and where its hem lands."""

    chest: float  # the person's chest row (armpit level)
    rows_per_row: float  # product rows per photo row
    product_chest: float  # the product's chest row (its armpits)
    hem: float  # the product's hem on the photo (row)
    old_hem: float  # the worn garment's hem (row)


def fit_top(person: Person, region: np.ndarray, garment: Garment) -> TopFit:
    """The product scaled so its chest (armpit to armpit, flat) wraps the worn garment's chest: a flat-lay shows
    half the girth, a body seen from the front about 1/WRAP of it; lengths are not foreshortened."""
    k, p = garment.keypoints, person.points
    shoulder_y = float((p["shoulder_l"][1] + p["shoulder_r"][1]) / 2)
    chest = shoulder_y + ARMPIT_DEPTH * person.torso_length
    widths = region.sum(axis=1)
    rows = np.flatnonzero(widths > 0.5 * np.median(widths[widths > 0])) if widths.any() else np.array([])
    old_hem = float(rows[-1]) if rows.size else chest  # the last full-width row: not a strip beside an arm
    row = int(np.clip(chest, 0, region.shape[0] - 1))
    span = _span(region[row]) or (0, 1)
    person_width = max(span[1] - span[0], 1.0)
    product_width = max(abs(k["armpit_r"][0] - k["armpit_l"][0]), 1.0)
    product_chest = (k["armpit_l"][1] + k["armpit_r"][1]) / 2
    rows_per_row = product_width / (WRAP * person_width)
    product_hem = max(k["hem_l"][1], k["hem_r"][1])
    hem = chest + (product_hem - product_chest) / rows_per_row
    if garment.category == "upper":  # ties and strings hanging below a top's hem are not its length
        hem = min(hem, shoulder_y + MAX_TOP_HEM * person.torso_length)
    return TopFit(chest, rows_per_row, product_chest, hem, old_hem)


def _map_upper(person: Person, region: np.ndarray, garment: Garment) -> tuple[np.ndarray, ...]:
    """Where in the product photo each pixel of a top's (or dress's) drawn region samples, that region (the worn
    garment's, less shadows beside the arms) and its sleeves. Body rows map between the torso's sides, scaled from
    the chest; sleeves along the arms. A longer product is drawn to the worn garment's hem, as if tucked in: a drawn
    extension over the trousers had the straight sides of a box (judged on every such tile), not a hem's drape."""
    zone = _sleeve_zone(person, region.shape, garment_sleeves(garment))
    fit = fit_top(person, region & ~zone, garment)
    region = region & (zone | _torso(person, region.shape, garment.category))  # not shadows beside the arms
    sleeves = region & zone
    body = region & ~sleeves
    k = garment.keypoints
    below_collar = min(k["neck_l"][1], k["neck_r"][1]) + COLLAR * abs(k["neck_r"][0] - k["neck_l"][0])
    rows = np.flatnonzero(body.any(axis=1))
    product_rows = np.maximum(fit.product_chest + (rows - fit.chest) * fit.rows_per_row, below_collar)
    xs, ys = _map_spans(body, rows, product_rows, k)
    if sleeves.any():
        sx, sy = _map_sleeves(person, sleeves, garment)
        xs, ys = np.where(sleeves, sx, xs), np.where(sleeves, sy, ys)
    return xs, ys, region, sleeves


def _map_spans(region: np.ndarray, rows: np.ndarray, product_rows: np.ndarray, k: dict) -> tuple[np.ndarray, ...]:
    """Each row of ``region`` (its steady span) onto the product's body span at the matching product row."""
    xs = np.zeros(region.shape, np.float32)
    ys = np.zeros(region.shape, np.float32)
    spans = _steady_spans(region, rows)
    product_l, product_r = _body_span(k, product_rows)
    for y, gy, ga, gb in zip(rows, product_rows, product_l, product_r, strict=True):
        a, b = spans[int(y)]
        columns = np.flatnonzero(region[y])
        xs[y, columns] = ga + (columns - a) / max(b - a, 1) * (gb - ga)
        ys[y, columns] = gy
    return xs, ys


def _torso(person: Person, shape: tuple[int, int], category: str) -> np.ndarray:
    """Where a top's body (or a dress) can be: between the shoulders and the hips, widened for a loose fit, and for a
    dress flaring below the hips to the bottom of the photo."""
    p = person.points
    wide = 0.22 * person.shoulder_width
    up = 0.5 * person.torso_length
    corners = [p["shoulder_l"] + (-0.08 * person.shoulder_width, -up), p["shoulder_r"] + (0.08 * person.shoulder_width,
               -up), p["hip_r"] + (wide, 0), p["hip_l"] + (-wide, 0)]
    if category == "dress":
        flare = float(shape[0]) - float(p["hip_l"][1])
        corners[2:] = [p["hip_r"] + (wide + 0.4 * flare, flare), p["hip_l"] + (-wide - 0.4 * flare, flare)]
    else:  # a long top below the hips hangs straight, to tunic length
        down = (MAX_TOP_HEM - 1) * person.torso_length
        corners[2:] = [p["hip_r"] + (wide, down), p["hip_l"] + (-wide, down)]
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, np.array(corners).astype(np.int32), 1)
    return mask > 0


def _sleeve_zone(person: Person, shape: tuple[int, int], sleeves: str) -> np.ndarray:
    """Where a sleeve can be: outside the torso (shoulders to hips, widened a little), above the armpits for short
    sleeves, along the arm (shoulder → elbow → wrist) for long ones; nowhere for a sleeveless garment."""
    zone = np.zeros(shape, bool)
    if sleeves == "none":
        return zone
    p = person.points
    margin = 0.1 * person.shoulder_width
    torso = np.zeros(shape, np.uint8)
    up = 0.5 * person.torso_length  # the neck and collar above the shoulder joints belong to the body
    # The shoulder seam sits over the shoulder joint: outside it is sleeve.
    seam = 0.06 * person.shoulder_width
    corners = [p["shoulder_l"] + (-seam, -up), p["shoulder_r"] + (seam, -up), p["hip_r"] + (margin, 0),
               p["hip_l"] + (-margin, 0)]
    cv2.fillConvexPoly(torso, np.array(corners).astype(np.int32), 1)
    armpits = float((p["shoulder_l"][1] + p["shoulder_r"][1]) / 2) + 0.3 * person.torso_length
    if sleeves == "short":  # above the armpits, and the upper arm's cap below them
        zone[: int(armpits)] = True
        arms = np.zeros(shape, np.uint8)
        for side in ("l", "r"):
            shoulder, elbow = p[f"shoulder_{side}"], p[f"elbow_{side}"]
            cv2.line(arms, _pixel(shoulder), _pixel(shoulder + 0.6 * (elbow - shoulder)), 1,
                     max(int(0.32 * person.shoulder_width), 1))
        zone |= arms > 0
    else:
        arms = np.zeros(shape, np.uint8)
        for side in ("l", "r"):
            chain = [_pixel(p[f"{part}_{side}"]) for part in ("shoulder", "elbow", "wrist")]
            cv2.polylines(arms, [np.array(chain, np.int32)], False, 1, max(int(0.3 * person.shoulder_width), 1))
        zone = arms > 0
        zone[: int(armpits)] = True
    return zone & (torso == 0)


def _map_rows(region: np.ndarray, garment: Garment, ends: tuple[str, str], runs: bool) -> tuple[np.ndarray, ...]:
    """Row-by-row mapping of ``region`` onto the garment between the key points ``ends`` (top, bottom). Each row of
    the region spans its leftmost to rightmost pixel (``runs``: each separate run, e.g. each leg, maps onto the
    garment's run of the same rank when the counts agree)."""
    height, width = region.shape
    k = garment.keypoints
    g_top = min(k[f"{ends[0]}_l"][1], k[f"{ends[0]}_r"][1])
    g_bottom = max(k[f"{ends[1]}_l"][1], k[f"{ends[1]}_r"][1])
    xs = np.zeros(region.shape, np.float32)
    ys = np.zeros(region.shape, np.float32)
    rows = np.flatnonzero(region.any(axis=1))
    if rows.size == 0:
        return xs, ys
    top, bottom = rows[0], max(rows[-1], rows[0] + 1)
    person_rows, garment_rows = [top, bottom], [g_top, g_bottom]
    inside = garment.alpha > 0.5
    spans = _steady_spans(region, rows)
    for y in rows:
        gy = float(np.interp(y, person_rows, garment_rows))
        gy_i = int(np.clip(round(gy), 0, inside.shape[0] - 1))
        person_runs = _runs(region[y]) if runs else [spans[y]]
        garment_runs = _runs(inside[gy_i]) if runs else [tuple(map(float, _body_span(k, gy)))]
        if not garment_runs:
            garment_runs = [(0, inside.shape[1] - 1)]
        if len(garment_runs) != len(person_runs):
            person_runs, garment_runs = [_span(region[y])], [(garment_runs[0][0], garment_runs[-1][1])]
        row = np.flatnonzero(region[y])
        for (a, b), (ga, gb) in zip(person_runs, garment_runs, strict=True):
            columns = row if len(person_runs) == 1 else row[(row >= a) & (row <= b)]
            t = (columns - a) / max(b - a, 1)
            xs[y, columns] = ga + t * (gb - ga)
            ys[y, columns] = gy
    return xs, ys


def _steady_spans(region: np.ndarray, rows: np.ndarray) -> dict[int, tuple[float, float]]:
    """Each row's leftmost and rightmost pixel, smoothed down the rows: a span that jumps from one row to the next
    (a hand at the side, a stray pixel) would shear a print."""
    raw = np.array([_span(region[y]) for y in rows], np.float32)
    size = 41  # rows: an arm at the hip hides the side for a few dozen rows
    smooth = np.stack([ndimage.median_filter(raw[:, i], size=size, mode="nearest") for i in (0, 1)], axis=1)
    smooth = ndimage.uniform_filter1d(smooth, size=size, axis=0, mode="nearest")
    return {int(y): (float(a), float(b)) for y, (a, b) in zip(rows, smooth, strict=True)}


def _body_span(k: dict, gy):
    """The garment's body (sleeves left out) at row(s) ``gy``: between its side lines shoulder → armpit → waist →
    hem. A float gives floats, an array arrays."""
    def side(s: str):
        points = sorted((k[f"{name}_{s}"] for name in ("shoulder", "armpit", "waist", "hem")), key=lambda q: q[1])
        return np.interp(gy, [q[1] for q in points], [q[0] for q in points])

    return side("l"), side("r")


def _map_sleeves(person: Person, sleeves: np.ndarray, garment: Garment) -> tuple[np.ndarray, np.ndarray]:
    """Each sleeve pixel by its place along its sleeve (0 at the armhole, 1 at the cuff) and across it, onto the
    same place of the product photo's sleeve on that side. Both sleeves are read in their own principal axes."""
    xs = np.zeros(sleeves.shape, np.float32)
    ys = np.zeros(sleeves.shape, np.float32)
    garment_sleeves_mask = _garment_sleeve_masks(garment)
    centre_x = float((person.points["shoulder_l"][0] + person.points["shoulder_r"][0]) / 2)
    columns = np.arange(sleeves.shape[1])[None, :]
    for side in ("l", "r"):
        mine = sleeves & ((columns < centre_x) if side == "l" else (columns >= centre_x))
        theirs = garment_sleeves_mask[side]
        if mine.sum() < 20 or theirs.sum() < 20:
            continue
        yy, xx = np.nonzero(mine)
        pixels = np.stack([xx, yy], axis=1).astype(np.float32)
        along = _project(pixels, *_frame(pixels, centre_x))[0]
        gy, gx = np.nonzero(theirs)
        g_pixels = np.stack([gx, gy], axis=1).astype(np.float32)
        frame = _frame(g_pixels, garment.image.shape[1] / 2)
        g_along, g_across = _project(g_pixels, *frame)
        low, high = np.percentile(g_along, [8, 92])  # inside the sleeve: its very ends blend the backdrop
        a = _unit(along) * (high - low) + low
        # Along the sleeve only: its centre line carries the colour, cuff and trim; the old sleeve's folds
        # (shading) give it body. Mapping across as well put the body's colour on the sleeves' edges.
        c = np.full_like(a, np.median(g_across))
        target = frame[0] + a[:, None] * frame[1] + c[:, None] * frame[2]
        xs[yy, xx], ys[yy, xx] = target[:, 0], target[:, 1]
    return xs, ys


def _garment_sleeve_masks(garment: Garment) -> dict[str, np.ndarray]:
    """The product photo's sleeves: garment pixels outside the body's side lines, left and right."""
    inside = garment.alpha > 0.5
    rows = np.arange(inside.shape[0])
    spans = np.stack(_body_span(garment.keypoints, rows.astype(np.float64)), axis=1)
    columns = np.arange(inside.shape[1])[None, :]
    bottom = max(garment.keypoints["armpit_l"][1], garment.keypoints["armpit_r"][1]) + 0.05 * inside.shape[0]
    below = rows[:, None] > bottom
    sleeves_l = inside & (columns < spans[:, :1] - 2) & ~(below & (columns > spans[:, :1] - 0.04 * inside.shape[1]))
    sleeves_r = inside & (columns > spans[:, 1:] + 2) & ~(below & (columns < spans[:, 1:] + 0.04 * inside.shape[1]))
    return {"l": sleeves_l, "r": sleeves_r}


def _frame(pixels: np.ndarray, centre_x: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin, along-axis and across-axis of a sleeve's pixels: the along axis points away from the body's centre
    line, the across axis upwards, so both sleeves (and photo and person) read the same way."""
    mean = pixels.mean(axis=0)
    _, _, vt = np.linalg.svd(pixels - mean, full_matrices=False)
    along = vt[0]
    if (mean[0] - centre_x) * along[0] < 0:
        along = -along
    across = np.array([-along[1], along[0]])
    if across[1] > 0:
        across = -across
    return mean, along, across


def _project(pixels: np.ndarray, origin: np.ndarray, along: np.ndarray, across: np.ndarray):
    rel = pixels - origin
    return rel @ along, rel @ across


def _unit(values: np.ndarray) -> np.ndarray:
    """``values`` rescaled to [0, 1] between their 1st and 99th percentiles."""
    low, high = np.percentile(values, [1, 99])
    return np.clip((values - low) / max(high - low, 1e-3), 0, 1)


def _shading(person: Person, region: np.ndarray) -> np.ndarray:
    """The old garment's folds as a multiplier around 1. Its print (a logo box, a stripe: colour far from the
    garment's own) is left out of both blurs, so it does not carry over as a dark or light patch."""
    lab = cv2.cvtColor(person.image, cv2.COLOR_RGB2LAB).astype(np.float32)
    lightness = lab[..., 0] + 1
    fabric = region.copy()
    if region.sum() > 100:
        median = np.median(lab[region], axis=0)
        fabric &= np.linalg.norm(lab - median, axis=2) < PRINT_DISTANCE
        fabric = fabric if fabric.sum() > 0.3 * region.sum() else region  # all print: nothing to tell apart
    weight = fabric.astype(np.float32)
    fold = _masked_blur(lightness, weight, 0.02 * person.torso_length + 1)
    body = _masked_blur(lightness, weight, 0.1 * person.torso_length + 1)  # an old logo box is body scale
    shade = np.clip((fold + 1e-3) / (body + 1e-3), *_SHADE_CLIP) ** _SHADE_STRENGTH
    shade = cv2.medianBlur(shade.astype(np.float32), 5)
    return np.where(region, shade, 1.0).astype(np.float32)


def _masked_blur(values: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``values`` over the pixels where ``weight`` is 1 (normalised convolution); wide blurs run on
    a smaller copy."""
    factor = 4 if sigma > 16 else 2 if sigma > 4 else 1
    size = (values.shape[1] // factor, values.shape[0] // factor)
    small_v, small_w = (cv2.resize(x, size, interpolation=cv2.INTER_AREA) for x in (values * weight, weight))
    sigma = max(sigma / factor, 0.5)
    blurred = cv2.GaussianBlur(small_v, (0, 0), sigma) / (cv2.GaussianBlur(small_w, (0, 0), sigma) + 1e-3)
    return cv2.resize(blurred, (values.shape[1], values.shape[0]), interpolation=cv2.INTER_LINEAR)


def _span(row: np.ndarray) -> tuple[int, int] | None:
    found = np.flatnonzero(row)
    return (int(found[0]), int(found[-1])) if found.size else None


def _runs(row: np.ndarray, min_gap: int = 3) -> list[tuple[int, int]]:
    found = np.flatnonzero(row)
    if not found.size:
        return []
    breaks = np.flatnonzero(np.diff(found) > min_gap)
    starts = np.concatenate([[found[0]], found[breaks + 1]])
    ends = np.concatenate([found[breaks], [found[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _pixel(point: np.ndarray) -> tuple[int, int]:
    return int(round(float(point[0]))), int(round(float(point[1])))
