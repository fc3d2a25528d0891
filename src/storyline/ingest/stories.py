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

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
import structlog

from storyline import metrics
from storyline.cluster import ClusterInput, ClusterSettings, StoryClusterer
from storyline.config import Settings
from storyline.embed import Embedder, embedder_from_settings, embedding_text
from storyline.errors import InputError, LeaseLostError, StoreUnavailableError, StorylineError
from storyline.ingest.items import NewArticle
from storyline.store import ArticleStore, CheckpointStore, CopyStore, EmbeddingStore, StoryStore
from storyline.types import StoredArticle, StoryLink

__all__ = ["StoredEmbeddings", "StoryStage", "StoryStageStore"]


class StoryStageStore(ArticleStore, CopyStore, StoryStore, EmbeddingStore, CheckpointStore, Protocol):
    """What the stories stage reads and writes: articles, copies, stories, cached embeddings, its checkpoint."""

log = structlog.get_logger(__name__)

# The lease that makes one process at a time the story writer. Stories depend on the order
# articles arrive in, so two assigners on one store would split and number them differently.
_LEASE = "stories"
# How long the lease lasts without renewal: a dead holder's work is taken over after this long.
# Every write renews it, and an idle holder renews it each poll.
LEASE_SECONDS = 60.0
# How often the background worker looks for articles that other processes stored.
POLL_SECONDS = 2.0
# Story ids reserved from the store's counter at a time (unused ones are skipped, never reused).
_ID_BLOCK = 16
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
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        shared: bool = False,
    ) -> None:
        self._store = store
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._settings = settings
        self._custom_clusterer = clusterer
        self.merges = 0  # stories folded into another since this stage started
        self._background = background
        self._checkpoint_every = checkpoint_every
        self._lease_seconds = lease_seconds
        self._poll_seconds = poll_seconds
        self._clusterer: StoryClusterer | None = None
        self._last_article_id = 0  # the highest article id the clusterer has seen
        self._unsaved = 0  # articles assigned since the last checkpoint
        self._caught_up = False  # whether the articles stored while no clusterer ran are assigned
        # The one writer: this process assigns stories only while it holds the store's lease.
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._holding = False
        self._ids = range(0)  # story ids reserved from the store's counter, not yet used
        self._hint: int | None = None  # the story an article had before a replay, to keep its id
        self._lock = threading.RLock()
        self._wanted = 0  # the highest article id handed to this stage
        self._wake = False
        self._worker: threading.Thread | None = None
        self._changed = threading.Condition()
        self._stopping = False
        # Shared (workers in several processes store articles, ``queue`` setting): each process
        # embeds the articles it stored (into the store's cache, where the writer finds them), and
        # the writer assigns an article only once the shared copies stage has matched it.
        self._shared = shared

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
                   settings=ClusterSettings(window_days=days), clusterer=clusterer, background=background,
                   shared=settings.queue)

    # -- the background worker -------------------------------------------------------------

    def process(self, new: Sequence[NewArticle]) -> None:
        """Take newly stored articles (copies follow their original: the copies stage ran first).

        Without ``background`` they are assigned before this returns, one store batch at a
        time: the embedder then sees the same batches on every run (the int8 model's vectors
        move a little with a text's batch), which a gate's repeatable score needs.
        """
        if self._shared:
            self._embed_here(new)
        if self._background:
            self.submit([n.article_id for n in new])
        else:
            self.assign([n.article_id for n in new])

    def close(self) -> None:
        """Finish what was given, stop the background thread, checkpoint and give the lease up."""
        self.stop()

    def start(self) -> None:
        """Start the background worker: it takes the lease when free, catches up, then follows the store."""
        with self._changed:
            if self._worker is None or not self._worker.is_alive():
                self._stopping = False
                self._worker = threading.Thread(target=self._work, name="storyline-stories", daemon=True)
                self._worker.start()

    def submit(self, article_ids: Sequence[int]) -> None:
        """Have newly stored articles assigned in the background (the writer takes them in id order)."""
        if not article_ids:
            return
        self.start()
        with self._changed:
            self._wanted = max(self._wanted, *article_ids)
            self._wake = True
            self._changed.notify_all()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every article given so far has its story; False if ``timeout`` ran out first.

        Whoever holds the lease assigns them: this process, or another one sharing the store
        (then this waits for its progress); a dead holder's lease runs out and this one takes over.
        """
        with self._changed:
            if self._done():  # a batch run assigned them in its own thread
                return True
        self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not self._done():
                self._wake = True
                self._changed.notify_all()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._changed.wait(self._poll_seconds if left is None else min(left, self._poll_seconds))
            return True

    def stop(self) -> None:
        """Stop the background thread; the holder assigns what is stored, checkpoints and gives the lease up."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join()
        with self._lock:
            if self._holding:
                try:
                    self._assign_stored()
                    self.checkpoint()
                    self._store.release_lease(_LEASE, self._holder)
                except StorylineError as exc:  # the next holder replays from its checkpoint
                    log.warning("stories_not_finished", error=str(exc))
                self._holding = False

    def _done(self) -> bool:
        if self._holding:
            return self._caught_up and self._last_article_id >= self._wanted
        lease = self._store.lease(_LEASE)
        if lease is None or lease.expires_at <= _now() or _dead_here(lease.holder):
            return False  # nobody assigns stories now: this process's worker takes the lease
        return lease.progress >= self._wanted

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._wake or self._stopping, self._poll_seconds)
                if self._stopping:
                    return
                self._wake = False
            try:
                with self._lock:
                    if self._take_lease():
                        self._assign_stored()
            except StoreUnavailableError as exc:  # the database is away: the next round tries again
                log.warning("story_assignment_waiting", error=str(exc))
            except Exception:  # a dead worker would silently end stories for good
                # The articles stay stored; the next round (or the next holder) assigns them.
                log.exception("story_assignment_failed")
            finally:
                with self._changed:
                    self._changed.notify_all()

    # -- public ------------------------------------------------------------------------------

    def assign(self, article_ids: Sequence[int]) -> list[StoryLink]:
        """Put newly stored articles into stories now, in this thread (with everything stored before them).

        Returns their links; none when another process holds the lease (it assigns them).
        """
        with self._lock:
            if article_ids:
                self._wanted = max(self._wanted, *article_ids)
            if not self._take_lease():
                log.info("stories_assigned_elsewhere", articles=len(article_ids))
                return []
            wanted = set(article_ids)
            return [link for link in self._assign_stored() if link.article_id in wanted]

    def catch_up(self) -> int:
        """Assign the stored articles the clusterer has not seen (if this process may); how many there were."""
        with self._lock:
            if not self._take_lease():
                return 0
            return len(self._assign_stored())

    def checkpoint(self) -> None:
        """Save the clusterer's state (a restart then replays only what came after)."""
        with self._lock:
            if self._clusterer is not None and self._unsaved and self._holding:
                self._store.save_cluster_state(self._last_article_id, self._clusterer.snapshot(),
                                               writer=self._writer())
                self._unsaved = 0

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    # -- steps -------------------------------------------------------------------------------

    def _take_lease(self) -> bool:
        """Hold (or renew) the stories lease. A lease newly taken starts from the store's checkpoint:
        another process may have assigned stories since this one last held it."""
        held = self._store.take_lease(_LEASE, self._holder, self._lease_seconds)
        if not held:
            lease = self._store.lease(_LEASE)
            if lease is not None and _dead_here(lease.holder):  # killed on this host: no need to wait it out
                log.info("stories_lease_taken_over", previous=lease.holder)
                held = self._store.take_lease(_LEASE, self._holder, self._lease_seconds, replacing=lease.holder)
        if held and not self._holding:
            self._clusterer = None
            self._caught_up = False
            self._unsaved = 0
        self._holding = held
        return held

    def _writer(self) -> tuple[str, float, int]:
        return (self._holder, self._lease_seconds, self._last_article_id)

    def _assign_stored(self) -> list[StoryLink]:
        """Assign, in id order, every stored article after the last one seen (the holder only)."""
        self._loaded()
        links: list[StoryLink] = []
        try:
            if not self._caught_up:
                links.extend(self._catch_up())
            while batch := self._ready(self._store.articles_after(self._last_article_id, limit=_WORK_BATCH)):
                links.extend(self._assign(batch))
        except LeaseLostError as exc:
            # This process stalled past its lease and another took over: its state is stale.
            log.warning("stories_lease_lost", error=str(exc))
            self._holding, self._clusterer = False, None
        return links

    def _loaded(self) -> StoryClusterer:
        if self._clusterer is None:
            saved = self._store.load_cluster_state()
            clusterer = None
            self._last_article_id = 0
            if saved is not None:
                try:
                    clusterer = StoryClusterer.restore(saved[1], id_factory=self._new_story_id)
                    self._last_article_id = saved[0]
                except InputError as exc:
                    # An unreadable checkpoint (another version wrote it): start again from the
                    # articles; their stories are assigned afresh.
                    log.warning("cluster_checkpoint_unreadable", error=str(exc))
            if clusterer is None:
                clusterer = (self._custom_clusterer() if self._custom_clusterer is not None
                             else StoryClusterer(self._settings, id_factory=self._new_story_id))
            self._clusterer = clusterer
        return self._clusterer

    def _new_story_id(self) -> int:
        """A new story's id: from the store's counter, so processes sharing a store never collide.

        When replaying an article that already had a story (after a crash or a lost
        checkpoint), the story it started keeps its id, so links and bookmarks stay valid.
        """
        hint, self._hint = self._hint, None
        clusterer = self._clusterer
        if hint is not None and clusterer is not None and hint not in clusterer and hint not in clusterer.redirects:
            return hint
        if not self._ids:
            first = self._store.allocate_ids("stories", _ID_BLOCK)
            self._ids = range(first, first + _ID_BLOCK)
        story_id, self._ids = self._ids[0], self._ids[1:]
        return story_id

    def _catch_up(self) -> list[StoryLink]:
        links: list[StoryLink] = []
        # The articles after the checkpoint, assigned or not: the replay rebuilds the state.
        while batch := self._ready(self._store.articles_after(self._last_article_id, limit=_CATCH_UP_BATCH)):
            links.extend(self._assign(batch))
        # Older articles never assigned (stored before stories existed, or while a crash loomed).
        after = 0
        while batch := self._ready(self._store.unassigned_articles(after_id=after, limit=_CATCH_UP_BATCH)):
            after = batch[-1].id
            links.extend(self._assign(batch))
        self._caught_up = True
        if links:
            log.info("stories_caught_up", articles=len(links))
        return links

    def _ready(self, batch: list[StoredArticle]) -> list[StoredArticle]:
        """The articles of ``batch`` whose copies are known (shared: those the copies stage matched)."""
        if not self._shared or not batch:
            return batch
        lease = self._store.lease("copies")
        matched = lease.progress if lease is not None else 0
        return [a for a in batch if a.id <= matched]

    def _embed_here(self, new: Sequence[NewArticle]) -> None:
        """Embed this process's new originals into the store's cache (the writer, maybe elsewhere, reads them)."""
        copies = self._store.copied_from([n.article_id for n in new])
        texts = [embedding_text(n.article.title, n.article.text) for n in new if n.article_id not in copies]
        if not texts:
            return
        try:
            self.embedder.embed(texts)
        except StorylineError as exc:  # the writer tries again, and goes on without if it must
            log.warning("embedding_failed", articles=len(texts), error=str(exc))

    def _assign(self, batch: Sequence[StoredArticle]) -> list[StoryLink]:
        assert self._clusterer is not None
        copies = self._store.copied_from([a.id for a in batch])
        had = self._store.stories_of([a.id for a in batch])  # a replay keeps story ids (``_new_story_id``)
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
            self._hint = had.get(article.id)
            assignment = self._clusterer.add(ClusterInput(
                str(article.id), article.title, article.text, vector,
                published=article.published, received=article.created_at,
            ))
            self._hint = None
            story_of[article.id] = assignment.story_id
            links.append(StoryLink(article.id, assignment.story_id, assignment.score))
            merges.extend((old, assignment.story_id) for old in assignment.merged_from)
            self.merges += len(assignment.merged_from)
            # Related stories come nearest first; the score records that order.
            related[assignment.story_id] = [(r, 1.0 / (1 + rank)) for rank, r in enumerate(assignment.related)]
        last = max([self._last_article_id, *(a.id for a in batch)])
        self._store.save_story_links(_resolved(links, merges), merges=merges, related=related,
                                     writer=(self._holder, self._lease_seconds, last))
        self._last_article_id = last
        self._unsaved += len(batch)
        now = _now()
        metrics.ARTICLES.labels(stage="stories").inc(len(batch))
        for article in batch:
            if article.id not in had:  # a first assignment, not a replay
                metrics.ASSIGNMENT_SECONDS.observe(max((now - article.created_at).total_seconds(), 0.0))
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


def _now() -> datetime:
    return datetime.now(UTC)


def _dead_here(holder: str) -> bool:
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
