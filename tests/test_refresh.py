"""Subscribing and refreshing against a real HTTP server on 127.0.0.1 and a real SQLite store.

Each test gets its own path prefix on the shared test server, so the routes it programs
cannot meet another test's. Tests that depend on what a site serves at its root (the
common feed paths a homepage is probed for) get a server of their own.
"""

from __future__ import annotations

import dataclasses
import gzip
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from storyline.app import Storyline, make_app
from storyline.config import Settings, load_settings
from storyline.errors import InputError
from storyline.ingest import refresh
from storyline.ingest.scheduler import Scheduler
from storyline.types import Source, SourceKind, StoredArticle
from tests.httpserver import LocalHTTPServer, Reply, Request, loopback_only, start_http_server

DATA = Path(__file__).parent / "data" / "refresh"
ARTICLE_HTML = (DATA / "article.html").read_text(encoding="utf-8")
# A sentence only the article page has: stored text containing it came from the page.
PAGE_ONLY_SENTENCE = "a revised approach channel, dredged further from the beds"
RSS_TYPE = "application/rss+xml"
HTML_TYPE = "text/html; charset=utf-8"


# ---- helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """Whatever the code under test does, nothing but 127.0.0.1 and ::1 is contacted."""
    with loopback_only():
        yield


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    """Settings that let the app fetch from the loopback test server, at full speed, in-process."""
    values = {
        "home": str(tmp_path / "home"), "allow_private_networks": "true", "per_host_delay": "0",
        "parse_processes": "1", "load_sample": "false",
    }
    values.update({name: str(value) for name, value in extra.items()})
    return load_settings(values, environ={})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Overrides conftest's: the ``app`` fixture then talks to the loopback server."""
    return settings_for(tmp_path)


@pytest.fixture
def make_storyline(tmp_path: Path) -> Iterator[Callable[..., Storyline]]:
    """Make a Storyline with extra settings (each in its own home); all closed at the end."""
    made: list[Storyline] = []

    def make(**extra: object) -> Storyline:
        home = tmp_path / f"app{len(made)}"
        app = make_app(settings_for(home, **extra))
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()


@dataclasses.dataclass
class Site:
    """One test's corner of a test server: every path it serves starts with ``prefix``."""

    server: LocalHTTPServer
    prefix: str

    def url(self, path: str) -> str:
        return self.server.url(self.prefix + path)

    def serve(self, path: str, route: Reply | Callable[[Request], Reply | None]) -> str:
        self.server.add(self.prefix + path, route)
        return self.url(path)

    def hits(self, path: str) -> int:
        return len(self.server.requests_to(self.prefix + path))


