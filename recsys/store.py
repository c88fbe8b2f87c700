"""The recommender's store: users, items, reviews, interactions and cached item embeddings in one database.

SQLite by default (a file path, or ``$ATELIER_DB``); any SQLAlchemy URL (``postgresql://...``) works too.

    store = Store("atelier.db")
    store.ingest(items=read_table("items.csv"), image_dir="images", reviews=read_table("reviews.jsonl"))
    store.embed_items(create_encoder())        # embeds only new or changed items
    ids, matrix = store.embeddings("atelier-fashion")
    store.delete_user("u42")                    # with their interactions and reviews

Accepted columns (docs/store.md has the types and rules; aliases in brackets):
items: id [item_id], title required; description, category, colour [color], price, currency, attributes (a JSON
object), image_path [image] optional; any other column becomes an attribute.
reviews: item_id, text [review_text] required; id [review_id], user_id, rating, created_at [review_date] optional.
interactions: user_id, item_id, ts [timestamp, review_date] required; id, kind, rating optional.
Item and user ids (not review or interaction ids) must match ``ID_PATTERN``: they become parts of paths and URLs.
One ``ingest`` call is one transaction: on any error nothing is written. Re-ingesting an id updates its row
(the columns given; the others keep their stored values).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from .catalog import IMAGE_SUFFIXES
from .images import ImageError, load_image

metadata = sa.MetaData()
USERS = sa.Table("users", metadata, sa.Column("id", sa.String, primary_key=True))
ITEMS = sa.Table(
    "items", metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("category", sa.String),
    sa.Column("colour", sa.String),
    sa.Column("price", sa.Float),
    sa.Column("currency", sa.String),
    sa.Column("attributes", sa.Text, nullable=False, default="{}"),  # a JSON object
    sa.Column("image_path", sa.Text),  # absolute
    sa.Column("updated_at", sa.DateTime, nullable=False),  # UTC, like every datetime here
)
REVIEWS = sa.Table(
    "reviews", metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("item_id", sa.String, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("user_id", sa.String, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("rating", sa.Float),
    sa.Column("created_at", sa.DateTime),
)
INTERACTIONS = sa.Table(
    "interactions", metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("user_id", sa.String, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("item_id", sa.String, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("rating", sa.Float),
    sa.Column("ts", sa.DateTime, nullable=False),
)
EMBEDDINGS = sa.Table(
    "embeddings", metadata,
    sa.Column("item_id", sa.String, sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model", sa.String, primary_key=True),  # the encoder's name
    sa.Column("content_hash", sa.String, nullable=False),  # of exactly what the encoder was shown
    sa.Column("source", sa.String, nullable=False),  # "image" or "text"
    sa.Column("dim", sa.Integer, nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),  # float32
)
TABLES = (USERS, ITEMS, REVIEWS, INTERACTIONS, EMBEDDINGS)
CHUNK = 500  # keys per IN (...) query: well under every backend's bound-parameter limit
# Item and user ids become parts of file paths and URLs (photo folders, /users/{id}), so they may not climb out of
# a folder ("..", "a/b", "a\\b"), hide control characters or grow without bound. A plain regex string, so that
# pydantic's Field(pattern=...) can take it too; in Python match it with re.fullmatch: "$" also matches before a
# final newline.
ID_PATTERN = r"^[A-Za-z0-9][^/\\\x00-\x1f\x7f]{0,127}$"
ID_RULE = "start with a letter or digit, hold no / \\ or control characters and have at most 128 characters"
_ID = re.compile(ID_PATTERN)


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


@dataclass
class IngestReport:
    table: str
    inserted: int
    updated: int  # ids already stored, rewritten with the file's values


@dataclass
class UserDeletion:
    user_id: str
    interactions: int
    reviews: int


class Embeddings(NamedTuple):
    ids: list[str]
    matrix: np.ndarray  # float32 [len(ids), dim], rows in ids' order


def default_db() -> str:
    """Where the store lives unless told: ``$ATELIER_DB`` (a path or SQLAlchemy URL), else the user's data folder."""
    return os.environ.get("ATELIER_DB") or str(Path.home() / ".local" / "share" / "atelier" / "atelier.db")


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


