"""The recipe engine: redraws a garment photo in a style's recipe (palette, print, fabric, finish) on the CPU.

    out = apply_recipe(photo, RECIPES["vintage"], mask)          # mask: HxW in [0, 1], 1 = garment

The garment keeps what makes it itself: its silhouette (nothing outside the mask changes), its folds and light
(the photo's own shading, its cloth's own mottle and gleams taken out, multiplies the new fabric), its seams,
stitching and rivets (the photo's fine detail and small dark marks are put back as light), a placket's buttons
(sewn on again in a shade of the new cloth), and its logos and placement prints (kept as they are, re-inked in the
palette where the new cloth would swallow them, or a shade off the cloth for a tonal look). What
changes is the cloth: the print is drawn flat at the garment's real scale, each piece the garment is sewn from
(collar, yoke, wrap overlap, a long sleeve with its warp down the sleeve) cut from its own place on the bolt (colour
blocking colours the pieces themselves), wrapped round the body (crowding towards the sides), bent along the folds
and softened by the cloth's yarns,
multiplied by the fabric's surface, its response to light (a glossy cloth adds a rounded body's sheen where the
photo is lit flat) and the garment's volume (darker towards the outline and in the seams), then finished (faded,
washed, grain, crisp); the outline is unmixed from the backdrop. A garment printed all over keeps its own print
under a plain or floral look, recoloured into the palette (``draw_recipe`` says so): no redrawn cloth could find
its neckline, placket or smocking under the print.

    drawn = draw_recipe(photo, RECIPES["vintage"], mask)          # drawn.image, drawn.kept_print

``strength`` runs from a hint to the full look: up to 0.3 the garment only moves towards the palette's ground
colour; from 0.3 to 0.7 the print and the fabric come in; from 0.7 on it is the whole recipe.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from tryon import COLOUR_RGB

from .errors import RestyleError
from .recipes import Recipe
from .textures import draw_fabric, draw_print

GARMENT_WIDTH_CM = 60.0  # a flat-lay top or dress is about this wide; sets the print's real scale
PALETTE_ONLY, FULL_LOOK = 0.3, 0.7
# A pixel this far off the garment's hue line in a*b* is print or logo, not a fold (see _other_hue).
PRINT_CHROMA = 18.0
# ...or this far in lightness; either only where the region's edge is sharp (folds are soft, print edges hard).
PRINT_LIGHTNESS, SHARP = 30.0, 12.0
# More of the garment than this is "print" (colour blocks aside): an all-over pattern, which the new print replaces.
LOGO_SHARE = 0.25
LOGO_AREA, ALL_OVER = 0.0008, 8  # a logo is bigger than a speck; this many sizeable marks are an all-over print
LOGO_REACH = 0.02  # a speck this close to a logo (a share of the long side) is the logo's own small print
# Motifs within PLACED_REACH (a share of the long side) of less than PLACED_SHARE of the cloth are one placed print
PLACED_REACH, PLACED_SHARE = 0.04, 0.7
SLENDER = 5  # a region whose box is this many times longer than wide is a line (a stripe, a seam)
PLACED_MOST = 0.35  # ...and cover at most this share of the garment (a tee's graphic fits on its front)
# The cloth a graphic encloses once gaps this wide (a share of the long side) in its outline are closed
GRAPHIC_GAP = 0.008
HOLE_INKED = 0.85  # ...and it is the graphic's own where that share of its edge is the graphic's ink
INK_SPREAD = 20.0  # 8-bit Lab: a graphic whose pixels lie further than this from their median has several inks
BAND_WIDTH = 0.85  # a region this wide a share of the cloth across its middle row runs side to side: a stripe, a panel
# A button is BUTTON_CM across in radius, within BUTTON_BAND of the garment's width from its middle and in the upper
# share of its height, in a row aligned to BUTTON_ALIGN cm, at most BUTTON_GAP cm apart, on cloth whose L* spreads
# less than BUTTON_PLAIN round it (interquartile)
BUTTON_CM, BUTTON_BAND, BUTTON_ALIGN, BUTTON_GAP, BUTTON_PLAIN = (0.35, 0.9), (0.15, 0.55), 0.35, 6.0, 3.0
TONAL_LOGO = 12.0  # L*: how far a tonal logo is from the cloth around it
LOGO_CONTRAST = 25.0  # 8-bit Lab units: a kept logo closer than this to the new cloth would read as a ghost
STANDS_OUT = 0.3  # ...unless at least this share of its pixels is further than that
BLOCK_SHARE = 0.08  # one region this big is a colour block (a panel, a yoke), not a logo...
BLOCK_SPREAD = 12.0  # ...if it is one colour: the std of its L* is below this
BLOCK_THICK = 0.03  # ...and thick: twice its area over its outline's length (a share of the long side) above this
MAX_DETAIL = 8.0  # L* units: a seam's shadow, not a colour step
# Detail over BUSY_DETAIL (L*) on more than BUSY[0] of the plain cloth is a texture's, not seams': put back at less,
# down to BUSY_FLOOR from BUSY[1] on
BUSY_DETAIL, BUSY, BUSY_FLOOR = 4.0, (0.15, 0.3), 0.25
GREYER = 0.35  # a pixel with less than this share of the ground's chroma along its hue is a grey motif
CLOTH_LIGHTNESS = (14.0, 95.0)  # L*: the darkest black and the whitest white dyed cloth photographs as
DARK = 35.0  # L*: cloth darker than this has its folds' contrast softened (see _shading)
NEUTRAL = 8.0  # a ground with less chroma than this is grey, black or white: it has no hue line
# A construction line is PANEL_LINE of the garment's height long; it cuts through gaps up to twice PANEL_GAP; a
# piece is at least PANEL_AREA of the garment
PANEL_LINE, PANEL_GAP, PANEL_AREA = 0.08, 0.025, 0.01
PANEL_SEWN = 0.6  # ...and lies on construction lines along this share of its border with the rest
# A long line within FOLD_LEAN of upright (a tangent: ~15 degrees), further than FOLD_SIDE of the garment's width from
# its middle, is a seam only if an edge mirrors FOLD_MIRROR of it on the other side (within FOLD_REACH of the width):
# side seams and princess seams come in pairs, a fold hanging down one side does not
FOLD_LEAN, FOLD_SIDE, FOLD_MIRROR, FOLD_REACH = 0.27, 0.1, 0.4, 0.02
# A long sleeve is cloth outside the torso's sides (read from the run round the middle between SIDES_READ of the
# height), starting in the garment's upper SLEEVE_TOP, at least SLEEVE_AREA of it and longer than SLEEVE_LONG of its
# height (a short sleeve is cut on the body's grain and its print runs on: cut at a guessed armhole, a check broke
# in steps away from the photo's own seam)
SIDES_READ, SLEEVE_TOP, SLEEVE_AREA, SLEEVE_LONG = (0.6, 0.85), 0.4, 0.02, 0.45
# ...sewn in along an armhole that leans out from the torso's side by ARMHOLE_LEAN (a tangent: ~20 degrees) going up
# from the armpit, which is where the sleeve leaves the side, at most ARMHOLE_CM below the sleeve's top
ARMHOLE_LEAN, ARMHOLE_CM = 0.35, 22.0
BLOCK_PANEL = 0.1  # colour blocking follows the pieces when one besides the body is this share of the garment
PANEL_EDGE = 45  # Canny's upper threshold on L* x 2.55 blurred 2 px: a sewn edge's step, not a fold's slope
# A photo's light as a matte cloth would take it: the mottle of its own cloth (a velvet's crushed pile, a marl's
# heather: log-shading finer than MOTTLE_SCALE of the long side) is cut to MOTTLE_MAX, and the spread of its broad
# light to SPREAD_MAX (a velvet's or a satin's gleams); a cotton tee's light is below both and passes as it is
MOTTLE_SCALE, MOTTLE_MAX, SPREAD_MAX = 0.006, 0.05, 0.3
SHEEN_FLAT = (0.1, 0.3)  # the spread of a photo's shading from which it shows its own highlights, fully by the second
ROUND, ROUND_SMOOTH = 0.6, 0.01  # how round the body is (1: a cylinder); how far down its outline is smoothed
CROWDED = (1.2, 2.0)  # print columns a pixel shows: from the first the print is blurred across, fully by the second
FOLD_BEND = 0.007  # the most the print moves along a fold, as a share of the photo's long side (5 px at 768)
# An all-over print is recoloured, not replaced, under these looks (see _recoloured)
RECOLOURED = frozenset({"solid", "floral", "ditsy floral", "paisley"})
COVERING = frozenset({"sequins"})  # a fabric that hides the cloth under it: no print of the garment's shows through
RECOLOUR_WEIGHT = np.array([0.3, 1.0, 1.0], np.float32)  # L*, a*, b*: how much each counts between print colours
RECOLOUR_SOFTNESS = 6.0  # Lab units: how softly a pixel between two print colours is shared between them
RECOLOUR_SAME_HUE, RECOLOUR_SAME_ANGLE = 12.0, 15.0  # a*b* distance, or hue angle (degrees), of the ground's shades
RECOLOUR_SAMPLE = 20000  # pixels the print's colours are found from
TONAL_CONTRAST = 0.3  # a plain look keeps an all-over print as tone on tone, at this share of its lightness steps
RIM_READ = 0.004  # the outline band nothing is read from (light, detail, print), as a share of the long side
RIM = 0.003  # the outline band, as a share of the photo's long side (3 px at 1024), where cloth and backdrop mix
SPILL = 0.008  # how far in from the outline a soft photo's backdrop may lighten the cloth (8 px at 1024)
UNMIX_CONTRAST = 20.0  # RGB distance below which cloth and backdrop are too alike to unmix
FORM_SIDES, FORM_REACH = 0.22, 0.02  # new cloth is this much darker at the outline, fading over this share of the side
FORM_SEAM = 0.3  # ...and this much darker along the seams between pieces


@dataclass
class Surface:
    """What the engine reads from a garment photo before drawing: its light, its fine detail and its logos."""

    shading: np.ndarray  # HxW float32: linear lightness over the garment's median (1 = mid, <1 folds)
    detail: np.ndarray  # HxW float32: the photo's fine lightness detail (seams, stitching), Lab L units
    keep: np.ndarray  # HxW float32: logos, placement prints and buttons, kept (buttons in a shade of the new cloth)
    buttons: np.ndarray  # HxW bool: a placket's buttons, part of ``keep``
    panels: np.ndarray  # HxW int32: the pieces the garment is sewn from (collar, yoke, sleeves), 0 = main
    grain: np.ndarray  # (pieces + 1,) float32: each piece's warp, in radians from straight down (a sleeve's axis)
    form: np.ndarray  # HxW float32: light a new cloth loses to the garment's volume (its sides, its seams); 1 = none
    round_x: np.ndarray  # HxW float32: the column of a flat print each pixel shows once wrapped round the body
    sheen: np.ndarray  # HxW float32 in [0, 1]: the broad light on a rounded body that a flat-lit photo lacks
    backing: np.ndarray  # HxW bool: cloth a logo encloses (inside a badge's outline, a letter's bowl)
    all_over: bool  # the garment is printed all over (florals, chains): its print can be recoloured
    ground: np.ndarray  # (3,) float32 RGB: the garment's own main colour
    px_per_cm: float


@dataclass
class Drawn:
    """A restyled garment photo, and how its print was made: ``kept_print`` when the garment's own all-over print
    was recoloured into the palette rather than replaced by the recipe's."""

    image: Image.Image
    kept_print: bool = False


