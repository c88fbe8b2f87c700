"""Synthetic training requests for the instruction parser, built reproducibly from real attribute values.

Values come from ../shared/data (catalog article types and colours, H&M colour / product-type / pattern
names, RentTheRunway categories and sizes, VISUELLE fabrics and colours) plus hand-written lists of what the
data lacks (styles, fits, sleeves, occasions, brands, price phrasings). Templates are hand-written
paraphrases with slots; filling a slot records its span, so labels are exact by construction. Noise
(typos, casing, filler, punctuation) is applied around the spans, never inside a label's offsets.
This module never reads tests/data: that dev set is held out.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

STYLES = [
    "vintage",
    "retro",
    "minimalist",
    "minimal",
    "boho",
    "bohemian",
    "streetwear",
    "street style",
    "preppy",
    "grunge",
    "classic",
    "sporty",
    "athleisure",
    "elegant",
    "y2k",
    "90s",
    "80s",
    "romantic",
    "edgy",
    "chic",
]
FITS = [
    "slim",
    "slim fit",
    "relaxed",
    "relaxed fit",
    "oversized",
    "loose",
    "tight",
    "skinny",
    "regular fit",
    "wide-leg",
    "straight",
    "fitted",
    "baggy",
    "cropped",
    "tailored",
]
SLEEVES = [
    "long-sleeved",
    "long sleeve",
    "short sleeve",
    "short-sleeved",
    "sleeveless",
    "3/4 sleeve",
    "cap sleeve",
    "puff sleeve",
]
OCCASIONS = [
    "wedding",
    "office",
    "work",
    "party",
    "date night",
    "beach",
    "gym",
    "interview",
    "brunch",
    "a wedding",
    "prom",
    "vacation",
    "a funeral",
    "festival",
    "everyday",
]
BRANDS = [
    "Nike",
    "Adidas",
    "Puma",
    "Levi's",
    "Zara",
    "H&M",
    "Mango",
    "Uniqlo",
    "Gap",
    "Roadster",
    "Reebok",
    "Tommy Hilfiger",
    "Calvin Klein",
    "Vero Moda",
    "Fila",
    "Converse",
    "Vans",
    "Gucci",
    "Only",
    "Wrangler",
]
MATERIALS_EXTRA = [
    "leather",
    "faux leather",
    "denim",
    "silk",
    "linen",
    "wool",
    "cashmere",
    "cotton",
    "velvet",
    "suede",
    "corduroy",
    "satin",
    "polyester",
    "knit",
    "tweed",
    "lace",
    "chiffon",
    "jersey",
]
PATTERNS = [
    "floral",
    "striped",
    "stripes",
    "plaid",
    "checked",
    "polka dot",
    "leopard print",
    "animal print",
    "camo",
    "paisley",
    "solid",
    "printed",
    "tie-dye",
    "houndstooth",
    "graphic",
]
LETTER_SIZES = ["XS", "S", "M", "L", "XL", "XXL", "small", "medium", "large", "extra large", "2XL"]
PRICES = [
    "under ${n}",
    "under {n} dollars",
    "less than {n} euros",
    "below £{n}",
    "max {n}",
    "up to ${n}",
    "between {n} and {m}",
    "${n}-{m}",
    "no more than {n} bucks",
    "around ${n}",
    "over ${n}",
]
FILLERS = [
    "",
    "",
    "",
    "hi, ",
    "hey! ",
    "hello, ",
    "could you ",
    "can you please ",
    "please ",
    "hmm, ",
    "ok so ",
    "i'd love to ",
    "I want to ",
    "i was wondering if you could ",
]
ENDINGS = ["", "", "", "?", "!", " please", " thanks!", " :)", " 🙏", ".", " asap", " pls"]

# Hand-written paraphrases. {slot} draws a value; [a|b] picks a variant. Intent is the list's key.
TEMPLATES = {
    "try_on": [
        "try the {COLOR} {MATERIAL} {GARMENT} on me in {SIZE}",
        "try on the {COLOR} {GARMENT}",
        "[show me|let me see myself] in a {PATTERN} {GARMENT}",
        "put the {GARMENT} on me, size {SIZE}",
        "how would i look in a {FIT} {COLOR} {GARMENT}",
        "try this {GARMENT} on my photo in {COLOR}",
        "try the {BRAND} {GARMENT} on me in {SIZE}, make it {STYLE}",
        "dress me in a {SLEEVE} {COLOR} {GARMENT} for a {OCCASION}",
        "virtual try on: {COLOR} {GARMENT} and {COLOR} {GARMENT}",
        "can i see the {GARMENT} on me in {COLOR} instead",
        "try a {MATERIAL} {GARMENT} on me but not in {COLOR}",
        "put me in the {GARMENT} size {SIZE}, {FIT}",
        "try on {COLOR} {GARMENT} with {COLOR} {GARMENT}",
        "show me wearing the {COLOR} {MATERIAL} {GARMENT} and {COLOR} {FIT} {GARMENT}",
        "i want to see how the {PATTERN} {GARMENT} looks on me, {SIZE}",
        "try the {GARMENT} on me for a {OCCASION} look",
    ],
    "restyle": [
        "make it {STYLE}",
        "make this {GARMENT} {STYLE}",
        "restyle the {GARMENT} in a {STYLE} look",
        "give this {GARMENT} a {STYLE} vibe",
        "turn the {COLOR} {GARMENT} into something more {STYLE}",
        "make it more {STYLE} and {COLOR}",
        "change the {GARMENT} to {PATTERN}",
        "restyle: {STYLE}, {PATTERN}",
        "can you make the {GARMENT} look {STYLE}",
        "same {GARMENT} but {STYLE} and in {MATERIAL}",
        "is {COLOR} and {PATTERN}",
        "make it darker and {SLEEVE}",
        "more {STYLE}, less {STYLE}",
        "recolour the {GARMENT} to {COLOR}, keep the {PATTERN}",
        "make the {GARMENT} {MATERIAL} and {FIT}",
        "this but without the {PATTERN}, {COLOR} instead",
    ],
    "recommend": [
        "what goes with my {COLOR} {GARMENT}",
        "recommend something for a {OCCASION}",
        "suggest a {GARMENT} to wear with {COLOR} {GARMENT}",
        "what should i wear to a {OCCASION}",
        "recommend {STYLE} outfits under ${N}",
        "any ideas for a {OCCASION} outfit, {STYLE} please",
        "what {GARMENT} would match a {PATTERN} {GARMENT}",
        "suggest {BRAND} {GARMENT} like the ones i bought",
        "recommend me something {STYLE} in {SIZE}",
        "help me pick a {GARMENT} for {OCCASION}, nothing {COLOR}",
    ],
    "search": [
        "{COLOR} {GARMENT}",
        "{COLOR} {GARMENT} size {SIZE}",
        "{BRAND} {GARMENT} {PRICE}",
        "show me {PATTERN} {GARMENT} {PRICE}",
        "looking for a {FIT} {MATERIAL} {GARMENT} in {SIZE}",
        "find {COLOR} {GARMENT} for {OCCASION}",
        "do you have {SLEEVE} {GARMENT} in {COLOR}",
        "{GARMENT}, any colour but {COLOR}",
        "{GARMENT} not {COLOR}",
        "i need {GARMENT} in {SIZE} {PRICE}",
        "{STYLE} {GARMENT}",
        "{MATERIAL} {GARMENT} without {PATTERN}",
        "a {COLOR} {GARMENT} and {COLOR} {GARMENT} in {SIZE}",
        "{GARMENT} no {MATERIAL}",
        "cheap {GARMENT} {PRICE}",
        "{GARMENT} from {BRAND} in {COLOR}",
        "{BRAND} {COLOR} {FIT} {GARMENT} {SIZE}",
        "{COLOR} or {COLOR} {GARMENT}, {SIZE} or {SIZE}",
        "{PATTERN} {MATERIAL} {GARMENT} for {OCCASION} {PRICE}",
        "a {GARMENT} that is {COLOR} and not too {FIT}",
        "is {COLOR} with {SLEEVE} and a {PATTERN} print",
        "[something|an outfit|a look] for {OCCASION}, no {COLOR}",
        "{SLEEVE} {PATTERN} {GARMENT} in {MATERIAL}",
        "got any {FIT} {GARMENT}? the ones in {COLOR}",
    ],
}
NEGATION_CUES = ("but not", "not", "no", "without", "any colour but", "anything but", "except", "nothing")
_SLOT = re.compile(r"\{([A-Z]+)\}|\[([^\]]+)\]")
SLOT_LABELS = {
    "COLOR",
    "GARMENT",
    "SIZE",
    "STYLE",
    "MATERIAL",
    "PATTERN",
    "FIT",
    "SLEEVE",
    "BRAND",
    "PRICE",
    "OCCASION",
}


@dataclass
class Vocabulary:
    values: dict[str, list[str]]

    @classmethod
    def from_data(cls, data: Path) -> Vocabulary:
        """Real attribute values from the datasets, lower-cased as shoppers type them."""
        styles = pd.read_csv(data / "products" / "styles.csv", on_bad_lines="skip")
        hm = pd.read_parquet(data / "hm" / "articles.parquet")
        rtr = pd.read_parquet(data / "interactions" / "renttherunway.parquet", columns=["category", "size"])
        visuelle = pd.read_csv(data / "trends" / "visuelle" / "train.csv")
        garments = _words(styles["articleType"]) + _words(hm["product_type_name"]) + _words(rtr["category"])
        colours = _words(styles["baseColour"]) + _words(hm["colour_group_name"]) + _words(visuelle["color"])
        sizes = (
            LETTER_SIZES
            + [str(s) for s in rtr["size"].dropna().astype(int).unique()[:30]]
            + ["EU 38", "EU 42", "UK 8", "UK 10", "US 6", "US 9.5", "32x34", "30x32", "W32 L30", "10", "8"]
        )
        return cls(
            {
                "GARMENT": garments,
                "COLOR": colours,
                "SIZE": sizes,
                "STYLE": STYLES,
                "MATERIAL": MATERIALS_EXTRA + _words(visuelle["fabric"]),
                "BRAND": BRANDS,
                "FIT": FITS,
                "PATTERN": PATTERNS + _words(hm["graphical_appearance_name"]),
                "SLEEVE": SLEEVES,
                "OCCASION": OCCASIONS,
            }
        )


def _words(series: pd.Series) -> list[str]:
    values = {str(v).strip().lower() for v in series.dropna() if str(v).strip() and str(v).lower() != "nan"}
    # Catalog placeholders ("other pattern", "unknown") are not words a shopper types.
    return sorted(v for v in values if len(v) < 30 and not v.startswith(("other", "unknown", "undefined", "free ")))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or rng.random() > 0.5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def render(template: str, vocab: Vocabulary, rng: random.Random) -> tuple[str, list[dict]]:
    """Fill a template; returns the text and its entities with exact character offsets."""
    text, entities, pos = "", [], 0
    for match in _SLOT.finditer(template):
        text += template[pos : match.start()]
        if match.group(1):
            slot = match.group(1)
            value = str(rng.randint(20, 300)) if slot == "N" else _value(slot, vocab, rng)
            if slot in SLOT_LABELS:
                entities.append({"label": slot, "start": len(text), "end": len(text) + len(value), "text": value})
            text += value
        else:
            text += rng.choice(match.group(2).split("|"))
        pos = match.end()
    return text + template[pos:], entities


def _value(slot: str, vocab: Vocabulary, rng: random.Random) -> str:
    if slot == "PRICE":
        n = rng.choice([20, 30, 50, 60, 80, 100, 120, 150, 200, 250])
        return rng.choice(PRICES).format(n=n, m=n + rng.choice([20, 50, 100]))
    value = rng.choice(vocab.values[slot])
    if slot in {"GARMENT", "COLOR", "MATERIAL"}:
        value = _typo(value, rng) if rng.random() < 0.08 else value
    return value.upper() if rng.random() < 0.05 else value


def mark_negation(text: str, entities: list[dict]) -> None:
    """A span right after a negation cue ("not red", "anything but orange") is negated."""
    for entity in entities:
        before = text[: entity["start"]].lower().rstrip()
        entity["negated"] = any(before.endswith(cue) for cue in NEGATION_CUES)


def generate(vocab: Vocabulary, n: int, seed: int = 0) -> list[dict]:
    """``n`` requests as {"text", "intent", "entities"}; the same seed gives the same set."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        intent = rng.choices(list(TEMPLATES), weights=[3, 2, 2, 3])[0]
        body, entities = render(rng.choice(TEMPLATES[intent]), vocab, rng)
        filler, ending = rng.choice(FILLERS), rng.choice(ENDINGS)
        if rng.random() < 0.1:
            body = body[:1].upper() + body[1:]
        text = filler + body + ending
        for entity in entities:
            entity["start"] += len(filler)
            entity["end"] += len(filler)
            entity["text"] = text[entity["start"] : entity["end"]]  # casing noise may have touched it
        mark_negation(text, entities)
        rows.append({"text": text, "intent": intent, "entities": entities})
    return rows


def write_jsonl(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
