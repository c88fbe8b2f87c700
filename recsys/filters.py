"""Filters from a parsed request: which catalog items a shopper's words allow.

    ask = tryon.ask_from(parser("a red dress under $150, not black, size M"))
    allowed = allowed_items(store.items(), ask)      # boolean mask, aligned with the items frame

Garments match by canonical type (the item's category, else its title, through tryon.vocab), colours by
canonical name, excluded colours and materials are removed, prices bound, and a size keeps the items that
list it in ``attributes["sizes"]``. A condition on data an item lacks (no colour, no price, no size list)
does not remove it: the shopper asked for something the catalog cannot confirm, not against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tryon import Ask, Price, canonical_colour, canonical_garment, normalise


def allowed_items(items: pd.DataFrame, ask: Ask) -> np.ndarray:
    """Boolean mask over ``items`` (columns title, category, colour, price, attributes as in recsys.Store)."""
    keep = np.ones(len(items), dtype=bool)
    garments = set(ask.garments)
    if garments:
        keep &= _matches(items, _garment, garments)
    colours = set(ask.colours)
    if colours:
        keep &= _matches(items, _colour, colours)
    excluded = set(ask.exclude.get("color", ()))
    if excluded:
        keep &= ~_matches(items, _colour, excluded, unknown=False)
    if ask.budget is not None and "price" in items:
        keep &= _within(items["price"], ask.budget)
    sizes = set(ask.sizes)
    if sizes:
        keep &= _matches(items, _sizes, {normalise(s) for s in sizes})
    return keep


def _within(prices: pd.Series, bound: Price) -> np.ndarray:
    """Inside the budget, or no price known. Currencies are not converted: the catalog's own is assumed."""
    price = pd.to_numeric(prices, errors="coerce").to_numpy(dtype=float)
    inside = np.ones(len(price), dtype=bool)
    if bound.min is not None:
        inside &= price >= bound.min
    if bound.max is not None:
        inside &= price <= bound.max
    return np.isnan(price) | inside


def _matches(items: pd.DataFrame, read, wanted: set[str], unknown: bool = True) -> np.ndarray:
    """Per item: does what ``read`` finds intersect ``wanted``? Items where it finds nothing get ``unknown``."""
    out = []
    for row in items.to_dict("records"):
        found = read(row)
        out.append(bool(found & wanted) if found else unknown)
    return np.array(out, dtype=bool)


def _garment(row: dict) -> set[str]:
    for text in (row.get("category"), row.get("title")):
        if isinstance(text, str) and (garment := canonical_garment(text)):
            return {garment.name}
    return set()


def _colour(row: dict) -> set[str]:
    text = row.get("colour")
    colour = canonical_colour(text) if isinstance(text, str) and text else None
    return {colour.name} if colour else set()


def _sizes(row: dict) -> set[str]:
    listed = (row.get("attributes") or {}).get("sizes")
    if isinstance(listed, str):
        listed = listed.split(",")
    return {normalise(str(s)) for s in listed or []}
