"""Soak: N articles through 1, 2 and 4 ``storyline worker`` processes against one PostgreSQL.

    .venv/bin/python bench/scale.py                        # 2,000 articles, 1/2/4 workers
    .venv/bin/python bench/scale.py --n 20000 --workers 1,4
    .venv/bin/python bench/scale.py --n 1000000            # the issue's size (hours here: see below)
    .venv/bin/python bench/scale.py --database-url postgresql+psycopg://me@/soak   # an existing server

What runs is what a deployment runs: a PostgreSQL server (started here in a temp folder with
initdb/pg_ctl unless ``--database-url`` names one; each run gets a fresh database), a loopback
HTTP server carrying the articles as RSS feeds with full text (``--per-feed`` items each, so no
page is fetched), the feeds subscribed, every refresh put on the queue at once, and K real
``storyline worker`` processes (the console script, default settings but those that let it
fetch from 127.0.0.1 at full speed) doing them: fetch, parse, extract, normalise, copies,
embeddings, entities, quotes and key points in the workers, story assignment by whichever
worker holds the story lease. The articles are bench/ingest.py's synthetic pages (corpus
reports of planted events, look-alike events, 10% planted copies), so stories can be checked.

Per worker count it prints: articles/s until every article is stored and until every article
has its story; queue latency (a job's wait from enqueued to started) and job run time, p50 and
p99, from procrastinate's event table; peak resident memory (VmHWM) of each worker process;
and the load average. Then a single process with no queue (``Storyline.fetch`` over the same
feeds, in this process) on the first ``--prefix`` articles, and how the workers' stories
compare with it on those articles: B-cubed agreement of the two partitions and how many
articles have other story-mates. Arrival order differs between a single process and several
workers (feeds are stored in another order), and story assignment is order-sensitive, so the
two can differ there; the comparison says how much.

The issue's target run is 1,000,000 articles. Every article is embedded once, and the embedder
runs at ~20-50 texts/s on this 2-core machine (bench/ingest.py), so that run takes 6-14 hours
per worker count here; the default size is what fits in minutes, and the per-article numbers
it prints are what the larger runs scale from.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src"), str(REPO / "bench")]

import psycopg  # noqa: E402
from ingest import Page, make_pages, page_url  # noqa: E402
from procmem import memory_mb  # noqa: E402
from tests.httpserver import LocalHTTPServer, Reply, Request, start_http_server  # noqa: E402
from tests.pgserver import PgServer, start_server  # noqa: E402

from storyline.app import Storyline, make_app, score_stories  # noqa: E402
from storyline.config import load_settings  # noqa: E402
from storyline.types import SourceKind  # noqa: E402

SCRIPT = Path(sys.executable).with_name("storyline")
# What every process is given: the queue on, the local server allowed, no politeness delay (one
# host serves every feed), and no page fetches (the feeds carry the full text).
SETTINGS = {"allow_private_networks": "true", "per_host_delay": "0", "per_host_concurrency": "8",
            "fetch_article_pages": "false", "load_sample": "false", "load_starter_feeds": "false"}
POLL = 0.5


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute(sql.encode()).fetchall()


def fresh_database(admin_url: str, name: str) -> str:
    """An empty database ``name`` on the server of ``admin_url`` (dropped first if it exists); its URL."""
    with psycopg.connect(libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0'.encode())
    base, _, params = admin_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{params}" if params else "")


def feed_xml(title: str, pages: Sequence[Page]) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(p.title)}</title><link>{html.escape(page_url(p))}</link>"
        f"<guid>{html.escape(page_url(p))}</guid><pubDate>{p.published:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
        f"<author>{html.escape(p.author)}</author><description><![CDATA["
        + "".join(f"<p>{html.escape(text)}</p>" for text in p.paragraphs) + "]]></description></item>"
        for p in pages)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(title)}'
            f"</title><link>https://example.org/</link>{items}</channel></rss>").encode()


def serve_feeds(server: LocalHTTPServer, name: str, pages: Sequence[Page], per_feed: int) -> list[str]:
    """``pages`` as feeds of ``per_feed`` items, made when asked (a million articles do not fit as bodies)."""
    urls = []
    for n, start in enumerate(range(0, len(pages), per_feed)):
        chunk = pages[start:start + per_feed]

        def reply(_: Request, chunk: Sequence[Page] = chunk, n: int = n) -> Reply:
            return Reply(body=feed_xml(f"Feed {n}", chunk), content_type="application/rss+xml")

        path = f"/{name}/feed{n}.xml"
        server.add(path, reply)
        urls.append(server.url(path))
    return urls


def settings_for(home: Path, db_url: str, **extra: str) -> dict[str, str]:
    return {"home": str(home), "database_url": db_url, **SETTINGS, **extra}


def subscribe(app: Storyline, urls: Sequence[str]) -> list[int]:
    return [app.store.ensure_source(SourceKind.FEED, url, url).id for url in urls]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until ``condition``; the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(POLL)
    raise SystemExit(f"scale: gave up after {timeout:.0f} s waiting for {what}")


def stories_by_url(db_url: str) -> dict[str, int]:
    return dict(query(db_url, "SELECT a.url, l.story_id FROM articles a JOIN story_articles l ON l.article_id = a.id"))


def unassigned(db_url: str) -> int:
    return query(db_url, "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                         "(SELECT 1 FROM story_articles l WHERE l.article_id = a.id)")[0][0]


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None}
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 3), "p99": round(ordered[min(len(ordered) - 1,
                                                                                  int(0.99 * len(ordered)))], 3)}


def queue_times(db_url: str, logs: Sequence[Path]) -> dict[str, Any]:
    """Wait (enqueued -> started) and run time of every job, in seconds, from the workers' logs.

    procrastinate deletes a job (and its events) when it succeeds, so the workers' own line
    per job (``queued_refresh_done ... took_s=... waited_s=...``) is the record.
    """
    waits: list[float] = []
    runs: list[float] = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if "queued_refresh_done" in line:
                waited, took = re.search(r"waited_s=([\d.]+)", line), re.search(r"took_s=([\d.]+)", line)
                if waited:
                    waits.append(float(waited.group(1)))
                if took:
                    runs.append(float(took.group(1)))
    failed = query(db_url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")[0][0]
    return {"jobs": len(runs), "failed": failed, "wait_s": percentiles(waits), "run_s": percentiles(runs)}


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (a worker's parse processes), from /proc."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def tree_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children now (VmRSS summed), in MiB."""
    return round(memory_mb(pid, "VmRSS") + sum(memory_mb(c, "VmRSS") for c in children(pid)), 1)


