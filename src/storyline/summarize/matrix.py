"""A story's sentences as one matrix: how central each is, which other reports say the same, how alike two are.

The sentences of every report of a story are stacked (rows), weighted (sublinear term
counts, unit length) and compared by cosine. Reports that are copies of one another (a wire
report and its republications, or near-identical texts) form one *group*: a fact counts as
confirmed by several outlets only when several groups state it, never because one agency
copy was carried ten times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp

from storyline.summarize.terms import ArticleTerms

__all__ = ["Report", "StoryMatrix"]

# Two reports whose sentences are this share identical are one group (a copy the dedupe stage did not fold).
_SAME_TEXT = 0.5


@dataclass(frozen=True, slots=True)
class Report:
    """One article given to the summariser: its id, time, analysed text, and its copy group (None: its own)."""

    article: int | str
    time: datetime | None
    terms: ArticleTerms
    group: int | str | None = None


class StoryMatrix:
    """The stacked, weighted sentence rows of a story's reports."""

    def __init__(self, reports: Sequence[Report]) -> None:
        self.reports = list(reports)
        width = max((r.terms.counts.shape[1] for r in reports), default=1)
        blocks = [_widened(r.terms.counts, width) for r in reports]
        counts = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, width), dtype=np.float32)
        weighted = counts.copy()
        weighted.data = 1.0 + np.log(weighted.data)
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.rows: sp.csr_matrix = sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)
        self.owner = np.repeat(np.arange(len(reports)), [r.terms.counts.shape[0] for r in reports])
        self.position = np.concatenate([np.arange(r.terms.counts.shape[0]) for r in reports]) if reports else \
            np.zeros(0, np.int64)
        self.group = self._groups()

    def __len__(self) -> int:
        return self.rows.shape[0]

    def sentence(self, row: int) -> tuple[Report, int]:
        report = self.reports[int(self.owner[row])]
        return report, int(self.position[row])

    def _groups(self) -> np.ndarray:
        """Each report's group number: its given group, or its own, joined with reports that share most sentences."""
        given: dict[object, int] = {}
        group = np.arange(len(self.reports))
        for i, report in enumerate(self.reports):
            if report.group is not None:
                group[i] = given.setdefault(report.group, i)
        hashes = [{hash(s.text) for s in r.terms.sentences} for r in self.reports]
        for i in range(len(self.reports)):
            for j in range(i):
                if group[i] == group[j] or not hashes[i] or not hashes[j]:
                    continue
                shared = len(hashes[i] & hashes[j]) / min(len(hashes[i]), len(hashes[j]))
                if shared >= _SAME_TEXT:
                    group[group == group[i]] = group[j]
        return group

    def centroid(self) -> np.ndarray:
        """The story's centre: the mean of each group's unit-length term profile (a dense row)."""
        width = self.rows.shape[1]
        total = np.zeros(width, np.float64)
        groups = np.unique(self.group)
        for g in groups:
            members = np.flatnonzero(self.group[self.owner] == g)
            if members.size == 0:
                continue
            profile = np.asarray(self.rows[members].sum(axis=0)).ravel()
            norm = np.linalg.norm(profile)
            if norm:
                total += profile / norm
        norm = np.linalg.norm(total)
        return total / norm if norm else total

    def similarity(self, rows: np.ndarray, against: np.ndarray | None = None) -> np.ndarray:
        """Cosines of the sentences ``rows`` with the sentences ``against`` (default: all), dense."""
        other = self.rows if against is None else self.rows[against]
        return np.asarray((self.rows[rows] @ other.T).todense())

    def support(self, rows: np.ndarray, sims: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """For each of ``rows`` (``sims``: against all rows): how many other groups state it, and their best rows.

        Returns the count of groups per row and, per row and group, the best-matching row of
        that group (-1 when none reaches ``threshold``).
        """
        sentence_group = self.group[self.owner]
        groups = np.unique(self.group)
        best = np.full((len(rows), len(groups)), -1, np.int64)
        for k, g in enumerate(groups):
            columns = np.flatnonzero(sentence_group == g)
            if columns.size == 0:
                continue
            block = sims[:, columns]
            top = block.argmax(axis=1)
            hit = block[np.arange(len(rows)), top] >= threshold
            best[hit, k] = columns[top[hit]]
        own = sentence_group[rows][:, None] == groups[None, :]
        best[own] = -1
        return (best >= 0).sum(axis=1), best


def _widened(counts: sp.csr_matrix, width: int) -> sp.csr_matrix:
    if counts.shape[1] == width:
        return counts
    return sp.csr_matrix((counts.data, counts.indices, counts.indptr), shape=(counts.shape[0], width))
