"""New stories offered on an open home page without a reload: /api/stories/new, the page's hook, the browser.

The home page's first page carries the newest story id it shows; its script asks
``/api/stories/new?after=ID`` and, when stories were made since, offers them in a button
that swaps the fresh page's stories in place. These tests store real articles (every stage
on) into a fresh SQLite store and check the API, the page and, in Chromium, the whole loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from storyline.app import Storyline, make_app
from storyline.config import load_settings
from storyline.web import create_asgi
from tests.test_browser import (  # noqa: F401 - fixtures shared with the other browser tests
    TIMEOUT_MS,
    Outbound,
    _loopback_only,
    browser,
    outbound,
    playwright,
    save_shot,
    serving,
)

REPORTS = {
    "harbour": ("Harbour crane collapses during storm in Rotterdam",
                "A container crane collapsed at the port of Rotterdam on Tuesday night as storm winds reached "
                "120 kilometres an hour, port officials said. Two workers were taken to hospital with minor "
                "injuries. The port authority closed three terminals while engineers inspected the other cranes, "
                "and shipping lines warned of delays of up to two days for vessels waiting to unload."),
    "election": ("Chile's presidential runoff set for December after close first round",
                 "Chile will hold a presidential runoff on December 14 after no candidate won a majority in the "
                 "first round, the electoral service said on Monday. The two leading candidates took 31 and 27 "
                 "percent of the vote. Turnout was 85 percent under the country's compulsory voting law, and both "
                 "campaigns began courting voters of the eliminated centrist candidates."),
    "vaccine": ("Malaria vaccine roll-out reaches twelve African countries",
                "A second malaria vaccine is now being given to children in twelve African countries, the World "
                "Health Organization said on Thursday. Health ministries in Ghana, Kenya and Malawi reported the "
                "largest campaigns so far. The vaccine, given in four doses, cut severe malaria cases by about "
                "three quarters in trials, and manufacturers plan to double production next year."),
}


def write_reports(folder: Path, names: list[str]) -> Path:
    path = folder / f"{'-'.join(names)}.jsonl"
    path.write_text("".join(json.dumps({"id": name, "title": REPORTS[name][0], "text": REPORTS[name][1]}) + "\n"
                            for name in names), encoding="utf-8")
    return path


def fresh_app(tmp_path: Path, **extra: str) -> Storyline:
    values = {"home": str(tmp_path / "home"), "load_sample": "false", **extra}
    return make_app(load_settings(values, environ={}))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Storyline]:
    made = fresh_app(tmp_path, live_updates_seconds="1")
    yield made
    made.close()


def stored(app: Storyline, tmp_path: Path, names: list[str]) -> None:
    report = app.import_paths([write_reports(tmp_path, names)])
    assert report.inserted == len(names), report
    app.wait_for_stories()


def test_the_api_counts_the_stories_made_after_an_id(app: Storyline, tmp_path: Path) -> None:
    client = TestClient(create_asgi(app))
    assert client.get("/api/stories/new").json() == {"after": 0, "count": 0, "newest": 0}

    stored(app, tmp_path, ["harbour", "election"])
    first = client.get("/api/stories/new?after=0").json()
    assert first["count"] == 2
    newest = first["newest"]
    assert client.get(f"/api/stories/new?after={newest}").json() == {"after": newest, "count": 0, "newest": newest}

    stored(app, tmp_path, ["vaccine"])
    later = client.get(f"/api/stories/new?after={newest}").json()
    assert later["count"] == 1
    assert later["newest"] > newest


def test_a_story_merged_away_is_not_new(app: Storyline, tmp_path: Path) -> None:
    stored(app, tmp_path, ["harbour", "election"])
    count, newest = app.new_stories(0)
    assert count == 2
    older = min(app.store.stories_of([a.id for a in app.latest_articles(limit=10)]).values())
    app.store.save_story_links([], merges=[(newest, older)])
    assert app.new_stories(0) == (1, older)
    assert app.new_stories(older) == (0, older)


@pytest.mark.parametrize("after", ["-1", "x", str(2**40), "1.5"])
def test_a_bad_id_is_a_clear_422(app: Storyline, after: str) -> None:
    response = TestClient(create_asgi(app)).get(f"/api/stories/new?after={after}")
    assert response.status_code == 422
    assert "after" in response.text


def test_only_the_first_page_asks_and_the_setting_turns_it_off(tmp_path: Path) -> None:
    app = fresh_app(tmp_path, live_updates_seconds="1", page_size="1")
    try:
        stored(app, tmp_path, ["harbour", "election"])
        client = TestClient(create_asgi(app))
        home = client.get("/").text
        assert f'data-newest="{app.new_stories(0)[1]}"' in home
        assert 'data-every="1.0"' in home
        assert 'id="live-news"' not in client.get("/?page=2").text
    finally:
        app.close()
    off = fresh_app(tmp_path / "off", live_updates_seconds="0")
    try:
        stored(off, tmp_path, ["harbour"])
        assert 'id="live-news"' not in TestClient(create_asgi(off)).get("/").text
    finally:
        off.close()


@pytest.mark.browser
def test_new_stories_appear_on_an_open_home_page_without_a_reload(
    browser: Browser, outbound: Outbound, app: Storyline, tmp_path: Path,  # noqa: F811
) -> None:
    stored(app, tmp_path, ["harbour", "election"])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", _loopback_only(outbound))
    errors: list[str] = []
    try:
        with serving(app) as server:
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(server.base_url + "/")
            assert page.locator(".story-item").count() == 2
            banner = page.locator("#live-news")
            assert banner.is_hidden()
            page.evaluate("window.storylineMark = 'still this page'")  # gone if the page reloads

            stored(app, tmp_path, ["vaccine"])
            banner.wait_for(state="visible")
            assert banner.inner_text().strip() == "1 new story · show"
            page.locator("#live-news button").click()
            page.locator(".story-item h2", has_text="Malaria vaccine").wait_for()
            assert page.locator(".story-item").count() == 3
            assert banner.is_hidden()
            assert page.evaluate("window.storylineMark") == "still this page"
            save_shot(page, tmp_path, "home-new-stories.png")
    finally:
        context.close()
    assert not errors
    assert not outbound.blocked
