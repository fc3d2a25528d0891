"""The httpcore network backend that enforces the SSRF guard and the whole-request deadline.

httpcore opens every TCP connection through ``NetworkBackend.connect_tcp(host, port)``.
:class:`GuardedBackend` is that one door:

1. it resolves ``host`` exactly once and checks every address
   (:func:`storyline.fetch.guard.resolve_checked`); a refused host raises
   :class:`BlockedAddressError` before any socket exists, so *refused means no
   connection is made*;
2. it connects to one of those checked IP strings, never to the name, so a DNS server
   that answers differently a second time (DNS rebinding) has no second time;
3. TLS is untouched: httpcore calls ``start_tls(server_hostname=<the URL's host>)`` on
   the stream, so SNI and certificate checks still use the name.

It also carries the fetch's overall deadline (a context variable, so it follows the
calling thread): every connect, read and write gets at most the time left. That is how
a server dripping one byte a second is cut at the total limit even though each single
read is fast.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore

from storyline.fetch.guard import Resolver, resolve_checked

__all__ = ["DeadlineStream", "GuardedBackend", "deadline_after", "deadline_passed", "deadline_remaining"]

_deadline: ContextVar[float | None] = ContextVar("storyline_fetch_deadline", default=None)


@contextmanager
def deadline_after(seconds: float) -> Iterator[None]:
    """Give every network operation inside the block at most ``seconds`` in total."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def deadline_remaining() -> float | None:
    """Seconds left before the current block's deadline (negative once passed), or None."""
    end = _deadline.get()
    return None if end is None else end - time.monotonic()


def deadline_passed() -> bool:
    """Whether the current block's deadline (if any) has passed."""
    end = _deadline.get()
    return end is not None and time.monotonic() >= end


def _clamp(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    end = _deadline.get()
    if end is None:
        return timeout
    remaining = end - time.monotonic()
    if remaining <= 0:
        raise timeout_error("the whole-request time limit passed")
    return remaining if timeout is None else min(timeout, remaining)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation is limited to the time left before the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read up to ``max_bytes``, waiting no longer than the read timeout or the deadline."""
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write ``buffer``, waiting no longer than the write timeout or the deadline."""
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        """Upgrade to TLS; ``server_hostname`` is the URL's host, so SNI and cert checks use it."""
        upgraded = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        return DeadlineStream(upgraded)

    def get_extra_info(self, info: str) -> Any:
        """Pass-through (httpcore asks for ``is_readable``, ``ssl_object``, ...)."""
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """A network backend that connects only to checked addresses (see the module docstring).

    ``resolve`` has the shape of ``socket.getaddrinfo`` and ``inner`` is the backend that
    really opens sockets; tests replace either to prove what is and is not connected to.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolver = socket.getaddrinfo,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve ``host`` once, refuse it if any address is refused, else connect to a checked IP."""
        try:
            addresses = self._resolve_within(host, port, _clamp(timeout, httpcore.ConnectTimeout))
        except OSError as exc:  # socket.gaierror: the name does not resolve
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc.strerror or exc})") from exc
        failure: Exception | None = None
        for address in addresses:  # in the resolver's preference order, each one checked
            try:
                stream = self._inner.connect_tcp(
                    address,  # the checked IP string: no second DNS lookup can happen here
                    port,
                    timeout=_clamp(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return DeadlineStream(stream)
        assert failure is not None  # resolve_checked never returns an empty list
        raise failure

    def _resolve_within(self, host: str, port: int, timeout: float | None) -> list[str]:
        """:func:`resolve_checked`, given up on after ``timeout`` seconds.

        getaddrinfo has no timeout of its own, so it runs in a daemon thread that is
        abandoned (it ends when the system resolver gives up) if it takes too long.
        """
        if timeout is None:
            return resolve_checked(host, port, allow_private=self.allow_private, resolve=self._resolve)
        outcome: list[Any] = []
        done = threading.Event()

        def work() -> None:
            try:
                outcome.append(resolve_checked(host, port, allow_private=self.allow_private, resolve=self._resolve))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, raised there
                outcome.append(exc)
            finally:
                done.set()

        threading.Thread(target=work, name=f"resolve {host}", daemon=True).start()
        if not done.wait(timeout):
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout:g} s")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Refused: Storyline fetches URLs, never local sockets."""
        raise httpcore.ConnectError(f"refused to connect to the unix socket {path}")

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore uses this between connection retries)."""
        time.sleep(seconds)
