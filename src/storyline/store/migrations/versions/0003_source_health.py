"""Sources that are fetched: folders, conditional-GET validators, schedule and health;
and the identity of feed items (GUIDs) behind articles.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("folder", sa.Text))
        batch.add_column(sa.Column("site_url", sa.Text))
        batch.add_column(sa.Column("etag", sa.Text))
        batch.add_column(sa.Column("last_modified", sa.Text))
        batch.add_column(sa.Column("last_fetched_at", UTCDateTime))
        batch.add_column(sa.Column("last_status", sa.Integer))
        batch.add_column(sa.Column("last_error", sa.Text))
        batch.add_column(sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("items_per_day", sa.Float))
        batch.add_column(sa.Column("latency_ms", sa.Integer))
        batch.add_column(sa.Column("next_fetch_at", UTCDateTime))
        batch.add_column(sa.Column("interval_s", sa.Integer))
        batch.create_index("ix_sources_next_fetch_at", ["next_fetch_at"])
    op.create_table(
        "source_items",
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("guid", sa.Text, nullable=False),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("source_id", "guid", name="pk_source_items"),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_source_items_source_id_sources",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_source_items_article_id_articles",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("source_items")
    with op.batch_alter_table("sources") as batch:
        batch.drop_index("ix_sources_next_fetch_at")
        for column in ("interval_s", "next_fetch_at", "latency_ms", "items_per_day", "paused",
                       "consecutive_failures", "last_error", "last_status", "last_fetched_at",
                       "last_modified", "etag", "site_url", "folder"):
            batch.drop_column(column)
