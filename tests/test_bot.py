"""The Telegram bot, end to end: the real Application over real HTTP against a local Bot API stand-in."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.keyboards import parse_callback
from tests.botapi import BotApiStandIn
from tests.processes import running, tanya
from tests.telegram_html import telegram_html_problem
from tests.test_answers import QUESTIONS

ADMIN = 42


def buttons(message: dict) -> dict[str, str]:
    """Button label → callback data of a message's inline keyboard."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def assert_all_messages_valid(bot) -> None:
    texts = bot.standin.sent_texts()
    assert texts, "the bot sent nothing"
    for sent in texts:
        assert telegram_html_problem(sent) is None, sent[:200]


def test_questions_in_indonesian_and_english_get_the_right_passage(bot):
    sent = [
        (bot.standin.send(question, user_id=2000 + i, language="id" if i % 2 == 0 else "en"), section, paragraph)
        for i, (question, section, paragraph) in enumerate(QUESTIONS)
    ]
    for message, section, paragraph in sent:
        reply = bot.standin.reply_to(message)
        where = (
            f"bagian {section}, paragraf {paragraph}"
            if message["from"]["language_code"] == "id"
            else f"section {section}, paragraph {paragraph}"
        )
        assert where in reply["text"], (message["text"], reply["text"][-200:])
        assert "pertemuan-xi-putin.txt" in reply["text"]
    assert_all_messages_valid(bot)


def test_answer_shows_section_highlighted_sentence_source_and_confidence(bot):
    reply = bot.ask("Sektor strategis apa yang dicakup kesepakatan ekonomi ini?")  # confidence 0.82, well above 0.2
    text = reply["text"]
    assert text.startswith("<b>Kerja Sama Ekonomi yang Solid</b>\n")
    [highlighted] = re.findall(r"(?<=\n)[^\n]*?<b>(.*?)</b>", text)
    assert "energi, teknologi, dan infrastruktur" in highlighted
    # the answer in the question's language (Indonesian), its buttons in the user's (English)
    assert "📄 pertemuan-xi-putin.txt · bagian 4, paragraf 1" in text
    assert re.search(r"Keyakinan: (tinggi|sedang|rendah)", text)
    assert set(buttons(reply)) == {"More answers ▶", "📖 Open section", "👍", "👎"}


@pytest.mark.parametrize(
    ("question", "language", "expected"),
    [
        ("How do I bake sourdough bread at home?", "en", "🤔 I'm not sure the documents answer this."),
        ("Berapa harga tiket kereta dari Jakarta ke Bandung?", "id", "🤔 Saya tidak yakin dokumen menjawab ini."),
    ],
)
def test_unanswerable_question_says_not_sure_shows_a_guess_and_points_to_sections(bot, question, language, expected):
    reply = bot.ask(question, language=language)
    assert reply["text"].startswith(expected)
    assert "/sections" in reply["text"] and "pertemuan-xi-putin.txt" in reply["text"]
    assert "Confidence" not in reply["text"] and "Keyakinan" not in reply["text"]


def test_the_not_sure_threshold_is_a_setting(bot_factory):
    bot = bot_factory(min_confidence=0.0)
    reply = bot.ask("How do I bake sourdough bread at home?")
    assert reply["text"].startswith("<b>") and "not sure" not in reply["text"]  # an answer
    assert re.search(r"\nConfidence: (high|medium|low)", reply["text"])


def test_more_answers_pages_through_passages_in_place(bot):
    reply = bot.ask("Mengapa sektor energi menjadi bidang utama kerja sama?", language="id")
    assert "Jawaban 1 dari 5" in reply["text"]
    bot.press(reply, buttons(reply)["Jawaban lain ▶"], language="id")
    [edit] = bot.standin.wait_for(lambda c: c.method == "editMessageText")
    assert edit.params["message_id"] == reply["message_id"]
    second = edit.result
    assert "Jawaban 2 dari 5" in second["text"] and second["text"] != reply["text"]
    assert set(buttons(second)) == {"◀ Sebelumnya", "Jawaban lain ▶", "📖 Buka bagian", "👍", "👎"}
    bot.press(second, buttons(second)["◀ Sebelumnya"], language="id")
    back = bot.standin.wait_for(lambda c: c.method == "editMessageText", count=2)[-1].result
    assert back["text"] == reply["text"]
    assert_all_messages_valid(bot)


