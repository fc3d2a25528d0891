"""The Store contract (storyline.store.protocol), run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storyline.errors import LeaseLostError, StoreError
from storyline.store import SQLStore, open_store
from storyline.types import Article, DuplicateLink, SourceKind, StoryLink, UpsertOutcome

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_article(n: int, **changes: object) -> Article:
    article = Article(
        canonical_url=f"https://news.example/a/{n}",
        url=f"https://news.example/a/{n}?utm_source=x",
        title=f"Title {n}",
        text=f"Body of article {n}.\n\nSecond paragraph.",
        content_hash=f"hash-{n}",
        outlet="Example News",
        published=T0 + timedelta(minutes=n),
        authors=("A. Writer",),
        word_count=7,
    )
    return dataclasses.replace(article, **changes)


def test_upsert_same_article_twice_stores_one(store: SQLStore) -> None:
    first = store.upsert_articles([make_article(1)])
    second = store.upsert_articles([make_article(1)])
    assert first[0].outcome is UpsertOutcome.INSERTED
    assert second[0].outcome is UpsertOutcome.UNCHANGED
    assert second[0].article_id == first[0].article_id
    assert store.count_articles() == 1


def test_upsert_same_url_in_one_batch_is_one_row(store: SQLStore) -> None:
    results = store.upsert_articles([make_article(1), make_article(1, title="Edited")])
    assert [r.outcome for r in results] == [UpsertOutcome.INSERTED, UpsertOutcome.UPDATED]
    assert store.count_articles() == 1
    assert store.get_article(results[0].article_id).title == "Edited"


def test_feed_item_guids_are_recorded_with_their_articles(store: SQLStore) -> None:
    source = store.ensure_source(SourceKind.FEED, "https://news.example/feed", "Example")
    results = store.upsert_articles([make_article(1), make_article(2), make_article(3)], source_id=source.id,
                                    guids=["g1", None, "g3"])
    assert store.item_articles(source.id, ["g1", "g2", "g3"]) == {"g1": results[0].article_id,
                                                                  "g3": results[2].article_id}
    # The first sighting wins: the same GUID naming another article later changes nothing.
    store.upsert_articles([make_article(4)], source_id=source.id, guids=["g1"])
    assert store.item_articles(source.id, ["g1"]) == {"g1": results[0].article_id}
    with pytest.raises(ValueError, match="2 guids for 1 articles"):
        store.upsert_articles([make_article(5)], source_id=source.id, guids=["a", "b"])
    assert store.count_articles() == 4


def test_changed_article_is_updated_in_place(store: SQLStore) -> None:
    [inserted] = store.upsert_articles([make_article(1)])
    before = store.get_article(inserted.article_id)
    [updated] = store.upsert_articles([make_article(1, text="New text.", content_hash="other")])
    after = store.get_article(inserted.article_id)
    assert updated.outcome is UpsertOutcome.UPDATED
    assert updated.article_id == inserted.article_id
    assert after.text == "New text."
    assert after.created_at == before.created_at
    assert after.updated_at >= before.updated_at


def test_an_edited_article_keeps_its_earlier_versions(store: SQLStore) -> None:
    [first] = store.upsert_articles([make_article(1)])
    store.upsert_articles([make_article(1, title="Title 1, corrected")])
    store.upsert_articles([make_article(1, title="Title 1, corrected", text="Rewritten.", content_hash="h2")])
    store.upsert_articles([make_article(1, title="Title 1, corrected", text="Rewritten.", content_hash="h2",
                                        outlet="Renamed outlet")])  # not an edit of the words

    revisions = store.article_revisions(first.article_id)

    assert [(r.title, r.content_hash) for r in revisions] == [("Title 1", "hash-1"), ("Title 1, corrected", "hash-1")]
    assert revisions[0].text == make_article(1).text
    assert all(r.stored_at <= r.replaced_at for r in revisions)
    assert revisions[0].replaced_at <= revisions[1].stored_at
    assert store.count_articles() == 1
    assert store.get_article(first.article_id).text == "Rewritten."


def test_re_extraction_is_not_a_revision(store: SQLStore) -> None:
    [first] = store.upsert_articles([make_article(1)])
    store.upsert_articles([make_article(1, text="Cleaner text.", content_hash="h2")], revisions=False)
    assert store.article_revisions(first.article_id) == []
    assert store.article_revisions(987654) == []


def test_round_trip_keeps_every_field(store: SQLStore) -> None:
    article = make_article(3, language="en", is_sample=True, licence="CC BY 2.5")
    [result] = store.upsert_articles([article])
    stored = store.get_article(result.article_id)
    assert (stored.canonical_url, stored.url, stored.title, stored.text) == (
        article.canonical_url, article.url, article.title, article.text)
    assert stored.authors == ("A. Writer",)
    assert stored.published == article.published
    assert (stored.language, stored.is_sample, stored.licence, stored.word_count) == ("en", True,
                                                                                      "CC BY 2.5", 7)
    assert store.get_article_by_url(article.canonical_url) == stored


def test_times_come_back_aware_utc(store: SQLStore) -> None:
    tokyo = timezone(timedelta(hours=9))
    local = datetime(2024, 5, 1, 21, 0, tzinfo=tokyo)
    [result] = store.upsert_articles([make_article(1, published=local)])
    stored = store.get_article(result.article_id)
    assert stored.published == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert stored.published.utcoffset() == timedelta(0)
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    # The same instant in another zone is the same article, not a change.
    [again] = store.upsert_articles([make_article(1, published=local.astimezone(UTC))])
    assert again.outcome is UpsertOutcome.UNCHANGED


def test_naive_datetime_is_refused_and_batch_is_atomic(store: SQLStore) -> None:
    naive = make_article(2, published=datetime(2024, 5, 1, 12, 0))
    with pytest.raises(StoreError):
        store.upsert_articles([make_article(1), naive, make_article(3)])
    assert store.count_articles() == 0


def test_latest_articles_newest_first_with_paging(store: SQLStore) -> None:
    store.upsert_articles([make_article(n) for n in range(1, 8)])
    undated = make_article(99, published=None)
    store.upsert_articles([undated])
    # An undated article sorts by arrival (now), ahead of 2024's articles.
    titles = [a.title for a in store.latest_articles(limit=3)]
    assert titles == ["Title 99", "Title 7", "Title 6"]
    assert [a.title for a in store.latest_articles(limit=3, offset=3)] == ["Title 5", "Title 4", "Title 3"]
    assert store.latest_articles(limit=5, offset=100) == []


def test_missing_article_is_none(store: SQLStore) -> None:
    assert store.get_article(12345) is None
    assert store.get_article_by_url("https://nowhere.example/") is None


def test_stats(store: SQLStore) -> None:
    assert store.stats().articles == 0
    assert store.stats().newest is None
    store.upsert_articles([make_article(1), make_article(2, outlet="Other", is_sample=True)])
    stats = store.stats()
    assert (stats.articles, stats.sample_articles, stats.outlets) == (2, 1, 2)
    assert stats.newest == T0 + timedelta(minutes=2)
    assert stats.oldest == T0 + timedelta(minutes=1)


def test_sources_are_idempotent_and_sample_delete_keeps_the_rest(store: SQLStore) -> None:
    sample = store.ensure_source(SourceKind.SAMPLE, "file:///sample/a.jsonl", "a.jsonl")
    again = store.ensure_source(SourceKind.SAMPLE, "file:///sample/a.jsonl", "renamed")
    mine = store.ensure_source(SourceKind.FILE, "file:///home/me/news", "news")
    assert sample == again
    assert [s.id for s in store.list_sources()] == [sample.id, mine.id]
    store.upsert_articles([make_article(1, is_sample=True)], source_id=sample.id)
    store.upsert_articles([make_article(2)], source_id=mine.id)
    assert store.delete_sample_articles() == 1
    assert [a.title for a in store.latest_articles(limit=10)] == ["Title 2"]
    assert [s.kind for s in store.list_sources()] == [SourceKind.FILE]


def test_source_health_of_many_sources_is_written_in_one_call(store: SQLStore) -> None:
    feeds = [store.ensure_source(SourceKind.FEED, f"https://example.com/{n}.xml", str(n)) for n in range(3)]
    when = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
    store.update_sources({
        feeds[0].id: {"last_status": 304, "latency_ms": 12, "next_fetch_at": when, "last_error": None},
        feeds[1].id: {"last_status": 304, "latency_ms": 30, "next_fetch_at": when + timedelta(hours=1),
                      "last_error": None},
        feeds[2].id: {"consecutive_failures": 2},  # other columns: a statement of its own
    })
    store.update_sources({})
    got = [store.get_source(f.id) for f in feeds]
    assert [g.health.last_status for g in got] == [304, 304, None]
    assert [g.health.latency_ms for g in got] == [12, 30, None]
    assert got[0].health.next_fetch_at == when
    assert got[1].health.next_fetch_at == when + timedelta(hours=1)
    assert got[2].health.consecutive_failures == 2
    with pytest.raises(ValueError, match="not source columns"):
        store.update_sources({feeds[0].id: {"colour": "blue"}})


def test_concurrent_writers_of_one_url_make_one_row(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(2)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(20):
                stores[worker % 2].upsert_articles([make_article(n), make_article(100 + worker)])
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert stores[0].count_articles() == 24
    for opened in stores:
        opened.close()


def test_readers_run_while_writing(store: SQLStore) -> None:
    store.upsert_articles([make_article(n) for n in range(50)])
    seen: list[int] = []

    def read() -> None:
        for _ in range(20):
            seen.append(len(store.latest_articles(limit=100)))

    reader = threading.Thread(target=read)
    reader.start()
    store.upsert_articles([make_article(n) for n in range(50, 100)])
    reader.join(timeout=60)
    # Each read saw a whole batch or none of it, never half.
    assert set(seen) <= {50, 100}


def test_raw_pages_are_kept_compressed_and_pruned_by_age(store: SQLStore) -> None:
    from storyline.types import RawPage

    first, second = store.upsert_articles([make_article(1), make_article(2)])
    old = datetime(2024, 1, 1, tzinfo=UTC)
    new = datetime(2024, 6, 1, tzinfo=UTC)
    html = "<html><body><p>Ünïcode page</p></body></html>" * 100
    store.save_raw_pages([
        RawPage(article_id=first.article_id, url="https://a/1", origin="a", fetched_at=old, html=html),
        RawPage(article_id=second.article_id, url=None, origin="b", fetched_at=new, html="<p>b</p>"),
    ])
    pages = store.raw_pages()
    assert [p.html for p in pages] == [html, "<p>b</p>"]
    assert store.prune_raw_pages(datetime(2024, 3, 1, tzinfo=UTC)) == 1
    assert [p.origin for p in store.raw_pages()] == ["b"]
    assert store.count_articles() == 2  # articles stay


# -- stories -----------------------------------------------------------------------------------


def test_story_links_merges_and_related(store: SQLStore) -> None:
    ids = [r.article_id for r in store.upsert_articles([make_article(n, outlet=f"Outlet {n % 2}") for n in range(4)])]
    store.save_story_links([StoryLink(ids[0], 10, 0.0), StoryLink(ids[1], 10, 0.9), StoryLink(ids[2], 11, 0.0)],
                           related={10: [(11, 1.0)], 11: [(10, 1.0), (11, 0.5)]})
    assert store.stories_of(ids) == {ids[0]: 10, ids[1]: 10, ids[2]: 11}
    assert store.related_stories(10) == [(11, 1.0)]
    assert store.related_stories(11) == [(10, 1.0)], "a story is not related to itself"
    assert sorted(store.related_among([10])) == [(10, 11), (11, 10)]

    store.save_story_links([StoryLink(ids[3], 12, 0.0)], merges=[(11, 10)])

    assert store.stories_of(ids) == {ids[0]: 10, ids[1]: 10, ids[2]: 10, ids[3]: 12}
    assert (store.resolve_story(11), store.resolve_story(10), store.resolve_story(99)) == (10, 10, None)
    assert store.related_stories(10) == []
    assert [a.id for a in store.story_articles(10)] == ids[:3]
    store.save_story_links([], merges=[(10, 12)])
    assert store.resolve_story(11) == 12, "redirects follow later merges"


def test_stories_after_counts_live_stories_above_an_id(store: SQLStore) -> None:
    assert store.stories_after(0) == (0, 0)
    ids = [r.article_id for r in store.upsert_articles([make_article(n) for n in range(3)])]
    store.save_story_links([StoryLink(ids[0], 10, 0.0), StoryLink(ids[1], 11, 0.0), StoryLink(ids[2], 12, 0.0)])
    assert [store.stories_after(n) for n in (0, 10, 11, 12, 2**62)] == [(3, 12), (2, 12), (1, 12), (0, 12), (0, 12)]
    store.save_story_links([], merges=[(12, 10)])  # the newest story merged away: not new, not the newest
    assert [store.stories_after(n) for n in (0, 10, 11)] == [(2, 11), (1, 11), (0, 11)]


def test_story_stats_count_copies_once(store: SQLStore) -> None:
    ids = [r.article_id for r in store.upsert_articles([make_article(n, outlet=f"Outlet {n}") for n in range(3)])]
    store.save_duplicates([DuplicateLink(ids[0], ids[0], None),
                           DuplicateLink(ids[1], ids[0], ids[0], "near-duplicate")])
    store.save_story_links([StoryLink(i, 5, 0.5) for i in ids])

    [stats] = store.story_stats(since=T0 - timedelta(days=1), recent_since=T0 + timedelta(minutes=2))

    assert (stats.story_id, stats.articles, stats.reports, stats.outlets) == (5, 3, 2, 3)
    assert (stats.first_seen, stats.last_seen) == (T0, T0 + timedelta(minutes=2))
    assert stats.recent == 1
    assert stats.lead_article_id == ids[0]
    assert store.copied_from(ids) == {ids[1]: ids[0]}
    assert store.story_stats(since=T0 + timedelta(days=1), recent_since=T0) == []
    assert [a.id for a in store.get_articles([ids[2], ids[0], 99999])] == [ids[0], ids[2]]
    assert [a.id for a in store.unassigned_articles()] == []
    assert [a.id for a in store.articles_after(ids[0])] == ids[1:]


def test_embeddings_and_the_cluster_checkpoint(store: SQLStore) -> None:
    assert store.get_embeddings("m", ["a"]) == {}
    store.put_embeddings("m", {"a": b"\x00\x01", "b": b"\x02"})
    store.put_embeddings("m", {"a": b"other"})  # a key keeps its first vector
    assert store.get_embeddings("m", ["a", "b", "c"]) == {"a": b"\x00\x01", "b": b"\x02"}
    assert store.get_embeddings("other-model", ["a"]) == {}
    keys = [f"k{i}" for i in range(1200)]  # more than one statement's worth of parameters
    store.put_embeddings("m", dict.fromkeys(keys, b"v"))
    assert len(store.get_embeddings("m", keys)) == 1200

    assert store.load_cluster_state() is None
    store.save_cluster_state(7, b"state one")
    store.save_cluster_state(9, b"state two")
    assert store.load_cluster_state() == (9, b"state two")


def test_ids_from_the_counter_are_never_handed_out_twice(store_url: str) -> None:
    # Two processes' worth of connections taking blocks at once: every number once.
    stores = [open_store(store_url) for _ in range(4)]
    taken: list[int] = []
    lock = threading.Lock()

    def take(store: SQLStore) -> None:
        for _ in range(25):
            first = store.allocate_ids("stories", 3)
            with lock:
                taken.extend(range(first, first + 3))

    try:
        threads = [threading.Thread(target=take, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for s in stores:
            s.close()
    assert len(taken) == 4 * 25 * 3
    assert len(set(taken)) == len(taken), "a story id was handed out twice"
    assert min(taken) == 1


def test_a_counter_hands_out_consecutive_blocks(store: SQLStore) -> None:
    first = store.allocate_ids("stories", 2)
    assert store.allocate_ids("stories", 1) == first + 2
    assert store.allocate_ids("other", 1) == 1, "each counter counts on its own"
    with pytest.raises(ValueError, match="at least one"):
        store.allocate_ids("stories", 0)


def test_one_holder_of_a_lease_at_a_time(store: SQLStore) -> None:
    assert store.lease("stories") is None
    assert store.take_lease("stories", "a", 60)
    assert not store.take_lease("stories", "b", 60), "b may not take a's running lease"
    assert store.take_lease("stories", "a", 60), "a renews its own"
    assert store.take_lease("stories", "b", 60, replacing="a"), "a dead holder's lease is taken at once"
    lease = store.lease("stories")
    assert lease is not None
    assert lease.holder == "b"
    store.release_lease("stories", "a")  # not a's any more: nothing happens
    assert not store.take_lease("stories", "a", 60)
    store.release_lease("stories", "b")
    assert store.take_lease("stories", "a", 60), "a released lease is free"


def test_an_expired_lease_is_free_and_its_holder_is_fenced(store: SQLStore) -> None:
    ids = store.upsert_articles([make_article(1)])
    assert store.take_lease("stories", "a", 0.05)
    time.sleep(0.1)
    assert store.take_lease("stories", "b", 60), "a lease that ran out is free"
    link = StoryLink(ids[0].article_id, 5, 1.0)
    with pytest.raises(LeaseLostError):
        store.save_story_links([link], writer=("a", 60, ids[0].article_id))
    with pytest.raises(LeaseLostError):
        store.save_cluster_state(1, b"stale", writer=("a", 60, 1))
    assert store.stories_of([ids[0].article_id]) == {}, "the stale writer wrote nothing"
    assert store.load_cluster_state() is None
    store.save_story_links([link], writer=("b", 60, ids[0].article_id))
    assert store.stories_of([ids[0].article_id]) == {ids[0].article_id: 5}
    lease = store.lease("stories")
    assert lease is not None
    assert lease.progress == ids[0].article_id


def test_renewing_a_lease_raises_its_progress_only_for_its_holder(store: SQLStore) -> None:
    assert store.take_lease("copies", "a", 60)
    store.renew_lease("copies", "a", 60, 7)
    store.renew_lease("copies", "a", 60, 3)  # progress never goes back
    lease = store.lease("copies")
    assert lease is not None
    assert lease.progress == 7
    with pytest.raises(LeaseLostError):
        store.renew_lease("copies", "b", 60, 9)
    lease = store.lease("copies")
    assert lease is not None
    assert (lease.holder, lease.progress) == ("a", 7)


def test_turns_are_spaced_by_the_spacing_asked(store: SQLStore) -> None:
    # A host's requests, however many processes make them: each takes the next start time.
    waits = [store.take_turn("turn:example", 10.0) for _ in range(3)]
    assert waits[0] == 0.0
    assert 0.0 < waits[1] <= 10.0  # (less the time between the calls)
    assert 10.0 < waits[2] <= 20.0
    assert store.take_turn("turn:other", 10.0) == 0.0, "each name has its own turns"
