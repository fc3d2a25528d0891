"""Table definitions (SQLAlchemy Core), shared by SQLite and PostgreSQL.

This metadata is the schema the latest migration produces; a test compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A datetime stored in UTC and always returned timezone-aware in UTC.

    Naive datetimes are refused: a time without a zone is a bug upstream, and guessing
    a zone here would silently move articles in time.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is UTC and dialect.name == "sqlite":  # most times: already UTC (4 us less a column)
            return value.replace(tzinfo=None)
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given to the store; times must be aware")
        value = value.astimezone(UTC)
        # SQLite keeps text: store naive UTC so string order is time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("folder", sa.Text),
    sa.Column("site_url", sa.Text),
    # Validators for conditional GET: a 304 costs no parse.
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    # Health and schedule, shown on /sources.
    sa.Column("last_fetched_at", UTCDateTime),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("items_per_day", sa.Float),
    sa.Column("latency_ms", sa.Integer),
    sa.Column("next_fetch_at", UTCDateTime),
    sa.Column("interval_s", sa.Integer),
    sa.Index("ix_sources_next_fetch_at", "next_fetch_at"),
)

# Which article a feed item (by its GUID) became: an item whose link or title is edited
# later still maps to the same article.
source_items = sa.Table(
    "source_items",
    metadata,
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("guid", sa.Text, primary_key=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("first_seen_at", UTCDateTime, nullable=False),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("canonical_url", sa.Text, nullable=False, unique=True),
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
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # published_at, else created_at: latest first is the order every list reads in.
    sa.Column("sort_time", UTCDateTime, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("modified_at", UTCDateTime),
    sa.Column("image", sa.Text),
    sa.Column("body_html", sa.Text),
    sa.Column("credits", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("dateline", sa.Text),
    sa.Index("ix_articles_sort_time", "sort_time"),
    sa.Index("ix_articles_content_hash", "content_hash"),
    sa.Index("ix_articles_is_sample", "is_sample"),
)

# The page an article was extracted from, zlib-compressed, so that `storyline reprocess`
# can extract it again after an extractor upgrade. One per article: the latest fetch.
raw_pages = sa.Table(
    "raw_pages",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("url", sa.Text),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

# Near-duplicate copies: every article that joined a group of copies has a row; the group
# is named by its first article (``group_id``), whose own row points at itself.
duplicates = sa.Table(
    "duplicates",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("group_id", sa.Integer, nullable=False),
    sa.Column("duplicate_of", sa.Integer),
    sa.Column("rule", sa.String(32)),
    sa.Column("similarity", sa.Float),
    sa.Index("ix_duplicates_group_id", "group_id"),
)

# Earlier versions of an article its publisher edited (same URL, other title or words): the
# article row holds the latest; each replaced version is kept here, oldest first.
article_revisions = sa.Table(
    "article_revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("stored_at", UTCDateTime, nullable=False),  # when this version was stored
    sa.Column("replaced_at", UTCDateTime, nullable=False),  # when a newer version replaced it
    sa.Index("ix_article_revisions_article_id", "article_id"),
)

# Stories: a story is named by the id the clusterer gave it. A merged story keeps its row,
# pointing at the story it was folded into, so its URL redirects.
stories = sa.Table(
    "stories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("merged_into", sa.Integer),
    sa.Index("ix_stories_merged_into", "merged_into"),
)

story_articles = sa.Table(
    "story_articles",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("story_id", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("assigned_at", UTCDateTime, nullable=False),
    sa.Index("ix_story_articles_story_id", "story_id"),
)

# Nearest other stories, stored when an article is assigned.
story_related = sa.Table(
    "story_related",
    metadata,
    sa.Column("story_id", sa.Integer, primary_key=True),
    sa.Column("related_id", sa.Integer, primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
)

# Embeddings by model and content hash of the embedded text: a text is embedded once.
embeddings = sa.Table(
    "embeddings",
    metadata,
    sa.Column("model", sa.String(128), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("vector", sa.LargeBinary, nullable=False),
)

# The story clusterer's state at its last checkpoint, and the last article it had seen:
# after a restart, articles after it are replayed (assignment is deterministic).
# Numbers handed out by the database (story ids), so that processes sharing a store never
# give two things the same id: each takes a block with one atomic update.
id_counters = sa.Table(
    "id_counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("next_value", sa.BigInteger, nullable=False),
)

# Who may write a piece of shared state (the story assigner): one holder at a time, until
# ``expires_at``; a holder renews with each write, and a dead holder's lease runs out.
# ``progress`` is the holder's last article id, so other processes can wait for it.
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("progress", sa.BigInteger, nullable=False, server_default="0"),
)

cluster_checkpoints = sa.Table(
    "cluster_checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_article_id", sa.Integer, nullable=False),
    sa.Column("saved_at", UTCDateTime, nullable=False),
    sa.Column("state", sa.LargeBinary, nullable=False),
)

# Entities of the archive: one row per person, organisation or place across articles and
# spellings. Their spellings and the keys later articles are joined by are in entity_aliases.
entities = sa.Table(
    "entities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("tied_to", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

entity_aliases = sa.Table(
    "entity_aliases",
    metadata,
    sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("alias", sa.Text, nullable=False),
    sa.Index("ix_entity_aliases_key", "key"),
)

# Which entities an article names, and how often; replaced whole when the article is analysed again.
article_entities = sa.Table(
    "article_entities",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("mentions", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),  # as the article names it at its fullest
    sa.Index("ix_article_entities_entity_id", "entity_id"),
)

# Direct quotes, in article order; the speaker's entity when the quote's speaker is one.
quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("speaker", sa.Text),
    sa.Column("speaker_as_written", sa.Text),
    sa.Column("entity_id", sa.Integer, sa.ForeignKey("entities.id", ondelete="SET NULL")),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Index("ix_quotes_entity_id", "entity_id"),
)

# Each article's key points, as JSON (``store.sql_summaries``).
article_key_points = sa.Table(
    "article_key_points",
    metadata,
    sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("points", sa.Text, nullable=False),
)

# Each story's summary and timeline, as JSON, and the articles they were made from (``basis``).
story_summaries = sa.Table(
    "story_summaries",
    metadata,
    sa.Column("story_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("basis", sa.String(64), nullable=False),
    sa.Column("method", sa.String(200), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("timeline", sa.Text, nullable=False),
    sa.Column("made_at", UTCDateTime, nullable=False),
)

# The full-text index (migration 0010): an FTS5 table and its shadow tables on SQLite, a
# tsvector table on PostgreSQL. Not declarable here; ``include_name`` keeps schema
# comparisons (Alembic's, the tests') off them.
SEARCH_TABLES = "article_search"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's ``include_name``: everything but the full-text index's tables."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLES))
