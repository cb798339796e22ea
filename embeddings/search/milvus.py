"""The index in Milvus (pymilvus): one collection per published index, reached through an alias.

A local path as the URI runs Milvus Lite embedded; ``http://host:19530`` talks to Milvus Lite's
server, Milvus Standalone or Distributed with the same client code. A collection holds, as rows:
the manifest (id 0), each passage (its vector, its fields as JSON) and each sentence (its vector,
its passage, its span). A save writes a new collection, then moves the alias to it in one step
(every replica's next question sees the new index, none sees half of one), then drops the old.

A replica loads the published collection whole and searches it in memory, with tanya's own FAISS
and BM25 built from the rows: the answers are those of the folder store, and a question costs one
alias lookup in Milvus (``version()``), not a search there.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import threading
from datetime import datetime, timezone

import numpy as np

from embeddings.documents.passages import Passage
from embeddings.search.index import (
    FORMAT_VERSION,
    IndexIncompatible,
    IndexMissing,
    IndexUnavailable,
    Manifest,
    PassageIndex,
    vector_index,
)
from embeddings.search.lexical import LexicalIndex

logger = logging.getLogger(__name__)

ALIAS = "tanya"
BATCH = 1000  # rows per insert
READ_BATCH = 16000  # rows per page read (Milvus returns at most 16,384 rows a query)
_MANIFEST, _PASSAGE, _SENTENCE = 0, 1, 2  # the kinds of row
_TEXT_LIMIT = 65535  # Milvus's longest VARCHAR


class MilvusUnavailable(IndexUnavailable):
    """Milvus cannot be reached or refused a request; the message says where and why."""


class MilvusStore:
    """Published indexes in the Milvus at ``uri``, under the alias ``alias``."""

    def __init__(self, uri: str, alias: str = ALIAS) -> None:
        self.uri, self.alias = uri, alias
        self._client = None
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return f"Milvus at {self.uri}"

    def _milvus(self):
        with self._lock:
            if self._client is None:
                try:
                    from pymilvus import MilvusClient
                except ImportError:
                    raise MilvusUnavailable("the Milvus store needs pymilvus: pip install 'tanya[replicas]'") from None

                # pymilvus logs every failed call itself, at ERROR; here each becomes a MilvusUnavailable
                # that says where and why, once, and a missing alias is no error.
                logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
                try:
                    self._client = MilvusClient(uri=self.uri, timeout=10)
                except Exception as error:  # noqa: BLE001 - pymilvus raises several kinds; all mean "unreachable"
                    raise MilvusUnavailable(f"cannot reach Milvus at {self.uri} ({_first_line(error)})") from None
            return self._client

    def _call(self, what: str, *args, **kwargs):
        """``client.what(*args, **kwargs)``; a MilvusUnavailable naming Milvus when it fails."""
        try:
            return getattr(self._milvus(), what)(*args, **kwargs)
        except MilvusUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - pymilvus's errors: connection, timeout, server refusals
            raise MilvusUnavailable(f"Milvus at {self.uri}: {what} failed ({_first_line(error)})") from None

    def version(self) -> str | None:
        try:
            return self._milvus().describe_alias(self.alias)["collection_name"]
        except MilvusUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - pymilvus's errors: the alias missing, or Milvus unreachable
            if "does not exist" in str(error):
                return None
            raise MilvusUnavailable(
                f"Milvus at {self.uri}: looking up {self.alias} failed ({_first_line(error)})"
            ) from None

    # ---- saving ----------------------------------------------------------------------------

    def save(self, index: PassageIndex) -> None:
        self._milvus()  # pymilvus is there, and Milvus reachable
        from pymilvus import DataType, MilvusClient

        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        collection = f"{self.alias}_{stamp}_{secrets.token_hex(3)}"
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("kind", DataType.INT8)
        schema.add_field("passage", DataType.INT64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=index.manifest.dimension)
        schema.add_field("payload", DataType.VARCHAR, max_length=_TEXT_LIMIT)
        self._call("create_collection", collection, schema=schema)
        try:
            for batch in _batches(_rows(index), BATCH):
                self._call("insert", collection, batch)
            params = self._milvus().prepare_index_params()
            params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            self._call("create_index", collection, params)
            self._call("load_collection", collection)
            previous = self.version()
            if previous is None:
                self._call("create_alias", collection, self.alias)
            else:
                self._call("alter_alias", collection, self.alias)  # the one step that publishes
        except BaseException:
            self._drop_quietly(collection)
            raise
        for old in self._call("list_collections"):
            if old.startswith(f"{self.alias}_") and old != collection:
                self._drop_quietly(old)

    def _drop_quietly(self, collection: str) -> None:
        try:
            self._call("drop_collection", collection)
        except MilvusUnavailable as error:
            logger.warning("could not drop the old collection %s: %s", collection, error)

    # ---- shards of an indexing run spread over machines -------------------------------------

    def _stage_name(self, run: str, shard: str = "") -> str:
        # Not "<alias>_…": a save drops those. A run's shards stay until it is published.
        return f"{self.alias}stage_{run}_" + shard.replace("-", "_")

    def stage(self, run: str, shard: str, texts: list[str], vectors: np.ndarray) -> None:
        self._milvus()  # pymilvus is there, and Milvus reachable
        from pymilvus import DataType, MilvusClient

        collection = self._stage_name(run, shard)
        if self._call("has_collection", collection):
            self._call("drop_collection", collection)  # a shard run again: its earlier attempt is replaced
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)  # 0: the row saying every other one is in
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        schema.add_field("text", DataType.VARCHAR, max_length=_TEXT_LIMIT)
        self._call("create_collection", collection, schema=schema)
        rows = [
            {"id": 1 + n, "vector": vector.tolist(), "text": text}
            for n, (text, vector) in enumerate(zip(texts, vectors, strict=True))
        ]
        for batch in _batches(rows, BATCH):
            self._call("insert", collection, batch)
        self._call("insert", collection, [{"id": 0, "vector": [0.0] * int(vectors.shape[1]), "text": ""}])
        params = self._milvus().prepare_index_params()
        params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        self._call("create_index", collection, params)
        self._call("load_collection", collection)

    def staged(self, run: str) -> dict[str, dict[str, np.ndarray]]:
        kept = {}
        prefix = self._stage_name(run)
        for collection in self._call("list_collections"):
            if not collection.startswith(prefix):
                continue
            rows = self._read(collection, ["id", "vector", "text"])
            if any(row["id"] == 0 for row in rows):  # complete
                shard = collection.removeprefix(prefix).replace("_", "-")
                kept[shard] = {row["text"]: np.asarray(row["vector"], dtype=np.float32) for row in rows if row["id"]}
        return kept

    def drop_staged(self, run: str) -> None:
        prefix = self._stage_name(run)
        for collection in self._call("list_collections"):
            if collection.startswith(prefix):
                self._drop_quietly(collection)

    # ---- loading ---------------------------------------------------------------------------

    def load(self, model: str) -> PassageIndex:
        collection = self.version()
        if collection is None:
            raise IndexMissing(f"no index in {self} yet")
        rows = self._read(collection, ["id", "kind", "passage", "vector", "payload"])
        manifest = self._manifest(collection, rows)
        if manifest.format_version != FORMAT_VERSION:
            raise IndexIncompatible(
                f"the index has format {manifest.format_version}, this version of tanya reads {FORMAT_VERSION}"
            )
        if manifest.model != model:
            raise IndexIncompatible(f"the index was built with model {manifest.model!r}, not {model!r}")
        passages = sorted((row for row in rows if row["kind"] == _PASSAGE), key=lambda row: row["passage"])
        sentences = sorted((row for row in rows if row["kind"] == _SENTENCE), key=lambda row: row["id"])
        if len(passages) != manifest.passages:
            raise IndexIncompatible(
                f"the manifest says {manifest.passages} passages, {collection} holds {len(passages)}"
            )
        dimension = manifest.dimension
        vectors = np.asarray([row["vector"] for row in passages], dtype=np.float32).reshape(-1, dimension)
        sentence_vectors = np.asarray([row["vector"] for row in sentences], dtype=np.float32).reshape(-1, dimension)
        owners = np.asarray([row["passage"] for row in sentences], dtype=np.int64)
        starts = np.searchsorted(owners, np.arange(len(passages) + 1)).astype(np.int64)
        spans = np.asarray([json.loads(row["payload"]) for row in sentences], dtype=np.int64).reshape(-1, 2)
        texts = [Passage(**json.loads(row["payload"])) for row in passages]
        lexical = LexicalIndex.build([passage.text for passage in texts])
        return PassageIndex(
            texts, vector_index(vectors, manifest.search), sentence_vectors, starts, spans, lexical, manifest
        )

    def manifest(self) -> Manifest:
        collection = self.version()
        if collection is None:
            raise IndexMissing(f"no index in {self} yet")
        return self._manifest(collection, self._read(collection, ["kind", "payload"], only_first=True))

    def _manifest(self, collection: str, rows: list[dict]) -> Manifest:
        manifests = [row for row in rows if row["kind"] == _MANIFEST]
        if not manifests:
            raise IndexIncompatible(f"the collection {collection} in {self} has no manifest")
        try:
            return Manifest(**json.loads(manifests[0]["payload"]))
        except (ValueError, TypeError) as error:
            raise IndexIncompatible(f"the manifest of {collection} in {self} is unreadable ({error})") from None

    def _read(self, collection: str, fields: list[str], only_first: bool = False) -> list[dict]:
        """The ``fields`` of every row of ``collection`` (or of its first, the manifest), loading it first
        where Milvus has it released."""
        client = self._milvus()
        from pymilvus.client.types import LoadState

        try:
            # A save loads its collection, but Milvus forgets that when it stops (Milvus Lite at the
            # clean stop of the process that embeds it, a server at its restart).
            if client.get_load_state(collection)["state"] != LoadState.Loaded:
                client.load_collection(collection)
            # Pages by id range (rows are numbered from 0 without gaps): about four times faster than
            # pymilvus's query_iterator on Milvus Lite.
            if only_first:
                return client.query(collection, filter="id == 0", output_fields=fields)
            total = client.get_collection_stats(collection)["row_count"]
            rows = []
            for low in range(0, total, READ_BATCH):
                rows += client.query(
                    collection, filter=f"id >= {low} and id < {low + READ_BATCH}", output_fields=fields
                )
            return rows
        except Exception as error:  # noqa: BLE001 - dropped meanwhile, or Milvus gone: the caller retries
            raise MilvusUnavailable(
                f"Milvus at {self.uri}: reading {collection} failed ({_first_line(error)})"
            ) from None


def _rows(index: PassageIndex):
    """The rows of ``index``: its manifest, then its passages, then its sentences (in order)."""
    manifest = dataclasses.replace(index.manifest, checksums={})
    zero = [0.0] * manifest.dimension
    yield {
        "id": 0,
        "kind": _MANIFEST,
        "passage": -1,
        "vector": zero,
        "payload": json.dumps(dataclasses.asdict(manifest), ensure_ascii=False),
    }
    vectors = index.passage_vectors(np.arange(len(index.passages)))
    for number, passage in enumerate(index.passages):
        payload = json.dumps(dataclasses.asdict(passage), ensure_ascii=False)
        if len(payload.encode()) > _TEXT_LIMIT:
            raise ValueError(f"a passage of {passage.document} is too long for Milvus ({len(payload.encode())} bytes)")
        yield {
            "id": 1 + number,
            "kind": _PASSAGE,
            "passage": number,
            "vector": vectors[number].tolist(),
            "payload": payload,
        }
    first = 1 + len(index.passages)
    for number in range(len(index.passages)):
        start = int(index.sentence_starts[number])
        for offset, (vector, span) in enumerate(zip(index.sentence_rows(number), index.sentences(number), strict=True)):
            yield {
                "id": first + start + offset,
                "kind": _SENTENCE,
                "passage": number,
                "vector": vector.tolist(),
                "payload": json.dumps(span),
            }


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