def apply_recipe(
    image: Image.Image, recipe: Recipe, mask: np.ndarray, strength: float = 1.0, preserve_colour: bool = False,
    print_name: str | None = None, seed: int = 0,
) -> Image.Image:
    """``image`` redrawn in ``recipe`` inside ``mask``; ``print_name`` picks one of the recipe's prints (default
    its first); ``preserve_colour`` keeps the garment's own ground colour under the new print and fabric."""
    return draw_recipe(image, recipe, mask, strength, preserve_colour, print_name, seed).image


def draw_recipe(
    image: Image.Image, recipe: Recipe, mask: np.ndarray, strength: float = 1.0, preserve_colour: bool = False,
    print_name: str | None = None, seed: int = 0,
) -> Drawn:
    """apply_recipe, saying whether the garment's own print was kept (recoloured) or replaced."""
    # 1. Check inputs
    rgb = np.asarray(image.convert("RGB"))
    if mask.shape != rgb.shape[:2]:
        raise RestyleError(f"mask must be {rgb.shape[:2]} like the image; got {mask.shape}")
    if not 0.0 <= strength <= 1.0:
        raise RestyleError(f"strength must be between 0 and 1; got {strength}")
    print_name = print_name or recipe.prints[0]
    if print_name not in recipe.prints:
        raise RestyleError(f"print {print_name!r} is not in this recipe; it has {', '.join(recipe.prints)}")
    alpha = np.clip(mask, 0, 1).astype(np.float32)
    if strength == 0 or not alpha.any():
        return Drawn(image.convert("RGB"))
    # 2. Read the garment, then draw the new cloth flat at its real scale
    surface = read_surface(rgb, alpha > 0.5)
    colours = palette_rgb(recipe.palette)
    if preserve_colour:
        colours[0] = surface.ground
    drawn = int(np.clip((strength - PALETTE_ONLY) / (FULL_LOOK - PALETTE_ONLY), 0, 1) * 100) / 100
    seed = zlib.crc32(f"{recipe.palette}{print_name}{seed}".encode())
    kept_print = surface.all_over and print_name in RECOLOURED and recipe.fabric not in COVERING
    if kept_print:
        # An all-over print under a plain or a floral look: the garment keeps its own print, recoloured into the
        # palette; its neckline, smocking and gathers, which no redrawn cloth can find under a print, stay
        relief = draw_fabric(recipe.fabric, rgb.shape[:2], surface.px_per_cm, seed).relief
        cloth = _recoloured(rgb, alpha > 0.5, colours, print_name == "solid") * (1 + (relief[..., None] - 1) * drawn)
        detail = np.zeros_like(surface.detail)  # the photo's own stitching is in the recoloured pixels already
    else:
        cloth, detail = _cloth(alpha > 0.5, colours, recipe, print_name, surface, drawn, seed), surface.detail
    # 3. Finish, put the seams back, and hand-blend towards the photo for a hint
    cloth = finish(cloth, recipe.finish, drawn, alpha > 0.5, seed, detail)
    hint = min(1.0, strength / PALETTE_ONLY)
    new = rgb.astype(np.float32) * (1 - hint) + cloth * hint
    if recipe.logos == "tonal":
        logo = _tonal(rgb, surface, cloth)
    else:
        logo = rgb if _stands_out(rgb, surface.keep, cloth) else _reinked(rgb, surface, cloth, colours)
    logo = np.where(surface.buttons[..., None], _matched_buttons(rgb, surface, cloth), logo)
    new = new * (1 - surface.keep[..., None]) + logo * surface.keep[..., None]
    # The outline is unmixed from the backdrop, but for a new cloth over an all-over print: a light motif at the
    # outline unmixes as backdrop (white specks along the edge). A kept print needs it most: its recoloured rim,
    # half backdrop, would glow as a halo.
    if kept_print or not surface.all_over:
        new = _unmixed_rim(new, rgb, alpha > 0.5)
    # 4. Only the garment changes: outside the mask the photo's own pixels, untouched
    out = rgb * (1 - alpha[..., None]) + new * alpha[..., None]
    out = np.where(alpha[..., None] > 0, out, rgb)
    return Drawn(Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8)), kept_print)


def _recoloured(rgb: np.ndarray, garment: np.ndarray, colours: np.ndarray, tonal: bool) -> np.ndarray:
    """The garment's own print in the palette: its colours found by k-means in Lab, the most common (the ground)
    given the palette's ground and the others the palette's other colours in the same order of lightness, each
    pixel keeping its light relative to its colour (folds, seams, the print's own shading). Pixels between two
    colours (a motif's antialiased edge) are mixed as they were."""
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    pixels = lab[garment]
    centres = _print_colours(pixels)
    palette = cv2.cvtColor(colours[None].astype(np.float32) / 255, cv2.COLOR_RGB2LAB)[0]
    targets = _palette_targets(centres, palette, tonal)
    distance = np.linalg.norm((pixels[:, None] - centres[None]) * RECOLOUR_WEIGHT, axis=-1)
    weight = np.exp(-((distance - distance.min(axis=1, keepdims=True)) ** 2) / (2 * RECOLOUR_SOFTNESS**2))
    weight /= weight.sum(axis=1, keepdims=True)
    # lightness relative to its colour's centre, in L* steps (what the eye sees of a fold), scaled a little with
    # the new colour's lightness: a ratio of luminances would blow a black ground's faint shades up to stripes
    scale = np.clip(targets[:, 0] / np.maximum(centres[:, 0], 1.0), 0.5, 1.5)
    lightness = (weight * (targets[:, 0] + (pixels[:, :1] - centres[:, 0]) * scale)).sum(axis=1)
    ab = weight @ targets[:, 1:]
    out = rgb.astype(np.float32).copy()
    new = np.concatenate([np.clip(lightness, 0, 100)[:, None], ab], axis=1).astype(np.float32)
    out[garment] = np.clip(cv2.cvtColor(new[None], cv2.COLOR_LAB2RGB)[0], 0, 1) * 255
    return out


