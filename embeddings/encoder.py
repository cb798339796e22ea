"""The sentence-transformers model that turns questions and passages into vectors."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
from tqdm import tqdm

from embeddings.default_model import DEFAULT_MODEL_NAME, ensure_default_model

logger = logging.getLogger(__name__)


class Encoder:
    """A sentence-transformers model, used with its query and document prompts.

    Safe to share between threads: calls into the model take turns (a fast tokenizer must not
    be used by two threads at once), one batch at a time, so a question asked during a long
    indexing run waits for one batch, not for the whole run.
    """

    def __init__(self, name: str, model: "SentenceTransformer") -> None:  # noqa: F821
        self.name = name
        self.model = model
        self.dimension = int(model.get_embedding_dimension())
        self.max_tokens = int(model.max_seq_length)
        self.prompts = {kind: model.prompts.get(kind, "") for kind in ("query", "document")}
        self._turn = threading.Lock()

    def encode_queries(self, questions: list[str]) -> np.ndarray:
        """Normalised float32 vectors of questions, one row each."""
        with self._turn:
            vectors = self.model.encode_query(
                questions, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
            )
        return vectors.astype(np.float32, copy=False)

    def encode_documents(self, texts: list[str], progress: bool = False, batch_size: int = 32) -> np.ndarray:
        """Normalised float32 vectors of passages, one row each."""
        batches = [np.zeros((0, self.dimension), dtype=np.float32)]
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc="Embedding passages", unit="batch", disable=not progress or not texts):
            with self._turn:
                vectors = self.model.encode_document(
                    texts[start : start + batch_size],
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                    batch_size=batch_size,
                )
            batches.append(vectors.astype(np.float32, copy=False))
        return np.vstack(batches)

    def count_document_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage, prompt and special tokens included."""
        with self._turn:
            return len(self.model.tokenizer(self.prompts["document"] + text, verbose=False)["input_ids"])


def resolve_model_path(model: str, cache_dir: Path) -> str:
    """The embedded default becomes its converted local folder; anything else is passed through."""
    if model == DEFAULT_MODEL_NAME:
        return str(ensure_default_model(cache_dir))
    return model


def load_encoder(model: str, cache_dir: Path) -> Encoder:
    """Load ``model`` (the embedded default, a hub id or a local path) on the CPU."""
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(model, cache_dir)
    local = Path(path).is_dir()
    if not local:
        logger.info("loading %s from the Hugging Face hub or its cache", path)
    transformer = SentenceTransformer(path, device="cpu", local_files_only=local)
    return Encoder(model, transformer)
