"""Article metadata from a page: JSON-LD, meta tags, <time>, the URL.

Each field is resolved from an ordered list of sources; the first one that gives a usable
value wins. The orders, most trustworthy first:

- title:       JSON-LD headline, og:title, twitter:title, <title>, first <h1>
- description: JSON-LD description, og:description, meta description
- published:   JSON-LD datePublished, article:published_time and kin, <time> marked as the
               publication time (itemprop/pubdate/inside <article>), the feed's date
               (given by the caller), a date in the URL (day only)
- updated:     JSON-LD dateModified, article:modified_time, og:updated_time
- authors:     JSON-LD author, meta author/article:author (names, not URLs), rel=author links
- site name:   og:site_name, JSON-LD publisher, application-name
- canonical:   rel=canonical, og:url, JSON-LD url — only on the page's own site (a
               canonical pointing elsewhere is how syndicated copies credit an original,
               and is kept for the duplicates stage, but never replaces the page URL here)
- image:       og:image, JSON-LD image, twitter:image
- language:    <html lang>, og:locale, JSON-LD inLanguage (the caller may prefer detection)
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser
from lxml import html as lxml_html

_ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "liveblogposting",
    "socialmediaposting", "webpage", "report", "scholarlyarticle", "techarticle",
})
_PUBLISHED_META = ("article:published_time", "og:published_time", "og:article:published_time",
                   "datepublished", "pubdate", "publishdate", "publish-date", "date",
                   "parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date", "dcterms.created",
                   "article.published", "publication_date", "citation_publication_date")
_UPDATED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
                 "last-modified", "article.updated")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_]|$)")
# Separators between a headline and a site's name; not a dash between digits (a score, "2 - 0").
_TITLE_SEPARATORS = re.compile(r"(?<!\d)\s+(?:[|–—·•»]|-|::)\s+|\s+(?:[|–—·•»]|-|::)\s+(?!\d)")
# JSON-LD properties whose value may be a reference ({"@id": ...}) to another object of the page.
_REFERENCED = ("author", "publisher", "image")


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What a page says about its article (any field may be None or empty)."""

    title: str | None = None
    description: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    site_name: str | None = None
    canonical_url: str | None = None
    foreign_canonical_url: str | None = None
    image: str | None = None
    language: str | None = None
    json_ld_body: str | None = None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def parse_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from text a page gives; None when it is not a date."""
    text = _clean(value)
    if not text or len(text) > 64 or not re.search(r"\d{4}", text):
        return None
    try:
        parsed = dateparser.isoparse(text) if re.match(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            with warnings.catch_warnings():
                # An unknown zone name ("ICT") is read as UTC: off by hours at worst, and
                # still the right day, which is what a missing date would cost us anyway.
                warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
                parsed = dateparser.parse(text, fuzzy=False)
        except (ValueError, OverflowError):
            return None
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_ld_objects(tree: lxml_html.HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw or len(raw) > 2_000_000:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).lower() for v in values if isinstance(v, str)}


def _resolved(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    """``value`` with references to other objects ({"@id": ...}) replaced by those objects."""
    if isinstance(value, list):
        return [_resolved(v, by_id) for v in value]
    if isinstance(value, dict) and isinstance(value.get("@id"), str) and value.get("@id") in by_id:
        return {**by_id[value["@id"]], **value}
    return value


def _article_json_ld(tree: lxml_html.HtmlElement) -> dict[str, Any]:
    """The JSON-LD object describing the article (the most specific type found), or {}.

    Its author, publisher and image are resolved when given by reference, as in the
    @graph form many sites use ("publisher": {"@id": "https://site/#organization"}).
    """
    best: dict[str, Any] = {}
    best_rank = 99
    by_id: dict[str, dict[str, Any]] = {}
    ranking = ("newsarticle", "reportagenewsarticle", "analysisnewsarticle", "article",
               "blogposting", "liveblogposting")
    for obj in _json_ld_objects(tree):
        if isinstance(obj.get("@id"), str):
            by_id.setdefault(obj["@id"], obj)
        kinds = _types(obj) & _ARTICLE_TYPES
        if not kinds:
            continue
        rank = min((ranking.index(k) if k in ranking else 50) for k in kinds)
        if rank < best_rank:
            best, best_rank = obj, rank
    return {**best, **{key: _resolved(best[key], by_id) for key in _REFERENCED if key in best}}


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    if isinstance(value, dict):
        name = _clean(value.get("name"))
        return [name] if name else []
    name = _clean(value)
    return [name] if name and not name.startswith(("http://", "https://")) else []


def _image_url(value: Any) -> str | None:
    if isinstance(value, list):
        return next((u for u in (_image_url(v) for v in value) if u), None)
    if isinstance(value, dict):
        return _clean(value.get("url")) or _clean(value.get("contentUrl"))
    return _clean(value)


def _meta(tree: lxml_html.HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.xpath("//meta[@content]"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        value = _clean(node.get("content"))
        if key and value and key not in found:
            found[key] = value
    return found


def split_authors(value: str) -> list[str]:
    """ "By Jane Doe and John Roe" -> ["Jane Doe", "John Roe"]."""
    value = re.sub(r"^\s*by\s+", "", value, flags=re.I)
    parts = re.split(r"\s*(?:,|;|\band\b|&|\|)\s*", value)
    return [p.strip() for p in parts if p.strip() and len(p.split()) <= 6]


def _title_without_site(title: str, site_name: str | None, *, short_suffix: bool = True) -> str:
    """``title`` without the site's name it ends or starts with ("Headline | Site" -> "Headline").

    With ``short_suffix``, a short last part is taken for a site's name too; not for a
    JSON-LD headline, which names the article alone ("Israel-Hamas war: what we know – day 200").
    """
    separators = list(_TITLE_SEPARATORS.finditer(title))
    if not separators:
        return title
    first, last = separators[0], separators[-1]
    site = (site_name or "").lower()
    tail = title[last.end():].strip().lower()
    if (site and tail in site) or (short_suffix and len(tail.split()) <= 3 < len(title[:last.start()].split())):
        return title[:last.start()]
    if site and title[:first.start()].strip().lower() in site:
        return title[first.end():]
    return title


def _absolute(base: str | None, href: str) -> str | None:
    """``href`` resolved against ``base``; None when either is not a valid URL ("http://[x")."""
    try:
        return urljoin(base or "", href.strip())
    except ValueError:
        return None


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _same_site(url: str, page_url: str | None) -> bool:
    if not page_url:
        return True
    host, page_host = _host(url), _host(page_url)
    return bool(host) and (host == page_host or host.endswith("." + page_host) or page_host.endswith("." + host))


def _published_time_element(tree: lxml_html.HtmlElement) -> datetime | None:
    queries = ('//*[@itemprop="datePublished"]', "//time[@pubdate]", "//article//time[@datetime]")
    for query in queries:
        for node in tree.xpath(query)[:3]:
            when = parse_datetime(node.get("datetime") or node.get("content") or node.text_content())
            if when:
                return when
    return None


def url_date(url: str | None) -> datetime | None:
    """A date written in a URL path (/2024/05/01/), as midnight UTC."""
    try:
        match = _URL_DATE.search(urlsplit(url).path) if url else None
    except ValueError:  # a page or feed may give any string as its URL
        return None
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def _first(*values: Any) -> Any:
    return next((v for v in values if v), None)


def _first_lazy(*sources: Callable[[], Any]) -> Any:
    """The first truthy result, computing no source after it (some cost an XPath walk)."""
    for source in sources:
        value = source()
        if value:
            return value
    return None


def page_metadata(tree: lxml_html.HtmlElement, url: str | None = None) -> PageMetadata:
    """Everything the page says about its article; see the module docstring for the order."""
    ld = _article_json_ld(tree)
    meta = _meta(tree)
    publisher = ld.get("publisher")
    site_name = _first(meta.get("og:site_name"), _names(publisher)[0] if _names(publisher) else None,
                       meta.get("application-name"))
    title_tag = _clean(" ".join(tree.xpath("//title//text()"))) if tree.xpath("//title") else None
    h1 = tree.xpath("//h1")
    # A page's only <h1> names its article better than <title>, which is often the site's
    # name or section ("News of the day") on pages without social metadata.
    only_h1 = _clean(h1[0].text_content()) if len(h1) == 1 else None
    if only_h1 and len(only_h1.split()) < 3:
        only_h1 = None
    headline = _clean(ld.get("headline"))
    title = _first(headline, meta.get("og:title"), meta.get("twitter:title"),
                   only_h1, title_tag, _clean(h1[0].text_content()) if h1 else None)
    authors = _names(ld.get("author")) or [
        name for key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
        if key in meta and not meta[key].startswith("http") for name in split_authors(meta[key])
    ]
    base = url or meta.get("og:url")
    canonical = foreign = None
    for candidate in (*tree.xpath('//link[@rel="canonical"]/@href'), meta.get("og:url"), _clean(ld.get("url"))):
        if not candidate or not isinstance(candidate, str):
            continue
        absolute = _absolute(base, candidate)
        if not absolute or not absolute.startswith(("http://", "https://")):
            continue
        if _same_site(absolute, url):
            canonical = canonical or absolute
        else:
            foreign = foreign or absolute
    image = _first(meta.get("og:image"), _image_url(ld.get("image")), meta.get("twitter:image"))
    lang = _first(_clean(tree.get("lang") or ""), meta.get("og:locale"), _clean(ld.get("inLanguage")))
    body = ld.get("articleBody")
    return PageMetadata(
        title=_title_without_site(title, site_name, short_suffix=title != headline) if title else None,
        description=_first(_clean(ld.get("description")), meta.get("og:description"),
                           meta.get("description")),
        published=_first_lazy(
            lambda: parse_datetime(ld.get("datePublished")),
            *(lambda k=k: parse_datetime(meta.get(k)) for k in _PUBLISHED_META if k in meta),
            lambda: _published_time_element(tree),
        ),
        updated=_first_lazy(
            lambda: parse_datetime(ld.get("dateModified")),
            *(lambda k=k: parse_datetime(meta.get(k)) for k in _UPDATED_META if k in meta),
        ),
        authors=tuple(dict.fromkeys(authors)),
        site_name=site_name,
        canonical_url=canonical,
        foreign_canonical_url=foreign,
        image=_absolute(base, image) if image else None,
        language=lang.replace("_", "-").split("-")[0].lower() if lang else None,
        json_ld_body=body.strip() if isinstance(body, str) and body.strip() else None,
    )