def _print_colours(pixels: np.ndarray, k: int = 5) -> np.ndarray:
    """(k, 3) Lab centres of a print's colours, the ground first (the most common hue), then its other shades,
    then the rest. Lightness weighs less than colour, so a colour's lit side and its shadow mostly fall together."""
    sample = pixels[np.random.default_rng(0).permutation(len(pixels))[:RECOLOUR_SAMPLE]] * RECOLOUR_WEIGHT
    k = min(k, len(sample))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5)
    cv2.setRNGSeed(0)
    _, labels, centres = cv2.kmeans(sample.astype(np.float32), k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    centres, counts = centres / RECOLOUR_WEIGHT, np.bincount(labels.ravel(), minlength=k)
    # the ground is the cloth's most common colour (as read_surface finds it), not the biggest cluster: a print's
    # motifs may be one cluster while the ground's lit side and shadow are two
    ground = np.argmin(np.linalg.norm((centres - _ground(pixels)) * RECOLOUR_WEIGHT, axis=1))
    shade = _same_hue(centres[:, 1:], centres[ground, 1:])
    order = sorted(range(k), key=lambda i: (i != ground, not shade[i], -counts[i]))
    return centres[order]


def _palette_targets(centres: np.ndarray, palette: np.ndarray, tonal: bool) -> np.ndarray:
    """The palette colour (Lab) each print colour becomes: the ground's ground, every colour of the ground's hue
    (its shadow, its sheen) the ground too, and the others the palette's other colours, darkest to darkest; or,
    ``tonal`` (a plain look), the ground's colour at half the print's contrast: a tone-on-tone print, as a
    jacquard or a burnout is, instead of a second colour."""
    targets = np.repeat(palette[:1], len(centres), axis=0)
    same = _same_hue(centres[:, 1:], centres[0, 1:])
    others = np.flatnonzero(~same)
    if tonal:
        targets[others, 0] = np.clip(palette[0, 0] + TONAL_CONTRAST * (centres[others, 0] - centres[0, 0]), 5, 95)
        return targets
    inks = palette[1:] if len(palette) > 1 else palette[:1]
    inks = inks[np.argsort(inks[:, 0])]
    for rank, index in enumerate(others[np.argsort(centres[others, 0])]):
        targets[index] = inks[min(rank * len(inks) // len(others), len(inks) - 1)]
    return targets


def _same_hue(ab: np.ndarray, ground: np.ndarray) -> np.ndarray:
    """Which a*b* colours are shades of ``ground``: close to it, or on its hue (a satin's lit side and its shadow
    differ in chroma, not in hue)."""
    near = np.linalg.norm(ab - ground, axis=1) < RECOLOUR_SAME_HUE
    chroma = np.linalg.norm(ab, axis=1) * np.linalg.norm(ground)
    cosine = (ab @ ground) / np.maximum(chroma, 1e-6)
    return near | ((chroma > NEUTRAL**2) & (cosine > np.cos(np.radians(RECOLOUR_SAME_ANGLE))))


def _stands_out(rgb: np.ndarray, logos: np.ndarray, cloth: np.ndarray) -> bool:
    """Whether enough of the kept logos (STANDS_OUT of their pixels) differ from the new cloth around them: a white
    logo on a new white ground would only be a ghost of itself, so the style does not keep it; a graphic of several
    inks stands out by its inks even where its whites match the new cloth (re-inked in one ink, a drawing of a
    figure came back as a navy ghost of itself)."""
    marks = logos > 0.5
    if not marks.any():
        return False
    around = _lab_rows(np.median(cloth[_around(marks)], axis=0)[None])[0]
    distance = np.linalg.norm(_lab_rows(rgb[marks]) - around, axis=1)
    return float((distance > LOGO_CONTRAST).mean()) >= STANDS_OUT


def _around(marks: np.ndarray) -> np.ndarray:
    """The cloth next to ``marks``: a ring 7 px wide round them."""
    return (cv2.dilate(marks.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0) & ~marks


def _lab_rows(rgb: np.ndarray) -> np.ndarray:
    """(k, 3) RGB colours (0-255) as OpenCV's 8-bit Lab, float32."""
    return cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8)[None], cv2.COLOR_RGB2LAB)[0].astype(np.float32)


def _reinked(rgb: np.ndarray, surface: Surface, cloth: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """The logos printed again in one ink, the palette colour furthest from the new cloth around them (black or
    white if none is far enough), lit like the cloth: a white logo on a new cream ground is re-inked, not lost. The
    ink lies as densely as each pixel of the old print stood off its old cloth, so a graphic (a face, a photo, a
    drawing) comes back as a one-colour print of itself; laid flat, it came back as a white silhouette."""
    marks = surface.keep > 0.5
    if not marks.any():
        return cloth
    inks = np.concatenate([colours, palette_rgb(("black", "white"))])
    lab = _lab_rows(np.vstack([np.median(cloth[_around(marks)], axis=0)[None], inks]))
    distance = np.linalg.norm(lab[1:] - lab[0], axis=1)
    far = np.flatnonzero(distance[: len(colours)] > LOGO_CONTRAST)
    ink = inks[far[np.argmax(distance[far])]] if len(far) else inks[len(colours) + np.argmax(distance[-2:])]
    density = _ink_density(rgb, surface.ground, marks)[..., None]
    return cloth * (1 - density) + _lit(ink, surface.shading) * density


def _ink_density(rgb: np.ndarray, ground: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """How far each pixel stands off the old cloth (``ground``, RGB), from 0 (the cloth showing through a print)
    to 1 (as far as most of the print in ``marks``, or LOGO_CONTRAST): a one-colour logo is 1 all over."""
    off = np.linalg.norm(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32) - _lab_rows(ground[None])[0], axis=-1)
    return np.clip(off / max(float(np.percentile(off[marks], 75)), LOGO_CONTRAST), 0, 1)


def _lit(ink: np.ndarray, shading: np.ndarray) -> np.ndarray:
    """A re-inked logo's colour (RGB 0-255) lit like the cloth round it, its folds' light a little softened."""
    linear = (np.asarray(ink, np.float32) / 255) ** 2.2 * np.clip(shading, 0.5, 1.3)[..., None]
    return np.clip(linear, 0, 1) ** (1 / 2.2) * 255


def _tonal(rgb: np.ndarray, surface: Surface, cloth: np.ndarray) -> np.ndarray:
    """The logos printed a shade off the new cloth around them (lighter if they were lighter than their cloth), lit
    like the cloth: a tone-on-tone logo, as a minimalist label wears its brand. A graphic's own light and dark keep
    TONAL_CONTRAST of their steps round that shade: one flat shade, a drawn figure was a silhouette blob."""
    marks = surface.keep > 0.5
    if not marks.any():
        return cloth
    old = _lab_rows(np.stack([np.median(rgb[marks], axis=0), np.median(rgb[_around(marks)], axis=0)]))
    shade = _lab_rows(_shade_off(np.median(cloth[_around(marks)], axis=0), old[0, 0] >= old[1, 0])[None])[0]
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    ink = np.empty_like(lab)
    ink[..., 0] = np.clip(shade[0] + TONAL_CONTRAST * (lab[..., 0] - old[0, 0]), 0, 255)
    ink[..., 1:] = shade[1:]
    return _lit(cv2.cvtColor(ink.astype(np.uint8), cv2.COLOR_LAB2RGB).astype(np.float32), surface.shading)


def _matched_buttons(rgb: np.ndarray, surface: Surface, cloth: np.ndarray) -> np.ndarray:
    """Buttons sewn on again in a shade of the new cloth (lighter if they were lighter than their cloth), each
    keeping its own light (its rim, its holes): kept in their old colour, the polo's pale blue buttons floated on a
    camel houndstooth and a grey camo, as judges saw."""
    marks = surface.buttons
    if not marks.any():
        return cloth
    lightness = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[..., 0].astype(np.float32) / 2.55
    own, around = float(np.median(lightness[marks])), float(np.median(lightness[_around(marks)]))
    ink = _shade_off(np.median(cloth[_around(marks)], axis=0), own >= around)
    own_light = _linear(lightness) / max(float(_linear(np.array(own))), 1e-3)
    return _lit(ink, np.clip(own_light, 0.5, 1.3))


def _shade_off(colour: np.ndarray, lighter: bool) -> np.ndarray:
    """``colour`` (RGB 0-255) TONAL_LOGO L* lighter or darker: the other way where that would pass white or black."""
    ink = _lab_rows(colour[None])[0]
    step = TONAL_LOGO * 2.55 * (1 if lighter else -1)
    ink[0] = ink[0] + step if 0 <= ink[0] + step <= 242 else ink[0] - step
    return cv2.cvtColor(np.clip(ink, 0, 255).astype(np.uint8)[None, None], cv2.COLOR_LAB2RGB)[0, 0]


def _unmixed_rim(new: np.ndarray, rgb: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """The garment's outline band mixed with the backdrop as much as the photo's own edge was: each rim pixel's
    share of cloth (alpha) is read by unmixing its old colour between the old cloth and the backdrop beside it,
    then the new cloth is mixed with that backdrop in the same share. Kept as it was, the old edge would draw a
    dark fringe round a light new garment; painted as solid cloth, a glow halo of half-backdrop colour."""
    side = max(garment.shape)
    width = max(2, round(RIM * side))
    inner = _inside(garment, width)
    outside = (cv2.dilate(garment.astype(np.uint8), np.ones((2 * width + 1, 2 * width + 1), np.uint8)) > 0) & ~garment
    band = garment & ~inner
    if not band.any() or not inner.any() or not outside.any():
        return new
    photo = rgb.astype(np.float32)
    cloth = np.dstack([_push_pull(photo[..., c], inner.astype(np.float32)) for c in range(3)])
    backdrop = np.dstack([_push_pull(photo[..., c], outside.astype(np.float32)) for c in range(3)])
    span = cloth[band] - backdrop[band]
    reach = np.einsum("ij,ij->i", span, span)
    share = np.einsum("ij,ij->i", photo[band] - backdrop[band], span) / np.maximum(reach, 1.0)
    # a cloth the backdrop's colour cannot be unmixed: it stays cloth
    share = np.where(reach > UNMIX_CONTRAST**2, np.clip(share, 0, 1), 1.0)[:, None]
    out = new.copy()
    out[band] = share * new[band] + (1 - share) * backdrop[band]
    return out


def palette_rgb(names: tuple[str, ...]) -> np.ndarray:
    """(k, 3) float32 RGB of vocabulary colour names, as dyed cloth photographs: no cloth is as black as (0, 0, 0)
    or as white as (255, 255, 255), and painted so its folds vanish (light times zero is zero) or clip."""
    rgb = np.array([[COLOUR_RGB[name] for name in names]], np.float32) / 255
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = np.clip(lab[..., 0], *CLOTH_LIGHTNESS)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)[0] * 255, 0, 255)


def read_surface(rgb: np.ndarray, garment: np.ndarray) -> Surface:
    """The garment's light, fine detail, logos, main colour and scale (pixels per centimetre)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lightness, ab = lab[..., 0] * (100 / 255), lab[..., 1:] - 128
    ground = _ground(np.concatenate([lightness[garment][:, None], ab[garment]], axis=1))
    regions, kinds = _print_regions(lightness, ab, ground, garment)
    plain = garment & (regions == 0)
    blocks = garment & np.isin(regions, np.flatnonzero(kinds == BLOCK))
    logos = garment & np.isin(regions, np.flatnonzero(kinds == LOGO))
    all_over = (kinds == MOTIF)[regions].sum() > LOGO_SHARE * garment.sum()
    buttons = np.zeros_like(garment) if all_over else _buttons(lightness, garment, (regions > 0) & ~blocks)
    logos |= buttons  # a placket's buttons, on plain cloth
    backing = _enclosed(logos) & garment  # what the one-ink marks enclose; less the interior kept below
    logos |= _graphic_interior(lab, logos, garment)
    # On an all-over print little plain cloth is left between the motifs to read the folds from: only the
    # broad light is kept, so that no ghost of the old print shows through
    shading = _shading(lightness, regions, kinds, garment)
    inside = _inside(garment, _rim(garment))
    detail = _detail(lightness, (plain | blocks if all_over else garment) & inside, regions)
    # ...and so is a plain-looking cloth's own busy texture (a micro-check, a tonal jacquard), fully from BUSY[1]
    sparse = _sparse(detail, plain & inside)
    broad = 1.0 if all_over else (1 - sparse) / (1 - BUSY_FLOOR)
    if broad > 0:
        smooth = np.clip(cv2.GaussianBlur(shading, (0, 0), 0.012 * max(garment.shape)), 0.6, 1.25)
        shading = shading * (1 - broad) + smooth * broad
    body = _body(garment)
    sheen = _sheen(garment, body, shading)  # from the photo's own light: a velvet's gleams need no more
    none = np.zeros(garment.shape, np.int32)
    panels, lines = (none, none) if all_over else _panels(lightness, garment, (regions > 0) & ~blocks)
    panels, lines, grain = _with_sleeves(panels, lines, garment)
    return Surface(
        shading=_as_matte(_without_spill(shading, garment), garment),
        # a label's or a rivet's own stitching stays (a flat patch reads as a glitch); an all-over print's does not
        # ...and the outline's own step into the backdrop is not stitching: kept, it lights a halo round the garment
        detail=detail * (0.5 if all_over else sparse),
        keep=cv2.GaussianBlur(logos.astype(np.float32), (0, 0), 0.8) * garment,
        buttons=cv2.dilate(buttons.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0,
        panels=panels,
        grain=grain,
        form=_form(garment, panels, lines),
        round_x=_round_x(garment, body),
        sheen=sheen,
        backing=backing & ~logos,
        all_over=bool(all_over),
        ground=np.median(rgb[plain if plain.any() else garment], axis=0).astype(np.float32),
        px_per_cm=_px_per_cm(garment),
    )


def _buttons(lightness: np.ndarray, garment: np.ndarray, printed: np.ndarray) -> np.ndarray:
    """A placket's buttons, to be kept as they are: under a busy new print a button read as a speck of light is
    lost, and judges called the polo a mock neck. Circles of a button's size (BUTTON_CM) on plain cloth, near the
    garment's middle and in its upper part, two or more in a vertical row at a button's spacing; one circle alone,
    or circles in a print or a logo (an O, a face), are not buttons."""
    ppc = _px_per_cm(garment)
    rows, columns = np.nonzero(garment)
    if len(rows) == 0:
        return np.zeros_like(garment)
    low, high = max(3, round(BUTTON_CM[0] * ppc)), max(5, round(BUTTON_CM[1] * ppc))
    smooth = cv2.GaussianBlur(np.clip(lightness * 2.55, 0, 255).astype(np.uint8), (0, 0), 1.0)
    found = cv2.HoughCircles(smooth, cv2.HOUGH_GRADIENT, dp=1, minDist=2 * low, param1=60, param2=8,
                             minRadius=low, maxRadius=high)
    centre, width = (columns.min() + columns.max()) / 2, columns.max() - columns.min()
    top, height = rows.min(), rows.max() - rows.min()
    near_print = cv2.dilate(printed.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    circles = [(x, y, r) for x, y, r in (found[0] if found is not None else [])
               if abs(x - centre) < BUTTON_BAND[0] * width and y < top + BUTTON_BAND[1] * height
               and garment[int(y), int(x)] and not near_print[int(y), int(x)]
               and _plain_around(lightness, garment, x, y, r)]
    row: list = []
    for x0, _, r0 in circles:  # the longest vertical row of like circles at a button's spacing
        same = sorted((c for c in circles if abs(c[0] - x0) < BUTTON_ALIGN * ppc and 0.65 < c[2] / r0 < 1.5),
                      key=lambda c: c[1])
        gaps = np.diff([c[1] for c in same])
        if len(same) >= 2 and (gaps > 2 * low).all() and (gaps < BUTTON_GAP * ppc).all() and len(same) > len(row):
            row = same
    marks = np.zeros(garment.shape, np.uint8)
    for x, y, r in row:
        cv2.circle(marks, (round(x), round(y)), round(r) + 1, 1, -1)
    return (marks > 0) & garment


def _plain_around(lightness: np.ndarray, garment: np.ndarray, x: float, y: float, r: float) -> bool:
    """Whether the cloth in a ring round a circle is plain (a placket), not a velvet's or a print's texture: the
    middle half of its lightness within BUTTON_PLAIN (a collar's edge across part of the ring does not count)."""
    reach = int(2.4 * r) + 1
    top, left = max(0, int(y) - reach), max(0, int(x) - reach)
    window = (slice(top, int(y) + reach + 1), slice(left, int(x) + reach + 1))
    yy, xx = np.ogrid[window]
    distance = np.hypot(xx - x, yy - y)
    ring = garment[window] & (distance > 1.4 * r) & (distance < 2.4 * r)
    spread = np.subtract(*np.percentile(lightness[window][ring], [75, 25])) if ring.sum() > 10 else np.inf
    return bool(spread < BUTTON_PLAIN)


def _ground(pixels: np.ndarray) -> np.ndarray:
    """The cloth's own colour (L*, a*, b*): the most common colour, not the median, which on a busy print falls
    between the ground and the print. Binned coarsely (a shadow and its lit side share a bin in a*b*)."""
    bins = np.floor(pixels / (12.0, 6.0, 6.0)).astype(np.int64)
    keys = (bins[:, 0] * 1000 + bins[:, 1] + 500) * 1000 + bins[:, 2] + 500
    values, counts = np.unique(keys, return_counts=True)
    return np.median(pixels[keys == values[np.argmax(counts)]], axis=0)


PLAIN, BLOCK, LOGO, MOTIF = range(4)  # what a region of the garment photo is


def _print_regions(lightness: np.ndarray, ab: np.ndarray, ground: np.ndarray,
                   garment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected regions far from the ground colour, and what each is: a colour block (a big panel, redrawn
    with its own folds), a logo or placement print (kept), or a motif of an all-over print (redrawn, its
    light filled in from around it). Label 0 is the plain ground. A small region counts only if its edge is
    sharp: a deep fold or a velvet's sheen is as far from the ground as a print, but soft-edged."""
    hue, greyer = _other_hue(lightness, ab, ground)
    # the outline's own band is neither print nor logo: its colour fringe (a lens's blue edge on a black tee) and
    # its shadow run the garment's whole length, and kept as a "logo" they draw a dark outline round the new cloth
    hue &= _inside(garment, _rim(garment))
    far = hue | (_inside(garment, _rim(garment)) & (greyer | (np.abs(lightness - ground[0]) > PRINT_LIGHTNESS)))
    edge = np.abs(lightness - cv2.GaussianBlur(lightness, (0, 0), 2))
    # a shadow on white cloth is a little blue: low in chroma, it may still be a shadow
    dull = ~hue | (np.linalg.norm(ab, axis=-1) < PRINT_CHROMA)
    far &= ~_shadows(far & dull & ~greyer & (lightness < ground[0]), far, edge)
    count, labels = cv2.connectedComponents(far.astype(np.uint8), connectivity=8)
    rim = far & ~cv2.erode(far.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    outline = np.maximum(np.bincount(labels[rim], None, count), 1)  # each region's outline length, in pixels
    sharpness = np.bincount(labels[rim], edge[rim], count) / outline
    area = np.bincount(labels.ravel(), None, count)
    hued = np.bincount(labels.ravel(), hue.ravel(), count) > 0.5 * area  # mostly another hue: print, soft or not
    grey = np.bincount(labels.ravel(), greyer.ravel(), count) > 0.5 * area
    mean = np.bincount(labels.ravel(), lightness.ravel(), count) / np.maximum(area, 1)
    # soft-edged, same hue: a fold, a sheen; but not a patch far lighter than the cloth, unless it is a stripe (a
    # painting printed on a black tee is soft-edged too, and was filled in as light)
    fold = (sharpness < SHARP) & ~hued & ~grey
    printed = fold & (mean - ground[0] > 2 * PRINT_LIGHTNESS)
    if printed.any():  # rare: the boxes are measured only then
        fold &= ~(printed & ~_slender(labels, count))
    kinds = np.where(fold, PLAIN, MOTIF)
    # a panel of one other colour, whatever its edge (a big region of many colours is a print run together)
    spread = np.sqrt(np.maximum(np.bincount(labels.ravel(), lightness.ravel() ** 2, count) / np.maximum(area, 1)
                                - mean**2, 0))
    # ...and thick: a Breton top's navy stripes, joined at the seams, are one big region of one colour too
    thickness = 2 * area / outline
    thick = thickness > BLOCK_THICK * max(garment.shape)
    kinds[(area > BLOCK_SHARE * garment.sum()) & (spread < BLOCK_SPREAD) & thick] = BLOCK
    kinds[0] = PLAIN
    area = area / max(garment.sum(), 1)
    motifs = kinds == MOTIF
    # a logo is another colour, or lighter (ink on cloth); a dark sharp mark is as often the inside of a neckline
    lighter = mean > ground[0] + PRINT_LIGHTNESS / 2
    sizeable = motifs & (area > LOGO_AREA) & (hued | lighter)
    few = area[motifs].sum() <= LOGO_SHARE and sizeable.sum() < ALL_OVER  # a few marks, not an all-over print
    # ...or one placed print however busy (a face, a bouquet across the chest), its dark ink too; not stripes or
    # colour blocks, which run from side to side, nor a print that covers most of the garment
    placed = None
    if not few and area[motifs].sum() <= PLACED_MOST:
        placed = motifs & ~_bands(labels, garment, len(kinds))
        placed = placed if _placed(labels, placed, garment) else None
    if few or placed is not None:
        kinds[sizeable if few else placed & (area > LOGO_AREA)] = LOGO
        # ...and the specks are construction, not print: a seam's shadow, a rivet, a buttonhole, a belt loop's
        # edge. Read as light, they stay on the new cloth; filled in as print, the jeans lose their fly. Except
        # a logo's own small print (the "U.S.A." in a badge, a registered mark beside it): read as light, it
        # comes back as a ghost of the letters, so it is kept with its logo.
        specks = motifs & (area <= LOGO_AREA)
        kinds[specks] = PLAIN
        kinds[specks & _near(labels, kinds == LOGO, garment)] = LOGO
        # ...and so is a label's: light specks close together (letters) and a logo's worth of them in all
        kinds[_lettering(labels, specks & lighter, area, garment)] = LOGO
    labels[np.isin(labels, np.flatnonzero(kinds == PLAIN))] = 0
    return labels, kinds


def _shadows(darker: np.ndarray, far: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """The pieces of ``darker`` (darker than the ground, in its hue or dull) whose edge with the ground is soft: the
    shadow of a fold or of a sleeve's seam, not print. Joined to a graphic beside it, a sleeve's shadow was kept
    with it as a grey patch on the new cloth."""
    count, pieces = cv2.connectedComponents(darker.astype(np.uint8), connectivity=8)
    if count == 1:
        return darker
    rim = darker & (cv2.dilate((~far).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    sharpness = np.bincount(pieces[rim], edge[rim], count) / np.maximum(np.bincount(pieces[rim], None, count), 1)
    soft = sharpness < SHARP
    soft[0] = False
    return soft[pieces]


def _slender(labels: np.ndarray, count: int) -> np.ndarray:
    """Which regions (a bool per label) are lines: their box SLENDER times longer than wide (a stripe, a seam)."""
    slender = np.zeros(count, bool)
    for label, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is not None:
            sides = sorted(edge.stop - edge.start for edge in box)
            slender[label] = sides[1] > SLENDER * sides[0]
    return slender


def _bands(labels: np.ndarray, garment: np.ndarray, count: int) -> np.ndarray:
    """Which regions (a bool per label) run across their piece of cloth: at their middle row, wider than
    BAND_WIDTH of the run of cloth they lie in (a stripe on a body or a sleeve, a yoke, a colour-blocked panel)."""
    bands = np.zeros(count, bool)
    for label, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        row = (box[0].start + box[0].stop) // 2
        inside = np.flatnonzero(labels[row] == label)
        if not len(inside):
            continue
        column = inside[len(inside) // 2]
        left = column - np.argmin(garment[row, column::-1]) if not garment[row, :column + 1].all() else 0
        right = column + np.argmin(garment[row, column:]) if not garment[row, column:].all() else garment.shape[1]
        bands[label] = box[1].stop - box[1].start >= BAND_WIDTH * (right - left)
    return bands


def _placed(labels: np.ndarray, motifs: np.ndarray, garment: np.ndarray) -> bool:
    """Whether the ``motifs`` (a bool per label) lie in one place rather than all over: the cloth within
    PLACED_REACH of the garment's size of any of them is less than PLACED_SHARE of it (an all-over print, however
    sparse, leaves no cloth that far from a motif). Read as an all-over print, a tee's graphic was replaced by the
    new print, or kept as its own ghost."""
    marks = np.isin(labels, np.flatnonzero(motifs)) & garment
    if not marks.any():
        return False
    reach = 2 * round(PLACED_REACH * max(garment.shape)) + 1
    near = cv2.dilate(marks.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))) > 0
    return float((near & garment).sum()) < PLACED_SHARE * float(garment.sum())


def _enclosed(marks: np.ndarray) -> np.ndarray:
    """``marks`` with every hole filled: what cannot be reached from the photo's border without crossing them."""
    outside = np.pad(~marks, 1, constant_values=True).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)
    return outside[1:-1, 1:-1] != 2


def _closed(marks: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """``marks`` with the gaps in their outlines closed (GRAPHIC_GAP of the long side): a drawn face's outline has
    gaps the cloth inside reaches the rest of the garment through."""
    reach = 2 * max(1, round(GRAPHIC_GAP * max(garment.shape))) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))
    return cv2.morphologyEx(marks.astype(np.uint8), cv2.MORPH_CLOSE, kernel) > 0


def _graphic_interior(lab: np.ndarray, logos: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """The cloth the ``logos`` enclose, once the gaps in their outlines are closed, that is their own: inside a
    graphic of several inks (a face, a bow's polka dots, a dalmatian's spots) all of it, as such a print is printed
    whole, its whites included. Backed with the new cloth, Minnie's face came out the colour of the new tee. Inside
    a one-ink logo (a letter's bowl, a badge's ring) the new cloth shows, backed plain."""
    graphics, _ = ndimage.label(_closed(logos, garment), structure=np.ones((3, 3)))
    own = np.zeros_like(garment)
    for group, box in enumerate(ndimage.find_objects(graphics), start=1):  # each within its own box: a hot path
        if box is None:
            continue
        members = graphics[box] == group
        inked = lab[box][members & logos[box]]
        if len(inked) and np.median(np.linalg.norm(inked - np.median(inked, axis=0), axis=1)) > INK_SPREAD:
            own[box] |= _enclosed(members)
    # ...where the graphic's own ink rings it (HOLE_INKED of its edge): the cloth between a word's letters, or
    # between a word and a box, is enclosed only across the closed gaps, and kept it drew white halos round the
    # letters on the new cloth
    count, holes = cv2.connectedComponents((own & garment & ~logos).astype(np.uint8), connectivity=4)
    grown = cv2.dilate(holes.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int64)
    edge = (grown > 0) & (holes == 0)
    inked = np.bincount(grown[edge], logos[edge], count) / np.maximum(np.bincount(grown[edge], None, count), 1)
    ringed = inked >= HOLE_INKED
    ringed[0] = False
    return ringed[holes]


def _near(labels: np.ndarray, chosen: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """Which regions touch the ring LOGO_REACH of the long side around the ``chosen`` ones (a bool per label)."""
    reach = max(3, round(LOGO_REACH * max(garment.shape))) | 1
    ring = cv2.dilate(np.isin(labels, np.flatnonzero(chosen)).astype(np.uint8), np.ones((reach, reach), np.uint8))
    return np.bincount(labels[ring > 0], minlength=len(chosen)) > 0


def _lettering(labels: np.ndarray, light_specks: np.ndarray, area: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """Which of the ``light_specks`` (a bool per label) are letters: they lie within LOGO_REACH / 4 of each other
    in groups of at least three that together cover LOGO_AREA. A rivet or a buttonhole stands alone."""
    reach = max(3, round(LOGO_REACH / 4 * max(garment.shape))) | 1
    inside = np.isin(labels, np.flatnonzero(light_specks))
    count, groups = cv2.connectedComponents(cv2.dilate(inside.astype(np.uint8), np.ones((reach, reach), np.uint8)))
    group_of = np.zeros(len(light_specks), np.int64)  # each speck's group (every pixel of a speck lies in one)
    group_of[labels[inside]] = groups[inside]
    members = np.bincount(group_of[light_specks], minlength=count)
    cover = np.bincount(group_of[light_specks], area[light_specks], minlength=count)
    words = (members >= 3) & (cover > LOGO_AREA)
    words[0] = False
    return light_specks & words[group_of]


def _other_hue(lightness: np.ndarray, ab: np.ndarray, ground: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of another colour than the ground's: off its hue line in a*b* (a highlight or a shadow stays on
    it), or coloured at all on a grey, black or white ground; and, apart, pixels much greyer than the ground and
    not much lighter (a grey motif on orange; a highlight goes greyer only as it gets lighter)."""
    chroma = float(np.linalg.norm(ground[1:]))
    if chroma < NEUTRAL:
        return np.linalg.norm(ab, axis=-1) > PRINT_CHROMA / 2, np.zeros(lightness.shape, bool)
    along = ab @ (ground[1:] / chroma)
    across = np.abs(ab[..., 0] * ground[2] - ab[..., 1] * ground[1]) / chroma
    greyer = (along < GREYER * chroma) & (lightness < ground[0] + PRINT_LIGHTNESS) & (chroma > PRINT_CHROMA)
    return (across > PRINT_CHROMA) | (along < -PRINT_CHROMA / 2), greyer


def _shading(lightness: np.ndarray, regions: np.ndarray, kinds: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """Linear lightness over its region's median (the ground's, or a colour block's own), so folds carry over and
    colours do not; under logos and motifs it is filled in from around them (normalised blur), so a print does
    not show through the new cloth as a ghost."""
    linear = _linear(lightness)
    ratio = np.ones_like(linear)
    read = np.zeros_like(garment)
    # a print's antialiased rim, and the soft shadow a printed motif is drawn with, are lighter or darker than the
    # cloth but not far enough to be print: skip them too (read there, they come back as a ghost of the motif)
    rim = int(max(9, 0.015 * max(garment.shape))) | 1
    printed = cv2.dilate(((regions > 0) & ~np.isin(regions, np.flatnonzero(kinds == BLOCK))).astype(np.uint8),
                         cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (rim, rim))) > 0
    # ...and so is the seam between two colour blocks, whose in-between colours belong to neither block
    blocks = np.isin(regions, np.flatnonzero(kinds == BLOCK)).astype(np.uint8)
    printed |= (cv2.dilate(blocks, np.ones((7, 7), np.uint8)) > 0) & ~(cv2.erode(blocks, np.ones((7, 7), np.uint8)) > 0)
    # ...and so is the garment's rim, half backdrop: its light is read from further in
    inner = _inside(garment, _rim(garment))
    for label in (0, *np.flatnonzero(kinds == BLOCK)):
        region = inner & (regions == label) & ~printed
        if region.any():  # black cloth: its folds are faint, keep them faint
            ratio[region] = linear[region] / max(float(np.median(linear[region])), 0.005)
            read |= region
    filled = _fill_along_folds(ratio, read, garment)
    ratio = cv2.GaussianBlur(np.where(read, ratio, filled), (0, 0), 2.0)  # wide enough to smooth JPEG blocks
    # On dark cloth a fold is a small step in lightness but a big ratio, and so is every speck of noise: soften
    ground = float(np.median(lightness[garment])) if garment.any() else 50.0
    ratio = np.maximum(ratio, 1e-3) ** float(np.clip(ground / DARK, 0.35, 1.0))
    return np.clip(ratio, 0.15, 1.8).astype(np.float32)


def _without_spill(shading: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """The photo's light with the backdrop's spill along the outline taken out: towards its outline cloth turns away
    from the camera and only darkens, but a soft-edged photo mixes its white backdrop in over a few pixels, and that
    lighter rim read as light drew a glow halo round a dark new cloth (a burgundy polo's sleeves, a sequin tee). Within
    SPILL of the outline the light is no brighter than the cloth's just further in."""
    reach = max(3.0, SPILL * max(garment.shape))
    depth = cv2.distanceTransform(garment.astype(np.uint8), cv2.DIST_L2, 5)
    deep = garment & (depth >= reach)
    if not deep.any():
        return shading
    inner = _push_pull(shading, deep.astype(np.float32))
    near = garment & (depth < reach)
    out = shading.copy()
    out[near] = np.minimum(shading[near], inner[near])
    return out


def _as_matte(shading: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """The photo's light with its own cloth's answer to it taken out (MOTTLE_MAX, SPREAD_MAX): carried into a new
    cloth, a velvet's crushed pile and gleams read as grey smears and glow patches on a cotton stripe."""
    if not garment.any():
        return shading
    log = np.log(np.clip(shading, 1e-3, None))
    broad = cv2.GaussianBlur(log, (0, 0), MOTTLE_SCALE * max(garment.shape))
    mottle, centre = log - broad, float(np.median(broad[garment]))
    fine = min(1.0, MOTTLE_MAX / max(float(mottle[garment].std()), 1e-6))
    spread = min(1.0, SPREAD_MAX / max(float(broad[garment].std()), 1e-6))
    return np.exp(centre + (broad - centre) * spread + mottle * fine).astype(np.float32)


def _fill_along_folds(values: np.ndarray, read: np.ndarray, garment: np.ndarray) -> np.ndarray:
    """``values`` where ``read``, filled in under the motifs along the garment's columns: cloth hangs, so a fold
    seen above and below a motif runs on under it, and drawn so it reads as one fold; filled from all sides at
    once (a round blob of its light) it would draw the motif's ghost. Columns with nothing read are filled from
    around."""
    around = _push_pull(values, read.astype(np.float32))
    filled = around.copy()
    for column in np.flatnonzero((read & garment).any(axis=0)):
        rows = np.flatnonzero(read[:, column])
        filled[:, column] = np.interp(np.arange(len(filled)), rows, values[rows, column])
    # neighbouring columns read different rows: smooth across them, or each column's guess shows as a streak
    return cv2.GaussianBlur(filled, (0, 0), sigmaX=max(3.0, 0.008 * max(filled.shape)), sigmaY=1.0)


def _push_pull(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``values`` where ``weight`` is 1, filled in smoothly where it is 0 from all sides at once (a pyramid of
    weighted averages, coarse levels filling the holes of fine ones): a motif as big as a hand gets the light of the
    cloth around it, a fold running under it included, not one blurred average or a flat hole."""
    pyramid = [(values * weight, weight)]
    while min(pyramid[-1][1].shape) > 8:
        pyramid.append(tuple(cv2.pyrDown(x) for x in pyramid[-1]))
    total, count = pyramid[-1]
    estimate = np.where(count > 1e-4, total / np.maximum(count, 1e-4), 1.0)
    for total, count in reversed(pyramid[:-1]):
        coarse = cv2.pyrUp(estimate, dstsize=count.shape[::-1])
        known = np.clip(count, 0, 1)  # how much of this level's neighbourhood was read
        estimate = known * total / np.maximum(count, 1e-4) + (1 - known) * coarse
    return estimate.astype(np.float32)


def _linear(lightness: np.ndarray) -> np.ndarray:
    """CIE L* (0-100) to relative luminance Y (0-1)."""
    f = (lightness + 16) / 116
    return np.where(lightness > 8, f**3, lightness / 903.3).astype(np.float32)


def _detail(lightness: np.ndarray, read: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Seams, stitching and edges: the photo's lightness minus a 1.5 px blur, away from the edges of prints and
    colour blocks (whose steps are colour, not stitching), and no stronger than a seam."""
    near_print = cv2.dilate((regions > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    inner_edges = near_print & ~cv2.erode((regions > 0).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    high = np.clip(lightness - cv2.GaussianBlur(lightness, (0, 0), 1.5), -MAX_DETAIL, MAX_DETAIL)
    return np.where(read & ~inner_edges, high, 0).astype(np.float32)


def _sparse(detail: np.ndarray, plain: np.ndarray) -> float:
    """How much of the fine detail to put back: all of it where strong detail (over BUSY_DETAIL) is sparse on the
    plain cloth, as seams and stitching are lines; down to BUSY_FLOOR as it covers from BUSY[0] to BUSY[1] of it,
    a micro-check's, a tonal jacquard's or a photo print's own texture, which came back as a ghost of the old print
    under the new one (blind judges' commonest note on garments the benchmark had not seen)."""
    if not plain.any():
        return 1.0
    busy = float((np.abs(detail[plain]) > BUSY_DETAIL).mean())
    return float(np.clip(1 - (1 - BUSY_FLOOR) * (busy - BUSY[0]) / (BUSY[1] - BUSY[0]), BUSY_FLOOR, 1.0))


def _rim(garment: np.ndarray) -> int:
    """The width in pixels of the garment's outline band, where cloth, its edge shadow and the backdrop mix (the
    cut-out is made at 320 px, so on a big photo the band is wider)."""
    return max(3, round(RIM_READ * max(garment.shape)))


def _inside(garment: np.ndarray, pixels: int) -> np.ndarray:
    """The garment less a band ``pixels`` wide along its outline."""
    return cv2.erode(garment.astype(np.uint8), np.ones((2 * pixels + 1, 2 * pixels + 1), np.uint8)) > 0


def _px_per_cm(garment: np.ndarray) -> float:
    columns = np.flatnonzero(garment.any(axis=0))
    return max(1.0, (columns[-1] - columns[0] + 1) / GARMENT_WIDTH_CM) if len(columns) else 1.0


def _cloth(garment: np.ndarray, colours: np.ndarray, recipe: Recipe, print_name: str, surface: Surface,
           drawn: float, seed: int) -> np.ndarray:
    """The new cloth lit like the photo: flat print x fabric relief x the fabric's response to the photo's light.
    ``drawn`` in [0, 1] fades the print and the fabric in (0: the palette's ground colour only)."""
    shape = garment.shape
    blocked = print_name == "colour block" and _blockable(surface.panels, garment)
    if blocked:
        flat = _blocked(surface.panels, colours)
    else:
        flat = draw_print(print_name, shape, colours, surface.px_per_cm, seed, recipe.scale)
        if print_name != "colour block":  # a drawn block's edge and piping run on across the pieces, cut or not
            flat = _cut_in_panels(flat, surface.panels, surface.grain, seed)
    # A print running through a logo's badge and letters reads as a mistake: inside them the cloth is plain ground,
    # as a printer backs a placement print
    flat = np.where(surface.backing[..., None], colours[0], flat)
    flat = colours[0] * (1 - drawn) + flat * drawn
    fabric = draw_fabric(recipe.fabric, shape, surface.px_per_cm, seed)
    flat = fabric.soften(flat)
    relief = 1 + (fabric.relief - 1) * drawn
    bent, relief = _bend(flat, relief, surface.shading, surface.round_x)
    flat = flat if blocked else bent  # a block's edges are the garment's own seams: bent, they would leave them
    light = surface.shading * (1 - drawn) + fabric.shade(surface.shading, surface.sheen) * drawn
    linear = (flat / 255) ** 2.2 * (relief * light * (1 + (surface.form - 1) * drawn))[..., None]
    return _roll_off(linear) ** (1 / 2.2) * 255


def _roll_off(linear: np.ndarray) -> np.ndarray:
    """Light past what a channel holds goes towards white, as a gleam on satin or a sequin does; clipped channel
    by channel it would turn gold lemon-yellow and rose pink-orange."""
    peak = np.maximum(linear.max(axis=-1, keepdims=True), 1.0)
    hue = linear / peak
    return np.clip(hue + (1 - hue) * (1 - 1 / peak), 0, 1)


def _panels(lightness: np.ndarray, garment: np.ndarray, printed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pieces a garment is sewn from, read from its long construction lines (a collar's edge, a yoke seam, a
    wrap's overlap, a neckline): the garment cut along lines longer than PANEL_LINE of its height, each piece
    bigger than PANEL_AREA of it labelled 1, 2, ...; the rest (the biggest piece, and the lines) 0; and the lines
    (HxW int32, 1 on a line). The edges of ``printed`` marks (logos, colour blocks) are not construction: a logo's
    outline cuts nothing."""
    inner = cv2.erode(garment.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    inner &= ~(cv2.dilate(printed.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0)
    smooth = cv2.GaussianBlur(np.clip(lightness * 2.55, 0, 255).astype(np.uint8), (0, 0), 2.0)
    edges = ((cv2.Canny(smooth, PANEL_EDGE / 2, PANEL_EDGE) > 0) & inner).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    rows = np.flatnonzero(garment.any(axis=1))
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    long = np.flatnonzero(extent > PANEL_LINE * (rows[-1] - rows[0] + 1 if len(rows) else 0))
    folds = _unpaired_folds(labels, stats, long, edges, garment)
    long = [label for label in long if label > 0 and label not in folds]
    lines = np.isin(labels, long).astype(np.uint8)
    # Seeds: the garment's inside, further than PANEL_GAP of its height from any line and from its outline, so
    # a line that stops short of the outline or of another line (as they do in a photo) still cuts
    gap = PANEL_GAP * (rows[-1] - rows[0] + 1 if len(rows) else 0)
    open_cloth = (garment & ~lines.astype(bool)).astype(np.uint8)
    seeds = (cv2.distanceTransform(open_cloth, cv2.DIST_L2, 5) > gap).astype(np.uint8)
    count, pieces = cv2.connectedComponents(seeds, connectivity=4)
    if count < 3:  # one piece, or none
        return np.zeros(garment.shape, np.int32), lines.astype(np.int32)
    # ...then every pixel joins its nearest seed: two seeds either side of a line meet on the line
    _, nearest = cv2.distanceTransformWithLabels(1 - seeds, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    pieces = np.where(garment, pieces[seeds > 0][nearest - 1], 0)
    area = np.bincount(pieces.ravel(), minlength=count).astype(np.float64)
    area[0] = 0
    keep = np.flatnonzero(area > PANEL_AREA * max(garment.sum(), 1))
    keep = [label for label in keep[keep != np.argmax(area)] if _sewn(pieces == label, pieces, lines)]
    panels = np.zeros(garment.shape, np.int32)
    for number, label in enumerate(keep, start=1):
        panels[pieces == label] = number
    return panels, lines.astype(np.int32)


def _unpaired_folds(labels: np.ndarray, stats: np.ndarray, long: np.ndarray, edges: np.ndarray,
                    garment: np.ndarray) -> set[int]:
    """Which of the ``long`` lines are folds rather than seams: upright, off the garment's middle, and not mirrored
    by an edge on the other side. Read as a seam, a fold down one side of a crepe top cut a false side panel from
    it, and a stripe or a check broke along it where nothing is sewn."""
    upright = [label for label in long if label > 0
               and stats[label, cv2.CC_STAT_WIDTH] <= FOLD_LEAN * stats[label, cv2.CC_STAT_HEIGHT]]
    if not upright:
        return set()
    columns = np.flatnonzero(garment.any(axis=0))
    width, middle = columns[-1] - columns[0] + 1, _middle(garment)
    reach = max(1, round(FOLD_REACH * width))
    near = cv2.dilate(edges, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0
    folds = set()
    for label in upright:
        ys, xs = np.nonzero(labels == label)
        mirrored = np.clip(np.rint(2 * middle - xs).astype(np.int64), 0, garment.shape[1] - 1)
        if abs(xs.mean() - middle) > FOLD_SIDE * width and float(near[ys, mirrored].mean()) < FOLD_MIRROR:
            folds.add(int(label))
    return folds


def _middle(garment: np.ndarray) -> float:
    """The garment's middle column: the median of its rows' middles (a tie or a sleeve hanging off one side moves
    the bounding box's, not this)."""
    rows = np.flatnonzero(garment.any(axis=1))
    first = garment[rows].argmax(axis=1)
    last = garment.shape[1] - 1 - garment[rows, ::-1].argmax(axis=1)
    return float(np.median((first + last) / 2))


def _with_sleeves(panels: np.ndarray, lines: np.ndarray,
                  garment: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``panels`` and ``lines`` (see _panels) with the sleeves (_sleeves) as pieces of their own, sewn on along
    their border with the torso, and each piece's grain (0 but for a sleeve's)."""
    sleeves, turns = _sleeves(garment)
    first = int(panels.max())
    panels = np.where(sleeves > 0, sleeves + first, panels).astype(np.int32)
    armholes = (cv2.dilate(sleeves.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & (sleeves == 0) & garment
    grain = np.concatenate([np.zeros(first + 1, np.float32), np.asarray(turns, np.float32)])
    return panels, (lines.astype(bool) | armholes).astype(np.int32), grain


def _sleeves(garment: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """The long sleeves (HxW int32, 1, 2, ...; 0 elsewhere) and each one's axis in radians from straight down. The
    torso's sides are read low on it, where nothing but the torso is (the run of cloth round the middle column,
    SIDES_READ of the height), and run straight up; a sleeve is a long piece of cloth outside them that starts high,
    sewn in (_set_in). Trousers (no cloth in the middle column low down), sleeveless tops (nothing outside) and
    short sleeves have none."""
    sleeves = np.zeros(garment.shape, np.int32)
    rows, columns = np.flatnonzero(garment.any(axis=1)), np.flatnonzero(garment.any(axis=0))
    if not len(rows):
        return sleeves, []
    top, height, middle = rows[0], rows[-1] - rows[0] + 1, (columns[0] + columns[-1]) // 2
    low = garment[top + int(SIDES_READ[0] * height): top + int(SIDES_READ[1] * height)]
    low = low[low[:, middle]]
    if len(low) < 5:
        return sleeves, []
    # each row's run through the middle column: its first column is the last backdrop before it, plus one
    left = np.median([middle - np.argmin(row[middle::-1]) + 1 if not row[: middle + 1].all() else 0 for row in low])
    right = np.median([middle + np.argmin(row[middle:]) - 1 if not row[middle:].all() else len(row) - 1
                       for row in low])
    outside = garment.copy()
    outside[:, int(left) - 2: int(right) + 3] = False
    outside = cv2.morphologyEx(outside.astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(outside, connectivity=8)
    turns: list[float] = []
    for label in range(1, count):
        if (stats[label, cv2.CC_STAT_AREA] < SLEEVE_AREA * garment.sum()
                or stats[label, cv2.CC_STAT_TOP] > top + SLEEVE_TOP * height
                or stats[label, cv2.CC_STAT_HEIGHT] <= SLEEVE_LONG * height):
            continue
        piece = labels == label
        outward = 1 if stats[label, cv2.CC_STAT_LEFT] > middle else -1
        piece, seam = _set_in(piece, int(right) + 3 if outward > 0 else int(left) - 3, outward, _px_per_cm(garment))
        turns.append(_sleeve_axis(piece, seam))
        sleeves[piece] = len(turns)
    return sleeves, turns


def _set_in(piece: np.ndarray, side: int, outward: int, ppc: float) -> tuple[np.ndarray, np.ndarray]:
    """A sleeve as it is sewn in, and the middle of its seam (row, column): the seam leaves the torso's side (column
    ``side``) at the armpit and leans out going up (ARMHOLE_LEAN), so the shoulder above the armpit is the torso's;
    cut straight up the side, a check broke in steps across the shoulder."""
    rows, columns = np.nonzero(piece)
    on_side = np.abs(columns - side) <= 2
    if not on_side.any():
        return piece, np.array([rows.mean(), side], np.float32)
    top = rows.min()
    armpit = min(rows[on_side].max(), top + ARMHOLE_CM * ppc)
    yy, xx = np.mgrid[0: piece.shape[0], 0: piece.shape[1]]
    shoulder = (yy < armpit) & ((xx - side) * outward < (armpit - yy) * ARMHOLE_LEAN)
    seam = np.array([(top + armpit) / 2, side + outward * (armpit - top) / 2 * ARMHOLE_LEAN], np.float32)
    return piece & ~shoulder, seam


def _sleeve_axis(piece: np.ndarray, sewn: np.ndarray) -> float:
    """A long sleeve's axis in radians from straight down: its points' first principal direction, away from
    ``sewn``, the middle of its seam (row, column)."""
    points = np.argwhere(piece).astype(np.float32)
    _, axes = cv2.PCACompute(points, mean=None)
    axis = axes[0] if (axes[0] @ (points.mean(axis=0) - sewn)) >= 0 else -axes[0]
    return float(np.arctan2(axis[1], axis[0]))


def _sewn(piece: np.ndarray, pieces: np.ndarray, lines: np.ndarray) -> bool:
    """Whether a piece's border with the rest of the cloth runs along construction lines (PANEL_SEWN of it): two
    seeds kept apart only by a heather's mottled specks meet on no line, and a groove or a colour block drawn
    along that border reads as a stray crack."""
    ring = (cv2.dilate(piece.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & (pieces > 0) & ~piece
    near = cv2.dilate(lines, np.ones((7, 7), np.uint8)) > 0
    return bool(ring.any()) and (ring & near).sum() >= PANEL_SEWN * ring.sum()


def _form(garment: np.ndarray, panels: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """What a new print loses to the garment's volume, as a light multiplier: cloth turns away from the camera
    towards its sides, and a seam is a small groove. A product photo of plain cloth shows neither (the photo's
    own light is all the engine has), but a check or a stripe laid on without them reads as pasted on."""
    side = max(garment.shape)
    depth = cv2.distanceTransform(garment.astype(np.uint8), cv2.DIST_L2, 5) / (FORM_REACH * side)
    form = 1 - FORM_SIDES * np.exp(-depth)
    pieces = panels.astype(np.float32)
    seams = (cv2.dilate(pieces, np.ones((3, 3), np.uint8)) != cv2.erode(pieces, np.ones((3, 3), np.uint8)))
    seams &= cv2.dilate(lines.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0  # where pieces meet on no line, no seam
    groove = cv2.GaussianBlur((seams & garment).astype(np.float32), (0, 0), max(1.0, 0.0012 * side))
    form *= 1 - FORM_SEAM * np.clip(groove / max(float(groove.max()), 1e-6), 0, 1)
    return form.astype(np.float32)


def _blockable(panels: np.ndarray, garment: np.ndarray) -> bool:
    """Whether the garment is sewn from pieces big enough to colour-block: one besides the main body of at least
    BLOCK_PANEL of it (a polo's yoke, a wrap's overlap; not a collar alone)."""
    areas = np.bincount(panels[garment].ravel())[1:]
    return bool(len(areas)) and areas.max() >= BLOCK_PANEL * max(int(garment.sum()), 1)


def _blocked(panels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Colour blocking as a garment is sewn for it: the main body in the ground, every other piece (a yoke, a
    collar, cuffs) in the first print colour. A block seam that runs where no seam is (a drawn diagonal across a
    sleeve) reads as pasted on; a third colour for the smaller pieces painted one collar leaf of a polo white and
    left the other, read as part of the yoke, black."""
    ink = colours[1] if len(colours) > 1 else colours[0]
    return np.where((panels > 0)[..., None], ink, colours[0]).astype(np.float32)


def _cut_in_panels(flat: np.ndarray, panels: np.ndarray, grain: np.ndarray, seed: int) -> np.ndarray:
    """Each piece of the garment cut from another place on the bolt, its warp along its own length (``grain``): the
    print shifted by part of a repeat per piece and turned with a sleeve, so stripes and checks break at the seams
    and run down the sleeves as on a sewn garment, instead of running straight across them."""
    if not panels.any():
        return flat
    rng = np.random.default_rng(seed)
    out = flat.copy()
    for number in range(1, int(panels.max()) + 1):
        piece = panels == number
        shift = rng.integers(7, 40, size=2)
        rows, columns = np.nonzero(piece)
        if not len(rows):
            continue
        centre = (float(columns.mean() + shift[1]), float(rows.mean() + shift[0]))
        if grain[number]:  # a sleeve: its stripes matched to the body's at its seam, turned about the seam's middle
            seam_rows, seam_columns = np.nonzero(_armhole(piece, panels))
            if len(seam_rows):
                shift, centre = np.zeros(2, np.int64), (float(seam_columns.mean()), float(seam_rows.mean()))
        turn = cv2.getRotationMatrix2D(centre, -np.degrees(grain[number]), 1.0)
        turn[:, 2] -= shift[::-1]  # the print at (x, y) on the piece comes from the bolt at (x, y) + shift, turned
        cut = cv2.warpAffine(flat, turn, flat.shape[1::-1], flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REFLECT)
        out[piece] = cut[piece]
    return out


def _armhole(piece: np.ndarray, panels: np.ndarray) -> np.ndarray:
    """Where a sleeve meets the body: the body's pixels along the sleeve's border."""
    return (cv2.dilate(piece.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & (panels == 0)


def _bend(flat: np.ndarray, relief: np.ndarray, shading: np.ndarray,
          round_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wrap the print round the body (``round_x``), then shift it a few pixels along the folds' slope (the broad
    folds only), so stripes and checks curve with the cloth instead of lying on it like a sticker."""
    height, width = shading.shape
    side = max(height, width)
    soft = cv2.GaussianBlur(shading, (0, 0), 0.015 * side)
    dy, dx = np.gradient(soft)
    slope = np.hypot(dx, dy)
    steepest = float(np.percentile(slope, 99)) + 1e-6
    # ...and no further than FOLD_BEND: a small bright mark (a neck label's logo, a hang tag) is far steeper than
    # any fold, and bent in proportion it swirled a stripe or a check round itself like a whirlpool
    scale = FOLD_BEND * side / np.maximum(slope, steepest)
    grid_y = np.mgrid[0:height, 0:width][0].astype(np.float32)
    map_x, map_y = round_x + (dx * scale).astype(np.float32), grid_y + (dy * scale).astype(np.float32)
    # Towards the sides a pixel shows up to three of the flat print's columns: sampled at one, fine stripes
    # alias into moiré. There it shows a copy of the print blurred across, as a lens would.
    across = cv2.getGaussianKernel(7, 1.0)
    blurred = cv2.sepFilter2D(flat, -1, across, np.ones((1, 1)), borderType=cv2.BORDER_REFLECT)
    bend = [cv2.remap(x, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            for x in (flat, blurred, relief)]
    crowding = np.clip((np.gradient(round_x, axis=1) - CROWDED[0]) / (CROWDED[1] - CROWDED[0]), 0, 1)[..., None]
    return bend[0] * (1 - crowding) + bend[1] * crowding, bend[2]


def _body(garment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's run of cloth seen as the front half of a cylinder: its centre column and its radius, per pixel.
    The runs' centres and widths are smoothed down the garment, so the body does not tear where a sleeve meets it."""
    height, width = garment.shape
    columns = np.broadcast_to(np.arange(width, dtype=np.float32), garment.shape)
    left = np.maximum.accumulate(np.where(garment, -1.0, columns), axis=1)  # the last backdrop column before
    right = np.minimum.accumulate(np.where(garment, float(width), columns)[:, ::-1], axis=1)[:, ::-1]
    weight = garment.astype(np.float32)
    sigma = ROUND_SMOOTH * max(height, width)

    def smoothed(values: np.ndarray) -> np.ndarray:
        blur = [cv2.GaussianBlur(x, (0, 0), sigmaX=0.5, sigmaY=sigma) for x in (values * weight, weight)]
        return blur[0] / np.maximum(blur[1], 1e-3)

    return smoothed((left + right) / 2), np.maximum(smoothed((right - left) / 2), 1.0)


def _sheen(garment: np.ndarray, body: tuple[np.ndarray, np.ndarray], shading: np.ndarray) -> np.ndarray:
    """The broad sheen a rounded body throws (``_body``): brightest a third of the way in from its left (the light's
    side), with a weaker echo on the right. Only as much as the photo lacks: a flat-lit tee (its shading's spread
    SHEEN_FLAT[0] or less) gets all of it; a velvet top whose photo shows its own highlights, none."""
    centre, radius = body
    columns = np.arange(garment.shape[1], dtype=np.float32)[None]
    across = np.clip((columns - centre) / radius, -1, 1)
    sheen = np.exp(-(((across + 0.3) / 0.3) ** 2)) + 0.5 * np.exp(-(((across - 0.45) / 0.2) ** 2))
    spread = float(shading[garment].std()) if garment.any() else 0.0
    flat = np.clip((SHEEN_FLAT[1] - spread) / (SHEEN_FLAT[1] - SHEEN_FLAT[0]), 0, 1)
    return (sheen * garment * flat).astype(np.float32)


def _round_x(garment: np.ndarray, body: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Which column of a flat print each pixel shows when the print is wrapped round the body (``_body``), so the
    print crowds together towards the sides as it turns away (by ROUND of a full cylinder's crowding; a flat-laid
    garment is rounder than flat)."""
    centre, radius = body
    columns = np.broadcast_to(np.arange(garment.shape[1], dtype=np.float32), garment.shape)
    # the outline itself is seen edge-on: asin(0.97 t) / 0.97 keeps the print's crowding there finite
    arc = centre + radius * np.arcsin(0.97 * np.clip((columns - centre) / radius, -1, 1)) / 0.97
    return np.where(garment, columns + ROUND * (arc - columns), columns).astype(np.float32)


def finish(cloth: np.ndarray, finishes: tuple[str, ...], amount: float, garment: np.ndarray, seed: int,
           detail: np.ndarray) -> np.ndarray:
    """Faded, washed, grain and crisp, scaled by ``amount`` in [0, 1], then the photo's seams and stitching put
    back on the lightness: one pass through Lab for both."""
    lab = cv2.cvtColor(np.clip(cloth, 0, 255).astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    if amount > 0:
        rng = np.random.default_rng(seed)
        for name in finishes:
            FINISHES[name](lab, amount, garment, rng)
    lab[..., 0] = np.clip(lab[..., 0] + 0.8 * detail, 0, 100)
    return np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), 0, 1) * 255


def _faded(lab: np.ndarray, amount: float, garment: np.ndarray, rng: np.random.Generator) -> None:
    """Sun-bleached: blacks lifted, colour drained, a warm cast."""
    lab[..., 0] += amount * (14 - 0.18 * lab[..., 0])
    lab[..., 1:] *= 1 - 0.35 * amount
    lab[..., 2] += 4 * amount


def _washed(lab: np.ndarray, amount: float, garment: np.ndarray, rng: np.random.Generator) -> None:
    """Softer contrast and a little less colour, as after many washes."""
    lab[..., 0] += amount * 0.12 * (60 - lab[..., 0])
    lab[..., 1:] *= 1 - 0.15 * amount


def _grain(lab: np.ndarray, amount: float, garment: np.ndarray, rng: np.random.Generator) -> None:
    """Film-like grain on the lightness."""
    lab[..., 0] += amount * rng.normal(0, 2.5, garment.shape).astype(np.float32)


def _crisp(lab: np.ndarray, amount: float, garment: np.ndarray, rng: np.random.Generator) -> None:
    """A touch more contrast, as a freshly pressed fabric."""
    mean = float(lab[..., 0][garment].mean()) if garment.any() else 50.0
    lab[..., 0] = mean + (lab[..., 0] - mean) * (1 + 0.1 * amount)


FINISHES = {"faded": _faded, "washed": _washed, "grain": _grain, "crisp": _crisp}
