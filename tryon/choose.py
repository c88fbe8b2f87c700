"""Which garment a request means: the words choose the try-on garment, and the choice is said out loud.

    choice = choose_garment(ask, garments, similarity=text_similarity)
    choice.garment          # the Wearable chosen
    choice.message          # "no t-shirt here; closest: the Navy polo shirt", or None when it is what was asked

The order is the shopper's: the named garment type first (a t-shirt), then its family (another top), then the
named colour, pattern, material and sleeves, and only then closeness of the words to the titles. Text similarity
alone once chose the pink jeans for "the red t-shirt".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .ask import Ask
from .vocab import GARMENT_FAMILY, canonical_colour, canonical_garment, canonical_pattern, normalise

# Families the try-on draws, and the category each is drawn as (the request's family decides the category when
# none is given).
FAMILY_CATEGORY = {"top": "upper", "outerwear": "upper", "bottom": "lower", "dress": "dress", "one-piece": "dress"}
SLEEVES = ("none", "short", "long")
# How the parser's sleeve words read as a garment's sleeves.
_SLEEVE_WORDS = {"sleeveless": "none", "strapless": "none", "short sleeves": "short", "half sleeves": "short",
                 "long sleeves": "long", "full sleeves": "long", "3/4 sleeves": "long"}


class GarmentChoiceError(ValueError):
    """No garment the try-on has fits the request; the message says why and what would."""


@dataclass(frozen=True)
class Wearable:
    """A garment the try-on can draw: a front product photo and what it is. ``garment`` is a canonical type
    (tryon.canonical_garment), ``colour`` a canonical colour name; both are read from the title when not given."""

    id: str
    title: str
    category: str  # "upper", "lower" or "dress"
    image_path: Path
    garment: str | None = None
    colour: str | None = None
    pattern: str | None = None  # plain, print, logo, stripes, floral, checks, colour-block
    sleeves: str | None = None  # none, short, long (tops and dresses)
    length: str | None = None  # bottoms: full, cropped, shorts, knee, mini; dresses: mini, knee, midi, maxi

    @classmethod
    def read(cls, row: dict, folder: Path) -> Wearable:
        """One entry of a try-on catalog listing (``tryon/garments.json``); unknown type or colour words are
        read from the title."""
        title = str(row["title"])
        garment = _first_named(str(row.get("garment") or title), canonical_garment)
        colour = _first_named(str(row.get("colour") or title), canonical_colour)
        return cls(str(row["id"]), title, str(row["category"]), folder / str(row["image"]),
                   garment.name if garment else None, colour.name if colour else None,
                   row.get("pattern"), row.get("sleeves"), row.get("length"))

    @property
    def family(self) -> str | None:
        return GARMENT_FAMILY.get(self.garment) if self.garment else None


def read_wearables(folder: Path) -> list[Wearable]:
    """A catalog folder's try-on garments (``tryon/garments.json``; none when it has no listing). A photo must lie
    inside the folder: a listing is read, not trusted."""
    listing = folder / "tryon" / "garments.json"
    if not listing.is_file():
        return []
    try:
        rows = json.loads(listing.read_text())
        garments = [Wearable.read(row, folder) for row in rows]
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise ValueError(f"{listing}: not a list of garments with id, title, category and image ({err})") from err
    inside = folder.resolve()
    wrong = [g.id for g in garments if g.category not in set(FAMILY_CATEGORY.values()) or not g.image_path.is_file()
             or not g.image_path.resolve().is_relative_to(inside)]
    if wrong:
        raise ValueError(f"{listing}: garments {wrong} have no photo in the catalog folder or a category outside "
                         "upper, lower, dress")
    return garments


@dataclass(frozen=True)
class Choice:
    garment: Wearable
    message: str | None = None  # what differs from the request, in words; None when nothing does
    recolour: bool = False  # the request names a colour the chosen garment is not: draw it in that colour


Similarity = Callable[[str, list[str]], Sequence[float]]  # words, titles -> one score per title


def choose_garment(ask: Ask, garments: Sequence[Wearable], similarity: Similarity | None = None) -> Choice:
    """The garment the request names (see the module doc); ``GarmentChoiceError`` when the words name no
    garment, or one the try-on cannot draw."""
    if not garments:
        raise GarmentChoiceError("this catalog has no garments to try on (tryon/garments.json)")
    if ask.garment is None and ask.colour is None and not ask.details:
        said = f"no garment named in {ask.text.strip()[:60]!r}" if ask.text.strip() else "no garment named"
        raise GarmentChoiceError(f"{said}: pick one, or name it, e.g. 'the red t-shirt' or 'blue jeans'")
    pool = _of_kind(ask, garments)
    scores = _closeness(ask, pool, similarity)
    best = max(range(len(pool)), key=lambda i: (_matches(ask, pool[i]), scores[i]))
    return _said(ask, pool[best])


def _of_kind(ask: Ask, garments: Sequence[Wearable]) -> list[Wearable]:
    """The garments of the named type; else of its family; else of the category it is drawn as."""
    if ask.garment is None:
        return list(garments)
    if ask.family not in FAMILY_CATEGORY:
        raise GarmentChoiceError(f"the try-on draws tops, bottoms and dresses; {ask.garment} is {ask.family}: "
                                 "pick a top, trousers, a skirt or a dress")
    for same in (lambda g: g.garment == ask.garment, lambda g: g.family == ask.family,
                 lambda g: g.category == FAMILY_CATEGORY[ask.family]):
        pool = [g for g in garments if same(g)]
        if pool:
            return pool
    kinds = sorted({g.garment or g.category for g in garments})
    raise GarmentChoiceError(f"no {ask.garment} or anything like it to try on here; there are: {', '.join(kinds)}")


def _matches(ask: Ask, garment: Wearable) -> tuple[int, int]:
    """(colour matches, other named attributes that match): the colour is what a shopper sees first."""
    colour = int(garment.colour in ask.colours)  # "the black t-shirt in burgundy": black names the garment
    wanted = {normalise(d) for d in ask.details}
    pattern = canonical_pattern(garment.pattern) if garment.pattern else None
    sleeves = {_SLEEVE_WORDS.get(d) for d in wanted} - {None}
    title = set(normalise(garment.title).split())
    others = len(wanted & title) + int(pattern is not None and pattern in wanted)
    return colour, others + int(garment.sleeves in sleeves)


def _closeness(ask: Ask, pool: list[Wearable], similarity: Similarity | None) -> list[float]:
    words = " ".join(x for x in (ask.garment, ask.text) if x).strip()
    if similarity is None or not words or len(pool) == 1:
        return [0.0] * len(pool)
    return [float(s) for s in similarity(words, [g.title for g in pool])]


def _said(ask: Ask, garment: Wearable) -> Choice:
    """The choice, with what differs from the request in words."""
    notes = []
    if ask.garment is not None and garment.garment != ask.garment:
        notes.append(f"no {ask.garment} here; closest: the {garment.title}")
    recolour = ask.colour is not None and garment.colour != ask.colour.name
    if recolour:
        notes.append(f"drawn in {ask.colour.name} (the photo shows {garment.colour or 'another colour'})")
    return Choice(garment, "; ".join(notes) or None, recolour)


def _first_named(text: str, lookup: Callable):
    """The first value ``lookup`` knows in ``text``, the longest phrase at each word first ("Light blue and navy
    polo shirt" → light blue; → polo shirt); None if none."""
    words = normalise(text).split()
    for i in range(len(words)):
        for n in (3, 2, 1):
            found = lookup(" ".join(words[i:i + n])) if i + n <= len(words) else None
            if found is not None:
                return found
    return None
