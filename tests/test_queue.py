"""The refresh queue on PostgreSQL: `storyline worker` processes take refreshes that `serve` enqueues.

Real worker processes, a real PostgreSQL, fixture feeds on a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyline.app import score_stories
from storyline.web import create_asgi
from tests.httpserver import LocalHTTPServer
from tests.pgserver import PgServer
from tests.queuehelp import (
    another_database,
    consistency,
    ecb_reports,
    execute,
    query,
    queue_app,
    serve_feeds,
    start_worker,
    stop,
    subscribe,
    wait_for,
)
from tests.test_cli import SCRIPT, clean_env

pytestmark = pytest.mark.postgres


def test_a_worker_does_the_queued_refreshes(tmp_path: Path, pg_url: str, http_server: LocalHTTPServer) -> None:
    reports = ecb_reports(60)
    urls = serve_feeds(http_server, "one-worker", reports, feeds=4)
    app = queue_app(tmp_path / "home", pg_url)
    worker = start_worker(tmp_path / "home", pg_url, tmp_path / "worker.log")
    try:
        ids = subscribe(app, urls)
        assert app.job_queue.enqueue(ids) == 4
        assert app.job_queue.enqueue(ids) == 0, "a source waits in the queue once"

        def done() -> bool:
            counts = app.queue_counts()
            return counts.pending + counts.running + counts.retrying == 0 and app.count_articles() == len(reports)

        wait_for(done, 240, "the worker to store every report")
        wait_for(lambda: not consistency(pg_url)[1], 240, "every article to have its story")
        assert all(s.health.last_fetched_at is not None and s.health.last_error is None for s in app.sources())
    finally:
        stop(worker)
        app.close()
    log = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in log, log


def run_workers(tmp_path: Path, db_url: str, server: LocalHTTPServer, reports: list[dict[str, Any]], *,
                workers: int, name: str) -> dict[str, int]:
    """Every feed refreshed once by ``workers`` worker processes; each report's story by URL."""
    urls = serve_feeds(server, "compare", reports, feeds=FEEDS)
    home = tmp_path / name
    app = queue_app(home, db_url)
    processes = [start_worker(home, db_url, tmp_path / f"{name}-{n}.log", fetch_workers="2")
                 for n in range(workers)]
    try:
        ids = subscribe(app, urls)
        app.job_queue.ensure_schema()
        # All workers running before the first job: otherwise the first one takes them all.
        wait_for(lambda: query(db_url, "SELECT count(*) FROM procrastinate_workers")[0][0] == workers, 180,
                 f"{workers} workers to start")
        app.job_queue.enqueue(ids)

        def done() -> bool:
            counts = app.queue_counts()
            return counts.pending + counts.running + counts.retrying == 0 and app.count_articles() == len(reports)

        wait_for(done, 400, f"{workers} workers to store every report")
        wait_for(lambda: not consistency(db_url)[1], 400, "every article to have its story")
        story_of, problems = consistency(db_url)
        assert problems == []
        ran = {row[0] for row in query(db_url, "SELECT DISTINCT holder FROM leases WHERE name LIKE 'host:%'")}
        assert ran, "the per-host slots are kept in the store"
    finally:
        for process in processes:
            stop(process)
        app.close()
    for n in range(workers):
        log = (tmp_path / f"{name}-{n}.log").read_text()
        assert "Traceback" not in log, log
    return story_of


FEEDS = 12


def test_one_and_four_workers_make_the_same_stories(tmp_path: Path, pg_url: str, pg_server: PgServer,
                                                     http_server: LocalHTTPServer) -> None:
    reports = ecb_reports(180)
    second = another_database(pg_server, "compare_four")
    one = run_workers(tmp_path, pg_url, http_server, reports, workers=1, name="one")
    four = run_workers(tmp_path, second, http_server, reports, workers=4, name="four")
    assert set(one) == set(four) == {r["url"] for r in reports}

    urls = sorted(one)
    agreement = score_stories([str(one[u]) for u in urls], [four[u] for u in urls])
    gold = [next(r["event"] for r in reports if r["url"] == u) for u in urls]
    against_gold = (score_stories(gold, [one[u] for u in urls]), score_stories(gold, [four[u] for u in urls]))
    moved = sum(1 for u in urls if {v for v in urls if one[v] == one[u]} != {v for v in urls if four[v] == four[u]})
    print(f"\n1 vs 4 workers on {len(urls)} reports: {agreement}; {moved} reports have other story-mates; "
          f"against the events: B3 F1 {against_gold[0].bcubed.f1:.4f} (1) vs {against_gold[1].bcubed.f1:.4f} (4)")
    # Arrival order differs between the runs (four workers store feeds in another order, and the
    # int8 embedder's vectors move a little with a text's batch): the stories may differ there,
    # and only a little. Story ids differ in any case (the partition is compared, not the numbers).
    assert agreement.bcubed.f1 >= 0.9
    assert abs(against_gold[0].bcubed.f1 - against_gold[1].bcubed.f1) <= 0.05


