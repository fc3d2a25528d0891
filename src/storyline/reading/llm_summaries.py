"""LLM-written story summaries, made in the background and shown once stored.

An LLM call takes seconds, so neither ingest nor a page waits for one. When a story page is
read with ``llm_url`` set and its stored summary is the extractive one, the story is queued
here; one background thread asks the model (``summarize.llm.llm_summary``: every sentence
must cite sentences that support it, the rest dropped and logged) and stores the result with
method ``llm:<model>`` over the extractive summary, with the same ``basis`` and timeline. The
next reader gets it. A new article changes the story's basis: the summaries stage stores a
fresh extractive summary, and the next reading queues the story again.

What the model writes is stored only over the summary it was made from: if the story moved
on while the model wrote, the answer is thrown away. A story is tried once per basis; a
failing endpoint (down, error, timeout, garbage) is one warning line and a pause of
``RETRY_AFTER`` seconds before any story is tried again, so a dead server costs neither pages
nor log lines.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Protocol

import structlog

from storyline.errors import LLMError, StorylineError
from storyline.store import CopyStore, StoryStore, SummaryStore
from storyline.summarize.llm import ChatClient, Endpoint, llm_summary
from storyline.summarize.matrix import Report
from storyline.summarize.story import TermsCache, basis_of, reports_of
from storyline.summarize.timeline import ordered
from storyline.types import StorySummary

__all__ = ["RETRY_AFTER", "LLMSummaries"]

log = structlog.get_logger(__name__)

RETRY_AFTER = 300.0
# Stories remembered as tried (per basis); the oldest are forgotten past this.
_TRIED = 10_000
_QUEUED = 1_000  # past this many waiting stories, a page's request is dropped (the next reading asks again)


class LLMSummaryStore(StoryStore, CopyStore, SummaryStore, Protocol):
    """What writing an LLM summary reads and writes."""


class LLMSummaries:
    """One background writer of LLM summaries for the stories readers open. Thread-safe."""

    def __init__(self, store: LLMSummaryStore, endpoint: Endpoint, cache: TermsCache, *,
                 retry_after: float = RETRY_AFTER, client: ChatClient | None = None) -> None:
        self._store = store
        self.endpoint = endpoint
        self._cache = cache
        self._retry_after = retry_after
        self._client = client
        self._queue: queue.Queue[int] = queue.Queue(maxsize=_QUEUED)
        self._waiting: set[int] = set()
        self._tried: OrderedDict[int, str] = OrderedDict()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def request(self, story_id: int, summary: StorySummary | None) -> None:
        """Queue ``story_id`` when ``summary`` (its current one) is extractive and not tried for this basis."""
        if summary is None or summary.method != "extractive" or not summary.sentences or self._stop.is_set():
            return
        with self._lock:
            if (story_id in self._waiting or self._tried.get(story_id) == summary.basis
                    or time.monotonic() < self._paused_until):
                return
            try:
                self._queue.put_nowait(story_id)
            except queue.Full:
                return
            self._waiting.add(story_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="storyline-llm-summaries", daemon=True)
                self._thread.start()

    def write(self, story_id: int) -> bool:
        """Ask the model for ``story_id``'s summary now and store it if it holds; whether one was stored."""
        articles = self._store.story_articles(story_id)
        stored = self._store.story_summary(story_id)
        basis = basis_of(articles)
        if not articles or stored is None or stored.basis != basis or stored.method != "extractive":
            return False  # gone, stale (the stage or a reader makes it again first) or already written
        with self._lock:
            self._tried[story_id] = basis
            self._tried.move_to_end(story_id)
            while len(self._tried) > _TRIED:
                self._tried.popitem(last=False)
        chosen = reports_of(articles, self._store.copied_from([a.id for a in articles]))
        reports = ordered([Report(a.id, a.shown_time, self._cache.get(a)) for a in chosen])
        try:
            written = llm_summary(reports, self.endpoint, client=self._client)
        except LLMError as exc:
            with self._lock:
                self._paused_until = time.monotonic() + self._retry_after
                self._tried.pop(story_id, None)  # tried again after the pause
            log.warning("llm_summary_failed", story=story_id, error=str(exc), retry_in_s=self._retry_after)
            return False
        if not written:  # fewer than two sentences held: the extractive summary stays
            return False
        now = self._store.story_summary(story_id)
        if now is None or now.basis != basis:  # the story moved on while the model wrote
            return False
        self._store.save_story_summaries([(story_id, dataclasses.replace(
            now, sentences=written, method=f"llm:{self.endpoint.model}", made_at=datetime.now(UTC)))])
        log.info("llm_summary_stored", story=story_id, sentences=len(written))
        return True

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until no story is queued or being written (tests, tools); whether that happened in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._waiting:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        """Stop taking stories; a model call under way is left to finish or time out on its own."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                story_id = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                if time.monotonic() >= self._paused_until:
                    self.write(story_id)
            except StorylineError as exc:  # the store is away: the next reading asks again
                log.warning("llm_summary_failed", story=story_id, error=str(exc))
            except Exception:  # a bug: logged, and the writer carries on
                log.exception("llm_summary_failed", story=story_id)
            finally:
                with self._lock:
                    self._waiting.discard(story_id)
