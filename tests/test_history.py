"""What admins learn from use: votes, /stats from the history, /unanswered, /forget, inline answers,
and a history database that is damaged, locked or killed mid-write."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bot.state import State
from bot.state.database import HISTORY_FILE, SCHEMA_VERSION
from bot.state.history import Asked, History, new_ref
from tests.test_bot import ADMIN, assert_all_messages_valid, buttons

ANSWERED = "Kapan pertemuan virtual diadakan?"
TRAIN_FARE = "Berapa harga tiket kereta ke Bandung?"  # the sample says nothing of it: "not sure"
TRAIN_FARE_AGAIN = "berapa harga tiket kereta api ke bandung"
WORLD_CUP = "Siapa juara piala dunia 2018?"


def _history(folder: Path, days: int) -> History:
    """The history of the data folder ``folder``, as ``tanya serve`` keeps it by default."""
    return State.open(None, folder, days, per_minute=0).history


def _stored(bot, sql: str, *args) -> list[tuple]:
    """Rows of the bot's history database, once what it queued is written."""
    assert bot.application.bot_data["state"].history.flush()
    with sqlite3.connect(bot.settings.data_dir / HISTORY_FILE) as connection:
        return connection.execute(sql, args).fetchall()


def test_votes_are_acknowledged_without_a_message_one_per_user_and_may_change(bot):
    reply = bot.ask(ANSWERED)
    keys = buttons(reply)
    start = len(bot.standin.calls)
    assert bot.press(reply, keys["👍"]).params["text"] == "Thanks for the 👍"
    bot.press(reply, keys["👍"])  # the same vote again counts once
    down = bot.press(reply, keys["👎"])  # changed their mind
    assert "try “More answers ▶”" in down.params["text"] and "More answers ▶" in buttons(reply)
    bot.press(reply, keys["👍"], user_id=2002)  # another user
    assert "sendMessage" not in bot.actions_since(start) and "editMessageText" not in bot.actions_since(start)

    user = bot.application.bot_data["state"].history.user(1001)
    assert _stored(bot, "SELECT user, vote FROM votes ORDER BY vote") == [
        (user, -1),
        (bot.application.bot_data["state"].history.user(2002), 1),
    ]
    stats = bot.ask("/stats", user_id=ADMIN)["text"]
    assert "Helpful (👍 of the votes): 50% (1/2)" in stats
    assert "<b>Answers by document</b>\npertemuan-xi-putin.txt: 1" in stats
    assert_all_messages_valid(bot)


def test_questions_are_stored_with_their_answer_and_users_only_as_a_salted_hash(bot):
    bot.ask(ANSWERED, user_id=1001, language="id")
    bot.ask(TRAIN_FARE, user_id=1001)
    rows = _stored(
        bot,
        "SELECT chat_type, language, user, question, document, section, paragraph, not_sure, seconds, "
        "length(vector) FROM questions ORDER BY asked_at",
    )
    assert [row[:2] + row[3:8] for row in rows] == [
        ("private", "id", ANSWERED, "pertemuan-xi-putin.txt", 1, 1, 0),
        ("private", "id", TRAIN_FARE, rows[1][4], rows[1][5], rows[1][6], 1),  # the answer's language
    ]
    assert all(0 < row[8] < 60 and row[9] == 384 * 4 for row in rows)
    [(salt,)] = _stored(bot, "SELECT value FROM secrets WHERE name = 'user-salt'")
    assert len(salt) == 32 and rows[0][2] == rows[1][2] != "1001" and "1001" not in rows[0][2]
    assert rows[0][2] == hashlib.sha256(salt + b"1001").hexdigest()[:32]
    with sqlite3.connect(bot.settings.data_dir / HISTORY_FILE) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)


def test_stats_survive_a_restart(bot_factory):
    first = bot_factory()
    first.ask(ANSWERED)
    first.ask(TRAIN_FARE)
    first.stop()
    second = bot_factory()
    stats = second.ask("/stats", user_id=ADMIN)["text"]
    assert "<b>Questions</b>: today 2 · last 7 days 2 · all time 2\n" in stats
    assert "Answered “not sure”: 50% (1/2)" in stats
    second.ask(WORLD_CUP)
    assert "all time 3" in second.ask("/stats", user_id=ADMIN)["text"]


