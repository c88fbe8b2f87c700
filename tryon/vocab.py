"""Turning shopper words into canonical values: colours with RGB, garments with families, sizes, prices.

Every lookup goes through one helper, ``Lookup``, so "T-Shirts", "t shirt" and "tshirt" are treated alike in
every vocabulary. The tables are plain data in ``tryon.vocab_data``; nothing is read from disk at run time.

Colour shades: a name the data uses as its own colour ("dark blue", "light pink" are H&M colour groups) is its
own entry; any other "light X" / "dark X" ("dark mustard") is derived from X, named "dark mustard", with X's RGB
blended towards white or black, so the shade is never silently dropped.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from .vocab_data import (
    COLOUR_FILLER,
    COLOUR_SHADES,
    COLOURS,
    CURRENCIES,
    FITS,
    GARMENTS,
    MATERIALS,
    NOISE_WORDS,
    OCCASIONS,
    PATTERNS,
    RGB,
    SIZE_SYSTEMS,
    SLEEVES,
)


def normalise(text: str) -> str:
    """Lower case, no accents or apostrophes, every other non-alphanumeric run → one space."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"['`]", "", text.lower())
    return re.sub(r"[^a-z0-9&+]+", " ", text).strip()


def _singulars(phrase: str) -> list[str]:
    """Singular guesses for the last word ("hoodies" → "hoody", "hoodie"); only tried after the exact text."""
    forms = []
    if phrase.endswith("ies"):
        forms.append(phrase[:-3] + "y")
    if phrase.endswith("es"):
        forms.append(phrase[:-2])
    if phrase.endswith("s") and not phrase.endswith("ss"):
        forms.append(phrase[:-1])
    return forms


def _synonyms(entry: str | Iterable[str]) -> list[str]:
    return [s for s in (entry.split(",") if isinstance(entry, str) else entry) if s.strip()]


class Lookup:
    """Canonical value for a free-text phrase, from a table of canonical → synonyms.

    Tries, in order: the exact phrase, its singular, the phrase without noise words, then (``head_drop``) the
    phrase without its leading words — English puts the head noun last, so "cropped linen trousers" →
    "trousers" — and finally (``fuzzy``) a close spelling ("sneekers"). A synonym claimed by two canonical
    values is a data bug and fails at import.
    """

    def __init__(
        self,
        table: Mapping[str, str | Iterable[str]],
        noise: Iterable[str] = (),
        head_drop: bool = True,
        fuzzy: bool = True,
    ) -> None:
        self.names: tuple[str, ...] = tuple(table)
        self._noise = NOISE_WORDS | frozenset(noise)
        self._head_drop, self._fuzzy = head_drop, fuzzy
        self._index: dict[str, str] = {}
        for name, entry in table.items():
            for word in (name, *_synonyms(entry)):
                self._add(normalise(word), name)
        # The keys a typo may be of (see _close), by first letter and length: difflib then scores a few dozen
        # keys instead of all of them, which took ~3 ms of a request's interpreter time
        self._spellings: dict[tuple[str, int], list[str]] = {}
        for key in self._index:
            self._spellings.setdefault((key[0], len(key)), []).append(key)

    def _add(self, key: str, name: str) -> None:
        if self._index.setdefault(key, name) != name:
            raise ValueError(f"vocabulary: {key!r} maps to both {self._index[key]!r} and {name!r}")

    def __call__(self, text: str) -> str | None:
        found = self.match(text)
        return found[0] if found else None

    def match(self, text: str, head_drop: bool | None = None, fuzzy: bool | None = None) -> tuple[str, str] | None:
        """(canonical, the leading words dropped to find it) or None."""
        words = normalise(text).split()
        if not words:
            return None
        head_drop = self._head_drop if head_drop is None else head_drop
        tails = list(self._tails(words, head_drop))
        for tail, lead in tails:
            for form in (tail, *_singulars(tail)):
                if form in self._index:
                    return self._index[form], lead
        if self._fuzzy if fuzzy is None else fuzzy:
            for tail, lead in tails:
                if close := self._close(tail):
                    return self._index[close], lead
        return None

    def _close(self, tail: str) -> str | None:
        # A typo keeps the first letter and roughly the length: "sneekers" → sneakers, but "sleeves" must
        # not become "sleeveless" (the opposite), nor "blonde" become "bone".
        if len(tail) < 5:
            return None
        alike = [key for size in (len(tail) - 1, len(tail), len(tail) + 1)
                 for key in self._spellings.get((tail[0], size), ())]
        close = difflib.get_close_matches(tail, alike, n=1, cutoff=0.8)
        return close[0] if close else None

    def _tails(self, words: list[str], head_drop: bool) -> Iterator[tuple[str, str]]:
        kept = [w for w in words if w not in self._noise]
        yield " ".join(words), ""
        for i in range(len(kept) if head_drop else min(1, len(kept))):
            yield " ".join(kept[i:]), " ".join(kept[:i])


# --- colours -------------------------------------------------------------------------------------------------


class Colour(NamedTuple):
    """A canonical colour; a tuple, so it compares equal to ``(name, (r, g, b))``."""

    name: str
    rgb: RGB


COLOUR_RGB: dict[str, RGB] = {name: rgb for name, (rgb, _) in COLOURS.items()}
_COLOURS = Lookup({name: syn for name, (_, syn) in COLOURS.items()}, noise=COLOUR_FILLER)


def _shaded(rgb: RGB, shade: str) -> RGB:
    # Lighter = 45% of the way to white, darker = 55% of the original: close to how "light"/"dark" pairs in
    # the tables relate (e.g. red → light red / dark red).
    r, g, b = (c + (255 - c) * 0.45 if shade == "light" else c * 0.55 for c in rgb)
    return round(r), round(g), round(b)


def _ish(word: str) -> str | None:
    """'reddish' → red, 'bluish' → blue, 'greyish' → grey."""
    if not word.endswith("ish") or len(word) < 6:
        return None
    stem = word[:-3]
    for guess in (stem, stem[:-1] if stem[-1:] == stem[-2:-1] else None, stem + "e"):
        if guess and (name := _COLOURS.match(guess, head_drop=False, fuzzy=False)):
            return name[0]
    return None


def canonical_colour(text: str) -> Colour | None:
    """Canonical colour and RGB: "Navy Blue"/"navy"/"NAVY" → navy; "pale pink" → light pink; "dark mustard"."""
    if found := _COLOURS.match(text, head_drop=False, fuzzy=False):
        return Colour(found[0], COLOUR_RGB[found[0]])
    key = normalise(text).removesuffix(" ish")  # "white-ish"
    if re.search(r"\b(and|or)\b|&", key):
        return None  # one colour per call: "gold and black" is two (tryon.request splits such spans)
    words, shade = key.split(), None
    while words and (words[0] in COLOUR_SHADES or words[0] in COLOUR_FILLER):
        shade = COLOUR_SHADES.get(words.pop(0), shade)
    rest = " ".join(words)
    if not rest:
        return None
    # "-ish" before typos: "bluish" is blue, not a misspelt "blush".
    base = _COLOURS.match(rest, head_drop=False, fuzzy=False) if len(words) > 1 else None
    base = base[0] if base else (_ish(rest) if len(words) == 1 else None)
    base = base or _COLOURS(rest)
    if base is None:
        return None
    named = f"{shade} {base}"
    if shade is None or base.startswith(("light ", "dark ")):
        return Colour(base, COLOUR_RGB[base])
    if named in COLOUR_RGB:
        return Colour(named, COLOUR_RGB[named])
    return Colour(named, _shaded(COLOUR_RGB[base], shade))


# --- garments ------------------------------------------------------------------------------------------------

FAMILIES: tuple[str, ...] = tuple(GARMENTS)
GARMENT_FAMILY: dict[str, str] = {name: family for family, table in GARMENTS.items() for name in table}
_GARMENTS = Lookup({name: syn for table in GARMENTS.values() for name, syn in table.items()})


@dataclass(frozen=True)
class Garment:
    name: str
    family: str


def split_garment(text: str) -> tuple[Garment | None, str]:
    """The garment a phrase names and the words before it that were not part of the name.

    "red leather jacket" → (jacket, "red leather"): the caller can read attributes out of the leftover.
    """
    found = _GARMENTS.match(text)
    if not found:
        return None, ""
    return Garment(found[0], GARMENT_FAMILY[found[0]]), found[1]


def canonical_garment(text: str) -> Garment | None:
    """tee/t shirt/tshirt → t-shirt (top); trainers/kicks → sneakers (shoes); None when no garment is named."""
    return split_garment(text)[0]


# --- the other attribute vocabularies: one Lookup each, no special cases ----------------------------------------

LOOKUPS: dict[str, Lookup] = {
    "MATERIAL": Lookup(MATERIALS, noise={"fabric", "material", "blend", "100", "percent", "pure", "real"}),
    "PATTERN": Lookup(PATTERNS, noise={"pattern", "patterned", "print", "printed", "design", "motif"}),
    "FIT": Lookup(FITS, noise={"fit", "fitting", "cut"}),
    "SLEEVE": Lookup(SLEEVES),
    "OCCASION": Lookup(OCCASIONS, noise={"wear", "outfit", "event", "occasion", "to", "at", "on"}),
}


def canonical_material(text: str) -> str | None:
    return LOOKUPS["MATERIAL"](text)


def canonical_pattern(text: str) -> str | None:
    return LOOKUPS["PATTERN"](text)


def canonical_fit(text: str) -> str | None:
    return LOOKUPS["FIT"](text)


def canonical_sleeve(text: str) -> str | None:
    return LOOKUPS["SLEEVE"](text)


def canonical_occasion(text: str) -> str | None:
    return LOOKUPS["OCCASION"](text)


# --- sizes ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """A size as stated. ``system``: letter, us, uk, eu, it, fr, au, numeric (no system given), waist, bra,
    one_size. ``kind``: clothing, shoe, or None where the text cannot tell (plain "42")."""

    system: str
    value: str
    kind: str | None = None
    waist: int | None = None
    length: int | None = None


_SHOE_WORDS = re.compile(r"\b(shoes?|footwear|sneakers?|trainers?|boots?|heels?|sandals?)\b")
_SIZE_NOISE = re.compile(r"\b(size[sd]?|sz|in|a|an|the|my|im|i am|wear|womens|mens|ladies|dress|please|fits?)\b")
_SYSTEM_NUMBER = re.compile(
    rf"^(?:({'|'.join(SIZE_SYSTEMS)})\s*)?(00|\d{{1,2}}(?:\.5)?)(?:\s*({'|'.join(SIZE_SYSTEMS)}))?$"
)


def _clean_size(text: str) -> str:
    text = text.lower().replace("½", ".5").replace("\u2019", "'").replace("'", "")
    text = re.sub(r"(\d)\s+1/2\b", r"\1.5", text)
    return re.sub(r"\s+", " ", re.sub(r"[()\"]", " ", text)).strip()


def _tagged(s: str, tags: str) -> re.Match[str] | None:
    """A two-digit number with its tag: "W32"/"waist 32" first, then "32W", so "waist 32 length 34" pairs right."""
    return re.search(rf"\b(?:{tags})\s*(\d{{2}})\b", s) or re.search(rf"\b(\d{{2}})\s*(?:{tags})\b", s)


def _waist_length(s: str) -> Size | None:
    s = re.sub(r"\b(inch(es)?|in)\b", " ", s)
    pair = re.fullmatch(r"w?\s*(\d{2})\s*w?\s*(?:x|/|by|\*)\s*l?\s*(\d{2})\s*l?", s.strip())
    if pair:
        waist, length = int(pair[1]), int(pair[2])
    else:
        w, ln = _tagged(s, "w|waist"), _tagged(s, "l|length|leg|inseam")
        if not w or re.sub(r"[\s,&]|\band\b", "", s.replace(w[0], "").replace(ln[0] if ln else "", "")):
            return None
        waist, length = int(w[1]), (int(ln[1]) if ln else None)
    if not 20 <= waist <= 60 or (length is not None and not 20 <= length <= 40):
        return None
    value = f"W{waist} L{length}" if length else f"W{waist}"
    return Size("waist", value, "clothing", waist, length)


def _letter(s: str) -> str | None:
    """xs/S/medium/x-large/2XL/extra large → XS, S, M, XL, XXL …"""
    s = re.sub(r"\bextra\b", "x", s.replace("-", " "))
    s = re.sub(r"\bdouble\s*x", "xx", re.sub(r"\btriple\s*x", "xxx", s))
    s = re.sub(r"\b(small|sml|sm)\b", "s", re.sub(r"\b(medium|med|md)\b", "m", re.sub(r"\b(large|lrg|lg)\b", "l", s)))
    m = re.fullmatch(r"(?:([2-6])x|(x*))([sml])", s.replace(" ", ""))  # "2xl" is XXL, not X-X-L
    if not m or (m[3] == "m" and (m[1] or m[2])):
        return None
    count = int(m[1]) if m[1] else len(m[2])
    if count > 6:
        return None
    return f"{count}X{m[3].upper()}" if count >= 4 else "X" * count + m[3].upper()


def normalise_size(text: str, family: str | None = None) -> Size | None:
    """Letter, numeric (US/UK/EU/… when stated), shoe, waist×length, bra or one-size; None if unrecognised.

    ``family`` (a garment family such as "shoes") lets a plain number be read as a shoe or clothing size.
    """
    s = _clean_size(text)
    shoe = family == "shoes" or bool(_SHOE_WORDS.search(s))
    s = _SHOE_WORDS.sub(" ", s)
    if re.fullmatch(r"(size\s*)?(one|free)\s*-?\s*size|os|onesize", s.strip()):
        return Size("one_size", "one size")
    s = re.sub(r"\s+", " ", _SIZE_NOISE.sub(" ", s)).strip()
    if not s:
        return None
    if size := _waist_length(s):
        return size
    if bra := re.fullmatch(r"(\d{2})\s*(aa|a|b|c|dd|ddd|d|e|f|ff|g|gg|h)", s):
        return Size("bra", f"{bra[1]}{bra[2].upper()}", "clothing") if 28 <= int(bra[1]) <= 48 else None
    letters = [_letter(part) for part in s.split("/")]
    if all(letters):
        return Size("letter", "/".join(filter(None, letters)), "clothing")
    return _numeric(s, shoe, family)


def _numeric(s: str, shoe: bool, family: str | None) -> Size | None:
    m = _SYSTEM_NUMBER.fullmatch(s)
    if not m:
        return None
    value = m[2]
    system = SIZE_SYSTEMS[m[1] or m[3]] if (m[1] or m[3]) else "numeric"
    # A half size only exists for shoes; a known non-shoe garment makes any number a clothing size.
    half = value.endswith(".5") and family is None
    return Size(system, value, "shoe" if shoe or half else ("clothing" if family else None))


# --- prices --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """A budget: either bound may be open. ``currency`` is an ISO code or None when not stated."""

    min: float | None
    max: float | None
    currency: str | None = None


_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)(\s*k\b)?")
_AT_MOST = re.compile(
    r"\bno(?:t)?\s+(?:more|over|above|higher|greater)\b|\b(?:under|below|less than|cheaper than|"
    r"up to|upto|at most|max(?:imum)?|within|or less|or under|and under|and below|or cheaper|"
    r"budget|tops)\b|<|≤"
)
_NOT_BELOW = re.compile(r"\bno(?:t)?\s+(?:less|under|below|lower|cheaper)\b")  # "not less than 40" = min 40
_AT_LEAST = re.compile(
    _NOT_BELOW.pattern + r"|\b(?:over|above|more than|at least|"
    r"min(?:imum)?|from|starting at|or more|and up|and above|plus)\b|>|≥|\+"
)
_ABOUT = re.compile(r"\b(?:around|about|approx(?:imately)?|roughly|close to)\b|ish\b|~")


def _amount(number: str, thousands: str | None) -> float:
    # "1,200" is twelve hundred, "12,50" is twelve and a half (European decimal comma).
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", number):
        number = number.replace(",", "")
    value = float(number.replace(",", "."))
    return value * 1000 if thousands else value


def parse_price(text: str) -> Price | None:
    """ "under $150" → max 150 USD; "£20-40" → 20..40 GBP; "over 100" → min 100; "around 50" → 40..60;
    a bare amount ("$80") is read as a budget (max); no number ("cheap") → None."""
    s = text.lower()
    amounts = [_amount(m[1], m[2]) for m in _NUMBER.finditer(s)]
    if not amounts:
        return None
    currency = next((code for code, pattern in CURRENCIES if re.search(pattern, s)), None)
    if len(amounts) >= 2:
        low, high = sorted(amounts[:2])
        return Price(low, high, currency)
    n = amounts[0]
    if _AT_MOST.search(s) and not _NOT_BELOW.search(s):
        return Price(None, n, currency)
    if _AT_LEAST.search(s):
        return Price(n, None, currency)
    if _ABOUT.search(s):
        return Price(round(n * 0.8, 2), round(n * 1.2, 2), currency)
    return Price(None, n, currency)


def has_price_bound(text: str) -> bool:
    """Whether ``text`` says which way a budget goes ("under", "at least", "around") — used to borrow such
    words from just before a PRICE span that holds only the amount."""
    s = text.lower()
    return bool(_AT_MOST.search(s) or _AT_LEAST.search(s) or _ABOUT.search(s))
