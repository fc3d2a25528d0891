"""The embed stage: the bundled ONNX model, the cache, and the OpenAI-compatible client on a real loopback server."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import storyline.embed
from storyline.config import load_settings
from storyline.embed import (
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    OnnxEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    embedder_from_settings,
    embedding_text,
    text_key,
)
from storyline.embed.text import LEAD_CHARS
from storyline.errors import ConfigError, EmbeddingError
from tests.httpserver import LocalHTTPServer, Reply, Request, loopback_only

DATA = Path(__file__).with_name("data")
FLOORS = json.loads(Path(__file__).with_name("floors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def onnx() -> OnnxEmbedder:
    """The bundled model, opened once for the module (opening takes ~0.1 s, but why repeat it)."""
    return OnnxEmbedder(threads=2)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- The public surface ---------------------------------------------------------------------


def test_public_surface_is_what_we_meant() -> None:
    assert sorted(storyline.embed.__all__) == [
        "CachedEmbedder", "Embedder", "EmbeddingCache", "EmbeddingStore", "OnnxEmbedder", "OpenAIEmbedder",
        "SentenceTransformerEmbedder", "embedder_from_settings", "embedding_text", "text_key", "unit_rows",
    ]


# --- The bundled ONNX model -----------------------------------------------------------------


def test_paraphrases_are_closer_than_unrelated_sentences(onnx: OnnxEmbedder) -> None:
    rate, paraphrase, football, quake = onnx.embed([
        "The central bank raised interest rates by a quarter of a percentage point on Wednesday.",
        "On Wednesday the Fed increased borrowing costs by 0.25 percentage points.",
        "The striker scored twice as the home side won the cup final.",
        "A magnitude 6.1 earthquake struck off the coast of Japan, damaging hundreds of homes.",
    ])
    # MiniLM scores a close paraphrase ~0.5 and unrelated news ~0: the margin is what matters.
    assert cosine(rate, paraphrase) > 0.4
    assert cosine(rate, paraphrase) > cosine(rate, football) + 0.3
    assert cosine(rate, paraphrase) > cosine(rate, quake) + 0.3
    assert cosine(football, quake) < 0.3


def test_shape_dtype_and_unit_rows(onnx: OnnxEmbedder) -> None:
    vectors = onnx.embed(["One sentence.", "Another, somewhat longer sentence about the news.", ""] * 15)
    assert onnx.dimension == 384
    assert vectors.shape == (45, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx.name.startswith("onnx:all-MiniLM-L6-v2-int8:")


def test_empty_input_gives_zero_rows(onnx: OnnxEmbedder) -> None:
    assert onnx.embed([]).shape == (0, 384)
    assert onnx.embed([]).dtype == np.float32


def test_rows_keep_input_order_whatever_the_length_sort(onnx: OnnxEmbedder) -> None:
    texts = [f"Report number {i}: " + "the council met again " * (i % 7) for i in range(70)]
    together = onnx.embed(texts)
    # Batches are sorted by length and dynamically quantised per batch, so a row may move a
    # little with its batch-mates; it must still be its own text's row, not a neighbour's.
    for i in (0, 13, 41, 69):
        alone = onnx.embed([texts[i]])[0]
        assert cosine(together[i], alone) > 0.99


def test_very_long_input_is_truncated_not_fatal(onnx: OnnxEmbedder) -> None:
    head = "Parliament debated the budget late into the night. " * 40  # far past 128 tokens
    long_a, long_b = onnx.embed([head + "x" * 100_000, head + "Completely different ending. " * 500])
    assert np.all(np.isfinite(long_a))
    assert cosine(long_a, long_b) > 0.999  # only the first 128 tokens count


def test_non_latin_text(onnx: OnnxEmbedder) -> None:
    texts = [
        "東京で大きな地震があり、多くの建物が被害を受けました。",
        "Правительство объявило о новых мерах поддержки фермеров.",
        "أعلنت الحكومة عن إجراءات جديدة لدعم المزارعين",
        "🔥🔥🔥 \u200b\ufeff",
        "\x00\x01 control characters",
    ]
    vectors = onnx.embed(texts)
    assert vectors.shape == (5, 384)
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_agrees_with_the_torch_reference(onnx: OnnxEmbedder) -> None:
    """Quality gate: the shipped int8 model against torch fp32 embeddings made by `make model`."""
    reference = json.loads((DATA / "embed_reference.json").read_text(encoding="utf-8"))["rows"]
    assert len(reference) >= 20
    vectors = onnx.embed([row["text"] for row in reference])
    expected = np.array([row["embedding"] for row in reference], dtype=np.float32)
    scores = [cosine(got, want) for got, want in zip(vectors, expected, strict=True)]
    floor = FLOORS["floors"]["embedding_min_cosine"]["value"]
    worst = min(range(len(scores)), key=scores.__getitem__)
    assert scores[worst] >= floor, f"cosine {scores[worst]:.4f} < floor {floor} on {reference[worst]['text']!r}"


def test_safe_from_several_threads() -> None:
    embedder = OnnxEmbedder(threads=1)  # fresh: the lazy load itself is raced
    texts = [f"Story {i} about the election results in district {i}." for i in range(40)]
    expected = embedder.embed(texts)  # what one thread gets, to compare against
    fresh = OnnxEmbedder(threads=1)
    results: dict[int, np.ndarray] = {}

    def work(n: int) -> None:
        results[n] = fresh.embed(texts)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got in results.values():
        np.testing.assert_allclose(got, expected, atol=1e-6)


def test_missing_model_folder_is_an_embedding_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match=r"model\.onnx: embedding model file is missing"):
        OnnxEmbedder(tmp_path).embed(["text"])


def test_broken_model_file_is_an_embedding_error(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    (tmp_path / "tokenizer.json").write_bytes((OnnxEmbedder().model_dir / "tokenizer.json").read_bytes())
    with pytest.raises(EmbeddingError, match="cannot load ONNX model"):
        OnnxEmbedder(tmp_path).embed(["text"])


# --- What gets embedded ---------------------------------------------------------------------


def test_embedding_text_is_title_and_lead() -> None:
    body = "Rescuers searched the rubble on Tuesday. " * 100
    text = embedding_text("Quake hits coastal town", body)
    assert text.startswith("Quake hits coastal town. Rescuers searched the rubble on Tuesday.")
    assert len(text) <= len("Quake hits coastal town. ") + LEAD_CHARS
    assert text.endswith("Tuesday.") or not text.endswith(" ")


def test_embedding_text_does_not_repeat_a_title_the_body_starts_with() -> None:
    assert embedding_text("Storm closes schools", "Storm closes schools\n\nAll schools shut.") == (
        "Storm closes schools. All schools shut."
    )
    assert embedding_text("Is it over?", "Officials said no.") == "Is it over? Officials said no."


def test_embedding_text_with_parts_missing() -> None:
    assert embedding_text(None, "  Only a body.  ") == "Only a body."
    assert embedding_text("Only a title", None) == "Only a title"
    assert embedding_text(None, None) == ""
    assert embedding_text("", "x" * 5000) == "x" * LEAD_CHARS  # no space to cut at: cut anyway


# --- The cache ------------------------------------------------------------------------------


class CountingEmbedder:
    """Wraps an embedder and remembers every batch it was asked for."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.embed(texts)


