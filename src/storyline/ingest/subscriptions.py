"""Subscriptions: adding sources (with kind detection and feed autodiscovery), OPML in and out."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit

import structlog

from storyline import parse
from storyline.errors import FeedParseError, FetchError, InputError
from storyline.fetch import Fetcher
from storyline.parse.decode import decode_text, read_bytes
from storyline.store import SourceStore
from storyline.types import Source, SourceKind

log = structlog.get_logger(__name__)


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(url, "not an http(s) URL", hint="Give the address of a feed, sitemap, homepage or article.")
    return url


def detect_source(fetcher: Fetcher, url: str) -> tuple[SourceKind, str, str | None]:
    """What ``url`` is: (kind, the URL to subscribe to, its title).

    In order: a feed; a sitemap; an HTML page whose autodiscovery links name a feed; an
    HTML page on a site with a feed at a common path (/feed, /rss.xml, ...); else a single
    article page. Raises FetchError when the URL cannot be fetched at all.
    """
    result = fetcher.fetch(url)
    final = result.final_url
    if parse.is_sitemap_index(result.content):
        return SourceKind.SITEMAP, final, None
    for kind in (SourceKind.FEED, SourceKind.SITEMAP):
        try:
            parsed = (parse.parse_feed if kind is SourceKind.FEED else parse.parse_sitemap)(
                result.content, url=final, **({"content_type": result.content_type} if kind is SourceKind.FEED else {})
            )
            return kind, final, parsed.title
        except FeedParseError:
            continue
    try:
        html = decode_text(result.content, final, html=True)
    except InputError:
        raise FeedParseError(final, "neither a feed, a sitemap nor an HTML page") from None
    root = f"{urlsplit(final).scheme}://{urlsplit(final).netloc}/"
    common = [urljoin(root, path.lstrip("/")) for path in parse.COMMON_FEED_PATHS]
    candidates = parse.discover_feed_links(html, final) + common
    for candidate in dict.fromkeys(candidates):
        try:
            found = fetcher.fetch(candidate)
            parsed = parse.parse_feed(found.content, url=found.final_url, content_type=found.content_type)
        except (FetchError, FeedParseError):
            continue
        return SourceKind.FEED, found.final_url, parsed.title
    return SourceKind.PAGE, final, None


def add_source(store: SourceStore, fetcher: Fetcher | None, url: str, *, folder: str | None = None) -> Source:
    """Subscribe to ``url`` (a feed, sitemap, homepage or article).

    With a fetcher the URL is fetched to find out what it is; without one (offline) or
    when it cannot be reached, it is added as a feed and its error shows in feed health.
    """
    url = _check_url(url)
    kind, target, title = SourceKind.FEED, url, None
    if fetcher is not None:
        try:
            kind, target, title = detect_source(fetcher, url)
        except (FetchError, FeedParseError) as exc:
            log.info("source_added_unchecked", url=url, reason=str(exc))
    source = store.ensure_source(kind, target, title or target, folder=folder)
    log.info("source_added", url=target, kind=kind.value)
    return source


def import_opml(store: SourceStore, path: Path) -> tuple[list[Source], int]:
    """Subscribe to every feed in an OPML file: (sources added, how many were there already)."""
    data = read_bytes(path)
    entries = parse.parse_opml(data, origin=str(path))
    added: list[Source] = []
    existing = 0
    for entry in entries:
        if store.find_source(entry.url) is not None:
            existing += 1
            continue
        try:
            url = _check_url(entry.url)
        except InputError:
            continue
        added.append(store.ensure_source(SourceKind.FEED, url, entry.title or url, folder=entry.folder,
                                         site_url=entry.site_url))
    return added, existing


def export_opml(store: SourceStore) -> str:
    """Every feed and sitemap subscription as OPML 2.0, with folders."""
    entries = [
        parse.OpmlEntry(url=s.url, title=s.title, site_url=s.site_url, folder=s.folder)
        for s in store.list_sources([SourceKind.FEED, SourceKind.SITEMAP])
    ]
    return parse.write_opml(entries)
