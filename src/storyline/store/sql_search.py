"""Search in the SQL store: full-text matches ranked by the database.

SQLite ranks with FTS5's bm25 (a title word weighs four text words);
PostgreSQL with ``ts_rank_cd`` over the ``article_search`` tsvectors (title weight A, text
B). Every phrase of :class:`SearchTerms` goes to the database as data: quoted inside an
FTS5 string (``"`` doubled), or as a bound parameter of ``phraseto_tsquery``. No text of
the reader's is ever read as query syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.engine import Connection

from storyline.store.engine import Engines
from storyline.store.schema import article_entities, articles, duplicates, story_articles
from storyline.types import SearchFilters, SearchMatch, SearchTerms

# Matches scored per search: the newest this many (by id, i.e. arrival) within the filters.
RANK_WINDOW = 2_000
TITLE_WEIGHT = 4.0
_PG_CONFIG = sa.literal_column("'english'::regconfig")
_fts = sa.table("article_search", sa.column("rowid", sa.Integer))
_pg = sa.table("article_search", sa.column("article_id", sa.Integer), sa.column("vector", TSVECTOR))


class _StoreInternals(Protocol):
    _engines: Engines

    def _errors(self, action: str) -> AbstractContextManager[None]: ...
    def _read(self, action: str, query: Callable[[Connection], Any]) -> Any: ...


def fts5_match(terms: SearchTerms) -> str:
    """The FTS5 MATCH string for ``terms``: every phrase a quoted string, joined by AND, OR, NOT."""
    def quoted(phrase: str) -> str:
        return '"' + phrase.replace('"', '""') + '"'

    groups = ["(" + " OR ".join(quoted(p) for p in group) + ")" for group in terms.groups]
    match = " AND ".join(groups)
    if terms.excluded:
        match += " NOT (" + " OR ".join(quoted(p) for p in terms.excluded) + ")"
    return match


def _pg_query(terms: SearchTerms) -> sa.ColumnElement[Any]:
    """The tsquery for ``terms``, built from ``phraseto_tsquery`` of bound parameters."""
    def phrase(text: str) -> sa.ColumnElement[Any]:
        return sa.func.phraseto_tsquery(_PG_CONFIG, sa.literal(text, sa.Text), type_=TSQUERY)

    def either(phrases: Sequence[str]) -> sa.ColumnElement[Any]:
        query = phrase(phrases[0])
        for other in phrases[1:]:
            query = sa.func.tsquery_or(query, phrase(other), type_=TSQUERY)
        return query

    query = either(terms.groups[0])
    for group in terms.groups[1:]:
        query = sa.func.tsquery_and(query, either(group), type_=TSQUERY)
    if terms.excluded:
        query = sa.func.tsquery_and(query, sa.func.tsquery_not(either(terms.excluded), type_=TSQUERY),
                                    type_=TSQUERY)
    return query


def _filters(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.outlet is not None:
        conditions.append(sa.func.lower(articles.c.outlet) == filters.outlet.casefold())
    if filters.since is not None:
        conditions.append(articles.c.sort_time >= filters.since)
    if filters.until is not None:
        conditions.append(articles.c.sort_time < filters.until)
    if filters.entity_id is not None:
        conditions.append(sa.exists().where(article_entities.c.article_id == articles.c.id,
                                            article_entities.c.entity_id == filters.entity_id))
    if filters.language is not None:
        language = filters.language.casefold()
        lowered = sa.func.lower(articles.c.language)
        conditions.append(sa.or_(lowered == language, lowered.like(language + "-%")))
    return conditions


class SearchQueries:
    """The search half of SQLStore (mixed in); see the Store protocol for the guarantees."""

    def search_matches(self: _StoreInternals, terms: SearchTerms, filters: SearchFilters, *,
                       limit: int, window: int = RANK_WINDOW) -> list[SearchMatch]:
        if not terms.groups:
            return []
        # The newest ``window`` matches within the filters, in id order (both indexes give that
        # order without scoring), then scored, and the best ``limit`` kept: scoring every match
        # of a word half the archive has would cost ~3 us a match (see docs/search.md).
        conditions = _filters(filters)
        if self._engines.dialect == "postgresql":
            tsquery = _pg_query(terms)
            key = _pg.c.article_id
            # Scored outside the id-ordered cut, so that only the window's vectors are ranked.
            cut = sa.select(key.label("id"), _pg.c.vector.label("vector")).where(_pg.c.vector.op("@@")(tsquery))
            if conditions:
                cut = cut.join_from(_pg, articles, articles.c.id == key).where(*conditions)
            cut_query = cut.order_by(key.desc()).limit(max(0, window)).subquery("cut")
            newest = sa.select(cut_query.c.id, sa.func.ts_rank_cd(cut_query.c.vector, tsquery, 1).label("score")
                               ).subquery("newest")
            best = newest.c.score.desc()
        else:
            key = _fts.c.rowid
            # bm25 is lower for better matches; a title word weighs TITLE_WEIGHT text words.
            score = sa.literal_column(f"bm25(article_search, {TITLE_WEIGHT}, 1.0)")
            cut = (sa.select(key.label("id"), score.label("score"))
                   .where(sa.text("article_search MATCH :match").bindparams(match=fts5_match(terms))))
            if conditions:
                cut = cut.join_from(_fts, articles, articles.c.id == key).where(*conditions)
            newest = cut.order_by(key.desc()).limit(max(0, window)).subquery("newest")
            best = newest.c.score.asc()
        query = (sa.select(newest.c.id, newest.c.score, story_articles.c.story_id)
                 .select_from(newest.outerjoin(story_articles, story_articles.c.article_id == newest.c.id))
                 .order_by(best, newest.c.id.desc()).limit(max(0, limit)))
        if filters.outlet is None:
            # A group of copies is found once, by its first article (its copies carry the same
            # words); folded after the cut, where it costs a lookup per window row, not per match.
            query = query.where(~sa.exists().where(duplicates.c.article_id == newest.c.id,
                                                   duplicates.c.duplicate_of.is_not(None)))
        rows = self._read("searching articles", lambda c: c.execute(query).all())
        sign = 1.0 if self._engines.dialect == "postgresql" else -1.0
        return [SearchMatch(int(r[0]), sign * float(r[1]), None if r[2] is None else int(r[2])) for r in rows]

    def article_leads(self: _StoreInternals, article_ids: Sequence[int], *,
                      chars: int) -> dict[int, tuple[str, str]]:
        if not article_ids:
            return {}
        query = (sa.select(articles.c.id, articles.c.title, sa.func.substr(articles.c.text, 1, chars))
                 .where(articles.c.id.in_(sorted(set(article_ids)))))
        rows = self._read("reading articles' leads", lambda c: c.execute(query).all())
        return {int(r[0]): (r[1], r[2] or "") for r in rows}
