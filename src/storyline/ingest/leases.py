"""Short leases that make one process at a time do a shared step (shared copies and entities stages).

A lease of the store (``take_lease``) held for one batch; a holder killed on this host is
replaced at once (its process is gone), one on another host when its lease runs out.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from storyline.store import CheckpointStore

__all__ = ["dead_here", "holder_name", "holding"]

log = structlog.get_logger(__name__)

_POLL_SECONDS = 0.05


def holder_name() -> str:
    """A name for one holder: this host, this process, and a token (a process may hold several)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def dead_here(holder: str) -> bool:
    """Whether ``holder`` ("host:pid:token") was a process of this host that no longer runs."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's): alive
        return False
    return False


@contextmanager
def holding(store: CheckpointStore, name: str, holder: str, seconds: float) -> Iterator[None]:
    """Wait for the lease ``name``, hold it for the block, then give it up."""
    while not store.take_lease(name, holder, seconds):
        lease = store.lease(name)
        if lease is not None and dead_here(lease.holder):
            log.info("lease_taken_over", lease=name, previous=lease.holder)
            if store.take_lease(name, holder, seconds, replacing=lease.holder):
                break
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        store.release_lease(name, holder)
