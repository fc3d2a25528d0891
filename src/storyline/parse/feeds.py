"""Feeds into raw items: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed through json.

(Plain well-formed UTF-8 RSS 2.0/1.0 and Atom 1.0 take ``storyline.parse.fastfeed``, which
gives feedparser's own result from an lxml tree.)

Each format is first read into its own shape (feedparser's dictionaries, JSON Feed's
objects) and turned into an :class:`_Entry`; one adapter, :func:`_raw_item`, then applies
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
import json
import re
import time
import xml.sax
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree
from lxml import html as lxml_html

from storyline.errors import FeedParseError
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

_JSON_FEED_VERSIONS = {"1": "json10", "1.0": "json10", "1.1": "json11"}
_JSON_FEED_VERSION = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/', re.I)
_XML_FEED_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:rss|feed|rdf)[\s>/]", re.I)
_HTML_ROOT = re.compile(r"<(?:!doctype\s+html|html|head|body)[\s>]", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
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


@dataclass(frozen=True, slots=True)
class _Entry:
    """One item in a format-neutral shape, before the shared rules are applied."""

    guid: str | None = None
    link: str | None = None
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    summary: str | None = None
    html: str | None = None
    text: str | None = None
    image: str | None = None


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
        site_url, title, fmt, entries, problems = _read_json_feed(content, url)
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
        return bool(_JSON_FEED_VERSION.search(head)) or _media_type(content_type or "") == "application/feed+json"
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
    base = _web_url(base_url, declared) or base_url
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
        absolute = _web_url(base, href) if kind in _FEED_LINK_TYPES or is_json_feed else None
        if absolute and absolute not in found:
            found.append(absolute)
    return found


# --- RSS and Atom, through feedparser ---------------------------------------------------


def _read_xml_feed(
    content: bytes, url: str, content_type: str | None
) -> tuple[str | None, str | None, str, list[_Entry], list[str]]:
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
    site_url = _web_url(url, _rebase(_text(feed.get("link"))))
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


def _entry_from_feedparser(raw: Mapping[str, Any]) -> _Entry:
    html_content, text_content = None, None
    for part in raw.get("content") or []:
        value = _text(part.get("value"))
        if value and part.get("type") in _HTML_TYPES:
            html_content = html_content or value
        elif value:
            text_content = text_content or value
    summary = _text(raw.get("summary"))
    if summary in (html_content, text_content):  # feedparser copies content into a missing summary
        summary = None
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed (with a warning).
    published = _struct_time(dict.get(raw, "published_parsed")) or _struct_time(dict.get(raw, "created_parsed"))
    guid, link = _text(raw.get("id")), _text(raw.get("link"))
    if guid and link == guid and not _is_web_url(_rebase(guid) or ""):
        link = None  # feedparser takes a guid for a permalink unless isPermaLink="false"; "12345" is no link
    guid = _rebase(guid)
    detail = raw.get("title_detail") or raw.get("summary_detail") or {}  # where the entry's xml:base shows
    names = (author.get("name") or author.get("email") for author in raw.get("authors") or [] if author)
    return _Entry(
        guid=guid,
        link=_rebase(link),
        title=_title(raw),
        published=published,
        updated=_struct_time(dict.get(raw, "updated_parsed")),
        authors=_unique(names),
        summary=summary,
        html=html_content,
        text=None if html_content else text_content,
        image=_rebase(_feedparser_image(raw), _text(detail.get("base"))),
    )


def _feedparser_image(raw: Mapping[str, Any]) -> str | None:
    """An enclosure of image type, else the widest media:content image, else a media:thumbnail."""
    for enclosure in raw.get("enclosures") or []:
        if str(enclosure.get("type") or "").startswith("image/") and _text(enclosure.get("href")):
            return _text(enclosure.get("href"))
    media = [
        m for m in raw.get("media_content") or []
        if _text(m.get("url")) and (m.get("medium") or "image") == "image"
        and str(m.get("type") or "image/").startswith("image/")
    ]
    if media:
        return _text(max(media, key=lambda m: int(m["width"]) if str(m.get("width", "")).isdigit() else 0)["url"])
    return next((_text(t.get("url")) for t in raw.get("media_thumbnail") or [] if _text(t.get("url"))), None)


def _title(node: Mapping[str, Any]) -> str | None:
    """A feed's or entry's title as plain text (an Atom title may be HTML)."""
    title = _text(node.get("title"))
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


# --- JSON Feed ---------------------------------------------------------------------------


def _read_json_feed(content: bytes, url: str) -> tuple[str | None, str | None, str, list[_Entry], list[str]]:
    """Site URL, title, format, entries and problems of a JSON Feed document."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise FeedParseError(url, f"JSON that cannot be read ({type(exc).__name__})") from exc
    if not isinstance(document, dict):
        raise FeedParseError(url, "JSON, but not a JSON Feed (not an object)")
    version = _text(document.get("version")) or ""
    items = document.get("items")
    prefix = re.match(r"https?://jsonfeed\.org/version/", version)
    fmt = _JSON_FEED_VERSIONS.get(version[prefix.end():]) if prefix else None
    if not prefix and not isinstance(items, list):
        raise FeedParseError(url, "JSON, but not a JSON Feed (no jsonfeed.org version and no items)")
    problems = [] if fmt else [f"unknown JSON Feed version {version!r}; read as 1.1"]
    if not isinstance(items, list):
        problems.append('no "items" list')
        items = []
    objects = [item for item in items if isinstance(item, dict)]
    if len(objects) < len(items):
        problems.append(f"{len(items) - len(objects)} items that are not JSON objects were skipped")
    feed_authors = _json_authors(document)
    entries = [_entry_from_json(item, feed_authors) for item in objects]
    site_url = _web_url(url, _text(document.get("home_page_url")))
    return site_url, _text(document.get("title")), fmt or "json", entries, problems


