"""Subscriptions: adding sources (with kind detection and feed autodiscovery), OPML in and out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import structlog

from storyline import parse
from storyline.errors import BlockedAddressError, FeedParseError, FetchError, InputError
from storyline.fetch import Fetcher
from storyline.fetch.guard import blocked_reason, literal_address
from storyline.parse.decode import decode_text, read_bytes
from storyline.store import SourceStore
from storyline.types import ItemFailure, Source, SourceKind

log = structlog.get_logger(__name__)


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a bracketed host that is not an IPv6 address
        usable = False
    if not usable:
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


@dataclass(frozen=True, slots=True)
class OpmlImport:
    """What an OPML import did: sources added, how many were there already, and each outline not taken."""

    added: list[Source]
    existing: int
    skipped: list[ItemFailure]  # origin "file:line"


def add_source(
    store: SourceStore, fetcher: Fetcher | None, url: str, *, folder: str | None = None, allow_private: bool = False
) -> Source:
    """Subscribe to ``url`` (a feed, sitemap, homepage or article).

    With a fetcher the URL is fetched to find out what it is; without one (offline) or
    when it cannot be reached, it is added as a feed and its error shows in feed health.
    An address Storyline would refuse to fetch (loopback, private, metadata: see
    ``allow_private_networks``) is refused now, not at the first fetch.
    """
    url = _check_url(url)
    if not allow_private:
        refuse_private(url)
    kind, target, title = SourceKind.FEED, url, None
    if fetcher is not None:
        try:
            kind, target, title = detect_source(fetcher, url)
        except BlockedAddressError:
            raise  # a name that resolves inside the network, or a redirect there
        except (FetchError, FeedParseError) as exc:
            log.info("source_added_unchecked", url=url, reason=str(exc))
    source = store.ensure_source(kind, target, title or target, folder=folder)
    log.info("source_added", url=target, kind=kind.value)
    return source


def refuse_private(url: str) -> None:
    """Raise BlockedAddressError when ``url``'s host is, by its spelling, an address that is not public.

    Names are resolved when fetched (the fetch guard checks every address it connects to);
    here only what needs no DNS: IP literals in any spelling, and ``localhost``.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise BlockedAddressError(url, f"refused: {host} is this machine")
    address = literal_address(host)
    why = blocked_reason(address) if address is not None else None
    if why:
        raise BlockedAddressError(url, f"refused: {host} is {why}")


def import_opml(store: SourceStore, path: Path, *, allow_private: bool = False) -> OpmlImport:
    """Subscribe to every feed in an OPML file; every outline not taken is reported with its line."""
    data = read_bytes(path)
    listing = parse.read_opml(data, origin=str(path))
    skipped = [ItemFailure(origin=f"{path}:{line}" if line else str(path), reason=why)
               for line, why in listing.problems]
    added: list[Source] = []
    existing = 0
    for entry in listing.entries:
        where = f"{path}:{entry.line}" if entry.line else str(path)
        if store.find_source(entry.url) is not None:
            existing += 1
            continue
        try:
            url = _check_url(entry.url)
            if not allow_private:
                refuse_private(url)
        except (InputError, BlockedAddressError) as exc:
            why = f"{exc.message}. {exc.hint}" if exc.hint else exc.message
            skipped.append(ItemFailure(origin=where, reason=f"{_shown(entry.url)} not taken: {why}"))
            continue
        added.append(store.ensure_source(SourceKind.FEED, url, entry.title or url, folder=entry.folder,
                                         site_url=entry.site_url))
    skipped.sort(key=lambda failure: _line_of(failure.origin))
    return OpmlImport(added, existing, skipped)


def _shown(url: str) -> str:
    return url if len(url) <= 100 else url[:97] + "..."


def _line_of(origin: str) -> int:
    tail = origin.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def export_opml(store: SourceStore) -> str:
    """Every feed and sitemap subscription as OPML 2.0, with folders."""
    entries = [
        parse.OpmlEntry(url=s.url, title=s.title, site_url=s.site_url, folder=s.folder)
        for s in store.list_sources([SourceKind.FEED, SourceKind.SITEMAP])
    ]
    return parse.write_opml(entries)
