"""Speed of the summaries stage: key points per article, and a story's update when a new article joins it.

    .venv/bin/python bench/summarize.py                 # 100-article story, 30 updates
    .venv/bin/python bench/summarize.py --articles 300  # a bigger story

Builds a store (SQLite, a temporary file) holding one story of N articles (gun-violence pool
reports, about 500 words each, from data/corpora), then adds articles N+1 .. N+30 one at a
time, each through the stored stage as ingest gives it (``SummaryStage.process``: key points
saved, the story read back, summarised, its summary and timeline stored). Prints per update:
p50 / p99 / max in milliseconds, with and without the analysed-articles cache warm (a restart
starts cold), and the key-point stage's cost per article (``summarize.tag_key_points``, run
where articles are prepared). Target (issue 14): an update <= 50 ms for a 100-article story.
Prints the load average: other work on the machine skews timings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from storyline import summarize  # noqa: E402
from storyline.ingest.items import NewArticle  # noqa: E402
from storyline.ingest.summaries import SummaryStage  # noqa: E402
from storyline.normalize import clean_text, content_hash  # noqa: E402
from storyline.store import open_store  # noqa: E402
from storyline.types import Article, StoryLink  # noqa: E402

POOL = ROOT / "data" / "corpora" / "clustering" / "gva-pool-train.jsonl"


def _articles(count: int) -> list[Article]:
    found = []
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with POOL.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            text = clean_text(record.get("text") or "")
            if len(text.split()) < 150:
                continue
            n = len(found)
            found.append(Article(canonical_url=f"https://bench.example/{n}", url=None, title=record["title"], text=text,
                                 content_hash=content_hash(text), outlet=record.get("source"),
                                 published=start + timedelta(minutes=n), word_count=len(text.split())))
            if len(found) == count:
                break
    return found


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):6.1f} ms  p99 {p99:6.1f} ms  max {ordered[-1]:6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100, help="articles in the story before the updates")
    parser.add_argument("--updates", type=int, default=30)
    args = parser.parse_args()
    articles = _articles(args.articles + args.updates)
    started = time.process_time()
    articles = [summarize.tag_key_points(a) for a in articles]
    key_ms = (time.process_time() - started) / len(articles) * 1000
    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            base = articles[: args.articles]
            results = store.upsert_articles(base)
            store.save_story_links([StoryLink(r.article_id, 1, 1.0) for r in results])
            timings: dict[str, list[float]] = {"warm": [], "cold": []}
            stage = SummaryStage(store)
            stage.summarize(1)  # the cache warm, as in a running server
            for article in articles[args.articles:]:
                result = store.upsert_articles([article])[0]
                store.save_story_links([StoryLink(result.article_id, 1, 1.0)])
                begin = time.perf_counter()
                stage.process([NewArticle(result.article_id, article)])
                timings["warm"].append((time.perf_counter() - begin) * 1000)
                begin = time.perf_counter()
                SummaryStage(store).summarize(1)  # a fresh process: every article analysed again
                timings["cold"].append((time.perf_counter() - begin) * 1000)
            summary = store.story_summary(1)
        finally:
            store.close()
    print(f"story of {args.articles}..{args.articles + args.updates} articles, {args.updates} updates "
          f"(load {os.getloadavg()[0]:.2f})")
    print(f"  update, cache warm (a running server): {_percentiles(timings['warm'])}")
    print(f"  update, cache cold (after a restart):  {_percentiles(timings['cold'])}")
    print(f"  key points: {key_ms:.2f} ms CPU an article ({1000 / key_ms:.0f} articles/s on one core)")
    if summary is not None:
        print(f"  summary: {len(summary.sentences)} sentences, timeline {len(summary.timeline)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
