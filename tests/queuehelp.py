"""Helpers of the queue tests: fixture feeds on the local HTTP server, worker processes, store checks."""

from __future__ import annotations

import html
import json
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from storyline.app import Storyline, make_app
from storyline.config import load_settings
from storyline.store.queue import libpq_url
from storyline.types import SourceKind
from tests.conftest import CORPORA
from tests.httpserver import LocalHTTPServer, Reply
from tests.pgserver import PgServer
from tests.test_cli import SCRIPT, clean_env

# What every process of a queue test is given: the queue on, the local server allowed, no
# politeness delay (one host serves every feed) and no process pool (many workers on 2 cores).
QUEUE_SETTINGS = {"queue": "true", "allow_private_networks": "true", "per_host_delay": "0",
                  "per_host_concurrency": "4", "parse_processes": "1", "fetch_article_pages": "false",
                  "load_sample": "false", "load_starter_feeds": "false"}


def ecb_reports(count: int) -> list[dict[str, Any]]:
    """``count`` real ECB+ reports (labelled by event), each with its own outlet and time."""
    rows = [json.loads(line) for line in (CORPORA / "clustering" / "ecbplus.jsonl").read_text("utf-8").splitlines()]
    start = datetime(2013, 6, 1, tzinfo=UTC)
    return [{"title": row.get("title_guess") or row["text"].split("\n", 1)[0][:120], "text": row["text"],
             "event": row["subtopic"], "url": f"https://outlet{i % 40}.example/{row['doc_id']}",
             "published": start + timedelta(minutes=7 * i)}
            for i, row in enumerate(rows[:count])]


def rss(title: str, reports: Sequence[dict[str, Any]]) -> str:
    """An RSS feed carrying each report's full text (no article page to fetch)."""
    items = "".join(
        f"<item><title>{html.escape(r['title'])}</title><link>{html.escape(r['url'])}</link>"
        f"<guid>{html.escape(r['url'])}</guid><pubDate>{r['published']:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
        "<description><![CDATA[" + "".join(f"<p>{html.escape(p)}</p>" for p in r["text"].split("\n") if p.strip())
        + "]]></description></item>"
        for r in reports)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
            f"<link>https://example.org/</link>{items}</channel></rss>")


def serve_feeds(server: LocalHTTPServer, prefix: str, reports: Sequence[dict[str, Any]], feeds: int) -> list[str]:
    """``reports`` dealt over ``feeds`` feeds on ``server``; their URLs."""
    urls = []
    for n in range(feeds):
        path = f"/{prefix}/feed{n}.xml"
        server.add(path, Reply(body=rss(f"Feed {n}", reports[n::feeds]), content_type="application/rss+xml"))
        urls.append(server.url(path))
    return urls


def queue_app(home: Path, db_url: str, **extra: str) -> Storyline:
    return make_app(load_settings({"home": str(home), "database_url": db_url, **QUEUE_SETTINGS, **extra},
                                  environ={}))


def subscribe(app: Storyline, urls: Sequence[str]) -> list[int]:
    return [app.store.ensure_source(SourceKind.FEED, url, url).id for url in urls]


def start_worker(home: Path, db_url: str, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    args = [str(SCRIPT), "--home", str(home), "--database-url", db_url]
    for name, value in {**QUEUE_SETTINGS, **extra}.items():
        args += ["--setting", f"{name}={value}"]
    with log.open("ab") as out:
        return subprocess.Popen([*args, "worker"], env=clean_env(), stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")


def query(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(db_url)) as conn:
        return conn.execute(sql).fetchall()


def execute(db_url: str, sql: str) -> None:
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        conn.execute(sql.encode())


def consistency(db_url: str) -> tuple[dict[str, int], list[str]]:
    """Each article's story by URL, and every way the store breaks the rules (lost, twice, no story)."""
    articles = dict(query(db_url, "SELECT id, url FROM articles"))
    links = query(db_url, "SELECT article_id, story_id FROM story_articles")
    stories = dict(query(db_url, "SELECT id, merged_into FROM stories"))
    linked = dict(links)
    problems = [f"article {a} has no story" for a in articles if a not in linked]
    problems += [f"article {a} is in story {s}, which has no row" for a, s in links if s not in stories]
    problems += [f"article {a} is in story {s}, merged into {stories[s]}" for a, s in links
                 if stories.get(s) is not None]
    urls = list(articles.values())
    problems += [f"{u} stored {urls.count(u)} times" for u in set(urls) if urls.count(u) > 1]
    return {articles[a]: s for a, s in links}, problems


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def another_database(server: PgServer, name: str) -> str:
    """A second empty database on the test server (dropped with the server at the end of the session)."""
    admin = server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return server.url(name)
