"""Filters from a parsed request keep exactly the catalog items the words allow."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.filters import allowed_items
from tryon import Entity, ask_from, build_request

ITEMS = pd.DataFrame({
    "title": ["Red midi dress", "Black dress", "Blue jeans", "Red tee", "Dress, colour unknown", "Pricey red dress"],
    "category": ["Dresses", "Dresses", "Jeans", None, "Dresses", "Dresses"],
    "colour": ["red", "black", "blue", "red", None, "Red"],
    "price": [120, 90, 60, None, 80, 400],
    "attributes": [{"sizes": ["S", "M"]}, {"sizes": "M,L"}, {}, {}, {}, {"sizes": ["M"]}],
})


def request(text: str, spans: list[tuple[str, str]]):
    entities, pos = [], 0
    for label, value in spans:
        start = text.index(value, pos)
        entities.append(Entity(label, value, start, start + len(value), 1.0))
        pos = start + len(value)
    return ask_from(build_request(text, "search", entities))


def test_garment_colour_price_size_and_exclusion():
    spans = [("COLOR", "red"), ("GARMENT", "dress"), ("PRICE", "under $150"), ("COLOR", "black"), ("SIZE", "M")]
    wanted = request("a red dress under $150, not black, size M", spans)
    # The unknown-colour dress stays: the catalog cannot confirm the colour, it does not contradict it.
    assert allowed_items(ITEMS, wanted).tolist() == [True, False, False, False, True, False]


def test_exclusion_alone_keeps_unknowns_and_removes_matches():
    wanted = request("anything but black", [("COLOR", "black")])
    assert allowed_items(ITEMS, wanted).tolist() == [True, False, True, True, True, True]


def test_no_conditions_keep_everything():
    assert allowed_items(ITEMS, request("show me something nice", [])).all()


# --- where facts come from, families and shades, the nearest offer, refusals ---------------------------------
from recsys import RequestError  # noqa: E402
from recsys.filters import ItemFacts, request_reason, select  # noqa: E402
from tryon import Ask, Price  # noqa: E402

CATALOG = pd.DataFrame({  # as Store.items() holds rows of Fashion Product Images and H&M: colour in attributes
    "title": ["Elle Black Dress", "Mineral Coral Dress", "Wrangler Women Printed Red T-shirt", "HM Women Red Heels",
              "Catwalk Women Black Heels", "Summer Selma viscose blouse", "Plain tee"],
    "category": [None, None, None, None, None, None, "T-shirt"],
    "colour": [None, None, None, None, None, None, "navy"],
    "price": [35, 20, 15, 55, 40, 25, None],
    "attributes": [{}, {"articleType": "Dresses", "baseColour": "Red"}, {"articleType": "Tshirts", "baseColour": "Red"},
                   {"articleType": "Heels", "baseColour": "Red", "sizes": ["38", "39"]},
                   {"articleType": "Heels", "baseColour": "Black", "sizes": "38,40"},
                   {"product_type_name": "Blouse", "colour_group_name": "Dark Red"}, {"baseColour": "White"}],
})
FACTS = ItemFacts.read(CATALOG)


def kept(ask: Ask) -> list[str]:
    return CATALOG["title"][select(FACTS, ask).allowed].tolist()


def test_facts_come_from_columns_attributes_and_titles():
    assert FACTS.colours.of_item(0) == ["black"]  # the title, when nothing else names a colour
    assert FACTS.colours.of_item(5) == ["dark red"]  # H&M's colour_group_name
    assert FACTS.colours.of_item(6) == ["navy", "white"]  # the colour column and the attributes together
    assert [FACTS.garment_of(j) for j in range(4)] == ["dress", "dress", "t-shirt", "heels"]
    assert FACTS.garment_of(5) == "blouse" and FACTS.sizes.of_item(4) == ["38", "40"]


def test_a_family_word_asks_for_the_family_and_a_colour_covers_its_shades():
    assert kept(Ask(garments=("top",), colours=("red",))) == ["Wrangler Women Printed Red T-shirt",
                                                              "Summer Selma viscose blouse"]
    assert kept(Ask(garments=("t-shirt",), colours=("red",))) == ["Wrangler Women Printed Red T-shirt"]
    assert kept(Ask(garments=("dress",), exclude={"color": ("black",)})) == ["Mineral Coral Dress"]
    assert "Summer Selma viscose blouse" not in kept(Ask(exclude={"color": ("red",)}))


def test_a_minimum_no_item_reaches_offers_the_most_expensive():
    chosen = select(FACTS, Ask(garments=("heels",), budget=Price(60, None)))
    assert chosen.relaxed == "budget" and chosen.message == "no heels over 60; the most expensive heels are 55"
    assert CATALOG["title"][chosen.allowed].tolist() == ["HM Women Red Heels"]  # 40 is over 25% further away


def test_a_size_is_relaxed_before_a_colour_and_the_reason_says_what_is_met():
    ask = Ask(garments=("heels",), colours=("red",), sizes=("40",), budget=Price(None, 60))
    chosen = select(FACTS, ask)
    assert chosen.message == "no red heels under 60 in size 40; these are red heels under 60 in other sizes"
    assert request_reason(FACTS, 3, ask) == "matches your request: red heels, 55 (under 60)"
    assert request_reason(FACTS, 4, ask) == "matches your request: heels, 40 (under 60), size 40"


def test_what_the_catalog_cannot_check_is_said_and_nothing_close_is_said_too():
    note = select(FACTS, Ask(garments=("t-shirt",), colours=("navy",), budget=Price(None, 30)))
    assert note.message == "no price is listed for these, so 'under 30' is not checked"
    assert select(FACTS, Ask(garments=("jeans",))).message == "no jeans in this catalog"
    nothing_close = select(FACTS, Ask(garments=("dress",), colours=("green",), budget=Price(None, 5)))
    assert nothing_close.relaxed == "all" and nothing_close.message.startswith("no green dresses under 5, nor")


@pytest.mark.parametrize(("ask", "message"), [
    (Ask(text="zzz qwerty"), "no fashion request"),
    (Ask(colours=("dark red",), exclude={"color": ("red",)}), "asks for dark red and also rules red out"),
    (Ask(garments=("t-shirt",), exclude={"garment": ("top",)}), "asks for t-shirt and also rules top out"),
    (Ask(budget=Price(None, 0)), "a budget under 0 leaves nothing"),
    (Ask(budget=Price(100, 50)), "lower bound 100 is above its upper bound 50"),
])
def test_refusals_name_the_problem(ask, message):
    with pytest.raises(RequestError, match=message):
        select(FACTS, ask)


def test_red_but_not_dark_red_is_no_contradiction():
    assert kept(Ask(colours=("red",), exclude={"color": ("dark red",)}))[:1] == ["Mineral Coral Dress"]
