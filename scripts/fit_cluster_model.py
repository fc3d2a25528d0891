"""Fit the story-assignment model (``storyline.cluster.model.WEIGHTS``) and report thresholds.

Training pairs come from streaming the tuning corpora exactly as the quality gate does
(``storyline.evaluate.clustering``), but with every article put into its gold story: each
article's candidate stories (by embedding) give one feature row each, labelled 1 for its
gold story. A logistic regression (Newton's method, a little L2) fits the weights; then the
join threshold is scanned by real streaming runs, scored by B-cubed F1.

Tuning corpora only: ECB+ train and dev, GVC train+dev. The ECB+ test split is the gate and is
never read here.

    .venv/bin/python scripts/fit_cluster_model.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from storyline.cluster import ClusterInput, ClusterSettings, StoryClusterer
from storyline.cluster.features import ArticleEvidence
from storyline.cluster.model import FEATURES
from storyline.evaluate.clustering import LabelledArticle, archive_settings, load_ecbplus, load_gvc, run_clustering
from storyline.types import Article

DATA = Path(__file__).resolve().parents[1] / "data" / "corpora" / "clustering"


class GoldFollower(StoryClusterer):
    """A clusterer that records candidate features and then puts each article in its gold story."""

    def __init__(self, gold_of: dict[str, str], settings: ClusterSettings) -> None:
        super().__init__(settings)
        self.gold_of = gold_of
        self.story_of_gold: dict[str, int] = {}
        self.rows: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.missed = self.found = 0

    def _choose(self, article: ClusterInput, evidence: ArticleEvidence, candidates: list[int],
                probabilities: np.ndarray, features: np.ndarray) -> tuple[int | None, float]:
        target = self.story_of_gold.get(self.gold_of[article.article_id])
        if target is not None and target not in self:
            target = None  # evicted by the window: the article starts a story in a live run too
        if candidates:
            self.rows.append(features)
            self.labels.append(np.array([c == target for c in candidates]))
        if target is not None:
            self.found += target in candidates
            self.missed += target not in candidates
        return target, 0.0

    def _merge_converging(self, story_id: int, candidates: list[int], probabilities: np.ndarray) -> list[int]:
        return []

    def add(self, article: ClusterInput):
        assignment = super().add(article)
        self.story_of_gold[self.gold_of[article.article_id]] = assignment.story_id
        return assignment


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, weights: np.ndarray | None = None) -> np.ndarray:
    """Logistic regression by Newton's method; the bias (column 0) is not penalised."""
    w = np.zeros(x.shape[1])
    sample = np.ones(len(y)) if weights is None else weights
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        gradient = x.T @ (sample * (p - y)) + penalty * w
        hessian = (x * (sample * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def cached_embedder(cache: Path | None):
    """The project embedder, with vectors cached by content hash under ``cache`` when given."""
    from storyline.embed import OnnxEmbedder, embedding_text

    embedder = OnnxEmbedder()
    store: dict[str, np.ndarray] = {}
    path = cache / "embeddings.npz" if cache else None
    if path and path.is_file():
        with np.load(path) as loaded:
            store = {k: loaded[k] for k in loaded.files}

    def embed(articles: Sequence[Article]) -> np.ndarray:
        keys = [hashlib.sha1((a.title + "\n" + a.text).encode()).hexdigest() for a in articles]
        missing = [i for i, k in enumerate(keys) if k not in store]
        if missing:
            vectors = embedder.embed([embedding_text(articles[i].title, articles[i].text) for i in missing])
            store.update({keys[i]: v for i, v in zip(missing, vectors, strict=True)})
            if path:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(path, **store)
        return np.stack([store[k] for k in keys])

    return embed


def training_pairs(corpora: dict[str, list[LabelledArticle]], embed, settings: ClusterSettings):
    """Stacked feature rows and labels from gold-following runs over ``corpora``, with candidate recall."""
    xs, ys, groups = [], [], []
    for name, articles in corpora.items():
        follower = GoldFollower({a.doc_id: a.gold for a in articles}, settings)
        run_clustering(articles, embed, settings, clusterer=follower)
        x, y = np.concatenate(follower.rows), np.concatenate(follower.labels).astype(float)
        print(f"{name}: {len(y)} pairs, {int(y.sum())} positive; gold story among candidates "
              f"{follower.found}/{follower.found + follower.missed}", file=sys.stderr)
        xs.append(x)
        ys.append(y)
        groups.append(np.full(len(y), len(groups)))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached embeddings")
    args = parser.parse_args()
    embed = cached_embedder(args.cache)
    ecb = load_ecbplus(DATA / "ecbplus.jsonl", {"train", "dev"})  # never "test"
    corpora = {"ecb-train": [a for a in ecb if a.split == "train"], "ecb-dev": [a for a in ecb if a.split == "dev"],
               "gvc": load_gvc(DATA / "gvc-train-dev.jsonl")}
    settings = archive_settings()
    x, y, groups = training_pairs(corpora, embed, settings)
    # Each corpus weighs the same, whatever its number of pairs.
    sample = np.array([len(y) / (3 * (groups == g).sum()) for g in groups])
    w = fit_logistic(x, y, weights=sample)
    print("WEIGHTS = np.array([" + ", ".join(f"{v:.4f}" for v in w) + "], np.float64)")
    print("  # " + ", ".join(FEATURES))
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6):
        tuned = replace(settings, weights=tuple(w.tolist()), join_threshold=threshold)
        scores = {name: run_clustering(arts, embed, tuned).scores.bcubed.f1 for name, arts in corpora.items()}
        print(f"join_threshold={threshold}: " + " ".join(f"{k}={v:.4f}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
