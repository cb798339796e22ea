"""Where the saved index lives, behind one interface: a folder of FAISS files (one machine, the
default) or a Milvus collection (any number of machines).

Either way a save publishes a whole new index in one step (a symlink replaced, an alias moved),
so a reader sees the old index or the new one, never half of one; and ``version()`` tells
cheaply whether another process has published since. For indexing spread over machines
(``embeddings.indexing.index_shard``) a store also keeps each shard's vectors until all are in.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings.files import fsync_folder, write_synced
from embeddings.search.index import Manifest, PassageIndex, current_snapshot, load_index, read_manifest, save_index

VECTOR_STORES = ("faiss", "milvus")
_SHARDS = "shards"  # in the index folder: the vectors of sharded indexing runs not yet published


class IndexStore(Protocol):
    """A place an index is saved to and loaded from."""

    def load(self, model: str) -> PassageIndex:
        """The published index; IndexMissing when there is none, IndexIncompatible when ``model`` did not build it."""

    def save(self, index: PassageIndex) -> None:
        """Publish ``index`` in one step, replacing the one published."""

    def manifest(self) -> Manifest:
        """The published index's manifest alone; IndexMissing when there is none."""

    def version(self) -> str | None:
        """An id of the published index (None when there is none); it changes with every save."""

    def stage(self, run: str, shard: str, texts: list[str], vectors: np.ndarray) -> None:
        """Keep one shard's vectors (by text) for the sharded indexing ``run``, whole or not at all."""

    def staged(self, run: str) -> dict[str, dict[str, np.ndarray]]:
        """The shards of ``run`` kept so far: shard → its vectors by text."""

    def drop_staged(self, run: str) -> None:
        """Forget ``run``'s shards once published."""


class FolderStore:
    """The index as files in a folder (see ``embeddings.search.index``): FAISS vectors, passages, BM25."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, model: str) -> PassageIndex:
        return load_index(self.folder, model=model)

    def save(self, index: PassageIndex) -> None:
        save_index(index, self.folder)

    def manifest(self) -> Manifest:
        return read_manifest(self.folder)

    def version(self) -> str | None:
        return current_snapshot(self.folder)

    def _run(self, run: str) -> Path:
        return self.folder / _SHARDS / run

    def stage(self, run: str, shard: str, texts: list[str], vectors: np.ndarray) -> None:
        folder = self._run(run)
        folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez(buffer, texts=np.asarray(texts, dtype=str), vectors=np.asarray(vectors, dtype=np.float32))
        temporary = folder / f".{shard}.{os.getpid()}"
        write_synced(temporary, buffer.getvalue())
        os.replace(temporary, folder / f"{shard}.npz")
        fsync_folder(folder)

    def staged(self, run: str) -> dict[str, dict[str, np.ndarray]]:
        kept = {}
        for path in sorted(self._run(run).glob("*.npz")):
            with np.load(path, allow_pickle=False) as arrays:
                kept[path.stem] = dict(zip(arrays["texts"].tolist(), arrays["vectors"], strict=True))
        return kept

    def drop_staged(self, run: str) -> None:
        shutil.rmtree(self._run(run), ignore_errors=True)

    def __str__(self) -> str:
        return str(self.folder)


def open_store(index_dir: Path, vector_store: str = "faiss", milvus_uri: str | None = None) -> IndexStore:
    """The store settings name: ``index_dir`` for "faiss", the Milvus at ``milvus_uri`` for "milvus"."""
    if vector_store == "faiss":
        return FolderStore(index_dir)
    if vector_store == "milvus":
        from embeddings.search.milvus import MilvusStore  # pymilvus takes a while to import: only when used

        return MilvusStore(milvus_uri or str(index_dir / "milvus.db"))
    raise ValueError(f"unknown vector store {vector_store!r}: one of {', '.join(VECTOR_STORES)}")


def as_store(place: Path | IndexStore) -> IndexStore:
    """``place`` as a store: a folder path becomes a FolderStore."""
    return FolderStore(place) if isinstance(place, Path) else place
