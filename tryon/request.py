"""From labelled spans to a structured request: which attribute belongs to which garment, what is excluded.

The parser finds spans ("red" COLOR, "jacket" GARMENT); this module is the deterministic part after it:
negation scope, attaching each attribute to a garment, and canonical values from tryon.vocab and
tryon.styles. Everything here is rules, so it behaves the same for any parser model.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .schema import INTENTS, SLOTS, Entity
from .styles import canonical_style
from .vocab import (
    LOOKUPS,
    Colour,
    Price,
    Size,
    canonical_colour,
    canonical_fit,
    canonical_material,
    canonical_occasion,
    canonical_pattern,
    canonical_sleeve,
    has_price_bound,
    normalise,
    normalise_size,
    parse_price,
    split_garment,
)

GLOBAL_SLOTS = ("STYLE", "OCCASION", "PRICE")
# Slot → canonicaliser for the slots whose value is a plain word.
_CANONICAL = {
    "MATERIAL": canonical_material,
    "PATTERN": canonical_pattern,
    "FIT": canonical_fit,
    "SLEEVE": canonical_sleeve,
    "STYLE": canonical_style,
    "OCCASION": canonical_occasion,
}


@dataclass
class Item:
    """One garment asked for (``garment`` None: attributes that named no garment). Values are canonical;
    text that no vocabulary knew is kept, as typed, in ``unrecognised[slot]``; a second value for a
    single-valued slot ("cotton or linen") goes to ``also[slot]``."""

    garment: str | None = None
    family: str | None = None
    colours: list[Colour] = field(default_factory=list)
    size: Size | None = None
    material: str | None = None
    pattern: str | None = None
    fit: str | None = None
    sleeve: str | None = None
    brand: str | None = None
    unrecognised: dict[str, list[str]] = field(default_factory=dict)
    also: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["colours"] = [{"name": c.name, "rgb": list(c.rgb)} for c in self.colours]
        return out


@dataclass
class Request:
    """What the shopper asked for. ``exclude`` maps a slot ("color") to the canonical values they ruled out."""

    text: str
    intent: str
    items: list[Item] = field(default_factory=list)
    style: str | None = None
    occasion: str | None = None
    price: Price | None = None
    exclude: dict[str, list[str]] = field(default_factory=dict)
    unrecognised: dict[str, list[str]] = field(default_factory=dict)
    also: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["items"] = [item.to_dict() for item in self.items]
        return out


# --- negation ------------------------------------------------------------------------------------------------

_CUE = re.compile(
    # "any colour but red", "any top but black": "any" + one or two words + but/except rules out what follows.
    r"\bany\s*(?:thing|one)\s+(?:but|except)\b|\bany\s+(?:[\w-]+\s+){1,2}?(?:but|except)\b|\bexcept(?:\s+for)?\b"
    r"|\bother\s+than\b|\binstead\s+of\b|\brather\s+than\b|\bexcluding\b|\bwithout\b|\bavoid(?:ing)?\b"
    r"|\bnot\b(?!\s+only\b)|\bno\b|\bnon\b\s*-?|\bnever\b|\bnothing\b(?!\s+but\b)|\bneither\b|\bnor\b|\bcannot\b"
    r"|\b(?:do|does|did|is|are|was|were|ca|wo|should|would|could|must|have|has|had|need)n'?t\b",
    re.IGNORECASE,
)
# Where a cue's reach ends: punctuation or a word that starts a new thought ("not red but blue").
_BOUNDARY = re.compile(
    r"[.;:!?,()\n]|\b(?:but|and|or|with|though|however|instead|then|so|because|plus|also)\b", re.IGNORECASE
)
_SCOPE_WORDS = 6  # "I don't really want anything in orange": the value can sit five words after the cue
_LIST_GAP = re.compile(r"\s*(?:,|/|&|\band\b|\bor\b|\bnor\b)?\s*(?:\b(?:and|or|nor)\b)?\s*", re.IGNORECASE)


def _scope_end(text: str, start: int) -> int:
    end, words = start, 0
    for token in re.finditer(r"[\w'’-]+|[^\w\s]", text[start:]):
        if _BOUNDARY.fullmatch(token[0]) or words == _SCOPE_WORDS:
            break
        end, words = start + token.end(), words + 1
    return end


def find_negated(text: str, entities: list[Entity]) -> list[Entity]:
    """The entities with ``negated`` set where a negation cue governs them; a new list, same order.

    A cue reaches the next few words up to a clause boundary and stops at a garment, which it negates only
    when it is the first thing reached ("no jackets", but "not a red jacket" rules out red, not jackets); a list
    of same-slot values continues the scope ("anything but orange, brown or yellow"). Prices are never
    negated: "no more than $50" is a bound, read by parse_price.
    """
    flat = text.replace("’", "'")
    order = sorted(range(len(entities)), key=lambda i: entities[i].start)
    negated = {i for i in order if entities[i].negated}
    for cue in _CUE.finditer(flat):
        if any(e.start <= cue.start() < e.end for e in entities):
            continue  # the cue is part of a value ("no sleeves", "no more than $50"), not about the next one
        end = _scope_end(flat, cue.end())
        reached = [i for i in order if cue.end() <= entities[i].start < end]
        if reached and entities[reached[0]].label == "PRICE":
            continue  # "not over $80": a bound on the price, which parse_price reads
        hit = _governed([i for i in reached if entities[i].label != "PRICE"], entities)
        negated.update(hit)
        if hit:
            negated |= _continued_list(flat, entities, order, hit[-1])
    return [replace(e, negated=True) if i in negated and not e.negated else e for i, e in enumerate(entities)]


def _governed(reached: list[int], entities: list[Entity]) -> list[int]:
    """What a cue negates among the entities in its reach: everything up to the first garment, which it
    negates only when nothing comes before it ("no dresses in red" rules out dresses, not red)."""
    out: list[int] = []
    for i in reached:
        if entities[i].label == "GARMENT":
            return out or [i]
        out.append(i)
    return out


def _continued_list(text: str, entities: list[Entity], order: list[int], last: int) -> set[int]:
    out: set[int] = set()
    for i in order[order.index(last) + 1 :]:
        gap = text[entities[last].end : entities[i].start]
        if entities[i].label != entities[last].label or not _LIST_GAP.fullmatch(gap):
            break
        out.add(i)
        last = i
    return out


# --- attaching attributes to garments ------------------------------------------------------------------------

# What may sit between an attribute and its garment inside one noun phrase ("red and white striped shirt",
# "slim fit jeans"); an article, "in" or "with" means the attribute is not a pre-modifier of what follows.
_FILLER = re.compile(
    r"(?:[\s\-/&]|\b(?:and|or|colou?r(?:ed)?|toned?|fit(?:ted|ting)?|print(?:ed)?|patterned"
    r"|knit|sleeved?|blend|size[d]?|look)\b)*",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[.;:!?,\n]|\b(?:but|then|also)\b", re.IGNORECASE)


def _attach(text: str, at: int, ordered: list[Entity], garments: list[Entity]) -> Entity | None:
    """The garment an attribute describes, or None.

    1. a garment it pre-modifies, through a chain of adjacent attributes ("red leather jacket");
    2. else the nearest garment before it ("the jacket in red and the jeans in blue": red → jacket);
    3. else the next garment in the same clause ("something in red for my jacket");
    4. else the only garment, if there is exactly one.
    """
    ent = prev = ordered[at]
    for nxt in ordered[at + 1 :]:
        if not _FILLER.fullmatch(text[prev.end : nxt.start]):
            break
        if any(nxt is g for g in garments):
            return nxt
        prev = nxt
    before = [g for g in garments if g.end <= ent.start]
    if before:
        return before[-1]
    after = [g for g in garments if g.start >= ent.end and not _CLAUSE.search(text[ent.end : g.start])]
    if after:
        return after[0]
    return garments[0] if len(garments) == 1 else None


# --- canonical values ----------------------------------------------------------------------------------------

_SPLIT_VALUES = re.compile(r"\s*(?:,|/|&|\+|\band\b|\bor\b|\bwith\b)\s*", re.IGNORECASE)


def _colours(raw: str) -> tuple[list[Colour], list[str]]:
    """Known colours and unknown parts of a COLOR span; "navy and white" is two colours."""
    known, unknown = [], []
    for part in filter(None, _SPLIT_VALUES.split(raw)):
        colour = canonical_colour(part)
        if colour:
            known.append(colour)
        else:
            unknown.append(part)
    return known, unknown


def _note(bucket: dict[str, list[str]], slot: str, value: str) -> None:
    values = bucket.setdefault(slot.lower(), [])
    if value not in values:
        values.append(value)


def _set(owner: Item | Request, slot: str, value: str) -> None:
    """Fill a single-valued field; a different second value is kept in ``also``."""
    current = getattr(owner, slot.lower())
    if current is None:
        setattr(owner, slot.lower(), value)
    elif current != value:
        _note(owner.also, slot, value)


def _add_attribute(item: Item, label: str, raw: str) -> None:
    raw = raw.strip()
    if label == "COLOR":
        known, unknown = _colours(raw)
        item.colours.extend(c for c in known if c not in item.colours)
        for part in unknown:
            _note(item.unrecognised, label, part)
    elif label == "SIZE":
        size = normalise_size(raw, item.family)
        if size is None:
            _note(item.unrecognised, label, raw)
        elif item.size is None:
            item.size = size
        elif size != item.size:
            _note(item.also, label, size.value)
    elif label == "BRAND":
        _set(item, label, raw)  # brands are proper names: kept as typed
    elif (value := _CANONICAL[label](raw)) is None:
        _note(item.unrecognised, label, raw)
    else:
        _set(item, label, value)


def _garment_item(ent: Entity) -> Item:
    """An item for a GARMENT span; words the span holds before the garment ("red leather") become attributes."""
    garment, leftover = split_garment(ent.text)
    item = Item(garment.name, garment.family) if garment else Item()
    if garment is None:
        _note(item.unrecognised, "GARMENT", ent.text.strip())
    for label, words in _read_modifiers(leftover):
        _add_attribute(item, label, words)
    return item


def _read_modifiers(leftover: str) -> list[tuple[str, str]]:
    """Greedy longest-first reading of words as colour, material, pattern, fit or sleeve; others are dropped.

    Whole phrases only (no head-noun dropping), else "red leather" would be read as one material."""
    words, found, i = leftover.split(), [], 0
    while i < len(words):
        for j in range(len(words), i, -1):
            phrase = " ".join(words[i:j])
            label = next(
                (lab for lab in ("COLOR", "MATERIAL", "PATTERN", "FIT", "SLEEVE") if _known(lab, phrase)), None
            )
            if label:
                found.append((label, phrase))
                i = j
                break
        else:
            i += 1
    return found


def _known(label: str, phrase: str) -> bool:
    if label == "COLOR":
        return canonical_colour(phrase) is not None
    return LOOKUPS[label].match(phrase, head_drop=False, fuzzy=False) is not None


def _excluded_values(label: str, raw: str) -> list[str]:
    if label == "COLOR":
        known, unknown = _colours(raw)
        return [c.name for c in known] + [normalise(u) for u in unknown]
    if label == "GARMENT":
        garment = split_garment(raw)[0]
        return [garment.name if garment else normalise(raw)]
    if label == "SIZE":
        size = normalise_size(raw)
        return [size.value if size else raw.strip()]
    if label == "BRAND":
        return [raw.strip()]
    return [_CANONICAL[label](raw) or normalise(raw)]


def _price_text(text: str, ent: Entity) -> str:
    """The PRICE span, with "under"/"at least" borrowed from just before it when the span holds only the amount, or
    the amount (the word just after it, "0", "$80", "50k", when no other span holds it: ``text`` ends where the next
    span starts) when it holds only the bound: the tagger sometimes splits "under 0" into two spans or leaves the
    number out, and "under" alone would drop a budget the shopper gave."""
    before = " ".join(text[: ent.start].split()[-3:])
    if not has_price_bound(ent.text) and has_price_bound(before) and not re.search(r"\d", before):
        return f"{before} {ent.text}"
    after = re.match(r"\s*(\S*\d\S*)", text[ent.end :])
    if has_price_bound(ent.text) and not re.search(r"\d", ent.text) and after:
        return f"{ent.text} {after[1]}"
    return ent.text


def _add_global(request: Request, text: str, ent: Entity) -> None:
    if ent.label == "PRICE":
        price = parse_price(_price_text(text, ent))
        if price is None:
            _note(request.unrecognised, ent.label, ent.text.strip())
        elif request.price is None:
            request.price = price
        return
    value = _CANONICAL[ent.label](ent.text)
    if value is None:
        _note(request.unrecognised, ent.label, ent.text.strip())
    else:
        _set(request, ent.label, value)


# Slots whose values are single vocabulary words the labeller can confuse with one another ("show me the velvet
# wrap top, boho" once labelled "boho" a COLOR; "navy trousers, minimalist" labelled "navy" a STYLE).
_WORD_SLOTS = {"COLOR": canonical_colour, "STYLE": canonical_style, "MATERIAL": canonical_material,
               "PATTERN": canonical_pattern}


def vocabulary_checked(entities: list[Entity]) -> list[Entity]:
    """The spans with a word-slot label corrected by the vocabularies: a span its own slot does not know, that
    exactly one other word slot knows, takes that slot's label. Anything else is left as the model said."""
    checked = []
    for ent in entities:
        lookup = _WORD_SLOTS.get(ent.label)
        if lookup is not None and lookup(ent.text) is None:
            others = [label for label, other in _WORD_SLOTS.items() if label != ent.label and other(ent.text)]
            ent = replace(ent, label=others[0]) if len(others) == 1 else ent
        checked.append(ent)
    return checked


