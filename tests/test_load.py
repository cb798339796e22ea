"""Many people at once: everyone answered correctly, and one flooding user slows nobody else."""

from __future__ import annotations

from bot.texts import text
from tests.test_answers import QUESTIONS, citation
from tests.test_faults import replies_to

ADMIN = 42


def test_fifty_chats_asking_ten_questions_at_once_are_all_answered_correctly(bot):
    standin = bot.standin
    asked = [
        (standin.send(question, user_id=5000 + chat), section, paragraph)
        for round_ in range(10)
        for chat in range(50)
        for question, section, paragraph in [QUESTIONS[(chat + round_) % len(QUESTIONS)]]
    ]
    for message, section, paragraph in asked:  # each answer in its question's language
        reply = standin.reply_to(message, timeout=300)
        assert citation(message["text"], section, paragraph) in reply["text"], message["text"]
    assert all(len(replies_to(standin, message)) == 1 for message, _, _ in asked)
    assert bot.answered() == 500


def test_a_flooding_user_is_asked_once_to_slow_down_and_others_are_unaffected(bot_factory):
    bot = bot_factory(questions_per_minute=5)
    standin = bot.standin
    flood = [standin.send(QUESTIONS[n % len(QUESTIONS)][0], user_id=666) for n in range(30)]
    others = [
        (standin.send(question, user_id=7000 + n, language="en"), section, paragraph)
        for n, (question, section, paragraph) in enumerate(QUESTIONS[:6])
    ]
    for message, section, paragraph in others:  # each answer in its question's language
        assert citation(message["text"], section, paragraph) in standin.reply_to(message)["text"]
    notice = standin.wait_for(lambda c: c.method == "sendMessage" and "faster than I can answer" in c.params["text"])
    assert (
        notice[0].params["text"].startswith("⏸ You are asking faster than I can answer everyone: at most 5 questions")
    )
    # later questions of the flood are not even looked at
    late = standin.send("Kapan pertemuan virtual diadakan?", user_id=666)
    again = standin.send("Kapan pertemuan virtual diadakan?", user_id=7000)
    assert "bagian 1, paragraf 1" in standin.reply_to(again)["text"]
    answered_flood = [m for m in [*flood, late] if replies_to(standin, m)]
    assert len(answered_flood) == 6  # five answers and the one notice
    assert sum("faster than I can answer" in replies_to(standin, m)[0] for m in answered_flood) == 1
    assert bot.answered() == 5 + 6 + 1
    assert text("en", "error") not in standin.sent_texts()
