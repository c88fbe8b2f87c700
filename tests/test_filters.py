"""Filters from a parsed request keep exactly the catalog items the words allow."""

from __future__ import annotations

import pandas as pd

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
