"""Quality gate: story assignment on ECB+ (test split) and GVC, run through ingest's stages.

Each corpus is imported, in date order where dates exist, into a scratch store through the
same ``Ingest`` users run (extract, normalize, store, copies, stories) with a new user's
settings; no number of stories is given (``storyline.evaluate.clustering``). The gold
story is ECB+'s ``subtopic`` and GVC's ``incident_id``. B-cubed and pairwise scores are printed
together (pytest -s); the B-cubed F1 must stay at or above its floor in ``floors.json``.
The story model is fitted and its thresholds scanned on the fit parts only (ECB+ train+dev, the
GVC and pool fit incidents, ``storyline.evaluate.splits``); these gates score the other parts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyline.cluster import bcubed, cluster_scores, pairwise
from storyline.embed import Embedder
from storyline.evaluate.clustering import load_ecbplus, load_gvc, project_embedder, run_clustering
from storyline.evaluate.splits import IncidentSplit, incident_split
from tests.conftest import CORPORA

FLOORS = json.loads((Path(__file__).with_name("floors.json")).read_text(encoding="utf-8"))
CORPORA = CORPORA / "clustering"


@pytest.fixture(scope="module")
def embed() -> Embedder:
    return project_embedder()


def _corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.is_file():
        pytest.fail(f"the clustering corpus is missing at {path} (data/corpora in the repository)")
    return path


@pytest.mark.timeout(600)
def test_ecbplus_test_split_bcubed_is_at_or_above_its_floor(embed: Embedder) -> None:
    articles = load_ecbplus(_corpus("ecbplus.jsonl"), {"test"})
    assert len(articles) == 210
    assert {int(a.gold.split("_")[0]) for a in articles} == set(range(36, 46))
    run = run_clustering(articles, embed)
    print(f"\nECB+ test: {run.scores} (copies folded {run.duplicates}, merges {run.merges})")
    floor = FLOORS["floors"]["cluster_ecbplus_test_bcubed_f1"]["value"]
    assert run.scores.bcubed.f1 >= floor, f"ECB+ test B-cubed F1 {run.scores.bcubed.f1:.4f} < floor {floor}"


@pytest.fixture(scope="module")
def incidents() -> IncidentSplit:
    return incident_split(_corpus("gvc-train-dev.jsonl"), _corpus("gva-pool-train.jsonl"))


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("corpus", "floor_name", "reports"), [
    ("gvc-train-dev.jsonl", "cluster_gvc_gate_bcubed_f1", 148),
    ("gva-pool-train.jsonl", "cluster_gva_pool_gate_bcubed_f1", 883),
], ids=["gvc-gate", "pool-gate"])
def test_gun_violence_gate_parts_are_at_or_above_their_floors(
    embed: Embedder, incidents: IncidentSplit, corpus: str, floor_name: str, reports: int
) -> None:
    # Only the incidents the story model was not fitted on (storyline.evaluate.splits).
    articles = [a for a in load_gvc(_corpus(corpus)) if incidents.part(a.gold) == "gate"]
    assert len(articles) == reports
    run = run_clustering(articles, embed)
    print(f"\n{corpus} gate part: {run.scores} (copies folded {run.duplicates}, merges {run.merges})")
    floor = FLOORS["floors"][floor_name]["value"]
    assert run.scores.bcubed.f1 >= floor, f"{corpus} gate B-cubed F1 {run.scores.bcubed.f1:.4f} < floor {floor}"


def test_metrics_match_their_definitions() -> None:
    gold = ["a", "a", "a", "b", "b"]
    predicted = [1, 1, 2, 2, 2]
    # B-cubed precision: items 1,2 -> 2/2; item 3 -> 1/3; items 4,5 -> 2/3 each; mean = (2 + 1/3 + 4/3) / 5.
    assert bcubed(gold, predicted).precision == pytest.approx((2 + 1 / 3 + 4 / 3) / 5)
    # B-cubed recall: items 1,2 -> 2/3 each; item 3 -> 1/3; items 4,5 -> 2/2.
    assert bcubed(gold, predicted).recall == pytest.approx((4 / 3 + 1 / 3 + 2) / 5)
    # Pairwise: predicted pairs (1,2) (3,4) (3,5) (4,5); right: (1,2) and (4,5); gold pairs: 3 + 1.
    assert pairwise(gold, predicted).precision == pytest.approx(2 / 4)
    assert pairwise(gold, predicted).recall == pytest.approx(2 / 4)
    perfect = cluster_scores(gold, ["x", "x", "x", "y", "y"])
    assert perfect.bcubed.f1 == perfect.pairwise.f1 == 1.0
    assert cluster_scores([], []).bcubed.f1 == 1.0
    with pytest.raises(ValueError, match="labels"):
        bcubed(["a"], [])
