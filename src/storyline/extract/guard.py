"""Limits that keep one hostile page from holding a worker: size, time, parse failures."""

from __future__ import annotations

import signal
import threading
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


class _PageTimeout(Exception):
    pass


@contextmanager
def time_limit(origin: str, seconds: float = PAGE_TIME_LIMIT_S) -> Iterator[None]:
    """Raise ExtractError naming ``origin`` when the block runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise _PageTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _PageTimeout:
        raise ExtractError(origin, f"extraction took longer than {seconds:g} s and was stopped",
                           hint="The page is unusually large or deeply nested.") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def parse_html(page_html: str, origin: str) -> lxml_html.HtmlElement:
    """Parse ``page_html`` (cut to MAX_HTML_CHARS); raises ExtractError when it is not HTML."""
    text = page_html[:MAX_HTML_CHARS].replace("\x00", "")
    if not text.strip():
        raise ExtractError(origin, "the page is empty")
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        tree = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ExtractError(origin, f"the page is not parseable HTML ({exc})") from exc
    if tree is None or len(tree) == 0:
        raise ExtractError(origin, "the page has no HTML content")
    return tree
