""""New since your last visit" on story pages, for readers without an account (a cookie)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from storyline.app import Storyline
from storyline.web.server import create_asgi
from storyline.web.visits import COOKIE, MAX_STORIES
from tests.conftest import CORPORA
from tests.test_web import css, parse, text_of

SEED = CORPORA / "news" / "seed" / "aggregator-page.txt"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    assert app.import_paths([SEED]).inserted == 4
    transport = httpx.ASGITransport(app=create_asgi(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as made:
        yield made


def _story_id(app: Storyline) -> int:
    kremlin = next(a for a in app.store.latest_articles(limit=10) if a.title.startswith("Kremlin says"))
    return app.store.stories_of([kremlin.id])[kremlin.id]


def _millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@pytest.mark.anyio
async def test_a_first_visit_shows_nothing_new_and_remembers_the_visit(client: httpx.AsyncClient,
                                                                       app: Storyline) -> None:
    story_id = _story_id(app)
    response = await client.get(f"/stories/{story_id}")
    assert response.status_code == 200
    assert not css(parse(response), ".since")
    cookie = response.cookies[COOKIE]
    story, millis = cookie.split(".")[-1].split(":")
    assert int(story) == story_id
    assert abs(int(millis) - _millis(datetime.now(UTC))) < 60_000
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    again = parse(await client.get(f"/stories/{story_id}"))  # the client sends the cookie back
    assert "Nothing new since you last opened this story" in text_of(css(again, ".since")[0])


@pytest.mark.anyio
async def test_reports_received_after_the_last_visit_are_listed_and_marked(client: httpx.AsyncClient,
                                                                           app: Storyline) -> None:
    story_id = _story_id(app)
    view = app.story(story_id)
    assert view is not None
    assert view.summary is not None
    before = min(a.created_at for a in view.timeline) - timedelta(hours=1)
    client.cookies.set(COOKIE, f"{story_id}:{_millis(before)}")
    page = parse(await client.get(f"/stories/{story_id}"))
    since = css(page, ".since li")
    added = [s.text for entry in view.summary.timeline for s in entry.added]
    assert [text_of(li).rsplit(" [", 1)[0] for li in since] == added
    assert len(css(page, ".timeline li.new")) == len(view.summary.timeline)


@pytest.mark.anyio
@pytest.mark.parametrize("value", [
    "garbage", "1:2:3", "-5:100", f"{2**40}:1700000000000", "1:99999999999999", "1:abc", ":::" * 2000,
    ".".join(f"{i}:1700000000000" for i in range(1, 3000)), "1:1700000000000\x00",
    "\u202e1:1700000000000".encode().decode("latin-1"),
])
async def test_a_hostile_cookie_is_ignored_not_an_error(client: httpx.AsyncClient, app: Storyline,
                                                        value: str) -> None:
    story_id = _story_id(app)
    # Bytes as a client may send them (a header is latin-1 on the wire).
    response = await client.get(f"/stories/{story_id}", headers={"cookie": f"{COOKIE}={value}".encode("latin-1")})
    assert response.status_code == 200
    kept = response.cookies[COOKIE].split(".")
    assert len(kept) <= MAX_STORIES
    assert kept[-1].startswith(f"{story_id}:")
    assert len(response.headers["set-cookie"]) < 4096


@pytest.mark.anyio
async def test_the_cookie_keeps_the_latest_stories_only(client: httpx.AsyncClient, app: Storyline) -> None:
    story_id = _story_id(app)
    old = _millis(datetime.now(UTC) - timedelta(days=1))
    client.cookies.set(COOKIE, ".".join(f"{i + 100_000}:{old}" for i in range(MAX_STORIES)))
    response = await client.get(f"/stories/{story_id}")
    kept = response.cookies[COOKIE].split(".")
    assert len(kept) == MAX_STORIES
    assert kept[0].startswith("100001:")  # the oldest visit left
    assert kept[-1].startswith(f"{story_id}:")
