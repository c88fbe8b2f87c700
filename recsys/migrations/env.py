"""Alembic's entry point for the store's database. ``Store(db)`` runs it on its own connection (``upgrade head`` at
every open); the ``alembic`` command (``-c recsys/migrations/alembic.ini``) runs it on ``-x db=PATH_OR_URL``, else
``$ATELIER_DB``, else the default store.

One history for the whole database: the store's tables (declared in ``recsys/database.py``) and the server's
``api_keys`` and ``rate_limits`` (declared in ``ui/keys.py``). One history means one ``upgrade`` brings a file or
server up to date, and one version number says what it holds. recsys cannot import ui, so autogenerate compares
only the store's tables; changes to the server's two are written by hand, and tests/test_postgres.py checks that
both declarations match what the migrations build.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from recsys.database import default_db, metadata, open_engine

# Two workers opening one PostgreSQL store at once must not both create the tables: the first migrates, the other
# waits on this lock and then finds nothing to do. Any fixed 64-bit number; this one spells "atelier".
MIGRATION_LOCK = 0x6174656C696572


def _declared(obj, name: str, type_: str, reflected: bool, compare_to) -> bool:
    # api_keys, rate_limits and alembic_version are not in the store's metadata: autogenerate must not drop them
    return not (type_ == "table" and reflected and name not in metadata.tables)


def _migrate(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, include_object=_declared)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:  # Store(db): its connection, inside its transaction
    _migrate(connection)
else:  # the alembic command
    engine = open_engine(context.get_x_argument(as_dictionary=True).get("db") or default_db())
    with engine.begin() as connection:
        _migrate(connection)
    engine.dispose()
