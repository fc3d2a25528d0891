"""Duplicates: which article copies which, and the syndication group each belongs to.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duplicates",
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("group_id", sa.Integer, nullable=False),
        sa.Column("duplicate_of", sa.Integer),
        sa.Column("rule", sa.String(32)),
        sa.Column("similarity", sa.Float),
        sa.PrimaryKeyConstraint("article_id", name="pk_duplicates"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_duplicates_article_id_articles",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_duplicates_group_id", "duplicates", ["group_id"])


def downgrade() -> None:
    op.drop_table("duplicates")