def test_cache_hits_avoid_recomputation(onnx: OnnxEmbedder) -> None:
    counting = CountingEmbedder(onnx)
    cached = CachedEmbedder(counting)
    first = cached.embed(["Alpha news.", "Beta news.", "Alpha news."])
    assert counting.calls == [["Alpha news.", "Beta news."]]  # the repeat inside one call, too
    second = cached.embed(["Beta news.", "Gamma news.", "Alpha news."])
    assert counting.calls[1] == ["Gamma news."]
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    assert (cached.misses, cached.hits) == (3, 3)
    assert cached.name == onnx.name
    assert cached.dimension == 384
    assert cached.embed([]).shape == (0, 384)


def test_cache_is_per_embedder_name(onnx: OnnxEmbedder) -> None:
    shared = EmbeddingCache()
    other = CountingEmbedder(FakeEmbedder("fake:a"))
    CachedEmbedder(onnx, shared).embed(["Same text."])
    CachedEmbedder(other, shared).embed(["Same text."])
    assert other.calls == [["Same text."]]  # another model's vector is not this model's


def test_cache_forgets_least_recently_used() -> None:
    cache = EmbeddingCache(max_entries=2)
    a, b, c = (text_key(t) for t in "abc")
    cache.put_many("n", {a: np.ones(2, np.float32), b: np.ones(2, np.float32)})
    cache.get_many("n", [a])  # a is now newer than b
    cache.put_many("n", {c: np.ones(2, np.float32)})
    assert set(cache.get_many("n", [a, b, c])) == {a, c}
    assert len(cache) == 2