def test_open_section_sends_the_whole_section(bot):
    reply = bot.ask("Why is energy important for the cooperation?")
    bot.press(reply, buttons(reply)["📖 Open section"])
    [section] = bot.standin.wait_for(lambda c: c.method == "sendMessage" and "<b>4." in c.params["text"])
    assert section.params["text"].startswith("<b>4. Kerja Sama Ekonomi yang Solid</b>")
    assert "Aspek lain dari hubungan bilateral" in section.params["text"]
    assert "pemasok utama." in section.params["text"]  # both paragraphs


def _long_section_document(folder: Path) -> str:
    paragraphs = [
        f"Paragraf {i}: " + "Pemerintah daerah mengumumkan program pembangunan jalan dan jembatan baru. " * 8
        for i in range(1, 13)
    ]
    body = "\n\n".join(p.strip() for p in paragraphs)
    (folder / "pembangunan.md").write_text("# Rencana Pembangunan Daerah\n\n" + body, encoding="utf-8")
    return body


def test_long_section_is_paged_with_buttons_that_edit_in_place(bot_factory, docs_dir):
    body = _long_section_document(docs_dir)
    bot = bot_factory()
    first = bot.ask("/section pembangunan")
    assert first["text"].startswith("<b>1. Rencana Pembangunan Daerah</b>\n<i>page 1 of 3</i>")
    pages = [first]
    for number in (2, 3):
        bot.press(pages[-1], buttons(pages[-1])["▶"])
        edit = bot.standin.wait_for(lambda c: c.method == "editMessageText", count=number - 1)[-1]
        assert edit.params["message_id"] == first["message_id"]
        assert f"page {number} of 3" in edit.result["text"]
        pages.append(edit.result)
    assert "▶" not in buttons(pages[-1]) and "◀" in buttons(pages[-1])
    shown = " ".join(page["text"].split("</i>\n\n", 1)[1] for page in pages)
    assert " ".join(shown.split()) == " ".join(body.split())  # every word, in order
    before = len(bot.standin.calls)
    bot.press(pages[-1], buttons(pages[-1])["3/3"])  # the page already shown: nothing to do
    assert bot.actions_since(before) == ["answerCallbackQuery"]
    assert_all_messages_valid(bot)


def test_start_and_help_in_the_users_language(bot):
    indonesian = bot.ask("/start", language="id")
    assert "Saya menjawab pertanyaan dari <b>1</b> dokumen dengan <b>5</b> bagian" in indonesian["text"]
    english = bot.ask("/help", language="en-GB")
    assert "I answer questions from <b>1</b> document(s) with <b>5</b> sections" in english["text"]
    assert "/sections" in english["text"] and "/section 3" in english["text"]


def test_failed_command_registration_is_logged_and_the_bot_goes_on(bot_factory, caplog):
    bot = bot_factory(failing_methods=frozenset({"setMyCommands"}))
    assert "Kerja Sama Ekonomi" in bot.ask("What sectors does the economic deal cover?")["text"]
    assert "could not register the command list" in caplog.text


def test_sections_list_and_its_buttons(bot):
    listing = bot.ask("/sections")
    assert listing["text"].startswith("📚 <b>Sections</b> (5)")
    for title in ["Pertemuan Xi Putin", "Hubungan Diplomatik yang Semakin Menguat", "Dinamika Politik Global"]:
        assert title in listing["text"]
    assert list(buttons(listing)) == ["1", "2", "3", "4", "5"]
    bot.press(listing, buttons(listing)["3"])
    [section] = bot.standin.wait_for(lambda c: c.method == "sendMessage" and c.params["text"].startswith("<b>3."))
    assert "Fokus pada Stabilitas dan Keamanan Regional" in section.params["text"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/section 3", "<b>3. Fokus pada Stabilitas dan Keamanan Regional</b>"),
        ("/section ekonomi", "<b>4. Kerja Sama Ekonomi yang Solid</b>"),
        ("/section dinamika politik", "<b>5. Dinamika Politik Global</b>"),
        ("/section 99", "There is no section 99. There are 5 sections:"),
        ("/section zzzz", "No section title matches “zzzz”. These are the sections:"),
        ("/section", "Send /section with a number or words from a title"),
        ("/section " + "9" * 300, "There is no section 9999999999999999999…"),
        ("/section " + "kata " * 800, "No section title matches “kata kata"),
        ("/section <b>&amp;</b>", "No section title matches “&lt;b&gt;&amp;amp;&lt;/b&gt;”"),
    ],
)
def test_section_command(bot, command, expected):
    reply = bot.ask(command)
    assert expected in reply["text"]
    assert telegram_html_problem(reply["text"]) is None


