"""Online story assignment: each article joins an active story or starts one, in arrival order.

``StoryClusterer.add`` runs, per article:

1. Time: the article's day (publication time; a time later than its arrival is not believed)
   and the stream clock (arrival time when given, else publication time, advanced at most
   ``max_clock_step_days`` per article so one mis-dated article cannot age every story out).
2. Eviction: stories untouched for ``window_days`` of clock, or beyond ``max_active``, leave
   the index and the table (the caller keeps them in its store; they are closed).
3. Evidence: words, title words, names, numbers (``features.article_evidence``).
4. Candidates: the ``candidates`` nearest active stories by embedding (``index.StoryIndex``).
5. Decision: the logistic model (``model``) scores every candidate; the article joins the
   most probable one when its probability reaches ``join_threshold``, else starts a story.
6. Merge: another candidate the article also matched is folded into the joined story when
   the two stories, compared as wholes, reach ``merge_threshold``: the larger (then older)
   story survives and ``Assignment.merged_from`` tells the caller to redirect the other.
7. Related: the best remaining candidates, close in meaning but not the same story.

Deterministic: the same articles in the same order give the same assignments, and a
clusterer restored from ``snapshot()`` continues exactly as the original would have.
"""

from __future__ import annotations

import heapq
import io
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np

from storyline.cluster.features import (
    ArticleEvidence,
    ArticleTokens,
    SparseVector,
    TermStatistics,
    article_tokens,
    weigh,
)
from storyline.cluster.index import StoryIndex
from storyline.cluster.model import FEATURES, WEIGHTS, join_probability, pair_features
from storyline.cluster.story import CHANNELS, StoryTable
from storyline.errors import InputError

__all__ = ["Assignment", "ClusterInput", "ClusterSettings", "StoryClusterer"]

