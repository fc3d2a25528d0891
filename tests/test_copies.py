"""Copies folded as they are stored: groups in the store, one entry on the home page, the agency credited."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from storyline.app import Storyline
from storyline.store import SQLStore
from storyline.types import DuplicateLink
from storyline.web import create_asgi
from tests.test_store_contract import make_article

STORY = [
    "The Kremlin said on Thursday that a summit between the two presidents was set for the coming days, "
    "with both sides having agreed the venue in principle after weeks of contacts between their envoys.",
    "The summit would be the first between sitting leaders of the two countries in four years, and comes "
    "as negotiators try to broker an end to the war that has displaced millions of people since it began.",
    "Three rounds of direct talks have failed to yield any progress towards a ceasefire, and the two sides "
    "appear as far apart as ever in the conditions they have set for an end to the fighting in the east.",
]


def _records() -> list[dict[str, object]]:
    body = "\n\n".join(STORY)
    return [
        {"title": "Kremlin says summit agreed for coming days", "text": f"MOSCOW (AFP) - {body}",
         "url": "https://www.afp.com/en/news/kremlin-summit", "source": "AFP", "published": "2025-08-07T09:00:00Z"},
        {"title": "Summit set for 'coming days', Kremlin says", "text": f"MOSCOW: {body}\n\nRead more: other news",
         "url": "https://www.brecorder.com/news/kremlin-summit", "source": "Business Recorder",
         "published": "2025-08-07T10:00:00Z"},
        {"title": "Trump-Putin summit in days", "text": f"{STORY[0]}\n\n{STORY[1]}",
         "url": "https://www.dawn.com/news/kremlin-summit", "source": "Dawn", "published": "2025-08-07T11:00:00Z"},
        {"title": "Council approves the budget", "text": "The town council approved next year's budget on Monday "
         "after a long debate about road repairs, school buses and the library, which will open longer hours.",
         "url": "https://local.example/budget", "source": "Local", "published": "2025-08-07T12:00:00Z"},
    ]


@pytest.fixture
def copies_app(app: Storyline, tmp_path: Path) -> Storyline:
    source = tmp_path / "wire.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in _records()), encoding="utf-8")
    report = app.import_paths([source])
    assert report.inserted == 4
    return app


def _id(app: Storyline, outlet: str) -> int:
    return next(a.id for a in app.store.latest_articles(limit=10) if a.outlet == outlet)


def test_copies_form_one_group_with_the_agency_as_original(copies_app: Storyline) -> None:
    group = copies_app.syndication(_id(copies_app, "Dawn"))
    assert group is not None
    assert group.agency == "AFP"
    assert group.original_id == str(_id(copies_app, "AFP"))
    assert set(group.carried_by) >= {"Business Recorder", "Dawn"}
    assert copies_app.syndication(_id(copies_app, "Local")) is None


def test_home_lists_a_group_once_and_the_article_page_credits_the_agency(copies_app: Storyline) -> None:
    import asyncio

    async def fetch(path: str) -> str:
        transport = httpx.ASGITransport(app=create_asgi(copies_app))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(path)
            assert response.status_code == 200
            return response.text

    latest = asyncio.run(fetch("/latest"))
    assert latest.count('class="article-item"') == 2  # the wire story once, the local story once
    assert "+2 copies" in latest
    home = asyncio.run(fetch("/"))
    assert home.count('class="story-item"') == 2  # two events: two stories
    home_text = " ".join(re.sub(r"<[^>]+>", "", home).split())
    assert "1 report carried by 3 outlets · 2 copies folded" in home_text
    page = asyncio.run(fetch(f"/articles/{_id(copies_app, 'Dawn')}"))
    assert "AFP report" in page
    assert "carried by" in page
    assert "The same report elsewhere" in page


def test_importing_again_adds_no_links_and_keeps_groups(copies_app: Storyline, tmp_path: Path) -> None:
    before = copies_app.store.group_members(_id(copies_app, "AFP"))
    again = tmp_path / "again.jsonl"
    again.write_text("\n".join(json.dumps(r) for r in _records()), encoding="utf-8")
    report = copies_app.import_paths([again])
    assert report.unchanged == 4
    assert copies_app.store.group_members(_id(copies_app, "AFP")) == before
    assert len(before) == 3


def test_store_duplicate_links_round_trip(store: SQLStore) -> None:
    ids = [r.article_id for r in store.upsert_articles([make_article(n) for n in range(1, 5)])]
    store.save_duplicates([DuplicateLink(ids[0], ids[0], None), DuplicateLink(ids[1], ids[0], ids[0], "near", 0.9),
                           DuplicateLink(ids[2], ids[0], ids[1], "teaser", 0.4)])
    assert [a.id for a in store.group_members(ids[2])] == ids[:3]
    assert store.group_members(ids[3]) == []
    assert store.copy_counts(ids) == {ids[0]: 2}
    folded = [a.id for a in store.latest_articles(limit=10, fold_copies=True)]
    assert folded == [ids[3], ids[0]]
    store.save_duplicates([DuplicateLink(ids[2], ids[2], None)])  # a later link replaces the earlier one
    assert store.copy_counts(ids) == {ids[0]: 1}