def test_admin_commands_refuse_non_admins_and_do_nothing(bot):
    before = bot.standin.calls[:]
    commands = ("/reindex", "/stats", "/unanswered", "/taught", "/teach Jawaban.")
    for command in commands:
        refusal = bot.ask(command, user_id=7)["text"]
        assert refusal == "Sorry, only admins can use this command. (Your Telegram user id is <code>7</code>.)"
    assert bot.actions_since(len(before)) == ["sendMessage"] * len(commands)
    assert bot.application.bot_data["knowledge"].manifest.documents == 1


def test_with_no_admins_configured_nobody_is_admin(bot_factory):
    bot = bot_factory(admin_ids=frozenset())
    assert bot.ask("/reindex", user_id=ADMIN)["text"].startswith("Sorry, only admins can use this command.")
    assert bot.ask("/stats", user_id=ADMIN, language="id")["text"].startswith("Maaf, hanya admin yang dapat")


def test_stats_for_admins(bot):
    bot.ask("Kapan pertemuan virtual diadakan?")
    reply = bot.ask("/stats", user_id=ADMIN)
    assert "Documents: 1\nSections: 5\nPassages: 8\nModel: multilingual-e5-small" in reply["text"]
    assert "<b>Questions</b>: today 1 · last 7 days 1 · all time 1\n" in reply["text"]
    assert re.search(r"Median answer time, last 7 days: \d+ ms", reply["text"])


def test_reindex_adds_a_document_while_answering_from_the_old_index(bot_factory, docs_dir):
    bot = bot_factory()
    # Enough new text that the reindex takes a few seconds, so questions arrive while it runs.
    for number in range(30):
        paragraphs = "\n\n".join(
            f"Catatan {number}-{i}: laporan rapat koordinasi bidang {i} membahas anggaran, jadwal, dan evaluasi."
            for i in range(8)
        )
        (docs_dir / f"rapat-{number:02}.txt").write_text(paragraphs, encoding="utf-8")
    (docs_dir / "cuti.md").write_text(
        "# Aturan Cuti\n\nSetiap karyawan berhak atas cuti tahunan selama dua belas hari kerja.", encoding="utf-8"
    )
    reindex = bot.standin.send("/reindex", user_id=ADMIN)
    started = bot.standin.reply_to(reindex)
    assert started["text"].startswith("⏳ Reindexing the documents")
    during = [bot.standin.send("Why is energy a key area of cooperation?", user_id=500 + i) for i in range(3)]
    second = bot.standin.send("/reindex", user_id=ADMIN)
    assert bot.standin.reply_to(second)["text"] == "A reindex is already running. Please wait for it to finish."
    for message in during:
        assert "section 4, paragraph 2" in bot.standin.reply_to(message)["text"]

    [done] = bot.standin.wait_for(lambda c: c.method == "sendMessage" and "Reindexed in" in c.params["text"], 300)
    assert "Documents: 1 → 32" in done.params["text"]
    assert "Sections: 5 → 36" in done.params["text"]
    assert "Passages: 8 → 249" in done.params["text"]
    assert "Added: cuti.md, rapat-00.txt" in done.params["text"]
    # the reindex finished after the questions asked during it were answered
    answered = [
        c.at for c in bot.standin.calls if c.method == "sendMessage" and "section 4, paragraph 2" in c.params["text"]
    ]
    reindexed = next(
        c.at for c in bot.standin.calls if c.method == "sendMessage" and "Reindexed in" in c.params["text"]
    )
    assert max(answered) < reindexed

    new = bot.ask("Berapa hari cuti tahunan karyawan?", language="id")
    assert "<b>Aturan Cuti</b>" in new["text"] and "cuti.md" in new["text"]
    old = bot.ask("Why is energy a key area of cooperation?")
    # cuti.md now sorts first, so the article's sections are numbered one higher
    assert old["text"].startswith("<b>Kerja Sama Ekonomi yang Solid</b>")
    assert "pertemuan-xi-putin.txt · section 5, paragraph 2" in old["text"]


