"""Check the shopper vocabularies (tryon/vocab_data.py) against the attribute values of the real data.

    python docs/make_vocab_report.py                 # reads $ATELIER_DATA or ../shared/data
    python docs/make_vocab_report.py --data DIR --out report.md

The vocabularies are copied into the code so the service runs without the data; this report is how the copy
is kept honest. For each source column it prints how many distinct values, and what share of rows, map to a
canonical value, and lists the values that do not — apart from the deliberate gaps in ``UNMAPPED``, each with
its reason. Exits 1 when there is an unexpected gap (tests/test_vocab.py runs the same check), 2 without data.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from tryon.vocab import (
    canonical_colour,
    canonical_fit,
    canonical_garment,
    canonical_material,
    canonical_occasion,
    canonical_pattern,
    canonical_sleeve,
    normalise_size,
)
from tryon.vocab_data import UNMAPPED

CHECKS: dict[str, Callable[[str], object]] = {
    "colour": canonical_colour,
    "garment": canonical_garment,
    "material": canonical_material,
    "pattern": canonical_pattern,
    "fit": canonical_fit,
    "sleeve": canonical_sleeve,
    "occasion": canonical_occasion,
    "size": normalise_size,
}

# source → (file under the data folder, column, vocabularies any one of which may claim a value).
# VISUELLE mixes garments with sleeve and pattern labels in "category", and patterns into "fabric".
SOURCES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "products.baseColour": ("products/styles.csv", "baseColour", ("colour",)),
    "products.articleType": ("products/styles.csv", "articleType", ("garment",)),
    "products.usage": ("products/styles.csv", "usage", ("occasion",)),
    "hm.colour_group_name": ("hm/articles.parquet", "colour_group_name", ("colour",)),
    "hm.product_type_name": ("hm/articles.parquet", "product_type_name", ("garment",)),
    "hm.graphical_appearance_name": ("hm/articles.parquet", "graphical_appearance_name", ("pattern",)),
    "renttherunway.category": ("interactions/renttherunway.parquet", "category", ("garment",)),
    "renttherunway.size": ("interactions/renttherunway.parquet", "size", ("size",)),
    "renttherunway.rented_for": ("interactions/renttherunway.parquet", "rented_for", ("occasion",)),
    "visuelle.color": ("trends/visuelle/train.csv", "color", ("colour",)),
    "visuelle.fabric": ("trends/visuelle/train.csv", "fabric", ("material", "pattern")),
    "visuelle.category": ("trends/visuelle/train.csv", "category", ("garment", "sleeve", "pattern")),
}


@dataclass
class Coverage:
    source: str
    values: int = 0
    rows: int = 0
    mapped_rows: int = 0
    unexpected: list[str] = field(default_factory=list)  # unmapped and not a listed gap: fix the vocabulary
    accepted: list[str] = field(default_factory=list)  # unmapped, listed in UNMAPPED with a reason
    stale: list[str] = field(default_factory=list)  # listed in UNMAPPED but now mapped: drop from the list


def default_data() -> Path:
    return Path(os.environ.get("ATELIER_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@cache
def _column(path: Path, column: str) -> pd.Series:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path, columns=[column])
    else:
        frame = pd.read_csv(path, usecols=[column], on_bad_lines="skip")
    return frame[column].dropna().astype(str).str.strip()


def check(source: str, data: Path) -> Coverage:
    """Coverage of one source column; raises FileNotFoundError when its file is absent."""
    relpath, column, kinds = SOURCES[source]
    path = data / relpath
    if not path.exists():
        raise FileNotFoundError(path)
    counts = _column(path, column).value_counts()
    gaps = UNMAPPED.get(source, {})
    result = Coverage(source, values=len(counts), rows=int(counts.sum()))
    for value, n in counts.items():
        mapped = any(CHECKS[kind](value) is not None for kind in kinds)
        if mapped:
            result.mapped_rows += int(n)
            if value in gaps:
                result.stale.append(value)
        else:
            (result.accepted if value in gaps else result.unexpected).append(value)
    return result


def report(results: list[Coverage]) -> str:
    lines = ["| source | values | rows mapped | unexpected gaps | accepted gaps |", "|---|---|---|---|---|"]
    for r in results:
        share = f"{r.mapped_rows / r.rows:.1%}" if r.rows else "-"
        lines.append(
            f"| {r.source} | {r.values} | {share} | {', '.join(r.unexpected) or '-'} | {', '.join(r.accepted) or '-'} |"
        )
    stale = [f"{r.source}: {v}" for r in results for v in r.stale]
    if stale:
        lines += ["", "Listed in UNMAPPED but mapped now (remove them there): " + "; ".join(stale)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    args = parser.parse_args(argv)
    results = []
    for source in SOURCES:
        try:
            results.append(check(source, args.data))
        except FileNotFoundError as missing:
            print(f"skipped {source}: {missing} not found", file=sys.stderr)
    if not results:
        print(f"no data found under {args.data} (pass --data or set ATELIER_DATA)", file=sys.stderr)
        return 2
    text = report(results)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 1 if any(r.unexpected for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
