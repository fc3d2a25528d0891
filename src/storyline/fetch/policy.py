"""How the fetcher behaves: limits, identity and manners, as one frozen value.

The caller builds it from settings (this stage does not read settings itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

__all__ = ["ANY_ACCEPT", "FEED_ACCEPT", "HTML_ACCEPT", "FetchPolicy", "make_user_agent"]

# What to ask for. Feeds first for feed URLs (some servers pick a representation by it).
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ANY_ACCEPT = "*/*"


def _installed_version() -> str:
    # Not `from storyline import __version__`: the package root lazily reaches the app
    # and the store, which a stage must not import (import-linter checks it).
    try:
        return metadata.version("storyline")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def make_user_agent(contact_url: str | None = None, version: str | None = None) -> str:
    """The User-Agent Storyline sends: ``Storyline/<version> (+<contact_url>)``.

    Site operators read this to find out who is crawling them; give a contact URL.
    """
    version = version or _installed_version()
    return f"Storyline/{version} (+{contact_url})" if contact_url else f"Storyline/{version}"


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits and manners of one :class:`~storyline.fetch.Fetcher` (times in seconds)."""

    user_agent: str = make_user_agent()
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # longest wait for any single read
    total_timeout: float = 60.0  # the whole fetch, redirects and body included
    max_body_bytes: int = 10 * 1024 * 1024  # of the decoded body
    max_redirects: int = 5
    allow_private_networks: bool = False  # True lets it fetch from loopback and the LAN
    per_host_concurrency: int = 2
    per_host_delay_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout", "max_body_bytes", "per_host_concurrency"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchPolicy.{name} must be positive, got {getattr(self, name)!r}")
        if self.max_redirects < 0 or self.per_host_delay_s < 0:
            raise ValueError("FetchPolicy.max_redirects and per_host_delay_s must not be negative")
