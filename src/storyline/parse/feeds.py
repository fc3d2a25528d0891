"""Feeds into raw items: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed through json
(``storyline.parse.jsonfeed``).

(Plain well-formed UTF-8 RSS 2.0/1.0 and Atom 1.0 take ``storyline.parse.fastfeed``, which
gives feedparser's own result from an lxml tree.)

Each format is first read into its own shape (feedparser's dictionaries, JSON Feed's
objects) and turned into an :class:`~storyline.parse.entry.Entry`; one adapter, :func:`_raw_item`, then applies
the rules every format shares:

1. the link and image are resolved against the item's base: xml:base, else the feed's
   site link (RSS item links are relative to the site, and feeds are often served from
   another host), else the feed URL;
2. dates are UTC; an item without a publication date takes its update date; one with
   neither is kept with ``date_problem="missing"``; one dated more than ten minutes
   after ``now`` loses the date, with ``date_problem="future"``;
3. the origin is ``"<feed url>#<guid or link>"``.

HTML is left as the feed wrote it: it is sanitised once, later, with nh3.
"""

from __future__ import annotations

import calendar
import contextlib
import io
import re
import time
import xml.sax
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree
from lxml import html as lxml_html

from storyline.errors import FeedParseError
from storyline.parse.entry import Entry, is_web_url, stripped, unique_names, web_url
from storyline.parse.jsonfeed import JSON_FEED_VERSION, read_json_feed
from storyline.types import ParsedFeed, RawItem, SourceKind

try:  # it builds on feedparser's internals: a feedparser that lacks them just means no fast path
    from storyline.parse import fastfeed
except ImportError:  # pragma: no cover - the tests require the fast path with the pinned feedparser
    fastfeed = None  # type: ignore[assignment]

__all__ = ["COMMON_FEED_PATHS", "FUTURE_TOLERANCE", "discover_feed_links", "looks_like_feed", "parse_feed"]

# Where sites serve their feed when the homepage names none, most common first.
COMMON_FEED_PATHS: tuple[str, ...] = (
    "/feed",  # WordPress (and many others)
    "/rss",
    "/rss.xml",  # Drupal, many CMSs
    "/atom.xml",  # Jekyll, Blogger
    "/feed.xml",  # Jekyll (jekyll-feed)
    "/index.xml",  # Hugo
    "/feeds/posts/default",  # Blogger
    "/feed.json",  # JSON Feed (micro.blog and others)
    "/?feed=rss2",  # WordPress without pretty links
)

# A document using xml:base gets this stand-in as its base: with no base, feedparser keeps
# one item's xml:base in force for every later item (its base stack does not restore an
# empty base). Whatever comes back under it was relative in the document and is
# re-resolved by us. Other documents get no base: resolving against one costs feedparser
# ~30% of its speed.
_RELATIVE_ORIGIN = "https://relative.invalid/"
_RELATIVE_DIR = _RELATIVE_ORIGIN + "base/"
_XML_BASE = tuple("xml:base".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be"))

# Whether plain UTF-8 RSS 2.0/1.0 and Atom 1.0 documents skip feedparser's SAX plumbing
# (storyline.parse.fastfeed: the same result, checked against feedparser by the tests).
FAST_PATH = True
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)

# Clocks drift and time zones get mislabelled by a little; a date further ahead is wrong.
FUTURE_TOLERANCE = timedelta(minutes=10)

_XML_FEED_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:rss|feed|rdf)[\s>/]", re.I)
_HTML_ROOT = re.compile(r"<(?:!doctype\s+html|html|head|body)[\s>]", re.I)
_TAG = re.compile(r"<[^>]*>")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_FEED_LINK_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
# Content types a feed may arrive with without anything being wrong.
_FEED_CONTENT_TYPES = re.compile(r"(?:xml|json|rss|atom|rdf)\b|^text/plain$|^application/octet-stream$")
_BOZO_WORDS = (
    (feedparser.CharacterEncodingOverride, "not in the character encoding it declares (or UTF-8); read as {encoding}"),
    (feedparser.CharacterEncodingUnknown, "the character encoding could not be told; some characters may be wrong"),
    (feedparser.UndeclaredNamespace, "uses an undeclared XML namespace (recovered)"),
)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
    # No BOM: how "<" looks in each wide encoding.
    (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"),
)


