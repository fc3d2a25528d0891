"""Embed each distinct text once: a cache keyed by (embedder name, content hash)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np

from storyline.embed.embedder import Embedder

__all__ = ["CachedEmbedder", "EmbeddingCache", "EmbeddingStore", "text_key"]


def text_key(text: str) -> bytes:
    """The content hash a text is cached under (16 bytes of BLAKE2b: collisions are not a concern)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingStore(Protocol):
    """Where embeddings are kept between calls: in-process (:class:`EmbeddingCache`) or, later, the store.

    ``namespace`` is an :attr:`Embedder.name`; ``key`` is :func:`text_key` of the text. Vectors
    are float32 rows. Implementations must be safe to call from several threads.
    """

    def get_many(self, namespace: str, keys: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """The vectors known for ``keys``; unknown keys are simply absent."""
        ...

    def put_many(self, namespace: str, vectors: Mapping[bytes, np.ndarray]) -> None:
        """Remember ``vectors`` (replacing any already kept under the same key)."""
        ...


class EmbeddingCache:
    """An in-process LRU of at most ``max_entries`` vectors (~1.6 KB each for 384 dimensions)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, bytes], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, namespace: str, keys: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """The vectors kept for ``keys``, each marked as just used."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for key in keys:
                vector = self._entries.get((namespace, key))
                if vector is not None:
                    self._entries.move_to_end((namespace, key))
                    found[key] = vector
        return found

    def put_many(self, namespace: str, vectors: Mapping[bytes, np.ndarray]) -> None:
        """Keep ``vectors``, dropping the least recently used past ``max_entries``."""
        with self._lock:
            for key, vector in vectors.items():
                self._entries[(namespace, key)] = vector
                self._entries.move_to_end((namespace, key))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class CachedEmbedder:
    """An :class:`Embedder` that asks ``embedder`` only for texts ``cache`` does not hold.

    Identical texts in one call are embedded once too. ``misses`` counts the texts embedded,
    ``hits`` the rest.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingStore | None = None) -> None:
        self.embedder = embedder
        self.cache: EmbeddingStore = EmbeddingCache() if cache is None else cache
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The wrapped embedder's name: cached vectors are the same vectors."""
        return self.embedder.name

    @property
    def dimension(self) -> int:
        """The wrapped embedder's dimension."""
        return self.embedder.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``, from the cache where it has them."""
        if not texts:
            return self.embedder.embed([])
        namespace = self.name
        keys = [text_key(text) for text in texts]
        known = self.cache.get_many(namespace, keys)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in known:
                missing.setdefault(key, text)
        if missing:
            fresh = self.embedder.embed(list(missing.values()))
            # Copies: a row view would keep its whole batch alive in the LRU.
            made = {key: row.copy() for key, row in zip(missing, fresh, strict=True)}
            self.cache.put_many(namespace, made)
            known |= made
        with self._lock:
            self.misses += len(missing)
            self.hits += len(texts) - len(missing)
        return np.stack([known[key] for key in keys]).astype(np.float32, copy=False)
