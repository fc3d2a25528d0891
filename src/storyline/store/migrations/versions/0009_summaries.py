"""Summaries: each article's key points, each story's cited summary and timeline.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_key_points",
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("points", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_article_key_points"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_article_key_points_article_id_articles",
                                ondelete="CASCADE"),
    )
    op.create_table(
        "story_summaries",
        sa.Column("story_id", sa.Integer, autoincrement=False),
        sa.Column("basis", sa.String(64), nullable=False),
        sa.Column("method", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("timeline", sa.Text, nullable=False),
        sa.Column("made_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("story_id", name="pk_story_summaries"),
    )


def downgrade() -> None:
    for table in ("story_summaries", "article_key_points"):
        op.drop_table(table)