def test_a_store_backed_mapping_plugs_in() -> None:
    class DictStore:
        def __init__(self) -> None:
            self.rows: dict[tuple[str, bytes], np.ndarray] = {}

        def get_many(self, namespace: str, keys: Any) -> dict[bytes, np.ndarray]:
            return {k: self.rows[(namespace, k)] for k in keys if (namespace, k) in self.rows}

        def put_many(self, namespace: str, vectors: Any) -> None:
            self.rows.update({(namespace, k): v for k, v in vectors.items()})

    store = DictStore()
    CachedEmbedder(FakeEmbedder("fake:b"), store).embed(["one", "two"])
    counting = CountingEmbedder(FakeEmbedder("fake:b"))
    CachedEmbedder(counting, store).embed(["two", "one"])  # a later run, the same store
    assert counting.calls == []
    assert {ns for ns, _ in store.rows} == {"fake:b"}


class FakeEmbedder:
    """A deterministic 4-dimensional embedder for cache tests."""

    dimension = 4

    def __init__(self, name: str) -> None:
        self.name = name

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.array([[len(t) + 1, t.count("e"), 1, 0] for t in texts], dtype=np.float32).reshape(-1, 4)
        return storyline.embed.unit_rows(rows)


# --- From settings --------------------------------------------------------------------------


def test_settings_default_to_the_bundled_onnx_model_cached() -> None:
    embedder = embedder_from_settings(load_settings(environ={}))
    assert isinstance(embedder, CachedEmbedder)
    assert isinstance(embedder.embedder, OnnxEmbedder)
    assert embedder.embed(["Settings work."]).shape == (1, 384)


