"""A feed's content HTML (an article body, not a whole page) into text and safe HTML.

Feeds that carry full content give the body already cut out of the page: running the
page extractor on it would cost ~15 ms an item for nothing. Here block elements become
paragraphs (headings become "## " paragraphs), scripts and styles are dropped, and the
same news clean-up lines as for pages (``patterns.BOILERPLATE_LINES``) are removed.

This runs once per feed item on the refresh path, so it is written for speed: the
fragment is parsed with a plain ``lxml.etree.HTMLParser`` (no ``lxml.html`` element
classes to look up for every node) into the same tree ``lxml.html.fragment_fromstring``
builds, and the tree is walked once, skipping what is dropped. tests/test_extract_fragment.py
keeps a straightforward version on lxml.html and checks that both give the same output
over a large corpus, and that hostile fragments give text or an ExtractError, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from lxml import etree

from storyline.errors import ExtractError
from storyline.extract import patterns

_BLOCKS = frozenset({"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "figcaption",
                     "section", "article", "header", "footer", "dd", "dt", "td"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_DROP = ("script", "style", "noscript", "iframe", "form", "button", "svg", "template", "object", "embed")
_SAFE_TAGS = {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "em", "strong", "b", "i", "a", "figure",
              "figcaption", "img", "pre", "code", "table", "thead", "tbody", "tr", "td", "th"}
_SAFE_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
_ANY_WORD = re.compile(r"\w")
_MAX_CHARS = 2_000_000

# What lxml.html.fragments_fromstring does with a str: a fragment that does not already look
# like a whole document is wrapped in <html><body>. Same expression as lxml.html's.
_LOOKS_LIKE_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.I).match
# lxml.html's parser is this parser plus HtmlElement classes, which cost a Python lookup per node.
_PARSER = etree.HTMLParser()

# What the walk does at an element, by tag (one dict look-up a node); absent: inline, comment, PI.
_BLOCK, _HEADING, _BREAK, _DROPPED = 1, 2, 3, 4
_KINDS: dict[object, int] = {**dict.fromkeys(_BLOCKS, _BLOCK), **dict.fromkeys(_HEADINGS, _HEADING), "br": _BREAK,
                             **dict.fromkeys(_DROP, _DROPPED)}


def fragment_text(fragment: str, origin: str) -> str:
    """Paragraph text of an HTML fragment; raises ExtractError when it holds no text."""
    if not fragment or fragment.isspace():
        raise ExtractError(origin, "the item's content is empty")
    paragraphs: list[str] = []
    current: list[str] = []
    for body in _bodies(fragment[:_MAX_CHARS], origin):
        _walk(body, current, paragraphs)
    if current:
        _flush(current, paragraphs, False)
    text = "\n\n".join(paragraphs)
    if not _ANY_WORD.search(text):
        raise ExtractError(origin, "the item's content has no text")
    return text


def _bodies(html: str, origin: str) -> list[etree._Element]:
    """The elements whose content is the fragment: the parsed document's <body> (or bodies).

    A fragment is wrapped in <html><body> as lxml.html.fragment_fromstring does, unless it
    already looks like a whole document; such a document may have no body (only a <head>),
    which is no text, or, for odd markup, a root that is not <html>, which is all walked.
    Nothing here is asserted: any input gives text or an ExtractError.
    """
    if not _LOOKS_LIKE_FULL_HTML(html):
        html = f"<html><body>{html}</body></html>"
    try:
        doc = etree.fromstring(html, _PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(origin, f"the item's content is not parseable HTML ({exc})") from exc
    if doc is None:  # lxml returns None for a document of nothing (a lone doctype): what lxml.html raises
        exc = etree.ParserError("Document is empty")
        raise ExtractError(origin, f"the item's content is not parseable HTML ({exc})") from exc
    if doc.tag != "html":
        return [doc]
    return [e for e in doc if e.tag == "body"]


def _walk(node: etree._Element, current: list[str], paragraphs: list[str]) -> None:
    """Collect the text of ``node``'s content into ``current``, closing a paragraph at each block and <br>.

    Block elements close the paragraph before them and their own after them (a heading's
    as "## "), <br> closes the one before it; dropped elements (scripts, styles, forms...),
    comments and processing instructions add only their tails. ``node`` itself is an
    element whose start the caller handled. The tree is only read: lxml refuses to set
    text holding control characters that its parser keeps, so moving tails would fail.
    """
    text = node.text
    if text:
        current.append(text)
    for child in node:
        tag = child.tag
        kind = _KINDS.get(tag)
        if kind is None:
            if len(child):
                _walk(child, current, paragraphs)
            elif isinstance(tag, str):  # an element, not a comment or a processing instruction
                text = child.text
                if text:
                    current.append(text)
        elif kind != _DROPPED:
            if current:
                _flush(current, paragraphs, False)
            if kind == _BREAK:
                if len(child):
                    _walk(child, current, paragraphs)
                else:
                    text = child.text
                    if text:
                        current.append(text)
            elif len(child):
                _walk(child, current, paragraphs)
                if current:
                    _flush(current, paragraphs, kind == _HEADING)
            else:
                # A block without children (most <p>): its text is the whole paragraph.
                text = child.text
                if text:
                    _add_paragraph(text, paragraphs, kind == _HEADING)
        tail = child.tail
        if tail:
            current.append(tail)


def _flush(current: list[str], paragraphs: list[str], heading: bool) -> None:
    """Close the paragraph: what ``current`` collected becomes one (or nothing)."""
    raw = "".join(current)
    current.clear()
    _add_paragraph(raw, paragraphs, heading)


def _add_paragraph(raw: str, paragraphs: list[str], heading: bool) -> None:
    """Add the words of ``raw``, one space apart, as a paragraph unless they are a boilerplate line.

    Most paragraphs already are their words one " " apart, with no other whitespace: that
    is checked first, several times cheaper than splitting. The only whitespace
    (``str.isspace``) in printable text is " " (every other whitespace character is
    unprintable), and the only whitespace but " " in ASCII is nine control characters,
    looked for one by one (memchr: faster than isprintable). The tests check both claims
    over all of Unicode.
    """
    if raw and raw[0] != " " and raw[-1] != " " and "  " not in raw and (
        not ("\n" in raw or "\t" in raw or "\r" in raw or "\x0b" in raw or "\x0c" in raw
             or "\x1c" in raw or "\x1d" in raw or "\x1e" in raw or "\x1f" in raw)
        if raw.isascii() else raw.isprintable()
    ):
        text = raw
        short = raw.count(" ") < patterns.BOILERPLATE_MAX_WORDS - 1
    else:
        words = raw.split()
        if not words:
            return
        text = " ".join(words)
        short = len(words) < patterns.BOILERPLATE_MAX_WORDS
    if not (short and _is_boilerplate(text)):
        paragraphs.append(f"## {text}" if heading else text)


# patterns.BOILERPLATE_LINES and what _combined_search made of it (made again when it changes).
_boilerplate: tuple[tuple[re.Pattern[str], ...], Callable[[str], re.Match[str] | None] | None] = ((), None)


def _is_boilerplate(text: str) -> bool:
    """Whether any of ``patterns.BOILERPLATE_LINES`` matches: one search of their alternation when they allow it."""
    global _boilerplate
    lines = patterns.BOILERPLATE_LINES
    source, search = _boilerplate
    if lines is not source:
        search = _combined_search(lines)
        _boilerplate = (lines, search)
    if search is None:
        return any(p.search(text) for p in lines)
    return search(text) is not None


def _combined_search(lines: tuple[re.Pattern[str], ...]) -> Callable[[str], re.Match[str] | None] | None:
    """The search of ``(?:a)|(?:b)|...``, which matches iff one of the patterns does; None when it might not.

    That holds when the patterns share their flags, number no groups (a backreference would
    point elsewhere) and are not verbose (a comment would run past its pattern's end).
    """
    if not lines or len({p.flags for p in lines}) != 1 or lines[0].flags & re.VERBOSE or any(p.groups for p in lines):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in lines), lines[0].flags).search
    except re.error:  # e.g. a pattern's inline global flag, no longer at the start
        return None


def safe_fragment_html(fragment: str) -> str:
    """The fragment with only harmless tags and attributes left (nh3)."""
    return nh3.clean(fragment[:_MAX_CHARS], tags=_SAFE_TAGS, attributes=_SAFE_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
