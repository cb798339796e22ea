"""TANYA_WATCH through the real application and the real watchfiles on a real folder: files added,
written slowly, renamed and removed are indexed once the folder is quiet; a burst is one reindex; a
change during a reindex is not lost; admins are told."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.test_bot import ADMIN, assert_all_messages_valid

PARKING = "## Parkir\n\nTamu parkir di basement B1 gedung utama, dengan menunjukkan kartu identitas kepada satpam.\n"


def _notices(bot) -> list[str]:
    return [
        c.params["text"]
        for c in bot.standin.calls
        if c.method == "sendMessage" and c.params["chat_id"] == ADMIN and c.params["text"].startswith("📂")
    ]


def _wait(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the folder's change was not indexed in time"
        time.sleep(0.5)


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


def test_a_burst_of_changes_is_one_reindex_and_a_change_during_a_reindex_is_not_lost(bot_factory, docs_dir: Path):
    bot = bot_factory(watch=True, notify_admins=True)
    burst = docs_dir / "burst.md"
    for number in range(1000):  # a thousand events within moments
        burst.write_text(f"## Catatan\n\nCatatan nomor {number} tentang jadwal rapat mingguan.\n", encoding="utf-8")
    _wait(lambda: bot.application.bot_data["knowledge"].status is not None or len(_notices(bot)) == 1)
    (docs_dir / "parkir.md").write_text(PARKING, encoding="utf-8")  # while that reindex runs, or just after
    _wait(lambda: "basement B1" in _answer(bot, "Di mana tamu parkir?", 3000 + len(bot.standin.calls)))
    time.sleep(5)  # nothing else is pending
    notices = _notices(bot)
    assert 1 <= len(notices) <= 2 and "Added: burst.md" in notices[0]
    assert "Catatan nomor 999" in _answer(bot, "Catatan nomor berapa tentang jadwal rapat mingguan?", 3999)


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
