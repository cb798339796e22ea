"""The reader: the embedded model reading a question and a passage together, to say whether the
passage answers the question and which words do.

The embedding model compares a question's vector with a passage's, made apart: it finds the
passages on the question's subject, but cannot tell one that answers from one that only shares
its words (the question asks about paternity leave, the passage grants maternity leave). The
reader reads both in one run, so every word of the question meets every word of the passage. It
is multilingual-e5-small with its top layers fine-tuned and two small heads, trained by
``scripts/train_reader.py`` on IDK-MRC's questions written against a passage that does not answer
them and TyDi QA's that it does (model card: ``embeddings/models/reader.md``). Only the trained
layers and the heads ship (``reader.npz``, float16); the rest are the embedded model's. On first
use they are written into an ONNX graph beside the encoder's export, sharing its token
embeddings, and quantised to int8 like the encoder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.models.bert_onnx import write_bert_graph
from embeddings.models.onnx_model import EMBEDDINGS_FILE, _session, default_smoothing, onnx_folder, quantize
from embeddings.models.reader_inputs import MAX_TOKENS, encode_pair

logger = logging.getLogger(__name__)

WEIGHTS_FILE = Path(__file__).with_name("reader.npz")
WEIGHTS_SHA256 = "5810d8e8fc9fc723f806ba8b92f39f7241c8519074dd46a1e313aeec22304382"  # of reader.npz, as scripts/train_reader.py wrote it (model card: reader.md)
GRAPH_FILE = "reader-int8.onnx"
_MARKER = "tanya-reader.json"
MAX_ANSWER_TOKENS = 40  # the longest answer span the reader points at


@dataclass(frozen=True)
class Reading:
    """What the reader made of one passage for a question."""

    answers: float  # the chance, from 0 to 1, that the passage answers the question (its head alone)
    logit: float  # the same, before the sigmoid
    margin: float  # the best answer span's score less "no answer"'s (SQuAD 2.0)
    span: tuple[int, int] | None  # characters of the passage that answer it best, where any were read


def best_span(starts: np.ndarray, ends: np.ndarray, null: float) -> tuple[float, int, int]:
    """The best answer span of a passage's tokens, given each token's score as its first (``starts``)
    and last (``ends``) token: the span's score less ``null`` (the score of "no answer"), and its first
    and last token (at most ``MAX_ANSWER_TOKENS`` apart)."""
    best, first, last = -np.inf, 0, 0
    for i in range(len(starts)):
        j = i + int(np.argmax(ends[i : i + MAX_ANSWER_TOKENS]))
        if starts[i] + ends[j] > best:
            best, first, last = float(starts[i] + ends[j]), i, j
    return best - null, first, last


class Reader:
    """The reader's int8 ONNX graph and its heads; safe to call from several threads."""

    def __init__(self, folder: Path, heads: dict[str, np.ndarray], threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        self._session = _session(folder / GRAPH_FILE, threads or len(os.sched_getaffinity(0)))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._lock = threading.Lock()  # the tokenizer is used by one thread at a time
        self._answerable = (
            heads["reader.answerable.weight"].astype(np.float32),
            float(heads["reader.answerable.bias"][0]),
        )
        self._span = (heads["reader.span.weight"].astype(np.float32), heads["reader.span.bias"].astype(np.float32))

    def read(self, question: str, passage: str, focus: int = 0) -> Reading:
        """Whether ``passage`` answers ``question``, and where.

        Args:
            question: the question as asked.
            passage: the passage's text.
            focus: a character of the passage the reader must see when the passage is longer than it
                reads at once (the start of the sentence closest to the question).

        Returns:
            The chance that it answers, and the characters that answer it best.
        """
        with self._lock:
            pair = encode_pair(self._tokenizer, question, passage, focus, MAX_TOKENS)
        ids = pair.ids
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        states = self._session.run(None, feed)[0][0]
        weight, bias = self._answerable
        logit = float(states[0] @ weight[0] + bias)
        span, margin = None, 0.0
        if pair.offsets:
            scores = states @ self._span[0].T + self._span[1]
            first, last = pair.passage_start, pair.passage_start + len(pair.offsets)
            margin, start, end = best_span(scores[first:last, 0], scores[first:last, 1], float(scores[0].sum()))
            span = (pair.offsets[start][0], pair.offsets[end][1])
        return Reading(1.0 / (1.0 + math.exp(-logit)), logit, margin, span)


def _weights() -> dict[str, np.ndarray]:
    digest = hashlib.sha256(WEIGHTS_FILE.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise ValueError(f"{WEIGHTS_FILE} is damaged or not the one tanya was built with (SHA-256 differs)")
    with np.load(WEIGHTS_FILE) as saved:
        return {name: saved[name] for name in saved.files}


def load_reader(model_dir: Path, cache_dir: Path) -> Reader:
    """The reader over the converted embedded model in ``model_dir``, its graph written on first use
    into the encoder's ONNX export folder in ``cache_dir`` (which is made first if needed)."""
    weights = _weights()
    folder = onnx_folder(model_dir, cache_dir, default_smoothing())
    source = WEIGHTS_SHA256
    if not _is_written(folder, source):
        with open(folder.parent / f".{folder.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _is_written(folder, source):
                logger.info("writing the reader's graph into %s (once)", folder)
                overrides = {name: value for name, value in weights.items() if not name.startswith("reader.")}
                float_file, int8_file = folder / ".reader.onnx", folder / f".{GRAPH_FILE}"
                try:
                    _unlinked(folder / EMBEDDINGS_FILE)
                    write_bert_graph(model_dir, float_file, folder / EMBEDDINGS_FILE, overrides)
                    quantize(float_file, int8_file)
                    os.replace(int8_file, folder / GRAPH_FILE)
                finally:
                    float_file.unlink(missing_ok=True)
                    int8_file.unlink(missing_ok=True)
                (folder / _MARKER).write_text(json.dumps({"weights": source}), encoding="utf-8")
    heads = {name: value for name, value in weights.items() if name.startswith("reader.")}
    return Reader(folder, heads)


def _unlinked(path: Path) -> None:
    """Make ``path`` a file of its own when it has other hard links (a data folder copied with ``cp -al``):
    ONNX's checker refuses a graph whose external data has several, as a possible hard-link attack."""
    if path.exists() and path.stat().st_nlink > 1:
        copy = path.with_name(f".{path.name}.copy")
        shutil.copy2(path, copy)
        os.replace(copy, path)


def _is_written(folder: Path, source: str) -> bool:
    marker = folder / _MARKER
    if not marker.exists() or not (folder / GRAPH_FILE).exists():
        return False
    return json.loads(marker.read_text(encoding="utf-8")).get("weights") == source
