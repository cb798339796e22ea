"""Taught answers (issue 30): the matcher, the store and its migration, FAQ files through the real
``tanya`` command line, and admins teaching through the real application over HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import time

from openpyxl import Workbook
from sqlalchemy import inspect, text

from bot.formatting import TAUGHT_ANSWER_LIMIT
from bot.handlers.teach import PROMPT
from bot.state import State
from bot.state.database import SCHEMA_VERSION, open_database
from bot.state.history import Asked
from embeddings.search.taught import TaughtAnswer, TaughtIndex
from tests.telegram_html import telegram_html_problem
from tests.test_bot import ADMIN, buttons
from tests.test_state import tables_since

PARKING = "Di mana tempat parkir untuk tamu kantor?"
PARKING_ANSWER = "Tamu parkir di basement B1 <gedung & lobi> — tunjukkan KTP ke satpam."
HOURS = "Jam berapa kantor buka pada hari Senin?"


def test_a_taught_question_is_given_in_its_own_words_and_left_alone_when_far(encoder):
    taught = TaughtIndex(encoder)
    taught.replace([TaughtAnswer(1, PARKING_ANSWER, 0.0, (PARKING,)), TaughtAnswer(2, "08.00–16.30.", 0.0, (HOURS,))])
    same = taught.match(encoder.encode_queries(["di mana tempat  parkir untuk tamu kantor?"])[0])
    assert same.answer.id == 1 and same.given and same.similarity > 0.99
    far = encoder.encode_queries(["Siapa presiden Rusia yang bertemu Xi Jinping?"])[0]
    assert taught.match(far) is None
    taught.replace([TaughtAnswer(2, "08.00–16.30.", 0.0, (HOURS,))])  # removed: never matched again
    left = taught.match(encoder.encode_queries([PARKING])[0])
    # The other answer's question is near in wording (similarity 0.85): offered behind a button, never given.
    assert left is not None and left.answer.id == 2 and not left.given
    assert len(taught) == 1


def test_with_no_taught_answers_the_documents_answer_exactly_as_before(sample_knowledge):
    question = "Sektor apa saja yang dicakup kesepakatan ekonomi kedua negara?"
    before = sample_knowledge.ask(question)
    assert before.taught is None
    sample_knowledge.taught.replace([TaughtAnswer(1, "Semua sektor.", 0.0, (question,))])
    try:
        taught = sample_knowledge.ask(question)
        assert taught.taught_given and taught.hits == before.hits and taught.confidence == before.confidence
    finally:
        sample_knowledge.taught.replace([])
    assert sample_knowledge.ask(question) == before


def test_the_store_teaches_moves_and_removes_and_its_version_changes_each_time(database_url):
    taught = State(open_database(database_url), 90, 20).taught
    seen = {taught.version()}
    first = taught.teach([PARKING, " Parkir tamu di mana? "], PARKING_ANSWER, by=ADMIN)
    assert taught.teach(["Parkir tamu di mana?"], PARKING_ANSWER, by=ADMIN) == first  # the same words: one answer
    seen.add(taught.version())
    second = taught.teach(["Parkir tamu di mana?", HOURS], "Di halaman depan.", by=ADMIN)  # the question moves
    seen.add(taught.version())
    listing = {entry.id: entry.questions for entry in taught.listing()}
    assert listing == {first: (PARKING,), second: (HOURS, "Parkir tamu di mana?")}
    assert taught.remove(first) and not taught.remove(first)
    seen.add(taught.version())
    assert [entry.id for entry in taught.listing()] == [second] and len(seen) == 4


def test_a_re_import_that_swaps_two_answers_questions_changes_the_version_and_every_follower_sees_it(database_url):
    taught = State(open_database(database_url), 90, 20).taught
    taught.teach_many([([PARKING], PARKING_ANSWER), ([HOURS], "Senin–Jumat 08.00–16.30.")], by=0)
    before = taught.version()
    taught.teach_many([([HOURS], PARKING_ANSWER), ([PARKING], "Senin–Jumat 08.00–16.30.")], by=0)  # swapped
    assert taught.version() != before  # same count, same ids: only a revision tells
    assert {entry.text: entry.questions for entry in taught.listing()} == {
        PARKING_ANSWER: (HOURS,),
        "Senin–Jumat 08.00–16.30.": (PARKING,),
    }


def test_a_schema_3_database_is_migrated_with_its_history_kept(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = open_database(url)
    with engine.begin() as connection:  # back to schema 3, with a question asked then
        for table in tables_since(4):
            connection.execute(text(f"DROP TABLE {table.name}"))
        connection.execute(text("ALTER TABLE deliveries DROP COLUMN done"))
        connection.execute(text("ALTER TABLE questions DROP COLUMN source"))
        connection.execute(text("ALTER TABLE daily DROP COLUMN taught"))
        connection.execute(text("UPDATE schema_version SET version = 3"))
        connection.execute(
            text(
                "INSERT INTO daily (day, document, questions, not_sure, helpful, unhelpful, seconds) "
                "VALUES ('2026-01-01', 'a.txt', 3, 1, 0, 0, 0.1)"
            )
        )
    engine.dispose()
    state = State(open_database(url), 90, 20, tmp_path / "salt").history.start()
    columns = {column["name"] for column in inspect(state.engine).get_columns("questions")}
    assert "source" in columns and {"taught_answers", "taught_questions"} <= set(
        inspect(state.engine).get_table_names()
    )
    state.record(
        Asked(
            "r1", time.time(), "private", "en", "u", PARKING, None, None, None, 0.99, False, 0.01, None, source="taught"
        )
    )
    assert state.flush()
    usage = state.usage()
    assert (usage.all_time, usage.not_sure, usage.taught) == (4, 1, 1)
    with state.engine.connect() as connection:
        assert connection.execute(text("SELECT version FROM schema_version")).scalar_one() == SCHEMA_VERSION
    state.close()


def _xlsx(path, rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


def test_faq_files_are_imported_whole_or_not_at_all_and_round_trip(run_tanya, tmp_path):
    bad = _xlsx(
        tmp_path / "bad.xlsx",
        [
            ["Question", "Answer"],
            [PARKING, PARKING_ANSWER],
            ["Kapan libur?", None],
            [None, None],
            ["Berapa biaya?", "x" * (TAUGHT_ANSWER_LIMIT + 1)],
        ],
    )
    refused = run_tanya("faq", "import", str(bad))
    assert refused.returncode == 2
    assert "line 3: the answer is empty" in refused.stderr and "line 5: the answer is" in refused.stderr
    assert "line 4" not in refused.stderr  # a blank row is no problem
    missing = tmp_path / "missing.csv"
    missing.write_text("pertanyaan,answer\nA?,B\n", encoding="utf-8")
    assert "no column named question" in run_tanya("faq", "import", str(missing)).stderr
    assert run_tanya("faq", "list").stdout == ""  # nothing half-imported

    good = _xlsx(
        tmp_path / "faq.xlsx",
        [
            ["question", "answer"],
            [PARKING, PARKING_ANSWER],
            ["Parkir tamu di mana?", PARKING_ANSWER],
            [HOURS, "Senin–Jumat 08.00–16.30."],
        ],
    )
    imported = run_tanya("faq", "import", str(good))
    assert imported.returncode == 0, imported.stderr
    assert "Imported 2 answers with 3 questions" in imported.stdout
    listed = run_tanya("faq", "list").stdout.splitlines()
    assert [line.split("\t")[0] for line in listed] == [PARKING, "Parkir tamu di mana?", HOURS]
    exported = tmp_path / "faq.csv"
    assert run_tanya("faq", "export", str(exported)).returncode == 0
    again = run_tanya("faq", "import", str(exported))  # the same answers: nothing new
    assert again.returncode == 0 and "2 answers are taught now" in again.stdout
    assert run_tanya("faq", "list").stdout.splitlines() == listed

    found = json.loads(run_tanya("ask", "--json", "di mana tempat parkir untuk tamu kantor?").stdout)
    assert found["source"] == "taught" and found["text"] == PARKING_ANSWER and found["question"] == PARKING
    assert found["not_sure"] is False and found["confidence"] > 0.99
    documents = json.loads(run_tanya("ask", "--json", "Sektor apa saja yang dicakup kesepakatan ekonomi?").stdout)
    assert documents["source"] == "documents"


def _wait_kept(bot, prompt: dict, timeout: float = 10.0) -> None:
    kept, deadline = bot.application.bot_data["state"].kept, time.monotonic() + timeout
    while kept.kept_value(prompt["chat"]["id"], PROMPT, str(prompt["message_id"])) is None:
        assert time.monotonic() < deadline, "the prompt was not kept"
        time.sleep(0.05)


def _teach_reply(bot, reply: dict, answer: str) -> dict:
    return bot.standin.reply_to(bot.standin.send(f"/teach {answer}", user_id=ADMIN, reply_to=reply))


def test_admins_teach_by_reply_and_from_unanswered_and_remove_through_taught(bot_factory, database_url):
    bot = bot_factory(database_url=database_url)
    standin = bot.standin
    unsure = bot.ask(PARKING, user_id=ADMIN)
    assert unsure["text"].startswith("🤔")
    assert _teach_reply(bot, unsure, "")["text"].startswith("Reply to one of my answers")  # no answer given
    assert bot.ask("/teach Tamu parkir di B1.", user_id=1001)["text"].startswith("Sorry, only admins")
    done = _teach_reply(bot, unsure, PARKING_ANSWER)
    assert done["text"].startswith("✅ Taught.") and PARKING in done["text"]

    given = bot.ask("di mana tempat parkir untuk tamu kantor?", user_id=1001)
    assert given["text"].startswith("🧑‍🏫 <b>Jawaban dari admin</b>")  # the question's language
    assert "basement B1 &lt;gedung &amp; lobi&gt;" in given["text"]
    standin_calls = len(standin.calls)
    bot.press(given, buttons(given)["📄 From the documents"])
    [documents] = standin.wait_for(lambda c: c.method == "editMessageText", count=1)
    assert "section" in documents.params["text"] and len(standin.calls) > standin_calls
    assert bot.press(given, buttons(given)["👍"]).params["text"] == "Thanks for the 👍"

    # /unanswered: ✍️ asks for the answer with a ForceReply; the reply teaches every wording of the group.
    bot.ask("How do I bake sourdough bread at home?", user_id=1002)
    listed = bot.ask("/unanswered", user_id=ADMIN)
    assert "sourdough" in listed["text"] and PARKING not in listed["text"]  # taught: no longer unanswered
    assert bot.press(listed, buttons(listed)["✍️ 1"], user_id=1001).params["text"] == "Only admins can do this."
    bot.press(listed, buttons(listed)["✍️ 1"], user_id=ADMIN)
    [prompt] = standin.wait_for(lambda c: c.method == "sendMessage" and c.params["text"].startswith("✍️ Reply"))
    assert prompt.params["reply_markup"]["force_reply"] is True
    prompt_message = next(m for m in standin.messages.values() if m.get("text") == prompt.params["text"])
    _wait_kept(bot, prompt_message)  # kept once sent (its id names it): an admin's reply cannot come sooner
    # A non-admin's reply to the prompt (in a group it could happen) is a question, never taught.
    reply = standin.reply_to(standin.send("Roti dipanggang saja.", user_id=1005, reply_to=prompt_message))
    assert not reply["text"].startswith("✅")
    standin.reply_to(standin.send("Sourdough: mix, wait 12 h, bake at 230 °C.", user_id=ADMIN, reply_to=prompt_message))
    assert bot.ask("How do I bake sourdough bread at home?", user_id=1003)["text"].startswith("🧑‍🏫")

    listing = bot.ask("/taught", user_id=ADMIN)
    assert "🧑‍🏫 <b>Taught answers</b> (2)" in listing["text"] and "sourdough" in listing["text"]
    assert bot.press(listing, buttons(listing)["🗑 1"], user_id=1001).params["text"] == "Only admins can do this."
    removed = bot.press(listing, buttons(listing)["🗑 1"], user_id=ADMIN)
    assert removed.params["text"].startswith("Removed")
    assert not bot.ask(PARKING, user_id=1004)["text"].startswith("🧑‍🏫")

    bot.application.bot_data["state"].history.flush()
    stats = bot.ask("/stats", user_id=ADMIN)["text"]
    assert "Answered from taught answers: 2" in stats
    for sent in standin.sent_texts():
        assert telegram_html_problem(sent) is None, sent[:200]


GUESTS = "Where can guests of the office park their car?"  # cosine 0.88 to PARKING: offered, not given
VISITORS = "Tamu yang bawa mobil parkir di mana?"  # 0.91: offered, not given


def _tap_and_vote(bot, question: str, user_id: int, vote: str) -> dict:
    """Ask ``question``, tap the admins' answer offered under the reply, and vote on it; the reply."""
    offered = bot.ask(question, user_id=user_id)
    assert "🧑‍🏫" in offered["text"] and "🧑‍🏫 Admins' answer" in buttons(offered), offered["text"][:200]
    bot.press(offered, buttons(offered)["🧑‍🏫 Admins' answer"], user_id=user_id)
    bot.wait_until_handled()  # the tap is recorded after the answer is shown
    bot.press(offered, buttons(offered)[vote], user_id=user_id)
    bot.wait_until_handled()
    return offered


