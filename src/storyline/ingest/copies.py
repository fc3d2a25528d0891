"""The copies stage: each newly stored article joins its group of copies (wire copy, mirrors, teasers).

Order, per batch of new articles:

1. exact copies by canonical URL never get here: the store keeps one article per URL;
2. near copies: the MinHash index (``storyline.dedupe``) finds an earlier article the new one
   copies — boilerplate, teaser truncation, rewritten headline, dropped or reordered
   paragraphs, datelines — and the pair is recorded with the group's first article;
3. the group's original and agency are decided when it is read (``storyline.reading.copies``).

``storyline dedupe`` runs the same matching (``match_batch``) over JSONL records.

**Shared** (``queue`` setting: workers in several processes store articles): each process
would otherwise match against its own index and miss the copies others stored. Then the
stage follows the store in id order, one process at a time (the ``copies`` lease, whose
progress is the last article matched): the process holding it matches every article stored
up to its batch, its own and others' not matched yet, and first replays into its index what
others matched since its last turn. Every index then sees the articles in the same order,
so the groups are those one process would make given the articles in id order.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from storyline.config import Settings
from storyline.dedupe import DuplicateIndex, Match, Signature, Signatures, signatures
from storyline.ingest.items import NewArticle
from storyline.ingest.leases import holder_name, holding
from storyline.store import ArticleStore, CheckpointStore, CopyStore
from storyline.types import Article, DuplicateLink, StoredArticle

__all__ = ["CopyStage", "match_batch"]

# Articles signed and matched at a time when the index is rebuilt from the store.
_REBUILD_BATCH = 2_000
# Shared: the lease of the one process matching at a time, held for one batch.
_LEASE = "copies"
_LEASE_SECONDS = 60.0
_EVERY = 2**62  # "up to the last stored article"


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


class CopyStageStore(ArticleStore, CopyStore, CheckpointStore, Protocol):
    """What the copies stage reads and writes: recent articles, groups of copies, and (shared) its lease."""


class CopyStage:
    """The copies stage of ingest (``pipeline.STORED_STAGES``).

    The index lives in memory and is rebuilt, on first use, from the ``window`` most recent
    stored articles (copies of older articles are not looked for: wire copy travels within
    days). Thread-safe: fetch threads store batches concurrently.
    """

    name = "copies"

    def __init__(self, store: CopyStageStore, *, window: int = 20_000, shared: bool = False) -> None:
        self._store = store
        self._window = window
        self._index: DuplicateIndex | None = None
        self._lock = threading.Lock()
        self._shared = shared
        self._holder = holder_name()
        self._seen = 0  # shared: the last article id the index holds (every one before it, in order)

    @classmethod
    def from_settings(cls, store: CopyStageStore, settings: Settings) -> CopyStage:
        return cls(store, shared=settings.queue)

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
        if self._shared:
            if new:
                self._process_shared(new)
            return
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

    # -- shared -------------------------------------------------------------------------------

    def _process_shared(self, new: Sequence[NewArticle]) -> None:
        self._run_shared(max(n.article_id for n in new), {n.article_id: n for n in new})

    def catch_up(self) -> None:
        """Shared: match every stored article no process has matched (its process died before it could)."""
        if self._shared:
            self._run_shared(_EVERY, {})

    def _run_shared(self, upto: int, given: dict[int, NewArticle]) -> None:
        """Under the lease: match the stored articles after the lease's progress up to ``upto``, in id order."""
        with self._lock, holding(self._store, _LEASE, self._holder, _LEASE_SECONDS):
            lease = self._store.lease(_LEASE)
            done = lease.progress if lease is not None else 0
            if done >= upto:
                return  # another process matched this batch with its own
            try:
                index = self._caught_up(done)
                links, last = self._match_after(index, done, upto, given)
                if last <= done:
                    return
                self._store.save_duplicates(list({link.article_id: link for link in reversed(links)}.values()))
                self._store.renew_lease(_LEASE, self._holder, _LEASE_SECONDS, last)
                self._seen = last
            except Exception:
                self._index = None  # half a batch in the index: rebuilt at the next turn
                raise

    def _caught_up(self, done: int) -> DuplicateIndex:
        """The index with every article up to ``done`` (matched by whoever held the lease), in id order."""
        if self._index is None:
            index = DuplicateIndex()
            recent = [stored for stored in self._store.dedupe_recent(self._window) if stored.id <= done]
            for start in range(0, len(recent), _REBUILD_BATCH):
                chunk = recent[start : start + _REBUILD_BATCH]
                match_batch(index, [str(a.id) for a in chunk], chunk)
            self._index, self._seen = index, done
        while self._seen < done:  # others matched these since this process's last turn: replay
            batch = [a for a in self._store.articles_after(self._seen, limit=_REBUILD_BATCH) if a.id <= done]
            if not batch:
                break
            fresh = [a for a in batch if str(a.id) not in self._index]
            match_batch(self._index, [str(a.id) for a in fresh], fresh)
            self._seen = batch[-1].id
        self._seen = max(self._seen, done)
        return self._index

    def _match_after(self, index: DuplicateIndex, done: int, upto: int,
                     given: dict[int, NewArticle]) -> tuple[list[DuplicateLink], int]:
        """Match the articles after ``done`` up to ``upto`` in id order (this batch's, and others' waiting).

        Their links, and the last article id matched.
        """
        links: list[DuplicateLink] = []
        after = done
        while after < upto:
            stored = [a for a in self._store.articles_after(after, limit=_REBUILD_BATCH) if a.id <= upto]
            if not stored:
                break
            after = stored[-1].id
            fresh = [a for a in stored if str(a.id) not in index]
            mine = [given.get(a.id) for a in fresh]
            signed = [n.signature if n is not None else None for n in mine]
            matches = match_batch(index, [str(a.id) for a in fresh],
                                  [n.article if n is not None else a for a, n in zip(fresh, mine, strict=True)],
                                  signed if all(sig is not None for sig in signed) else ())
            for article, match in zip(fresh, matches, strict=True):
                if match is not None:
                    group_id = int(match.group_id)
                    links.append(DuplicateLink(group_id, group_id, None))
                    links.append(DuplicateLink(article.id, group_id, int(match.doc_id), match.rule,
                                               round(match.jaccard, 4)))
        return links, after

    def drain(self) -> None:
        """Nothing runs in the background: each batch is folded before ``process`` returns."""

    def close(self) -> None:
        """Nothing to save: the index is rebuilt from the store on the next start."""
