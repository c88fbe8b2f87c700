"""Flat print artwork and fabric surfaces for the recipe restyler (style/engine.py).

``draw_print`` draws a print's albedo: flat RGB artwork with no light in it, at the garment's real-world scale
(``px_per_cm``), so a gingham check is 6 mm and a paisley 5 cm whatever the photo's size. ``draw_fabric`` draws
the cloth's surface: a relief around 1.0 (weave, twill, nap, grain, sparkle) that multiplies the albedo, and
``Fabric.shade``, how that cloth answers the photo's own light (matte cotton flattens highlights, satin gleams).
The engine multiplies the three and bends them along the folds.

How the prints are drawn, and why:

- stripes and checks are 1-D colour profiles crossed like warp and weft, so their repeats are pixel-exact;
- scattered motifs (florals, paisley, leopard, lace, dots) are built from cv2 shapes, a dozen variants of each,
  every variant drawn once a few times oversized and shrunk with INTER_AREA (crisp but antialiased edges), then
  stamped at Poisson-disc points into a seamless tile (what runs off one edge comes back on the other), which is
  repeated: real prints repeat too, and a tile keeps it fast;
- organic prints (camo, tie-dye) are thresholded or twisted smooth noise over the whole image;
- geometric prints (argyle, ikat, herringbone, houndstooth, colour block) are closed-form functions of x and y.

Everything random comes from ``numpy.random.default_rng(seed)``, so a seed always draws the same cloth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

PRINTS: tuple[str, ...] = ("solid", "stripe", "pinstripe", "tartan", "plaid", "gingham", "ditsy floral", "floral",
                           "paisley", "polka dot", "leopard", "camo", "tie-dye", "lace", "ikat", "argyle",
                           "herringbone", "houndstooth", "colour block")
FABRICS: tuple[str, ...] = ("cotton", "jersey", "linen", "denim", "canvas", "suede", "leather", "velvet", "satin",
                            "sequins", "wool", "tweed", "knit", "chiffon", "technical")
SCALES: dict[str, float] = {"small": 0.6, "medium": 1.0, "large": 1.7}

# Repeats in cm at medium scale, as a stylist would measure them on the cloth (the tests measure them too).
STRIPE_REPEAT_CM = 2.0  # Breton: 1 cm ground, 1 cm colour
PINSTRIPE_REPEAT_CM = 1.2
GINGHAM_REPEAT_CM = 1.2  # 6 mm checks
TARTAN_REPEAT_CM = 9.0
PLAID_REPEAT_CM = 8.0  # 4 cm buffalo blocks
HOUNDSTOOTH_REPEAT_CM = 1.2  # a small dogtooth; "small" scale makes it a puppytooth, "large" a coat's

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
_WHITE = np.full(3, 255, np.float32)
_BLACK = np.zeros(3, np.float32)


# ---------------------------------------------------------------------------------------------------------------
# Colours


def _luma(colour: np.ndarray) -> float:
    return float(np.asarray(colour, np.float32) @ _LUMA)


def _mix(a: np.ndarray, b: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    return a + (b - a) * t


def _tone(colour: np.ndarray, amount: float = 0.45) -> np.ndarray:
    """A darker tone of a light colour, a lighter tone of a dark one: a second colour when the palette has one."""
    return _mix(colour, _BLACK if _luma(colour) > 110 else _WHITE, amount)


def _by_contrast(job: _Job) -> list[np.ndarray]:
    """The print colours, the one that stands out most from the ground first."""
    return sorted(job.inks, key=lambda c: -abs(_luma(c) - _luma(job.ground)) - 0.3 * np.abs(c - job.ground).sum())


def _greenest(job: _Job) -> tuple[np.ndarray, list[np.ndarray]]:
    """A leaf colour and the flower colours: the palette's green if it has one (a hue between yellow-green and
    teal), else a deep tone of a flower colour."""
    inks = list(job.inks)
    hsv = cv2.cvtColor(np.asarray(inks, np.float32)[None] / 255, cv2.COLOR_RGB2HSV)[0]
    greenness = np.where((hsv[:, 0] > 65) & (hsv[:, 0] < 175), hsv[:, 1], 0)
    best = int(np.argmax(greenness))
    if greenness[best] > 0.1 and len(inks) > 1:
        return inks.pop(best), inks
    return _mix(inks[-1], _BLACK, 0.35), inks


def _cv_colour(colour: np.ndarray) -> tuple[float, float, float]:
    """cv2 takes colours as plain float tuples (our canvases are RGB; cv2 does not care about the order)."""
    return float(colour[0]), float(colour[1]), float(colour[2])


# ---------------------------------------------------------------------------------------------------------------
# What every print function gets


@dataclass(frozen=True)
class _Job:
    shape: tuple[int, int]
    ground: np.ndarray  # (3,) float32
    inks: np.ndarray  # (n, 3) float32, n >= 1: the print's colours
    cm: float  # pixels per centimetre of motif: px_per_cm x scale
    ppc: float  # pixels per centimetre of cloth, for sizes that do not scale (a thread is a thread)
    rng: np.random.Generator

    def ink(self, i: int) -> np.ndarray:
        return self.inks[i % len(self.inks)]


def _cover(tile: np.ndarray, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Cover a canvas with copies of a repeat tile (2-D or 3-D), from a seeded offset so seeds differ."""
    th, tw = tile.shape[:2]
    rows = (np.arange(shape[0]) + rng.integers(th)) % th
    cols = (np.arange(shape[1]) + rng.integers(tw)) % tw
    return np.asarray(tile, np.float32).take(rows, axis=0).take(cols, axis=1)


def _repeat(tile: np.ndarray, job: _Job) -> np.ndarray:
    return _cover(tile, job.shape, job.rng)


