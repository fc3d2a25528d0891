"""A story's timeline: for each report, in the order reported, what it said that no earlier report had.

A sentence is *new* when no sentence of an earlier report (an earlier time; the same time and a smaller id) is
like it (cosine of their content words < ``NEW_BELOW``). A report's entry holds its best new sentences (by
centrality and position); a report that only repeated what was known, or a copy of an earlier one, adds no
entry. The first report's entry is its lead. This is what "new since you last looked" shows: the entries after
a time.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import UTC, datetime

import numpy as np

from storyline.summarize.matrix import Report, StoryMatrix
from storyline.summarize.summary import citation
from storyline.types import SummarySentence, TimelineEntry

__all__ = ["NEW_BELOW", "ordered", "timeline"]

NEW_BELOW = 0.4
PER_ENTRY = 2


def _key(report: Report) -> tuple[datetime, str]:
    return (report.time or datetime.max.replace(tzinfo=UTC), str(report.article).rjust(20, "0"))


def timeline(reports: Sequence[Report], matrix: StoryMatrix | None = None,
             novelty_cache: MutableMapping[int, np.ndarray] | None = None) -> tuple[TimelineEntry, ...]:
    """The timeline of a story told by ``reports`` (any order), oldest entry first.

    ``matrix``, when given, is the story's matrix of ``reports`` already in timeline order
    (:func:`ordered`), shared with the summary so that the story is stacked once.
    ``novelty_cache`` keeps each report's novelty against the reports before it: a report's
    novelty depends only on it and the earlier ones, so when a new report arrives last (the
    usual update) only its own sentences are compared.
    """
    ordered_reports = ordered(reports)
    if not ordered_reports:
        return ()
    if matrix is None:
        matrix = StoryMatrix(ordered_reports)
    centroid = matrix.centroid()
    candidates = np.flatnonzero(matrix.usable)
    # Rows are stacked in report order, so "an earlier report" is "a row before the report's first".
    starts = np.searchsorted(matrix.owner, np.arange(len(ordered_reports) + 1))
    novelty = np.zeros(len(matrix), np.float32)
    keys = _prefix_keys(ordered_reports)
    missing = []
    for number in range(len(ordered_reports)):
        found = novelty_cache.get(keys[number]) if novelty_cache is not None else None
        if found is not None and found.size == starts[number + 1] - starts[number]:
            novelty[starts[number]:starts[number + 1]] = found
        else:
            missing.append(number)
    rows = candidates[np.isin(matrix.owner[candidates], missing)] if missing else candidates[:0]
    if rows.size:  # each missing sentence's best cosine with a sentence of an earlier report, all at once
        products = matrix.rows[rows] @ matrix.rows[: starts[max(missing)]].T
        per_row = np.diff(products.indptr)
        data = np.where(products.indices < np.repeat(starts[matrix.owner[rows]], per_row), products.data, 0)
        filled = per_row > 0
        if data.size and filled.any():
            novelty[rows[filled]] = np.maximum.reduceat(data, products.indptr[:-1][filled])
    if novelty_cache is not None:
        for number in missing:
            novelty_cache[keys[number]] = novelty[starts[number]:starts[number + 1]].copy()
    centrality = np.zeros(len(matrix))
    if candidates.size:
        centrality[candidates] = matrix.rows[candidates] @ centroid
    position = 1.0 / np.sqrt(1.0 + matrix.position)
    score = np.where(matrix.quoted, 0.6, 1.0) * (0.5 * centrality + 0.5 * position)
    seen_groups: set[int] = set()
    entries = []
    for number, report in enumerate(ordered_reports):
        group = int(matrix.group[number])
        if group in seen_groups:
            continue
        seen_groups.add(group)
        rows = np.arange(starts[number], starts[number + 1])
        rows = rows[matrix.usable[rows]]
        if number:
            rows = rows[novelty[rows] < NEW_BELOW]
        if rows.size == 0:
            continue
        best = sorted(rows[np.argsort(-score[rows], kind="stable")[: (1 if not number else PER_ENTRY)]].tolist())
        added = tuple(SummarySentence(report.terms.sentences[int(matrix.position[r])].text, (citation(matrix, r),))
                      for r in best)
        entries.append(TimelineEntry(report.article, report.time, added))
    return tuple(entries)


def _prefix_keys(reports: Sequence[Report]) -> list[int]:
    """A key per report naming it and every report before it (ids and texts): its novelty's inputs."""
    keys = []
    before = 0
    for report in reports:
        key = hash((before, report.article, report.terms.texts))
        keys.append(key)
        before = key
    return keys


def ordered(reports: Sequence[Report]) -> list[Report]:
    """``reports`` in the order they were reported (time, then id)."""
    return sorted(reports, key=_key)
