"""JSON Feed 1.0 and 1.1 documents into entries (``storyline.parse.feeds`` applies the shared rules)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from storyline.errors import FeedParseError
from storyline.parse.entry import Entry, date_in_utc, stripped, unique_names, web_url

__all__ = ["JSON_FEED_VERSION", "read_json_feed"]

_JSON_FEED_VERSIONS = {"1": "json10", "1.0": "json10", "1.1": "json11"}
# How a JSON Feed names itself near its start (``looks_like_feed`` sniffs for it).
JSON_FEED_VERSION = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/', re.I)


def read_json_feed(content: bytes, url: str) -> tuple[str | None, str | None, str, list[Entry], list[str]]:
    """Site URL, title, format, entries and problems of a JSON Feed document."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise FeedParseError(url, f"JSON that cannot be read ({type(exc).__name__})") from exc
    if not isinstance(document, dict):
        raise FeedParseError(url, "JSON, but not a JSON Feed (not an object)")
    version = stripped(document.get("version")) or ""
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
    site_url = web_url(url, stripped(document.get("home_page_url")))
    return site_url, stripped(document.get("title")), fmt or "json", entries, problems


def _entry_from_json(item: Mapping[str, Any], feed_authors: tuple[str, ...]) -> Entry:
    guid = item.get("id")
    content_html = stripped(item.get("content_html"))
    return Entry(
        # The spec says a string, but numbers are common in the wild.
        guid=str(guid) if isinstance(guid, int | float) and not isinstance(guid, bool) else stripped(guid),
        link=stripped(item.get("url")) or stripped(item.get("external_url")),
        title=stripped(item.get("title")),
        published=date_in_utc(item.get("date_published"), rfc822=True),
        updated=date_in_utc(item.get("date_modified"), rfc822=True),
        authors=_json_authors(item) or feed_authors,
        summary=stripped(item.get("summary")),
        html=content_html,
        text=None if content_html else stripped(item.get("content_text")),
        image=stripped(item.get("image")) or stripped(item.get("banner_image")),
    )


def _json_authors(node: Mapping[str, Any]) -> tuple[str, ...]:
    """Names from 1.1's ``authors`` list, else 1.0's single ``author`` object."""
    authors = node.get("authors")
    if not isinstance(authors, list):
        authors = [node.get("author")]
    return unique_names(stripped(a.get("name")) for a in authors if isinstance(a, dict))
