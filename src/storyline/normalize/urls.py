"""Canonical URLs: one spelling per article, so the same page fetched twice is one row."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only say how a reader arrived, never which article it is.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "ocid", "cmpid", "ncid", "sr_share", "smid", "ito", "at_medium",
    "at_campaign", "guccounter", "guce_referrer", "guce_referrer_sig",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")

# AMP and mobile spellings of the same article: the parameters, host labels and path
# endings publishers use for their AMP or mobile copy.
AMP_PARAMS = frozenset({"amp", "outputtype", "amp_js_v", "usqp", "_amp", "amp_gsa", "amp_r"})
MOBILE_HOST_LABELS = ("amp.", "m.", "mobile.")
_AMP_PATH = re.compile(r"(?:/amp|\.amp(?:\.html?)?|-amp\.html?|/amp\.html?)$", re.I)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# A host name after IDNA encoding: dot-separated labels, no empty label. Underscores occur
# in real host names, so they are allowed although DNS names should not carry them.
_HOST = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
# Control characters and surrogates never belong in a URL; a URL that has them is garbage.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered in AMP_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str | None:
    """The canonical spelling of an http(s) URL, or None when ``url`` is not one.

    Lower-cases scheme and host, drops default ports, fragments, tracking parameters and
    a trailing slash (except the root's), encodes the host as IDNA, and folds AMP and
    mobile copies into the article's own URL (``amp.``/``m.`` hosts, ``/amp`` paths,
    ``?outputType=amp``). The scheme is kept: http and https may be different sites.
    """
    url = url.strip()
    if not _SCHEME.match(url) or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = _canonical_host(parts.hostname)
    if host is None:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    if len(path) > 1:
        path = _AMP_PATH.sub("", path.rstrip("/")) or "/"
        path = path.rstrip("/") or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def _canonical_host(hostname: str) -> str | None:
    """The host as IDNA ASCII (IPv6 in brackets, no trailing dot), or None when it is not one."""
    if ":" in hostname:
        try:
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError:
            return None
    hostname = hostname.removesuffix(".")
    try:
        host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    if not _HOST.match(host):
        return None
    for label in MOBILE_HOST_LABELS:
        # m.example.com is example.com's mobile copy; m.co (two labels) is a site of its own.
        if host.startswith(label) and host.count(".") >= 2:
            return host.removeprefix(label)
    return host
