"""Search: the full-text index on SQLite and PostgreSQL, the reader's words and filters, pages and API."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
import sqlalchemy as sa

from storyline.app import Storyline, make_app
from storyline.config import load_settings
from storyline.errors import InputError
from storyline.reading.search import (
    CANDIDATES,
    MAX_QUERY_CHARS,
    PASSAGE_CHARS,
    marked,
    parse_request,
    passage,
    word_pattern,
)
from storyline.store import SQLStore, migrate, open_store
from storyline.store.engine import create_engines
from storyline.types import (
    ArticleEntity,
    EntityLink,
    EntityType,
    SearchFilters,
    SearchTerms,
    StoryLink,
)
from storyline.web import create_asgi
from tests.test_store_contract import T0, make_article

# What readers type that is query syntax somewhere (FTS5, tsquery, SQL) or no words at all.
HOSTILE = [
    '"', '""', '"unclosed phrase', 'NEAR(', 'NEAR(a b, 3)', "*", "a*", "AND OR", "OR", "AND", "-", "--", ":",
    "title:flood", "a OR", "OR b", "^flood", "flood)", "(flood", "{flood}", "flood -", "' OR 1=1 --",
    "flood; DROP TABLE articles", "\\", "%", "_", "!!flood", "flood & dam", "flood | dam", "flood <-> dam",
    "flood:*", "NOT flood", "\u200bflood\u200b", "flood\x00dam", "\x01\x02\x03", "😀 flood", "ｆｌｏｏｄ",
]


def words(query: str) -> SearchTerms:
    return parse_request(query).terms


def found(store: SQLStore, query: str, **filters: Any) -> list[int]:
    return [m.article_id for m in store.search_matches(words(query), SearchFilters(**filters), limit=CANDIDATES)]


@pytest.fixture
def filled(store: SQLStore) -> SQLStore:
    store.upsert_articles([
        make_article(1, title="River flood closes the old bridge",
                     text="Heavy rain swelled the river. The flood reached the bridge at dawn.", outlet="Valley Post",
                     language="en"),
        make_article(2, title="Dam holds after storm", text="Engineers said the dam held through the storm; "
                     "no flooding downstream.", outlet="Hill Times", language="en",
                     published=T0 + timedelta(days=3)),
        make_article(3, title="Élection municipale à Lyon", text="Les électeurs de Lyon votent dimanche.",
                     outlet="Le Quotidien", language="fr"),
        make_article(4, title="Budget vote delayed", text="The council delayed the budget vote to next week.",
                     outlet="Valley Post", language="en-GB", published=T0 + timedelta(days=10)),
    ])
    return store


# -- the store ------------------------------------------------------------------------------


def test_words_phrases_exclusions_and_or(filled: SQLStore) -> None:
    assert found(filled, "flood") == [1, 2] or found(filled, "flood") == [1, 2][::-1]
    assert found(filled, "flood")[0] == 1, "a title match and two mentions rank first"
    assert set(found(filled, "flooding")) == {1, 2}, "stemmed on both backends"
    assert found(filled, '"old bridge"') == [1]
    assert found(filled, '"bridge old"') == []
    assert found(filled, "flood -dam") == [1]
    assert set(found(filled, "bridge OR budget")) == {1, 4}
    assert found(filled, "river budget") == []
    assert found(filled, "électeurs") == [3]
    if filled.dialect == "sqlite":  # PostgreSQL's english configuration keeps accents (docs/search.md)
        assert found(filled, "election") == [3], "diacritics folded"


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_words_never_syntax(filled: SQLStore, query: str) -> None:
    if not words(query).groups:  # nothing to search for: the reader is told (tests below), nothing runs
        return
    request = parse_request(query)
    matches = filled.search_matches(request.terms, SearchFilters(), limit=10)
    assert filled.count_articles() == 4
    if [w.casefold() for w in re.findall(r"\w+", query)] == ["flood"]:  # the only word: found as a word
        assert {m.article_id for m in matches} == {1, 2}


def test_filters(filled: SQLStore) -> None:
    assert found(filled, "flood", outlet="valley post") == [1]
    assert found(filled, "vote OR flood", outlet="Valley Post") == [1, 4] or \
        set(found(filled, "vote OR flood", outlet="Valley Post")) == {1, 4}
    assert found(filled, "flood", since=T0 + timedelta(days=1)) == [2]
    assert found(filled, "flood", until=T0 + timedelta(days=1)) == [1]
    assert found(filled, "vote", language="en") == [4], "en takes en-GB"
    assert found(filled, "vote", language="fr") == []
    filled.save_article_entities([(2, [EntityLink(None, ArticleEntity("Hill Dam", EntityType.ORGANIZATION),
                                                  (("hill dam", "Hill Dam"),))], [])])
    entity_id = filled.entity_keys()[0][1]
    assert found(filled, "flood", entity_id=entity_id) == [2]
    assert found(filled, "flood", entity_id=entity_id + 1) == []


def test_passages_mark_the_matched_words() -> None:
    pattern = word_pattern(words('flooding "old bridge" -dam'))
    text = "Heavy rain swelled the river. " * 20 + "The Flood reached the old bridge at dawn. " + "Filler. " * 60
    pieces = passage(text, pattern)
    assert [p for p, matched in pieces if matched] == ["Flood", "old", "bridge"]
    assert pieces[0] == ("…", False)
    assert pieces[-1] == ("…", False)
    assert len("".join(p for p, _ in pieces)) <= PASSAGE_CHARS + 2
    assert "".join(p for p, _ in pieces).strip("…") in " ".join(text.split())
    assert marked("Dam floods", pattern) == (("Dam ", False), ("floods", True))
    assert passage("Nothing here.", pattern) == (("Nothing here.", False),)
    assert passage("Nothing here.", word_pattern(words("*"))) == (("Nothing here.", False),)


def test_an_edited_article_is_found_by_its_new_words_only(filled: SQLStore) -> None:
    filled.upsert_articles([make_article(1, title="Bridge reopens", text="Traffic crosses the repaired bridge again.",
                                         content_hash="edited")])
    assert found(filled, "repaired") == [1]
    assert 1 not in found(filled, "rain")
    filled.upsert_articles([make_article(1, title="Bridge reopens", text="Traffic crosses the repaired bridge again.",
                                         content_hash="edited", outlet="Other")])  # same words: index untouched
    assert found(filled, "repaired") == [1]


def test_deleted_articles_leave_the_index(store: SQLStore) -> None:
    store.upsert_articles([make_article(1, title="Sample quake", is_sample=True), make_article(2, title="Real quake")])
    store.delete_sample_articles()
    assert found(store, "quake") == [2]


def test_copies_are_found_once_unless_an_outlet_is_asked_for(filled: SQLStore) -> None:
    from storyline.types import DuplicateLink

    filled.upsert_articles([make_article(5, title="River flood closes the old bridge", outlet="Copy Daily",
                                         text="Heavy rain swelled the river. The flood reached the bridge at dawn.")])
    filled.save_duplicates([DuplicateLink(1, 1, None, None, None), DuplicateLink(5, 1, 1, "exact", 1.0)])
    assert 5 not in found(filled, "flood")
    assert found(filled, "flood", outlet="Copy Daily") == [5]


def test_the_migration_indexes_articles_stored_before_it(store_url: str) -> None:
    store = open_store(store_url)
    store.upsert_articles([make_article(1, title="Lighthouse restored")])
    store.close()
    engines = create_engines(store_url)
    from alembic import command

    with engines.write() as conn:
        command.downgrade(migrate._config(conn), "0009")
    with engines.write() as conn:
        conn.execute(sa.text("UPDATE articles SET title = 'Windmill restored'"))
    engines.dispose()
    store = open_store(store_url)
    assert found(store, "windmill") == [1]
    assert found(store, "lighthouse") == []
    store.close()


# -- the reader's words ---------------------------------------------------------------------


def test_parse_request_cleans_and_caps() -> None:
    long = parse_request("flood " * 5_000)
    assert len(long.query) <= MAX_QUERY_CHARS
    assert long.notices
    assert parse_request("a\x00b\u200bc").query == "a b c"
    assert parse_request('flood "old bridge" -dam rain OR snow').terms == SearchTerms(
        (("flood",), ("old bridge",), ("rain", "snow")), ("dam",))
    assert parse_request("  ").is_empty
    for bad in ({"since": "2024-02-30"}, {"until": "yesterday"}, {"entity": "x"}, {"entity": "0"},
                {"entity": str(2**40)}, {"lang": "english!"}, {"page": "0"}, {"page": "x"},
                {"since": "2024-05-02", "until": "2024-05-01"}):
        with pytest.raises(InputError):
            parse_request("flood", **bad)


# -- the app, pages and API (SQLite and PostgreSQL) -------------------------------------------


RECORDS = [
    {"title": "Ferry strike halts island crossings", "source": "Harbour News", "url": "https://harbour.example/1",
     "published": "2024-05-01T08:00:00Z",
     "text": "Ferry crews walked out on Monday, halting crossings to the islands. The union said the strike "
             "would last two days. Island shops reported empty shelves by evening."},
    {"title": "Islanders stranded as ferry strike enters second day", "source": "Coast Daily",
     "url": "https://coast.example/2", "published": "2024-05-02T08:00:00Z",
     "text": "The ferry strike entered its second day on Tuesday, leaving islanders stranded. Crossings to the "
             "islands stay halted while the union and the operator talk."},
    {"title": "<script>alert('x')</script> Orchard harvest", "source": "Farm <b>Weekly</b>",
     "url": "https://farm.example/3", "published": "2024-04-20T08:00:00Z",
     "text": "Growers said the <script>alert(1)</script> orchard harvest came early this year; apples & pears "
             "filled the sheds."},
]


def _app(tmp_path: Path, database_url: str | None = None) -> Storyline:
    values = {"home": str(tmp_path / "home")}
    if database_url:
        values["database_url"] = database_url
    app = make_app(load_settings(values, environ={}))
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    assert app.import_paths([path]).inserted == len(RECORDS)
    app.wait_for_stories()
    return app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def small_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storyline]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    app = _app(tmp_path, url)
    yield app
    app.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(small_app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_asgi(small_app)),
                                 base_url="http://test") as made:
        yield made


def _ids(body: dict[str, Any]) -> list[int]:
    return [hit["article"]["id"] for group in body["groups"] for hit in group["hits"]]


@pytest.mark.anyio
async def test_api_search_groups_by_story_and_reranks(small_app: Storyline, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/search", params={"q": "ferry strike"})
    assert response.status_code == 200
    body = response.json()
    assert body["matches"] == 2
    assert body["reranked"] is True
    story_ids = {small_app.store.stories_of([i])[i] for i in _ids(body)}
    if len(story_ids) == 1:  # the two reports are one story: one group, linked to it
        [group] = body["groups"]
        assert group["url"] == f"/stories/{story_ids.pop()}"
    assert all(hit["similarity"] is not None for g in body["groups"] for hit in g["hits"])
    assert "<mark>" in body["groups"][0]["hits"][0]["snippet_html"]


@pytest.mark.anyio
async def test_markup_in_articles_is_shown_as_text(client: httpx.AsyncClient) -> None:
    page = await client.get("/search", params={"q": "orchard"})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "<b>Weekly" not in page.text
    assert "&lt;script&gt;" in page.text
    assert re.search(r"<mark>[Oo]rchard</mark>", page.text)
    assert set(re.findall(r"<(/?[a-z]+)[ >]", page.text.split('search-results">')[1].split("</ol>\n<nav")[0])
               ) <= {"li", "/li", "p", "/p", "h2", "/h2", "h3", "/h3", "a", "/a", "span", "/span", "time",
                     "/time", "mark", "/mark", "ol", "/ol"}
    api = (await client.get("/api/search", params={"q": "orchard"})).json()
    hit = api["groups"][0]["hits"][0]
    assert "&lt;script&gt;" in hit["title_html"]
    assert "<script>" not in hit["title_html"]


@pytest.mark.anyio
@pytest.mark.parametrize("query", ["", "   ", "x" * 10_000, '"', "NEAR(", "*", "AND OR", "-", ":", "\x01\x02",
                                   "-flood", "' OR 1=1 --"])
async def test_bad_queries_never_fail(client: httpx.AsyncClient, query: str) -> None:
    page = await client.get("/search", params={"q": query})
    assert page.status_code in {200, 422}
    assert "Search" in page.text
    assert 'name="q"' in page.text
    api = await client.get("/api/search", params={"q": query})
    assert api.status_code in {200, 422}
    if api.status_code == 422:
        assert api.json()["error"]["message"].startswith("q: ")
    if len(query) > MAX_QUERY_CHARS:
        assert f"first {MAX_QUERY_CHARS} characters" in page.text


@pytest.mark.anyio
@pytest.mark.parametrize(("params", "name"), [
    ({"from": "2024-13-01"}, "from"), ({"to": "soon"}, "to"), ({"entity": "abc"}, "entity"),
    ({"entity": "99999999999999999999"}, "entity"), ({"entity": "-4"}, "entity"), ({"entity": "2000000"}, "entity"),
    ({"lang": "<en>"}, "lang"), ({"page": "0"}, "page"), ({"page": "1e9"}, "page"),
])
async def test_bad_filters_are_named(client: httpx.AsyncClient, params: dict[str, str], name: str) -> None:
    page = await client.get("/search", params={"q": "ferry", **params})
    assert page.status_code == 422
    assert "That search could not be run" in page.text
    assert f"{name}: " in page.text
    api = await client.get("/api/search", params={"q": "ferry", **params})
    assert api.status_code == 422
    assert api.json()["error"]["message"].startswith(f"{name}: ")


@pytest.mark.anyio
async def test_filters_on_the_page(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/search", params={"q": "ferry", "outlet": "coast daily"})).json()
    assert [h["article"]["outlet"] for g in body["groups"] for h in g["hits"]] == ["Coast Daily"]
    body = (await client.get("/api/search", params={"q": "ferry OR orchard", "from": "2024-05-02",
                                                    "to": "2024-05-02"})).json()
    assert [h["article"]["title"] for g in body["groups"] for h in g["hits"]] == [RECORDS[1]["title"]]
    unknown = await client.get("/api/search", params={"q": "ferry", "colour": "red"})
    assert unknown.status_code == 200, "unknown parameters are ignored"


@pytest.mark.anyio
async def test_feed_of_a_search_is_valid_rss(client: httpx.AsyncClient) -> None:
    page = await client.get("/search", params={"q": "ferry", "outlet": "Harbour News"})
    link = re.search(r'href="(/search/feed\.xml\?[^"]+)"', page.text)
    assert link, "the page links to its feed"
    feed_response = await client.get(link.group(1).replace("&amp;", "&"))
    assert feed_response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(feed_response.text)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert [e.title for e in feed.entries] == [RECORDS[0]["title"]]
    hostile = feedparser.parse((await client.get("/search/feed.xml", params={"q": "orchard"})).text)
    assert not hostile.bozo
    assert hostile.entries[0].title == RECORDS[2]["title"]
    assert (await client.get("/search/feed.xml")).status_code == 422


@pytest.mark.anyio
async def test_a_merged_story_does_not_break_results(small_app: Storyline, client: httpx.AsyncClient) -> None:
    ids = _ids((await client.get("/api/search", params={"q": "ferry OR orchard"})).json())
    stories = small_app.store.stories_of(ids)
    first = stories[ids[0]]
    others = sorted(set(stories.values()) - {first})
    assert others
    small_app.store.save_story_links([], merges=[(other, first) for other in others])
    body = (await client.get("/api/search", params={"q": "ferry OR orchard"})).json()
    assert sorted(_ids(body)) == sorted(ids)
    assert {g["story_id"] for g in body["groups"]} == {first}
    assert (await client.get("/search", params={"q": "ferry OR orchard"})).status_code == 200
    # An article whose story row points nowhere (a story deleted under it) is listed on its own.
    small_app.store.save_story_links([StoryLink(ids[0], 999_999, 0.0)])
    body = (await client.get("/api/search", params={"q": "ferry OR orchard"})).json()
    assert sorted(_ids(body)) == sorted(ids)


# -- the sample: grouping, entities, pages -------------------------------------------------------


@pytest.fixture
async def sample_client(sample_app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_asgi(sample_app)),
                                 base_url="http://test") as made:
        yield made


@pytest.mark.anyio
async def test_sample_results_are_grouped_by_story_and_paged(sample_app: Storyline,
                                                             sample_client: httpx.AsyncClient) -> None:
    body = (await sample_client.get("/api/search", params={"q": "police"})).json()
    assert body["matches"] > 20
    assert body["next"]
    seen: set[int] = set()
    for group in body["groups"]:
        ids = [h["article"]["id"] for h in group["hits"]]
        assert len(ids) <= 3
        if group["story_id"] is not None:
            assert group["story_id"] not in seen, "a story is one group"
            seen.add(group["story_id"])
            stories = sample_app.store.stories_of(ids)
            assert set(stories.values()) == {group["story_id"]}
    second = (await sample_client.get(body["next"])).json()
    assert second["page"] == 2
    assert not {g["story_id"] for g in second["groups"]} & seen


@pytest.mark.anyio
async def test_sample_entity_filter(sample_app: Storyline, sample_client: httpx.AsyncClient) -> None:
    body = (await sample_client.get("/api/search", params={"q": "police"})).json()
    first = body["groups"][0]["hits"][0]["article"]["id"]
    entity = sample_app.store.article_entities(first)[0]
    filtered = (await sample_client.get("/api/search", params={"q": "police", "entity": str(entity.id)})).json()
    ids = _ids(filtered)
    assert first in ids
    assert all(entity.id in {e.id for e in sample_app.store.article_entities(i)} for i in ids)
    page = await sample_client.get("/search", params={"q": "police", "entity": str(entity.id)})
    assert entity.name in page.text


@pytest.mark.anyio
async def test_every_page_has_the_search_box(sample_client: httpx.AsyncClient) -> None:
    for path in ("/", "/latest", "/sources"):
        page = await sample_client.get(path)
        assert 'role="search"' in page.text
        assert 'action="/search"' in page.text


def test_store_keeps_the_index_through_the_app_store(store: SQLStore) -> None:
    # The contract fixture's article bodies: "Body of article N." — found by their words.
    store.upsert_articles([make_article(n) for n in range(1, 6)])
    assert found(store, '"article 3"') == [3]
    store.upsert_articles([dataclasses.replace(make_article(3), text="Rewritten.", content_hash="x")])
    assert found(store, '"article 3"') == []


@pytest.mark.anyio
async def test_openapi_documents_the_search(sample_client: httpx.AsyncClient) -> None:
    spec = (await sample_client.get("/api/openapi.json")).json()
    operation = spec["paths"]["/api/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "outlet", "from", "to", "entity", "lang", "page"}
    assert "422" in operation["responses"]
    assert "SearchPage" in spec["components"]["schemas"]
