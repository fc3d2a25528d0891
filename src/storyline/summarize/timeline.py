"""A story's timeline: for each report, in the order reported, what it said that no earlier report had.

A sentence is *new* when no sentence of an earlier report (an earlier time; the same time and a smaller id) is
like it (cosine of their content words < ``NEW_BELOW``). A report's entry holds its best new sentences (by
centrality and position); a report that only repeated what was known, or a copy of an earlier one, adds no
entry. The first report's entry is its lead. This is what "new since you last looked" shows: the entries after
a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from storyline.summarize.matrix import Report, StoryMatrix
from storyline.summarize.sentences import quoted_share, usable
from storyline.summarize.summary import citation
from storyline.types import SummarySentence, TimelineEntry

__all__ = ["NEW_BELOW", "timeline"]

NEW_BELOW = 0.4
PER_ENTRY = 2


def _key(report: Report) -> tuple[datetime, str]:
    return (report.time or datetime.max.replace(tzinfo=UTC), str(report.article).rjust(20, "0"))


def timeline(reports: Sequence[Report]) -> tuple[TimelineEntry, ...]:
    """The timeline of a story told by ``reports`` (any order), oldest entry first."""
    ordered = sorted(reports, key=_key)
    if not ordered:
        return ()
    matrix = StoryMatrix(ordered)
    centroid = matrix.centroid()
    seen_groups: set[int] = set()
    entries = []
    for number, report in enumerate(ordered):
        group = int(matrix.group[number])
        if group in seen_groups:
            continue
        seen_groups.add(group)
        rows = np.flatnonzero(matrix.owner == number)
        rows = np.array([r for r in rows if usable(report.terms.sentences[int(matrix.position[r])])], np.int64)
        if rows.size == 0:
            continue
        earlier = np.flatnonzero(matrix.owner < number)
        if earlier.size:
            novelty = matrix.similarity(rows, earlier).max(axis=1)
            rows = rows[novelty < NEW_BELOW]
            if rows.size == 0:
                continue
        position = 1.0 / np.sqrt(1.0 + matrix.position[rows])
        centrality = np.asarray(matrix.rows[rows] @ centroid).ravel()
        quoted = np.array([quoted_share(report.terms.sentences[int(matrix.position[r])].text) > 0.5 for r in rows])
        score = np.where(quoted, 0.6, 1.0) * (0.5 * centrality + 0.5 * position)
        best = sorted(rows[np.argsort(-score, kind="stable")[: (1 if not earlier.size else PER_ENTRY)]].tolist())
        added = tuple(SummarySentence(report.terms.sentences[int(matrix.position[r])].text, (citation(matrix, r),))
                      for r in best)
        entries.append(TimelineEntry(report.article, report.time, added))
    return tuple(entries)
