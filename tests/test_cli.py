"""The real ``storyline`` console script, run as a user runs it (a subprocess, no mocks)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from storyline import __version__

REPO = Path(__file__).resolve().parents[1]
INPUTS = Path(__file__).parent / "data" / "inputs"
SCRIPT = Path(sys.executable).with_name("storyline")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def clean_env() -> dict[str, str]:
    """The environment without STORYLINE_* settings, and a terminal too narrow for long lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    # A narrow terminal would show whether messages get wrapped over several lines.
    env["COLUMNS"] = "60"
    env.pop("FORCE_COLOR", None)
    return env


def run(*args: str | Path, home: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)]
    if home is not None:
        command += ["--home", str(home)]
    command += [str(a) for a in args]
    return subprocess.run(
        command, capture_output=True, text=True, env=clean_env(), timeout=timeout, check=False,
        cwd=home.parent if home is not None else None,
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT} is missing: install the project into the venv"


def test_version(home: Path) -> None:
    result = run("--version", home=home)
    assert result.returncode == 0
    assert result.stdout.strip() == f"storyline {__version__}"


def mixed_folder(tmp_path: Path) -> tuple[Path, list[str]]:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(INPUTS / "article.html", folder / "article.html")
    shutil.copy(INPUTS / "latin1.txt", folder / "latin1.txt")
    (folder / "binary.html").write_bytes(bytes(range(256)) * 4)
    (folder / "empty.txt").write_bytes(b"")
    # A name that looks like rich markup must be printed as it is.
    (folder / "[red]odd.txt").write_text("only a title line\n", encoding="utf-8")
    (folder / "feed.jsonl").write_text(
        json.dumps({"title": "Good record", "text": "A record that imports.",
                    "url": "https://news.example.org/good", "published": "2024-05-01T12:00:00+02:00"})
        + "\nnot json at all\n",
        encoding="utf-8",
    )
    bad = [
        str(folder / "binary.html"),
        str(folder / "empty.txt"),
        str(folder / "[red]odd.txt"),
        f"{folder / 'feed.jsonl'}:2",
    ]
    return folder, bad


def test_import_mixed_folder_exits_0_and_names_each_bad_file_once(home: Path, tmp_path: Path) -> None:
    folder, bad = mixed_folder(tmp_path)
    result = run("import", folder, home=home)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    for origin in bad:
        assert result.stderr.count(origin) == 1, (origin, result.stderr)
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == len(bad)  # one line each, however long, in a 60-column terminal
    for line, origin in zip(sorted(skipped), sorted(bad), strict=True):
        assert line.startswith(f"skipped {origin}: ")
    assert "3 new, 0 updated, 0 unchanged, 4 skipped" in result.stderr

    again = run("import", folder, home=home)
    assert again.returncode == 0
    assert "0 new, 0 updated, 3 unchanged, 4 skipped" in again.stderr


def test_import_only_bad_files_exits_1_with_one_line_per_file(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "binary.html").write_bytes(b"\x00\x01\x02\x03" * 64)
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    pdf = tmp_path / "a-rather-long-file-name-for-a-narrow-terminal-report.pdf"
    pdf.write_bytes(b"%PDF")
    result = run("import", folder, pdf, home=home)
    assert_no_traceback(result)
    assert result.returncode == 1
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    expected = [str(folder / "binary.html"), str(folder / "empty.txt"), str(pdf)]
    assert len(skipped) == len(expected)
    for origin in expected:
        assert sum(line.startswith(f"skipped {origin}: ") for line in skipped) == 1
        assert result.stderr.count(origin) == 1
    assert "binary data" in result.stderr
    assert "unknown file type '.pdf'" in result.stderr


