"""style.reading: a Recipe read from pictures. Synthetic pictures with known answers, then (when ../shared/data is
there) a handful of real H&M studio photos with their catalogue labels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from style.errors import RestyleError
from style.reading import Reading, read_style

SIDE = 256
NAVY, WHITE, RED, TEAL = (20, 30, 90), (245, 245, 245), (230, 30, 30), (0, 128, 128)


def picture(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def flat(colour: tuple[int, int, int], side: int = SIDE) -> np.ndarray:
    return np.tile(np.array(colour, float), (side, side, 1))


def stripes(a: tuple[int, int, int], b: tuple[int, int, int], period: int = 16) -> np.ndarray:
    """Horizontal bands, each half a period high."""
    out = flat(a)
    out[(np.arange(SIDE) // (period // 2)) % 2 == 1] = b
    return out


def gingham(ground: tuple[int, int, int], ink: tuple[int, int, int], band: int) -> np.ndarray:
    """A woven check: where one set of bands crosses the ground the colours blend half and half."""
    rows = ((np.arange(SIDE) // band) % 2 == 1)[:, None]
    cols = ((np.arange(SIDE) // band) % 2 == 1)[None, :]
    out = flat(ground)
    out[rows ^ cols] = (np.array(ground, float) + ink) / 2
    out[rows & cols] = ink
    return out


def dots(ground: tuple[int, int, int], ink: tuple[int, int, int], spacing: int = 24, radius: int = 5) -> np.ndarray:
    y, x = np.mgrid[:SIDE, :SIDE] % spacing - spacing // 2
    out = flat(ground)
    out[y**2 + x**2 <= radius**2] = ink
    return out


def test_horizontal_stripes_name_both_colours():
    reading = read_style([picture(stripes(NAVY, WHITE))])
    assert isinstance(reading, Reading)
    assert reading.recipe.prints == ("stripe",)
    assert set(reading.recipe.palette) == {"navy", "white"}
    assert reading.recipe.accents == ""
    for name in reading.recipe.palette:  # the description names what it read
        assert name in reading.description
    assert "stripes" in reading.description


def test_small_two_colour_check_is_gingham_without_its_blend():
    reading = read_style([picture(gingham(WHITE, RED, band=5))])  # a 10 px repeat: ~2 cm on a 60 cm garment
    assert reading.recipe.prints == ("gingham",)
    assert reading.recipe.scale == "small"
    assert set(reading.recipe.palette) == {"white", "red"}  # the pink where bands cross is a blend, not a colour


def test_regular_dot_grid_is_polka_dot():
    reading = read_style([picture(dots(NAVY, WHITE))])
    assert reading.recipe.prints == ("polka dot",)
    assert reading.recipe.palette[0] == "navy"  # the ground is the larger area
    assert "white" in reading.recipe.palette
    assert "polka dots" in reading.description


def test_flat_grey_has_no_readable_style():
    with pytest.raises(RestyleError, match="no readable style"):
        read_style([picture(flat((128, 128, 128)))])


def test_flat_red_is_a_palette():
    reading = read_style([picture(flat(RED))])
    assert reading.recipe.prints == ("solid",)
    assert reading.recipe.palette[0] == "red"
    assert reading.description == "one colour: red; plain"


def test_masked_product_photo_reads_the_garment_not_the_backdrop():
    """A teal garment with soft shading on a light grey studio backdrop."""
    y, x = np.mgrid[:SIDE, :SIDE]
    garment = (np.abs(x - SIDE / 2) < 70 + 0.2 * (y - 40)) & (y > 40) & (y < 230)
    pixels = flat((236, 236, 236))
    shade = 1 - 0.15 * (x / SIDE)[..., None]  # light from the left
    pixels[garment] = (np.array(TEAL, float) * shade)[garment]
    reading = read_style([picture(pixels)], [garment.astype(np.float32)])
    assert reading.recipe.palette[0] == "teal"
    assert not {"white", "off-white", "light grey"} & set(reading.recipe.palette)
    assert reading.recipe.prints == ("solid",)


def test_a_taste_pools_the_palette_by_area_and_votes_the_print():
    red, navy, cream = flat(RED), stripes(NAVY, WHITE), flat((255, 252, 208))
    mask = np.zeros((SIDE, SIDE), bool)
    mask[:, : SIDE // 4] = True  # the cream garment covers a quarter of its photo: least area
    reading = read_style([picture(red), picture(navy), picture(cream)], [None, None, mask])
    palette = reading.recipe.palette
    assert {"red", "navy", "white", "cream"} <= set(palette)
    assert palette.index("red") < palette.index("cream")  # a whole picture of red outweighs a quarter of cream
    assert reading.recipe.prints == ("stripe",)  # one picture in three shows stripes: a third is enough
    # One striped picture in four is under a third: the taste is plain.
    assert read_style([picture(p) for p in (red, navy, flat(TEAL), flat((60, 120, 60)))]).recipe.prints == ("solid",)


@pytest.mark.parametrize(
    ("images", "masks", "message"),
    [
        ([], None, "none given"),
        ([picture(flat(RED, side=12))], None, "too small"),
        ([picture(flat(RED))], [np.pad(np.ones((4, 4)), ((0, SIDE - 4), (0, SIDE - 4)))], "too little"),
        ([picture(flat(RED))], [np.ones((10, 10))], "mask is"),
        ([picture(flat(RED))], [None, None], "masks"),
    ],
)
def test_bad_input_is_a_clear_error(images, masks, message):
    with pytest.raises(RestyleError, match=message):
        read_style(images, masks)


# --- real photos ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("article", "expected"),
    [
        ("0598696001", "solid"),  # black skirt
        ("0908927001", "solid"),  # white shirt
        ("0593191002", "solid"),  # navy sweater
        ("0711416001", "stripe"),  # striped jumpsuit
        ("0794065001", "polka dot"),  # dotted trousers
        ("0877773001", "floral"),  # sunflower dress
    ],
)
def test_hm_studio_photos(article, expected):
    """H&M catalogue photos on a plain backdrop, cut out with the project's classic (backdrop) cut-out."""
    from conftest import require_data

    from tryon import GarmentAnalyzer

    image = Image.open(require_data("hm", "images", f"{article}.jpg")).convert("RGB")
    mask, _ = GarmentAnalyzer(None).cut_out(np.asarray(image))
    reading = read_style([image], [mask])
    assert reading.recipe.prints == (expected,), reading.description
