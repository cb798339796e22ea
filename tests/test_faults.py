"""Telegram misbehaving: every question is still answered exactly once, and the bot stays up."""

from __future__ import annotations

import pytest

from bot.texts import text
from tests.botapi import BotApiStandIn, Fault
from tests.test_answers import QUESTIONS, citation

# Longer than python-telegram-bot's default read timeout (5 s; plus the 1 s long poll of getUpdates).
LATE = 7.0
FAULTS = {
    "HTTP 500": Fault.error(500),
    "HTTP 502": Fault.error(502),
    "429 retry_after": Fault.retry_after(1),
    "dropped connection": Fault.drop(),
    "response after the timeout": Fault.slow(LATE),
}


def replies_to(standin: BotApiStandIn, message: dict) -> list[str]:
    """The texts of the bot's replies to ``message`` that Telegram carried out."""
    return [
        call.params["text"]
        for call in standin.calls
        if call.method == "sendMessage"
        and call.status == 200
        and call.params["chat_id"] == message["chat"]["id"]
        and (call.params.get("reply_parameters") or {}).get("message_id") == message["message_id"]
    ]


@pytest.mark.parametrize("method", ["getUpdates", "sendMessage"])
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_every_question_is_answered_exactly_once_through_faults(bot, method: str, fault: Fault):
    standin = bot.standin
    standin.inject(method, fault, fault)  # the next two calls fail
    asked = [
        (standin.send(question, user_id=3000 + n), section, paragraph)
        for n, (question, section, paragraph) in enumerate(QUESTIONS[:4])
    ]
    for message, section, paragraph in asked:
        assert citation(message["text"], section, paragraph) in standin.reply_to(message, timeout=90)["text"]
    assert standin.injected(method) == 0, "the faults were not hit"
    failed = [call.result for call in standin.calls if call.injected]
    assert failed == ([] if fault.kind == "slow" else [fault.kind] * 2)  # a late response is carried out, not failed

    # Once late responses are out (and the bot's timeouts long past), the bot still answers,
    # and nobody got an answer twice, or an apology for an answer that did arrive.
    standin.wait_for_late_responses()
    after = standin.send(QUESTIONS[9][0], user_id=3999)
    assert "section 4, paragraph 2" in standin.reply_to(after)["text"]
    for message, _, _ in asked:
        assert len(replies_to(standin, message)) == 1, message["text"]
    assert text("en", "error") not in standin.sent_texts()


def _healthz(port: int) -> tuple[int, dict]:
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_bot_answers_while_its_database_is_down_and_its_history_catches_up(bot_factory, postgres):
    """PostgreSQL stopped under two running bots: an open one answers, and /healthz says 200 and what is
    degraded; a private one cannot check its members, so it answers admins only and /healthz says 503."""
    from tests.postgres import PostgresServer, free_port

    server = PostgresServer(postgres.bin_dir).start()  # its own: this test stops it
    try:
        bots = {}
        for access in ("open", "members"):
            port = free_port()
            database = server.new_database(f"down_{access}")
            bots[access] = (bot_factory(mode="webhook", webhook_port=port, database_url=database, access=access), port)
            bots[access][0].standin.deliver_to(f"http://127.0.0.1:{port}/hook", secret="s3cret-token")
        (bot, port), (private, private_port) = bots["open"], bots["members"]
        question, answered = "Kapan pertemuan virtual diadakan?", "bagian 1, paragraf 1"
        assert answered in bot.ask(question, user_id=3101)["text"]
        assert _healthz(port) == (
            200,
            {"ready": True, "index": bot.application.bot_data["knowledge"].index_id, "problems": [], "degraded": []},
        )
        server.stop(remove=False)
        for user in (3102, 3103):
            assert answered in bot.ask(question, user_id=user)["text"]
        status, health = _healthz(port)
        assert status == 200 and health["ready"] and health["degraded"] == ["database unreachable (OperationalError)"]
        assert private.ask(question, user_id=3104)["text"] == text("en", "access_unavailable")
        assert answered in private.ask(question, user_id=42)["text"]  # admins are known without the database
        status, health = _healthz(private_port)
        assert status == 503 and health["problems"] == ["database unreachable (OperationalError)"]
        server.start()
        assert bot.answered() == 3  # the questions asked while it was down, written once it is back
        assert _healthz(port)[0] == _healthz(private_port)[0] == 200
        assert text("en", "private") == private.ask(question, user_id=3104)["text"]
    finally:
        server.stop()
