"""Asking a story of the sample in a real browser (headless Chromium, no JavaScript), only 127.0.0.1 contacted.

The fixtures (server, browser, loopback routing) are tests/test_browser.py's.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser

from storyline.app import Storyline
from tests.test_browser import (  # noqa: F401 - fixtures used by name
    LiveServer,
    Outbound,
    _context,
    browser,
    live_server,
    outbound,
    playwright,
    save_shot,
)

pytestmark = pytest.mark.browser

QUESTION = "How many infections were reported at the base in Antarctica?"


def _antarctica_story(app: Storyline) -> int:
    for page in range(1, 20):
        cards, more = app.top_stories(page)
        for card in cards:
            # The sample has two Antarctica stories (an outbreak, ice shelves); the outbreak is asked.
            if "Antarctica" in card.lead.title and "COVID" in card.lead.title:
                return card.story_id
        if not more:
            break
    raise AssertionError("the sample's story of the COVID-19 outbreak in Antarctica is missing")


def test_asking_a_story_shows_cited_sentences_that_open_where_they_were_said(
        browser: Browser, live_server: LiveServer, sample_app: Storyline, outbound: Outbound,  # noqa: F811
        tmp_path: Path) -> None:
    story_id = _antarctica_story(sample_app)
    context = _context(browser, outbound, javascript=False)  # the form is a plain GET
    try:
        page = context.new_page()
        page.goto(f"{live_server.base_url}/stories/{story_id}")
        page.locator("#ask-q").fill(QUESTION)
        with page.expect_navigation():
            page.locator(".ask-form button[type=submit]").click()
        address = urlsplit(page.url)
        assert address.path == f"/stories/{story_id}"
        assert parse_qs(address.query)["q"] == [QUESTION]
        answers = page.locator(".cited-answer > li")
        assert answers.count() >= 1
        first = " ".join(answers.first.inner_text().split())
        assert "36 infections" in first
        assert page.locator("#ask-q").input_value() == QUESTION
        save_shot(page, tmp_path, "ask.png")

        with page.expect_navigation():
            answers.first.locator("a.cite").first.click()
        assert urlsplit(page.url).path.startswith("/articles/")
        marked = " ".join(page.locator("mark#cited").inner_text().split())
        assert marked
        assert first.startswith(marked)

        page.goto(f"{live_server.base_url}/stories/{story_id}")
        page.locator("#ask-q").fill("Who is the president of Chile?")
        with page.expect_navigation():
            page.locator("#ask-q").press("Enter")
        assert "I don't know" in page.locator(".ask .dont-know").inner_text()
        assert page.locator(".cited-answer").count() == 0
    finally:
        context.close()
    assert not outbound.blocked
