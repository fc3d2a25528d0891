"""A story's extractive summary: central sentences across its reports, no two alike, each with its sources.

Every usable sentence of every report is scored by

- *centrality*: cosine with the story's centre (each copy group's term profile counts once);
- *support*: the share of the other groups (outlets that did not copy each other) with a
  sentence saying the same (cosine >= ``SUPPORT``): facts several outlets report come first;
- *position*: news puts what matters first; the lead sentences of a report weigh more;

less when it is mostly a quotation (a summary states, quotes are shown by speaker). The best
are taken greedily, skipping one too like a sentence already taken (maximal marginal
relevance), and shown in the order they were reported. Each sentence cites its own place and
the best-matching sentence of each other group that states it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from storyline.summarize.matrix import Report, StoryMatrix
from storyline.types import Citation, SummarySentence

__all__ = ["SummaryWeights", "choose", "summarize_reports"]


@dataclass(frozen=True, slots=True)
class SummaryWeights:
    """How sentences are scored and chosen (fitted by ``scripts/tune_summaries.py`` on the fit part)."""

    # Fitted by scripts/tune_summaries.py on the fit part (held-out leads, ROUGE): the best
    # weights with support at 0 and at 0.15 tied (mean of R1 and R2 0.2374 and 0.2372); the
    # product prefers facts several outlets report, so support stays in.
    centrality: float = 0.7
    support: float = 0.15
    position: float = 0.6
    quoted_penalty: float = 0.6  # a sentence mostly inside quotation marks scores this share
    redundant: float = 0.5  # a sentence this like one already taken is not taken
    support_threshold: float = 0.45  # cosine for "another outlet says the same"


WEIGHTS = SummaryWeights()
MIN_SENTENCES, MAX_SENTENCES = 3, 6
# A summary stops growing past this many words once it holds MIN_SENTENCES.
TARGET_WORDS = 110
# Only this many best-scored sentences are compared pairwise (support, redundancy).
CANDIDATES = 80
MAX_CITES = 4


def _time_key(time: datetime | None) -> datetime:
    return time if time is not None else datetime.max.replace(tzinfo=UTC)


def scores(matrix: StoryMatrix, weights: SummaryWeights = WEIGHTS) -> tuple[np.ndarray, np.ndarray]:
    """Rows worth considering (usable sentences, best first, at most ``CANDIDATES``) and their cheap scores."""
    usable_rows = np.flatnonzero(matrix.usable)
    if usable_rows.size == 0:
        return usable_rows, np.zeros(0)
    centrality = np.asarray(matrix.rows[usable_rows] @ matrix.centroid()).ravel()
    position = 1.0 / np.sqrt(1.0 + matrix.position[usable_rows])
    quoted = matrix.quoted[usable_rows]
    cheap = weights.centrality * centrality + weights.position * position
    cheap = np.where(quoted, cheap * weights.quoted_penalty, cheap)
    order = np.argsort(-cheap, kind="stable")[:CANDIDATES]
    return usable_rows[order], cheap[order]


def _sentence(matrix: StoryMatrix, row: int):
    report, index = matrix.sentence(row)
    return report.terms.sentences[index]


def choose(matrix: StoryMatrix, *, weights: SummaryWeights = WEIGHTS, max_words: int | None = None,
           max_sentences: int = MAX_SENTENCES, min_sentences: int = MIN_SENTENCES,
           target_words: int = TARGET_WORDS) -> list[tuple[int, list[int]]]:
    """The chosen rows in reading order, each with the rows of other groups that state the same.

    Without ``max_words``: up to ``max_sentences``, stopping past ``target_words`` once
    ``min_sentences`` are in. With it: as many as fit in ``max_words`` words.
    """
    rows, cheap = scores(matrix, weights)
    if rows.size == 0:
        return []
    sims = matrix.similarity(rows)
    groups = len(np.unique(matrix.group))
    count, best = matrix.support(rows, sims, weights.support_threshold)
    support = count / max(1, groups - 1)
    quoted = matrix.quoted[rows]
    bonus = np.where(quoted, weights.support * support * weights.quoted_penalty, weights.support * support)
    total = cheap + bonus
    local = {int(row): k for k, row in enumerate(rows)}
    taken: list[int] = []
    words = 0
    for k in np.argsort(-total, kind="stable"):
        row = int(rows[k])
        if any(sims[k, row_j] >= weights.redundant for row_j in taken):
            continue
        length = int(matrix.words[row])
        if max_words is not None:
            if words + length > max_words:
                continue
        elif len(taken) >= max_sentences or (len(taken) >= min_sentences and words >= target_words):
            break
        taken.append(row)
        words += length
        if max_words is not None and words >= max_words:
            break
    ordered = sorted(taken, key=lambda r: (_time_key(matrix.sentence(r)[0].time), int(matrix.owner[r]),
                                           int(matrix.position[r])))
    result = []
    for row in ordered:
        k = local[row]
        others = [int(r) for r in best[k] if r >= 0]
        others.sort(key=lambda r: -sims[k, r])
        result.append((row, others[: MAX_CITES - 1]))
    return result


def citation(matrix: StoryMatrix, row: int) -> Citation:
    report, index = matrix.sentence(row)
    sentence = report.terms.sentences[index]
    return Citation(report.article, index, sentence.start, sentence.end, sentence.text)


def summarize_reports(reports: Sequence[Report], *, weights: SummaryWeights = WEIGHTS,
                      max_words: int | None = None) -> tuple[SummarySentence, ...]:
    """The summary of a story told by ``reports``: sentences of theirs, each citing where it and its support are."""
    if not reports:
        return ()
    matrix = StoryMatrix(reports)
    return sentences_of(matrix, choose(matrix, weights=weights, max_words=max_words))


def sentences_of(matrix: StoryMatrix, chosen: Sequence[tuple[int, Sequence[int]]]) -> tuple[SummarySentence, ...]:
    return tuple(SummarySentence(_sentence(matrix, row).text,
                                 (citation(matrix, row), *(citation(matrix, r) for r in others)))
                 for row, others in chosen)