def build_request(text: str, intent: str, entities: list[Entity], detect_negation: bool = True) -> Request:
    """The structured request for ``text``: one Item per garment, attributes attached, negated values excluded.

    ``detect_negation`` adds the rule-based scope of find_negated to any ``negated`` flags already set.
    """
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}; expected one of {INTENTS}")
    unknown = sorted({e.label for e in entities} - set(SLOTS))
    if unknown:
        raise ValueError(f"unknown slot labels {unknown}; expected {SLOTS}")
    entities = vocabulary_checked(entities)
    ordered = sorted(find_negated(text, entities) if detect_negation else entities, key=lambda e: e.start)
    garments = [e for e in ordered if e.label == "GARMENT" and not e.negated]
    request = Request(text, intent)
    items = {id(g): _garment_item(g) for g in garments}
    loose = Item()
    for at, ent in enumerate(ordered):
        if ent.negated:
            for value in _excluded_values(ent.label, ent.text):
                _note(request.exclude, ent.label, value)
        elif ent.label in GLOBAL_SLOTS:
            # up to the next span: a PRICE of "under" alone borrows a free amount, never another span's ("32" a size)
            _add_global(request, text[: ordered[at + 1].start] if at + 1 < len(ordered) else text, ent)
        elif ent.label != "GARMENT":
            target = _attach(text, at, ordered, garments)
            _add_attribute(items[id(target)] if target else loose, ent.label, ent.text)
    request.items = list(items.values())
    if loose != Item():
        request.items.append(loose)
    return request
