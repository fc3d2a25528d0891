"""A feed's content HTML (an article body, not a whole page) into text and safe HTML.

Feeds that carry full content give the body already cut out of the page: running the
page extractor on it would cost ~15 ms an item for nothing. Here block elements become
paragraphs (headings become "## " paragraphs), scripts and styles are dropped, and the
same news clean-up lines as for pages (``patterns.BOILERPLATE_LINES``) are removed.
"""

from __future__ import annotations

import re

import nh3
from lxml import etree
from lxml import html as lxml_html

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


def fragment_text(fragment: str, origin: str) -> str:
    """Paragraph text of an HTML fragment; raises ExtractError when it holds no text."""
    if not fragment.strip():
        raise ExtractError(origin, "the item's content is empty")
    try:
        root = lxml_html.fragment_fromstring(fragment[:2_000_000], create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(origin, f"the item's content is not parseable HTML ({exc})") from exc
    for element in root.iter(*_DROP):
        element.drop_tree()
    paragraphs: list[str] = []
    current: list[str] = []

    def flush(heading: bool = False) -> None:
        if not current:
            return
        words = "".join(current).split()
        current.clear()
        if words:
            text = " ".join(words)
            if not (len(words) < patterns.BOILERPLATE_MAX_WORDS
                    and any(p.search(text) for p in patterns.BOILERPLATE_LINES)):
                paragraphs.append(f"## {text}" if heading else text)

    def walk(node: etree._Element) -> None:
        tag = node.tag
        if not isinstance(tag, str):
            tag = ""
        block = tag in _BLOCKS
        if block or tag == "br":
            flush()
        text = node.text
        if text and tag:
            current.append(text)
        for child in node:
            walk(child)
        if block:
            flush(heading=tag in _HEADINGS)
        tail = node.tail
        if tail:
            current.append(tail)

    walk(root)
    flush()
    text = "\n\n".join(paragraphs)
    if not _ANY_WORD.search(text):
        raise ExtractError(origin, "the item's content has no text")
    return text


def safe_fragment_html(fragment: str) -> str:
    """The fragment with only harmless tags and attributes left (nh3)."""
    return nh3.clean(fragment[:2_000_000], tags=_SAFE_TAGS, attributes=_SAFE_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
