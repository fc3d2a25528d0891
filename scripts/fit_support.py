"""Scan the support check's thresholds on the fit part of ``data/quality/support.jsonl``; print the table.

Run from the repository root: ``python scripts/fit_support.py``. The shipped thresholds
(``summarize.support.NAME_RECALL``, ``CONTENT_RECALL``) are the ones with the highest recall among
those with precision at least ``MIN_PRECISION`` (then the higher precision): an unsupported sentence
shown as cited is the failure users report, but a check that keeps almost nothing makes the LLM
path useless. The gate part is not read here.
"""

from __future__ import annotations

from pathlib import Path

from storyline.evaluate.support import load_support_set, score_support

ROOT = Path(__file__).resolve().parents[1]


MIN_PRECISION = 0.97  # at most one sentence called supported in about 30 is not


def main() -> None:
    records = [r for r in load_support_set(ROOT / "data" / "quality" / "support.jsonl") if r.part == "fit"]
    print(f"fit part: {len(records)} records, {sum(r.supported for r in records)} supported")
    rows = []
    for name_recall in (0.5, 0.67, 0.75, 1.0):
        for step in range(8, 19):
            content_recall = step / 20
            s = score_support(records, name_recall=name_recall, content_recall=content_recall)
            rows.append((s.precision, s.recall, name_recall, content_recall, s))
            print(f"names >= {name_recall:.2f} words >= {content_recall:.2f}: {s}")
    best = max((row for row in rows if row[0] >= MIN_PRECISION), key=lambda row: (row[1], row[0]))
    print(f"best: names >= {best[2]}, words >= {best[3]}: {best[4]}")


if __name__ == "__main__":
    main()
