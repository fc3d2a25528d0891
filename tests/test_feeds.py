"""Outgoing feeds (RSS 2.0, Atom, JSON Feed 1.1) and entity pages, through the real web app.

Feeds are parsed by feedparser (a feed reader's parser: it flags any malformed feed as
``bozo``), and JSON Feed is checked against a schema written from the 1.1 specification.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import feedparser
import httpx
import jsonschema
import pytest

from storyline.app import Storyline
from storyline.web.server import create_asgi
from tests.conftest import CORPORA
from tests.test_web import css, parse, text_of

SEED = CORPORA / "news" / "seed" / "aggregator-page.txt"
SCHEMA = json.loads((Path(__file__).parent / "data" / "schemas" / "jsonfeed-1.1.json").read_text(encoding="utf-8"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(app: Storyline, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text(json.dumps({
        "id": "h", "title": "Vladimir Putin <script>alert(1)</script> & “friends” ]]>",
        "text": "Vladimir Putin met officials in Moscow on Friday. <script>alert('x')</script> The talks ran late.\x0b"
                " Putin said nothing after the meeting ended in the evening.",
        "source": "Evil & Co <b>"}) + "\n", encoding="utf-8")
    report = app.import_paths([SEED, hostile])
    assert report.inserted == 5
    transport = httpx.ASGITransport(app=create_asgi(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as made:
        yield made


def _check(response: httpx.Response, fmt: str) -> Any:
    assert response.status_code == 200, response.text
    assert "nosniff" in response.headers.get("x-content-type-options", "")
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/feed+json")
        body = response.json()
        jsonschema.validate(body, SCHEMA, format_checker=jsonschema.FormatChecker())
        return body
    kind = {"xml": "application/rss+xml", "atom": "application/atom+xml"}[fmt]
    assert response.headers["content-type"].startswith(kind)
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == ("rss20" if fmt == "xml" else "atom10")
    return parsed


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["xml", "atom", "json"])
async def test_the_top_stories_feed_is_valid_and_lists_the_home_pages_stories(client: httpx.AsyncClient,
                                                                               app: Storyline, fmt: str) -> None:
    feed = _check(await client.get(f"/feed.{fmt}"), fmt)
    cards, _ = app.top_stories(1)
    entries = feed["items"] if fmt == "json" else feed.entries
    links = {(e["url"] if fmt == "json" else e.link) for e in entries}
    assert links == {f"/stories/{c.story_id}" for c in cards}
    ids = [e["id"] for e in entries]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("urn:storyline:story:") for i in ids)
    home = parse(await client.get("/"))
    alternates = {link.get("type"): link.get("href") for link in css(home, "link[rel=alternate]")}
    assert alternates == {"application/rss+xml": "/feed.xml", "application/atom+xml": "/feed.atom",
                          "application/feed+json": "/feed.json"}


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["xml", "atom", "json"])
async def test_a_storys_feed_lists_its_reports_and_hostile_text_stays_text(client: httpx.AsyncClient,
                                                                           app: Storyline, fmt: str) -> None:
    hostile = next(a for a in app.store.latest_articles(limit=10) if a.title.startswith("Vladimir Putin <script>"))
    story_id = app.store.stories_of([hostile.id])[hostile.id]
    feed = _check(await client.get(f"/stories/{story_id}/feed.{fmt}"), fmt)
    entries = feed["items"] if fmt == "json" else feed.entries
    titles = [e["title"] for e in entries]
    assert hostile.title in titles  # the markup is the title's text, escaped in XML
    raw = (await client.get(f"/stories/{story_id}/feed.{fmt}")).text
    if fmt == "json":  # plain text fields only, never HTML a reader would render
        assert all("content_html" not in e for e in entries)
    else:
        assert "<script>" not in raw  # escaped: never markup in the document
    assert "\x0b" not in raw


@pytest.mark.anyio
async def test_an_entity_page_lists_its_stories_and_has_feeds(client: httpx.AsyncClient, app: Storyline) -> None:
    kremlin = next(a for a in app.store.latest_articles(limit=10) if a.title.startswith("Kremlin says"))
    view = app.story(app.store.stories_of([kremlin.id])[kremlin.id])
    assert view is not None
    story = view
    person = next(e for e in view.entities if e.name == "Volodymyr Zelenskyy")
    story_page = parse(await client.get(f"/stories/{story.story_id}"))
    assert f"/entities/{person.id}" in {a.get("href") for a in css(story_page, ".entities a")}
    page = parse(await client.get(f"/entities/{person.id}"))
    assert text_of(css(page, "h1")[0]) == "Volodymyr Zelenskyy"
    assert f"/stories/{story.story_id}" in {a.get("href") for a in css(page, ".stories a")}
    assert "also written Zelenskyy" in text_of(css(page, "main")[0])
    api = (await client.get(f"/api/entities/{person.id}")).json()
    assert api["name"] == "Volodymyr Zelenskyy"
    assert api["type"] == "person"
    assert story.story_id in {s["id"] for s in api["stories"]}
    for fmt in ("xml", "atom", "json"):
        feed = _check(await client.get(f"/entities/{person.id}/feed.{fmt}"), fmt)
        entries = feed["items"] if fmt == "json" else feed.entries
        assert f"/stories/{story.story_id}" in {(e["url"] if fmt == "json" else e.link) for e in entries}


@pytest.mark.anyio
@pytest.mark.parametrize("path", [
    "/entities/999999", "/entities/999999/feed.xml", "/stories/999999/feed.atom", "/api/entities/999999",
])
async def test_unknown_ids_are_404(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


@pytest.mark.anyio
@pytest.mark.parametrize("path", [
    f"/entities/{2**63}", f"/entities/{2**31}/feed.json", "/entities/0", "/entities/-1/feed.xml",
    "/stories/1/feed.html", "/feed.exe", f"/api/entities/{2**63}", "/entities/abc",
])
async def test_bad_ids_and_formats_are_client_errors_not_500(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code in (404, 422)


@pytest.mark.anyio
async def test_base_url_makes_feed_links_absolute_and_the_host_header_never_does(app: Storyline,
                                                                                 tmp_path: Path) -> None:
    import dataclasses

    app.import_paths([SEED])
    app.settings = dataclasses.replace(app.settings, base_url="https://news.example.org")
    transport = httpx.ASGITransport(app=create_asgi(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as client:
        feed = feedparser.parse((await client.get("/feed.xml")).content)
        body = (await client.get("/feed.json")).json()
    assert feed.feed.link == "https://news.example.org/"
    assert all(e.link.startswith("https://news.example.org/stories/") for e in feed.entries)
    assert body["feed_url"] == "https://news.example.org/feed.json"
    assert "evil.example" not in json.dumps(body)


@pytest.mark.anyio
async def test_home_cards_open_with_the_stored_summary_and_the_api_gives_it_cited(client: httpx.AsyncClient,
                                                                                 app: Storyline) -> None:
    cards, _ = app.top_stories(1)
    assert all(card.summary_lead for card in cards)  # the stage stored one for every story
    page = parse(await client.get("/"))
    shown = [text_of(p) for p in css(page, "li.story-item .summary-lead")]
    assert shown == [" ".join(s.text for s in card.summary_lead) for card in cards]
    stories = (await client.get("/api/stories")).json()["stories"]
    for story in stories:
        assert story["summary"]
        assert all(s["cites"][0]["sentence"] == s["sentence"] for s in story["summary"])
