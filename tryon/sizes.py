"""Clothing sizes as letters: what a shopper states (M, EU 38, UK 10, US 6) read as one letter scale."""

from __future__ import annotations

LETTERS = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")
# Numeric systems folded onto letters (womenswear tables of the big EU/UK/US shops).
_NUMERIC = {
    "eu": {32: "XXS", 34: "XS", 36: "S", 38: "M", 40: "L", 42: "XL", 44: "XXL", 46: "3XL"},
    "uk": {4: "XXS", 6: "XS", 8: "S", 10: "M", 12: "L", 14: "XL", 16: "XXL", 18: "3XL"},
    "us": {0: "XXS", 2: "XS", 4: "S", 6: "M", 8: "L", 10: "XL", 12: "XXL", 14: "3XL"},
}


def letter_size(system: str | None, value: str | None) -> str | None:
    """A size as the parser reports it (system, value), as one of LETTERS, or None if unknown."""
    if not value:
        return None
    if system in _NUMERIC or system == "numeric":
        table = _NUMERIC.get(system, _NUMERIC["eu"])
        try:
            return table.get(int(float(value)))
        except ValueError:
            return None
    letter = value.split("/")[0].upper().replace("2XL", "XXL").replace("XXXL", "3XL")
    return letter if letter in LETTERS else None