def test_a_refresh_that_fails_every_attempt_is_listed_and_retried(tmp_path: Path, pg_url: str,
                                                                  http_server: LocalHTTPServer) -> None:
    # A real database failure, only for this source: a trigger refuses every write of its row.
    reports = ecb_reports(10)
    urls = serve_feeds(http_server, "dead-letter", reports, feeds=2)
    home = tmp_path / "home"
    app = queue_app(home, pg_url, queue_attempts="2")
    worker = start_worker(home, pg_url, tmp_path / "worker.log", queue_attempts="2")
    try:
        ids = subscribe(app, urls)
        execute(pg_url, f"""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
            CREATE TRIGGER refuse BEFORE UPDATE ON sources FOR EACH ROW WHEN (OLD.id = {ids[0]})
            EXECUTE FUNCTION refuse();""")
        app.job_queue.enqueue(ids)
        wait_for(lambda: app.queue_counts().failed == 1, 180, "the refresh to fail twice")
        counts = app.queue_counts()
        assert (counts.pending, counts.running, counts.retrying) == (0, 0, 0)
        [(job, source)] = app.failed_refreshes()
        assert source is not None
        assert source.id == ids[0]
        assert job.attempts == 2  # runs in all (queue_attempts)

        listed = subprocess.run([str(SCRIPT), "--home", str(home), "--database-url", pg_url,
                                 "--setting", "queue=true", "queue"], env=clean_env(), capture_output=True,
                                text=True, timeout=120)
        assert listed.returncode == 0, listed.stderr
        assert "0 pending · 0 waiting to retry · 0 running · 1 failed" in listed.stdout
        as_json = subprocess.run([str(SCRIPT), "--home", str(home), "--database-url", pg_url,
                                  "--setting", "queue=true", "queue", "--json"], env=clean_env(), capture_output=True,
                                 text=True, timeout=120)
        shown = json.loads(as_json.stdout)
        assert (shown["pending"], shown["running"], shown["retrying"], shown["failed"]) == (0, 0, 0, 1)
        assert [(j["job"], j["source"], j["attempts"]) for j in shown["failed_jobs"]] == [(job.id, urls[0], 2)]

        page = TestClient(create_asgi(app)).get("/sources")
        assert page.status_code == 200
        assert "Failed refreshes" in page.text
        assert f">{job.id}<" in page.text

        execute(pg_url, "DROP TRIGGER refuse ON sources")
        retried = subprocess.run([str(SCRIPT), "--home", str(home), "--database-url", pg_url,
                                  "--setting", "queue=true", "queue", "retry"], env=clean_env(), capture_output=True,
                                 text=True, timeout=120)
        assert retried.returncode == 0
        assert "1 failed refreshes are back on the queue" in retried.stderr
        wait_for(lambda: app.count_articles() == len(reports), 180, "the retried refresh to store its reports")
        assert app.queue_counts().failed == 0
        assert "Failed refreshes" not in TestClient(create_asgi(app)).get("/sources").text
    finally:
        stop(worker)
        app.close()


def test_kill_9_of_a_worker_mid_batch_loses_nothing_and_stores_nothing_twice(
        tmp_path: Path, pg_url: str, http_server: LocalHTTPServer) -> None:
    reports = ecb_reports(400)
    urls = serve_feeds(http_server, "kill", reports, feeds=40)
    home = tmp_path / "home"
    app = queue_app(home, pg_url)
    victim = start_worker(home, pg_url, tmp_path / "victim.log", fetch_workers="2")
    try:
        app.job_queue.enqueue(subscribe(app, urls))
        wait_for(lambda: app.count_articles() >= 40, 240, "the worker to store some reports")
        assert app.count_articles() < len(reports), "it finished before it could be killed: give it more work"
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed_at = app.count_articles()
        # Another worker, as after a restart: it takes the killed one's jobs back (no heartbeat).
        again = start_worker(home, pg_url, tmp_path / "again.log", fetch_workers="2")
        try:
            def done() -> bool:
                counts = app.queue_counts()
                return counts.pending + counts.running + counts.retrying == 0 and app.count_articles() >= len(reports)

            wait_for(done, 400, "the new worker to finish the killed one's work")
            wait_for(lambda: not consistency(pg_url)[1], 400, "every article to have its story")
        finally:
            stop(again)
        story_of, problems = consistency(pg_url)
        assert problems == []
        assert set(story_of) == {r["url"] for r in reports}, "0 lost"
        assert app.count_articles() == len(reports), "0 stored twice"
        print(f"\nkilled after {killed_at} of {len(reports)} reports; after the restart all {len(story_of)} "
              "stored once, each in one story")
    finally:
        stop(victim)
        app.close()


