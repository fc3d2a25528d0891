"""The normalize stage: canonical URLs, clean text, the content hash, and whole articles."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storyline.errors import ExtractError
from storyline.normalize import canonical_url, clean_text, content_hash, normalize_article
from storyline.normalize.article import CONTENT_URL_PREFIX
from storyline.types import ExtractedArticle

# -- canonical_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host case; the path's case is meaningful and kept
        ("HTTPS://News.Example.COM/World/Story", "https://news.example.com/World/Story"),
        # default ports go, other ports stay
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        # fragments go
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?x=1#!/route", "https://example.com/a?x=1"),
        # tracking parameters go, whatever their case; the others stay in order
        (
            "https://example.com/a?utm_source=rss&id=3&UTM_Medium=x&fbclid=abc&gclid=1&page=2",
            "https://example.com/a?id=3&page=2",
        ),
        ("https://example.com/a?mc_cid=1&mc_eid=2&q=news", "https://example.com/a?q=news"),
        ("https://example.com/a?utm_campaign=x", "https://example.com/a"),
        ("https://example.com/a?q=&b=1", "https://example.com/a?q=&b=1"),
        ("https://example.com/search?q=a+b&r=%2F", "https://example.com/search?q=a+b&r=%2F"),
        # trailing slash goes, except the root's; doubled slashes collapse
        ("https://example.com/a/b/", "https://example.com/a/b"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com//a//b/", "https://example.com/a/b"),
        # IDN host as IDNA; a trailing dot names the same host
        ("https://Bücher.DE/Neu", "https://xn--bcher-kva.de/Neu"),
        ("https://xn--bcher-kva.de/Neu", "https://xn--bcher-kva.de/Neu"),
        ("https://example.com./a", "https://example.com/a"),
        # user info is not part of which article it is
        ("https://user:pw@example.com/a", "https://example.com/a"),
        # IP hosts, IPv6 kept in brackets
        ("http://127.0.0.1:80/a", "http://127.0.0.1/a"),
        ("http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("http://[2001:DB8::1]/a", "http://[2001:db8::1]/a"),
        # surrounding white space
        ("  https://example.com/a \n", "https://example.com/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "mailto:news@example.com",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,hello",
        "//example.com/a",  # scheme-relative
        "/news/a",
        "example.com/a",
        "",
        "   ",
        "http://[::1",
        "http://[not-an-ip]/",
        "http://example.com:99999/",
        "http://example.com:port/",
        "http:///no-host",
        "http://:80/",
        "https://ex ample.com/",
        "https://a..b/",
        "https://example.com/a\x00b",
        "https://exa\tmple.com/",
        "https://example.com/\ud800",
        "https://" + "a" * 70 + ".com/",  # a DNS label is at most 63 characters
    ],
)
def test_canonical_url_of_garbage_is_none(url: str) -> None:
    assert canonical_url(url) is None


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTP://Example.com:80/a/?utm_source=x&b=2#f")
    assert once is not None
    assert canonical_url(once) == once


# -- clean_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no\u00a0break\u202fspaces\u2009here", "no break spaces here"),
        ("zero\u200bwidth\u200c joiners\u2060 and\ufeff BOM", "zerowidth joiners and BOM"),
        ("soft\u00adhyphen", "softhyphen"),
        ("windows\r\nline\r\nends", "windows\nline\nends"),
        ("old mac\rline ends", "old mac\nline ends"),
        ("para one\r\n\r\n\r\n\r\npara two", "para one\n\npara two"),
        ("para one\n \t \u00a0\npara two", "para one\n\npara two"),
        ("  lots   of\t\tspace  \n  here  ", "lots of space\nhere"),
        ("\n\n\nleading and trailing\n\n\n", "leading and trailing"),
        ("bell\x07 and\x1b escape", "bell and escape"),
        # breaks that are not \n must not glue words together
        ("page one\x0cpage two", "page one\n\npage two"),
        ("line\u2028separator\u2029paragraph", "line\nseparator\n\nparagraph"),
        ("vertical\x0btab", "vertical\ntab"),
        ("next\x85line", "next\nline"),
        # NFC: a decomposed accent becomes one character
        ("cafe\u0301", "café"),
        ("", ""),
        (" \n\u200b\n ", ""),
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_clean_text_is_idempotent() -> None:
    messy = "A\u00a0title\r\n\r\n\r\nBody\u200b text \x0c more\u2029end"
    once = clean_text(messy)
    assert clean_text(once) == once


# -- content_hash ----------------------------------------------------------------------------


def test_content_hash_ignores_spacing_case_and_punctuation_between_words() -> None:
    base = content_hash("The Mayor said: the bridge reopens on Monday.")
    assert content_hash("the   mayor SAID the bridge\n\nreopens on monday") == base
    assert content_hash("  The Mayor said -- the bridge reopens, on Monday!  ") == base


def test_content_hash_differs_for_other_words() -> None:
    base = content_hash("The bridge reopens on Monday.")
    assert content_hash("The bridge reopens on Tuesday.") != base
    assert content_hash("The bridge on Monday reopens.") != base  # order matters
    assert content_hash("The bridge reopens on Monday. Again.") != base


def test_content_hash_is_sha256_hex() -> None:
    digest = content_hash("anything")
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


# -- normalize_article -----------------------------------------------------------------------


def extracted(**changes: object) -> ExtractedArticle:
    values: dict[str, object] = {
        "origin": "test:1",
        "title": "  Bridge\u00a0reopens \n after repairs ",
        "text": "The old bridge reopened on Monday.\r\n\r\n\r\nDrivers had used a detour since spring.",
    }
    values.update(changes)
    return ExtractedArticle(**values)  # type: ignore[arg-type]


def test_normalize_article_without_url_is_keyed_by_content() -> None:
    article = normalize_article(extracted())
    assert article.canonical_url.startswith(CONTENT_URL_PREFIX)
    assert CONTENT_URL_PREFIX == "urn:storyline:content:"
    assert article.canonical_url == CONTENT_URL_PREFIX + article.content_hash[:32]
    assert article.url is None
    assert article.title == "Bridge reopens after repairs"
    assert article.text == "The old bridge reopened on Monday.\n\nDrivers had used a detour since spring."
    assert article.word_count == 13
    # the same words spaced differently are the same article
    respaced = "The old  bridge reopened on Monday. Drivers had used a detour since spring."
    again = normalize_article(extracted(text=respaced))
    assert again.canonical_url == article.canonical_url


def test_normalize_article_with_url() -> None:
    article = normalize_article(extracted(url="HTTPS://News.Example.org/a/?utm_source=rss#top"))
    assert article.canonical_url == "https://news.example.org/a"
    assert article.url == "HTTPS://News.Example.org/a/?utm_source=rss#top"  # as given


def test_normalize_article_with_a_garbage_url_falls_back_to_content_key() -> None:
    article = normalize_article(extracted(url="javascript:void(0)"))
    assert article.canonical_url.startswith(CONTENT_URL_PREFIX)
    assert article.url is None


def test_normalize_article_converts_aware_times_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    article = normalize_article(extracted(published=datetime(2024, 5, 1, 21, 0, tzinfo=tokyo)))
    assert article.published == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert article.published is not None
    assert article.published.utcoffset() == timedelta(0)


@pytest.fixture
def local_zone_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run as a server whose local zone is UTC-5, then put the zone back."""
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_zone_new_york")
def test_normalize_article_takes_a_naive_time_as_utc_whatever_the_server_zone() -> None:
    assert time.timezone == 5 * 3600  # the fixture took effect
    article = normalize_article(extracted(published=datetime(2024, 5, 1, 12, 0)))
    assert article.published == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert article.published is not None
    assert article.published.tzinfo is not None


