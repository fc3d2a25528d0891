"""The one Store implementation: SQLAlchemy Core over SQLite or PostgreSQL."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from storyline.errors import DiskFullError, SchemaError, StoreError, StoreUnavailableError, StorylineError
from storyline.store import migrate
from storyline.store.engine import Engines, create_engines, display_url
from storyline.store.rows import article_values, stored_article
from storyline.store.schema import article_revisions, articles, duplicates, raw_pages, sources
from storyline.store.sql_duplicates import DuplicateQueries
from storyline.store.sql_entities import EntityQueries
from storyline.store.sql_search import SearchQueries
from storyline.store.sql_sources import SourceQueries, record_items
from storyline.store.sql_stories import StoryQueries
from storyline.store.sql_summaries import SummaryQueries
from storyline.types import (
    Article,
    ArticleRevision,
    RawPage,
    SourceKind,
    StoredArticle,
    StoreStats,
    UpsertOutcome,
    UpsertResult,
)

# What a full disk (or quota) looks like in SQLite's and PostgreSQL's messages.
_DISK_FULL = re.compile(r"database or disk is full|no space left on device|could not extend file|disk quota exceeded",
                        re.IGNORECASE)

T = TypeVar("T")
# The advisory lock that puts PostgreSQL article inserts in id order (``upsert_articles``).
_ARTICLES_LOCK = 0x5354_4152

_COMPARED_FIELDS = ("url", "title", "text", "content_hash", "outlet", "published_at", "authors",
                    "language", "word_count", "is_sample", "licence", "description", "modified_at",
                    "image", "body_html", "credits", "dateline")


def _now() -> datetime:
    return datetime.now(UTC)


class SQLStore(SourceQueries, DuplicateQueries, StoryQueries, EntityQueries, SummaryQueries, SearchQueries):
    """Store over SQLAlchemy Core; see :mod:`storyline.store.protocol` for the guarantees."""

    def __init__(self, engines: Engines, url: str) -> None:
        self._engines = engines
        self._url = url
        self._insert: Callable[..., Any] = (
            sqlite.insert if engines.dialect == "sqlite" else postgresql.insert
        )

    @property
    def dialect(self) -> str:
        return self._engines.dialect

    @property
    def generation(self) -> int:
        return self._engines.generation

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Wrap database errors where they enter, naming the store and the action."""
        try:
            yield
        except StorylineError:
            raise
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            # OperationalError is the DB-API's "the database itself is not usable" (server
            # gone, file missing or locked, not a database), as opposed to a bad statement.
            unusable = isinstance(exc, OperationalError) or "not a database" in reason
            if _DISK_FULL.search(reason):  # SQLite's SQLITE_FULL, PostgreSQL's ENOSPC / quota
                raise DiskFullError(self._url, f"the disk is full while {action} ({reason})") from exc
            if exc.connection_invalidated or unusable:
                message = f"the database is not usable while {action} ({reason})"
                raise StoreUnavailableError(self._url, message) from exc
            raise StoreError(self._url, f"database error while {action} ({reason})") from exc
        except SQLAlchemyError as exc:
            raise StoreError(self._url, f"database error while {action} ({exc})") from exc

    def _read(self, action: str, query: Callable[[Connection], T]) -> T:
        with self._errors(action), self._engines.read() as conn:
            return query(conn)

    # -- articles -----------------------------------------------------------------------

    def upsert_articles(
        self, batch: Sequence[Article], *, source_id: int | None = None, revisions: bool = True,
        guids: Sequence[str | None] | None = None,
    ) -> list[UpsertResult]:
        if guids is not None and len(guids) != len(batch):
            raise ValueError(f"{len(guids)} guids for {len(batch)} articles")
        with self._errors("storing articles"), self._engines.write() as conn:
            if conn.dialect.name == "postgresql":
                # Ids in commit order: a sequence hands ids out before commit, so without this a
                # reader could see article 101 while 100 is still being written, and a stage that
                # follows the store in id order (stories, copies) would pass 100 by for good.
                # SQLite has one writer already. The lock lasts one short transaction.
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ARTICLES_LOCK})")
            results = self._upsert_batch(conn, batch, source_id, revisions)
            if guids is not None and source_id is not None:
                # One transaction, not two: a commit costs more than the rows (a feed refresh's
                # writes were mostly commits).
                record_items(conn, self._insert, source_id, [(guid, result.article_id)
                                                 for guid, result in zip(guids, results, strict=True) if guid])
            return results

    def _upsert_batch(
        self, conn: Connection, batch: Sequence[Article], source_id: int | None, revisions: bool
    ) -> list[UpsertResult]:
        """Insert new URLs in one multi-row statement; compare and update the others one by one.

        (One statement per article cost ~1 ms of SQLAlchemy work each: the store was the
        slowest stage of a feed refresh.)
        """
        now = _now()
        results: list[UpsertResult | None] = [None] * len(batch)
        first_index: dict[str, int] = {}
        new_rows: list[dict[str, Any]] = []
        later: list[int] = []  # positions to compare and update after the inserts
        for index, article in enumerate(batch):
            if article.canonical_url in first_index:
                later.append(index)  # the same URL twice in one batch: the second is an update
                continue
            first_index[article.canonical_url] = index
            new_rows.append({**article_values(article), "source_id": source_id, "created_at": now,
                             "updated_at": now, "sort_time": article.published or now})
        if new_rows:
            inserted = {
                row.canonical_url: row.id
                for row in conn.execute(
                    self._insert(articles)
                    .on_conflict_do_nothing(index_elements=["canonical_url"])
                    .returning(articles.c.canonical_url, articles.c.id),
                    new_rows,
                )
            }
            for url, index in first_index.items():
                if url in inserted:
                    results[index] = UpsertResult(inserted[url], UpsertOutcome.INSERTED)
                else:
                    later.append(index)  # stored already (or by a concurrent writer)
        for index in sorted(later):
            results[index] = self._update_one(conn, batch[index], source_id, now, revisions)
        return [r for r in results if r is not None]

    def _update_one(
        self, conn: Connection, article: Article, source_id: int | None, now: datetime, revisions: bool
    ) -> UpsertResult:
        values = article_values(article)
        current = conn.execute(
            sa.select(articles).where(articles.c.canonical_url == article.canonical_url)
        ).one()._mapping
        if all(_same(current[name], values[name]) for name in _COMPARED_FIELDS):
            return UpsertResult(current["id"], UpsertOutcome.UNCHANGED)
        edited = current["title"] != values["title"] or current["content_hash"] != values["content_hash"]
        if revisions and edited and (current["text"] or current["title"]):
            # The publisher edited it: one article still, its earlier version kept.
            conn.execute(article_revisions.insert().values(
                article_id=current["id"], title=current["title"], text=current["text"],
                content_hash=current["content_hash"], stored_at=current["updated_at"], replaced_at=now,
            ))
        conn.execute(
            articles.update()
            .where(articles.c.id == current["id"])
            .values(
                **values,
                source_id=source_id if source_id is not None else current["source_id"],
                updated_at=now,
                sort_time=article.published or current["created_at"],
            )
        )
        return UpsertResult(current["id"], UpsertOutcome.UPDATED)

    def get_article(self, article_id: int) -> StoredArticle | None:
        query = sa.select(articles).where(articles.c.id == article_id)
        row = self._read("reading an article", lambda c: c.execute(query).one_or_none())
        return stored_article(row) if row is not None else None

    def article_revisions(self, article_id: int) -> list[ArticleRevision]:
        query = (sa.select(article_revisions).where(article_revisions.c.article_id == article_id)
                 .order_by(article_revisions.c.id))
        rows = self._read("reading an article's revisions", lambda c: c.execute(query).all())
        return [ArticleRevision(r.article_id, r.title, r.text, r.content_hash, r.stored_at, r.replaced_at)
                for r in rows]

    def get_article_by_url(self, canonical_url: str) -> StoredArticle | None:
        query = sa.select(articles).where(articles.c.canonical_url == canonical_url)
        row = self._read("reading an article", lambda c: c.execute(query).one_or_none())
        return stored_article(row) if row is not None else None

    def latest_articles(self, *, limit: int, offset: int = 0, fold_copies: bool = False) -> list[StoredArticle]:
        query = sa.select(articles)
        if fold_copies:
            # One entry per group of copies: its first article stands for the others.
            is_copy = sa.exists().where(duplicates.c.article_id == articles.c.id,
                                        duplicates.c.duplicate_of.is_not(None))
            query = query.where(~is_copy)
        query = (
            query
            .order_by(articles.c.sort_time.desc(), articles.c.id.desc())
            .limit(max(0, limit))
            .offset(max(0, offset))
        )
        rows = self._read("listing articles", lambda c: c.execute(query).all())
        return [stored_article(row) for row in rows]

    def count_articles(self) -> int:
        query = sa.select(sa.func.count()).select_from(articles)
        return self._read("counting articles", lambda c: c.execute(query).scalar_one())

    def stats(self) -> StoreStats:
        def query(conn: Connection) -> StoreStats:
            row = conn.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count(sa.case((articles.c.is_sample, 1))),
                    sa.func.count(sa.distinct(articles.c.outlet)),
                    sa.func.max(articles.c.sort_time),
                    sa.func.min(articles.c.sort_time),
                )
            ).one()
            source_count = conn.execute(sa.select(sa.func.count()).select_from(sources)).scalar_one()
            # Aggregates lose the column type on SQLite; bring them back through it.
            as_utc = articles.c.sort_time.type.process_result_value
            return StoreStats(
                articles=row[0],
                sample_articles=row[1],
                outlets=row[2],
                sources=source_count,
                newest=as_utc(_to_datetime(row[3]), conn.dialect),
                oldest=as_utc(_to_datetime(row[4]), conn.dialect),
            )

        return self._read("computing statistics", query)

    def delete_sample_articles(self) -> int:
        with self._errors("deleting the sample"), self._engines.write() as conn:
            deleted = conn.execute(articles.delete().where(articles.c.is_sample)).rowcount
            conn.execute(sources.delete().where(sources.c.kind == SourceKind.SAMPLE.value))
            return deleted

    # -- raw pages ----------------------------------------------------------------------

    def save_raw_pages(self, pages: Sequence[RawPage]) -> None:
        with self._errors("keeping raw pages"), self._engines.write() as conn:
            for page in pages:
                values = {
                    "url": page.url, "origin": page.origin, "fetched_at": page.fetched_at,
                    "content": zlib.compress(page.html.encode("utf-8"), 6),
                }
                conn.execute(
                    self._insert(raw_pages)
                    .values(article_id=page.article_id, **values)
                    .on_conflict_do_update(index_elements=["article_id"], set_=values)
                )

    def prune_raw_pages(self, fetched_before: datetime) -> int:
        with self._errors("pruning raw pages"), self._engines.write() as conn:
            return conn.execute(raw_pages.delete().where(raw_pages.c.fetched_at < fetched_before)).rowcount

    def raw_pages(self, *, after_article_id: int = 0, limit: int = 100) -> list[RawPage]:
        query = (
            sa.select(raw_pages)
            .where(raw_pages.c.article_id > after_article_id)
            .order_by(raw_pages.c.article_id)
            .limit(limit)
        )
        rows = self._read("reading raw pages", lambda c: c.execute(query).all())
        return [
            RawPage(
                article_id=r.article_id, url=r.url, origin=r.origin, fetched_at=r.fetched_at,
                html=zlib.decompress(r.content).decode("utf-8"),
            )
            for r in rows
        ]

    def close(self) -> None:
        self._engines.dispose()


def _to_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _same(stored: Any, given: Any) -> bool:
    if isinstance(given, datetime) and isinstance(stored, datetime):
        return stored == given.astimezone(UTC)
    if isinstance(given, list):
        return list(stored or []) == given
    return stored == given


def open_store(url: str, *, sqlite_readers: int = 4, migrate_schema: bool = True) -> SQLStore:
    """Open the store at ``url``, migrating its schema to the latest version.

    With ``migrate_schema=False`` a database that is not at the latest version raises
    :class:`~storyline.errors.SchemaError` instead.
    """
    engines = create_engines(url, sqlite_readers=sqlite_readers)
    shown = display_url(url)
    try:
        with engines.write() as conn:
            current = migrate.current_revision(conn)
            if migrate_schema:
                migrate.upgrade(conn)
            elif current != migrate.head_revision():
                raise SchemaError(shown, f"schema is at version {current or 'none'}, "
                                  f"this Storyline needs {migrate.head_revision()}")
    except StorylineError:
        engines.dispose()
        raise
    except SQLAlchemyError as exc:
        engines.dispose()
        raise StoreError(shown, f"cannot prepare the database schema ({exc})") from exc
    return SQLStore(engines, shown)
