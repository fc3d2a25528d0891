"""`storyline dedupe` end to end: the real console script on the labelled set and on bad input."""

from __future__ import annotations

import collections
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STORYLINE = Path(sys.executable).with_name("storyline")
LABELLED = REPO / "data" / "quality" / "dedupe.jsonl"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    return subprocess.run([str(STORYLINE), "--home", str(home), *args], capture_output=True, text=True,
                          timeout=300, env=env, check=False)


def _pairs(assignment: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for doc, group in assignment.items():
        groups[group].append(doc)
    return {frozenset(p) for members in groups.values() for p in itertools.combinations(sorted(members), 2)}


def test_labelled_set_groups_copies_together(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = run("dedupe", str(LABELLED), "--out", str(out), home=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    records = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert set(rows[0]) == {"id", "duplicate_of", "syndication_group", "original_id"}
    gold = _pairs({r["id"]: r["group"] for r in records})
    found = _pairs({r["id"]: r["syndication_group"] for r in rows})
    precision, recall = len(gold & found) / len(found), len(gold & found) / len(gold)
    print(f"\npairwise precision {precision:.4f} recall {recall:.4f}")
    assert precision >= 0.98
    assert recall >= 0.95
    # Every member of a group names the same original, and it is one of the group.
    by_group: dict[str, set[str]] = collections.defaultdict(set)
    for row in rows:
        by_group[row["syndication_group"]].add(row["original_id"])
    assert all(len(originals) == 1 for originals in by_group.values())


def test_exact_copies_by_url_and_text(tmp_path: Path) -> None:
    text = " ".join(f"word{i}" for i in range(80))
    lines = [
        {"id": "a", "text": text, "url": "https://news.example/story?utm_source=x"},
        {"id": "b", "text": "Other words entirely. " * 20, "url": "https://news.example/story/amp"},
        {"id": "c", "text": text.upper()},
        {"id": "d", "text": "Short text."},
        {"id": "e", "text": "Short text."},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run("dedupe", str(source), "--out", str(out), home=tmp_path).returncode == 0
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["b"]["duplicate_of"] == "a"  # same canonical URL (AMP copy, tracking dropped)
    assert rows["c"]["duplicate_of"] == "a"  # same words
    assert rows["e"]["duplicate_of"] == "d"  # identical text, however short
    assert rows["a"]["duplicate_of"] is None


def test_bad_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": "a", "text": "x"}\nnot json\n[1]\n{"text": "no id"}\n{"id": "a", "text": "y"}\n',
                      encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("dedupe", str(source), "--out", str(out), home=tmp_path)
    assert result.returncode == 0
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["a"]
    for where in ("bad.jsonl:2", "bad.jsonl:3", "bad.jsonl:4", "bad.jsonl:5"):
        assert where in result.stderr
    missing = run("dedupe", str(tmp_path / "nope.jsonl"), "--out", str(out), home=tmp_path)
    assert missing.returncode == 1
    assert "nope.jsonl" in missing.stderr
    assert "Traceback" not in missing.stderr
