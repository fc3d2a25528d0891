"""Hostile input for the page extractor: whatever a page holds, the result is an article or an ExtractError."""

from __future__ import annotations

import json
import re
import time

import pytest

from storyline.errors import ExtractError
from storyline.extract import extract_article, extract_page
from storyline.extract.guard import MAX_HTML_CHARS, time_limit
from storyline.types import ExtractedArticle, RawItem

SENTENCE = ("The harbour board met on Tuesday and agreed to dredge the channel before the autumn storms, "
            "after pilots warned that larger ships could run aground at low tide.")
PARAGRAPHS = "".join(f"<p>Paragraph {n}. {SENTENCE}</p>\n" for n in range(1, 6))
ARTICLE = (f"<html lang='en'><head><title>Harbour board agrees to dredge the channel</title></head>"
           f"<body><article><h1>Harbour board agrees to dredge the channel</h1>{PARAGRAPHS}</article></body></html>")
# What the sanitised body HTML may never hold.
UNSAFE_HTML = re.compile(
    r"<\s*(?:script|style|iframe|object|embed|img|svg)\b|\son\w+\s*=|javascript:|data:text/html", re.I
)


def extract_or_error(html: str, origin: str = "hostile") -> ExtractedArticle | ExtractError:
    """The page's article or its ExtractError; any other exception fails the test."""
    try:
        return extract_page(html, origin=origin)
    except ExtractError as exc:
        error = exc
    assert error.subject == origin  # the error names the input
    return error


def assert_safe(article: ExtractedArticle) -> None:
    assert article.body_html is not None
    assert not UNSAFE_HTML.search(article.body_html), article.body_html
    assert "alert(" not in article.text
    assert "<script" not in article.text.lower()


# -- nothing, or not a page -----------------------------------------------------------------------


@pytest.mark.parametrize("html", ["", " ", "\n\t \r\n", "\x00\x00\x00", "\ufeff"], ids=repr)
def test_empty_or_blank_page_is_an_extract_error(html: str) -> None:
    with pytest.raises(ExtractError, match=r"^blank: .*empty"):
        extract_page(html, origin="blank")


def test_binary_junk_decoded_as_latin1_is_refused() -> None:
    junk = bytes(range(256)).decode("latin-1") * 64
    with pytest.raises(ExtractError, match=r"^junk\.bin: binary data, not an HTML page"):
        extract_page(junk, origin="junk.bin")


def test_random_bytes_decoded_as_latin1_give_an_error_or_an_article_never_a_crash() -> None:
    import random

    generator = random.Random(7)
    for n in range(30):
        junk = bytes(generator.randrange(256) for _ in range(generator.randrange(1, 5000))).decode("latin-1")
        result = extract_or_error(junk, f"junk-{n}")
        if isinstance(result, ExtractedArticle):
            assert_safe(result)


@pytest.mark.parametrize(("content", "kind"), [
    (json.dumps({"title": "Harbour board agrees", "text": SENTENCE * 5}), "JSON data"),
    (json.dumps([{"title": "Harbour board agrees", "text": SENTENCE}] * 5, indent=2), "JSON data"),
    ("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nstream\n"
     + bytes(range(256)).decode("latin-1") * 8 + "\nendstream\n%%EOF\n", "a PDF document"),
    ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Port news</title>'
     f"<item><title>Harbour board agrees</title><description>{SENTENCE * 3}</description></item>"
     "</channel></rss>", "an RSS or Atom feed"),
    ('<?xml version="1.0" encoding="utf-8"?>\n<?xml-stylesheet href="feed.xsl"?>\n'
     '<feed xmlns="http://www.w3.org/2005/Atom"><title>Port news</title>'
     f"<entry><title>Harbour board agrees</title><content>{SENTENCE * 3}</content></entry></feed>",
     "an RSS or Atom feed"),
], ids=["json-object", "json-array", "pdf", "rss", "atom"])
def test_documents_that_are_not_web_pages_are_refused_by_name(content: str, kind: str) -> None:
    with pytest.raises(ExtractError) as caught:
        extract_page(content, origin="not-a-page")
    assert caught.value.subject == "not-a-page"
    assert caught.value.message == f"{kind}, not an HTML page"