def test_failed_reindex_keeps_the_old_index_and_says_why(bot_factory, docs_dir):
    bot = bot_factory()
    shutil.rmtree(docs_dir)
    bot.ask("/reindex", user_id=ADMIN)
    [failed] = bot.standin.wait_for(lambda c: c.method == "sendMessage" and "Reindex failed" in c.params["text"])
    assert "documents folder docs does not exist or is not a folder" in failed.params["text"]
    assert str(docs_dir.parent) not in failed.params["text"]
    assert "section 4, paragraph 2" in bot.ask("Why is energy a key area of cooperation?")["text"]


def test_groups_answer_only_when_addressed(bot):
    group = -100123
    ignored = bot.standin.send("Kapan pertemuan virtual diadakan?", chat_id=group, chat_type="supergroup")
    mention = bot.ask("@tanya_test_bot kapan pertemuan virtual diadakan?", chat_id=group, chat_type="supergroup")
    assert "bagian 1, paragraf 1" in mention["text"]
    # A reply that is a question of its own (more than 5 words) is answered as it is, not as a follow-up.
    own = "Why is energy a key area of cooperation between the two countries?"
    replying = bot.ask(own, chat_id=group, chat_type="supergroup", reply_to=mention)
    assert "section 4, paragraph 2" in replying["text"]
    command = bot.ask("/ask Sektor apa saja yang dicakup kesepakatan ekonomi?", chat_id=group, chat_type="supergroup")
    assert "bagian 4, paragraf 1" in command["text"]
    assert "Write your question after /ask" in bot.ask("/ask", chat_id=group, chat_type="supergroup")["text"]
    chatter = bot.standin.send("/unknowncommand", chat_id=group, chat_type="supergroup")
    bot.ask("/ask energi?", chat_id=group, chat_type="supergroup")  # processed after the two above
    replied_to = {
        (c.params.get("reply_parameters") or {}).get("message_id")
        for c in bot.standin.calls
        if c.method == "sendMessage"
    }
    assert ignored["message_id"] not in replied_to and chatter["message_id"] not in replied_to


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("   ", "Please write a question in words"),
        ("a", "That is too short to search for"),
        ("😀🎉👍", "Please write a question in words"),
        ("/frobnicate", "I don't know that command"),
        ("<b>bold</b> & *energi* _x_ `code` [link](http://x) ?", "<b>Kerja Sama Ekonomi yang Solid</b>"),
        ("\x01\x02 kerja sama energi \x7f\u200b", "<b>Kerja Sama Ekonomi yang Solid</b>"),
        ("energi " * 585 + "x", "<b>Kerja Sama Ekonomi yang Solid</b>"),  # 4096 characters
    ],
)
def test_bad_inputs_get_a_clear_reply(bot, text, expected):
    if len(text) > 100:
        assert len(text) == 4096
    reply = bot.ask(text)
    assert expected in reply["text"]
    assert_all_messages_valid(bot)


