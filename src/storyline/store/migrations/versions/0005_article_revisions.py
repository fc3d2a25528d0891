"""Article revisions: the earlier titles and texts of an article its publisher edited.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("stored_at", UTCDateTime, nullable=False),
        sa.Column("replaced_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_article_revisions"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_article_revisions_article_id_articles",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_article_revisions_article_id", "article_revisions", ["article_id"])


def downgrade() -> None:
    op.drop_table("article_revisions")
