"""`storyline extract` and `storyline reprocess`, run as a user runs them (the real console script)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storyline.app import Storyline

DATA = Path(__file__).parent / "data"
PAGES = DATA / "pages"
SEED_DUMP = DATA / "textdumps" / "aggregator-page.txt"
SCRIPT = Path(sys.executable).with_name("storyline")
# The keys of one `storyline extract --json` result, and of each of its related articles.
EXTRACT_KEYS = {"input", "title", "text", "authors", "published", "updated", "language", "site_name",
                "canonical_url", "url", "description", "image", "credits", "dateline", "word_count", "related"}
RELATED_KEYS = {"title", "source", "published", "text", "credits", "dateline"}


def clean_env() -> dict[str, str]:
    """The environment without STORYLINE_* settings, in a narrow terminal (long lines would wrap)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    env["COLUMNS"] = "60"
    env.pop("FORCE_COLOR", None)
    return env


def run(home: Path, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "--home", str(home), *(str(a) for a in args)], capture_output=True, text=True,
        env=clean_env(), timeout=timeout, check=False, cwd=home.parent,
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout


def skipped_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("skipped ")]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def page(tmp_path: Path) -> Path:
    """A copy of a golden page with a dateline, an agency credit and meta tags."""
    copy = tmp_path / "pages" / "battery-rules.html"
    copy.parent.mkdir()
    shutil.copy(PAGES / "dateline-reuters.html", copy)
    return copy


# -- storyline extract ----------------------------------------------------------------------------


def test_extract_json_is_an_array_of_objects_with_the_documented_keys(home: Path, page: Path) -> None:
    french = page.with_name("tram.html")
    shutil.copy(PAGES / "french.html", french)
    result = run(home, "extract", page, french, "--json")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    assert len(records) == 2
    for record in records:
        assert set(record) == EXTRACT_KEYS
    first, second = records
    assert first["input"] == str(page)
    assert first["title"] == "EU agrees new rules on battery recycling"
    assert first["text"].startswith("BRUSSELS (Reuters) - European Union countries")
    assert (first["credits"], first["dateline"]) == (["Reuters"], "BRUSSELS")
    assert first["published"] == "2024-03-05T11:02:00Z"
    assert (first["site_name"], first["language"], first["related"]) == ("Market Wire Daily", "en", [])
    assert first["word_count"] == len(first["text"].split())
    assert (second["input"], second["language"]) == (str(french), "fr")
    assert not home.exists()  # extraction alone opens no store
    assert result.stderr.strip() == ""


def test_extract_jsonl_writes_one_object_per_line(home: Path, page: Path) -> None:
    other = page.with_name("bakery.html")
    shutil.copy(PAGES / "opengraph-only.html", other)
    result = run(home, "extract", page.parent, "--jsonl")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert {r["input"] for r in records} == {str(page), str(other)}
    assert all(set(r) == EXTRACT_KEYS for r in records)
    bakery = next(r for r in records if r["input"] == str(other))
    assert bakery["authors"] == ["Jane Doe", "John Roe"]
    assert bakery["canonical_url"] == "https://shire.example/life/bakery-award"


def test_extract_reads_a_gzipped_page(home: Path, page: Path) -> None:
    zipped = page.with_name("battery-rules.html.gz")
    zipped.write_bytes(gzip.compress(page.read_bytes()))
    page.unlink()
    result = run(home, "extract", zipped, "--json")
    assert result.returncode == 0, result.stderr
    [record] = json.loads(result.stdout)
    assert record["input"] == str(zipped)
    assert record["title"] == "EU agrees new rules on battery recycling"
    assert record["credits"] == ["Reuters"]


def test_extract_text_dump_gives_related_articles_timed_from_captured_at(home: Path) -> None:
    result = run(home, "extract", SEED_DUMP, "--captured-at", "2025-08-10T12:00:00Z", "--json")
    assert result.returncode == 0, result.stderr
    [record] = json.loads(result.stdout)
    assert record["title"] == "Kremlin says Trump-Putin meeting agreed for ‘coming days'"
    assert record["dateline"] == "MOSCOW"
    related = record["related"]
    assert len(related) == 3
    assert all(set(r) == RELATED_KEYS for r in related)
    captured = datetime(2025, 8, 10, 12, 0, tzinfo=UTC)
    published = [datetime.fromisoformat(r["published"].replace("Z", "+00:00")) for r in related]
    assert [captured - p for p in published] == [timedelta(minutes=11), timedelta(hours=1), timedelta(hours=3)]
    assert [r["published"] for r in related] == ["2025-08-10T11:49:00Z", "2025-08-10T11:00:00Z",
                                                 "2025-08-10T09:00:00Z"]
    assert related[1]["dateline"] == "BRUSSELS"
    assert all(r["source"] == "Business Recorder" for r in related)


