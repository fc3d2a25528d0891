"""`storyline sources`, `opml` and `fetch`: the real console script against the loopback test server.

The commands run in a subprocess with their default settings except the three that let
them reach 127.0.0.1 at full speed; so parsing runs in worker processes, as for a user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.httpserver import LocalHTTPServer, Reply, Request
from tests.test_refresh import RSS_TYPE, body_text, rss, rss_item

SCRIPT = Path(sys.executable).with_name("storyline")
OPML = Path(__file__).parent / "data" / "refresh" / "folders.opml"
SOURCE_FIELDS = {
    "id", "kind", "url", "title", "folder", "site_url", "last_fetched_at", "last_status", "last_error",
    "consecutive_failures", "paused", "items_per_day", "latency_ms", "next_fetch_at",
}


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    env.update({
        "STORYLINE_ALLOW_PRIVATE_NETWORKS": "true", "STORYLINE_PER_HOST_DELAY": "0",
        "STORYLINE_LOAD_SAMPLE": "false", "COLUMNS": "120",
    })
    env.pop("FORCE_COLOR", None)
    return env


def run(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(SCRIPT), "--home", str(home), *map(str, args)], capture_output=True, text=True, env=clean_env(),
        timeout=60, check=False, cwd=home.parent,
    )
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def listed(home: Path) -> list[dict[str, Any]]:
    result = run(home, "sources", "list", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def stats(home: Path) -> dict[str, Any]:
    result = run(home, "stats", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def prefix() -> str:
    return f"/sources-cli-{uuid.uuid4().hex[:10]}"


def good_feed(server: LocalHTTPServer, prefix: str, count: int = 3) -> Reply:
    now = datetime.now(UTC)
    items = [
        rss_item(title=f"Story {n}", link=server.url(f"{prefix}/story/{n}"), guid=f"story-{n}",
                 content=f"<p>{body_text(f'story {n}')}</p>", published=now - timedelta(hours=n))
        for n in range(1, count + 1)
    ]
    return Reply(body=rss("Coastal Courier", items), content_type=RSS_TYPE)


def test_add_list_fetch_and_remove(http_server: LocalHTTPServer, home: Path, prefix: str) -> None:
    url = http_server.url(prefix + "/feed.xml")
    http_server.add(prefix + "/feed.xml", good_feed(http_server, prefix))

    added = run(home, "sources", "add", url, "--folder", "News")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"Added feed {url} (id 1)"
    [new] = listed(home)
    assert set(new) == SOURCE_FIELDS
    assert {k: new[k] for k in ("id", "kind", "url", "title", "folder", "last_fetched_at", "paused")} == {
        "id": 1, "kind": "feed", "url": url, "title": "Coastal Courier", "folder": "News", "last_fetched_at": None,
        "paused": False,
    }

    fetched = run(home, "fetch", "--all")
    assert fetched.returncode == 0, fetched.stderr
    assert "1 sources fetched, 0 failed, 3 new articles." in fetched.stdout
    [source] = listed(home)
    assert (source["last_status"], source["last_error"], source["consecutive_failures"]) == (200, None, 0)
    for field in ("last_fetched_at", "next_fetch_at"):
        assert source[field].endswith("Z"), source[field]
    assert datetime.fromisoformat(source["next_fetch_at"]) > datetime.fromisoformat(source["last_fetched_at"])
    assert source["items_per_day"] > 0
    assert source["latency_ms"] >= 0

    again = run(home, "fetch", "1")
    assert again.returncode == 0, again.stderr
    assert "1 sources fetched, 0 failed, 0 new articles." in again.stdout

    removed = run(home, "sources", "remove", "1")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"Removed {url}"
    after = stats(home)
    assert (after["articles"], after["sources"]) == (3, 0), "a removed source's articles stay"


def test_fetching_only_failing_sources_exits_1_with_each_error(
    http_server: LocalHTTPServer, home: Path, prefix: str
) -> None:
    missing = http_server.url("/status/404")
    became_html = http_server.url(prefix + "/feed.xml")
    replies = {"now": good_feed(http_server, prefix, count=1)}

    def feed_then_html(_request: Request) -> Reply:
        return replies["now"]

    http_server.add(prefix + "/feed.xml", feed_then_html)
    for url in (missing, became_html):
        assert run(home, "sources", "add", url).returncode == 0
    assert [s["kind"] for s in listed(home)] == ["feed", "feed"]
    # Now the feed's address serves a page naming no feed: parsing fails, in a worker process.
    replies["now"] = Reply(body="<html><head><title>Hi</title></head><body><p>No feed here.</p></body></html>",
                           content_type="text/html")

    result = run(home, "fetch", "--all")

    assert result.returncode == 1
    assert "2 sources fetched, 2 failed, 0 new articles." in result.stdout
    errors = error_lines(result)
    assert len(errors) == 2, result.stderr
    assert any(line.startswith(f"error: {missing}: the server answered 404 Not Found. Check the URL")
               for line in errors), errors
    assert any(line.startswith(f"error: {became_html}: ") and "not a feed" in line for line in errors), errors
    assert all(s["consecutive_failures"] == 1 and s["last_error"] for s in listed(home))


def test_a_paused_source_is_resumed(http_server: LocalHTTPServer, home: Path) -> None:
    url = http_server.url("/status/500")
    assert run(home, "sources", "add", url).returncode == 0
    failed = run(home, "--setting", "pause_after_failures=1", "fetch", url)
    assert failed.returncode == 1
    [source] = listed(home)
    assert (source["paused"], source["consecutive_failures"], source["next_fetch_at"]) == (True, 1, None)
    assert "paused after 1 failed fetches" in source["last_error"]

    resumed = run(home, "sources", "resume", url)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == f"Resumed {url}"
    [source] = listed(home)
    # Due at once: no next fetch time is a source to fetch in the next round.
    assert (source["paused"], source["consecutive_failures"], source["next_fetch_at"]) == (False, 0, None)


def test_opml_import_twice_and_export(home: Path) -> None:
    first = run(home, "opml", "import", OPML)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "3 sources added, 0 already there."
    second = run(home, "opml", "import", OPML)
    assert second.stdout.strip() == "0 sources added, 3 already there."
    assert len(listed(home)) == 3

    exported = run(home, "opml", "export")
    assert exported.returncode == 0, exported.stderr
    root = etree.fromstring(exported.stdout.encode())
    assert (root.tag, root.get("version")) == ("opml", "2.0")
    news = root.find("body/outline[@text='News']")
    assert news is not None
    assert news.get("xmlUrl") is None
    assert news.find("outline[@xmlUrl='https://courier.example.org/feed.xml']").get("title") == "Coastal Courier"
    europe = news.find("outline[@text='Europe']")
    assert europe is not None
    assert [o.get("xmlUrl") for o in europe.findall("outline")] == ["https://harbour.example.net/rss"]
    assert root.find("body/outline[@xmlUrl='https://loose.example.com/atom.xml']") is not None


@pytest.mark.parametrize(
    "args",
    [("fetch", "no-such-source"), ("sources", "remove", "no-such-source"), ("sources", "resume", "no-such-source")],
)
def test_an_unknown_source_is_a_clear_error(home: Path, args: tuple[str, ...]) -> None:
    result = run(home, *args)
    assert result.returncode == 1
    assert error_lines(result) == ["error: no source 'no-such-source'. See `storyline sources list`."]


def test_adding_a_non_http_url_is_a_clear_error(home: Path) -> None:
    result = run(home, "sources", "add", "ftp://example.org/feed.xml")
    assert result.returncode == 1
    assert error_lines(result) == [
        "error: ftp://example.org/feed.xml: not an http(s) URL. Give the address of a feed, sitemap, homepage "
        "or article."
    ]


def run_guarded(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``run`` with the default guard: private networks refused."""
    env = {**clean_env(), "STORYLINE_ALLOW_PRIVATE_NETWORKS": "false"}
    result = subprocess.run([str(SCRIPT), "--home", str(home), *map(str, args)], capture_output=True, text=True,
                            env=env, timeout=60, check=False, cwd=home.parent)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/feed", "http://localhost/feed", "http://2130706433/feed",
                                 "http://[::ffff:10.0.0.1]/rss", "http://169.254.169.254/latest/meta-data/"])