def start_worker(home: Path, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    args = [str(SCRIPT), "--home", str(home), "--database-url", db_url]
    for name, value in {**SETTINGS, "queue": "true"}.items():
        args += ["--setting", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    with log.open("ab") as out:
        return subprocess.Popen([*args, "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_workers(server: LocalHTTPServer, admin_url: str, folder: Path, pages: Sequence[Page], *,
                workers: int, per_feed: int, timeout: float) -> tuple[dict[str, Any], dict[str, int]]:
    """Every feed refreshed once through ``workers`` worker processes: the numbers and each article's story."""
    name = f"soak_{workers}"
    db_url = fresh_database(admin_url, name)
    urls = serve_feeds(server, name, pages, per_feed)
    home = folder / name
    app = make_app(load_settings(settings_for(home, db_url, queue="true"), environ={}))
    logs = [folder / f"{name}-{n}.log" for n in range(workers)]
    processes = [start_worker(home, db_url, log) for log in logs]
    peaks: dict[int, float] = {}  # per worker: its own peak (VmHWM)
    tree_peaks: dict[int, float] = {}  # per worker: the most it held with its parse processes
    try:
        ids = subscribe(app, urls)
        app.job_queue.ensure_schema()
        # All workers up before the first job, or the first one takes them all.
        wait_for(lambda: query(db_url, "SELECT count(*) FROM procrastinate_workers")[0][0] == workers, 300,
                 f"{workers} workers to start")
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        app.job_queue.enqueue(ids)

        def stored_all() -> bool:
            for process in processes:
                peaks[process.pid] = max(peaks.get(process.pid, 0.0), memory_mb(process.pid))
                tree_peaks[process.pid] = max(tree_peaks.get(process.pid, 0.0), tree_mb(process.pid))
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"scale: a worker exited early; see {folder}")
            counts = app.queue_counts()
            return app.count_articles() >= len(pages) and counts.pending + counts.running + counts.retrying == 0

        stored = wait_for(stored_all, timeout, f"{workers} workers to store {len(pages)} articles")
        assigned = wait_for(lambda: unassigned(db_url) == 0, timeout, "every article to have its story")
        for process in processes:  # the peak, read before the process ends
            peaks[process.pid] = max(peaks.get(process.pid, 0.0), memory_mb(process.pid))
        load_after = os.getloadavg()[0]
        story_of = stories_by_url(db_url)
        result = {
            "run": f"{workers} workers", "workers": workers, "articles": app.count_articles(),
            "stored_s": round(stored - started, 1), "assigned_s": round(assigned - started, 1),
            "stored_per_s": round(len(pages) / (stored - started), 1),
            "assigned_per_s": round(len(pages) / (assigned - started), 1),
            "stories": len(set(story_of.values())), "queue": queue_times(db_url, logs),
            "peak_rss_mb_per_worker": sorted(peaks.values()),
            "peak_rss_mb_per_worker_with_children": sorted(tree_peaks.values()),
            "load": [round(load_before, 2), round(load_after, 2)],
        }
    finally:
        for process in processes:
            stop(process)
        app.close()
    tracebacks = [str(log) for log in logs if "Traceback" in log.read_text(errors="replace")]
    result["worker_logs_with_tracebacks"] = tracebacks
    return result, story_of


def run_single(server: LocalHTTPServer, admin_url: str, folder: Path, pages: Sequence[Page], *,
               per_feed: int) -> tuple[dict[str, Any], dict[str, int]]:
    """The same feeds refreshed by one process with no queue: the reference partition."""
    name = "soak_single"
    db_url = fresh_database(admin_url, name)
    urls = serve_feeds(server, name, pages, per_feed)
    app = make_app(load_settings(settings_for(folder / name, db_url), environ={}))
    try:
        subscribe(app, urls)
        started = time.monotonic()
        results = app.fetch(app.sources())
        app.wait_for_stories()
        elapsed = time.monotonic() - started
        errors = [r.error for r in results if r.error]
        story_of = stories_by_url(db_url)
        result = {"run": "single process, no queue", "articles": app.count_articles(), "seconds": round(elapsed, 1),
                  "articles_per_s": round(len(pages) / elapsed, 1), "stories": len(set(story_of.values())),
                  "fetch_errors": len(errors), "peak_rss_mb": memory_mb()}
    finally:
        app.close()
    return result, story_of


def compare(reference: dict[str, int], other: dict[str, int], planted: dict[str, int]) -> dict[str, Any]:
    """How ``other``'s stories differ from ``reference``'s on the articles both hold."""
    urls = sorted(set(reference) & set(other))
    agreement = score_stories([str(reference[u]) for u in urls], [other[u] for u in urls])
    members_ref: dict[int, set[str]] = {}
    members_other: dict[int, set[str]] = {}
    for u in urls:
        members_ref.setdefault(reference[u], set()).add(u)
        members_other.setdefault(other[u], set()).add(u)
    moved = sum(1 for u in urls if members_ref[reference[u]] != members_other[other[u]])
    gold = [str(planted[u]) for u in urls]
    return {"articles": len(urls), "bcubed_f1_vs_single": round(agreement.bcubed.f1, 4),
            "articles_with_other_story_mates": moved,
            "bcubed_f1_vs_events": {"single": round(score_stories(gold, [reference[u] for u in urls]).bcubed.f1, 4),
                                    "workers": round(score_stories(gold, [other[u] for u in urls]).bcubed.f1, 4)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles (default 2,000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (default 1,2,4)")
    parser.add_argument("--prefix", type=int, default=100_000,
                        help="articles the single-process reference run takes (default 100,000, at most --n)")
    parser.add_argument("--per-feed", type=int, default=50, help="items per feed (default 50)")
    parser.add_argument("--days", type=float, default=None, help="days the articles span (default n/500, at least 7)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds a run may take (default n/2 + 600)")
    parser.add_argument("--database-url", help="an existing PostgreSQL server's admin URL (default: start one)")
    args = parser.parse_args()
    counts = [int(c) for c in args.workers.split(",") if c.strip()]
    timeout = args.timeout or args.n / 2 + 600
    pages = make_pages(args.n, args.days or max(7.0, args.n / 500))
    planted = {page_url(p): p.event for p in pages}
    prefix = pages[:min(args.prefix, args.n)]
    print(f"scale: {len(pages)} articles of {len({p.event for p in pages})} planted events, "
          f"{-(-len(pages) // args.per_feed)} feeds; workers {counts}; reference on the first {len(prefix)}; "
          f"{os.cpu_count()} cores", flush=True)

    with tempfile.TemporaryDirectory(prefix="storyline-scale-") as tmp:
        folder = Path(tmp)
        pg: PgServer | None = None
        admin_url = args.database_url
        if admin_url is None:
            try:
                pg = start_server()  # initdb + pg_ctl in a temp folder, unix socket only
            except RuntimeError as exc:
                raise SystemExit(f"scale: {exc} Or pass --database-url.") from exc
            admin_url = pg.url()
        server = start_http_server()
        results: list[dict[str, Any]] = []
        try:
            single, reference = run_single(server, admin_url, folder, prefix, per_feed=args.per_feed)
            print(f"single process: {single['articles']} articles in {single['seconds']} s = "
                  f"{single['articles_per_s']}/s, {single['stories']} stories, peak {single['peak_rss_mb']} MB",
                  flush=True)
            results.append(single)
            for workers in counts:
                result, story_of = run_workers(server, admin_url, folder, pages, workers=workers,
                                               per_feed=args.per_feed, timeout=timeout)
                result["vs_single"] = compare(reference, story_of, planted)
                q = result["queue"]
                print(f"{workers} worker(s): stored {result['stored_per_s']}/s, with stories "
                      f"{result['assigned_per_s']}/s ({result['assigned_s']} s); queue wait p50 {q['wait_s']['p50']} s "
                      f"p99 {q['wait_s']['p99']} s, job run p50 {q['run_s']['p50']} s p99 {q['run_s']['p99']} s, "
                      f"{q['failed']} failed; peak RSS per worker {result['peak_rss_mb_per_worker']} MB "
                      f"(with its parse processes {result['peak_rss_mb_per_worker_with_children']} MB); "
                      f"vs single on {result['vs_single']['articles']}: B3 F1 "
                      f"{result['vs_single']['bcubed_f1_vs_single']}, "
                      f"{result['vs_single']['articles_with_other_story_mates']} with other story-mates; "
                      f"load {result['load']}", flush=True)
                results.append(result)
        finally:
            server.stop()
            if pg is not None:
                pg.stop()
    print(json.dumps({"bench": "scale.soak", "articles": len(pages), "cores": os.cpu_count(), "runs": results,
                      "target": {"articles": 1_000_000, "workers": [1, 2, 4]}}))


if __name__ == "__main__":
    main()
