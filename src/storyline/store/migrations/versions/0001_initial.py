"""Initial schema: sources and articles.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("url", name="uq_sources_url"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("canonical_url", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("outlet", sa.Text),
        sa.Column("published_at", UTCDateTime),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("word_count", sa.Integer, nullable=False),
        sa.Column("is_sample", sa.Boolean, nullable=False),
        sa.Column("licence", sa.Text),
        sa.Column("source_id", sa.Integer),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("sort_time", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_articles_source_id_sources", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_articles_sort_time", "articles", ["sort_time"])
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])
    op.create_index("ix_articles_is_sample", "articles", ["is_sample"])


def downgrade() -> None:
    op.drop_table("articles")
    op.drop_table("sources")
