"""Crashes and damaged files: after a SIGKILL the index is the old one or the new one, never a mix;
damage is detected, logged and rebuilt, and never answered from."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from embeddings.documents.folder import folder_fingerprint
from embeddings.documents.ocr import Ocr
from embeddings.indexing import IndexLimits, open_index, reindex
from embeddings.knowledge import KnowledgeBase
from embeddings.search.index import Manifest, load_index, read_manifest
from tests.botapi import BotApiStandIn
from tests.processes import running, tanya, wait_for_output
from tests.test_answers import QUESTIONS

ADMIN = 42


def add_meeting_notes(docs_dir: Path, count: int) -> None:
    """``count`` documents of eight paragraphs of three distinct sentences: some seconds of indexing."""
    for number in range(count):
        paragraphs = "\n\n".join(
            f"Catatan rapat {number}-{i}: tim {i} membahas anggaran {number * 10 + i} juta untuk program ke-{i}. "
            f"Jadwal pelaksanaan ditetapkan pada minggu ke-{i + 1} bulan ke-{number % 12 + 1} tahun ini. "
            f"Evaluasi dilakukan oleh bagian {number + i} setiap {i + 2} hari kerja sampai laporan {number} selesai."
            for i in range(8)
        )
        (docs_dir / f"rapat-{number:02}.txt").write_text(paragraphs, encoding="utf-8")


def complete_manifest(index_dir: Path, encoder) -> Manifest:
    """The manifest of the current index, after loading all of it with every checksum verified."""
    return load_index(index_dir, model=encoder.name).manifest


def new_version_started(index_dir: Path) -> bool:
    """Whether a save has begun writing a version folder beside the current one."""
    current = os.readlink(index_dir / "current")
    return any(entry.startswith("v-") and entry != current for entry in os.listdir(index_dir))


def wait_for_a_save(process, index_dir: Path, timeout: float = 300.0) -> None:
    """Wait until ``process`` has begun saving a new version of the index (or has ended)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and not new_version_started(index_dir):
        assert time.monotonic() < deadline, f"no save began within {timeout} s"
        time.sleep(0.001)  # a save is short: looked for every millisecond, but no core spinning beside the indexer


def test_sigkill_in_the_middle_of_tanya_index_leaves_the_old_or_the_new_index(encoder, data_dir, docs_dir, tmp_path):
    index_dir, log = data_dir / "index", tmp_path / "tanya.log"
    first = tanya(data_dir, docs_dir, "index", log=log)
    assert first.wait(timeout=300) == 0, log.read_text()
    old = read_manifest(index_dir).corpus_fingerprint
    add_meeting_notes(docs_dir, 20)
    new = folder_fingerprint(docs_dir)

    killed_while = []
    for moment in ("embedding", "saving", "saving", "saving"):
        log.write_text("")
        process = tanya(data_dir, docs_dir, "index", log=log)
        if moment == "embedding":
            wait_for_output(process, log, "Embedding passages")
        else:
            wait_for_a_save(process, index_dir)
        process.kill()
        if process.wait(timeout=60) == -signal.SIGKILL:
            killed_while.append(moment)
        manifest = complete_manifest(index_dir, encoder)
        assert manifest.corpus_fingerprint in (old, new)
        if "saving" in killed_while:
            break
    assert killed_while[:2] == ["embedding", "saving"], killed_while

    # restarted, it answers: from the complete old index, or a new one it builds first
    asked = tanya(data_dir, docs_dir, "ask", "Kapan pertemuan virtual Xi Jinping dan Putin diadakan?", log=log)
    assert asked.wait(timeout=300) == 0, log.read_text()
    assert "section 1, paragraph 1" in log.read_text()

    after = tanya(data_dir, docs_dir, "index", log=log)
    assert after.wait(timeout=300) == 0, log.read_text()
    assert complete_manifest(index_dir, encoder).corpus_fingerprint == new
    assert [e for e in os.listdir(index_dir) if e != "current"] == [os.readlink(index_dir / "current")]


def test_sigkill_during_an_admin_reindex_then_restart_answers_from_a_complete_index(
    encoder, data_dir, docs_dir, tmp_path
):
    index_dir, log = data_dir / "index", tmp_path / "serve.log"
    with BotApiStandIn() as standin:
        env = dict(TANYA_BOT_TOKEN=standin.token, TANYA_BASE_URL=standin.base_url, TANYA_ADMIN_IDS=str(ADMIN))
        with running(tanya(data_dir, docs_dir, "serve", log=log, **env)) as process:
            assert "section 1, paragraph 1" in standin.reply_to(standin.send(QUESTIONS[1][0]), 180)["text"]
            old = complete_manifest(index_dir, encoder).corpus_fingerprint
            add_meeting_notes(docs_dir, 20)
            started = standin.reply_to(standin.send("/reindex", user_id=ADMIN))
            assert started["text"].startswith("⏳ Reindexing")
            time.sleep(1.0)
            process.kill()
            assert process.wait(timeout=60) == -signal.SIGKILL
        assert not [text for text in standin.sent_texts() if "Reindexed in" in text], "killed too late"
        assert complete_manifest(index_dir, encoder).corpus_fingerprint == old

        with running(tanya(data_dir, docs_dir, "serve", log=log, **env)) as process:  # the documents changed: rebuilds
            reply = standin.reply_to(standin.send("Rapat mana yang membahas anggaran 35 juta?", language="id"), 300)
            assert "rapat-03.txt" in reply["text"]
            assert complete_manifest(index_dir, encoder).corpus_fingerprint == folder_fingerprint(docs_dir)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0


def _truncate(folder: Path) -> None:
    path = folder / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:-512])


def _corrupt(folder: Path) -> None:
    path = folder / "passages.json"
    data = bytearray(path.read_bytes())
    data[200:206] = b"XXXXXX"
    path.write_bytes(bytes(data))


def _remove(folder: Path) -> None:
    (folder / "sentence-vectors.npy").unlink()


def _mismatched_manifest(folder: Path) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["passages"] += 1
    path.write_text(json.dumps(manifest))


def _unreadable_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_text('{"format_version": 2, "model": ', encoding="utf-8")


DAMAGE = {
    "truncated vectors": (_truncate, "vectors.faiss is missing or damaged"),
    "corrupted passages": (_corrupt, "passages.json is missing or damaged"),
    "missing sentence vectors": (_remove, "sentence-vectors.npy is missing or damaged"),
    "manifest that does not match": (_mismatched_manifest, "the manifest says 9 passages, the index holds 8"),
    "unreadable manifest": (_unreadable_manifest, "manifest"),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_index_is_detected_logged_and_rebuilt_never_answered_from(
    encoder, docs_dir, tmp_path, caplog, damage
):
    index_dir = tmp_path / "index"
    built, _ = reindex(docs_dir, index_dir, encoder, limits=IndexLimits(Ocr()))
    expected = [KnowledgeBase(encoder, built).ask(question).hits[0].passage for question, _, _ in QUESTIONS]
    damage_index, reason = damage
    damage_index((index_dir / "current").resolve())
    with caplog.at_level("WARNING"):
        rebuilt = open_index(docs_dir, index_dir, encoder, limits=IndexLimits(Ocr()))
    assert "rebuilding the index: " in caplog.text and reason in caplog.text
    assert [KnowledgeBase(encoder, rebuilt).ask(question).hits[0].passage for question, _, _ in QUESTIONS] == expected
    assert complete_manifest(index_dir, encoder).passages == len(built.passages)
