"""Duplicates in the SQL store: copy links and syndication groups."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storyline.store.engine import Engines
from storyline.store.rows import stored_article
from storyline.store.schema import articles, duplicates
from storyline.types import DuplicateLink, StoredArticle


class _StoreInternals(Protocol):
    _engines: Engines
    _insert: Callable[..., Any]

    def _errors(self, action: str) -> AbstractContextManager[None]: ...
    def _read(self, action: str, query: Callable[[Connection], Any]) -> Any: ...


class DuplicateQueries:
    """The duplicates half of SQLStore (mixed in); see the Store protocol for the guarantees."""

    def save_duplicates(self: _StoreInternals, links: Sequence[DuplicateLink]) -> None:
        if not links:
            return
        rows = [{"article_id": link.article_id, "group_id": link.group_id, "duplicate_of": link.duplicate_of,
                 "rule": link.rule, "similarity": link.similarity} for link in links]
        with self._errors("recording duplicates"), self._engines.write() as conn:
            conn.execute(
                self._insert(duplicates).on_conflict_do_update(
                    index_elements=["article_id"],
                    set_={"group_id": sa.literal_column("excluded.group_id"),
                          "duplicate_of": sa.literal_column("excluded.duplicate_of"),
                          "rule": sa.literal_column("excluded.rule"),
                          "similarity": sa.literal_column("excluded.similarity")},
                ),
                rows,
            )

    def group_members(self: _StoreInternals, article_id: int) -> list[StoredArticle]:
        """Every article in ``article_id``'s group of copies, oldest first; [] when it has none."""
        group = sa.select(duplicates.c.group_id).where(duplicates.c.article_id == article_id).scalar_subquery()
        query = (
            sa.select(articles)
            .join(duplicates, duplicates.c.article_id == articles.c.id)
            .where(duplicates.c.group_id == group)
            .order_by(articles.c.sort_time, articles.c.id)
        )
        return [stored_article(row) for row in self._read("reading copies", lambda c: c.execute(query).all())]

    def dedupe_recent(self: _StoreInternals, limit: int) -> list[StoredArticle]:
        """The ``limit`` most recent articles, oldest first: what the duplicate index is rebuilt from."""
        query = sa.select(articles).order_by(articles.c.sort_time.desc(), articles.c.id.desc()).limit(limit)
        rows = self._read("reading recent articles", lambda c: c.execute(query).all())
        return [stored_article(row) for row in reversed(rows)]

    def copy_counts(self: _StoreInternals, article_ids: Sequence[int]) -> dict[int, int]:
        """For group roots among ``article_ids``: how many other copies their group has."""
        if not article_ids:
            return {}
        query = (
            sa.select(duplicates.c.group_id, sa.func.count())
            .where(duplicates.c.group_id.in_(list(article_ids)), duplicates.c.article_id != duplicates.c.group_id)
            .group_by(duplicates.c.group_id)
        )
        return {int(gid): int(n) for gid, n in self._read("counting copies", lambda c: c.execute(query).all())}
