"""The /sources page and /api/sources, in-process through httpx's ASGI transport.

Every state shown comes from real fetches against the loopback test server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html as lxml_html

from storyline.app import Storyline
from storyline.config import Settings, load_settings
from storyline.types import Source, SourceKind
from storyline.web import create_asgi
from tests.httpserver import LocalHTTPServer, Reply, loopback_only
from tests.test_refresh import RSS_TYPE, body_text, rss, rss_item

pytestmark = pytest.mark.anyio

SOURCE_FIELDS = {
    "id", "kind", "url", "title", "folder", "site_url", "last_fetched_at", "last_status", "last_error",
    "consecutive_failures", "paused", "items_per_day", "latency_ms", "next_fetch_at",
}
# A Location with an invalid port: the fetch error quotes the port, markup and all. (Being
# invalid, it is refused before any name lookup: no DNS query leaves the machine.)
HOSTILE_LOCATION = "http://127.0.0.1:x<script>alert(1)</script>/"
HOSTILE_PART = "x<script>alert(1)<"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Overrides conftest's: the ``app`` fixture may fetch from the loopback server (and pauses soon)."""
    return load_settings({"home": str(tmp_path / "home"), "allow_private_networks": "true", "per_host_delay": "0",
                          "parse_processes": "1", "load_sample": "false", "pause_after_failures": "2"},
                         environ={})


@pytest.fixture
async def client(app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_asgi(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def page_of(response: httpx.Response) -> Any:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return lxml_html.fromstring(response.text)


def text_of(element: Any) -> str:
    return " ".join(element.text_content().split())


def row_of(page: Any, source: Source) -> Any:
    [row] = [r for r in page.xpath("//table[@class='sources']/tbody/tr")
             if source.url in text_of(r.xpath(".//span[@class='source-url']")[0])]
    return row


def state_of(row: Any) -> str:
    return text_of(row.xpath(".//span[contains(@class, 'state')]")[0])


def four_sources(app: Storyline, server: LocalHTTPServer) -> dict[str, Source]:
    """One source in each state, each reached by real fetches."""
    prefix = f"/sources-web-{uuid.uuid4().hex[:10]}"
    item = rss_item(title="Story", link=server.url(prefix + "/story"), guid="story",
                    content=f"<p>{body_text('the story')}</p>", published=datetime.now(UTC) - timedelta(hours=1))
    server.add(prefix + "/ok.xml", Reply(body=rss("Good news & co", [item]), content_type=RSS_TYPE))
    server.add(prefix + "/failing.xml", Reply(status=302, headers={"Location": HOSTILE_LOCATION}))
    made = {
        "ok": app.add_source(server.url(prefix + "/ok.xml"), folder="<i>Local</i>"),
        "failing": app.add_source(server.url(prefix + "/failing.xml")),
        "paused": app.add_source(server.url("/status/500"), detect=False),
        "new": app.add_source(server.url(prefix + "/new.xml"), detect=False),
    }
    results = app.fetch([made["ok"], made["failing"], made["paused"]])
    assert sorted(bool(r.error) for r in results) == [False, True, True]
    app.fetch([app.store.get_source(made["paused"].id)])  # type: ignore[list-item]
    return {name: app.store.get_source(source.id) for name, source in made.items()}  # type: ignore[misc]


async def test_sources_page_shows_each_state(
    app: Storyline, client: httpx.AsyncClient, http_server: LocalHTTPServer
) -> None:
    sources = four_sources(app, http_server)

    response = await client.get("/sources")
    page = page_of(response)

    assert text_of(page.xpath("//p[@class='summary']")[0]) == "4 sources · 1 failing · 1 paused"
    rows = {name: row_of(page, source) for name, source in sources.items()}
    assert {name: state_of(row) for name, row in rows.items()} == {
        "ok": "ok", "failing": "failing ×1", "paused": "paused", "new": "new",
    }
    assert {name: row.get("class") for name, row in rows.items()} == {
        "ok": "ok", "failing": "failing", "paused": "paused", "new": "new",
    }
    ok = rows["ok"]
    assert text_of(ok.xpath(".//span[@class='source-title']")[0]) == "Good news & co"
    assert text_of(ok.xpath(".//span[@class='folder']")[0]) == "<i>Local</i>"
    assert "HTTP 200" in text_of(ok)
    assert ok.xpath(".//td[3]/time")
    assert " ms" in text_of(ok.xpath(".//td[3]")[0])
    assert text_of(rows["new"].xpath("./td[3]")[0]) == "never"
    assert text_of(rows["new"].xpath("./td[5]")[0]) == "soon"
    assert text_of(rows["paused"].xpath("./td[5]")[0]) == "–"
    assert "paused after 2 failed fetches" in text_of(rows["paused"].xpath(".//span[@class='source-error']")[0])

    error = text_of(rows["failing"].xpath(".//span[@class='source-error']")[0])
    assert error == sources["failing"].health.last_error
    assert HOSTILE_PART in error
    # Shown as text, never run: no element came out of the error or the title.
    assert page.xpath("//table//script") == []
    assert page.xpath("//table//i") == []
    assert "<script>alert(1)" not in response.text
    assert "x&lt;script&gt;alert(1)&lt;" in response.text


async def test_sources_page_without_sources_says_how_to_add_one(client: httpx.AsyncClient) -> None:
    page = page_of(await client.get("/sources"))
    empty = text_of(page.xpath("//section[@class='empty']")[0])
    assert empty.startswith("No sources yet.")
    assert "storyline sources add URL" in empty
    assert "storyline opml import FILE" in empty
    assert page.xpath("//table[@class='sources']") == []


async def test_sources_page_leaves_out_imported_files(app: Storyline, client: httpx.AsyncClient) -> None:
    app.store.ensure_source(SourceKind.FILE, "file:///tmp/articles", "articles")
    page = page_of(await client.get("/sources"))
    assert page.xpath("//section[@class='empty']")


async def test_api_sources_lists_every_source_with_its_health(
    app: Storyline, client: httpx.AsyncClient, http_server: LocalHTTPServer
) -> None:
    assert (await client.get("/api/sources")).json() == []
    sources = four_sources(app, http_server)

    response = await client.get("/api/sources")

    assert response.status_code == 200
    body = {item["id"]: item for item in response.json()}
    assert len(body) == 4
    assert all(set(item) == SOURCE_FIELDS for item in body.values())
    ok = body[sources["ok"].id]
    assert (ok["kind"], ok["title"], ok["folder"], ok["last_status"], ok["last_error"], ok["paused"]) == (
        "feed", "Good news & co", "<i>Local</i>", 200, None, False,
    )
    for field in ("last_fetched_at", "next_fetch_at"):
        assert ok[field].endswith("Z"), ok[field]
        assert datetime.fromisoformat(ok[field]).utcoffset() == timedelta(0)
    assert ok["items_per_day"] > 0
    assert isinstance(ok["latency_ms"], int)
    failing = body[sources["failing"].id]
    assert failing["last_error"] == sources["failing"].health.last_error
    assert failing["consecutive_failures"] == 1
    assert failing["paused"] is False
    assert body[sources["paused"].id]["paused"] is True
    new = body[sources["new"].id]
    assert (new["last_fetched_at"], new["next_fetch_at"], new["last_status"]) == (None, None, None)
