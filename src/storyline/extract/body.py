"""The article body of a page: a cascade of extractors, then news-specific clean-up.

The cascade, first usable result wins:

1. trafilatura in precision mode (no comments), keeping its block structure, so that
   step 5 can judge each block: first its fast pass; when that finds fewer than
   ``FAST_TRUSTED_WORDS`` words or under ``FAST_MIN_SHARE`` of the words in the page's
   paragraphs, its full pass, which compares its result with other algorithms
   (measured: same F1 on the benchmark's dev pages, 1.2x the speed of always full);
2. the page's JSON-LD ``articleBody``, when step 1 found much less text than it and it
   is not a truncated teaser (paywalled pages ship the full text only there);
3. trafilatura in recall mode, when steps 1-2 found fewer than ``MIN_WORDS`` words;
4. readability-lxml, then trafilatura's baseline (all paragraph-like text), when still
   short;

then, on the blocks of whichever result won:

5. drop the title repeated as the first block, link-only blocks (navigation, related
   headlines), boilerplate lines ("Read also", "Sign up", copyright) and trailing
   teasers of other articles ending in an ellipsis (``patterns``).
"""

from __future__ import annotations

import copy
import html as html_escape
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from storyline.extract import patterns

MIN_WORDS = 40
# A fast-pass result at least this long, and holding at least this share of the words in
# the page's <p> elements, is trusted without trafilatura's slower full comparison.
FAST_TRUSTED_WORDS = 200
FAST_MIN_SHARE = 0.6
_WORD = re.compile(r"\w+")
_HEADING_TAGS = frozenset({"head"})
_JSON_LD_TEASER_CHARS = (500, 501, 502, 503, 1000, 1024)
_MARKUP = re.compile(r"</?[a-zA-Z][^<>]*>")
_LINE_BREAKING_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph-level piece of the body."""

    kind: str  # "p", "heading", "list", "quote", "table"
    text: str
    link_chars: int = 0


@dataclass(frozen=True, slots=True)
class Body:
    """The body: its blocks and which step of the cascade produced them."""

    blocks: tuple[Block, ...]
    method: str

    @property
    def text(self) -> str:
        """Paragraphs separated by blank lines; headings start with "## "."""
        return "\n\n".join(("## " + b.text) if b.kind == "heading" else b.text for b in self.blocks)

    @property
    def html(self) -> str:
        """The body as simple, safe HTML (every text escaped)."""
        parts = []
        for block in self.blocks:
            escaped = html_escape.escape(block.text).replace("\n", "<br>")
            tag = {"heading": "h2", "quote": "blockquote"}.get(block.kind, "p")
            if block.kind == "list":
                items = "".join(f"<li>{html_escape.escape(i)}</li>" for i in block.text.split("\n") if i)
                parts.append(f"<ul>{items}</ul>")
            else:
                parts.append(f"<{tag}>{escaped}</{tag}>")
        return "\n".join(parts)


def word_count(text: str) -> int:
    """The number of ``\\w+`` words in ``text``."""
    return len(_WORD.findall(text))


def _element_text(element: Any) -> str:
    """Text of a trafilatura output element: line breaks for <lb>, rows and items; cells spaced."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag in ("lb", "row", "item") and parts:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if node.tag == "cell":
            parts.append(" ")

    walk(element)
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _blocks_of(tree: Any) -> list[Block]:
    """trafilatura's output tree as blocks (text outside any element becomes a paragraph)."""
    kinds = {"head": "heading", "list": "list", "quote": "quote", "table": "table"}
    blocks: list[Block] = []
    if tree.text and tree.text.strip():
        blocks.append(Block("p", " ".join(tree.text.split())))
    for element in tree:
        text = _element_text(element)
        if text:
            link_chars = sum(len("".join(ref.itertext()).strip()) for ref in element.iter("ref"))
            blocks.append(Block(kinds.get(element.tag, "p"), text, link_chars))
        if element.tail and element.tail.strip():
            blocks.append(Block("p", " ".join(element.tail.split())))
    return blocks


def _trafilatura_blocks(
    tree: lxml_html.HtmlElement, url: str | None, *, precision: bool, fast: bool = False
) -> list[Block]:
    import trafilatura  # imported on first use: it takes ~1 s

    document = trafilatura.bare_extraction(
        tree, url=url, favor_precision=precision, favor_recall=not precision, fast=fast,
        include_comments=False, include_links=True, include_tables=True, with_metadata=False,
    )
    if document is None or document.body is None:
        return []
    return _blocks_of(document.body)


