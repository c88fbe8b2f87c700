"""What a shopper's request is made of: intents, slot labels and the BIO tag set of the instruction parser.

Slots are spans of the text ("red" → COLOR). Negation is not a slot of its own: a span that a cue such as
"not", "no", "without" or "anything but" governs is kept with its slot label and marked ``negated``, so
"any colour but orange" gives COLOR "orange", negated → the request excludes orange.
"""

from __future__ import annotations

from dataclasses import dataclass

INTENTS = ("try_on", "restyle", "recommend", "search")
SLOTS = ("GARMENT", "COLOR", "SIZE", "STYLE", "MATERIAL", "PATTERN", "FIT", "SLEEVE", "BRAND", "PRICE", "OCCASION")
BIO_LABELS = ("O",) + tuple(f"{prefix}-{slot}" for slot in SLOTS for prefix in ("B", "I"))


@dataclass
class Entity:
    """One labelled span: ``text == request_text[start:end]``."""

    label: str
    text: str
    start: int
    end: int
    score: float = 1.0
    negated: bool = False
