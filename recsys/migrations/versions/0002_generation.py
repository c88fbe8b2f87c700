"""store_state: one row whose ``generation`` goes up with every change to items, interactions, reviews, users or
embeddings, so each worker of `atelier serve --workers N` can see, with one cheap query, that another one changed
the store (a user deleted, a catalog ingested) and re-read it instead of serving what it holds in memory.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table("store_state", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("generation", sa.Integer, nullable=False))
    op.bulk_insert(state, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("store_state")
