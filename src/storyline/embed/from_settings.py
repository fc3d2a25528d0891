"""Which embedder the settings ask for."""

from __future__ import annotations

from storyline.config import Settings
from storyline.embed.cache import CachedEmbedder, EmbeddingCache, EmbeddingStore
from storyline.embed.embedder import Embedder
from storyline.embed.onnx_embedder import MODEL_DIR, OnnxEmbedder
from storyline.embed.openai_embedder import OpenAIEmbedder
from storyline.embed.sentence_transformers_embedder import SentenceTransformerEmbedder
from storyline.errors import ConfigError

__all__ = ["embedder_from_settings"]


def embedder_from_settings(settings: Settings, cache: EmbeddingStore | None = None) -> Embedder:
    """The embedder named by ``settings.embedder``, behind ``cache`` (default: an in-process LRU).

    Nothing is loaded or contacted here: models open, and servers are asked, on first use.
    """
    embedder: Embedder
    if settings.embedder == "onnx":
        embedder = OnnxEmbedder(settings.embedder_model or MODEL_DIR, threads=settings.embedder_threads)
    elif settings.embedder == "sentence-transformers":
        if not settings.embedder_model:
            raise ConfigError("embedder_model", "the sentence-transformers embedder needs a model folder")
        embedder = SentenceTransformerEmbedder(settings.embedder_model)
    else:
        missing = [name for name in ("embedder_url", "embedder_model") if not getattr(settings, name)]
        if missing:
            raise ConfigError(" and ".join(missing), "the openai embedder needs a base URL and a model name")
        embedder = OpenAIEmbedder(
            settings.embedder_url,
            settings.embedder_model,
            api_key=settings.embedder_api_key or None,
            timeout=settings.fetch_timeout,
        )
    return CachedEmbedder(embedder, EmbeddingCache() if cache is None else cache)
