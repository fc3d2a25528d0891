"""The join decision: evidence features of an (article, story) pair and a logistic model over them.

Features, one row per candidate story (``pair_features``):

- ``embedding``: cosine of the article's embedding and the story's centroid (body meaning);
- ``body``, ``title``: cosine of TF-IDF word vectors (what words the text and headline use);
- ``names``: cosine of IDF-weighted names (people, organisations, places), the share of the
  article's and of the story's name weight the other side covers (``_mine``, ``_theirs``), and a
  clash: each side's heaviest name missing from the other (look-alike events differ there);
- ``numbers``: the same over numbers (death tolls, magnitudes, ages, years);
- ``gap``: log(1 + days) between the article and the story's dated span, 0 when either is
  undated, and ``undated`` saying so;
- ``size``: log of the story's article count (big stories attract loose matches).

The weights were fitted by logistic regression on (article, candidate) pairs from streaming
the fit parts of the labelled sets through ingest's stages (as an import runs them) with gold stories
(``scripts/fit_cluster_model.py``): ECB+ train and dev, and the fit incidents of GVC and of the
gun-violence pool (``storyline.evaluate.splits``), each of the four weighing the same; the join
threshold and the similarity gate (``ClusterSettings``) were then chosen on those same parts, by
the mean B-cubed F1 of real runs (join 0.3, similarity 0.3). ``undated`` weighs 0: through ingest
every article has a day (its arrival when it has no date). Never on a gate
part: ECB+ test topics 36-45 and the GVC and pool gate incidents are only scored.
"""

from __future__ import annotations

import math

import numpy as np

from storyline.cluster.features import SparseVector
from storyline.cluster.story import CHANNELS, Candidates

__all__ = ["FEATURES", "WEIGHTS", "join_probability", "pair_features"]

_COVERAGE = ("names", "numbers")
FEATURES = ("bias", "embedding", "body", "title", "names", "names_mine", "names_theirs", "names_clash",
            "numbers", "numbers_mine", "numbers_theirs", "numbers_clash", "gap", "undated", "size")

_COLUMN = {"body": 2, "title": 3, "names": 4, "numbers": 8}  # first column of each channel's features
_GAP = 12

# Fitted by scripts/fit_cluster_model.py (see the module docstring); same order as FEATURES.
WEIGHTS = np.array([-3.017, 2.144, 1.945, 0.399, 1.774, 1.855, 3.475, -1.658, 2.203, 0.341, 0.757, -1.449, -0.428,
                    0.0, -0.738], np.float64)


def pair_features(
    embedding: np.ndarray, channels: dict[str, SparseVector], first_day: float, last_day: float, stories: Candidates,
) -> np.ndarray:
    """The (n, len(FEATURES)) feature rows of a query (an article, or a story) against ``stories``.

    ``embedding`` and every channel vector of the query are unit norm (or zero / empty).
    Channel keys never collide across channels (``features.weigh``), so all channels are
    matched in one pass over the stories' side-by-side key columns.
    """
    n = len(stories.story_ids)
    out = np.zeros((n, len(FEATURES)), np.float64)
    out[:, 0] = 1.0
    norms = np.linalg.norm(stories.centroids, axis=1)
    dots = stories.centroids @ embedding
    out[:, 1] = np.divide(dots, norms, out=np.zeros(n, np.float32), where=norms > 0)
    _channel_features(channels, stories, out)
    if math.isnan(first_day):
        undated = np.ones(n, bool)
        gap = np.zeros(n)
    else:
        undated = np.isnan(stories.first_day)
        # fmax ignores NaN: an undated story has no gap (0), flagged by ``undated``.
        gap = np.fmax(np.fmax(stories.first_day - last_day, first_day - stories.last_day), 0.0)
    out[:, _GAP] = np.log1p(gap)
    out[:, _GAP + 1] = undated
    out[:, _GAP + 2] = np.log(np.maximum(stories.counts, 1))
    return out


def _channel_features(channels: dict[str, SparseVector], stories: Candidates, out: np.ndarray) -> None:
    """Per channel: cosine; for names and numbers also the share of each side's squared weight
    the other covers, and the clash of their heaviest keys. Written into ``out``."""
    present = [channels[c] for c in CHANNELS if len(channels[c])]
    if not present:
        return
    query_keys = np.concatenate([v.keys for v in present])
    query_weights = np.concatenate([v.weights for v in present])
    order = np.argsort(query_keys, kind="stable")
    query_keys, query_weights = query_keys[order], query_weights[order]
    keys, story = stories.keys, stories.weights
    position = np.minimum(np.searchsorted(query_keys, keys), len(query_keys) - 1)
    hit = (query_keys[position] == keys) & (story > 0)
    mine = query_weights[position] * hit
    starts = [stories.spans[c].start for c in CHANNELS]
    squares = np.add.reduceat(story * story, starts, axis=1)
    dots = np.add.reduceat(story * mine, starts, axis=1)
    covered_story = np.add.reduceat(story * story * hit, starts, axis=1)
    covered_query = np.add.reduceat(mine * mine, starts, axis=1)
    norms = np.sqrt(squares)
    cosine = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    rows = np.arange(len(keys))
    for i, channel in enumerate(CHANNELS):
        column = _COLUMN[channel]
        out[:, column] = cosine[:, i]
        if channel not in _COVERAGE:
            continue
        out[:, column + 1] = covered_query[:, i]
        out[:, column + 2] = np.divide(covered_story[:, i], squares[:, i], out=np.zeros(len(keys), np.float32),
                                       where=squares[:, i] > 0)
        query = channels[channel]
        if not len(query):
            continue
        # A clash: each side's heaviest key is missing from the other ("23 pirates" vs "26
        # pirates", "INS Mysore" vs "INS Sukanya"): look-alike events differ in their main
        # name or figure.
        span = stories.spans[channel]
        heaviest = np.argmax(story[:, span], axis=1) + span.start
        query_top = query.keys[int(np.argmax(query.weights))]
        query_top_shared = (keys[:, span] == query_top).any(axis=1)
        out[:, column + 3] = (squares[:, i] > 0) & ~hit[rows, heaviest] & ~query_top_shared


def join_probability(features: np.ndarray, weights: np.ndarray = WEIGHTS) -> np.ndarray:
    """The model's probability that each row's article belongs to that row's story."""
    return 1.0 / (1.0 + np.exp(-np.clip(features @ weights, -50, 50)))
