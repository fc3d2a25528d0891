"""When to fetch what: a background loop that refreshes due sources, politely and in parallel.

The loop asks the store for sources whose next fetch is due (the refresher writes the
next time after each fetch, adapted to how often the source publishes), runs them on a
bounded pool of fetch threads — per-host limits are the refresher's ``HostLimiter`` —
then looks again after ``MAX_SLEEP_S`` (at once when the round was full). With a queue
(``enqueue``), the round puts the due sources on it for ``storyline worker`` processes instead
(``ingest.jobs``), and looks again after ``QUEUE_SLEEP_S``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from storyline.ingest.jobs import enqueue_due
from storyline.ingest.refresh import Refresher, RefreshResult
from storyline.store import PageStore, SourceStore
from storyline.types import Source


class ScheduleStore(SourceStore, PageStore, Protocol):
    """What the scheduler reads and prunes: due sources, kept pages."""

log = structlog.get_logger(__name__)

MAX_SLEEP_S = 30.0
QUEUE_SLEEP_S = 5.0
# Due sources put on the queue per round.
ENQUEUE_BATCH = 2_000
PRUNE_EVERY = timedelta(hours=1)


def refresh_all(
    refresher: Refresher,
    sources: Sequence[Source],
    *,
    workers: int,
    on_done: Callable[[RefreshResult], None] | None = None,
) -> list[RefreshResult]:
    """Refresh ``sources`` on ``workers`` threads; results in completion order.

    Each thread takes the next source when it is done with one. (A future per source, and
    this thread woken for each one done, cost ~20% of the CPU of a pass of 304s.) ``on_done``
    is called from those threads, one call at a time. An unexpected error in one refresh
    (a bug: a source's own problems are results) is raised once every other source is done;
    an interrupt lets the refreshes under way finish and starts no other. The health of
    sources is written in batches, all of it before this returns.
    """
    pending = iter(sources)
    take, report = threading.Lock(), threading.Lock()
    stop = threading.Event()
    results: list[RefreshResult] = []
    errors: list[Exception] = []

    def work() -> None:
        while not stop.is_set():
            with take:
                source = next(pending, None)
            if source is None:
                return
            try:
                result = refresher.refresh(source, batch_health=True)
                with report:
                    results.append(result)
                    if on_done is not None:
                        on_done(result)
            except Exception as exc:  # raised in the caller's thread once all are done
                log.exception("refresh_crashed", source=source.url)
                with report:
                    errors.append(exc)

    threads = [threading.Thread(target=work, name=f"fetch-{n}", daemon=True)
               for n in range(max(1, min(workers, len(sources))))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:  # an interrupt: no new refreshes, the ones under way end
        stop.set()
        for thread in threads:
            if thread.is_alive():
                thread.join()
        raise
    finally:
        refresher.flush_health()
    if errors:
        raise errors[0]
    return results


class Scheduler:
    """Runs due refreshes in a background thread until stopped."""

    def __init__(
        self, store: ScheduleStore, refresher: Refresher | None, *, workers: int, raw_page_retention_days: int = 30,
        enqueue: Callable[[Sequence[int]], int] | None = None,
    ) -> None:
        self._store = store
        self._refresher = refresher
        self._workers = workers
        self._enqueue = enqueue
        self._retention = timedelta(days=raw_page_retention_days) if raw_page_retention_days > 0 else None
        self._last_prune: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop and wait for the fetches in flight."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> list[RefreshResult]:
        """Refresh every source due now (and, hourly, forget kept pages past their retention)."""
        now = datetime.now(UTC)
        if self._retention is not None and (self._last_prune is None or now - self._last_prune > PRUNE_EVERY):
            pruned = self._store.prune_raw_pages(now - self._retention)
            self._last_prune = now
            if pruned:
                log.info("raw_pages_pruned", pages=pruned)
        if self._enqueue is not None:
            due = self._store.due_sources(now, limit=ENQUEUE_BATCH)
            enqueue_due(self._store, self._enqueue, due, now)
            return []
        assert self._refresher is not None, "a scheduler without a queue refreshes sources itself"
        due = self._store.due_sources(now, limit=self._workers * 8)
        return refresh_all(self._refresher, due, workers=self._workers) if due else []

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.run_once()
            except Exception:
                log.exception("scheduler_round_failed")
                done = []
            # A full round means more may be due already; otherwise wait a little.
            if self._enqueue is not None:
                self._stop.wait(QUEUE_SLEEP_S)
            else:
                self._stop.wait(0.0 if len(done) >= self._workers * 8 else MAX_SLEEP_S)