def parse_feed(
    content: bytes, *, url: str, content_type: str | None = None, now: datetime | None = None
) -> ParsedFeed:
    """The feed in ``content`` (fetched from ``url``) with its items, in the feed's order.

    Reads RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.0/1.1. A feed that is broken but
    still yields items is returned with the damage listed in ``problems``; a document
    that is not a feed at all (an HTML page, garbage, nothing) raises FeedParseError.
    """
    now = now or datetime.now(UTC)
    head = _head_text(content)
    if not content.removeprefix(b"\xef\xbb\xbf").strip():
        raise FeedParseError(url, "the document is empty", hint="The server sent no body; try again later.")
    if head.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
        site_url, title, fmt, entries, problems = read_json_feed(content, url)
    else:
        site_url, title, fmt, entries, problems = _read_xml_feed(content, url, content_type)
    if content_type and not _FEED_CONTENT_TYPES.search(_media_type(content_type)):
        problems.append(f"served as {_media_type(content_type)}, which is not a feed type")
    entries, guid_problems = _distinct_guids(entries)
    items = tuple(
        _raw_item(entry, position, url=url, site_url=site_url, outlet=title, now=now)
        for position, entry in enumerate(entries, start=1)
    )
    return ParsedFeed(
        url=url, kind=SourceKind.FEED, title=title, site_url=site_url, items=items, format=fmt,
        problems=tuple(problems + guid_problems),
    )


def looks_like_feed(content: bytes, content_type: str | None) -> bool:
    """Whether ``content`` is probably a feed, judged from its first bytes (cheap; no parsing).

    The body decides, since servers label feeds text/html and pages application/xml;
    the content type only settles a JSON body that names no JSON Feed version.
    """
    head = _head_text(content)
    if head.lstrip("\ufeff \t\r\n").startswith("{"):
        return bool(JSON_FEED_VERSION.search(head)) or _media_type(content_type or "") == "application/feed+json"
    feed_root = _XML_FEED_ROOT.search(head)
    html_root = _HTML_ROOT.search(head)
    return feed_root is not None and (html_root is None or feed_root.start() < html_root.start())


def discover_feed_links(html: str, base_url: str) -> list[str]:
    """The feeds a page names in ``<link rel="alternate" type="...">``: absolute, unique, in page order.

    Relative hrefs are resolved against the page's ``<base href>``, else ``base_url``.
    """
    try:
        # Bytes, not str: lxml refuses a str that carries its own encoding declaration.
        parser = lxml_html.HTMLParser(encoding="utf-8", no_network=True)
        root = etree.fromstring(html.encode("utf-8", "replace"), parser)
    except (etree.LxmlError, ValueError):
        return []
    if root is None:
        return []
    declared = next((e.get("href", "").strip() for e in root.iter("base") if e.get("href", "").strip()), None)
    base = web_url(base_url, declared) or base_url
    found: list[str] = []
    for element in root.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        kind = _media_type(element.get("type") or "")
        href = (element.get("href") or "").strip()
        if "alternate" not in rel or not href:
            continue
        # JSON Feed 1.0 advertised itself as plain application/json, which WordPress also
        # uses for its REST API links on every page; only a link that says "feed" counts.
        is_json_feed = kind == "application/json" and "feed" in (href + (element.get("title") or "")).lower()
        absolute = web_url(base, href) if kind in _FEED_LINK_TYPES or is_json_feed else None
        if absolute and absolute not in found:
            found.append(absolute)
    return found


# --- RSS and Atom, through feedparser ---------------------------------------------------


def _read_xml_feed(
    content: bytes, url: str, content_type: str | None
) -> tuple[str | None, str | None, str, list[Entry], list[str]]:
    """Site URL, title, format, entries and problems of an RSS or Atom document."""
    headers = _response_headers(content, content_type)
    parsed = _fast_read(content, headers) if FAST_PATH else None
    if parsed is None:
        try:
            # A stream, never bytes: given bytes, feedparser first tries them as a local file name.
            parsed = feedparser.parse(io.BytesIO(content), response_headers=headers,
                                      sanitize_html=False, resolve_relative_uris=False)
        except Exception as exc:  # feedparser reads hostile input loosely; none of its errors may escape
            raise FeedParseError(url, f"could not be read as a feed ({type(exc).__name__})") from exc
    version = parsed.get("version") or ""
    raw_entries = parsed.get("entries") or []
    if not version and not raw_entries:
        raise FeedParseError(url, _not_a_feed(_head_text(content), parsed))
    feed = parsed.get("feed") or {}
    site_url = web_url(url, _rebase(stripped(feed.get("link"))))
    problem = _bozo_problem(parsed)
    entries = [_entry_from_feedparser(raw) for raw in raw_entries]
    return site_url, _title(feed), version or "unknown", entries, [problem] if problem else []