def test_json_looking_text_that_is_not_json_is_still_read_as_a_page() -> None:
    result = extract_page("[Video] " + ARTICLE, origin="bracket")
    assert "dredge the channel" in result.text


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    page = '<?xml version="1.0" encoding="UTF-8"?>\n' + ARTICLE
    article = extract_page(page, origin="page.xhtml")
    assert "Paragraph 5. The harbour board met" in article.text
    assert "<?xml" not in article.text


@pytest.mark.parametrize("html", [
    "<html><head><script>var story = 'Harbour board agrees to dredge';</script>"
    "<style>p { color: red } .story::after { content: 'Harbour board' }</style></head>"
    "<body><script>document.write('<p>' + story + '</p>')</script><style>body{}</style></body></html>",
    "<script>" + "var x = 1;\n" * 2000 + "</script>",
    "<style>" + "p { margin: 0 }\n" * 2000 + "</style>",
    "<!-- " + SENTENCE * 20 + " -->",
    "<html><body><div><span> </span></div><img src=a.jpg><br><hr></body></html>",
], ids=["script-and-style", "only-script", "only-style", "only-comment", "no-text"])
def test_a_page_without_text_is_an_extract_error(html: str) -> None:
    with pytest.raises(ExtractError, match=r"^textless: "):
        extract_page(html, origin="textless")


def test_text_only_inside_noscript_is_read_without_markup() -> None:
    page = f"<html><body><div id='app'></div><noscript>{PARAGRAPHS}</noscript><script>app()</script></body></html>"
    article = extract_page(page, origin="noscript")
    assert "Paragraph 1. The harbour board met" in article.text
    assert "Paragraph 5." in article.text
    assert "<p>" not in article.text
    assert "app()" not in article.text


@pytest.mark.parametrize("message", [
    "You need to enable JavaScript to run this app.",
    "Please enable JavaScript to view this page.",
    "JavaScript is disabled in your browser.",
    "This site requires JavaScript.",
    "To view this video please enable JavaScript, and consider upgrading to a web browser that supports HTML5 video",
])
def test_an_app_shell_that_only_asks_for_javascript_is_no_article(message: str) -> None:
    page = (f"<html><head><title>Port News</title><script src='/app.js'></script></head>"
            f"<body><noscript><p>{message}</p></noscript><div id='root'></div></body></html>")
    with pytest.raises(ExtractError, match="no article text"):
        extract_page(page, origin="app-shell")


# -- broken and huge markup -----------------------------------------------------------------------


@pytest.mark.parametrize("html", [
    "<html><body><article><p>The harbour board met on Tuesday <b>and agreed <i>to dredge <p>" + SENTENCE,
    "<p>" + SENTENCE + "<p>" + SENTENCE + "<div><table><tr><td>" + SENTENCE,
    "</div></p></body>" + SENTENCE + "</html></article>",
    "<html><body><p title='unclosed attribute>" + SENTENCE + "</p><p>" + SENTENCE + "</p></body></html>",
    "<html><body><p>" + SENTENCE + "<!-- an unclosed comment " + SENTENCE,
    "<<<>>><p>" + SENTENCE + "</p></p></p><//p><p/>",
], ids=["unclosed-inline", "unclosed-blocks", "stray-closing", "unclosed-attribute", "unclosed-comment", "junk-tags"])
def test_unclosed_and_stray_tags(html: str) -> None:
    result = extract_or_error(html, "broken")
    if isinstance(result, ExtractedArticle):
        assert "harbour board met on Tuesday" in result.text or "dredge the channel" in result.text
        assert "<p" not in result.text
        assert "</" not in result.text
        assert_safe(result)


def test_simple_unclosed_tags_still_give_the_text() -> None:
    html = "<html><body><article><p>" + SENTENCE + " <b>Bold <i>and italic <p>" + SENTENCE.upper()
    article = extract_page(html, origin="unclosed")
    assert "dredge the channel" in article.text
    assert "DREDGE THE CHANNEL" in article.text


