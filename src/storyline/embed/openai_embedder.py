"""Embeddings from any server that speaks the OpenAI embeddings API (OpenAI, vLLM, llama.cpp, Ollama, ...)."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from storyline.embed.embedder import unit_rows
from storyline.errors import EmbeddingError

__all__ = ["OpenAIEmbedder"]

_BODY_IN_ERROR = 200  # characters of a bad response quoted in the error: enough to recognise it


class OpenAIEmbedder:
    """``POST {base_url}/embeddings`` with ``{"model": ..., "input": [...]}``, ``batch_size`` texts a request.

    Rows are L2-normalised here (servers differ on whether they do). Every failure (connection,
    status, malformed JSON, wrong count or dimension) is an :class:`EmbeddingError` naming the
    URL. ``dimension`` is learnt from the first answer (or one short probe request) unless given,
    and every later answer must match it. Safe to call from several threads (httpx.Client is).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        *,
        dimension: int | None = None,
        batch_size: int = 64,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.batch_size = batch_size
        self._dimension = dimension
        self._lock = threading.Lock()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    @property
    def url(self) -> str:
        """The embeddings endpoint."""
        return f"{self.base_url}/embeddings"

    @property
    def name(self) -> str:
        """``openai:<model>@<base_url>``: one model name on two servers may be two models."""
        return f"openai:{self.model}@{self.base_url}"

    @property
    def dimension(self) -> int:
        """Length of each embedding; asks the server once if it was not given."""
        if self._dimension is None:
            self.embed(["dimension probe"])
        assert self._dimension is not None  # set by embed, or embed raised
        return self._dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings of ``texts``, in their order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        return unit_rows(np.concatenate([self._embed_batch(list(texts[i : i + self.batch_size])) for i in starts]))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> OpenAIEmbedder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        try:
            response = self._client.post(self.url, json={"model": self.model, "input": texts})
        except httpx.HTTPError as exc:
            raise EmbeddingError(
                self.url, f"embedding request failed ({type(exc).__name__}: {exc})",
                "Check that the embedding server is running and embedder_url is right.",
            ) from exc
        if response.status_code >= 400:
            raise EmbeddingError(
                self.url, f"embedding server answered {response.status_code}: {_quote(response.text)}",
                "Check embedder_model and embedder_api_key, and the server's log.",
            )
        try:
            payload = response.json()
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError both
            raise EmbeddingError(self.url, f"embedding server sent invalid JSON: {_quote(response.text)}") from exc
        vectors = self._vectors(payload, len(texts))
        with self._lock:
            if self._dimension is None:
                self._dimension = vectors.shape[1]
        if vectors.shape[1] != self._dimension:
            raise EmbeddingError(
                self.url, f"embedding server sent {vectors.shape[1]} dimensions, expected {self._dimension}",
                "The model behind the server changed; clear cached embeddings or set embedder_model back.",
            )
        return vectors

    def _vectors(self, payload: Any, expected: int) -> np.ndarray:
        """The rows of an embeddings response, in input order, checked for shape and values."""
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise EmbeddingError(self.url, f'embedding response has no "data" list: {_quote(str(payload))}')
        if len(data) != expected:
            raise EmbeddingError(self.url, f"embedding server sent {len(data)} embeddings for {expected} texts")
        # "index" says which input a row belongs to; servers may answer out of order.
        if all(isinstance(item, dict) and isinstance(item.get("index"), int) for item in data):
            data = sorted(data, key=lambda item: item["index"])
            if [item["index"] for item in data] != list(range(expected)):
                raise EmbeddingError(self.url, "embedding response indexes do not match the inputs")
        rows = [item.get("embedding") if isinstance(item, dict) else None for item in data]
        if not all(isinstance(row, list) and row for row in rows):
            raise EmbeddingError(self.url, "an embedding in the response is missing or not a list of numbers")
        if len({len(row) for row in rows}) != 1:  # type: ignore[arg-type]
            raise EmbeddingError(self.url, "embeddings in one response have different lengths")
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # 1e300 becomes inf, refused just below
                vectors = np.array(rows, dtype=np.float32)
                norms = np.linalg.norm(vectors, axis=1) if vectors.ndim == 2 else None
        except (TypeError, ValueError) as exc:
            raise EmbeddingError(self.url, "an embedding in the response holds something other than numbers") from exc
        if norms is None:
            raise EmbeddingError(self.url, "an embedding in the response is not a flat list of numbers")
        if not np.all(np.isfinite(norms)) or not np.all(norms > 0):
            bad = next(i for i, norm in enumerate(norms) if not (math.isfinite(norm) and norm > 0))
            raise EmbeddingError(self.url, f"embedding {bad} in the response is zero or not finite")
        return vectors


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return repr(text[:_BODY_IN_ERROR] + ("…" if len(text) > _BODY_IN_ERROR else ""))
