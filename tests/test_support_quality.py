"""Quality gate: the support check (``summarize.support``) on the gate part of ``data/quality/support.jsonl``.

The set (see ``data/quality/SOURCE.md``) pairs sentences with the sentences they cite: sentences of one
shooting's report cited with another outlet's, labelled by reading; faithful paraphrases written by us;
and supported ones made unsupported (a number, a name, a negation, a claim, another incident's sentence).
It is cut by incident (``splits.support_part``); ``scripts/fit_support.py`` fits the thresholds on the
fit part, only the gate part is scored here.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from storyline.evaluate.support import SupportRecord, load_support_set, score_support

ROOT = Path(__file__).resolve().parents[1]
FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))["floors"]


@pytest.fixture(scope="module")
def records() -> list[SupportRecord]:
    return load_support_set(ROOT / "data" / "quality" / "support.jsonl")


def test_the_set_and_its_split_are_fixed(records: list[SupportRecord]) -> None:
    gate = [r for r in records if r.part == "gate"]
    assert len(records) == 217
    assert sum(r.supported for r in records) == 81
    assert len(gate) == 93
    assert sum(r.supported for r in gate) == 35
    assert collections.Counter(r.kind for r in records)["natural"] == 85
    # No incident straddles the cut (the incident is the record's unit).
    assert not {r.incident for r in gate} & {r.incident for r in records if r.part == "fit"}


def test_support_scores_on_the_gate_part_are_at_or_above_their_floors(records: list[SupportRecord]) -> None:
    s = score_support([r for r in records if r.part == "gate"])
    print(f"\nsupport gate: {s} wrong: {s.wrong}")
    for name, value in (("support_gate_precision", s.precision), ("support_gate_recall", s.recall)):
        assert value >= FLOORS[name]["value"], f"{name} {value:.4f} < floor {FLOORS[name]['value']}"


def test_every_made_unsupported_record_is_called_unsupported_on_the_gate_part(records: list[SupportRecord]) -> None:
    """Changed numbers, swapped names, negations, added claims and other incidents' sentences: all caught."""
    made = [r for r in records if r.part == "gate" and r.kind not in ("natural", "paraphrase")]
    assert len(made) >= 30
    s = score_support(made)
    assert s.false_positives == 0, s.wrong
