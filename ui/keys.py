"""API keys: created once and shown once, stored as SHA-256 hashes in the store's database, limited per minute
with counts kept in the same database, so that every worker process shares one allowance.

A key is ``atl_<id>_<secret>``. Keys are 192-bit random, so a plain SHA-256 (not a slow password hash) is
enough to make a leaked database useless. Two scopes:

- ``widget``: what a shop page may do in a shopper's browser, where anyone can read the key: parse, try on,
  recommend and search. It cannot read or delete users or change the catalog.
- ``admin``: everything, including catalog ingestion and user histories.

A key carries the web origins whose pages may use it from a browser (``https://shop.example``, or ``*`` for any);
a key with none works only from the server's own pages and from outside browsers (servers, scripts).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from atelier_io import MicroBatcher

SCOPES = ("widget", "admin")
DEFAULT_RATE = 60  # requests per minute and key
MAX_NAME = 80
MAX_ORIGINS = 20
ANY_ORIGIN = "*"
DEMO_SHOP_KEY = "demo shop page"  # the widget key the demo shop page embeds; replaced at every start
DEMO_SHOP_RATE = 30  # a minute and visitor: any visitor of /shop can read this key
# scheme://host[:port], as a browser sends it in the Origin header: no path, no trailing slash
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")

# The server's two tables. Their schema is made and changed by the store's migrations (recsys/migrations, one history
# for the whole database); tests/test_postgres.py checks that these declarations match what the migrations build.
metadata = sa.MetaData()
API_KEYS = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("rate_per_minute", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
    sa.Column("origins", sa.Text, nullable=False, server_default=""),  # space-separated; see the module's docstring
)
RATE_LIMITS = sa.Table(
    "rate_limits", metadata,
    sa.Column("minute", sa.Integer, primary_key=True),  # Unix time // 60
    sa.Column("client", sa.String, primary_key=True),  # see RateLimiter
    sa.Column("count", sa.Integer, nullable=False),  # requests let through in that minute
)
# The statements every request runs, built once with bound parameters: SQLAlchemy caches their compiled SQL either
# way, but building a statement and its cache key took longer than running it. A key check took 100 µs, now 50; a
# count 340 µs, now 90, and SQLite's writers take their turns one count at a time.
_KEY_BY_ID = sa.select(API_KEYS).where(API_KEYS.c.id == sa.bindparam("key_id"))
_PREVIOUS_COUNT = sa.select(RATE_LIMITS.c.count).where(RATE_LIMITS.c.minute == sa.bindparam("minute"),
                                                      RATE_LIMITS.c.client == sa.bindparam("client"))
# (an UPDATE's own columns' names are reserved for its SET clause: the bound names differ)
_COUNT_DOWN = (sa.update(RATE_LIMITS).where(RATE_LIMITS.c.minute == sa.bindparam("at_minute"),
                                            RATE_LIMITS.c.client == sa.bindparam("of_client"))
               .values(count=RATE_LIMITS.c.count - 1))


@dataclass
class ApiKey:
    id: str
    name: str
    scope: str
    rate_per_minute: int
    created_at: datetime
    revoked: bool
    origins: tuple[str, ...] = ()

    def allows_origin(self, origin: str) -> bool:
        """Whether a browser page at ``origin`` may use this key."""
        return ANY_ORIGIN in self.origins or origin.lower() in self.origins


@dataclass
class NewKey:
    key: ApiKey
    secret: str  # the whole key; shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_origins(origins: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Origins as a browser sends them (lower case), or a ValueError naming the first that is not one."""
    if isinstance(origins, str) or len(origins) > MAX_ORIGINS:
        raise ValueError(f"origins must be a list of at most {MAX_ORIGINS} origins")
    for origin in origins:
        if origin != ANY_ORIGIN and not (isinstance(origin, str) and ORIGIN.match(origin)):
            raise ValueError(f"{origin!r} is not an origin: give scheme://host[:port], e.g. https://shop.example "
                             f"(no path), or {ANY_ORIGIN} for any")
    return tuple(dict.fromkeys(o.lower() for o in origins))


def _key(row) -> ApiKey:
    fields = {k: v for k, v in row.items() if k != "hash"}
    return ApiKey(**{**fields, "origins": tuple((fields.get("origins") or "").split())})


