"""The duplicates benchmark: a labelled set streamed through one ``DuplicateIndex`` and scored.

The set (``data/quality/dedupe.jsonl``, built by ``scripts/build_dedupe_set.py``) is streamed in
file order. A record is a *true copy* when an earlier record has the same ``group``.

- precision: declared duplicates whose match is in the record's group / declared duplicates
- recall: true copies declared a duplicate of a record of their group / true copies
- original: predicted groups (two or more records) whose syndication original is the gold
  original of the group most of their records belong to / predicted groups
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from storyline.dedupe import DuplicateIndex, syndication_original

__all__ = ["Scores", "score_dedupe"]


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and original share of one run, with the counts behind them."""

    precision: float
    recall: float
    original: float
    declared: int
    true_copies: int
    groups: int


def score_dedupe(records: list[dict]) -> Scores:
    """Stream ``records`` through a fresh index and score it (definitions in the module docstring)."""
    index = DuplicateIndex()
    group_of = {r["id"]: r["group"] for r in records}
    seen_groups: set[str] = set()
    declared = correct = true_copies = found = 0
    for r in records:
        published = datetime.fromisoformat(r["published"]) if r.get("published") else None
        match = index.add(
            r["id"], r["text"], credits=tuple(r["credits"]), published=published, outlet=r["outlet"], title=r["title"]
        )
        is_copy = r["group"] in seen_groups
        seen_groups.add(r["group"])
        true_copies += is_copy
        if match is not None:
            declared += 1
            right = group_of[match.doc_id] == r["group"]
            correct += right
            found += right and is_copy
    groups = index.groups()
    originals_right = 0
    for members in groups:
        gold = Counter(group_of[c.doc_id] for c in members).most_common(1)[0][0]
        originals_right += syndication_original(members) == gold
    return Scores(
        precision=correct / declared if declared else 1.0,
        recall=found / true_copies if true_copies else 1.0,
        original=originals_right / len(groups) if groups else 1.0,
        declared=declared,
        true_copies=true_copies,
        groups=len(groups),
    )
