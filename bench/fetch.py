"""Feed fetching throughput: Storyline vs the `reader` library, same feeds, same server.

    .venv/bin/python bench/fetch.py [--feeds 1000] [--items 50] [--workers 4] [--conditional-passes 3]

Writes FEEDS feeds of ITEMS items (full content, ~3 KB an item) to a temp folder and
serves them on 127.0.0.1 with nginx when it is installed (static files with ETag and
Last-Modified, as a real site would), else with Python's http.server (which answers
If-Modified-Since too). Then, for each of reader and Storyline, from an empty database:
a first pass (every feed new) and a second, conditional pass (every feed unchanged: 304).
Both get the same per-host politeness: at most WORKERS requests to the host at a time,
no delay. A conditional pass takes a second or two, so each tool runs it several times
(--conditional-passes) and the medians are compared. Prints one JSON object per pass,
then the ratios. Target (issue 3): Storyline
at least 2x reader on both passes, using both cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

PARAGRAPH = ("The council met on {day} to discuss the budget for the coming year, and members said the plan "
             "would be voted on after a public consultation that starts next month in the town hall. ")
# Each item's paragraphs are the template's words in an order of their own: 50,000 distinct
# articles, as real feeds carry (one template would make them all copies of each other).
WORDS = PARAGRAPH.format(day="").replace(",", "").replace(".", "").split()


def _paragraph(rng: random.Random, day: str) -> str:
    words = [*WORDS, *day.split()]
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def write_feeds(folder: Path, feeds: int, items: int) -> int:
    """Write the feed files; returns their total size in bytes."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    total = 0
    for f in range(feeds):
        entries = []
        for i in range(items):
            when = format_datetime(now - timedelta(hours=f % 24, minutes=i * 17))
            rng = random.Random(f * items + i)
            body = "".join(f"<p>{escape(_paragraph(rng, f'day {i}-{p}'))} Feed {f} item {i}.</p>"
                           for p in range(12))
            entries.append(
                f"<item><title>Feed {f} story {i}: council debates budget</title>"
                f"<link>http://bench.local/{f}/{i}.html</link><guid>bench-{f}-{i}</guid>"
                f"<pubDate>{when}</pubDate><description>Council debates budget, feed {f} item {i}.</description>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
            )
        xml = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
               'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
               f"<title>Bench feed {f}</title><link>http://bench.local/{f}/</link>"
               f"<description>Feed {f}</description>{''.join(entries)}</channel></rss>")
        path = folder / f"feed{f}.xml"
        path.write_text(xml, encoding="utf-8")
        total += path.stat().st_size
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """nginx (or http.server) serving ``folder`` on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.kind = "nginx" if shutil.which("nginx") else "python-http.server"
        self._process: subprocess.Popen[bytes] | None = None
        self._httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> Server:
        if self.kind == "nginx":
            conf = self.folder.parent / "nginx.conf"
            conf.write_text(
                f"worker_processes 1; daemon off; pid {self.folder.parent}/nginx.pid; error_log stderr error;\n"
                "events { worker_connections 1024; }\n"
                f"http {{ access_log off; types {{ application/rss+xml xml; }} server {{ "
                f"listen 127.0.0.1:{self.port}; root {self.folder}; keepalive_requests 100000; }} }}\n"
            )
            self._process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.folder.parent)])
        else:
            handler = partial(SimpleHTTPRequestHandler, directory=str(self.folder))
            handler.log_message = lambda *args: None  # type: ignore[method-assign]
            self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
            threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the benchmark server did not start")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
        if self._httpd is not None:
            self._httpd.shutdown()

    def urls(self, feeds: int) -> list[str]:
        return [f"http://127.0.0.1:{self.port}/feed{f}.xml" for f in range(feeds)]


def _passes(conditional: int) -> list[str]:
    return ["first", *["conditional"] * conditional]


def bench_reader(urls: list[str], workdir: Path, workers: int, conditional: int = 3) -> list[dict[str, object]]:
    from reader import make_reader

    reader = make_reader(str(workdir / "reader.sqlite"))
    for url in urls:
        reader.add_feed(url)
    results = []
    for name in _passes(conditional):
        start = time.perf_counter()
        reader.update_feeds(workers=workers, scheduled=False)  # every feed, due or not, as storyline
        seconds = time.perf_counter() - start
        entries = reader.get_entry_counts().total
        results.append({"tool": "reader", "pass": name, "feeds": len(urls), "seconds": round(seconds, 2),
                        "feeds_per_s": round(len(urls) / seconds, 1), "entries_stored": entries,
                        "items_per_s": round(entries / seconds, 1) if name == "first" else None})
    reader.close()
    return results


def bench_storyline(
    urls: list[str], workdir: Path, workers: int, conditional: int = 3, stories: bool = False
) -> list[dict[str, object]]:
    from storyline.app import make_app
    from storyline.config import load_settings
    from storyline.logs import configure_logging
    from storyline.types import SourceKind

    settings = load_settings({
        "home": str(workdir / "storyline"), "allow_private_networks": "true", "load_sample": "false",
        "per_host_concurrency": str(workers), "per_host_delay": "0", "fetch_workers": str(workers * 2),
        "parse_processes": str(os.cpu_count() or 2), "fetch_article_pages": "false",
        # Fetching is compared here (reader embeds nothing): the story stage, which embeds every
        # new article in the background, is measured by bench/cluster.py. --stories includes it.
        "stories": "true" if stories else "false",
    }, environ={})
    configure_logging("warning")
    app = make_app(settings)
    sources = [app.store.ensure_source(SourceKind.FEED, url, url) for url in urls]
    app.start_workers()  # before the clock: a running server has its worker processes warm
    results = []
    for name in _passes(conditional):
        start = time.perf_counter()
        done = app.fetch(sources)
        seconds = time.perf_counter() - start
        failed = [r for r in done if r.error]
        articles = app.stats().articles
        results.append({"tool": "storyline", "pass": name, "feeds": len(urls), "seconds": round(seconds, 2),
                        "feeds_per_s": round(len(urls) / seconds, 1), "entries_stored": articles,
                        "items_per_s": round(articles / seconds, 1) if name == "first" else None,
                        "failed": len(failed), "not_modified": sum(1 for r in done if r.not_modified)})
        sources = [app.store.get_source(s.id) for s in sources]
    if stories:
        start = time.perf_counter()
        app.wait_for_stories()
        results.append({"tool": "storyline", "pass": "stories caught up after the passes",
                        "seconds": round(time.perf_counter() - start, 2)})
    app.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="requests to the host at a time, for both tools")
    parser.add_argument("--stories", action="store_true", help="run Storyline's story stage too (background)")
    parser.add_argument("--conditional-passes", type=int, default=3,
                        help="conditional passes per tool (a pass takes a second or two: the median is compared)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as tmp:
        workdir = Path(tmp)
        folder = workdir / "www"
        folder.mkdir()
        # nginx's workers run unprivileged: they must be able to read the files.
        workdir.chmod(0o755)
        folder.chmod(0o755)
        size = write_feeds(folder, args.feeds, args.items)
        with Server(folder) as server:
            urls = server.urls(args.feeds)
            print(json.dumps({"server": server.kind, "feeds": args.feeds, "items_per_feed": args.items,
                              "megabytes": round(size / 1e6, 1), "workers": args.workers,
                              "cpus": os.cpu_count()}), flush=True)
            results: dict[tuple[object, object], list[float]] = {}
            stored = {}
            for run in (bench_reader, partial(bench_storyline, stories=args.stories)):
                for result in run(urls, workdir, args.workers, args.conditional_passes):
                    if "feeds_per_s" not in result:
                        print(json.dumps(result), flush=True)
                        continue
                    results.setdefault((result["tool"], result["pass"]), []).append(float(result["feeds_per_s"]))
                    stored[result["tool"]] = result["entries_stored"]
                    print(json.dumps(result), flush=True)
        expected = args.feeds * args.items
        if any(entries != expected for entries in stored.values()):
            raise SystemExit(f"a tool did not store every item ({stored}, expected {expected}): no comparison")
        for name in ("first", "conditional"):
            ours, theirs = statistics.median(results[("storyline", name)]), statistics.median(results[("reader", name)])
            ratio = ours / theirs
            print(json.dumps({"pass": name, "storyline_feeds_per_s": ours, "reader_feeds_per_s": theirs,
                              "storyline_vs_reader": round(ratio, 2), "target": 2.0, "met": ratio >= 2.0}))


if __name__ == "__main__":
    main()
