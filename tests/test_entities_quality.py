"""Quality gate: typed names and alias merging of the entities stage on GUM's news documents (gate part).

GUM (``data/corpora/entities/gum-news``) annotates every entity mention of 24 Wikinews articles
with its type and coreference chain. The documents are cut by name (``splits.entities_part``):
the stage's rules and word lists were developed on the fit part (15 documents), and only the
gate part (9 documents) is scored here. The metrics are ``storyline.evaluate.entities``':
mention-level precision and recall of person/organization/place names (type must match), and
pairwise precision and recall of which found names were merged into one entity.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.evaluate.entities import load_gum, predict, score_mentions, score_merging
from storyline.evaluate.splits import entities_part
from tests.conftest import CORPORA

FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))["floors"]
GUM = CORPORA / "entities" / "gum-news" / "dep"


@pytest.fixture(scope="module")
def documents() -> list:
    return load_gum(GUM)


def test_the_split_is_fixed(documents: list) -> None:
    gate = [d.name for d in documents if entities_part(d.name) == "gate"]
    assert len(documents) == 24
    assert len(gate) == 9
    assert sum(len(d.named) for d in documents if entities_part(d.name) == "gate") == 528


@pytest.mark.timeout(120)
def test_entity_scores_on_the_gate_part_are_at_or_above_their_floors(documents: list) -> None:
    gate = [d for d in documents if entities_part(d.name) == "gate"]
    predictions = [predict(d) for d in gate]
    mentions = score_mentions(gate, predictions)
    merging = score_merging(gate, predictions)
    print(f"\nentities gate: mentions P={mentions.precision:.4f} R={mentions.recall:.4f} {mentions}; "
          f"merging P={merging.precision:.4f} R={merging.recall:.4f} {merging}")
    for name, value in (("entities_gum_gate_mention_precision", mentions.precision),
                        ("entities_gum_gate_mention_recall", mentions.recall),
                        ("entities_gum_gate_merge_precision", merging.precision),
                        ("entities_gum_gate_merge_recall", merging.recall)):
        assert value >= FLOORS[name]["value"], f"{name} {value:.4f} < floor {FLOORS[name]['value']}"


def test_the_metrics_can_fail() -> None:
    """A stage that finds nothing, or merges everything, scores low: the gate can fail."""
    doc = load_gum(GUM)[0]
    assert score_mentions([doc], [[]]).recall == 0.0
    found = predict(doc)
    lumped = [type(m)(m.start, m.end, m.type, "one") for m in found]
    assert score_merging([doc], [lumped]).precision < 0.5
