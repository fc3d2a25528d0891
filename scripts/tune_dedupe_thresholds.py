"""Scan the duplicates stage's decision thresholds on the fit part of data/quality/dedupe.jsonl.

The decision thresholds of ``storyline.dedupe.thresholds`` (``NEAR_DUPLICATE_JACCARD``,
``TEASER_CONTAINMENT``, ``TEASER_OPENING_JACCARD``) are set on a grid and the fit part of the
set (``storyline.evaluate.splits.dedupe_part``) is streamed once per point; rows are printed
best first (by the lowest of precision, recall and original, then by their sum). The gate part
is read only with ``--gate``, which scores the shipped thresholds there and chooses nothing.

    .venv/bin/python scripts/tune_dedupe_thresholds.py [--gate]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from storyline.dedupe import thresholds
from storyline.evaluate.duplicates import Scores, score_dedupe
from storyline.evaluate.splits import Part, dedupe_part, incident_split

ROOT = Path(__file__).resolve().parents[1]
CLUSTERING = ROOT / "data" / "corpora" / "clustering"
GRID = {
    "NEAR_DUPLICATE_JACCARD": (0.4, 0.5, 0.6),
    "TEASER_CONTAINMENT": (0.4, 0.5, 0.6),
    "TEASER_OPENING_JACCARD": (0.4, 0.5, 0.6),
}


def part_records(part: Part) -> list[dict]:
    """The records of the set's ``part``, in file order."""
    incidents = incident_split(CLUSTERING / "gvc-train-dev.jsonl", CLUSTERING / "gva-pool-train.jsonl")
    lines = (ROOT / "data" / "quality" / "dedupe.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if dedupe_part(r["event"], incidents) == part]


def _line(s: Scores) -> str:
    return f"P={s.precision:.4f} R={s.recall:.4f} original={s.original:.4f} (declared {s.declared}, " \
           f"true copies {s.true_copies}, groups {s.groups})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gate", action="store_true", help="score the shipped thresholds on the gate part")
    args = parser.parse_args()
    shipped = {name: getattr(thresholds, name) for name in GRID}
    if args.gate:
        records = part_records("gate")
        print(f"gate part, {len(records)} records, shipped {shipped}: {_line(score_dedupe(records))}")
        return
    records = part_records("fit")
    print(f"fit part, {len(records)} records; shipped {shipped}")
    rows = []
    for values in itertools.product(*GRID.values()):
        for name, value in zip(GRID, values, strict=True):
            setattr(thresholds, name, value)
        s = score_dedupe(records)
        rows.append(((min(s.precision, s.recall, s.original), s.precision + s.recall + s.original), values, s))
    for name, value in shipped.items():
        setattr(thresholds, name, value)
    for _, values, s in sorted(rows, key=lambda row: row[0], reverse=True):
        mark = " (shipped)" if values == tuple(shipped.values()) else ""
        print(" ".join(f"{n}={v}" for n, v in zip(GRID, values, strict=True)) + f": {_line(s)}{mark}")


if __name__ == "__main__":
    main()