@pytest.mark.parametrize(
    "extra",
    [
        {
            "sticker": {
                "file_id": "s1",
                "file_unique_id": "u1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]},
    ],
)
def test_stickers_and_photos_get_a_text_only_reply(bot, extra):
    message = bot.standin.send(None, extra=extra)
    [sent] = bot.standin.wait_for(lambda c: c.method == "sendMessage")
    assert sent.params["chat_id"] == message["chat"]["id"]
    assert sent.params["text"] == "I can only read text questions. Please type your question."


STALE = "This button is out of date. Please ask again."
EXPIRED = "I no longer have this answer. Please ask again."


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("a:zzzzzzzz:0", STALE),  # not hex
        ("a:{answer}:7", STALE),  # rank outside the answer
        ("a:{answer}:0:1.2", STALE),  # the callback data of older versions
        ("a:0123abcd:0", EXPIRED),  # no such answer kept in this chat
        ("s:000000:1:0", STALE),  # another index
        ("l:000000:0", STALE),
        ("s:{index}:99:0", STALE),  # no such section
        ("s:{index}:4:9", STALE),  # no such page
        ("l:{index}:50", STALE),
        ("x" * 64, STALE),
        ("", STALE),
    ],
)
def test_forged_or_stale_buttons_get_an_answer_and_nothing_happens(bot, data, expected):
    reply = bot.ask("Kapan pertemuan virtual diadakan?")
    answer_id = buttons(reply)["More answers ▶"].split(":")[1]
    before = len(bot.standin.calls)
    answered = bot.press(reply, data.format(index=bot.application.bot_data["knowledge"].index_id, answer=answer_id))
    assert answered.params.get("text") == expected
    assert answered.params.get("show_alert") is True
    assert bot.actions_since(before) == ["answerCallbackQuery"]


def test_after_a_reindex_an_answer_still_pages_but_its_section_button_is_stale(bot_factory, docs_dir):
    bot = bot_factory()
    reply = bot.ask("Kapan pertemuan virtual diadakan?")
    (docs_dir / "baru.txt").write_text("Dokumen baru.", encoding="utf-8")
    bot.ask("/reindex", user_id=ADMIN)
    bot.standin.wait_for(lambda c: c.method == "sendMessage" and "Reindexed in" in c.params["text"])
    bot.press(reply, buttons(reply)["More answers ▶"])
    [edit] = bot.standin.wait_for(lambda c: c.method == "editMessageText")
    assert "Jawaban 2 dari 5" in edit.result["text"]  # the answer as it was given
    answered = bot.press(edit.result, buttons(edit.result)["📖 Open section"])
    assert answered.params.get("text") == STALE  # section numbers may have moved


@pytest.mark.parametrize("addressed", ["mention", "/ask", "reply to the bot"])
def test_more_answers_in_a_group_pages_through_the_answer_that_was_given(bot, addressed):
    group = -100456
    question = "Why is energy a key area of cooperation?"
    first = bot.ask("@tanya_test_bot kapan pertemuan virtual diadakan?", chat_id=group, chat_type="supergroup")
    sent = {
        "mention": f"@tanya_test_bot {question}",
        "/ask": f"/ask@tanya_test_bot {question}",
        "reply to the bot": question,
    }[addressed]
    replied = first if addressed.startswith("reply") else None
    reply = bot.ask(sent, chat_id=group, chat_type="supergroup", reply_to=replied)
    expected = bot.application.bot_data["knowledge"].ask(question).hits
    answered_before = bot.answered()
    with bot.standin._changed:  # Telegram may leave the quoted question out of the message a button is under
        bot.standin.messages[(group, reply["message_id"])].pop("reply_to_message", None)
    shown = reply
    for rank in range(1, len(expected)):
        # another member of the group presses the button
        bot.press(shown, buttons(shown)["More answers ▶"], user_id=3000 + rank)
        shown = bot.standin.wait_for(lambda c: c.method == "editMessageText", count=rank)[-1].result
        passage = expected[rank].passage
        assert f"Answer {rank + 1} of {len(expected)}" in shown["text"]
        assert f"section {passage.section_number}, paragraph {passage.paragraph}" in shown["text"]
    assert "More answers ▶" not in buttons(shown)
    bot.press(shown, buttons(shown)["◀ Previous"])
    back = bot.standin.wait_for(lambda c: c.method == "editMessageText", count=len(expected))[-1].result
    assert f"Answer {len(expected) - 1} of {len(expected)}" in back["text"]
    assert bot.answered() == answered_before  # pages of an answer are not new questions
    assert_all_messages_valid(bot)


