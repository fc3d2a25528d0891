"""Search speed: p50 / p99 of a whole search (``Storyline.search``) on the sample and on a large store.

    .venv/bin/python bench/search.py                       # sample + 100,000 articles (SQLite)
    .venv/bin/python bench/search.py --n 20000 --skip-sample
    .venv/bin/python bench/search.py --database-url postgresql://.../bench   # the large store on PostgreSQL
    .venv/bin/python bench/search.py --home /tmp/big --keep  # build once, rerun with --reuse

What is timed is one search as the page and the API run it, server side, in-process: the
request checked, the store's full-text matches (500 best), the best 100 re-ranked by the
query's embedding against stored ones, grouping by story, articles, passages and story
headlines of one page. HTTP and template rendering are not in it.

**Sample**: the bundled sample loaded through every stage (real stories, real embeddings).
**Large**: ``--n`` articles synthesised from the corpora in data/corpora/clustering (ECB+,
GVC, the gun-violence pool): each takes a corpus text, drops and shuffles its sentences and
swaps its capitalised words and numbers for an event's own (as bench/cluster.py does), with
60 outlets, times over a year and stories of Zipf-like sizes (~5 articles a story). The
embedder does not run over them: each article gets a random unit vector under its real
embedding key, so re-ranking costs what it would (the vectors are read and compared; the query
is embedded by the real model) but orders nothing meaningfully. Query words are drawn from
common to rare. Prints one JSON object per line with p50/p99/max ms per query kind and
overall, the median CPU time of the searching thread (less swayed by other work than the
wall clock, though SQLite's work is in it and PostgreSQL's is not), and the load average.
Target (issue 15): p50 <= 10 ms at 100,000 articles.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from storyline.app import Storyline, make_app  # noqa: E402
from storyline.config import load_settings  # noqa: E402
from storyline.embed import embedder_from_settings, embedding_text, text_key  # noqa: E402
from storyline.normalize import clean_text, content_hash  # noqa: E402
from storyline.types import Article, StoryLink  # noqa: E402

DATA = ROOT / "data" / "corpora" / "clustering"
_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_DIGITS = re.compile(r"\d+")
_NAMES = ("Aldren", "Bexley", "Corvin", "Dunmore", "Elswick", "Farrow", "Galloway", "Harrow", "Ilkley",
          "Jarrow", "Kelso", "Lindley", "Morpeth", "Nairn", "Oakham", "Penrith", "Quorn", "Rydal")
OUTLETS = tuple(f"{place} {kind}" for place in ("Northern", "Harbour", "Valley", "City", "Coast", "Capital",
                                                "Metro", "County", "Lakeside", "Border")
                for kind in ("Times", "Post", "Herald", "Daily", "Courier", "Gazette"))
# Queries by kind: words most articles have, words of a few percent, rare ones, phrases, boolean forms.
QUERIES = {
    "common": ["police", "said", "shooting", "people", "year"],
    "medium": ["earthquake", "hospital", "funeral", "arrested suspect", "school"],
    "rare": ["tsunami", "rehab", "satellite", "magnitude", "jackpot"],
    "phrase": ['"police said"', '"shot and killed"', '"according to"', '"press conference"', '"last year"'],
    "boolean": ["shooting -police", "fire OR explosion", "police suspect -arrested", "storm OR flood", "killed"],
    "filtered": ["police", "shooting", "earthquake", "said", "hospital"],
}


def corpus_texts() -> list[tuple[str, str]]:
    out = []
    for name, title_key in (("ecbplus.jsonl", "title_guess"), ("gvc-train-dev.jsonl", "title"),
                            ("gva-pool-train.jsonl", "title")):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            text = clean_text(record.get("text") or "")
            if len(text) > 200:
                first = text.split("\n", 1)[0][:100]
                out.append((record.get(title_key) or first, text))
    return out


def build(app: Storyline, n: int, seed: int = 15) -> float:
    """Store ``n`` synthetic articles in stories, with random vectors under their real keys; seconds taken."""
    rng = np.random.default_rng(seed)
    bases = corpus_texts()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    store = app.store
    namespace = embedder_from_settings(app.settings).name  # nothing is loaded to name it
    began = time.perf_counter()
    story = 0
    left = 0
    event = (0, "", 0)
    batch: list[Article] = []
    batch_stories: list[int] = []  # each event is one story
    for i in range(n):
        if left <= 0:
            story += 1
            left = min(200, int(rng.zipf(1.6)))
            event = (int(rng.integers(len(bases))),
                     f"{_NAMES[int(rng.integers(len(_NAMES)))]}{int(rng.integers(100_000))}",
                     int(rng.integers(2, 5000)))
        left -= 1
        base, name, number = event
        title, text = bases[base]
        sentences = _SENTENCES.split(text)
        keep = [s for s in sentences if rng.random() > 0.3] or sentences[:1]
        rng.shuffle(keep)
        body = _DIGITS.sub(lambda m, number=number: str(number + len(m.group())), " ".join(keep))
        body = _CAPITALISED.sub(lambda m, name=name: f"{m.group()[:3]}{name}", body)
        title = _CAPITALISED.sub(lambda m, name=name: f"{m.group()[:3]}{name}", title[: int(rng.integers(20, 120))])
        batch.append(Article(
            canonical_url=f"https://bench.example/{i}", url=None, title=title, text=body,
            content_hash=content_hash(body), outlet=OUTLETS[int(rng.integers(len(OUTLETS)))],
            published=start + timedelta(days=365 * i / n, minutes=float(rng.integers(0, 600))),
            language="en", word_count=len(body.split())))
        batch_stories.append(story)
        if len(batch) == 2_000 or i == n - 1:
            results = store.upsert_articles(batch)
            ids = [r.article_id for r in results]
            store.save_story_links([StoryLink(article_id, story_id, 0.0)
                                    for article_id, story_id in zip(ids, batch_stories, strict=True)])
            vectors = rng.standard_normal((len(batch), 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.put_embeddings(namespace, {text_key(embedding_text(a.title, a.text)).hex(): v.tobytes()
                                             for a, v in zip(batch, vectors, strict=True)})
            batch, batch_stories = [], []
            if (i + 1) % 20_000 == 0:
                print(json.dumps({"built": i + 1, "seconds": round(time.perf_counter() - began, 1)}), flush=True)
    return time.perf_counter() - began


def measure(app: Storyline, label: str, repeats: int) -> None:
    stats = app.stats()
    newest = stats.newest or datetime.now(UTC)
    outlet = app.latest_articles(limit=1)[0].outlet
    # Warm up: the embedder loads on first use (~0.3 s), caches fill.
    app.search(app.search_request("police"))
    every: list[float] = []
    every_cpu: list[float] = []
    for kind, queries in QUERIES.items():
        times: list[float] = []
        cpu: list[float] = []
        matched: list[int] = []
        for _ in range(repeats):
            for q in queries:
                filters = {}
                if kind == "filtered":
                    filters = {"outlet": outlet, "since": (newest - timedelta(days=120)).date().isoformat(),
                               "until": newest.date().isoformat()}
                t0, c0 = time.perf_counter(), time.thread_time()
                results = app.search(app.search_request(q, **filters))
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)
                matched.append(results.matches)
        every.extend(times)
        every_cpu.extend(cpu)
        print(json.dumps({"store": label, "articles": stats.articles, "kind": kind, "searches": len(times),
                          **_percentiles(times), "cpu_p50_ms": round(statistics.median(cpu), 2),
                          "median_matches": statistics.median(matched),
                          "load": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    print(json.dumps({"store": label, "articles": stats.articles, "kind": "all", "searches": len(every),
                      **_percentiles(every), "cpu_p50_ms": round(statistics.median(every_cpu), 2),
                      "cpu_p99_ms": _percentiles(every_cpu)["p99_ms"],
                      "load": [round(x, 2) for x in os.getloadavg()]}), flush=True)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles in the large store (0: none)")
    parser.add_argument("--repeats", type=int, default=10, help="times each query runs")
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument("--home", type=Path, help="folder for the large store (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the large store already in --home")
    parser.add_argument("--keep", action="store_true", help="keep --home afterwards")
    parser.add_argument("--database-url", default="", help="the large store's database (default: SQLite in --home)")
    args = parser.parse_args()

    if not args.skip_sample:
        with tempfile.TemporaryDirectory() as folder:
            app = make_app(load_settings({"home": folder}, environ={}))
            t0 = time.perf_counter()
            app.load_sample()
            app.wait_for_stories()
            print(json.dumps({"sample_loaded_s": round(time.perf_counter() - t0, 1)}), flush=True)
            measure(app, "sample", args.repeats)
            app.close()
    if args.n:
        home = args.home or Path(tempfile.mkdtemp(prefix="storyline-search-bench-"))
        values = {"home": str(home)}
        if args.database_url:
            values["database_url"] = args.database_url
        app = make_app(load_settings(values, environ={}))
        if not args.reuse:
            seconds = build(app, args.n)
            print(json.dumps({"built": args.n, "seconds": round(seconds, 1),
                              "articles_per_s": round(args.n / seconds)}), flush=True)
        measure(app, f"large-{app.dialect}", args.repeats)
        app.close()
        if not args.keep and not args.home:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
