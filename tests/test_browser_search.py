"""Search in a real browser: the header's search box on the home page, a filter, hostile queries."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from storyline.app import Storyline
from tests import test_browser
from tests.test_browser import LiveServer, Outbound, _context, save_shot

# The reading tests' fixtures: a live server over the sample, Chromium, the loopback guard.
live_server = test_browser.live_server
playwright = test_browser.playwright
browser = test_browser.browser
outbound = test_browser.outbound
page = test_browser.page

pytestmark = pytest.mark.browser


def test_search_from_the_home_page_with_a_filter(
    page: Page, live_server: LiveServer, sample_app: Storyline, outbound: Outbound, tmp_path: Path
) -> None:
    page.goto(live_server.base_url + "/")
    box = page.locator("header.site input[name=q]")
    box.fill("police")
    with page.expect_navigation():
        box.press("Enter")
    assert urlsplit(page.url).path == "/search"
    assert page.locator("li.search-hit").count() > 0
    assert page.locator("li.search-hit mark").count() > 0, "matched words are highlighted"
    outlets = page.locator("li.search-hit .meta .outlet").all_inner_texts()
    chosen = outlets[-1]
    page.locator("#search-outlet").fill(chosen)
    with page.expect_navigation():
        page.locator("form.search-form button[type=submit]").click()
    assert parse_qs(urlsplit(page.url).query)["outlet"] == [chosen]
    shown = page.locator("li.search-hit .meta .outlet").all_inner_texts()
    assert shown
    assert {s.casefold() for s in shown} == {chosen.casefold()}
    assert page.locator("#search-outlet").input_value() == chosen, "the form keeps the filter"
    story_links = page.locator("li.search-group h2 a")
    if story_links.count():
        with page.expect_navigation():
            story_links.first.click()
        assert urlsplit(page.url).path.startswith("/stories/")
    page.go_back()
    save_shot(page, tmp_path, "search.png")
    assert not outbound.blocked


@pytest.mark.parametrize("query", ['"', "NEAR(", "AND OR", "*", "x" * 10_000, "-"])
def test_hostile_searches_get_a_friendly_page(page: Page, live_server: LiveServer, query: str) -> None:
    page.goto(live_server.base_url + "/")
    box = page.locator("header.site input[name=q]")
    box.fill(query)
    with page.expect_navigation() as navigation:
        box.press("Enter")
    response = navigation.value
    assert response is not None
    assert response.status in {200, 422}
    assert page.locator("h1").inner_text() == "Search"
    assert page.locator("#search-q").count() == 1
    if len(query) > 300:
        assert "first 300 characters" in page.locator("main").inner_text()


def test_search_works_without_javascript(browser: Browser, live_server: LiveServer, outbound: Outbound,
                                         tmp_path: Path) -> None:
    context = _context(browser, outbound, javascript=False)
    try:
        opened = context.new_page()
        opened.goto(live_server.base_url + "/latest")
        opened.locator("header.site input[name=q]").fill("earthquake")
        with opened.expect_navigation():
            opened.locator("header.site input[name=q]").press("Enter")
        assert opened.locator("li.search-hit").count() > 0
        save_shot(opened, tmp_path, "search-no-js.png")
    finally:
        context.close()
    assert not outbound.blocked
