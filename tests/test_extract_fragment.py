"""fragment_text: the fast walk gives a straightforward implementation's output, error for error.

`_reference_fragment_text` below is fragment_text written plainly (lxml.html.fragment_fromstring,
a recursive walk that skips dropped elements, one search a boilerplate pattern). The fast one
must return the same text, or raise the same exception with the same message, on every
input: real feed contents, web pages and their bodies, cut-off fragments, hand-made
hostile cases and a few thousand random tag soups. Where lxml.html itself fails (it asserts
on a document without a body; it refuses a body text with control characters), the fast
one must give text or an ExtractError: never another exception.
"""

from __future__ import annotations

import gzip
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from storyline.errors import ExtractError
from storyline.extract import fragment, patterns
from storyline.extract.fragment import fragment_text
from storyline.parse import parse_feed
from storyline.parse.decode import decode_text
from tests.conftest import CORPORA

TEST_DATA = Path(__file__).parent / "data"

_R_BLOCKS = frozenset({"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "figcaption",
                       "section", "article", "header", "footer", "dd", "dt", "td"})
_R_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_R_DROP = ("script", "style", "noscript", "iframe", "form", "button", "svg", "template", "object", "embed")
_R_ANY_WORD = re.compile(r"\w")


def _reference_fragment_text(fragment: str, origin: str) -> str:
    """fragment_text written plainly: the reference for its output."""
    if not fragment.strip():
        raise ExtractError(origin, "the item's content is empty")
    try:
        root = lxml_html.fragment_fromstring(fragment[:2_000_000], create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(origin, f"the item's content is not parseable HTML ({exc})") from exc
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
        if tag in _R_DROP:
            if node.tail:
                current.append(node.tail)
            return
        block = tag in _R_BLOCKS
        if block or tag == "br":
            flush()
        text = node.text
        if text and tag:
            current.append(text)
        for child in node:
            walk(child)
        if block:
            flush(heading=tag in _R_HEADINGS)
        tail = node.tail
        if tail:
            current.append(tail)

    walk(root)
    flush()
    text = "\n\n".join(paragraphs)
    if not _R_ANY_WORD.search(text):
        raise ExtractError(origin, "the item's content has no text")
    return text


def _outcome(function: Callable[[str, str], str], html: str) -> tuple[str, str]:
    """The text, or the exception's type and message (and its cause's type, when it has one).

    Element addresses are left out of messages ("too many bodies: [<Element body at 0x...>]").
    """
    try:
        return ("text", function(html, "https://example.org/feed#item"))
    except Exception as exc:
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
        return (f"{type(exc).__name__}<{cause}", re.sub(r" at 0x[0-9a-f]+>", " at 0x...>", str(exc)))


# --- The corpus ----------------------------------------------------------------------------

def _feed_contents() -> Iterator[str]:
    """Every item's content and summary of every feed in the shared data and the test data."""
    paths = [p for p in sorted((CORPORA / "feeds").rglob("*")) if p.is_file() and p.name != "LICENSE"]
    paths += sorted(p for p in (TEST_DATA / "feeds").iterdir() if p.is_file())
    for path in paths:
        try:
            feed = parse_feed(path.read_bytes(), url=f"https://example.org/{path.name}", content_type=None)
        except Exception:  # hostile and ill-formed feeds: what does not parse has no items
            continue
        for item in feed.items:
            for html in (item.html, item.summary):
                if html is not None:
                    yield html


def _pages() -> Iterator[str]:
    """Web pages whole (a fragment that is a document), their bodies' source and their bodies re-serialized."""
    paths = sorted((CORPORA / "extraction" / "scrapinghub-dev" / "html").glob("*.html.gz"))
    paths += sorted((TEST_DATA / "pages").glob("*.html"))
    for path in paths:
        data = path.read_bytes()
        page = decode_text(gzip.decompress(data) if path.suffix == ".gz" else data, str(path), html=True)
        yield page
        body = re.search(r"<body\b[^>]*>(.*)</body>", page, re.S | re.I)
        if body:
            yield body.group(1)
        root = lxml_html.document_fromstring(page).find("body")
        if root is not None:
            yield (root.text or "") + "".join(etree.tostring(c, encoding="unicode") for c in root)


def _cut(htmls: list[str], rng: random.Random) -> Iterator[str]:
    """Fragments cut off anywhere (inside a tag, an entity, a comment) and from anywhere to the end."""
    for html in htmls:
        if len(html) > 20:
            yield html[: rng.randrange(1, len(html))]
            yield html[rng.randrange(1, len(html)):]


_TEXTS = (
    "word", "Council", "met", "on", "Tuesday.", " ", "  ", "\n", "\t", "\r\n", "\r", "\xa0", "\u2003", "\u3000",
    "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u2028", "\x00", "\x01", "\x7f", "\ud800", "\udfff", "\U0001f600",
    "&amp;", "&nbsp;", "&#32;", "&#160;", "&#10;", "&#x9;", "&#0;", "&#xD800;", "&lt;p&gt;", "&bogus;", "&amp",
    "é", "“quoted”", "—", "<", ">", "&", "'", '"', "=", "/",
    "Read more", "Read also:", "Related:", "Related stories", "See also", "Sign up", "Subscribe now",
    "Advertisement", "ADVERTISEMENT", "© 2024 Example", "Copyright 2024", "Photo: AFP", "Follow us on X",
    "Share this", "Click here", "newsletter:", "news@example.org", "Enable JavaScript", "More from Europe",
    "Don’t miss", "This article was updated", "Trending", "All rights reserved",
)
_TAGS = (
    "p", "div", "span", "b", "i", "em", "a", "br", "hr", "img", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
    "li", "table", "tbody", "tr", "td", "th", "pre", "blockquote", "figure", "figcaption", "section", "article",
    "header", "footer", "dl", "dd", "dt", "script", "style", "noscript", "iframe", "form", "button", "svg",
    "template", "object", "embed", "html", "head", "body", "title", "meta", "math", "select", "option",
    "textarea", "xmp", "frameset", "P", "DIV", "BR", "H2", "SCRIPT", "o:p", "svg:style", "fb:like",
)
_MARKUP = (
    "<!-- comment -->", "<!-- Read more -->", "<!---->", "<!--", "-->", "<?pi data?>", "<?xml version='1.0'?>",
    "<![CDATA[cdata text]]>", "<!doctype html>", "<br/>", "<br />", "</br>", "<p/>", "</p>", "<p class='x'>",
    "<a href='https://example.org/?a=1&b=2'>", "<img src=x alt='<p>'>", "<div\n>", "< p>", "</ p>", "<>", "</>",
    "<!bogus>", "<svg><style>s</style></svg>", "<form><button>b</button></form>", "<object><embed></object>",
)


def _random_fragments(rng: random.Random, count: int) -> Iterator[str]:
    """Tag soup: nesting right and wrong, drop elements inside drop elements, odd characters, short lines."""
    for _ in range(count):
        parts: list[str] = []
        for _ in range(rng.randrange(0, 40)):
            roll = rng.random()
            if roll < 0.45:
                parts.append(rng.choice(_TEXTS))
                if rng.random() < 0.5:
                    parts.append(" ")
            elif roll < 0.65:
                parts.append(f"<{rng.choice(_TAGS)}>")
            elif roll < 0.8:
                parts.append(f"</{rng.choice(_TAGS)}>")
            elif roll < 0.9:
                parts.append(rng.choice(_MARKUP))
            else:  # a paragraph of about BOILERPLATE_MAX_WORDS words, opening like a boilerplate line
                words = rng.randrange(patterns.BOILERPLATE_MAX_WORDS - 3, patterns.BOILERPLATE_MAX_WORDS + 2)
                opening = rng.choice(_TEXTS[_TEXTS.index("Read more"):])
                parts.append(f"<p>{opening} {' '.join(['word'] * (words - len(opening.split())))}</p>")
        yield "".join(parts)


def _hostile() -> list[str]:
    paragraph = "The council met on Tuesday to discuss the budget for the coming year. "
    return [
        "", " ", " \n\t\r ", "\xa0\u3000", "\x00", "\ud800", "<", ">", "&", "&nbsp;", "<!-- -->", "<?pi?>",
        "<script>alert(1)</script>", "<style>p{}</style> ", "<p></p>", "<p> </p><div>\n</div>", "<br><br><br>",
        "just text", "text before <p>a paragraph</p> and after", "<p>first</p>last words",
        "<table><tr><td>cell one</td><td>cell two</td></tr></table><p>after the table</p>",
        "<table><p>a paragraph inside a table</p><tr><td>cell</td></tr></table>",
        "<div><div><p>deep <b>bold <i>italic</i></b> tail</p> mid</div> out</div> end",
        "<p>unclosed <b>bold <p>next paragraph", "<b><p>invalid</b> nesting</p>", "<ul><li>one<li>two</ul>",
        "<p>one<br>two<br/>three<br />four</p>", "line<br><br>line<br>", "<h1>One</h1><h2>Two</h2><h3>Three</h3>"
        "<h4>Four</h4><h5>Five</h5><h6>Six</h6>", "<h2>heading <br> broken</h2>", "<h2><p>inner</p> rest</h2>",
        "a<!-- comment -->b <!-- c -->c", "<p>a<!-- comment -->b</p>", "<p><?pi x?>after the pi</p>",
        "<![CDATA[<p>not a tag</p>]]> text", "<p>&amp; &lt;tag&gt; &nbsp;&nbsp; &#32;&#32; x</p>",
        "Tom&nbsp;&amp;&nbsp;Jerry",
        "<p>\xa0\xa0spaced\xa0\xa0out\xa0</p>", "<p>a\u2003b\u200bc\u2028d\x85e</p>", "<p>a\x1cb\x1fc\x0bd\x0ce</p>",
        "<p>nul\x00char and \x01\x02 controls</p>", "<p>lone \ud800 surrogate \udfff</p>", "<p>\U0001f600 emoji</p>",
        "<html><body><p>a wrapped fragment</p></body></html>", "<!DOCTYPE html><html><body><p>doc</p></body></html>",
        "  <HTML><BODY>upper case</BODY></HTML>", "<html><head><title>title only</title></head></html>",
        "<html></html>", "<!doctype html>", "<html><body></body></html><p>after html</p>", "<body><p>body</p></body>",
        "<p>one</p></body><body><p>two bodies</p>",
        "<head><title>t</title></head><p>text</p>", "<title>a title</title><p>text</p>", "<frameset></frameset>",
        "<form><button>b</button></form><p>kept</p><script>not dropped after a form with a button</script>",
        "<svg><style>s</style></svg> tail <p>para</p><noscript>ns</noscript>tail2",
        "<p>a<script>x</script>b</p>", "<script>x</script>tail first", "<p>x</p><iframe src=x>i</iframe>tail",
        "<object><embed src=x><p>inside object</p></object> after", "<template><p>t</p></template>tail",
        "<p>Read more</p><p>Advertisement</p><p>Sign up for our newsletter</p><p>kept</p>",
        "<p>Related: " + "word " * 28 + "</p>", "<p>Related: " + "word " * 29 + "</p>",
        "<p>news@example.org</p>", "<p>Please enable JavaScript to view this page</p>",
        "<pre>\n  code   block\n</pre>", "<textarea><p>not a tag</p></textarea>", "<xmp><b>raw</b></xmp>",
        "<plaintext><p>all text now", "<p>" + "x" * 100_000 + "</p>", "<div>" * 300 + "deep" + "</div>" * 300,
        "<b>" * 300 + "deep inline", "<p>" + paragraph * 50_000 + "</p>",  # 3.6 MB: past the 2,000,000 cap
        "<p>" + "word " * 399_999 + "</p><p>cut</p>",  # the 2,000,000 cap falls inside "</p>"
    ]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    if not (CORPORA / "feeds").is_dir():
        pytest.fail(f"the feed corpora are missing at {CORPORA} (data/corpora in the repository)")
    rng = random.Random(20261101)
    feeds = list(_feed_contents())
    pages = list(_pages())
    return [*feeds, *pages, *_cut(feeds + pages, rng), *_hostile(), *_random_fragments(rng, 6000)]


def _lxml_html_fails(outcome: tuple[str, str]) -> bool:
    """Whether the reference failed inside lxml.html rather than on the input: no body, or a body text it refuses."""
    kind, message = outcome
    return kind == "AssertionError<" or (kind == "ExtractError<ValueError" and "XML compatible" in message)


@pytest.mark.timeout(120)
def test_fragment_text_gives_the_reference_output_on_every_input(corpus: list[str]) -> None:
    outcomes = []
    mismatches = []
    lxml_failures: dict[str, int] = {}
    for html in corpus:
        expected = _outcome(_reference_fragment_text, html)
        got = _outcome(fragment_text, html)
        outcomes.append(got)
        if _lxml_html_fails(expected):
            lxml_failures[expected[0]] = lxml_failures.get(expected[0], 0) + 1
            if got[0] == "text" or got[0].startswith("ExtractError<"):
                continue
        if got != expected:
            mismatches.append((html[:300], expected[0], expected[1][:300], got[0], got[1][:300]))
    assert not mismatches, f"{len(mismatches)} of {len(corpus)} differ; first: {mismatches[:3]}"
    # The corpus reaches every way out: text, headings, each error, and lxml.html's own failures.
    assert len(corpus) > 8000
    assert lxml_failures.keys() == {"AssertionError<", "ExtractError<ValueError"}, lxml_failures
    kinds = {kind for kind, _ in outcomes}
    assert kinds == {"text", "ExtractError<", "ExtractError<ParserError"}, kinds
    messages = {message.split(". ")[0].split(" (")[0].split(": ", 1)[-1] for kind, message in outcomes
                if kind.startswith("ExtractError")}
    assert messages >= {"the item's content is empty", "the item's content has no text",
                        "the item's content is not parseable HTML"}, messages
    texts = [text for kind, text in outcomes if kind == "text"]
    assert sum("## " in text for text in texts) > 100
    assert sum(len(text) for text in texts) > 5_000_000


def test_every_dropped_element_is_dropped_wherever_it_is() -> None:
    # lxml.html's iter() + drop_tree() (what this once did) ends the iteration when the next
    # match sits inside the element just removed, so a later <script> was kept as text.
    html = "<form><button>b</button></form><p>kept</p><script>late script</script><p>x</p>"
    assert fragment_text(html, "o") == "kept\n\nx"
    html = "<svg><style>s</style></svg> tail <p>para</p><noscript>ns</noscript>tail2<style>late</style>"
    assert fragment_text(html, "o") == "tail\n\npara\n\ntail2"
    html = "<p>a<script>x</script>b</p><style>s</style>c<iframe>i</iframe>"
    assert fragment_text(html, "o") == "ab\n\nc"


def test_what_lxml_html_fails_on_gives_text_or_an_extract_error() -> None:
    # A whole document with no body: lxml.html asserts; here it is a fragment without text.
    for html in ("<html><head><title>title only</title></head></html>", "<html></html>", "<!doctype html>"):
        with pytest.raises(ExtractError, match=r"has no text|is not parseable"):
            fragment_text(html, "o")
    # Control characters the parser keeps, at the start and next to a dropped element:
    # lxml refuses to set such text, so the walk never moves text around. Cleaning
    # (normalize.clean_text) removes them later, as for any other text.
    assert fragment_text("\x01lead <p>x</p>", "o") == "\x01lead\n\nx"
    assert fragment_text("<p>a</p>\x01<script>x</script>\x02tail", "o") == "a\n\n\x01\x02tail"


def test_the_whitespace_shortcut_holds_for_all_of_unicode() -> None:
    # fragment._add_paragraph takes printable text without runs of spaces as already split
    # and joined: true only if " " is the one printable whitespace character, and the nine
    # control characters it looks for are the only other ASCII whitespace.
    chars = [chr(c) for c in range(0x110000)]
    assert [c for c in chars if c.isspace() and c.isprintable()] == [" "]
    assert [c for c in chars[:128] if c.isspace()] == [*"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ", ]
    for raw in ("a b", "a  b", " a", "a ", "a\tb", "a\xa0b", "é b", "é  b", "a\x1fb", "", " ", "\u2003"):
        paragraphs: list[str] = []
        fragment._add_paragraph(raw, paragraphs, False)
        assert paragraphs == ([" ".join(raw.split())] if raw.split() else [])


def test_boilerplate_lines_are_one_search_that_follows_the_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["Read more", "read also: x", "Related", "More from Europe", "more from " + "x" * 70, "Sign up",
             "news@example.org", "news@example.org trailing", "Advertisement ", "advertisement x", "©2024",
             "© 2024", "Please enable JavaScript", "To view this video, please enable javascript now", "x Read more",
             "This article was updated on Monday", "The council met", "", "Trending:"]
    for line in lines:
        assert fragment._is_boilerplate(line) == any(p.search(line) for p in patterns.BOILERPLATE_LINES), line
    # Patterns changed at run time are followed; ones that cannot be joined are searched one by one.
    monkeypatch.setattr(patterns, "BOILERPLATE_LINES", (re.compile(r"^(a)\1"), re.compile("^B")))
    assert [fragment._is_boilerplate(line) for line in ("aa", "B", "b")] == [True, True, False]
    assert fragment._boilerplate[1] is None
    monkeypatch.setattr(patterns, "BOILERPLATE_LINES", (re.compile("^x", re.I), re.compile("y$", re.I)))
    assert [fragment._is_boilerplate(line) for line in ("X1", "1Y", "1x")] == [True, True, False]
    assert fragment._boilerplate[1] is not None
    monkeypatch.setattr(patterns, "BOILERPLATE_LINES", (re.compile("^x # an x", re.X), re.compile("^y\n", re.X)))
    assert [fragment._is_boilerplate(line) for line in ("x", "y", "z")] == [True, True, False]
    assert fragment._boilerplate[1] is None


def test_fragments_are_wrapped_when_lxml_html_wraps_them() -> None:
    ours, theirs = fragment._LOOKS_LIKE_FULL_HTML.__self__, lxml_html._looks_like_full_html_unicode.__self__
    assert (ours.pattern, ours.flags) == (theirs.pattern, theirs.flags)
