"""Article metadata from extraction, and the raw pages kept for re-extraction.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("description", sa.Text))
        batch.add_column(sa.Column("modified_at", UTCDateTime))
        batch.add_column(sa.Column("image", sa.Text))
        batch.add_column(sa.Column("body_html", sa.Text))
        batch.add_column(sa.Column("credits", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("dateline", sa.Text))
    op.create_table(
        "raw_pages",
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_raw_pages"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_raw_pages_article_id_articles", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("raw_pages")
    with op.batch_alter_table("articles") as batch:
        for column in ("dateline", "credits", "body_html", "image", "modified_at", "description"):
            batch.drop_column(column)
