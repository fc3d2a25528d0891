"""The extraction benchmark's metric and a runner over a labelled folder of pages.

Metric (scrapinghub article-extraction-benchmark): per page, the sets of shingles of 4
consecutive ``\\w+`` tokens of the extracted and the true body; precision and recall per
page, macro-averaged over pages; F1 from the averaged precision and recall. A page where
both are empty scores 1/1; one where only one side is empty scores 0/0.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> set[tuple[str, ...]]:
    """The set of ``size``-token shingles of ``text``."""
    tokens = _TOKEN.findall(text or "")
    return {tuple(tokens[i:i + size]) for i in range(max(0, len(tokens) - size + 1))}


def page_scores(extracted: str, expected: str) -> tuple[float, float]:
    """(precision, recall) of one page."""
    got, want = shingles(extracted), shingles(expected)
    if not got and not want:
        return 1.0, 1.0
    if not got or not want:
        return 0.0, 0.0
    true_positives = len(got & want)
    return true_positives / len(got), true_positives / len(want)


@dataclass(frozen=True, slots=True)
class Score:
    """Macro-averaged precision, recall and their F1 over ``pages`` pages."""

    precision: float
    recall: float
    pages: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True, slots=True)
class LabelledPage:
    key: str
    html: bytes
    expected: str


def load_pages(folder: Path) -> Iterator[LabelledPage]:
    """Pages of a benchmark folder: ``html/KEY.html.gz`` and ``ground-truth.json``."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        html = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        yield LabelledPage(key=key, html=html, expected=truth[key].get("articleBody") or "")


def score(pages: list[LabelledPage], extract: Callable[[LabelledPage], str]) -> Score:
    """Run ``extract`` on every page (a failure counts as empty output) and score it."""
    precision = recall = 0.0
    for page in pages:
        try:
            text = extract(page)
        except Exception:  # noqa: BLE001 - an extractor's failure on one page is a score of zero
            text = ""
        p, r = page_scores(text, page.expected)
        precision += p
        recall += r
    count = max(1, len(pages))
    return Score(precision / count, recall / count, len(pages))
