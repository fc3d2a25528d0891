"""The SSRF guard: refused addresses are never connected to, and the checked address is the one used.

No test here connects anywhere but loopback: a socket-level net (``loopback_only``) fails
any other ``connect()``, and hosts with "public" addresses are served by a fake internet
(an httpcore backend that takes the checked public IP and connects to the loopback test
server instead), so the guard sees exactly what it would see in production.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import pytest

from storyline.errors import BlockedAddressError, FetchError, FetchTimeoutError
from storyline.fetch import Fetcher, FetchPolicy, blocked_reason, literal_address, resolve_checked
from storyline.fetch.backend import GuardedBackend
from tests.httpserver import LocalHTTPServer, loopback_only

PUBLIC_IP = "93.184.216.34"  # only ever handed to the fake internet below, never dialled


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[list[Any]]:
    with loopback_only() as seen:
        yield seen


def fake_dns(table: dict[str, list[str]], calls: list[str] | None = None) -> Callable[..., list[tuple[Any, ...]]]:
    """A getaddrinfo stand-in: each name answers from ``table`` (a list per successive call)."""
    answers = {name: list(ips) for name, ips in table.items()}

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if calls is not None:
            calls.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        ips = answers[host]
        current = ips.pop(0) if len(ips) > 1 else ips[0]  # successive calls walk the list
        infos = []
        for ip in current.split(","):
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            sockaddr = (ip, port, 0, 0) if family == socket.AF_INET6 else (ip, port)
            infos.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return infos

    return resolve


class FakeInternet(httpcore.NetworkBackend):
    """Connects the checked public IP to the loopback test server; records every request to connect."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port
        self.calls: list[str] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        self.calls.append(host)
        if host != PUBLIC_IP or self.port is None:
            raise AssertionError(f"the guard let a connection to {host} through")
        return httpcore.SyncBackend().connect_tcp("127.0.0.1", self.port, timeout=timeout)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 that must never see a connection."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def assert_no_connection(sock: socket.socket) -> None:
    with pytest.raises(BlockingIOError):  # nothing is waiting to be accepted
        sock.accept()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "100.127.255.254", "224.0.0.1", "239.255.255.250",
        "240.0.0.1", "255.255.255.255", "0.0.0.0", "198.18.0.1", "192.0.2.10",
        "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
        "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
        "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:a00:1::", "2001:db8::1", "::a00:1",
    ],
)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("10.0.0.1", "10.0.0.1"),
        ("example.com", None),
        ("123abc", None),
        ("1.2.3.4.5", None),
    ],
)
def test_literal_addresses_in_every_spelling(host: str, expected: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == expected


def test_a_name_is_refused_when_any_of_its_addresses_is() -> None:
    resolve = fake_dns({"mixed.test": [f"{PUBLIC_IP},10.0.0.1"]})
    with pytest.raises(BlockedAddressError, match=r"10\.0\.0\.1, a private address"):
        resolve_checked("mixed.test", 80, allow_private=False, resolve=resolve)
    assert resolve_checked("mixed.test", 80, allow_private=True, resolve=resolve) == [PUBLIC_IP, "10.0.0.1"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1", "017700000001", "[::ffff:127.0.0.1]"]
)
def test_loopback_in_any_spelling_is_refused_and_never_connected(listener: socket.socket, host: str) -> None:
    port = listener.getsockname()[1]
    with Fetcher(FetchPolicy(connect_timeout=0.5, total_timeout=2)) as fetcher, \
            pytest.raises(BlockedAddressError) as caught:
        fetcher.fetch(f"http://{host}:{port}/feed.xml")
    assert f":{port}/feed.xml" in str(caught.value)  # names the URL
    assert_no_connection(listener)


@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "2130706433", "0x7f.1", "::1", "fe80::1"])
def test_the_backend_itself_refuses_literals_without_connecting(host: str) -> None:
    # Below the fetcher's own pre-check: the connection door refuses them too.
    internet = FakeInternet()
    backend = GuardedBackend(allow_private=False, inner=internet)
    with pytest.raises(BlockedAddressError):
        backend.connect_tcp(host, 80, timeout=0.2)
    assert internet.calls == []


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"])
def test_private_urls_are_refused_before_connecting_not_timed_out(url: str) -> None:
    internet = FakeInternet()
    with Fetcher(FetchPolicy(connect_timeout=0.2, total_timeout=1), network_backend=internet) as fetcher, \
            pytest.raises(BlockedAddressError):
        fetcher.fetch(url)
    assert internet.calls == []


@pytest.mark.parametrize(("name", "address"), [("internal.test", "10.0.0.1"), ("metadata.test", "169.254.169.254"),
                                               ("v6.test", "fd00::5"), ("mapped.test", "::ffff:192.168.0.1")])
def test_names_resolving_to_private_addresses_are_refused(name: str, address: str) -> None:
    internet = FakeInternet()
    resolve = fake_dns({name: [address]})
    with Fetcher(FetchPolicy(connect_timeout=0.2), resolve=resolve, network_backend=internet) as fetcher, \
            pytest.raises(BlockedAddressError, match=address.rsplit(":", 1)[-1].replace(".", r"\.")):
        fetcher.fetch(f"http://{name}/feed")
    assert internet.calls == []


@pytest.fixture
def internet_fetcher(http_server: LocalHTTPServer) -> Iterator[tuple[Fetcher, FakeInternet, list[str]]]:
    """A guarded fetcher (private networks refused) on the fake internet; news.test is 'public'."""
    internet = FakeInternet(http_server.port)
    calls: list[str] = []
    resolve = fake_dns({"news.test": [PUBLIC_IP], "internal.test": ["10.0.0.1"]}, calls)
    with Fetcher(FetchPolicy(connect_timeout=0.5, total_timeout=3), resolve=resolve, network_backend=internet) as f:
        yield f, internet, calls