def test_workers_carry_on_after_postgresql_restarts_and_the_web_app_answers_503_meanwhile(
        tmp_path: Path, pg_url: str, pg_server: PgServer, http_server: LocalHTTPServer) -> None:
    reports = ecb_reports(300)
    urls = serve_feeds(http_server, "restart", reports, feeds=30)
    home = tmp_path / "home"
    app = queue_app(home, pg_url)
    web = TestClient(create_asgi(app), raise_server_exceptions=False)
    workers = [start_worker(home, pg_url, tmp_path / f"worker{n}.log", fetch_workers="2") for n in range(2)]
    try:
        app.job_queue.enqueue(subscribe(app, urls))
        wait_for(lambda: app.count_articles() >= 30, 240, "the workers to store some reports")
        pg_server.pause()
        try:
            for path in ("/", "/latest", "/sources", "/healthz", "/api/articles"):
                response = web.get(path)
                assert response.status_code == 503, (path, response.status_code)
                assert "Traceback" not in response.text
                assert 'File "' not in response.text
            time.sleep(3)  # the workers meet the outage
        finally:
            pg_server.resume()
        assert web.get("/healthz").status_code == 200

        def done() -> bool:
            counts = app.queue_counts()
            return counts.pending + counts.running + counts.retrying == 0 and app.count_articles() >= len(reports)

        wait_for(done, 500, "the workers to carry on after the restart")
        wait_for(lambda: not consistency(pg_url)[1], 400, "every article to have its story")
        story_of, problems = consistency(pg_url)
        assert problems == []
        assert set(story_of) == {r["url"] for r in reports}
        assert all(w.poll() is None for w in workers), "the workers kept running"
    finally:
        for w in workers:
            stop(w)
        app.close()


def test_metrics_count_stages_fetches_and_the_queue(tmp_path: Path, pg_url: str,
                                                    http_server: LocalHTTPServer) -> None:
    reports = ecb_reports(12)
    urls = serve_feeds(http_server, "metrics", reports, feeds=2)
    app = queue_app(tmp_path / "home", pg_url)
    try:
        ids = subscribe(app, [*urls, http_server.url("/status/500")])
        app.job_queue.enqueue(ids)
        web = TestClient(create_asgi(app))
        before = web.get("/metrics")
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain")
        assert 'storyline_queue_jobs{state="pending"} 3.0' in before.text

        # What a worker does, in this process: its counters are this process's (other tests
        # of the session count too: the differences are this test's).
        for source in app.sources():
            app.refresher.refresh(source)
        app.wait_for_stories()
        after = web.get("/metrics").text
        grew = {name: metric(after, name) - metric(before.text, name) for name in (
            'storyline_articles_total{stage="stored"}', 'storyline_articles_total{stage="copies"}',
            'storyline_articles_total{stage="stories"}', 'storyline_fetches_total{outcome="read"}',
            "storyline_fetch_errors_total", "storyline_story_assignment_seconds_count")}
        assert grew == {'storyline_articles_total{stage="stored"}': 12, 'storyline_articles_total{stage="copies"}': 12,
                        'storyline_articles_total{stage="stories"}': 12, 'storyline_fetches_total{outcome="read"}': 2,
                        "storyline_fetch_errors_total": 1, "storyline_story_assignment_seconds_count": 12}
    finally:
        app.close()


def metric(text: str, name: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_serve_puts_due_sources_on_the_queue_and_fetches_nothing_itself(
        tmp_path: Path, pg_url: str, http_server: LocalHTTPServer) -> None:
    urls = serve_feeds(http_server, "serve", ecb_reports(6), feeds=3)
    app = queue_app(tmp_path / "home", pg_url)
    try:
        subscribe(app, urls)
        app.start_scheduler()  # what `storyline serve` starts
        wait_for(lambda: app.queue_counts().pending == 3, 60, "serve to enqueue the three due sources")
        assert app.due_sources() == [], "a queued source is not due again while it waits"
        time.sleep(6)  # another round of the scheduler
        assert app.queue_counts().pending == 3, "each source waits once"
        assert app.count_articles() == 0, "serve fetched nothing itself"
        assert all(s.health.last_fetched_at is None for s in app.sources())
    finally:
        app.close()


def test_the_queue_needs_postgresql(tmp_path: Path) -> None:
    done = subprocess.run([str(SCRIPT), "--home", str(tmp_path / "home"), "--setting", "queue=true", "worker"],
                          env=clean_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "the refresh queue needs PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr
