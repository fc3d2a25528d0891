"""A story's summary as a reader gets it: the stored one while it matches the story, else made again now.

The summaries stage keeps summaries up to date as articles arrive; a reader can still come
first (stories assigned in the background since the last batch, two stories merged, a store
written by an older Storyline). A stored summary whose ``basis`` is not the story's articles
is made again here, with the stage's own function, and stored for the next reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import structlog

from storyline.errors import StoreError
from storyline.store import CopyStore, SummaryStore
from storyline.summarize.story import TermsCache, basis_of, story_summary
from storyline.types import StoredArticle, StorySummary

__all__ = ["current_summary"]

log = structlog.get_logger(__name__)


class SummaryReadStore(CopyStore, SummaryStore, Protocol):
    """What reading a summary needs."""


def current_summary(store: SummaryReadStore, story_id: int, articles: Sequence[StoredArticle],
                    cache: TermsCache) -> StorySummary:
    """The summary and timeline of ``story_id``, whose articles are ``articles``."""
    stored = store.story_summary(story_id)
    if stored is not None and stored.basis == basis_of(articles):
        return stored
    made = story_summary(articles, store.copied_from([a.id for a in articles]), cache)
    try:
        store.save_story_summaries([(story_id, made)])
    except StoreError as exc:  # a read-only moment: the reader still gets the summary
        log.warning("summary_not_saved", story=story_id, error=str(exc))
    return made
