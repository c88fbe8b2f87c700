"""style.textures: every print and fabric draws, at the real-world sizes it promises, deterministically."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from style.textures import (
    FABRICS,
    HOUNDSTOOTH_REPEAT_CM,
    PRINTS,
    SCALES,
    TARTAN_REPEAT_CM,
    Fabric,
    draw_fabric,
    draw_print,
)

# cream, rust, mustard, sage: a ground and three print colours
PALETTE = np.array([(243, 234, 214), (178, 84, 46), (214, 160, 40), (150, 170, 130)], np.float32)
NAVY_WHITE = np.array([(24, 36, 72), (245, 243, 236)], np.float32)
SHAPE = (96, 72)


def _dominant_period(signal: np.ndarray, longest: int) -> int:
    """The shortest lag (>= 2) at which a 1-D signal matches itself about as well as it ever does: its repeat,
    in pixels (multiples of the repeat match as well, so take the first)."""
    x = signal - signal.mean()
    corr = np.array([np.dot(x[:-lag], x[lag:]) / (len(x) - lag) for lag in range(2, longest)])
    return 2 + int(np.flatnonzero(corr >= 0.95 * corr.max())[0])


@pytest.mark.parametrize("name", PRINTS)
def test_every_print_is_flat_rgb_in_range_and_deterministic(name):
    out = draw_print(name, SHAPE, PALETTE, 5.0, seed=3)
    assert out.shape == (*SHAPE, 3) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 255
    assert np.array_equal(out, draw_print(name, SHAPE, PALETTE, 5.0, seed=3))
    if name != "solid":
        # A repeating print differs across seeds only by where its repeat starts, so look at a few seeds; stop
        # at the first that differs (the scattered prints are slow to draw).
        assert any(not np.array_equal(out, draw_print(name, SHAPE, PALETTE, 5.0, seed=s)) for s in range(4, 9))
        assert out.reshape(-1, 3).std(axis=0).max() > 5  # something is printed on the ground


def test_prints_accept_every_scale_and_a_single_colour():
    for scale in SCALES:
        assert draw_print("paisley", (40, 40), PALETTE, 10.0, 0, scale).shape == (40, 40, 3)
    # One colour: the print is drawn in a tone of the ground, not left blank.
    out = draw_print("stripe", (60, 10), PALETTE[:1], 10.0, 0)
    assert len(np.unique(out.reshape(-1, 3), axis=0)) > 1


def test_solid_is_exactly_the_ground_colour():
    out = draw_print("solid", SHAPE, PALETTE, 10.0, 0)
    assert np.array_equal(out, np.broadcast_to(PALETTE[0], out.shape))


@pytest.mark.parametrize(("px_per_cm", "scale"), [(10.0, "medium"), (5.0, "large"), (10.0, "small")])
def test_stripe_repeat_matches_real_world_size(px_per_cm, scale):
    out = draw_print("stripe", (200, 8), NAVY_WHITE, px_per_cm, 1, scale)
    expected = 2.0 * px_per_cm * SCALES[scale]  # Breton: 1 cm ground, 1 cm colour
    assert abs(_dominant_period(out.mean(axis=(1, 2)), 80) - expected) <= 1


def test_pinstripe_is_thin_lines_at_its_repeat():
    out = draw_print("pinstripe", (8, 200), NAVY_WHITE, 10.0, 1)
    profile = out.mean(axis=(0, 2))
    assert abs(_dominant_period(profile, 60) - 12) <= 1  # every 1.2 cm at 10 px/cm
    assert (profile > profile.min() + 0.5 * np.ptp(profile)).mean() < 0.15  # lines, not bands


CHECKS = [("gingham", 1.2, 1), ("tartan", TARTAN_REPEAT_CM, 4), ("houndstooth", HOUNDSTOOTH_REPEAT_CM, 1)]


@pytest.mark.parametrize(("name", "repeat_cm", "multiple"), CHECKS)
def test_checks_repeat_exactly_at_their_stated_size(name, repeat_cm, multiple):
    assert name != "tartan" or 8 <= repeat_cm <= 10  # a real sett repeats every 8-10 cm
    period = multiple * round(repeat_cm * 10 / multiple)  # gingham: 6 mm checks; tartan: whole twill steps
    out = draw_print(name, (2 * period + 8, 2 * period + 8), PALETTE, 10.0, 2)
    assert np.allclose(out[period:], out[:-period], atol=0.01)
    assert np.allclose(out[:, period:], out[:, :-period], atol=0.01)
    half = period // 2
    assert not np.allclose(out[half:], out[:-half], atol=1)


def test_plaid_crossings_are_darkest():
    red_black = np.array([(170, 30, 40), (20, 20, 22), (110, 110, 50)], np.float32)
    out = draw_print("plaid", (160, 160), red_black, 10.0, 0)
    luma = out @ np.array([0.299, 0.587, 0.114], np.float32)
    darkest = out.reshape(-1, 3)[np.argmin(luma)]
    assert np.allclose(darkest, red_black[1], atol=12)  # dark warp under dark weft: the dark colour itself
    assert (luma < 40).mean() > 0.15  # and that is a quarter of the cloth (4 cm blocks crossing)


def _blob_areas(image: np.ndarray, ground: np.ndarray) -> np.ndarray:
    printed = (np.abs(image - ground).sum(axis=2) > 60).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(printed, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return areas[areas > 2]


def test_polka_dots_are_eight_millimetres_and_grow_with_scale():
    areas = {scale: _blob_areas(draw_print("polka dot", (160, 160), NAVY_WHITE, 10.0, 0, scale), NAVY_WHITE[0])
             for scale in ("small", "medium", "large")}
    expected = np.pi * (0.4 * 10) ** 2  # an 8 mm dot at 10 px/cm
    assert abs(np.median(areas["medium"]) - expected) < 0.25 * expected
    assert np.median(areas["small"]) < np.median(areas["medium"]) < np.median(areas["large"])


def test_ditsy_flowers_grow_with_scale():
    small = _blob_areas(draw_print("ditsy floral", (200, 200), PALETTE, 10.0, 0, "small"), PALETTE[0])
    large = _blob_areas(draw_print("ditsy floral", (200, 200), PALETTE, 10.0, 0, "large"), PALETTE[0])
    assert np.median(large) > 3 * np.median(small)


def test_colour_block_has_crisp_bands_of_palette_colours():
    out = draw_print("colour block", (120, 90), PALETTE, 10.0, 5)
    distances = np.abs(out.reshape(-1, 1, 3) - PALETTE[None, :3]).sum(axis=2).min(axis=1)
    assert (distances < 1).mean() > 0.95  # all but the antialiased seams are pure palette colours


@pytest.mark.parametrize("name", FABRICS)
def test_every_fabric_relief_is_subtle_around_one(name):
    fabric = draw_fabric(name, SHAPE, 10.0, seed=1)
    assert isinstance(fabric, Fabric) and fabric.name == name
    assert fabric.relief.shape == SHAPE and fabric.relief.dtype == np.float32
    assert 0.95 <= fabric.relief.mean() <= 1.05
    assert 0.002 < fabric.relief.std() < (1.0 if name == "sequins" else 0.1)  # only sequins flash
    assert np.array_equal(fabric.relief, draw_fabric(name, SHAPE, 10.0, seed=1).relief)
    shading = np.linspace(0.5, 1.5, SHAPE[0] * SHAPE[1], dtype=np.float32).reshape(SHAPE)
    lit = fabric.shade(shading)
    assert lit.shape == SHAPE and lit.dtype == np.float32 and np.isfinite(lit).all() and lit.min() > 0


def test_satin_gleams_and_cotton_stays_matte():
    shading = np.full((4, 4), 1.35, np.float32)
    satin = draw_fabric("satin", (4, 4), 10.0, 0).shade(shading)
    cotton = draw_fabric("cotton", (4, 4), 10.0, 0).shade(shading)
    assert satin.mean() > cotton.mean() + 0.2
    assert cotton.mean() < 1.35  # matte: the highlight is compressed


def test_only_glossy_cloth_takes_a_bodys_sheen():
    shading, sheen = np.ones((4, 8), np.float32), np.zeros((4, 8), np.float32)
    sheen[:, 4:] = 1.0
    sequins = draw_fabric("sequins", (4, 8), 10.0, 0).shade(shading, sheen)
    satin = draw_fabric("satin", (4, 8), 10.0, 0).shade(shading, sheen)  # on a tee, the band read as a glow
    assert sequins[:, 4:].mean() > sequins[:, :4].mean() + 0.3
    np.testing.assert_array_equal(satin[:, 4:], satin[:, :4])


def test_velvet_darkens_with_bright_rims_where_the_light_turns():
    shading = np.ones((40, 40), np.float32)
    shading[:, 20:] = 0.7  # a sharp fold
    lit = draw_fabric("velvet", (40, 40), 10.0, 0).shade(shading)
    assert lit[:, :10].mean() < 1  # flat pile swallows light
    assert lit[:, 18:22].mean() > lit[:, 25:].mean() + 0.1  # the fold's edge catches it


def test_houndstooth_is_two_colours_half_and_half_with_teeth():
    """Unlike a gingham (whose crossings mix the two colours into a third), a houndstooth is woven from two
    colours only, half each; and its teeth point one way, so it is not its own mirror image."""
    out = draw_print("houndstooth", (120, 120), NAVY_WHITE, 40.0, 0)  # 48 px repeat: whole pixels per thread
    dark = np.linalg.norm(out - NAVY_WHITE[0], axis=-1) < 1
    light = np.linalg.norm(out - NAVY_WHITE[1], axis=-1) < 1
    assert (dark | light).mean() > 0.95 and abs(dark.mean() - 0.5) < 0.05
    assert np.abs(out - out[:, ::-1]).mean() > 20


def test_unknown_names_and_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="gingham"):  # the message lists the known prints
        draw_print("chevron", SHAPE, PALETTE, 10.0, 0)
    with pytest.raises(ValueError, match="denim"):
        draw_fabric("tulle", SHAPE, 10.0, 0)
    with pytest.raises(ValueError, match="scale"):
        draw_print("stripe", SHAPE, PALETTE, 10.0, 0, "huge")
    for colours in (np.zeros((0, 3)), np.zeros(3), np.zeros((2, 4))):
        with pytest.raises(ValueError, match="colours"):
            draw_print("stripe", SHAPE, colours, 10.0, 0)


def test_a_fuzzy_cloth_softens_a_prints_edges_and_a_smooth_one_keeps_them():
    flat = np.zeros((8, 40, 3), np.float32)
    flat[:, 20:] = 255  # one sharp edge between two colours of a print
    wool = draw_fabric("wool", (8, 40), 20.0, 0).soften(flat)  # 0.05 cm of fuzz: 1 px at 20 px/cm
    satin = draw_fabric("satin", (8, 40), 10.0, 0).soften(flat)  # 0.2 px: under a pixel, left sharp
    np.testing.assert_array_equal(satin, flat)
    assert 20 < wool[4, 19, 0] < 80 and 175 < wool[4, 20, 0] < 235  # the step now spreads over its neighbours
    assert wool[4, 15, 0] < 1 and wool[4, 25, 0] > 254  # ...and no further


def test_lace_is_the_darker_colour_over_a_lining_of_the_lighter_whatever_the_order():
    black, burgundy = (20, 20, 22), (110, 20, 40)
    first, second = (draw_print("lace", (320, 320), np.array(p, np.float32), 8.0, seed=3).mean(axis=-1)
                     for p in ((black, burgundy), (burgundy, black)))
    # black lace over burgundy either way round (drawn the other way, burgundy flowers on black read as blotches)
    np.testing.assert_array_equal(first, second)
    # mostly worked lace and veiled net, with the lining glimpsed through the openwork
    assert (first < (np.mean(black) + np.mean(burgundy)) / 2).mean() > 0.75
    assert np.percentile(first, 99) > np.mean(black) + 15
