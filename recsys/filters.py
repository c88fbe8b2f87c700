"""Filters from a parsed request: which catalog items a shopper's words allow, and what to say when none do.

    facts = ItemFacts.read(store.items())   # once per catalog: each item's garment, colours, price and sizes
    chosen = select(facts, ask)              # a boolean mask over the items, and a message when it had to relax
    request_reason(facts, j, ask)            # "matches your request: red heels, 45 (under 50)"

One rule set for every front end: ``Shop.for_ask`` (recommend) and ``Catalog.search`` (search) both call ``select``.

Where an item's facts come from (the catalogs Atelier takes name them differently):

- garment: the ``category`` column, else the attributes ``articleType`` (Fashion Product Images) or
  ``product_type_name`` (H&M), or, for an item with no category at all, the title's last garment word. A family
  word ("a top", "shoes") asks for the whole family; a named garment ("a t-shirt") for that garment only.
- colours: the ``colour`` column and the attributes ``baseColour``, ``colour_group_name`` or ``colour`` together,
  else the colour words of the title ("Elle Black Dress"). A colour asked for or ruled out covers its shades
  ("red" covers "dark red").
- price: the ``price`` column (the catalog's currency: nothing is converted); sizes: ``attributes["sizes"]``.

An item whose garment cannot be read is not offered for a garment request: the garment is what was asked for.
Colour, price and size are softer: an item that lists none is kept (the catalog neither confirms nor contradicts
the condition), the reasons claim nothing about it, and the message says when none of the items could be checked.

When nothing meets every condition, one is relaxed and the message says which, in the order a shopper gives way:
the budget (offering the prices nearest the bound they crossed), then the size, then the colours. The garment and
the exclusions are never relaxed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from tryon import Ask, Price, canonical_colour, canonical_garment, normalise

GARMENT_KEYS = ("category", "articleType", "product_type_name")
COLOUR_KEYS = ("colour", "color", "baseColour", "colour_group_name")
RELAXABLE = ("budget", "size", "colour")  # in the order they give way
NEAREST_SPREAD = 1.25  # a relaxed budget offers prices up to 25% past the nearest one beyond the bound
_SHADE = re.compile(r"^(?:light|dark) ")
# Catalog text repeats (a few hundred categories and colour names, a title vocabulary of some thousands of words),
# and a vocabulary lookup that misses tries fuzzy spellings (about a millisecond): each text is looked up once.
_garment_named = lru_cache(maxsize=200_000)(canonical_garment)
_colour_named = lru_cache(maxsize=200_000)(canonical_colour)


class RequestError(ValueError):
    """A request that cannot be served as asked: no fashion request in it, a contradiction, an impossible budget."""


@dataclass(frozen=True)
class Labels:
    """Which of a few distinct labels (colours, sizes) each item carries, as a boolean matrix built once, so that a
    request's condition is one column lookup over the catalog, not a loop over its items."""

    names: tuple[str, ...]
    matrix: np.ndarray  # bool [n_items, len(names)]

    @classmethod
    def of(cls, per_item: list[Iterable[str]]) -> Labels:
        names = tuple(sorted({label for labels in per_item for label in labels}))
        column = {name: i for i, name in enumerate(names)}
        matrix = np.zeros((len(per_item), len(names)), dtype=bool)
        for row, labels in enumerate(per_item):
            matrix[row, [column[label] for label in labels]] = True
        return cls(names, matrix)

    def any_of(self, test: Callable[[str], bool], unknown: bool) -> np.ndarray:
        """Items carrying a label that passes ``test``; an item with no label at all gets ``unknown``."""
        hit = self.matrix[:, [i for i, name in enumerate(self.names) if test(name)]].any(axis=1)
        return hit | ~self.known() if unknown else hit

    def known(self) -> np.ndarray:
        return self.matrix.any(axis=1)

    def of_item(self, j: int) -> list[str]:
        return [self.names[i] for i in np.flatnonzero(self.matrix[j])]


