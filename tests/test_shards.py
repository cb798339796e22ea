"""Indexing spread over machines: ``tanya index --shard I/N`` processes, each embedding its share into
the store; the index is published once, when the last shard is in, and answers as a whole build does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from embeddings.indexing import shard_of
from embeddings.knowledge import KnowledgeBase, KnowledgeSetup
from embeddings.search.milvus import MilvusStore
from tests.milvus import MilvusLiteServer

TOPICS = {
    "koperasi.md": "Koperasi Nelayan Sumber Rejeki didirikan pada tahun 1987 di Pekalongan.",
    "puskesmas.md": "Puskesmas Kecamatan Tegalrejo buka setiap hari Senin sampai Sabtu pukul 07.30.",
    "sekolah.md": "SD Negeri 3 Wonosari memiliki 412 murid dan 19 guru pada tahun ajaran 2024.",
    "pasar.md": "Pasar Legi Kotagede direnovasi pada tahun 2019 dengan biaya 48 miliar rupiah.",
}


def _index(data_dir: Path, docs_dir: Path, *args: str, **env: str) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TANYA_")}
    environment.update(TANYA_DATA_DIR=str(data_dir), TANYA_DOCS_DIR=str(docs_dir), **env)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "index", *args],
        env=environment,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_shards_at_once_publish_one_index_that_answers_as_a_whole_build(data_dir, docs_dir, tmp_path, encoder):
    for name, fact in TOPICS.items():
        (docs_dir / name).write_text(f"# {name[:-3].title()}\n\n{fact}\n", encoding="utf-8")
    assert {shard_of(name, 2) for name in [*TOPICS, "pertemuan-xi-putin.txt"]} == {0, 1}  # both shards have work
    server = MilvusLiteServer(tmp_path / "milvus").start()
    try:
        env = dict(TANYA_VECTOR_STORE="milvus", TANYA_MILVUS_URI=server.uri)
        first = _index(data_dir, docs_dir, "--shard", "1/2", **env)
        assert first.wait(timeout=300) == 0, first.stderr.read()
        output = first.stdout.read()
        assert "1 of 2 shards in" in output and "The last shard to finish publishes" in output
        assert MilvusStore(server.uri).version() is None  # nothing published with a shard missing
        second = _index(data_dir, docs_dir, "--shard", "2/2", **env)
        assert second.wait(timeout=300) == 0, second.stderr.read()
        output = second.stdout.read()
        assert "2 of 2 shards in" in output and "Published the index: 5 documents" in output
        store = MilvusStore(server.uri)
        assert not [c for c in store._milvus().list_collections() if "stage" in c]  # the shards dropped
        setup = KnowledgeSetup(
            docs_dir, tmp_path / "unused", data_dir / "models", vector_store="milvus", milvus_uri=server.uri
        )
        sharded = KnowledgeBase.open(setup, encoder)
        whole = KnowledgeBase.build(KnowledgeSetup(docs_dir, tmp_path / "whole", data_dir / "models"), encoder)[0]
        assert [p.text for p in sharded.index.passages] == [p.text for p in whole.index.passages]
        for question in (
            "Kapan Koperasi Nelayan Sumber Rejeki didirikan?",
            "Berapa murid SD Negeri 3 Wonosari?",
            "Kapan pertemuan virtual diadakan?",
        ):
            mine, theirs = sharded.ask(question), whole.ask(question)
            assert mine.hits[0].passage == theirs.hits[0].passage and mine.sure == theirs.sure, question
    finally:
        server.stop()


def test_shards_run_concurrently_and_a_bad_shard_is_one_line(data_dir, docs_dir, tmp_path):
    shards = [_index(data_dir, docs_dir, "--shard", f"{n}/2") for n in (1, 2)]
    outputs = [(process.wait(timeout=300), process.stdout.read()) for process in shards]
    assert all(status == 0 for status, _ in outputs)
    published = [output for _, output in outputs if "Published the index" in output]
    assert len(published) == 1  # once, by whichever finished last
    assert (data_dir / "index" / "current").exists() and not list((data_dir / "index" / "shards").glob("*/*.npz"))
    bad = subprocess.run([sys.executable, "-m", "bot", "index", "--shard", "3/2"], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected I/N with 1 ≤ I ≤ N" in bad.stderr
