"""XML sitemaps into raw items: plain sitemaps (``urlset``), Google News sitemaps, sitemap indexes.

A sitemap index lists other sitemaps, not pages, so it has its own reader: the caller
checks :func:`is_sitemap_index` and then calls :func:`parse_sitemap_index` (child sitemap
URLs to fetch) or :func:`parse_sitemap` (pages). ``parse_sitemap`` refuses an index with
a FeedParseError that says so.

All XML is read by :func:`read_xml`, which never expands entities, loads a DTD or touches
the network: a sitemap is fetched from a server we do not control (billion laughs, XXE).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

from lxml import etree

from storyline.errors import FeedParseError
from storyline.parse.entry import date_in_utc, stripped, web_url
from storyline.parse.feeds import FUTURE_TOLERANCE
from storyline.types import ParsedFeed, RawItem, SourceKind

__all__ = ["MAX_SITEMAP_BYTES", "is_sitemap_index", "parse_sitemap", "parse_sitemap_index", "read_xml"]

# The sitemap protocol caps a sitemap at 50 MB uncompressed; a .gz must not inflate past it.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024

_NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
_IMAGE = "http://www.google.com/schemas/sitemap-image/1.1"
_INDEX_ROOT = re.compile(rb"<(?:[\w.-]+:)?sitemapindex[\s>]")
_GZIP_MAGIC = b"\x1f\x8b"
_UNDATED = datetime.min.replace(tzinfo=UTC)


def read_xml(content: bytes, *, origin: str) -> tuple[etree._Element, tuple[str, ...]]:
    """The root element of ``content`` and what was wrong with it, parsed safely.

    No entity is expanded, no DTD loaded, nothing fetched, and no text node may pass
    libxml2's normal size limits. Badly formed XML is read a second time in recovery
    mode; the damage is returned as a problem. Raises FeedParseError when no element
    can be read at all.
    """
    problems: tuple[str, ...] = ()
    try:
        root = etree.fromstring(content, _parser(recover=False))
    except etree.XMLSyntaxError as exc:
        problems = (f"not well-formed XML (recovered): {exc.msg}",)
        try:
            root = etree.fromstring(content, _parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise FeedParseError(origin, f"not XML ({exc.msg})") from exc
    except ValueError as exc:  # lxml refuses some inputs outright (e.g. only a BOM)
        raise FeedParseError(origin, f"not XML ({exc})") from exc
    if root is None:
        raise FeedParseError(origin, "not XML (no root element)")
    return root, problems


def _parser(*, recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
        dtd_validation=False, remove_comments=True, remove_pis=True, recover=recover,
    )


def is_sitemap_index(content: bytes) -> bool:
    """Whether ``content`` (gzipped or not) is a sitemap index; cheap: looks at the first bytes only."""
    head = content[:4096]
    if content.startswith(_GZIP_MAGIC):
        try:
            head = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(content, 4096)
        except zlib.error:
            return False
    return bool(_INDEX_ROOT.search(head))


def parse_sitemap(content: bytes, *, url: str, now: datetime | None = None) -> ParsedFeed:
    """The pages a sitemap (fetched from ``url``) lists, newest first.

    A Google News sitemap gives each page a title, a publication date, the publication
    as outlet; a plain sitemap gives only ``lastmod``, which then stands in for the
    publication date (the article page usually has a better one). Dates more than ten
    minutes after ``now`` are dropped as in feeds (``date_problem="future"``). Gzipped
    content is accepted. Raises FeedParseError for anything but a ``urlset``.
    """
    now = now or datetime.now(UTC)
    root, problems = read_xml(_gunzip(content, url), origin=url)
    name = _local(root)
    if name == "sitemapindex":
        raise FeedParseError(
            url, f"a sitemap index of {len(_child_sitemaps(root, url))} sitemaps, not a list of pages",
            hint="Read it with parse_sitemap_index and fetch each sitemap it lists.",
        )
    if name != "urlset":
        raise FeedParseError(url, f"not a sitemap (the document is <{name}>, not <urlset>)")
    nodes = list(_children(root, "url"))
    items = [item for node in nodes if (item := _page(node, url=url, now=now)) is not None]
    if len(items) < len(nodes):
        problems += ("entries without an http(s) <loc> were skipped",)
    # Sitemaps come in any order; newest first, as for feeds. Undated pages go last.
    items.sort(key=lambda item: item.published or item.updated or _UNDATED, reverse=True)
    is_news = any(True for _ in root.iter(f"{{{_NEWS}}}news"))
    parts = urlsplit(url)
    return ParsedFeed(
        url=url, kind=SourceKind.SITEMAP, title=None,
        site_url=f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") else None,
        items=tuple(items), format="news-sitemap" if is_news else "sitemap", problems=problems,
    )


def parse_sitemap_index(content: bytes, *, url: str) -> list[str]:
    """The child sitemap URLs a sitemap index lists: absolute, http(s), unique, in document order.

    Raises FeedParseError when ``content`` is not a sitemap index.
    """
    root, _ = read_xml(_gunzip(content, url), origin=url)
    if _local(root) != "sitemapindex":
        raise FeedParseError(url, f"not a sitemap index (the document is <{_local(root)}>)",
                             hint="Read a <urlset> with parse_sitemap.")
    return _child_sitemaps(root, url)


def _child_sitemaps(root: etree._Element, url: str) -> list[str]:
    found: dict[str, None] = {}
    for node in _children(root, "sitemap"):
        loc = web_url(url, _child_text(node, "loc"))
        if loc:
            found.setdefault(loc)
    return list(found)


def _page(node: etree._Element, *, url: str, now: datetime) -> RawItem | None:
    """One ``<url>`` entry as a raw item; None when it has no usable location."""
    loc = web_url(url, _child_text(node, "loc"))
    if loc is None:
        return None
    news = node.find(f"{{{_NEWS}}}news")
    title = outlet = published = None
    if news is not None:
        title = _find_text(news, f"{{{_NEWS}}}title")
        outlet = _find_text(news, f"{{{_NEWS}}}publication/{{{_NEWS}}}name")
        published = date_in_utc(_find_text(news, f"{{{_NEWS}}}publication_date"))
    updated = date_in_utc(_child_text(node, "lastmod"))
    image = web_url(url, _find_text(node, f"{{{_IMAGE}}}image/{{{_IMAGE}}}loc"))
    published = published or updated
    problem = None
    if published is None:
        problem = "missing"
    elif published > now + FUTURE_TOLERANCE:
        published, problem = None, "future"
    if updated is not None and updated > now + FUTURE_TOLERANCE:
        updated = None
    return RawItem(origin=f"{url}#{loc}", title=title, url=loc, outlet=outlet, published=published,
                   updated=updated, image=image, date_problem=problem)


def _gunzip(content: bytes, origin: str) -> bytes:
    """``content``, inflated when it is gzip (a ``sitemap.xml.gz`` served as is), up to the cap."""
    if not content.startswith(_GZIP_MAGIC):
        return content
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(content, MAX_SITEMAP_BYTES + 1)
    except zlib.error as exc:
        raise FeedParseError(origin, f"gzip data that cannot be inflated ({exc})") from exc
    if len(data) > MAX_SITEMAP_BYTES:
        raise FeedParseError(origin, "inflates to more than 50 MB, the sitemap limit")
    return data


def _children(root: etree._Element, name: str) -> Iterator[etree._Element]:
    """Child elements called ``name`` in any namespace: old Google (0.84) and no-namespace sitemaps exist."""
    return (child for child in root if isinstance(child.tag, str) and _local(child) == name)


def _child_text(node: etree._Element, name: str) -> str | None:
    return next((_all_text(child) for child in _children(node, name)), None)


def _find_text(node: etree._Element, path: str) -> str | None:
    found = node.find(path)
    return _all_text(found) if found is not None else None


def _all_text(element: etree._Element) -> str | None:
    """All text inside ``element``; an entity reference, never expanded, shows as written (``&name;``)."""
    return stripped("".join(element.itertext()))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""
