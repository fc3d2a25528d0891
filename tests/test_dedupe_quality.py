"""Quality gate: duplicates found in data/quality/dedupe.jsonl, and the originals of their groups.

The set (built by scripts/build_dedupe_set.py) is streamed through one DuplicateIndex in file
order. A record is a *true copy* when an earlier record has the same ``group``.

- precision: declared duplicates whose match is in the record's group / declared duplicates
- recall: true copies declared a duplicate of a record of their group / true copies
- original: predicted groups (two or more records) whose syndication original is the gold
  original of the group most of their records belong to / predicted groups
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from storyline.dedupe import DuplicateIndex, syndication_original

ROOT = Path(__file__).resolve().parents[1]
FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))
DEDUPE_SET = ROOT / "data" / "quality" / "dedupe.jsonl"


@dataclass(frozen=True)
class Scores:
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


@pytest.fixture(scope="module")
def records() -> list[dict]:
    if not DEDUPE_SET.is_file():
        pytest.fail(f"the duplicates set is missing at {DEDUPE_SET}: run scripts/build_dedupe_set.py")
    return [json.loads(line) for line in DEDUPE_SET.read_text(encoding="utf-8").splitlines()]


@pytest.mark.timeout(300)
def test_dedupe_scores_are_at_or_above_their_floors(records: list[dict]) -> None:
    s = score_dedupe(records)
    floors = FLOORS["dedupe_quality"]
    # Printed for the record (pytest -s).
    print(
        f"\ndedupe P={s.precision:.4f} R={s.recall:.4f} original={s.original:.4f} "
        f"(declared {s.declared}, true copies {s.true_copies}, groups {s.groups}, records {len(records)})"
    )
    assert s.precision >= floors["precision"], f"duplicate precision {s.precision:.4f} < floor {floors['precision']}"
    assert s.recall >= floors["recall"], f"duplicate recall {s.recall:.4f} < floor {floors['recall']}"
    assert s.original >= floors["original"], f"syndication original {s.original:.4f} < floor {floors['original']}"


def test_set_has_hard_non_duplicates_and_every_kind_of_copy(records: list[dict]) -> None:
    groups = Counter(r["group"] for r in records)
    assert len(records) < 5000
    assert DEDUPE_SET.stat().st_size < 10_000_000
    assert sum(1 for r in records if r["id"].startswith("ecb-") and r["group"] == r["id"]) > 800
    assert sum(1 for n in groups.values() if n > 1) > 500
    assert any(r["credits"] for r in records)