def test_import_missing_path_exits_1_naming_it(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = run("import", missing, home=home)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert result.stderr.count(str(missing)) == 1
    assert f"skipped {missing}: no such file or folder" in result.stderr


def test_articles_list_show_and_stats_as_json(home: Path, tmp_path: Path) -> None:
    folder, _ = mixed_folder(tmp_path)
    assert run("import", folder, home=home).returncode == 0

    listed = run("articles", "list", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 3
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert isinstance(row, dict)
        for key in ("created_at", "updated_at"):
            assert UTC_Z.match(row[key]), row[key]
        assert row["published"] is None or UTC_Z.match(row["published"])
    good = next(r for r in rows if r["title"] == "Good record")
    assert good["published"] == "2024-05-01T10:00:00Z"  # +02:00 stored as UTC
    assert good["canonical_url"] == "https://news.example.org/good"
    # newest first
    times = [datetime.fromisoformat(r["published"] or r["created_at"]) for r in rows]
    assert times == sorted(times, reverse=True)

    limited = run("articles", "list", "--json", "--limit", "1", "--offset", "1", home=home)
    assert [json.loads(line)["id"] for line in limited.stdout.splitlines()] == [rows[1]["id"]]

    shown = run("articles", "show", str(good["id"]), "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    article = json.loads(shown.stdout)
    assert article == good

    text = run("articles", "show", str(good["id"]), home=home)
    assert text.returncode == 0
    assert "Good record" in text.stdout
    assert "A record that imports." in text.stdout

    missing = run("articles", "show", "999999", home=home)
    assert missing.returncode == 1
    assert error_lines(missing) == [
        "error: no article with id 999999. List ids with `storyline articles list`."
    ]

    stats = run("stats", "--json", home=home)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["articles"] == 3
    assert data["sample_articles"] == 0
    assert data["database"] == "sqlite"
    assert UTC_Z.match(data["newest"])
    assert UTC_Z.match(data["oldest"])


def test_titles_that_look_like_markup_are_printed_as_they_are(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    record = {"title": "[VIDEO] Floods [/] and [bold]more", "text": "Body."}
    path.write_text(json.dumps(record), encoding="utf-8")
    assert run("import", path, home=home).returncode == 0
    listed = run("articles", "list", home=home)
    assert_no_traceback(listed)
    assert listed.returncode == 0
    shown = run("articles", "show", "1", home=home)
    assert_no_traceback(shown)
    assert shown.returncode == 0
    assert "[VIDEO] Floods [/] and [bold]more" in shown.stdout


def test_sample_load_then_remove(home: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.txt"
    mine.write_text("Mine\nAn article of my own.\n", encoding="utf-8")
    assert run("import", mine, home=home).returncode == 0

    # Stories off: the subject is the command and the sample's bookkeeping; the session's
    # sample_app fixture loads the sample with every stage. A hang guard, not a speed check.
    loaded = run("--setting", "stories=false", "sample", "load", home=home, timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    match = re.search(r"(\d+) new, 0 updated, 0 unchanged, 0 skipped", loaded.stderr)
    assert match, loaded.stderr
    count = int(match.group(1))
    assert count > 600

    again = run("--setting", "stories=false", "sample", "load", home=home, timeout=600)
    assert f"0 new, 0 updated, {count} unchanged, 0 skipped" in again.stderr

    stats = json.loads(run("stats", "--json", home=home).stdout)
    assert stats["sample_articles"] == count
    assert stats["articles"] == count + 1

    removed = run("sample", "remove", home=home)
    assert removed.returncode == 0
    assert f"Removed {count} sample articles." in removed.stderr
    stats = json.loads(run("stats", "--json", home=home).stdout)
    assert stats["articles"] == 1
    assert stats["sample_articles"] == 0


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("postgresql://u@/db?host=/nonexistent", "/db"),
        ("postgresql://u:secret@/db?host=/nonexistent", "/db"),
    ],
    ids=["no-password", "password"],
)
def test_unreachable_postgres_is_one_error_line(home: Path, url: str, names: str) -> None:
    result = run("--database-url", url, "stats", home=home)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert "secret" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "postgresql" in lines[0]
    assert names in lines[0]
    assert "cannot open the database" in lines[0]
    if "secret" in url:
        assert "u:***@" in lines[0]


def test_sqlite_in_a_forbidden_place_is_a_clear_error(home: Path) -> None:
    result = run("--database-url", "sqlite:////proc/forbidden/x.db", "stats", home=home)
    assert_no_traceback(result)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: /proc/forbidden/x.db: ")


def test_not_a_database_url_is_a_clear_error(home: Path) -> None:
    result = run("--database-url", "mysql://u:secret@localhost/db", "stats", home=home)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert "secret" not in result.stderr
    assert error_lines(result)
    assert "unsupported database" in result.stderr


def test_bad_setting_value_names_the_setting(home: Path) -> None:
    result = run("--setting", "port=abc", "stats", home=home)
    assert_no_traceback(result)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "'port'" in lines[0]


def test_unknown_setting_names_the_setting(home: Path) -> None:
    result = run("--setting", "colour=blue", "stats", home=home)
    assert result.returncode == 1
    assert "'colour'" in result.stderr
    assert_no_traceback(result)


def test_settings_markdown_matches_the_docs() -> None:
    result = run("settings", "--markdown")
    assert result.returncode == 0
    assert result.stdout.startswith("# Configuration\n")
    docs = REPO / "docs" / "configuration.md"
    if not docs.exists():
        pytest.skip("docs/configuration.md is not generated yet")
    assert result.stdout == docs.read_text(encoding="utf-8")


def test_settings_hide_the_api_key_and_database_passwords(home: Path) -> None:
    command = [str(SCRIPT), "--home", str(home), "--setting", "embedder_api_key=sk-very-secret", "--setting",
               "database_url=postgresql://reader:hunter2@db.example/news", "settings"]
    result = subprocess.run(command, capture_output=True, text=True, env={**clean_env(), "COLUMNS": "400"},
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "postgresql://reader:***@db.example/news" in result.stdout
    assert "(set, hidden)" in result.stdout
    assert "sk-very-secret" not in result.stdout
    assert "hunter2" not in result.stdout


TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_terminal_controls_in_pages_and_records_never_reach_the_terminal(tmp_path: Path, home: Path) -> None:
    # A title that would retitle the window (OSC), clear the screen (CSI) and hide text (bidi).
    hostile = "Breaking\x1b]0;pwned\x07 news\x1b[2J \x9b31m red\u202e txet"
    page = tmp_path / "page.html"
    page.write_text(f"<html><head><title>{hostile}</title></head><body><article><h1>{hostile}</h1>"
                    + "<p>A paragraph of the report, long enough to count as an article body. </p>" * 8
                    + "</article></body></html>", encoding="utf-8")
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({"title": hostile, "text": f"First line {hostile}.\n\nSecond paragraph.",
                                   "url": "https://x.example/1", "source": f"Outlet\x9b{hostile}"}) + "\n",
                       encoding="utf-8")

    shown = [run("extract", page), run("extract", page, "--json")]
    assert run("import", records, home=home).returncode == 0
    listed = run("articles", "list", home=home)
    article_id = "1"  # the first article of a new store
    shown += [listed, run("articles", "show", article_id, home=home),
              run("articles", "show", article_id, "--json", home=home), run("articles", "list", "--json", home=home)]
    for result in shown:
        assert result.returncode == 0, result.stderr
        assert not TERMINAL_CONTROLS.findall(result.stdout.replace("\n", "").replace("\t", "")), result.args
        assert not TERMINAL_CONTROLS.findall(result.stderr.replace("\n", "").replace("\t", "")), result.args
    assert "news" in shown[3].stdout, "the words themselves are kept"
    assert "red" in shown[3].stdout
