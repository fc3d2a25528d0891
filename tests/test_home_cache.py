"""The ranked home page is reused until this process writes or page_cache_seconds pass.

Two Storyline objects on one SQLite file stand for ``serve`` and another process (a worker,
an import): the first sees its own writes at once and the other's after the cache time.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import storyline.reading.home
from storyline.app import Storyline, make_app
from storyline.config import load_settings
from storyline.normalize import content_hash
from storyline.store import open_store
from storyline.types import Article, StoryLink
from tests.test_live_updates import REPORTS, write_reports

CACHE_SECONDS = 3.0


def on(home: Path, **extra: str) -> Storyline:
    return make_app(load_settings({"home": str(home), "load_sample": "false", **extra}, environ={}))


def titles(app: Storyline) -> set[str]:
    return {card.lead.title for card in app.top_stories(1)[0]}


def stored_elsewhere(app: Storyline, name: str) -> None:
    """An article in a story of its own, written by another connection to the same database."""
    other = open_store(app.settings.resolved_database_url)
    try:
        title, text = REPORTS[name]
        [result] = other.upsert_articles([Article(canonical_url=f"https://elsewhere.example/{name}", url=None,
                                                  title=title, text=text, content_hash=content_hash(text))])
        other.save_story_links([StoryLink(result.article_id, 900_000 + result.article_id, 0.0)])
    finally:
        other.close()


def test_own_writes_show_at_once_and_others_after_the_cache_time(tmp_path: Path) -> None:
    serving = on(tmp_path / "home", page_cache_seconds=str(CACHE_SECONDS))
    try:
        serving.import_paths([write_reports(tmp_path, ["harbour"])])
        serving.wait_for_stories()
        first = serving.top_stories(1)
        assert serving.top_stories(1) is first, "ranked once, then reused"
        ranked_at = time.monotonic()

        stored_elsewhere(serving, "election")
        assert len(titles(serving)) == 1, "another process's write shows only after page_cache_seconds"
        assert time.monotonic() - ranked_at < CACHE_SECONDS, "the check above ran within the cache time"
        time.sleep(max(0.0, CACHE_SECONDS + 0.2 - (time.monotonic() - ranked_at)))
        assert len(titles(serving)) == 2

        serving.import_paths([write_reports(tmp_path, ["vaccine"])])  # a write of its own shows at once
        serving.wait_for_stories()
        assert len(titles(serving)) == 3
    finally:
        serving.close()


def test_no_cache_ranks_every_request(tmp_path: Path) -> None:
    serving = on(tmp_path / "home", page_cache_seconds="0")
    try:
        serving.import_paths([write_reports(tmp_path, ["harbour"])])
        serving.wait_for_stories()
        assert serving.top_stories(1) is not serving.top_stories(1)
        stored_elsewhere(serving, "election")
        assert len(titles(serving)) == 2
    finally:
        serving.close()


def test_readers_arriving_together_rank_a_stale_page_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serving = on(tmp_path / "home", page_cache_seconds="3600")
    try:
        serving.import_paths([write_reports(tmp_path, ["harbour"])])
        serving.wait_for_stories()
        old = serving.top_stories(1)
        serving.import_paths([write_reports(tmp_path, ["election"])])  # the page is stale now
        serving.wait_for_stories()

        rankings: list[int] = []
        real = storyline.reading.home.home_stories

        def slow_ranking(*args: Any, **kwargs: Any) -> Any:
            rankings.append(1)
            time.sleep(0.5)  # a ranking that takes a while, as on a large store
            return real(*args, **kwargs)

        monkeypatch.setattr(storyline.reading.home, "home_stories", slow_ranking)
        with ThreadPoolExecutor(16) as pool:
            pages = list(pool.map(lambda _: serving.top_stories(1), range(16)))
        assert len(rankings) == 1, "one thread ranks; the others get the last ranking meanwhile"
        assert all(page is old or len(page[0]) == 2 for page in pages)
        assert len(serving.top_stories(1)[0]) == 2
        assert len(rankings) == 1
    finally:
        serving.close()
