"""Per-host manners: how many requests at once, how far apart, and when to try again.

One :class:`HostLimiter` is shared by every worker thread of a process. It does two
separate jobs:

- :meth:`HostLimiter.slot` gates each request: at most ``concurrency`` at a time per
  host, and request *starts* at least ``delay_s`` apart (start-to-start, so two threads
  cannot both decide "the last request was long ago" and fire together);
- :meth:`HostLimiter.record_failure` / :meth:`HostLimiter.retry_at` keep the backoff
  book: a Retry-After from a 429/503 is honoured, other failures back off
  exponentially (60 s, 120 s, 240 s, ... capped at 24 h) with jitter so that many
  sources of one host do not all come back in the same second.

Times come from an injectable ``clock`` (``time.monotonic`` by default), so
:meth:`retry_at` is in that clock's terms; :meth:`wait_s` is the clock-free form.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from storyline.fetch.policy import FetchPolicy

__all__ = ["HostLimiter", "host_of"]


def host_of(url: str) -> str:
    """The host a URL's requests are counted against (lower-cased, without port)."""
    return (urlsplit(url).hostname or "").lower()


@dataclass(slots=True)
class _HostState:
    semaphore: threading.BoundedSemaphore
    next_start: float = float("-inf")
    min_delay_s: float | None = None  # e.g. a robots.txt Crawl-delay, when longer than the default
    failures: int = 0
    retry_at: float | None = None


class HostLimiter:
    """Per-host concurrency, spacing and backoff bookkeeping (thread-safe)."""

    def __init__(
        self,
        *,
        concurrency: int = 2,
        delay_s: float = 1.0,
        base_backoff_s: float = 60.0,
        max_backoff_s: float = 24 * 3600.0,
        jitter: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.concurrency = concurrency
        self.delay_s = delay_s
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.jitter = jitter
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._hosts: dict[str, _HostState] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_policy(cls, policy: FetchPolicy, **kwargs: Any) -> HostLimiter:
        """A limiter with the policy's ``per_host_concurrency`` and ``per_host_delay_s``."""
        return cls(concurrency=policy.per_host_concurrency, delay_s=policy.per_host_delay_s, **kwargs)

    def _state(self, host: str) -> _HostState:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _HostState(threading.BoundedSemaphore(self.concurrency))
            return state

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s request slots, waiting for a free one and for the spacing delay."""
        state = self._state(host)
        state.semaphore.acquire()
        try:
            with self._lock:
                # Reserve a start time under the lock, then sleep outside it.
                now = self._clock()
                start = max(now, state.next_start)
                state.next_start = start + max(self.delay_s, state.min_delay_s or 0.0)
            if start > now:
                self._sleep(start - now)
            yield
        finally:
            state.semaphore.release()

    def set_min_delay(self, host: str, seconds: float | None) -> None:
        """Space ``host``'s requests at least ``seconds`` apart (a robots.txt Crawl-delay); None resets."""
        state = self._state(host)
        with self._lock:
            state.min_delay_s = seconds

    def record_success(self, host: str) -> None:
        """A request to ``host`` went well: forget its failures and backoff."""
        state = self._state(host)
        with self._lock:
            state.failures = 0
            state.retry_at = None

    def record_failure(self, host: str, retry_after: float | None = None) -> float:
        """A request to ``host`` failed; return the clock time before which not to try again.

        ``retry_after`` (seconds, from a 429/503 Retry-After) is honoured as given, capped
        at ``max_backoff_s`` so a wrong or hostile header cannot park a host forever.
        Without it the wait doubles with each failure in a row, from ``base_backoff_s``.
        """
        state = self._state(host)
        with self._lock:
            state.failures += 1
            if retry_after is not None:
                wait = min(max(retry_after, 0.0), self.max_backoff_s)
            else:
                wait = min(self.base_backoff_s * 2 ** min(state.failures - 1, 64), self.max_backoff_s)
                # Jitter only downwards, so the cap stays a cap.
                wait *= 1.0 - self.jitter * self._rand()
            state.retry_at = self._clock() + wait
            return state.retry_at

    def retry_at(self, host: str) -> float | None:
        """The clock time before which ``host`` should not be asked again, or None."""
        with self._lock:
            state = self._hosts.get(host)
            return state.retry_at if state else None

    def wait_s(self, host: str) -> float:
        """Seconds left before ``host`` may be asked again (0 when it may be asked now)."""
        at = self.retry_at(host)
        return max(0.0, at - self._clock()) if at is not None else 0.0

    def failures(self, host: str) -> int:
        """How many requests to ``host`` failed in a row."""
        with self._lock:
            state = self._hosts.get(host)
            return state.failures if state else 0
