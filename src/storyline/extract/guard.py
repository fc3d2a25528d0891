"""Limits that keep one hostile page from holding a worker: size, time, parse failures."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from lxml import etree
from lxml import html as lxml_html

from storyline.errors import ExtractError

# A news article is never this long; beyond it the page is cut before parsing, so that
# a 50 MB page costs what a 5 MB one does.
MAX_HTML_CHARS = 5_000_000
# Wall-clock budget for extracting one page (main thread only: signals cannot reach others).
PAGE_TIME_LIMIT_S = 20.0
# An XML declaration naming an encoding makes lxml refuse a str (XHTML pages start with one).
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
# Documents that are text but not a web page: refused by name rather than "extracted".
_NOT_PAGES = (
    (re.compile(r"%PDF-"), "a PDF document"),
    (re.compile(r"(?:<!--.*?-->\s*|<\?[^>]*\?>\s*)*<(?:rss|feed|rdf:RDF)\b", re.S), "an RSS or Atom feed"),
)
# Share of control characters above which text is decoded binary data, not a page.
_MAX_CONTROL_SHARE = 0.05
_SAMPLE_CHARS = 8192
# Unicode category Cc (C0 and C1 controls, DEL) but tab, line feed, form feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class _PageTimeout(BaseException):
    """Raised by the alarm; a BaseException, so that a library's ``except Exception``
    (readability, trafilatura's fallbacks) cannot swallow it and run on without a limit."""


@contextmanager
def time_limit(origin: str, seconds: float = PAGE_TIME_LIMIT_S) -> Iterator[None]:
    """Raise ExtractError naming ``origin`` when the block runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise _PageTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    outer_left, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    except _PageTimeout:
        raise ExtractError(origin, f"extraction took longer than {seconds:g} s and was stopped",
                           hint="The page is unusually large or deeply nested.") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:
            # An alarm someone else had set (a caller's own limit, pytest-timeout) is set
            # again for what is left of it: ending ours must not cancel theirs.
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 0.001))


def usable_html(page_html: str) -> str:
    """``page_html`` as every extractor gets it: cut to MAX_HTML_CHARS, no NULs, no XML declaration."""
    return _XML_DECLARATION.sub("", page_html[:MAX_HTML_CHARS].replace("\x00", ""), count=1)


def _not_a_page(text: str) -> str | None:
    """What ``text`` is when it is plainly not a web page ("a PDF document"), else None."""
    head = text[:_SAMPLE_CHARS].lstrip()
    for signature, kind in _NOT_PAGES:
        if signature.match(head):
            return kind
    controls = len(_CONTROLS.findall(head))
    if controls > _MAX_CONTROL_SHARE * max(1, len(head)):
        return "binary data"
    if head[:1] in ("{", "["):
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            return None
        return "JSON data"
    return None


def parse_html(page_html: str, origin: str) -> lxml_html.HtmlElement:
    """Parse ``page_html`` (see ``usable_html``); raises ExtractError when it is not HTML."""
    text = usable_html(page_html)
    if not text.strip():
        raise ExtractError(origin, "the page is empty")
    kind = _not_a_page(text)
    if kind is not None:
        raise ExtractError(origin, f"{kind}, not an HTML page", hint="Give Storyline the article's web page.")
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        tree = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ExtractError(origin, f"the page is not parseable HTML ({exc})") from exc
    if tree is None or len(tree) == 0:
        raise ExtractError(origin, "the page has no HTML content")
    return tree
