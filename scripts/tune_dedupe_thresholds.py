"""Scan the duplicates stage's decision thresholds, and the containment baseline's, on the fit part.

The decision thresholds of ``storyline.dedupe.thresholds`` (``GRID``) are set on a grid and the
fit part of data/quality/dedupe.jsonl (``storyline.evaluate.splits.dedupe_part``) is streamed
once per point through ``storyline dedupe``'s path; rows are printed best first: by the lower
of precision and recall (the issue's goals are on both), then by original, then by the sum of
the three. (Until issue 13 the first key was the lowest of all three; on the harder set it
chose a point missing 1% of the copies for 0.001 more originals.) The peer baseline (a plain
containment rule over 5-word shingles, ``storyline.evaluate.duplicates.containment_baseline``)
gets the same scan of its one threshold (best lower-of precision and recall, then their sum).

The gate part is read only with ``--gate``, which scores the shipped thresholds of both on the
fit part and on the gate part, side by side, and chooses nothing.

    .venv/bin/python scripts/tune_dedupe_thresholds.py [--gate]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

from storyline.dedupe import thresholds
from storyline.evaluate import duplicates
from storyline.evaluate.duplicates import Scores, containment_baseline, score_dedupe, score_outcomes
from storyline.evaluate.splits import Part, dedupe_part, incident_split

ROOT = Path(__file__).resolve().parents[1]
CLUSTERING = ROOT / "data" / "corpora" / "clustering"
GRID = {
    "NEAR_DUPLICATE_JACCARD": (0.5, 0.6, 0.7, 0.8, 0.9),
    "TEASER_CONTAINMENT": (0.4, 0.5, 0.6, 0.7, 0.8),
    "TEASER_OPENING_JACCARD": (0.3, 0.4, 0.5, 0.6),
}
BASELINE_GRID = tuple(round(0.3 + 0.05 * i, 2) for i in range(14))  # 0.30 ... 0.95


def part_records(part: Part) -> list[dict]:
    """The records of the set's ``part``, in file order."""
    incidents = incident_split(CLUSTERING / "gvc-train-dev.jsonl", CLUSTERING / "gva-pool-train.jsonl")
    lines = (ROOT / "data" / "quality" / "dedupe.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if dedupe_part(r["event"], incidents) == part]


def _line(s: Scores) -> str:
    return f"P={s.precision:.4f} R={s.recall:.4f} original={s.original:.4f} (declared {s.declared}, " \
           f"false {s.false_pairs}, true copies {s.true_copies}, missed {s.missed}, groups {s.groups})"


def _baseline(records: list[dict], threshold: float) -> Scores:
    return score_outcomes(records, containment_baseline(records, threshold))


def _side_by_side(part: Part) -> None:
    records = part_records(part)
    start = time.perf_counter()
    ours = score_dedupe(records)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = _baseline(records, duplicates.CONTAINMENT_BASELINE_THRESHOLD)
    theirs_s = time.perf_counter() - start
    print(f"{part} part, {len(records)} records")
    print(f"  storyline dedupe                 {_line(ours)} [{ours_s:.1f} s]")
    rule = f"containment >= {duplicates.CONTAINMENT_BASELINE_THRESHOLD:.2f} (5-word)"
    print(f"  {rule}   {_line(theirs)} [{theirs_s:.1f} s]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gate", action="store_true",
                        help="score the shipped thresholds of Storyline and the baseline on the fit and gate parts")
    args = parser.parse_args()
    shipped = {name: getattr(thresholds, name) for name in GRID}
    if args.gate:
        print(f"shipped {shipped}; baseline threshold {duplicates.CONTAINMENT_BASELINE_THRESHOLD}")
        for part in ("fit", "gate"):
            _side_by_side(part)
        return
    records = part_records("fit")
    print(f"fit part, {len(records)} records; shipped {shipped}")
    rows = []
    for values in itertools.product(*GRID.values()):
        for name, value in zip(GRID, values, strict=True):
            setattr(thresholds, name, value)
        s = score_dedupe(records)
        rows.append(((min(s.precision, s.recall), s.original, s.precision + s.recall + s.original), values, s))
    for name, value in shipped.items():
        setattr(thresholds, name, value)
    for _, values, s in sorted(rows, key=lambda row: row[0], reverse=True):
        mark = " (shipped)" if values == tuple(shipped.values()) else ""
        print(" ".join(f"{n}={v}" for n, v in zip(GRID, values, strict=True)) + f": {_line(s)}{mark}")
    print(f"\ncontainment baseline on the fit part; shipped {duplicates.CONTAINMENT_BASELINE_THRESHOLD}")
    baseline = [(threshold, _baseline(records, threshold)) for threshold in BASELINE_GRID]
    for threshold, s in sorted(baseline, key=lambda row: (min(row[1].precision, row[1].recall),
                                                          row[1].precision + row[1].recall), reverse=True):
        mark = " (shipped)" if threshold == duplicates.CONTAINMENT_BASELINE_THRESHOLD else ""
        print(f"threshold={threshold:.2f}: {_line(s)}{mark}")


if __name__ == "__main__":
    main()
