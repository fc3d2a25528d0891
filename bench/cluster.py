"""Story assignment speed and memory on synthetic news: ``StoryClusterer.add`` excluding embedding.

    .venv/bin/python bench/cluster.py --n 1000000     # full (issue 6)
    .venv/bin/python bench/cluster.py --n 100000      # quick (the default)

Articles are synthesised from the clustering corpora in data/corpora/clustering (ECB+ and
GVC texts): every synthetic event takes one corpus text as its base, with its capitalised words and its
numbers replaced by the event's own (so look-alike events differ as real ones do), and each of its articles is the base
with sentences dropped and shuffled, its title cut, and a perturbed embedding: the event's
direction (its base text's random direction blended with the event's own) plus noise. Events
have Zipf-like sizes (most are one or two articles, a few are large). Publication times run
over ``--days`` in order, with jitter. Everything is seeded: the same N gives the same stream.

The embedder does not run: vectors are synthetic (the issue's budget excludes embedding).
As the pipeline would on two cores, a worker process reads each batch's words, names and
numbers (``article_tokens``, stateless) while this process assigns the batch before
(``StoryClusterer.add``: weighting, candidates, decision, updates). The clock runs around the
assignment only; generation is outside it. Prints one JSON object with articles/s (of the
assigning process: the worker keeps ahead of it), p50/p99/max latency of ``add``, CPU time
per article of both processes, stories made, active stories at the end, and peak resident
memory (VmHWM) of this process and of the worker.

Targets (issue 6): >= 1,000 articles/s on 2 cores excluding embedding, p99 <= 20 ms,
<= 4 GB at 1,000,000 articles.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import numpy as np
from procmem import memory_mb

from storyline.cluster import ClusterInput, ClusterSettings, StoryClusterer
from storyline.cluster.features import ArticleTokens, article_tokens

DATA = Path(__file__).resolve().parents[1] / "data" / "corpora" / "clustering"
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_DIGITS = re.compile(r"\d+")
_NAME_POOL = ("Aldren", "Bexley", "Corvin", "Dunmore", "Elswick", "Farrow", "Galloway", "Harrow", "Ilkley",
              "Jarrow", "Kelso", "Lindley", "Morpeth", "Nairn", "Oakham", "Penrith", "Quorn", "Rydal")


def corpus_texts() -> list[tuple[str, str]]:
    """(title, text) of every corpus document."""
    out = []
    for name, title_key in (("ecbplus.jsonl", "title_guess"), ("gvc-train-dev.jsonl", "title")):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            out.append((record.get(title_key) or "", record["text"]))
    return out


def stream(n: int, days: float, seed: int = 6) -> Iterator[ClusterInput]:
    """``n`` synthetic articles in publication order (see the module docstring)."""
    rng = np.random.default_rng(seed)
    bases = corpus_texts()
    base_vectors = rng.standard_normal((len(bases), 384)).astype(np.float32)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    open_events: list[tuple[int, np.ndarray, str, int, int]] = []  # base, direction, name, number, left
    for i in range(n):
        if not open_events or rng.random() < 0.3:
            base = int(rng.integers(len(bases)))
            direction = base_vectors[base] + 1.5 * rng.standard_normal(384).astype(np.float32)
            name = f"{_NAME_POOL[int(rng.integers(len(_NAME_POOL)))]}{int(rng.integers(1_000_000))}"
            size = min(200, int(rng.zipf(1.8)))
            open_events.append((base, direction, name, int(rng.integers(2, 5000)), size))
            if len(open_events) > 2000:  # events stop being covered
                open_events.pop(0)
        slot = int(rng.integers(len(open_events)))
        base, direction, name, number, left = open_events[slot]
        if left <= 1:
            open_events.pop(slot)
        else:
            open_events[slot] = (base, direction, name, number, left - 1)
        title, text = bases[base]
        sentences = _SENTENCES.split(text)
        keep = [s for s in sentences if rng.random() > 0.3] or sentences[:1]
        rng.shuffle(keep)
        # The event's own names and figures in place of the base text's: a look-alike event.
        body = _DIGITS.sub(lambda m, number=number: str(number + len(m.group())), " ".join(keep))
        body = _CAPITALISED.sub(lambda m, name=name: f"{m.group()[:3]}{name}", body)
        vector = direction + 1.0 * rng.standard_normal(384).astype(np.float32)
        moment = start + timedelta(days=days * i / n + float(rng.normal(0, 0.2)))
        title = _CAPITALISED.sub(lambda m, name=name: f"{m.group()[:3]}{name}", title[: int(rng.integers(10, 120))])
        yield ClusterInput(f"s{i}", title, body, vector,
                           published=moment, received=start + timedelta(days=days * i / n))


def tokens_of(batch: list[tuple[str, str]], max_chars: int) -> tuple[list[ArticleTokens], float, float]:
    """Worker: the batch's tokens, this worker's CPU seconds so far and its peak memory."""
    return ([article_tokens(title, text, max_chars=max_chars) for title, text in batch], time.process_time(),
            memory_mb())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles (default 100,000)")
    parser.add_argument("--days", type=float, default=60.0, help="days the stream covers (default 60)")
    parser.add_argument("--window", type=float, default=30.0, help="story window in days (default 30)")
    parser.add_argument("--batch", type=int, default=2000, help="articles per worker batch (default 2,000)")
    args = parser.parse_args()
    settings = replace(ClusterSettings(), window_days=args.window)
    clusterer = StoryClusterer(settings)
    latencies = np.zeros(args.n, np.float64)
    new = merged = done = 0
    worker_cpu = worker_rss = 0.0
    articles = stream(args.n, args.days)
    add_cpu = 0.0
    with ProcessPoolExecutor(1) as pool:
        batch = list(islice(articles, args.batch))
        pending = pool.submit(tokens_of, [(a.title, a.text) for a in batch], settings.max_chars)
        while batch:
            upcoming = list(islice(articles, args.batch))  # generated while the worker runs
            tokens, worker_cpu, worker_rss = pending.result()
            if upcoming:
                pending = pool.submit(tokens_of, [(a.title, a.text) for a in upcoming], settings.max_chars)
            for article, article_tokens_ in zip(batch, tokens, strict=True):
                prepared = replace(article, tokens=article_tokens_)
                t, cpu = time.perf_counter(), time.process_time()
                assignment = clusterer.add(prepared)
                latencies[done] = time.perf_counter() - t
                add_cpu += time.process_time() - cpu
                new += assignment.is_new
                merged += len(assignment.merged_from)
                done += 1
            batch = upcoming
            if done % 100_000 < args.batch:
                print(f"{done} articles, {latencies[:done].sum():.0f} s in add, {memory_mb():.0f} MB peak",
                      file=sys.stderr, flush=True)
    result = {
        "bench": "cluster.assign",
        "articles": args.n,
        "articles_per_s": round(args.n / latencies.sum(), 1),
        "cpu_ms_per_article": {"assigning": round(add_cpu / args.n * 1000, 3),
                               "tokens_worker": round(worker_cpu / args.n * 1000, 3)},
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 3),
        "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 3),
        "max_ms": round(float(latencies.max()) * 1000, 1),
        "stories": new,
        "merges": merged,
        "active_stories": len(clusterer),
        "peak_rss_mb": round(memory_mb(), 1),
        "worker_peak_rss_mb": round(worker_rss, 1),
        "cores": os.cpu_count(),
        "targets": {"articles_per_s": 1000, "p99_ms": 20, "rss_mb_at_1m": 4096},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
