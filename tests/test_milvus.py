"""The index in Milvus, over Milvus Lite's gRPC server (pymilvus's network path) and embedded: the
same answers as the folder store, a reindex published by moving the alias and loaded whole by
another process watching the store, an index published before a stop or a restart of Milvus loaded
at the next start, and Milvus out of reach told plainly."""

from __future__ import annotations

import time

import pytest

from config import SAMPLE_DOCS_DIR
from embeddings.knowledge import KnowledgeBase, KnowledgeSetup
from embeddings.search.index import IndexUnavailable
from embeddings.search.milvus import MilvusStore
from tests.milvus import MilvusLiteServer
from tests.test_answers import QUESTIONS


@pytest.fixture(scope="session")
def milvus(tmp_path_factory: pytest.TempPathFactory):
    server = MilvusLiteServer(tmp_path_factory.mktemp("milvus")).start()
    yield server
    server.stop()


def test_milvus_answers_as_the_folder_store_does(milvus, encoder, model_cache, sample_knowledge, tmp_path):
    setup = KnowledgeSetup(
        SAMPLE_DOCS_DIR, tmp_path / "index", model_cache, vector_store="milvus", milvus_uri=milvus.uri
    )
    KnowledgeBase.build(setup, encoder)
    replica = KnowledgeBase.open(setup, encoder)  # loaded from Milvus, not built
    for question, _, _ in QUESTIONS:
        mine, theirs = replica.ask(question), sample_knowledge.ask(question)
        assert [hit.passage for hit in mine.hits] == [hit.passage for hit in theirs.hits], question
        assert mine.sentences == theirs.sentences and mine.sure == theirs.sure
        assert abs(mine.confidence - theirs.confidence) < 1e-5


def test_a_reindex_moves_the_alias_and_another_process_loads_it_whole(milvus, encoder, model_cache, docs_dir, tmp_path):
    setup = KnowledgeSetup(docs_dir, tmp_path / "index", model_cache, vector_store="milvus", milvus_uri=milvus.uri)
    one, store = KnowledgeBase.build(setup, encoder)[0], MilvusStore(milvus.uri)
    other = KnowledgeBase.open(setup, encoder)
    other.watch(every=0.1)  # as `tanya serve` does
    first = store.version()
    (docs_dir / "koperasi.md").write_text(
        "# Koperasi\n\nKoperasi Nelayan Sumber Rejeki didirikan pada tahun 1987 di Pekalongan.\n", encoding="utf-8"
    )
    one.start_reindex()()
    second = store.version()
    assert second != first
    collections = store._milvus().list_collections()
    assert second in collections and first not in collections  # the old one dropped once the alias moved
    deadline = time.monotonic() + 30
    while other.index_id != one.index_id:  # the watcher loads it in the background, whole
        assert time.monotonic() < deadline, "the other process did not load the new index"
        time.sleep(0.05)
    answer = other.ask("Kapan Koperasi Nelayan Sumber Rejeki didirikan?")
    assert answer.hits[0].passage.document == "koperasi.md" and other.manifest.documents == 2
    other.unwatch()


def test_embedded_milvus_lite_from_a_local_path(encoder, model_cache, tmp_path):
    setup = KnowledgeSetup(
        SAMPLE_DOCS_DIR,
        tmp_path / "index",
        model_cache,
        vector_store="milvus",
        milvus_uri=str(tmp_path / "tanya-milvus.db"),
    )
    KnowledgeBase.build(setup, encoder)
    answer = KnowledgeBase.open(setup, encoder).ask("Kapan pertemuan virtual diadakan?")
    assert (answer.hits[0].passage.section_number, answer.hits[0].passage.paragraph) == (1, 1)


def test_an_index_published_before_a_clean_stop_loads_at_each_next_start(encoder, model_cache, tmp_path):
    from milvus_lite.server_manager import server_manager_instance

    uri = str(tmp_path / "tanya-milvus.db")
    setup = KnowledgeSetup(SAMPLE_DOCS_DIR, tmp_path / "index", model_cache, vector_store="milvus", milvus_uri=uri)
    KnowledgeBase.build(setup, encoder)
    for _ in range(2):
        # What a clean stop of the bot runs (milvus_lite's own exit hook): the embedded Milvus stops,
        # and its collections come back released.
        server_manager_instance.release_server(uri)
        answer = KnowledgeBase.open(setup, encoder).ask("Kapan pertemuan virtual diadakan?")
        assert (answer.hits[0].passage.section_number, answer.hits[0].passage.paragraph) == (1, 1)


def test_an_index_published_before_milvus_restarts_loads_after(encoder, model_cache, tmp_path):
    server = MilvusLiteServer(tmp_path / "milvus").start()
    try:
        setup = KnowledgeSetup(
            SAMPLE_DOCS_DIR, tmp_path / "index", model_cache, vector_store="milvus", milvus_uri=server.uri
        )
        KnowledgeBase.build(setup, encoder)
        for _ in range(2):
            server.stop()
            server.start()  # its collections come back released
            answer = KnowledgeBase.open(setup, encoder).ask("Kapan pertemuan virtual diadakan?")
            assert (answer.hits[0].passage.section_number, answer.hits[0].passage.paragraph) == (1, 1)
    finally:
        server.stop()


def test_milvus_out_of_reach(encoder, model_cache, tmp_path, caplog):
    server = MilvusLiteServer(tmp_path / "milvus").start()
    setup = KnowledgeSetup(
        SAMPLE_DOCS_DIR, tmp_path / "index", model_cache, vector_store="milvus", milvus_uri=server.uri
    )
    knowledge = KnowledgeBase.build(setup, encoder)[0]
    server.stop()
    assert not knowledge.refresh()  # what the watcher does: the index loaded stays in use
    answer = knowledge.ask("Kapan pertemuan virtual diadakan?")
    assert (answer.hits[0].passage.section_number, answer.hits[0].passage.paragraph) == (1, 1)
    assert f"answering from the index loaded until the store is back: Milvus at {server.uri}" in caplog.text
    with pytest.raises(IndexUnavailable, match=f"Milvus at {server.uri}"):
        KnowledgeBase.open(setup, encoder)
    with pytest.raises(IndexUnavailable, match=f"Milvus at {server.uri}"):
        knowledge.start_reindex()()  # the admin is told why (see bot.handlers.admin.run_reindex)
