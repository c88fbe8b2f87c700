"""Ingestion and validation: the accepted input columns, reading a table file, and turning a DataFrame into the
rows the store writes, or a ``StoreError`` that names the column and the rows at fault.

Accepted columns (docs/store.md has the types and rules; aliases in brackets):
items: id [item_id], title required; description, category, colour [color], price, currency, attributes (a JSON
object), image_path [image] optional; any other column becomes an attribute.
reviews: item_id, text [review_text] required; id [review_id], user_id, rating, created_at [review_date] optional.
interactions: user_id, item_id, ts [timestamp, review_date] required; id, kind, rating optional.
Item and user ids (not review or interaction ids) must match ``ID_PATTERN``: they become parts of paths and URLs.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .catalog import IMAGE_SUFFIXES

# Item and user ids become parts of file paths and URLs (photo folders, /users/{id}), so they may not climb out of
# a folder ("..", "a/b", "a\\b"), hide control characters or grow without bound. A plain regex string, so that
# pydantic's Field(pattern=...) can take it too; in Python match it with re.fullmatch: "$" also matches before a
# final newline.
ID_PATTERN = r"^[A-Za-z0-9][^/\\\x00-\x1f\x7f]{0,127}$"
ID_RULE = "start with a letter or digit, hold no / \\ or control characters and have at most 128 characters"
ID_REGEX = re.compile(ID_PATTERN)


class StoreError(ValueError):
    """The store refuses an input (a file, a frame, a row); the message names the problem. Nothing was written."""


@dataclass(frozen=True)
class Field:
    """One accepted input column: its stored name, its type and the other names a file may give it."""

    name: str
    kind: str  # "id", "path_id" (an id that must match ID_PATTERN), "text", "float", "datetime" or "json"
    required: bool = False
    aliases: tuple[str, ...] = ()


ITEM_FIELDS = (
    Field("id", "path_id", True, ("item_id",)),
    Field("title", "text", True),
    Field("description", "text"),
    Field("category", "text"),
    Field("colour", "text", aliases=("color",)),
    Field("price", "float"),
    Field("currency", "text"),
    Field("attributes", "json"),
    Field("image_path", "text", aliases=("image",)),
)
REVIEW_FIELDS = (
    Field("id", "id", aliases=("review_id",)),
    Field("item_id", "path_id", True),
    Field("user_id", "path_id"),
    Field("text", "text", True, ("review_text",)),
    Field("rating", "float"),
    Field("created_at", "datetime", aliases=("review_date",)),
)
INTERACTION_FIELDS = (
    Field("id", "id"),
    Field("user_id", "path_id", True),
    Field("item_id", "path_id", True),
    Field("kind", "text"),
    Field("rating", "float"),
    Field("ts", "datetime", True, ("timestamp", "review_date")),
)
# What identifies a review or interaction that comes without an id (see _derived_ids)
REVIEW_KEY = ("item_id", "user_id", "created_at", "text")
INTERACTION_KEY = ("user_id", "item_id", "kind", "ts", "rating")
DEFAULT_KIND = "interaction"


READERS = {
    # CSV cells stay strings (only empty cells are missing), so ids like "007" survive; types are checked later
    ".csv": lambda path: pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]),
    ".parquet": pd.read_parquet,
    ".jsonl": lambda path: pd.read_json(path, lines=True, dtype=False, convert_dates=False),
}


def read_table(path: str | Path) -> pd.DataFrame:
    """A .csv, .parquet or .jsonl file as a DataFrame, or an error saying why it cannot be one."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise StoreError(f"{path}: unsupported file type {path.suffix!r}; use one of {', '.join(READERS)}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise StoreError(f"{path}: file is empty")
    try:
        frame = reader(path)
    except (ValueError, OSError) as err:  # pandas' and pyarrow's parse errors are ValueErrors
        raise StoreError(f"{path}: cannot read it as {path.suffix[1:]}: {err}") from err
    if frame.empty:
        raise StoreError(f"{path}: no rows")
    return frame


# -- validation: DataFrame columns -> lists of Python values --------------------------------------------------------


def first_few(values) -> str:
    """Up to five of the values for a message, and how many more there are."""
    values = list(values)
    return ", ".join(str(v) for v in values[:5]) + (f" and {len(values) - 5} more" if len(values) > 5 else "")


def _rows(mask: pd.Series) -> str:
    numbers = np.flatnonzero(mask.to_numpy()) + 1  # 1-based data rows, as a spreadsheet shows them
    return ("row " if len(numbers) == 1 else "rows ") + first_few(numbers)


def is_missing(value) -> bool:
    """None, NaN, NaT or pandas' NA: a cell with no value."""
    return value is None or (pd.api.types.is_scalar(value) and pd.isna(value))


