"""How long hostile sizes take: the timings the tests leave out (they only guard against hangs).

    .venv/bin/python bench/hostile.py [--skip-50mb]

Prints one JSON line per case: a 6 MB text given to the story clusterer (only its lead is
read), a 1 MB text signed for the copies stage, a page of 100,000 nested divs, and 50 MB pages
of three shapes through extraction (which stops at its size and time limits).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np

from storyline.cluster import ClusterInput, StoryClusterer
from storyline.dedupe import signature
from storyline.errors import ExtractError
from storyline.extract import extract_page

SENTENCE = "The harbour board voted on Tuesday to dredge the channel before the autumn storms arrive."


def timed(name: str, run: Callable[[], object]) -> None:
    started = time.perf_counter()
    try:
        run()
        outcome = "ok"
    except ExtractError as exc:
        outcome = f"ExtractError: {exc.message}"
    print(json.dumps({"case": name, "seconds": round(time.perf_counter() - started, 3), "outcome": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-50mb", action="store_true", help="leave out the three 50 MB pages (~1 min)")
    args = parser.parse_args()
    vector = np.ones(384, np.float32) / np.sqrt(384)
    huge = SENTENCE + " more words about other things" * 200_000
    timed("cluster: 6 MB text", lambda: StoryClusterer().add(ClusterInput("huge", "Harbour", huge, vector)))
    timed("copies: sign a 1 MB text", lambda: signature((SENTENCE + " ") * 12_000))
    deep = "<html><body>" + "<div>" * 100_000 + f"<p>{SENTENCE}</p>" * 5 + "</div>" * 100_000 + "</body></html>"
    timed("extract: 100,000 nested divs", lambda: extract_page(deep, origin="deep"))
    if args.skip_50mb:
        return
    size = 50 * 1024 * 1024
    shapes = {
        "paragraphs": "".join(f"<p>Paragraph {n}. {SENTENCE}</p>\n" for n in range(size // 110)),
        "one text node": "<p>" + "harbour " * (size // 8) + "</p>",
        "nested markup": "<div><span>x</span><a href='/a'>y</a></div>" * (size // 42),
    }
    for shape, inner in shapes.items():
        page = f"<html><head><title>Harbour records</title></head><body><article>{inner}</article></body></html>"
        timed(f"extract: 50 MB page, {shape}", lambda page=page: extract_page(page, origin="huge.html"))


if __name__ == "__main__":
    main()