@dataclass(frozen=True)
class ItemFacts:
    """What the catalog says about each item, read once, aligned with the items frame it was read from."""

    garment_names: tuple[str, ...]  # the distinct canonical garments ...
    garment_families: tuple[str, ...]  # ... their families ...
    garments: np.ndarray  # ... and each item's, as an index into them (-1: none could be read)
    colours: Labels  # canonical colour names, as the catalog names them ("dark red")
    sizes: Labels  # normalised
    prices: np.ndarray  # float; NaN where unknown

    @classmethod
    def read(cls, items: pd.DataFrame) -> ItemFacts:
        """``items``: columns title, attributes and any of category, colour, price (as ``Store.items`` has them)."""
        rows = items.to_dict("records")
        garments = [_garment_of(row) for row in rows]
        distinct = sorted({g for g in garments if g is not None}, key=lambda g: g.name)
        code = {g: i for i, g in enumerate(distinct)}
        prices = pd.to_numeric(items["price"], errors="coerce") if "price" in items else pd.Series(np.nan, items.index)
        return cls(garment_names=tuple(g.name for g in distinct), garment_families=tuple(g.family for g in distinct),
                   garments=np.array([code.get(g, -1) for g in garments], dtype=np.int32),
                   colours=Labels.of([_colours_of(row) for row in rows]),
                   sizes=Labels.of([_sizes_of(row) for row in rows]),
                   prices=prices.to_numpy(dtype=float))

    def __len__(self) -> int:
        return len(self.prices)

    def garment_of(self, j: int) -> str | None:
        return self.garment_names[self.garments[j]] if self.garments[j] >= 0 else None


@dataclass
class Selection:
    """The items a request allows (a boolean mask over the catalog) and what the shopper should be told."""

    allowed: np.ndarray
    message: str | None = None
    relaxed: str | None = None  # the condition given up to offer the nearest items: one of RELAXABLE, or "all"


def select(facts: ItemFacts, ask: Ask) -> Selection:
    """Every condition of the request, as a mask; when none meet them all, the nearest items and why."""
    check_request(ask)
    conditions = request_conditions(facts, ask)
    allowed = _all(conditions.values(), len(facts))
    if allowed.any():
        return Selection(allowed, _unchecked(facts, ask, allowed))
    return _nearest(facts, ask, conditions)


def allowed_items(items: pd.DataFrame, ask: Ask) -> np.ndarray:
    """The strict mask over ``items``: every condition, nothing relaxed, no checks of the request."""
    facts = ItemFacts.read(items)
    return _all(request_conditions(facts, ask).values(), len(facts))


def check_request(ask: Ask) -> None:
    """Refuse words with no fashion request in them, contradictions and budgets no price can meet."""
    if ask.text.strip() and ask.names_nothing:
        raise RequestError(f"no fashion request in {_quoted(ask.text)}: name a garment, colour, size, style or "
                           "budget, e.g. 'a red dress under 100'")
    for slot, wanted, matches in (("color", ask.colours, _same_colour), ("garment", ask.garments, _same_garment)):
        both = [(w, x) for w in wanted for x in ask.exclude.get(slot, ()) if matches(w, x)]
        if both:
            raise RequestError(f"the request asks for {both[0][0]} and also rules {both[0][1]} out: say which you "
                               "want")
    budget = ask.budget
    if budget is not None and budget.max is not None and budget.max <= 0:
        raise RequestError(f"a budget under {_money(budget.max, budget.currency)} leaves nothing: every price is "
                           "above 0")
    if budget is not None and None not in (budget.min, budget.max) and budget.min > budget.max:
        raise RequestError(f"the budget's lower bound {_money(budget.min, budget.currency)} is above its upper "
                           f"bound {_money(budget.max, budget.currency)}")


def request_conditions(facts: ItemFacts, ask: Ask) -> dict[str, np.ndarray]:
    """One mask per condition the request sets: garment, colour, budget, size and the exclusions."""
    out: dict[str, np.ndarray] = {}
    if ask.garments:
        out["garment"] = _garment_mask(facts, ask.garments)
    if excluded := ask.exclude.get("garment"):
        out["not garment"] = ~_garment_mask(facts, excluded)
    if ask.colours:
        out["colour"] = facts.colours.any_of(lambda c: _any_colour(c, ask.colours), unknown=True)
    if excluded := ask.exclude.get("color"):
        out["not colour"] = ~facts.colours.any_of(lambda c: _any_colour(c, excluded), unknown=False)
    if ask.budget is not None:
        out["budget"] = np.isnan(facts.prices) | _within(facts.prices, ask.budget)
    if ask.sizes:
        wanted = {normalise(s) for s in ask.sizes}
        out["size"] = facts.sizes.any_of(wanted.__contains__, unknown=True)
    return out


def request_reason(facts: ItemFacts, j: int, ask: Ask) -> str | None:
    """What of the request item j is known to meet, in words: "matches your request: red heels, 45 (under 50)"."""
    colours = [c for c in facts.colours.of_item(j) if _any_colour(c, ask.colours)]
    if not colours and ask.exclude.get("color"):
        colours = facts.colours.of_item(j)  # "not black": say what it is instead
    noun = facts.garment_of(j) if ask.garments else None
    parts = [" ".join([" or ".join(colours), noun or ""]).strip()]
    price = facts.prices[j]
    if ask.budget is not None and not np.isnan(price):
        parts.append(f"{_money(price, ask.budget.currency)} ({_against(price, ask.budget)})")
    sizes = sorted(set(facts.sizes.of_item(j)) & {normalise(s) for s in ask.sizes})
    if sizes:
        parts.append(f"size {sizes[0].upper()}")
    said = [p for p in parts if p]
    return f"matches your request: {', '.join(said)}" if said else None


