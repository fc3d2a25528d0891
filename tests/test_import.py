"""Importing files end to end through ``Storyline.import_paths``, on a real SQLite store."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storyline.app import Storyline
from storyline.types import ImportReport, StoredArticle

INPUTS = Path(__file__).parent / "data" / "inputs"

BRIDGE_URL = "https://news.example.org/local/bridge-reopens"


def all_articles(app: Storyline) -> list[StoredArticle]:
    return app.store.latest_articles(limit=10_000)


def by_title(app: Storyline) -> dict[str, StoredArticle]:
    return {a.title: a for a in all_articles(app)}


def failed_origins(report: ImportReport) -> Counter[str]:
    return Counter(f.origin for f in report.failures)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A folder of good files and bad ones, as a user's download folder looks."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(INPUTS / "article.html", folder / "article.html")
    shutil.copy(INPUTS / "cyrillic-cp1251.html", folder / "cyrillic.html")
    shutil.copy(INPUTS / "records.jsonl", folder / "records.jsonl")
    (folder / "notes").mkdir()
    (folder / "notes" / "council.txt").write_text(
        "Council meets on Friday\nThe council will meet on Friday to discuss the new bus routes.\n"
        "Residents may speak for three minutes each.\n",
        encoding="utf-8",
    )
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7 unknown types inside a folder are skipped silently")
    (folder / ".hidden.txt").write_text("Hidden\nNever imported.\n", encoding="utf-8")
    return folder


def test_import_folder_stores_good_files_and_reports_each_bad_one_once(
    app: Storyline, inbox: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "named.pdf"  # named directly, an unknown type is reported
    pdf.write_bytes(b"%PDF-1.7")
    report = app.import_paths([inbox, pdf])

    records = inbox / "records.jsonl"
    expected_failures = {
        str(inbox / "binary.html"),
        str(inbox / "empty.txt"),
        str(pdf),
        *(f"{records}:{n}" for n in (2, 3, 4, 5, 6, 11)),
    }
    origins = failed_origins(report)
    assert set(origins) == expected_failures
    assert all(count == 1 for count in origins.values()), origins
    assert all(f.reason for f in report.failures)

    stored = by_title(app)
    assert set(stored) == {
        "Riverside council approves new flood barrier",
        "В Москве открылась новая станция метро",
        "Council meets on Friday",
        "Bridge reopens after repairs",
        "Epoch seconds",
        "Naive ISO",
        "RFC 822 date",
    }
    assert report.inserted == len(stored)
    assert report.updated == 0
    assert report.unchanged == 0
    assert "Hidden" not in stored

    page = stored["Riverside council approves new flood barrier"]
    for marker in ("SCRIPT_MARKER", "STYLE_MARKER", "INLINE_SCRIPT_MARKER", "INLINE_STYLE_MARKER",
                   "color: red", "document.write", "console.log", "display: none"):
        assert marker not in page.text
    assert "The Riverside town council voted on Tuesday evening" in page.text
    assert "a second vote, on the route of a new cycle path" in page.text
    assert page.canonical_url == "https://gazette.example.com/news/flood-barrier?id=7"
    assert page.authors == ("Maria Okafor",)
    # the <h1> is the title; the text does not start by repeating it
    assert not page.text.startswith(page.title)

    cyrillic = stored["В Москве открылась новая станция метро"]
    assert "ещё десяти станций" in cyrillic.text

    bridge = stored["Bridge reopens after repairs"]
    assert bridge.canonical_url == BRIDGE_URL
    assert bridge.outlet == "Example News"
    assert bridge.published == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert stored["Naive ISO"].published == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)
    assert stored["RFC 822 date"].published == datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    for article in stored.values():
        assert article.published is None or article.published.utcoffset() is not None
        assert article.created_at.utcoffset() is not None


def test_import_again_is_idempotent(app: Storyline, inbox: Path) -> None:
    first = app.import_paths([inbox])
    before = {a.id: a for a in all_articles(app)}
    second = app.import_paths([inbox])
    assert second.inserted == 0
    assert second.updated == 0
    assert second.unchanged == first.inserted
    assert failed_origins(second) == failed_origins(first)
    after = {a.id: a for a in all_articles(app)}
    assert after == before  # not even updated_at moved


def test_editing_one_record_updates_it_in_place(app: Storyline, tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    records = [
        {"title": "Bridge reopens", "text": "The bridge reopened on Monday.", "url": BRIDGE_URL},
        {"title": "School opens", "text": "A new school opened.", "url": "https://news.example.org/school"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    assert app.import_paths([path]).inserted == 2
    original = app.store.get_article_by_url(BRIDGE_URL)
    assert original is not None

    records[0]["text"] = "The bridge reopened on Monday, two weeks late."
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    report = app.import_paths([path])
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    edited = app.store.get_article_by_url(BRIDGE_URL)
    assert edited is not None
    assert edited.id == original.id
    assert edited.text == "The bridge reopened on Monday, two weeks late."
    assert edited.content_hash != original.content_hash
    assert edited.created_at == original.created_at
    assert edited.updated_at >= original.updated_at
    assert app.store.count_articles() == 2


def test_same_url_twice_in_one_file_is_one_article(app: Storyline, tmp_path: Path) -> None:
    path = tmp_path / "dupes.jsonl"
    lines = [
        {"title": "First copy", "text": "Early text.", "url": BRIDGE_URL + "?utm_source=a"},
        {"title": "Other", "text": "Unrelated text.", "url": "https://news.example.org/other"},
        {"title": "Second copy", "text": "Later, fuller text.", "url": BRIDGE_URL + "/#comments"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    report = app.import_paths([path])
    assert not report.failures
    assert app.store.count_articles() == 2
    assert report.inserted == 2
    stored = app.store.get_article_by_url(BRIDGE_URL)
    assert stored is not None
    assert stored.title == "Second copy"  # the later copy in the file wins


def test_same_text_in_two_files_without_urls_is_one_article(app: Storyline, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Headline\nThe same story, word for word.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Headline\n\nThe  same story,\r\nword for word.\n", encoding="utf-8")
    report = app.import_paths([tmp_path])
    assert not report.failures
    assert app.store.count_articles() == 1


def test_failing_later_import_leaves_earlier_articles_untouched(
    app: Storyline, inbox: Path, tmp_path: Path
) -> None:
    app.import_paths([inbox])
    before = {a.id: a for a in all_articles(app)}
    assert before

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "binary.html").write_bytes(bytes(range(256)))
    (bad / "empty.txt").write_text("   \n", encoding="utf-8")
    (bad / "broken.jsonl").write_text('{"title": "x"\n[1]\n', encoding="utf-8")
    # A bad copy of a stored article's file: same name, now garbage.
    (bad / "records.jsonl").write_bytes(b"\x00\x01\x02")
    report = app.import_paths([bad, tmp_path / "missing-folder"])

    assert report.seen == 0
    assert set(failed_origins(report)) == {
        str(bad / "binary.html"),
        str(bad / "empty.txt"),
        f"{bad / 'broken.jsonl'}:1",
        f"{bad / 'broken.jsonl'}:2",
        str(bad / "records.jsonl"),
        str(tmp_path / "missing-folder"),
    }
    assert {a.id: a for a in all_articles(app)} == before


def test_hostile_json_lines_do_not_stop_the_import(app: Storyline, tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    path.write_text(
        "\n".join([
            '{"text": ' + "9" * 5000 + "}",
            "[" * 50_000 + "]" * 50_000,
            '{"title": "Lone \\ud83d surrogate", "text": "Body \\udc00 text", "url": "https://example.com/\\ud800"}',
            '{"title": "NUL \\u0000 title", "text": "Body with a \\u0000 NUL", "url": "https://example.com/a\\u0000b"}',
            '{"title": "Fine", "text": "An ordinary record."}',
        ]),
        encoding="utf-8",
    )
    report = app.import_paths([path])
    assert set(failed_origins(report)) == {f"{path}:1", f"{path}:2"}
    assert report.inserted == 3
    stored = by_title(app)
    assert set(stored) == {"Lone \ufffd surrogate", "NUL title", "Fine"}
    assert stored["NUL title"].text == "Body with a NUL"
    assert stored["NUL title"].url is None  # a URL with a NUL in it is not a URL
    assert stored["Lone \ufffd surrogate"].text == "Body \ufffd text"


@pytest.mark.timeout(60)
def test_deeply_nested_html_finishes_with_an_article_or_a_failure(app: Storyline, tmp_path: Path) -> None:
    depth = 100_000
    page = tmp_path / "deep.html"
    page.write_text(
        "<html><body>" + "<div>" * depth + "<p>Deep inside the page there is a sentence.</p>"
        + "</div>" * depth + "</body></html>",
        encoding="utf-8",
    )
    report = app.import_paths([page])
    assert report.seen + len(report.failures) == 1
    if report.failures:
        assert report.failures[0].origin == str(page)


@pytest.mark.timeout(60)
def test_twenty_megabyte_html_finishes_with_an_article_or_a_failure(app: Storyline, tmp_path: Path) -> None:
    paragraph = (
        "<p>The committee heard evidence from {n} witnesses about the state of the harbour, "
        "the cost of dredging it and the number of ships that now sail past to other ports.</p>\n"
    )
    body = "".join(paragraph.format(n=n) for n in range(120_000))
    page = tmp_path / "huge.html"
    page.write_text(f"<html><head><title>Huge</title></head><body><article>{body}</article></body></html>",
                    encoding="utf-8")
    assert page.stat().st_size > 20_000_000
    report = app.import_paths([page])
    assert report.seen + len(report.failures) == 1
    if report.failures:
        assert report.failures[0].origin == str(page)
    else:
        [article] = all_articles(app)
        assert "harbour" in article.text


def test_load_sample_twice_then_remove_only_the_sample(tmp_path: Path) -> None:
    from storyline.app import make_app
    from storyline.config import load_settings

    # Stories off: the subject is the sample's bookkeeping (conftest's sample_app loads it with every stage).
    app = make_app(load_settings({"home": str(tmp_path / "home"), "stories": "false"}, environ={}))
    try:
        _load_twice_then_remove(app, tmp_path)
    finally:
        app.close()


def _load_twice_then_remove(app: Storyline, tmp_path: Path) -> None:
    mine = tmp_path / "mine.txt"
    mine.write_text("My own article\nWritten by me, imported by hand.\n", encoding="utf-8")
    assert app.import_paths([mine]).inserted == 1

    first = app.load_sample()
    assert not first.failures
    assert first.inserted > 600
    second = app.load_sample()
    assert second.inserted == 0
    assert second.updated == 0
    assert second.unchanged == first.inserted
    stats = app.stats()
    assert stats.articles == first.inserted + 1
    assert stats.sample_articles == first.inserted

    assert app.remove_sample() == first.inserted
    remaining = all_articles(app)
    assert [a.title for a in remaining] == ["My own article"]
    assert not remaining[0].is_sample
    assert app.stats().sample_articles == 0
    assert app.remove_sample() == 0


def test_an_overlong_text_is_cut_at_a_paragraph_with_a_note(tmp_path: Path) -> None:
    from storyline.app import make_app
    from storyline.config import load_settings

    paragraph = "A paragraph of a report that goes on and on. " * 20
    text = "\n\n".join([paragraph] * 200)  # ~190,000 characters
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"title": "Long", "text": text, "url": "https://x.example/long"}) + "\n"
                    + json.dumps({"title": "Short", "text": "A short one.", "url": "https://x.example/s"}) + "\n",
                    encoding="utf-8")
    app = make_app(load_settings({"home": str(tmp_path / "home"), "max_article_chars": "10000",
                                  "stories": "false"}, environ={}))
    try:
        report = app.import_paths([path])
        assert report.inserted == 2
        assert not report.failures
        [note] = report.notes
        assert note.origin == f"{path}:1"
        assert "max_article_chars" in note.reason
        stored = {a.title: a for a in all_articles(app)}
        assert len(stored["Long"].text) <= 10000
        assert stored["Long"].text.endswith("and on."), "cut between paragraphs, not inside a word"
        assert stored["Short"].text == "A short one."
    finally:
        app.close()
