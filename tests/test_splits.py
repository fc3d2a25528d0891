"""The fit / gate cut of every labelled set (``storyline.evaluate.splits``): fixed, disjoint, whole.

Sizes are the ones documented in the module's docstring; a change here is a change of what the
quality gates score, and their floors in ``floors.json`` must be measured again.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from storyline.evaluate.splits import (
    IncidentSplit,
    dedupe_part,
    ecbplus_part,
    extraction_part,
    gate_part,
    incident_split,
)
from tests.conftest import CORPORA

ROOT = Path(__file__).resolve().parents[1]
CLUSTERING = CORPORA / "clustering"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def gvc() -> list[dict]:
    return _jsonl(CLUSTERING / "gvc-train-dev.jsonl")


@pytest.fixture(scope="module")
def pool() -> list[dict]:
    return _jsonl(CLUSTERING / "gva-pool-train.jsonl")


@pytest.fixture(scope="module")
def incidents() -> IncidentSplit:
    return incident_split(CLUSTERING / "gvc-train-dev.jsonl", CLUSTERING / "gva-pool-train.jsonl")


def test_gate_part_is_a_fixed_hash_of_the_key() -> None:
    keys = [f"key-{i}" for i in range(4000)]
    first = [gate_part(k, share=0.35) for k in keys]
    assert first == [gate_part(k, share=0.35) for k in keys]
    assert 0.32 < sum(first) / len(keys) < 0.38
    # A larger share only adds keys to the gate; the salt makes another cut.
    assert all(gate_part(k, share=0.5) for k, g in zip(keys, first, strict=True) if g)
    assert first != [gate_part(k, share=0.35, salt="other") for k in keys]
    assert not any(gate_part(k, share=0.0) for k in keys)
    assert all(gate_part(k, share=1.0) for k in keys)
    with pytest.raises(ValueError, match="share"):
        gate_part("x", share=1.5)
    # Pinned values: the cut must not move with the Python version or the machine.
    assert [gate_part(f"incident:{i}", share=0.35) for i in ("478948", "558601", "613826", "152722")] == [
        False, True, False, False,
    ]
    assert hashlib.blake2b(b"storyline-gates-2026:incident:478948", digest_size=8).hexdigest() == "a1a29af51c2fa330"


def test_ecbplus_gate_is_barhoms_test_split() -> None:
    records = _jsonl(CLUSTERING / "ecbplus.jsonl")
    parts = Counter(ecbplus_part(r["subtopic"]) for r in records)
    assert parts == {"fit": 772, "gate": 210}
    for r in records:
        assert (ecbplus_part(int(r["topic"])) == "gate") == (r["split_barhom"] == "test")
        assert ecbplus_part(r["doc_id"]) == ecbplus_part(r["subtopic"])


def test_gun_violence_split_sizes_and_agreement(gvc: list[dict], pool: list[dict], incidents: IncidentSplit) -> None:
    assert Counter(incidents.record_part(r) for r in gvc) == {"fit": 288, "gate": 148}
    assert Counter(incidents.record_part(r) for r in pool) == {"fit": 1677, "gate": 883}
    assert Counter(incidents.part(i) for i in {str(r["incident_id"]) for r in gvc}) == {"fit": 133, "gate": 74}
    assert Counter(incidents.part(i) for i in {str(r["incident_id"]) for r in pool}) == {"fit": 1052, "gate": 533}
    # One report, one side, in both files; one incident, one side, in both files.
    pool_part = {r["doc_id"]: incidents.record_part(r) for r in pool}
    shared = [r for r in gvc if r["doc_id"] in pool_part]
    assert len(shared) == 207
    assert all(incidents.record_part(r) == pool_part[r["doc_id"]] for r in shared)
    side: dict[str, set[str]] = defaultdict(set)
    for r in gvc + pool:
        for incident in {str(r["incident_id"]), *map(str, r.get("incident_ids") or ())}:
            side[incident].add(incidents.part(incident))
            # Every incident a report was filed under is on that report's side: no report of a
            # gate incident is in a fit part.
            assert incidents.part(incident) == incidents.record_part(r)
    assert all(len(s) == 1 for s in side.values())


def test_reports_filed_under_two_incidents_join_them(pool: list[dict], incidents: IncidentSplit) -> None:
    linked = [r for r in pool if len(r["incident_ids"]) > 1]
    assert len(linked) == 9
    for r in linked:
        units = {incidents.unit_of[str(i)] for i in r["incident_ids"]}
        assert units == {min(incidents.unit_of[str(i)] for i in r["incident_ids"])}


def test_dedupe_split_keeps_events_and_groups_whole(incidents: IncidentSplit) -> None:
    records = _jsonl(ROOT / "data" / "quality" / "dedupe.jsonl")
    parts = [dedupe_part(r["event"], incidents) for r in records]
    assert Counter(parts) == {"fit": 3651, "gate": 1698}
    by_corpus = Counter((r["event"].split("-")[0], p) for r, p in zip(records, parts, strict=True))
    assert by_corpus == {("ecb", "fit"): 1117, ("ecb", "gate"): 333, ("gvc", "fit"): 1946, ("gvc", "gate"): 1079,
                         ("wiki", "fit"): 588, ("wiki", "gate"): 286}
    group_sides: dict[str, set[str]] = defaultdict(set)
    for r, p in zip(records, parts, strict=True):
        group_sides[r["group"]].add(p)
        # The cut agrees with the story sets': an ECB+ or GVC event is where its documents are.
        if r["event"].startswith("ecb-"):
            assert p == ecbplus_part(r["event"].removeprefix("ecb-"))
        if r["event"].startswith("gvc-"):
            assert p == incidents.part(r["event"].removeprefix("gvc-"))
    assert all(len(s) == 1 for s in group_sides.values())
    with pytest.raises(ValueError, match="event"):
        dedupe_part("other-1", incidents)


def test_extraction_split_sizes() -> None:
    truth = json.loads((CORPORA / "extraction" / "scrapinghub-dev" / "ground-truth.json").read_text(encoding="utf-8"))
    parts = {key: extraction_part(key) for key in truth}
    assert Counter(parts.values()) == {"fit": 61, "gate": 31}
    assert parts == {key: extraction_part(key) for key in sorted(truth, reverse=True)}
