"""robots.txt, per RFC 9309, for article pages (feeds are meant to be fetched by readers).

What a robots.txt fetch means (RFC 9309 section 2.3.1):

- 2xx: the rules apply (only the first 500 KiB are read, as the RFC allows);
- 4xx other than 429 (404, 410, 401, 403...): "unavailable", so everything is allowed;
- 429, 5xx, a timeout or a network error: "unreachable", so everything is disallowed
  for ``unreachable_ttl_s``, unless an older good copy is at hand, which is then kept
  in use (the RFC's "cached version" rule);
- redirects are followed by the fetcher (the RFC asks for at least five hops).

Results are cached per origin (scheme, host, port) for ``ttl_s`` (24 h, the RFC's
"SHOULD NOT use a cached version for more than 24 hours").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from storyline.errors import FetchError, HTTPStatusError, RobotsDeniedError
from storyline.fetch.policy import FetchPolicy
from storyline.fetch.politeness import HostLimiter, host_of
from storyline.types import FetchResult

__all__ = ["RobotsCache"]

MAX_ROBOTS_BYTES = 500 * 1024
MAX_CRAWL_DELAY_S = 60.0


class _Fetches(Protocol):
    policy: FetchPolicy

    def fetch(self, url: str, *, accept: str = ...) -> FetchResult: ...


@dataclass(slots=True)
class _Entry:
    parser: RobotFileParser
    expires: float
    good: bool  # from a 2xx or 4xx answer (may outlive an outage), not an "unreachable" stand-in


def _parser(*, allow_all: bool = False, disallow_all: bool = False, text: str = "") -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(text.splitlines())  # also stamps last_checked, without which can_fetch says no
    parser.allow_all = allow_all
    parser.disallow_all = disallow_all
    return parser


class RobotsCache:
    """Answers "may Storyline fetch this URL?" from each site's robots.txt, cached per origin.

    Thread-safe: each origin's robots.txt is fetched by one thread at a time, the others
    wait for its answer rather than fetching it again.
    """

    def __init__(
        self,
        fetcher: _Fetches,
        *,
        ttl_s: float = 24 * 3600,
        unreachable_ttl_s: float = 3600,
        clock: Callable[[], float] = time.monotonic,
        limiter: HostLimiter | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._limiter = limiter
        self._ttl_s = ttl_s
        self._unreachable_ttl_s = unreachable_ttl_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str, user_agent: str | None = None) -> bool:
        """Whether robots.txt lets ``user_agent`` (default: the fetcher's) fetch ``url``.

        With a ``limiter``, the site's Crawl-delay (when it names one) spaces its requests from now on.
        """
        rules = self._rules(url)
        if self._limiter is not None:
            delay = rules.crawl_delay(self._agent(user_agent))
            # Capped: a thread waits out the delay holding the host's slot, and an hour-long
            # delay would park fetch threads for good.
            self._limiter.set_min_delay(host_of(url), min(float(delay), MAX_CRAWL_DELAY_S) if delay else None)
        return rules.can_fetch(self._agent(user_agent), url)

    def check(self, url: str, user_agent: str | None = None) -> None:
        """Raise :class:`RobotsDeniedError` unless ``url`` may be fetched."""
        if not self.allowed(url, user_agent):
            raise RobotsDeniedError(url, "robots.txt does not allow Storyline to fetch this page")

    def crawl_delay(self, url: str, user_agent: str | None = None) -> float | None:
        """The Crawl-delay (seconds) the site asks of ``user_agent``, if it names one."""
        delay = self._rules(url).crawl_delay(self._agent(user_agent))
        return float(delay) if delay is not None else None

    def forget(self, url: str) -> None:
        """Drop the cached rules of ``url``'s site (the next question fetches them again)."""
        with self._lock:
            self._entries.pop(self._origin(url), None)

    def _agent(self, user_agent: str | None) -> str:
        # robotparser matches the product token: "Storyline/0.1 (+https://...)" -> "storyline".
        return user_agent or self._fetcher.policy.user_agent

    @staticmethod
    def _origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

    def _rules(self, url: str) -> RobotFileParser:
        origin = self._origin(url)
        with self._lock:
            entry = self._entries.get(origin)
            if entry is not None and entry.expires > self._clock():
                return entry.parser
            origin_lock = self._locks.setdefault(origin, threading.Lock())
        with origin_lock:
            with self._lock:  # another thread may have fetched it while this one waited
                entry = self._entries.get(origin)
                if entry is not None and entry.expires > self._clock():
                    return entry.parser
            fresh = self._fetch(origin, stale=entry)
            with self._lock:
                self._entries[origin] = fresh
            return fresh.parser

    def _fetch(self, origin: str, stale: _Entry | None) -> _Entry:
        now = self._clock()
        try:
            # robots.txt is a request to the site like any other: it waits for a slot too.
            with self._limiter.slot(host_of(origin)) if self._limiter is not None else nullcontext():
                result = self._fetcher.fetch(origin + "/robots.txt", accept="text/plain, */*;q=0.1")
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                return _Entry(_parser(allow_all=True), now + self._ttl_s, good=True)
            return self._unreachable(now, stale)
        except FetchError:
            return self._unreachable(now, stale)
        if result.gone or not 200 <= result.status < 300:
            return _Entry(_parser(allow_all=True), now + self._ttl_s, good=True)
        # utf-8-sig: a byte-order mark would otherwise hide the first line from the parser.
        text = result.content[:MAX_ROBOTS_BYTES].decode("utf-8-sig", errors="replace")
        return _Entry(_parser(text=text), now + self._ttl_s, good=True)

    def _unreachable(self, now: float, stale: _Entry | None) -> _Entry:
        if stale is not None and stale.good:
            # Keep the last good rules through an outage, and look again a bit later.
            return _Entry(stale.parser, now + self._unreachable_ttl_s, good=True)
        return _Entry(_parser(disallow_all=True), now + self._unreachable_ttl_s, good=False)