def test_unanswered_groups_near_duplicates_most_asked_first(bot):
    for question in (WORLD_CUP, TRAIN_FARE, TRAIN_FARE_AGAIN, ANSWERED):
        bot.ask(question, user_id=3003)
    voted = bot.ask("Apa fokus kerja sama ekonomi?", user_id=3004)
    bot.press(voted, buttons(voted)["👎"], user_id=3004)
    assert bot.ask("/unanswered", user_id=3004)["text"].startswith("Sorry, only admins")
    listing = bot.ask("/unanswered", user_id=ADMIN)["text"]
    lines = listing.split("\n")[3:]  # below the title and how to teach answers
    assert lines[0] == f"1. {TRAIN_FARE_AGAIN} — 2× (not sure 2, 👎 0)"  # its latest wording
    assert lines[1:] == [  # as often asked: the latest first
        "2. Apa fokus kerja sama ekonomi? — 1× (not sure 0, 👎 1)",
        f"3. {WORLD_CUP} — 1× (not sure 1, 👎 0)",
    ]
    assert ANSWERED not in listing
    assert_all_messages_valid(bot)


def test_forget_erases_a_users_own_questions_and_votes(bot):
    reply = bot.ask(ANSWERED, user_id=4004)
    bot.press(reply, buttons(reply)["👍"], user_id=4004)
    bot.ask(TRAIN_FARE, user_id=4004)
    bot.ask(WORLD_CUP, user_id=5005)
    assert bot.ask("/forget", user_id=4004)["text"] == "🧹 Deleted 2 of your questions and your votes from my history."
    assert _stored(bot, "SELECT question FROM questions") == [(WORLD_CUP,)]
    assert _stored(bot, "SELECT COUNT(*) FROM votes") == [(0,)]
    assert bot.ask("/forget", user_id=4004)["text"] == "I hold no questions of yours."
    assert "all time 3" in bot.ask("/stats", user_id=ADMIN)["text"]  # daily counts name no one


def test_history_days_zero_keeps_only_daily_counts(bot_factory):
    bot = bot_factory(history_days=0)
    reply = bot.ask(TRAIN_FARE)
    bot.press(reply, buttons(reply)["👎"])
    assert _stored(bot, "SELECT COUNT(*) FROM questions") == [(0,)]
    assert _stored(bot, "SELECT COUNT(*) FROM votes") == [(0,)]
    stats = bot.ask("/stats", user_id=ADMIN)["text"]
    assert "all time 1" in stats and "Helpful (👍 of the votes): 0% (0/1)" in stats
    assert "Median answer time, last 7 days: —" in stats
    assert bot.ask("/unanswered", user_id=ADMIN)["text"].startswith("I keep no questions")


def test_inline_queries_list_the_best_passages_to_send(bot):
    query_id = bot.standin.inline(ANSWERED)
    [call] = bot.standin.wait_for(lambda c: c.method == "answerInlineQuery" and c.params["inline_query_id"] == query_id)
    results = call.params["results"]
    expected = bot.application.bot_data["knowledge"].ask(ANSWERED)
    assert call.params["cache_time"] == 60 and len(results) == len(expected.hits)
    best = expected.hits[0].passage
    start, end = expected.sentence
    assert results[0]["title"] == best.section
    assert results[0]["description"] == best.text[start:end]
    message = results[0]["input_message_content"]
    assert message["parse_mode"] == "HTML" and "bagian 1, paragraf 1" in message["message_text"]
    assert "Jawaban 1 dari" not in message["message_text"]  # a sent answer has no buttons to page
    assert "all time 1" in bot.ask("/stats", user_id=ADMIN)["text"]

    empty = bot.standin.inline("   ")
    [call] = bot.standin.wait_for(lambda c: c.method == "answerInlineQuery" and c.params["inline_query_id"] == empty)
    assert call.params["results"] == [] and call.params["button"]["text"] == "Type a question after my name"


