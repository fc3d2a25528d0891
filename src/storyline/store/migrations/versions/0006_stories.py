"""Stories: article assignments, merges (redirects), related stories, embedding cache, clusterer checkpoint.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("merged_into", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    op.create_index("ix_stories_merged_into", "stories", ["merged_into"])
    op.create_table(
        "story_articles",
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("story_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("assigned_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_story_articles"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_story_articles_article_id_articles",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_story_articles_story_id", "story_articles", ["story_id"])
    op.create_table(
        "story_related",
        sa.Column("story_id", sa.Integer, nullable=False),
        sa.Column("related_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("story_id", "related_id", name="pk_story_related"),
    )
    op.create_table(
        "embeddings",
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("model", "key", name="pk_embeddings"),
    )
    op.create_table(
        "cluster_checkpoints",
        sa.Column("id", sa.Integer, autoincrement=False),
        sa.Column("last_article_id", sa.Integer, nullable=False),
        sa.Column("saved_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cluster_checkpoints"),
    )


def downgrade() -> None:
    for table in ("cluster_checkpoints", "embeddings", "story_related", "story_articles", "stories"):
        op.drop_table(table)
