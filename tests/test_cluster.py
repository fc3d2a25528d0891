"""The cluster stage: online story assignment, window eviction, merges, snapshots, hostile input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from storyline.cluster import ClusterInput, ClusterSettings, StoryClusterer
from storyline.cluster.model import FEATURES
from storyline.errors import InputError

DIM = 384
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)

EARTHQUAKE = ("Magnitude 6.1 earthquake strikes Aceh province",
              "A magnitude 6.1 earthquake struck Indonesia's Aceh province on Tuesday, killing 24 people in "
              "Bener Meriah and Central Aceh, the disaster agency BNPB said. Rescuers in Takengon searched rubble.")
EARTHQUAKE_2 = ("Aceh quake death toll rises to 24",
                "Rescuers in Indonesia's Aceh province dug through rubble in Bener Meriah after the magnitude 6.1 "
                "earthquake, BNPB spokesman Sutopo Purwo Nugroho said. Takengon hospitals treated 200 injured.")
ELECTION = ("Labour wins Hartlepool by-election recount",
            "Labour candidate Jill Mortimer won the Hartlepool by-election after a recount on Friday, the returning "
            "officer said, with Conservative turnout down in Seaton Carew and Greatham.")


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def article(key: str, title: str, text: str, embedding: np.ndarray | None, day: float = 0.0,
            **kw: object) -> ClusterInput:
    published = T0 + timedelta(days=day)
    return ClusterInput(key, title, text, embedding, published=kw.pop("published", published), **kw)  # type: ignore[arg-type]


def embedding_only(threshold_cosine: float, *, merge: float = 0.5, **kw: object) -> ClusterSettings:
    """Settings whose model reads only the embedding: joins at cosine >= ``threshold_cosine``."""
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("bias")] = -50.0 * threshold_cosine
    weights[FEATURES.index("embedding")] = 50.0
    return ClusterSettings(weights=tuple(weights), join_threshold=0.5, merge_threshold=merge, **kw)  # type: ignore[arg-type]


def synthetic_stream(rng: np.random.Generator, count: int, stories: int = 12) -> list[ClusterInput]:
    centres = [unit(rng.standard_normal(DIM)) for _ in range(stories)]
    out = []
    for i in range(count):
        story = int(rng.integers(stories))
        vector = unit(centres[story] + 0.35 * unit(rng.standard_normal(DIM)))
        title = f"Event {story} update {i}"
        text = f"Officials in Place{story} said Person{story} confirmed {story * 7 + 3} injured. Report {i}."
        out.append(article(f"a{i}", title, text, vector, day=i / 10))
    return out


def test_articles_of_one_event_share_a_story_and_another_event_starts_one(rng: np.random.Generator) -> None:
    quake = unit(rng.standard_normal(DIM))
    clusterer = StoryClusterer(next_id=100)
    first = clusterer.add(article("q1", *EARTHQUAKE, quake))
    second = clusterer.add(article("q2", *EARTHQUAKE_2, unit(quake + 0.3 * unit(rng.standard_normal(DIM))), day=0.2))
    third = clusterer.add(article("e1", *ELECTION, unit(rng.standard_normal(DIM)), day=0.3))
    assert first.is_new
    assert first.story_id == 100
    assert first.score == 0.0
    assert not second.is_new
    assert second.story_id == 100
    assert second.score >= clusterer.settings.join_threshold
    assert third.is_new
    assert third.story_id == 101
    assert len(clusterer) == 2


def test_a_short_article_with_nothing_in_common_starts_its_own_story(rng: np.random.Generator) -> None:
    # No shared words, names or numbers, an unrelated embedding, the same day: the similarity
    # gate refuses the candidate before the model is asked (a model fitted on corpora whose
    # candidates share a topic may lean to "join").
    clusterer = StoryClusterer()
    summit = unit(rng.standard_normal(DIM))
    clusterer.add(article("k1", "Kremlin says summit agreed", "The Kremlin said a summit between the two "
                          "presidents was set for the coming days.", summit))
    unrelated = unit(summit + 6.0 * unit(rng.standard_normal(DIM)))  # cosine about 0.16, below min_similarity
    budget = clusterer.add(article("b1", "Council approves the budget",
                                   "The town council approved next year's budget on Monday.", unrelated, day=0.1))
    assert budget.is_new
    assert budget.score == 0.0
    assert len(clusterer) == 2


def test_an_id_factory_names_new_stories() -> None:
    ids = iter([501, 777])
    clusterer = StoryClusterer(id_factory=lambda: next(ids))
    assert clusterer.add(article("a", *EARTHQUAKE, None)).story_id == 501
    assert clusterer.add(article("b", *ELECTION, None)).story_id == 777


def test_stories_older_than_the_window_are_evicted(rng: np.random.Generator) -> None:
    vector = unit(rng.standard_normal(DIM))
    clusterer = StoryClusterer(replace(ClusterSettings(), window_days=3))
    old = clusterer.add(article("q1", *EARTHQUAKE, vector, day=0, received=T0))
    fresh = clusterer.add(article("q2", *EARTHQUAKE_2, vector, day=10, received=T0 + timedelta(days=10)))
    assert fresh.is_new
    assert fresh.story_id != old.story_id
    assert old.story_id not in clusterer
    assert fresh.story_id in clusterer
    assert len(clusterer) == 1


def test_max_active_bounds_the_stories_kept(rng: np.random.Generator) -> None:
    clusterer = StoryClusterer(embedding_only(0.9, max_active=5))
    for i in range(20):
        clusterer.add(article(f"a{i}", f"t{i}", f"text {i}", unit(rng.standard_normal(DIM)), published=None))
    assert len(clusterer) == 5


def test_converging_stories_merge_and_the_merged_id_redirects(rng: np.random.Generator) -> None:
    a = unit(rng.standard_normal(DIM))
    other = rng.standard_normal(DIM)
    b = unit(0.5 * a + 0.75**0.5 * unit(other - (other @ a) * a))  # cosine 0.5 with a: two stories
    clusterer = StoryClusterer(embedding_only(0.6))
    first = clusterer.add(article("a", "one", "one", a))
    second = clusterer.add(article("b", "two", "two", b))
    assert first.is_new
    assert second.is_new
    assert first.story_id != second.story_id
    # Cosine 0.87 with each; with it, story a's centroid is at cosine 0.71 of story b: they merge.
    bridge = clusterer.add(article("c", "three", "three", unit(a + b)))
    assert not bridge.is_new
    assert bridge.merged_from == (second.story_id,)  # equal size: the older story keeps its id
    assert bridge.story_id == first.story_id
    assert clusterer.resolve(second.story_id) == first.story_id
    assert clusterer.redirects == {second.story_id: first.story_id}
    assert second.story_id not in clusterer
    assert len(clusterer) == 1


def test_related_stories_are_near_but_not_the_same(rng: np.random.Generator) -> None:
    base = unit(rng.standard_normal(DIM))
    near = unit(base + 0.9 * unit(rng.standard_normal(DIM)))  # cosine ~0.74
    clusterer = StoryClusterer(replace(embedding_only(0.9), related_min_similarity=0.5))
    first = clusterer.add(article("a", "one", "one", base))
    second = clusterer.add(article("b", "two", "two", near))
    assert second.is_new
    assert second.related == (first.story_id,)


def test_same_input_order_gives_the_same_assignments(rng: np.random.Generator) -> None:
    stream = synthetic_stream(rng, 120)
    one, two = StoryClusterer(), StoryClusterer()
    runs = [[one.add(a) for a in stream], [two.add(a) for a in stream]]
    assert runs[0] == runs[1]
    assert len({x.story_id for x in runs[0]}) < 60  # it does group


def test_a_restored_snapshot_continues_exactly_as_the_original(rng: np.random.Generator) -> None:
    stream = synthetic_stream(rng, 160)
    original = StoryClusterer(replace(ClusterSettings(), window_days=5))
    for a in stream[:80]:
        original.add(a)
    restored = StoryClusterer.restore(original.snapshot())
    assert len(restored) == len(original)
    rest_original = [original.add(a) for a in stream[80:]]
    rest_restored = [restored.add(a) for a in stream[80:]]
    assert rest_original == rest_restored
    assert restored.snapshot() == original.snapshot()


def test_an_empty_clusterer_snapshots_and_restores() -> None:
    restored = StoryClusterer.restore(StoryClusterer(next_id=42).snapshot())
    assert len(restored) == 0
    assert restored.add(article("a", *EARTHQUAKE, None)).story_id == 42


def test_a_broken_snapshot_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cluster snapshot"):
        StoryClusterer.restore(b"not a snapshot")


def test_hostile_articles_are_assigned_without_error(rng: np.random.Generator) -> None:
    clusterer = StoryClusterer()
    vector = unit(rng.standard_normal(DIM))
    hostile = [
        ClusterInput("empty", "", "", vector),
        ClusterInput("no-title", "", EARTHQUAKE[1], vector),
        ClusterInput("no-date", *EARTHQUAKE, vector),
        ClusterInput("no-embedding", *EARTHQUAKE, None, published=T0),
        ClusterInput("nan-embedding", *EARTHQUAKE, np.full(DIM, np.nan, np.float32), published=T0),
        ClusterInput("zero-embedding", *EARTHQUAKE, np.zeros(DIM, np.float32), published=T0),
        ClusterInput("naive-time", *EARTHQUAKE, vector, published=datetime(2024, 5, 1, 12)),
        ClusterInput("chinese", "印尼亚齐省发生6.1级地震", "印度尼西亚亚齐省周二发生6.1级地震，造成24人死亡。" * 20,
                     vector),
        ClusterInput("russian", "Землетрясение в Индонезии",
                     "Землетрясение магнитудой 6,1 произошло в провинции Ачех. " * 20, vector),
        ClusterInput("arabic", "زلزال في إندونيسيا", "ضرب زلزال بقوة 6.1 درجة إقليم آتشيه في إندونيسيا " * 20, vector),
        ClusterInput("symbols", "!!!", "\x00\ufeff\u200b ### 🙂🙂🙂 ...", vector),
    ]
    for item in hostile:
        assignment = clusterer.add(item)
        assert assignment.story_id >= 1
        assert 0.0 <= assignment.score <= 1.0


@pytest.mark.timeout(60)  # a hang guard; how long it takes is printed by bench/hostile.py
def test_a_huge_text_is_read_only_as_far_as_its_lead(rng: np.random.Generator) -> None:
    vector = unit(rng.standard_normal(DIM))
    huge = EARTHQUAKE[1] + " more words about other things" * 200_000  # ~6 MB
    lead = huge[: StoryClusterer().settings.max_chars]
    scores = []
    for text in (huge, lead):
        clusterer = StoryClusterer()
        clusterer.add(ClusterInput("first", EARTHQUAKE[0], EARTHQUAKE[1], vector, published=T0))
        scores.append(clusterer.add(ClusterInput("huge", EARTHQUAKE[0], text, vector, published=T0)).score)
    assert scores[0] == scores[1]


def test_a_wrong_embedding_size_is_an_input_error() -> None:
    with pytest.raises(InputError, match="384"):
        StoryClusterer().add(ClusterInput("short", "t", "x", np.ones(10, np.float32)))


def test_a_future_date_does_not_age_every_story_out(rng: np.random.Generator) -> None:
    vector = unit(rng.standard_normal(DIM))
    for received in (T0, None):
        clusterer = StoryClusterer(replace(ClusterSettings(), window_days=3))
        kept = clusterer.add(ClusterInput("now", *EARTHQUAKE, vector, published=T0, received=received))
        clusterer.add(ClusterInput("future", *ELECTION, unit(rng.standard_normal(DIM)),
                                   published=datetime(2099, 1, 1, tzinfo=UTC), received=received))
        assert kept.story_id in clusterer


def test_a_future_date_is_not_time_evidence_when_the_arrival_time_is_known(rng: np.random.Generator) -> None:
    vector = unit(rng.standard_normal(DIM))
    clusterer = StoryClusterer()
    first = clusterer.add(ClusterInput("a", *EARTHQUAKE, vector, published=T0, received=T0))
    late = clusterer.add(ClusterInput("b", *EARTHQUAKE_2, vector, published=datetime(2099, 1, 1, tzinfo=UTC),
                                      received=T0 + timedelta(hours=1)))
    assert late.story_id == first.story_id
