"""Sitemaps (plain, Google News, indexes) and OPML: reading, writing, and hostile XML."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from storyline.errors import FeedParseError
from storyline.parse import (
    OpmlEntry,
    is_sitemap_index,
    parse_opml,
    parse_sitemap,
    parse_sitemap_index,
    read_opml,
    write_opml,
)
from storyline.parse.sitemaps import MAX_SITEMAP_BYTES, read_xml
from storyline.types import SourceKind

FIXTURES = Path(__file__).parent / "data" / "feeds"
SITEMAP_URL = "https://coast.example/sitemaps/news.xml"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SECRET = "storyline-secret-7f3a9c"


def _secret_file(tmp_path: Path) -> str:
    """A local file an XXE payload would leak, as a file:// URL."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path.as_uri()


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- Sitemaps -------------------------------------------------------------------------------------


def test_google_news_sitemap() -> None:
    feed = parse_sitemap(_fixture("news-sitemap.xml"), url=SITEMAP_URL, now=NOW)
    assert (feed.kind, feed.format, feed.title, feed.site_url) == (
        SourceKind.SITEMAP, "news-sitemap", None, "https://coast.example/",
    )
    quota, harbour, lighthouse = feed.items  # newest first; the undated page last
    assert quota.url == "https://coast.example/2024/05/07/fishing-quota"
    assert quota.origin == f"{SITEMAP_URL}#https://coast.example/2024/05/07/fishing-quota"
    assert quota.published == datetime(2024, 5, 7, tzinfo=UTC)  # a bare date is midnight UTC
    assert quota.image == "https://coast.example/img/cod.jpg"
    assert harbour.title == "Council backs harbour plan & new quay"
    assert harbour.outlet == "Coast Herald"
    assert harbour.published == datetime(2024, 5, 6, 12, 0, tzinfo=UTC)  # publication_date, not lastmod
    assert harbour.updated == datetime(2024, 5, 6, 18, 0, tzinfo=UTC)
    assert (lighthouse.published, lighthouse.date_problem) == (None, "missing")
    assert feed.problems == ("entries without an http(s) <loc> were skipped",)  # the ftp:// one


def test_plain_sitemap_uses_lastmod_as_the_date() -> None:
    feed = parse_sitemap(_fixture("sitemap.xml"), url="https://hills.example/sitemap.xml", now=NOW)
    assert feed.format == "sitemap"
    assert [item.url for item in feed.items] == [
        "https://hills.example/2024/04/melt",
        "https://hills.example/2024/03/snow",
        "https://hills.example/about",
    ]
    assert feed.items[0].published == feed.items[0].updated == datetime(2024, 4, 12, 8, 0, tzinfo=UTC)
    assert all(item.title is None for item in feed.items)
    assert not feed.problems


def test_sitemap_dates_in_the_future_are_dropped() -> None:
    content = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://x.example/a</loc><lastmod>2030-01-01</lastmod></url></urlset>"
    )
    (item,) = parse_sitemap(content, url="https://x.example/s.xml", now=NOW).items
    assert (item.published, item.updated, item.date_problem) == (None, None, "future")


def test_gzipped_sitemap_is_read() -> None:
    feed = parse_sitemap(gzip.compress(_fixture("sitemap.xml")), url="https://hills.example/sitemap.xml.gz", now=NOW)
    assert len(feed.items) == 3


def test_a_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<" + b" " * (MAX_SITEMAP_BYTES + 10))
    with pytest.raises(FeedParseError, match="50 MB"):
        parse_sitemap(bomb, url="https://x.example/s.xml.gz")


def test_sitemap_without_namespace_and_old_google_namespace() -> None:
    for namespace in ("", ' xmlns="http://www.google.com/schemas/sitemap/0.84"'):
        content = f"<urlset{namespace}><url><loc>https://x.example/a</loc></url></urlset>".encode()
        (item,) = parse_sitemap(content, url="https://x.example/s.xml", now=NOW).items
        assert item.url == "https://x.example/a"


