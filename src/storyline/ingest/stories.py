"""The stories stage: every new article is embedded and joins a story or starts one.

After the copies stage has folded copies, each newly stored article is embedded
(``storyline.embed``, cached by text in the store) and given to the clusterer
(``storyline.cluster``), which puts it into an active story or starts one. A copy does not
go through the clusterer: it joins the story of the article it copies, so wire copy
carried by ten outlets is one report in its story.

The clusterer lives in memory. Its state is checkpointed into the store every
``checkpoint_every`` articles and when Storyline closes; on start it is restored and the
articles stored after the checkpoint are assigned again, in id order. Assignment is
deterministic (same state, same articles in the same order, same embeddings from the
cache), so the replay gives the stories they had (the order is by id: batches stored by
concurrent fetches may have reached the clusterer in another order). Articles stored
before stories existed are assigned the same way.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
import structlog

from storyline.cluster import ClusterInput, ClusterSettings, StoryClusterer
from storyline.config import Settings
from storyline.embed import Embedder, embedder_from_settings, embedding_text
from storyline.errors import InputError, StorylineError
from storyline.ingest.items import NewArticle
from storyline.store import ArticleStore, CheckpointStore, CopyStore, EmbeddingStore, StoryStore
from storyline.types import StoredArticle, StoryLink

__all__ = ["StoredEmbeddings", "StoryStage", "StoryStageStore"]


class StoryStageStore(ArticleStore, CopyStore, StoryStore, EmbeddingStore, CheckpointStore, Protocol):
    """What the stories stage reads and writes: articles, copies, stories, cached embeddings, its checkpoint."""

log = structlog.get_logger(__name__)

# Articles read from the store at a time when catching up after a restart.
_CATCH_UP_BATCH = 500
# Queued articles the background thread assigns at a time (one embedder call).
_WORK_BATCH = 256


class StoredEmbeddings:
    """The embedding cache kept in the store (an ``EmbeddingStore``): float32 rows by text key."""

    def __init__(self, store: EmbeddingStore) -> None:
        self._store = store

    def get_many(self, namespace: str, keys: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        found = self._store.get_embeddings(namespace, [key.hex() for key in keys])
        return {bytes.fromhex(k): np.frombuffer(v, dtype=np.float32) for k, v in found.items()}

    def put_many(self, namespace: str, vectors: Mapping[bytes, np.ndarray]) -> None:
        self._store.put_embeddings(
            namespace, {k.hex(): np.ascontiguousarray(v, dtype=np.float32).tobytes() for k, v in vectors.items()}
        )


class StoryStage:
    """The stories stage of ingest (``pipeline.STORED_STAGES``).

    Ingest hands it new articles (:meth:`process`) and goes on: a background thread embeds
    and assigns them in arrival order, so fetching never waits for the embedder. Callers
    that need the stories at once (an import, ``storyline fetch``) :meth:`drain` the queue.
    :meth:`assign` does the same work in the caller's thread. Thread-safe.

    ``clusterer`` makes the clusterer when no checkpoint is restored (default: a
    ``StoryClusterer`` with ``settings``); the model-fitting script passes one that follows
    the gold stories. ``background=False`` assigns in the caller's thread (batch runs).
    """

    name = "stories"

    def __init__(
        self,
        store: StoryStageStore,
        embedder: Callable[[], Embedder],
        *,
        settings: ClusterSettings | None = None,
        checkpoint_every: int = 5_000,
        clusterer: Callable[[], StoryClusterer] | None = None,
        background: bool = True,
    ) -> None:
        self._store = store
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._settings = settings
        self._new_clusterer = clusterer or (lambda: StoryClusterer(settings))
        self.merges = 0  # stories folded into another since this stage started
        self._background = background
        self._checkpoint_every = checkpoint_every
        self._clusterer: StoryClusterer | None = None
        self._last_article_id = 0  # the highest article id the clusterer has seen
        self._unsaved = 0  # articles assigned since the last checkpoint
        self._caught_up = False  # whether the articles stored while no clusterer ran are assigned
        self._lock = threading.RLock()
        self._queue: deque[int] = deque()
        self._pending = 0  # ids submitted and not yet assigned (queued or being assigned)
        self._worker: threading.Thread | None = None
        self._changed = threading.Condition()
        self._stopping = False

    @classmethod
    def from_settings(
        cls,
        store: StoryStageStore,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        clusterer: Callable[[], StoryClusterer] | None = None,
        window_days: float | None = None,
        background: bool = True,
    ) -> StoryStage:
        """The stage as the settings configure it: their embedder (cached in the store) and story window.

        The keywords replace one part for a batch run: a given embedder (a gate's shared cache),
        the clusterer (the fitting script's), the window, assignment in the caller's thread.
        """
        days = float(window_days if window_days is not None else settings.story_window_days)
        return cls(store, (lambda: embedder) if embedder is not None
                   else lambda: embedder_from_settings(settings, StoredEmbeddings(store)),
                   settings=ClusterSettings(window_days=days), clusterer=clusterer, background=background)

    # -- the background queue ---------------------------------------------------------------

    def process(self, new: Sequence[NewArticle]) -> None:
        """Queue newly stored articles (copies follow their original: the copies stage ran first).

        Without ``background`` they are assigned before this returns, one store batch at a
        time: the embedder then sees the same batches on every run (the int8 model's vectors
        move a little with a text's batch), which a gate's repeatable score needs.
        """
        if self._background:
            self.submit([n.article_id for n in new])
        else:
            self.assign([n.article_id for n in new])

    def close(self) -> None:
        """Finish the queue, stop the background thread and checkpoint."""
        self.stop()

    def submit(self, article_ids: Sequence[int]) -> None:
        """Queue newly stored articles for assignment in the background (in this order)."""
        if not article_ids:
            return
        with self._changed:
            self._queue.extend(article_ids)
            self._pending += len(article_ids)
            if self._worker is None or not self._worker.is_alive():
                self._stopping = False
                self._worker = threading.Thread(target=self._work, name="storyline-stories", daemon=True)
                self._worker.start()
            self._changed.notify_all()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every submitted article has its story; False if ``timeout`` ran out first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        """Finish the queue, stop the background thread and checkpoint."""
        self.drain()
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join()
        self.checkpoint()

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._queue or self._stopping)
                if not self._queue:
                    return
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), _WORK_BATCH))]
            try:
                self.assign(batch)
            except Exception:  # a dead worker would silently end stories for good
                # The articles stay stored; the next start assigns them (catch-up).
                log.exception("story_assignment_failed", articles=len(batch))
            finally:
                with self._changed:
                    self._pending -= len(batch)
                    self._changed.notify_all()

    # -- public ------------------------------------------------------------------------------

    def assign(self, article_ids: Sequence[int]) -> list[StoryLink]:
        """Put newly stored articles into stories (their order is their arrival order)."""
        with self._lock:
            self._loaded()
            if not self._caught_up:  # after a restart: what came after the checkpoint goes first
                self._catch_up()
            assigned = self._store.stories_of(article_ids)
            fresh = [i for i in dict.fromkeys(article_ids) if i not in assigned]
            return self._assign(self._store.get_articles(fresh)) if fresh else []

    def catch_up(self) -> int:
        """Assign the stored articles the clusterer has not seen; how many there were."""
        with self._lock:
            self._loaded()
            return self._catch_up()

    def checkpoint(self) -> None:
        """Save the clusterer's state (a restart then replays only what came after)."""
        with self._lock:
            if self._clusterer is not None and self._unsaved:
                self._store.save_cluster_state(self._last_article_id, self._clusterer.snapshot())
                self._unsaved = 0

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    # -- steps -------------------------------------------------------------------------------

    def _loaded(self) -> StoryClusterer:
        if self._clusterer is None:
            saved = self._store.load_cluster_state()
            clusterer = None
            if saved is not None:
                try:
                    clusterer = StoryClusterer.restore(saved[1])
                    self._last_article_id = saved[0]
                except InputError as exc:
                    # An unreadable checkpoint (another version wrote it): start again from the
                    # articles; their stories are assigned afresh.
                    log.warning("cluster_checkpoint_unreadable", error=str(exc))
            self._clusterer = clusterer or self._new_clusterer()
        return self._clusterer

    def _catch_up(self) -> int:
        done = 0
        # The articles after the checkpoint, assigned or not: the replay rebuilds the state.
        while batch := self._store.articles_after(self._last_article_id, limit=_CATCH_UP_BATCH):
            self._assign(batch)
            done += len(batch)
        # Older articles never assigned (stored before stories existed, or while a crash loomed).
        after = 0
        while batch := self._store.unassigned_articles(after_id=after, limit=_CATCH_UP_BATCH):
            after = batch[-1].id
            self._assign(batch)
            done += len(batch)
        self._caught_up = True
        if done:
            log.info("stories_caught_up", articles=done)
        return done

    def _assign(self, batch: Sequence[StoredArticle]) -> list[StoryLink]:
        assert self._clusterer is not None
        copies = self._store.copied_from([a.id for a in batch])
        originals = [a for a in batch if a.id not in copies]
        vectors = self._embed(originals)
        story_of: dict[int, int] = {}
        links: list[StoryLink] = []
        merges: list[tuple[int, int]] = []
        related: dict[int, list[tuple[int, float]]] = {}
        for article in batch:
            copied = copies.get(article.id)
            if copied is not None:
                known = story_of.get(copied) or self._store.stories_of([copied]).get(copied)
                if known is not None:
                    story = self._store.resolve_story(known) or known
                    story_of[article.id] = story
                    links.append(StoryLink(article.id, story, 1.0))
                    continue
            vector = vectors.get(article.id)
            if vector is None:  # a copy whose original has no story: it is clustered itself
                vector = self._embed([article]).get(article.id)
            assignment = self._clusterer.add(ClusterInput(
                str(article.id), article.title, article.text, vector,
                published=article.published, received=article.created_at,
            ))
            story_of[article.id] = assignment.story_id
            links.append(StoryLink(article.id, assignment.story_id, assignment.score))
            merges.extend((old, assignment.story_id) for old in assignment.merged_from)
            self.merges += len(assignment.merged_from)
            # Related stories come nearest first; the score records that order.
            related[assignment.story_id] = [(r, 1.0 / (1 + rank)) for rank, r in enumerate(assignment.related)]
        self._store.save_story_links(_resolved(links, merges), merges=merges, related=related)
        if batch:
            self._last_article_id = max(self._last_article_id, max(a.id for a in batch))
            self._unsaved += len(batch)
        if self._unsaved >= self._checkpoint_every:
            self.checkpoint()
        return links

    def _embed(self, batch: Sequence[StoredArticle]) -> dict[int, np.ndarray | None]:
        """Each article's embedding; None for all of a batch the embedder failed on (logged)."""
        if not batch:
            return {}
        try:
            rows = self.embedder.embed([embedding_text(a.title, a.text) for a in batch])
        except StorylineError as exc:
            # Stories then rest on words, names and time alone; the articles are not lost.
            log.warning("embedding_failed", articles=len(batch), error=str(exc))
            return dict.fromkeys((a.id for a in batch), None)
        return {a.id: row for a, row in zip(batch, rows, strict=True)}


def _resolved(links: list[StoryLink], merges: list[tuple[int, int]]) -> list[StoryLink]:
    """Links pointing at a story merged later in the same batch point at the story it joined."""
    if not merges:
        return links
    target = dict(merges)

    def final(story: int) -> int:
        seen = 0
        while story in target and seen < len(target):
            story, seen = target[story], seen + 1
        return story

    return [StoryLink(link.article_id, final(link.story_id), link.score) for link in links]
