"""Extraction speed on the scrapinghub dev pages: Storyline vs trafilatura alone.

    .venv/bin/python bench/extract.py [--rounds 3]

Prints one JSON object per measurement: pages/s with one process and with two (both
cores), for Storyline's extractor (``extract_page``) and for ``trafilatura.extract`` with
its defaults, on the same decoded pages, after a warm-up. Target (issue 4): Storyline at
least 80% of trafilatura's speed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path

from storyline.evaluate.extraction import load_pages
from storyline.extract import extract_page
from storyline.parse.decode import decode_text

BENCHMARK = Path(__file__).resolve().parents[1] / "data" / "corpora" / "extraction" / "scrapinghub-dev"


def _storyline(page: tuple[str, str]) -> int:
    key, html = page
    try:
        return len(extract_page(html, origin=key).text)
    except Exception:  # noqa: BLE001 - a failed page still costs its time; count it
        return 0


def _trafilatura(page: tuple[str, str]) -> int:
    import trafilatura

    return len(trafilatura.extract(page[1]) or "")


def _measure(name: str, work, pages: list[tuple[str, str]], processes: int, rounds: int) -> dict:
    items = pages * rounds
    if processes == 1:
        for page in pages[:10]:
            work(page)
        start = time.perf_counter()
        for page in items:
            work(page)
    else:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            pool.map(work, pages[:10] * processes, chunksize=1)  # warm each worker
            start = time.perf_counter()
            pool.map(work, items, chunksize=4)
    seconds = time.perf_counter() - start
    return {"extractor": name, "processes": processes, "pages": len(items),
            "seconds": round(seconds, 3), "pages_per_s": round(len(items) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the 92 pages")
    args = parser.parse_args()
    pages = [(p.key, decode_text(p.html, p.key, html=True)) for p in load_pages(BENCHMARK)]
    results = {}
    for processes in (1, 2):
        for name, work in (("trafilatura", _trafilatura), ("storyline", _storyline)):
            result = _measure(name, work, pages, processes, args.rounds)
            results[(name, processes)] = result["pages_per_s"]
            print(json.dumps(result), flush=True)
    for processes in (1, 2):
        ratio = results[("storyline", processes)] / results[("trafilatura", processes)]
        print(json.dumps({"processes": processes, "storyline_vs_trafilatura": round(ratio, 3),
                          "target": 0.8, "met": ratio >= 0.8}))


if __name__ == "__main__":
    main()