def describe(ask: Ask, without: Iterable[str] = ()) -> str:
    """The request's conditions as a phrase: "red shoes under 50", "dresses, not black"."""
    without = set(without)
    noun = " or ".join(_plural(g) for g in ask.garments) or "items"
    text = " ".join(([" or ".join(ask.colours)] if ask.colours and "colour" not in without else []) + [noun])
    for slot in ("color", "garment"):
        if ask.exclude.get(slot):
            text += ", not " + " or ".join(ask.exclude[slot])
    if ask.budget is not None and "budget" not in without:
        text += " " + _bound(ask.budget)
    if ask.sizes and "size" not in without:
        text += " in size " + " or ".join(ask.sizes)
    return text


# --- when nothing matches -----------------------------------------------------------------------------------


def _nearest(facts: ItemFacts, ask: Ask, conditions: dict[str, np.ndarray]) -> Selection:
    """Relax one condition, in RELAXABLE's order; else all of them; else say that nothing is close."""
    asked = describe(ask)
    for kind in (k for k in RELAXABLE if k in conditions):
        rest = _all((mask for name, mask in conditions.items() if name != kind), len(facts))
        if kind == "budget":
            offer, message = _past_budget(facts.prices, rest, ask)
        else:
            offer, message = rest, f"no {asked}; these are {describe(ask, [kind])} in other {kind}s"
        if offer.any():
            return Selection(offer, message, kind)
    kept = _all((mask for name, mask in conditions.items() if name not in RELAXABLE), len(facts))
    if kept.any() and set(RELAXABLE) & set(conditions):
        return Selection(kept, f"no {asked}, nor anything close; these are other {describe(ask, RELAXABLE)}", "all")
    return Selection(np.zeros(len(facts), dtype=bool), f"no {asked} in this catalog")


def _past_budget(prices: np.ndarray, rest: np.ndarray, ask: Ask) -> tuple[np.ndarray, str]:
    """The items just past the budget's bound, priced within NEAREST_SPREAD of the nearest one, and the message
    ("no red shoes under 50; the cheapest red shoes are 55"). For a range, the side whose nearest price is closer,
    relative to its bound."""
    budget, known = ask.budget, rest & ~np.isnan(prices)
    above = known & (prices > budget.max) if budget.max is not None else np.zeros_like(known)
    below = known & (prices < budget.min) if budget.min is not None else np.zeros_like(known)
    gap_above = prices[above].min() / budget.max if above.any() else np.inf
    gap_below = budget.min / prices[below].max() if below.any() else np.inf
    if not above.any() and not below.any():
        return above, ""
    if gap_above <= gap_below:
        nearest, end = prices[above].min(), "cheapest"
        offer = above & (prices <= nearest * NEAREST_SPREAD)
    else:
        nearest, end = prices[below].max(), "most expensive"
        offer = below & (prices >= nearest / NEAREST_SPREAD)
    said = f"the {end} {describe(ask, ['budget'])} are {_money(nearest, budget.currency)}"
    return offer, f"no {describe(ask)}; {said}"


def _unchecked(facts: ItemFacts, ask: Ask, allowed: np.ndarray) -> str | None:
    """Say so when none of the allowed items list what a condition needs (a price, a size, a colour)."""
    rows = np.flatnonzero(allowed)
    notes = []
    if ask.budget is not None and np.isnan(facts.prices[rows]).all():
        notes.append(f"no price is listed for these, so '{_bound(ask.budget)}' is not checked")
    if ask.sizes and not facts.sizes.known()[rows].any():
        notes.append(f"no sizes are listed for these, so size {' or '.join(ask.sizes)} is not checked")
    if (ask.colours or ask.exclude.get("color")) and not facts.colours.known()[rows].any():
        notes.append("no colour is listed for these, so the colour is not checked")
    return "; ".join(notes) or None


# --- masks --------------------------------------------------------------------------------------------------


def _all(masks: Iterable[np.ndarray], n: int) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    for mask in masks:
        keep &= mask
    return keep


def _within(prices: np.ndarray, bound: Price) -> np.ndarray:
    inside = np.ones(len(prices), dtype=bool)
    if bound.min is not None:
        inside &= prices >= bound.min
    if bound.max is not None:
        inside &= prices <= bound.max
    return inside