def test_sitemap_index() -> None:
    content = _fixture("sitemap-index.xml")
    assert is_sitemap_index(content)
    assert is_sitemap_index(gzip.compress(content))
    assert not is_sitemap_index(_fixture("news-sitemap.xml"))
    assert not is_sitemap_index(b"\x1f\x8bnot really gzip")
    assert parse_sitemap_index(content, url=SITEMAP_URL) == [
        "https://coast.example/sitemaps/news.xml",
        "https://coast.example/sitemaps/pages-1.xml.gz",  # relative, resolved; the repeat and file:// dropped
    ]
    with pytest.raises(FeedParseError, match="sitemap index of 2 sitemaps") as caught:
        parse_sitemap(content, url=SITEMAP_URL)
    assert "parse_sitemap_index" in caught.value.hint
    with pytest.raises(FeedParseError, match="not a sitemap index"):
        parse_sitemap_index(_fixture("sitemap.xml"), url=SITEMAP_URL)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not XML"),
        (b"\x00\x01\x02 garbage", "not XML"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "not a sitemap"),
        (b'<rss version="2.0"><channel/></rss>', r"not a sitemap \(the document is <rss>"),
    ],
)
def test_documents_that_are_not_sitemaps(content: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_sitemap(content, url=SITEMAP_URL)


def test_badly_formed_sitemap_is_recovered_and_says_so() -> None:
    content = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://x.example/a?x=1&y=2</loc></url><url><loc>https://x.example/b</loc></url>"
    )
    feed = parse_sitemap(content, url="https://x.example/s.xml", now=NOW)
    assert "https://x.example/b" in [item.url for item in feed.items]
    assert feed.problems
    assert feed.problems[0].startswith("not well-formed XML (recovered)")


@pytest.mark.timeout(10)
def test_billion_laughs_sitemap_does_not_expand() -> None:
    started = time.perf_counter()
    feed = parse_sitemap(_fixture("billion-laughs-sitemap.xml"), url=SITEMAP_URL, now=NOW)
    assert time.perf_counter() - started < 2
    (item,) = feed.items
    assert item.url == "https://laughs.example/a"
    assert "lollol" not in (item.title or "")
    assert len(item.title or "") < 100


@pytest.mark.timeout(10)
def test_xxe_sitemap_reads_no_file_and_fetches_nothing(tmp_path: Path) -> None:
    content = _fixture("xxe-sitemap.xml").replace(b"file:///etc/hostname", _secret_file(tmp_path).encode())
    feed = parse_sitemap(content, url=SITEMAP_URL, now=NOW)
    (item,) = feed.items
    assert item.title == "Leak: &secret; &remote;"  # the references stay as written
    assert item.url == "https://xxe.example/a"


@pytest.mark.timeout(60)
def test_a_50000_url_sitemap() -> None:
    urls = "".join(f"<url><loc>https://big.example/{i}</loc><lastmod>2024-01-01</lastmod></url>" for i in range(50_000))
    content = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
    started = time.perf_counter()
    feed = parse_sitemap(content, url="https://big.example/sitemap.xml", now=NOW)
    elapsed = time.perf_counter() - started
    print(f"\nparse_sitemap: 50,000 URLs in {elapsed:.2f} s = {50_000 / elapsed:,.0f} URLs/s")
    assert len(feed.items) == 50_000


# --- OPML ------------------------------------------------------------------------------------------


def test_parse_opml_from_another_reader() -> None:
    entries = parse_opml(_fixture("subscriptions.opml"), origin="subscriptions.opml")
    assert entries == [
        OpmlEntry(url="https://top.example/feed", title="Top-level feed", site_url="https://top.example/"),
        OpmlEntry(
            url="https://quotidien.example/rss", title="Le Quotidien", site_url="https://quotidien.example/",
            folder="News/Europe",
        ),
        OpmlEntry(url="https://wire.example/atom.xml", title="Wire & Agencies", folder="News"),  # xmlURL, any case
        OpmlEntry(url="https://bare.example/feed.xml"),  # a title that only repeats the URL is no title
    ]


def test_opml_round_trip_with_nested_folders_and_markup_in_titles() -> None:
    entries = [
        OpmlEntry(url="https://a.example/feed?x=1&y=2", title="A & B <News>", site_url="https://a.example/?p=1&q=2"),
        OpmlEntry(url="https://b.example/rss", title='"Quoted" \'title\'', folder="World"),
        OpmlEntry(url="https://c.example/atom", title="Ça & là", folder="World/Europe/France"),
        OpmlEntry(url="https://d.example/feed.json", folder="World/Europe"),
        OpmlEntry(url="https://e.example/rss", title="<script>alert(1)</script>", folder="Tech & Science"),
        OpmlEntry(url="https://f.example/rss", title="Second in World", folder="World"),
    ]
    document = write_opml(entries, title="Mine & yours")
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert "<title>Mine &amp; yours</title>" in document
    assert "<script>" not in document
    parsed = parse_opml(document.encode("utf-8"), origin="round-trip")
    # The same entries, in document order: each folder holds its entries in the order given,
    # and a sub-folder sits where it was first needed.
    assert parsed == [entries[0], entries[1], entries[2], entries[3], entries[5], entries[4]]


