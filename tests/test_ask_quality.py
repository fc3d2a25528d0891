"""Quality gate: ask a story (``summarize.ask``) on the gate part of ``data/quality/ask.jsonl``.

Questions written by reading stories of the gun-violence pool (see ``data/quality/SOURCE.md``),
answerable ones with the words a sentence answering them holds, and questions the story's
reports do not answer. The set is cut by story (``splits.ask_part``); ``scripts/fit_ask.py``
fits ``MIN_COVERAGE``, ``OFF_TYPE`` and ``CONTEXT`` on the fit part; only the gate part is scored here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.evaluate.ask import Question, load_questions, load_stories, score_answers

ROOT = Path(__file__).resolve().parents[1]
FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))["floors"]
POOL = ROOT / "data" / "corpora" / "clustering" / "gva-pool-train.jsonl"


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_questions(ROOT / "data" / "quality" / "ask.jsonl")


def test_the_set_and_its_split_are_fixed(questions: list[Question]) -> None:
    gate = [q for q in questions if q.part == "gate"]
    assert len(questions) == 142
    assert sum(q.answerable for q in questions) == 106
    assert len(gate) == 75
    assert sum(q.answerable for q in gate) == 55
    assert len({q.story for q in gate}) == 8
    # No story straddles the cut (the story is the unit), and every answer is words of its story.
    assert not {q.story for q in gate} & {q.story for q in questions if q.part == "fit"}
    texts: dict[str, str] = {}
    for line in POOL.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        key = f"gva:{record['incident_id']}"
        texts[key] = texts.get(key, "") + "\n" + record["text"].lower()
    for q in questions:
        assert q.answerable == bool(q.answers), q.question
        assert all(a.lower() in texts[q.story] for a in q.answers), q.question


def test_ask_scores_on_the_gate_part_are_at_or_above_their_floors(questions: list[Question]) -> None:
    gate = [q for q in questions if q.part == "gate"]
    s = score_answers(gate, load_stories([q.story for q in gate], POOL))
    print(f"\nask gate: {s}\nwrong or missed: {s.wrong}")
    for name, value in (("ask_gate_precision", s.precision), ("ask_gate_recall", s.recall),
                        ("ask_gate_abstention", s.abstention)):
        assert value >= FLOORS[name]["value"], f"{name} {value:.4f} < floor {FLOORS[name]['value']}"