def _column(frame: pd.DataFrame, field: Field, what: str) -> pd.Series | None:
    found = [name for name in (field.name, *field.aliases) if name in frame.columns]
    if len(found) > 1:
        raise StoreError(f"{what}: columns {' and '.join(found)} both mean {field.name!r}; keep one")
    if not found and field.required:
        names = " or ".join(repr(n) for n in (field.name, *field.aliases))
        raise StoreError(f"{what}: missing required column {names}; columns are {', '.join(map(str, frame.columns))}")
    return frame[found[0]].reset_index(drop=True) if found else None


def _parse(values: pd.Series, field: Field, what: str) -> list:
    """One column's Python values (None where missing), or a StoreError naming the column and the bad rows."""
    label = f"{what}: column {field.name!r}"
    absent = values.map(is_missing).astype(bool)
    if field.required and absent.any():
        raise StoreError(f"{label} is empty in {_rows(absent)}")
    if field.kind == "id":
        return _ids(values, label)
    if field.kind == "path_id":
        return _path_ids(values, label)
    if field.kind == "text":
        # A plain list: a pandas 3 string Series would turn None back into NaN.
        text = [None if is_missing(v) else str(v) for v in values]
        blank = pd.Series([t is not None and not t.strip() for t in text], index=values.index)
        if field.required and blank.any():
            raise StoreError(f"{label} is blank in {_rows(blank)}")
        return text
    if field.kind == "float":
        return _floats(values, absent, label)
    if field.kind == "datetime":
        return _datetimes(values, absent, label)
    return [_json_object(v, label, row) for row, v in enumerate(values, 1)]


def _ids(values: pd.Series, label: str) -> list[str | None]:
    if pd.api.types.is_float_dtype(values):  # numbers from parquet or JSON: 12.0 is id "12", 12.5 is a mistake
        fractional = values.notna() & (values != values.round())
        if fractional.any():
            bad = first_few(values[fractional])
            raise StoreError(f"{label}: ids must be strings or integers; {_rows(fractional)} hold {bad}")
        return [None if is_missing(v) else str(int(v)) for v in values]
    return [None if is_missing(v) else str(v) for v in values]


def _path_ids(values: pd.Series, label: str) -> list[str | None]:
    ids = _ids(values, label)
    bad = pd.Series([i is not None and not ID_REGEX.fullmatch(i) for i in ids])
    if bad.any():
        shown = first_few(repr(i) for i, wrong in zip(ids, bad, strict=True) if wrong)  # repr shows control characters
        raise StoreError(f"{label}: ids must {ID_RULE}; {_rows(bad)} hold {shown}")
    return ids


def _floats(values: pd.Series, absent: pd.Series, label: str) -> list[float | None]:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = ~absent & ~np.isfinite(numbers)
    if bad.any():
        raise StoreError(f"{label} must be a finite number; {_rows(bad)} hold {first_few(values[bad])}")
    return [None if math.isnan(v) else float(v) for v in numbers]


MAX_UNIX_SECONDS = 4_102_444_800  # 2100-01-01


def _datetimes(values: pd.Series, absent: pd.Series, label: str) -> list[datetime | None]:
    """Naive UTC datetimes from datetimes, date strings or Unix seconds (a column of nothing but numbers)."""
    numbers = None if pd.api.types.is_datetime64_any_dtype(values) else pd.to_numeric(values, errors="coerce")
    if numbers is not None:  # Unix seconds from 1970 to 2100; "1e400" or 1e12 are no dates, not an overflow
        numbers = numbers.where(numbers.between(0, MAX_UNIX_SECONDS))
    # A numeric column, or text that is all numbers, is Unix seconds
    in_seconds = numbers is not None and (pd.api.types.is_numeric_dtype(values)
                                          or numbers.notna().sum() == (~absent).sum() > 0)
    if in_seconds:
        parsed = pd.to_datetime(numbers, unit="s", utc=True, errors="coerce")
    else:
        parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")  # each cell on its own
    bad = ~absent & parsed.isna()
    if bad.any():
        raise StoreError(
            f"{label}: cannot read {_rows(bad)} as dates ({first_few(values[bad])}); "
            "give ISO-8601 (2024-05-01 or 2024-05-01T12:00:00Z) or Unix seconds"
        )
    return [None if pd.isna(t) else t.tz_convert(None).to_pydatetime() for t in parsed]


def _json_object(value, label: str, row: int) -> dict:
    if is_missing(value):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as err:
            raise StoreError(f"{label}: row {row} is not JSON ({err.msg})") from err
    if not isinstance(value, dict):
        raise StoreError(f"{label}: row {row} must be a JSON object, got {type(value).__name__}")
    return value


def _json_text(value: dict) -> str:
    # numpy scalars and arrays (from parquet) become plain numbers and lists; anything else its text
    return json.dumps(value, sort_keys=True, default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v))


