"""The HTML pages, served in-process through httpx's ASGI transport."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html as lxml_html

from storyline.app import Storyline, make_app
from storyline.config import load_settings
from storyline.types import StoredArticle
from storyline.web import create_asgi
from storyline.web.render import paragraphs
from storyline.web.timefmt import absolute_time, iso_time

pytestmark = pytest.mark.anyio

SAMPLE_CREDIT = "https://creativecommons.org/licenses/by/2.5/"
RELATIVE_TIME = re.compile(r"^(just now|yesterday|(an?|\d+) (minute|hour|day|week|month|year)s? ago)$")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sample_client(sample_app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the web app over the shared sample store."""
    transport = httpx.ASGITransport(app=create_asgi(sample_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def client(app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the web app over an empty store (tests may import into ``app``)."""
    transport = httpx.ASGITransport(app=create_asgi(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def import_records(app: Storyline, folder: Path, records: list[dict[str, Any]]) -> None:
    """Import ``records`` (JSONL objects) into ``app`` through the real pipeline."""
    path = folder / "articles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    report = app.import_paths([path])
    assert report.inserted == len(records), report.failures


def parse(response: httpx.Response) -> Any:
    assert response.headers["content-type"].startswith("text/html")
    return lxml_html.fromstring(response.text)


_SIMPLE_SELECTOR = re.compile(r"^(?P<tag>[a-z0-9]+)?(?P<classes>(?:\.[\w-]+)*)(?P<attrs>(?:\[[^\]]+\])*)$")


def _xpath_step(simple: str) -> str:
    """One simple CSS selector (``tag.class[attr=value]``) as an XPath step."""
    found = _SIMPLE_SELECTOR.match(simple)
    assert found, f"unsupported selector {simple!r}"
    tests = [
        f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
        for name in found["classes"].split(".")[1:]
    ]
    for attr in re.findall(r"\[([^\]]+)\]", found["attrs"]):
        name, _, value = attr.partition("=")
        tests.append(f"@{name}='{value.strip(chr(34) + chr(39))}'" if value else f"@{name}")
    return (found["tag"] or "*") + "".join(f"[{t}]" for t in tests)


def css(element: Any, selector: str) -> list[Any]:
    """Elements under ``element`` matching a small CSS subset (lists, descendants, tag.class[a=v])."""
    paths = [".//" + "//".join(_xpath_step(s) for s in part.split()) for part in selector.split(",")]
    return element.xpath(" | ".join(paths))


def text_of(element: Any) -> str:
    return " ".join(element.text_content().split())


def newest_article(app: Storyline) -> StoredArticle:
    articles, _ = app.article_page(1)
    return articles[0]


# -- home page -------------------------------------------------------------------------


async def test_latest_lists_articles_newest_first_with_outlet_and_time(
    app: Storyline, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    import_records(app, tmp_path, [
        {"title": "Older story", "text": "Body of the older story.", "url": "https://a.example/old",
         "source": "Alpha Times", "published": (now - timedelta(days=3)).isoformat()},
        {"title": "Newest story", "text": "Body of the newest story.", "url": "https://b.example/new",
         "source": "Beta Post", "published": (now - timedelta(minutes=11, seconds=5)).isoformat()},
        {"title": "Middle story", "text": "Body of the middle story.", "url": "https://c.example/mid",
         "source": "Gamma Daily", "published": (now - timedelta(hours=3, minutes=1)).isoformat()},
    ])

    page = parse(await client.get("/latest"))

    items = css(page, "li.article-item")
    assert [text_of(css(i, "h2")[0]) for i in items] == ["Newest story", "Middle story", "Older story"]
    assert [text_of(css(i, ".outlet")[0]) for i in items] == ["Beta Post", "Gamma Daily", "Alpha Times"]
    times = [css(i, "time")[0] for i in items]
    assert [t.text for t in times] == ["11 minutes ago", "3 hours ago", "3 days ago"]
    for item, time in zip(items, times, strict=True):
        stored = next(a for a in app.article_page(1)[0] if a.title == text_of(css(item, "h2")[0]))
        assert time.get("datetime") == iso_time(stored.shown_time)
        assert time.get("title") == absolute_time(stored.shown_time)
        assert time.get("title").endswith(" UTC")
        assert css(item, "h2 a")[0].get("href") == f"/articles/{stored.id}"


async def test_latest_of_the_sample_is_newest_first(
    sample_app: Storyline, sample_client: httpx.AsyncClient
) -> None:
    response = await sample_client.get("/latest")
    assert response.status_code == 200
    page = parse(response)

    items = css(page, "li.article-item")
    expected, has_next = sample_app.article_page(1)
    assert has_next
    assert [text_of(css(i, "h2")[0]) for i in items] == [a.title for a in expected]
    stamps = [datetime.fromisoformat(css(i, "time")[0].get("datetime")) for i in items]
    assert stamps == sorted(stamps, reverse=True)
    for item in items:
        assert text_of(css(item, ".outlet")[0])
        assert RELATIVE_TIME.match(css(item, "time")[0].text)
    assert SAMPLE_CREDIT in response.text
    assert "Wikinews" in text_of(css(page, "footer.site")[0])


async def test_empty_home_says_how_to_get_articles(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    main = text_of(css(parse(response), "main")[0])
    assert "No stories yet" in main
    assert "storyline sources add" in main
    assert "storyline import" in main
    assert "storyline sample load" in main
    assert SAMPLE_CREDIT not in response.text


# -- pagination ------------------------------------------------------------------------


async def test_second_page_continues_the_first(
    sample_app: Storyline, sample_client: httpx.AsyncClient
) -> None:
    first = parse(await sample_client.get("/latest"))
    second_response = await sample_client.get("/latest?page=2")
    assert second_response.status_code == 200
    second = parse(second_response)

    size = sample_app.settings.page_size
    assert len(css(first, "li.article-item")) == size
    assert [text_of(h) for h in css(second, "li.article-item h2")] == [
        a.title for a in sample_app.article_page(2)[0]
    ]
    assert not css(first, "a[rel=prev]")
    assert css(first, "a[rel=next]")[0].get("href") == "/latest?page=2"
    assert css(second, "a[rel=prev]")[0].get("href") == "/latest?page=1"
    assert css(second, "a[rel=next]")[0].get("href") == "/latest?page=3"
    # The last article of page 1 is older than (or as old as) the first of page 2.
    last_of_first = css(first, "li.article-item time")[-1].get("datetime")
    first_of_second = css(second, "li.article-item time")[0].get("datetime")
    assert datetime.fromisoformat(last_of_first) >= datetime.fromisoformat(first_of_second)


async def test_last_page_has_no_next_link_and_the_page_after_it_is_a_404(
    sample_app: Storyline, sample_client: httpx.AsyncClient
) -> None:
    # The home page lists a group of copies once.
    count = len(sample_app.store.latest_articles(limit=100_000, fold_copies=True))
    assert count < sample_app.stats().articles
    last = -(-count // sample_app.settings.page_size)

    last_page = parse(await sample_client.get(f"/latest?page={last}"))
    assert css(last_page, "li.article-item")
    assert not css(last_page, "a[rel=next]")
    assert css(last_page, "a[rel=prev]")[0].get("href") == f"/latest?page={last - 1}"

    response = await sample_client.get(f"/latest?page={last + 1}")
    assert response.status_code == 404
    error = parse(response)
    assert f"no page {last + 1}" in text_of(css(error, "main")[0])
    assert css(error, 'main a[href="/"]')


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "page=9999999"])
async def test_a_page_number_that_is_not_valid_is_a_404_page(
    sample_client: httpx.AsyncClient, query: str
) -> None:
    response = await sample_client.get(f"/?{query}")
    assert response.status_code == 404
    main = text_of(css(parse(response), "main")[0])
    assert f"There is no page at /?{query}" in main


# -- article page ----------------------------------------------------------------------


async def test_article_page_shows_the_article_once_with_its_details(
    sample_app: Storyline, sample_client: httpx.AsyncClient
) -> None:
    article = newest_article(sample_app)
    response = await sample_client.get(f"/articles/{article.id}")
    assert response.status_code == 200
    page = parse(response)
    main = css(page, "main")[0]

    headings = css(page, "h1")
    assert [text_of(h) for h in headings] == [article.title]
    assert text_of(main).count(article.title) == 1
    assert css(page, "title")[0].text.startswith(article.title)

    assert text_of(css(main, ".outlet")[0]) == article.outlet
    time = css(main, ".meta time")[0]
    assert RELATIVE_TIME.match(time.text)
    assert time.get("title") == absolute_time(article.shown_time)
    assert time.get("datetime") == iso_time(article.shown_time)

    shown = [text_of(p) for p in css(main, ".body p")]
    assert shown == [" ".join(p.split()) for p in paragraphs(article.text, article.title)]
    assert len(shown) > 1

    assert article.licence
    assert text_of(css(main, ".licence")[0]) == " ".join(article.licence.split())
    source_link = css(main, ".article-foot a")[0]
    assert source_link.get("href") == article.url
    assert "noopener" in source_link.get("rel")

    footer = css(page, "footer.site")[0]
    assert "Wikinews" in text_of(footer)
    assert css(footer, f'a[href="{SAMPLE_CREDIT}"]')
    assert "CC BY 2.5" in text_of(footer)


async def test_a_title_repeated_at_the_top_of_the_text_is_shown_once(
    app: Storyline, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # The seed aggregator page printed the headline twice above the article.
    title = "Kremlin says Trump-Putin meeting agreed for ‘coming days'"
    text = (
        f"{title}\n\n{title}\n\n"
        "MOSCOW: The Kremlin said Thursday that a summit was set for the 'coming days'.\n"
        "The summit would be the first between sitting US and Russian presidents since 2021.\n"
        "Putin-Zelenskyy meeting?\n"
        "Tens of thousands have been killed since Russia launched its offensive."
    )
    import_records(app, tmp_path, [{"title": title, "text": text, "source": "Business Recorder"}])
    article = newest_article(app)

    page = parse(await client.get(f"/articles/{article.id}"))
    main = css(page, "main")[0]
    assert [text_of(h) for h in css(page, "h1")] == [title]
    points = " ".join(text_of(li) for li in css(main, ".key-points li"))
    # the heading and the lead's quote, and the lead again among the key points (never the title)
    assert text_of(main).count("coming days'") == 1 + 1 + points.count("coming days'")
    assert text_of(main).count(title) == 1
    assert title not in points
    body = [text_of(p) for p in css(main, ".body p")]
    assert body[0].startswith("MOSCOW:")
    assert body[2] == "Putin-Zelenskyy meeting?"
    assert len(body) == 4

    home = parse(await client.get("/latest"))
    assert text_of(css(home, ".excerpt")[0]).startswith("MOSCOW:")


async def test_hard_wrapped_text_is_joined_into_paragraphs(
    app: Storyline, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    wrapped = (
        "The council met on Tuesday evening to discuss the new budget for\n"
        "the coming year, which includes money for three new schools and a\n"
        "library that residents have asked for since the old one closed.\n\n"
        "A second paragraph follows."
    )
    import_records(app, tmp_path, [{"title": "Council budget", "text": wrapped}])
    article = newest_article(app)

    main = css(parse(await client.get(f"/articles/{article.id}")), "main")[0]
    body = [text_of(p) for p in css(main, ".body p")]
    assert len(body) == 2
    assert body[0].startswith("The council met")
    assert body[0].endswith("since the old one closed.")


async def test_a_page_without_sample_articles_has_no_sample_credit(
    app: Storyline, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    import_records(app, tmp_path, [
        {"title": "A local story", "text": "Nothing from the sample here.", "source": "Local News"},
    ])
    article = newest_article(app)
    for path in ("/", f"/articles/{article.id}"):
        response = await client.get(path)
        assert response.status_code == 200
        assert SAMPLE_CREDIT not in response.text
        assert "Wikinews" not in response.text


async def test_markup_in_titles_and_text_is_escaped(
    app: Storyline, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    evil_title = "Breaking <script>alert(1)</script> news"
    evil_text = (
        "First <img src=x onerror=alert(2)> paragraph.\n\n"
        "Second <script>alert(3)</script> paragraph with <b>bold</b> & <a href='javascript:alert(4)'>x</a>."
    )
    import_records(app, tmp_path, [{
        "title": evil_title, "text": evil_text, "url": "https://evil.example/story",
        "source": "<i>Evil</i> Outlet", "authors": ["<script>alert(5)</script>"],
    }])
    article = newest_article(app)

    for path in ("/", f"/articles/{article.id}"):
        response = await client.get(path)
        assert response.status_code == 200
        page = parse(response)
        # Only our own script file (it registers the offline worker), never one from the content.
        assert [e.get("src") for e in css(page, "script")] == ["/static/app.js"]
        assert all(not (e.text or "").strip() for e in css(page, "script"))
        assert not css(page, "main img, main b, main i")
        assert not [e for e in page.iter() if any(name.startswith("on") for name in e.attrib)]
        assert not [a for a in css(page, "a") if a.get("href", "").startswith("javascript:")]
        assert "<script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        assert "alert(1)" in text_of(css(page, "main")[0])

    page = parse(await client.get(f"/articles/{article.id}"))
    assert [text_of(h) for h in css(page, "h1")] == [evil_title]
    assert text_of(css(page, ".body p")[0]) == "First <img src=x onerror=alert(2)> paragraph."
    assert text_of(css(page, ".outlet")[0]) == "<i>Evil</i> Outlet"


async def test_an_article_url_that_is_not_http_is_not_a_link(
    app: Storyline, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    import_records(app, tmp_path, [{
        "title": "Odd link", "text": "Some text.", "url": "javascript:alert(1)", "source": "Odd",
    }])
    article = newest_article(app)
    page = parse(await client.get(f"/articles/{article.id}"))
    assert not [a for a in css(page, "a") if "javascript" in a.get("href", "")]


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/articles/999999", "There is no article with id 999999."),
        ("/articles/abc", "There is no page at /articles/abc."),
        ("/nope", "There is nothing at this address."),
    ],
)
async def test_not_found_pages_say_what_happened_and_link_home(
    sample_client: httpx.AsyncClient, path: str, says: str
) -> None:
    response = await sample_client.get(path)
    assert response.status_code == 404
    page = parse(response)
    main = css(page, "main")[0]
    assert [text_of(h) for h in css(main, "h1")] == ["Page not found"]
    assert says in text_of(main)
    assert css(main, 'a[href="/"]')
    assert "Traceback" not in response.text
    assert SAMPLE_CREDIT not in response.text


async def test_a_method_the_page_does_not_take_is_a_405_page(sample_client: httpx.AsyncClient) -> None:
    response = await sample_client.post("/")
    assert response.status_code == 405
    assert "Method not allowed" in text_of(css(parse(response), "main h1")[0])


async def test_pages_and_static_files_are_linked_by_path(sample_client: httpx.AsyncClient) -> None:
    # An absolute URL built from the Host header would break behind a proxy (and leak the host).
    page = parse(await sample_client.get("/"))
    stylesheet = css(page, "link[rel=stylesheet]")[0].get("href")
    assert stylesheet.startswith("/static/")
    response = await sample_client.get(stylesheet)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


async def test_pages_allow_only_our_script_files_and_nothing_from_elsewhere(sample_client: httpx.AsyncClient) -> None:
    for path in ("/", "/articles/1", "/nope"):
        response = await sample_client.get(path)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self';" in policy  # files of ours: no inline script, no other origin
        assert "unsafe" not in policy
        assert "<script>" not in response.text
        assert "style-src 'self'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/articles/1", "/healthz", "/api/articles", "/static/style.css"])
async def test_head_is_answered_like_get_without_a_body(sample_client: httpx.AsyncClient, path: str) -> None:
    get = await sample_client.get(path)
    head = await sample_client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.content == b""


async def test_head_of_a_missing_page_is_a_404(sample_client: httpx.AsyncClient) -> None:
    head = await sample_client.head("/articles/999999")
    assert head.status_code == 404
    assert head.content == b""


# -- health and failures ---------------------------------------------------------------


async def test_healthz_is_json_ok(sample_client: httpx.AsyncClient) -> None:
    response = await sample_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["checked_at"].endswith("Z")


def broken_store_app(tmp_path: Path) -> Storyline:
    """A Storyline whose SQLite file was replaced by garbage after it opened."""
    broken = make_app(load_settings({"home": str(tmp_path / "broken")}, environ={}))
    database = Path(broken.settings.resolved_database_url.removeprefix("sqlite:///"))
    broken.store.close()  # drop pooled connections; the next query opens the file again
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    database.write_bytes(b"this is not a database\n" * 64)
    return broken


async def test_a_store_that_fails_gives_a_503_page_not_a_traceback(tmp_path: Path) -> None:
    broken = broken_store_app(tmp_path)
    transport = httpx.ASGITransport(app=create_asgi(broken))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for path in ("/", "/articles/1"):
                response = await client.get(path)
                assert response.status_code == 503
                main = text_of(css(parse(response), "main")[0])
                assert "The database does not answer" in main
                assert "Traceback" not in response.text
            health = await client.get("/healthz")
            assert health.status_code == 503
            assert health.json() == {"error": {
                "status": 503, "message": "The database does not answer. Try again in a moment.",
            }}
    finally:
        broken.close()