def test_a_wording_tapped_and_liked_is_suggested_and_once_approved_given_directly(bot_factory, database_url):
    bot = bot_factory(database_url=database_url)
    taught = bot.application.bot_data["state"].taught
    _teach_reply(bot, bot.ask(PARKING, user_id=ADMIN), PARKING_ANSWER)
    assert not bot.ask(GUESTS, user_id=1001)["text"].startswith("🧑‍🏫 <b>")  # offered only, before learning

    _tap_and_vote(bot, VISITORS, 1002, "👎")  # the tap did not help: nothing learned
    _tap_and_vote(bot, GUESTS, 1001, "👍")
    assert [s.question for s in sum(taught.suggestions().values(), [])] == [GUESTS]
    listing = bot.ask("/taught", user_id=ADMIN)
    assert f"💡 1a: <i>{GUESTS}</i>" in listing["text"] and VISITORS not in listing["text"]
    assert telegram_html_problem(listing["text"]) is None
    assert bot.press(listing, buttons(listing)["✅ 1a"], user_id=1001).params["text"] == "Only admins can do this."
    assert taught.suggestions()  # a member's press changed nothing
    approved = bot.press(listing, buttons(listing)["✅ 1a"], user_id=ADMIN)
    assert approved.params["text"].startswith("✅ Taught")
    assert bot.press(listing, buttons(listing)["✅ 1a"], user_id=ADMIN).params["text"].startswith("This button is out")
    assert GUESTS in taught.listing()[0].questions and not taught.suggestions()
    given = bot.ask(GUESTS, user_id=1003)  # anyone, in the same words: given at once
    assert given["text"].startswith("🧑‍🏫 <b>Answer from the admins</b>"), given["text"][:200]

    # ✖: dropped, and a later tap and 👍 on the same wording is not suggested again.
    _tap_and_vote(bot, VISITORS, 1004, "👍")
    listing = bot.ask("/taught", user_id=ADMIN)
    assert VISITORS in listing["text"]
    assert bot.press(listing, buttons(listing)["✖ 1a"], user_id=ADMIN).params["text"].startswith("✖ Dropped")
    _tap_and_vote(bot, VISITORS, 1005, "👍")
    assert not taught.suggestions() and VISITORS not in taught.listing()[0].questions
    assert not bot.ask(VISITORS, user_id=1006)["text"].startswith("🧑‍🏫 <b>")

    # /forget deletes the wordings a user tapped, with their questions.
    _tap_and_vote(bot, "Where do visitors leave their cars at the office?", 1007, "👍")
    assert taught.suggestions()
    assert bot.ask("/forget", user_id=1007)["text"].startswith("🧹")
    assert not taught.suggestions()