def test_settings_pick_openai_and_sentence_transformers() -> None:
    openai = embedder_from_settings(load_settings(
        {"embedder": "openai", "embedder_url": "http://127.0.0.1:9/v1", "embedder_model": "m"}, environ={}
    ))
    assert isinstance(openai, CachedEmbedder)
    assert openai.name == "openai:m@http://127.0.0.1:9/v1"
    st = embedder_from_settings(load_settings(
        {"embedder": "sentence-transformers", "embedder_model": "/models/x"}, environ={}
    ))
    assert st.name == "sentence-transformers:/models/x"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"embedder": "openai"}, "embedder_url and embedder_model"),
        ({"embedder": "openai", "embedder_url": "http://127.0.0.1:9/v1"}, "embedder_model"),
        ({"embedder": "sentence-transformers"}, "needs a model folder"),
    ],
)
def test_settings_missing_what_an_embedder_needs(overrides: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        embedder_from_settings(load_settings(overrides, environ={}))


@pytest.mark.parametrize(("name", "value"), [("embedder", "word2vec"), ("embedder_threads", "-1")])
def test_bad_embedder_settings_are_config_errors(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, environ={})


def test_api_key_stays_out_of_repr() -> None:
    settings = load_settings({"embedder_api_key": "sk-secret"}, environ={})
    assert settings.embedder_api_key == "sk-secret"
    assert "sk-secret" not in repr(settings)


# --- sentence-transformers --------------------------------------------------------------------


def test_sentence_transformers_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if not installed
    embedder = SentenceTransformerEmbedder(tmp_path)
    with pytest.raises(EmbeddingError, match="needs the sentence-transformers package") as caught:
        embedder.embed(["text"])
    assert "set embedder to onnx" in str(caught.value)
    assert isinstance(caught.value.__cause__, ImportError)


# --- The OpenAI-compatible client against a real server ------------------------------------------


def fake_vector(text: str, dimension: int) -> list[float]:
    """Deterministic, not normalised (the client must normalise)."""
    rng = np.random.default_rng(int.from_bytes(text_key(text)[:8], "little"))
    return [float(x) for x in rng.normal(size=dimension) * 7.0]


def embeddings_route(dimension: int = 8, *, shuffle: bool = True, calls: list[dict] | None = None) -> Any:
    def route(request: Request) -> Reply:
        body = json.loads(request.body)
        if calls is not None:
            calls.append({"body": body, "auth": request.headers.get("Authorization")})
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(text, dimension)}
            for i, text in enumerate(body["input"])
        ]
        if shuffle:  # servers may answer out of order; "index" says which is which
            data.reverse()
        payload = {"object": "list", "model": body["model"], "data": data, "usage": {"prompt_tokens": 1}}
        return Reply(body=json.dumps(payload), content_type="application/json")

    return route


@pytest.fixture
def api(http_server: LocalHTTPServer, request: pytest.FixtureRequest) -> Iterator[tuple[LocalHTTPServer, str]]:
    """The session's loopback server and a base URL of this test's own."""
    base = f"/openai-{request.node.name.replace('[', '-').rstrip(']')}/v1"
    with loopback_only():
        yield http_server, base


@pytest.fixture
def openai() -> Iterator[Any]:
    """Makes OpenAIEmbedders and closes them after the test (an open pool is a ResourceWarning)."""
    made: list[OpenAIEmbedder] = []

    def make(*args: Any, **kwargs: Any) -> OpenAIEmbedder:
        made.append(OpenAIEmbedder(*args, **kwargs))
        return made[-1]

    yield make
    for embedder in made:
        embedder.close()


def test_openai_embeddings_round_trip(openai: Any, api: tuple[LocalHTTPServer, str]) -> None:
    server, base = api
    calls: list[dict] = []
    server.add(base + "/embeddings", embeddings_route(calls=calls))
    embedder = openai(server.url(base), "nomic-embed", api_key="sk-test", timeout=5, batch_size=3)
    texts = [f"text {i}" for i in range(7)]
    vectors = embedder.embed(texts)
    assert vectors.shape == (7, 8)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    expected = np.array(fake_vector("text 5", 8))
    assert cosine(vectors[5], expected) == pytest.approx(1.0, abs=1e-6)  # right row, despite reversed data
    assert [len(c["body"]["input"]) for c in calls] == [3, 3, 1]
    assert calls[0]["body"]["model"] == "nomic-embed"
    assert calls[0]["auth"] == "Bearer sk-test"
    assert embedder.dimension == 8
    assert embedder.embed([]).shape == (0, 8)


def test_openai_dimension_is_asked_for_when_unknown(openai: Any, api: tuple[LocalHTTPServer, str]) -> None:
    server, base = api
    server.add(base + "/embeddings", embeddings_route(dimension=5))
    embedder = openai(server.url(base), "m", timeout=5)
    assert embedder.dimension == 5
    assert embedder.embed([]).shape == (0, 5)


def test_openai_without_key_sends_no_authorization(openai: Any, api: tuple[LocalHTTPServer, str]) -> None:
    server, base = api
    calls: list[dict] = []
    server.add(base + "/embeddings", embeddings_route(calls=calls))
    openai(server.url(base), "m", timeout=5).embed(["x"])
    assert calls[0]["auth"] is None


