"""Sources in the SQL store: subscriptions, their validators, schedule and health."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from storyline.store.engine import Engines
from storyline.store.schema import articles, source_items, sources
from storyline.types import Source, SourceHealth, SourceKind

# Kinds that are fetched over HTTP (and so scheduled).
FETCHED_KINDS = (SourceKind.FEED.value, SourceKind.SITEMAP.value, SourceKind.PAGE.value)


def source_of(row: Row[Any]) -> Source:
    """A sources row as a Source."""
    m = row._mapping
    return Source(
        id=m["id"], kind=SourceKind(m["kind"]), url=m["url"], title=m["title"], created_at=m["created_at"],
        folder=m["folder"], site_url=m["site_url"], etag=m["etag"], last_modified=m["last_modified"],
        health=SourceHealth(
            last_fetched_at=m["last_fetched_at"], last_status=m["last_status"], last_error=m["last_error"],
            consecutive_failures=m["consecutive_failures"] or 0, paused=bool(m["paused"]),
            items_per_day=m["items_per_day"], latency_ms=m["latency_ms"], next_fetch_at=m["next_fetch_at"],
            interval_s=m["interval_s"],
        ),
    )


class _StoreInternals(Protocol):
    _engines: Engines
    _insert: Callable[..., Any]

    def _errors(self, action: str) -> AbstractContextManager[None]: ...
    def _read(self, action: str, query: Callable[[Connection], Any]) -> Any: ...


class SourceQueries:
    """The source half of SQLStore (mixed in); see the Store protocol for the guarantees."""

    def ensure_source(
        self: _StoreInternals, kind: SourceKind, url: str, title: str, *, folder: str | None = None,
        site_url: str | None = None,
    ) -> Source:
        with self._errors("saving a source"), self._engines.write() as conn:
            conn.execute(
                self._insert(sources)
                .values(kind=kind.value, url=url, title=title, created_at=datetime.now(UTC), folder=folder,
                        site_url=site_url, consecutive_failures=0, paused=False)
                .on_conflict_do_nothing(index_elements=["url"])
            )
            return source_of(conn.execute(sa.select(sources).where(sources.c.url == url)).one())

    def get_source(self: _StoreInternals, source_id: int) -> Source | None:
        query = sa.select(sources).where(sources.c.id == source_id)
        row = self._read("reading a source", lambda c: c.execute(query).one_or_none())
        return source_of(row) if row is not None else None

    def find_source(self: _StoreInternals, key: str) -> Source | None:
        """The source whose id (as text), URL or title is ``key``."""
        condition = sa.or_(sources.c.url == key, sources.c.title == key)
        if key.isdigit():
            condition = sa.or_(condition, sources.c.id == int(key))
        query = sa.select(sources).where(condition).order_by(sources.c.id).limit(1)
        row = self._read("reading a source", lambda c: c.execute(query).one_or_none())
        return source_of(row) if row is not None else None

    def list_sources(self: _StoreInternals, kinds: Sequence[SourceKind] | None = None) -> list[Source]:
        query = sa.select(sources).order_by(sources.c.id)
        if kinds:
            query = query.where(sources.c.kind.in_([k.value for k in kinds]))
        return [source_of(row) for row in self._read("listing sources", lambda c: c.execute(query).all())]

    def remove_source(self: _StoreInternals, source_id: int) -> bool:
        with self._errors("removing a source"), self._engines.write() as conn:
            # Articles stay: they were read, maybe saved; they only lose their source link.
            conn.execute(articles.update().where(articles.c.source_id == source_id).values(source_id=None))
            return bool(conn.execute(sources.delete().where(sources.c.id == source_id)).rowcount)

    def due_sources(self: _StoreInternals, now: datetime, *, limit: int = 100) -> list[Source]:
        query = (
            sa.select(sources)
            .where(sources.c.kind.in_(FETCHED_KINDS), sa.not_(sources.c.paused),
                   sa.or_(sources.c.next_fetch_at.is_(None), sources.c.next_fetch_at <= now))
            .order_by(sources.c.next_fetch_at.is_not(None), sources.c.next_fetch_at, sources.c.id)
            .limit(limit)
        )
        return [source_of(row) for row in self._read("listing due sources", lambda c: c.execute(query).all())]

    def update_source(self: _StoreInternals, source_id: int, **values: Any) -> None:
        """Set columns of one source (validators, health, schedule, url, title, paused)."""
        allowed = {c.name for c in sources.columns} - {"id", "created_at"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not source columns: {sorted(unknown)}")
        with self._errors("updating a source"), self._engines.write() as conn:
            conn.execute(sources.update().where(sources.c.id == source_id).values(**values))

    def update_sources(self: _StoreInternals, updates: Mapping[int, Mapping[str, Any]]) -> None:
        """``update_source`` for many sources (source id -> columns), in one transaction."""
        allowed = {c.name for c in sources.columns} - {"id", "created_at"}
        for values in updates.values():
            unknown = set(values) - allowed
            if unknown:
                raise ValueError(f"not source columns: {sorted(unknown)}")
        if not updates:
            return
        # One executemany per set of columns: a statement per source costs more than the write.
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for source_id, values in updates.items():
            by_columns.setdefault(tuple(sorted(values)), []).append({"source_id_": source_id, **values})
        with self._errors("updating sources"), self._engines.write() as conn:
            for columns, rows in by_columns.items():
                statement = (sources.update().where(sources.c.id == sa.bindparam("source_id_"))
                             .values({c: sa.bindparam(c) for c in columns}))
                conn.execute(statement, rows)

    def item_articles(self: _StoreInternals, source_id: int, guids: Sequence[str]) -> dict[str, int]:
        """For feed item GUIDs already seen from this source: guid -> article id."""
        if not guids:
            return {}

        def query(conn: Connection) -> dict[str, int]:
            found: dict[str, int] = {}
            for chunk in _chunks(list(guids), 500):
                rows = conn.execute(
                    sa.select(source_items.c.guid, source_items.c.article_id)
                    .where(source_items.c.source_id == source_id, source_items.c.guid.in_(chunk))
                )
                found.update({r.guid: r.article_id for r in rows})
            return found

        return self._read("reading feed items", query)


def record_items(
    conn: Connection, insert: Callable[..., Any], source_id: int, items: Sequence[tuple[str, int]]
) -> None:
    """Record which article each feed item GUID became (first sighting wins), in the caller's transaction.

    ``insert`` is the dialect's insert (it has ``on_conflict_do_nothing``).
    """
    if not items:
        return
    now = datetime.now(UTC)
    rows = [{"source_id": source_id, "guid": guid, "article_id": article_id, "first_seen_at": now}
            for guid, article_id in dict(items).items()]
    conn.execute(insert(source_items).on_conflict_do_nothing(index_elements=["source_id", "guid"]), rows)


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