def _prepare(frame: pd.DataFrame, fields: tuple[Field, ...], what: str) -> tuple[dict[str, list], list[str]]:
    """The parsed columns the frame gives, by stored name, and the frame's columns that no field claims."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise StoreError(f"{what}: no rows")
    columns = {}
    for field in fields:
        values = _column(frame, field, what)
        if values is not None:
            columns[field.name] = _parse(values, field, what)
    claimed = {name for field in fields for name in (field.name, *field.aliases)}
    return columns, [c for c in frame.columns if c not in claimed]


def _check_unique(ids: list[str], what: str) -> None:
    repeated = pd.Series(ids)[pd.Series(ids).duplicated()].unique()
    if len(repeated):
        raise StoreError(f"{what}: duplicate ids {first_few(repeated)}; each id may appear once per file")


def _records(columns: dict[str, list]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def item_rows(frame: pd.DataFrame, image_dir: str | Path | None) -> list[dict]:
    """The items table's rows for the frame: checked columns, other columns folded into ``attributes``, image
    paths made absolute (see ``image_dir`` in ``Store.ingest``); a StoreError names what is wrong."""
    columns, extra = _prepare(frame, ITEM_FIELDS, "items")
    _check_unique(columns["id"], "items")
    if extra or "attributes" in columns:  # the other columns become attributes; a key in `attributes` wins
        rows = frame[extra].reset_index(drop=True).to_dict("records") if extra else [{}] * len(frame)
        given = columns.get("attributes", [{}] * len(frame))
        columns["attributes"] = [
            _json_text({**{k: v for k, v in row.items() if not is_missing(v)}, **attributes})
            for row, attributes in zip(rows, given, strict=True)
        ]
    if "image_path" in columns or image_dir is not None:
        columns["image_path"] = _image_paths(columns["id"], columns.get("image_path"), image_dir)
    columns["updated_at"] = [datetime.now(UTC).replace(tzinfo=None)] * len(frame)
    return _records(columns)


def _image_paths(ids: list[str], given: list[str | None] | None, image_dir: str | Path | None) -> list[str | None]:
    """Absolute paths: ``image_path`` relative to ``image_dir`` (or the working directory), else the file in
    ``image_dir`` named after the item id (``{id}.jpg``, ``.png``, ...); None for an item without a photo."""
    folder = Path(image_dir) if image_dir is not None else Path.cwd()
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder of images")
    if given is None:
        by_stem = {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
        if not by_stem.keys() & set(ids):
            raise StoreError(f"{folder}: no image is named after an item id (expected e.g. {ids[0]}.jpg)")
        return [str(by_stem[i].resolve()) if i in by_stem else None for i in ids]
    paths = [None if p is None else (folder / p).resolve() for p in given]
    lost = [i for i, p in zip(ids, paths, strict=True) if p is not None and not p.is_file()]
    if lost:
        raise StoreError(f"items: column 'image_path' names no file for items {first_few(lost)} (looked in {folder})")
    return [None if p is None else str(p) for p in paths]


def _derived_ids(columns: dict[str, list], key: tuple[str, ...]) -> list[str]:
    """Stable ids for rows that come without one, so that re-ingesting a file updates instead of duplicating.
    Identical rows within one file stay distinct events (a shopper may rent one dress twice on a day): the n-th
    repeat gets its own id."""
    absent = [None] * len(columns["item_id"])
    text = ["\x1f".join(map(str, values)) for values in zip(*(columns.get(k, absent) for k in key), strict=True)]
    repeat = pd.Series(text).groupby(text).cumcount()
    return [hashlib.sha256(f"{t}\x1f{n}".encode()).hexdigest()[:24] for t, n in zip(text, repeat, strict=True)]


def _event_rows(columns: dict[str, list], what: str, key: tuple[str, ...]) -> list[dict]:
    if "id" not in columns:
        columns["id"] = _derived_ids(columns, key)
    elif None in columns["id"]:
        raise StoreError(f"{what}: column 'id' is empty in some rows; give every row an id or drop the column")
    _check_unique(columns["id"], what)
    return _records(columns)


def review_rows(frame: pd.DataFrame) -> list[dict]:
    """The reviews table's rows for the frame (ids derived where the frame has none), or a StoreError."""
    columns, _ = _prepare(frame, REVIEW_FIELDS, "reviews")  # other columns are ignored: reviews have no attributes
    return _event_rows(columns, "reviews", REVIEW_KEY)


def interaction_rows(frame: pd.DataFrame) -> list[dict]:
    """The interactions table's rows for the frame (ids derived where the frame has none), or a StoreError."""
    columns, _ = _prepare(frame, INTERACTION_FIELDS, "interactions")
    columns["kind"] = [kind or DEFAULT_KIND for kind in columns.get("kind", [None] * len(frame))]
    return _event_rows(columns, "interactions", INTERACTION_KEY)
