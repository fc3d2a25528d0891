"""The fetcher against a real HTTP server on loopback: conditional GET, decoding, caps, timeouts, redirects.

Also robots.txt (:class:`RobotsCache`) and per-host politeness (:class:`HostLimiter`).
Every test runs inside ``loopback_only``: a connect() anywhere but 127.0.0.1/::1 fails it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from storyline.errors import (
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    ResponseTooLargeError,
    RobotsDeniedError,
    TooManyRedirectsError,
)
from storyline.fetch import FEED_ACCEPT, Fetcher, FetchPolicy, HostLimiter, RobotsCache, host_of, make_user_agent
from storyline.fetch.decode import PIECE, BodyDecoder
from storyline.fetch.http import parse_retry_after
from tests.httpserver import TEXT, LocalHTTPServer, Reply, loopback_only

CAP = 1_000_000


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


def make_fetcher(**overrides: Any) -> Fetcher:
    options: dict[str, Any] = {"allow_private_networks": True, "max_body_bytes": CAP, "connect_timeout": 2,
                               "read_timeout": 2, "total_timeout": 5, "user_agent": make_user_agent("https://t.test/")}
    return Fetcher(FetchPolicy(**(options | overrides)))


@pytest.fixture(scope="module")
def fetcher() -> Iterator[Fetcher]:
    with make_fetcher() as made:
        yield made


# ---- plain fetching and conditional GET ---------------------------------------------


def test_a_plain_get(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    url = http_server.url("/ok")
    result = fetcher.fetch(url)
    assert (result.url, result.final_url, result.status, result.content) == (url, url, 200, b"ok")
    assert result.content_type == "text/plain; charset=utf-8"
    assert not (result.not_modified)
    assert not (result.gone)
    assert not (result.permanent_url)
    assert result.elapsed_ms >= 0


def test_it_says_who_it_is_and_what_it_accepts(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    seen = json.loads(fetcher.fetch(http_server.url("/echo"), accept=FEED_ACCEPT).content)
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers["user-agent"].startswith("Storyline/")
    assert headers["user-agent"].endswith("(+https://t.test/)")
    assert headers["accept"] == FEED_ACCEPT
    assert headers["accept-encoding"] == "gzip, deflate, br"
    assert "cookie" not in headers
    assert "if-none-match" not in headers


def test_conditional_get_with_etag(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    first = fetcher.fetch(http_server.url("/etag"))
    assert first.status == 200
    assert first.etag == '"v1"'
    assert first.content
    again = fetcher.fetch(http_server.url("/etag"), etag=first.etag)
    assert again.not_modified
    assert again.status == 304
    assert again.content == b""
    assert again.etag == '"v1"'
    assert http_server.requests_to("/etag")[-1].headers["If-None-Match"] == '"v1"'
    changed = fetcher.fetch(http_server.url("/etag"), etag='"v0"')
    assert changed.status == 200
    assert not changed.not_modified


def test_conditional_get_with_last_modified(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    first = fetcher.fetch(http_server.url("/last-modified"))
    assert first.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
    again = fetcher.fetch(http_server.url("/last-modified"), last_modified=first.last_modified)
    assert again.not_modified
    assert again.last_modified == first.last_modified
    older = fetcher.fetch(http_server.url("/last-modified"), last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert older.status == 200


def test_a_bare_304_keeps_the_callers_validators(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    http_server.add("/bare-304", Reply(status=304))
    result = fetcher.fetch(http_server.url("/bare-304"), etag='"e"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
    assert result.not_modified
    assert result.etag == '"e"'
    assert result.last_modified.startswith("Wed")


def test_the_server_serves_its_folder(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    assert http_server.root is not None
    sample = next(p for p in sorted(http_server.root.rglob("*")) if p.is_file() and " " not in p.name)
    path = "/" + sample.relative_to(http_server.root).as_posix()
    assert fetcher.fetch(http_server.url(path)).content == sample.read_bytes()
    with pytest.raises(HTTPStatusError, match="404"):
        fetcher.fetch(http_server.url("/no/such/file.xml"))


def test_the_content_type_is_reported_not_judged(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    result = fetcher.fetch(http_server.url("/wrong-type"), accept=FEED_ACCEPT)
    assert result.content_type == "application/octet-stream"
    assert result.content.startswith(b"<?xml")


def test_one_fetcher_serves_many_threads(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert fetcher.fetch(http_server.url("/gzip")).content == TEXT.encode()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures


# ---- decoding and the size cap --------------------------------------------------------


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/deflate-raw", "/brotli"])
def test_encoded_bodies_are_decoded(fetcher: Fetcher, http_server: LocalHTTPServer, path: str) -> None:
    assert fetcher.fetch(http_server.url(path)).content == TEXT.encode()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", ["/gzip-bomb", "/brotli-bomb"])
def test_a_compression_bomb_stops_at_the_cap_without_inflating(
    fetcher: Fetcher, http_server: LocalHTTPServer, path: str
) -> None:
    fetcher.fetch(http_server.url("/ok"))  # warm the pool outside the measurement
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError, match=r"1,000,000-byte limit") as caught:
            fetcher.fetch(http_server.url(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert http_server.url(path) in str(caught.value)
    assert peak < 4 * CAP  # the bomb inflates to 64-128 MiB; we held about the cap (httpx decoding: 149 MB)


@pytest.mark.timeout(60)
def test_an_endless_body_stops_at_the_cap(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    with pytest.raises(ResponseTooLargeError):
        fetcher.fetch(http_server.url("/endless"))


def test_an_announced_oversize_body_is_not_downloaded(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    with pytest.raises(ResponseTooLargeError, match="announced 2,000,000 bytes"):
        fetcher.fetch(http_server.url("/bytes?size=2000000"))
    assert len(fetcher.fetch(http_server.url(f"/bytes?size={CAP}")).content) == CAP  # the cap itself is fine


@pytest.mark.parametrize(("path", "message"), [("/corrupt-gzip", "not valid gzip"), ("/unknown-encoding", "zstd")])
def test_undecodable_bodies(fetcher: Fetcher, http_server: LocalHTTPServer, path: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        fetcher.fetch(http_server.url(path))


def test_decoders_give_bounded_pieces() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = compressor.compress(bytes(8 * 1024 * 1024)) + compressor.flush()
    pieces = list(BodyDecoder("gzip").feed(bomb))
    assert max(map(len, pieces)) <= PIECE
    assert sum(map(len, pieces)) == 8 * 1024 * 1024
    two_members = gzip.compress(b"first ") + gzip.compress(b"second")
    assert b"".join(BodyDecoder("gzip").feed(two_members)) == b"first second"
    stacked = gzip.compress(zlib.compress(b"twice"))  # "deflate, gzip": applied in that order
    assert b"".join(BodyDecoder("deflate, gzip").feed(stacked)) == b"twice"


# ---- timeouts -------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_slow_drip_is_cut_by_the_total_timeout(http_server: LocalHTTPServer) -> None:
    # Each byte comes well within the read timeout; only the whole-request limit can stop it.
    with make_fetcher(read_timeout=1, total_timeout=1.0) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError, match="whole request"):
            fetcher.fetch(http_server.url("/drip?interval=0.1&bytes=100"))
    assert time.monotonic() - started < 2.0


@pytest.mark.timeout(60)
def test_a_silent_server_is_cut_by_the_read_timeout(http_server: LocalHTTPServer) -> None:
    with make_fetcher(read_timeout=0.3, total_timeout=5) as fetcher, \
            pytest.raises(FetchTimeoutError, match=r"sent nothing for 0\.3 s"):
        fetcher.fetch(http_server.url("/stall?seconds=5"))


@pytest.mark.timeout(60)
def test_an_unanswered_connect_is_cut_by_the_connect_timeout() -> None:
    # A listener with a full backlog: the kernel drops further SYNs, so connect() hangs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.settimeout(0.2)
            with contextlib.suppress(OSError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        with make_fetcher(connect_timeout=0.3) as fetcher, \
                pytest.raises(FetchTimeoutError, match=r"could not connect within 0\.3 s"):
            fetcher.fetch(f"http://127.0.0.1:{port}/")
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def test_a_closed_port_is_a_fetch_error(fetcher: Fetcher) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(FetchError, match="could not connect"):
        fetcher.fetch(f"http://127.0.0.1:{port}/")


def test_elapsed_time_is_measured(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    assert fetcher.fetch(http_server.url("/drip?interval=0.1&bytes=3")).elapsed_ms >= 200


# ---- redirects ------------------------------------------------------------------------


def test_a_permanent_chain_reports_the_new_address(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    result = fetcher.fetch(http_server.url("/redirect/chain"))
    assert result.content == b"moved here"
    assert result.final_url == result.permanent_url == http_server.url("/redirect/chain-end")
    assert result.url == http_server.url("/redirect/chain")


@pytest.mark.parametrize("path", ["/redirect/found", "/redirect/mixed"])
def test_a_temporary_hop_means_no_new_address(fetcher: Fetcher, http_server: LocalHTTPServer, path: str) -> None:
    result = fetcher.fetch(http_server.url(path))
    assert result.final_url == http_server.url("/ok")
    assert result.permanent_url is None


def test_a_redirect_loop_is_refused(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    with pytest.raises(TooManyRedirectsError, match="loop"):
        fetcher.fetch(http_server.url("/redirect/loop-a"))


def test_at_most_max_redirects_hops(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    assert fetcher.fetch(http_server.url("/redirect/many?n=5")).content == b"ok"
    with pytest.raises(TooManyRedirectsError, match="more than 5 redirects"):
        fetcher.fetch(http_server.url("/redirect/many?n=6"))
    with make_fetcher(max_redirects=0) as strict, pytest.raises(TooManyRedirectsError):
        strict.fetch(http_server.url("/redirect/found"))


def test_redirects_to_other_schemes_are_refused(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    with pytest.raises(FetchError, match="refused a file URL") as caught:
        fetcher.fetch(http_server.url("/redirect/file"))
    assert type(caught.value) is FetchError


def test_a_redirect_without_location(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.fetch(http_server.url("/redirect/no-location"))
    assert caught.value.status == 302


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed", "javascript:alert(1)",
                                 "data:text/plain,hello", "example.com/feed", "gopher://x/"])
def test_only_http_and_https_are_fetched(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchError, match="fetches only http and https"):
        fetcher.fetch(url)


# ---- statuses -------------------------------------------------------------------------


def test_410_gone_is_an_answer(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    result = fetcher.fetch(http_server.url("/status/410"))
    assert result.gone
    assert result.status == 410
    assert result.content == b""


def test_429_carries_retry_after_seconds(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    with pytest.raises(HTTPStatusError, match="the server answered 429 Too Many Requests") as caught:
        fetcher.fetch(http_server.url("/status/429"))
    assert caught.value.status == 429
    assert caught.value.retry_after == 120.0


def test_503_carries_retry_after_from_a_date(fetcher: Fetcher, http_server: LocalHTTPServer) -> None:
    with pytest.raises(HTTPStatusError, match="503 Service Unavailable") as caught:
        fetcher.fetch(http_server.url("/status/503"))
    assert 200 < caught.value.retry_after <= 300


@pytest.mark.parametrize(("code", "words"), [(404, "404 Not Found"), (500, "500 Internal Server Error"),
                                              (403, "403 Forbidden"), (599, "599")])
def test_error_statuses_in_plain_words(fetcher: Fetcher, http_server: LocalHTTPServer, code: int, words: str) -> None:
    with pytest.raises(HTTPStatusError, match=f"the server answered {words}") as caught:
        fetcher.fetch(http_server.url(f"/status/{code}"))
    assert caught.value.status == code
    assert caught.value.retry_after is None
    assert caught.value.subject == http_server.url(f"/status/{code}")


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:05:00 GMT", now) == 300.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") is None


def test_policy_values_are_checked() -> None:
    with pytest.raises(ValueError, match="total_timeout"):
        FetchPolicy(total_timeout=0)
    assert make_user_agent(None, "1.2").startswith("Storyline/1.2")
    assert "(+" not in make_user_agent(None, "1.2")


# ---- robots.txt -----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def site() -> Iterator[LocalHTTPServer]:
    """A server of its own (robots.txt is per site)."""
    server = LocalHTTPServer().start()
    yield server
    server.stop()


ROBOTS = "User-agent: *\nDisallow: /private/\n\nUser-agent: storyline\nDisallow: /no-storyline/\nCrawl-delay: 3\n"


def test_robots_rules_apply_to_storyline(fetcher: Fetcher, site: LocalHTTPServer) -> None:
    site.add("/robots.txt", Reply(body=ROBOTS))
    robots = RobotsCache(fetcher)
    assert robots.allowed(site.url("/news/1"))
    assert not robots.allowed(site.url("/no-storyline/1"))
    assert robots.allowed(site.url("/private/1"))  # the storyline group replaces the * group
    assert not robots.allowed(site.url("/private/1"), user_agent="OtherBot/1.0")
    assert robots.crawl_delay(site.url("/")) == 3.0
    with pytest.raises(RobotsDeniedError):
        robots.check(site.url("/no-storyline/2"))


def test_robots_is_fetched_once_per_ttl(fetcher: Fetcher, site: LocalHTTPServer) -> None:
    site.add("/robots.txt", Reply(body=ROBOTS))
    clock = Clock()
    robots = RobotsCache(fetcher, ttl_s=100, clock=clock)
    for _ in range(3):
        robots.allowed(site.url("/a"))
    assert len(site.requests_to("/robots.txt")) == 1
    clock.now += 101
    robots.allowed(site.url("/a"))
    assert len(site.requests_to("/robots.txt")) == 2


@pytest.mark.parametrize("reply", [Reply(status=404), Reply(status=410), Reply(status=403)])
def test_unavailable_robots_allows_everything(fetcher: Fetcher, site: LocalHTTPServer, reply: Reply) -> None:
    site.add("/robots.txt", reply)
    assert RobotsCache(fetcher).allowed(site.url("/anything"))


@pytest.mark.parametrize("reply", [Reply(status=500), Reply(status=503), Reply(status=429)])
def test_unreachable_robots_disallows_for_a_while(fetcher: Fetcher, site: LocalHTTPServer, reply: Reply) -> None:
    site.add("/robots.txt", reply)
    clock = Clock()
    robots = RobotsCache(fetcher, unreachable_ttl_s=60, clock=clock)
    assert not robots.allowed(site.url("/a"))
    site.add("/robots.txt", Reply(body=""))
    assert not robots.allowed(site.url("/a"))  # still the cached "unreachable"
    clock.now += 61
    assert robots.allowed(site.url("/a"))


def test_an_outage_keeps_the_last_good_rules(fetcher: Fetcher, site: LocalHTTPServer) -> None:
    site.add("/robots.txt", Reply(body=ROBOTS))
    clock = Clock()
    robots = RobotsCache(fetcher, ttl_s=100, clock=clock)
    assert robots.allowed(site.url("/a"))
    site.add("/robots.txt", Reply(status=500))
    clock.now += 101
    assert robots.allowed(site.url("/a"))
    assert not robots.allowed(site.url("/no-storyline/x"))


@pytest.mark.timeout(60)
def test_a_robots_timeout_disallows(site: LocalHTTPServer) -> None:
    site.add("/robots.txt", lambda request: request.stopping.wait(3) and None)
    with make_fetcher(read_timeout=0.3) as quick:
        assert not RobotsCache(quick).allowed(site.url("/a"))


def test_robots_redirects_are_followed(fetcher: Fetcher, site: LocalHTTPServer) -> None:
    site.add("/robots.txt", Reply(status=301, headers={"Location": "/real-robots.txt"}))
    site.add("/real-robots.txt", Reply(body="User-agent: *\nDisallow: /\n"))
    assert not RobotsCache(fetcher).allowed(site.url("/a"))


def test_crawl_delay_spaces_the_sites_requests(fetcher: Fetcher, site: LocalHTTPServer) -> None:
    site.add("/robots.txt", Reply(body=ROBOTS))
    clock = Clock()
    limiter = HostLimiter(delay_s=0.5, clock=clock, sleep=clock.sleep)
    robots = RobotsCache(fetcher, limiter=limiter)
    assert robots.allowed(site.url("/news/1"))
    starts = []
    for _ in range(2):
        with limiter.slot(host_of(site.url("/"))):
            starts.append(clock.now)
    # The robots.txt request took the first slot (at 1000.0), so the first page waits the
    # host delay after it; from then on, the site's Crawl-delay: 3 spaces the requests.
    assert starts == [1000.5, 1003.5]


def test_an_hour_long_crawl_delay_is_capped(fetcher: Fetcher, site: LocalHTTPServer) -> None:
    site.add("/robots.txt", Reply(body="User-agent: *\nCrawl-delay: 3600\n"))
    clock = Clock()
    limiter = HostLimiter(delay_s=0.0, clock=clock, sleep=clock.sleep)
    assert RobotsCache(fetcher, limiter=limiter).allowed(site.url("/a"))
    with limiter.slot(host_of(site.url("/"))):
        assert clock.now == 1000.0
    with limiter.slot(host_of(site.url("/"))):
        assert clock.now == 1060.0  # a minute apart, not an hour


# ---- per-host politeness --------------------------------------------------------------


def test_requests_to_one_host_are_spaced() -> None:
    clock = Clock()
    limiter = HostLimiter(delay_s=1.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(3):
        with limiter.slot("a.test"):
            starts.append(clock.now)
    with limiter.slot("b.test"):
        starts.append(clock.now)  # another host does not wait
    assert starts == [1000.0, 1001.0, 1002.0, 1002.0]
    limiter.set_min_delay("a.test", 5.0)  # e.g. a robots.txt Crawl-delay
    with limiter.slot("a.test"):
        pass
    with limiter.slot("a.test"):
        assert clock.now == 1008.0


@pytest.mark.timeout(60)
def test_at_most_n_requests_at_once_per_host() -> None:
    limiter = HostLimiter(concurrency=2, delay_s=0.0)
    active, most = [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with limiter.slot("a.test"):
            with lock:
                active[0] += 1
                most[0] = max(most[0], active[0])
            time.sleep(0.05)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert most[0] == 2


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    clock = Clock()
    limiter = HostLimiter(clock=clock, rand=lambda: 0.0)
    waits = [limiter.record_failure("a.test") - clock.now for _ in range(4)]
    assert waits == [60.0, 120.0, 240.0, 480.0]
    for _ in range(30):
        limiter.record_failure("a.test")
    assert limiter.wait_s("a.test") == 24 * 3600.0
    jittery = HostLimiter(clock=clock, rand=lambda: 1.0, jitter=0.2)
    assert jittery.record_failure("b.test") - clock.now == pytest.approx(48.0)
    limiter.record_success("a.test")
    assert limiter.retry_at("a.test") is None
    assert limiter.failures("a.test") == 0
    assert limiter.wait_s("a.test") == 0


def test_backoff_honours_retry_after() -> None:
    clock = Clock()
    limiter = HostLimiter(clock=clock)
    assert limiter.record_failure("a.test", retry_after=120.0) == clock.now + 120.0
    clock.now += 20
    assert limiter.wait_s("a.test") == 100.0
    assert limiter.record_failure("a.test", retry_after=10 * 24 * 3600.0) == clock.now + 24 * 3600.0
    assert limiter.retry_at("other.test") is None


def test_limiter_from_policy_and_host_of() -> None:
    limiter = HostLimiter.from_policy(FetchPolicy(per_host_concurrency=3, per_host_delay_s=0.5))
    assert (limiter.concurrency, limiter.delay_s) == (3, 0.5)
    assert host_of("https://News.Example.com:8443/a?b") == "news.example.com"


def test_keep_alive_connection_is_reused_across_200s_and_304s(http_server: LocalHTTPServer) -> None:
    import httpcore

    class Counting(httpcore.SyncBackend):
        connects = 0

        def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
            Counting.connects += 1
            return super().connect_tcp(*args, **kwargs)

    with Fetcher(FetchPolicy(allow_private_networks=True), network_backend=Counting()) as fetcher:
        first = fetcher.fetch(http_server.url("/etag"))
        for _ in range(5):
            assert fetcher.fetch(http_server.url("/etag"), etag=first.etag).not_modified
        fetcher.fetch(http_server.url("/etag"))
    # One connection for all seven requests: a 304 left unread would have cost one each.
    assert Counting.connects == 1
