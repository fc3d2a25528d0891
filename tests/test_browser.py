"""The web app in a real browser: headless Chromium against a real uvicorn server.

Only 127.0.0.1 is contacted: Chromium's own background traffic is switched off by flags,
its host resolver answers nothing but 127.0.0.1, and every request a page makes to
another host is aborted (and recorded, so a test can tell).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Request, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from storyline.app import Storyline
from storyline.web import create_asgi
from storyline.web.timefmt import absolute_time

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SHOTS_DIR = Path("/tmp/storyline-shots")
LOOPBACK = "127.0.0.1"
SERVER_START_SECONDS = 10
TIMEOUT_MS = 15_000


@dataclass
class LiveServer:
    """A uvicorn server running in a background thread."""

    base_url: str
    server: uvicorn.Server
    thread: threading.Thread


@dataclass
class Outbound:
    """Requests to hosts other than 127.0.0.1 that were aborted."""

    blocked: list[str] = field(default_factory=list)


@contextmanager
def serving(app: Storyline) -> Iterator[LiveServer]:
    """``app`` served by uvicorn on 127.0.0.1 and a free port, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))  # the kernel picks a free port; binding first leaves no race
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_asgi(app), host=LOOPBACK, port=port, log_level="warning", lifespan="off",
        ws="none", access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            pytest.fail(f"uvicorn did not start on {LOOPBACK}:{port} within {SERVER_START_SECONDS} s")
        time.sleep(0.02)
    yield LiveServer(f"http://{LOOPBACK}:{port}", server, thread)
    server.should_exit = True
    thread.join(timeout=SERVER_START_SECONDS)
    sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(scope="module")
def live_server(sample_app: Storyline) -> Iterator[LiveServer]:
    """The sample app served by uvicorn on 127.0.0.1 and a free port."""
    with serving(sample_app) as server:
        yield server


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium from the distribution; missing Chromium fails, never skips."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make system-deps` to install it.",
            pytrace=False,
        )
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
    )
    yield launched
    launched.close()


