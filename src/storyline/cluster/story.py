"""Incremental story representations, one row per active story, kept in numpy blocks.

A story holds the sum of its articles' embeddings (its centroid, up to scale), the sums of
their sparse channel vectors truncated to the heaviest keys, its first and last dated day
and its article count. Adding an article or merging a story is a sum, so nothing is ever
recomputed from the articles. Rows live in fixed-size blocks: growing never copies what is
there (no doubling spike in memory or latency), and a freed row is reused.

Memory per story with the default sizes: 1,536 bytes of centroid, (64 + 24 + 32 + 16) keys
and weights at 8 bytes, a few scalars: about 2.7 KB, plus its usearch node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storyline.cluster.features import ArticleEvidence, SparseVector

__all__ = ["CHANNELS", "Candidates", "StoryTable"]

CHANNELS = ("body", "title", "names", "numbers")
_BLOCK = 4096


@dataclass(frozen=True, slots=True)
class Candidates:
    """Gathered rows of some stories, ready to be scored against one article."""

    story_ids: np.ndarray  # int64
    centroids: np.ndarray  # float32 (n, dim), sums of unit vectors
    keys: np.ndarray  # uint32 (n, width): every channel's keys side by side, at ``spans``
    weights: np.ndarray  # float32 (n, width), 0 in unused slots
    spans: dict[str, slice]  # channel -> its columns
    counts: np.ndarray  # int64
    first_day: np.ndarray  # float64, NaN when no article of the story is dated
    last_day: np.ndarray


class StoryTable:
    """Rows of active stories by story id. Not thread-safe.

    A row holds the centroid (float32, ``dim``), then all channels' keys side by side in one
    uint32 array and their weights in one float32 array (``body`` first, ``limits`` wide each),
    and (count, first day, last day): gathering candidates is four stacks, not one per channel.
    """

    def __init__(self, dim: int, limits: dict[str, int]) -> None:
        self.dim = dim
        self.limits = dict(limits)
        self._span: dict[str, slice] = {}
        at = 0
        for channel in CHANNELS:
            self._span[channel] = slice(at, at + self.limits[channel])
            at += self.limits[channel]
        self._width = at
        # Per column: its channel's number, the channel's first column, the channel's width.
        self._column_channel = np.repeat(np.arange(len(CHANNELS)), [self.limits[c] for c in CHANNELS])
        self._channel_start = np.array([self._span[c].start for c in CHANNELS])
        self._channel_width = np.array([self.limits[c] for c in CHANNELS])
        self._row_of: dict[int, int] = {}
        self._free: list[int] = []
        self._rows = 0  # rows handed out so far (used or freed)
        self._centroid: list[np.ndarray] = []
        self._keys: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []
        self._scalars: list[np.ndarray] = []  # per row: count, first_day, last_day

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, story_id: int) -> bool:
        return story_id in self._row_of

    def ids(self) -> list[int]:
        """Active story ids in ascending order."""
        return sorted(self._row_of)

    # --- rows -----------------------------------------------------------------------------
    def _new_row(self) -> int:
        if self._free:
            return self._free.pop()
        row = self._rows
        if row % _BLOCK == 0:
            self._centroid.append(np.zeros((_BLOCK, self.dim), np.float32))
            self._keys.append(np.zeros((_BLOCK, self._width), np.uint32))
            self._weights.append(np.zeros((_BLOCK, self._width), np.float32))
            scalars = np.zeros((_BLOCK, 3), np.float64)
            scalars[:, 1:] = np.nan
            self._scalars.append(scalars)
        self._rows += 1
        return row

    def _where(self, story_id: int) -> tuple[int, int]:
        return divmod(self._row_of[story_id], _BLOCK)

    # --- reading --------------------------------------------------------------------------
    def centroid(self, story_id: int) -> np.ndarray:
        """The story's mean direction, unit norm (zeros when its articles had no embedding)."""
        block, at = self._where(story_id)
        vector = self._centroid[block][at]
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector.copy()

    def count(self, story_id: int) -> int:
        block, at = self._where(story_id)
        return int(self._scalars[block][at, 0])

    def days(self, story_id: int) -> tuple[float, float]:
        block, at = self._where(story_id)
        return float(self._scalars[block][at, 1]), float(self._scalars[block][at, 2])

    def channel(self, story_id: int, channel: str) -> SparseVector:
        """The story's summed vector of ``channel``, sorted by key, zero slots dropped."""
        block, at = self._where(story_id)
        span = self._span[channel]
        keys, weights = self._keys[block][at, span], self._weights[block][at, span]
        used = weights > 0
        order = np.argsort(keys[used], kind="stable")
        return SparseVector(keys[used][order], weights[used][order])

    def gather(self, story_ids: list[int]) -> Candidates:
        """The rows of ``story_ids`` (all active) stacked for scoring."""
        places = [self._where(s) for s in story_ids]
        keys = np.stack([self._keys[b][a] for b, a in places])
        weights = np.stack([self._weights[b][a] for b, a in places])
        scalars = np.stack([self._scalars[b][a] for b, a in places])
        return Candidates(
            story_ids=np.array(story_ids, np.int64),
            centroids=np.stack([self._centroid[b][a] for b, a in places]),
            keys=keys,
            weights=weights,
            spans=self._span,
            counts=scalars[:, 0].astype(np.int64),
            first_day=scalars[:, 1],
            last_day=scalars[:, 2],
        )

    # --- writing --------------------------------------------------------------------------
    def create(self, story_id: int) -> None:
        """An empty row for a new story."""
        self._row_of[story_id] = self._new_row()

    def add_article(self, story_id: int, embedding: np.ndarray | None, evidence: ArticleEvidence) -> None:
        """Fold one article into the story's sums."""
        block, at = self._where(story_id)
        if embedding is not None:
            self._centroid[block][at] += embedding
        vectors = [getattr(evidence, c) for c in CHANNELS]
        self._accumulate(block, at, np.concatenate([v.keys for v in vectors]),
                         np.concatenate([v.weights for v in vectors]),
                         np.repeat(np.arange(len(CHANNELS)), [len(v) for v in vectors]))
        self._widen_days(block, at, evidence.day, evidence.day, 1)

    def absorb(self, survivor: int, merged: int) -> None:
        """Fold story ``merged`` into ``survivor`` and free its row."""
        block, at = self._where(survivor)
        other_block, other_at = self._where(merged)
        self._centroid[block][at] += self._centroid[other_block][other_at]
        keys, weights = self._keys[other_block][other_at], self._weights[other_block][other_at]
        used = weights > 0
        self._accumulate(block, at, keys[used], weights[used], self._column_channel[used])
        count, first, last = self._scalars[other_block][other_at]
        self._widen_days(block, at, first, last, int(count))
        self.remove(merged)

    def remove(self, story_id: int) -> None:
        """Forget a story (evicted or merged); its row is cleared and reused."""
        row = self._row_of.pop(story_id)
        block, at = divmod(row, _BLOCK)
        self._centroid[block][at] = 0
        self._keys[block][at] = 0
        self._weights[block][at] = 0
        self._scalars[block][at] = (0, np.nan, np.nan)
        self._free.append(row)

    def _widen_days(self, block: int, at: int, first: float, last: float, count: int) -> None:
        scalars = self._scalars[block][at]
        scalars[0] += count
        if not np.isnan(first):
            scalars[1] = first if np.isnan(scalars[1]) else min(scalars[1], first)
        if not np.isnan(last):
            scalars[2] = last if np.isnan(scalars[2]) else max(scalars[2], last)

    def _accumulate(self, block: int, at: int, keys: np.ndarray, weights: np.ndarray, channels: np.ndarray) -> None:
        """Add (keys, weights) of the given channels to the row; keep each channel's heaviest keys.

        All channels at once: keys never collide across channels, and within the row and within
        the addition each key is unique, so a key occurs at most twice.
        """
        if not len(keys):
            return
        row_keys, row_weights = self._keys[block][at], self._weights[block][at]
        used = row_weights > 0
        all_keys = np.concatenate([row_keys[used], keys])
        all_weights = np.concatenate([row_weights[used], weights])
        all_channels = np.concatenate([self._column_channel[used], channels])
        # Sort by key, add each pair's first weight into its second, drop the firsts.
        order = np.argsort(all_keys, kind="stable")
        all_keys, all_weights, all_channels = all_keys[order], all_weights[order], all_channels[order]
        twin = all_keys[1:] == all_keys[:-1]
        all_weights[1:][twin] += all_weights[:-1][twin]
        kept = np.ones(len(all_keys), bool)
        kept[:-1][twin] = False
        all_keys, all_weights, all_channels = all_keys[kept], all_weights[kept], all_channels[kept]
        # Per channel, heaviest first (ties by key), and the first ``limit`` kept in its columns.
        order = np.lexsort((all_keys, -all_weights, all_channels))
        all_keys, all_weights, all_channels = all_keys[order], all_weights[order], all_channels[order]
        first_of_channel = np.searchsorted(all_channels, all_channels, side="left")
        rank = np.arange(len(all_keys)) - first_of_channel
        fits = rank < self._channel_width[all_channels]
        columns = self._channel_start[all_channels[fits]] + rank[fits]
        row_keys[:] = 0
        row_weights[:] = 0
        row_keys[columns] = all_keys[fits]
        row_weights[columns] = all_weights[fits]

    # --- snapshot -------------------------------------------------------------------------
    def export(self) -> dict[str, np.ndarray]:
        """Every active story's row, in ascending story id order, as plain arrays."""
        ids = self.ids()
        places = [self._where(s) for s in ids]

        def rows(blocks: list[np.ndarray], width: int, dtype: type) -> np.ndarray:
            if not places:
                return np.zeros((0, width), dtype)
            return np.stack([blocks[b][a] for b, a in places])

        return {
            "story_ids": np.array(ids, np.int64),
            "centroids": rows(self._centroid, self.dim, np.float32),
            "keys": rows(self._keys, self._width, np.uint32),
            "weights": rows(self._weights, self._width, np.float32),
            "scalars": rows(self._scalars, 3, np.float64),
        }

    @classmethod
    def from_export(cls, arrays: dict[str, np.ndarray], limits: dict[str, int]) -> StoryTable:
        """A table holding the rows ``export`` gave."""
        table = cls(int(arrays["centroids"].shape[1]), limits)
        for i, story_id in enumerate(arrays["story_ids"].tolist()):
            table.create(story_id)
            block, at = table._where(story_id)
            table._centroid[block][at] = arrays["centroids"][i]
            table._keys[block][at] = arrays["keys"][i]
            table._weights[block][at] = arrays["weights"][i]
            table._scalars[block][at] = arrays["scalars"][i]
        return table
