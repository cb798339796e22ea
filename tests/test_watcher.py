"""TANYA_WATCH through the real application and the real watchfiles on a real folder: files added,
written slowly, renamed and removed are indexed once the folder is quiet; a burst is one reindex; a
change during a reindex is not lost; admins are told."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.test_bot import ADMIN, assert_all_messages_valid

PROBE = "kantin.md"  # a later change, to show nothing else was pending
PARKING = "## Parkir\n\nTamu parkir di basement B1 gedung utama, dengan menunjukkan kartu identitas kepada satpam.\n"


def _is_notice(call) -> bool:
    return call.method == "sendMessage" and call.params["chat_id"] == ADMIN and call.params["text"].startswith("📂")


def _notices(bot) -> list[str]:
    return [call.params["text"] for call in bot.standin.calls if _is_notice(call)]


def _wait_notices(bot, count: int, timeout: float = 120.0) -> list[str]:
    """The admins' first ``count`` notices of a reindex, once there are that many."""
    return [call.params["text"] for call in bot.standin.wait_for(_is_notice, timeout=timeout, count=count)]


def _wait(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the folder's change was not indexed in time"
        time.sleep(0.5)


@pytest.fixture
def batches(monkeypatch) -> list[set[str]]:
    """The changes the watcher takes up, one set of file names per batch: each batch is at most one reindex."""
    from bot import watcher

    taken: list[set[str]] = []
    changed = watcher._changed

    async def recorded(application, stop, paths):
        taken.append({path.name for path in paths})
        await changed(application, stop, paths)

    monkeypatch.setattr(watcher, "_changed", recorded)
    return taken


def _nothing_else_was_pending(bot, docs_dir: Path, notices: int) -> None:
    """A later change (``PROBE``), taken up after anything still pending, as the watcher takes up changes
    in order: its reindex is the next notice, with nothing but it in it. With ``batches`` (the probe's
    batch must be the one after those expected), this shows that nothing else was pending, without
    waiting for a time to pass."""
    (docs_dir / PROBE).write_text(
        "## Kantin\n\nKantin buka pukul tujuh pagi sampai pukul tiga sore.\n", encoding="utf-8"
    )
    *_, last = _wait_notices(bot, notices + 1)
    assert len(_notices(bot)) == notices + 1 and last.count(".md") == 1 and f"Added: {PROBE}" in last


def _answer(bot, question: str, user: int) -> str:
    return bot.ask(question, user_id=user)["text"]


@pytest.mark.parametrize("polling", [False, True], ids=["events", "polling"])
def test_a_file_added_written_slowly_renamed_and_removed_is_followed(bot_factory, docs_dir: Path, polling: bool):
    bot = bot_factory(watch=True, watch_polling=polling, notify_admins=True)
    notes = docs_dir / "tamu" / "parkir.md"
    notes.parent.mkdir()
    with notes.open("w", encoding="utf-8") as handle:  # written over 2.5 s: never read half-way
        for part in (PARKING[:40], PARKING[40:80], PARKING[80:]):
            handle.write(part)
            handle.flush()
            time.sleep(1.2)
    _wait(lambda: len(_notices(bot)) == 1)
    assert "Added: tamu/parkir.md" in _notices(bot)[0]
    assert "basement B1 gedung utama" in _answer(bot, "Di mana tamu parkir?", 2001)
    notes.rename(docs_dir / "tamu" / "parkir-tamu.md")
    _wait(lambda: len(_notices(bot)) == 2)
    assert "📄 tamu/parkir-tamu.md" in _answer(bot, "Di mana tamu parkir?", 2002)
    (docs_dir / "tamu" / "parkir-tamu.md").unlink()
    _wait(lambda: len(_notices(bot)) == 3)
    assert "Removed: tamu/parkir-tamu.md" in _notices(bot)[2]
    assert "basement B1" not in _answer(bot, "Di mana tamu parkir?", 2003)
    assert_all_messages_valid(bot)


def test_a_burst_of_changes_is_one_reindex(bot_factory, docs_dir: Path, batches: list[set[str]]):
    bot = bot_factory(watch=True, notify_admins=True)
    burst = docs_dir / "burst.md"
    for number in range(1000):  # a thousand events within moments
        burst.write_text(f"## Catatan\n\nCatatan nomor {number} tentang jadwal rapat mingguan.\n", encoding="utf-8")
    [notice] = _wait_notices(bot, 1)
    assert "Added: burst.md" in notice
    assert "Catatan nomor 999" in _answer(bot, "Catatan nomor berapa tentang jadwal rapat mingguan?", 3001)
    _nothing_else_was_pending(bot, docs_dir, notices=1)
    assert batches == [{"burst.md"}, {PROBE}]  # the whole burst in one batch, and nothing left of it after


def test_a_change_during_a_reindex_is_gathered_for_a_second_one(
    bot_factory, docs_dir: Path, batches: list[set[str]], monkeypatch
):
    from embeddings import indexing

    bot = bot_factory(watch=True, notify_admins=True)
    read, changed = threading.Event(), threading.Event()
    read_documents = indexing.read_documents

    def read_then_hold(*args, **kwargs):  # the reindex holds here, the folder read, until the test changes it
        documents = read_documents(*args, **kwargs)
        if not read.is_set():
            read.set()
            changed.wait(120)
        return documents

    monkeypatch.setattr(indexing, "read_documents", read_then_hold)
    (docs_dir / "rapat.md").write_text(
        "## Rapat\n\nRapat mingguan diadakan setiap Senin pukul sembilan.\n", encoding="utf-8"
    )
    try:
        assert read.wait(120), "the change did not start a reindex"
        (docs_dir / "parkir.md").write_text(PARKING, encoding="utf-8")  # while that reindex runs, after it read
    finally:
        changed.set()
    first, second = _wait_notices(bot, 2)
    assert "Added: rapat.md" in first and "parkir.md" not in first  # the first reindex read the folder before
    assert "Added: parkir.md" in second and "rapat.md" not in second  # ... and the change was not lost
    assert "basement B1 gedung utama" in _answer(bot, "Di mana tamu parkir?", 3002)
    _nothing_else_was_pending(bot, docs_dir, notices=2)
    assert batches == [{"rapat.md"}, {"parkir.md"}, {PROBE}]


def test_the_watcher_outlives_a_name_that_is_not_utf8_and_never_reads_a_link_out_of_the_folder(
    bot_factory, docs_dir: Path, tmp_path: Path, caplog
):
    bot = bot_factory(watch=True, notify_admins=True)
    secret = tmp_path / "secret.env"
    secret.write_text("TANYA_BOT_TOKEN=123456:rahasia-zebra-7731\n", encoding="utf-8")
    (docs_dir / "settings.txt").symlink_to(secret)
    bad = Path(os.fsdecode(os.fsencode(docs_dir) + b"/bad\xffname.md"))
    bad.write_text(PARKING, encoding="utf-8")  # watchfiles gives up on this name: the watcher watches again
    _wait(lambda: len(_notices(bot)) == 1)
    assert "bad\\xffname.md: its name is not valid UTF-8" in _notices(bot)[0]
    assert "settings.txt: is a link out of the documents folder" in _notices(bot)[0]
    assert "rahasia-zebra" not in _answer(bot, "TANYA_BOT_TOKEN", 4001)
    bad.unlink()
    (docs_dir / "parkir.md").write_text(PARKING, encoding="utf-8")
    _wait(lambda: len(_notices(bot)) == 2)  # still watching
    assert "Added: parkir.md" in _notices(bot)[1]
    assert "basement B1 gedung utama" in _answer(bot, "Di mana tamu parkir?", 4002)
    assert "watching" in caplog.text and "failed" in caplog.text  # the error was logged, not swallowed
    assert_all_messages_valid(bot)


def test_a_file_that_never_stops_growing_does_not_hold_back_the_others(bot_factory, docs_dir: Path, monkeypatch):
    from bot import watcher

    monkeypatch.setattr(watcher, "LONGEST_MS", 8000)
    bot = bot_factory(watch=True, notify_admins=True)
    growing = docs_dir / "log.txt"
    (docs_dir / "parkir.md").write_text(PARKING, encoding="utf-8")
    with growing.open("w", encoding="utf-8") as handle:
        started = time.monotonic()
        while not _notices(bot):
            assert time.monotonic() - started < 60, "a growing file held back the folder's other changes"
            handle.write("Baris catatan server yang terus bertambah.\n")
            handle.flush()
            time.sleep(0.3)
    assert "parkir.md" in _notices(bot)[0]
    assert "basement B1 gedung utama" in _answer(bot, "Di mana tamu parkir?", 4003)
