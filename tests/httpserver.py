"""A real HTTP server on 127.0.0.1 for tests: a folder of files plus programmable routes.

::

    server = LocalHTTPServer(root=Path("tests/data")).start()
    server.add("/feed.xml", Reply(body=FEED, content_type="application/rss+xml"))
    server.add("/teapot", lambda request: Reply(status=418))
    fetcher.fetch(server.url("/feed.xml"))
    server.stop()

A route is a :class:`Reply` or a function of a :class:`Request` returning a ``Reply``
(or ``None`` after writing the response itself through ``request.handler``). Paths
not routed are served from ``root`` (404 without one). Every request is recorded in
``server.requests``. :func:`install_standard_routes` (done by :func:`start_http_server`)
adds the hostile and protocol endpoints below; each loop in them ends by itself within
60 s, or sooner when the client goes away or the server stops.

==========================  ============================================================
``/ok``                     200 "ok"
``/echo``                   200, the request's method, path and headers as JSON
``/bytes?size=N``           N bytes of "x" with Content-Length
``/endless``                chunked "x" forever (until disconnect, stop, or 60 s)
``/drip?interval=S&bytes=N``  N bytes, one every S seconds (default 1 s, 60 bytes)
``/stall?seconds=S``        reads the request, answers nothing for S s (max 60)
``/gzip`` ``/deflate`` ``/deflate-raw`` ``/brotli``  a small text, so encoded
``/gzip-bomb``              ~130 KB of gzip that inflates to 128 MiB of zeros
``/brotli-bomb``            a few hundred bytes of brotli that inflate to 64 MiB
``/corrupt-gzip``           says gzip, is not
``/unknown-encoding``       Content-Encoding: zstd (never asked for)
``/etag``                   ETag "v1"; 304 when If-None-Match matches
``/last-modified``          Last-Modified 2025-01-01; 304 when If-Modified-Since is not older
``/status/<code>``          that status; 429 has Retry-After: 120, 503 an HTTP-date one
``/redirect?to=U&status=S`` a redirect to U (default status 302)
``/redirect/chain``         301 -> ``/redirect/chain-2`` 301 -> ``/redirect/chain-end`` 200
``/redirect/found``         302 -> ``/ok``
``/redirect/mixed``         301 -> ``/redirect/found`` 302 -> ``/ok``
``/redirect/loop-a``        302 -> ``/redirect/loop-b`` 302 -> ``/redirect/loop-a``
``/redirect/many?n=N``      N hops, then ``/ok``
``/redirect/private``       302 -> http://10.0.0.1/
``/redirect/metadata``      302 -> http://169.254.169.254/latest/meta-data/
``/redirect/file``          302 -> file:///etc/passwd
``/redirect/no-location``   302 without a Location header
``/wrong-type``             an RSS feed served as application/octet-stream
``/robots.txt``             disallows /private/ for everyone, / for BadBot; Crawl-delay 2
==========================  ============================================================
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import json
import socket
import ssl
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "LocalHTTPServer", "Reply", "Request", "install_standard_routes", "loopback_only", "start_http_server"
]

MAX_LOOP_S = 60.0  # no endpoint keeps a connection busy longer than this


@dataclass(frozen=True)
class Reply:
    """A whole response. ``body`` as text is sent as UTF-8."""

    status: int = 200
    body: bytes | str = b""
    content_type: str | None = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """What a route sees: the request, plus the handler for routes that write themselves."""

    method: str
    path: str
    query: dict[str, str]
    headers: Any  # email.message.Message: case-insensitive .get()
    body: bytes
    handler: _Handler
    stopping: threading.Event


Route = Reply | Callable[[Request], Reply | None]


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, as real servers do
    server: _Server
    timeout = 10  # an idle keep-alive connection is dropped after this

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures anyway
        pass

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def do_GET(self) -> None:
        self._dispatch(fallback=super().do_GET)

    def do_HEAD(self) -> None:
        self._dispatch(fallback=super().do_HEAD)

    def do_POST(self) -> None:
        self._dispatch(fallback=lambda: self.send_error(405))

    def _dispatch(self, fallback: Callable[[], None]) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            headers=self.headers,
            body=self.rfile.read(length) if length else b"",
            handler=self,
            stopping=owner.stopping,
        )
        owner.record(request)
        route = owner.route_for(parts.path)
        if route is None:
            fallback()
            return
        reply = route(request) if callable(route) else route
        if reply is not None:
            self.send_reply(reply)

    def send_reply(self, reply: Reply) -> None:
        """Send a whole :class:`Reply` (no body for HEAD, 204 and 304)."""
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        if reply.content_type and reply.status not in (204, 304):
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        with_body = self.command != "HEAD" and reply.status not in (204, 304) and reply.status >= 200
        if with_body:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalHTTPServer

    def __init__(self, address: tuple[str, int], owner: LocalHTTPServer, root: Path | None) -> None:
        self.owner = owner
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        directory = str(root) if root else str(Path(__file__).parent / "__no_files__")

        def make_handler(*args: Any) -> _Handler:
            return _Handler(*args, directory=directory)

        super().__init__(address, make_handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-request is what these endpoints provoke; not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._open_lock:
            (self._open.add if add else self._open.discard)(conn)

    def drop_connections(self) -> None:
        with self._open_lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked in recv/send


class LocalHTTPServer:
    """A threaded HTTP(S) server on 127.0.0.1 (a free port) with routes and a file folder."""

    def __init__(self, root: Path | None = None, *, tls: tuple[Path, Path] | None = None) -> None:
        self.root = root
        self.stopping = threading.Event()
        self.requests: list[Request] = []
        self._routes: dict[str, Route] = {}
        self._prefixes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self, root)
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http-server", daemon=True
        )

    def start(self) -> LocalHTTPServer:
        """Start serving in a background thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, end running loops and open connections, and close the port."""
        self.stopping.set()
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        self._thread.join(timeout=10)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        """The absolute URL of ``path`` on this server (``host`` for tests that resolve names)."""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def add(self, path: str, route: Route, *, prefix: bool = False) -> None:
        """Serve ``route`` at ``path`` (or at every path starting with it, when ``prefix``)."""
        with self._lock:
            (self._prefixes if prefix else self._routes)[path] = route

    def route_for(self, path: str) -> Route | None:
        """The route that serves ``path``: exact first, then the longest prefix."""
        with self._lock:
            if path in self._routes:
                return self._routes[path]
            matches = [p for p in self._prefixes if path.startswith(p)]
            return self._prefixes[max(matches, key=len)] if matches else None

    def record(self, request: Request) -> None:
        """Remember a request (tests assert on what was asked)."""
        with self._lock:
            self.requests.append(request)

    def requests_to(self, path: str) -> list[Request]:
        """The requests seen so far for exactly ``path``."""
        with self._lock:
            return [r for r in self.requests if r.path == path]


@contextlib.contextmanager
def loopback_only() -> Iterator[list[Any]]:
    """Fail any socket ``connect()`` in the block to an address other than 127.0.0.1 or ::1.

    A safety net for tests of the fetcher: whatever a bug in the code under test does,
    no packet leaves the machine. Yields the list of addresses connected to.
    """
    original = socket.socket.connect
    seen: list[Any] = []

    def connect(sock: socket.socket, address: Any) -> None:
        seen.append(address)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"a test tried to connect to {address!r}; only loopback is allowed")
        original(sock, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


def start_http_server(root: Path | None = None, *, tls: tuple[Path, Path] | None = None) -> LocalHTTPServer:
    """A started server with the standard routes installed."""
    server = LocalHTTPServer(root, tls=tls)
    install_standard_routes(server)
    return server.start()


# ---- the standard routes -------------------------------------------------------------

TEXT = "Storyline test body. " * 200
FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Test</title>'
    "<item><title>One</title><link>http://example.invalid/1</link></item></channel></rss>"
)
ROBOTS = "User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n\nUser-agent: BadBot\nDisallow: /\n"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
_cache: dict[str, bytes] = {}
_cache_lock = threading.Lock()


def _cached(name: str, make: Callable[[], bytes]) -> bytes:
    with _cache_lock:
        if name not in _cache:
            _cache[name] = make()
        return _cache[name]


def _gzip_bomb() -> bytes:
    # Compressed piece by piece: the 128 MiB of zeros never exist in memory at once.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    return b"".join([*(compressor.compress(zeros) for _ in range(128)), compressor.flush()])


def _brotli_bomb() -> bytes:
    import brotli

    compressor = brotli.Compressor(quality=5)
    zeros = bytes(1024 * 1024)
    return b"".join([*(compressor.process(zeros) for _ in range(64)), compressor.finish()])


def _brotli_text() -> bytes:
    import brotli

    return brotli.compress(TEXT.encode())


def _write_slowly(request: Request, chunks: Callable[[int], bytes | None], interval: float) -> None:
    """Write chunk i every ``interval`` s until it is None, the client leaves, or time is up."""
    started = time.monotonic()
    index = 0
    try:
        while time.monotonic() - started < MAX_LOOP_S and not request.stopping.is_set():
            chunk = chunks(index)
            if chunk is None:
                return
            request.handler.wfile.write(chunk)
            request.handler.wfile.flush()
            index += 1
            if interval and request.stopping.wait(interval):
                break
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass  # the client went away: exactly what a well-behaved fetcher does here
    request.handler.close_connection = True


def _endless(request: Request) -> None:
    handler = request.handler
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    block = b"x" * 16384
    frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    _write_slowly(request, lambda _i: frame, 0.0)


def _drip(request: Request) -> None:
    interval = min(float(request.query.get("interval", "1")), 5.0)
    size = int(request.query.get("bytes", "60"))
    size = min(size, int(MAX_LOOP_S / interval) if interval else size)
    handler = request.handler
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(size))
    handler.end_headers()
    _write_slowly(request, lambda i: b"." if i < size else None, interval)


def _stall(request: Request) -> Reply | None:
    request.stopping.wait(min(float(request.query.get("seconds", "30")), MAX_LOOP_S))
    request.handler.close_connection = True
    return None


def _echo(request: Request) -> Reply:
    seen = {"method": request.method, "path": request.path, "headers": dict(request.headers.items())}
    return Reply(body=json.dumps(seen), content_type="application/json")


def _etag(request: Request) -> Reply:
    tags = [t.strip() for t in (request.headers.get("If-None-Match") or "").split(",")]
    if '"v1"' in tags or "*" in tags:
        return Reply(status=304, headers={"ETag": '"v1"'})
    return Reply(body=FEED, content_type="application/rss+xml", headers={"ETag": '"v1"'})


def _last_modified(request: Request) -> Reply:
    since = request.headers.get("If-Modified-Since")
    stamp = email.utils.parsedate_to_datetime(LAST_MODIFIED)
    try:
        if since and email.utils.parsedate_to_datetime(since) >= stamp:
            return Reply(status=304, headers={"Last-Modified": LAST_MODIFIED})
    except (TypeError, ValueError):
        pass
    return Reply(body=FEED, content_type="application/rss+xml", headers={"Last-Modified": LAST_MODIFIED})


def _status(request: Request) -> Reply:
    code = int(request.path.rsplit("/", 1)[-1])
    headers = {}
    if "retry-after" in request.query:
        headers["Retry-After"] = request.query["retry-after"]
    elif code == 429:
        headers["Retry-After"] = "120"
    elif code == 503:
        headers["Retry-After"] = email.utils.formatdate(time.time() + 300, usegmt=True)
    return Reply(status=code, body=f"status {code}", headers=headers)


def _redirect(request: Request) -> Reply:
    status = int(request.query.get("status", "302"))
    return Reply(status=status, headers={"Location": request.query.get("to", "/ok")})


def _redirect_many(request: Request) -> Reply:
    hops = int(request.query.get("n", "3"))
    target = f"/redirect/many?n={hops - 1}" if hops > 1 else "/ok"
    return Reply(status=302, headers={"Location": target})


def _moved(to: str, status: int = 301) -> Reply:
    return Reply(status=status, headers={"Location": to})


def install_standard_routes(server: LocalHTTPServer) -> None:
    """Add the endpoints listed in the module docstring."""
    gz = gzip.compress(TEXT.encode())
    zlib_deflate = zlib.compress(TEXT.encode())
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw_deflate = raw.compress(TEXT.encode()) + raw.flush()
    routes: dict[str, Route] = {
        "/ok": Reply(body="ok"),
        "/echo": _echo,
        "/bytes": lambda r: Reply(body=b"x" * int(r.query.get("size", "1000"))),
        "/endless": _endless,
        "/drip": _drip,
        "/stall": _stall,
        "/gzip": Reply(body=gz, headers={"Content-Encoding": "gzip"}),
        "/deflate": Reply(body=zlib_deflate, headers={"Content-Encoding": "deflate"}),
        "/deflate-raw": Reply(body=raw_deflate, headers={"Content-Encoding": "deflate"}),
        "/brotli": lambda _r: Reply(body=_cached("br", _brotli_text), headers={"Content-Encoding": "br"}),
        "/gzip-bomb": lambda _r: Reply(body=_cached("gzip-bomb", _gzip_bomb), headers={"Content-Encoding": "gzip"}),
        "/brotli-bomb": lambda _r: Reply(body=_cached("br-bomb", _brotli_bomb), headers={"Content-Encoding": "br"}),
        "/corrupt-gzip": Reply(body=b"this is not gzip at all" * 10, headers={"Content-Encoding": "gzip"}),
        "/unknown-encoding": Reply(body=b"\x28\xb5\x2f\xfd", headers={"Content-Encoding": "zstd"}),
        "/etag": _etag,
        "/last-modified": _last_modified,
        "/redirect": _redirect,
        "/redirect/chain": _moved("/redirect/chain-2"),
        "/redirect/chain-2": _moved("/redirect/chain-end"),
        "/redirect/chain-end": Reply(body="moved here"),
        "/redirect/found": _moved("/ok", 302),
        "/redirect/mixed": _moved("/redirect/found"),
        "/redirect/loop-a": _moved("/redirect/loop-b", 302),
        "/redirect/loop-b": _moved("/redirect/loop-a", 302),
        "/redirect/many": _redirect_many,
        "/redirect/private": _moved("http://10.0.0.1/", 302),
        "/redirect/metadata": _moved("http://169.254.169.254/latest/meta-data/", 302),
        "/redirect/file": _moved("file:///etc/passwd", 302),
        "/redirect/no-location": Reply(status=302),
        "/wrong-type": Reply(body=FEED, content_type="application/octet-stream"),
        "/robots.txt": Reply(body=ROBOTS),
    }
    for path, route in routes.items():
        server.add(path, route)
    server.add("/status/", _status, prefix=True)