def test_write_opml_nests_folders_once() -> None:
    document = write_opml([
        OpmlEntry(url="https://a.example/1", folder="News/Europe"),
        OpmlEntry(url="https://a.example/2", folder="News"),
        OpmlEntry(url="https://a.example/3", folder="News/Europe"),
    ])
    assert document.count('text="News"') == 1
    assert document.count('text="Europe"') == 1


def test_write_opml_drops_characters_xml_cannot_hold() -> None:
    document = write_opml([OpmlEntry(url="https://a.example/1", title="Bell\x07 and \ud800 surrogate")])
    (entry,) = parse_opml(document.encode("utf-8"), origin="x")
    assert entry.title == "Bell and  surrogate"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not XML"),
        (b"garbage \x00\xff", "not XML"),
        (b'<rss version="2.0"><channel/></rss>', "not an OPML file"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "not an OPML file"),
        (b'<opml version="2.0"><head/></opml>', "without a <body>"),
    ],
)
def test_documents_that_are_not_opml(content: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_opml(content, origin="upload.opml")


@pytest.mark.timeout(10)
def test_xxe_opml_reads_no_file_and_fetches_nothing(tmp_path: Path) -> None:
    content = _fixture("xxe.opml").replace(b"file:///etc/hostname", _secret_file(tmp_path).encode())
    entries = parse_opml(content, origin="xxe.opml")
    assert [entry.url for entry in entries] == [
        "https://hostile.example/feed", "https://remote.example/feed", "https://plain.example/feed",
    ]
    assert entries[2].title == "Plain"
    assert SECRET not in repr(entries)
    # XML itself forbids external entities in attributes; the <head><title> is element text.
    root, _ = read_xml(content, origin="xxe.opml")
    assert SECRET not in etree.tostring(root, encoding="unicode")
    for entry in entries[:2]:
        assert entry.title in (None, "&secret;", "&remote;")  # dropped or left as written, never resolved


@pytest.mark.timeout(10)
def test_billion_laughs_opml_does_not_expand() -> None:
    started = time.perf_counter()
    entries = parse_opml(_fixture("billion-laughs.opml"), origin="billion-laughs.opml")
    assert time.perf_counter() - started < 2
    # libxml2 stops at the first reference that would amplify; what comes before it is kept.
    assert entries[0] == OpmlEntry(url="https://fine.example/feed", title="Fine")
    assert all("lollol" not in (entry.title or "") for entry in entries)


# -- OPML damage is reported outline by outline, and nothing is changed silently -------------


def test_an_unescaped_ampersand_is_read_as_meant_and_said_so() -> None:
    content = (b'<?xml version="1.0"?>\n<opml version="2.0"><head/><body>\n'
               b'<outline text="One" xmlUrl="https://one.example/feed"/>\n'
               b'<outline text="Two & Co" xmlUrl="https://two.example/rss?a=1&b=2"/>\n'
               b'</body></opml>\n')
    listing = read_opml(content, origin="amp.opml")
    assert [(e.url, e.title) for e in listing.entries] == [
        ("https://one.example/feed", "One"), ("https://two.example/rss?a=1&b=2", "Two & Co")]
    assert listing.entries[1].line == 4
    lines = [line for line, _ in listing.problems]
    assert None in lines, "the file's damage is named"
    assert 4 in lines, "and the outline it touched, by line"


def test_billion_laughs_reports_the_outline_and_keeps_its_valid_sibling() -> None:
    listing = read_opml(_fixture("billion-laughs.opml"), origin="billion-laughs.opml")
    assert [(e.url, e.title) for e in listing.entries] == [
        ("https://fine.example/feed", "Fine"), ("https://laughs.example/feed", None)]
    assert any(line == 18 and "entity" in why for line, why in listing.problems), listing.problems


@pytest.mark.timeout(10)
def test_quadratic_entities_lose_no_valid_sibling() -> None:
    big = "x" * 20_000
    content = (f'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "{big}">]>\n<opml version="2.0"><head/><body>\n'
               + '<outline text="' + "&a;" * 5_000 + '" xmlUrl="https://quad.example/feed"/>\n'
               + '<outline text="Sibling" xmlUrl="https://sibling.example/feed"/>\n</body></opml>\n').encode()
    listing = read_opml(content, origin="quadratic.opml")
    assert "https://sibling.example/feed" in [e.url for e in listing.entries]
    assert "https://quad.example/feed" not in [e.url for e in listing.entries] or not any(
        big in (e.title or "") for e in listing.entries)
    assert listing.problems, "the outline not taken is reported"