def _paragraph_blocks(text: str) -> list[Block]:
    return [Block("p", " ".join(p.split())) for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def _json_ld_blocks(json_ld_body: str) -> list[Block]:
    """``articleBody`` as paragraphs; some sites put HTML in it: read as HTML, scripts dropped."""
    if not _MARKUP.search(json_ld_body):
        return _paragraph_blocks(json_ld_body)
    try:
        fragment = lxml_html.fragment_fromstring(json_ld_body, create_parent="div")
    except (etree.ParserError, ValueError):
        return _paragraph_blocks(_MARKUP.sub(" ", json_ld_body))
    for unwanted in fragment.xpath(".//script | .//style | .//noscript | .//template"):
        unwanted.drop_tree()
    for node in fragment.iter(*_LINE_BREAKING_TAGS):
        node.tail = "\n" + (node.tail or "")
    return _paragraph_blocks(fragment.text_content())


def _readability_blocks(page_html: str) -> list[Block]:
    from readability import Document  # imported on first use

    summary = Document(page_html).summary(html_partial=True)
    tree = lxml_html.fromstring(summary) if summary.strip() else None
    if tree is None:
        return []
    return [Block("p", t) for t in (" ".join(p.text_content().split()) for p in tree.iter("p", "li", "h2", "h3"))
            if t]


def _baseline_blocks(tree: lxml_html.HtmlElement) -> list[Block]:
    import trafilatura

    _, text, _ = trafilatura.baseline(tree)
    return _paragraph_blocks(text)


def _is_teaser(json_ld_body: str) -> bool:
    return len(json_ld_body) in _JSON_LD_TEASER_CHARS or bool(patterns.TEASER_END.search(json_ld_body))


def _total_words(blocks: list[Block]) -> int:
    return sum(word_count(b.text) for b in blocks)


def _clean_blocks(blocks: list[Block], title: str | None) -> list[Block]:
    """Step 5 of the cascade: drop what is on the page but not the article."""
    kept: list[Block] = []
    title_key = " ".join(_WORD.findall((title or "").lower()))
    for index, block in enumerate(blocks):
        words = word_count(block.text)
        if index < 3 and title_key and " ".join(_WORD.findall(block.text.lower())) == title_key:
            continue
        if block.link_chars and words < patterns.LINK_BLOCK_MAX_WORDS and (
            block.link_chars / max(1, len(block.text)) > patterns.LINK_DENSITY_MAX
        ):
            continue
        if words < patterns.BOILERPLATE_MAX_WORDS and any(
            p.search(block.text.strip()) for p in patterns.BOILERPLATE_LINES
        ):
            continue
        kept.append(block)
    while len(kept) > 1 and patterns.TEASER_END.search(kept[-1].text):
        kept.pop()
    return kept


def extract_body(
    tree: lxml_html.HtmlElement, page_html: str, *, url: str | None, title: str | None,
    json_ld_body: str | None,
) -> Body:
    """The article body of the page; see the module docstring for the cascade."""
    paragraph_words = sum(word_count(p.text_content()) for p in tree.iter("p"))
    blocks = _trafilatura_blocks(_copy(tree), url, precision=True, fast=True)
    method = "trafilatura-fast"
    fast_words = _total_words(blocks)
    if fast_words < FAST_TRUSTED_WORDS or fast_words < FAST_MIN_SHARE * paragraph_words:
        # The fast pass skips trafilatura's own comparison with other algorithms; a short
        # result, or one far below the page's paragraph text, may have missed the body.
        blocks, method = _trafilatura_blocks(tree, url, precision=True), "trafilatura"
    if json_ld_body and not _is_teaser(json_ld_body):
        ld_blocks = _json_ld_blocks(json_ld_body)
        ld_words = _total_words(ld_blocks)
        if ld_words >= MIN_WORDS and _total_words(blocks) < 0.6 * ld_words:
            blocks, method = ld_blocks, "json-ld"
    if _total_words(blocks) < MIN_WORDS:
        for fallback, name in (
            (lambda: _trafilatura_blocks(_copy(tree), url, precision=False), "trafilatura-recall"),
            (lambda: _readability_blocks(page_html), "readability"),
            (lambda: _baseline_blocks(_copy(tree)), "baseline"),
        ):
            candidate = fallback()
            if _total_words(candidate) > _total_words(blocks):
                blocks, method = candidate, name
            if _total_words(blocks) >= MIN_WORDS:
                break
    return Body(tuple(_clean_blocks(blocks, title)), method)


def _copy(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """trafilatura edits the tree it is given; each extractor gets its own copy."""
    return copy.deepcopy(tree)
