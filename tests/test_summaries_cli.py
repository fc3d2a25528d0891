"""`storyline summarize` and `storyline story`, run as a user runs them (the real console script)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from storyline.app import make_app
from storyline.config import load_settings
from tests.conftest import CORPORA
from tests.test_extract_cli import SCRIPT, clean_env

SEED = CORPORA / "news" / "seed" / "aggregator-page.txt"


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), "--home", str(home), *args], capture_output=True, text=True,
                          env=clean_env(), timeout=180, check=False, cwd=home)


def _pool_records(stories: int, per_story: int) -> list[dict[str, Any]]:
    """Reports of the gun-violence pool, grouped by incident: the ``story`` field is the incident."""
    found: dict[str, list[dict[str, Any]]] = {}
    with (CORPORA / "clustering" / "gva-pool-train.jsonl").open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            found.setdefault(str(record["incident_id"]), []).append(record)
    chosen = [reports[:per_story] for reports in found.values() if len(reports) >= per_story][:stories]
    return [{"id": r["doc_id"], "story": r["incident_id"], "title": r.get("title") or "", "text": r["text"],
             "published": r.get("date"), "source": r.get("source")} for reports in chosen for r in reports]


def test_summarize_writes_one_cited_summary_per_story(tmp_path: Path) -> None:
    records = _pool_records(3, 3)
    given = tmp_path / "in.jsonl"
    given.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = _run(tmp_path, "summarize", str(given), "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(str(line["story"]) for line in lines) == sorted({str(r["story"]) for r in records})
    texts = {r["id"]: r["text"] for r in records}
    for line in lines:
        assert 3 <= len(line["summary"]) <= 6
        for sentence in line["summary"]:
            own = sentence["cites"][0]
            assert own["sentence"] == sentence["sentence"]
            assert own["id"] in texts
            # offsets are into the clean text; the sentence is the record's own words
            assert " ".join(sentence["sentence"].split()) in " ".join(texts[own["id"]].split())
    assert "3 stories summarised from 9 records" in result.stderr


def test_summarize_fills_max_words(tmp_path: Path) -> None:
    records = _pool_records(2, 4)
    given = tmp_path / "in.jsonl"
    given.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _run(tmp_path, "summarize", str(given), "--out", str(out), "--max-words", "120").returncode == 0
    for line in out.read_text(encoding="utf-8").splitlines():
        words = sum(len(s["sentence"].split()) for s in json.loads(line)["summary"])
        assert 60 <= words <= 120


def test_summarize_skips_bad_records_by_line_and_keeps_the_rest(tmp_path: Path) -> None:
    records = _pool_records(1, 3)
    lines = [json.dumps(records[0]), "{not json", json.dumps({"id": "x", "title": "no story field", "text": "Hi."}),
             json.dumps(records[1]), json.dumps({**records[2], "text": "<script>alert(1)</script>" * 3})]
    given = tmp_path / "in.jsonl"
    given.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "\xff\xfe", "story": 1}\n')
    out = tmp_path / "out.jsonl"
    result = _run(tmp_path, "summarize", str(given), "--out", str(out))
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert ":2: not JSON" in said
    assert ':3: no "story" in the record' in said
    assert ":6: not UTF-8" in said
    assert "Traceback" not in said
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(written) == 1
    assert all("alert" not in s["sentence"] for s in written[0]["summary"])


def test_summarize_names_a_missing_input_and_an_unwritable_output(tmp_path: Path) -> None:
    missing = _run(tmp_path, "summarize", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl"))
    assert missing.returncode != 0
    assert "nope.jsonl" in missing.stderr
    given = tmp_path / "in.jsonl"
    given.write_text(json.dumps(_pool_records(1, 2)[0]) + "\n", encoding="utf-8")
    unwritable = _run(tmp_path, "summarize", str(given), "--out", str(tmp_path / "no" / "such" / "o.jsonl"))
    assert unwritable.returncode != 0
    assert "o.jsonl" in unwritable.stderr
    assert "Traceback" not in unwritable.stderr


@pytest.fixture(scope="module")
def stored_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("story-home")
    result = _run(home, "import", str(SEED))
    assert result.returncode == 0, result.stderr
    return home


def test_story_json_gives_summary_timeline_quotes_and_entities(stored_home: Path) -> None:
    app = make_app(load_settings({"home": str(stored_home)}, environ={}))
    try:
        first = next(a for a in app.store.latest_articles(limit=10) if a.title.startswith("Kremlin says"))
        story_id = app.store.stories_of([first.id])[first.id]
    finally:
        app.close()
    result = _run(stored_home, "story", str(story_id), "--json")
    assert result.returncode == 0, result.stderr
    story = json.loads(result.stdout)
    assert story["summary_method"] == "extractive"
    assert 3 <= len(story["summary"]) <= 6
    assert all(s["cites"] and s["cites"][0]["sentence"] == s["sentence"] for s in story["summary"])
    assert story["developments"]
    assert "Yuri Ushakov" in story["quotes"]
    assert any(e["name"] == "Volodymyr Zelenskyy" and e["type"] == "person" for e in story["entities"])
    readable = _run(stored_home, "story", str(story_id))
    assert readable.returncode == 0
    assert "Summary" in readable.stdout
    assert "Yuri Ushakov" in readable.stdout


def test_story_of_an_unknown_or_huge_id_is_a_clear_error(stored_home: Path) -> None:
    for story_id in ("999999", str(2**31 + 5), "-3", "abc"):
        result = _run(stored_home, "story", story_id)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
