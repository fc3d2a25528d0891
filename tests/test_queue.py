"""The refresh queue on PostgreSQL: `storyline worker` processes take refreshes that `serve` enqueues.

Real worker processes, a real PostgreSQL, fixture feeds on a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.httpserver import LocalHTTPServer
from tests.queuehelp import (
    consistency,
    ecb_reports,
    queue_app,
    serve_feeds,
    start_worker,
    stop,
    subscribe,
    wait_for,
)

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
