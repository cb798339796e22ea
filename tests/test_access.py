"""A private bot (TANYA_ACCESS=members), end to end: invites, requests for access, allowed groups,
/members and /revoke; and no path by which a non-member reads the documents, for every handler the
application registers."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
import time

import pytest
from telegram import Update
from telegram.ext import ChatMemberHandler, TypeHandler

from bot.handlers.common import Admins
from bot.keyboards import KINDS
from bot.state import State
from bot.state.database import open_database
from bot.state.members import REQUEST_SECONDS, Joined
from bot.texts import text
from tests.telegram_html import telegram_html_problem
from tests.test_bot import ADMIN, buttons

OUTSIDER = 5005
QUESTION = "Kapan pertemuan virtual diadakan?"  # answered from section 1, paragraph 1
ANSWERED = "bagian 1, paragraf 1"  # in the question's language
PRIVATE = text("en", "private")
INVITE_LINK = re.compile(r"https://t\.me/tanya_test_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
def private_bot(bot_factory):
    return bot_factory(access="members")


def _invite(bot, arguments: str = "") -> str:
    reply = bot.ask(f"/invite {arguments}".strip(), user_id=ADMIN)
    [code] = INVITE_LINK.findall(reply["text"])
    return code


def _refused(reply: dict) -> bool:
    return reply["text"] == PRIVATE and buttons(reply) == {text("en", "request_access"): "r"}


def test_a_non_member_gets_one_short_refusal_and_an_invite_makes_a_member(private_bot):
    bot = private_bot
    assert _refused(bot.ask(QUESTION, user_id=OUTSIDER))
    assert ANSWERED in bot.ask(QUESTION, user_id=ADMIN)["text"]  # admins are members
    code = _invite(bot)
    assert len(code) >= 16 and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)  # ≥ 96 bits, as a deep link allows
    data = b"".join(path.read_bytes() for path in bot.settings.data_dir.glob("history.sqlite3*"))
    assert code.encode() not in data and hashlib.sha256(code.encode()).hexdigest().encode() in data  # its hash only
    joined = bot.ask(f"/start {code}", user_id=OUTSIDER)
    assert joined["text"].startswith(text("en", "joined") + "\n\n👋 Hi! I answer questions from <b>1</b> document")
    assert ANSWERED in bot.ask(QUESTION, user_id=OUTSIDER)["text"]
    used = bot.ask(f"/start {code}", user_id=OUTSIDER + 1)  # one use by default
    assert used["text"] == text("en", "join_used") and buttons(used)
    assert _refused(bot.ask(QUESTION, user_id=OUTSIDER + 1))
    assert bot.ask("/start notAcode_at-all", user_id=OUTSIDER + 2)["text"] == text("en", "join_unknown")
    assert _refused(bot.ask("/start access", user_id=OUTSIDER + 2))  # from the inline button that opens the bot
    several = _invite(bot, "2 30")
    assert bot.ask(f"/start {several}", user_id=OUTSIDER + 3)["text"].startswith(text("en", "joined"))
    revoked = bot.ask(f"/revoke https://t.me/tanya_test_bot?start={several}", user_id=ADMIN)
    assert revoked["text"] == text("en", "invite_revoked")
    assert bot.ask(f"/start {several}", user_id=OUTSIDER + 4)["text"] == text("en", "join_revoked")
    assert ANSWERED in bot.ask(QUESTION, user_id=OUTSIDER + 3)["text"]  # who joined before stays a member
    for bad in ("/invite 0", "/invite 5 400", "/invite x", "/invite 1 2 3"):
        assert bot.ask(bad, user_id=ADMIN)["text"].startswith("Send /invite"), bad
    assert bot.ask("/invite", user_id=OUTSIDER + 3)["text"].startswith("Sorry, only admins")


def test_a_flood_of_refusals_invite_guesses_and_requests_for_access_keeps_to_the_limits(bot_factory):
    bot = bot_factory(access="members", questions_per_minute=5)
    for n in range(12):
        bot.standin.send(f"{QUESTION} {n}", user_id=OUTSIDER)
    refused = lambda c: c.method == "sendMessage" and c.params["chat_id"] == OUTSIDER  # noqa: E731
    bot.standin.wait_for(refused, count=5)
    bot.wait_until_handled()  # all twelve: whatever they were to get is sent
    refusals = [call for call in bot.standin.calls if refused(call)]
    assert len(refusals) == 5 and all(call.params["text"] == PRIVATE for call in refusals)
    guesser = OUTSIDER + 1
    for n in range(12):  # guessing invite codes
        bot.standin.send(f"/start wrong-code-{n}", user_id=guesser)
    bot.wait_until_handled()
    guesses = [c for c in bot.standin.calls if c.method == "sendMessage" and c.params["chat_id"] == guesser]
    assert len(guesses) == 5 and all(c.params["text"] == text("en", "join_unknown") for c in guesses)
    strangers = range(OUTSIDER + 10, OUTSIDER + 22)  # twelve strangers ask for access in one minute
    pressed = [bot.standin.press(refusals[0].result, "r", user_id=stranger) for stranger in strangers]
    answers = bot.standin.wait_for(
        lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] in pressed, count=len(pressed)
    )
    assert sorted(c.params["text"] for c in answers) == sorted(
        [text("en", "request_sent")] * 5 + [text("en", "request_no_admin")] * 7
    )
    assert len([c for c in bot.standin.calls if c.method == "sendMessage" and c.params["chat_id"] == ADMIN]) == 5


def test_a_request_for_access_reaches_every_admin_once_a_day_and_the_user_is_told(bot_factory):
    bot = bot_factory(access="members", admin_ids=frozenset({ADMIN, 43}))
    standin = bot.standin
    refusal = bot.ask(QUESTION, user_id=OUTSIDER)
    assert bot.press(refusal, "r", user_id=OUTSIDER).params["text"] == text("en", "request_sent")
    requests = standin.wait_for(lambda c: c.method == "sendMessage" and c.params["chat_id"] in (ADMIN, 43), count=2)
    assert {call.params["chat_id"] for call in requests} == {ADMIN, 43}
    request = requests[0].result
    assert f"<code>{OUTSIDER}</code>) asks for access" in request["text"]
    assert bot.press(refusal, "r", user_id=OUTSIDER).params["text"] == text("en", "request_again")
    admin = requests[0].params["chat_id"]
    allow = buttons(request)[text("en", "allow")]
    assert bot.press(request, allow, user_id=admin).params.get("text") is None
    told = standin.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.params["chat_id"] == OUTSIDER
            and c.params["text"] == text("en", "access_allowed")
        )
    )
    assert told and "Allowed by User" in standin.messages[(admin, request["message_id"])]["text"]
    other = requests[1].result
    assert bot.press(other, buttons(other)[text("en", "deny")], user_id=requests[1].params["chat_id"]).params[
        "text"
    ] == text("en", "decided_already")
    assert ANSWERED in bot.ask(QUESTION, user_id=OUTSIDER)["text"]

    denied = bot.ask(QUESTION, user_id=OUTSIDER + 1)
    bot.press(denied, "r", user_id=OUTSIDER + 1)
    [request] = [
        call.result
        for call in standin.wait_for(
            lambda c: (
                c.method == "sendMessage" and c.params["chat_id"] == ADMIN and f">{OUTSIDER + 1}<" in c.params["text"]
            )
        )
    ]
    bot.press(request, buttons(request)[text("en", "deny")], user_id=ADMIN)
    denial = text("en", "access_denied")
    standin.wait_for(lambda c: c.params.get("chat_id") == OUTSIDER + 1 and c.params.get("text") == denial)
    assert _refused(bot.ask(QUESTION, user_id=OUTSIDER + 1))
    outsider_press = bot.press(request, buttons(request)[text("en", "allow")], user_id=OUTSIDER + 1)
    assert outsider_press.params["text"] == text("en", "private_button")  # a forged decision by the asker


def test_an_allowed_group_is_answered_for_everyone_in_it_until_revoked(private_bot):
    bot, group = private_bot, -100777
    in_group = dict(chat_id=group, chat_type="supergroup")
    assert bot.ask(f"/ask {QUESTION}", user_id=OUTSIDER, **in_group)["text"] == text("en", "private_group")
    assert bot.ask("/allowgroup", user_id=ADMIN, **in_group)["text"] == text("en", "group_allowed")
    assert bot.ask("/allowgroup", user_id=ADMIN, **in_group)["text"] == text("en", "group_already")
    assert ANSWERED in bot.ask(f"/ask {QUESTION}", user_id=OUTSIDER, **in_group)["text"]
    assert ANSWERED in bot.ask(f"@tanya_test_bot {QUESTION}", user_id=OUTSIDER + 1, **in_group)["text"]
    assert _refused(bot.ask(QUESTION, user_id=OUTSIDER))  # the group's members are not members elsewhere
    code = _invite(bot)
    bot.ask(f"/start {code}", user_id=OUTSIDER + 2)
    listing = bot.ask("/members", user_id=ADMIN)["text"]
    assert listing.startswith(text("en", "members_title", count=2))
    assert f"👥 Test group — <code>{group}</code>, group allowed by <code>{ADMIN}</code> on " in listing
    assert f"👤 User{OUTSIDER + 2} — <code>{OUTSIDER + 2}</code>, invited by <code>{ADMIN}</code> on " in listing
    assert bot.ask(f"/revoke {group}", user_id=ADMIN)["text"] == text("en", "revoked", id=group)
    assert bot.ask(f"/ask {QUESTION}", user_id=OUTSIDER, **in_group)["text"] == text("en", "private_group")
    assert bot.ask(f"/revoke {group}", user_id=ADMIN)["text"] == text("en", "revoke_unknown", id=group)
    assert bot.ask(f"/revoke {ADMIN}", user_id=ADMIN)["text"] == text("en", "revoke_admin", id=ADMIN)


def test_a_revoked_member_can_no_longer_use_the_buttons_of_answers_they_got(private_bot):
    bot = private_bot
    bot.ask(f"/start {_invite(bot)}", user_id=OUTSIDER)
    answer = bot.ask(QUESTION, user_id=OUTSIDER)
    assert bot.ask(f"/revoke {OUTSIDER}", user_id=ADMIN)["text"] == text("en", "revoked", id=OUTSIDER)
    before = len(bot.standin.calls)
    for data in buttons(answer).values():
        assert bot.press(answer, data, user_id=OUTSIDER).params["text"] == text("en", "private_button")
    assert bot.actions_since(before) == ["answerCallbackQuery"] * len(buttons(answer))
    assert _refused(bot.ask(QUESTION, user_id=OUTSIDER))


# ---- every handler, every kind of update it accepts, from a non-member ----------------------------


# A value for each field of each button: a handler reached with it would show what it names.
def _field_values(bot) -> dict[str, object]:
    return {
        "answer_id": "0123abcd",
        "rank": 1,
        "index_id": bot.application.bot_data["knowledge"].index_id,
        "section": 1,
        "page": 0,
        "document": 0,
        "confirm": True,
        "upload_id": "0123abcd",
        "replace": True,
        "helpful": True,
        "user_id": OUTSIDER,
        "allow": True,
        "groups_id": "0123abcd",
        "group": 0,
        "taught_id": 1,
        "suggestion_id": 1,
        "collection": 0,
        "ticket_id": 1,
    }


def _commands(application) -> list[str]:
    return sorted(
        {
            command
            for handlers in application.handlers.values()
            for handler in handlers
            for command in getattr(handler, "commands", ())
        }
    )


def _walk_updates(bot, chat_id: int, chat_type: str) -> list[tuple[str, dict]]:
    """(what it is, the raw update) for every kind of update the bot's handlers take, in one chat."""
    user = bot.standin.user(OUTSIDER)

    def chat() -> dict:
        if chat_type == "private":
            return {"id": chat_id, "type": chat_type}
        # A group of its own for each update: the bot keeps to Telegram's 20 messages a minute per group.
        return {"id": chat_id - len(updates), "type": chat_type, "title": "Walk"}

    def message(body: dict, edited: bool = False) -> dict:
        message = {"message_id": 900 + len(updates), "date": 1, "chat": chat(), "from": user, **body}
        if edited:
            message["edit_date"] = 2
        return {"edited_message" if edited else "message": message}

    def said(words: str) -> dict:
        entities = [{"type": "bot_command", "offset": 0, "length": len(words.split()[0])}] if words[0] == "/" else []
        if chat_type != "private" and words[0] != "/":
            words = f"@tanya_test_bot {words}"
            entities = [{"type": "mention", "offset": 0, "length": 15}]
        return {"text": words, "entities": entities}

    updates: list[tuple[str, dict]] = []
    for command in _commands(bot.application):
        for words in (f"/{command}", f"/{command} 1", f"/{command}@tanya_test_bot words"):
            updates.append((words, message(said(words))))
    updates.append(("/start notAcode", message(said("/start notAcode"))))
    for edited in (False, True):
        updates.append((f"question, edited={edited}", message(said(QUESTION), edited)))
        updates.append((f"/ask, edited={edited}", message(said(f"/ask {QUESTION}"), edited)))
    if chat_type == "private":  # in groups the bot says nothing to what is not addressed to it
        document = {"file_id": "file-x", "file_unique_id": "u", "file_name": "a.md", "file_size": 3}
        updates.append(("document", message({"document": document})))
        photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
        updates.append(("photo", message({"photo": photo})))
        sticker = {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
        updates.append(("sticker", message({"sticker": sticker})))

    def bot_message() -> dict:
        return {
            "message_id": 1,
            "date": 1,
            "chat": chat(),
            "from": {"id": 7000001, "is_bot": True, "first_name": "T"},
            "text": "an answer",
        }

    updates.append(("reply to the bot", message({"text": QUESTION, "reply_to_message": bot_message()})))
    values = _field_values(bot)
    for kind in KINDS.values():
        fields = {field.name: values[field.name] for field in dataclasses.fields(kind)}  # KeyError: add a value above
        data = kind(**fields).data()
        updates.append(
            (
                f"button {data}",
                {
                    "callback_query": {
                        "id": f"q{len(updates)}",
                        "from": user,
                        "data": data,
                        "message": bot_message(),
                        "chat_instance": "walk",
                    }
                },
            )
        )
    if chat_type == "private":
        updates.append(("inline query", {"inline_query": {"id": "i1", "from": user, "query": QUESTION, "offset": ""}}))
    return updates


def _reply_of(standin, since: float, raw: dict):
    """The bot's one reply to ``raw``: its sendMessage, answerCallbackQuery or answerInlineQuery."""
    if "callback_query" in raw:
        method, key, value = "answerCallbackQuery", "callback_query_id", raw["callback_query"]["id"]
    elif "inline_query" in raw:
        method, key, value = "answerInlineQuery", "inline_query_id", raw["inline_query"]["id"]
    else:  # the first message to the chat since: the bot answers one update at a time here
        method, key, value = "sendMessage", "chat_id", (raw.get("message") or raw["edited_message"])["chat"]["id"]

    def wanted(call) -> bool:
        return call.method == method and call.params.get(key) == value

    [call] = standin.wait_for(lambda c: c.at >= since and wanted(c))
    return call


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_no_handler_gives_a_non_member_anything_of_the_documents(bot_factory, postgres, mode):
    from tests.postgres import free_port

    port, database = free_port(), postgres.new_database(f"walk_{mode}") if mode == "webhook" else None
    stored = {"database_url": database} if database else {}
    # No per-user limit: past it a non-member's messages get no refusal at all (its own test).
    bot = bot_factory(mode=mode, webhook_port=port, access="members", questions_per_minute=0, **stored)
    standin, application = bot.standin, bot.application
    if mode == "webhook":
        standin.deliver_to(f"http://127.0.0.1:{port}/hook", secret="s3cret-token")
    handlers = [
        handler for group in application.handlers.values() for handler in group if not isinstance(handler, TypeHandler)
    ]
    knowledge = application.bot_data["knowledge"]
    secrets = {piece for entry in knowledge.sections() for piece in (entry.document, entry.title, entry.text[:40])}
    reached: set[int] = set()
    start = len(standin.calls)
    for chat_id, chat_type in ((OUTSIDER, "private"), (-100999, "supergroup")):
        for what, raw in _walk_updates(bot, chat_id, chat_type):
            update = Update.de_json(json.loads(json.dumps({"update_id": 1, **raw})), application.bot)
            taking = [handler for handler in handlers if handler.check_update(update) not in (None, False)]
            reached |= {id(handler) for handler in taking}
            since = time.monotonic()
            standin.push(raw)
            call = _reply_of(standin, since, raw)
            if call.method == "answerInlineQuery":
                assert call.params["results"] == [] and call.params["button"]["start_parameter"] == "access", what
            elif call.method == "answerCallbackQuery":
                allowed = {text("en", "private_button"), *([text("en", "request_sent")] if what == "button r" else [])}
                assert call.params["text"] in allowed, what
            elif chat_type == "private" and re.fullmatch(r"/start(@\w+)? \S+", what):
                assert call.params["text"] == text("en", "join_unknown"), what
            else:
                expected = text("en", "private" if chat_type == "private" else "private_group")
                assert call.params["text"] == expected, (what, call.params["text"][:200])
    # Only an admin's updates reach the handlers filtered to admins: the next test walks them. The bot's own
    # membership changes carry no one's words (tests/test_helpdesk.py has the one that matters).
    missed = [
        handler
        for handler in handlers
        if id(handler) not in reached and not _for_admins(handler) and not isinstance(handler, ChatMemberHandler)
    ]
    assert not missed, f"the walk sends no update these handlers take; add one: {missed}"
    told = [c for c in standin.calls[start:] if c.method == "sendMessage" and c.params["chat_id"] == ADMIN]
    assert len(told) == 1  # the one request for access, which names the user and nothing of the documents
    for call in standin.calls[start:]:
        shown = json.dumps(call.params, ensure_ascii=False)
        leaked = [secret for secret in secrets if secret and secret in shown]
        assert not leaked, (call.method, leaked)


def _for_admins(handler) -> bool:
    return any(isinstance(part, Admins) for part in _filter_parts(getattr(handler, "filters", None)))


def _filter_parts(combined) -> list:
    """The filters a combined filter (``a & b``, ``~a``) is made of."""
    parts = [combined]
    for name in ("base_filter", "and_filter", "or_filter", "inv_filter"):
        if getattr(combined, name, None) is not None:
            parts += _filter_parts(getattr(combined, name))
    return parts


# What a member who is no admin may use; everything else is an admin's. A new command must be put in one.
PUBLIC_COMMANDS = {"start", "help", "ask", "sections", "section", "documents", "forget"}
ADMIN_ONLY_COMMANDS = {
    "reindex", "stats", "unanswered", "teach", "taught", "invite", "allowgroup", "members", "revoke", "remove",
    "helpdesk", "tickets", "collection", "grant", "ungrant",
}  # fmt: skip
# By prefix (bot.keyboards); the help desk's 📌 and ✅ (k, c) work in the help-desk group only, for anyone there.
PUBLIC_BUTTONS = {"a", "t", "v", "h", "s", "S", "l", "d", "r", "n", "k", "c"}
ADMIN_ONLY_BUTTONS = {"x", "u", "q", "T", "P", "F", "m", "M", "w", "W", "o"}


def test_no_admin_handler_acts_for_a_member_who_is_no_admin(bot_factory):
    """Every update any handler takes, from a member (open mode) who is no admin, in private and in a group:
    each admin command is refused with the user's id, each admin button with an alert, a file is refused;
    nothing is edited, sent to an admin, taught, removed, reindexed or changed in the members."""
    bot = bot_factory(questions_per_minute=0)
    standin, application = bot.standin, bot.application
    state, knowledge = application.bot_data["state"], application.bot_data["knowledge"]
    assert set(_commands(application)) == PUBLIC_COMMANDS | ADMIN_ONLY_COMMANDS, "classify the new command above"
    assert set(KINDS) == PUBLIC_BUTTONS | ADMIN_ONLY_BUTTONS, "classify the new button above"
    bot.ask(f"/start {_invite(bot)}", user_id=OUTSIDER + 1)  # a member, to be revoked if /revoke acted
    taught_id = state.taught.teach(["Di mana parkir tamu?"], "Di halaman depan.", by=ADMIN)
    assert taught_id == _field_values(bot)["taught_id"]  # the 🗑 button of the walk names it
    state.taught.tapped(taught_id, "Parkir tamu di sebelah mana?", "someone", OUTSIDER + 1, "0123abcd")
    state.taught.voted(OUTSIDER + 1, "0123abcd", helpful=True, auto=False)
    [suggestion] = state.taught.suggestions()[taught_id]
    assert suggestion.id == _field_values(bot)["suggestion_id"]  # the ✅ / ✖ buttons of the walk name it

    def snapshot() -> tuple:
        taught = state.taught
        return (
            knowledge.index_id,
            knowledge.documents(),
            state.members.listing(),
            taught.listing(),
            taught.suggestions(),
        )

    before = snapshot()
    start = len(standin.calls)
    for chat_id, chat_type in ((OUTSIDER, "private"), (-100777, "supergroup")):
        for what, raw in _walk_updates(bot, chat_id, chat_type):
            command = what.split()[0].split("@")[0].lstrip("/") if what.startswith("/") else None
            kind = what.removeprefix("button ").split(":")[0] if what.startswith("button ") else None
            if kind in PUBLIC_BUTTONS:
                continue  # anyone's buttons: they edit the message they are under, which is made up here
            since = time.monotonic()
            standin.push(raw)
            shown = _reply_of(standin, since, raw).params.get("text", "")
            if command in ADMIN_ONLY_COMMANDS:
                assert shown == text("en", "not_admin", user_id=OUTSIDER), what
            elif kind in ADMIN_ONLY_BUTTONS:
                assert shown == text("en", "admins_only"), what
            elif what == "document":
                assert shown == text("en", "only_admins_add"), what
            else:
                assert shown not in (text("en", "not_admin", user_id=OUTSIDER), text("en", "admins_only")), what
    replies = ("sendMessage", "answerCallbackQuery", "answerInlineQuery", "sendChatAction")
    acts = [c.method for c in standin.calls[start:] if not c.method.startswith("get") and c.method not in replies]
    assert not acts, acts
    assert not [c for c in standin.calls[start:] if c.params.get("chat_id") == ADMIN]
    assert snapshot() == before


# ---- the records behind it, on SQLite and PostgreSQL -------------------------------------------


def test_invites_expire_are_used_up_and_requests_come_once_a_day(database_url, tmp_path):
    now = [1000.0]
    state = State(open_database(database_url), 90, 20, tmp_path / "salt", clock=lambda: now[0])
    other = State(open_database(database_url), 90, 20, tmp_path / "salt", clock=lambda: now[0])
    members = state.members
    code = members.invite(ADMIN, uses=2, days=1)
    assert other.members.join(code, 1, "One") == Joined.JOINED and other.members.admits(1)
    assert members.join(code, 1, "One") == Joined.ALREADY  # not used up by a member
    now[0] += 86400
    assert members.join(code, 2, "Two") == Joined.EXPIRED and not members.admits(2)
    assert members.join(members.invite(ADMIN, 1, 7), 3, "Three") == Joined.JOINED
    assert members.request(4, "Four", "id") and not other.members.request(4, "Four", "id")
    decided = other.members.decide(4, True, ADMIN)
    assert decided.language == "id" and members.admits(4) and members.decide(4, False, ADMIN) is None
    now[0] += REQUEST_SECONDS + 1
    assert members.request(5, "Five", "en") and members.remove(4) and not other.members.admits(4)
    assert [member.id for member in other.members.listing()] == [1, 3]


def test_the_members_list_of_hostile_names_pages_within_telegrams_limits(private_bot):
    bot = private_bot
    hostile = ("<b>&amp;\"'" * 10)[:64]
    for n in range(45):
        bot.application.bot_data["state"].members.add(6000 + n, "user", hostile, "approved", ADMIN)
    page = bot.ask("/members", user_id=ADMIN)
    seen, edits = [], 0
    while True:
        assert telegram_html_problem(page["text"]) is None and len(page["text"]) <= 4096
        seen += re.findall(r"<code>(60\d\d)</code>", page["text"])
        forward = buttons(page).get("▶")
        if forward is None:
            break
        bot.press(page, forward, user_id=ADMIN)
        edits += 1
        [*_, edit] = bot.standin.wait_for(lambda c: c.method == "editMessageText", count=edits)
        page = edit.result
    assert seen == [str(6000 + n) for n in range(45)]
    assert html.escape(hostile) in page["text"]


def test_a_member_who_is_no_admin_cannot_manage_members(private_bot):
    bot = private_bot
    bot.ask(f"/start {_invite(bot)}", user_id=OUTSIDER)
    code = _invite(bot)
    before = len(bot.standin.calls)
    for command in ("/invite", "/allowgroup", "/members", f"/revoke {ADMIN}", f"/revoke {code}"):
        refusal = bot.ask(command, user_id=OUTSIDER)["text"]
        assert refusal.startswith("Sorry, only admins can use this command."), command
    answer = bot.ask(QUESTION, user_id=OUTSIDER)
    for data in ("M:0", f"m:{OUTSIDER + 1}:1"):  # forged: a members page, a decision on a request
        assert bot.press(answer, data, user_id=OUTSIDER).params["text"] == text("en", "admins_only")
    assert [m.id for m in bot.application.bot_data["state"].members.listing()] == [OUTSIDER]
    assert bot.ask(f"/start {code}", user_id=OUTSIDER + 1)["text"].startswith(text("en", "joined"))  # not revoked
    assert bot.actions_since(before).count("editMessageText") == 0


def test_the_gate_judges_the_chat_a_reply_goes_to_business_chats_and_groups_not_allowed(private_bot):
    bot, customer, group = private_bot, 7007, -100888
    start = len(bot.standin.calls)
    for sender in (ADMIN, customer):  # the admin writing to a customer through Telegram Business; the customer
        for kind in ("business_message", "edited_business_message"):
            body = {
                "message_id": 5000 + sender % 100 + len(kind),
                "date": int(time.time()),
                "from": bot.standin.user(sender),
                "chat": {"id": customer, "type": "private", "first_name": "Customer"},
                "text": QUESTION,
                "business_connection_id": "owner-connection",
            }
            bot.standin.push({kind: {**body, **({"edit_date": int(time.time())} if kind.startswith("edited") else {})}})
    bot.standin.push(
        {
            "business_connection": {
                "id": "owner-connection",
                "user": bot.standin.user(ADMIN),
                "user_chat_id": ADMIN,
                "date": int(time.time()),
                "is_enabled": True,
                "can_reply": True,
            }
        }
    )
    in_group = dict(chat_id=group, chat_type="supergroup")
    assert bot.ask(f"/ask {QUESTION}", user_id=ADMIN, **in_group)["text"] == text("en", "private_group")
    assert ANSWERED in bot.ask(QUESTION, user_id=ADMIN)["text"]  # the admin in private: answered
    time.sleep(3)  # the business updates were handled by now (or never will be)
    calls = bot.standin.calls[start:]
    assert not [c for c in calls if c.params.get("chat_id") == customer or "business_connection_id" in c.params]
    assert not [c for c in calls if c.params.get("chat_id") == group and ANSWERED in c.params.get("text", "")]
    assert bot.ask("/allowgroup", user_id=ADMIN, **in_group)["text"] == text("en", "group_allowed")
    assert ANSWERED in bot.ask(f"/ask {QUESTION}", user_id=ADMIN, **in_group)["text"]