def test_captured_at_without_a_zone_is_utc(home: Path) -> None:
    result = run(home, "extract", SEED_DUMP, "--captured-at", "2025-08-10T12:00:00", "--jsonl")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["related"][0]["published"] == "2025-08-10T11:49:00Z"


def test_a_bad_input_among_good_ones_is_reported_once_and_the_run_succeeds(home: Path, page: Path) -> None:
    binary = page.with_name("binary.html")
    binary.write_bytes(bytes(range(256)) * 4)
    textless = page.with_name("textless.html")
    textless.write_text("<html><head><script>app()</script></head><body><div id='root'></div></body></html>",
                        encoding="utf-8")
    missing = page.with_name("missing.html")
    result = run(home, "extract", binary, page, textless, missing, "--json")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    [record] = json.loads(result.stdout)
    assert record["input"] == str(page)
    skipped = skipped_lines(result)
    assert len(skipped) == 3  # one line each, in a 60-column terminal
    for bad in (binary, textless, missing):
        assert result.stderr.count(str(bad)) == 1, (bad, result.stderr)
        assert sum(line.startswith(f"skipped {bad}: ") for line in skipped) == 1
    assert "no article text" in result.stderr
    assert "no such file or folder" in result.stderr


def test_only_bad_inputs_exit_1(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    scripts = tmp_path / "scripts.html"
    scripts.write_text("<script>x()</script><style>p{}</style>", encoding="utf-8")
    result = run(home, "extract", empty, scripts, "--json")
    assert_no_traceback(result)
    assert result.returncode == 1
    assert json.loads(result.stdout) == []
    assert len(skipped_lines(result)) == 2
    assert result.stderr.count(str(empty)) == 1
    assert result.stderr.count(str(scripts)) == 1


def test_nonsense_captured_at_exits_2_saying_what_is_wrong(home: Path, page: Path) -> None:
    result = run(home, "extract", page, "--captured-at", "nonsense", "--json")
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == ["error: --captured-at 'nonsense' is not an ISO 8601 time"]


def test_extract_without_json_prints_a_readable_summary(home: Path, page: Path) -> None:
    result = run(home, "extract", page)
    assert result.returncode == 0, result.stderr
    shown = " ".join(result.stdout.split())  # wrapped to the 60-column terminal
    assert "EU agrees new rules on battery recycling" in shown
    assert "Market Wire Daily · 2024-03-05 11:02 UTC · en · credits Reuters" in shown
    assert "BRUSSELS (Reuters) - European Union" in shown


# -- import, then reprocess -----------------------------------------------------------------------


def _listed(home: Path) -> list[dict[str, Any]]:
    result = run(home, "articles", "list", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_reprocess_keeps_the_article_and_its_id(home: Path, page: Path) -> None:
    imported = run(home, "import", page)
    assert_no_traceback(imported)
    assert imported.returncode == 0, imported.stderr
    assert "1 new, 0 updated, 0 unchanged, 0 skipped" in imported.stderr
    [before] = _listed(home)

    page.unlink()  # reprocess works from the kept page, not from the file
    reprocessed = run(home, "reprocess")
    assert_no_traceback(reprocessed)
    assert reprocessed.returncode == 0, reprocessed.stderr
    # The same extractor on the same page: nothing to change.
    assert "0 new, 0 updated, 1 unchanged, 0 skipped" in reprocessed.stderr
    [after] = _listed(home)
    assert after["id"] == before["id"]
    assert after["canonical_url"] == before["canonical_url"]
    assert after["text"] == before["text"]
    assert after["credits"] == ["Reuters"]
    assert after["dateline"] == "BRUSSELS"


def test_reprocess_on_an_empty_store_does_nothing(home: Path) -> None:
    result = run(home, "reprocess")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert "0 new, 0 updated, 0 unchanged, 0 skipped" in result.stderr


def test_reprocess_extracts_from_the_kept_page(app: Storyline, page: Path) -> None:
    report = app.import_paths([page])
    assert (report.inserted, report.failures) == (1, ())
    [stored] = app.store.latest_articles(limit=5)
    page.unlink()

    origins: list[str] = []
    again = app.reprocess(on_page=origins.append)
    assert (again.inserted, again.updated, again.unchanged, again.failures) == (0, 0, 1, ())
    assert origins == [str(page)]
    kept = app.store.get_article(stored.id)
    assert kept is not None
    assert kept.text == stored.text
    assert kept.text.startswith("BRUSSELS (Reuters) - European Union countries")
    assert kept.canonical_url == stored.canonical_url
    assert app.store.count_articles() == 1
