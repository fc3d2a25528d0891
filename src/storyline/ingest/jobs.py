"""What a refresh job does in a ``storyline worker`` process, and how ``serve`` hands refreshes out.

With the ``queue`` setting (PostgreSQL only), ``storyline serve`` does not fetch: its
scheduler puts due sources on the refresh queue (``storyline.store.queue``) and workers, on
any number of hosts, take them. A job is one ordinary refresh (``Refresher.refresh``: fetch,
parse, the per-item stages, store, and the stored stages of ``pipeline``), so the queue adds
no path of its own through the stages.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import structlog

from storyline import metrics
from storyline.errors import StorylineError
from storyline.ingest.refresh import Refresher
from storyline.store import SourceStore
from storyline.types import Source

__all__ = ["QUEUED_HOLD", "enqueue_due", "refresh_job"]

log = structlog.get_logger(__name__)

# A source put on the queue is not due again for this long (its job sets the real next time):
# the scheduler must not enqueue it at every round while it waits for a worker.
QUEUED_HOLD = timedelta(minutes=15)


def enqueue_due(store: SourceStore, enqueue: Callable[[Sequence[int]], int], due: Sequence[Source],
                now: datetime | None = None) -> int:
    """Put ``due`` sources on the queue and hold them back from the next rounds; how many were added."""
    if not due:
        return 0
    now = now or datetime.now(UTC)
    added = enqueue([source.id for source in due])
    store.update_sources({source.id: {"next_fetch_at": now + QUEUED_HOLD} for source in due})
    log.info("refreshes_enqueued", due=len(due), added=added)
    return added


def refresh_job(store: SourceStore, refresher: Refresher) -> Callable[[int, datetime | None], None]:
    """The handler of a refresh job: refresh the source unless it is gone, paused or fetched since.

    A job queued before another one for the same source ran (the source was due again while
    its job ran) finds the source fetched after it was queued, and does nothing: the source's
    schedule holds however many jobs name it. Errors of the source itself are its health
    (``refresh`` never raises for them); anything raised (the store gone) makes the queue retry.
    """

    def handle(source_id: int, enqueued_at: datetime | None) -> None:
        source = store.get_source(source_id)
        if source is None or source.health.paused:
            log.info("queued_refresh_skipped", source_id=source_id, reason="removed or paused")
            return
        fetched = source.health.last_fetched_at
        if enqueued_at is not None and fetched is not None and fetched >= enqueued_at:
            log.info("queued_refresh_skipped", source=source.url, reason="fetched since it was queued")
            return
        waited = (datetime.now(UTC) - enqueued_at).total_seconds() if enqueued_at is not None else None
        if waited is not None:
            metrics.QUEUE_WAIT_SECONDS.observe(max(waited, 0.0))
        started = time.monotonic()
        try:
            result = refresher.refresh(source)
        except Exception as exc:
            # Shown with the job on the failed list (if the store answers; the log has it anyway).
            log.warning("queued_refresh_failed", source=source.url, error=str(exc))
            with contextlib.suppress(StorylineError):
                store.update_source(source.id, last_error=f"the queued refresh failed: {exc}")
            raise
        took = time.monotonic() - started
        metrics.QUEUE_JOB_SECONDS.observe(took)
        log.info("queued_refresh_done", source=source.url, items=result.items,
                 waited_s=round(waited, 3) if waited is not None else None, took_s=round(took, 3))

    return handle
