"""A full disk: a clear error naming what could not be written, a sound database, nothing stored lost.

SQLite's own limit (``PRAGMA max_page_count``) makes it fail exactly as on a full disk
(SQLITE_FULL, "database or disk is full"); a process file-size limit (RLIMIT_FSIZE, with
SIGXFSZ ignored) makes every other write of a real ``storyline import`` fail as a full disk
does (EFBIG), without filling the machine's disk.
"""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from storyline.app import make_app
from storyline.config import load_settings
from storyline.errors import DiskFullError
from tests.conftest import CORPORA
from tests.test_extract_cli import SCRIPT, clean_env


def _records(path: Path, start: int, stop: int) -> int:
    lines = (CORPORA / "clustering" / "gva-pool-train.jsonl").read_text(encoding="utf-8").splitlines()[start:stop]
    records = [json.loads(line) for line in lines]
    kept = [{"id": r["doc_id"], "title": r.get("title") or "untitled", "text": r["text"]} for r in records
            if r.get("text")]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    return len(kept)


def test_a_full_database_disk_stops_the_import_clearly_and_the_rerun_stores_everything(tmp_path: Path) -> None:
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    stored_first = _records(first, 0, 20)
    stored_rest = _records(rest, 20, 200)
    settings = load_settings({"home": str(tmp_path / "home"), "stories": "false"}, environ={})
    app = make_app(settings)
    try:
        assert app.import_paths([first]).inserted == stored_first
        with app.store._engines.writer.connect() as conn:  # the one writer connection (a pool of one)
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            conn.exec_driver_sql(f"PRAGMA max_page_count = {pages + 40}")
        with pytest.raises(DiskFullError) as raised:
            app.import_paths([rest])
        assert "the disk is full while" in str(raised.value)
        assert "run the same command again" in str(raised.value)
    finally:
        app.close()
    database = sqlite3.connect(tmp_path / "home" / "storyline.db")
    try:
        assert database.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        kept = database.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        database.close()
    assert stored_first <= kept < stored_first + stored_rest
    again = make_app(settings)  # space is back (a new connection has no page limit)
    try:
        again.import_paths([rest])
        after = again.store.stats().articles
    finally:
        again.close()
    control = make_app(load_settings({"home": str(tmp_path / "control"), "stories": "false"}, environ={}))
    try:  # the same files into a store that never ran out of space
        control.import_paths([first, rest])
        assert after == control.store.stats().articles
    finally:
        control.close()


def _file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_under_storyline_import_is_one_clear_line_and_the_database_stays_sound(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    _records(records, 0, 40)
    home = tmp_path / "home"
    result = subprocess.run([str(SCRIPT), "--home", str(home), "import", str(records)], capture_output=True,
                            text=True, env={**clean_env(), "STORYLINE_STORIES": "false"}, timeout=300,
                            check=False, cwd=tmp_path, preexec_fn=lambda: _file_size_limit(4_000_000))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    said = " ".join(result.stderr.split())
    assert "error:" in said
    assert "cannot be written (File too large)" in said or "the disk is full" in said
    assert "Free space on the disk" in said
    database = home / "storyline.db"
    if database.exists():
        connection = sqlite3.connect(database)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            connection.close()
