"""The copies stage: each newly stored article joins its group of copies (wire copy, mirrors, teasers).

Order, per batch of new articles:

1. exact copies by canonical URL never get here: the store keeps one article per URL;
2. near copies: the MinHash index (``storyline.dedupe``) finds an earlier article the new one
   copies — boilerplate, teaser truncation, rewritten headline, dropped or reordered
   paragraphs, datelines — and the pair is recorded with the group's first article;
3. the group's original and agency are decided when it is read (``storyline.reading.copies``).

``storyline dedupe`` runs the same matching (``match_batch``) over JSONL records.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from storyline.config import Settings
from storyline.dedupe import DuplicateIndex, Match, Signature, Signatures, signatures
from storyline.ingest.items import NewArticle
from storyline.store import CopyStore
from storyline.types import Article, DuplicateLink, StoredArticle

__all__ = ["CopyStage", "match_batch"]

# Articles signed and matched at a time when the index is rebuilt from the store.
_REBUILD_BATCH = 2_000


def match_batch(
    index: DuplicateIndex,
    ids: Sequence[str],
    articles: Sequence[Article | StoredArticle],
    given: Sequence[Signature | None] = (),
) -> list[Match | None]:
    """Add ``articles`` to ``index`` as one batch; what each copies (None: an original).

    Signed together (numpy over the batch) and matched together, the same outcome as one by
    one; a 20,000-article rebuild takes a second, not ten. Signatures made with the articles
    (in the worker that prepared them) are used as they are.
    """
    if not articles:
        return []
    rows = [s for s in given if s is not None]
    signed = Signatures.stack(rows) if len(rows) == len(articles) else signatures([a.text for a in articles])
    return index.add_batch(list(ids), signed,
                           credits=[tuple(a.credits) for a in articles],
                           published=[a.published for a in articles],
                           outlets=[a.outlet for a in articles])


class CopyStage:
    """The copies stage of ingest (``pipeline.STORED_STAGES``).

    The index lives in memory and is rebuilt, on first use, from the ``window`` most recent
    stored articles (copies of older articles are not looked for: wire copy travels within
    days). Thread-safe: fetch threads store batches concurrently.
    """

    name = "copies"

    def __init__(self, store: CopyStore, *, window: int = 20_000) -> None:
        self._store = store
        self._window = window
        self._index: DuplicateIndex | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, store: CopyStore, settings: Settings) -> CopyStage:
        return cls(store)

    def _loaded(self, arriving: set[int]) -> DuplicateIndex:
        if self._index is None:
            index = DuplicateIndex()
            # The batch being folded is stored already: it is added by ``process``, with its links.
            recent = [stored for stored in self._store.dedupe_recent(self._window) if stored.id not in arriving]
            for start in range(0, len(recent), _REBUILD_BATCH):
                chunk = recent[start : start + _REBUILD_BATCH]
                match_batch(index, [str(a.id) for a in chunk], chunk)
            self._index = index
        return self._index

    def process(self, new: Sequence[NewArticle]) -> None:
        """Match each newly stored article against earlier ones and record the groups."""
        links: list[DuplicateLink] = []
        with self._lock:
            index = self._loaded({n.article_id for n in new})
            fresh: dict[int, NewArticle] = {}
            for n in new:  # already indexed (a retry), or twice in the batch
                if str(n.article_id) not in index:
                    fresh.setdefault(n.article_id, n)
            batch = list(fresh.values())
            matches = match_batch(index, [str(n.article_id) for n in batch], [n.article for n in batch],
                                  [n.signature for n in batch])
            for n, match in zip(batch, matches, strict=True):
                if match is None:
                    continue
                group_id = int(match.group_id)
                links.append(DuplicateLink(group_id, group_id, None))  # the group's first article
                links.append(DuplicateLink(n.article_id, group_id, int(match.doc_id), match.rule,
                                           round(match.jaccard, 4)))
        self._store.save_duplicates(list({link.article_id: link for link in reversed(links)}.values()))

    def drain(self) -> None:
        """Nothing runs in the background: each batch is folded before ``process`` returns."""

    def close(self) -> None:
        """Nothing to save: the index is rebuilt from the store on the next start."""
