"""The database beyond the store's own tests: API keys and rate limits on SQLite and PostgreSQL, migrations (the
declared tables match what they build, a store made before migrations opens with its data), limits shared across
processes, and PostgreSQL going away: one clear line at start, 503 while serving, recovery when it returns."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pg import PgServer

from recsys import Store, StoreUnavailable
from ui import KeyStore
from ui.api.dependencies import WidgetKey, get_engines, user_errors
from ui.keys import RateLimiter

# What `Store(path)` and `KeyStore(engine)` made before migrations existed (their create_all, dumped from SQLite).
LEGACY_SQLITE = """
CREATE TABLE users (id VARCHAR NOT NULL, PRIMARY KEY (id));
CREATE TABLE items (id VARCHAR NOT NULL, title TEXT NOT NULL, description TEXT, category VARCHAR, colour VARCHAR,
    price FLOAT, currency VARCHAR, attributes TEXT NOT NULL, image_path TEXT, updated_at DATETIME NOT NULL,
    PRIMARY KEY (id));
CREATE TABLE reviews (id VARCHAR NOT NULL, item_id VARCHAR NOT NULL, user_id VARCHAR, text TEXT NOT NULL,
    rating FLOAT, created_at DATETIME, PRIMARY KEY (id),
    FOREIGN KEY(item_id) REFERENCES items (id) ON DELETE CASCADE,
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE);
CREATE INDEX ix_reviews_item_id ON reviews (item_id);
CREATE INDEX ix_reviews_user_id ON reviews (user_id);
CREATE TABLE interactions (id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, item_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, rating FLOAT, ts DATETIME NOT NULL, PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE,
    FOREIGN KEY(item_id) REFERENCES items (id) ON DELETE CASCADE);
CREATE INDEX ix_interactions_item_id ON interactions (item_id);
CREATE INDEX ix_interactions_user_id ON interactions (user_id);
CREATE TABLE embeddings (item_id VARCHAR NOT NULL, model VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
    source VARCHAR NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (item_id, model),
    FOREIGN KEY(item_id) REFERENCES items (id) ON DELETE CASCADE);
CREATE TABLE api_keys (id VARCHAR(16) NOT NULL, name VARCHAR(80) NOT NULL, scope VARCHAR(16) NOT NULL,
    hash VARCHAR(64) NOT NULL, rate_per_minute INTEGER NOT NULL, created_at DATETIME NOT NULL,
    revoked BOOLEAN NOT NULL, origins TEXT NOT NULL, PRIMARY KEY (id));
"""
LEGACY_ROWS = """
INSERT INTO items VALUES ('dress', 'Red dress', NULL, 'dress', 'red', 59.5, 'EUR', '{"fit": "slim"}', NULL,
    '2024-05-01 00:00:00.000000');
