"""Nobody gets in: admin rights checked on every use, the token never shown, the webhook secret enforced."""

from __future__ import annotations

import signal

from tests.botapi import BotApiStandIn, Fault
from tests.processes import running, tanya

ADMIN = 42


def test_admin_rights_are_checked_on_every_use_not_remembered_per_chat(bot):
    group = -100555
    allowed = bot.standin.reply_to(bot.standin.send("/stats", user_id=ADMIN, chat_id=group, chat_type="supergroup"))
    assert allowed["text"].startswith("📊 <b>Stats</b>\nDocuments: 1")
    for command in ("/stats", "/reindex", "/stats@tanya_test_bot", "/reindex@tanya_test_bot"):
        refused = bot.standin.reply_to(bot.standin.send(command, user_id=77, chat_id=group, chat_type="supergroup"))
        assert refused["text"].startswith("Sorry, only admins can use this command."), command
    assert not [text for text in bot.standin.sent_texts() if text.startswith("⏳ Reindexing")]


def test_the_token_never_appears_in_logs_or_replies_of_a_run_with_errors(data_dir, docs_dir, tmp_path):
    log = tmp_path / "serve.log"
    with BotApiStandIn() as standin:
        secret = standin.token.split(":")[1]
        env = dict(TANYA_BOT_TOKEN=standin.token, TANYA_BASE_URL=standin.base_url)
        with running(tanya(data_dir, docs_dir, "serve", log=log, **env)) as process:
            asked = standin.send("Kapan pertemuan virtual diadakan?")
            assert "bagian 1, paragraf 1" in standin.reply_to(asked, 180)["text"]
            standin.inject("getUpdates", Fault.drop(), Fault.error(502))
            standin.inject("sendMessage", *[Fault.error(500)] * 6)  # more than the bot retries: its reply is lost
            apology = standin.reply_to(standin.send("What did the leaders agree on regarding regional security?"), 120)
            assert apology["text"] == "Sorry, something went wrong on my side. Please try again in a moment."
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
    logs = log.read_text()
    assert "error while handling an update" in logs and "Internal Server Error" in logs  # the errors were logged
    assert "RemoteProtocolError" in logs and "Bad Gateway" in logs
    assert secret not in logs
    for call in standin.calls:
        assert secret not in repr(call.params) and secret not in repr(call.result)


def test_a_token_telegram_refuses_is_one_clear_line_without_the_token(data_dir, docs_dir, tmp_path):
    log = tmp_path / "serve.log"
    with BotApiStandIn() as standin:
        env = dict(TANYA_BOT_TOKEN="999999:WRONG-secret-value", TANYA_BASE_URL=standin.base_url)
        with running(tanya(data_dir, docs_dir, "serve", log=log, **env)) as process:
            assert process.wait(timeout=180) == 2
    logs = log.read_text()
    assert (
        logs.rstrip().splitlines()[-1]
        == "error: Telegram refused TANYA_BOT_TOKEN: copy the bot's token from @BotFather again"
    )
    assert "WRONG-secret-value" not in logs


def test_the_token_is_redacted_where_a_url_carries_it_percent_encoded():
    import io
    import logging

    from bot.app import RedactToken

    token = "123456789:AAEsecret-Value_x"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactToken(token))
    logger = logging.getLogger("tanya-redaction-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "GET https://api.telegram.org/file/bot%s/documents/file_1.pdf failed", "123456789%3AAAEsecret-Value_x"
        )
        logger.warning("GET https://api.telegram.org/file/bot123456789%3aAAEsecret-Value_x/x failed")
        logger.warning("POST https://api.telegram.org/bot%s/getMe", token)
        try:
            raise ConnectionError("https://api.telegram.org/file/bot123456789%3AAAEsecret-Value_x/x: reset")
        except ConnectionError:
            logger.exception("download failed")
    finally:
        logger.removeHandler(handler)
    logged = out.getvalue()
    assert "AAEsecret" not in logged and logged.count("file/bot[bot token]/") >= 3 and "bot[bot token]/getMe" in logged
