"""The web app and API against a hostile client: huge ids, forged Host headers, wrong methods,
and what every response must carry (issue 16's defects 6-9 and 12)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import structlog

from storyline.app import Storyline, make_app
from storyline.config import load_settings
from tests.test_api import client_for

pytestmark = pytest.mark.anyio

HUGE_IDS = ("9223372036854775808", "9223372036854775807", "2147483648", "99999999999999999999999", "0", "-1")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(sample_app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sample_app) as made:
        yield made


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize(
    ("template", "status"),
    [("/articles/{}", 404), ("/stories/{}", 404), ("/api/articles/{}", 422), ("/api/stories/{}", 422),
     ("/api/articles/{}/revisions", 422)],
)
async def test_ids_out_of_range_are_not_found_never_a_server_error(
    client: httpx.AsyncClient, template: str, status: int, number: str
) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await client.get(template.format(number))
    assert response.status_code == status
    assert not [entry for entry in logs if entry.get("log_level") in ("error", "exception", "critical")]


async def test_a_wrong_method_says_which_are_allowed(client: httpx.AsyncClient) -> None:
    for path in ("/", "/api/articles", "/stories/1", "/healthz"):
        response = await client.post(path)
        assert response.status_code == 405
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert "GET" in allowed, path


async def test_a_forged_host_header_never_reaches_a_link_or_redirect(client: httpx.AsyncClient) -> None:
    forged = {"host": "evil.example"}
    listing = await client.get("/api/articles", headers=forged)
    assert listing.json()["next"] == "/api/articles?page=2"
    stories = await client.get("/api/stories", headers=forged)
    next_stories = stories.json()["next"]
    assert next_stories is None or next_stories == "/api/stories?page=2"
    redirect = await client.get("/static", headers=forged)
    assert redirect.status_code in (301, 307, 308)
    assert "evil.example" not in redirect.headers["location"]
    assert redirect.headers["location"].startswith("/static/")
    for path in ("/", "/latest", "/api/docs"):
        page = await client.get(path, headers=forged)
        assert "evil.example" not in page.text, path


async def test_links_use_the_base_url_setting(tmp_path: Path) -> None:
    records = [{"title": f"Report {i}", "text": f"Text number {i} of the reports.", "url": f"https://x.example/{i}"}
               for i in range(3)]
    made = make_app(load_settings({"home": str(tmp_path / "home"), "page_size": "1",
                                   "base_url": "https://news.example.org/"}, environ={}))
    try:
        path = tmp_path / "a.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        made.import_paths([path])
        async with client_for(made) as client:
            body = (await client.get("/api/articles", headers={"host": "evil.example"})).json()
            redirect = await client.get("/static", headers={"host": "evil.example"})
    finally:
        made.close()
    assert body["next"] == "https://news.example.org/api/articles?page=2"
    assert redirect.headers["location"] == "https://news.example.org/static/"


async def test_imported_files_paths_are_not_shown(client: httpx.AsyncClient, sample_app: Storyline) -> None:
    assert any(s.url.startswith("file:") for s in sample_app.sources()), "the sample is imported from files"
    sources = (await client.get("/api/sources")).json()
    assert all(not s["url"].startswith("file:") for s in sources)
    page = await client.get("/sources")
    assert "file://" not in page.text


@pytest.mark.parametrize("path", ["/api/articles", "/api/stories", "/api/articles/1", "/api/docs",
                                  "/api/openapi.json", "/healthz", "/api/articles/999999", "/static/style.css",
                                  "/", "/stories/1"])
async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, follow_redirects=False)
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    if path.startswith("/api/") and path != "/api/docs":
        assert "default-src 'none'" in policy


async def test_api_docs_still_work_under_their_policy(client: httpx.AsyncClient) -> None:
    docs = await client.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/docs-static/" in docs.text, "Swagger UI's files come from our own origin"


def test_fetched_kinds_cover_every_source_kind_but_files() -> None:
    from storyline.api.schemas import FETCHED_KINDS
    from storyline.types import SourceKind

    assert {k for k in SourceKind if k not in FETCHED_KINDS} == {SourceKind.FILE, SourceKind.SAMPLE}