@pytest.fixture
def site(http_server: LocalHTTPServer) -> Site:
    return Site(http_server, f"/refresh-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def own_server() -> Iterator[LocalHTTPServer]:
    """A server of this test's own (nothing at its root but what the test puts there)."""
    server = start_http_server()
    yield server
    server.stop()


class Switch:
    """A route whose reply the test changes between fetches."""

    def __init__(self, reply: Reply | Callable[[Request], Reply | None]) -> None:
        self.reply = reply

    def __call__(self, request: Request) -> Reply | None:
        return self.reply(request) if callable(self.reply) else self.reply


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def body_text(topic: str, words: int = 60) -> str:
    """Article-like text about ``topic``: sentences, enough words to count as full content."""
    sentence = f"The report on {topic} describes what happened and what comes next for the town."
    count = max(1, words // len(sentence.split()))
    return " ".join([sentence] * count)


def rss_item(
    *, title: str, link: str, guid: str | None = None, content: str | None = None, summary: str | None = None,
    published: datetime | None = None,
) -> str:
    parts = [f"<title>{escape(title)}</title>", f"<link>{escape(link)}</link>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{escape(guid)}</guid>')
    if published is not None:
        parts.append(f"<pubDate>{http_date(published)}</pubDate>")
    if summary is not None:
        parts.append(f"<description>{escape(summary)}</description>")
    if content is not None:
        parts.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
    return "<item>" + "".join(parts) + "</item>"


def rss(title: str, items: Iterable[str], *, link: str | None = None) -> str:
    home = f"<link>{escape(link)}</link>" if link else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title>{home}" + "".join(items) + "</channel></rss>"
    )


def full_items(site: Site, count: int, *, now: datetime) -> list[str]:
    """``count`` items with full content, published over the last few days."""
    return [
        rss_item(title=f"Story {n}", link=site.url(f"/story/{n}"), guid=f"story-{n}",
                 content=f"<p>{body_text(f'story {n}')}</p>", published=now - timedelta(hours=12 * n))
        for n in range(1, count + 1)
    ]


def conditional_feed(body: str, *, etag: str, last_modified: str) -> Callable[[Request], Reply]:
    """A feed that answers 304 to a request carrying its validators."""

    def route(request: Request) -> Reply:
        if request.headers.get("If-None-Match") == etag or request.headers.get("If-Modified-Since") == last_modified:
            return Reply(status=304, headers={"ETag": etag, "Last-Modified": last_modified})
        return Reply(body=body, content_type=RSS_TYPE, headers={"ETag": etag, "Last-Modified": last_modified})

    return route


def snapshot(app: Storyline) -> list[StoredArticle]:
    return sorted(app.store.latest_articles(limit=100_000), key=lambda a: a.id)


def source_of(app: Storyline, source: Source) -> Source:
    found = app.store.get_source(source.id)
    assert found is not None
    return found


def fetch_one(app: Storyline, source: Source) -> refresh.RefreshResult:
    """Refresh ``source`` (as stored now) once; the one result."""
    [result] = app.fetch([source_of(app, source)])
    return result


def assert_plain_words(message: str | None) -> None:
    """A user-facing error: one line of words, no exception names or tracebacks."""
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    assert "Error(" not in message
    assert "Exception" not in message


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- subscribing ---------------------------------------------------------------------------


def test_adding_a_feed_url_subscribes_to_it_with_the_feed_title(app: Storyline, site: Site) -> None:
    url = site.serve("/feed.xml", Reply(body=rss("Coastal Courier", []), content_type=RSS_TYPE))
    source = app.add_source(url, folder="Local")
    assert (source.kind, source.url, source.title, source.folder) == (SourceKind.FEED, url, "Coastal Courier", "Local")
    assert app.store.find_source(url) == source


def test_adding_a_homepage_subscribes_to_the_feed_it_links(app: Storyline, site: Site) -> None:
    home = site.serve("/", Reply(body=(DATA / "homepage-with-feed-link.html").read_bytes(), content_type=HTML_TYPE))
    feed = site.serve("/news/feed.xml", Reply(body=rss("Courier news", []), content_type=RSS_TYPE))
    source = app.add_source(home)
    assert (source.kind, source.url, source.title) == (SourceKind.FEED, feed, "Courier news")
    assert app.store.find_source(home) is None


def test_a_homepage_without_feed_links_is_probed_at_common_feed_paths(
    app: Storyline, own_server: LocalHTTPServer
) -> None:
    own_server.add("/", Reply(body=(DATA / "homepage-without-feed-link.html").read_bytes(), content_type=HTML_TYPE))
    own_server.add("/feed", Reply(body=rss("Found at /feed", []), content_type=RSS_TYPE))
    source = app.add_source(own_server.url("/"))
    assert (source.kind, source.url, source.title) == (SourceKind.FEED, own_server.url("/feed"), "Found at /feed")


def test_an_article_page_without_any_feed_is_a_page_source(app: Storyline, own_server: LocalHTTPServer) -> None:
    own_server.add("/news/harbour", Reply(body=ARTICLE_HTML, content_type=HTML_TYPE))
    url = own_server.url("/news/harbour")
    source = app.add_source(url)
    assert (source.kind, source.url) == (SourceKind.PAGE, url)
    # Every common feed path was asked, and none answered with a feed.
    asked = {r.path for r in own_server.requests}
    assert {"/feed", "/rss.xml", "/atom.xml"} <= asked

    result = fetch_one(app, source)
    assert result.error is None
    [article] = snapshot(app)
    assert article.title == "Harbour committee approves the new ferry terminal"
    assert PAGE_ONLY_SENTENCE in article.text


@pytest.mark.parametrize("where", ["404", "closed port"])
def test_an_unreachable_url_is_added_as_a_feed_and_fetching_it_says_why(
    app: Storyline, http_server: LocalHTTPServer, where: str
) -> None:
    url = http_server.url("/status/404") if where == "404" else f"http://127.0.0.1:{closed_port()}/feed.xml"
    source = app.add_source(url)
    assert (source.kind, source.url, source.title) == (SourceKind.FEED, url, url)

    result = fetch_one(app, source)
    stored = source_of(app, source)
    assert result.error == stored.health.last_error
    assert_plain_words(stored.health.last_error)
    expected = "404 Not Found" if where == "404" else "could not connect"
    assert expected in (stored.health.last_error or "")
    assert stored.health.consecutive_failures == 1
    assert stored.health.last_status == (404 if where == "404" else None)
    assert not stored.health.paused


@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "file:///etc/passwd", "example.org/feed", "", "http://"])
def test_a_non_http_url_is_refused(app: Storyline, url: str) -> None:
    with pytest.raises(InputError, match="not an http"):
        app.add_source(url)
    assert app.sources() == []


# ---- the first and second fetch ------------------------------------------------------------