INSERT INTO users VALUES ('ann');
INSERT INTO interactions VALUES ('i1', 'ann', 'dress', 'rental', NULL, '2024-05-02 10:00:00.000000');
INSERT INTO embeddings VALUES ('dress', 'enc', 'h', 'text', 2, X'0000803F00000040');
"""
PASSWORD = "hunter2-secret"


def head_revision() -> str:
    from recsys.database import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# --- keys and schema, on both backends ---------------------------------------------------------------------------
def test_keys_on_each_backend(db_url):
    with Store(db_url) as store:
        keys = KeyStore(store.engine)
        admin = keys.create("ops", "admin", 100)
        widget = keys.create("shop", "widget", origins=["https://Shop.example"])
        assert keys.verify(admin.secret) == admin.key and keys.verify(widget.secret).origins == ("https://shop.example",)
        assert [key.name for key in keys.list()] == ["ops", "shop"]
        keys.revoke(widget.key.id)
        assert keys.verify(widget.secret) is None and keys.list()[1].revoked is True
        wrong = admin.secret[:-1] + ("y" if admin.secret.endswith("x") else "x")  # a secret ends in "x" 1 time in 64
        assert keys.verify(wrong) is None and keys.verify("atl_nope_nope") is None
        with pytest.raises(KeyError, match="no API key"):
            keys.revoke("missing")


def test_migrations_build_the_declared_tables(db_url):
    """The store's and the server's table declarations match what the migrations create, on both backends."""
    from recsys.database import metadata as store_tables
    from ui.keys import metadata as server_tables

    with Store(db_url) as store, store.engine.connect() as conn:
        for declared in (store_tables, server_tables):
            # each declaration covers its own tables: the others' (and alembic_version) are not a difference
            def own(name, kind, _parent, tables=declared.tables) -> bool:
                return kind != "table" or name in tables

            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": own})
            assert compare_metadata(context, declared) == []
        assert revision(store.engine) == head_revision()


def test_a_store_from_before_migrations_opens_with_its_data(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_SQLITE + LEGACY_ROWS)
    with Store(path) as store:
        assert revision(store.engine) == head_revision()
        assert store.counts() == {"users": 1, "items": 1, "reviews": 0, "interactions": 1, "embeddings": 1}
        item = store.items().iloc[0]
        assert (item["id"], item["price"], item["attributes"]) == ("dress", 59.5, {"fit": "slim"})
        assert store.interactions("ann")["ts"].iloc[0] == pd.Timestamp("2024-05-02 10:00")
        assert store.embeddings("enc").matrix.tolist() == [[1.0, 2.0]]
        assert RateLimiter(store.engine).take("c", 1) == 0  # the table the old store lacked is there
        key = KeyStore(store.engine).create("after", "admin")
    with Store(path) as again:  # a second open is a no-op
        assert KeyStore(again.engine).verify(key.secret) == key.key and again.counts()["items"] == 1


def test_api_keys_from_before_origins_get_the_column(tmp_path):
    path = tmp_path / "older.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_SQLITE.replace(", origins TEXT NOT NULL", ""))
        conn.execute("INSERT INTO api_keys VALUES ('abc', 'old', 'widget', 'h', 60, '2024-01-01 00:00:00', 0)")
    with Store(path) as store:
        assert KeyStore(store.engine).list()[0].origins == ()


# --- rate limits in the store ------------------------------------------------------------------------------------
def test_two_workers_share_one_allowance(db_url):
    """Two limiters on two engines, as two worker processes have: one allowance between them."""
    with Store(db_url) as one, Store(db_url) as two:
        first, second = RateLimiter(one.engine), RateLimiter(two.engine)
        assert [first.take("key|1.2.3.4", 5) for _ in range(3)] == [0.0] * 3
        assert [second.take("key|1.2.3.4", 5) for _ in range(2)] == [0.0] * 2
        waits = [first.take("key|1.2.3.4", 5), second.take("key|1.2.3.4", 5)]
        assert all(0 < wait <= 120 for wait in waits)  # the Retry-After: until the window has room again
        assert second.take("key|5.6.7.8", 5) == 0.0  # another client has its own allowance
        with one.engine.connect() as conn:  # refused requests were not counted
            assert conn.scalar(sa.text("SELECT max(count) FROM rate_limits")) == 5


def test_concurrent_takes_never_exceed_the_rate(db_url):
    """The count is one atomic upsert: threads on two engines racing for 12 requests a minute get 12, and every
    request let through is counted once."""
    start = time.monotonic()
    with Store(db_url) as one, Store(db_url) as two:
        limiters, allowed, lock = [RateLimiter(one.engine), RateLimiter(two.engine)], [], threading.Lock()

        def hammer(limiter: RateLimiter) -> None:
            for _ in range(10):
                passed = limiter.take("racer", 12) == 0
                with lock:
                    allowed.append(passed)

        threads = [threading.Thread(target=hammer, args=(limiters[i % 2],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with one.engine.connect() as conn:
            counted = conn.scalar(sa.text("SELECT sum(count) FROM rate_limits"))
    # the sliding window frees one request every 60 / 12 s: a slow machine may see one more per 5 s taken
    leaked = int((time.monotonic() - start) / 5)
    assert len(allowed) == 40 and 12 <= sum(allowed) <= 12 + leaked and sum(allowed) == counted


def test_takes_that_arrive_together_share_one_transaction(db_url):
    """Each take is a write; a burst of them is counted in a few transactions (one commit each on SQLite), not one
    a request, and still lets exactly the allowance through. The first transaction is held up a moment, so the
    other 19 takes queue behind it as they do behind a slow commit under load."""
    with Store(db_url) as store:
        limiter, commits, first = RateLimiter(store.engine), [], threading.Event()

        def on_begin(conn) -> None:
            if not first.is_set():
                first.set()
                time.sleep(0.3)

        sa.event.listen(store.engine, "begin", on_begin)
        sa.event.listen(store.engine, "commit", lambda conn: commits.append(1))
        with ThreadPoolExecutor(20) as pool:
            waits = list(pool.map(lambda _: limiter.take("burst", 12), range(20)))
    assert sum(wait == 0 for wait in waits) == 12 and all(0 < wait <= 120 for wait in waits if wait)
    assert len(commits) <= 3


# --- PostgreSQL going away ---------------------------------------------------------------------------------------
def down_url(tmp_path) -> str:
    """A PostgreSQL URL with a password, where no server listens (no PostgreSQL needed)."""
    return f"postgresql+psycopg://atelier:{PASSWORD}@/atelier?host={tmp_path}"


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path):
    start = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        Store(down_url(tmp_path))
    message = str(caught.value)
    assert time.monotonic() - start < 5
    assert message.startswith("cannot reach the store at postgresql+psycopg://atelier:***@/atelier")
    assert PASSWORD not in message and "\n" not in message


def test_serve_on_an_unreachable_database_exits_with_one_line(tmp_path, capsys):
    from atelier_cli import main

    assert main(["serve", "--db", down_url(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("atelier: error: cannot reach the store at postgresql+psycopg://atelier:***@")
    assert PASSWORD not in err and err.count("\n") == 1


def store_app(store: Store) -> tuple[FastAPI, dict[str, str]]:
    """The REST layer's real key, limit and error dependencies over ``store``, with one route that reads it; and the
    headers of a widget key."""
    app = FastAPI()
    engines = SimpleNamespace(store=store, keys=KeyStore(store.engine), limiter=RateLimiter(store.engine))
    app.dependency_overrides[get_engines] = lambda: engines

    @app.get("/items")
    def items(_: WidgetKey) -> int:
        with user_errors():
            return len(store.items())

    return app, {"X-API-Key": engines.keys.create("shop", "widget", 1000).secret}


def test_requests_get_503_while_postgres_is_down_and_200_when_it_is_back():
    server = PgServer()  # a server of its own: this test stops it
    try:
        with Store(server.new_database()) as store:
            app, headers = store_app(store)
            client = TestClient(app)
            assert client.get("/items", headers=headers).status_code == 200
            server.stop()
            start = time.monotonic()
            down = client.get("/items", headers=headers)
            assert down.status_code == 503 and time.monotonic() - start < 5
            assert down.headers["Retry-After"] == "5" and "unavailable" in down.json()["detail"]
            server.start()
            assert client.get("/items", headers=headers).status_code == 200
    finally:
        server.close()