def test_with_learn_wordings_auto_a_liked_wording_is_taught_at_once_and_off_learns_nothing(bot_factory):
    bot = bot_factory(learn_wordings="auto")
    _teach_reply(bot, bot.ask(PARKING, user_id=ADMIN), PARKING_ANSWER)
    _tap_and_vote(bot, GUESTS, 1001, "👍")
    assert bot.ask(GUESTS, user_id=1002)["text"].startswith("🧑‍🏫 <b>Answer from the admins</b>")
    bot.stop()

    off = bot_factory(learn_wordings="off")  # the same database: the taught answer and its new wording kept
    _tap_and_vote(off, VISITORS, 1003, "👍")
    taught = off.application.bot_data["state"].taught
    assert not taught.suggestions() and taught.listing()[0].questions == tuple(sorted((PARKING, GUESTS)))


def test_a_tapped_wording_without_a_vote_is_kept_after_a_quiet_minute_and_dropped_when_asked_again(database_url):
    start = time.time() - 3600  # recent: the history keeps 90 days
    now = [start]
    state = State(open_database(database_url), 90, 20, clock=lambda: now[0])
    taught, history = state.taught, state.history
    taught_id = taught.teach([PARKING], PARKING_ANSWER, by=ADMIN)
    quiet, asking = history.user(1), history.user(2)
    taught.tapped(taught_id, GUESTS, quiet, 5, "aaaa0001")
    taught.tapped(taught_id, VISITORS, asking, 6, "aaaa0002")
    history.record(_asked("again", asking, start + 30))  # 30 s after the tap: the taught answer did not do
    history.start().flush()
    now[0] = start + 59
    assert not taught.settle(history.asked_between, auto=False) and not taught.suggestions()  # not a minute yet
    now[0] = start + 61
    assert not taught.settle(history.asked_between, auto=False)
    assert [s.question for s in taught.suggestions()[taught_id]] == [GUESTS]
    assert not taught.settle(history.asked_between, auto=False)  # each decided once
    taught.tapped(taught_id, VISITORS, quiet, 5, "aaaa0003")
    now[0] = start + 200  # unknown (no questions kept): dropped, not guessed
    assert not taught.settle(lambda *_: None, auto=True) and len(taught.suggestions()[taught_id]) == 1
    taught.tapped(taught_id, VISITORS, quiet, 5, "aaaa0004")
    now[0] = start + 300
    assert taught.settle(history.asked_between, auto=True)  # auto: taught at once
    assert VISITORS in taught.listing()[0].questions
    history.close()


def _asked(ref: str, user: str, at: float) -> Asked:
    return Asked(
        ref=ref,
        asked_at=at,
        chat_type="private",
        language="en",
        user=user,
        question="Something else?",
        seconds=0.1,
        vector=None,
        document=None,
        section=None,
        paragraph=None,
        confidence=0.2,
        not_sure=True,
    )
