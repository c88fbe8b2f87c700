"""The shopper vocabularies: lookups, colours, garments, sizes, prices, the style list, coverage of real data."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

import style
from tryon import STYLES, canonical_style, get_style
from tryon.vocab import (
    COLOUR_RGB,
    FAMILIES,
    GARMENT_FAMILY,
    Colour,
    Garment,
    Lookup,
    Price,
    Size,
    canonical_colour,
    canonical_fit,
    canonical_garment,
    canonical_material,
    canonical_occasion,
    canonical_pattern,
    canonical_sleeve,
    normalise,
    normalise_size,
    parse_price,
    split_garment,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ATELIER_DATA", ROOT.parent / "shared" / "data"))


def test_normalise_folds_case_punctuation_and_accents():
    assert normalise("  T-Shirt ") == "t shirt"
    assert normalise("Off_White") == "off white"
    assert normalise("Levi's") == "levis"
    assert normalise("Plissé") == "plisse"


# --- the generic lookup -------------------------------------------------------------------------------------


def test_lookup_rejects_a_synonym_claimed_twice():
    with pytest.raises(ValueError, match="maps to both"):
        Lookup({"a": "shared", "b": "shared"})


def test_lookup_order_exact_then_plural_then_head_noun_then_typo():
    table = Lookup({"shirt": "tee shirt", "shirt dress": "", "sneakers": ""})
    assert table("shirt dress") == "shirt dress"  # the exact phrase beats its head noun
    assert table("shirts") == "shirt"
    assert table("cropped oversized shirt") == "shirt"
    assert table("sneekers") == "sneakers"
    assert table.match("red tee shirt") == ("shirt", "red")


def test_fuzzy_matching_never_flips_meaning():
    assert canonical_sleeve("sleeves") is None  # not "sleeveless"
    assert canonical_garment("blah") is None
    assert canonical_colour("xyzzy") is None


# --- garments ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["tee", "tees", "t shirt", "tshirt", "T-Shirt", "Tshirts", "tee-shirt"])
def test_tshirt_spellings(text):
    assert canonical_garment(text) == Garment("t-shirt", "top")


@pytest.mark.parametrize(
    ("text", "name", "family"),
    [
        ("sneakers", "sneakers", "shoes"),
        ("trainers", "sneakers", "shoes"),
        ("kicks", "sneakers", "shoes"),
        ("running shoes", "sneakers", "shoes"),
        ("jeans", "jeans", "bottom"),
        ("denims", "jeans", "bottom"),
        ("pants", "trousers", "bottom"),
        ("slacks", "trousers", "bottom"),
        ("chinos", "chinos", "bottom"),
        ("jumper", "sweater", "top"),
        ("pullover", "sweater", "top"),
        ("hoody", "hoodie", "top"),
        ("blazer", "blazer", "outerwear"),
        ("overcoat", "coat", "outerwear"),
        ("frock", "dress", "dress"),
        ("maxi", "maxi dress", "dress"),
        ("A-line dress", "a-line dress", "dress"),
        ("skirt", "skirt", "bottom"),
        ("blouse", "blouse", "top"),
        ("shorts", "shorts", "bottom"),
        ("cardigan", "cardigan", "outerwear"),
        ("stilettos", "heels", "shoes"),
        ("sandals", "sandals", "shoes"),
        ("ankle boots", "boots", "shoes"),
        ("ballet flats", "flats", "shoes"),
        ("handbag", "handbag", "bag"),
        ("tote bag", "tote", "bag"),
        ("rucksack", "backpack", "bag"),
        ("watch", "watch", "accessory"),
        ("scarf", "scarf", "accessory"),
        ("baseball cap", "cap", "accessory"),
        ("bucket hat", "hat", "accessory"),
        ("playsuit", "romper", "one-piece"),
        ("Jumpsuit/Playsuit", "jumpsuit", "one-piece"),
        ("Vest top", "tank top", "top"),
        ("gilet", "vest", "outerwear"),
        ("bikini", "bikini", "swimwear"),
        ("pair of jeans", "jeans", "bottom"),
        ("jaket", "jacket", "outerwear"),
    ],
)
def test_garment_synonyms_and_families(text, name, family):
    assert canonical_garment(text) == Garment(name, family)


def test_head_noun_and_leftover_modifiers():
    assert split_garment("red leather jacket") == (Garment("jacket", "outerwear"), "red leather")
    assert canonical_garment("cropped linen trousers") == Garment("trousers", "bottom")
    assert canonical_garment("shirt dress").family == "dress"
    assert canonical_garment("dress shirt").family == "top"
    assert split_garment("spaceship") == (None, "")


def test_every_garment_has_a_known_family():
    assert set(GARMENT_FAMILY.values()) == set(FAMILIES)
    assert {"top", "bottom", "dress", "outerwear", "shoes", "bag", "accessory"} <= set(FAMILIES)


# --- colours -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Navy Blue", "navy", "NAVY", "navy-blue", " Navy "])
def test_navy_spellings(text):
    assert canonical_colour(text) == ("navy", (0, 0, 128))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("grey", "gray"),
        ("off-white", "off white"),
        ("Off White", "offwhite"),
        ("burgundy", "Bordeaux"),
        ("fuchsia", "fuschia"),
        ("light grey", "light gray"),
        ("multi", "multicoloured"),
    ],
)
def test_colour_spellings_agree(a, b):
    assert canonical_colour(a) == canonical_colour(b) is not None


@pytest.mark.parametrize(
    "word",
    [
        "burgundy",
        "maroon",
        "beige",
        "cream",
        "khaki",
        "olive",
        "teal",
        "mustard",
        "lilac",
        "coral",
        "navy",
        "charcoal",
        "tan",
        "camel",
        "ivory",
        "nude",
        "rose gold",
        "lavender",
        "peach",
        "turquoise",
        "mint",
    ],
)
def test_shopper_colour_words_are_their_own_colour(word):
    colour = canonical_colour(word)
    assert colour is not None and colour.name == word and colour.rgb == COLOUR_RGB[word]


def test_light_and_dark():
    assert canonical_colour("dark green").name == "dark green"  # an H&M colour group: its own entry
    assert canonical_colour("pale blue").name == "light blue"
    assert canonical_colour("pastel green").name == "light green"
    deep, base, pale = canonical_colour("dark mustard"), canonical_colour("mustard"), canonical_colour("light mustard")
    assert (deep.name, pale.name) == ("dark mustard", "light mustard")  # derived: the shade is kept
    assert sum(deep.rgb) < sum(base.rgb) < sum(pale.rgb)
    assert canonical_colour("dark") is None


def test_colour_filler_and_ish():
    assert canonical_colour("Other Pink").name == "pink"
    assert canonical_colour("bright red").name == "red"
    assert canonical_colour("red colour").name == "red"
    assert canonical_colour("reddish").name == "red"
    assert canonical_colour("bluish").name == "blue"
    assert canonical_colour("reddish brown").name == "brown"
    assert canonical_colour("burgandy").name == "burgundy"
    assert canonical_colour("white-ish").name == "white"
    assert canonical_colour("blonde") is None  # not a typo of "bone"
    assert canonical_colour("gold and black") is None  # two colours: the request layer splits them


def test_every_colour_has_a_valid_rgb():
    for name, rgb in COLOUR_RGB.items():
        assert len(rgb) == 3 and all(0 <= c <= 255 for c in rgb), name
        assert canonical_colour(name) == Colour(name, rgb)


# --- sizes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "system", "value", "kind"),
    [
        ("M", "letter", "M", "clothing"),
        ("xs", "letter", "XS", "clothing"),
        ("small", "letter", "S", "clothing"),
        ("Medium", "letter", "M", "clothing"),
        ("large", "letter", "L", "clothing"),
        ("extra large", "letter", "XL", "clothing"),
        ("X-Large", "letter", "XL", "clothing"),
        ("2XL", "letter", "XXL", "clothing"),
        ("xxl", "letter", "XXL", "clothing"),
        ("3XL", "letter", "XXXL", "clothing"),
        ("XXXL", "letter", "XXXL", "clothing"),
        ("extra small", "letter", "XS", "clothing"),
        ("size M", "letter", "M", "clothing"),
        ("in a medium", "letter", "M", "clothing"),
        ("S/M", "letter", "S/M", "clothing"),
        ("US 8", "us", "8", None),
        ("UK 12", "uk", "12", None),
        ("EU 38", "eu", "38", None),
        ("size 10", "numeric", "10", None),
        ("10", "numeric", "10", None),
        ("00", "numeric", "00", None),
        ("EU 42 shoes", "eu", "42", "shoe"),
        ("UK 8 shoe", "uk", "8", "shoe"),
        ("US 9.5", "us", "9.5", "shoe"),
        ("size 9 1/2", "numeric", "9.5", "shoe"),
        ("one size", "one_size", "one size", None),
        ("34B", "bra", "34B", "clothing"),
        ("36 DD", "bra", "36DD", "clothing"),
    ],
)
def test_sizes(text, system, value, kind):
    size = normalise_size(text)
    assert (size.system, size.value, size.kind) == (system, value, kind)


@pytest.mark.parametrize("text", ["32x34", "32 x 34", "W32 L34", "w32/l34", "32/34", "32W 34L", "waist 32 length 34"])
def test_waist_and_length(text):
    assert normalise_size(text) == Size("waist", "W32 L34", "clothing", 32, 34)


def test_waist_alone_and_family_decides_the_kind():
    assert normalise_size("W30") == Size("waist", "W30", "clothing", 30, None)
    assert normalise_size("42", family="shoes").kind == "shoe"
    assert normalise_size("42", family="dress").kind == "clothing"


@pytest.mark.parametrize("text", ["", "huge", "size", "xm", "32x99", "one hundred"])
def test_unrecognised_sizes(text):
    assert normalise_size(text) is None


# --- prices --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("under $150", Price(None, 150, "USD")),
        ("less than 50 euros", Price(None, 50, "EUR")),
        ("between 30 and 60", Price(30, 60, None)),
        ("£20-40", Price(20, 40, "GBP")),
        ("over 100", Price(100, None, None)),
        ("$50 to $100", Price(50, 100, "USD")),
        ("at least 80 quid", Price(80, None, "GBP")),
        ("no more than €200", Price(None, 200, "EUR")),
        ("not less than 40", Price(40, None, None)),
        ("up to 5k", Price(None, 5000, None)),
        ("100+", Price(100, None, None)),
        ("below ₹1,500", Price(None, 1500, "INR")),
        ("around 50 bucks", Price(40, 60, "USD")),
        ("$80", Price(None, 80, "USD")),
        ("60 to 20 dollars", Price(20, 60, "USD")),
        ("under 12,50 eur", Price(None, 12.5, "EUR")),
    ],
)
def test_prices(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["cheap", "affordable", "not too expensive", ""])
def test_price_words_without_an_amount(text):
    assert parse_price(text) is None


# --- the other vocabularies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lookup", "text", "expected"),
    [
        (canonical_material, "Cotton", "cotton"),
        (canonical_material, "100% cotton", "cotton"),
        (canonical_material, "vegan leather", "faux leather"),
        (canonical_material, "leather", "leather"),
        (canonical_material, "rayon", "viscose"),
        (canonical_material, "silky satin", "satin"),
        (canonical_material, "dark jeans", "denim"),
        (canonical_material, "cashmere", "cashmere"),
        (canonical_material, "organic linen", "linen"),
        (canonical_material, "cotten", "cotton"),
        (canonical_pattern, "striped", "stripe"),
        (canonical_pattern, "plaid", "check"),
        (canonical_pattern, "polka dots", "dot"),
        (canonical_pattern, "leopard print", "animal"),
        (canonical_pattern, "camouflage", "camo"),
        (canonical_pattern, "flowery", "floral"),
        (canonical_pattern, "paisley print", "paisley"),
        (canonical_pattern, "Solid", "solid"),
        (canonical_fit, "slim fit", "slim"),
        (canonical_fit, "baggy", "oversized"),
        (canonical_fit, "loose", "relaxed"),
        (canonical_fit, "high-waisted", "high-waisted"),
        (canonical_fit, "bootcut", "flared"),
        (canonical_sleeve, "short sleeves", "short sleeve"),
        (canonical_sleeve, "3/4 sleeves", "three-quarter sleeve"),
        (canonical_sleeve, "no sleeves", "sleeveless"),
        (canonical_sleeve, "off the shoulder", "off-shoulder"),
        (canonical_occasion, "office", "work"),
        (canonical_occasion, "a wedding", "wedding"),
        (canonical_occasion, "night out", "party"),
        (canonical_occasion, "gym", "sports"),
        (canonical_occasion, "formal affair", "formal"),
        (canonical_occasion, "everyday", "casual"),
    ],
)
def test_attribute_vocabularies(lookup, text, expected):
    assert lookup(text) == expected


# --- styles --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("vintage", "vintage"),
        ("Retro", "vintage"),
        ("70s", "vintage"),
        ("80's", "vintage"),
        ("90s", "vintage"),
        ("old-school", "vintage"),
        ("minimal", "minimalist"),
        ("clean", "minimalist"),
        ("bohemian", "boho"),
        ("hippie", "boho"),
        ("street", "streetwear"),
        ("urban", "streetwear"),
        ("hypebeast", "streetwear"),
        ("athleisure", "sporty"),
        ("formal", "elegant"),
        ("Y2K", "y2k"),
        ("grungy", "grunge"),
        ("preppy", "preppy"),
        ("classic", "classic"),
        ("romantic", "romantic"),
        ("vintage style", "vintage"),
        ("spaceship", None),
    ],
)
def test_canonical_style(word, expected):
    assert canonical_style(word) == expected


def test_style_list_is_the_public_api():
    assert style.STYLES is STYLES and style.canonical_style is canonical_style
    names = [s.name for s in STYLES]
    assert len(names) == len(set(names))
    assert all(s.description for s in STYLES)
    assert get_style("hypebeast").name == "streetwear"


# --- coverage of the real data (skips without it) --------------------------------------------------------------


def _report_module():
    spec = importlib.util.spec_from_file_location("make_vocab_report", ROOT / "docs" / "make_vocab_report.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


REPORT = _report_module()


@pytest.mark.data
def test_every_catalog_base_colour_has_rgb(styles):
    for value in styles["baseColour"].dropna().unique():
        colour = canonical_colour(value)
        assert colour is not None and len(colour.rgb) == 3, value


@pytest.mark.data
@pytest.mark.parametrize("source", list(REPORT.SOURCES))
def test_real_attribute_values_are_covered(source):
    path = DATA / REPORT.SOURCES[source][0]
    if not path.exists():
        pytest.skip(f"real data not found at {path} (set ATELIER_DATA to ../shared/data)")
    result = REPORT.check(source, DATA)
    assert result.unexpected == [], f"{source}: add these to tryon/vocab_data.py or to UNMAPPED with a reason"
    assert result.stale == [], f"{source}: mapped now, remove from UNMAPPED"
