"""Embedding stage: sentence embeddings of articles, batched and cached, offline by default.

``embedding_text(title, text)`` is what of an article gets embedded (title + lead: the model
reads 128 tokens). An :class:`Embedder` turns texts into unit-length float32 rows:

- :class:`OnnxEmbedder`, the default: all-MiniLM-L6-v2 (384 dimensions) shipped in
  ``embed/model/`` as int8 ONNX, run by onnxruntime; no torch, nothing downloaded. How the
  file was derived and what it costs in speed and accuracy: ``embed/model/README.md``.
- :class:`SentenceTransformerEmbedder`: any local sentence-transformers model (brings torch).
- :class:`OpenAIEmbedder`: any OpenAI-compatible ``/embeddings`` server.

:class:`CachedEmbedder` embeds each distinct text once per embedder name, in an in-process
:class:`EmbeddingCache` or any :class:`EmbeddingStore` (the store will provide a lasting one).
``embedder_from_settings`` builds the configured one, cached. Failures are
:class:`storyline.errors.EmbeddingError`.
"""

from storyline.embed.cache import CachedEmbedder, EmbeddingCache, EmbeddingStore, text_key
from storyline.embed.embedder import Embedder, unit_rows
from storyline.embed.from_settings import embedder_from_settings
from storyline.embed.onnx_embedder import OnnxEmbedder
from storyline.embed.openai_embedder import OpenAIEmbedder
from storyline.embed.sentence_transformers_embedder import SentenceTransformerEmbedder
from storyline.embed.text import embedding_text

__all__ = [
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingStore",
    "OnnxEmbedder",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "embedder_from_settings",
    "embedding_text",
    "text_key",
    "unit_rows",
]