def test_normalize_article_cleans_outlet_and_authors() -> None:
    article = normalize_article(
        extracted(outlet="  Example\u00a0News \n", authors=("Ana  Lima", " ", "Ana Lima", "Tom\u200b Berg"))
    )
    assert article.outlet == "Example News"
    assert article.authors == ("Ana Lima", "Tom Berg")


def test_normalize_article_without_title_uses_the_first_line() -> None:
    article = normalize_article(extracted(title="   "))
    assert article.title == "The old bridge reopened on Monday."


def test_normalize_article_with_only_invisible_text_is_refused() -> None:
    with pytest.raises(ExtractError) as caught:
        normalize_article(extracted(text="\u200b\u00ad \n\ufeff"))
    assert caught.value.subject == "test:1"


def test_normalize_article_keeps_flags() -> None:
    article = normalize_article(extracted(is_sample=True, licence="CC-BY-2.5", language="en"))
    assert article.is_sample is True
    assert article.licence == "CC-BY-2.5"
    assert article.language == "en"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/news/story/amp", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story/amp/", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story.amp", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story.amp.html", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story?outputType=amp", "https://www.example.com/news/story"),
        ("https://www.example.com/news/story?amp=1&id=7", "https://www.example.com/news/story?id=7"),
        ("https://amp.example.com/news/story", "https://example.com/news/story"),
        ("https://m.example.com/news/story", "https://example.com/news/story"),
        ("https://mobile.example.co.uk/a", "https://example.co.uk/a"),
        # Not AMP or mobile copies: kept as they are.
        ("https://m.co/news", "https://m.co/news"),
        ("https://example.com/news/ampersand", "https://example.com/news/ampersand"),
        ("https://example.com/amp", "https://example.com/"),
        ("https://mars.example.com/x", "https://mars.example.com/x"),
        ("https://example.com/reviews/power-amp", "https://example.com/reviews/power-amp"),
    ],
)
def test_amp_and_mobile_copies_fold_into_one_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_the_already_clean_check_agrees_with_cleaning_for_every_ascii_character(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storyline.normalize import text as text_module

    samples = [f"Word{chr(c)}word and more" for c in range(128)]
    samples += [f"{chr(c)}Lead" for c in range(128)] + [f"Tail{chr(c)}" for c in range(128)]
    fast = {s: text_module._is_clean(s) for s in samples}
    monkeypatch.setattr(text_module, "_is_clean", lambda _text: False)  # always the full clean-up
    for sample in samples:
        assert fast[sample] == (text_module.clean_text(sample) == sample), repr(sample)
