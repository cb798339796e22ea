"""The sentence-transformers model that turns questions and passages into vectors."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from embeddings.default_model import DEFAULT_MODEL_NAME, ensure_default_model

logger = logging.getLogger(__name__)


class Encoder:
    """A sentence-transformers model, used with its query and document prompts."""

    def __init__(self, name: str, model: "SentenceTransformer") -> None:  # noqa: F821
        self.name = name
        self.model = model
        self.dimension = int(model.get_embedding_dimension())
        self.max_tokens = int(model.max_seq_length)
        self.prompts = {kind: model.prompts.get(kind, "") for kind in ("query", "document")}

    def encode_queries(self, questions: list[str]) -> np.ndarray:
        """Normalised float32 vectors of questions, one row each."""
        return self.model.encode_query(
            questions, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        ).astype(np.float32, copy=False)

    def encode_documents(self, texts: list[str], progress: bool = False, batch_size: int = 32) -> np.ndarray:
        """Normalised float32 vectors of passages, one row each."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.model.encode_document(
            texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=progress, batch_size=batch_size
        ).astype(np.float32, copy=False)

    def count_document_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a passage, prompt and special tokens included."""
        return len(self.model.tokenizer(self.prompts["document"] + text)["input_ids"])


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