def _grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates as broadcastable (H, 1) and (1, W) float32 columns."""
    return (np.arange(shape[0], dtype=np.float32)[:, None] + 0.5,
            np.arange(shape[1], dtype=np.float32)[None, :] + 0.5)


def _smoothstep(lo: float, hi: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0, 1)
    return t * t * (3 - 2 * t)


def _noise(rng: np.random.Generator, shape: tuple[int, int], cell: float, cell_x: float | None = None) -> np.ndarray:
    """Smooth random field of unit spread whose blobs are about ``cell`` px tall and ``cell_x`` px wide (default:
    round): a bicubic blow-up of a coarse random grid, far cheaper than filtering full-size noise."""
    h, w = shape
    cy, cx = max(cell, 1.0), max(cell_x or cell, 1.0)
    gh, gw = int(h / cy) + 4, int(w / cx) + 4
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    big = cv2.resize(grid, (int(gw * cx), int(gh * cy)), interpolation=cv2.INTER_CUBIC)
    oy, ox = int(rng.integers(int(cy) + 1)), int(rng.integers(int(cx) + 1))
    out = big[oy:oy + h, ox:ox + w]
    sample = out[::5, ::5]
    return out / (float(sample.std()) if sample.size > 16 else 0.6)  # 0.6: the spread of a bicubic blow-up


# ---------------------------------------------------------------------------------------------------------------
# Stripes and checks: 1-D colour profiles


def _profile(widths: list[float], colours: list[np.ndarray], period: int) -> np.ndarray:
    """One repeat of parallel bands as a (period, 3) strip. ``widths`` are relative and rescaled to fill exactly
    ``period`` pixels (a pixel-exact repeat); a band edge inside a pixel is area-averaged, not jagged."""
    sub = 8
    edges = np.cumsum(widths) / np.sum(widths) * period
    centres = (np.arange(period * sub) + 0.5) / sub
    band = np.minimum(np.searchsorted(edges, centres, side="right"), len(widths) - 1)
    return np.asarray(colours, np.float32)[band].reshape(period, sub, 3).mean(axis=1)


def _crossed(warp: np.ndarray, weft: np.ndarray, twill_step: int = 0) -> np.ndarray:
    """Warp bands (running down, a (W, 3) strip) woven with weft bands (running across, (H, 3)): where they
    cross each thread shows half the time and the eye mixes them. ``twill_step`` > 0 adds a faint 2/2 twill: a
    diagonal where warp and weft take turns on top."""
    tile = 0.5 * (warp[None] + weft[:, None])
    if twill_step:
        y, x = np.mgrid[:len(weft), :len(warp)]
        on_top = (((x + y) // twill_step) % 2 * 2 - 1).astype(np.float32)
        tile += 0.14 * on_top[..., None] * (warp[None] - weft[:, None])
    return tile


def _period(cm: float, multiple: int = 1) -> int:
    """A repeat in whole pixels (a multiple of ``multiple``), at least two of them."""
    return max(multiple * 2, multiple * round(cm / multiple))


def _solid(job: _Job) -> np.ndarray:
    return np.broadcast_to(job.ground, (*job.shape, 3)).astype(np.float32)


def _stripe(job: _Job) -> np.ndarray:
    # Breton: even bands; with two or more print colours the coloured stripes take turns (rugby).
    colours = [job.ground, job.ink(0), job.ground, job.ink(1)][:2 * min(2, len(job.inks))]
    period = _period(STRIPE_REPEAT_CM * job.cm) * len(colours) // 2
    strip = _profile([1.0] * len(colours), colours, period)
    return _repeat(strip[:, None], job)


def _pinstripe(job: _Job) -> np.ndarray:
    period = _period(PINSTRIPE_REPEAT_CM * job.cm)
    thread = max(0.6, 0.1 * job.ppc)  # a 1 mm chalk line at any print scale
    strip = _profile([thread, period - thread], [job.ink(0), job.ground], period)
    return _repeat(strip[None], job)


def _gingham(job: _Job) -> np.ndarray:
    band = _profile([1.0, 1.0], [job.ground, job.ink(0)], _period(GINGHAM_REPEAT_CM * job.cm))
    return _repeat(_crossed(band, band), job)


def _houndstooth(job: _Job) -> np.ndarray:
    """Four dark and four light threads each way woven 2/2 twill: the weave itself draws the broken check's
    teeth. One repeat drawn 4x oversized and shrunk, so the teeth stay crisp but not jagged."""
    repeat, ss = max(8, round(HOUNDSTOOTH_REPEAT_CM * job.cm)), 4
    y, x = _grid((repeat * ss, repeat * ss))
    warp, weft = np.floor(x * 8 / (repeat * ss)), np.floor(y * 8 / (repeat * ss))
    warp_on_top = (warp + weft) % 4 < 2
    dark = np.where(warp_on_top, warp % 8 < 4, weft % 8 < 4).astype(np.float32)[..., None]
    tile = _mix(job.ground, _by_contrast(job)[0], dark).astype(np.float32)
    return _repeat(cv2.resize(tile, (repeat, repeat), interpolation=cv2.INTER_AREA), job)


def _twill_step(job: _Job) -> int:
    # A 2/2 twill diagonal two pixels a step where there is room for it, else one.
    return 2 if job.ppc >= 8 else 1


def _sett(job: _Job) -> tuple[list[float], list[np.ndarray]]:
    """A tartan thread count: a wide ground, a wide block of a second colour, fine lines of the others between,
    mirrored about the last band as real setts are (so the check is symmetric)."""
    rng = job.rng
    inks = list(job.inks)
    block, lines = inks[0], inks[1:] or [_tone(job.ground, 0.6)]
    half = [(job.ground, rng.uniform(20, 28)), (block, rng.uniform(14, 22)), (job.ground, rng.uniform(2, 4)),
            (lines[0], rng.uniform(2, 3)), (job.ground, rng.uniform(2, 4)), (block, rng.uniform(6, 10))]
    if len(lines) > 1:
        half += [(job.ground, rng.uniform(3, 5)), (lines[1], rng.uniform(1.5, 2.5))]
    full = half + half[-2:0:-1]
    return [w for _, w in full], [c for c, _ in full]


def _tartan(job: _Job) -> np.ndarray:
    widths, colours = _sett(job)
    band = _profile(widths, colours, _period(TARTAN_REPEAT_CM * job.cm, 4))
    return _repeat(_crossed(band, band, _twill_step(job)), job)


def _plaid(job: _Job) -> np.ndarray:
    # The blocks take the darkest print colour (black on a red buffalo check); on a dark ground, the one that
    # stands out most. The overcheck takes the most striking of the rest.
    order = _by_contrast(job)
    darkest = min(order, key=_luma)
    dark = darkest if _luma(darkest) < _luma(job.ground) else order[0]
    others = [c for c in order if c is not dark]
    line = others[0] if others else _tone(job.ground, 0.35)
    # Buffalo check: 4 cm ground, 4 cm dark; a 3 mm overcheck line runs down the middle of each ground block.
    band = _profile([1.85, 0.3, 1.85, 4.0], [job.ground, line, job.ground, dark],
                    _period(PLAID_REPEAT_CM * job.cm, 4))
    return _repeat(_crossed(band, band, _twill_step(job)), job)


# ---------------------------------------------------------------------------------------------------------------
# Scattered motifs: shapes drawn into a seamless tile


@dataclass(frozen=True)
class _Shape:
    pts: np.ndarray  # (n, 2) x, y in tile pixels, relative to the motif's centre
    colour: tuple[float, float, float]
    width: float = 0.0  # 0 fills the polygon; > 0 strokes it as a line this many pixels wide
    closed: bool = False
    dot: float = 0.0  # > 0: pts are the centres of round dots this many pixels across (cheaper than polygons)


def _fill(pts: np.ndarray, colour: np.ndarray) -> _Shape:
    return _Shape(np.asarray(pts, np.float32), _cv_colour(colour))


def _stroke(pts: np.ndarray, colour: np.ndarray, width: float, closed: bool = False) -> _Shape:
    return _Shape(np.asarray(pts, np.float32), _cv_colour(colour), max(width, 0.35), closed)


def _dots(centres: np.ndarray, diameter: float, colour: np.ndarray) -> _Shape:
    return _Shape(np.asarray(centres, np.float32).reshape(-1, 2), _cv_colour(colour), dot=diameter)


def _ellipse(cx: float, cy: float, a: float, b: float, angle: float = 0.0, start: float = 0.0,
             stop: float = 2 * np.pi, n: int = 24) -> np.ndarray:
    """Points on an ellipse (or an arc of it, ``start`` to ``stop``) with semi-axes a, b turned by ``angle``."""
    t = np.linspace(start, stop, n, endpoint=stop - start < 2 * np.pi - 1e-6)
    x, y = a * np.cos(t), b * np.sin(t)
    ca, sa = np.cos(angle), np.sin(angle)
    return np.stack([cx + x * ca - y * sa, cy + x * sa + y * ca], axis=1)


def _leaf(x: float, y: float, angle: float, length: float, width: float, n: int = 9) -> np.ndarray:
    """A pointed leaf (two arcs meeting at both ends) growing from (x, y) along ``angle``."""
    t = np.linspace(0, 1, n)
    half = width / 2 * np.sin(np.pi * t) ** 0.8
    along = np.concatenate([t, t[::-1]]) * length
    across = np.concatenate([half, -half[::-1]])
    ca, sa = np.cos(angle), np.sin(angle)
    return np.stack([x + along * ca - across * sa, y + along * sa + across * ca], axis=1)


def _turn(pts: np.ndarray, angle: float) -> np.ndarray:
    """Points (n, 2) turned by ``angle`` radians about the origin."""
    ca, sa = np.cos(angle), np.sin(angle)
    return np.asarray(pts, np.float32) @ np.array([[ca, sa], [-sa, ca]], np.float32)


def _wobble(rng: np.random.Generator, rough: float) -> Callable[[np.ndarray], np.ndarray]:
    """A random radius profile, 1 plus a few low harmonics: irregular spots, and one outline a rosette's ring and
    its centre share."""
    amps = rough / np.array([2.0, 3.0, 5.0]) * rng.standard_normal(3)
    phases = rng.uniform(0, 2 * np.pi, 3)
    return lambda t: 1 + sum(a * np.cos(k * t + p) for a, k, p in zip(amps, (2, 3, 5), phases, strict=True))


def _blob(rng: np.random.Generator, r: float, rough: float, n: int = 16) -> np.ndarray:
    """An irregular spot around the origin: a circle whose radius wobbles with a few random low harmonics."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = r * _wobble(rng, rough)(t)
    return np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)


def _scatter(rng: np.random.Generator, h: int, w: int, spacing: float, limit: int = 400,
             avoid: np.ndarray | None = None, clearance: float = 0.0) -> np.ndarray:
    """Poisson-disc points on an h x w torus (the tile wraps): random darts, each kept unless it lands within
    ``spacing`` of an earlier keeper or within ``clearance`` of an ``avoid`` point. Dense, never overlapping,
    never grid-like."""
    n = int(min(limit * 4, 3 * h * w / spacing**2 + 8))
    pts = (rng.random((n, 2)) * (w, h)).astype(np.float32)
    period = np.array([w, h], np.float32)

    def gaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = np.abs(a[:, None] - b[None])
        d = np.minimum(d, period - d)
        return np.sqrt((d**2).sum(-1))

    keep = np.ones(n, bool)
    if avoid is not None and len(avoid):
        keep &= gaps(pts, avoid).min(axis=1) >= clearance
    near = gaps(pts, pts) < spacing
    for i in range(n):
        if keep[i]:
            keep[i + 1:] &= ~near[i, i + 1:]
    return pts[keep][:limit]


def _oversample(size: int) -> int:
    """Motifs are drawn this many times oversized, then shrunk with INTER_AREA (antialiased, crisp edges); big
    motifs have big features and need less of it (the biggest are drawn at size, with cv2's own antialiasing),
    which keeps them within the time budget."""
    return 4 if size <= 64 else 3 if size <= 160 else 2 if size <= 400 else 1


def _render(img: np.ndarray, shapes: list[_Shape], offset: np.ndarray, ss: int) -> None:
    """Draw shapes (in final pixels, moved by ``offset``) onto an ``ss``-times oversized uint8 RGB or RGBA
    canvas; on RGBA every shape is opaque."""
    scale = ss * 8  # cv2's shift=3: three fractional bits, so placement is sub-pixel even on the big canvas
    line = cv2.LINE_AA if ss == 1 else cv2.LINE_8
    opaque = (255.0,) if img.shape[2] == 4 else ()
    for s in shapes:
        pts = np.round((s.pts + offset) * scale).astype(np.int32)
        colour = s.colour + opaque
        if s.dot:
            radius = round(s.dot / 2 * scale)
            for centre in pts.tolist():
                cv2.circle(img, centre, radius, colour, -1, line, 3)
        elif s.width:
            cv2.polylines(img, [pts], s.closed, colour, max(1, round(s.width * ss)), line, 3)
        else:
            cv2.fillPoly(img, [pts], colour, line, 3)


