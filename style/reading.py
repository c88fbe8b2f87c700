"""Read a style Recipe from pictures: a stylist's reference picture, or a shopper's product photos (their taste).

    reading = read_style([Image.open("reference.jpg")])
    reading.recipe        # Recipe(palette=("navy", "white"), prints=("stripe",), fabric="cotton", scale="medium")
    reading.description   # "cool neutrals (navy, white); medium stripes"
    read_style(photos, masks)  # product photos on a backdrop, each with its garment mask (1 = garment)

How, on each picture cropped to its garment and shrunk to 256 px (long side):
- light: a product photo's light, plain backdrop is taken as the studio's white (per-channel gain), so a white
  shirt shot on light grey reads white.
- palette: k-means (6 clusters, fixed seed) in CIE Lab on a grid of at most 128 px; clusters closer than
  CIEDE2000 8 merged; clusters of edge pixels lying between two larger colours dropped (a print's edges blend
  its colours); under 3% of the area dropped. Each is named by the nearest vocabulary colour
  (tryon.COLOUR_RGB) in CIEDE2000, neutral or tinted first (see _nearest_name). Ground (largest) first.
  Several pictures pool their clusters by garment area.
- print: how many of the garment's cells hold sharp colour edges (coverage) separates printed from plain; the
  direction of those edges separates stripes (one direction) and checks (two at right angles) from the rest;
  the patches in colours clearly off the ground separate polka dots (at least 8 round, equal, evenly spaced),
  camo (big patches in 3-4 muted, tinted colours) and florals (the rest; small ones are "ditsy floral"). Few
  edges but big crisp patches is a big print; two very different plain areas with a sharp border are
  "colour block". Checks: gingham (2 colours), plaid (large), tartan (3 colours or more; the blend where bands
  cross is not a colour). Thin lines on a dark ground covering most of it: pinstripe.
- scale: the print's period (the power spectrum's peak; a dot lattice's spacing; for blob prints at most twice
  the typical patch) against the garment's width, taken as 60 cm: under 3 cm small, over 8 cm large.
- fabric: cotton unless a plain garment clearly shows otherwise (a mid indigo blue: denim; dark and glossy:
  leather or velvet; broad highlights on a smooth light fabric: satin). finish: "faded" for a lifted,
  low-chroma, warm palette.
- no readable style: a whole picture (no mask) in one flat near-neutral colour raises RestyleError.

Limits: paisley, leopard, tie-dye, lace, ikat, argyle and herringbone are not told apart (they read as floral,
camo or solid); prints finer than ~1/100 of the garment (fine shirt stripes, melange, knit stitches, twill) are
below the working resolution and read as plain; a placement print (a logo, a big motif on a plain tee) reads as
plain; the vocabulary's swatches are saturated (CSS-like), so a dark navy garment may read as cobalt or
charcoal and a studio black as charcoal; everything inside the mask counts, so a mask that holds a model's
skin, hair and other clothes puts them in the palette and the print. Fabric rules are conservative and were
not checked on labelled fabrics (none were at hand).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from scipy.spatial import cKDTree
from skimage.color import deltaE_ciede2000
from sklearn.cluster import KMeans

from tryon import COLOUR_RGB

from .errors import RestyleError
from .recipes import Recipe

_TEXTURE_SIDE = 256  # working size for texture (long side of the garment's crop)
_PALETTE_SIDE = 128  # k-means runs on at most this grid
_MIN_SIDE = 16
_MIN_AREA = 0.01  # a mask under 1% of the picture (or 64 px) is too little garment to read
_MIN_PIXELS = 64
_CLUSTERS = 6
_MERGE_DE = 8.0  # CIEDE2000 below which two clusters are one colour
_MIN_SHARE = 0.03  # colours under 3% of the area are specks, not palette
_OFF_GROUND = 20.0  # CIEDE2000 from the ground beyond which a colour is print, not the ground's shading
_GARMENT_CM = 60.0
_UNNAMED = frozenset({"multicolour", "transparent", "metallic", "skin", "nude"})

# Texture thresholds, chosen on a plateau of solid-vs-printed accuracy on H&M studio photos (see the report).
_EDGE = 10.0  # colour gradient (Lab units a pixel) of a print's edge; folds and shading mostly stay under it
_CELL = 0.08  # a garment cell with edges on this share of its pixels holds print
_PRINTED = 0.35  # printed all over: this share of the garment's cells hold print (a logo or seams hold fewer)


def _vocabulary() -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(n for n in COLOUR_RGB if n not in _UNNAMED)
    rgb = np.array([COLOUR_RGB[n] for n in names], np.float32)[None] / 255
    return names, cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)[0]


_NAMES, _NAME_LAB = _vocabulary()
_NAME_CHROMA = np.hypot(_NAME_LAB[:, 1], _NAME_LAB[:, 2])


@dataclass(frozen=True)
class Reading:
    """The Recipe read from the pictures, and what was read in words for a stylist."""

    recipe: Recipe
    description: str  # plain words for a stylist: palette mood + named colours; print (with size); fabric/finish


@dataclass(frozen=True)
class _Picture:
    """What one picture shows: its colour clusters (Lab centres, area shares) and its texture."""

    centres: np.ndarray  # (k, 3) Lab, largest first
    shares: np.ndarray  # (k,) fractions of the garment's area, summing to 1
    area: int  # garment pixels at working size
    print: str
    size_cm: float  # the print's period or motif size, 0 for plain
    fabric: str
    flat: bool  # a whole picture (no mask) in one even colour: a swatch or a blank frame, not a garment


def read_style(images: list[Image.Image], masks: list[np.ndarray | None] | None = None) -> Reading:
    """Read a Recipe from one reference picture or several product photos (a taste).

    masks[i]: HxW (float or bool, 1 = garment) for product photos on a backdrop; None = use the whole picture.
    Several images (a taste): the palette comes from all of them weighted by area; the print is the most common
    non-solid print if at least a third of the images show it, else solid."""
    if not images:
        raise RestyleError("reference pictures: none given; pass at least one picture")
    if masks is None:
        masks = [None] * len(images)
    if len(masks) != len(images):
        raise RestyleError(f"reference pictures: {len(images)} pictures but {len(masks)} masks; pass one each")
    single = len(images) == 1
    pictures = [
        _read_picture(image, mask, "reference picture" if single else f"reference picture {i + 1}")
        for i, (image, mask) in enumerate(zip(images, masks, strict=True))
    ]
    centres, shares = _pool(pictures)
    names, centres, shares = _name(centres, shares)
    print_, size_cm = _vote(pictures)
    if print_ == "solid" and _is_flat_neutral(names, centres, pictures):
        raise RestyleError(f"reference picture: no readable style (one flat {names[0]}, no print or texture); "
                           "use a picture with colour or a print")
    fabric = Counter(p.fabric for p in pictures).most_common(1)[0][0]
    finish = ("faded",) if _faded(centres, shares) else ()
    scale = _scale(size_cm) if print_ != "solid" else "medium"
    recipe = Recipe(palette=names, prints=(print_,), fabric=fabric, finish=finish, scale=scale)
    return Reading(recipe, _describe(recipe, centres, shares))


# --- one picture ----------------------------------------------------------------------------------------------
def _read_picture(image: Image.Image, mask: np.ndarray | None, label: str) -> _Picture:
    lab, inside = _prepare(image, mask, label)
    gradient = _gradient(lab)
    magnitude = np.sqrt((gradient**2).sum(axis=(2, 3)))
    # Sobel reaches one pixel out: keep texture measures off the silhouette's own edge.
    interior = cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) if mask is not None \
        else inside
    if interior.sum() < 64:
        interior = inside
    centres, shares = _clusters(lab, interior, magnitude)
    print_, size_cm = _print(lab, interior, gradient, magnitude, centres, shares)
    if print_ in ("gingham", "plaid", "tartan"):
        centres, shares = _woven(centres, shares)
    fabric = _fabric(lab, interior, magnitude) if print_ == "solid" else "cotton"
    # Under one Lab unit of variation is a swatch; a photographed garment varies by more (folds, light, weave).
    flat = mask is None and float(lab[interior].std(axis=0).max()) < 1.0
    return _Picture(centres, shares, int(interior.sum()), print_, size_cm, fabric, flat)


def _prepare(image: Image.Image, mask: np.ndarray | None, label: str) -> tuple[np.ndarray, np.ndarray]:
    """The garment's crop in Lab at working size, and where the garment is in it."""
    rgb = np.asarray(image.convert("RGB"))
    h, w = rgb.shape[:2]
    if min(h, w) < _MIN_SIDE:
        raise RestyleError(f"{label}: too small ({w}x{h} px); use a picture at least {_MIN_SIDE} px a side")
    if mask is None:
        keep = np.ones((h, w), bool)
    else:
        keep = np.asarray(mask)
        if keep.shape != (h, w):
            raise RestyleError(f"{label}: mask is {keep.shape[1::-1]} but the picture is {w}x{h}; pass one per pixel")
        keep = keep.astype(np.float32) > 0.5
    tiny = RestyleError(f"{label}: the garment mask covers only {keep.mean():.1%} of the picture, too little to "
                        "read; pass a mask of the garment (1 = garment) or none")
    if keep.mean() < _MIN_AREA or keep.sum() < _MIN_PIXELS:
        raise tiny
    gain = _white_point(rgb, keep) if mask is not None else np.ones(3, np.float32)
    ys, xs = np.nonzero(keep)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    rgb, keep = rgb[top:bottom, left:right], keep[top:bottom, left:right]
    factor = min(1.0, _TEXTURE_SIDE / max(rgb.shape[:2]))
    size = (max(1, round(rgb.shape[1] * factor)), max(1, round(rgb.shape[0] * factor)))
    if factor < 1:
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        keep = cv2.resize(keep.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5
        if keep.sum() < _MIN_SIDE:  # a scattered mask (specks over a big picture) shrinks to nothing
            raise tiny
    # Unclipped after the gain: a white shirt keeps its folds.
    lab = cv2.cvtColor(rgb.astype(np.float32) * (gain / 255), cv2.COLOR_RGB2Lab)
    return lab, keep


def _white_point(rgb: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Per-channel gain that makes a light, near-neutral studio backdrop white: a product photo's exposure and
    cast are the studio's, and a white shirt shot on light grey is white, not light grey. Ones when the backdrop
    is not such a backdrop (a street, a coloured wall) or there is too little of it."""
    step = max(1, max(rgb.shape[:2]) // 256)  # a coarse grid is plenty for a median
    around = cv2.dilate(keep[::step, ::step].astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    backdrop = rgb[::step, ::step][around]
    if len(backdrop) < 0.05 * around.size:
        return np.ones(3, np.float32)
    median = np.median(backdrop, axis=0).astype(np.float32)
    plain = median.min() >= 180 and median.max() - median.min() <= 25
    return 255 / median if plain else np.ones(3, np.float32)


def _gradient(lab: np.ndarray) -> np.ndarray:
    """Per-pixel colour gradients (H, W, 3 channels, 2 directions) in Lab units a pixel."""
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3) / 8
    return np.stack([gx, gy], axis=-1)


def _clusters(lab: np.ndarray, inside: np.ndarray, magnitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Colour clusters of the garment: Lab centres and area shares, largest first."""
    step = max(1, int(np.ceil(max(lab.shape[:2]) / _PALETTE_SIDE)))
    grid = np.zeros_like(inside)
    grid[::step, ::step] = True
    if (grid & inside).sum() < _CLUSTERS:  # a thin garment can slip between the grid's points
        grid[:] = True
    pixels, steepness = lab[grid & inside], magnitude[grid & inside]
    # Each rounded colour once (as an integer key: fast): flat swatches then hold fewer colours than clusters.
    rounded = np.round(pixels).astype(np.int64) + [0, 128, 128]
    keys, first, counts = np.unique((rounded[:, 0] * 256 + rounded[:, 1]) * 256 + rounded[:, 2], return_index=True,
                                    return_counts=True)
    k = min(_CLUSTERS, len(keys))
    kmeans = KMeans(k, n_init=1, random_state=0).fit(pixels[first], sample_weight=counts)
    weights = np.bincount(kmeans.labels_, weights=counts, minlength=k)
    centres, shares = _merge(kmeans.cluster_centers_.astype(np.float32), weights / weights.sum())
    # A print's edges blend its colours: a cluster of edge pixels lying between two larger colours is that blend.
    nearest = np.argmin(np.linalg.norm(pixels[:, None] - centres[None], axis=-1), axis=1)
    keep = np.ones(len(centres), bool)
    for c in range(len(centres)):
        edge = (nearest == c).any() and np.median(steepness[nearest == c]) > _EDGE
        keep[c] = not (edge and _between(c, centres, [i for i in range(len(centres)) if shares[i] > shares[c]]))
    return centres[keep], shares[keep] / shares[keep].sum()


def _between(c: int, centres: np.ndarray, others: list[int]) -> bool:
    """Whether colour c lies on the way between two of the others: near the Lab segment joining them (within 10
    units, or a fifth of its length: a blend of two far colours bows away from the straight line in Lab)."""
    for i in others:
        for j in others:
            if i < j:
                span = centres[j] - centres[i]
                length = float(np.linalg.norm(span))
                t = float(np.dot(centres[c] - centres[i], span)) / max(length**2, 1e-6)
                off = float(np.linalg.norm(centres[i] + t * span - centres[c]))
                if 0.1 < t < 0.9 and off < max(10.0, 0.2 * length):
                    return True
    return False


def _merge(centres: np.ndarray, shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge clusters closer than _MERGE_DE (closest pair first), largest first."""
    centres, shares = list(centres), list(shares)
    while len(centres) > 1:
        de = deltaE_ciede2000(np.array(centres)[:, None], np.array(centres)[None])
        np.fill_diagonal(de, np.inf)
        i, j = np.unravel_index(np.argmin(de), de.shape)
        if de[i, j] >= _MERGE_DE:
            break
        total = shares[i] + shares[j]
        centres[i] = (centres[i] * shares[i] + centres[j] * shares[j]) / total
        shares[i] = total
        del centres[j], shares[j]
    order = np.argsort(shares)[::-1]
    return np.array(centres)[order], np.array(shares)[order]


# --- prints ---------------------------------------------------------------------------------------------------
def _print(lab: np.ndarray, inside: np.ndarray, gradient: np.ndarray, magnitude: np.ndarray, centres: np.ndarray,
           shares: np.ndarray) -> tuple[str, float]:
    """The print one picture shows, and its period (or motif size) in cm."""
    texture = _texture(lab, inside, gradient, magnitude)
    cm = _GARMENT_CM / max(texture.width_px, 1.0)
    blobs = _Blobs.of(lab, inside, magnitude, centres)
    # Few cells hold edges: plain fabric, colour blocks, or a print of big patches (camo, big florals).
    big_print = blobs.share >= 0.15 and blobs.patches >= 4 and blobs.crisp >= 0.5
    if texture.coverage < _PRINTED and not big_print:
        return ("colour block", blobs.size * cm) if _colour_block(centres, shares, blobs) else ("solid", 0.0)
    period = texture.period_px * cm
    if texture.across >= 0.2 and texture.along + texture.across >= 0.6:  # two edge directions at right angles
        return _check(centres, shares, period), period
    if texture.along >= 0.55 and texture.across < 0.2:  # one edge direction
        thin = shares[0] >= 0.8 and centres[0][0] < 35  # sparse lines on a dark ground
        return ("pinstripe" if thin else "stripe"), period
    if blobs.dot_spacing:
        return "polka dot", blobs.dot_spacing * cm
    # A motif repeats at about twice its size; where motifs touch (one network of patches) the spectrum says.
    motif = min(2 * blobs.size * cm, period)
    if _camo(centres, shares, blobs, texture.width_px):
        return "camo", motif
    return ("ditsy floral" if _scale(motif) == "small" else "floral"), motif


def _check(centres: np.ndarray, shares: np.ndarray, period_cm: float) -> str:
    """Gingham (two colours, small to medium), plaid (large) or tartan (three colours or more)."""
    main = _woven(centres, shares)[1] >= 0.05
    if main.sum() >= 3:
        return "tartan"
    return "plaid" if _scale(period_cm) == "large" else "gingham"


def _woven(centres: np.ndarray, shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A check's own colours: where its bands cross they blend, and a colour between two others is that blend
    (gingham's pink between white and red), not a colour of the cloth."""
    main = [i for i in range(len(centres)) if shares[i] >= 0.05]
    keep = np.array([not _between(c, centres, [i for i in main if i != c]) for c in range(len(centres))])
    return centres[keep], shares[keep] / shares[keep].sum()


@dataclass(frozen=True)
class _Blobs:
    """The patches in colours clearly off the ground (shades of the ground are shading, not print): how much of
    the garment they cover, how many there are, their size, and the spacing of a regular dot lattice."""

    share: float  # of the garment's area
    patches: int  # patches of at least 0.5% of the garment
    largest: float  # the largest patch's share of the garment
    crisp: float  # share of the patches' outline on a sharp edge (print) rather than a soft one (shading, dye)
    size: float  # typical patch diameter in pixels (area-weighted median)
    dot_spacing: float  # centre-to-centre spacing of round, equal, evenly spaced patches; 0 when they are not

    @classmethod
    def of(cls, lab: np.ndarray, inside: np.ndarray, magnitude: np.ndarray, centres: np.ndarray) -> _Blobs:
        off = np.flatnonzero(deltaE_ciede2000(centres[:1], centres) >= _OFF_GROUND)
        nearest = np.argmin(np.linalg.norm(lab[..., None, :] - centres, axis=-1), axis=-1)
        off_ground = inside & np.isin(nearest, off)
        _, _, stats, middle = cv2.connectedComponentsWithStats(off_ground.astype(np.uint8), connectivity=8)
        real = stats[1:, cv2.CC_STAT_AREA] >= 4  # label 0 is the ground; specks of 1-3 px are noise
        stats, middle = stats[1:][real], middle[1:][real]
        if not len(stats):
            return cls(0.0, 0, 0.0, 0.0, 0.0, 0.0)
        outline = off_ground & ~cv2.erode(off_ground.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        crisp = float((magnitude[outline] > _EDGE / 2).mean()) if outline.any() else 0.0
        area = stats[:, cv2.CC_STAT_AREA].astype(float)
        garment = float(inside.sum())
        order = np.argsort(area)
        half = np.searchsorted(np.cumsum(area[order]), area.sum() / 2)
        size = float(np.sqrt(4 * area[order][half] / np.pi))
        return cls(float(area.sum() / garment), int((area >= 0.005 * garment).sum()), float(area.max() / garment),
                   crisp, size, _dot_spacing(stats, middle))


def _dot_spacing(stats: np.ndarray, middle: np.ndarray) -> float:
    """Spacing of the blobs that are round (a disc fills ~79% of its box), of one size, at least 8 of them,
    carry most of the off-ground area and sit evenly (nearest neighbours at a steady distance); else 0."""
    area = stats[:, cv2.CC_STAT_AREA].astype(float)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    fill, aspect = area / (w * h), w / h
    round_ = (area >= 9) & (fill > 0.55) & (fill < 0.95) & (aspect > 0.6) & (aspect < 1 / 0.6)
    if round_.sum() < 8:
        return 0.0
    typical = np.median(area[round_])
    dots = round_ & (area > typical / 2.5) & (area < typical * 2.5)
    if dots.sum() < 8 or area[dots].sum() < 0.6 * area.sum():
        return 0.0
    nearest = cKDTree(middle[dots]).query(middle[dots], k=2)[0][:, 1]
    return float(np.median(nearest)) if nearest.std() < 0.3 * nearest.mean() else 0.0


def _colour_block(centres: np.ndarray, shares: np.ndarray, blobs: _Blobs) -> bool:
    """Plain fabric in large areas of clearly different colours with sharp borders (a shade of the ground is a
    shadow; a soft border is a dip-dye)."""
    big = [c for c, s in zip(centres[1:], shares[1:], strict=True) if s >= 0.15]
    distinct = any(float(deltaE_ciede2000(centres[0], c)) >= 30 for c in big)
    return distinct and blobs.largest >= 0.1 and blobs.crisp >= 0.5


def _camo(centres: np.ndarray, shares: np.ndarray, blobs: _Blobs, width_px: float) -> bool:
    """Big irregular patches in three or four muted colours, at least two of them tinted (olive, khaki, brown:
    a print in greys is not camo)."""
    main = centres[shares >= 0.08]
    chroma = np.hypot(main[:, 1], main[:, 2])
    muted = 3 <= len(main) <= 4 and bool((chroma < 30).all()) and (chroma >= 8).sum() >= 2
    return muted and blobs.patches >= 5 and blobs.size >= 0.08 * width_px


def _scale(size_cm: float) -> str:
    """A print's period against a garment ~60 cm wide: under 3 cm is small (pinstripes, gingham, ditsy),
    over 8 cm large (buffalo checks, big florals)."""
    return "small" if size_cm < 3 else "medium" if size_cm <= 8 else "large"


@dataclass(frozen=True)
class _Texture:
    """Texture measures of one garment at working size."""

    coverage: float  # share of the garment's cells that hold sharp colour edges
    along: float  # share of edge strength within 12 degrees of its main direction (1/7.5 when isotropic)
    across: float  # the same, at right angles to the main direction
    period_px: float  # the strongest repeat's period
    width_px: float  # the garment's width


def _texture(lab: np.ndarray, inside: np.ndarray, gradient: np.ndarray, magnitude: np.ndarray) -> _Texture:
    """Coverage on a grid of ~16 cells across the crop, edge directions and the main repeat."""
    strong = (magnitude > _EDGE) & inside
    cell = max(4, round(max(lab.shape[:2]) / 16))
    grid = (max(1, lab.shape[1] // cell), max(1, lab.shape[0] // cell))
    edges = cv2.resize(strong.astype(np.float32), grid, interpolation=cv2.INTER_AREA)
    garment = cv2.resize(inside.astype(np.float32), grid, interpolation=cv2.INTER_AREA) >= 0.5
    coverage = float((edges[garment] >= _CELL).mean()) if garment.any() else 0.0
    along, across = _orientation(gradient, strong)
    return _Texture(coverage, along, across, _period(lab, inside), float(inside.any(axis=0).sum()))


def _orientation(gradient: np.ndarray, strong: np.ndarray) -> tuple[float, float]:
    """Shares of edge strength along the main gradient direction and at right angles to it (structure tensor,
    summed over the Lab channels, per pixel)."""
    if strong.sum() < 16:
        return 0.0, 0.0
    g = gradient[strong]  # (n, 3, 2)
    jxx, jyy, jxy = (g[..., 0] ** 2).sum(1), (g[..., 1] ** 2).sum(1), (g[..., 0] * g[..., 1]).sum(1)
    angle = np.degrees(0.5 * np.arctan2(2 * jxy, jxx - jyy)) % 180
    histogram = np.bincount(angle.astype(int) % 180, weights=np.sqrt(jxx + jyy), minlength=180)
    window = np.convolve(np.tile(histogram, 3), np.ones(25), mode="same")[180:360] / histogram.sum()
    main = int(np.argmax(window))
    return float(window[main]), float(window[(main + 90) % 180])


def _period(lab: np.ndarray, inside: np.ndarray) -> float:
    """Period in pixels of the strongest repeat (the power spectrum's peak) of the garment's main colour axis."""
    values = lab[inside]
    mean = values.mean(axis=0)
    axis = np.linalg.svd(values - mean, full_matrices=False)[2][0]
    x = np.where(inside, (lab - mean) @ axis, 0.0)
    h, w = x.shape
    x = x * np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.rfft2(x)) ** 2
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None]
    f = np.hypot(fx, fy)
    # Repeats between 2 px and half the garment: longer ones are shading and the silhouette.
    power[(f < 2 / max(h, w)) | (f > 0.5)] = 0
    peak = np.unravel_index(np.argmax(power), power.shape)
    return float(1 / f[peak]) if power[peak] > 0 else 0.0


# --- fabric -----------------------------------------------------------------------------------------------------
def _fabric(lab: np.ndarray, inside: np.ndarray, magnitude: np.ndarray) -> str:
    """The fabric of a plain garment where its look says so clearly, else cotton. Sheen is how far the brightest
    1% of the garment rises above its median lightness; a gloss counts only on a smooth garment (fine lightness
    texture after a 1.5 px blur under 3 units) with almost no sharp edges (zips, trims and logos shine too).
    - denim: a mid indigo-to-blue ground (hue 250-295, chroma 18-45, lightness 30-60) that is not flat;
    - velvet: dark and saturated, with the pile's bright crests; leather: dark and near-neutral, with strong
      highlights; satin: lighter, with broad bright highlights over a wide range of lightness.
    Twill lines and knit stitches are finer than the working resolution of most photos, so they are not read."""
    values = lab[inside]
    lightness, a, b = np.median(values, axis=0)
    chroma, hue = float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a)) % 360)
    fine = float((lab[..., 0] - cv2.GaussianBlur(lab[..., 0], (0, 0), 1.5))[inside].std())
    if 250 <= hue <= 295 and 18 <= chroma <= 45 and 30 <= lightness <= 60 and fine >= 1.5:
        return "denim"
    smooth = fine < 3 and float((magnitude[inside] >= _EDGE).mean()) < 0.03
    sheen = float(np.percentile(values[:, 0], 99) - lightness)
    spread = float(np.percentile(values[:, 0], 95) - np.percentile(values[:, 0], 5))
    if not smooth:
        return "cotton"
    if lightness < 30 and chroma >= 20 and sheen >= 25:
        return "velvet"
    if lightness < 30 and chroma < 10 and sheen >= 50:
        return "leather"
    if lightness >= 30 and sheen >= 20 and spread >= 30:
        return "satin"
    return "cotton"


# --- pooling, naming, words -----------------------------------------------------------------------------------
def _pool(pictures: list[_Picture]) -> tuple[np.ndarray, np.ndarray]:
    """All pictures' colour clusters weighted by garment area, merged, specks dropped."""
    total = sum(p.area for p in pictures)
    centres = np.concatenate([p.centres for p in pictures])
    shares = np.concatenate([p.shares * p.area / total for p in pictures])
    centres, shares = _merge(centres, shares)
    keep = shares >= _MIN_SHARE
    return centres[keep], shares[keep] / shares[keep].sum()


def _name(centres: np.ndarray, shares: np.ndarray) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Vocabulary names (at most 5, largest first), with the Lab centre and area share each name stands for."""
    nearest = [_nearest_name(c) for c in centres]
    named: dict[str, list] = {}
    for i, (centre, share) in zip(nearest, zip(centres, shares, strict=True), strict=True):
        name = _NAMES[i]
        if name in named:  # two shades with one name are one palette colour (the larger keeps its centre)
            named[name][1] += share
        else:
            named[name] = [centre, share]
    top = sorted(named.items(), key=lambda item: -item[1][1])[:5]
    return (tuple(n for n, _ in top), np.array([c for _, (c, _) in top]), np.array([s for _, (_, s) in top]))


def _nearest_name(lab: np.ndarray) -> int:
    """The vocabulary colour nearest in CIEDE2000, with a shortfall in chroma counted half (kC=2): a photographed
    fabric is duller than the swatch it was dyed to, seldom brighter. People name neutral or tinted first: an
    untinted colour (chroma under 5) gets a neutral name, a tinted one (6 or more) never a pure grey."""
    chroma = float(np.hypot(lab[1], lab[2]))
    distance = np.where(chroma < _NAME_CHROMA, deltaE_ciede2000(lab[None], _NAME_LAB, kC=2),
                        deltaE_ciede2000(lab[None], _NAME_LAB))
    if chroma < 5:
        distance = np.where(_NAME_CHROMA < 15, distance, np.inf)
    elif chroma >= 6:
        distance = np.where(_NAME_CHROMA < 3, np.inf, distance)
    return int(np.argmin(distance))


def _vote(pictures: list[_Picture]) -> tuple[str, float]:
    """The most common non-solid print if at least a third of the pictures show it (solid otherwise), and its
    median size over those pictures."""
    counts = Counter(p.print for p in pictures if p.print != "solid")
    if not counts or 3 * counts.most_common(1)[0][1] < len(pictures):
        return "solid", 0.0
    print_ = counts.most_common(1)[0][0]
    return print_, float(np.median([p.size_cm for p in pictures if p.print == print_]))


def _is_flat_neutral(names: tuple[str, ...], centres: np.ndarray, pictures: list[_Picture]) -> bool:
    """One near-neutral colour over whole, even pictures: a grey swatch is no style (a flat red is: it is a
    colour; a plain white shirt cut out of its photo is too: it is a garment)."""
    chroma = float(np.hypot(centres[0][1], centres[0][2]))
    return len(names) == 1 and chroma < 10 and all(p.flat for p in pictures)


def _faded(centres: np.ndarray, shares: np.ndarray) -> bool:
    """Sun-bleached: several colours, all lifted (no deep darks), low chroma overall, a warm (yellowish) cast."""
    chroma = np.hypot(centres[:, 1], centres[:, 2])
    lifted = float(centres[:, 0].min()) > 40 and float(centres[0, 0]) < 90  # a white ground is white, not faded
    return len(centres) > 1 and lifted and float(shares @ chroma) < 15 and float(shares @ centres[:, 2]) > 3


_PRINT_WORDS = {"solid": "plain", "stripe": "stripes", "pinstripe": "pinstripes", "gingham": "gingham check",
                "plaid": "plaid", "tartan": "tartan", "polka dot": "polka dots", "floral": "florals",
                "ditsy floral": "ditsy florals", "camo": "camo", "colour block": "colour blocking"}


def _describe(recipe: Recipe, centres: np.ndarray, shares: np.ndarray) -> str:
    """'warm earth tones (rust, cream, mustard); small florals; faded' or 'one colour: red; plain'."""
    palette = ", ".join(recipe.palette)
    parts = [f"one colour: {palette}" if len(recipe.palette) == 1 else f"{_mood(centres, shares)} ({palette})"]
    print_ = recipe.prints[0]
    sized = print_ not in ("solid", "colour block")
    parts.append(f"{recipe.scale} {_PRINT_WORDS[print_]}" if sized else _PRINT_WORDS[print_])
    if recipe.fabric != "cotton":
        parts.append(recipe.fabric)
    parts.extend(recipe.finish)
    return "; ".join(parts)


def _mood(centres: np.ndarray, shares: np.ndarray) -> str:
    """Palette mood from Lab, by area: warm or cool (the hue of the chroma there is), then its kind: neutrals (low
    chroma; very dark colours like navy count too), earth tones (browns, olives, ochres at low chroma), pastels
    (light, soft), jewel tones (mid lightness, rich), brights (light, rich) or muted tones; 'dark' when the
    ground or the whole palette is dark."""
    lightness, a, b = centres.T
    chroma, hue = np.hypot(a, b), np.degrees(np.arctan2(b, a)) % 360
    mean_l, mean_c = float(shares @ lightness), float(shares @ chroma)
    warm = float(shares @ (chroma * ((hue < 100) | (hue >= 330))))  # reds, oranges, yellows
    cool = float(shares @ (chroma * ((hue >= 150) & (hue < 330))))  # greens to violets; yellow-greens are neither
    warmth = "warm" if warm > max(1.5 * cool, 3) else "cool" if cool > max(1.5 * warm, 3) else ""
    neutral = float(shares @ ((chroma < 15) | (lightness < 25)))
    earthy = float(shares @ ((hue >= 20) & (hue < 110) & (chroma >= 8) & (chroma < 45) & (lightness < 75)))
    if neutral >= 0.7:
        kind = "light neutrals" if mean_l > 80 else "neutrals"
    elif earthy >= 0.5:
        kind = "earth tones"
    elif mean_l > 75 and mean_c < 40:
        kind = "pastels"
    elif mean_c >= 40:
        kind = "jewel tones" if mean_l < 65 else "brights"
    else:
        kind = "muted tones"
    dark = (lightness[0] < 30 or mean_l < 35) and kind not in ("light neutrals", "pastels", "brights")
    return " ".join(word for word in (warmth, "dark" if dark else "", kind) if word)