def _few(values) -> str:
    values = list(values)
    return ", ".join(str(v) for v in values[:5]) + (f" and {len(values) - 5} more" if len(values) > 5 else "")


def _rows(mask: pd.Series) -> str:
    numbers = np.flatnonzero(mask.to_numpy()) + 1  # 1-based data rows, as a spreadsheet shows them
    return ("row " if len(numbers) == 1 else "rows ") + _few(numbers)


def _missing(value) -> bool:
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
    absent = values.map(_missing).astype(bool)
    if field.required and absent.any():
        raise StoreError(f"{label} is empty in {_rows(absent)}")
    if field.kind == "id":
        return _ids(values, label)
    if field.kind == "path_id":
        return _path_ids(values, label)
    if field.kind == "text":
        # A plain list: a pandas 3 string Series would turn None back into NaN.
        text = [None if _missing(v) else str(v) for v in values]
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
            bad = _few(values[fractional])
            raise StoreError(f"{label}: ids must be strings or integers; {_rows(fractional)} hold {bad}")
        return [None if _missing(v) else str(int(v)) for v in values]
    return [None if _missing(v) else str(v) for v in values]


def _path_ids(values: pd.Series, label: str) -> list[str | None]:
    ids = _ids(values, label)
    bad = pd.Series([i is not None and not _ID.fullmatch(i) for i in ids])
    if bad.any():
        shown = _few(repr(i) for i, wrong in zip(ids, bad, strict=True) if wrong)  # repr shows control characters
        raise StoreError(f"{label}: ids must {ID_RULE}; {_rows(bad)} hold {shown}")
    return ids


def _floats(values: pd.Series, absent: pd.Series, label: str) -> list[float | None]:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = ~absent & ~np.isfinite(numbers)
    if bad.any():
        raise StoreError(f"{label} must be a finite number; {_rows(bad)} hold {_few(values[bad])}")
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
            f"{label}: cannot read {_rows(bad)} as dates ({_few(values[bad])}); "
            "give ISO-8601 (2024-05-01 or 2024-05-01T12:00:00Z) or Unix seconds"
        )
    return [None if pd.isna(t) else t.tz_convert(None).to_pydatetime() for t in parsed]


def _json_object(value, label: str, row: int) -> dict:
    if _missing(value):
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
        raise StoreError(f"{what}: duplicate ids {_few(repeated)}; each id may appear once per file")