def test_buttons_of_answers_sent_before_a_restart_still_work_and_forgotten_ones_ask_again(bot_factory):
    first = bot_factory()
    reply = first.ask("Kapan pertemuan virtual diadakan?")
    first.stop()
    restarted = bot_factory()  # the same data folder: the answers its buttons name are in the database
    restarted.standin.messages[(reply["chat"]["id"], reply["message_id"])] = reply  # Telegram still has the message
    restarted.press(reply, buttons(reply)["More answers ▶"])
    [edited] = restarted.standin.wait_for(lambda c: c.method == "editMessageText")
    assert "Jawaban 2 dari 5" in edited.params["text"]
    before = len(restarted.standin.calls)
    forgotten = buttons(reply)["More answers ▶"].replace(
        parse_callback(buttons(reply)["More answers ▶"]).answer_id, "0badcafe"
    )
    answered = restarted.press(reply, forgotten)
    assert answered.params.get("text") == EXPIRED
    assert restarted.actions_since(before) == ["answerCallbackQuery"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post_update(port: int, update: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(f"http://127.0.0.1:{port}/hook", json.dumps(update).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_webhook_mode_answers_and_checks_the_secret_token(bot_factory):
    port = _free_port()
    bot = bot_factory(mode="webhook", webhook_port=port)
    bot.standin.wait_for(lambda c: c.method == "setWebhook")
    assert bot.standin.webhook["url"] == "https://bot.example/hook"
    assert bot.standin.webhook["secret_token"] == "s3cret-token"

    def update(update_id: int, text: str) -> dict:
        chat = {"id": 3001, "type": "private"}
        message = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": chat,
            "text": text,
            "from": {"id": 3001, "is_bot": False, "first_name": "W", "language_code": "en"},
        }
        return {"update_id": update_id, "message": message}

    assert _post_update(port, update(1, "Kapan pertemuan virtual diadakan?"), secret=None) == 403
    assert _post_update(port, update(2, "Kapan pertemuan virtual diadakan?"), secret="wrong") == 403
    assert _post_update(port, update(3, "Why is energy a key area of cooperation?"), secret="s3cret-token") == 200
    # The webhook answers a request only once it is done with its update (bot/webhook.py), so whatever the
    # three were to get is sent by now, with no wait: the reply is there already, and nothing for the forged.
    [sent] = [c for c in bot.standin.calls if c.method == "sendMessage"]
    assert "section 4, paragraph 2" in sent.params["text"]
    assert sent.params["reply_parameters"]["message_id"] == 3


def test_tanya_serve_answers_and_stops_cleanly_on_sigterm(data_dir, docs_dir, tmp_path):
    log = tmp_path / "serve.log"
    with BotApiStandIn() as standin:
        env = dict(TANYA_BOT_TOKEN=standin.token, TANYA_BASE_URL=standin.base_url)
        with running(tanya(data_dir, docs_dir, "serve", log=log, **env)) as process:
            indonesian = standin.reply_to(standin.send("Apa kesimpulan pertemuan Xi dan Putin?", language="id"), 180)
            english = standin.reply_to(standin.send("How has diplomacy developed under Xi and Putin?"), 60)
            assert "bagian 5, paragraf 3" in indonesian["text"]
            assert "section 2, paragraph 1" in english["text"]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
    logs = log.read_text()
    assert "ready: @tanya_test_bot" in logs
    assert standin.token not in logs and standin.token.split(":")[1] not in logs
    assert "Traceback" not in logs


def test_a_self_hosted_bot_api_server_can_post_to_a_plain_http_webhook(data_dir, docs_dir, tmp_path):
    port, log = _free_port(), tmp_path / "serve.log"
    hook = f"http://127.0.0.1:{port}/hook"
    with BotApiStandIn() as standin:  # a self-hosted Bot API server: TANYA_BASE_URL is not Telegram's
        env = dict(
            TANYA_BOT_TOKEN=standin.token,
            TANYA_BASE_URL=standin.base_url,
            TANYA_WEBHOOK_URL=hook,
            TANYA_WEBHOOK_PORT=str(port),
            TANYA_ADMIN_IDS=str(ADMIN),
        )
        with running(tanya(data_dir, docs_dir, "serve", log=log, **env)) as process:
            standin.wait_for(lambda c: c.method == "setWebhook", timeout=180)
            assert standin.webhook["url"] == hook
            chat = {"id": 3002, "type": "private"}
            message = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": chat,
                "text": "Kapan pertemuan virtual diadakan?",
                "from": {"id": 3002, "is_bot": False, "first_name": "W", "language_code": "en"},
            }
            # No TANYA_WEBHOOK_SECRET: one is made, kept in the database, and Telegram told to send it.
            secret = standin.webhook["secret_token"]
            assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
            deadline = time.monotonic() + 30
            while True:  # the webhook server listens just after setWebhook
                try:
                    forged = {**message, "from": {**message["from"], "id": ADMIN}, "text": "/reindex"}
                    status = _post_update(port, {"update_id": 1, "message": forged}, secret=None)
                    break
                except urllib.error.URLError:
                    assert time.monotonic() < deadline, "the webhook server did not listen"
                    time.sleep(0.05)
            assert status == 403  # a forged update claiming to be from an admin
            assert _post_update(port, {"update_id": 2, "message": message}, secret=secret) == 200
            [sent] = standin.wait_for(lambda c: c.method == "sendMessage")
            assert "bagian 1, paragraf 1" in sent.params["text"]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
    assert "Traceback" not in log.read_text()


def test_serve_without_a_token_is_one_clear_line(run_tanya):
    result = run_tanya("serve")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: TANYA_BOT_TOKEN is not set: create a bot with @BotFather and set its token"


def test_bad_documents_are_named_the_good_ones_still_indexed_and_an_empty_folder_is_said(bot_factory, docs_dir):
    bot = bot_factory(max_document_mb=1)
    (docs_dir / "kosong.txt").write_bytes(b"")
    (docs_dir / "gambar.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(64))  # a program, not text
    (docs_dir / "arsip.md").write_text("# Arsip\n\n" + "Arsip rapat tahunan. " * 60_000, encoding="utf-8")
    bot.ask("/reindex", user_id=ADMIN)
    [done] = bot.standin.wait_for(lambda c: c.method == "sendMessage" and "Reindexed in" in c.params["text"], 300)
    report = done.params["text"]
    assert "Documents: 1 → 1" in report
    assert "arsip.md: is 1.2 MiB, over the 1 MiB limit (TANYA_MAX_DOCUMENT_MB); split it" in report
    assert "gambar.txt: looks like a binary file" in report and "kosong.txt: has no text" in report
    assert "section 4, paragraph 2" in bot.ask("Why is energy a key area of cooperation?")["text"]

    for path in docs_dir.iterdir():
        path.unlink()
    bot.ask("/reindex", user_id=ADMIN)
    bot.standin.wait_for(lambda c: c.method == "sendMessage" and "Documents: 1 → 0" in c.params["text"], 300)
    assert bot.ask("Why is energy a key area of cooperation?")["text"] == (
        "No documents are indexed yet. An admin can add some and run /reindex."
    )
    assert bot.ask("/sections")["text"].endswith(
        "No documents are indexed yet. An admin can add some and run /reindex."
    )


def test_questions_are_answered_while_a_reindex_runs_and_the_admin_sees_its_progress(
    bot_factory, docs_dir, monkeypatch
):
    import random

    from bot.handlers import admin

    monkeypatch.setattr(admin, "PROGRESS_SECONDS", 0.2)
    words = (docs_dir / "pertemuan-xi-putin.txt").read_text(encoding="utf-8").split()
    rng = random.Random(0)
    paragraphs = [f"Catatan {n}: " + " ".join(rng.sample(words, 60)) + "." for n in range(150)]
    bot = bot_factory()
    (docs_dir / "catatan.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    started = bot.ask("/reindex", user_id=ADMIN)
    assert started["text"].startswith("⏳ Reindexing")
    answer = bot.ask("Why is energy a key area of cooperation?", user_id=2001)
    [done] = bot.standin.wait_for(lambda c: c.method == "sendMessage" and "Reindexed in" in c.params["text"], 300)
    assert "section 4, paragraph 2" in answer["text"]
    replies = [c for c in bot.standin.calls if c.method == "sendMessage"]
    assert replies.index(done) > next(
        n for n, c in enumerate(replies) if c.result.get("message_id") == answer["message_id"]
    )
    edits = [
        c
        for c in bot.standin.calls
        if c.method == "editMessageText" and c.params["message_id"] == started["message_id"]
    ]
    assert any(re.search(r"2 documents read; [1-9]\d* of \d+ texts embedded", c.params["text"]) for c in edits), edits[
        :1
    ]
    assert "Passages: 8 → 158" in done.params["text"]