def _entry_from_json(item: Mapping[str, Any], feed_authors: tuple[str, ...]) -> _Entry:
    guid = item.get("id")
    content_html = _text(item.get("content_html"))
    return _Entry(
        # The spec says a string, but numbers are common in the wild.
        guid=str(guid) if isinstance(guid, int | float) and not isinstance(guid, bool) else _text(guid),
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")),
        published=_json_date(item.get("date_published")),
        updated=_json_date(item.get("date_modified")),
        authors=_json_authors(item) or feed_authors,
        summary=_text(item.get("summary")),
        html=content_html,
        text=None if content_html else _text(item.get("content_text")),
        image=_text(item.get("image")) or _text(item.get("banner_image")),
    )


def _json_authors(node: Mapping[str, Any]) -> tuple[str, ...]:
    """Names from 1.1's ``authors`` list, else 1.0's single ``author`` object."""
    authors = node.get("authors")
    if not isinstance(authors, list):
        authors = [node.get("author")]
    return _unique(_text(a.get("name")) for a in authors if isinstance(a, dict))


def _json_date(value: Any) -> datetime | None:
    """An RFC 3339 date (RFC 822 tolerated); None when it is not a date."""
    text = _text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- The one adapter, and what it shares ----------------------------------------------------


def _raw_item(entry: _Entry, position: int, *, url: str, site_url: str | None, outlet: str | None,
              now: datetime) -> RawItem:
    """One entry of any format as a RawItem, under the rules in the module docstring."""
    base = site_url or url
    link = _web_url(base, entry.link)
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
        summary=entry.summary, updated=updated, image=_web_url(base, entry.image), date_problem=problem,
    )


def _distinct_guids(entries: list[_Entry]) -> tuple[list[_Entry], list[str]]:
    """Entries with repeated guids sorted out.

    An entry repeating an earlier one (same guid, link and title) is dropped. One that
    reuses a guid for a different link or title is a broken feed, not a duplicate: it is
    kept, without the guid, so that its link identifies it.
    """
    first: dict[str, _Entry] = {}
    kept: list[_Entry] = []
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


def _web_url(base: str, link: str | None) -> str | None:
    """``link`` made absolute, if it then is an http(s) URL (not ``tag:``, ``mailto:``, ``javascript:``)."""
    try:
        absolute = urljoin(base, link) if link else None
    except ValueError:  # an invalid IPv6 host, say
        return None
    return absolute if absolute and _is_web_url(absolute) else None


def _is_web_url(link: str) -> bool:
    try:
        return urlsplit(link).scheme.lower() in ("http", "https")
    except ValueError:  # an invalid IPv6 host, say
        return False


def _text(value: Any) -> str | None:
    """A stripped string, or None for anything else or nothing."""
    return (value.strip() or None) if isinstance(value, str) else None


def _unique(names: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in names:
        cleaned = _SPACE.sub(" ", name).strip() if isinstance(name, str) else ""
        if cleaned:
            seen.setdefault(cleaned)
    return tuple(seen)
