"""Aggregator text dumps: golden pages, headline and sub-heading rules, relative times, hostile input."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storyline.errors import ExtractError
from storyline.extract.textdump import extract_text_dump, looks_like_text_dump
from storyline.types import ExtractedArticle

DUMPS = Path(__file__).parent / "data" / "textdumps"
PAGES = sorted(DUMPS.glob("*.txt"))
SEED = DUMPS / "aggregator-page.txt"
NOW = datetime(2025, 8, 10, 12, 0, tzinfo=UTC)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _fields(article: ExtractedArticle) -> dict[str, Any]:
    """What the golden files hold for one article."""
    return {
        "title": article.title,
        "outlet": article.outlet,
        "published": article.published,
        "dateline": article.dateline,
        "credits": list(article.credits),
        "text": article.text,
    }


def _expected_fields(entry: dict[str, Any]) -> dict[str, Any]:
    fields = {key: entry[key] for key in ("title", "outlet", "dateline", "credits", "text")}
    return {**fields, "published": _time(entry["published"])}


def page(body: list[str], *, title: str = "Ministers meet to discuss the new harbour plan",
         related: str = "") -> str:
    """A small dump: title twice, outlet, glued time, body lines, comments box, then ``related``."""
    head = [title, title, "", "Harbour Times", "", "time5 minutes ago", "", "  • Harbour Times", "", title, ""]
    return "\n".join([*head, *body, "", "Comments", "", "No comments yet...", "", related])


def related_entry(title: str, time_line: str, body: str, outlet: str = "Coast Daily") -> str:
    return "\n".join([title, title, "", outlet, "", time_line, "", f"  • {outlet}", "", title, "", body, ""])


def body_of(text: str) -> str:
    return extract_text_dump(page([text]), origin="t", captured_at=NOW).text


# -- golden pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_golden_page(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    article = extract_text_dump(path.read_text(encoding="utf-8"), origin=path.name,
                                captured_at=_time(expected["captured_at"]))
    assert _fields(article) == _expected_fields(expected)
    assert [_fields(r) for r in article.related] == [_expected_fields(r) for r in expected["related"]]
    assert all(r.related == () for r in article.related)
    assert len({r.origin for r in article.related}) == len(article.related)


def test_there_are_golden_pages_for_two_aggregators() -> None:
    assert {p.stem for p in PAGES} >= {"aggregator-page", "other-aggregator"}
    assert all(p.with_suffix(".expected.json").exists() for p in PAGES)


# -- telling a dump from other text ---------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_pages_look_like_dumps(path: Path) -> None:
    assert looks_like_text_dump(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    "The council met on Monday. It approved the budget.\n\nThe mayor said the plan was sound.\n",
    "Storm hits coast\n\nThe storm hit the coast on Monday, officials said.\n\nRelated Articles\n",
    "",
    "<!DOCTYPE html><html><body><p>Hello</p></body></html>",
], ids=["article", "article-with-related-line", "empty", "html"])
def test_other_texts_do_not_look_like_dumps(text: str) -> None:
    assert not looks_like_text_dump(text)


def test_html_wrapping_a_dump_is_html() -> None:
    wrapped = "<html><body><pre>" + SEED.read_text(encoding="utf-8") + "</pre></body></html>"
    assert not looks_like_text_dump(wrapped)


# -- headlines, sub-headings and furniture inside bodies ------------------------------------------


@pytest.mark.parametrize(("line", "kept"), [
    ("Zelenskiy says Russia seems more inclined now to a ceasefire", None),
    ("Putin-Zelenskyy meeting?", "## Putin-Zelenskyy meeting?"),
    ("What the package includes:", "## What the package includes:"),
    ("Shadow fleet", "## Shadow fleet"),
    ("Why the harbour matters to the town and its fishing fleet", "## Why the harbour matters to the town and "
                                                                  "its fishing fleet"),
    ("Reporting by Ann Lee and Bo Park; Editing by Cy Dunn", "Reporting by Ann Lee and Bo Park; Editing by Cy Dunn"),
    ("The mayor said later that she had not seen the plan", "The mayor said later that she had not seen the plan"),
    ("He told reporters after the vote that the harbour would open next spring and that the "
     "fishing fleet would be the first to use it",
     "He told reporters after the vote that the harbour would open next spring and that the "
     "fishing fleet would be the first to use it"),
    ("Share this article", None),
    ("Sign up for our newsletter", None),
    ("Follow us on Facebook", None),
])
def test_standalone_lines(line: str, kept: str | None) -> None:
    text = body_of(f"The council met on Monday.\n{line}\nThe vote was close.")
    assert text.split("\n\n") == ["The council met on Monday.", *([kept] if kept else []), "The vote was close."]


def test_list_items_read_more_links_and_background_headings() -> None:
    text = body_of("The plan has three parts.\n• New quays for the ferries\n• A wider channel\nRead more\n"
                   "Background\nThe harbour was built in 1910.")
    assert text.split("\n\n") == ["The plan has three parts.", "• New quays for the ferries", "• A wider channel",
                                  "## Background", "The harbour was built in 1910."]


def test_title_printed_once_with_outlet_and_time() -> None:
    text = "Menu\nFerry fares to rise in June\nCoast Daily\n3 hours ago\nFares rise by a tenth.\nComments\n"
    article = extract_text_dump(text, origin="t", captured_at=NOW)
    assert (article.title, article.outlet, article.published, article.text) == (
        "Ferry fares to rise in June", "Coast Daily", NOW - timedelta(hours=3), "Fares rise by a tenth.")


def test_a_repeated_paragraph_deep_in_the_body_is_not_a_title() -> None:
    body = [f"Paragraph {n} of the report." for n in range(60)]
    text = "\n".join(["Ferry fares to rise in June", *body, "It was agreed.", "It was agreed.", "Comments"])
    article = extract_text_dump(text, origin="t", captured_at=NOW)
    assert article.title == "Ferry fares to rise in June"
    assert article.text.startswith("Paragraph 0 of")
    assert article.text.endswith("It was agreed.\n\nIt was agreed.")


def test_a_heading_with_nothing_under_it_is_dropped() -> None:
    assert body_of("The council met on Monday.\nOrange background\nTop picks") == "The council met on Monday."


@pytest.mark.parametrize(("paragraph", "glued"), [
    # A: the next sentence opens with a quote that closes like a whole sentence
    ("It is run by the city. Council demands new survey of harbour traffic 'We will act,' the mayor said.",
     "Council demands new survey of harbour traffic "),
    # B: a word that only opens sentences, right after a capitalised word
    ("The vote was close. Mayor says any deal must include unions, Port Authority The plan goes ahead.",
     "Mayor says any deal must include unions, Port Authority "),
    # C: a titled speaker after a capitalised word, in a sentence reporting speech
    ("Talks ended on Monday. Ministers to meet on harbour plan in Oslo Norwegian Prime Minister Ola Berg "
     "said on Sunday he was hopeful.", "Ministers to meet on harbour plan in Oslo "),
])
def test_glued_headlines_are_cut(paragraph: str, glued: str) -> None:
    assert body_of(paragraph) == paragraph.replace(glued, "")


@pytest.mark.parametrize("paragraph", [
    "The case went to a tribunal in The Hague. It was heard on Monday.",
    "Berg spoke on Sunday. Rutte told ABC's This Week broadcast on Sunday that talks would go on.",
    "The study was published on Monday. He went on to add 'The exceptions are rare,' in a statement.",
    "It was signed at a summit under the auspices of US President Trump. Both sides welcomed it.",
    "The talks ended. Speaking to reporters aboard Air Force One US President Donald Trump said it went well.",
    "They met at 10 a.m. Monday. The talks began an hour later.",
    "The deal was signed by U.S. President Joe Biden. Ministers from both countries met with European "
    "Commission President Ursula von der Leyen saying progress was made.",
    "It rained. 'Every week counts,' Kask said. Lithuanian President Gitanas Vaitkus said it was late.",
    "Shipping groups have warned about the plan. Officials said it was legal. The Guardian reported it first.",
])
def test_real_sentences_are_never_cut(paragraph: str) -> None:
    assert body_of(paragraph) == paragraph


# -- outlets and relative times -------------------------------------------------------------------


@pytest.mark.parametrize(("time_line", "published"), [
    ("time11 minutes ago", NOW - timedelta(minutes=11)),
    ("timean hour ago", NOW - timedelta(hours=1)),
    ("time3 hours ago", NOW - timedelta(hours=3)),
    ("time2 days ago", NOW - timedelta(days=2)),
    ("timeyesterday", NOW - timedelta(days=1)),
    ("11 minutes ago", NOW - timedelta(minutes=11)),
    ("Published 3 hours ago", NOW - timedelta(hours=3)),
    ("Updated: 5h ago", NOW - timedelta(hours=5)),
    ("time0 minutes ago", NOW),
    ("timejust now", NOW),
    ("timein 5 minutes", NOW),  # the future is clamped to the capture time
    ("time999 years ago", NOW - timedelta(days=999 * 365)),
    ("time999999999999 years ago", None),  # no representable time: none, and no crash
])
def test_relative_times_become_utc(time_line: str, published: datetime | None) -> None:
    text = page(["The council met on Monday."], related="Related Articles\n\n" + related_entry(
        "Coast road to close for repairs next month", time_line, "The road will close in May."))
    (entry,) = extract_text_dump(text, origin="t", captured_at=NOW).related
    assert (entry.outlet, entry.published) == ("Coast Daily", published)


def test_main_article_outlet_and_time_are_read() -> None:
    article = extract_text_dump(page(["The council met on Monday."]), origin="t", captured_at=NOW)
    assert (article.outlet, article.published) == ("Harbour Times", NOW - timedelta(minutes=5))


def test_naive_capture_time_is_taken_as_utc() -> None:
    article = extract_text_dump(page(["The council met."]), origin="t", captured_at=datetime(2025, 8, 10, 12))
    assert article.published == NOW - timedelta(minutes=5)


def test_related_headline_without_text_is_not_an_article() -> None:
    related = "Related Articles\n\n" + related_entry("Ferry fares to rise in June", "time1 hour ago", "") + (
        related_entry("Coast road to close for repairs next month", "time2 hours ago", "The road closes."))
    article = extract_text_dump(page(["The council met."], related=related), origin="t", captured_at=NOW)
    assert [r.title for r in article.related] == ["Coast road to close for repairs next month"]


# -- hostile input --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "", "   \n\n\t  \n",
    "logo\nOrange background\nTry Our AI Features\nComments\nNo comments yet...\nRelated Articles\n"
    "DOWNLOAD THE APP\nGet Started Now: Download the App\napp-storeplay-store\n",
], ids=["empty", "blank", "only-ui"])
def test_no_article_text_raises_extract_error(text: str) -> None:
    with pytest.raises(ExtractError, match="dump-origin"):
        extract_text_dump(text, origin="dump-origin", captured_at=NOW)


def test_page_without_related_articles() -> None:
    full = SEED.read_text(encoding="utf-8")
    article = extract_text_dump(full.split("Related Articles")[0], origin="t", captured_at=NOW)
    expected = json.loads(SEED.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert (article.text, article.related) == (expected["text"], ())


@pytest.mark.timeout(30)
def test_five_megabyte_dumps_finish() -> None:
    seed = SEED.read_text(encoding="utf-8")
    head, _, rest = seed.partition("The summit would be")
    body, _, tail = ("The summit would be" + rest).partition("Orange background")
    many_lines = head + body * (5_000_000 // len(body) + 1) + "Orange background" + tail
    assert looks_like_text_dump(many_lines)
    article = extract_text_dump(many_lines, origin="t", captured_at=NOW)
    assert len(article.text) > 4_000_000
    assert len(article.related) == 3
    one_line = page(["Word " * 1_000_000 + "end. " + "The talks ended. " * 100_000])
    assert extract_text_dump(one_line, origin="t", captured_at=NOW).text.endswith("ended.")


@pytest.mark.parametrize("seed", range(5))
def test_binary_junk_does_not_crash(seed: int) -> None:
    rng = random.Random(seed)
    junk = bytes(rng.randrange(256) for _ in range(20_000)).decode("latin-1")
    text = SEED.read_text(encoding="utf-8")
    cut = rng.randrange(len(text))
    for candidate in (junk, text[:cut] + junk[:500] + text[cut:], "\x00\ufffd\x1b[0m" + text):
        try:
            article = extract_text_dump(candidate, origin="t", captured_at=NOW)
        except ExtractError:
            continue
        assert "\x00" not in article.text
        assert article.title


def test_control_characters_are_dropped() -> None:
    article = extract_text_dump(page(["The council\x00 met\x07 on Monday."]), origin="t", captured_at=NOW)
    assert article.text == "The council met on Monday."
