"""Baseline: the schema of Atelier 0.2 (store tables, api_keys) plus rate_limits.

It creates only what is missing, so one script serves a new database and one made before migrations existed (by
``metadata.create_all``, which also made api_keys without ``origins`` in its first version). Later revisions
change the schema unconditionally, as usual.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _cascade(column: str) -> sa.ForeignKey:
    return sa.ForeignKey(column, ondelete="CASCADE")


# Fresh columns for each call: a Column belongs to one table, and a process may migrate several databases.
TABLES = {
    "users": lambda: [sa.Column("id", sa.String, primary_key=True)],
    "items": lambda: [
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("category", sa.String),
        sa.Column("colour", sa.String),
        sa.Column("price", sa.Float),
        sa.Column("currency", sa.String),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("image_path", sa.Text),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    ],
    "reviews": lambda: [
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("item_id", sa.String, _cascade("items.id"), nullable=False, index=True),
        sa.Column("user_id", sa.String, _cascade("users.id"), index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("rating", sa.Float),
        sa.Column("created_at", sa.DateTime),
    ],
    "interactions": lambda: [
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("user_id", sa.String, _cascade("users.id"), nullable=False, index=True),
        sa.Column("item_id", sa.String, _cascade("items.id"), nullable=False, index=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("rating", sa.Float),
        sa.Column("ts", sa.DateTime, nullable=False),
    ],
    "embeddings": lambda: [
        sa.Column("item_id", sa.String, _cascade("items.id"), primary_key=True),
        sa.Column("model", sa.String, primary_key=True),
        sa.Column("content_hash", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    ],
    "api_keys": lambda: [
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("rate_per_minute", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("origins", sa.Text, nullable=False, server_default=""),
    ],
    "rate_limits": lambda: [
        sa.Column("minute", sa.Integer, primary_key=True),
        sa.Column("client", sa.String, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    ],
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, columns in TABLES.items():  # in dependency order: items before the tables that refer to it
        if name not in existing:
            op.create_table(name, *columns())
    if "api_keys" in existing and "origins" not in {c["name"] for c in inspector.get_columns("api_keys")}:
        op.add_column("api_keys", sa.Column("origins", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
