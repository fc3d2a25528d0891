"""The format-neutral shape of a feed item, and the small readers every feed format shares."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = ["Entry", "date_in_utc", "is_web_url", "stripped", "unique_names", "web_url"]

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Entry:
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


def web_url(base: str, link: str | None) -> str | None:
    """``link`` made absolute, if it then is an http(s) URL (not ``tag:``, ``mailto:``, ``javascript:``)."""
    try:
        absolute = urljoin(base, link) if link else None
    except ValueError:  # an invalid IPv6 host, say
        return None
    return absolute if absolute and is_web_url(absolute) else None


def is_web_url(link: str) -> bool:
    try:
        return urlsplit(link).scheme.lower() in ("http", "https")
    except ValueError:  # an invalid IPv6 host, say
        return False


def stripped(value: Any) -> str | None:
    """A stripped string, or None for anything else or nothing."""
    return (value.strip() or None) if isinstance(value, str) else None


def unique_names(names: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in names:
        cleaned = _SPACE.sub(" ", name).strip() if isinstance(name, str) else ""
        if cleaned:
            seen.setdefault(cleaned)
    return tuple(seen)


def date_in_utc(value: Any, *, rfc822: bool = False) -> datetime | None:
    """An ISO 8601 date (W3C, RFC 3339), else with ``rfc822`` an RFC 822 one, in UTC; None if it is neither.

    A time without a zone is taken as UTC.
    """
    text = stripped(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        if not rfc822:
            return None
        try:
            parsed = parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
