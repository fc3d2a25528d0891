"""The SSRF guard: which addresses Storyline may connect to, decided on resolved IPs.

A feed URL is user input, and so is every redirect a server sends. Without a guard, a
URL (or a redirect, or a DNS answer) pointing at ``127.0.0.1``, the LAN or the cloud
metadata service (``169.254.169.254``) would make Storyline fetch from inside the
network it runs in. The rules here are applied to every address a host resolves to,
and a host is refused when *any* of its addresses is refused: an attacker-controlled
DNS name must not be able to mix one public address with one private one and win
whenever the private one is tried first.

This module only decides; :mod:`storyline.fetch.backend` enforces the decision at the
moment of connecting, and connects to the very address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

from storyline.errors import BlockedAddressError

__all__ = ["Resolver", "blocked_reason", "literal_address", "resolve_checked"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Same shape as socket.getaddrinfo, so tests can pass a fake resolver (no DNS here).
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

# Written out rather than trusting only ``ip.is_global``: that property has changed
# between Python versions (3.11 calls fec0::/10 and 64:ff9b::/96 global). The list is
# the policy; ``is_global`` is a second net under it.
_BLOCKED_V4 = tuple(
    (ipaddress.IPv4Network(net), why)
    for net, why in (
        ("0.0.0.0/8", "an unspecified address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a carrier-grade NAT address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address (cloud metadata lives here)"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved or broadcast address"),
    )
)
_BLOCKED_V6 = tuple(
    (ipaddress.IPv6Network(net), why)
    for net, why in (
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/96", "an IPv4-compatible address (deprecated)"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/23", "an IETF protocol address (incl. Teredo)"),
        ("2001:db8::/32", "a documentation address"),
        ("fc00::/7", "a unique-local (private) address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be contacted (in plain words), or None if it is a public address.

    IPv6 forms that carry an IPv4 address (``::ffff:10.0.0.1``, NAT64 ``64:ff9b::/96``,
    6to4 ``2002::/16``) are judged by the IPv4 address inside them, because that is
    where the packets end up.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"{inner} ({embedded}) inside an IPv6 address" if inner else None
        table: tuple[tuple[Any, str], ...] = _BLOCKED_V6
    else:
        table = _BLOCKED_V4
    for network, why in table:
        if ip in network:
            return why
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return "a non-public address"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, in any form the C resolver accepts, else None.

    Besides dotted quads and IPv6 this catches the legacy spellings ``2130706433``,
    ``0x7f.1`` and ``017700000001`` (all 127.0.0.1), which ``getaddrinfo`` resolves
    without DNS and which a naive string check would let through.
    """
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if text and all(c in "0123456789abcdefxABCDEFX." for c in text) and text[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def resolve_checked(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo
) -> list[str]:
    """Resolve ``host`` once and return its addresses (as IP strings) if all may be contacted.

    Raises :class:`BlockedAddressError` when any address is refused (unless
    ``allow_private``), and :class:`OSError` (``socket.gaierror``) when the name does not
    resolve. The caller must connect to one of the returned strings, never to ``host``:
    resolving again could give a different answer (DNS rebinding).
    """
    infos = resolve(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[str] = []
    for family, *_rest, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        raw = str(sockaddr[0])  # may carry an IPv6 scope ("fe80::1%eth0"), needed to connect
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
        if not allow_private:
            why = blocked_reason(ip)
            if why:
                raise BlockedAddressError(host, f"refused to connect: {host} resolves to {ip}, {why}")
        if raw not in addresses:
            addresses.append(raw)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} has no IPv4 or IPv6 address")
    return addresses
