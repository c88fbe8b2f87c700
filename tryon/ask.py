"""``Ask``: what a shopper asked for, read once from their words where they enter.

The front end parses the text once (``ask_from(parser(text))``); the try-on, restyling and the recommenders take
the ``Ask``, never a sentence rebuilt from it. The shopper may then edit it (``Ask.edited``), as the app's chips do.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .inference import ParseResult
from .request import Request
from .styles import canonical_style, style_named
from .vocab import (
    Colour,
    Price,
    Size,
    canonical_colour,
    canonical_garment,
    canonical_material,
    normalise,
    normalise_size,
)


@dataclass(frozen=True)
class Ask:
    """A parsed request, reduced to what the engines act on.

    The try-on reads the first garment named and its attributes; the recommender's filters read every garment,
    colour and size named, the budget and the exclusions."""

    text: str = ""  # the words as typed: the recommender's text tower embeds them
    garment: str | None = None  # canonical garment, e.g. "polo shirt"
    family: str | None = None  # its family: top, bottom, dress, outerwear, shoes, ...
    colour: Colour | None = None  # "the grey tank top in burgundy": the last colour named is the one asked for
    size: Size | None = None
    style: str | None = None  # a canonical style name (tryon.STYLES)
    budget: Price | None = None
    garments: tuple[str, ...] = ()  # every garment named
    colours: tuple[str, ...] = ()  # every colour named, by canonical name
    sizes: tuple[str, ...] = ()  # every size named, as stated
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slot -> values the shopper does not want
    # Other values the words named (material, pattern, fit, sleeve, brand, occasion): no engine filters on them
    # yet, but they show the words were a fashion request ("something in linen").
    details: tuple[str, ...] = ()

    @property
    def names_nothing(self) -> bool:
        """Whether the request names nothing a shop knows: the parse found no garment, colour, size, style, budget,
        detail or exclusion, and no word of the text is a garment, colour, style or material either (the parser
        can miss a lone word: "watch"). The recommenders refuse such words ("blorp zzz qwerty") rather than guess."""
        parsed = (self.garment or self.garments or self.colour or self.colours or self.size or self.sizes
                  or self.style or self.budget or self.details or self.exclude)
        return not parsed and not any(map(_vocabulary_word, normalise(self.text).split()))

    @property
    def size_label(self) -> str | None:
        """The size as a shopper writes it: "M", "40", "EU 38"."""
        if self.size is None:
            return None
        system, value = self.size.system, self.size.value
        return value if system in ("letter", "numeric") else f"{system.upper()} {value}"

    def edited(self, garment: str | None = None, colour: str | None = None, size: str | None = None,
               style: str | None = None) -> Ask:
        """The request with what the shopper changed (e.g. an edited chip), which replaces what the words said,
        filters included; a word no vocabulary knows is a ``ValueError`` naming it."""
        changes: dict = {}
        if garment is not None:
            named = _known(canonical_garment(garment), "garment", garment)
            changes |= {"garment": named.name, "family": named.family, "garments": (named.name,)}
        if colour is not None:
            named = _known(canonical_colour(colour), "colour", colour)
            changes |= {"colour": named, "colours": (named.name,)}
        if size is not None:
            named = _known(normalise_size(size, changes.get("family", self.family)), "size", size)
            changes |= {"size": named, "sizes": (named.value,)}
        if style is not None:
            changes["style"] = style_named(style)
        return replace(self, **changes)


def ask_from(parsed: ParseResult | Request | None) -> Ask:
    """The one reading of a parsed request: ``Ask()`` for none."""
    request = parsed.request if isinstance(parsed, ParseResult) else parsed
    if request is None:
        return Ask()
    first = next((item for item in request.items if item.garment), None)
    coloured = next((item for item in request.items if item.colours), None)
    sized = next((item for item in request.items if item.size), None)
    return Ask(
        text=request.text,
        garment=first.garment if first else None,
        family=first.family if first else None,
        colour=coloured.colours[-1] if coloured else None,
        size=sized.size if sized else None,
        style=request.style,
        budget=request.price,
        garments=tuple(item.garment for item in request.items if item.garment),
        colours=tuple(c.name for item in request.items for c in item.colours),
        sizes=tuple(item.size.value for item in request.items if item.size),
        exclude={slot: tuple(values) for slot, values in request.exclude.items()},
        details=_details(request),
    )


def _details(request: Request) -> tuple[str, ...]:
    per_item = (getattr(item, slot) for item in request.items for slot in ("material", "pattern", "fit", "sleeve",
                                                                             "brand"))
    return tuple(value for value in (*per_item, request.occasion) if value)


def _vocabulary_word(word: str) -> bool:
    return any(lookup(word) for lookup in (canonical_garment, canonical_colour, canonical_style, canonical_material))


def _known(value, slot: str, text: str):
    if value is None:
        raise ValueError(f"{slot}: {text!r} is not a {slot} this shop knows")
    return value
