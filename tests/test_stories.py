"""Stories inside Storyline: articles grouped as they are stored, shown ranked, kept across restarts.

The clusterer itself is tested in test_cluster.py and its quality in test_cluster_quality.py;
here the real app stores real reports (ECB+ texts of three events) and the tests look at
what readers get.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html as lxml_html

from storyline.app import Storyline, make_app
from storyline.config import Settings, load_settings
from storyline.reading.ranking import rank_stories
from storyline.reading.stories import freshness_for
from storyline.types import StoryStats
from storyline.web.server import create_asgi
from tests.conftest import CORPORA

EVENTS = ("1_ecbplus", "2_ecbplus", "3_ecbplus")  # Lindsay Lohan's rehab, the Oscars host, a prison escape


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def event_records(per_event: int = 4) -> list[dict[str, Any]]:
    """Real reports of three events, interleaved as they would arrive, one outlet each."""
    rows = [json.loads(line) for line in (CORPORA / "clustering" / "ecbplus.jsonl").read_text("utf-8").splitlines()]
    by_event = {e: [r for r in rows if r["subtopic"] == e and r.get("title_guess")][:per_event] for e in EVENTS}
    start = datetime(2013, 6, 1, 8, tzinfo=UTC)
    records = []
    for i in range(per_event):
        for e, event in enumerate(EVENTS):
            row = by_event[event][i]
            records.append({
                "id": row["doc_id"], "event": event, "title": row["title_guess"], "text": row["text"],
                "url": f"https://outlet{i}-{e}.example/{row['doc_id']}", "source": f"Outlet {i}-{e}",
                "published": (start + timedelta(hours=i, minutes=10 * e)).isoformat(),
            })
    return records


def import_records(app: Storyline, folder: Path, records: list[dict[str, Any]], name: str = "a.jsonl") -> None:
    path = folder / name
    path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if k not in ("id", "event")})
                              for r in records) + "\n", encoding="utf-8")
    report = app.import_paths([path])
    assert not report.failures


def stories_by_url(app: Storyline) -> dict[str, int]:
    articles, _ = app.article_page(1)
    every = app.store.latest_articles(limit=1000)
    found = app.store.stories_of([a.id for a in every])
    assert articles
    return {a.url: found[a.id] for a in every if a.id in found}


def test_reports_of_one_event_form_one_story(app: Storyline, tmp_path: Path) -> None:
    records = event_records()
    import_records(app, tmp_path, records)

    story_of = stories_by_url(app)

    assert len(story_of) == len(records), "every article has a story"
    for event in EVENTS:
        ids = {story_of[r["url"]] for r in records if r["event"] == event}
        assert len(ids) == 1, f"{event} is split over stories {ids}"
    assert len(set(story_of.values())) == len(EVENTS)


def test_a_copy_joins_the_story_of_the_report_it_copies(app: Storyline, tmp_path: Path) -> None:
    records = event_records(per_event=2)
    original = records[0]
    copy = {**original, "url": "https://carrier.example/copy", "source": "Carrier Daily",
            "title": original["title"] + " | Carrier Daily",
            "text": "CARRIER DAILY — " + original["text"] + "\n\nRead more at Carrier Daily."}
    import_records(app, tmp_path, [*records, copy])

    story_of = stories_by_url(app)

    assert story_of[copy["url"]] == story_of[original["url"]]
    [stats] = app.store.story_stats(since=datetime.min.replace(tzinfo=UTC), recent_since=datetime.now(UTC),
                                          story_ids=[story_of[original["url"]]])
    assert (stats.articles, stats.reports) == (3, 2), "the copy is an article, not another report"


def test_stories_survive_a_restart(settings: Settings, tmp_path: Path) -> None:
    records = event_records(per_event=4)
    first = make_app(settings)
    import_records(first, tmp_path, [r for r in records if r["published"] < records[-3]["published"]])
    before = stories_by_url(first)
    first.close()  # checkpoints the clusterer

    second = make_app(settings)
    try:
        import_records(second, tmp_path, records[-3:], name="b.jsonl")  # the last report of each event
        after = stories_by_url(second)
    finally:
        second.close()

    assert {url: after[url] for url in before} == before, "stored stories keep their ids"
    for r in records[-3:]:
        sibling = next(x for x in records if x["event"] == r["event"] and x["url"] in before)
        assert after[r["url"]] == before[sibling["url"]], "a new report joins its story after a restart"


def test_stories_are_rebuilt_when_the_checkpoint_is_lost(settings: Settings, tmp_path: Path) -> None:
    records = event_records(per_event=3)
    first = make_app(settings)
    import_records(first, tmp_path, records)
    before = stories_by_url(first)
    first.close()
    with sqlite3.connect(settings.home / "storyline.db") as db:  # the checkpoint is lost
        db.execute("DELETE FROM cluster_checkpoints")

    second = make_app(settings)
    try:
        assert second.stories.catch_up() == len(records)  # replayed from the articles
        after = stories_by_url(second)
    finally:
        second.close()
    assert after == before, "the replay is deterministic"


def test_articles_stored_before_stories_existed_get_stories(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    off = make_app(load_settings({"home": home, "stories": "false"}, environ={}))
    import_records(off, tmp_path, event_records(per_event=2))
    assert not off.store.stories_of([a.id for a in off.store.latest_articles(limit=100)])
    off.close()

    on = make_app(load_settings({"home": home}, environ={}))
    try:
        assert on.stories.catch_up() == 6
        assert len(set(stories_by_url(on).values())) == len(EVENTS)
    finally:
        on.close()


def test_an_embedder_that_fails_leaves_stories_to_words(tmp_path: Path) -> None:
    # Nothing listens on port 9 of loopback: every embedding request fails at once.
    made = make_app(load_settings({"home": str(tmp_path / "home"), "embedder": "openai",
                                   "embedder_url": "http://127.0.0.1:9/v1", "embedder_model": "none"}, environ={}))
    try:
        records = event_records(per_event=2)
        import_records(made, tmp_path, records)
        story_of = stories_by_url(made)
    finally:
        made.close()
    assert len(story_of) == len(records), "no article is left without a story"


# -- what readers see ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_home_story_page_and_api(app: Storyline, tmp_path: Path) -> None:
    records = event_records()
    import_records(app, tmp_path, records)
    story_of = stories_by_url(app)
    lohan = story_of[records[0]["url"]]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_asgi(app)),
                                 base_url="http://test") as client:
        home = await client.get("/")
        story = await client.get(f"/stories/{lohan}")
        listing = (await client.get("/api/stories")).json()
        detail = (await client.get(f"/api/stories/{lohan}")).json()
        missing = await client.get("/api/stories/999999")
        missing_page = await client.get("/stories/999999")
        article = await client.get(f"/articles/{app.store.get_article_by_url(records[0]['url']).id}")

    assert home.status_code == 200
    page = lxml_html.fromstring(home.text)
    links = [a.get("href") for a in page.xpath("//li[contains(@class,'story-item')]//h2/a")]
    assert sorted(links) == sorted(f"/stories/{s}" for s in set(story_of.values()))
    assert story.status_code == 200
    reports = lxml_html.fromstring(story.text).xpath("//li[contains(@class,'report')]//h3")
    assert len(reports) == 4
    assert {s["id"] for s in listing["stories"]} == set(story_of.values())
    assert all(s["reports"] == 4 and len(s["outlets"]) == 4 for s in listing["stories"])
    assert detail["id"] == lohan
    assert len(detail["timeline"]) == 4
    times = [item["published"] for item in detail["timeline"]]
    assert times == sorted(times), "the timeline runs oldest first"
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == 404
    assert missing_page.status_code == 404
    assert f'href="/stories/{lohan}"' in article.text, "an article links to its story"


@pytest.mark.anyio
async def test_a_merged_story_redirects(app: Storyline, tmp_path: Path) -> None:
    records = event_records(per_event=1)
    import_records(app, tmp_path, records)
    story_of = stories_by_url(app)
    kept, merged = story_of[records[0]["url"]], story_of[records[1]["url"]]
    app.store.save_story_links([], merges=[(merged, kept)])

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_asgi(app)),
                                 base_url="http://test") as client:
        page = await client.get(f"/stories/{merged}")
        api = await client.get(f"/api/stories/{merged}")

    assert (page.status_code, page.headers["location"]) == (301, f"/stories/{kept}")
    assert (api.status_code, api.headers["location"]) == (301, f"/api/stories/{kept}")
    assert app.store.stories_of([app.store.get_article_by_url(records[1]["url"]).id]).popitem()[1] == kept


# -- ranking --------------------------------------------------------------------------------------


NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def stats(story_id: int, *, outlets: int = 1, reports: int = 1, hours_ago: float = 1.0, recent: int = 0) -> StoryStats:
    last = NOW - timedelta(hours=hours_ago)
    return StoryStats(story_id, articles=reports, reports=reports, outlets=outlets,
                      first_seen=last - timedelta(hours=1), last_seen=last, recent=recent, lead_article_id=story_id)


def test_more_outlets_rank_higher() -> None:
    ranked = rank_stories([stats(1, outlets=1), stats(2, outlets=8, reports=8)], NOW)
    assert [s.story_id for s in ranked] == [2, 1]


def test_a_fresh_story_outranks_a_stale_one_of_equal_coverage() -> None:
    ranked = rank_stories([stats(1, outlets=5, reports=5, hours_ago=48), stats(2, outlets=5, reports=5, hours_ago=1)],
                          NOW)
    assert [s.story_id for s in ranked] == [2, 1]


def test_momentum_lifts_a_story_still_gathering_coverage() -> None:
    ranked = rank_stories([stats(1, outlets=4, reports=4), stats(2, outlets=4, reports=4, recent=4)], NOW)
    assert [s.story_id for s in ranked] == [2, 1]


def test_related_stories_do_not_crowd_the_top() -> None:
    stories = [stats(1, outlets=10, reports=10), stats(2, outlets=9, reports=9), stats(3, outlets=8, reports=8)]
    plain = rank_stories(stories, NOW)
    diverse = rank_stories(stories, NOW, related={1: [2], 2: [1]})
    assert [s.story_id for s in plain] == [1, 2, 3]
    assert [s.story_id for s in diverse] == [1, 3, 2]


def test_an_archive_still_has_an_order() -> None:
    years = 24 * 365 * 10
    ranked = rank_stories([stats(1, outlets=1, hours_ago=years), stats(2, outlets=9, reports=9, hours_ago=years)], NOW)
    assert [s.story_id for s in ranked] == [2, 1]


def test_an_archive_ranks_by_coverage_and_live_news_by_freshness() -> None:
    """The sample's last one-report items must not bury the stories many outlets covered months before."""
    newest = NOW - timedelta(days=400)  # an imported archive: nothing for over a year
    latest_items = [stats(i, hours_ago=400 * 24 + i) for i in range(1, 6)]
    covered = stats(9, outlets=12, reports=10, hours_ago=400 * 24 + 24 * 90)  # three months before the newest
    older = stats(10, outlets=1, hours_ago=400 * 24 + 24 * 365 * 5)  # the archive's oldest
    archive = [*latest_items, covered, older]
    ranked = rank_stories(archive, newest, weights=freshness_for(archive, NOW, newest))
    assert ranked[0].story_id == 9
    assert ranked[-1].story_id == 10  # among equal coverage, recency still orders
    live = [stats(1, hours_ago=1), stats(9, outlets=12, reports=10, hours_ago=24 * 3)]
    ranked = rank_stories(live, NOW, weights=freshness_for(live, NOW, NOW - timedelta(hours=1)))
    assert [s.story_id for s in ranked] == [1, 9]  # live news: three days old is old