def json_reply(payload: Any) -> Reply:
    return Reply(body=json.dumps(payload), content_type="application/json")


def one_row(*values: Any) -> Reply:
    return json_reply({"data": [{"index": 0, "embedding": list(values)}]})


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (Reply(status=500, body="upstream model crashed"), "answered 500: 'upstream model crashed'"),
        (Reply(status=401, body='{"error": "bad key"}'), "answered 401"),
        (Reply(status=404, body="no such route"), "answered 404"),
        (Reply(body="{not json", content_type="application/json"), "invalid JSON"),
        (Reply(body=b"\xff\xfe\x00garbage", content_type="application/json"), "invalid JSON"),
        (json_reply({"object": "list"}), 'no "data" list'),
        (json_reply(["a", "list"]), 'no "data" list'),
        (json_reply({"data": None}), 'no "data" list'),
        (json_reply({"data": []}), "0 embeddings for 1 texts"),
        (json_reply({"data": [{"index": 0}]}), "missing or not a list"),
        (json_reply({"data": [{"index": 0, "embedding": "base64stuff"}]}), "missing or not a list"),
        (json_reply({"data": [{"index": 0, "embedding": []}]}), "missing or not a list"),
        (json_reply({"data": [{"index": 3, "embedding": [1.0]}]}), "indexes do not match"),
        (json_reply({"data": ["not an object"]}), "missing or not a list"),
        (one_row(1.0, "two", 3.0), "other than numbers"),
        (one_row([1.0], [2.0]), "not a flat list"),
        (one_row(0.0, 0.0, 0.0), "zero or not finite"),
        (one_row(1e300, 1.0), "zero or not finite"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_openai_hostile_responses_are_embedding_errors(
    openai: Any, api: tuple[LocalHTTPServer, str], reply: Reply, match: str
) -> None:
    server, base = api
    server.add(base + "/embeddings", reply)
    embedder = openai(server.url(base), "m", timeout=5)
    with pytest.raises(EmbeddingError, match=match) as caught:
        embedder.embed(["one text"])
    assert server.url(base + "/embeddings") in str(caught.value)


def test_openai_wrong_dimension_is_an_embedding_error(openai: Any, api: tuple[LocalHTTPServer, str]) -> None:
    server, base = api
    server.add(base + "/embeddings", embeddings_route(dimension=8))
    with pytest.raises(EmbeddingError, match="sent 8 dimensions, expected 384"):
        openai(server.url(base), "m", timeout=5, dimension=384).embed(["x"])
    learnt = openai(server.url(base), "m", timeout=5)
    learnt.embed(["x"])
    server.add(base + "/embeddings", embeddings_route(dimension=9))  # the model behind the server changed
    with pytest.raises(EmbeddingError, match="sent 9 dimensions, expected 8"):
        learnt.embed(["y"])


def test_openai_rows_of_different_lengths(openai: Any, api: tuple[LocalHTTPServer, str]) -> None:
    server, base = api
    server.add(base + "/embeddings", json_reply({"data": [
        {"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0, 2.0, 3.0]},
    ]}))
    with pytest.raises(EmbeddingError, match="different lengths"):
        openai(server.url(base), "m", timeout=5).embed(["a", "b"])


def test_openai_unreachable_and_slow_servers(openai: Any, http_server: LocalHTTPServer) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with loopback_only(), pytest.raises(EmbeddingError, match=r"embedding request failed .*ConnectError"):
        openai(f"http://127.0.0.1:{port}/v1", "m", timeout=2).embed(["x"])
    http_server.add("/openai-stall/v1/embeddings", lambda request: _stall(request, 3))
    with loopback_only(), pytest.raises(EmbeddingError, match="ReadTimeout"):
        openai(http_server.url("/openai-stall/v1"), "m", timeout=0.5).embed(["x"])


def _stall(request: Request, seconds: float) -> None:
    request.stopping.wait(seconds)
    request.handler.close_connection = True