def _fast_read(content: bytes, headers: Mapping[str, str]) -> Mapping[str, Any] | None:
    """feedparser's result for a plain well-formed UTF-8 RSS 2.0/1.0 or Atom 1.0 document, ~2.5x faster.

    None for anything else (feedparser then reads it): see ``storyline.parse.fastfeed``.
    """
    if fastfeed is None:
        return None
    charset = _CHARSET.search(headers["content-type"])
    return fastfeed.read(content, http_charset=charset.group(1) if charset else None,
                         baseuri=headers.get("content-location", ""))


def _response_headers(content: bytes, content_type: str | None) -> dict[str, str]:
    """The headers feedparser is told: XML, with the server's charset if it gave one, and our stand-in base.

    Only an explicit charset counts (RFC 7303): a text/* type without one would make
    feedparser assume US-ASCII (the old RFC 3023 rule) over the XML declaration, and the
    media type itself is often wrong (feeds served as text/html).
    """
    match = _CHARSET.search(content_type or "")
    kind = f"application/xml; charset={match.group(1)}" if match else "application/xml"
    base = {"content-location": _RELATIVE_DIR} if any(marker in content for marker in _XML_BASE) else {}
    return {"content-type": kind, **base}


def _not_a_feed(head: str, parsed: Mapping[str, Any]) -> str:
    # OPML first: its <body> would pass for an HTML page.
    if re.search(r"<opml[\s>]", head, re.I):
        return "an OPML subscription list, not a feed (import it with parse_opml)"
    if re.search(r"<(?:[\w.-]+:)?(?:urlset|sitemapindex)[\s>]", head):
        return "a sitemap, not a feed (read it with parse_sitemap)"
    if _HTML_ROOT.search(head):
        return "an HTML page, not a feed (add the site's homepage and Storyline looks for its feed)"
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return f"not a feed: not well-formed XML ({exc.getMessage()} at line {exc.getLineNumber()})"
    return "not an RSS, Atom or JSON feed"


def _bozo_problem(parsed: Mapping[str, Any]) -> str | None:
    """feedparser's "bozo" flag in plain words."""
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if exc is None:
        return None
    if isinstance(exc, xml.sax.SAXParseException):
        return f"not well-formed XML (recovered): {exc.getMessage()} at line {exc.getLineNumber()}"
    for kind, words in _BOZO_WORDS:
        if isinstance(exc, kind):
            return words.format(encoding=parsed.get("encoding"))
    return f"not a clean feed (recovered): {exc}"


def _entry_from_feedparser(raw: Mapping[str, Any]) -> Entry:
    html_content, text_content = None, None
    for part in raw.get("content") or []:
        value = stripped(part.get("value"))
        if value and part.get("type") in _HTML_TYPES:
            html_content = html_content or value
        elif value:
            text_content = text_content or value
    summary = stripped(raw.get("summary"))
    if summary in (html_content, text_content):  # feedparser copies content into a missing summary
        summary = None
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed (with a warning).
    published = _struct_time(dict.get(raw, "published_parsed")) or _struct_time(dict.get(raw, "created_parsed"))
    guid, link = stripped(raw.get("id")), stripped(raw.get("link"))
    if guid and link == guid and not is_web_url(_rebase(guid) or ""):
        link = None  # feedparser takes a guid for a permalink unless isPermaLink="false"; "12345" is no link
    guid = _rebase(guid)
    detail = raw.get("title_detail") or raw.get("summary_detail") or {}  # where the entry's xml:base shows
    names = (author.get("name") or author.get("email") for author in raw.get("authors") or [] if author)
    return Entry(
        guid=guid,
        link=_rebase(link),
        title=_title(raw),
        published=published,
        updated=_struct_time(dict.get(raw, "updated_parsed")),
        authors=unique_names(names),
        summary=summary,
        html=html_content,
        text=None if html_content else text_content,
        image=_rebase(_feedparser_image(raw), stripped(detail.get("base"))),
    )