def _records(columns: dict[str, list]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _item_rows(frame: pd.DataFrame, image_dir: str | Path | None) -> list[dict]:
    columns, extra = _prepare(frame, ITEM_FIELDS, "items")
    _check_unique(columns["id"], "items")
    if extra or "attributes" in columns:  # the other columns become attributes; a key in `attributes` wins
        rows = frame[extra].reset_index(drop=True).to_dict("records") if extra else [{}] * len(frame)
        given = columns.get("attributes", [{}] * len(frame))
        columns["attributes"] = [
            _json_text({**{k: v for k, v in row.items() if not _missing(v)}, **attributes})
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
        raise StoreError(f"items: column 'image_path' names no file for items {_few(lost)} (looked in {folder})")
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


def _review_rows(frame: pd.DataFrame) -> list[dict]:
    columns, _ = _prepare(frame, REVIEW_FIELDS, "reviews")  # other columns are ignored: reviews have no attributes
    return _event_rows(columns, "reviews", REVIEW_KEY)


def _interaction_rows(frame: pd.DataFrame) -> list[dict]:
    columns, _ = _prepare(frame, INTERACTION_FIELDS, "interactions")
    columns["kind"] = [kind or DEFAULT_KIND for kind in columns.get("kind", [None] * len(frame))]
    return _event_rows(columns, "interactions", INTERACTION_KEY)


# -- writing -----------------------------------------------------------------------------------------------------


def _existing(conn: sa.Connection, column: sa.Column, keys) -> set[str]:
    keys = sorted(set(keys))
    found = set()
    for start in range(0, len(keys), CHUNK):
        found.update(conn.scalars(sa.select(column).where(column.in_(keys[start : start + CHUNK]))))
    return found


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> tuple[int, int]:
    """Insert new ids, update stored ones (only the columns the rows carry); returns (inserted, updated)."""
    stored = _existing(conn, table.c.id, [row["id"] for row in rows])
    new = [row for row in rows if row["id"] not in stored]
    # the key travels as "match_id": SQLAlchemy makes every other key of an executemany row a SET column=value
    old = [{"match_id": row["id"]} | {k: v for k, v in row.items() if k != "id"} for row in rows if row["id"] in stored]
    if new:
        conn.execute(sa.insert(table), new)
    if old:
        conn.execute(sa.update(table).where(table.c.id == sa.bindparam("match_id")), old)
    return len(new), len(old)


def _check_items_exist(conn: sa.Connection, item_ids: set[str], what: str) -> None:
    unknown = item_ids - _existing(conn, ITEMS.c.id, item_ids)
    if unknown:
        raise StoreError(f"{what}: unknown item ids {_few(sorted(unknown))}; ingest those items first")


def _create_users(conn: sa.Connection, user_ids: set[str]) -> int:
    new = user_ids - _existing(conn, USERS.c.id, user_ids)
    if new:
        conn.execute(sa.insert(USERS), [{"id": user_id} for user_id in sorted(new)])
    return len(new)


def _require(conn: sa.Connection, table: sa.Table, key: str, what: str) -> None:
    """A StoreError for a malformed id (before any query), a KeyError for an unknown one."""
    if not isinstance(key, str) or not _ID.fullmatch(key):
        raise StoreError(f"{what} id {key!r} is not valid: ids must {ID_RULE}")
    if conn.scalar(sa.select(table.c.id).where(table.c.id == key)) is None:
        raise KeyError(f"unknown {what} {key!r}")


# -- embedding ---------------------------------------------------------------------------------------------------


@dataclass
class _Job:
    """One item to embed: "image" (payload is the path) or "text" (payload is the text), and that input's hash."""

    item_id: str
    source: str
    payload: str
    content_hash: str


def _item_text(item) -> str:
    parts = [item["title"], item["description"], item["colour"], item["category"]]
    parts += [f"{key}: {value}" for key, value in json.loads(item["attributes"]).items()]
    return ". ".join(str(part) for part in parts if part not in (None, ""))


def _job(item) -> _Job:
    # An image is hashed by its bytes, not its path or mtime: a copied or touched photo is not re-embedded, an
    # edited one is. A text's hash is of the text itself, so only what the encoder sees can trigger re-embedding.
    if item["image_path"] is None:
        text = _item_text(item)
        return _Job(item["id"], "text", text, hashlib.sha256(f"text\x1f{text}".encode()).hexdigest())
    path = Path(item["image_path"])
    try:
        digest = hashlib.sha256(b"image\x1f" + path.read_bytes()).hexdigest()
    except OSError as err:
        raise FileNotFoundError(f"item {item['id']}: cannot read its image {path}: {err.strerror}") from err
    return _Job(item["id"], "image", str(path), digest)


def _load(job: _Job):
    try:
        return load_image(job.payload)
    except ImageError as err:
        raise StoreError(f"item {job.item_id}: {err}") from err


# -- the store ---------------------------------------------------------------------------------------------------


def _sqlite_foreign_keys(connection, _record) -> None:
    # SQLite ignores foreign keys, and so ON DELETE CASCADE, unless each connection asks for them
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _url(db: str | Path) -> str:
    if "://" in str(db):
        return str(db)
    path = Path(db).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class Store:
    """The recommender's database. ``db``: a SQLite file path or any SQLAlchemy URL (default: ``default_db()``);
    the tables are created if missing."""

    def __init__(self, db: str | Path | None = None):
        target = db if db is not None else default_db()
        try:
            self.url = _url(target)
            self.engine = sa.create_engine(self.url)
            if self.engine.dialect.name == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_foreign_keys)
            metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError, OSError) as err:
            raise RuntimeError(f"cannot open the store at {target}: {err}") from err

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ingest(
        self,
        items: pd.DataFrame | None = None,
        reviews: pd.DataFrame | None = None,
        interactions: pd.DataFrame | None = None,
        image_dir: str | Path | None = None,
    ) -> list[IngestReport]:
        """Validate and write any of the three in one transaction: all of it, or (on any error) nothing.
        Reviews and interactions may refer to items of this call or already stored; missing users are created."""
        if items is None and reviews is None and interactions is None:
            raise ValueError("nothing to ingest: give items, reviews and/or interactions")
        if image_dir is not None and items is None:
            raise ValueError("image_dir belongs to items: give the items too")
        # 1. Check every row before the transaction opens, so a bad file costs no database time
        item_rows = _item_rows(items, image_dir) if items is not None else []
        review_rows = _review_rows(reviews) if reviews is not None else []
        interaction_rows = _interaction_rows(interactions) if interactions is not None else []
        # 2. Write, items first so that reviews and interactions can refer to them
        with self.engine.begin() as conn:
            reports = [IngestReport("items", *_upsert(conn, ITEMS, item_rows))] if item_rows else []
            for table, rows in ((REVIEWS, review_rows), (INTERACTIONS, interaction_rows)):
                if rows:
                    _check_items_exist(conn, {row["item_id"] for row in rows}, table.name)
                    created = _create_users(conn, {row.get("user_id") for row in rows} - {None})
                    reports.append(IngestReport(table.name, *_upsert(conn, table, rows)))
                    reports += [IngestReport("users", created, 0)] if created else []
        return reports

    def ingest_items(self, frame: pd.DataFrame, image_dir: str | Path | None = None) -> IngestReport:
        return self.ingest(items=frame, image_dir=image_dir)[0]

    def ingest_reviews(self, frame: pd.DataFrame) -> IngestReport:
        return self.ingest(reviews=frame)[0]

    def ingest_interactions(self, frame: pd.DataFrame) -> IngestReport:
        return self.ingest(interactions=frame)[0]

    def embed_items(self, encoder, batch_size: int = 64) -> int:
        """Embed the items whose encoder input changed since ``encoder.name`` last embedded them, or that it never
        did; returns how many. An item with a photo is embedded from the photo, one without from its text (title,
        description, colour, category, attributes). Each batch commits on its own: an interrupted run keeps what
        it finished."""
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        with self.engine.connect() as conn:
            mine = EMBEDDINGS.c.model == encoder.name
            stored = dict(conn.execute(sa.select(EMBEDDINGS.c.item_id, EMBEDDINGS.c.content_hash).where(mine)).all())
            jobs = [_job(item) for item in conn.execute(sa.select(ITEMS).order_by(ITEMS.c.id)).mappings()]
        todo = [job for job in jobs if stored.get(job.item_id) != job.content_hash]
        with tqdm(total=len(todo), desc="embedding items", unit="item", disable=None) as bar:
            for source in ("image", "text"):  # one modality per batch: the encoder has one call for each
                same = [job for job in todo if job.source == source]
                for start in range(0, len(same), batch_size):
                    self._embed_batch(encoder, same[start : start + batch_size])
                    bar.update(len(same[start : start + batch_size]))
        return len(todo)

    def _embed_batch(self, encoder, jobs: list[_Job]) -> None:
        if jobs[0].source == "image":
            vectors = encoder.encode_images([_load(job) for job in jobs])
        else:
            vectors = encoder.encode_texts([job.payload for job in jobs])
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(jobs):
            raise RuntimeError(f"encoder {encoder.name} returned shape {vectors.shape} for {len(jobs)} inputs")
        rows = [
            {"item_id": job.item_id, "model": encoder.name, "content_hash": job.content_hash, "source": job.source,
             "dim": vectors.shape[1], "vector": vector.tobytes()}
            for job, vector in zip(jobs, vectors, strict=True)
        ]
        stale = EMBEDDINGS.c.item_id.in_([job.item_id for job in jobs])
        with self.engine.begin() as conn:
            conn.execute(sa.delete(EMBEDDINGS).where(EMBEDDINGS.c.model == encoder.name, stale))
            conn.execute(sa.insert(EMBEDDINGS), rows)

    def embeddings(self, model: str) -> Embeddings:
        """Every stored embedding of ``model`` (an encoder's ``name``), ordered by item id."""
        columns = (EMBEDDINGS.c.item_id, EMBEDDINGS.c.dim, EMBEDDINGS.c.vector)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*columns).where(EMBEDDINGS.c.model == model).order_by(columns[0])).all()
            if not rows:
                models = conn.scalars(sa.select(EMBEDDINGS.c.model).distinct()).all()
                raise KeyError(f"no embeddings for model {model!r} (stored: {_few(models) or 'none'}); run embed_items")
        if len({dim for _, dim, _ in rows}) > 1:
            raise RuntimeError(f"embeddings of {model!r} have mixed sizes; re-embed them with one encoder")
        matrix = np.stack([np.frombuffer(vector, dtype=np.float32) for _, _, vector in rows])
        return Embeddings([item_id for item_id, _, _ in rows], matrix)

    def items(self) -> pd.DataFrame:
        frame = self._read(ITEMS, sa.select(ITEMS).order_by(ITEMS.c.id))
        frame["attributes"] = frame["attributes"].map(json.loads)
        return frame

    def users(self) -> pd.DataFrame:
        return self._read(USERS, sa.select(USERS).order_by(USERS.c.id))

    def reviews(self, item_id: str | None = None) -> pd.DataFrame:
        """All reviews, or one item's (a KeyError if the item is unknown)."""
        return self._read(REVIEWS, self._history(REVIEWS, "item_id", item_id, ITEMS, REVIEWS.c.created_at))

    def interactions(self, user_id: str | None = None) -> pd.DataFrame:
        """All interactions, or one user's (a KeyError if the user is unknown), oldest first."""
        return self._read(INTERACTIONS, self._history(INTERACTIONS, "user_id", user_id, USERS, INTERACTIONS.c.ts))

    def history_images(self, user_id: str) -> list[str]:
        """Image paths of the items in a user's history (a KeyError if the user is unknown): their taste."""
        seen = set(self.interactions(user_id)["item_id"])
        items = self.items()
        return items[items["id"].isin(seen) & items["image_path"].notna()]["image_path"].tolist()

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self.engine.connect() as conn:
            return {table.name: conn.scalar(sa.select(sa.func.count()).select_from(table)) for table in TABLES}

    def delete_user(self, user_id: str) -> UserDeletion:
        """Remove a user with their whole history (interactions and reviews); returns how much went."""
        with self.engine.begin() as conn:
            _require(conn, USERS, user_id, "user")
            counted = [
                conn.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.user_id == user_id))
                for table in (INTERACTIONS, REVIEWS)
            ]
            conn.execute(sa.delete(USERS).where(USERS.c.id == user_id))  # ON DELETE CASCADE takes the history
        return UserDeletion(user_id, *counted)

    def _history(self, table: sa.Table, column: str, key: str | None, owner: sa.Table, when: sa.Column) -> sa.Select:
        query = sa.select(table).order_by(table.c[column], when, table.c.id)
        if key is None:
            return query
        with self.engine.connect() as conn:
            _require(conn, owner, key, owner.name[:-1])
        return query.where(table.c[column] == key)

    def _read(self, table: sa.Table, query: sa.Select) -> pd.DataFrame:
        floats = {column.name: "float64" for column in table.columns if isinstance(column.type, sa.Float)}
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn).astype(floats)  # an all-missing rating column stays float
