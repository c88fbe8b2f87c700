"""The recommender's store: users, items, reviews, interactions and cached item embeddings in one database.

SQLite by default (a file path, or ``$ATELIER_DB``); PostgreSQL through a URL (``postgresql+psycopg://...``). Opening a
store brings its schema up to date with the Alembic migrations in ``recsys/migrations`` (docs/store.md).

    store = Store("atelier.db")
    store.ingest(items=read_table("items.csv"), image_dir="images", reviews=read_table("reviews.jsonl"))
    store.embed_items(create_encoder())        # embeds only new or changed items
    ids, matrix = store.embeddings("atelier-fashion")
    store.delete_user("u42")                    # with their interactions and reviews

This module holds the tables and writes them; ``recsys.ingest`` checks the input (accepted columns, id rules) and
``recsys.item_embeddings`` decides what each item is embedded from.
One ``ingest`` call is one transaction: on any error nothing is written. Re-ingesting an id updates its row
(the columns given; the others keep their stored values).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from tqdm import tqdm

from .database import (
    EMBEDDINGS,
    INTERACTIONS,
    ITEMS,
    REVIEWS,
    STATE,
    TABLES,
    USERS,
    open_database,
)
from .ingest import ID_REGEX, ID_RULE, StoreError, first_few, interaction_rows, item_rows, review_rows
from .item_embeddings import EmbedJob, job_for, load_job

CHUNK = 500  # keys per IN (...) query: well under every backend's bound-parameter limit
# Read on every request (Engines.current): built once, as building the statement cost more than running it.
_GENERATION = sa.select(STATE.c.generation).where(STATE.c.id == 1)


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
        raise StoreError(f"{what}: unknown item ids {first_few(sorted(unknown))}; ingest those items first")


def _create_users(conn: sa.Connection, user_ids: set[str]) -> int:
    new = user_ids - _existing(conn, USERS.c.id, user_ids)
    if new:
        conn.execute(sa.insert(USERS), [{"id": user_id} for user_id in sorted(new)])
    return len(new)


def _changed(conn: sa.Connection) -> None:
    """Count a write in ``store_state`` (Store.generation), in the writing transaction itself."""
    conn.execute(sa.update(STATE).where(STATE.c.id == 1).values(generation=STATE.c.generation + 1))


def _require(conn: sa.Connection, table: sa.Table, key: str, what: str) -> None:
    """A StoreError for a malformed id (before any query), a KeyError for an unknown one."""
    if not isinstance(key, str) or not ID_REGEX.fullmatch(key):
        raise StoreError(f"{what} id {key!r} is not valid: ids must {ID_RULE}")
    if conn.scalar(sa.select(table.c.id).where(table.c.id == key)) is None:
        raise KeyError(f"unknown {what} {key!r}")


# -- the store ---------------------------------------------------------------------------------------------------


class Store:
    """The recommender's database. ``db``: a SQLite file path or any SQLAlchemy URL (default: ``default_db()``);
    its schema is migrated to the newest version. ``StoreUnavailable`` if the database cannot be reached."""

    def __init__(self, db: str | Path | None = None):
        self.engine = open_database(db)
        self.url = self.engine.url.render_as_string(hide_password=False)

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
        item_batch = item_rows(items, image_dir) if items is not None else []
        review_batch = review_rows(reviews) if reviews is not None else []
        interaction_batch = interaction_rows(interactions) if interactions is not None else []
        # 2. Write, items first so that reviews and interactions can refer to them
        with self.engine.begin() as conn:
            reports = [IngestReport("items", *_upsert(conn, ITEMS, item_batch))] if item_batch else []
            for table, rows in ((REVIEWS, review_batch), (INTERACTIONS, interaction_batch)):
                if rows:
                    _check_items_exist(conn, {row["item_id"] for row in rows}, table.name)
                    created = _create_users(conn, {row.get("user_id") for row in rows} - {None})
                    reports.append(IngestReport(table.name, *_upsert(conn, table, rows)))
                    reports += [IngestReport("users", created, 0)] if created else []
            _changed(conn)
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
            jobs = [job_for(item) for item in conn.execute(sa.select(ITEMS).order_by(ITEMS.c.id)).mappings()]
        todo = [job for job in jobs if stored.get(job.item_id) != job.content_hash]
        with tqdm(total=len(todo), desc="embedding items", unit="item", disable=None) as bar:
            for source in ("image", "text"):  # one modality per batch: the encoder has one call for each
                same = [job for job in todo if job.source == source]
                for start in range(0, len(same), batch_size):
                    self._embed_batch(encoder, same[start : start + batch_size])
                    bar.update(len(same[start : start + batch_size]))
        return len(todo)

    def _embed_batch(self, encoder, jobs: list[EmbedJob]) -> None:
        if jobs[0].source == "image":
            vectors = encoder.encode_images([load_job(job) for job in jobs])
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
            _changed(conn)

    def embeddings(self, model: str) -> Embeddings:
        """Every stored embedding of ``model`` (an encoder's ``name``), ordered by item id."""
        columns = (EMBEDDINGS.c.item_id, EMBEDDINGS.c.dim, EMBEDDINGS.c.vector)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*columns).where(EMBEDDINGS.c.model == model).order_by(columns[0])).all()
            if not rows:
                models = conn.scalars(sa.select(EMBEDDINGS.c.model).distinct()).all()
                raise KeyError(f"no embeddings for model {model!r} (stored: {first_few(models) or 'none'}); "
                               "run embed_items")
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
            _changed(conn)
        return UserDeletion(user_id, *counted)

    def generation(self) -> int:
        """A number that goes up with every change to the store's data: a process that read the store at one
        generation holds a stale copy once it differs (another worker ingested or deleted)."""
        with self.engine.connect() as conn:
            return conn.scalar(_GENERATION)

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
