"""The refresh queue: source refreshes as jobs in PostgreSQL, taken by ``storyline worker`` processes.

Built on procrastinate (a task queue that lives in PostgreSQL: no other server to run). One
task, ``refresh_source``, on one queue. What a job guarantees:

- **One at a time per source.** A job carries the source's lock: procrastinate never starts
  two jobs with the same lock at once, so two workers never fetch one source together; and
  its queueing lock: a source waits in the queue once, however often it is enqueued.
- **Retries with backoff.** A job that raises (the database went away, a bug) runs again
  after ``wait + 3 ** (attempt + 1)`` seconds, up to ``attempts`` runs in all; then it stays
  ``failed``: the dead-letter list (``storyline queue``, ``/sources``), until retried.
- **A worker that dies** (``kill -9``, a lost machine) stops sending heartbeats; any other
  worker hands its jobs back to the queue (``STALLED_SECONDS`` after its last heartbeat).

What a job does is the caller's (``run_worker``'s ``handler``): the queue knows only source ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from storyline.errors import StoreError, StoreUnavailableError
from storyline.store.engine import display_url

__all__ = ["QUEUE", "STALLED_SECONDS", "JobQueue", "QueueCounts", "QueuedJob", "libpq_url"]

log = structlog.get_logger(__name__)

QUEUE = "refresh"
_TASK = "storyline.refresh_source"
# Seconds between a worker's heartbeats, and without one after which its jobs go back to the queue.
HEARTBEAT_SECONDS = 5.0
STALLED_SECONDS = 20.0
# Backoff of a failed job: wait + 3 ** (attempt + 1) seconds (8, 14, 32, 86, ...).
_RETRY_WAIT = 5
_RETRY_EXPONENT = 3
_SCHEMA_LOCK = 0x5354_4F52  # an advisory lock: two processes must not create the schema at once


def libpq_url(database_url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq takes it (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", database_url)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Jobs by state: waiting (now or later, for a retry), running, and failed for good."""

    pending: int = 0
    retrying: int = 0
    running: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """One refresh job: its source and how it went."""

    id: int
    source_id: int
    status: str
    attempts: int  # runs that ended (a failed job: every one it had)
    scheduled_at: datetime | None


