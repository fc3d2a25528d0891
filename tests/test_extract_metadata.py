"""Page metadata: golden pages (input beside expected output), the order of date sources, titles, canonicals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storyline.extract import extract_page
from storyline.extract.guard import parse_html
from storyline.extract.metadata import page_metadata
from storyline.types import ExtractedArticle

PAGES_DIR = Path(__file__).parent / "data" / "pages"
PAGES = sorted(p for p in PAGES_DIR.iterdir() if p.suffix in (".html", ".xhtml"))
FIELDS = ("title", "authors", "published", "updated", "canonical_url", "outlet", "language", "image",
          "description", "credits", "dateline")
BODY = "".join(
    f"<p>Paragraph {n}: the harbour board met on Tuesday and agreed to dredge the channel before the "
    f"autumn storms, after pilots warned that larger ships could run aground at low tide.</p>\n"
    for n in range(1, 5)
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _fields(article: ExtractedArticle) -> dict[str, Any]:
    """What the golden files hold for a page, in their JSON spelling."""
    return {
        "title": article.title,
        "authors": list(article.authors),
        "published": _iso(article.published),
        "updated": _iso(article.updated),
        "canonical_url": article.canonical_url,
        "outlet": article.outlet,
        "language": article.language,
        "image": article.image,
        "description": article.description,
        "credits": list(article.credits),
        "dateline": article.dateline,
    }


def _expected(page: Path) -> dict[str, Any]:
    return json.loads(page.with_name(page.stem + ".expected.json").read_text(encoding="utf-8"))


# -- golden pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_golden_page(page: Path) -> None:
    expected = _expected(page)
    html = page.read_text(encoding="utf-8")
    article = extract_page(html, origin=page.name, url=expected["url"])
    assert _fields(article) == expected["fields"]
    assert article.url == expected["url"]
    meta = page_metadata(parse_html(html, page.name), expected["url"])
    assert meta.foreign_canonical_url == expected["foreign_canonical_url"]
    for words in expected["text_contains"]:
        assert words in article.text, f"{words!r} missing from the text of {page.name}"
    for words in expected["text_lacks"]:
        assert words not in article.text, f"{words!r} should not be in the text of {page.name}"


def test_every_golden_page_has_a_complete_expected_file() -> None:
    assert len(PAGES) >= 12
    for page in PAGES:
        expected = _expected(page)
        assert set(expected) == {"url", "fields", "foreign_canonical_url", "text_contains", "text_lacks"}, page
        assert tuple(expected["fields"]) == FIELDS, page
        assert expected["text_contains"], f"{page.name}: say what the text must hold"


def test_golden_pages_cover_the_cases_they_are_named_for() -> None:
    """The cases the page set promises, checked on the expected files so that none goes missing."""
    by_name = {p.stem: _expected(p) for p in PAGES}
    assert by_name["syndicated-copy"]["foreign_canonical_url"].startswith("https://original-wire.example/")
    assert by_name["french"]["fields"]["language"] == "fr"
    assert by_name["dateline-reuters"]["fields"]["credits"] == ["Reuters"]
    assert by_name["dateline-reuters"]["fields"]["dateline"] == "BRUSSELS"
    assert by_name["afp-credit"]["fields"]["credits"] == ["AFP"]
    assert by_name["url-date"]["fields"]["published"] == "2024-05-01T00:00:00Z"
    assert "Harbour Herald" not in by_name["title-site-suffix"]["fields"]["title"]


def test_a_syndicated_copy_keeps_its_own_url_and_records_the_original() -> None:
    page = PAGES_DIR / "syndicated-copy.html"
    url = "https://regionaldaily.example/farming/drought-cattle"
    html = page.read_text(encoding="utf-8")
    # Without the page's own og:url, the foreign rel=canonical still never becomes the canonical URL.
    without_own = html.replace('<meta property="og:url"', '<meta property="og:ignored"')
    article = extract_page(without_own, origin="copy", url=url)
    assert article.canonical_url is None
    assert article.url == url
    meta = page_metadata(parse_html(without_own, "copy"), url)
    assert meta.foreign_canonical_url == "https://original-wire.example/world/drought-cattle-sale"


def test_the_json_ld_body_is_used_when_the_page_hides_the_text() -> None:
    from storyline.extract.body import extract_body

    html = (PAGES_DIR / "paywall-jsonld-body.html").read_text(encoding="utf-8")
    tree = parse_html(html, "paywall")
    meta = page_metadata(tree, None)
    assert meta.json_ld_body is not None
    assert meta.json_ld_body.startswith("The central bank kept")
    body = extract_body(tree, html, url=None, title=meta.title, json_ld_body=meta.json_ld_body)
    assert body.method == "json-ld"
    assert len(body.blocks) == 5


# -- the order of publication-time sources ---------------------------------------------------------

# One date per source, each different, so that the winner is plain to see.
DATE_SOURCES = {
    "json_ld": datetime(2024, 1, 1, 8, 0, tzinfo=UTC),
    "meta": datetime(2024, 1, 2, 8, 0, tzinfo=UTC),
    "time": datetime(2024, 1, 3, 8, 0, tzinfo=UTC),
    "feed": datetime(2024, 1, 4, 8, 0, tzinfo=UTC),
    "url": datetime(2024, 1, 5, tzinfo=UTC),
}
ORDER = tuple(DATE_SOURCES)  # as written in storyline.extract.metadata's docstring


def dated_page(sources: set[str]) -> tuple[str, str, datetime | None]:
    """A page giving its date in ``sources``: (html, url, feed date)."""
    head = ["<title>Harbour board agrees to dredge the channel</title>"]
    if "json_ld" in sources:
        ld = {"@context": "https://schema.org", "@type": "NewsArticle",
              "headline": "Harbour board agrees to dredge the channel",
              "datePublished": DATE_SOURCES["json_ld"].isoformat()}
        head.append(f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    if "meta" in sources:
        head.append(f'<meta property="article:published_time" content="{DATE_SOURCES["meta"].isoformat()}">')
    time_element = ""
    if "time" in sources:
        time_element = f'<time itemprop="datePublished" datetime="{DATE_SOURCES["time"].isoformat()}">Jan 3</time>'
    html = (f"<html lang='en'><head>{''.join(head)}</head><body><article>"
            f"<h1>Harbour board agrees to dredge the channel</h1>{time_element}{BODY}</article></body></html>")
    url = "https://port.example/2024/01/05/dredging" if "url" in sources else "https://port.example/news/dredging"
    return html, url, DATE_SOURCES["feed"] if "feed" in sources else None


@pytest.mark.parametrize("best", ORDER)
def test_published_comes_from_the_most_trusted_source_present(best: str) -> None:
    present = set(ORDER[ORDER.index(best):])  # this source and every less trusted one
    html, url, feed_published = dated_page(present)
    article = extract_page(html, origin=f"dated-{best}", url=url, feed_published=feed_published)
    assert article.published == DATE_SOURCES[best]


@pytest.mark.parametrize("only", ORDER)
def test_each_date_source_is_read_on_its_own(only: str) -> None:
    html, url, feed_published = dated_page({only})
    article = extract_page(html, origin=f"only-{only}", url=url, feed_published=feed_published)
    assert article.published == DATE_SOURCES[only]


def test_no_date_anywhere_leaves_published_empty() -> None:
    html, url, _ = dated_page(set())
    assert extract_page(html, origin="undated", url=url).published is None


def test_an_impossible_url_date_is_no_date() -> None:
    html, _, _ = dated_page(set())
    article = extract_page(html, origin="feb-30", url="https://port.example/2024/02/30/dredging")
    assert article.published is None


# -- titles ---------------------------------------------------------------------------------------


def _title(title_tag: str, site_name: str | None = None, headline: str | None = None) -> str | None:
    head = f"<title>{title_tag}</title>"
    if site_name:
        head += f'<meta property="og:site_name" content="{site_name}">'
    if headline:
        head += ('<script type="application/ld+json">'
                 + json.dumps({"@type": "NewsArticle", "headline": headline}) + "</script>")
    tree = parse_html(f"<html><head>{head}</head><body><p>Text.</p></body></html>", "title")
    return page_metadata(tree).title


@pytest.mark.parametrize(("title_tag", "site_name", "expected"), [
    ("Council backs the harbour dredging plan | Harbour Herald", None, "Council backs the harbour dredging plan"),
    ("Council backs the harbour dredging plan - The Harbour Herald Newspaper", "The Harbour Herald Newspaper",
     "Council backs the harbour dredging plan"),
    ("Harbour Herald :: Council backs the harbour dredging plan", "Harbour Herald",
     "Council backs the harbour dredging plan"),
    ("Council backs plan | Dredging | Harbour Herald", "Harbour Herald", "Council backs plan | Dredging"),
    ("Champions League final: Real Madrid 2 - 0 Dortmund", None, "Champions League final: Real Madrid 2 - 0 Dortmund"),
    ("Arsenal 3 - 1 Chelsea: Saka scores twice", None, "Arsenal 3 - 1 Chelsea: Saka scores twice"),
    ("Budget 2025 - what it means for you and your family | Money Desk", None,
     "Budget 2025 - what it means for you and your family"),
    ("Ceasefire talks resume in Cairo", None, "Ceasefire talks resume in Cairo"),
])
def test_title_tag_without_the_site_name(title_tag: str, site_name: str | None, expected: str) -> None:
    assert _title(title_tag, site_name) == expected


def test_a_json_ld_headline_keeps_a_short_last_part() -> None:
    headline = "Floods in the north: what we know – day 3"
    assert _title("Floods | River Valley Times", "River Valley Times", headline) == headline
    # ... but not the site's name, when a site puts it there too.
    assert _title("x", "River Valley Times", headline + " | River Valley Times") == headline


# -- canonical URL, authors, references -----------------------------------------------------------


@pytest.mark.parametrize(("href", "canonical", "foreign"), [
    ("/news/dredging", "https://port.example/news/dredging", None),
    ("https://www.port.example/news/dredging", "https://www.port.example/news/dredging", None),
    ("https://m.port.example/news/dredging", "https://m.port.example/news/dredging", None),
    ("https://wire.example/dredging", None, "https://wire.example/dredging"),
    ("javascript:alert(1)", None, None),
    ("http://[broken", None, None),
])
def test_canonical_only_on_the_pages_own_site(href: str, canonical: str | None, foreign: str | None) -> None:
    tree = parse_html(f'<html><head><link rel="canonical" href="{href}"></head><body><p>x</p></body></html>', "c")
    meta = page_metadata(tree, "https://port.example/news/dredging?ref=home")
    assert (meta.canonical_url, meta.foreign_canonical_url) == (canonical, foreign)


def test_invalid_urls_in_the_page_or_from_the_caller_are_ignored_not_raised() -> None:
    html = ('<html><head><link rel="canonical" href="http://[::1"><meta property="og:image" content="http://[x">'
            f"</head><body><article><h1>Harbour board agrees to dredge</h1>{BODY}</article></body></html>")
    article = extract_page(html, origin="bad-urls", url="http://[not-a-url/2024/01/05/x")
    assert article.canonical_url is None
    assert article.image is None
    assert "dredge the channel" in article.text


def test_json_ld_references_are_resolved_within_the_graph() -> None:
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "NewsArticle", "headline": "Harbour board agrees to dredge the channel",
         "author": [{"@id": "#a1"}, {"@id": "#a2"}, {"@id": "#missing"}], "publisher": {"@id": "#org"},
         "image": {"@id": "#img"}},
        {"@type": "Person", "@id": "#a1", "name": "Ana Lima"},
        {"@type": "Person", "@id": "#a2", "name": "Bo Chen"},
        {"@type": "Organization", "@id": "#org", "name": "Port Weekly"},
        {"@type": "ImageObject", "@id": "#img", "url": "/img/dredger.jpg"},
    ]}
    html = f'<html><head><script type="application/ld+json">{json.dumps(graph)}</script></head><body></body></html>'
    meta = page_metadata(parse_html(html, "graph"), "https://port.example/news/dredging")
    assert meta.authors == ("Ana Lima", "Bo Chen")
    assert meta.site_name == "Port Weekly"
    assert meta.image == "https://port.example/img/dredger.jpg"


@pytest.mark.parametrize(("content", "expected"), [
    ("By Jane Doe and John Roe", ("Jane Doe", "John Roe")),
    ("Jane Doe, John Roe; Ana Lima", ("Jane Doe", "John Roe", "Ana Lima")),
    ("https://facebook.com/janedoe", ()),
])
def test_authors_from_the_meta_tag(content: str, expected: tuple[str, ...]) -> None:
    tree = parse_html(f'<html><head><meta name="author" content="{content}"></head><body><p>x</p></body></html>', "a")
    assert page_metadata(tree).authors == expected


def test_broken_json_ld_is_skipped_and_other_sources_still_count() -> None:
    html = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
            '<script type="application/ld+json">' + "[" * 5000 + "</script>"
            '<meta property="og:title" content="Harbour board agrees to dredge the channel">'
            '<meta property="article:published_time" content="2024-01-02T08:00:00Z"></head><body></body></html>')
    meta = page_metadata(parse_html(html, "broken-ld"))
    assert meta.title == "Harbour board agrees to dredge the channel"
    assert meta.published == DATE_SOURCES["meta"]
