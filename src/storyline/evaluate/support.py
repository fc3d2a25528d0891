"""The support gate: labelled (sentence, cited sentences) pairs of ``data/quality/support.jsonl`` and their metrics.

Each record says whether the cited sentences state what the sentence says (``supported``), how
it was made (``kind``: ``natural``, ``paraphrase``, or made unsupported: ``number``, ``name``,
``claim``, ``other``, ``negation``) and the incident of the cited sentences (the split's unit).

Metrics, "supported" as the positive class: **precision** (pairs called supported that are /
pairs called supported) and **recall** (supported pairs called supported / supported pairs).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storyline.evaluate.splits import Part, support_part
from storyline.summarize.support import CONTENT_RECALL, NAME_RECALL, supported

__all__ = ["SupportRecord", "SupportScore", "load_support_set", "score_support"]


@dataclass(frozen=True, slots=True)
class SupportRecord:
    id: str
    kind: str
    incident: str
    sentence: str
    cited: tuple[str, ...]
    supported: bool

    @property
    def part(self) -> Part:
        return support_part(self.incident)


@dataclass(frozen=True, slots=True)
class SupportScore:
    precision: float
    recall: float
    true_positives: int
    false_positives: int
    false_negatives: int
    wrong: tuple[str, ...]  # ids of the records called wrongly, for reading

    def __str__(self) -> str:
        return (f"P={self.precision:.4f} R={self.recall:.4f} (tp {self.true_positives}, fp {self.false_positives}, "
                f"fn {self.false_negatives})")


def load_support_set(path: Path) -> list[SupportRecord]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        records.append(SupportRecord(r["id"], r["kind"], str(r["incident"]), r["sentence"], tuple(r["cited"]),
                                     bool(r["supported"])))
    return records


def score_support(records: Sequence[SupportRecord], *, name_recall: float = NAME_RECALL,
                  content_recall: float = CONTENT_RECALL) -> SupportScore:
    tp = fp = fn = 0
    wrong = []
    for record in records:
        said = supported(record.sentence, record.cited, name_recall=name_recall,
                         content_recall=content_recall).supported
        tp += said and record.supported
        fp += said and not record.supported
        fn += record.supported and not said
        if said != record.supported:
            wrong.append(record.id)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return SupportScore(precision, recall, tp, fp, fn, tuple(wrong))
