"""Ask a story through every interface (Storyline.ask, the API, the web pages, `storyline ask`), and LLM
summaries written in the background, on a real SQLite store holding the seed page's four reports.

The LLM is tests/chatserver.py on 127.0.0.1; its scripted "model" repeats the sources it is sent, with
their numbers, or says something they do not support.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from storyline.app import MAX_QUESTION, Storyline, make_app
from storyline.config import load_settings
from storyline.errors import InputError
from storyline.summarize.support import supported
from tests.chatserver import ChatServer
from tests.conftest import CORPORA
from tests.httpserver import loopback_only
from tests.test_api import client_for
from tests.test_extract_cli import SCRIPT, clean_env

SEED = CORPORA / "news" / "seed" / "aggregator-page.txt"
QUESTION = "What did Zelenskyy say about Europe?"
SOURCE_LINK = re.compile(r'<a class="cite" href="(/articles/(\d+)\?s=(\d+)#cited)"[^>]*>\[source\]</a>')


def ask_box(page: str) -> str:
    """The ask box of a page (its other sections have citation links too)."""
    start = page.index('<section class="ask" id="answer"')
    return page[start:page.index("</section>", start)]


def _sources(chat: dict[str, Any]) -> list[tuple[int, str]]:
    user = next(m["content"] for m in chat["messages"] if m["role"] == "user")
    return [(int(n), text) for n, text in re.findall(r"^\[(\d+)\] (.*)$", user, re.MULTILINE)]


def echo(chat: dict[str, Any]) -> str:
    """A faithful model: the first three sources, each citing itself."""
    return "\n".join(f"{text} [{n}]" for n, text in _sources(chat)[:3])


@pytest.fixture(scope="module")
def seed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ask-home")
    app = make_app(load_settings({"home": str(home)}, environ={}))
    try:
        app.import_paths([SEED])
        app.wait_for_stories()
    finally:
        app.close()
    return home


@pytest.fixture
def seed_app(seed_home: Path) -> Iterator[Storyline]:
    app = make_app(load_settings({"home": str(seed_home)}, environ={}))
    yield app
    app.close()


def _story_of(app: Storyline, title: str = "Kremlin says") -> int:
    first = next(a for a in app.store.latest_articles(limit=10) if a.title.startswith(title))
    return app.store.stories_of([first.id])[first.id]


def test_storyline_ask_answers_from_the_story_with_citations(seed_app: Storyline) -> None:
    story_id = _story_of(seed_app)
    asked = seed_app.ask(story_id, QUESTION)
    assert asked is not None
    assert asked.story_id == story_id
    assert asked.answer.known
    assert any("Zelenskyy" in s.text and "Europe" in s.text for s in asked.answer.sentences)
    for sentence in asked.answer.sentences:
        cite = sentence.cites[0]
        article = seed_app.article(int(cite.article))
        assert article is not None
        assert article.text[cite.start:cite.end] == cite.text == sentence.text
        assert asked.article(cite.article) == article
    assert not seed_app.ask(story_id, "What is the boiling point of mercury?").answer.known
    assert seed_app.ask(999_999, QUESTION) is None
    with pytest.raises(InputError):
        seed_app.ask(story_id, " \n ")


def test_an_articles_question_is_asked_of_its_story(seed_app: Storyline) -> None:
    story_id = _story_of(seed_app)
    article = next(a for a in seed_app.store.story_articles(story_id) if not a.title.startswith("Kremlin says"))
    asked = seed_app.ask_article(article.id, QUESTION)
    assert asked is not None
    assert asked.story_id == story_id
    assert asked.answer == seed_app.ask(story_id, QUESTION).answer
    assert seed_app.ask_article(999_999, QUESTION) is None


# -- the API and the pages --------------------------------------------------------------------------


@pytest.fixture
async def client(seed_app: Storyline) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(seed_app) as made:
        yield made


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_api_ask_gives_cited_sentences_or_i_dont_know(client: httpx.AsyncClient, seed_app: Storyline) -> None:
    story_id = _story_of(seed_app)
    found = await client.get(f"/api/stories/{story_id}/ask", params={"q": QUESTION})
    assert found.status_code == 200
    body = found.json()
    assert body["known"] is True
    assert body["method"] == "extractive"
    assert body["story_id"] == story_id
    assert body["question"] == QUESTION
    for sentence in body["answer"]:
        (cite,) = sentence["cites"]
        assert set(cite) == {"id", "sentence", "index", "start", "end"}
        assert cite["sentence"] == sentence["sentence"]
    unknown = (await client.get(f"/api/stories/{story_id}/ask", params={"q": "Who painted the Mona Lisa?"})).json()
    assert unknown["known"] is False
    assert unknown["answer"] == []
    article_id = body["answer"][0]["cites"][0]["id"]
    by_article = await client.get(f"/api/articles/{article_id}/ask", params={"q": QUESTION})
    assert by_article.status_code == 200
    assert by_article.json() == body


@pytest.mark.anyio
async def test_api_ask_refuses_bad_questions_and_unknown_ids(client: httpx.AsyncClient, seed_app: Storyline) -> None:
    story_id = _story_of(seed_app)
    for path in (f"/api/stories/{story_id}/ask", f"/api/articles/{story_id}/ask"):
        for q in ("", "   ", "\x00\x01\x7f", "x" * 10_000, "y" * (MAX_QUESTION + 1)):
            response = await client.get(path, params={"q": q})
            assert response.status_code == 422, (path, q[:20])
            assert set(response.json()) == {"error"}
        assert (await client.get(path)).status_code == 422  # no q at all
    for path in ("/api/stories/999999/ask", "/api/articles/999999/ask"):
        response = await client.get(path, params={"q": QUESTION})
        assert response.status_code == 404
        assert "999999" in response.json()["error"]["message"]
    assert (await client.get(f"/api/stories/{2**40}/ask", params={"q": QUESTION})).status_code == 422
    for q in ('"Zelenskyy" NEAR(Europe)', "Zelenskyy* OR 1=1; --", "Europe\x00\u202e said \x1b[31m Zelenskyy",
              "z" * MAX_QUESTION):
        response = await client.get(f"/api/stories/{story_id}/ask", params={"q": q})
        assert response.status_code == 200, q[:30]
        assert "\x00" not in response.json()["question"]
        assert "\x1b" not in response.json()["question"]


@pytest.mark.anyio
async def test_the_story_page_asks_and_escapes_the_question(client: httpx.AsyncClient, seed_app: Storyline) -> None:
    story_id = _story_of(seed_app)
    plain = await client.get(f"/stories/{story_id}")
    assert '<form class="ask-form"' in plain.text
    assert 'method="get"' in plain.text
    page = await client.get(f"/stories/{story_id}", params={"q": QUESTION})
    assert page.status_code == 200
    links = SOURCE_LINK.findall(ask_box(page.text))
    assert links, "the answer links each sentence to where it was said"
    expected = seed_app.ask(story_id, QUESTION)
    assert expected is not None
    assert len(links) == sum(len(s.cites) for s in expected.answer.sentences)
    hostile = '<script>alert("x")</script> Zelenskyy Europe'
    page = await client.get(f"/stories/{story_id}", params={"q": hostile})
    assert "<script>alert" not in page.text
    assert html.escape(hostile, quote=True).replace("&#x27;", "&#39;") in page.text or "&lt;script&gt;" in page.text
    unknown = await client.get(f"/stories/{story_id}", params={"q": "Who painted the Mona Lisa?"})
    assert "I don't know" in html.unescape(ask_box(unknown.text))
    assert not SOURCE_LINK.findall(ask_box(unknown.text))
    too_long = await client.get(f"/stories/{story_id}", params={"q": "x" * 10_000})
    assert too_long.status_code == 200
    assert "longer than 500 characters" in too_long.text
    assert "x" * 501 not in too_long.text


@pytest.mark.anyio
async def test_the_article_page_asks_its_story(client: httpx.AsyncClient, seed_app: Storyline) -> None:
    story_id = _story_of(seed_app)
    article = seed_app.store.story_articles(story_id)[-1]
    page = await client.get(f"/articles/{article.id}", params={"q": QUESTION})
    assert page.status_code == 200
    assert f'action="/articles/{article.id}#answer"' in page.text
    links = SOURCE_LINK.findall(ask_box(page.text))
    assert links
    _, article_id, index = links[0]
    opened = await client.get(f"/articles/{article_id}", params={"s": index})
    assert '<mark id="cited"' in opened.text


# -- the command line --------------------------------------------------------------------------------


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), "--home", str(home), *args], capture_output=True, text=True,
                          env=clean_env(), timeout=180, check=False, cwd=home)


def test_storyline_ask_command(seed_home: Path) -> None:
    app = make_app(load_settings({"home": str(seed_home)}, environ={}))
    try:
        story_id = _story_of(app)
    finally:
        app.close()
    result = _run(seed_home, "ask", str(story_id), QUESTION, "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["known"]
    assert body["answer"]
    assert body["answer"][0]["cites"][0]["id"]
    readable = _run(seed_home, "ask", str(story_id), QUESTION)
    assert readable.returncode == 0
    assert "Zelenskyy" in readable.stdout
    assert "#" in readable.stdout
    unknown = _run(seed_home, "ask", str(story_id), "Who painted the Mona Lisa?")
    assert unknown.returncode == 0
    assert "I don't know" in unknown.stdout
    for args in (("999999", QUESTION), (str(story_id), "   "), (str(story_id), "x" * 10_000), ("abc", QUESTION)):
        failed = _run(seed_home, "ask", *args)
        assert failed.returncode != 0
        assert "Traceback" not in failed.stderr
    assert "no such story" in _run(seed_home, "ask", "999999", QUESTION).stderr
    assert "empty" in _run(seed_home, "ask", str(story_id), "   ").stderr


# -- LLM answers and summaries in the product --------------------------------------------------------


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer(echo).start()
    try:
        with loopback_only():
            yield server
    finally:
        server.stop()


@pytest.fixture
def llm_app(seed_home: Path, tmp_path: Path, chat: ChatServer) -> Iterator[Storyline]:
    """The seed store, copied, with llm_url set to the chat server."""
    home = tmp_path / "home"
    home.mkdir()
    for path in seed_home.iterdir():
        if path.is_file():
            (home / path.name).write_bytes(path.read_bytes())
    app = make_app(load_settings({"home": str(home), "llm_url": chat.base_url, "llm_model": "scripted",
                                  "llm_timeout": "2"}, environ={}))
    yield app
    app.close()


def test_with_llm_url_the_answer_is_written_by_the_model_under_check(llm_app: Storyline, chat: ChatServer) -> None:
    story_id = _story_of(llm_app)
    asked = llm_app.ask(story_id, QUESTION)
    assert asked is not None
    assert asked.answer.method == "llm:scripted"
    assert all(supported(s.text, [c.text for c in s.cites]).supported for s in asked.answer.sentences)
    chat.mode = "garbage"
    with capture_logs() as logs:
        fallback = llm_app.ask(story_id, QUESTION)
    assert fallback is not None
    assert fallback.answer.method == "extractive"
    assert fallback.answer.known
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["llm_failed"]


def test_a_story_page_gets_its_llm_summary_in_the_background(llm_app: Storyline, chat: ChatServer) -> None:
    story_id = _story_of(llm_app)
    first = llm_app.story(story_id)
    assert first is not None
    assert first.summary is not None
    assert first.summary.method == "extractive", "the page never waits for the model"
    assert llm_app.wait_for_llm_summaries()
    later = llm_app.story(story_id)
    assert later is not None
    assert later.summary is not None
    assert later.summary.method == "llm:scripted"
    assert later.summary.basis == first.summary.basis
    assert later.summary.timeline == first.summary.timeline
    assert 2 <= len(later.summary.sentences) <= 6
    for sentence in later.summary.sentences:
        assert sentence.cites
        assert supported(sentence.text, [c.text for c in sentence.cites]).supported
    asked = len(chat.chats)
    llm_app.story(story_id)
    assert llm_app.wait_for_llm_summaries()
    assert len(chat.chats) == asked, "written once per basis"


def test_unsupported_llm_summaries_are_not_stored(llm_app: Storyline, chat: ChatServer) -> None:
    chat.answer = lambda request: "\n".join(
        f"The summit was cancelled after {n} people died [{n}]." for n, _ in _sources(request)[:4])
    story_id = _story_of(llm_app)
    with capture_logs() as logs:
        assert not llm_app.write_llm_summary(story_id)
    assert sum(e["event"] == "llm_sentence_dropped" for e in logs) == 4
    view = llm_app.story(story_id)
    assert view is not None
    assert view.summary is not None
    assert view.summary.method == "extractive"


@pytest.mark.parametrize("mode", ["error", "garbage", "oversize", "stall"])
def test_a_failing_endpoint_keeps_the_extractive_summary_with_one_warning(
        llm_app: Storyline, chat: ChatServer, mode: str) -> None:
    chat.mode = mode
    story_ids = sorted({_story_of(llm_app, title) for title in ("Kremlin says", "Zelensky", "Trump")
                        if any(a.title.startswith(title) for a in llm_app.store.latest_articles(limit=10))})
    with capture_logs() as logs:
        for story_id in story_ids * 2:
            view = llm_app.story(story_id)
            assert view is not None
            assert view.summary is not None
            assert view.summary.method == "extractive"
            assert llm_app.wait_for_llm_summaries(timeout=10)
    warnings = [e for e in logs if e["log_level"] in ("warning", "error", "critical")]
    assert [e["event"] for e in warnings] == ["llm_summary_failed"], "one line, then a pause"
    assert "exc_info" not in warnings[0]
    assert len(chat.chats) == 1
