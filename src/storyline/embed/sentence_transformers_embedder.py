"""Any local sentence-transformers model, for those who have installed torch themselves."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from storyline.embed.embedder import unit_rows
from storyline.errors import EmbeddingError

__all__ = ["SentenceTransformerEmbedder"]


class SentenceTransformerEmbedder:
    """Embeds with ``sentence_transformers.SentenceTransformer(path)`` on the CPU.

    sentence-transformers (and torch, several GB) is not a dependency of Storyline: it is
    imported on first use, and its absence is an :class:`EmbeddingError` saying what to install.
    """

    def __init__(self, path: Path | str, *, batch_size: int = 32) -> None:
        self.path = str(path)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None

    @property
    def name(self) -> str:
        """``sentence-transformers:<path>``."""
        return f"sentence-transformers:{self.path}"

    @property
    def dimension(self) -> int:
        """Length of each embedding, as the model reports it."""
        model = self._load()
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings of ``texts``, in their order."""
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        try:
            with self._lock:  # a torch module is not documented as safe for concurrent forward passes
                vectors = model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True)
        except Exception as exc:  # torch and transformers raise many unrelated types
            raise EmbeddingError(self.path, f"sentence-transformers failed to embed ({exc})") from exc
        return unit_rows(vectors)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._open()
            return self._model

    def _open(self) -> Any:
        try:
            # importlib, not an import statement: the import contract must not see a hard dependency.
            module = importlib.import_module("sentence_transformers")
        except ImportError as exc:
            raise EmbeddingError(
                self.path,
                "the sentence-transformers embedder needs the sentence-transformers package, which is not installed",
                "Install it (`pip install torch sentence-transformers`, ideally the CPU build of torch), "
                "or set embedder to onnx, the built-in default.",
            ) from exc
        if not Path(self.path).exists():
            raise EmbeddingError(
                self.path, "no sentence-transformers model at this path",
                "Set embedder_model to the folder of a downloaded sentence-transformers model.",
            )
        try:
            # local_files_only: Storyline never downloads weights at run time.
            return module.SentenceTransformer(self.path, device="cpu", local_files_only=True)
        except Exception as exc:  # whatever the model folder is missing, it surfaces as some library error
            raise EmbeddingError(self.path, f"cannot load the sentence-transformers model ({exc})") from exc