@dataclass(frozen=True)
class _Sprite:
    """A motif drawn once: colour premultiplied by coverage, coverage, and where the motif's centre sits."""

    rgb: np.ndarray  # (h, w, 3) float32
    alpha: np.ndarray  # (h, w, 1) float32, 0..1
    x0: int
    y0: int

    @property
    def reach(self) -> int:
        """How far the sprite extends from its centre, in any direction."""
        h, w = self.alpha.shape[:2]
        return max(self.x0, self.y0, w - self.x0, h - self.y0)


def _sprite(shapes: list[_Shape]) -> _Sprite:
    shapes = [s for s in shapes if len(s.pts)]  # a row of dots can come out empty on a tiny motif
    lo = np.floor(np.min([s.pts.min(axis=0) - (s.width + s.dot) / 2 for s in shapes], axis=0)) - 1
    hi = np.ceil(np.max([s.pts.max(axis=0) + (s.width + s.dot) / 2 for s in shapes], axis=0)) + 1
    w, h = (hi - lo).astype(int)
    ss = _oversample(max(w, h))
    canvas = np.zeros((h * ss, w * ss, 4), np.uint8)  # transparent black: shrinking gives premultiplied colour
    _render(canvas, shapes, -lo, ss)
    small = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    return _Sprite(small[..., :3], small[..., 3:] / 255, int(-lo[0]), int(-lo[1]))