def test_the_fake_internet_works(internet_fetcher: tuple[Fetcher, FakeInternet, list[str]],
                                 http_server: LocalHTTPServer) -> None:
    fetcher, internet, _ = internet_fetcher
    result = fetcher.fetch(http_server.url("/ok", host="news.test"))
    assert result.content == b"ok"
    assert internet.calls == [PUBLIC_IP]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/redirect/private", "http://10.0.0.1/"),
        ("/redirect/metadata", "http://169.254.169.254/latest/meta-data/"),
        ("/redirect?to=http://internal.test/admin", "http://internal.test/admin"),
        ("/redirect?to=http://[::1]/&status=301", "http://[::1]/"),
    ],
)
def test_every_redirect_hop_is_checked(internet_fetcher: tuple[Fetcher, FakeInternet, list[str]],
                                       http_server: LocalHTTPServer, path: str, refused: str) -> None:
    fetcher, internet, _ = internet_fetcher
    with pytest.raises(BlockedAddressError) as caught:
        fetcher.fetch(http_server.url(path, host="news.test"))
    assert caught.value.subject == refused
    assert set(internet.calls) == {PUBLIC_IP}  # only the first, public hop was connected


def test_dns_rebinding_has_no_second_lookup(http_server: LocalHTTPServer) -> None:
    # The name answers a public address first and a private one afterwards: the
    # connection must go to the address that was checked, and the name is looked up once.
    internet = FakeInternet(http_server.port)
    calls: list[str] = []
    resolve = fake_dns({"rebind.test": [PUBLIC_IP, "10.0.0.1", "10.0.0.1"]}, calls)
    with Fetcher(FetchPolicy(), resolve=resolve, network_backend=internet) as fetcher:
        first = fetcher.fetch(http_server.url("/ok", host="rebind.test"))
        second = fetcher.fetch(http_server.url("/echo", host="rebind.test"))  # a kept-alive connection
    assert first.content == b"ok"
    assert second.status == 200
    assert calls == ["rebind.test"]
    assert internet.calls == [PUBLIC_IP]  # the checked IP string, never the name


def test_a_rebinding_answer_seen_first_is_refused() -> None:
    internet = FakeInternet()
    resolve = fake_dns({"rebind.test": ["127.0.0.1", PUBLIC_IP]})
    with Fetcher(FetchPolicy(), resolve=resolve, network_backend=internet) as fetcher, \
            pytest.raises(BlockedAddressError):
        fetcher.fetch("http://rebind.test/")
    assert internet.calls == []


class _TLSRecorder(httpcore.NetworkBackend):
    """Records the address dialled and the server_hostname TLS is started with, then fails the handshake."""

    def __init__(self) -> None:
        self.dialled: list[str] = []
        self.server_hostnames: list[str | None] = []

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        self.dialled.append(host)
        recorder = self

        class Stream(httpcore.NetworkStream):
            def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                          timeout: float | None = None) -> httpcore.NetworkStream:
                recorder.server_hostnames.append(server_hostname)
                raise httpcore.ConnectError("handshake refused by the test")

            def close(self) -> None:
                pass

        return Stream()


def test_tls_uses_the_host_name_while_tcp_uses_the_checked_address() -> None:
    recorder = _TLSRecorder()
    resolve = fake_dns({"news.test": [PUBLIC_IP]})
    with Fetcher(FetchPolicy(), resolve=resolve, network_backend=recorder) as fetcher, pytest.raises(FetchError):
        fetcher.fetch("https://news.test/feed")
    assert recorder.dialled == [PUBLIC_IP]
    assert recorder.server_hostnames == ["news.test"]


def test_unresolvable_names_are_a_fetch_error_not_a_block() -> None:
    with Fetcher(FetchPolicy(), resolve=fake_dns({}), network_backend=FakeInternet()) as fetcher, \
            pytest.raises(FetchError, match=r"cannot resolve nowhere\.test") as caught:
        fetcher.fetch("http://nowhere.test/")
    assert not isinstance(caught.value, BlockedAddressError | FetchTimeoutError)


def test_allow_private_networks_lets_loopback_through(http_server: LocalHTTPServer) -> None:
    with Fetcher(FetchPolicy(allow_private_networks=True)) as fetcher:
        assert fetcher.fetch(http_server.url("/ok")).content == b"ok"


def test_proxy_variables_are_ignored(http_server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would move the connection (and so the guard's check) to the proxy's address.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.0.0.1:3128")
    with Fetcher(FetchPolicy(allow_private_networks=True, connect_timeout=0.5)) as fetcher:
        assert fetcher.fetch(http_server.url("/ok")).content == b"ok"


def test_unix_sockets_are_refused() -> None:
    with pytest.raises(httpcore.ConnectError):
        GuardedBackend().connect_unix_socket("/var/run/docker.sock")


@pytest.mark.timeout(60)
def test_a_hanging_dns_lookup_is_cut_by_the_connect_timeout() -> None:
    release = threading.Event()

    def slow_resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        release.wait(10)
        return fake_dns({host: [PUBLIC_IP]})(host, port)

    internet = FakeInternet()
    started = time.monotonic()
    try:
        with Fetcher(FetchPolicy(connect_timeout=0.3), resolve=slow_resolve, network_backend=internet) as fetcher, \
                pytest.raises(FetchTimeoutError, match=r"could not connect within 0\.3 s"):
            fetcher.fetch("http://slow-dns.test/")
    finally:
        release.set()
    assert time.monotonic() - started < 2
    assert internet.calls == []