@pytest.mark.timeout(60)
@pytest.mark.parametrize("closed", [True, False], ids=["closed", "unclosed"])
def test_100000_nested_divs(closed: bool) -> None:
    depth = 100_000
    html = "<html><body>" + "<div>" * depth + PARAGRAPHS + ("</div>" * depth if closed else "") + "</body></html>"
    result = extract_or_error(html, "deep")  # the timeout mark is the hang guard; bench/hostile.py times it
    if isinstance(result, ExtractedArticle):
        assert "harbour board" in result.text


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shape", ["paragraphs", "one-text-node", "nested-markup"])
def test_a_50_mb_page_finishes_with_an_article_or_an_extract_error(shape: str) -> None:
    size = 50 * 1024 * 1024
    if shape == "paragraphs":
        one = f"<p>Paragraph {{n}}. {SENTENCE}</p>\n"
        count = size // len(one)
        inner = "".join(one.format(n=n) for n in range(count))
    elif shape == "one-text-node":
        inner = "<p>" + "harbour " * (size // 8) + "</p>"
    else:
        inner = "<div><span>x</span><a href='/a'>y</a></div>" * (size // 42)
    html = f"<html><head><title>Harbour records</title></head><body><article>{inner}</article></body></html>"
    assert len(html) >= size
    result = extract_or_error(html, "huge.html")  # the timeout mark is the hang guard; bench/hostile.py times it
    if isinstance(result, ExtractedArticle):
        assert 0 < len(result.text) <= MAX_HTML_CHARS
        assert_safe(result)


# -- scripts and event handlers -------------------------------------------------------------------

XSS_PAGE = f"""<html><head><title>Harbour board agrees to dredge the channel</title>
<script>alert('head')</script></head>
<body onload="alert('body')"><article>
<h1>Harbour board agrees to dredge the channel</h1>
<p>{SENTENCE}</p>
<script>alert(1)</script>
<p>The pilots <img src="x.jpg" onerror="alert(2)"> welcomed the decision <a href="javascript:alert(3)"
 onclick="alert(4)">in a statement</a> and <a href="https://port.example/pilots" onmouseover="alert(5)">on
 their site</a>, and the <svg onload="alert(6)"><circle r="1"/></svg> dredgers arrive in May.</p>
<p>{SENTENCE} <iframe src="javascript:alert(7)"></iframe> <object data="data:text/html,alert(8)"></object></p>
<p style="background:url(javascript:alert(9))">{SENTENCE}</p>
<noscript><p>&lt;script&gt;alert(10)&lt;/script&gt; is how the old site was broken.</p></noscript>
</article></body></html>"""


def test_scripts_and_handlers_never_reach_text_or_body_html() -> None:
    article = extract_page(XSS_PAGE, origin="xss")
    assert "welcomed the decision" in article.text
    assert "dredgers arrive in May" in article.text
    assert_safe(article)
    assert "alert" not in article.text.replace("alert(10)", "")


def test_markup_in_the_text_is_escaped_in_body_html() -> None:
    page = ARTICLE.replace("</article>", "<p>Pilots wrote &lt;script&gt;alert(1)&lt;/script&gt; on the quay "
                                         "wall in protest, the harbour master said on Tuesday.</p></article>")
    article = extract_page(page, origin="escaped")
    assert "<script>alert(1)</script>" in article.text  # it is what the page says, as text
    assert article.body_html is not None
    assert "<script" not in article.body_html
    assert "&lt;script&gt;" in article.body_html


def test_a_json_ld_body_holding_html_is_read_as_text_without_its_scripts() -> None:
    body = "".join(f"<p>Paragraph {n}. {SENTENCE}</p>" for n in range(1, 6)) + "<script>alert(1)</script>"
    ld = json.dumps({"@type": "NewsArticle", "headline": "Harbour board agrees to dredge the channel",
                     "articleBody": body}).replace("</", "<\\/")
    page = (f'<html><head><script type="application/ld+json">{ld}</script></head><body><article>'
            "<h1>Harbour board agrees to dredge the channel</h1><p>Subscribe to read on.</p></article></body></html>")
    article = extract_page(page, origin="ld-html")
    assert article.text.count("Paragraph ") == 5
    assert "<p>" not in article.text
    assert "</p>" not in article.text
    assert_safe(article)


# -- through extract_article ----------------------------------------------------------------------


@pytest.mark.parametrize("item", [
    RawItem(origin="item", html=""),
    RawItem(origin="item", html="   "),
    RawItem(origin="item", html="<html><script>x()</script></html>"),
    RawItem(origin="item", html=bytes(range(256)).decode("latin-1") * 8),
    RawItem(origin="item", html='{"a": 1}'),
    RawItem(origin="item", text="   \n "),
    RawItem(origin="item"),
], ids=["empty", "blank", "script", "binary", "json", "blank-text", "nothing"])
def test_extract_article_refuses_items_without_an_article(item: RawItem) -> None:
    with pytest.raises(ExtractError) as caught:
        extract_article(item)
    assert caught.value.subject == "item"


def test_extract_article_keeps_the_items_own_fields_over_the_page() -> None:
    item = RawItem(origin="item", html=XSS_PAGE, title="Dredging approved", url="https://port.example/dredging",
                   outlet="Port Weekly")
    article = extract_article(item)
    assert (article.title, article.url, article.outlet) == ("Dredging approved", item.url, "Port Weekly")
    assert_safe(article)


# -- the time limit -------------------------------------------------------------------------------


def spin(seconds: float) -> None:
    """Busy Python code for ``seconds`` (bounded, so that a limit that fails fails the test, not the run)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def spin_inside_except_exception(seconds: float, swallowed: list[Exception]) -> None:
    """Busy code wrapped as extractors wrap their work: every Exception caught and the work resumed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            spin(deadline - time.monotonic())
        except Exception as exc:
            swallowed.append(exc)


def quick_limit_then_spin(seconds: float) -> None:
    with time_limit("inner.html", 5):
        pass
    spin(seconds)


def test_time_limit_stops_a_slow_block_with_an_error_naming_the_input() -> None:
    started = time.monotonic()
    with pytest.raises(ExtractError) as caught, time_limit("slow-page.html", 0.3):
        spin(5)
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 3
    assert caught.value.subject == "slow-page.html"
    assert "0.3 s" in str(caught.value)


def test_time_limit_is_not_swallowed_by_a_library_catching_exception() -> None:
    """Extractors wrap their work in ``except Exception``; the limit must still stop the block."""
    swallowed: list[Exception] = []
    started = time.monotonic()
    with pytest.raises(ExtractError), time_limit("wrapped.html", 0.3):
        spin_inside_except_exception(5, swallowed)
    assert swallowed == []
    assert time.monotonic() - started < 3


def test_an_inner_time_limit_does_not_cancel_an_outer_one() -> None:
    """pytest-timeout, or a caller's own limit, keeps working around extractions that end in time."""
    started = time.monotonic()
    with pytest.raises(ExtractError) as caught, time_limit("outer.html", 0.5):
        quick_limit_then_spin(5)
    assert caught.value.subject == "outer.html"
    assert time.monotonic() - started < 3


def test_time_limit_lets_a_quick_block_finish_and_leaves_no_alarm_behind() -> None:
    with time_limit("quick.html", 0.3):
        total = sum(range(1000))
    assert total == 499500
    time.sleep(0.5)  # an alarm left armed would interrupt this sleep with an error


def test_a_page_that_runs_out_of_time_is_an_extract_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real extractor, given too little time for a real page, stops with an ExtractError."""
    from storyline.extract import guard

    monkeypatch.setattr(guard.time_limit.__wrapped__, "__defaults__", (0.001,))
    page = "<html><body><article>" + PARAGRAPHS * 2000 + "</article></body></html>"
    with pytest.raises(ExtractError, match=r"^timed\.html: extraction took longer than 0\.001 s"):
        extract_page(page, origin="timed.html")
