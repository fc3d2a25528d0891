"""Clustering scores against gold labels: B-cubed and pairwise precision, recall and F1.

B-cubed (Bagga & Baldwin 1998): per item, the share of its predicted cluster that shares its
gold cluster (precision) and the share of its gold cluster found in its predicted cluster
(recall), averaged over items. Pairwise: over all pairs of items, the pairs put together that
belong together. Both are computed from the contingency counts in O(items).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = ["ClusterScores", "Score", "bcubed", "cluster_scores", "pairwise"]


@dataclass(frozen=True, slots=True)
class Score:
    """Precision and recall, and their harmonic mean."""

    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def __str__(self) -> str:
        return f"P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f}"


@dataclass(frozen=True, slots=True)
class ClusterScores:
    """Both metrics over one labelled stream, with its size."""

    bcubed: Score
    pairwise: Score
    items: int
    gold_clusters: int
    predicted_clusters: int

    def __str__(self) -> str:
        return (f"B3 {self.bcubed}  pairwise {self.pairwise}  "
                f"({self.items} items, {self.gold_clusters} gold / {self.predicted_clusters} predicted clusters)")


def _check(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predicted ones")


def bcubed(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Score:
    """B-cubed precision and recall of ``predicted`` labels against ``gold`` ones (item i -> label)."""
    _check(gold, predicted)
    if not gold:
        return Score(1.0, 1.0)
    cells = Counter(zip(gold, predicted, strict=True))
    gold_size, predicted_size = Counter(gold), Counter(predicted)
    precision = sum(n * n / predicted_size[p] for (_, p), n in cells.items()) / len(gold)
    recall = sum(n * n / gold_size[g] for (g, _), n in cells.items()) / len(gold)
    return Score(precision, recall)


def pairwise(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Score:
    """Pairwise precision and recall; 1.0 when there is no pair to get wrong."""
    _check(gold, predicted)

    def pairs(sizes: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in sizes.values())

    together = pairs(Counter(zip(gold, predicted, strict=True)))
    predicted_pairs, gold_pairs = pairs(Counter(predicted)), pairs(Counter(gold))
    return Score(together / predicted_pairs if predicted_pairs else 1.0, together / gold_pairs if gold_pairs else 1.0)


def cluster_scores(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> ClusterScores:
    """B-cubed and pairwise scores together, as the quality gate reports them."""
    return ClusterScores(bcubed(gold, predicted), pairwise(gold, predicted), len(gold), len(set(gold)),
                         len(set(predicted)))
