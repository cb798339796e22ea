"""The passage index on disk: FAISS vectors, the passages, and a manifest that says what built them.

An index folder holds ``current``, a symbolic link to one complete snapshot folder. Saving
writes a new snapshot beside it and then swaps the link with one atomic rename, so a crash
mid-write leaves the previous index in place and a reader never sees half of each.

Passage vectors are searched exactly up to ``EXACT_SEARCH_LIMIT`` passages and through an HNSW
graph above it, where exact search gets slow (figures: ``benchmarks/scale.py``). Loading
memory-maps the vectors, so a large index opens without being read into memory.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import faiss
import numpy as np

from embeddings.collections import collection_of
from embeddings.defaults import EXACT_SEARCH_LIMIT
from embeddings.documents.passages import Passage
from embeddings.files import fsync_folder, write_synced
from embeddings.search.lexical import LexicalIndex

# The layout of an index folder; an index of another format is rebuilt. 3: sentence spans stored.
FORMAT_VERSION = 3
_VECTORS = "vectors.faiss"
_PASSAGES = "passages.json"
_SENTENCE_VECTORS = "sentence-vectors.npy"
_SENTENCE_STARTS = "sentence-starts.npy"
_SENTENCE_SPANS = "sentence-spans.npy"
_LEXICAL = "lexical"
_MANIFEST = "manifest.json"
_CURRENT = "current"

# HNSW graph: neighbours per node, and candidates kept while searching (efSearch): recall@10
# against exact search 0.976 on a million passages (benchmarks/scale.py).
HNSW_NEIGHBOURS = 32
HNSW_SEARCH_DEPTH = 512
SELECTIONS_KEPT = 64  # selections of collections an index keeps at hand (each one bool per passage)
FILTERED_EXACT_LIMIT = 10_000  # allowed rows up to which a filtered search of a graph compares them all
FILTERED_SEARCH_DEPTH = 8192  # the deepest a search among a few collections' passages looks in the graph


class IndexUnavailable(Exception):
    """There is no usable index at a path; the message says why."""


class IndexMissing(IndexUnavailable):
    """No index has been saved there yet."""


class IndexIncompatible(IndexUnavailable):
    """The saved index was built by another model, format or set of documents, or is damaged."""


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; checked before the index is used."""

    format_version: int
    model: str
    dimension: int
    prompts: dict[str, str]
    corpus_fingerprint: str
    created_at: str
    documents: int
    sections: int
    passages: int
    search: str = "exact"  # how passage vectors are searched: "exact" or "hnsw"
    checksums: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class SectionEntry:
    """One section of the indexed documents, as listed to users."""

    number: int
    document: str
    title: str
    passages: tuple[Passage, ...]

    @property
    def text(self) -> str:
        """The section's paragraphs, separated by blank lines (split paragraphs joined again)."""
        paragraphs: list[str] = []
        for passage in self.passages:
            if passage.part > 1:
                paragraphs[-1] += " " + passage.text
            else:
                paragraphs.append(passage.text)
        return "\n\n".join(paragraphs)


def search_method(passages: int, exact_search_limit: int = EXACT_SEARCH_LIMIT) -> str:
    """How the vectors of ``passages`` passages are searched: "exact" up to the limit, "hnsw" above."""
    return "exact" if passages <= exact_search_limit else "hnsw"


