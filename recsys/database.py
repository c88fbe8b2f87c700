"""The store's database: its tables, the connection (SQLite or PostgreSQL) and the migrations, without pandas or
numpy, so what needs only the database (``atelier keys``, the migrations) starts quickly. ``recsys.store`` reads
and writes the tables.

    engine = open_database("shop.db")   # or "postgresql+psycopg://user@host/shop"; migrated to the newest schema
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

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
# One row: its generation goes up with every write to the tables above (see Store.generation).
STATE = sa.Table(
    "store_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("generation", sa.Integer, nullable=False),
)
TABLES = (USERS, ITEMS, REVIEWS, INTERACTIONS, EMBEDDINGS)
MIGRATIONS = Path(__file__).with_name("migrations")
CONNECT_TIMEOUT = 5  # seconds: a server that does not answer fails a request quickly instead of hanging it
# SQLite connections kept open: one for each thread of the server's threadpool (40, FastAPI's default), which all
# check one out in a burst. SQLAlchemy keeps 5 by default and closes the others on return, so a burst of 40 requests
# opened ~10 new connections (each setting its PRAGMAs) and queued behind them: key checks' p95 went 16 -> 10 ms.
SQLITE_POOL = 40


class StoreUnavailable(RuntimeError):
    """The database cannot be reached (down, unreachable, refusing the connection). Transient: the server answers
    503 and the next request tries again."""


def default_db() -> str:
    """Where the store lives unless told: ``$ATELIER_DB`` (a path or SQLAlchemy URL), else the user's data folder."""
    return os.environ.get("ATELIER_DB") or str(Path.home() / ".local" / "share" / "atelier" / "atelier.db")


def _sqlite_settings(connection, _record) -> None:
    cursor = connection.cursor()
    # SQLite ignores foreign keys, and so ON DELETE CASCADE, unless each connection asks for them
    cursor.execute("PRAGMA foreign_keys=ON")
    # `atelier serve --workers N`: several processes share the file. WAL lets readers go on while one writes;
    # NORMAL skips an fsync per commit (safe in WAL mode); a writer waits for another instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _url(db: str | Path) -> str:
    if "://" in str(db):
        return str(db)
    path = Path(db).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def shown(db: str | Path) -> str:
    """``db`` as messages and logs may show it: a URL's password masked."""
    try:
        return sa.make_url(str(db)).render_as_string(hide_password=True) if "://" in str(db) else str(db)
    except ArgumentError:  # not parsable, so the password cannot be found: show the scheme only
        return str(db).split("://")[0] + "://..."


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())  # drivers' messages span lines (libpq adds a hint on the next)


def _raise_unavailable(url: str) -> Callable[[sa.engine.ExceptionContext], None]:
    def handle_error(context: sa.engine.ExceptionContext) -> None:
        # A failed pre-ping is expected (the pool then reconnects); a failed connect or a dropped connection is not
        if not context.is_pre_ping and (context.connection is None or context.is_disconnect):
            raise StoreUnavailable(f"cannot reach the store at {url}: {_one_line(context.original_exception)}")
    return handle_error


def open_engine(db: str | Path) -> sa.Engine:
    """An engine for ``db`` (a SQLite path or a SQLAlchemy URL) that raises ``StoreUnavailable`` when the database
    cannot be reached. No schema work: ``Store`` migrates."""
    url = sa.make_url(_url(db))
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, pool_size=SQLITE_POOL, max_overflow=SQLITE_POOL // 4)
        sa.event.listen(engine, "connect", _sqlite_settings)
    else:
        # pool_pre_ping: a connection the server dropped (a restart) is replaced, not handed to a request
        timeout = {} if "connect_timeout" in url.query else {"connect_timeout": CONNECT_TIMEOUT}
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args=timeout)
    sa.event.listen(engine, "handle_error", _raise_unavailable(shown(url)))
    return engine


def _migrate(engine: sa.Engine) -> None:
    """Upgrade the schema to the newest migration: a new database gets every table, an old one what it lacks."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_database(db: str | Path | None = None) -> sa.Engine:
    """An engine for ``db`` (default: ``default_db()``) with its schema migrated to the newest version;
    ``RuntimeError`` naming the database (password masked) if it cannot be opened, ``StoreUnavailable`` included."""
    from alembic.util import CommandError  # alembic loads with the migration, not with every import of the module

    target = db if db is not None else default_db()
    try:
        engine = open_engine(target)
        _migrate(engine)
    except (SQLAlchemyError, CommandError, ImportError, OSError) as err:
        raise RuntimeError(f"cannot open the store at {shown(target)}: {_one_line(err)}") from err
    return engine
