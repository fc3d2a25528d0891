"""Scan ask's thresholds on the fit part of ``data/quality/ask.jsonl``; print the table.

Run from the repository root: ``python scripts/fit_ask.py``. The shipped ``summarize.ask.MIN_COVERAGE``,
``OFF_TYPE`` and ``CONTEXT`` are those with the highest F0.5 (precision weighted twice as much as recall: a wrong
answer shown as the story's is worse than "I don't know"; the highest precision alone answered half
the answerable questions). The gate part is not read here.
"""

from __future__ import annotations

from pathlib import Path

from storyline.evaluate.ask import load_questions, load_stories, score_answers

ROOT = Path(__file__).resolve().parents[1]


def _f_half(precision: float, recall: float) -> float:
    return 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0


def main() -> None:
    questions = [q for q in load_questions(ROOT / "data/quality/ask.jsonl") if q.part == "fit"]
    stories = load_stories([q.story for q in questions], ROOT / "data/corpora/clustering/gva-pool-train.jsonl")
    print(f"fit part: {len(questions)} questions of {len(stories)} stories, "
          f"{sum(q.answerable for q in questions)} answerable")
    rows = []
    for context in (0.0, 0.25, 0.5, 0.75, 1.0):
        for off_type in (0.3, 0.5, 0.7, 1.0):
            for step in range(6, 19):
                min_coverage = step / 20
                s = score_answers(questions, stories, min_coverage=min_coverage, off_type=off_type, context=context)
                rows.append((s.precision, s.recall, min_coverage, off_type, context, s))
                print(f"context {context:.2f} off_type {off_type:.1f} coverage >= {min_coverage:.2f}: {s}")
    best = max(rows, key=lambda row: (_f_half(row[0], row[1]), row[0]))
    print(f"best: coverage >= {best[2]}, off_type {best[3]}, context {best[4]}: {best[5]}")


if __name__ == "__main__":
    main()
