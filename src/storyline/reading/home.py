"""The home page's ranking, kept: ranked once, reused until the store changes or a few seconds pass.

Ranking reads the coverage of every recent story (about a second at 100,000 articles), so
``storyline serve`` keeps each of the first pages as ranked. A page is ranked again when this
process has written to the store since (``Store.generation``) or ``ttl`` seconds have passed,
which is when other processes' writes (workers, an import) show.
"""

from __future__ import annotations

import threading
import time

from storyline.reading.stories import StoryCard, home_stories
from storyline.store import Store

__all__ = ["PAGES_KEPT", "HomePages"]

# Home pages kept ranked: the first ones (readers rarely go further; later pages rank each time).
PAGES_KEPT = 20

Ranked = tuple[list[StoryCard], bool]


class HomePages:
    """The first ``PAGES_KEPT`` pages of top stories as last ranked; ``ttl`` <= 0 ranks every time."""

    def __init__(self, store: Store, *, page_size: int, ttl: float) -> None:
        self.store = store
        self.page_size = page_size
        self.ttl = ttl
        self._lock = threading.Lock()
        self._kept: dict[int, tuple[int, float, Ranked]] = {}  # page -> (store generation, monotonic time, ranking)
        # Held while one thread ranks the page.
        self._ranking = {page: threading.Lock() for page in range(1, PAGES_KEPT + 1)}

    def page(self, page: int) -> Ranked:
        """One page (from 1) of ranked stories and whether more follow."""
        if self.ttl <= 0 or page not in self._ranking:
            return home_stories(self.store, page=page, page_size=self.page_size)
        with self._lock:
            kept = self._kept.get(page)
        if kept is not None and self._fresh(kept):
            return kept[2]
        # One thread ranks a page at a time; the others get the last ranking meanwhile (a stale
        # page for one ranking's time), or wait for it when there is none yet. Without this,
        # every request arriving while the page is stale ranks it again, all at once.
        ranking = self._ranking[page]
        if kept is not None and not ranking.acquire(blocking=False):
            return kept[2]
        if kept is None:
            ranking.acquire()
        try:
            with self._lock:
                kept = self._kept.get(page)
            if kept is not None and self._fresh(kept):
                return kept[2]  # ranked by the thread this one waited for
            generation, now = self.store.generation, time.monotonic()
            ranked = home_stories(self.store, page=page, page_size=self.page_size)
            with self._lock:
                self._kept[page] = (generation, now, ranked)
            return ranked
        finally:
            ranking.release()

    def _fresh(self, kept: tuple[int, float, Ranked]) -> bool:
        return kept[0] == self.store.generation and time.monotonic() - kept[1] < self.ttl
