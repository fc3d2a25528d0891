"""The interface every embedder implements, and the row normalisation they share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

__all__ = ["Embedder", "unit_rows"]


class Embedder(Protocol):
    """Turns texts into sentence embeddings.

    Guarantees: ``embed`` returns float32 of shape ``(len(texts), dimension)`` whose rows have
    unit length, in the order of ``texts``; an empty ``texts`` gives shape ``(0, dimension)``.
    Failures raise :class:`storyline.errors.EmbeddingError`, never a library's exception.
    Implementations are safe to call from several threads at once.
    """

    @property
    def name(self) -> str:
        """Stable id of model and variant: equal names give equal vectors (the cache namespace)."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each embedding."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts``, one unit-length float32 row each."""
        ...


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` as float32 with each row scaled to length 1 (an all-zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))
