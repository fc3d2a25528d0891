"""The stored summaries stage: key points stored, and each story touched by new articles summarised again.

Key points are made per article where the article is prepared (``pipeline.ARTICLE_STAGES``);
this stage stores them and keeps each story's summary and timeline up to date. A story is
summarised again once its new articles are in it: stories are assigned in the background
(``ingest.stories``), so the articles of a batch wait here until the store says which story
they joined, and are taken up at the next batch or at :meth:`drain` (which runs after the
stories stage's drain: ``Ingest.drain`` drains stages in order). A summary that a reader finds
stale (its ``basis`` is not the story's articles: a merge, a story assigned since) is made
again on the spot by the reading side, with the same function.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import structlog

from storyline.config import Settings
from storyline.errors import StorylineError
from storyline.ingest.items import NewArticle
from storyline.store import CopyStore, StoryStore, SummaryStore
from storyline.summarize import cited
from storyline.summarize.story import TermsCache, story_summary

__all__ = ["SummaryStage"]

log = structlog.get_logger(__name__)


class _Store(StoryStore, CopyStore, SummaryStore):
    """What the stage reads and writes."""


class SummaryStage:
    """The summaries stage of ingest (``pipeline.STORED_STAGES``). Thread-safe."""

    name = "summaries"

    def __init__(self, store: _Store, cache: TermsCache | None = None, *, stories: bool = True) -> None:
        self._store = store
        self.cache = cache or TermsCache()
        self._stories = stories  # stories off: key points only (no article would ever get a story to wait for)
        self._pending: set[int] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, store: _Store, settings: Settings) -> SummaryStage:
        return cls(store, stories=settings.stories)

    def process(self, new: Sequence[NewArticle]) -> None:
        """Store the new articles' key points; summarise again the stories they joined (now or later)."""
        self._save_points(new)
        if not self._stories:
            return
        with self._lock:
            self._pending.update(item.article_id for item in new)
        self._update()

    def revise(self, changed: Sequence[NewArticle]) -> None:
        """An article's text changed: its key points, and its story's summary, are made again."""
        self.process(changed)

    def drain(self) -> None:
        """Summarise the stories of every article given so far that has a story by now."""
        self._update()

    def close(self) -> None:
        """Summarise what can be; the rest is made when a reader opens the story."""
        self._update()

    def _save_points(self, items: Sequence[NewArticle]) -> None:
        points = [(item.article_id, [cited(p, item.article_id) for p in item.article.key_points])
                  for item in items if item.article.key_points]
        if points:
            self._store.save_key_points(points)

    def _update(self) -> None:
        with self._lock:
            if not self._pending:
                return
            waiting = sorted(self._pending)
            stories = self._store.stories_of(waiting)
            self._pending.difference_update(stories)
            touched = sorted({self._store.resolve_story(s) or s for s in set(stories.values())})
            for story_id in touched:
                try:
                    self.summarize(story_id)
                except StorylineError as exc:  # kept stale; a reader's visit makes it again
                    log.warning("summary_failed", story=story_id, error=str(exc))

    def summarize(self, story_id: int) -> None:
        """Make and store the summary and timeline of ``story_id`` from its articles now."""
        articles = self._store.story_articles(story_id)
        if not articles:
            return
        copied = self._store.copied_from([a.id for a in articles])
        self._store.save_story_summaries([(story_id, story_summary(articles, copied, self.cache))])