def test_adding_a_private_address_is_refused_at_once_naming_the_setting(home: Path, url: str) -> None:
    result = run_guarded(home, "sources", "add", url)
    assert result.returncode == 1
    assert "allow_private_networks" in result.stderr
    assert listed(home) == []


def test_opml_import_reports_every_outline_not_taken_by_line(home: Path, tmp_path: Path) -> None:
    opml = tmp_path / "mixed.opml"
    opml.write_text(
        '<?xml version="1.0"?>\n<opml version="2.0"><head/><body>\n'
        '<outline text="Good" xmlUrl="https://good.example/feed"/>\n'
        '<outline text="Script" xmlUrl="javascript:alert(1)"/>\n'
        '<outline text="Local file" xmlUrl="file:///etc/passwd"/>\n'
        '<outline text="Inside" xmlUrl="http://192.168.1.1/rss"/>\n'
        '<outline text="Query" xmlUrl="https://q.example/rss?a=1&amp;b=2"/>\n'
        '</body></opml>\n', encoding="utf-8")
    result = run_guarded(home, "opml", "import", opml)
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert [s.split(":", 2)[1] for s in skipped] == ["4", "5", "6"], result.stderr
    assert "javascript:" in skipped[0]
    assert "allow_private_networks" in skipped[2]
    assert "2 sources added" in result.stdout
    assert {s["url"] for s in listed(home)} == {"https://good.example/feed", "https://q.example/rss?a=1&b=2"}
