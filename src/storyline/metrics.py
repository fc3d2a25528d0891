"""Counters for ``/metrics`` (Prometheus text format): what each process did since it started.

Every process keeps its own: ``storyline serve`` serves its counters at ``/metrics``, and a
``storyline worker`` started with ``--metrics-port`` serves its own (scrape each). The queue's
depth is read from the database when scraped, so any process reports the same figure.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest, start_http_server

__all__ = [
    "ARTICLES",
    "ASSIGNMENT_SECONDS",
    "CONTENT_TYPE",
    "FETCHES",
    "FETCH_ERRORS",
    "QUEUE_JOBS",
    "QUEUE_JOB_SECONDS",
    "QUEUE_WAIT_SECONDS",
    "exposition",
    "serve",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST

ARTICLES = Counter("storyline_articles", "Articles through each stage (prepared, stored, copies, stories, entities).",
                   ["stage"])
FETCHES = Counter("storyline_fetches", "Source refreshes by outcome (new content, not modified, failed).",
                  ["outcome"])
FETCH_ERRORS = Counter("storyline_fetch_errors", "Source refreshes that failed (the source's error is on /sources).")
ASSIGNMENT_SECONDS = Histogram(
    "storyline_story_assignment_seconds", "Time from an article being stored to its story being written.",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
)
_QUEUE_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 14400)
QUEUE_WAIT_SECONDS = Histogram("storyline_queue_wait_seconds", "Time a refresh job waited on the queue for a worker.",
                               buckets=_QUEUE_BUCKETS)
QUEUE_JOB_SECONDS = Histogram("storyline_queue_job_seconds", "Time a worker took to do a refresh job.",
                              buckets=_QUEUE_BUCKETS)
QUEUE_JOBS = Gauge("storyline_queue_jobs", "Refresh jobs on the queue by state (read from the database).", ["state"])


def exposition() -> bytes:
    """This process's metrics in Prometheus text format."""
    return generate_latest()


def serve(host: str, port: int) -> None:
    """Serve this process's metrics over HTTP on ``host:port`` (a daemon thread)."""
    start_http_server(port, addr=host)