def test_an_inline_flood_meets_the_per_user_limit_and_others_are_unaffected(bot_factory):
    bot = bot_factory(questions_per_minute=3)
    flood = [bot.standin.inline(f"{ANSWERED} {n}", user_id=6006) for n in range(8)]
    other = bot.standin.inline(WORLD_CUP, user_id=7007)
    calls = bot.standin.wait_for(lambda c: c.method == "answerInlineQuery", count=9)
    by_id = {call.params["inline_query_id"]: call.params for call in calls}
    answered = [by_id[query] for query in flood if by_id[query]["results"]]
    refused = [by_id[query] for query in flood if not by_id[query]["results"]]
    assert len(answered) == 3 and len(refused) == 5
    assert all(params["button"]["text"].startswith("Too many questions: wait") for params in refused)
    assert by_id[other]["results"]


def test_a_damaged_history_never_stops_the_answers(bot, caplog):
    bot.ask(ANSWERED)
    assert bot.application.bot_data["state"].history.flush()
    path = bot.settings.data_dir / HISTORY_FILE
    for name in (path, path.with_name(path.name + "-wal")):
        if name.exists():
            name.write_bytes(b"this is not a database " * 400)
    assert "bagian 1, paragraf 1" in bot.ask(ANSWERED)["text"]
    assert bot.application.bot_data["state"].history.flush()
    assert list(path.parent.glob(f"{HISTORY_FILE}.damaged-*"))  # kept aside for the admin
    assert "bagian 1, paragraf 1" in bot.ask(ANSWERED)["text"]
    assert "all time 1" in bot.ask("/stats", user_id=ADMIN)["text"]  # a new database counts on
    assert "the database is damaged" in caplog.text


def test_a_locked_history_never_stops_the_answers_and_catches_up(bot, tmp_path: Path):
    bot.ask(ANSWERED)
    assert bot.application.bot_data["state"].history.flush()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
                "c.execute('BEGIN EXCLUSIVE'); c.execute('INSERT INTO daily (day, document) VALUES (\"x\", \"y\")'); "
                "print('locked', flush=True); sys.stdin.read()"
            ),
            str(bot.settings.data_dir / HISTORY_FILE),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        for question in (ANSWERED, TRAIN_FARE, WORLD_CUP):
            assert bot.ask(question)["text"]
        assert not bot.application.bot_data["state"].history.flush(timeout=1)  # waiting for the lock
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert bot.answered() == 4  # written once the lock was released


def test_a_kill_mid_write_loses_at_most_the_unflushed_rows(tmp_path: Path):
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; sys.path.insert(0, sys.argv[2]); from pathlib import Path\n"
                "from tests.test_history import write_forever; write_forever(Path(sys.argv[1]))"
            ),
            str(tmp_path),
            str(Path(__file__).resolve().parent.parent),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    flushed = 0
    while flushed < 2000:
        flushed = int(writer.stdout.readline())
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    with sqlite3.connect(tmp_path / HISTORY_FILE) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = connection.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
        counted = connection.execute("SELECT SUM(questions) FROM daily").fetchone()[0]
    assert stored >= flushed and counted == stored  # each row and its count written together


def write_forever(folder: Path) -> None:
    """Record questions as fast as possible, printing how many are surely written (for the kill test)."""
    history = _history(folder, 90).start()
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    for number in range(10**9):
        history.record(
            Asked(
                new_ref(),
                time.time(),
                "private",
                "en",
                history.user(number % 50),
                f"question {number}",
                "a.md",
                1,
                1,
                0.5,
                False,
                0.01,
                vector,
            )
        )
        if number % 100 == 99:
            history.flush()
            print(number + 1, flush=True)


def test_tanya_report_prints_usage_and_unanswered_and_exports_csv(run_tanya, data_dir: Path, tmp_path: Path):
    assert run_tanya("report").stdout.startswith("No history yet")
    history = _history(data_dir, 90).start()
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    for number, (question, not_sure) in enumerate([(TRAIN_FARE, True), (TRAIN_FARE, True), (ANSWERED, False)]):
        history.record(
            Asked(
                new_ref(),
                time.time() - number,
                "group",
                "id",
                history.user(number),
                question,
                "pertemuan-xi-putin.txt",
                1,
                1,
                0.2,
                not_sure,
                0.02,
                vector if not_sure else -vector,
            )
        )
    history.close()
    export = tmp_path / "questions.csv"
    result = run_tanya("report", "--days", "7", "--csv", str(export))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "Questions: today 3, last 7 days 3, all time 3",
        "Answered 'not sure': 67% (2/3)",
        "Answered from taught answers: 0",
        "Helpful (👍 of the votes): —",
        "Median answer time, last 7 days: 20 ms",
    ]
    assert f"     2×  {TRAIN_FARE}  (not sure 2, 👎 0)" in lines
    assert lines[-1] == f"Wrote 3 questions of the last 7 days to {export}"
    rows = export.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("asked_at,chat_type,language,user,question,source,document") and len(rows) == 4
    assert all(",group,id," in row and "pertemuan-xi-putin.txt" in row for row in rows[1:])


