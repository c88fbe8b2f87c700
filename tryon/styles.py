"""The style vocabulary: the one list of looks that the parser understands and the restyle engine renders.

A shopper says "make it 70s" or "more hypebeast"; both mean one canonical style here, so the parser's output
and the restyle engine's prompts can never drift apart. Add a style (or a synonym) here and both sides get it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .vocab import Lookup


@dataclass(frozen=True)
class Style:
    """One canonical look: ``name`` is what requests carry, ``description`` is what a generator is told."""

    name: str
    description: str
    synonyms: tuple[str, ...] = ()


# Laid out by hand (a formatter would give every synonym its own line).
# fmt: off
STYLES: tuple[Style, ...] = (
    Style(
        "vintage",
        "retro pieces from past decades: high waists, warm faded colours, flared or A-line cuts",
        ("retro", "70s", "80s", "90s", "60s", "50s", "seventies", "eighties", "nineties", "sixties", "old school",
         "throwback", "thrifted", "thrift", "old fashioned", "disco", "mod"),
    ),
    Style(
        "minimalist",
        "clean lines, neutral palette, no prints or embellishment, few well-cut pieces",
        ("minimal", "minimalism", "clean", "simple", "understated", "scandi", "scandinavian", "quiet luxury",
         "capsule", "basic", "basics", "sleek"),
    ),
    Style(
        "boho",
        "bohemian: flowing fabrics, earthy tones, fringe, embroidery and floral or paisley prints",
        ("bohemian", "hippie", "hippy", "boho chic", "free spirited", "gypsy", "folk", "festival style"),
    ),
    Style(
        "streetwear",
        "urban casual: oversized hoodies and tees, sneakers, caps, graphic prints and logos",
        ("street", "urban", "hypebeast", "street style", "skater", "skate", "hip hop", "hiphop", "drip"),
    ),
    Style(
        "classic",
        "timeless tailored staples: trench coats, crisp shirts, straight trousers, neutral colours",
        ("timeless", "traditional", "conventional", "old money", "heritage"),
    ),
    Style(
        "preppy",
        "collegiate polish: polo shirts, chinos, blazers, cable knits, stripes and checks",
        ("prep", "collegiate", "ivy league", "ivy", "varsity", "college", "nautical"),
    ),
    Style(
        "sporty",
        "athletic wear worn every day: joggers, track jackets, leggings, sneakers, technical fabrics",
        ("athleisure", "athletic", "sport", "sports", "sportswear", "gym", "activewear", "active", "sporty chic"),
    ),
    Style(
        "elegant",
        "refined and dressy: tailored silhouettes, fluid fabrics, muted luxurious colours",
        ("formal", "sophisticated", "classy", "dressy", "polished", "refined", "chic"),
    ),
    Style(
        "grunge",
        "90s grunge: flannel shirts, ripped denim, band tees, combat boots, dark layered looks",
        ("grungy", "punk", "rock", "rocker", "edgy", "distressed", "emo"),
    ),
    Style(
        "gothic",
        "dark and dramatic: black lace, velvet, leather, corsetry and silver hardware",
        ("goth", "dark academia", "vampy"),
    ),
    Style(
        "romantic",
        "soft and feminine: ruffles, lace, bows, pastels, floaty fabrics and florals",
        ("feminine", "girly", "soft", "frilly", "dreamy", "coquette", "princess", "whimsical"),
    ),
    Style(
        "y2k",
        "early-2000s: low-rise jeans, baby tees, crop tops, metallics, butterfly and rhinestone details",
        ("2000s", "noughties", "millennium"),
    ),
    Style(
        "casual",
        "relaxed everyday: jeans, tees, knits and sneakers, comfortable over formal",
        ("relaxed", "laid back", "laidback", "everyday", "chill", "comfy", "comfortable", "effortless"),
    ),
    Style(
        "business",
        "office-ready: suits, blazers, shirts, trousers and pencil skirts in sober colours",
        ("office", "corporate", "professional", "workwear", "smart", "smart casual", "business casual"),
    ),
    Style(
        "western",
        "cowboy-inspired: denim, suede fringe, cowboy boots, checked shirts, big belts",
        ("cowboy", "cowgirl", "rodeo", "country"),
    ),
    Style(
        "utility",
        "functional military and workwear details: cargo pockets, khaki and olive, canvas, boilersuits",
        ("military", "cargo", "gorpcore", "outdoorsy", "safari"),
    ),
    Style(
        "coastal",
        "breezy seaside: linen, stripes, whites and blues, relaxed shapes",
        ("beachy", "resort", "resortwear", "coastal grandmother", "mediterranean"),
    ),
    Style(
        "ethnic",
        "South Asian and traditional dress: kurtas, sarees, lehengas, embroidery and rich colours",
        ("indian", "desi", "traditional indian", "ethnic wear", "festive"),
    ),
    Style(
        "luxe",
        "opulent evening glamour: silk, satin, velvet, sequins and gold, rich jewel tones and a high shine",
        ("luxury", "luxurious", "glamorous", "glam", "posh", "opulent", "red carpet"),
    ),
    Style(
        "cottagecore",
        "pastoral romance: prairie dresses, puff sleeves, gingham, small florals, linen and cream tones",
        ("cottage core", "prairie", "milkmaid", "countryside", "farmhouse"),
    ),
)
# fmt: on

_STYLE_LOOKUP = Lookup({style.name: style.synonyms for style in STYLES})
_BY_NAME = {style.name: style for style in STYLES}


def canonical_style(word: str) -> str | None:
    """The canonical style a shopper's word names ("70s" → "vintage", "Hypebeast" → "streetwear"), else None."""
    return _STYLE_LOOKUP(word)


def style_named(word: str) -> str:
    """The canonical style ``word`` names, or a ValueError with the nearest known name and the list."""
    name = canonical_style(word) if isinstance(word, str) and word.strip() else None
    if name is None:
        names = [s.name for s in STYLES]
        near = difflib.get_close_matches(str(word).strip().lower(), names, n=1, cutoff=0.4)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"style: unknown style {word!r}{hint} Known styles: {', '.join(names)}")
    return name


def get_style(name: str) -> Style | None:
    """The full entry (with its description) for a word that names a style."""
    canonical = canonical_style(name)
    return _BY_NAME[canonical] if canonical else None
