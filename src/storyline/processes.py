"""Worker processes that end with the process that started them.

A ``ProcessPoolExecutor`` worker outlives its parent when the parent is killed (``kill -9``,
the OOM killer): it waits forever on its call queue, holding ~190 MB, until the machine
restarts. Every pool Storyline starts is made here, and its workers watch their parent.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

__all__ = ["worker_pool"]

_POLL_SECONDS = 1.0


def worker_pool(processes: int) -> ProcessPoolExecutor:
    """A pool of ``processes`` spawned workers (not forked: the caller may run threads) that exit with this one."""
    return ProcessPoolExecutor(processes, mp_context=get_context("spawn"), initializer=_follow_parent,
                               initargs=(os.getpid(),))


def _follow_parent(parent: int) -> None:
    """In a worker: end this process within a second of ``parent`` ending.

    Polling ``getppid`` rather than Linux's ``PR_SET_PDEATHSIG``: that signal fires when the
    parent *thread* that spawned the worker ends, and pools spawn workers from whichever
    thread submits first (a fetch thread that may finish long before Storyline does).
    """
    if os.getppid() != parent:  # it died before we started watching
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="storyline-parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while True:
        time.sleep(_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)
