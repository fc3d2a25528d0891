"""Per-host politeness across processes: the request slots and spacing of a host, kept in the store.

A ``HostLimiter`` counts requests in one process. With workers on several hosts each would
allow ``per_host_concurrency`` requests to a site, and space them on its own; this one keeps
both in the store, so the limits hold for all workers together:

- **slots**: a request holds one of the host's ``concurrency`` leases (``host:<key>#<n>``)
  while it runs; a worker killed mid-request frees its slot when the lease runs out;
- **spacing**: each request takes the host's next start time (``take_turn``), which moves
  on by the delay (or the site's robots.txt Crawl-delay), and waits for it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storyline.fetch import FetchPolicy, HostLimiter
from storyline.ingest.leases import dead_here, holder_name
from storyline.store import CheckpointStore

__all__ = ["SharedHostLimiter"]

# How often a request waiting for a free slot of its host looks again.
_SLOT_POLL_SECONDS = 0.1


class SharedHostLimiter(HostLimiter):
    """A ``HostLimiter`` whose slots and spacing are shared through the store by every process."""

    def __init__(self, store: CheckpointStore, *, slot_seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._store = store
        # A slot outlives a request only if its holder died: then it frees itself after this long.
        self._slot_seconds = slot_seconds

    @classmethod
    def shared(cls, store: CheckpointStore, policy: FetchPolicy) -> SharedHostLimiter:
        """A limiter with the policy's limits, its slots held no longer than a request may last."""
        return cls(store, slot_seconds=policy.total_timeout + 30.0, concurrency=policy.per_host_concurrency,
                   delay_s=policy.per_host_delay_s)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s request slots among all processes, and wait for its turn."""
        holder = holder_name()
        name = self._take_slot(host, holder)
        try:
            spacing = max(self.delay_s, self._state(host).min_delay_s or 0.0)
            if spacing > 0:
                wait = self._store.take_turn(f"turn:{_key(host)}", spacing)
                if wait > 0:
                    time.sleep(wait)
            yield
        finally:
            self._store.release_lease(name, holder)

    def _take_slot(self, host: str, holder: str) -> str:
        names = [f"host:{_key(host)}#{n}" for n in range(self.concurrency)]
        while True:
            for name in names:
                if self._store.take_lease(name, holder, self._slot_seconds):
                    return name
            for name in names:  # a slot of a process killed on this host is free at once
                lease = self._store.lease(name)
                if lease is not None and dead_here(lease.holder) and self._store.take_lease(
                        name, holder, self._slot_seconds, replacing=lease.holder):
                    return name
            time.sleep(_SLOT_POLL_SECONDS)


def _key(host: str) -> str:
    """A short fixed-length name for ``host`` (lease names are at most 32 characters)."""
    return hashlib.sha1(host.encode()).hexdigest()[:16]
