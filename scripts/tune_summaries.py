"""Scan the summary ranking's weights on the fit part; print the gate part's score for the chosen ones.

    python scripts/tune_summaries.py          # scan on fit, print the best few and the gate score of the best
    python scripts/tune_summaries.py --gate   # the shipped weights on both parts at 60 and 250 words, beside
                                              # lead, lead-3, LexRank, TextRank (sumy) and random

The cases are ``storyline.evaluate.summaries``' (held-out leads as references). Each report is
prepared once by ingest's per-item stages, as ``storyline summarize`` prepares it; the scan
then re-ranks with each set of weights (``summarize_reports``), the same function the stage runs.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from storyline.errors import StorylineError
from storyline.evaluate.summaries import (
    BASELINES,
    REFERENCE_WORDS,
    SummaryCase,
    baseline_summaries,
    load_cases,
    score_summaries,
    storyline_summaries,
)
from storyline.ingest.prepare import prepare_item
from storyline.summarize import WEIGHTS, Report, SummaryWeights, Vocabulary, analyse, summarize_reports
from storyline.types import RawItem

CORPORA = Path(__file__).resolve().parents[1] / "data" / "corpora" / "clustering"


def prepared(cases: list[SummaryCase]) -> list[list[Report]]:
    vocabulary = Vocabulary()
    out = []
    for case in cases:
        reports = []
        for record in case.inputs:
            item = RawItem(origin=record.doc_id, title=record.title, text=record.text, outlet=record.outlet,
                           published=record.published)
            try:
                article = prepare_item(item)[0].article
            except StorylineError:
                continue
            reports.append(Report(record.doc_id, article.published, analyse(article.text, vocabulary)))
        out.append(reports)
    return out


def score(cases: list[SummaryCase], reports: list[list[Report]], weights: SummaryWeights) -> tuple[float, float]:
    made = [" ".join(s.text for s in summarize_reports(r, weights=weights, max_words=REFERENCE_WORDS)) for r in reports]
    result = score_summaries(cases, made)
    return result.rouge1, result.rouge2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gate", action="store_true", help="score the shipped weights only")
    args = parser.parse_args()
    parts = {part: load_cases(CORPORA, part) for part in ("fit", "gate")}
    if args.gate:
        for words in (REFERENCE_WORDS, 250):
            for part in ("fit", "gate"):
                cases = load_cases(CORPORA, part, words)
                rows = [("storyline", score_summaries(cases, storyline_summaries(cases, words)))]
                rows += [(kind, score_summaries(cases, baseline_summaries(cases, kind, words))) for kind in BASELINES]
                print(f"{part}, {words} words, {len(cases)} events:")
                for name, result in rows:
                    print(f"  {name:10} R1 {result.rouge1:.4f}  R2 {result.rouge2:.4f}  RL {result.rougeL:.4f}")
        return 0
    ready = {part: prepared(cases) for part, cases in parts.items()}
    results = []
    grid = itertools.product((0.3, 0.5, 0.7), (0.0, 0.15, 0.3, 0.5), (0.1, 0.2, 0.4, 0.6), (0.4, 0.5, 0.6))
    for centrality, support, position, redundant in grid:
        weights = SummaryWeights(centrality=centrality, support=support, position=position, redundant=redundant,
                                 quoted_penalty=WEIGHTS.quoted_penalty, support_threshold=WEIGHTS.support_threshold)
        r1, r2 = score(parts["fit"], ready["fit"], weights)
        results.append(((r1 + r2) / 2, r1, r2, weights))
    results.sort(key=lambda item: -item[0])
    for mean, r1, r2, weights in results[:8]:
        print(f"fit R1 {r1:.4f} R2 {r2:.4f} mean {mean:.4f}  {weights}")
    best = results[0][3]
    r1, r2 = score(parts["gate"], ready["gate"], best)
    print(f"gate, best fit weights: R1 {r1:.4f} R2 {r2:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