def test_the_health_of_unchanged_feeds_is_held_then_written_together(app: Storyline, site: Site) -> None:
    now = datetime.now(UTC)
    feeds = [app.add_source(site.serve(f"/held{n}.xml", conditional_feed(
        rss(f"Feed {n}", full_items(site, 2, now=now)), etag=f'"v{n}"', last_modified=http_date(now))))
        for n in range(3)]
    app.fetch([source_of(app, f) for f in feeds])  # first pass: 200s, written at once
    refresher = app.refresher
    held = [refresher.refresh(source_of(app, f), batch_health=True) for f in feeds]
    assert all(r.not_modified for r in held)
    assert {source_of(app, f).health.last_status for f in feeds} == {200}  # held back
    refresher.flush_health()
    assert {source_of(app, f).health.last_status for f in feeds} == {304}
    refresher.flush_health()  # nothing held: nothing written, no error


def test_a_pass_refreshes_every_source_once_on_its_threads(make_storyline: Callable[..., Storyline],
                                                           site: Site) -> None:
    app = make_storyline(fetch_workers=3)
    now = datetime.now(UTC)
    feeds = [app.add_source(site.serve(f"/pass{n}.xml", conditional_feed(
        rss(f"Feed {n}", full_items(site, 1, now=now)), etag=f'"p{n}"', last_modified=http_date(now))))
        for n in range(12)]
    threads: list[str] = []
    before = [site.hits(f"/pass{n}.xml") for n in range(12)]
    done = app.fetch([source_of(app, f) for f in feeds],
                     on_done=lambda _result: threads.append(threading.current_thread().name))
    assert sorted(r.source_id for r in done) == sorted(f.id for f in feeds)
    assert all(r.status == 200 and r.error is None for r in done)
    assert len(threads) == 12
    assert set(threads) <= {"fetch-0", "fetch-1", "fetch-2"}  # on_done runs on the fetch threads
    assert {source_of(app, f).health.last_status for f in feeds} == {200}  # the held health is written
    assert [site.hits(f"/pass{n}.xml") - b for n, b in enumerate(before)] == [1] * 12


