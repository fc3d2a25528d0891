"""One story writer at a time: a lease table, and story ids handed out by the database.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "id_counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("next_value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_id_counters"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("progress", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    # Story ids go on from the highest one a process numbered before.
    op.execute("INSERT INTO id_counters (name, next_value) SELECT 'stories', COALESCE(MAX(id), 0) + 1 FROM stories")


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("id_counters")
