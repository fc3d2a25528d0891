"""Summaries in the SQL store: articles' key points and stories' summaries and timelines, kept as JSON.

JSON, not rows per sentence: a summary is read and replaced whole (a story page shows all of
it; a new article rewrites it), and its shape may grow (an LLM's method, more citation
detail) without a migration. What the JSON holds is :func:`summary_record` and friends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from storyline.store.engine import Engines
from storyline.store.schema import article_key_points, story_summaries
from storyline.types import Citation, StorySummary, SummarySentence, TimelineEntry

__all__ = ["SummaryQueries", "sentence_from_record", "sentence_record"]


class _StoreInternals(Protocol):
    _engines: Engines
    _insert: Callable[..., Any]

    def _errors(self, action: str) -> AbstractContextManager[None]: ...
    def _read(self, action: str, query: Callable[[Connection], Any]) -> Any: ...


def sentence_record(sentence: SummarySentence) -> dict[str, Any]:
    return {"text": sentence.text,
            "cites": [[c.article, c.sentence, c.start, c.end, c.text] for c in sentence.cites]}


def sentence_from_record(record: dict[str, Any]) -> SummarySentence:
    return SummarySentence(str(record["text"]),
                           tuple(Citation(c[0], int(c[1]), int(c[2]), int(c[3]), str(c[4]) if len(c) > 4 else "")
                                 for c in record.get("cites", ())))


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SummaryQueries:
    """The summaries half of SQLStore (mixed in); see the Store protocol for the guarantees."""

    def save_key_points(self: _StoreInternals, points: Sequence[tuple[int, Sequence[SummarySentence]]]) -> None:
        if not points:
            return
        rows = [{"article_id": article_id, "points": json.dumps([sentence_record(p) for p in found],
                                                                ensure_ascii=False)}
                for article_id, found in points]
        statement = self._insert(article_key_points)
        statement = statement.on_conflict_do_update(index_elements=["article_id"],
                                                    set_={"points": statement.excluded.points})
        with self._errors("storing key points"), self._engines.write() as conn:
            conn.execute(statement, rows)

    def key_points(self: _StoreInternals, article_id: int) -> list[SummarySentence]:
        query = sa.select(article_key_points.c.points).where(article_key_points.c.article_id == article_id)
        found = self._read("reading key points", lambda c: c.execute(query).scalar())
        return [sentence_from_record(r) for r in json.loads(found)] if found else []

    def save_story_summaries(self: _StoreInternals, summaries: Sequence[tuple[int, StorySummary]]) -> None:
        if not summaries:
            return
        now = datetime.now(UTC)
        rows = [{
            "story_id": story_id, "basis": summary.basis, "method": summary.method[:200],
            "summary": json.dumps([sentence_record(s) for s in summary.sentences], ensure_ascii=False),
            "timeline": json.dumps([{"article": e.article, "time": e.time.isoformat() if e.time else None,
                                     "added": [sentence_record(s) for s in e.added]} for e in summary.timeline],
                                   ensure_ascii=False),
            "made_at": summary.made_at or now,
        } for story_id, summary in summaries]
        statement = self._insert(story_summaries)
        statement = statement.on_conflict_do_update(
            index_elements=["story_id"],
            set_={c: getattr(statement.excluded, c) for c in ("basis", "method", "summary", "timeline", "made_at")})
        with self._errors("storing story summaries"), self._engines.write() as conn:
            conn.execute(statement, rows)

    def story_summary(self: _StoreInternals, story_id: int) -> StorySummary | None:
        query = sa.select(story_summaries).where(story_summaries.c.story_id == story_id)
        row = self._read("reading a story's summary", lambda c: c.execute(query).first())
        if row is None:
            return None
        timeline = tuple(TimelineEntry(e["article"], _time(e.get("time")),
                                       tuple(sentence_from_record(s) for s in e.get("added", ())))
                         for e in json.loads(row.timeline))
        return StorySummary(tuple(sentence_from_record(s) for s in json.loads(row.summary)), timeline,
                            row.basis, row.method, row.made_at)
