"""Quality gate: story summaries against held-out reports' leads, beside LexRank, TextRank and the leads.

No openly licensed human multi-document news summaries could be found for this repository
(see docs/summaries.md), so ``storyline.evaluate.summaries`` holds one report of each event
back and uses its first words as the reference: a journalist's own account of the event. The
other reports are summarised to the same length by ``storyline summarize``'s code. Events are
cut by incident (gun-violence pool) and topic (ECB+); the ranking's weights were fitted on
the fit part (``scripts/tune_summaries.py``), and only the gate part is scored here, at 60 words
(a lead) and 250 words (the usual multi-document length, where LexRank is the peer to beat).
ROUGE is Google's ``rouge-score`` with Porter stemming; the baselines are sumy's on the same
sentences and budget.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.evaluate.summaries import (
    SummaryCase,
    baseline_summaries,
    load_cases,
    score_summaries,
    storyline_summaries,
)
from tests.conftest import CORPORA

FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))["floors"]


@pytest.fixture(scope="module")
def short() -> list[SummaryCase]:
    return load_cases(CORPORA / "clustering", "gate", 60)


@pytest.fixture(scope="module")
def long() -> list[SummaryCase]:
    return load_cases(CORPORA / "clustering", "gate", 250)


def test_the_gate_cases_are_fixed(short: list[SummaryCase], long: list[SummaryCase]) -> None:
    assert len(short) == 81
    assert len(long) == 64
    fit = load_cases(CORPORA / "clustering", "fit", 60)
    assert not {c.event for c in fit} & {c.event for c in short}
    inputs = {r.doc_id for c in short for r in c.inputs}
    assert not inputs & {r.doc_id for c in fit for r in c.inputs}


@pytest.mark.timeout(300)
def test_summaries_of_60_words_are_at_or_above_their_floors_and_beat_random(short: list[SummaryCase]) -> None:
    ours = score_summaries(short, storyline_summaries(short, 60))
    chance = score_summaries(short, baseline_summaries(short, "random", 60))
    print(f"\nsummaries gate, 60 words: storyline R1 {ours.rouge1:.4f} R2 {ours.rouge2:.4f} RL {ours.rougeL:.4f}; "
          f"random R1 {chance.rouge1:.4f} R2 {chance.rouge2:.4f}")
    assert ours.rouge1 >= FLOORS["summary_gate_rouge1_60"]["value"]
    assert ours.rouge2 >= FLOORS["summary_gate_rouge2_60"]["value"]
    assert ours.rouge1 > chance.rouge1 + 0.05
    assert ours.rouge2 > chance.rouge2 + 0.03


@pytest.mark.timeout(300)
def test_summaries_of_250_words_are_at_or_above_their_floors_and_ahead_of_lexrank(long: list[SummaryCase]) -> None:
    ours = score_summaries(long, storyline_summaries(long, 250))
    lexrank = score_summaries(long, baseline_summaries(long, "lexrank", 250))
    print(f"\nsummaries gate, 250 words: storyline R1 {ours.rouge1:.4f} R2 {ours.rouge2:.4f} RL {ours.rougeL:.4f}; "
          f"LexRank R1 {lexrank.rouge1:.4f} R2 {lexrank.rouge2:.4f} RL {lexrank.rougeL:.4f}")
    assert ours.rouge1 >= FLOORS["summary_gate_rouge1_250"]["value"]
    assert ours.rouge2 >= FLOORS["summary_gate_rouge2_250"]["value"]
    assert ours.rouge1 > lexrank.rouge1
    assert ours.rouge2 > lexrank.rouge2