class KeyStore:
    """Keys in the ``api_keys`` table of an opened ``recsys.Store``'s database (``KeyStore(store.engine)``): opening
    the store migrated its schema."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def create(self, name: str, scope: str = "widget", rate_per_minute: int = DEFAULT_RATE,
               origins: list[str] | tuple[str, ...] = ()) -> NewKey:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise ValueError(f"a key needs a name of 1 to {MAX_NAME} characters")
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}; got {scope!r}")
        if type(rate_per_minute) is not int or not 1 <= rate_per_minute <= 10_000:
            raise ValueError(f"rate_per_minute must be an integer from 1 to 10000; got {rate_per_minute!r}")
        origins = check_origins(origins)
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
        full = f"atl_{key_id}_{secret}"
        now = datetime.now(UTC).replace(tzinfo=None)
        row = {"id": key_id, "name": name.strip(), "scope": scope, "hash": _digest(full),
               "rate_per_minute": rate_per_minute, "created_at": now, "revoked": False, "origins": " ".join(origins)}
        with self.engine.begin() as conn:
            conn.execute(API_KEYS.insert().values(**row))
        return NewKey(_key(row), full)

    def list(self) -> list[ApiKey]:
        columns = [c for c in API_KEYS.c if c.name != "hash"]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*columns).order_by(API_KEYS.c.created_at)).mappings().all()
        return [_key(row) for row in rows]

    def revoke(self, key_id: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(API_KEYS.update().where(API_KEYS.c.id == key_id).values(revoked=True)).rowcount
        if not done:
            raise KeyError(f"no API key with id {key_id!r}")

    def verify(self, secret: str | None) -> ApiKey | None:
        """The live key ``secret`` is, or None (unknown, malformed or revoked: callers cannot tell which)."""
        if not secret or not secret.startswith("atl_") or len(secret) > 100:
            return None
        key_id = secret[4:].split("_", 1)[0]
        with self.engine.connect() as conn:
            row = conn.execute(_KEY_BY_ID, {"key_id": key_id}).mappings().first()
        if row is None or row["revoked"] or not hmac.compare_digest(row["hash"], _digest(secret)):
            return None
        return _key(row)


def demo_shop_key(keys: KeyStore) -> str:
    """A fresh widget key for the demo shop page; the previous run's is revoked, so a copied one stops working.
    Once a start: ``ui.server.serve`` makes it before its workers start and hands it to each of them."""
    for key in keys.list():
        if key.name == DEMO_SHOP_KEY and not key.revoked:
            keys.revoke(key.id)
    return keys.create(DEMO_SHOP_KEY, "widget", DEMO_SHOP_RATE).secret


# The dialects whose INSERT has ON CONFLICT ... RETURNING, which the limiter's count needs
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass(frozen=True)
class _Take:
    """One request's claim on a client's allowance, at ``into`` seconds into ``minute``."""

    client: str
    rate: int
    minute: int
    into: float


class RateLimiter:
    """``rate`` requests a minute per client, counted in the ``rate_limits`` table of an opened store's database, so
    that every worker process (and every server on the database) shares one allowance. A client is what the caller
    names: an admin key, a (widget key, address) pair, an address of the Gradio app.

    A sliding window: the previous minute's count weighs as much as it still overlaps the last 60 s, plus this
    minute's count; so bursts up to ``rate`` pass, and a client cannot get twice ``rate`` through across a minute's
    boundary. A refused request is not counted: waiting out the answer is enough."""

    def __init__(self, engine: sa.Engine):
        if engine.dialect.name not in _INSERTS:
            raise ValueError(f"rate limits need SQLite or PostgreSQL; the store is {engine.dialect.name}")
        self.engine = engine
        self._count_up = _count_up(_INSERTS[engine.dialect.name])
        self._swept = 0  # the minute whose stale rows this process last deleted
        # Every request takes, and each take is a write: one transaction (and, on SQLite, one commit to the file)
        # per take queued 50 concurrent requests behind each other's commits. The takes that arrive together share
        # one transaction; one batch at a time per process, and the database keeps the counts atomic across
        # processes (SQLite has one writer; PostgreSQL locks the rows, taken in one order so batches cannot deadlock).
        self._batch: MicroBatcher[_Take, float] = MicroBatcher(self._take_all)

    def take(self, client: str, rate: int) -> float:
        """0 if the request may go ahead, else the seconds to wait before the next one will."""
        minute, into = divmod(time.time(), 60)
        return self._batch(_Take(client, rate, int(minute), into))

    def _take_all(self, takes: list[_Take]) -> list[float]:
        waits = [0.0] * len(takes)
        with self.engine.begin() as conn:
            self._sweep(conn, max(take.minute for take in takes))
            for i in sorted(range(len(takes)), key=lambda i: (takes[i].minute, takes[i].client)):
                take = takes[i]
                key = {"minute": take.minute, "client": take.client}
                # The upsert locks this client's row until the transaction ends: other processes queue behind it
                current = conn.scalar(self._count_up, key)
                previous = conn.scalar(_PREVIOUS_COUNT, {**key, "minute": take.minute - 1}) or 0
                if previous * (1 - take.into / 60) + current > take.rate:
                    conn.execute(_COUNT_DOWN, {"at_minute": take.minute, "of_client": take.client})  # not counted
                    waits[i] = _wait(previous, current - 1, take.rate, take.into)
        return waits

    def _sweep(self, conn: sa.Connection, minute: int) -> None:
        # Rows older than the previous minute are never read again; one delete a minute and process keeps the
        # table small (one batch runs at a time: no two threads delete at once)
        if minute != self._swept:
            conn.execute(sa.delete(RATE_LIMITS).where(RATE_LIMITS.c.minute < minute - 1))
            self._swept = minute


def _count_up(insert: Callable[[sa.Table], Any]) -> sa.Executable:
    """INSERT ... ON CONFLICT DO UPDATE count = count + 1 RETURNING count, for the bound ``minute`` and ``client``:
    one atomic statement on both backends (``insert``: the dialect's own, which has ON CONFLICT)."""
    values = insert(RATE_LIMITS).values(minute=sa.bindparam("minute"), client=sa.bindparam("client"), count=1)
    return values.on_conflict_do_update(
        index_elements=[RATE_LIMITS.c.minute, RATE_LIMITS.c.client], set_={"count": RATE_LIMITS.c.count + 1},
    ).returning(RATE_LIMITS.c.count)


def _wait(previous: int, current: int, rate: int, into: float) -> float:
    """Seconds until one more request fits, with nothing else let through meanwhile: ``current`` requests counted
    this minute, ``previous`` in the last, ``into`` seconds into this minute."""
    room = rate - 1 - current  # what the previous minute's weight must fall to
    if room >= 0:  # it fades within this minute
        return 60 * (1 - room / previous) - into
    # this minute alone is full: wait for the next, where this minute's count fades in turn
    return 60 - into + 60 * (1 - (rate - 1) / current)
