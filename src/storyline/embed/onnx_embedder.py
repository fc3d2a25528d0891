"""The default embedder: the shipped all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime, offline."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from storyline.embed.embedder import unit_rows
from storyline.errors import EmbeddingError

__all__ = ["BATCH_SIZE", "MAX_TOKENS", "MODEL_DIR", "OnnxEmbedder"]

MODEL_DIR = Path(__file__).resolve().parent / "model"  # made by scripts/derive_embedding_model.py
MAX_TOKENS = 128  # what all-MiniLM-L6-v2 was trained on; its tokenizer.json says the same
BATCH_SIZE = 32  # past 32, larger batches gain nothing on 2 cores and hold more memory


class OnnxEmbedder:
    """Embeds with an ONNX sentence encoder: ``model.onnx`` + ``tokenizer.json`` in ``model_dir``.

    The graph takes ``input_ids`` and ``attention_mask`` and returns pooled, normalised rows
    (the shipped one does; see model/README.md). The session is opened on first use, once,
    under a lock; ``InferenceSession.run`` and the tokenizer may then be used from any thread.
    """

    def __init__(self, model_dir: Path | str = MODEL_DIR, *, threads: int = 0, max_tokens: int = MAX_TOKENS) -> None:
        """``threads`` is onnxruntime's intra-op thread count; 0 lets it use one per core."""
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.max_tokens = max_tokens
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._dimension = 0
        self._name = ""

    @property
    def name(self) -> str:
        """``onnx:<folder>:<digest of model.onnx>``: a re-derived model is a new cache namespace."""
        self._load()
        return self._name

    @property
    def dimension(self) -> int:
        """Length of each embedding, read from the graph's output shape or one probe."""
        self._load()
        return self._dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings of ``texts``, in their order."""
        self._load()
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        # Sorted by length, each batch pads only to its own longest text: on news, where
        # headlines and 600-character leads mix, that halves the work of padding to 128.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            out[rows] = self._run(self._session, [encodings[i].ids for i in rows])
        return out

    def _run(self, session: Any, token_ids: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in token_ids)
        input_ids = np.zeros((len(token_ids), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(input_ids)
        for row, ids in enumerate(token_ids):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        try:
            (vectors,) = session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        except Exception as exc:  # onnxruntime raises its own untyped errors (Fail, InvalidArgument, ...)
            raise EmbeddingError(str(self.model_dir / "model.onnx"), f"inference failed ({exc})") from exc
        # The shipped graph already normalises; doing it again is cheap and keeps the promise
        # for any other model folder whose graph does not.
        return unit_rows(vectors)

    def _load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is None:
                self._open()

    def _open(self) -> None:
        model_path, tokenizer_path = self.model_dir / "model.onnx", self.model_dir / "tokenizer.json"
        for path in (model_path, tokenizer_path):
            if not path.is_file():
                raise EmbeddingError(
                    str(path), "embedding model file is missing",
                    "Reinstall Storyline, or run `make model` to derive the model again.",
                )
        import onnxruntime
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # tokenizers raises a bare Exception on a bad file
            raise EmbeddingError(str(tokenizer_path), f"cannot read tokenizer ({exc})") from exc
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.no_padding()  # tokenizer.json pads every text to 128; _run pads per batch instead
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1  # one chain of ops: a second pool would only compete for the cores
        # Worker threads spin between runs by default, burning a core the pipeline's other stages want.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's errors share no public base class
            raise EmbeddingError(str(model_path), f"cannot load ONNX model ({exc})") from exc
        width = session.get_outputs()[0].shape[-1]
        if not isinstance(width, int):  # a symbolic output width: ask the model once
            width = self._run(session, [tokenizer.encode("").ids]).shape[1]
        label = "all-MiniLM-L6-v2-int8" if self.model_dir == MODEL_DIR else self.model_dir.name
        self._name = f"onnx:{label}:{_file_digest(model_path)}"
        self._dimension = width
        self._tokenizer = tokenizer
        self._session = session  # last: _load reads it without the lock, so all else must be set first


def _file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=6)).hexdigest()
