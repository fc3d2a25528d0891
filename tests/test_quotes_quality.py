"""Quality gate: direct quotes found and their speakers, on the gate part of the hand-labelled quotes.

``data/quality/quotes.jsonl`` holds 171 quotes labelled by reading 41 Wikinews articles and the
four articles of the seed page (see ``data/quality/SOURCE.md``). It is cut by article
(``splits.quotes_part``): the attribution rules were developed on the fit part, and only the gate
part is scored here, each article run through the per-item stages as ingest runs them. Metrics:
``storyline.evaluate.quotes``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.evaluate.quotes import LabelledQuote, load_articles, load_labels, score_quotes
from storyline.evaluate.splits import quotes_part
from tests.conftest import CORPORA

ROOT = Path(__file__).resolve().parents[1]
FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))["floors"]
LABELS = ROOT / "data" / "quality" / "quotes.jsonl"


@pytest.fixture(scope="module")
def labels() -> list[LabelledQuote]:
    return load_labels(LABELS)


def test_the_set_and_its_split_are_fixed(labels: list[LabelledQuote]) -> None:
    gate = [q for q in labels if quotes_part(q.article) == "gate"]
    assert len(labels) == 171
    assert len({q.article for q in labels}) == 45
    assert len(gate) == 95
    assert len({q.article for q in gate}) == 26
    assert sum(q.article.startswith("seed:") for q in labels) == 23


@pytest.mark.timeout(300)
def test_quote_scores_on_the_gate_part_are_at_or_above_their_floors(labels: list[LabelledQuote]) -> None:
    gate = [q for q in labels if quotes_part(q.article) == "gate"]
    articles = load_articles([q.article for q in gate], CORPORA)
    s = score_quotes(gate, articles)
    print(f"\nquotes gate: P={s.precision:.4f} R={s.recall:.4f} speaker={s.speaker_accuracy:.4f} {s}")
    for name, value in (("quotes_gate_detection_precision", s.precision),
                        ("quotes_gate_detection_recall", s.recall),
                        ("quotes_gate_speaker_accuracy", s.speaker_accuracy)):
        assert value >= FLOORS[name]["value"], f"{name} {value:.4f} < floor {FLOORS[name]['value']}"


def test_every_label_is_in_its_article(labels: list[LabelledQuote]) -> None:
    """A label whose opening words are not in its article would be silently unscorable."""
    articles = load_articles([q.article for q in labels], CORPORA)
    for q in labels:
        assert q.quote in articles[q.article].text, (q.article, q.quote)