def test_a_bug_in_one_refresh_is_raised_once_the_other_sources_are_done(
    app: Storyline, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    feeds = [app.add_source(site.serve(f"/bug{n}.xml", conditional_feed(
        rss(f"Feed {n}", full_items(site, 1, now=now)), etag=f'"b{n}"', last_modified=http_date(now))))
        for n in range(6)]
    refresher = app.refresher
    real = refresher._refresh

    def buggy(source: Source, now: datetime, batch_health: bool = False) -> refresh.RefreshResult:
        if source.id == feeds[2].id:
            raise KeyError("a bug")  # not a source's problem: nothing turns it into a result
        return real(source, now, batch_health)

    monkeypatch.setattr(refresher, "_refresh", buggy)
    with pytest.raises(KeyError, match="a bug"):
        app.fetch([source_of(app, f) for f in feeds])
    statuses = [source_of(app, f).health.last_status for f in feeds]
    assert statuses == [200, 200, None, 200, 200, 200]  # the others were fetched, their health written


def test_first_fetch_stores_items_and_health_then_a_304_costs_no_parse(
    app: Storyline, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    last_modified = http_date(now - timedelta(hours=1))
    url = site.serve("/feed.xml", conditional_feed(rss("Seven a week", full_items(site, 7, now=now)),
                                                    etag='"feed-v1"', last_modified=last_modified))
    parses: list[str] = []
    real_parse = refresh.parse_document

    def counting_parse(*args: object) -> object:
        parses.append(str(args[1]))
        return real_parse(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(refresh, "parse_document", counting_parse)
    source = app.add_source(url)
    before = datetime.now(UTC)
    first = fetch_one(app, source)

    assert (first.error, first.status, first.not_modified, first.items) == (None, 200, False, 7)
    assert first.report.inserted == 7
    assert app.store.count_articles() == 7
    assert parses == [url]
    stored = source_of(app, source)
    health = stored.health
    assert (stored.etag, stored.last_modified) == ('"feed-v1"', last_modified)
    assert health.last_status == 200
    assert health.last_error is None
    assert health.consecutive_failures == 0
    assert health.latency_ms is not None
    assert 0 <= health.latency_ms < 10_000
    assert health.items_per_day == 1.0  # seven items in the last seven days
    assert health.last_fetched_at is not None
    assert health.next_fetch_at is not None
    interval = (health.next_fetch_at - health.last_fetched_at).total_seconds()
    assert app.settings.min_refresh_interval <= interval <= app.settings.max_refresh_interval
    # One item a day: two fetches per item, so about every 12 hours (±10 % jitter).
    assert 43200 * 0.9 <= interval <= 43200 * 1.1
    assert health.interval_s == int(interval)
    assert before <= health.last_fetched_at <= datetime.now(UTC)
    articles = snapshot(app)

    second = fetch_one(app, source)
    assert second.not_modified is True
    assert (second.status, second.error, second.items) == (304, None, 0)
    assert second.report.seen == 0
    assert parses == [url], "a 304 must not be parsed again"
    assert snapshot(app) == articles
    again = source_of(app, source)
    assert (again.etag, again.last_modified) == ('"feed-v1"', last_modified)
    assert again.health.last_status == 304
    assert again.health.items_per_day == 1.0
    assert again.health.last_fetched_at is not None
    assert again.health.last_fetched_at > health.last_fetched_at
    # The second request carried the validators of the first answer.
    request = site.server.requests_to(site.prefix + "/feed.xml")[-1]
    assert request.headers.get("If-None-Match") == '"feed-v1"'
    assert request.headers.get("If-Modified-Since") == last_modified


# ---- identity of feed items --------------------------------------------------------------


def test_an_item_keeps_its_article_when_link_and_title_change_under_the_same_guid(app: Storyline, site: Site) -> None:
    content = f"<p>{body_text('the harbour vote')}</p>"
    feed = Switch(Reply(body=rss("Edits", [rss_item(title="Harbour vote delayed", link=site.url("/2025/vote"),
                                                    guid="tag:courier,2025:42", content=content)]),
                        content_type=RSS_TYPE))
    source = app.add_source(site.serve("/feed.xml", feed))
    assert fetch_one(app, source).report.inserted == 1
    [original] = snapshot(app)

    feed.reply = Reply(body=rss("Edits", [rss_item(
        title="Harbour vote passes seven to two", link=site.url("/2025/vote-passes"), guid="tag:courier,2025:42",
        content=content + "<p>Update: the committee voted on Tuesday.</p>")]), content_type=RSS_TYPE)
    result = fetch_one(app, source)

    assert (result.report.inserted, result.report.updated) == (0, 1)
    [edited] = snapshot(app)
    assert edited.id == original.id
    assert edited.title == "Harbour vote passes seven to two"
    assert edited.url == site.url("/2025/vote-passes")
    assert "Update: the committee voted on Tuesday." in edited.text


def test_an_item_republished_with_a_new_guid_is_the_same_article(app: Storyline, site: Site) -> None:
    link = site.url("/2025/ferry")
    content = f"<p>{body_text('the ferry terminal')}</p>"
    feed = Switch(Reply(body=rss("Guids", [rss_item(title="Ferry terminal", link=link, guid="first-guid",
                                                    content=content)]), content_type=RSS_TYPE))
    source = app.add_source(site.serve("/feed.xml", feed))
    fetch_one(app, source)
    [original] = snapshot(app)

    feed.reply = Reply(body=rss("Guids", [rss_item(title="Ferry terminal", link=link + "?utm_source=rss",
                                                   guid="second-guid", content=content)]), content_type=RSS_TYPE)
    result = fetch_one(app, source)

    assert result.report.inserted == 0
    assert [a.id for a in snapshot(app)] == [original.id]


# ---- items that carry only a summary -----------------------------------------------------


def test_summary_only_items_get_their_article_page(app: Storyline, site: Site, http_server: LocalHTTPServer) -> None:
    blocked_path = f"/private{site.prefix}/harbour"  # the test server's robots.txt disallows /private/
    http_server.add(blocked_path, Reply(body=ARTICLE_HTML, content_type=HTML_TYPE))
    page = site.serve("/news/harbour", Reply(body=ARTICLE_HTML, content_type=HTML_TYPE))
    broken = site.serve("/news/broken", Reply(status=500, body="internal error"))
    items = [
        rss_item(title="Harbour committee approves the new ferry terminal", link=page, guid="page",
                 summary="The committee voted on Tuesday."),
        rss_item(title="Robots say no", link=http_server.url(blocked_path), guid="blocked",
                 summary="A teaser robots.txt keeps us from following."),
        rss_item(title="A page that fails", link=broken, guid="broken", summary="A teaser whose page answers 500."),
    ]
    source = app.add_source(site.serve("/feed.xml", Reply(body=rss("Teasers", items), content_type=RSS_TYPE)))

    result = fetch_one(app, source)

    assert result.error is None
    assert (result.items, result.report.inserted, result.report.failures) == (3, 3, ())
    by_url = {a.url: a for a in snapshot(app)}
    assert PAGE_ONLY_SENTENCE in by_url[page].text
    assert site.hits("/news/harbour") == 1
    assert len(http_server.requests_to(blocked_path)) == 0, "robots.txt disallows this page"
    assert by_url[http_server.url(blocked_path)].text == "A teaser robots.txt keeps us from following."
    assert site.hits("/news/broken") == 1
    assert by_url[broken].text == "A teaser whose page answers 500."


def test_a_stored_teasers_page_is_not_fetched_again(app: Storyline, site: Site) -> None:
    pages = [site.serve(f"/news/{n}", Reply(body=ARTICLE_HTML.replace("ferry", f"ferry {n}"), content_type=HTML_TYPE))
             for n in range(4)]
    items = [rss_item(title=f"Story {n}", link=pages[n], guid=f"g{n}", summary="A teaser.") for n in range(4)]
    feed = Switch(Reply(body=rss("Teasers", items[:3]), content_type=RSS_TYPE))
    source = app.add_source(site.serve("/feed.xml", feed))
    fetch_one(app, source)
    assert [site.hits(f"/news/{n}") for n in range(4)] == [1, 1, 1, 0]

    feed.reply = Reply(body=rss("Teasers", items), content_type=RSS_TYPE)  # one new item on top
    result = fetch_one(app, source)

    assert result.report.inserted == 1
    assert [site.hits(f"/news/{n}") for n in range(4)] == [1, 1, 1, 1]
    assert all(PAGE_ONLY_SENTENCE in a.text for a in snapshot(app)), "the full texts stay"


def test_a_full_content_feed_costs_one_worker_round_trip_and_teasers_one_more(app: Storyline, site: Site) -> None:
    calls: list[str] = []

    def run_cpu(fn: Callable[..., object], *args: object) -> object:
        calls.append(fn.__name__)
        return fn(*args)

    refresher = refresh.Refresher(app.store, app.fetcher, run_cpu=run_cpu)
    now = datetime.now(UTC)
    full = app.add_source(site.serve("/full.xml", Reply(body=rss("Full", full_items(site, 3, now=now)),
                                                        content_type=RSS_TYPE)))
    assert refresher.refresh(source_of(app, full)).report.inserted == 3
    assert calls == ["read_document"]  # parsed and prepared together: the items are not sent twice

    calls.clear()
    page = site.serve("/news/mixed", Reply(body=ARTICLE_HTML, content_type=HTML_TYPE))
    mixed = [*full_items(site, 4, now=now)[3:], rss_item(title="Harbour", link=page, guid="t", summary="A teaser.")]
    source = app.add_source(site.serve("/mixed.xml", Reply(body=rss("Mixed", mixed), content_type=RSS_TYPE)))
    result = refresher.refresh(source_of(app, source))
    assert calls == ["read_document", "prepare_many"]  # the teaser's page, prepared once fetched
    assert (result.items, result.report.inserted) == (2, 2)
    by_url = {a.url: a for a in snapshot(app)}
    assert PAGE_ONLY_SENTENCE in by_url[page].text


def test_article_pages_are_not_fetched_when_the_setting_is_off(
    make_storyline: Callable[..., Storyline], site: Site
) -> None:
    app = make_storyline(fetch_article_pages="false")
    page = site.serve("/news/harbour", Reply(body=ARTICLE_HTML, content_type=HTML_TYPE))
    item = rss_item(title="Harbour", link=page, guid="g", summary="Only the teaser.")
    source = app.add_source(site.serve("/feed.xml", Reply(body=rss("Teasers", [item]), content_type=RSS_TYPE)))
    fetch_one(app, source)
    assert [a.text for a in snapshot(app)] == ["Only the teaser."]
    assert site.hits("/news/harbour") == 0


# ---- what the server says about the source -----------------------------------------------


def test_410_gone_retires_the_source(app: Storyline, site: Site) -> None:
    feed = Switch(Reply(body=rss("Soon gone", full_items(site, 2, now=datetime.now(UTC))), content_type=RSS_TYPE))
    source = app.add_source(site.serve("/feed.xml", feed))
    fetch_one(app, source)
    feed.reply = Reply(status=410, body="gone")

    result = fetch_one(app, source)

    stored = source_of(app, source)
    assert result.status == 410
    assert stored.health.paused is True
    assert stored.health.next_fetch_at is None
    assert_plain_words(stored.health.last_error)
    assert "410 Gone" in (stored.health.last_error or "")
    assert "stopped" in (stored.health.last_error or "")
    assert app.store.count_articles() == 2, "the articles of a retired source stay"
    assert source.id not in [s.id for s in app.due_sources()]
    hits = site.hits("/feed.xml")
    Scheduler(app.store, app.refresher, workers=2).run_once()
    assert site.hits("/feed.xml") == hits


def test_a_permanent_redirect_moves_the_source(app: Storyline, site: Site) -> None:
    new_url = site.serve("/new/feed.xml", Reply(body=rss("Moved", full_items(site, 1, now=datetime.now(UTC))),
                                                content_type=RSS_TYPE))
    old = Switch(Reply(body=rss("Moved", []), content_type=RSS_TYPE))
    source = app.add_source(site.serve("/old/feed.xml", old))
    old.reply = Reply(status=301, headers={"Location": site.prefix + "/new/feed.xml"})

    result = fetch_one(app, source)

    assert result.error is None
    assert result.report.inserted == 1
    assert source_of(app, source).url == new_url
    fetch_one(app, source)
    assert site.hits("/old/feed.xml") == 2  # add_source, then the fetch that found the move
    assert site.hits("/new/feed.xml") == 2


def test_a_temporary_redirect_does_not_move_the_source(app: Storyline, site: Site) -> None:
    site.serve("/new/feed.xml", Reply(body=rss("Elsewhere", []), content_type=RSS_TYPE))
    url = site.serve("/feed.xml", Reply(status=302, headers={"Location": site.prefix + "/new/feed.xml"}))
    source = app.add_source(url, detect=False)
    assert fetch_one(app, source).error is None
    assert source_of(app, source).url == url


def test_429_waits_at_least_as_long_as_retry_after(make_storyline: Callable[..., Storyline], site: Site) -> None:
    # A short minimum interval, so the wait can only come from the Retry-After header.
    app = make_storyline(min_refresh_interval=10)
    url = site.serve("/feed.xml", Reply(status=429, body="slow down", headers={"Retry-After": "120"}))
    source = app.add_source(url, detect=False)
    before = datetime.now(UTC)

    result = fetch_one(app, source)

    health = source_of(app, source).health
    assert result.status == 429
    assert health.consecutive_failures == 1
    assert health.last_status == 429
    assert health.next_fetch_at is not None
    assert health.next_fetch_at >= before + timedelta(seconds=120)
    assert health.next_fetch_at <= datetime.now(UTC) + timedelta(seconds=130)
    assert "429" in (health.last_error or "")
    assert "120 s" in (health.last_error or "")
    assert not health.paused
    assert source.id not in [s.id for s in app.due_sources()]


def test_failing_sources_back_off_then_pause_and_resume(make_storyline: Callable[..., Storyline], site: Site) -> None:
    app = make_storyline(pause_after_failures=3, min_refresh_interval=60)
    feed = Switch(Reply(status=500, body="broken"))
    source = app.add_source(site.serve("/feed.xml", feed), detect=False)

    waits = []
    for failures in (1, 2):
        fetch_one(app, source)
        health = source_of(app, source).health
        assert (health.consecutive_failures, health.paused, health.last_status) == (failures, False, 500)
        assert health.next_fetch_at is not None
        assert health.last_fetched_at is not None
        waits.append((health.next_fetch_at - health.last_fetched_at).total_seconds())
    assert waits == [60, 120]  # doubling from the minimum interval

    fetch_one(app, source)
    stored = source_of(app, source)
    assert stored.health.paused is True
    assert stored.health.consecutive_failures == 3
    assert stored.health.next_fetch_at is None
    assert_plain_words(stored.health.last_error)
    assert "500" in (stored.health.last_error or "")
    assert "paused after 3" in (stored.health.last_error or "")
    assert source.id not in [s.id for s in app.due_sources()]

    feed.reply = Reply(body=rss("Back", full_items(site, 1, now=datetime.now(UTC))), content_type=RSS_TYPE)
    resumed = app.resume_source(str(source.id))
    assert resumed is not None
    assert resumed.id == source.id
    stored = source_of(app, source)
    assert (stored.health.paused, stored.health.consecutive_failures) == (False, 0)
    assert source.id in [s.id for s in app.due_sources()]
    result = fetch_one(app, source)
    assert result.error is None
    assert source_of(app, source).health.last_error is None
    assert app.resume_source("no such source") is None


# ---- hostile answers change nothing stored -------------------------------------------------


def _zeros_gzip(size: int) -> bytes:
    return gzip.compress(bytes(size), compresslevel=9)


@pytest.mark.parametrize("hostile", ["not xml", "broken xml", "html without feed links", "gzip bomb", "endless"])
def test_a_hostile_answer_changes_nothing_stored(
    make_storyline: Callable[..., Storyline], site: Site, http_server: LocalHTTPServer, hostile: str
) -> None:
    app = make_storyline(max_body_bytes=200_000, fetch_timeout=5)
    good = Reply(body=rss("Good feed", full_items(site, 3, now=datetime.now(UTC))), content_type=RSS_TYPE,
                 headers={"ETag": '"good"'})
    feed = Switch(good)
    source = app.add_source(site.serve("/feed.xml", feed))
    assert fetch_one(app, source).report.inserted == 3
    articles, before = snapshot(app), source_of(app, source)

    feed.reply = {
        "not xml": Reply(body="<<<this is not xml at all>>> & {", content_type=RSS_TYPE),
        "broken xml": Reply(body="<?xml version='1.0'?><rss version='2.0'><<<>>>&&&</nope>", content_type=RSS_TYPE),
        "html without feed links": Reply(body=(DATA / "homepage-without-feed-link.html").read_bytes(),
                                         content_type=HTML_TYPE),
        "gzip bomb": Reply(body=_zeros_gzip(16 * 1024 * 1024), content_type=RSS_TYPE,
                           headers={"Content-Encoding": "gzip"}),
        "endless": http_server.route_for("/endless"),
    }[hostile]
    started = time.monotonic()
    result = fetch_one(app, source)

    assert time.monotonic() - started < 10
    assert result.error
    assert snapshot(app) == articles
    after = source_of(app, source)
    assert_plain_words(after.health.last_error)
    assert after.health.consecutive_failures == 1
    assert not after.health.paused
    # Only the health changed: the subscription itself and its validators are as they were.
    unchanged = ("url", "title", "kind", "folder", "site_url", "etag", "last_modified")
    assert {f: getattr(after, f) for f in unchanged} == {f: getattr(before, f) for f in unchanged}
    assert after.health.items_per_day == before.health.items_per_day

    feed.reply = good
    assert fetch_one(app, source).error is None
    assert source_of(app, source).health.consecutive_failures == 0


def test_html_served_for_a_feed_is_followed_to_the_feed_it_links(app: Storyline, site: Site) -> None:
    feed_url = site.serve("/news/feed.xml", Reply(body=rss("Courier news", full_items(site, 2, now=datetime.now(UTC))),
                                                  content_type=RSS_TYPE, headers={"ETag": '"feed"'}))
    old = Switch(Reply(body=rss("Courier news", []), content_type=RSS_TYPE))
    source = app.add_source(site.serve("/", old))
    # The site turned its old feed address into its homepage, which names the feed.
    old.reply = Reply(body=(DATA / "homepage-with-feed-link.html").read_bytes(), content_type=HTML_TYPE,
                      headers={"ETag": '"homepage"'})

    result = fetch_one(app, source)

    assert result.error is None
    assert result.report.inserted == 2
    stored = source_of(app, source)
    assert stored.url == feed_url
    assert stored.etag != '"homepage"', "the homepage's validators must not be sent to the feed"
    fetch_one(app, source)
    assert site.hits("/news/feed.xml") == 2


# ---- OPML ----------------------------------------------------------------------------------


def test_opml_import_keeps_folders_and_exports_them_back(app: Storyline, tmp_path: Path) -> None:
    first = app.import_opml(DATA / "folders.opml")
    added, existing = first.added, first.existing
    assert existing == 0
    assert first.skipped == []
    assert {(s.url, s.title, s.folder, s.kind) for s in added} == {
        ("https://courier.example.org/feed.xml", "Coastal Courier", "News", SourceKind.FEED),
        ("https://harbour.example.net/rss", "Harbour Weekly", "News/Europe", SourceKind.FEED),
        ("https://loose.example.com/atom.xml", "Loose feed", None, SourceKind.FEED),
    }
    assert app.store.find_source("https://courier.example.org/feed.xml").site_url == "https://courier.example.org/"

    again = app.import_opml(DATA / "folders.opml")
    assert (again.added, again.existing) == ([], 3)
    assert len(app.sources()) == 3

    exported = tmp_path / "exported.opml"
    exported.write_text(app.export_opml(), encoding="utf-8")
    other = make_app(settings_for(tmp_path / "other"))
    try:
        round_trip = other.import_opml(exported).added
        assert {(s.url, s.title, s.folder, s.site_url) for s in round_trip} == {
            (s.url, s.title, s.folder, s.site_url) for s in app.sources()
        }
    finally:
        other.close()


# ---- the scheduler -------------------------------------------------------------------------


def test_scheduler_refreshes_only_due_sources(app: Storyline, site: Site) -> None:
    body = rss("Due", full_items(site, 1, now=datetime.now(UTC)))
    fresh = app.add_source(site.serve("/fresh.xml", Reply(body=body, content_type=RSS_TYPE)), detect=False)
    due = app.add_source(site.serve("/due.xml", Reply(body=body, content_type=RSS_TYPE)), detect=False)
    later = app.add_source(site.serve("/later.xml", Reply(body=body, content_type=RSS_TYPE)), detect=False)
    app.store.update_source(fresh.id, next_fetch_at=datetime.now(UTC) + timedelta(hours=1))
    app.store.update_source(due.id, next_fetch_at=datetime.now(UTC) - timedelta(minutes=1))
    app.store.update_source(later.id, paused=True)

    results = Scheduler(app.store, app.refresher, workers=2).run_once()

    assert [r.source_id for r in results] == [due.id]
    assert (site.hits("/fresh.xml"), site.hits("/due.xml"), site.hits("/later.xml")) == (0, 1, 0)
    assert Scheduler(app.store, app.refresher, workers=2).run_once() == []


def test_scheduler_runs_in_the_background_and_stops_quickly(app: Storyline, site: Site) -> None:
    source = app.add_source(site.serve("/feed.xml", Reply(body=rss("Background", full_items(
        site, 1, now=datetime.now(UTC))), content_type=RSS_TYPE)), detect=False)
    threads_before = set(threading.enumerate())
    scheduler = Scheduler(app.store, app.refresher, workers=2)
    scheduler.start()
    deadline = time.monotonic() + 20
    while source_of(app, source).health.last_fetched_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert source_of(app, source).health.last_fetched_at is not None

    started = time.monotonic()
    scheduler.stop()
    assert time.monotonic() - started < 2
    leftover = [t for t in set(threading.enumerate()) - threads_before if t.name == "scheduler"]
    assert leftover == []
    assert app.store.count_articles() == 1


# ---- worker processes and volume ---------------------------------------------------------


def test_warming_up_loads_the_stages_and_the_language_model() -> None:
    py3langid = pytest.importorskip("py3langid.langid")
    refresh.warm_up()  # in this process: what a worker does once when it starts
    assert py3langid.IDENTIFIER is not None


def test_parsing_in_worker_processes_works_end_to_end(make_storyline: Callable[..., Storyline], site: Site) -> None:
    app = make_storyline(parse_processes=2)
    app.start_workers()  # returns once each worker has warmed up; fetching then works as before
    feed = Switch(Reply(body=rss("Workers", full_items(site, 3, now=datetime.now(UTC))), content_type=RSS_TYPE))
    source = app.add_source(site.serve("/feed.xml", feed))
    page_url = site.serve("/news/harbour", Reply(body=ARTICLE_HTML, content_type=HTML_TYPE))
    page = app.store.ensure_source(SourceKind.PAGE, page_url, page_url)

    results = {r.source_id: r for r in app.fetch([source_of(app, source), source_of(app, page)])}
    assert results[source.id].error is None
    assert results[source.id].report.inserted == 3
    assert results[page.id].error is None
    assert results[page.id].report.inserted == 1
    assert any(PAGE_ONLY_SENTENCE in a.text for a in snapshot(app))

    # A document that is no feed fails in the worker: the error must come back, the pool stay usable.
    feed.reply = Reply(body="<<<not a feed>>>", content_type=RSS_TYPE)
    failed = fetch_one(app, source)
    assert failed.error
    assert "not a feed" in failed.error
    feed.reply = Reply(body=rss("Workers", full_items(site, 4, now=datetime.now(UTC))), content_type=RSS_TYPE)
    assert fetch_one(app, source).report.inserted == 1


@pytest.mark.timeout(300)  # a hang guard: 10,000 items are fetched, parsed and stored in one go
def test_a_feed_of_ten_thousand_items(make_storyline: Callable[..., Storyline], site: Site) -> None:
    # Stories off: this is about fetching, parsing and storing one huge feed. Embedding and
    # clustering 10,000 articles on close took 95 s of the suite and is bench/ingest.py's job.
    app = make_storyline(stories="false")
    count = 10_000
    now = datetime.now(UTC)
    items = [
        rss_item(title=f"Item number {n}", link=site.url(f"/item/{n}"), guid=f"item-{n}",
                 content=f"<p>Item {n}: {body_text(f'item {n}', 40)}</p>", published=now - timedelta(minutes=n))
        for n in range(count)
    ]
    body = rss("Ten thousand", items).encode()
    assert len(body) < app.settings.max_body_bytes
    source = app.add_source(site.serve("/feed.xml", Reply(body=body, content_type=RSS_TYPE)), detect=False)

    started = time.monotonic()
    result = fetch_one(app, source)
    elapsed = time.monotonic() - started

    assert result.error is None
    assert (result.items, result.report.inserted, result.report.failures) == (count, count, ())
    assert app.store.count_articles() == count
    assert site.hits("/item/1") == 0, "items with full content need no page fetch"
    print(f"\n10k-item feed: {count} items in {elapsed:.1f} s = {count / elapsed:.0f} items/s")


# ---- sitemaps ------------------------------------------------------------------------------


def test_a_sitemap_index_is_subscribed_and_its_sitemaps_read(app: Storyline, site: Site) -> None:
    article = site.serve("/news/harbour", Reply(body=ARTICLE_HTML, content_type=HTML_TYPE))
    child = site.serve("/sitemap-news.xml", Reply(
        body=('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              f"<url><loc>{escape(article)}</loc><lastmod>2026-11-20T10:00:00Z</lastmod></url></urlset>"),
        content_type="application/xml"))
    broken = site.serve("/sitemap-broken.xml", Reply(status=500))
    index = site.serve("/sitemap-index.xml", Reply(
        body=('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              f"<sitemap><loc>{escape(child)}</loc></sitemap><sitemap><loc>{escape(broken)}</loc></sitemap>"
              "</sitemapindex>"),
        content_type="application/xml"))
    source = app.add_source(index)
    assert source.kind is SourceKind.SITEMAP
    result = app.refresher.refresh(source)
    assert result.error is None
    assert result.report.inserted == 1
    [stored] = app.store.latest_articles(limit=5)
    assert PAGE_ONLY_SENTENCE in stored.text