def _feedparser_image(raw: Mapping[str, Any]) -> str | None:
    """An enclosure of image type, else the widest media:content image, else a media:thumbnail."""
    for enclosure in raw.get("enclosures") or []:
        if str(enclosure.get("type") or "").startswith("image/") and stripped(enclosure.get("href")):
            return stripped(enclosure.get("href"))
    media = [
        m for m in raw.get("media_content") or []
        if stripped(m.get("url")) and (m.get("medium") or "image") == "image"
        and str(m.get("type") or "image/").startswith("image/")
    ]
    if media:
        return stripped(max(media, key=lambda m: int(m["width"]) if str(m.get("width", "")).isdigit() else 0)["url"])
    return next((stripped(t.get("url")) for t in raw.get("media_thumbnail") or [] if stripped(t.get("url"))), None)


def _title(node: Mapping[str, Any]) -> str | None:
    """A feed's or entry's title as plain text (an Atom title may be HTML)."""
    title = stripped(node.get("title"))
    detail = node.get("title_detail") or {}
    if title and detail.get("type") in _HTML_TYPES:
        title = unescape(_TAG.sub("", title)).strip() or None
    return title


def _struct_time(value: Any) -> datetime | None:
    """feedparser's parsed date (a UTC struct_time) as an aware datetime."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (ValueError, OverflowError, OSError):
        return None


# --- The one adapter, and what it shares ----------------------------------------------------


def _raw_item(entry: Entry, position: int, *, url: str, site_url: str | None, outlet: str | None,
              now: datetime) -> RawItem:
    """One entry of any format as a RawItem, under the rules in the module docstring."""
    base = site_url or url
    link = web_url(base, entry.link)
    published = entry.published or entry.updated
    updated = entry.updated
    problem = None
    if published is None:
        problem = "missing"
    elif published > now + FUTURE_TOLERANCE:
        published, problem = None, "future"
    if updated is not None and updated > now + FUTURE_TOLERANCE:
        updated = None
    return RawItem(
        origin=f"{url}#{entry.guid or link or f'item-{position}'}", title=entry.title, text=entry.text,
        html=entry.html, url=link, outlet=outlet, published=published, authors=entry.authors, guid=entry.guid,
        summary=entry.summary, updated=updated, image=web_url(base, entry.image), date_problem=problem,
    )


def _distinct_guids(entries: list[Entry]) -> tuple[list[Entry], list[str]]:
    """Entries with repeated guids sorted out.

    An entry repeating an earlier one (same guid, link and title) is dropped. One that
    reuses a guid for a different link or title is a broken feed, not a duplicate: it is
    kept, without the guid, so that its link identifies it.
    """
    first: dict[str, Entry] = {}
    kept: list[Entry] = []
    repeats = reused = 0
    for entry in entries:
        earlier = first.setdefault(entry.guid, entry) if entry.guid else entry
        if earlier is entry:
            kept.append(entry)
        elif (earlier.link, earlier.title) == (entry.link, entry.title):
            repeats += 1
        else:
            reused += 1
            kept.append(replace(entry, guid=None))
    problems = []
    if repeats:
        problems.append(f"{repeats} repeated items left out (same guid, link and title as an earlier item)")
    if reused:
        problems.append(f"{reused} items reuse an earlier item's guid for another link or title; told apart by link")
    return kept, problems


def _head_text(content: bytes, size: int = 4096) -> str:
    """The first bytes of ``content`` as text, enough to sniff what it is."""
    head = content[:size]
    for mark, encoding in _BOMS:
        if head.startswith(mark):
            return head.decode(encoding, "replace")
    return head.decode("latin-1")


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _rebase(link: str | None, xml_base: str | None = None) -> str | None:
    """``link`` as the document wrote it, if feedparser resolved it against our stand-in base.

    ``xml_base``, when given, is resolved against first (media URLs feedparser leaves as written).
    A ``../`` link comes back root-relative: the stand-in cannot tell how far up it went.
    """
    if link and xml_base:
        # An invalid IPv6 host, say: the link is left as written, and refused later as no web URL.
        with contextlib.suppress(ValueError):
            link = urljoin(xml_base, link)
    if link and link.startswith(_RELATIVE_DIR):
        return link.removeprefix(_RELATIVE_DIR) or "."
    if link and link.startswith(_RELATIVE_ORIGIN):
        return "/" + link.removeprefix(_RELATIVE_ORIGIN)
    return link
