"""The JSON API under /api (and /healthz), in-process through httpx's ASGI transport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from storyline.app import Storyline, make_app
from storyline.config import load_settings
from storyline.web import create_asgi

pytestmark = pytest.mark.anyio

SUMMARY_FIELDS = {
    "id", "title", "url", "canonical_url", "outlet", "published", "received", "authors", "language",
    "word_count", "is_sample", "excerpt",
}
DETAIL_FIELDS = (SUMMARY_FIELDS - {"excerpt"}) | {"updated", "licence", "text", "key_points"}
UNAVAILABLE = {"error": {"status": 503, "message": "The database does not answer. Try again in a moment."}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def client_for(app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for the web app serving ``app``."""
    transport = httpx.ASGITransport(app=create_asgi(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def sample_client(sample_app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    """A client over the shared sample store (read only)."""
    async with client_for(sample_app) as client:
        yield client


def utc_time(value: str) -> datetime:
    """A JSON time, which must be ISO 8601 in UTC written with a Z."""
    assert value.endswith("Z"), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0)
    return parsed


def small_pages_app(tmp_path: Path, records: list[dict[str, Any]], page_size: int) -> Storyline:
    """A Storyline with ``records`` imported and ``page_size`` articles a page."""
    made = make_app(load_settings({"home": str(tmp_path / "home"), "page_size": str(page_size)}, environ={}))
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert made.import_paths([path]).inserted == len(records)
    return made


# -- /api/articles ---------------------------------------------------------------------


async def test_first_page_of_articles(sample_app: Storyline, sample_client: httpx.AsyncClient) -> None:
    response = await sample_client.get("/api/articles")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()

    size = sample_app.settings.page_size
    assert body["page"] == 1
    assert body["page_size"] == size
    assert body["next"] == "/api/articles?page=2", "relative: never built from the Host header"
    expected = sample_app.article_page(1)[0]
    assert [a["id"] for a in body["articles"]] == [a.id for a in expected]
    assert len(body["articles"]) == size

    for item, stored in zip(body["articles"], expected, strict=True):
        assert set(item) == SUMMARY_FIELDS
        assert item["title"] == stored.title
        assert item["outlet"] == stored.outlet
        assert item["is_sample"] is True
        assert utc_time(item["published"]) == stored.published
        assert utc_time(item["received"]) == stored.created_at
        assert len(item["excerpt"]) <= 281
        assert " ".join(stored.text.split()).startswith(item["excerpt"].removesuffix("…"))
    published = [utc_time(a["published"]) for a in body["articles"]]
    assert published == sorted(published, reverse=True)


async def test_following_next_visits_every_article_once(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    records = [
        {"title": f"Story {n}", "text": f"Text of story number {n}.", "url": f"https://news.example/{n}",
         "source": "Example News", "published": (start + timedelta(hours=n)).isoformat()}
        for n in range(7)
    ]
    made = small_pages_app(tmp_path, records, page_size=3)
    try:
        titles: list[str] = []
        pages: list[int] = []
        async with client_for(made) as client:
            url: str | None = "/api/articles"
            for _ in range(10):  # bounded: 7 articles at 3 a page is 3 pages
                if url is None:
                    break
                body = (await client.get(url)).json()
                pages.append(body["page"])
                assert body["page_size"] == 3
                titles += [a["title"] for a in body["articles"]]
                url = body["next"]
            past_the_end = (await client.get("/api/articles?page=4")).json()
    finally:
        made.close()

    assert pages == [1, 2, 3]
    assert titles == [f"Story {n}" for n in reversed(range(7))]
    assert past_the_end == {"page": 4, "page_size": 3, "articles": [], "next": None}


async def test_next_keeps_the_other_query_parameters(sample_client: httpx.AsyncClient) -> None:
    body = (await sample_client.get("/api/articles?page=2&format=json")).json()
    assert body["page"] == 2
    assert httpx.URL(body["next"]).params == httpx.QueryParams({"page": "3", "format": "json"})


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("page=0", "page: Input should be greater than or equal to 1"),
        ("page=-3", "page: Input should be greater than or equal to 1"),
        ("page=abc", "page: Input should be a valid integer"),
        ("page=100001", "page: Input should be less than or equal to 100000"),
    ],
)
async def test_an_invalid_page_is_a_422_error(
    sample_client: httpx.AsyncClient, query: str, says: str
) -> None:
    response = await sample_client.get(f"/api/articles?{query}")
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == 422
    assert body["error"]["message"].startswith("Invalid request: ")
    assert says in body["error"]["message"]


# -- /api/articles/{id} ----------------------------------------------------------------


async def test_one_article_in_full(sample_app: Storyline, sample_client: httpx.AsyncClient) -> None:
    stored = sample_app.article_page(1)[0][0]
    response = await sample_client.get(f"/api/articles/{stored.id}")
    assert response.status_code == 200
    body = response.json()

    assert set(body) == DETAIL_FIELDS
    assert body["id"] == stored.id
    assert body["title"] == stored.title
    assert body["text"] == stored.text
    assert body["url"] == stored.url
    assert body["canonical_url"] == stored.canonical_url
    assert body["licence"] == stored.licence
    assert body["authors"] == list(stored.authors)
    assert body["word_count"] == stored.word_count
    assert utc_time(body["published"]) == stored.published
    assert utc_time(body["received"]) == stored.created_at
    assert utc_time(body["updated"]) == stored.updated_at


async def test_an_edited_article_shows_its_earlier_versions(app: Storyline, tmp_path: Path) -> None:
    record = {"title": "Bridge closes", "url": "https://news.example/bridge", "outlet": "Example News",
              "published": "2026-11-20T08:00:00Z", "text": "The old bridge closes on Monday for repairs. " * 8}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    app.import_paths([path])
    edited = {**record, "title": "Bridge closes for a month", "text": "The old bridge closes for a month. " * 8}
    path.write_text(json.dumps(edited) + "\n", encoding="utf-8")
    assert app.import_paths([path]).updated == 1
    [article] = app.article_page(1)[0]

    async with client_for(app) as client:
        revisions = (await client.get(f"/api/articles/{article.id}/revisions")).json()
        page = (await client.get(f"/articles/{article.id}")).text
        missing = await client.get("/api/articles/999999/revisions")

    assert [r["title"] for r in revisions] == ["Bridge closes"]
    assert revisions[0]["text"].startswith("The old bridge closes on Monday")
    assert utc_time(revisions[0]["replaced_at"]) >= utc_time(revisions[0]["stored_at"])
    assert "Edited since it was first published" in page
    assert "“Bridge closes”" in page
    assert missing.status_code == 404


async def test_times_are_utc_whatever_zone_the_input_used(tmp_path: Path) -> None:
    made = small_pages_app(tmp_path, [
        {"title": "Zoned", "text": "A time with an offset.", "published": "2026-03-01T09:30:00+05:30"},
    ], page_size=5)
    try:
        async with client_for(made) as client:
            [item] = (await client.get("/api/articles")).json()["articles"]
            detail = (await client.get(f"/api/articles/{item['id']}")).json()
    finally:
        made.close()
    assert item["published"] == "2026-03-01T04:00:00Z"
    assert detail["published"] == "2026-03-01T04:00:00Z"
    assert item["url"] is None
    assert item["canonical_url"].startswith("urn:storyline:content:")


async def test_a_missing_article_is_a_404_error(sample_client: httpx.AsyncClient) -> None:
    response = await sample_client.get("/api/articles/999999")
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "No article with id 999999."}}