class JobQueue:
    """The refresh queue of one PostgreSQL database.

    ``asynchronous`` builds the connector a worker runs on; otherwise a synchronous one, for
    enqueueing and listing (``serve``, the CLI). Open on first use; ``close`` when done.
    """

    def __init__(self, database_url: str, *, attempts: int = 5, asynchronous: bool = False) -> None:
        # procrastinate and psycopg are imported only here and below, where a queue is used:
        # a SQLite install never needs them, and they cost every command ~0.2 s of start.
        import procrastinate

        self._url = libpq_url(database_url)
        self._shown = display_url(database_url)
        # Both check a pooled connection before lending it: after a database restart the
        # dead ones are replaced, not handed out.
        connector: Any = (procrastinate.PsycopgConnector(conninfo=self._url) if asynchronous
                          else procrastinate.SyncPsycopgConnector(conninfo=self._url))
        self.app = procrastinate.App(connector=connector)
        self._handler: Callable[[int, datetime | None], None] | None = None
        retry = procrastinate.RetryStrategy(max_attempts=max(attempts - 1, 0), wait=_RETRY_WAIT,
                                            exponential_wait=_RETRY_EXPONENT)
        self._task = self.app.task(name=_TASK, queue=QUEUE, retry=retry)(self._run)
        self._opened = False

    # -- setting up --------------------------------------------------------------------------

    def ensure_schema(self) -> bool:
        """Create the queue's tables when the database has none; whether it created them."""
        import psycopg
        from procrastinate.schema import SchemaManager

        try:
            with psycopg.connect(self._url, connect_timeout=10) as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
                if found is not None and found[0] is not None:
                    return False
                conn.execute(SchemaManager.get_schema().encode())
            log.info("queue_schema_created")
            return True
        except psycopg.OperationalError as exc:
            raise StoreUnavailableError(self._shown, f"cannot reach the queue's database ({_first_line(exc)})") from exc
        except psycopg.Error as exc:
            raise StoreError(self._shown, f"cannot create the queue's tables ({_first_line(exc)})") from exc

    def _open(self) -> None:
        if not self._opened:
            self.ensure_schema()
            with self._errors("opening the queue"):
                self.app.open()
            self._opened = True

    def close(self) -> None:
        if self._opened:
            with contextlib.suppress(Exception):
                self.app.close()
            self._opened = False

    @contextlib.contextmanager
    def _errors(self, doing: str):  # type: ignore[no-untyped-def]
        import psycopg
        import psycopg_pool
        from procrastinate import exceptions as queue_errors

        try:
            yield
        except (queue_errors.ConnectorException, psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            raise StoreUnavailableError(self._shown, f"{doing}: the database does not answer ({_first_line(exc)})",
                                        hint="Check that PostgreSQL runs; workers carry on when it is back.") from exc

    # -- enqueueing and looking --------------------------------------------------------------

    def enqueue(self, source_ids: Sequence[int], *, now: datetime | None = None) -> int:
        """Put a refresh of each source on the queue (a source already waiting is not added twice); how many."""
        from procrastinate import exceptions as queue_errors

        self._open()
        at = (now or datetime.now(UTC)).isoformat()
        added = 0
        with self._errors("enqueueing refreshes"):
            for source_id in source_ids:
                key = f"source:{source_id}"
                try:
                    self._task.configure(lock=key, queueing_lock=key).defer(source_id=int(source_id), enqueued_at=at)
                    added += 1
                except queue_errors.AlreadyEnqueued:
                    continue
        return added

    def counts(self) -> QueueCounts:
        """How many refresh jobs wait, wait for a retry, run, and failed for good."""
        self._open()
        query = """SELECT status::text AS status, attempts > 0 AS retry, count(*) AS n FROM procrastinate_jobs
                   WHERE queue_name = %(queue)s GROUP BY 1, 2"""
        with self._errors("counting jobs"):
            rows = self.app.connector.get_sync_connector().execute_query_all(query=query, queue=QUEUE)
        found = {"pending": 0, "retrying": 0, "running": 0, "failed": 0}
        for row in rows:
            if row["status"] == "todo":
                found["retrying" if row["retry"] else "pending"] += int(row["n"])
            elif row["status"] == "doing":
                found["running"] += int(row["n"])
            elif row["status"] == "failed":
                found["failed"] += int(row["n"])
        return QueueCounts(**found)

    def jobs(self, status: str | None = None, *, limit: int = 100) -> list[QueuedJob]:
        """Refresh jobs (of ``status``: todo, doing, failed), oldest first."""
        self._open()
        query = """SELECT id, args, status::text AS status, attempts, scheduled_at FROM procrastinate_jobs
                   WHERE queue_name = %(queue)s AND (%(status)s::text IS NULL OR status::text = %(status)s::text)
                   ORDER BY id LIMIT %(limit)s"""
        with self._errors("listing jobs"):
            rows = self.app.connector.get_sync_connector().execute_query_all(
                query=query, queue=QUEUE, status=status, limit=limit)
        return [QueuedJob(int(r["id"]), int(r["args"].get("source_id", 0)), r["status"], int(r["attempts"]),
                          r["scheduled_at"]) for r in rows]

    def retry_failed(self, job_ids: Sequence[int] | None = None) -> int:
        """Put failed jobs (``job_ids``, or all) back on the queue as new ones, at once; how many."""
        failed = [job for job in self.jobs("failed", limit=100_000) if job_ids is None or job.id in job_ids]
        if not failed:
            return 0
        self.enqueue(sorted({job.source_id for job in failed}))
        with self._errors("clearing retried jobs"):
            self.app.connector.get_sync_connector().execute_query(
                query="DELETE FROM procrastinate_jobs WHERE status = 'failed' AND id = ANY(%(ids)s)",
                ids=[job.id for job in failed])
        return len(failed)

    # -- the worker ----------------------------------------------------------------------------

    def _run(self, source_id: int, enqueued_at: str | None = None) -> None:
        assert self._handler is not None, "jobs run only in run_worker"
        self._handler(source_id, datetime.fromisoformat(enqueued_at) if enqueued_at else None)

    def run_worker(
        self, handler: Callable[[int, datetime | None], None], *, concurrency: int, name: str,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Take refresh jobs until stopped (SIGINT/SIGTERM): ``handler(source_id, enqueued_at)`` per job.

        Runs ``concurrency`` jobs at a time, each in a thread of its own. Jobs of workers that
        stopped sending heartbeats (killed) are handed back to the queue. Returns when the
        worker stops; raises StoreUnavailableError when the database goes away (the caller
        starts again when it is back).
        """
        self.ensure_schema()
        self._handler = handler

        async def main() -> None:
            async with self.app.open_async():
                worker = asyncio.create_task(self.app.run_worker_async(
                    queues=[QUEUE], concurrency=concurrency, name=name, delete_jobs="successful",
                    update_heartbeat_interval=HEARTBEAT_SECONDS, stalled_worker_timeout=STALLED_SECONDS,
                    install_signal_handlers=True,
                ))
                requeue = asyncio.create_task(self._requeue_stalled())
                try:
                    done, _ = await asyncio.wait({worker, requeue}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    requeue.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await requeue
                for task in done:
                    task.result()

        with self._errors("running the worker"):
            asyncio.run(main())

    async def _requeue_stalled(self) -> None:
        """Every few seconds: jobs whose worker stopped sending heartbeats go back to the queue."""
        from procrastinate import exceptions as queue_errors

        manager = self.app.job_manager
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                stalled = await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=STALLED_SECONDS)
                for job in stalled:
                    log.info("queue_job_requeued", job=job.id, source=job.task_kwargs.get("source_id"))
                    await manager.retry_job(job, retry_at=datetime.now(UTC) + timedelta(seconds=0))
            except queue_errors.ConnectorException as exc:  # the database is away: the worker notices too
                log.warning("queue_requeue_failed", error=_first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