def test_rows_older_than_the_history_days_are_deleted_and_the_daily_counts_stay(tmp_path: Path):
    history = _history(tmp_path, 30).start()
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    for age_days, question in ((45, "old question"), (1, "recent question")):
        history.record(
            Asked(
                new_ref(),
                time.time() - age_days * 86400,
                "private",
                "en",
                history.user(1),
                question,
                "a.md",
                1,
                1,
                0.5,
                True,
                0.01,
                vector,
            )
        )
    history.close()
    with sqlite3.connect(tmp_path / HISTORY_FILE) as connection:
        assert connection.execute("SELECT question FROM questions").fetchall() == [("recent question",)]
    assert _history(tmp_path, 30).usage().all_time == 2


def test_stats_sends_a_chart_of_30_days_with_its_numbers_in_the_admins_language(bot):
    import io

    from PIL import Image

    bot.ask(ANSWERED)
    bot.ask(TRAIN_FARE)
    reply = bot.ask("/stats", user_id=ADMIN, language="de")
    [photo] = [call for call in bot.standin.calls if call.method == "sendPhoto"]
    assert photo.status == 200, photo.result
    with Image.open(io.BytesIO(photo.params["photo"])) as chart:
        assert chart.format == "PNG" and chart.size == (800, 600)
    caption = photo.params["caption"]
    assert caption.startswith("📊 Letzte 30 Tage: <b>2</b> Fragen, 50% mit „nicht sicher“"), caption
    assert photo.at < next(
        c.at for c in bot.standin.calls if c.method == "sendMessage" and c.params["text"] == reply["text"]
    )
    assert "Dokumente" in reply["text"] or "Fragen" in reply["text"]  # the numbers follow the chart


def test_stats_of_an_empty_history_says_so_instead_of_an_empty_chart(bot):
    reply = bot.ask("/stats", user_id=ADMIN)
    assert "No questions in the last 30 days, so there is no chart yet." in reply["text"]
    assert "sendPhoto" not in [call.method for call in bot.standin.calls]


def test_report_plot_writes_the_chart_or_says_there_is_nothing_to_draw(run_tanya, data_dir, tmp_path):
    chart = tmp_path / "stats.png"
    empty = run_tanya("report", "--plot", str(chart))
    assert empty.returncode == 1 and "No history yet" in empty.stdout and not chart.exists()
    history = _history(data_dir, 90).start()
    history.record(
        Asked(
            ref=new_ref(),
            asked_at=time.time() - 40 * 86400,
            chat_type="private",
            language="id",
            user="u",
            question=ANSWERED,
            document="a.txt",
            section=1,
            paragraph=1,
            confidence=0.9,
            not_sure=False,
            seconds=0.01,
            vector=None,
        )
    )
    history.close()
    old = run_tanya("report", "--plot", str(chart))  # a history, but nothing in the last 30 days
    assert old.returncode == 1 and "No questions in the last 30 days, so no chart was written." in old.stdout
    assert not chart.exists()
    history = _history(data_dir, 90).start()
    history.record(
        Asked(
            ref=new_ref(),
            asked_at=time.time(),
            chat_type="private",
            language="id",
            user="u",
            question=ANSWERED,
            document="a.txt",
            section=1,
            paragraph=1,
            confidence=0.9,
            not_sure=False,
            seconds=0.01,
            vector=None,
        )
    )
    history.close()
    drawn = run_tanya("report", "--plot", str(chart))
    assert drawn.returncode == 0, drawn.stderr
    assert f"Wrote the chart of the last 30 days to {chart}" in drawn.stdout
    assert chart.read_bytes().startswith(b"\x89PNG") and not list(tmp_path.glob(".stats.png*"))
