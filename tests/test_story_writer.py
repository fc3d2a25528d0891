"""One story writer per store: processes that share a store never number or split stories apart.

Stories depend on the order articles arrive in, so one process at a time assigns them (a
lease in the store); story ids come from the database. These tests run real ``storyline``
processes on one SQLite file, kill them with SIGKILL, and look at what the store holds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storyline.app import make_app
from storyline.config import load_settings
from tests.conftest import CORPORA
from tests.test_cli import SCRIPT, clean_env
from tests.test_stories import EVENTS, event_records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k not in ("id", "event")}) + "\n"
                            for r in records), encoding="utf-8")
    return path


def start_import(home: Path, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([str(SCRIPT), "--home", str(home), "import", str(path)], env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], timeout: float = 300) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return out + err


def consistency(db: Path) -> tuple[dict[str, int], list[str]]:
    """Each article's story by URL, and every way the stories break the rules."""
    with sqlite3.connect(db) as conn:
        articles = dict(conn.execute("SELECT id, url FROM articles").fetchall())
        links = conn.execute("SELECT article_id, story_id FROM story_articles").fetchall()
        stories = dict(conn.execute("SELECT id, merged_into FROM stories").fetchall())
    problems = [f"article {a} has no story" for a in articles if a not in dict(links)]
    problems += [f"article {a} is in story {s}, which has no row" for a, s in links if s not in stories]
    problems += [f"article {a} is in story {s}, merged into {stories[s]}" for a, s in links
                 if stories.get(s) is not None]
    return {articles[a]: s for a, s in links}, problems


def ecb_records(count: int) -> list[dict[str, Any]]:
    """``count`` real ECB+ reports with their own outlets and times (titles from their first line)."""
    rows = [json.loads(line) for line in (CORPORA / "clustering" / "ecbplus.jsonl").read_text("utf-8").splitlines()]
    start = datetime(2013, 6, 1, tzinfo=UTC)
    return [{"title": row.get("title_guess") or row["text"].split("\n", 1)[0][:120], "text": row["text"],
             "url": f"https://outlet{i % 40}.example/{row['doc_id']}", "source": f"Outlet {i % 40}",
             "published": (start + timedelta(minutes=7 * i)).isoformat()}
            for i, row in enumerate(rows[:count])]


def test_two_imports_at_once_never_share_a_story(tmp_path: Path) -> None:
    # Before story ids came from the database, each process numbered stories from its own
    # counter, and unrelated events ended up in one story.
    home = tmp_path / "home"
    records = event_records(per_event=4)
    first = write_jsonl(tmp_path / "a.jsonl", [r for r in records if r["event"] != EVENTS[2]])
    second = write_jsonl(tmp_path / "b.jsonl", [r for r in records if r["event"] == EVENTS[2]])

    imports = [start_import(home, first), start_import(home, second)]
    for process in imports:
        finish(process)

    story_of, problems = consistency(home / "storyline.db")
    assert problems == []
    events_of: dict[int, set[str]] = defaultdict(set)
    for r in records:
        events_of[story_of[r["url"]]].add(r["event"])
    assert all(len(events) == 1 for events in events_of.values()), f"unrelated events share a story: {events_of}"
    assert len(events_of) == len(EVENTS)


def test_kill_9_during_story_assignment_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = write_jsonl(tmp_path / "reports.jsonl", ecb_records(400))
    db = home / "storyline.db"

    process = start_import(home, path)
    assigned = 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                assigned = conn.execute("SELECT COUNT(*) FROM story_articles").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            continue
        if assigned >= 50:
            break
    assert process.poll() is None, "the import finished before it could be killed: give it more work"
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    _, problems = consistency(db)
    assert any("has no story" in p for p in problems), "killed in the middle: some articles wait for a story"

    # The same import again: nothing new to store, but every article gets its story.
    again = start_import(home, path)
    output = finish(again)
    assert "0 new" in output or "unchanged" in output
    story_of, problems = consistency(db)
    assert problems == []
    assert len(story_of) == 400


def test_serve_assigns_articles_left_without_a_story_without_waiting_for_news(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    off = make_app(load_settings({"home": home, "stories": "false"}, environ={}))
    try:
        report = off.import_paths([write_jsonl(tmp_path / "a.jsonl", event_records(per_event=2))])
        assert report.inserted == 6
    finally:
        off.close()

    server = make_app(load_settings({"home": home}, environ={}))
    try:
        server.start_scheduler()  # what `storyline serve` starts; no source, no new article
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            _, problems = consistency(Path(home) / "storyline.db")
            if not problems:
                break
            time.sleep(0.5)
        assert problems == []
    finally:
        server.close()


def test_a_second_process_waits_for_the_writer_and_its_articles_get_stories(tmp_path: Path) -> None:
    # Two Storylines on one store (think: `serve` and a CLI import). Only one assigns; the
    # other's articles are assigned by it, in the same numbering.
    settings = load_settings({"home": str(tmp_path / "home")}, environ={})
    records = event_records(per_event=3)
    writer, other = make_app(settings), make_app(settings)
    try:
        writer.import_paths([write_jsonl(tmp_path / "a.jsonl", [r for r in records if r["event"] != EVENTS[2]])])
        other.import_paths([write_jsonl(tmp_path / "b.jsonl", [r for r in records if r["event"] == EVENTS[2]])])
        lease = other.store.lease("stories")
        assert lease is not None
        assert writer.stories is not None
        story_of, problems = consistency(settings.home / "storyline.db")
        assert problems == []
        assert len({story_of[r["url"]] for r in records}) == len(EVENTS)
    finally:
        other.close()
        writer.close()
