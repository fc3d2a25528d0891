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
    """The stacked, weighted sentence rows of a story's reports, with what the ranking asks of each sentence."""

    def __init__(self, reports: Sequence[Report]) -> None:
        import scipy.sparse as sp  # late: scipy is ~0.2 s of start for commands that never summarise

        self.reports = list(reports)
        terms = [r.terms for r in self.reports]
        width = max((t.rows.shape[1] for t in terms), default=1)
        sizes = np.array([t.rows.shape[0] for t in terms], np.int64)
        # Stacked by hand: the reports' rows are already weighted and unit length, and
        # scipy's vstack costs more than the arithmetic (a new report re-stacks the story).
        if terms:
            nnz = np.array([t.rows.nnz for t in terms], np.int64)
            offsets = np.repeat(np.concatenate([[0], np.cumsum(nnz)[:-1]]), sizes)
            indptr = np.concatenate([[0], np.concatenate([t.rows.indptr[1:] for t in terms]) + offsets])
            self.rows = sp.csr_matrix((np.concatenate([t.rows.data for t in terms]),
                                       np.concatenate([t.rows.indices for t in terms]), indptr),
                                      shape=(int(sizes.sum()), width))
        else:
            self.rows = sp.csr_matrix((0, width), dtype=np.float32)
        self.owner = np.repeat(np.arange(len(terms)), sizes)
        self.position = np.concatenate([np.arange(n) for n in sizes]) if terms else np.zeros(0, np.int64)
        self.usable = np.concatenate([t.usable for t in terms]) if terms else np.zeros(0, bool)
        self.quoted = np.concatenate([t.quoted for t in terms]) if terms else np.zeros(0, bool)
        self.words = np.concatenate([t.words for t in terms]) if terms else np.zeros(0, np.int64)
        self.group = self._groups()
        self.sentence_group = self.group[self.owner]
        self._centroid: np.ndarray | None = None

    def __len__(self) -> int:
        return self.rows.shape[0]

    def sentence(self, row: int) -> tuple[Report, int]:
        report = self.reports[int(self.owner[row])]
        return report, int(self.position[row])

    def _groups(self) -> np.ndarray:
        """Each report's group number: its given group, or its own, joined with reports that share most sentences."""
        import scipy.sparse as sp  # late: scipy is ~0.2 s of start for commands that never summarise
        given: dict[object, int] = {}
        group = np.arange(len(self.reports))
        for i, report in enumerate(self.reports):
            if report.group is not None:
                group[i] = given.setdefault(report.group, i)
        # Sentences shared per pair of reports: a reports x texts incidence matrix times its transpose.
        sizes = [len(r.terms.texts) for r in self.reports]
        if sum(sizes) == 0:
            return group
        hashes = np.fromiter((h for r in self.reports for h in r.terms.texts), np.int64, sum(sizes))
        _, text = np.unique(hashes, return_inverse=True)
        owner = np.repeat(np.arange(len(self.reports)), sizes)
        incidence = sp.csr_matrix((np.ones(hashes.size, np.float32), (owner, text)),
                                  shape=(len(self.reports), int(text.max()) + 1))
        shared = sp.tril(incidence @ incidence.T, k=-1).tocoo()
        smaller = np.minimum(np.array(sizes)[shared.row], np.array(sizes)[shared.col])
        keep = shared.data / np.maximum(smaller, 1) >= _SAME_TEXT
        for i, j in sorted(zip(shared.row[keep].tolist(), shared.col[keep].tolist(), strict=True)):
            if group[i] != group[j]:
                group[group == group[i]] = group[j]
        return group

    def centroid(self) -> np.ndarray:
        """The story's centre: the mean of each group's unit-length term profile (a dense row)."""
        if self._centroid is None:
            self._centroid = self._centre()
        return self._centroid

    def _centre(self) -> np.ndarray:
        import scipy.sparse as sp  # late: scipy is ~0.2 s of start for commands that never summarise
        if len(self) == 0:
            return np.zeros(self.rows.shape[1])
        _, dense_group = np.unique(self.sentence_group, return_inverse=True)
        members = sp.csr_matrix((np.ones(len(self)), (dense_group, np.arange(len(self)))),
                                shape=(int(dense_group.max()) + 1, len(self)))
        profiles = (members @ self.rows).toarray()
        norms = np.linalg.norm(profiles, axis=1)
        norms[norms == 0] = 1.0
        total = (profiles / norms[:, None]).sum(axis=0)
        norm = np.linalg.norm(total)
        return total / norm if norm else total

    def similarity(self, rows: np.ndarray, against: np.ndarray | None = None) -> np.ndarray:
        """Cosines of the sentences ``rows`` with the sentences ``against`` (default: all), dense."""
        other = self.rows if against is None else self.rows[against]
        return (self.rows[rows] @ other.T).toarray()

    def support(self, rows: np.ndarray, sims: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """For each of ``rows`` (``sims``: against all rows): how many other groups state it, and their best rows.

        Returns the count of groups per row and, per row and group, the best-matching row of
        that group (-1 when none reaches ``threshold``).
        """
        groups, dense_group = np.unique(self.sentence_group, return_inverse=True)
        best = np.full((len(rows), len(groups)), -1, np.int64)
        # Only pairs reaching the threshold matter, and they are few: per (row, group) keep the best.
        hit_row, hit_col = np.nonzero(sims >= threshold)
        if hit_row.size:
            order = np.lexsort((-sims[hit_row, hit_col], dense_group[hit_col], hit_row))
            hit_row, hit_col = hit_row[order], hit_col[order]
            first = np.ones(hit_row.size, bool)
            first[1:] = (hit_row[1:] != hit_row[:-1]) | (dense_group[hit_col[1:]] != dense_group[hit_col[:-1]])
            best[hit_row[first], dense_group[hit_col[first]]] = hit_col[first]
        own = self.sentence_group[rows][:, None] == groups[None, :]
        best[own] = -1
        return (best >= 0).sum(axis=1), best