_SNAPSHOT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ClusterInput:
    """One article as the cluster stage needs it (duplicates already folded away)."""

    article_id: str
    title: str
    text: str
    embedding: np.ndarray | None  # float32 (dim,), any norm; None when the embedder gave nothing
    published: datetime | None = None
    received: datetime | None = None  # when Storyline got it; the clock of a live stream
    # ``article_tokens(title, text, max_chars=settings.max_chars)`` computed ahead (in another
    # process, say); None to have ``add`` compute it.
    tokens: ArticleTokens | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where an article went.

    ``score`` is the join probability of the best candidate story (0.0 when there was none):
    at or above the join threshold when the article joined it, below when it started a story.
    ``merged_from`` lists stories folded into ``story_id`` by this assignment: their URLs
    should redirect to ``story_id`` and their articles now belong to it.
    """

    story_id: int
    is_new: bool
    score: float
    related: tuple[int, ...] = ()
    merged_from: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """Knobs of the clusterer; the defaults are the tuned ones (see ``model``)."""

    dim: int = 384
    window_days: float = 30.0
    candidates: int = 10
    join_threshold: float = 0.3
    # Joining needs evidence, not only the absence of a clash: the embedding cosine to the story
    # (or, for an article without an embedding, the body word cosine) must reach this. The model
    # was fitted on corpora whose candidates all share a topic; in a live stream most candidates
    # are unrelated, and a short article with no names or numbers would otherwise join one.
    min_similarity: float = 0.3
    merge_threshold: float = 0.95
    related_min_similarity: float = 0.45
    related_count: int = 5
    max_active: int = 2_000_000
    max_chars: int = 20_000
    max_future_days: float = 1.0
    max_clock_step_days: float = 2.0
    limits: dict[str, int] = field(default_factory=lambda: {"body": 64, "title": 24, "names": 32, "numbers": 16})
    weights: tuple[float, ...] = tuple(WEIGHTS.tolist())


def _day(moment: datetime | None) -> float:
    if moment is None:
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() / 86_400.0


class StoryClusterer:
    """Active stories of a time window, and the assignment of new articles to them.

    Not thread-safe: one assigner at a time (the caller serialises, e.g. by a lock per window).
    """

    def __init__(self, settings: ClusterSettings | None = None, *, next_id: int = 1,
                 id_factory: Callable[[], int] | None = None) -> None:
        self.settings = settings or ClusterSettings()
        self._weights = np.array(self.settings.weights, np.float64)
        self._limits = tuple(self.settings.limits[c] for c in CHANNELS)
        self._next_id = next_id
        self._id_factory = id_factory
        self._stats = TermStatistics()
        self._table = StoryTable(self.settings.dim, self.settings.limits)
        self._index = StoryIndex(self.settings.dim)
        self._clock = math.nan
        self._clock_origin = math.nan
        self._touched: dict[int, tuple[float, int]] = {}  # story id -> (clock, sequence) of last change
        self._expiry: list[tuple[float, int, int]] = []  # heap of (clock, sequence, story id), lazily stale
        self._sequence = 0
        self.redirects: dict[int, int] = {}  # merged story id -> story id it was folded into

    # --- public ---------------------------------------------------------------------------
    def __len__(self) -> int:
        """Active stories."""
        return len(self._table)

    def __contains__(self, story_id: int) -> bool:
        return story_id in self._table

    def resolve(self, story_id: int) -> int:
        """The story an id now stands for, following merges made by this clusterer."""
        while story_id in self.redirects:
            story_id = self.redirects[story_id]
        return story_id

    def add(self, article: ClusterInput) -> Assignment:
        """Assign one article to a story (see the module docstring for the steps)."""
        embedding = self._unit(article)
        day = self._advance_clock(article)
        self._evict()
        tokens = article.tokens or article_tokens(article.title or "", article.text or "",
                                                  max_chars=self.settings.max_chars)
        evidence = weigh(tokens, day, self._stats, self._limits)
        candidates = self._index.nearest(embedding, self.settings.candidates)
        features = np.zeros((0, len(FEATURES)))
        if candidates:
            features = pair_features(embedding, _channels(evidence), day, day, self._table.gather(candidates))
        probabilities = join_probability(features, self._weights)
        similarity = features[:, 1]
        evidence_column = features[:, 1] if embedding.any() else features[:, 2]
        probabilities = np.where(evidence_column >= self.settings.min_similarity, probabilities, 0.0)
        chosen, score = self._choose(article, evidence, candidates, probabilities, features)
        if chosen is not None:
            story_id, is_new = chosen, False
        else:
            story_id, is_new = self._new_id(), True
            self._table.create(story_id)
        self._table.add_article(story_id, embedding, evidence)
        merged = self._merge_converging(story_id, candidates, probabilities) if not is_new else []
        story_id = self.resolve(story_id)
        self._touch(story_id)
        count = self._table.count(story_id)
        if self._index.due(story_id, count):
            self._index.put(story_id, self._table.centroid(story_id), count)
        related = self._related(story_id, candidates, probabilities, similarity, merged)
        return Assignment(story_id, is_new, round(score, 6), related, tuple(merged))

    # --- steps ----------------------------------------------------------------------------
    def _choose(self, article: ClusterInput, evidence: ArticleEvidence, candidates: list[int],
                probabilities: np.ndarray, features: np.ndarray) -> tuple[int | None, float]:
        """(story to join or None for a new one, best probability). Model fitting overrides it."""
        if not candidates:
            return None, 0.0
        best = int(np.argmax(probabilities))  # the first of equals: candidates come nearest first
        score = float(probabilities[best])
        return (candidates[best] if score >= self.settings.join_threshold else None), score

    def _unit(self, article: ClusterInput) -> np.ndarray:
        """The article's embedding at unit norm; zeros when missing or unusable."""
        dim = self.settings.dim
        if article.embedding is None:
            return np.zeros(dim, np.float32)
        vector = np.asarray(article.embedding, np.float32).reshape(-1)
        if vector.shape != (dim,):
            raise InputError(article.article_id, f"embedding has {vector.size} values, the clusterer expects {dim}",
                             hint="Embed with the model the clusterer was set up for.")
        norm = float(np.linalg.norm(vector))
        if not math.isfinite(norm) or norm == 0:
            return np.zeros(dim, np.float32)
        return vector / norm

    def _advance_clock(self, article: ClusterInput) -> float:
        """Move the stream clock; return the article's day for time evidence (NaN if unknown)."""
        day, received = _day(article.published), _day(article.received)
        s = self.settings
        if not math.isnan(received):
            if not math.isnan(day) and day > received + s.max_future_days:
                day = math.nan  # published "in the future": a wrong date, not evidence
            if math.isnan(day):
                day = received
            self._clock = received if math.isnan(self._clock) else max(self._clock, received)
        elif not math.isnan(day):
            # No arrival time: publication time drives the clock, but a step at a time.
            step = min(day, self._clock + s.max_clock_step_days)
            self._clock = day if math.isnan(self._clock) else max(self._clock, step)
        if math.isnan(self._clock_origin) and not math.isnan(self._clock):
            self._clock_origin = self._clock
        return day

    def _new_id(self) -> int:
        if self._id_factory is not None:
            return int(self._id_factory())
        story_id = self._next_id
        self._next_id += 1
        return story_id

    def _touch(self, story_id: int) -> None:
        self._sequence += 1
        stamp = (-math.inf if math.isnan(self._clock) else self._clock, self._sequence)
        self._touched[story_id] = stamp
        heapq.heappush(self._expiry, (*stamp, story_id))
        if len(self._expiry) > 4 * len(self._touched) + 1024:
            # Drop stale entries now and then, so the heap stays proportional to the stories.
            self._expiry = [(*t, s) for s, t in self._touched.items()]
            heapq.heapify(self._expiry)

    def _evict(self) -> None:
        """Close stories older than the window, and the oldest beyond ``max_active``."""
        horizon = self._clock - self.settings.window_days
        while self._expiry:
            clock, sequence, story_id = self._expiry[0]
            if self._touched.get(story_id) != (clock, sequence):
                heapq.heappop(self._expiry)
                continue
            # Stories touched before the first dated article count as touched at that date.
            effective = clock if math.isnan(self._clock_origin) else max(clock, self._clock_origin)
            expired = not math.isnan(horizon) and effective < horizon
            # Room for one more: the article being assigned may start a story.
            if not expired and len(self._touched) < self.settings.max_active:
                break
            heapq.heappop(self._expiry)
            self._forget(story_id)

    def _forget(self, story_id: int) -> None:
        del self._touched[story_id]
        self._table.remove(story_id)
        self._index.remove(story_id)

    def _merge_converging(self, story_id: int, candidates: list[int], probabilities: np.ndarray) -> list[int]:
        """Fold into ``story_id`` the other candidates the article matched whose stories now agree."""
        s = self.settings
        others = [c for c, p in zip(candidates, probabilities.tolist(), strict=True)
                  if c != story_id and p >= s.join_threshold]
        merged: list[int] = []
        for other in others:
            survivor_now = self.resolve(story_id)
            if other not in self._table or other == survivor_now:
                continue
            if self._story_probability(survivor_now, other) < s.merge_threshold:
                continue
            survivor, absorbed = self._survivor(survivor_now, other)
            self._table.absorb(survivor, absorbed)
            self._index.remove(absorbed)
            del self._touched[absorbed]
            self.redirects[absorbed] = survivor
            merged.append(absorbed)
        return merged

    def _survivor(self, a: int, b: int) -> tuple[int, int]:
        """(survivor, absorbed): the story with more articles keeps its id; on a tie the older."""
        count_a, count_b = self._table.count(a), self._table.count(b)
        if count_a > count_b or (count_a == count_b and a < b):
            return a, b
        return b, a

    def _story_probability(self, story_id: int, other: int) -> float:
        """The model's probability for two stories compared as wholes."""
        channels = {c: _unit_sparse(self._table.channel(story_id, c)) for c in CHANNELS}
        first, last = self._table.days(story_id)
        features = pair_features(self._table.centroid(story_id), channels, first, last, self._table.gather([other]))
        return float(join_probability(features, self._weights)[0])

    def _related(self, story_id: int, candidates: list[int], probabilities: np.ndarray, similarity: np.ndarray,
                 merged: list[int]) -> tuple[int, ...]:
        s = self.settings
        ranked = sorted(
            (-p, c) for c, p, sim in zip(candidates, probabilities.tolist(), similarity.tolist(), strict=True)
            if sim >= s.related_min_similarity and c not in merged and c in self._table
            and self.resolve(c) != story_id
        )
        return tuple(c for _, c in ranked[: s.related_count])

    # --- persistence ----------------------------------------------------------------------
    def snapshot(self) -> bytes:
        """Everything needed to continue later: active stories, word statistics, the ANN graph."""
        arrays = self._table.export()
        touched = sorted(self._touched.items())
        meta = {
            "version": _SNAPSHOT_VERSION,
            "settings": asdict(self.settings),
            "next_id": self._next_id,
            "clock": self._clock,
            "clock_origin": self._clock_origin,
            "sequence": self._sequence,
            "documents": self._stats.documents,
            "stats_bits": self._stats.bits,
            "redirects": sorted(self.redirects.items()),
            "indexed_counts": sorted(self._index.counts().items()),
            "touched": [(s, c, q) for s, (c, q) in touched],
        }
        nonzero = np.flatnonzero(self._stats.counts)
        arrays["df_slots"] = nonzero.astype(np.uint32)
        arrays["df_counts"] = self._stats.counts[nonzero]
        arrays["ann"] = np.frombuffer(self._index.to_bytes(), np.uint8)
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def restore(cls, data: bytes, *, id_factory: Callable[[], int] | None = None) -> StoryClusterer:
        """A clusterer in the state ``snapshot()`` saved."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as loaded:
                arrays = {name: loaded[name] for name in loaded.files}
            meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        except (ValueError, OSError, KeyError, UnicodeDecodeError) as exc:
            raise InputError("cluster snapshot", f"cannot be read ({exc})",
                             hint="Start from an empty clusterer or a snapshot this version wrote.") from exc
        if meta.get("version") != _SNAPSHOT_VERSION:
            raise InputError("cluster snapshot", f"version {meta.get('version')} is not {_SNAPSHOT_VERSION}")
        settings_fields = dict(meta["settings"])
        settings_fields["weights"] = tuple(settings_fields["weights"])
        clusterer = cls(ClusterSettings(**settings_fields), next_id=meta["next_id"], id_factory=id_factory)
        clusterer._stats = TermStatistics(meta["stats_bits"])
        clusterer._stats.documents = meta["documents"]
        clusterer._stats.counts[arrays.pop("df_slots")] = arrays.pop("df_counts")
        clusterer._index = StoryIndex.from_bytes(clusterer.settings.dim, arrays.pop("ann").tobytes(),
                                                 {int(k): int(v) for k, v in meta["indexed_counts"]})
        clusterer._table = StoryTable.from_export(arrays, clusterer.settings.limits)
        clusterer._clock, clusterer._clock_origin = meta["clock"], meta["clock_origin"]
        clusterer._sequence = meta["sequence"]
        clusterer.redirects = {int(k): int(v) for k, v in meta["redirects"]}
        clusterer._touched = {int(s): (float(c), int(q)) for s, c, q in meta["touched"]}
        clusterer._expiry = [(c, q, s) for s, (c, q) in clusterer._touched.items()]
        heapq.heapify(clusterer._expiry)
        return clusterer


def _channels(evidence: ArticleEvidence) -> dict[str, SparseVector]:
    return {c: getattr(evidence, c) for c in CHANNELS}


def _unit_sparse(vector: SparseVector) -> SparseVector:
    norm = float(np.sqrt(np.dot(vector.weights, vector.weights)))
    return SparseVector(vector.keys, vector.weights / norm) if norm > 0 else vector
