"""Near-duplicate detection speed and memory on synthetic news: Storyline vs datasketch.

    .venv/bin/python bench/dedupe.py --n 1000000      # full (issue 5): about 4 minutes
    .venv/bin/python bench/dedupe.py --n 100000       # quick (the default): about 2 minutes

Articles of about 400 words are sampled from the word chunks (punctuation and quotes kept) of
the texts in data/corpora, Zipf-like as they occur there; 10% are copies of an earlier
article (one of the 50,000 before it) with a wire copy's edits: a dateline, boilerplate lines,
a dropped or moved paragraph, a few changed words, or cut to a feed teaser. Everything is
seeded: the same N gives the same articles.

Articles are generated a batch at a time in the worker processes, with the clock stopped. The
clock runs while the workers sign a batch and this process indexes the one before (insert +
query), as a running pipeline would. Prints one JSON object per measurement, for Storyline
(``signatures`` in PROCESSES workers, ``DuplicateIndex.add_batch`` here) and then, each in its
own process on the first PEER_N articles, for datasketch's default pipeline
(``MinHash(num_perm=128)`` with its default SHA-1 hash, ``update_batch``, in the same workers;
``MinHashLSH(threshold=0.5)`` query + insert here) and the same with xxhash:

- pipeline: articles/s for signature + insert + query (the target), CPU time per article
  (this process and its workers), and the CPU seconds other programs took on the machine
  meanwhile (a shared machine slows any benchmark; the CPU time per article it barely moves);
- stages: time waiting for signatures and time indexing (they overlap), generation time;
- memory: peak resident memory (VmHWM) of this process and of each worker;
- copies: recall and precision on the synthetic copies (a sanity check; the quality gate is
  tests/test_dedupe_quality.py).

Target (issue 5): at least 5,000 articles/s for signature + insert + query on 2 cores, at
most 2 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from functools import cache
from itertools import pairwise
from multiprocessing import get_context
from operator import itemgetter
from pathlib import Path

import numpy as np
from procmem import memory_mb

from storyline.dedupe import DuplicateIndex, Signatures, signatures

SHARED = Path(__file__).resolve().parents[1] / "data" / "corpora"
SEED = 20_241_125
COPY_SHARE = 0.10
COPY_WINDOW = 50_000  # a copy's original is one of the articles just before it
VOCABULARY = 60_000  # most frequent word chunks of the shared texts
DATELINES = ["LONDON (Reuters) -", "PARIS (AFP) —", "WASHINGTON (AP) —", "BERLIN, {day} (dpa) -", "NEW DELHI (PTI):"]
BOILERPLATE = [
    "Advertisement",
    "Read more: {title}",
    "Sign up for our morning briefing and get the day's top stories in your inbox.",
    "© {year} {outlet}. All rights reserved.",
    "This article was originally published by a partner agency.",
]


# --- Synthetic articles -----------------------------------------------------------------------


@cache
def _vocabulary() -> tuple[tuple[str, ...], np.ndarray]:
    """Word chunks of the shared texts ("said,", "“We") and the cumulative share of each."""
    counts: Counter[str] = Counter()
    csv.field_size_limit(10_000_000)
    for path in sorted((SHARED / "news" / "wikinews").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                counts.update(row["text"].split())
    for path in sorted((SHARED / "clustering").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            counts.update(json.loads(line).get("text", "").split())
    words, frequency = zip(*counts.most_common(VOCABULARY), strict=True)
    cdf = np.cumsum(np.array(frequency, dtype=np.float64))
    return words, cdf / cdf[-1]


def _is_copy(i: np.ndarray | int) -> np.ndarray:
    """Whether article ``i`` is a copy: a fixed hash of ``i``, so any article can be generated alone."""
    with np.errstate(over="ignore"):
        x = (np.asarray(i, dtype=np.uint64) + np.uint64(SEED)) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(31)
    return (x % np.uint64(1000)) < np.uint64(round(COPY_SHARE * 1000))


def _original_paragraphs(i: int) -> list[str]:
    words, cdf = _vocabulary()
    rng = np.random.default_rng((SEED, i))
    lengths = rng.integers(25, 75, size=int(rng.integers(6, 11)))  # 6-10 paragraphs, ~400 words
    picks = np.searchsorted(cdf, rng.random(int(lengths.sum())))
    chunks = itemgetter(*picks.tolist())(words)
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    return [" ".join(chunks[a:b]) for a, b in pairwise(bounds)]


def _original_of(i: int) -> int:
    """The earlier non-copy article that copy ``i`` copies."""
    rng = np.random.default_rng((SEED, i, 1))
    j = int(rng.integers(max(0, i - COPY_WINDOW), i))
    while _is_copy(j) and j > 0:
        j -= 1
    return j


def _copy_paragraphs(i: int, paragraphs: list[str]) -> list[str]:
    """A wire copy's edits, each with its own chance."""
    rng = np.random.default_rng((SEED, i, 2))
    words, cdf = _vocabulary()
    paragraphs = list(paragraphs)
    if rng.random() < 0.1:  # a feed teaser: the first two paragraphs
        return [*paragraphs[:2], "Continue reading..."]
    if rng.random() < 0.3 and len(paragraphs) > 3:
        del paragraphs[int(rng.integers(1, len(paragraphs)))]
    if rng.random() < 0.3 and len(paragraphs) > 3:
        a, b = rng.choice(np.arange(1, len(paragraphs)), size=2, replace=False)
        paragraphs[a], paragraphs[b] = paragraphs[b], paragraphs[a]
    if rng.random() < 0.5:  # a few changed words (house style, corrections)
        for p in rng.choice(len(paragraphs), size=2):
            chunks = paragraphs[p].split()
            k = int(rng.integers(len(chunks)))
            chunks[k] = words[int(np.searchsorted(cdf, rng.random()))]
            paragraphs[p] = " ".join(chunks)
    if rng.random() < 0.5:
        dateline = DATELINES[int(rng.integers(len(DATELINES)))].format(day=f"{int(rng.integers(1, 29))} May")
        paragraphs[0] = f"{dateline} {paragraphs[0]}"
    for _ in range(int(rng.integers(0, 3))):
        line = BOILERPLATE[int(rng.integers(len(BOILERPLATE)))]
        line = line.format(title=" ".join(paragraphs[0].split()[:6]), year=2024, outlet=f"Outlet {i % 97}")
        paragraphs.insert(int(rng.integers(len(paragraphs) + 1)), line)
    return paragraphs


