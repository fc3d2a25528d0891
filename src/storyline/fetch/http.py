"""The fetcher: one GET with conditional headers, manual redirects, caps and timeouts.

The order of one :meth:`Fetcher.fetch`, written out:

1. refuse anything but http(s), and IP-literal hosts the guard refuses (no DNS needed);
2. send the GET through the guarded connection pool (``backend.py``): the host is
   resolved once, every address checked, and the checked IP connected to;
3. on 301/302/303/307/308 resolve ``Location`` against the current URL and go back to
   1 for the new URL, at most ``max_redirects`` times and never to a URL already
   visited (a loop);
4. map the final status: 304 -> ``not_modified``, 410 -> ``gone``, 429/503 and other
   errors -> :class:`HTTPStatusError` (with ``retry_after``), 2xx -> read the body,
   decoding it piece by piece and stopping at ``max_body_bytes`` of decoded bytes.

All of it runs under one deadline (``total_timeout``) that also bounds each socket read.
"""

from __future__ import annotations

import email.utils
import http
import socket
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpcore
import httpx

from storyline.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    ResponseTooLargeError,
    TooManyRedirectsError,
)
from storyline.fetch.backend import GuardedBackend, deadline_after, deadline_passed, deadline_remaining
from storyline.fetch.decode import ACCEPT_ENCODING, BROTLI_AVAILABLE, BodyDecoder, UnsupportedEncodingError
from storyline.fetch.guard import Resolver, blocked_reason, literal_address
from storyline.fetch.policy import ANY_ACCEPT, FetchPolicy
from storyline.types import FetchResult

__all__ = ["Fetcher", "parse_retry_after"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error,)
if BROTLI_AVAILABLE:
    import brotli

    _DECODE_ERRORS = (zlib.error, brotli.error)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _status_error(url: str, status: int, retry_after: float | None = None) -> HTTPStatusError:
    hint = None
    if status in (429, 503) and retry_after is not None:
        hint = f"The site asks Storyline to wait; it will try again in {retry_after:.0f} s."
    elif status in (401, 403):
        hint = "The site refuses Storyline: the page may need a login, or the site blocks crawlers."
    elif status == 404:
        hint = "Check the URL: the page or feed may have moved or been removed."
    error = HTTPStatusError(url, status, f"the server answered {status} {_phrase(status)}".rstrip(), hint)
    # Read by the scheduler's backoff (HostLimiter.record_failure); None unless 429/503 said when.
    error.retry_after = retry_after  # type: ignore[attr-defined]
    return error