def _loopback_only(outbound: Outbound) -> Callable[[Route, Request], None]:
    def route(route: Route, request: Request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host == LOOPBACK:
            route.continue_()
        else:
            outbound.blocked.append(request.url)
            route.abort("blockedbyclient")

    return route


@pytest.fixture
def outbound() -> Outbound:
    return Outbound()


def _context(browser: Browser, outbound: Outbound, *, javascript: bool) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=javascript, locale="en-GB",
        timezone_id="Europe/Paris",  # not UTC: the page must still say UTC
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", _loopback_only(outbound))
    return context


@pytest.fixture
def page(browser: Browser, outbound: Outbound) -> Iterator[Page]:
    context = _context(browser, outbound, javascript=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    # A 404 page is a document answered with 404 on purpose; what it loads must not fail.
    opened.on("response", lambda r: errors.append(f"{r.status} for {r.url}")
              if r.status >= 400 and r.request.resource_type != "document" else None)
    # Resource errors are counted above; other console errors (a refused style, say) are bugs.
    opened.on("console", lambda m: errors.append(f"console: {m.text}")
              if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    # A request cut short by the next navigation (a favicon still loading when a test
    # clicks a link) is aborted by the browser, not failed by the server.
    opened.on("requestfailed", lambda r: errors.append(f"failed: {r.url} ({r.failure})")
              if r.url not in outbound.blocked and r.failure != "net::ERR_ABORTED" else None)
    yield opened
    context.close()
    assert not errors, f"the page had errors: {errors}"


def save_shot(page: Page, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot in tmp_path, copied to /tmp/storyline-shots for people to look at."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SHOTS_DIR / name)
    assert shot.stat().st_size > 10_000, f"{name} looks blank"
    return shot


def test_home_page_shows_the_sample_with_its_credit(
    page: Page, live_server: LiveServer, sample_app: Storyline, outbound: Outbound, tmp_path: Path
) -> None:
    response = page.goto(live_server.base_url + "/")
    assert response is not None
    assert response.status == 200

    expected = [card.lead.title for card in sample_app.top_stories(1)[0]]
    titles = [" ".join(t.split()) for t in page.locator("li.story-item h2").all_inner_texts()]
    assert titles == expected
    footer = page.locator("footer.site")
    assert "Wikinews" in footer.inner_text()
    assert footer.locator('a[href="https://creativecommons.org/licenses/by/2.5/"]').count() == 1
    # The stylesheet loaded and applied: the list has no bullets.
    assert page.locator("ol.stories").evaluate("el => getComputedStyle(el).listStyleType") == "none"

    save_shot(page, tmp_path, "home.png")
    assert not outbound.blocked


def test_clicking_a_story_opens_its_coverage(
    page: Page, live_server: LiveServer, sample_app: Storyline, outbound: Outbound, tmp_path: Path
) -> None:
    page.goto(live_server.base_url + "/")
    first = page.locator("li.story-item h2 a").first
    title = " ".join(first.inner_text().split())
    with page.expect_navigation():
        first.click()

    story_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    view = sample_app.story(story_id)
    assert view is not None
    assert " ".join(page.locator("h1").inner_text().split()) == title == view.title
    assert page.locator("li.report").count() == len(view.reports)
    # One entry per report that added something (its new sentences listed inside), or per article.
    entries = view.summary.timeline if view.summary and view.summary.timeline else view.timeline
    assert page.locator(".timeline > ol > li").count() == len(entries)
    save_shot(page, tmp_path, "story.png")
    with page.expect_navigation():
        page.locator("li.report h3 a").first.click()
    assert urlsplit(page.url).path.startswith("/articles/")
    assert page.locator(f'a[href="/stories/{story_id}"]').count() == 1, "the article leads back to its story"
    assert not outbound.blocked


def test_clicking_an_article_opens_its_page(
    page: Page, live_server: LiveServer, sample_app: Storyline, outbound: Outbound, tmp_path: Path
) -> None:
    page.goto(live_server.base_url + "/latest")
    first = page.locator("li.article-item h2 a").first
    title = " ".join(first.inner_text().split())
    with page.expect_navigation():
        first.click()

    assert urlsplit(page.url).path.startswith("/articles/")
    article = sample_app.article(int(urlsplit(page.url).path.rsplit("/", 1)[1]))
    assert article is not None
    assert article.title == title

    headings = page.locator("h1")
    assert headings.count() == 1
    assert " ".join(headings.inner_text().split()) == title
    assert page.title().startswith(title)
    when = page.locator("article .meta time")
    assert when.get_attribute("title") == absolute_time(article.shown_time)
    assert when.get_attribute("title").endswith("UTC")
    assert when.inner_text().endswith("ago")
    assert page.locator("article .body p").count() > 1
    assert "Wikinews" in page.locator("footer.site").inner_text()

    save_shot(page, tmp_path, "article.png")
    assert not outbound.blocked


def test_not_found_page_renders_and_leads_home(
    page: Page, live_server: LiveServer, outbound: Outbound, tmp_path: Path
) -> None:
    response = page.goto(live_server.base_url + "/articles/999999")
    assert response is not None
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert "There is no article with id 999999." in page.locator("main").inner_text()

    save_shot(page, tmp_path, "not-found.png")
    with page.expect_navigation():
        page.locator('main a[href="/"]').click()
    assert urlsplit(page.url).path == "/"
    assert page.locator("li.story-item").count() > 0
    assert not outbound.blocked


def test_reading_works_without_javascript(
    browser: Browser, live_server: LiveServer, outbound: Outbound, tmp_path: Path
) -> None:
    context = _context(browser, outbound, javascript=False)
    try:
        page = context.new_page()
        page.goto(live_server.base_url + "/")
        with page.expect_navigation():
            page.locator("a[rel=next]").click()
        assert urlsplit(page.url).query == "page=2"
        with page.expect_navigation():
            page.locator("li.story-item h2 a").first.click()
        assert page.locator("li.report").count() > 0
        with page.expect_navigation():
            page.locator("li.report h3 a").first.click()
        assert page.locator("h1").count() == 1
        save_shot(page, tmp_path, "article-no-js.png")
    finally:
        context.close()
    assert not outbound.blocked


def test_outbound_links_are_not_followed(page: Page, live_server: LiveServer, outbound: Outbound) -> None:
    # The guard itself: following the article's link to its outlet is aborted and recorded.
    page.goto(live_server.base_url + "/latest")
    with page.expect_navigation():
        page.locator("li.article-item h2 a").first.click()
    source = page.locator(".article-foot a").first.get_attribute("href")
    assert source is not None
    assert urlsplit(source).hostname != LOOPBACK
    with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
        page.goto(source)
    assert outbound.blocked == [source]
