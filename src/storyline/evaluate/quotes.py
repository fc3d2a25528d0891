"""The quotes gate: the hand-labelled quotes of ``data/quality/quotes.jsonl`` and their metrics.

Each label names its article (``wikinews:<url>`` of ``data/corpora/news/wikinews``, or
``seed:<n>``: the n-th article of ``data/corpora/news/seed/aggregator-page.txt``, 0 the page's
own), the opening words of the quote as the article writes them, the speaker as written and the
speaker's full name (null when the text names nobody: "a German government spokesman").
Articles go through the per-item stages as ingest runs them (``prepare_item``).

Metrics (over the quotes of a set of articles):

- **detection precision**: predicted quotes that hold a labelled quote's opening / predicted
  quotes; **recall**: labelled quotes a predicted quote holds / labelled quotes;
- **speaker accuracy**: over the labelled quotes that were found, the share whose predicted
  speaker is the labelled one (``quotes.same_speaker``: spelling aside, or the surname of the
  full name), null against null counting as right.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storyline.ingest.prepare import prepare_item
from storyline.quotes import same_speaker
from storyline.types import Article, RawItem

__all__ = ["LabelledQuote", "QuoteScore", "load_articles", "load_labels", "score_quotes"]


@dataclass(frozen=True, slots=True)
class LabelledQuote:
    article: str
    quote: str  # its opening words, as written
    speaker_as_written: str | None
    speaker: str | None


@dataclass(frozen=True, slots=True)
class QuoteScore:
    found: int  # labelled quotes a predicted quote holds
    labelled: int
    correct_predictions: int  # predicted quotes holding a labelled one
    predicted: int
    right_speaker: int  # of the found labelled quotes

    @property
    def precision(self) -> float:
        return self.correct_predictions / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def speaker_accuracy(self) -> float:
        return self.right_speaker / self.found if self.found else 1.0


def load_labels(path: Path) -> list[LabelledQuote]:
    """The labelled quotes, in file order."""
    return [LabelledQuote(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]


def load_articles(keys: Sequence[str], corpora: Path) -> dict[str, Article]:
    """The labelled articles by key, each prepared by the per-item stages (entities and quotes included)."""
    wanted = set(keys)
    items: dict[str, RawItem] = {}
    csv.field_size_limit(10**9)
    for path in sorted((corpora / "news" / "wikinews").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                key = f"wikinews:{row['url']}"
                if key in wanted:
                    items[key] = RawItem(origin=key, title=row["title"], text=row["text"])
    articles: dict[str, Article] = {}
    for key, item in items.items():
        articles[key] = prepare_item(item)[0].article
    if any(key.startswith("seed:") for key in wanted):
        page = corpora / "news" / "seed" / "aggregator-page.txt"
        prepared = prepare_item(RawItem(origin=str(page), text=page.read_text(encoding="utf-8")))
        for index, p in enumerate(prepared):
            articles[f"seed:{index}"] = p.article
    missing = wanted - set(articles)
    if missing:
        raise ValueError(f"labelled articles not found: {sorted(missing)[:3]}")
    return articles


def score_quotes(labels: Sequence[LabelledQuote], articles: dict[str, Article]) -> QuoteScore:
    """Detection precision/recall and speaker accuracy of the articles' quotes against ``labels``."""
    by_article: dict[str, list[LabelledQuote]] = {}
    for label in labels:
        by_article.setdefault(label.article, []).append(label)
    found = correct = predicted = right = 0
    for key, wanted in by_article.items():
        article = articles[key]
        quotes = list(article.quotes)
        predicted += len(quotes)
        holding: set[int] = set()
        used: set[int] = set()
        for label in wanted:
            at = _locate(article.text, label.quote, used)
            index = next((i for i, q in enumerate(quotes) if q.start - 1 <= at < q.end), None)
            if index is None:
                continue
            found += 1
            holding.add(index)
            right += same_speaker(quotes[index].speaker, label.speaker)
        correct += len(holding)
    return QuoteScore(found, len(labels), correct, predicted, right)


def _locate(text: str, opening: str, used: set[int]) -> int:
    """Where a labelled quote's opening words are in the text (the first place not taken yet)."""
    start = 0
    while True:
        at = text.find(opening, start)
        if at < 0:
            raise ValueError(f"labelled quote {opening!r} is not in its article")
        if at not in used:
            used.add(at)
            return at
        start = at + 1