def _over(top: tuple[np.ndarray, np.ndarray], under: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Porter-Duff 'over' for premultiplied (colour, coverage) pairs."""
    return top[0] + under[0] * (1 - top[1]), top[1] + under[1] * (1 - top[1])


def _fold(rgb: np.ndarray, alpha: np.ndarray, margin: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """A canvas grown by ``margin`` at both ends of an axis: lay each overhang over the opposite edge (the motif
    that ran off the right comes back in on the left) and cut the margins off. Needs margin <= the tile size."""
    rgb, alpha = np.moveaxis(rgb, axis, 0), np.moveaxis(alpha, axis, 0)
    n = rgb.shape[0] - 2 * margin
    for src, dst in ((slice(margin + n, None), slice(margin, 2 * margin)), (slice(0, margin), slice(n, n + margin))):
        rgb[dst], alpha[dst] = _over((rgb[src], alpha[src]), (rgb[dst], alpha[dst]))
    inner = slice(margin, margin + n)
    return np.moveaxis(rgb[inner], 0, axis), np.moveaxis(alpha[inner], 0, axis)


def _motifs(job: _Job, size: tuple[int, int], layers: list[tuple[np.ndarray, list[list[_Shape]]]],
            base: np.ndarray | None = None) -> np.ndarray:
    """A seamless repeat tile, repeated over the canvas: for each layer, a randomly chosen variant of its motif
    stamped at each of its points, over ``base`` (default: the ground). Each variant is drawn once and reused:
    building shapes is the slow part in Python, and a dozen variants already look hand-scattered."""
    h, w = size
    sprites = [[_sprite(v) for v in variants] for _, variants in layers]
    margin = max(s.reach for group in sprites for s in group) + 1  # tiles are sized to hold several motifs
    rgb = np.zeros((h + 2 * margin, w + 2 * margin, 3), np.float32)
    alpha = np.zeros((h + 2 * margin, w + 2 * margin, 1), np.float32)
    for (points, _), group in zip(layers, sprites, strict=True):
        for x, y in points:
            s = group[int(job.rng.integers(len(group)))]
            top, left = margin + round(y) - s.y0, margin + round(x) - s.x0
            at = (slice(top, top + s.alpha.shape[0]), slice(left, left + s.alpha.shape[1]))
            rgb[at], alpha[at] = _over((s.rgb, s.alpha), (rgb[at], alpha[at]))
    rgb, alpha = _fold(*_fold(rgb, alpha, margin, 0), margin, 1)
    under = np.broadcast_to(job.ground, (h, w, 3)) if base is None else base
    return _repeat(under * (1 - alpha) + rgb, job)


def _tile_px(job: _Job, repeat_cm: float, motif_cm: float) -> int:
    """A scattered print's repeat in pixels: ``repeat_cm``, but no bigger than the canvas needs (a repeat that
    never shows is free to shrink), and always a few motifs across."""
    return max(8, round(3 * motif_cm * job.cm), min(round(repeat_cm * job.cm), max(job.shape)))


def _polka_dot(job: _Job) -> np.ndarray:
    # 8 mm dots, 2 cm apart in a row, every other row shifted half a step (a dot at the corners and the centre).
    pitch = max(4, round(2.0 * job.cm))
    dot = [_dots([0, 0], 0.8 * job.cm, job.ink(0))]
    return _motifs(job, (pitch, pitch), [(np.array([[0, 0], [pitch / 2, pitch / 2]]), [dot])])


def _ditsy_flower(rng: np.random.Generator, d: float, petal: np.ndarray, centre: np.ndarray,
                  leaf: np.ndarray) -> list[_Shape]:
    """A 1 cm five-petal flower with a centre dot and a leaf or two tucked between the petals."""
    a0 = rng.uniform(0, 2 * np.pi)
    shapes = [_fill(_leaf(0, 0, a0 + np.pi / 5 + k * rng.uniform(1.6, 2.6), 0.72 * d, 0.26 * d), leaf)
              for k in range(rng.integers(1, 3))]
    for i in range(5):
        a = a0 + i * 2 * np.pi / 5
        shapes.append(_fill(_ellipse(0.24 * d * np.cos(a), 0.24 * d * np.sin(a), 0.25 * d, 0.17 * d, a, n=14),
                            petal))
    shapes.append(_fill(_ellipse(0, 0, 0.11 * d, 0.11 * d, n=10), centre))
    return shapes


def _ditsy_floral(job: _Job) -> np.ndarray:
    size = _tile_px(job, 16, 1.5)
    leaf, flowers = _greenest(job)
    d = job.cm  # flower diameter: 1 cm
    variants = []
    for i in range(12):
        petal = flowers[i % len(flowers)]
        centre = flowers[(i + 1) % len(flowers)] if len(flowers) > 1 else _mix(job.ground, _WHITE, 0.5)
        variants.append(_ditsy_flower(job.rng, d * job.rng.uniform(0.8, 1.15), petal, centre, leaf))
    return _motifs(job, (size, size), [(_scatter(job.rng, size, size, 1.35 * d), variants)])


def _crescent(r_out: float, thick: float, mid: float, span: float, n: int = 14) -> np.ndarray:
    """A cupped petal seen from above: an arc ``span`` radians wide at radius ``r_out``, thickest in the middle."""
    t = np.linspace(-1, 1, n)
    a = mid + t * span / 2
    r_in = r_out - thick * np.cos(t * np.pi / 2)
    outer = np.stack([r_out * np.cos(a), r_out * np.sin(a)], axis=1)
    inner = np.stack([r_in * np.cos(a), r_in * np.sin(a)], axis=1)[::-1]
    return np.concatenate([outer, inner])


def _petal(r_in: float, r_out: float, mid: float, span: float, n: int = 14) -> np.ndarray:
    """An open petal: a fan from radius ``r_in`` out to a rounded, slightly notched rim at ``r_out``."""
    t = np.linspace(-1, 1, n)
    a = mid + t * span / 2
    rim = r_out * (0.8 + 0.2 * np.sqrt(1 - t**2)) * (1 - 0.05 * np.exp(-(t / 0.18) ** 2))
    base = np.array([[r_in * np.cos(mid), r_in * np.sin(mid)]])
    return np.concatenate([base, np.stack([rim * np.cos(a), rim * np.sin(a)], axis=1)])


def _rose(rng: np.random.Generator, r: float, base: np.ndarray, leaf: np.ndarray) -> list[_Shape]:
    """A 5 cm cabbage rose: leaves behind, open outer petals with a cup line, rings of cupped petals darkening
    towards a swirled heart, each edge inked with a fine dark line as a printed rose is."""
    light, deep, ink = _mix(base, _WHITE, 0.3), _mix(base, _BLACK, 0.25), _mix(base, _BLACK, 0.6)
    vein = _mix(leaf, _BLACK, 0.45)
    line = max(0.5, 0.035 * r)
    shapes = []
    a = rng.uniform(0, 2 * np.pi)
    for _ in range(rng.integers(2, 4)):
        x, y = 0.75 * r * np.cos(a), 0.75 * r * np.sin(a)
        blade = _leaf(x, y, a, 0.95 * r, 0.45 * r)
        midrib = np.array([[x, y], [x + 0.85 * r * np.cos(a), y + 0.85 * r * np.sin(a)]])
        shapes += [_fill(blade, leaf), _stroke(blade, vein, line, True), _stroke(midrib, vein, line)]
        a += rng.uniform(1.6, 2.6)
    a0, n = rng.uniform(0, 2 * np.pi), int(rng.integers(5, 7))
    for i in range(n):
        mid = a0 + i * 2 * np.pi / n
        petal = _petal(0.3 * r, r * rng.uniform(0.92, 1.05), mid, 2 * np.pi / n * 1.35)
        cup = _ellipse(0, 0, 0.7 * r, 0.7 * r, 0, mid - 0.35, mid + 0.35, 8)
        shapes += [_fill(petal, light), _stroke(petal, ink, line, True), _stroke(cup, deep, line)]
    for ring, (radius, count, colour) in enumerate([(0.68, 5, base), (0.5, 4, deep), (0.32, 3, deep)]):
        a1 = rng.uniform(0, 2 * np.pi)
        for i in range(count):
            mid = a1 + i * 2 * np.pi / count
            cres = _crescent(radius * r, 0.22 * r, mid, 2 * np.pi / count * (1.2 + 0.15 * ring))
            shapes += [_fill(cres, colour), _stroke(cres, ink, line, True)]
    shapes.append(_fill(_ellipse(0, 0, 0.17 * r, 0.17 * r, n=12), deep))
    swirl = np.linspace(0, 3 * np.pi, 24)
    spiral = np.stack([np.cos(swirl + a0), np.sin(swirl + a0)], axis=1) * (0.03 + 0.055 * swirl / np.pi)[:, None] * r
    shapes.append(_stroke(spiral, ink, line))
    return shapes


def _blossom(rng: np.random.Generator, r: float, colour: np.ndarray, leaf: np.ndarray) -> list[_Shape]:
    """A small filler flower between the roses: five round petals, a dark eye and a leaf."""
    a0 = rng.uniform(0, 2 * np.pi)
    shapes = [_fill(_leaf(0, 0, a0 + 0.6, 1.9 * r, 0.7 * r), leaf)]
    for i in range(5):
        a = a0 + i * 2 * np.pi / 5
        shapes.append(_fill(_ellipse(0.55 * r * np.cos(a), 0.55 * r * np.sin(a), 0.5 * r, 0.4 * r, a, n=12),
                            colour))
    shapes.append(_fill(_ellipse(0, 0, 0.22 * r, 0.22 * r, n=10), _mix(colour, _BLACK, 0.5)))
    return shapes


def _sprig(rng: np.random.Generator, length: float, leaf: np.ndarray, bud: np.ndarray) -> list[_Shape]:
    """A filler between the roses: a curved stem with leaves on alternate sides and a bud at its tip."""
    vein = _mix(leaf, _BLACK, 0.45)
    a0, bend = rng.uniform(0, 2 * np.pi), rng.uniform(-0.8, 0.8)
    t = np.linspace(-0.5, 0.5, 12)
    heading = a0 + bend * t
    stem = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1) * length / 12, axis=0)
    stem -= stem.mean(axis=0)
    shapes = [_stroke(stem, vein, max(0.5, 0.03 * length))]
    for k, i in enumerate(range(2, 11, 3)):
        side = heading[i] + (0.9 if k % 2 else -0.9)
        blade = _leaf(*stem[i], side, 0.38 * length, 0.17 * length)
        shapes += [_fill(blade, leaf), _stroke(blade, vein, max(0.4, 0.02 * length), True)]
    tip = stem[-1]
    shapes.append(_fill(_ellipse(*tip, 0.12 * length, 0.08 * length, heading[-1], n=12), bud))
    return shapes


def _floral(job: _Job) -> np.ndarray:
    size = _tile_px(job, 30, 7)
    leaf, flowers = _greenest(job)
    r = 2.5 * job.cm  # roses 5 cm across
    roses = _scatter(job.rng, size, size, 2.4 * r, limit=16)
    fillers = _scatter(job.rng, size, size, 1.8 * job.cm, limit=40, avoid=roses, clearance=1.45 * r)
    blooms = [_rose(job.rng, r * job.rng.uniform(0.75, 1.2), flowers[i % len(flowers)], leaf) for i in range(6)]
    sprigs = [_sprig(job.rng, 2.2 * job.cm * job.rng.uniform(0.8, 1.2), leaf, flowers[i % len(flowers)])
              for i in range(6)]
    blossoms = [_blossom(job.rng, 0.5 * job.cm * job.rng.uniform(0.8, 1.2), flowers[i % len(flowers)], leaf)
                for i in range(4)]
    return _motifs(job, (size, size), [(roses, blooms), (fillers, sprigs + blossoms)])


def _boteh_outlines(r: float, curl: float, insets: list[float], turn: float) -> list[np.ndarray]:
    """The paisley teardrop: a round body of radius ``r`` whose tail narrows and curls over (``curl`` radians,
    the sign gives the side), drawn as the union of shrinking circles along a bending spine. Returns its outline
    ``inset`` px inside the edge (outside for a negative inset) for each inset, as polygons around the body's
    centre turned by ``turn``; an outline that vanishes comes back empty."""
    ss, steps = 4, 48
    t = np.linspace(0, 1, steps)
    heading = -np.pi / 2 + curl * t**1.6
    spine = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1) * 2.3 * r / steps, axis=0)
    spine = np.concatenate([[[0.0, 0.0]], spine[:-1]])  # starts at the body's centre
    half = int(3 * r) + 2
    mask = np.zeros((2 * half * ss, 2 * half * ss), np.uint8)
    for (x, y), radius in zip(((spine + half) * ss).round().astype(int).tolist(),
                              (r * (1 - t) ** 1.25 * ss).round().astype(int).tolist(), strict=True):
        cv2.circle(mask, (x, y), radius, 255, -1)
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3)  # one distance map gives every inset outline
    outside = cv2.distanceTransform(255 - mask, cv2.DIST_L2, 3)
    outlines = []
    for inset in insets:
        level = inside > inset * ss if inset >= 0 else outside <= -inset * ss
        contours, _ = cv2.findContours(level.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        outlines.append(_turn(max(contours, key=len)[:, 0] / ss - half, turn) if contours else np.zeros((0, 2)))
    return outlines


def _along(outline: np.ndarray, gap: float) -> np.ndarray:
    """Points every ``gap`` px along a closed outline (for rows of dots)."""
    closed = np.concatenate([outline, outline[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    dist = np.concatenate([[0], np.cumsum(seg)])
    if dist[-1] < 2 * gap:
        return np.zeros((0, 2), np.float32)
    at = np.arange(0, dist[-1] - gap / 2, gap)
    return np.stack([np.interp(at, dist, closed[:, 0]), np.interp(at, dist, closed[:, 1])], axis=1)


def _boteh(rng: np.random.Generator, r: float, inks: list[np.ndarray], ground: np.ndarray) -> list[_Shape]:
    """A paisley: filled teardrop with a dark outline, a ring of dots, an inner teardrop outlined again, and a
    small flower in the round of the body."""
    curl = rng.choice([-1, 1]) * rng.uniform(2.2, 2.9)
    turn = rng.uniform(-np.pi, np.pi)
    body, ring, inner, accent = inks[0], inks[1 % len(inks)], inks[2 % len(inks)], inks[3 % len(inks)]
    dark = _mix(min(inks, key=_luma), _BLACK, 0.3)
    line = max(0.6, 0.05 * r)
    outer, middle, core, picots = _boteh_outlines(r, curl, [0, 0.16 * r, 0.36 * r, -0.12 * r], turn)
    shapes = [_fill(outer, body), _stroke(outer, dark, line, True), _fill(middle, ground),
              _stroke(middle, dark, line, True)]
    shapes.append(_dots(_along(middle, 0.14 * r), 0.09 * r, ring))
    if len(core) > 2:
        shapes += [_fill(core, inner), _stroke(core, dark, line, True)]
    flower_at = _turn([[0.0, 0.18 * r]], turn)[0]
    for i in range(6):
        a = i * np.pi / 3 + turn
        shapes.append(_fill(_ellipse(flower_at[0] + 0.13 * r * np.cos(a), flower_at[1] + 0.13 * r * np.sin(a),
                                     0.12 * r, 0.07 * r, a, n=10), accent))
    shapes.append(_dots(flower_at, 0.12 * r, dark))
    # Picots: a row of small dots just outside the outline, as on a printed shawl.
    shapes.append(_dots(_along(picots, 0.2 * r), 0.08 * r, dark))
    return shapes


def _paisley_filler(rng: np.random.Generator, r: float, colour: np.ndarray, dot: np.ndarray) -> list[_Shape]:
    """Between the teardrops: a four-petal sprig or a cluster of three dots."""
    if rng.random() < 0.5:
        a0 = rng.uniform(0, np.pi)
        return [_fill(_ellipse(0.6 * r * np.cos(a0 + i * np.pi / 2), 0.6 * r * np.sin(a0 + i * np.pi / 2),
                               0.6 * r, 0.42 * r, a0 + i * np.pi / 2, n=12), colour) for i in range(4)] + [
            _fill(_ellipse(0, 0, 0.35 * r, 0.35 * r, n=8), dot)]
    a = rng.uniform(0, 2 * np.pi) + np.arange(3) * 2 * np.pi / 3
    return [_dots(0.9 * r * np.stack([np.cos(a), np.sin(a)], axis=1), 0.9 * r, dot)]


def _paisley(job: _Job) -> np.ndarray:
    size = _tile_px(job, 18, 5.5)
    r = 1.5 * job.cm  # body radius: the whole teardrop is about 5 cm
    inks = _by_contrast(job)[::-1] if len(job.inks) > 1 else [job.ink(0), _tone(job.ground, 0.25)]
    botehs = _scatter(job.rng, size, size, 3.0 * r, limit=10)
    fillers = _scatter(job.rng, size, size, 1.2 * job.cm, limit=60, avoid=botehs, clearance=2.1 * r)
    teardrops = [_boteh(job.rng, r * job.rng.uniform(0.85, 1.15), inks, job.ground) for _ in range(6)]
    sprigs = [_paisley_filler(job.rng, 0.28 * job.cm, inks[i % len(inks)], inks[-1]) for i in range(8)]
    return _motifs(job, (size, size), [(botehs, teardrops), (fillers, sprigs)])


def _rosette(rng: np.random.Generator, r: float, ring: np.ndarray, centre: np.ndarray) -> list[_Shape]:
    """A leopard rosette: a tan centre hugged by three to five thick, uneven dark arcs with gaps between."""
    outline = _wobble(rng, 0.35)
    squash, turn = rng.uniform(0.75, 1.0), rng.uniform(0, np.pi)

    def place(radius: np.ndarray, t: np.ndarray) -> np.ndarray:
        return _turn(np.stack([radius * np.cos(t), squash * radius * np.sin(t)], axis=1), turn)

    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    shapes = [_fill(place(0.82 * r * outline(t), t), centre)]
    count = int(rng.integers(3, 6))
    cuts = (np.arange(count + 1) + rng.uniform(-0.25, 0.25, count + 1)) * 2 * np.pi / count + rng.uniform(0, 6)
    cuts[-1] = cuts[0] + 2 * np.pi
    along = np.linspace(0, np.pi, 16)
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        gap = rng.uniform(0.1, 0.35)
        t = np.linspace(start + gap / 2, stop - gap / 2, 16)
        swell = np.sin(along) ** 0.3 * (1 + 0.3 * np.sin(2 * along + rng.uniform(0, 6)))
        thick = r * rng.uniform(0.22, 0.34) * swell + 0.05 * r
        inner = 0.78 * r * outline(t)
        shapes.append(_fill(np.concatenate([place(inner + thick, t), place(inner, t)[::-1]]), ring))
    return shapes


def _leopard(job: _Job) -> np.ndarray:
    size = _tile_px(job, 20, 4)
    ring, *others = _by_contrast(job)
    centre = _mix(job.ground, others[-1], 0.45) if others else _mix(job.ground, ring, 0.25)
    r = 1.6 * job.cm  # rosettes about 3 cm across
    rosettes = _scatter(job.rng, size, size, 2.3 * r, limit=60)
    spots = _scatter(job.rng, size, size, 1.1 * job.cm, limit=60, avoid=rosettes, clearance=1.35 * r)
    rings = [_rosette(job.rng, r * job.rng.uniform(0.75, 1.2), ring, centre) for _ in range(10)]
    blobs = [[_fill(_blob(job.rng, 0.25 * job.cm * job.rng.uniform(0.5, 1.6), 0.6) * (1, job.rng.uniform(0.5, 1)),
                    ring)] for _ in range(10)]
    return _motifs(job, (size, size), [(rosettes, rings), (spots, blobs)])


def _hex_net(width: int, height: int, ground: np.ndarray, colour: np.ndarray, thread: float) -> np.ndarray:
    """One repeat of tulle over the lining: a honeycomb of fine threads, one cell wide and two rows tall, drawn
    8x oversized (the threads are finer than a pixel) with the neighbouring cells around it so it tiles."""
    ss = 8
    hexagon = _ellipse(0, 0, width / np.sqrt(3), height / 3, 0, np.pi / 6, np.pi / 6 + 2 * np.pi, 6)  # pointy-top
    j, i = np.mgrid[-1:3, -1:2]
    centres = np.stack([(i + 0.5 * (j % 2)) * width, j * height / 2], axis=-1).reshape(-1, 1, 2)
    canvas = np.empty((height * ss, width * ss, 3), np.uint8)
    canvas[:] = np.round(ground).astype(np.uint8)
    cells = np.round((centres + hexagon) * ss * 8).astype(np.int32)
    cv2.polylines(canvas, list(cells), True, _cv_colour(colour), max(1, round(thread * ss)), cv2.LINE_8, 3)
    return cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)


def _lace_flower(rng: np.random.Generator, r: float, fill: np.ndarray, cord: np.ndarray, openwork: np.ndarray,
                 thread: float) -> list[_Shape]:
    """A Chantilly-style lace flower: leaves and round petals worked in dense cloth stitch, each outlined in a
    heavier cord, with the net showing through its veins and between its petals (the openwork that tells lace
    from a print of dark blotches), a scalloped cord ring round the flower, and an eyelet heart."""
    shapes = []
    a0 = rng.uniform(0, 2 * np.pi)
    for a in a0 + np.cumsum(rng.uniform(1.2, 2.4, int(rng.integers(2, 4)))):
        blade = _leaf(0.75 * r * np.cos(a), 0.75 * r * np.sin(a), a, 0.95 * r, 0.45 * r)
        midrib = np.array([blade[1], blade[7]])
        shapes += [_fill(blade, fill), _stroke(blade, cord, 2 * thread, True), _stroke(midrib, openwork, 1.5 * thread)]
    n = int(rng.integers(5, 7))
    for i in range(n):
        mid = a0 + i * 2 * np.pi / n
        petal = _ellipse(0.42 * r * np.cos(mid), 0.42 * r * np.sin(mid), 0.3 * r, 0.2 * r, mid, n=18)
        vein = np.outer([0.22 * r, 0.55 * r], [np.cos(mid), np.sin(mid)])
        shapes += [_fill(petal, fill), _stroke(petal, openwork, 1.2 * thread, True), _stroke(vein, openwork, thread)]
    scallops = np.concatenate([_ellipse(0.8 * r * np.cos(a), 0.8 * r * np.sin(a), 0.12 * r, 0.12 * r, 0,
                                        a - np.pi / 2, a + np.pi / 2, 7)
                               for a in np.linspace(0, 2 * np.pi, 20, endpoint=False) + a0])
    shapes.append(_stroke(scallops, cord, 2 * thread, True))
    shapes.append(_fill(_ellipse(0, 0, 0.16 * r, 0.16 * r, n=14), fill))
    eyelets = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    shapes.append(_dots(0.08 * r * np.stack([np.cos(eyelets), np.sin(eyelets)], axis=1), 0.06 * r, openwork))
    return shapes


def _lace(job: _Job) -> np.ndarray:
    """Lace in the darker of the colours over a lining of the lighter (black lace over burgundy): a tulle that
    veils the lining, flowers big enough at every print scale that their openwork reads at a product photo's size."""
    lining, lace = sorted([job.ground, job.ink(0)], key=_luma, reverse=True)
    # Lace threads and tulle cells are millimetres at any print scale; the repeat is a whole number of cells.
    thread, cell = max(0.5, 0.06 * job.ppc), max(3, round(0.25 * job.ppc))
    rows = max(4, round(cell * np.sqrt(3)))  # two rows of hexagons
    r = 2.2 * job.cm / SCALES["small"]  # 4.4 cm across at the small scale (gothic's): smaller, they read as blotches
    size = max(_tile_px(job, 20, 4.5), round(8 * r))
    h, w = -(-size // rows) * rows, -(-size // cell) * cell
    veil = _mix(lining, lace, 0.45)
    net = _cover(_hex_net(cell, rows, veil, _mix(lining, lace, 0.75), thread), (h, w), job.rng)
    fill = _mix(lining, lace, 0.92)  # cloth stitch: dense, the lining barely shows
    flowers = [_lace_flower(job.rng, r * job.rng.uniform(0.8, 1.1), fill, lace, veil, thread) for _ in range(8)]
    return _motifs(job, (h, w), [(_scatter(job.rng, h, w, 1.5 * r, limit=80), flowers)], net)


# ---------------------------------------------------------------------------------------------------------------
# Organic and geometric prints over the whole canvas


def _coverage(field: np.ndarray, threshold: float, shape: tuple[int, int]) -> np.ndarray:
    """Where a smooth half-size field is above a threshold, at full size with a one-pixel antialiased edge:
    crisp, never jagged. The field and its slope are smooth, so both are made at half size and blown up."""
    gx = cv2.Sobel(field, cv2.CV_32F, 1, 0, ksize=1)
    gy = cv2.Sobel(field, cv2.CV_32F, 0, 1, ksize=1)
    size = (shape[1], shape[0])
    slope = cv2.resize(0.25 * np.sqrt(gx * gx + gy * gy), size, interpolation=cv2.INTER_LINEAR) + 1e-4
    full = cv2.resize(field, size, interpolation=cv2.INTER_LINEAR)
    return np.clip(0.5 + (full - threshold) / slope, 0, 1)[..., None]


def _half(shape: tuple[int, int]) -> tuple[int, int]:
    return (shape[0] + 1) // 2, (shape[1] + 1) // 2


def _camo(job: _Job) -> np.ndarray:
    # Woodland: three layers of blobs, big to small, each cut from smooth noise with a ragged second octave.
    layers = list(job.inks[:3])
    while len(layers) < 3:
        layers.append(_mix(layers[-1], job.ground if len(layers) % 2 else _BLACK, 0.5))
    out = _solid(job)
    for colour, size, share in zip(layers, (9.0, 7.0, 4.5), (0.42, 0.36, 0.22), strict=True):
        cell = size * job.cm / 2  # in half-size pixels
        half = _half(job.shape)
        field = _noise(job.rng, half, cell, 1.6 * cell) + 0.45 * _noise(job.rng, half, cell / 3)
        threshold = float(np.quantile(field[::4, ::4], 1 - share))
        out = _mix(out, colour, _coverage(field, threshold, job.shape))
    return out


def _wrapped_noise(rng: np.random.Generator, cells: tuple[int, int], cell_px: tuple[int, int]) -> np.ndarray:
    """Like _noise, but the field repeats seamlessly (so it can be looked up with wrap-around)."""
    (gy, gx), (cy, cx) = cells, cell_px
    grid = np.pad(rng.standard_normal((gy, gx)).astype(np.float32), 2, mode="wrap")
    big = cv2.resize(grid, ((gx + 4) * cx, (gy + 4) * cy), interpolation=cv2.INTER_CUBIC)
    out = big[2 * cy:(gy + 2) * cy, 2 * cx:(gx + 2) * cx]
    return out / max(float(out.std()), 1e-6)


def _tie_dye(job: _Job) -> np.ndarray:
    """Spiral tie-dye: dyed arms twisting out from a white heart, bleeding into each other at soft, ragged seams,
    with white resist streaking along the arms where the pleats kept the dye out."""
    # Dye bleeds over millimetres: drawn at half size and blown up, for speed.
    rng, shape, cm = job.rng, _half(job.shape), job.cm / 2
    y, x = _grid(shape)
    dx, dy = x - shape[1] * rng.uniform(0.35, 0.65), y - shape[0] * rng.uniform(0.35, 0.6)
    radius = np.sqrt(dx * dx + dy * dy)
    inks = np.asarray(job.inks, np.float32)
    arms = len(inks) * -(-3 // len(inks))  # at least three arms
    twist = rng.uniform(0.2, 0.32) * rng.choice([-1, 1])  # turns per e-fold of radius: a log spiral
    spiral = arms * (np.arctan2(dy, dx) / (2 * np.pi) + twist * np.log1p(radius / (2 * cm)))
    phase = spiral + 0.2 * _noise(rng, shape, 6 * cm) + 0.07 * _noise(rng, shape, 1.5 * cm)
    sector = np.floor(phase).astype(np.int32)
    frac = phase - sector
    edge = np.minimum(frac, 1 - frac)  # 0 on the seam between two arms, 0.5 mid-arm
    neighbour = np.where(frac > 0.5, sector + 1, sector - 1)
    bleed = (0.5 * (1 - _smoothstep(0.0, 0.3, edge)))[..., None]
    dye = _mix(inks[sector % len(inks)], inks[neighbour % len(inks)], bleed)
    # Pleat streaks: noise looked up in (around, out) spiral coordinates, so it runs along the arms.
    pleats = _wrapped_noise(rng, (6, 48), (40, 8))
    around = (spiral / arms * pleats.shape[1] * 2).astype(np.float32)
    outward = (np.log1p(radius / cm) * 50).astype(np.float32)
    streak = cv2.remap(pleats, around, outward, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    white = 0.03 + 0.12 * np.clip(streak, 0, None)  # whiskers of resist reaching into the colour
    soak = _smoothstep(0.0, 1.0, (edge - white) / 0.1) * (0.95 + 0.05 * np.tanh(streak))
    soak *= _smoothstep(0.5 * cm, 3 * cm, radius)  # the white heart where the cloth was pinched
    resist = _mix(job.ground, _WHITE, 0.3)
    cloth = _mix(resist, dye, soak[..., None]).astype(np.float32)
    return cv2.resize(cloth, (job.shape[1], job.shape[0]), interpolation=cv2.INTER_LINEAR)


def _ikat(job: _Job) -> np.ndarray:
    """Nested diamonds on a staggered lattice, every few threads shifted sideways and smeared along the weft:
    the jagged, feathered edge the resist-dyed yarn gives."""
    rng, h = job.rng, job.shape[0]
    y, x = _grid(job.shape)
    group = max(1, round(0.25 * job.ppc))  # threads dyed together: a 2-3 mm band shifts as one
    shifts = np.clip(rng.normal(0, 0.1 * job.cm, h // group + 1), -0.2 * job.cm, 0.2 * job.cm)
    drift = 0.08 * job.cm * _noise(rng, (h, 1), 1.0 * job.cm) + 0.2 * job.cm * _noise(rng, (h, 1), 6 * job.cm)
    u = (x + np.repeat(shifts, group)[:h, None].astype(np.float32) + drift) / (5 * job.cm)
    v = y / (8 * job.cm)
    da = np.abs(u - np.round(u)) + np.abs(v - np.round(v))
    db = np.abs(u - np.floor(u) - 0.5) + np.abs(v - np.floor(v) - 0.5)
    level = np.minimum(np.minimum(da, db) * 2, 0.999)  # 0 at a diamond's heart, 1 where diamonds meet
    ring = (level * 4).astype(np.int32) + 4 * (db < da)
    dark = _by_contrast(job)[0]
    table = np.array([job.ink(1), job.ground, job.ink(0), dark, job.ink(2), job.ink(0), job.ground, dark],
                     np.float32)
    smear = max(1, round(0.3 * job.ppc)) | 1
    return cv2.blur(table[ring], (smear, 1))


def _argyle(job: _Job) -> np.ndarray:
    """Diamonds 6 cm tall in a checkerboard, the coloured ones alternating row by row, crossed by thin diagonal
    overcheck lines through the diamonds' middles. One repeat (a diamond wide, two tall) drawn oversized and
    shrunk, so edges are antialiased."""
    dw, dh = max(4, round(4 * job.cm)), max(6, round(6 * job.cm))
    ss = 3 if dh <= 120 else 2
    tile_shape = (2 * dh * ss, dw * ss)
    y, x = _grid(tile_shape)
    a = x / (dw * ss) + y / (dh * ss)
    b = x / (dw * ss) - y / (dh * ss)
    ia, ib = np.floor(a + 0.5).astype(np.int32), np.floor(b + 0.5).astype(np.int32)
    inks = list(job.inks) if len(job.inks) > 1 else [job.ink(0), _tone(job.ground, 0.8)]
    diamonds = inks[:2] if len(inks) >= 3 else inks[:1]
    line_colour = inks[-1]
    row = (ia - ib) // 2
    coloured = (ia + ib) % 2 == 1
    palette = np.array([job.ground, *diamonds], np.float32)
    index = np.where(coloured, 1 + row % len(diamonds), 0)
    out = palette[index]
    per_unit = 1 / np.hypot(1 / (dw * ss), 1 / (dh * ss))  # px per unit of a or b
    dist = np.minimum(np.abs(a - ia), np.abs(b - ib)) * per_unit  # to the nearest line through diamond middles
    line = np.clip(max(0.6, 0.1 * job.ppc) * ss / 2 - dist + 0.5, 0, 1)[..., None]
    out = _mix(out, line_colour.astype(np.float32), line)
    tile = cv2.resize(out, (dw, 2 * dh), interpolation=cv2.INTER_AREA)
    return _repeat(tile, job)


def _herringbone(job: _Job) -> np.ndarray:
    """Twill lines 2 mm apart in columns 8 mm wide that reverse direction, shifted half a line at each reversal
    (the broken zigzag of suiting). One repeat drawn 4x oversized and shrunk, so the diagonals stay smooth."""
    band, pitch, ss = max(6, round(0.8 * job.cm)), max(3, round(0.22 * job.cm)), 4
    y, x = _grid((pitch * ss, 2 * band * ss))
    y, x = y / ss, x / ss
    zigzag = band - np.abs(x % (2 * band) - band)
    phase = (y + zigzag) / pitch + 0.5 * (np.floor(x / band) % 2)
    twill = _smoothstep(-0.2, 0.5, np.cos(2 * np.pi * phase))[..., None]
    tile = _mix(job.ground, _mix(job.ground, job.ink(0), 0.6), twill).astype(np.float32)
    return _repeat(cv2.resize(tile, (2 * band, pitch), interpolation=cv2.INTER_AREA), job)


def _colour_block(job: _Job) -> np.ndarray:
    """Broad bands of the ground and the first print colour with straight, crisp seams, sometimes one diagonal
    seam; with a second print colour, a centimetre of piping runs along each seam, as on a track top."""
    rng, (h, w) = job.rng, job.shape
    y, x = _grid(job.shape)
    if rng.random() < 0.5:
        seams = [(h * rng.uniform(0.28, 0.38),) * 2, (h * rng.uniform(0.6, 0.7),) * 2]
    else:
        left, tilt = h * rng.uniform(0.4, 0.6), h * rng.uniform(0.15, 0.3) * rng.choice([-1, 1])
        seams = [(left - tilt, left + tilt)]
    piping = job.ink(1) if len(job.inks) > 1 else None
    half = 0.5 * job.ppc  # a centimetre of piping, whatever the print scale
    out = _solid(job)
    for i, (y0, y1) in enumerate(seams):
        slope = (y1 - y0) / w
        below = (y - (y0 + slope * x)) / np.sqrt(1 + slope**2)  # signed px distance from the seam
        out = _mix(out, job.ink(0) if i % 2 == 0 else job.ground, np.clip(below + 0.5, 0, 1)[..., None])
        if piping is not None:
            out = _mix(out, piping, np.clip(half - np.abs(below) + 0.5, 0, 1)[..., None])
    return out.astype(np.float32)


_PRINTS: dict[str, Callable[[_Job], np.ndarray]] = {
    "solid": _solid, "stripe": _stripe, "pinstripe": _pinstripe, "tartan": _tartan, "plaid": _plaid,
    "gingham": _gingham, "ditsy floral": _ditsy_floral, "floral": _floral, "paisley": _paisley,
    "polka dot": _polka_dot, "leopard": _leopard, "camo": _camo, "tie-dye": _tie_dye, "lace": _lace,
    "ikat": _ikat, "argyle": _argyle, "herringbone": _herringbone, "colour block": _colour_block,
    "houndstooth": _houndstooth,
}


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(int(seed) % 2**63)


def _check(shape: tuple[int, int], px_per_cm: float) -> tuple[int, int]:
    h, w = (int(v) for v in shape)
    if h < 1 or w < 1:
        raise ValueError(f"shape must be two positive sizes, got {shape}")
    if not px_per_cm > 0:
        raise ValueError(f"px_per_cm must be positive, got {px_per_cm}")
    return h, w


def draw_print(name: str, shape: tuple[int, int], colours: np.ndarray, px_per_cm: float, seed: int,
               scale: str = "medium") -> np.ndarray:
    """HxWx3 float32 RGB in 0..255, flat (no light). ``colours``: (k, 3) RGB 0..255, k >= 1; colours[0] is the
    ground, the rest the print's colours (with k == 1 a darker or lighter tone of the ground is used).
    ``px_per_cm``: pixels per centimetre of cloth (a tee photographed 768 px wide is about 10). ``scale``:
    "small", "medium" or "large" multiplies the motif size by about 0.6, 1 or 1.7. The same seed draws the same
    cloth."""
    if name not in _PRINTS:
        raise ValueError(f"unknown print {name!r}; known prints: {', '.join(PRINTS)}")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; known scales: {', '.join(SCALES)}")
    palette = np.asarray(colours, np.float32)
    if palette.ndim != 2 or palette.shape[1] != 3 or len(palette) < 1 or not np.isfinite(palette).all():
        raise ValueError(f"colours must be a (k, 3) array of RGB values with k >= 1, got shape {palette.shape}")
    palette = np.clip(palette, 0, 255)
    inks = palette[1:] if len(palette) > 1 else _tone(palette[0])[None]
    job = _Job(_check(shape, px_per_cm), palette[0], inks, px_per_cm * SCALES[scale], float(px_per_cm), _rng(seed))
    return np.clip(_PRINTS[name](job), 0, 255).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------------
# Fabrics: relief (what the surface does to the print) and response to light


@dataclass(frozen=True)
class _Light:
    """How a cloth answers the photo's light (1.0 = mid grey shading)."""

    contrast: float = 1.0  # exponent on the shading: > 1 deepens folds, < 1 softens them
    highlight: float = 1.0  # scales shading above mid: < 1 matte (highlights compressed), > 1 glossy
    specular: float = 0.0  # an extra, sharp sheen on the brightest parts
    darken: float = 1.0  # overall darkening (velvet's pile swallows light)
    rim: float = 0.0  # brightening where the shading changes fast (velvet's pile catching light on a fold)
    gloss: float = 0.0  # a broad sheen down the body where it faces the light (see Fabric.shade)


_LIGHT: dict[str, _Light] = {
    "cotton": _Light(highlight=0.6), "jersey": _Light(highlight=0.7), "linen": _Light(highlight=0.5),
    "denim": _Light(1.05, 0.55), "canvas": _Light(highlight=0.5), "suede": _Light(0.9, 0.4),
    "leather": _Light(1.15, 1.2, 0.25, gloss=0.3), "velvet": _Light(1.1, 0.6, darken=0.82, rim=0.35),
    "satin": _Light(1.3, 1.6, 0.6), "sequins": _Light(1.1, 1.5, 0.4, gloss=0.35),
    "wool": _Light(0.95, 0.5),
    "tweed": _Light(0.95, 0.45), "knit": _Light(highlight=0.6), "chiffon": _Light(0.8, 0.9),
    "technical": _Light(1.15, 1.25, 0.2),
}


# How far a cloth's yarns blur a print's edges, in cm: fuzzy milled wool and pile most, smooth filament cloth least.
_FUZZ_CM: dict[str, float] = {
    "cotton": 0.03, "jersey": 0.03, "linen": 0.035, "denim": 0.035, "canvas": 0.03, "suede": 0.05, "leather": 0.02,
    "velvet": 0.05, "satin": 0.02, "sequins": 0.0, "wool": 0.05, "tweed": 0.06, "knit": 0.05, "chiffon": 0.03,
    "technical": 0.02,
}


@dataclass
class Fabric:
    """A cloth's surface: ``relief`` multiplies the print (weave, twill, nap, grain, sparkle), ``shade`` turns the
    photo's shading into this cloth's light."""

    name: str
    relief: np.ndarray  # HxW float32 around 1.0
    px_per_cm: float = 10.0

    def soften(self, flat: np.ndarray) -> np.ndarray:
        """A print as this cloth carries it: the yarns' fuzz softens its edges (a wool houndstooth's more than a
        satin's print). Drawn pixel-sharp, judges read a print as a vector fill pasted on."""
        sigma = _FUZZ_CM[self.name] * self.px_per_cm
        return cv2.GaussianBlur(flat, (0, 0), sigma) if sigma >= 0.3 else flat

    def shade(self, shading: np.ndarray, sheen: np.ndarray | None = None) -> np.ndarray:
        """shading: HxW float32, the photo's lightness over its smooth median (1 = mid, < 1 folds, > 1 highlights).
        Matte cloths compress highlights; satin, leather and technical sharpen and boost them, satin most;
        velvet darkens with bright rims where the shading turns fast; sequins gleam. sheen: HxW float32 in [0, 1],
        the broad light a rounded body throws that a flat-lit product photo lacks; glossy cloths add it, as
        satin drawn from a jersey tee's flat light alone would read as jersey."""
        light = _LIGHT[self.name]
        s = np.clip(np.asarray(shading, np.float32), 0.02, 4.0)
        if light.gloss and sheen is not None:
            s = s * (1 + light.gloss * sheen)
        lit = s**light.contrast
        lit = np.where(lit > 1, 1 + (lit - 1) * light.highlight, lit)
        if light.specular:
            lit = lit + light.specular * _smoothstep(1.05, 1.45, s) ** 2
        if light.rim:
            gx = cv2.Sobel(s, cv2.CV_32F, 1, 0, ksize=3)
            gy = cv2.Sobel(s, cv2.CV_32F, 0, 1, ksize=3)
            turn = np.sqrt(gx * gx + gy * gy)
            rim = np.clip(turn / max(4 * float(turn.mean()), 1e-3), 0, 1)
            lit = lit * light.darken + light.rim * rim
        return lit.astype(np.float32)


def _fine(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Pixel-fine grain: white noise, as the fibres are far below a pixel."""
    return rng.standard_normal(shape).astype(np.float32)


def _yarns(rng: np.random.Generator, shape: tuple[int, int], ppc: float, length_cm: float) -> np.ndarray:
    """Thread-thickness streaks: one-thread-thin, ``length_cm`` long, both across (weft) and down (warp)."""
    thread = 0.1 * ppc
    return 0.5 * (_noise(rng, shape, thread, length_cm * ppc) + _noise(rng, shape, length_cm * ppc, thread))


def _cotton(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Fine plain weave: the threads are below a pixel, so only their grain and uneven yarns show.
    return 1 + 0.015 * _fine(rng, shape) + 0.02 * _yarns(rng, shape, ppc, 2.0)


def _jersey(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Knit wales: fine vertical ribs about a millimetre apart (never under 3 px, or they alias on the folds).
    x = np.arange(shape[1], dtype=np.float32)[None]
    rib = np.cos(2 * np.pi * x / max(3.0, 0.12 * ppc))
    return 1 + 0.025 * rib + 0.012 * _fine(rng, shape) + 0.015 * _noise(rng, shape, 0.1 * ppc, 1.5 * ppc)


def _linen(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Slubby yarns: uneven threads both ways, and now and then a thick slub a centimetre or two long.
    slubs = np.maximum(_noise(rng, shape, 0.12 * ppc, 1.5 * ppc) - 1.6, 0)
    return 1 + 0.04 * _yarns(rng, shape, ppc, 1.0) + 0.12 * slubs + 0.015 * _fine(rng, shape)


def _denim(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # 3/1 twill: diagonal ridges about 2 mm apart, the dyed warp's uneven yarns as short slubs (a long streak
    # reads as a brush stroke), white weft peeking through as flecks, and the faintest ring-spun streaks.
    y, x = _grid(shape)
    twill = np.cos(2 * np.pi * (x + 0.5 * y) / max(4.0, 0.2 * ppc))
    flecks = cv2.blur((rng.random(shape) > 0.98).astype(np.float32), (max(2, round(0.2 * ppc)), 1))
    slubs = _noise(rng, shape, 0.6 * ppc, 0.1 * ppc)
    streaks = _noise(rng, shape, 2.5 * ppc, 0.12 * ppc)
    return 1 + 0.04 * twill + 0.3 * flecks + 0.04 * slubs + 0.012 * streaks + 0.015 * _fine(rng, shape)


def _canvas(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Coarse plain weave: warp and weft take turns on top, a checker of bumps about 1.5 mm a thread.
    y, x = _grid(shape)
    pitch = max(3.0, 0.15 * ppc)
    weave = np.sin(np.pi * x / pitch) * np.sin(np.pi * y / pitch)
    return 1 + 0.045 * weave + 0.025 * _yarns(rng, shape, ppc, 1.5) + 0.01 * _fine(rng, shape)


def _suede(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Soft nap: millimetre mottling and a few long, faint brush marks.
    return (1 + 0.025 * _noise(rng, shape, 0.25 * ppc) + 0.02 * _noise(rng, shape, 0.6 * ppc, 4 * ppc)
            + 0.01 * _fine(rng, shape))


def _leather(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Pebble grain: domed cells about 3.5 mm across (the Voronoi cells of random seeds) with thin creases where
    # neighbouring cells meet.
    cell = max(4.0, 0.35 * ppc)
    seeds = np.full(shape, 255, np.uint8)
    count = int(shape[0] * shape[1] / cell**2)
    seeds[rng.integers(shape[0], size=count), rng.integers(shape[1], size=count)] = 0
    dist, label = cv2.distanceTransformWithLabels(seeds, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    crease = np.zeros(shape, np.float32)
    crease[:, 1:] += label[:, 1:] != label[:, :-1]
    crease[1:] += label[1:] != label[:-1]
    dome = 1 - np.clip(dist / cell, 0, 1) ** 2
    pebble = cv2.GaussianBlur(dome - 0.6 * np.minimum(crease, 1), (0, 0), 0.5)
    return 1 + 0.1 * pebble + 0.015 * _noise(rng, shape, 3 * ppc)


def _velvet(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Smooth: only the pile's faint mottling (its look is in the light, Fabric.shade).
    return 1 + 0.012 * _noise(rng, shape, 0.4 * ppc) + 0.006 * _fine(rng, shape)


def _satin(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Long floats: the faintest horizontal grain.
    return 1 + 0.008 * _noise(rng, shape, 0.08 * ppc, 3 * ppc)


def _sequins(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    """8 mm paillettes sewn in staggered rows, each row lapping over the one below like scales (smaller ones are
    under 4 px on a whole-garment photo and read as pixel noise). Each disc is a small mirror at its own tilt, but
    they hang at nearly the same angle down the cloth: neighbours differ a little (each disc's own tilt varied its
    light by half again, and the cloth read as a mosaic filter; so did light falling in random drifts), the light
    follows the body (the photo's folds, a glossy cloth's sheen), and about one disc in thirty catches the lamp
    and blazes. The lapping edge of each disc casts a thin shadow on the one under it."""
    pitch = max(6.0, 0.8 * ppc)
    row_h = pitch * 0.6  # rows lap: each shows the top of the next one down
    y, x = _grid(shape)
    radius = 0.5 * pitch
    # The disc in front at each pixel: of the two rows whose discs could cover it, the upper one (it laps over).
    front_row = np.floor(y / row_h).astype(np.int32)
    best = np.full(shape, np.inf, np.float32)
    row_of, col_of, dx_of, dy_of = (np.zeros(shape, np.int32), np.zeros(shape, np.int32), np.zeros(shape, np.float32),
                                    np.zeros(shape, np.float32))
    for back in (1, 0):  # the lower row first, then the upper one drawn over it
        row = front_row - back
        shifted = x - (np.abs(row) % 2) * pitch / 2
        col = np.floor(shifted / pitch).astype(np.int32)
        dx, dy = shifted - (col + 0.5) * pitch, y - (row + 0.5) * row_h - 0.25 * pitch
        inside = np.sqrt(dx * dx + dy * dy) < radius
        take = inside | ~np.isfinite(best)
        best = np.where(take, np.sqrt(dx * dx + dy * dy), best)
        row_of, col_of = np.where(take, row, row_of), np.where(take, col, col_of)
        dx_of, dy_of = np.where(take, dx, dx_of), np.where(take, dy, dy_of)
    rows, cols = int(row_of.max()) + 2, int(col_of.max()) + 2
    drift = _noise(rng, (rows, cols), 8 * ppc / row_h, 3 * ppc / pitch)  # 8 cm long, 3 cm wide, in discs
    facing = 0.3 * drift + rng.standard_normal((rows, cols)).astype(np.float32)
    flash = np.exp(0.15 * facing) * np.where(facing > 1.9, 2.2, 1.0)
    r, c = np.clip(row_of + 1, 0, rows - 1), np.clip(col_of + 1, 0, cols - 1)
    edge = np.clip(radius - best, 0, 1)  # antialiased rim; 0 in the gaps no disc covers
    dome = 1 + 0.2 * (dx_of - dy_of) / pitch  # light to dark across each disc: it reads as a tilted mirror
    lip = 1 - 0.35 * np.clip(1 - (radius - best) / max(1.0, 0.12 * pitch), 0, 1) * (dy_of > 0)  # shadow under a lap
    return edge * flash[r, c] * dome * lip + (1 - edge) * 0.45


def _wool(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Flecked at several scales: fibre, yarn, and the soft cloud of a milled cloth.
    flecks = (rng.random(shape) > 0.99).astype(np.float32) - (rng.random(shape) > 0.99)
    return (1 + 0.02 * _noise(rng, shape, 0.12 * ppc) + 0.02 * _noise(rng, shape, 0.4 * ppc)
            + 0.015 * _noise(rng, shape, 1.5 * ppc) + 0.06 * flecks)


def _tweed(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Coarser and nubbier than wool: a twill underneath, neps (little knots) light and dark, short hairy flecks.
    y, x = _grid(shape)
    twill = np.cos(2 * np.pi * (x - y) / max(3.0, 0.3 * ppc))
    neps = cv2.blur((rng.random(shape) > 0.99).astype(np.float32) - (rng.random(shape) > 0.99), (2, 1))
    return (1 + 0.03 * twill + 0.03 * _noise(rng, shape, 0.15 * ppc) + 0.03 * _noise(rng, shape, 0.5 * ppc)
            + 0.02 * _noise(rng, shape, 2 * ppc) + 0.25 * neps)


def _knit(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    """Stocking stitch: columns of V-shaped stitches about 4.5 mm wide, each V two slanted, rounded yarn legs
    with dark gaps between (never under 6 px wide: a V needs that many to read). One stitch is drawn 8x
    oversized, softened like yarn, shrunk and repeated."""
    w = max(6, round(0.45 * ppc))
    h = max(5, round(0.8 * w))
    ss = 8
    stitch = np.zeros((h * ss, w * ss), np.float32)
    for side in (-1, 1):
        for wrap in (-h, 0, h):  # legs poke into the rows above and below, as real stitches interlock
            centre = (round((w / 2 + side * 0.2 * w) * ss), round((h / 2 + wrap) * ss))
            axes = (round(0.16 * w * ss), round(0.56 * h * ss))
            cv2.ellipse(stitch, centre, axes, side * 25, 0, 360, 1.0, -1)  # a V: legs meet at the foot
    stitch = cv2.GaussianBlur(stitch, (0, 0), 0.06 * w * ss)
    tile = cv2.resize(stitch, (w, h), interpolation=cv2.INTER_AREA)
    return 1 + 0.22 * _cover(tile, shape, rng) + 0.015 * _noise(rng, shape, 0.5 * ppc)


def _chiffon(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Very smooth: a sheer, fine yarn shows no texture at garment scale.
    return 1 + 0.004 * _noise(rng, shape, 0.3 * ppc)


def _technical(shape: tuple[int, int], ppc: float, rng: np.random.Generator) -> np.ndarray:
    # Ripstop: a square grid of heavier threads every 6 mm over a fine, slightly shiny plain weave.
    y, x = _grid(shape)
    pitch = max(5.0, 0.6 * ppc)
    gx, gy = np.abs(x % pitch - pitch / 2), np.abs(y % pitch - pitch / 2)
    grid = np.clip(np.maximum(gx, gy) - (pitch / 2 - 1), 0, 1)
    return 1 + 0.09 * grid + 0.01 * _fine(rng, shape)


_FABRICS: dict[str, Callable[[tuple[int, int], float, np.random.Generator], np.ndarray]] = {
    "cotton": _cotton, "jersey": _jersey, "linen": _linen, "denim": _denim, "canvas": _canvas, "suede": _suede,
    "leather": _leather, "velvet": _velvet, "satin": _satin, "sequins": _sequins, "wool": _wool, "tweed": _tweed,
    "knit": _knit, "chiffon": _chiffon, "technical": _technical,
}


def draw_fabric(name: str, shape: tuple[int, int], px_per_cm: float, seed: int) -> Fabric:
    """The cloth's relief (HxW float32, mean 1.0) at ``px_per_cm``, and its response to light (Fabric.shade)."""
    if name not in _FABRICS:
        raise ValueError(f"unknown fabric {name!r}; known fabrics: {', '.join(FABRICS)}")
    shape = _check(shape, px_per_cm)
    relief = np.asarray(_FABRICS[name](shape, float(px_per_cm), _rng(seed)), np.float32)
    return Fabric(name, relief / float(relief.mean()), float(px_per_cm))
