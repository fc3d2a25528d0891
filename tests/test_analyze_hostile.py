"""Hostile input to the per-article analysis: scripts in pages, control characters, files that are no article.

Nothing crashes a run: a bad input is skipped with a message naming it, the others are analysed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from storyline.ingest.prepare import prepare_item
from storyline.types import RawItem
from tests.test_extract_cli import SCRIPT, clean_env

PAGE = """<!doctype html><html><head><title>Summit agreed</title>
<script>var speaker = "Angela Merkel"; document.write("'We never said this,' said Angela Merkel.");</script>
<style>.x{content:"Boris Johnson said 'style sheets speak'"}</style></head>
<body><article><h1>Summit agreed</h1>
<p>Kremlin aide Yuri Ushakov said on Thursday the summit was agreed. 'Next week has been set as a target date,'
said Ushakov.</p><script>alert("'Injected quote from a script tag here,' said Boris Johnson.")</script>
<p>Donald Trump said he would attend. Vladimir Putin said nothing\x00 about\x1b[0m the venue.</p>
<noscript>Enable JavaScript, said Jeff Bezos.</noscript></article></body></html>"""


def test_names_and_quotes_in_scripts_and_styles_are_not_the_articles() -> None:
    [prepared] = prepare_item(RawItem(origin="page.html", html=PAGE.replace("\\x00", "\x00").replace("\\x1b", "\x1b"),
                                      url="https://news.example/summit"))
    names = {e.name for e in prepared.article.entities}
    assert {"Yuri Ushakov", "Donald Trump", "Vladimir Putin"} <= names
    assert not names & {"Angela Merkel", "Boris Johnson"}
    assert [(q.text, q.speaker) for q in prepared.article.quotes] == [
        ("Next week has been set as a target date", "Yuri Ushakov")]


@pytest.mark.timeout(120)
def test_analyze_skips_what_is_no_article_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "records.jsonl").write_text('{"id": 1, "title": "Putin speaks", "text": "Vladimir Putin spoke."}\n'
                                            'not json\n{"id": "x"}\n', encoding="utf-8")
    (tmp_path / "huge.txt").write_text("Huge\n" + ("Mark Rutte said 'unbalanced " * 200_000), encoding="utf-8")
    result = subprocess.run([str(SCRIPT), "--home", str(tmp_path / "home"), "analyze", str(tmp_path), "--jsonl"],
                            capture_output=True, text=True, env=clean_env(), timeout=110, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any('"id": "1"' in line and "Vladimir Putin" in line for line in lines)
    assert "skipped" in result.stderr
    assert "records.jsonl:2" in result.stderr