def _no_cookies() -> CookieJar:
    # Every fetch is stateless: a cookie one site sets must not ride along to the next
    # fetch of a shared client, and consent/tracking cookies are not ours to keep.
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class Fetcher:
    """Fetches URLs politely and safely; thread-safe and reusable (one keep-alive pool).

    ``resolve`` (shaped like ``socket.getaddrinfo``) and ``network_backend`` (the httpcore
    backend that opens sockets) are for tests; the SSRF guard sits between them always.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolve: Resolver = socket.getaddrinfo,
        network_backend: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.backend = GuardedBackend(
            allow_private=self.policy.allow_private_networks, resolve=resolve, inner=network_backend
        )
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16, keepalive_expiry=30.0)
        transport = httpx.HTTPTransport(http1=True, http2=False, trust_env=False, limits=limits)
        # httpx has no public way to pass a network backend, so swap the pool it built
        # for an identical one that connects through the guard. Fail loudly if httpx
        # ever changes this, rather than silently fetching unguarded.
        if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport internals changed; the SSRF guard cannot be installed")
        transport._pool.close()
        transport._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            retries=0,
            network_backend=self.backend,
        )
        policy = self.policy
        self._client = httpx.Client(
            transport=transport,
            # trust_env=False: an HTTP(S)_PROXY variable would send every request to the
            # proxy, and the guard would then only ever check the proxy's address.
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=policy.connect_timeout,
                read=policy.read_timeout,
                write=policy.read_timeout,
                pool=policy.connect_timeout,
            ),
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            cookies=_no_cookies(),
        )

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = ANY_ACCEPT,
    ) -> FetchResult:
        """GET ``url`` (conditionally, when given validators) and return what the server said.

        Raises a :class:`FetchError` subclass for anything that is not a usable answer;
        304 and 410 are answers (``not_modified``, ``gone``), not errors.
        """
        started = time.monotonic()
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        with deadline_after(self.policy.total_timeout):
            return self._follow(url, headers, started)

    def close(self) -> None:
        """Close the pooled connections; the fetcher cannot be used afterwards."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _follow(self, url: str, headers: dict[str, str], started: float) -> FetchResult:
        current, hops, all_permanent = url, 0, True
        seen = {url.split("#", 1)[0]}
        while True:
            self._check_url(current)
            with self._errors_about(current):
                request = self._client.build_request("GET", current, headers=headers, timeout=self._hop_timeout())
                response = self._client.send(request, stream=True)
            try:
                if response.status_code not in _REDIRECTS:
                    return self._result(url, current, response, headers, started, all_permanent and hops > 0)
                target = self._redirect_target(current, response)
            finally:
                response.close()
            hops += 1
            all_permanent = all_permanent and response.status_code in _PERMANENT
            if target.split("#", 1)[0] in seen:
                raise TooManyRedirectsError(url, f"redirect loop: {current} sends back to {target}",
                                            "The site's redirects go round in a circle; tell its owner.")
            if hops > self.policy.max_redirects:
                raise TooManyRedirectsError(url, f"more than {self.policy.max_redirects} redirects (next: {target})")
            seen.add(target.split("#", 1)[0])
            current = target

    def _hop_timeout(self) -> httpx.Timeout:
        # Socket operations are clamped to the deadline by the backend; waiting for a free
        # pooled connection is not, so cap that wait by the time left here.
        policy = self.policy
        left = deadline_remaining()
        pool = policy.connect_timeout if left is None else max(0.001, min(policy.connect_timeout, left))
        return httpx.Timeout(connect=policy.connect_timeout, read=policy.read_timeout,
                             write=policy.read_timeout, pool=pool)

    def _check_url(self, url: str) -> None:
        """Refuse what must not be fetched before any connection: bad schemes, blocked IP literals."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("http", "https"):
            raise FetchError(url, f"refused a {scheme or 'scheme-less'} URL: Storyline fetches only http and https",
                             "Use an http:// or https:// URL.")
        try:
            host = httpx.URL(url).host
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"not a valid URL ({exc})", "Check the URL for typing mistakes.") from exc
        if not host:
            raise FetchError(url, "the URL has no host name", "Check the URL for typing mistakes.")
        literal = None if self.policy.allow_private_networks else literal_address(host)
        why = blocked_reason(literal) if literal is not None else None
        if why:
            raise BlockedAddressError(url, f"refused to connect: {host} is {why}")

    @staticmethod
    def _redirect_target(current: str, response: httpx.Response) -> str:
        location = response.headers.get("location")
        if not location:
            raise HTTPStatusError(current, response.status_code,
                                  f"the server answered {response.status_code} without saying where to go")
        try:
            return str(httpx.URL(current).join(location))
        except httpx.InvalidURL as exc:
            raise FetchError(current, f"the server redirected to an invalid URL {location!r}") from exc

    def _result(
        self, url: str, final_url: str, response: httpx.Response, sent: dict[str, str], started: float,
        permanent: bool,
    ) -> FetchResult:
        status = response.status_code
        fields: dict[str, Any] = {
            "url": url,
            "final_url": final_url,
            "status": status,
            "content_type": response.headers.get("content-type"),
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "permanent_url": final_url if permanent else None,
        }
        if status == 304:
            # Keep the caller's validators when the 304 does not repeat them.
            fields["etag"] = fields["etag"] or sent.get("If-None-Match")
            fields["last_modified"] = fields["last_modified"] or sent.get("If-Modified-Since")
            content, extra = b"", {"not_modified": True}
            # Read the (empty) body to its end: a response closed unread costs its
            # keep-alive connection, and a refresh round is mostly 304s to the same hosts.
            with self._errors_about(final_url):
                for _ in response.iter_raw():
                    break
        elif status == 410:
            content, extra = b"", {"gone": True}
        elif status in (429, 503):
            raise _status_error(final_url, status, parse_retry_after(response.headers.get("retry-after")))
        elif not 200 <= status < 300:
            raise _status_error(final_url, status)
        else:
            with self._errors_about(final_url):
                content, extra = self._read_body(final_url, response), {}
        elapsed_ms = int((time.monotonic() - started) * 1000)
        return FetchResult(content=content, elapsed_ms=elapsed_ms, **fields, **extra)

    def _read_body(self, url: str, response: httpx.Response) -> bytes:
        cap = self.policy.max_body_bytes
        encoding = response.headers.get("content-encoding")
        length = response.headers.get("content-length", "")
        if not encoding and length.isdigit() and int(length) > cap:
            raise ResponseTooLargeError(url, f"the server announced {int(length):,} bytes, over the {cap:,}-byte limit")
        try:
            decoder = BodyDecoder(encoding)
        except UnsupportedEncodingError as exc:
            raise FetchError(url, f"the server used Content-Encoding {exc}, which Storyline did not ask for") from exc
        body = bytearray()
        raw_seen = 0
        try:
            for chunk in response.iter_raw():
                # Compressed data is never much larger than what it decodes to; a stream
                # that is (endless empty blocks) is hostile and stopped the same way.
                raw_seen += len(chunk)
                for piece in decoder.feed(chunk):
                    body += piece
                    if len(body) > cap:
                        raise ResponseTooLargeError(url, f"the body passed the {cap:,}-byte limit while downloading")
                if raw_seen > 2 * cap:
                    raise ResponseTooLargeError(url, f"the compressed body passed {2 * cap:,} bytes")
            for piece in decoder.flush():
                body += piece
        except _DECODE_ERRORS as exc:
            raise FetchError(url, f"the body is not valid {encoding} data ({exc})") from exc
        if len(body) > cap:
            raise ResponseTooLargeError(url, f"the body passed the {cap:,}-byte limit while downloading")
        return bytes(body)

    @contextmanager
    def _errors_about(self, url: str) -> Iterator[None]:
        """Turn httpx's errors (and the backend's host-named ones) into ours, about ``url``."""
        policy = self.policy
        try:
            yield
        except BlockedAddressError as exc:
            raise BlockedAddressError(url, exc.message) from exc
        except httpx.TimeoutException as exc:
            if deadline_passed():
                message = f"took longer than the {policy.total_timeout:g} s limit for the whole request"
            elif isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                message = f"could not connect within {policy.connect_timeout:g} s"
            else:
                message = f"the server sent nothing for {policy.read_timeout:g} s"
            raise FetchTimeoutError(url, message) from exc
        except httpx.ConnectError as exc:
            raise FetchError(url, f"could not connect ({exc})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"the connection failed while fetching ({exc or 'the server closed it'})") from exc
