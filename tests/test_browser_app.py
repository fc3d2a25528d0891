"""The reader's app in a real browser: accessibility (axe-core in the page) and offline reading.

axe-core is the npm package (``make test`` installs it into ``.cache/npm``, pinned in the
Makefile); it runs inside each page and no serious or critical violation may remain.
Offline: the service worker keeps a story the reader opened, which must then read with the
network cut; a page never opened gets the offline page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from storyline.app import Storyline
from tests.test_browser import (  # noqa: F401 - fixtures shared with the other browser tests
    TIMEOUT_MS,
    LiveServer,
    Outbound,
    _loopback_only,
    browser,
    live_server,
    outbound,
    playwright,
    save_shot,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def context(browser: Browser, outbound: Outbound) -> Iterator[BrowserContext]:  # noqa: F811
    # bypass_csp: axe is injected as an inline script, which the pages' policy forbids.
    made = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, locale="en-GB",
                               service_workers="allow")
    made.set_default_timeout(TIMEOUT_MS)
    made.route("**/*", _loopback_only(outbound))
    yield made
    made.close()


def _axe_violations(page: Page) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `make test` (it installs it with npm).", pytrace=False)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return list(result)


def _pages(app: Storyline) -> list[str]:
    story = app.top_stories(1)[0][0]
    view = app.story(story.story_id)
    assert view is not None
    paths = ["/", "/latest", "/sources", f"/stories/{story.story_id}", f"/articles/{story.lead.id}",
             "/offline", "/no-such-page"]
    if view.entities:
        paths.append(f"/entities/{view.entities[0].id}")
    return paths


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_have_no_serious_accessibility_violations(context: BrowserContext, live_server: LiveServer,  # noqa: F811
                                                        sample_app: Storyline, scheme: str) -> None:
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    found = {}
    for path in _pages(sample_app):
        page.goto(live_server.base_url + path)
        violations = _axe_violations(page)
        if violations:
            found[path] = violations
    assert not found, found


def test_a_story_opened_once_reads_offline(context: BrowserContext, live_server: LiveServer,  # noqa: F811
                                           sample_app: Storyline, outbound: Outbound,  # noqa: F811
                                           tmp_path: Path) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cards, _ = sample_app.top_stories(1)
    story, unopened = cards[0], cards[1]
    url = f"{live_server.base_url}/stories/{story.story_id}"
    page.goto(url)
    # The worker installs on the first visit and takes the page over (clients.claim).
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()  # now fetched through the worker, which keeps it
    title = page.locator("h1").inner_text()
    context.set_offline(True)
    try:
        page.reload()
        assert page.locator("h1").inner_text() == title
        assert page.locator(".story-summary li").count() >= 1
        save_shot(page, tmp_path, "story-offline.png")
        page.goto(f"{live_server.base_url}/stories/{unopened.story_id}")
        assert page.locator("h1").inner_text() == "You are offline"
    finally:
        context.set_offline(False)
    assert not errors
    assert not outbound.blocked


def test_the_manifest_and_worker_are_served_as_a_browser_needs(context: BrowserContext,
                                                               live_server: LiveServer) -> None:  # noqa: F811
    page = context.new_page()
    page.goto(live_server.base_url + "/")
    manifest = page.evaluate("""async () => {
        const link = document.querySelector('link[rel=manifest]');
        const r = await fetch(link.href);
        return {type: r.headers.get('content-type'), body: await r.json()};
    }""")
    assert manifest["type"].startswith("application/manifest+json")
    assert manifest["body"]["start_url"] == "/"
    worker = page.request.get(live_server.base_url + "/sw.js")
    assert worker.status == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["content-security-policy"] == "default-src 'none'; connect-src 'self'"