def vector_index(vectors: np.ndarray, method: str) -> faiss.Index:
    """An inner-product FAISS index holding the rows of ``vectors``, searched by ``method`` (see ``search_method``)."""
    dimension = int(vectors.shape[1])
    if method == "exact":
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = HNSW_SEARCH_DEPTH
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building the graph uses every core
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def search_vectors(
    vectors: faiss.Index, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and row numbers of the ``k`` rows of ``vectors`` nearest each query, searched in this thread
    alone; only among the rows where ``allowed`` (one bool per row) is true, when it is given."""
    # One question takes microseconds to a few milliseconds: FAISS's OpenMP threads would only
    # contend with ONNX Runtime's for the cores (10,000 passages, benchmarks/speed.py: p50 per
    # question 16 ms with them, 7 ms without). The setting holds for the calling thread.
    faiss.omp_set_num_threads(1)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if allowed is None:
        return vectors.search(queries, k)
    bitmap = np.packbits(allowed, bitorder="little")  # held here while FAISS reads it
    selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
    if isinstance(vectors, faiss.IndexHNSW):
        if int(allowed.sum()) <= FILTERED_EXACT_LIMIT:
            # Few rows allowed: compared one by one among the graph's stored vectors, exact and faster
            # than walking a graph mostly of rows it must skip (benchmarks/collections.py).
            storage = faiss.downcast_index(vectors.storage)
            return storage.search(queries, k, params=faiss.SearchParameters(sel=selector))
        # The graph is walked through every row, the others only skipped in the results: the fewer
        # rows allowed, the deeper it must look to find k of them.
        share = max(float(allowed.mean()), 1e-6)
        depth = int(min(max(HNSW_SEARCH_DEPTH, k / share), FILTERED_SEARCH_DEPTH))
        parameters = faiss.SearchParametersHNSW(sel=selector, efSearch=depth)
    else:
        parameters = faiss.SearchParameters(sel=selector)
    return vectors.search(queries, k, params=parameters)


def read_vector_index(path: Path) -> faiss.Index:
    """A vector index saved by ``faiss.write_index``, memory-mapped rather than read into memory."""
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_SEARCH_DEPTH
    return index


class PassageIndex:
    """Passages, their vectors in a FAISS inner-product index, their sentences' vectors, and BM25.

    Passage ``i``'s sentences are rows ``sentence_starts[i]`` to ``sentence_starts[i + 1]`` of
    ``sentence_vectors`` (their vectors) and of ``sentence_spans`` (their character spans in the
    passage's text): the bold sentence of an answer is always the one whose vector was matched.
    """

    def __init__(
        self,
        passages: list[Passage],
        vectors: faiss.Index,
        sentence_vectors: np.ndarray,
        sentence_starts: np.ndarray,
        sentence_spans: np.ndarray,
        lexical: LexicalIndex,
        manifest: Manifest,
    ) -> None:
        if vectors.ntotal != len(passages) or len(sentence_starts) != len(passages) + 1:
            raise IndexIncompatible(f"index has {vectors.ntotal} vectors for {len(passages)} passages")
        if int(sentence_starts[-1]) != len(sentence_vectors) or len(sentence_spans) != len(sentence_vectors):
            raise IndexIncompatible("sentence vectors do not match their passages")
        self.passages = passages
        self.vectors = vectors
        self.sentence_vectors = sentence_vectors
        self.sentence_starts = sentence_starts
        self.sentence_spans = sentence_spans
        self.lexical = lexical
        self.manifest = manifest
        self._selections: dict[frozenset[str], np.ndarray] = {}  # by the collections selected

    def passage_vectors(self, numbers: np.ndarray) -> np.ndarray:
        """The stored vectors of the passages ``numbers``."""
        return self.vectors.reconstruct_batch(np.asarray(numbers, dtype=np.int64))

    def sentence_rows(self, number: int) -> np.ndarray:
        """The vectors of passage ``number``'s sentences."""
        return self.sentence_vectors[self.sentence_starts[number] : self.sentence_starts[number + 1]]

    def sentences(self, number: int) -> list[tuple[int, int]]:
        """The character spans of passage ``number``'s sentences in its text, in the order of their vectors."""
        rows = self.sentence_spans[self.sentence_starts[number] : self.sentence_starts[number + 1]]
        return list(map(tuple, rows.tolist()))

    def sections(self) -> list[SectionEntry]:
        """The indexed sections in document order, numbered from 1."""
        grouped: dict[int, list[Passage]] = {}
        for passage in self.passages:
            grouped.setdefault(passage.section_number, []).append(passage)
        return [
            SectionEntry(number, group[0].document, group[0].section, tuple(group))
            for number, group in sorted(grouped.items())
        ]

    def search(
        self, query_vectors: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and passage numbers of the ``k`` nearest passages for each query row; only among the
        passages ``allowed`` (a ``selection``) when it is given."""
        k = min(k, len(self.passages) if allowed is None else int(allowed.sum()))
        if k == 0:
            empty = np.zeros((len(query_vectors), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        return search_vectors(self.vectors, query_vectors, k, allowed)

    @functools.cached_property
    def collections(self) -> tuple[str, ...]:
        """The collection of each passage (``embeddings.collections.collection_of`` of its document)."""
        return tuple(collection_of(passage.document) for passage in self.passages)

    def selection(self, collections: frozenset[str] | None) -> np.ndarray | None:
        """One bool per passage: whether it is in one of ``collections``; None (every passage) for None."""
        if collections is None:
            return None
        selected = self._selections.get(collections)
        if selected is None:
            selected = np.fromiter(
                (name in collections for name in self.collections), dtype=bool, count=len(self.passages)
            )
            selected.flags.writeable = False
            if len(self._selections) >= SELECTIONS_KEPT:
                self._selections.clear()
            self._selections[collections] = selected
        return selected


def build_index(
    passages: list[Passage],
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_starts: np.ndarray,
    sentence_spans: np.ndarray,
    *,
    model: str,
    prompts: dict[str, str],
    corpus_fingerprint: str,
    exact_search_limit: int = EXACT_SEARCH_LIMIT,
) -> PassageIndex:
    """An in-memory index of ``passages``, whose normalised vectors are the rows of ``vectors``."""
    dimension = int(vectors.shape[1])
    method = search_method(len(passages), exact_search_limit)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=model,
        dimension=dimension,
        prompts=dict(prompts),
        corpus_fingerprint=corpus_fingerprint,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        documents=len({p.document for p in passages}),
        sections=len({(p.document, p.section_number) for p in passages}),
        passages=len(passages),
        search=method,
    )
    lexical = LexicalIndex.build([passage.text for passage in passages])
    vectors = vector_index(vectors, method)
    return PassageIndex(passages, vectors, sentence_vectors, sentence_starts, sentence_spans, lexical, manifest)


def file_checksum(path: Path) -> str:
    """The SHA-256 of a file's bytes, as the manifest records it."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_index(index: PassageIndex, folder: Path) -> Path:
    """Save ``index`` as the current snapshot in ``folder`` atomically; returns the snapshot folder.

    A write that fails (a full disk, say) removes the partial snapshot at once and raises an
    OSError naming the folder and about how much space the index needs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = Path(tempfile.mkdtemp(prefix="v-", dir=folder))
    try:
        _write_snapshot(index, snapshot)
    except BaseException as error:
        shutil.rmtree(snapshot, ignore_errors=True)
        if isinstance(error, OSError):
            needed = _size_estimate(index) / 2**20
            raise OSError(
                error.errno,
                f"could not save the index in {folder} ({error.strerror or error}); it needs about "
                f"{needed:.0f} MiB free there",
            ) from error
        raise

    link = folder / f".{_CURRENT}-{snapshot.name}"
    link.symlink_to(snapshot.name)
    os.replace(link, folder / _CURRENT)
    fsync_folder(folder)
    _remove_old_snapshots(folder, keep=snapshot.name)
    return snapshot


def _size_estimate(index: PassageIndex) -> int:
    """Bytes an index takes on disk, roughly: its vectors and its passages' text, twice over for BM25 and JSON."""
    vectors = index.vectors.ntotal * index.vectors.d * 4 + index.sentence_vectors.nbytes
    return vectors + 2 * sum(len(passage.text.encode()) for passage in index.passages) + (1 << 20)


def _write_snapshot(index: PassageIndex, snapshot: Path) -> None:
    faiss.write_index(index.vectors, str(snapshot / _VECTORS))
    passages = json.dumps([dataclasses.asdict(p) for p in index.passages], ensure_ascii=False).encode()
    write_synced(snapshot / _PASSAGES, passages)
    arrays = (
        (_SENTENCE_VECTORS, index.sentence_vectors),
        (_SENTENCE_STARTS, index.sentence_starts),
        (_SENTENCE_SPANS, index.sentence_spans),
    )
    for name, array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        write_synced(snapshot / name, buffer.getvalue())
    files = [_VECTORS, _PASSAGES, _SENTENCE_VECTORS, _SENTENCE_STARTS, _SENTENCE_SPANS]
    files += [f"{_LEXICAL}/{name}" for name in index.lexical.save(snapshot / _LEXICAL)]
    checksums = {name: file_checksum(snapshot / name) for name in files}
    manifest = dataclasses.replace(index.manifest, checksums=checksums)
    write_synced(snapshot / _MANIFEST, json.dumps(dataclasses.asdict(manifest), indent=2).encode())
    index.manifest = manifest
    fsync_folder(snapshot)


def _remove_old_snapshots(folder: Path, keep: str) -> None:
    for entry in folder.iterdir():
        if entry.name == keep or entry.name == _CURRENT:
            continue
        if entry.is_symlink():
            entry.unlink(missing_ok=True)
        elif entry.is_dir() and entry.name.startswith("v-"):
            shutil.rmtree(entry, ignore_errors=True)


def current_snapshot(folder: Path) -> str | None:
    """The name of the current snapshot in ``folder`` (cheap: one readlink), None when there is none."""
    try:
        return os.readlink(folder / _CURRENT)
    except OSError:
        return None


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the current index in ``folder``."""
    current = folder / _CURRENT
    if not current.exists():
        raise IndexMissing(f"no index in {folder} yet")
    try:
        raw = json.loads((current / _MANIFEST).read_text(encoding="utf-8"))
        return Manifest(**raw)
    except (OSError, ValueError, TypeError) as error:
        raise IndexIncompatible(f"the index manifest in {folder} is unreadable ({error})") from None


def load_index(folder: Path, *, model: str) -> PassageIndex:
    """Load the current index in ``folder``, refusing one that ``model`` did not build or that is damaged."""
    manifest = read_manifest(folder)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexIncompatible(
            f"the index has format {manifest.format_version}, this version of tanya reads {FORMAT_VERSION}"
        )
    if manifest.model != model:
        raise IndexIncompatible(f"the index was built with model {manifest.model!r}, not {model!r}")
    current = folder / _CURRENT
    for name, expected in manifest.checksums.items():
        path = current / name
        if not path.exists() or file_checksum(path) != expected:
            raise IndexIncompatible(f"index file {name} is missing or damaged (checksum mismatch)")
    passages = [Passage(**raw) for raw in json.loads((current / _PASSAGES).read_text(encoding="utf-8"))]
    if len(passages) != manifest.passages:
        raise IndexIncompatible(f"the manifest says {manifest.passages} passages, the index holds {len(passages)}")
    vectors = read_vector_index(current / _VECTORS)
    if vectors.d != manifest.dimension:
        raise IndexIncompatible(f"index vectors have dimension {vectors.d}, manifest says {manifest.dimension}")
    sentence_vectors = np.load(current / _SENTENCE_VECTORS, mmap_mode="r", allow_pickle=False)
    sentence_starts = np.load(current / _SENTENCE_STARTS, allow_pickle=False)
    sentence_spans = np.load(current / _SENTENCE_SPANS, allow_pickle=False)
    lexical = LexicalIndex.load(current / _LEXICAL, len(passages))
    return PassageIndex(passages, vectors, sentence_vectors, sentence_starts, sentence_spans, lexical, manifest)
