"""The duplicates gate: a labelled set run through ``storyline dedupe``'s path and scored.

The set (``data/quality/dedupe.jsonl``, built by ``scripts/build_dedupe_set.py``) goes, in file
order, through ``storyline.ingest.batch.dedupe_records``: the exact rules the store applies in
ingest, then the copies stage's own matching (``ingest.copies.match_batch``), then each group's
original. A record is a *true copy* when an earlier record has the same ``group``.

- precision: declared duplicates whose match is in the record's group / declared duplicates
- recall: true copies declared a duplicate of a record of their group / true copies
- original: predicted groups (two or more records) whose syndication original is the gold
  original of the group most of their records belong to / predicted groups
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from storyline.errors import RecordError
from storyline.ingest.batch import DedupeOutcome, dedupe_records

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


def score_dedupe(records: list[dict[str, Any]]) -> Scores:
    """Run ``records`` through the copies stage's batch path and score it (definitions in the module docstring)."""
    group_of = {r["id"]: r["group"] for r in records}
    fields = ("id", "text", "title", "credits", "published", "url")
    outcomes = list(dedupe_records((r["id"], {k: r.get(k) for k in fields} | {"source": r.get("outlet")})
                                   for r in records))
    errors = [o for o in outcomes if isinstance(o, RecordError)]
    if errors:
        raise errors[0]
    seen_groups: set[str] = set()
    declared = correct = true_copies = found = 0
    members: dict[str, list[DedupeOutcome]] = {}
    for outcome in outcomes:
        assert isinstance(outcome, DedupeOutcome)
        group = group_of[outcome.id]
        is_copy = group in seen_groups
        seen_groups.add(group)
        true_copies += is_copy
        if outcome.duplicate_of is not None:
            declared += 1
            right = group_of[outcome.duplicate_of] == group
            correct += right
            found += right and is_copy
        members.setdefault(outcome.syndication_group, []).append(outcome)
    groups = [m for m in members.values() if len(m) > 1]
    originals_right = 0
    for group_members in groups:
        gold = Counter(group_of[o.id] for o in group_members).most_common(1)[0][0]
        originals_right += group_members[0].original_id == gold
    return Scores(
        precision=correct / declared if declared else 1.0,
        recall=found / true_copies if true_copies else 1.0,
        original=originals_right / len(groups) if groups else 1.0,
        declared=declared,
        true_copies=true_copies,
        groups=len(groups),
    )