def article(i: int) -> tuple[str, int]:
    """Article ``i``'s text and its gold group (the original's number)."""
    if i > 0 and _is_copy(i):
        j = _original_of(i)
        return "\n\n".join(_copy_paragraphs(i, _original_paragraphs(j))), j
    return "\n\n".join(_original_paragraphs(i)), i


def articles(start: int, stop: int) -> tuple[list[str], list[int]]:
    """Articles ``start`` to ``stop`` and their gold groups."""
    made = [article(i) for i in range(start, stop)]
    return [text for text, _ in made], [group for _, group in made]


def generate(pool: Executor, start: int, stop: int, parts: int) -> tuple[list[str], np.ndarray]:
    """Articles ``start`` to ``stop``, generated in the pool's workers."""
    step = -(-(stop - start) // parts)
    jobs = [pool.submit(articles, a, min(a + step, stop)) for a in range(start, stop, step)]
    texts: list[str] = []
    groups: list[int] = []
    for job in jobs:
        part_texts, part_groups = job.result()
        texts += part_texts
        groups += part_groups
    return texts, np.array(groups, dtype=np.int64)


# --- Scoring and memory ------------------------------------------------------------------------


class Score:
    """Copy detection against the gold groups: a copy is any article whose group started earlier."""

    def __init__(self) -> None:
        self.declared = self.correct = self.copies = self.found = 0

    def add(self, first: int, groups_all: np.ndarray, matched: np.ndarray) -> None:
        """``matched[k]``: the article that article ``first + k`` was declared a copy of, or -1."""
        positions = np.arange(first, first + len(matched))
        is_copy = groups_all[positions] != positions
        declared = matched >= 0
        right = declared & (groups_all[np.maximum(matched, 0)] == groups_all[positions])
        self.copies += int(is_copy.sum())
        self.declared += int(declared.sum())
        self.correct += int(right.sum())
        self.found += int((right & is_copy).sum())

    def as_json(self) -> dict[str, object]:
        return {"copies": self.copies, "declared": self.declared,
                "recall": round(self.found / max(self.copies, 1), 4),
                "precision": round(self.correct / max(self.declared, 1), 4)}


def worker_peaks_mb(pool: ProcessPoolExecutor) -> list[float]:
    return [memory_mb(pid) for pid in getattr(pool, "_processes", {})]


class CpuWatch:
    """CPU seconds used on the machine by others (not this process, not its pool) while running.

    Other people's test runs on a shared machine slow any benchmark down; this says by how much.
    """

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self._pids = [os.getpid(), *getattr(pool, "_processes", {})]
        self.others_s = 0.0
        self.ours_s = 0.0  # CPU seconds of this process and the pool: a measure others cannot skew
        self._started: tuple[float, float] | None = None

    @staticmethod
    def _machine_busy_s() -> float:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
        return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")

    def _ours_s(self) -> float:
        total = 0.0
        for pid in self._pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def __enter__(self) -> CpuWatch:
        self._started = (self._machine_busy_s(), self._ours_s())
        return self

    def __exit__(self, *exc: object) -> None:
        busy, ours = self._started or (0.0, 0.0)
        used = self._ours_s() - ours
        self.ours_s += used
        self.others_s += max(0.0, (self._machine_busy_s() - busy) - used)


def _pool(processes: int) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(processes, mp_context=get_context("spawn"))
    for job in [pool.submit(articles, i, i + 20) for i in range(processes)]:  # start and warm each worker
        job.result()
    list(pool.map(signatures, [["warm up the workers"] * 10] * processes))
    return pool


# --- The pipeline, for both tools -------------------------------------------------------------


class Pipeline:
    """Generate (clock stopped), then sign the next batch in the workers while indexing this one.

    ``sign(texts)`` runs in a helper thread (it waits on the pool), ``index(first, ids, signed)``
    in this one and returns, per article, the article it copies or -1.
    """

    def __init__(self, pool: ProcessPoolExecutor, n: int, batch: int, processes: int) -> None:
        self.pool, self.n, self.batch, self.parts = pool, n, batch, processes * 2
        self.groups = np.empty(n, dtype=np.int64)
        self.score = Score()
        self.watch = CpuWatch(pool)
        self.generating = self.signing = self.indexing = self.seconds = 0.0
        self.reached: dict[int, float] = {}  # articles done -> seconds so far

    def _make(self, start: int) -> tuple[list[str], list[str]]:
        started = time.perf_counter()
        stop = min(start + self.batch, self.n)
        texts, self.groups[start:stop] = generate(self.pool, start, stop, self.parts)
        self.generating += time.perf_counter() - started
        return texts, [str(i) for i in range(start, stop)]

    def _timed(self, sign: Callable[[list[str]], object], texts: list[str]) -> tuple[object, float]:
        started = time.perf_counter()
        return sign(texts), time.perf_counter() - started

    def run(self, sign: Callable[[list[str]], object], index: Callable[[int, list[str], object], np.ndarray]) -> None:
        with ThreadPoolExecutor(1) as signer:
            texts, ids = self._make(0)
            started = time.perf_counter()
            with self.watch:
                signed, seconds = signer.submit(self._timed, sign, texts).result()
            self.seconds += time.perf_counter() - started
            self.signing += seconds
            start = 0
            while start < self.n:
                upcoming = self._make(start + len(ids)) if start + len(ids) < self.n else None
                started = time.perf_counter()
                with self.watch:
                    pending: Future | None = signer.submit(self._timed, sign, upcoming[0]) if upcoming else None
                    matched = index(start, ids, signed)
                    self.indexing += time.perf_counter() - started
                    if pending is not None:
                        signed, seconds = pending.result()
                        self.signing += seconds
                self.seconds += time.perf_counter() - started
                self.score.add(start, self.groups, matched)
                start += len(ids)
                self.reached[start] = self.seconds
                ids = upcoming[1] if upcoming else []

    def results(self, tool: str, processes: int, note: str) -> list[dict[str, object]]:
        main_peak, workers = memory_mb(), worker_peaks_mb(self.pool)
        return [
            {"tool": tool, "measure": "pipeline", "articles": self.n, "processes": processes,
             "seconds": round(self.seconds, 2), "articles_per_s": round(self.n / self.seconds, 1),
             "cpu_ms_per_article": round(1000 * self.watch.ours_s / self.n, 3),
             "others_cpu_s": round(self.watch.others_s, 1), "note": note},
            {"tool": tool, "measure": "stages", "sign_wait_s": round(self.signing, 2),
             "index_s": round(self.indexing, 2), "index_articles_per_s": round(self.n / self.indexing, 1),
             "generation_s_not_timed": round(self.generating, 2),
             "note": "the workers sign the next batch while this process indexes: the two overlap"},
            {"tool": tool, "measure": "memory", "articles": self.n, "peak_main_mb": main_peak,
             "peak_workers_mb": workers, "peak_total_mb": round(main_peak + sum(workers), 1), "target_mb": 2048,
             "ru_maxrss_main_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
             "note": "peak resident memory (VmHWM) of each process; the total adds the peaks, an upper bound"},
            {"tool": tool, "measure": "copies", **self.score.as_json()},
        ]

    def rate_at(self, articles: int) -> dict[str, float] | None:
        """Articles/s over the first batches covering ``articles``."""
        done = min((k for k in self.reached if k >= articles), default=None)
        return {"articles": done, "articles_per_s": round(done / self.reached[done], 1)} if done else None


# --- Storyline ---------------------------------------------------------------------------------


def bench_signing_alone(pool: ProcessPoolExecutor, n: int, batch: int, processes: int) -> dict[str, object]:
    """Signing without indexing (the first ``n`` articles), to split the pipeline's time."""
    signing = 0.0
    watch = CpuWatch(pool)
    for start in range(0, n, batch):
        texts, _ = generate(pool, start, min(start + batch, n), parts=processes * 2)
        with watch:
            started = time.perf_counter()
            signatures(texts, executor=pool)
            signing += time.perf_counter() - started
    return {"tool": "storyline", "measure": "signing alone", "articles": n, "processes": processes,
            "seconds": round(signing, 2), "articles_per_s": round(n / signing, 1),
            "others_cpu_s": round(watch.others_s, 1)}


def bench_storyline(pool: ProcessPoolExecutor, n: int, batch: int, processes: int, peer_n: int) -> list[dict]:
    """``signatures`` in the workers, ``DuplicateIndex.add_batch`` here."""
    index = DuplicateIndex()

    def add(start: int, ids: list[str], signed: Signatures) -> np.ndarray:
        matches = index.add_batch(ids, signed)
        return np.array([-1 if m is None else int(m.doc_id) for m in matches], dtype=np.int64)

    pipeline = Pipeline(pool, n, batch, processes)
    pipeline.run(lambda texts: signatures(texts, executor=pool), add)
    results = pipeline.results("storyline", processes, "signature + index insert + query, generation not timed; "
                               "others_cpu_s: CPU time other programs took on this machine meanwhile")
    results[0]["at_peer_n"] = pipeline.rate_at(peer_n)
    return results


# --- datasketch --------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _word_shingles(text: str) -> list[bytes]:
    """The same shingles Storyline uses: 5 lower-case words inside one paragraph."""
    shingles = []
    for paragraph in text.lower().split("\n"):
        words = _WORD.findall(paragraph)
        shingles += [" ".join(words[k : k + 5]).encode() for k in range(len(words) - 4)]
    return shingles


def _datasketch_hashvalues(texts: list[str], hashfunc: str) -> np.ndarray:
    from datasketch import MinHash

    kwargs = {}
    if hashfunc == "xxhash":
        import xxhash

        kwargs["hashfunc"] = xxhash.xxh32_intdigest
    out = None
    for k, text in enumerate(texts):
        minhash = MinHash(num_perm=128, **kwargs)  # its defaults: SHA-1 hash, seed 1 (2.0: "affine32", uint32)
        minhash.update_batch(_word_shingles(text))
        if out is None:
            out = np.empty((len(texts), 128), dtype=minhash.hashvalues.dtype)
        out[k] = minhash.hashvalues
    return out if out is not None else np.empty((0, 128), dtype=np.uint64)


def bench_datasketch(n: int, batch: int, processes: int, hashfunc: str) -> list[dict[str, object]]:
    """datasketch's MinHash in the workers, ``MinHashLSH`` query + insert here, on the first ``n`` articles."""
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    pool = _pool(processes)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    probe = MinHash(num_perm=128)
    scheme = {"scheme": probe.scheme} if hasattr(probe, "scheme") else {}  # datasketch >= 2.0 asks for it
    kept = np.empty((n, 128), dtype=probe.hashvalues.dtype)

    def sign(texts: list[str]) -> np.ndarray:
        step = -(-len(texts) // (processes * 4))
        parts = [texts[a : a + step] for a in range(0, len(texts), step)]
        return np.concatenate(list(pool.map(_datasketch_hashvalues, parts, [hashfunc] * len(parts))))

    def index(start: int, ids: list[str], hashvalues: np.ndarray) -> np.ndarray:
        matched = np.full(len(ids), -1, dtype=np.int64)
        for k, values in enumerate(hashvalues):
            minhash = LeanMinHash(seed=1, hashvalues=values, **scheme)
            found = lsh.query(minhash)
            if found:  # the candidate with the highest estimated Jaccard, if at least the threshold
                found = np.array(found)
                agree = np.count_nonzero(kept[found] == values, axis=1)
                if agree.max() >= 64:
                    matched[k] = found[int(np.argmax(agree))]
            lsh.insert(start + k, minhash)
            kept[start + k] = values
        return matched

    pipeline = Pipeline(pool, n, batch, processes)
    pipeline.run(sign, index)
    tool = "datasketch" if hashfunc == "sha1" else f"datasketch+{hashfunc}"
    results = pipeline.results(tool, processes, f"MinHash(num_perm=128, {hashfunc}).update_batch in the workers "
                               "(the same 5-word shingles, made in Python); MinHashLSH(threshold=0.5) query + "
                               "insert here; the best candidate kept if its estimated Jaccard >= 0.5")
    pool.shutdown()
    return results


# --- Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles (1,000,000 for the issue's target)")
    parser.add_argument("--peer-n", type=int, default=100_000,
                        help="articles for datasketch (its LSH takes ~10 KB an article: 1M would need 10 GB)")
    parser.add_argument("--batch", type=int, default=10_000, help="articles signed and indexed at a time")
    parser.add_argument("--processes", type=int, default=2, help="worker processes signing (both tools)")
    parser.add_argument("--only", choices=["storyline", "datasketch", "datasketch+xxhash"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    peer_n = min(args.peer_n, args.n)
    if args.only and args.only.startswith("datasketch"):
        hashfunc = args.only.partition("+")[2] or "sha1"
        for result in bench_datasketch(peer_n, args.batch, args.processes, hashfunc):
            print(json.dumps(result), flush=True)
        return
    print(json.dumps({"articles": args.n, "copies": COPY_SHARE, "batch": args.batch, "processes": args.processes,
                      "cpus": os.cpu_count(), "peer_n": peer_n, "vocabulary": VOCABULARY,
                      "mean_words": round(float(np.mean([len(article(i)[0].split()) for i in range(2000)])), 1)}),
          flush=True)
    pool = _pool(args.processes)
    print(json.dumps(bench_signing_alone(pool, min(args.n, 100_000), args.batch, args.processes)), flush=True)
    ours = bench_storyline(pool, args.n, args.batch, args.processes, peer_n)
    pool.shutdown()
    for result in ours:
        print(json.dumps(result), flush=True)
    if args.only == "storyline":
        return
    peers = {}
    for peer in ("datasketch", "datasketch+xxhash"):
        # In its own process: its memory must not count as ours, nor ours as its.
        run = subprocess.run([sys.executable, __file__, "--only", peer, "--n", str(peer_n), "--batch",
                              str(args.batch), "--processes", str(args.processes)],
                             capture_output=True, text=True, check=True)
        peers[peer] = [json.loads(line) for line in run.stdout.splitlines()]
        for result in peers[peer]:
            print(json.dumps(result), flush=True)
    our_rate, memory = ours[0]["articles_per_s"], ours[2]["peak_total_mb"]
    at_peer = (ours[0]["at_peer_n"] or {}).get("articles_per_s", our_rate)
    theirs = peers["datasketch"][0]
    print(json.dumps({"storyline_vs_datasketch_at_peer_n": round(at_peer / theirs["articles_per_s"], 2),
                      "datasketch_cpu_per_article_vs_storyline": round(
                          theirs["cpu_ms_per_article"] / ours[0]["cpu_ms_per_article"], 2),
                      "storyline_articles_per_s": our_rate, "target_articles_per_s": 5000,
                      "peak_total_mb": memory, "target_mb": 2048, "met": our_rate >= 5000 and memory <= 2048,
                      "note": "the articles/s ratio moves with what else runs on the machine (others_cpu_s); "
                              "the CPU-time ratio does not"}))


if __name__ == "__main__":
    main()
