"""The fetch stage: HTTP done politely and safely.

Public here: :class:`Fetcher` (conditional GET, manual redirects with the SSRF guard on
every hop, decoded-size cap, connect/read/total timeouts), :class:`FetchPolicy`, the
robots.txt cache :class:`RobotsCache` (for article pages, not feeds) and the per-host
limiter :class:`HostLimiter`. Like every stage it imports only the foundation
(``storyline.types``, ``storyline.errors``) and never the store or settings.

Typical use by the pipeline::

    fetcher = Fetcher(FetchPolicy(user_agent=make_user_agent(contact_url)))
    limiter = HostLimiter.from_policy(fetcher.policy)
    with limiter.slot(host_of(url)):
        result = fetcher.fetch(url, etag=source.etag, last_modified=source.last_modified)
"""

from __future__ import annotations

from storyline.fetch.guard import blocked_reason, literal_address, resolve_checked
from storyline.fetch.http import Fetcher, parse_retry_after
from storyline.fetch.policy import ANY_ACCEPT, FEED_ACCEPT, HTML_ACCEPT, FetchPolicy, make_user_agent
from storyline.fetch.politeness import HostLimiter, host_of
from storyline.fetch.robots import RobotsCache

__all__ = [
    "ANY_ACCEPT",
    "FEED_ACCEPT",
    "HTML_ACCEPT",
    "FetchPolicy",
    "Fetcher",
    "HostLimiter",
    "RobotsCache",
    "blocked_reason",
    "host_of",
    "literal_address",
    "make_user_agent",
    "parse_retry_after",
    "resolve_checked",
]
