"""Fit the story-assignment model (``storyline.cluster.model.WEIGHTS``) and scan its thresholds.

Training pairs come from streaming the fit corpora exactly as the quality gate does
(``storyline.evaluate.clustering``), but with every article put into its gold story: each
article's candidate stories (by embedding) give one feature row each, labelled 1 for its
gold story. A logistic regression (Newton's method, a little L2) fits the weights; then the
join threshold and the similarity gate are scanned by real streaming runs, scored by the
mean B-cubed F1 over the fit corpora.

Fit parts only (``storyline.evaluate.splits``): ECB+ train and dev, the GVC fit incidents and
the gun-violence pool's fit incidents. The gate parts (ECB+ test, GVC and pool gate incidents)
are read only by ``--score``, which streams them with given weights and thresholds and prints
their B-cubed scores; nothing is chosen from them.

    .venv/bin/python scripts/fit_cluster_model.py --cache /tmp/cluster-cache            # fit on all fit parts
    .venv/bin/python scripts/fit_cluster_model.py --cache C --fit-on ecbplus            # leave one corpus out
    .venv/bin/python scripts/fit_cluster_model.py --score [--weights=W,...]             # score the gate parts

The int8 embedder's vectors depend a little on the batch a text is embedded in (activation
scales are per batch), and ``--cache`` keeps each text's vector from the batch it was first
embedded in: a cached run can differ from the gates' runs by a few thousandths. Score the
gate parts without ``--cache`` (then each corpus is embedded in one batch by the project
embedder, as the gates do) to get the numbers the floors are pinned on.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from storyline.cluster import ClusterInput, ClusterSettings, StoryClusterer
from storyline.cluster.features import ArticleEvidence
from storyline.cluster.model import FEATURES
from storyline.evaluate.clustering import (
    LabelledArticle,
    load_ecbplus,
    load_gvc,
    project_embedder,
    run_clustering,
)
from storyline.evaluate.splits import Part, incident_split

DATA = Path(__file__).resolve().parents[1] / "data" / "corpora" / "clustering"


class GoldFollower(StoryClusterer):
    """A clusterer that records candidate features and then puts each article in its gold story."""

    def __init__(self, gold_of: dict[str, str], settings: ClusterSettings) -> None:
        super().__init__(settings)
        self.gold_by_doc = gold_of
        self.gold_of: dict[str, str] = {}  # by stored article id, as the stories stage names articles
        self.article_of: Mapping[str, int] = {}
        self.story_of_gold: dict[str, int] = {}
        self.rows: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.missed = self.found = 0

    def following(self, article_of: Mapping[str, int]) -> GoldFollower:
        """This clusterer, told which stored article each document became (filled as they are stored)."""
        self.article_of = article_of
        return self

    def _gold(self, article_id: str) -> str:
        if article_id not in self.gold_of:
            self.gold_of = {str(a): self.gold_by_doc[doc] for doc, a in self.article_of.items()}
        return self.gold_of[article_id]

    def _choose(self, article: ClusterInput, evidence: ArticleEvidence, candidates: list[int],
                probabilities: np.ndarray, features: np.ndarray) -> tuple[int | None, float]:
        target = self.story_of_gold.get(self._gold(article.article_id))
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
        self.story_of_gold[self._gold(article.article_id)] = assignment.story_id
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


class CachedEmbedder:
    """The project embedder, with vectors cached by text under ``cache`` when given (an ``Embedder``)."""

    def __init__(self, cache: Path | None) -> None:
        from storyline.embed import OnnxEmbedder

        self._embedder = OnnxEmbedder()
        self.name = self._embedder.name
        self.dimension = self._embedder.dimension
        self._store: dict[str, np.ndarray] = {}
        self._path = cache / "embeddings.npz" if cache else None
        if self._path and self._path.is_file():
            with np.load(self._path) as loaded:
                self._store = {k: loaded[k] for k in loaded.files}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(text.encode()).hexdigest() for text in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._store]
        if missing:
            vectors = self._embedder.embed([texts[i] for i in missing])
            self._store.update({keys[i]: v for i, v in zip(missing, vectors, strict=True)})
            if self._path:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(self._path, **self._store)
        return np.stack([self._store[k] for k in keys])


def corpora(part: Part, fit_on: str = "all") -> dict[str, list[LabelledArticle]]:
    """The labelled corpora's ``part`` ("fit" or "gate"), limited to the ``fit_on`` family ("all",
    "ecbplus" or "gun-violence"), by name."""
    incidents = incident_split(DATA / "gvc-train-dev.jsonl", DATA / "gva-pool-train.jsonl")
    out: dict[str, list[LabelledArticle]] = {}
    if fit_on in ("all", "ecbplus"):
        if part == "fit":
            ecb = load_ecbplus(DATA / "ecbplus.jsonl", {"train", "dev"})
            out["ecb-train"] = [a for a in ecb if a.split == "train"]
            out["ecb-dev"] = [a for a in ecb if a.split == "dev"]
        else:
            out["ecb-test"] = load_ecbplus(DATA / "ecbplus.jsonl", {"test"})
    if fit_on in ("all", "gun-violence"):
        for name, file in (("gvc", "gvc-train-dev.jsonl"), ("pool", "gva-pool-train.jsonl")):
            out[f"{name}-{part}"] = [a for a in load_gvc(DATA / file) if incidents.part(a.gold) == part]
    return out


def training_pairs(corpora: dict[str, list[LabelledArticle]], embed, settings: ClusterSettings):
    """Stacked feature rows and labels from gold-following runs over ``corpora``, with candidate recall."""
    xs, ys, groups = [], [], []
    for name, articles in corpora.items():
        follower = GoldFollower({a.doc_id: a.gold for a in articles}, settings)
        run_clustering(articles, embed, clusterer=follower.following)
        x, y = np.concatenate(follower.rows), np.concatenate(follower.labels).astype(float)
        print(f"{name}: {len(articles)} articles, {len(y)} pairs, {int(y.sum())} positive; gold story among "
              f"candidates {follower.found}/{follower.found + follower.missed}", file=sys.stderr)
        xs.append(x)
        ys.append(y)
        groups.append(np.full(len(y), len(groups)))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(groups)


def score(named: dict[str, list[LabelledArticle]], embed, settings: ClusterSettings) -> dict[str, float]:
    """Stream each corpus with ``settings`` and print (and return) its B-cubed F1."""
    out = {}
    for name, articles in named.items():
        run = run_clustering(articles, embed, clusterer=lambda _: StoryClusterer(settings))
        b = run.scores.bcubed
        print(f"{name}: {len(articles)} articles, {len({a.gold for a in articles})} stories: B-cubed "
              f"P={b.precision:.4f} R={b.recall:.4f} F1={b.f1:.4f}", flush=True)
        out[name] = b.f1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached embeddings")
    parser.add_argument("--fit-on", choices=("all", "ecbplus", "gun-violence"), default="all",
                        help="corpus family the model is fitted on (leave-one-corpus-out checks)")
    parser.add_argument("--score", action="store_true", help="only score the gate parts with the given model")
    parser.add_argument("--gate-of", choices=("all", "ecbplus", "gun-violence"), default="all",
                        help="with --score: whose gate parts to score")
    parser.add_argument("--weights", default=None, help="comma-separated weights (default: the shipped ones)")
    parser.add_argument("--join-threshold", type=float, default=None)
    parser.add_argument("--min-similarity", type=float, default=None)
    parser.add_argument("--thresholds", default="0.2,0.3,0.4,0.5", help="join thresholds scanned")
    parser.add_argument("--similarities", default="0.3,0.4,0.5", help="similarity gates scanned")
    args = parser.parse_args()
    # Scoring without a cache embeds each corpus in one batch, exactly as the gates do.
    embed = project_embedder() if args.score and args.cache is None else CachedEmbedder(args.cache)
    settings = ClusterSettings()
    if args.weights:
        settings = replace(settings, weights=tuple(float(v) for v in args.weights.split(",")))
    if args.join_threshold is not None:
        settings = replace(settings, join_threshold=args.join_threshold)
    if args.min_similarity is not None:
        settings = replace(settings, min_similarity=args.min_similarity)
    if args.score:
        print(f"weights={settings.weights} join_threshold={settings.join_threshold} "
              f"min_similarity={settings.min_similarity}")
        score(corpora("gate", args.gate_of), embed, settings)
        return
    fit = corpora("fit", args.fit_on)
    x, y, groups = training_pairs(fit, embed, settings)
    # Each corpus weighs the same, whatever its number of pairs.
    sample = np.array([len(y) / (len(fit) * (groups == g).sum()) for g in groups])
    w = fit_logistic(x, y, weights=sample)
    print("WEIGHTS = np.array([" + ", ".join(f"{v:.3f}" for v in w) + "], np.float64)")
    print("  # " + ", ".join(FEATURES))
    weights = tuple(round(float(v), 3) for v in w)
    results = []
    for threshold in (float(t) for t in args.thresholds.split(",")):
        for similarity in (float(s) for s in args.similarities.split(",")):
            tuned = replace(settings, weights=weights, join_threshold=threshold, min_similarity=similarity)
            runs = {name: run_clustering(arts, embed, clusterer=lambda _, tuned=tuned: StoryClusterer(tuned))
                    for name, arts in fit.items()}
            scores = {name: run.scores.bcubed.f1 for name, run in runs.items()}
            mean = sum(scores.values()) / len(scores)
            results.append((mean, threshold, similarity))
            print(f"join_threshold={threshold} min_similarity={similarity}: mean={mean:.4f} "
                  + " ".join(f"{k}={v:.4f}" for k, v in scores.items()), flush=True)
    mean, threshold, similarity = max(results)
    print(f"best on the fit parts: join_threshold={threshold} min_similarity={similarity} (mean B-cubed F1 {mean:.4f})")
    print("--weights=" + ",".join(f"{v:.3f}" for v in weights)
          + f" --join-threshold {threshold} --min-similarity {similarity}")


if __name__ == "__main__":
    main()
