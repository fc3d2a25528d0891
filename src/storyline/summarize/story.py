"""A stored story's summary and timeline, made from its articles; the cache that makes an update cheap.

Copies are left out (they say what their original says; the original stands for them).
A story of more than ``MAX_REPORTS`` reports is summarised from its first ``FIRST_REPORTS``
and its latest ones: the start of an event and where it stands now.

An update re-ranks the whole story (a new report can change which facts most outlets state),
but only the new article is tokenised: every other article's sentence matrix comes from
:class:`TermsCache`, so a 100-article story updates in milliseconds (``bench/summarize.py``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from datetime import UTC, datetime

import numpy as np

from storyline.summarize.matrix import Report, StoryMatrix
from storyline.summarize.summary import choose, sentences_of
from storyline.summarize.terms import ArticleTerms, Vocabulary, analyse
from storyline.summarize.timeline import ordered, timeline
from storyline.types import StoredArticle, StorySummary

__all__ = ["FIRST_REPORTS", "MAX_REPORTS", "TermsCache", "basis_of", "story_summary"]

MAX_REPORTS = 200
FIRST_REPORTS = 20
# Articles are summarised from this much of their text.
MAX_CHARS = 30_000


class TermsCache:
    """Analysed articles by (id, content hash), the least recently used dropped past ``size``. Thread-safe."""

    def __init__(self, size: int = 5_000) -> None:
        self.vocabulary = Vocabulary()
        self.novelty = NoveltyCache(size * 4)  # the timeline's per-report novelty (see timeline.timeline)
        self._size = size
        self._terms: OrderedDict[tuple[int, str], ArticleTerms] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, article: StoredArticle) -> ArticleTerms:
        key = (article.id, article.content_hash)
        with self._lock:
            found = self._terms.get(key)
            if found is not None:
                self._terms.move_to_end(key)
                return found
        terms = analyse(article.text[:MAX_CHARS], self.vocabulary)
        with self._lock:
            self._terms[key] = terms
            while len(self._terms) > self._size:
                self._terms.popitem(last=False)
        return terms


class NoveltyCache(MutableMapping[int, np.ndarray]):
    """A bounded, thread-safe mapping for the timeline's novelty arrays, the least recently used dropped."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, key: int) -> np.ndarray:
        with self._lock:
            value = self._items[key]
            self._items.move_to_end(key)
            return value

    def __setitem__(self, key: int, value: np.ndarray) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __delitem__(self, key: int) -> None:
        with self._lock:
            del self._items[key]

    def __iter__(self) -> Iterator[int]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


def basis_of(articles: Sequence[StoredArticle]) -> str:
    """What a summary of ``articles`` was made from: their ids and texts, hashed (16 bytes, hex)."""
    digest = hashlib.blake2b(digest_size=16)
    for article in sorted(articles, key=lambda a: a.id):
        digest.update(f"{article.id}:{article.content_hash};".encode())
    return digest.hexdigest()


def reports_of(articles: Sequence[StoredArticle], copied_from: Mapping[int, int]) -> list[StoredArticle]:
    """The articles a summary is made from: no copy of another of the story's; past the cap, the first and latest."""
    present = {a.id for a in articles}
    originals = [a for a in articles if copied_from.get(a.id) not in present]
    if len(originals) > MAX_REPORTS:
        ordered = sorted(originals, key=lambda a: (a.shown_time, a.id))
        originals = ordered[:FIRST_REPORTS] + ordered[-(MAX_REPORTS - FIRST_REPORTS):]
    return originals


def story_summary(articles: Sequence[StoredArticle], copied_from: Mapping[int, int], cache: TermsCache, *,
                  now: datetime | None = None) -> StorySummary:
    """The summary and timeline of the story told by ``articles`` (``copied_from``: copy -> original)."""
    chosen = reports_of(articles, copied_from)
    reports = ordered([Report(a.id, a.shown_time, cache.get(a)) for a in chosen])
    matrix = StoryMatrix(reports)  # stacked once for the summary and the timeline
    summary = sentences_of(matrix, choose(matrix)) if reports else ()
    return StorySummary(summary, timeline(reports, matrix, cache.novelty), basis_of(articles), "extractive",
                        now or datetime.now(UTC))
