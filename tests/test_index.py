"""The index on disk: saved atomically, checked on load, rebuilt when it no longer fits."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import faiss
import numpy as np
import pytest

from embeddings.documents import passages as passages_module
from embeddings.documents.folder import folder_fingerprint, read_documents
from embeddings.documents.ocr import Ocr
from embeddings.documents.passages import trimmed_sentence_spans
from embeddings.indexing import IndexLimits, index_documents, known_vectors, open_index, reindex
from embeddings.knowledge import KnowledgeBase
from embeddings.search import index as index_module
from embeddings.search.index import FORMAT_VERSION, IndexIncompatible, IndexMissing, load_index, read_manifest

LIMITS = IndexLimits(Ocr())  # the library's defaults


def test_saved_index_loads_back_with_its_manifest(encoder, docs_dir: Path, tmp_path: Path):
    built, report = reindex(docs_dir, tmp_path / "index", encoder, limits=LIMITS)
    loaded = load_index(tmp_path / "index", model=encoder.name)
    assert (report.documents, report.sections, report.passages) == (1, 5, 8)
    assert loaded.passages == built.passages
    manifest = loaded.manifest
    assert manifest.model == encoder.name and manifest.dimension == 384
    assert manifest.prompts == {"query": "query: ", "document": "passage: "}
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.corpus_fingerprint == folder_fingerprint(docs_dir)
    assert manifest.created_at
    stored = {"vectors.faiss", "passages.json", "sentence-vectors.npy", "sentence-starts.npy", "sentence-spans.npy"}
    assert stored < set(manifest.checksums)
    assert any(name.startswith("lexical/") for name in manifest.checksums)
    question = encoder.encode_queries(["Sektor energi"])
    assert (loaded.search(question, 3)[1] == built.search(question, 3)[1]).all()


def test_the_answering_sentence_is_the_stored_span_whose_vector_matched(encoder, docs_dir, tmp_path, monkeypatch):
    reindex(docs_dir, tmp_path / "index", encoder, limits=LIMITS)
    loaded = load_index(tmp_path / "index", model=encoder.name)
    for number, passage in enumerate(loaded.passages):
        spans = loaded.sentences(number)
        assert len(spans) == len(loaded.sentence_rows(number)) and spans == trimmed_sentence_spans(passage.text)
    knowledge = KnowledgeBase(encoder, loaded)
    question = "Sektor strategis apa yang dicakup kesepakatan ekonomi ini?"
    before = knowledge.ask(question)
    # A later splitter (here: one that finds no sentence end) must not move the bold sentence of
    # an index built before it: the answer uses the spans stored with the vectors.
    monkeypatch.setattr(passages_module, "_SENTENCE_END", re.compile(r"(?!)"))
    assert trimmed_sentence_spans(before.hits[0].passage.text) != loaded.sentences(before.hits[0].number)
    after = knowledge.ask(question)
    assert after.sentences == before.sentences
    start, end = after.sentence
    text = after.hits[0].passage.text
    assert "Kesepakatan ekonomi ini mencakup" in text[start:end] and end - start < len(text)


def test_missing_index(tmp_path: Path, encoder):
    with pytest.raises(IndexMissing):
        load_index(tmp_path / "nothing", model=encoder.name)


def test_index_built_by_another_model_is_refused(encoder, docs_dir: Path, tmp_path: Path):
    reindex(docs_dir, tmp_path / "index", encoder, limits=LIMITS)
    with pytest.raises(IndexIncompatible, match=re.escape(f"built with model '{encoder.name}', not 'other/model'")):
        load_index(tmp_path / "index", model="other/model")


def test_index_of_another_format_is_refused(encoder, docs_dir: Path, tmp_path: Path):
    reindex(docs_dir, tmp_path / "index", encoder, limits=LIMITS)
    manifest_path = tmp_path / "index" / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexIncompatible, match="format"):
        load_index(tmp_path / "index", model=encoder.name)


def test_damaged_vectors_are_detected(encoder, docs_dir: Path, tmp_path: Path):
    reindex(docs_dir, tmp_path / "index", encoder, limits=LIMITS)
    vectors = tmp_path / "index" / "current" / "vectors.faiss"
    vectors.write_bytes(vectors.read_bytes()[:-100])
    with pytest.raises(IndexIncompatible, match="damaged"):
        load_index(tmp_path / "index", model=encoder.name)


def test_a_crash_while_saving_leaves_the_previous_index(encoder, docs_dir: Path, tmp_path: Path, monkeypatch):
    folder = tmp_path / "index"
    reindex(docs_dir, folder, encoder, limits=LIMITS)
    before = read_manifest(folder)
    (docs_dir / "baru.txt").write_text("Dokumen baru tentang pariwisata Bali.", encoding="utf-8")

    written = []

    def write_then_die(path: Path, data: bytes) -> None:
        path.write_bytes(data[: len(data) // 2])
        written.append(path)
        raise OSError("disk full")

    monkeypatch.setattr(index_module, "write_synced", write_then_die)
    with pytest.raises(OSError, match=r"could not save the index in .*index \(disk full\); it needs about \d+ MiB"):
        reindex(docs_dir, folder, encoder, limits=LIMITS)
    monkeypatch.undo()

    assert written, "the fault was injected during the write"
    assert sorted(os.listdir(folder)) == sorted(["current", os.readlink(folder / "current")])  # no partial left
    after = load_index(folder, model=encoder.name)
    assert after.manifest == before
    assert {p.document for p in after.passages} == {"pertemuan-xi-putin.txt"}


def test_saving_again_replaces_the_current_version_and_cleans_up(encoder, docs_dir: Path, tmp_path: Path):
    folder = tmp_path / "index"
    reindex(docs_dir, folder, encoder, limits=LIMITS)
    reindex(docs_dir, folder, encoder, limits=LIMITS)
    entries = sorted(os.listdir(folder))
    assert len(entries) == 2 and "current" in entries  # the link and one version


def test_index_is_built_on_first_use_and_rebuilt_when_documents_change(encoder, docs_dir: Path, tmp_path: Path):
    folder = tmp_path / "index"
    first = open_index(docs_dir, folder, encoder, limits=LIMITS)
    assert read_manifest(folder).passages == len(first.passages) == 8

    (docs_dir / "cuti.md").write_text(
        "# Cuti\n\nKaryawan mendapat cuti tahunan dua belas hari kerja.", encoding="utf-8"
    )
    second = open_index(docs_dir, folder, encoder, limits=LIMITS)
    assert len(second.passages) == 9
    best = KnowledgeBase(encoder, second).ask("Berapa hari cuti tahunan karyawan?").hits[0]
    assert (best.passage.document, best.passage.section) == ("cuti.md", "Cuti")

    unchanged = open_index(docs_dir, folder, encoder, limits=LIMITS)
    assert unchanged.manifest.created_at == second.manifest.created_at


def test_index_of_another_model_is_rebuilt_on_open(encoder, docs_dir: Path, tmp_path: Path):
    folder = tmp_path / "index"
    reindex(docs_dir, folder, encoder, limits=LIMITS)
    manifest_path = folder / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"] = "another-model"
    manifest_path.write_text(json.dumps(manifest))
    index = open_index(docs_dir, folder, encoder, limits=LIMITS)
    assert index.manifest.model == encoder.name
    assert read_manifest(folder).model == encoder.name


def test_sections_listing(encoder, docs_dir: Path):
    index, _ = index_documents(read_documents(docs_dir, ocr=Ocr()), encoder)
    sections = index.sections()
    assert [(s.number, s.title, len(s.passages)) for s in sections] == [
        (1, "Pertemuan Xi Putin", 1),
        (2, "Hubungan Diplomatik yang Semakin Menguat", 1),
        (3, "Fokus pada Stabilitas dan Keamanan Regional", 1),
        (4, "Kerja Sama Ekonomi yang Solid", 2),
        (5, "Dinamika Politik Global", 3),
    ]
    assert sections[3].text.count("\n\n") == 1


def test_empty_documents_folder_gives_an_empty_index(encoder, tmp_path: Path):
    (tmp_path / "docs").mkdir()
    index, report = reindex(tmp_path / "docs", tmp_path / "index", encoder, limits=LIMITS)
    assert report.passages == 0 and index.sections() == []
    assert KnowledgeBase(encoder, index).ask("apa saja?").hits == []


def _write_documents(folder: Path, count: int) -> None:
    folder.mkdir(exist_ok=True)
    for number in range(count):
        (folder / f"doc-{number:02}.md").write_text(
            f"# Laporan {number}\n\nPaspor nomor {number} diterbitkan di Jakarta. Berlaku lima tahun.\n\n"
            f"Kantor {number} buka setiap hari kerja. Antrean dibatasi seratus orang.\n",
            encoding="utf-8",
        )


def test_reindex_embeds_only_what_changed_and_forgets_deleted_documents(encoder, tmp_path: Path):
    docs, folder = tmp_path / "docs", tmp_path / "index"
    _write_documents(docs, 5)
    _, first = reindex(docs, folder, encoder, limits=LIMITS)
    # per document two passages and two numbered sentences; the other two sentences are the same in all
    assert first.embedded == 5 * (2 + 2) + 2

    _, unchanged = reindex(docs, folder, encoder, limits=LIMITS)
    assert unchanged.embedded == 0

    before = known_vectors(load_index(folder, model=encoder.name), encoder)
    edited = docs / "doc-03.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("seratus orang", "dua ratus orang"), encoding="utf-8")
    (docs / "doc-04.md").unlink()
    index, report = reindex(docs, folder, encoder, limits=LIMITS)
    assert report.embedded == 2  # the edited paragraph and its edited sentence
    assert report.documents == 4
    assert {hit.passage.document for hit in KnowledgeBase(encoder, index).ask("Paspor nomor 4", k=8).hits} <= {
        f"doc-{n:02}.md" for n in range(4)
    }
    assert (
        "dua ratus orang"
        in KnowledgeBase(encoder, index).ask("Berapa orang antrean kantor 3?", k=1).hits[0].passage.text
    )

    fresh, _ = index_documents(read_documents(docs, ocr=Ocr()), encoder)
    assert index.passages == fresh.passages
    after = known_vectors(index, encoder)
    assert len(after) == len(known_vectors(fresh, encoder))
    new = {text for text in after if text not in before}
    assert len(new) == 2 and all("dua ratus orang" in text for text in new)
    assert all(np.array_equal(vector, before[text]) for text, vector in after.items() if text not in new)
    assert all(np.array_equal(after[text], encoder.encode_documents([text])[0]) for text in new)


def test_vectors_of_another_model_or_prompt_are_not_reused(encoder, docs_dir: Path, tmp_path: Path):
    index, _ = reindex(docs_dir, tmp_path / "index", encoder, limits=LIMITS)
    assert len(known_vectors(index, encoder)) > len(index.passages)
    manifest = index.manifest
    index.manifest = dataclasses.replace(manifest, prompts={"query": "query: ", "document": ""})
    assert known_vectors(index, encoder) == {}
    index.manifest = dataclasses.replace(manifest, model="other/model")
    assert known_vectors(index, encoder) == {}


SAMPLE_QUESTIONS = [
    "Apa fokus kerja sama ekonomi?",
    "Siapa yang bertemu di Beijing?",
    "What did they say about regional security?",
    "Bagaimana hubungan diplomatik kedua negara?",
]


def test_above_the_exact_search_limit_passages_are_searched_through_hnsw(encoder, docs_dir: Path, tmp_path: Path):
    exact, _ = reindex(docs_dir, tmp_path / "exact", encoder, limits=LIMITS)
    approximate, _ = reindex(docs_dir, tmp_path / "hnsw", encoder, limits=IndexLimits(Ocr(), exact_search_limit=4))
    loaded = load_index(tmp_path / "hnsw", model=encoder.name)
    assert exact.manifest.search == "exact" and isinstance(exact.vectors, faiss.IndexFlatIP)
    assert loaded.manifest.search == "hnsw" and isinstance(loaded.vectors, faiss.IndexHNSWFlat)
    assert loaded.vectors.hnsw.efSearch == index_module.HNSW_SEARCH_DEPTH
    queries = encoder.encode_queries(SAMPLE_QUESTIONS)
    exact_scores, exact_ids = exact.search(queries, 5)
    for index in (approximate, loaded):
        scores, ids = index.search(queries, 5)
        assert (ids == exact_ids).all()  # eight passages: the graph reaches every one
        np.testing.assert_allclose(scores, exact_scores, rtol=1e-5)
        assert np.array_equal(index.passage_vectors(np.arange(8)), exact.passage_vectors(np.arange(8)))
    answers = [KnowledgeBase(encoder, loaded).ask(question) for question in SAMPLE_QUESTIONS]
    assert answers == [KnowledgeBase(encoder, exact).ask(question) for question in SAMPLE_QUESTIONS]


def test_index_is_rebuilt_without_embedding_when_the_exact_search_limit_changes(
    encoder, docs_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    folder = tmp_path / "index"
    reindex(docs_dir, folder, encoder, limits=LIMITS)
    with caplog.at_level("INFO"):
        switched = open_index(docs_dir, folder, encoder, limits=IndexLimits(Ocr(), exact_search_limit=4))
    assert switched.manifest.search == read_manifest(folder).search == "hnsw"
    assert "exact search limit changed" in caplog.text
    kept = open_index(docs_dir, folder, encoder, limits=IndexLimits(Ocr(), exact_search_limit=4))
    assert kept.manifest.created_at == switched.manifest.created_at
    assert open_index(docs_dir, folder, encoder, limits=LIMITS).manifest.search == "exact"


def test_loaded_vectors_are_memory_mapped(encoder, docs_dir: Path, tmp_path: Path):
    reindex(docs_dir, tmp_path / "index", encoder, limits=LIMITS)
    loaded = load_index(tmp_path / "index", model=encoder.name)
    mapped = Path(f"/proc/{os.getpid()}/maps").read_text()
    assert str((tmp_path / "index" / "current").resolve() / "vectors.faiss") in mapped
    assert isinstance(loaded.sentence_vectors, np.memmap)


def test_an_unavailable_documents_folder_keeps_the_saved_index_in_use(
    encoder, docs_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    folder = tmp_path / "index"
    built, _ = reindex(docs_dir, folder, encoder, limits=LIMITS)
    docs_dir.rename(tmp_path / "elsewhere")  # an unmounted share, a renamed folder
    with caplog.at_level("WARNING"):
        index = open_index(docs_dir, folder, encoder, limits=LIMITS)
    assert f"documents folder {docs_dir} is unavailable" in caplog.text
    assert index.manifest == built.manifest
    assert (
        KnowledgeBase(encoder, index).ask("Why is energy a key area of cooperation?").hits[0].passage.section_number
        == 4
    )
    with pytest.raises(FileNotFoundError, match="does not exist or is not a folder"):
        open_index(docs_dir, tmp_path / "no-index-yet", encoder, limits=LIMITS)