def _garment_mask(facts: ItemFacts, wanted: Iterable[str]) -> np.ndarray:
    names = {w for w in wanted if not _is_family(w)}
    families = {canonical_garment(w).family for w in wanted if _is_family(w)}
    codes = [i for i, (name, family) in enumerate(zip(facts.garment_names, facts.garment_families, strict=True))
             if name in names or family in families]
    return np.isin(facts.garments, codes)


def _any_colour(colour: str, wanted: Iterable[str]) -> bool:
    return any(_same_colour(colour, w) for w in wanted)


def _is_family(garment: str) -> bool:
    """Whether a garment word names its whole family ("top", "shoes", "dress"): the family's own name reads as it."""
    named = canonical_garment(garment)
    return named is not None and canonical_garment(named.family) == named


def _same_colour(colour: str, wanted: str) -> bool:
    """``colour`` is ``wanted`` or one of its shades ("dark red" for "red")."""
    return colour == wanted or _SHADE.sub("", colour) == wanted


def _same_garment(garment: str, excluded: str) -> bool:
    return garment == excluded or (_is_family(excluded) and canonical_garment(garment).family ==
                                   canonical_garment(excluded).family)


# --- reading the catalog --------------------------------------------------------------------------------------


def _texts(row: dict, keys: Iterable[str]) -> list[str]:
    """The row's non-empty text values under ``keys``, from its columns first, then its attributes."""
    attributes = row.get("attributes") if isinstance(row.get("attributes"), dict) else {}
    values = [row.get(key) for key in keys] + [attributes.get(key) for key in keys]
    return [v for v in values if isinstance(v, str) and v.strip()]


def _garment_of(row: dict):
    """From the catalog's category (the first one a vocabulary knows); from the title only for an item that has no
    category at all: a category the vocabulary does not know ("Perfume") names no garment."""
    named = _texts(row, GARMENT_KEYS)
    for text in named:
        if garment := _garment_named(text):
            return garment
    return _title_garment(row["title"]) if not named and isinstance(row.get("title"), str) else None


def _title_garment(title: str):
    """The last garment word of a title, as English puts the head noun last ("Puma Men's Excurse White Spectrum
    Blue Shoe"), with the word before it when together they name a garment ("Tank Top", "T Shirt"). Word by word,
    so each lookup is cached and no title is matched whole."""
    words = normalise(title).split()
    for end in range(len(words), 0, -1):
        if garment := _garment_named(words[end - 1]):
            # The last word is a garment, so the pair's lookup ends on it exactly, never in a fuzzy search.
            pair = _garment_named(" ".join(words[end - 2:end])) if end > 1 else None
            return pair or garment
    return None


def _colours_of(row: dict) -> tuple[str, ...]:
    named = [c.name for text in _texts(row, COLOUR_KEYS) if (c := _colour_named(text))]
    if not named and isinstance(row.get("title"), str):
        named = _title_colours(row["title"])
    return tuple(dict.fromkeys(named))


def _title_colours(title: str) -> list[str]:
    """The colour words of a title; a two-word name whose second word is a colour goes first ("Navy Blue Jacket"
    is navy, not navy and blue; "Light Pink" is light pink)."""
    words, found, i = normalise(title).split(), [], 0
    while i < len(words):
        pair = i + 1 < len(words) and _colour_named(words[i + 1]) and _colour_named(f"{words[i]} {words[i + 1]}")
        colour = pair or _colour_named(words[i])
        if colour:
            found.append(colour.name)
        i += 2 if pair else 1
    return found


def _sizes_of(row: dict) -> frozenset[str]:
    listed = (row.get("attributes") or {}).get("sizes") if isinstance(row.get("attributes"), dict) else None
    if isinstance(listed, str):
        listed = listed.split(",")
    return frozenset(normalise(str(s)) for s in listed or [] if str(s).strip())


# --- words ----------------------------------------------------------------------------------------------------


def _bound(budget: Price) -> str:
    low, high = (_money(x, budget.currency) if x is not None else None for x in (budget.min, budget.max))
    if low and high:
        return f"between {low} and {high}"
    return f"under {high}" if high else f"over {low}"


def _against(price: float, budget: Price) -> str:
    """A price against the budget: "under 50" when it meets it, "over your 50" when a relaxed budget let it in."""
    if budget.max is not None and price > budget.max:
        return f"over your {_money(budget.max, budget.currency)}"
    if budget.min is not None and price < budget.min:
        return f"under your {_money(budget.min, budget.currency)}"
    return _bound(budget)


def _money(amount: float, currency: str | None) -> str:
    number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{currency} {number}" if currency else number


def _plural(garment: str) -> str:
    if garment.endswith(("ss", "sh", "ch", "x")):
        return garment + "es"
    return garment if garment.endswith("s") else garment + "s"


def _quoted(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "…")

