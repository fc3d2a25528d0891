"""Search in the SQL store: full-text matches ranked by the database, and highlighted passages.

SQLite ranks with FTS5's bm25 (a title word weighs four text words, migration 0010);
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
from storyline.types import MARK_END, MARK_START, SearchFilters, SearchMatch, SearchSnippet, SearchTerms

# Words of a passage around its best match (FTS5 counts tokens, PostgreSQL words).
PASSAGE_WORDS = 32
_PG_CONFIG = sa.literal_column("'english'::regconfig")
_PG_TEXT_CHARS = 300_000  # as indexed (migration 0010)
_fts = sa.table("article_search", sa.column("rowid", sa.Integer), sa.column("rank", sa.Float))
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
    else:
        # A group of copies is found once, by its first article (its copies carry the same words).
        conditions.append(~sa.exists().where(duplicates.c.article_id == articles.c.id,
                                             duplicates.c.duplicate_of.is_not(None)))
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
                       limit: int) -> list[SearchMatch]:
        if not terms.groups:
            return []
        if self._engines.dialect == "postgresql":
            tsquery = _pg_query(terms)
            score = sa.func.ts_rank_cd(_pg.c.vector, tsquery, 1)  # 1: divided by 1 + log(length)
            key = _pg.c.article_id
            query = (sa.select(key, score.label("score"), story_articles.c.story_id)
                     .select_from(_pg.join(articles, articles.c.id == key))
                     .where(_pg.c.vector.op("@@")(tsquery))
                     .order_by(score.desc(), key))
        else:
            key = _fts.c.rowid
            query = (sa.select(key, (-_fts.c.rank).label("score"), story_articles.c.story_id)
                     .select_from(_fts.join(articles, articles.c.id == key))
                     .where(sa.text("article_search MATCH :match").bindparams(match=fts5_match(terms)))
                     .order_by(_fts.c.rank, key))
        query = (query.outerjoin(story_articles, story_articles.c.article_id == articles.c.id)
                 .where(*_filters(filters)).limit(max(0, limit)))
        rows = self._read("searching articles", lambda c: c.execute(query).all())
        return [SearchMatch(int(r[0]), float(r[1]), None if r[2] is None else int(r[2])) for r in rows]

    def search_snippets(self: _StoreInternals, terms: SearchTerms,
                        article_ids: Sequence[int]) -> list[SearchSnippet]:
        if not terms.groups or not article_ids:
            return []
        ids = sorted(set(article_ids))
        if self._engines.dialect == "postgresql":
            tsquery = _pg_query(terms)
            marks = f'StartSel="{MARK_START}", StopSel="{MARK_END}"'
            title = sa.func.ts_headline(_PG_CONFIG, articles.c.title, tsquery, f"HighlightAll=true, {marks}")
            passage = sa.func.ts_headline(
                _PG_CONFIG, sa.func.left(articles.c.text, _PG_TEXT_CHARS), tsquery,
                f'{marks}, MaxWords={PASSAGE_WORDS}, MinWords={PASSAGE_WORDS // 2}, MaxFragments=2, '
                'FragmentDelimiter=" … "')
            query = sa.select(articles.c.id, title, passage).where(articles.c.id.in_(ids))
        else:
            marks = f"char({ord(MARK_START)}), char({ord(MARK_END)})"
            title = sa.literal_column(f"highlight(article_search, 0, {marks})")
            passage = sa.literal_column(f"snippet(article_search, 1, {marks}, '…', {PASSAGE_WORDS})")
            query = (sa.select(_fts.c.rowid, title, passage).select_from(_fts)
                     .where(sa.text("article_search MATCH :match").bindparams(match=fts5_match(terms)),
                            _fts.c.rowid.in_(ids)))
        rows = self._read("highlighting search results", lambda c: c.execute(query).all())
        return [SearchSnippet(int(r[0]), r[1] or "", r[2] or "") for r in rows]

    def article_leads(self: _StoreInternals, article_ids: Sequence[int], *,
                      chars: int) -> dict[int, tuple[str, str]]:
        if not article_ids:
            return {}
        query = (sa.select(articles.c.id, articles.c.title, sa.func.substr(articles.c.text, 1, chars))
                 .where(articles.c.id.in_(sorted(set(article_ids)))))
        rows = self._read("reading articles' leads", lambda c: c.execute(query).all())
        return {int(r[0]): (r[1], r[2] or "") for r in rows}
