"""The duplicates gate: a labelled set run through ``storyline dedupe``'s path and scored.

The set (``data/quality/dedupe.jsonl``, built by ``scripts/build_dedupe_set.py``) goes, in file
order, through ``storyline.ingest.batch.dedupe_records``: the exact rules the store applies in
ingest, then the copies stage's own matching (``ingest.copies.match_batch``), then each group's
original. A record is a *true copy* when an earlier record has the same ``group``.

- precision: declared duplicates whose match is in the record's group / declared duplicates
- recall: true copies declared a duplicate of a record of their group / true copies
- original: predicted groups (two or more records) whose syndication original is the gold
  original of the group most of their records belong to / predicted groups

The peer baseline the issue names, scored the same way (``containment_baseline``): a plain
containment rule over 5-word shingles. Each record, in file order, is a copy of the earlier
record whose shingles contain the largest share of the smaller set of the two, when that share
is at least a threshold (``CONTAINMENT_BASELINE_THRESHOLD``, tuned on the fit part by
``scripts/tune_dedupe_thresholds.py`` as Storyline's are); identical texts are copies as in
``storyline dedupe``. Exact shingle sets, no sketch: the rule at its best.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storyline.dedupe import Copy, syndication_original
from storyline.errors import RecordError
from storyline.ingest.batch import DedupeOutcome, dedupe_records

__all__ = ["CONTAINMENT_BASELINE_THRESHOLD", "Scores", "containment_baseline", "score_dedupe", "score_outcomes"]

# Tuned on the fit part by scripts/tune_dedupe_thresholds.py (best lowest-of precision and
# recall, then their sum, over 0.05 steps); never on the gate part.
CONTAINMENT_BASELINE_THRESHOLD = 0.45
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and original share of one run, with the counts behind them."""

    precision: float
    recall: float
    original: float
    declared: int
    true_copies: int
    groups: int
    false_pairs: int = 0  # declared duplicates of a record of another group
    missed: int = 0  # true copies not declared a duplicate of a record of their group


def score_dedupe(records: list[dict[str, Any]]) -> Scores:
    """Run ``records`` through the copies stage's batch path and score it (definitions in the module docstring)."""
    fields = ("id", "text", "title", "credits", "published", "url")
    outcomes = list(dedupe_records((r["id"], {k: r.get(k) for k in fields} | {"source": r.get("outlet")})
                                   for r in records))
    errors = [o for o in outcomes if isinstance(o, RecordError)]
    if errors:
        raise errors[0]
    return score_outcomes(records, [o for o in outcomes if isinstance(o, DedupeOutcome)])


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}


def containment_baseline(records: list[dict[str, Any]], threshold: float = CONTAINMENT_BASELINE_THRESHOLD,
                         ) -> list[DedupeOutcome]:
    """The peer baseline (module docstring): each record's outcome, in file order."""
    holders: dict[tuple[str, ...], list[int]] = {}
    by_text: dict[str, int] = {}
    sets: list[set[tuple[str, ...]]] = []
    duplicate_of: list[int | None] = []
    for i, record in enumerate(records):
        text = record.get("text") or ""
        mine = _shingles(text)
        sets.append(mine)
        words = " ".join(_WORD.findall(text.lower()))
        best = by_text.get(words) if words else None
        best_share = 2.0 if best is not None else threshold  # identical words beat any share
        shared: Counter[int] = Counter()
        for shingle in mine:
            shared.update(holders.get(shingle, ()))
        for j, n in sorted(shared.items()):  # the largest share, the earliest record of it
            share = n / min(len(mine), len(sets[j]))
            if share > best_share or (best is None and share >= best_share):
                best, best_share = j, share
        duplicate_of.append(best)
        if words:
            by_text.setdefault(words, i)
        for shingle in mine:
            holders.setdefault(shingle, []).append(i)
    root = list(range(len(records)))
    for i, j in enumerate(duplicate_of):
        if j is not None:
            root[i] = root[j]
    members: dict[int, list[int]] = {}
    for i, r in enumerate(root):
        members.setdefault(r, []).append(i)
    original: dict[int, str] = {}
    for r, group in members.items():
        original[r] = syndication_original([Copy(
            records[i]["id"], credits=tuple(records[i].get("credits") or ()), outlet=records[i].get("outlet"),
            published=datetime.fromisoformat(records[i]["published"]) if records[i].get("published") else None,
            words=len(_WORD.findall(records[i].get("text") or ""))) for i in group])
    return [DedupeOutcome(r["id"], None if duplicate_of[i] is None else records[duplicate_of[i]]["id"],
                          records[root[i]]["id"], original[root[i]]) for i, r in enumerate(records)]


def score_outcomes(records: list[dict[str, Any]], outcomes: list[DedupeOutcome]) -> Scores:
    """Score one outcome per record, in the records' order (definitions in the module docstring)."""
    group_of = {r["id"]: r["group"] for r in records}
    seen_groups: set[str] = set()
    declared = correct = true_copies = found = 0
    members: dict[str, list[DedupeOutcome]] = {}
    for outcome in outcomes:
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
        false_pairs=declared - correct,
        missed=true_copies - found,
    )