async def test_an_article_id_that_is_not_a_number_is_a_422_error(sample_client: httpx.AsyncClient) -> None:
    response = await sample_client.get("/api/articles/abc")
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "article_id" in message
    assert "valid integer" in message


async def test_unknown_api_addresses_and_methods_answer_in_json(sample_client: httpx.AsyncClient) -> None:
    missing = await sample_client.get("/api/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"status": 404, "message": "There is nothing at this address."}}

    wrong_method = await sample_client.post("/api/articles")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["status"] == 405


# -- /api/stats, /healthz, OpenAPI -----------------------------------------------------


async def test_stats(sample_app: Storyline, sample_client: httpx.AsyncClient) -> None:
    body = (await sample_client.get("/api/stats")).json()
    stats = sample_app.stats()
    assert body["articles"] == stats.articles > 600
    assert body["sample_articles"] == stats.sample_articles == stats.articles
    assert body["outlets"] == stats.outlets
    assert body["sources"] == stats.sources
    assert utc_time(body["newest"]) == stats.newest
    assert utc_time(body["oldest"]) == stats.oldest
    assert stats.oldest is not None
    assert stats.newest is not None
    assert stats.oldest < stats.newest


async def test_stats_of_an_empty_store(app: Storyline) -> None:
    async with client_for(app) as client:
        body = (await client.get("/api/stats")).json()
    assert body == {"articles": 0, "sample_articles": 0, "outlets": 0, "sources": 0,
                    "newest": None, "oldest": None}


async def test_healthz(sample_client: httpx.AsyncClient) -> None:
    body = (await sample_client.get("/healthz")).json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["version"]
    assert utc_time(body["checked_at"]) <= datetime.now(UTC)


async def test_openapi_lists_the_api_and_only_the_api(sample_client: httpx.AsyncClient) -> None:
    response = await sample_client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()

    assert set(schema["paths"]) == {
        "/api/articles", "/api/articles/{article_id}", "/api/articles/{article_id}/revisions", "/api/stats",
        "/api/sources", "/api/stories", "/api/stories/{story_id}", "/healthz",
        "/api/search",
        "/api/entities/{entity_id}",
        "/api/stories/{story_id}/ask", "/api/articles/{article_id}/ask",
        "/api/stories/new",
    }
    assert all(set(ops) == {"get"} for ops in schema["paths"].values())
    error_ref = "#/components/schemas/ErrorResponse"

    def error_schema(path: str, status: str) -> str:
        response = schema["paths"][path]["get"]["responses"][status]
        return response["content"]["application/json"]["schema"]["$ref"]

    # The documented error shapes are the ones the API sends, not FastAPI's defaults.
    assert error_schema("/api/articles/{article_id}", "404") == error_ref
    assert error_schema("/api/articles/{article_id}", "422") == error_ref
    assert error_schema("/api/search", "422") == error_ref
    assert error_schema("/api/search", "503") == error_ref
    assert error_schema("/api/articles", "422") == error_ref
    assert error_schema("/api/stories/{story_id}", "404") == error_ref
    assert error_schema("/api/entities/{entity_id}", "404") == error_ref
    assert error_schema("/api/stories/new", "422") == error_ref
    for path in ("/api/stories/{story_id}/ask", "/api/articles/{article_id}/ask"):
        assert error_schema(path, "404") == error_schema(path, "422") == error_ref
    for path in schema["paths"]:
        assert error_schema(path, "503") == error_ref
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    page_param = schema["paths"]["/api/articles"]["get"]["parameters"][0]
    assert page_param["name"] == "page"
    assert page_param["schema"]["minimum"] == 1


async def test_api_docs_page_is_served(sample_client: httpx.AsyncClient) -> None:
    response = await sample_client.get("/api/docs")
    assert response.status_code == 200
    assert "/api/openapi.json" in response.text


# -- a store that fails ----------------------------------------------------------------


async def test_a_store_that_fails_gives_503_json(tmp_path: Path) -> None:
    # The database file is replaced by garbage after the store opened: every query then
    # fails with "file is not a database", which the store raises as StoreError.
    broken = make_app(load_settings({"home": str(tmp_path / "broken")}, environ={}))
    database = Path(broken.settings.resolved_database_url.removeprefix("sqlite:///"))
    broken.store.close()
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    database.write_bytes(b"this is not a database\n" * 64)
    try:
        async with client_for(broken) as client:
            for path in ("/api/articles", "/api/articles/1", "/api/stats", "/healthz"):
                response = await client.get(path)
                assert response.status_code == 503, path
                assert response.headers["content-type"] == "application/json"
                assert response.json() == UNAVAILABLE
    finally:
        broken.close()
