"""Entities and quotes: the archive's entities, their spellings, which articles name them, direct quotes.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from storyline.store.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("tied_to", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
    )
    op.create_table(
        "entity_aliases",
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("alias", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "key", name="pk_entity_aliases"),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name="fk_entity_aliases_entity_id_entities",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_entity_aliases_key", "entity_aliases", ["key"])
    op.create_table(
        "article_entities",
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("mentions", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "entity_id", name="pk_article_entities"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_article_entities_article_id_articles",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name="fk_article_entities_entity_id_entities",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_article_entities_entity_id", "article_entities", ["entity_id"])
    op.create_table(
        "quotes",
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("speaker", sa.Text),
        sa.Column("speaker_as_written", sa.Text),
        sa.Column("entity_id", sa.Integer),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "position", name="pk_quotes"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_quotes_article_id_articles",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name="fk_quotes_entity_id_entities",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_quotes_entity_id", "quotes", ["entity_id"])


def downgrade() -> None:
    for table in ("quotes", "article_entities", "entity_aliases", "entities"):
        op.drop_table(table)
