"""Who may read the documents (TANYA_ACCESS=members): the gate every update passes first, invites,
requests for access and the admins' decisions, allowed groups, /members and /revoke."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineQueryResultsButton, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.formatting import collection_names, escape, paged_list, shorten
from bot.handlers.buttons import pressed
from bot.handlers.collections import parse_collections
from bot.handlers.common import (
    help_text,
    is_admin,
    knowledge_of,
    settings_of,
    show_page,
    state_of,
    user_language,
)
from bot.handlers.questions import HELP_PARAMETER, question_in_group
from bot.keyboards import (
    DecideButton,
    MembersButton,
    RequestButton,
    decide_keyboard,
    members_keyboard,
    parse_callback,
    request_keyboard,
)
from bot.metrics import QUESTIONS, UPDATES
from bot.state.members import Joined, Member
from bot.texts import language_of, text

logger = logging.getLogger(__name__)

GROUP_SETUP = ("/allowgroup", "/helpdesk")  # an admin's commands that make a group one the bot works in

INVITE_USES, INVITE_DAYS = 1, 7  # an invite's defaults
MAX_INVITE_USES, MAX_INVITE_DAYS = 1000, 365
ACCESS_PARAMETER = "access"  # the start parameter of the inline button that opens the bot to ask for access
BUSINESS_UPDATES = ("business_connection", "business_message", "edited_business_message", "deleted_business_messages")
ALL_REQUESTS = "access requests"  # the per-minute window that all requests for access share, whoever sends them
ID_DIGITS = 18  # a Telegram user or chat id has fewer digits; a longer number is no id
NAME_LIMIT = 64  # characters of a member's name kept and shown
JOIN_REPLIES = {
    Joined.UNKNOWN: "join_unknown",
    Joined.REVOKED: "join_revoked",
    Joined.EXPIRED: "join_expired",
    Joined.USED: "join_used",
}


def is_open(context: ContextTypes.DEFAULT_TYPE) -> bool:
    return settings_of(context).access == "open"


def _name(user: User) -> str:
    """How a user is shown to admins: their name, and @username where they have one."""
    name = user.full_name + (f" @{user.username}" if user.username else "")
    return shorten(name, NAME_LIMIT)


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler. It judges the chat a reply would go to, not only the sender:

    - Business updates (the bot connected to a person's Telegram Business account) go no further in
      any mode: a reply there would be sent in that person's name, into their customer's chat.
    - With TANYA_ACCESS=members, an update from a non-member, or from a group not allowed (an
      admin's too, but for /allowgroup and /helpdesk), goes no further. Its only ways in are an invite
      (``/start CODE``) and the button that asks the admins for access; everything else gets one
      short refusal.
    """
    UPDATES.inc()  # every update passes here first
    if any(getattr(update, kind) is not None for kind in BUSINESS_UPDATES):
        raise ApplicationHandlerStop
    if is_open(context):
        return
    chat, user = update.effective_chat, update.effective_user
    in_group = chat is not None and chat.type != ChatType.PRIVATE
    if is_admin(update, context) and (not in_group or _command(update.effective_message) in GROUP_SETUP):
        return
    member_id = chat.id if in_group else (user.id if user is not None else None)
    try:
        admitted = member_id is not None and await asyncio.to_thread(state_of(context).members.admits, member_id)
    except SQLAlchemyError as error:  # not knowing who is a member, nobody but admins is answered
        logger.warning("access: could not check a member, refused: %s", error)
        await _refuse(update, context, "access_unavailable")
        raise ApplicationHandlerStop from None
    if admitted:
        return
    message = update.message
    if not in_group and message is not None and message.text and (code := _invite_code(message.text)):
        await _join(update, context, code)
    elif (
        not in_group
        and update.callback_query is not None
        and isinstance(parse_callback(update.callback_query.data), RequestButton)
    ):
        await ask_for_access(update, context)
    else:
        await _refuse(update, context, "private_group" if in_group else "private")
    raise ApplicationHandlerStop


def _command(message) -> str | None:
    """The command a message starts with (``/allowgroup@tanya_bot`` → ``/allowgroup``), else None."""
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    return message.text.split()[0].split("@")[0].lower()


def _invite_code(message_text: str) -> str | None:
    """The code of ``/start CODE`` (as an invite link opens the chat), else None (also for the start
    parameters of the bot's own inline buttons)."""
    parts = message_text.split()
    if len(parts) != 2 or parts[0].split("@")[0] != "/start" or parts[1] in (HELP_PARAMETER, ACCESS_PARAMETER):
        return None
    return parts[1]


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    """One short refusal, fit for the kind of update; nothing for updates no one sees (members joining…)."""
    language = user_language(update)
    if update.inline_query is not None:
        QUESTIONS.labels("refused").inc()
        button = InlineQueryResultsButton(text(language, "private_inline"), start_parameter=ACCESS_PARAMETER)
        await update.inline_query.answer([], cache_time=0, is_personal=True, button=button)
    elif update.callback_query is not None:
        await update.callback_query.answer(text(language, "private_button"), show_alert=True)
    elif (message := update.effective_message) is not None and (user := update.effective_user) is not None:
        if message.chat.type != ChatType.PRIVATE and not _addressed(message, context):
            return
        if message.text and not message.text.startswith("/"):
            QUESTIONS.labels("refused").inc()
        state = state_of(context)  # a flood of messages must not become a flood of refusals
        if not (await asyncio.to_thread(state.windows.admit, state.history.user(user.id))).admitted:
            return
        keyboard = request_keyboard(language) if key == "private" else None
        await message.reply_html(text(language, key), reply_markup=keyboard)


def _addressed(message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether a group message is for this bot: one of its commands, a mention, or a reply to it."""
    if message.text and message.text.startswith("/"):
        command = message.text.split()[0]
        return "@" not in command or command.split("@", 1)[1].lower() == (context.bot.username or "").lower()
    return message.text is not None and question_in_group(message, context) is not None


async def _join(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    user, state = update.effective_user, state_of(context)
    if not (await asyncio.to_thread(state.windows.admit, state.history.user(user.id))).admitted:
        return  # guessing codes: past the per-user limit, no reply at all
    joined = await asyncio.to_thread(state_of(context).members.join, code, user.id, _name(user))
    if joined in (Joined.JOINED, Joined.ALREADY):
        welcome = text(user_language(update), "joined") + "\n\n" + help_text(update, context)
        await update.effective_message.reply_html(welcome)
        return
    language = user_language(update)
    refusal = text(language, JOIN_REPLIES[joined])
    await update.effective_message.reply_html(refusal, reply_markup=request_keyboard(language))


@pressed(RequestButton)
async def request_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: RequestButton, language: str
) -> None:
    """ "Ask for access" pressed by a member (a non-member's press is the gate's)."""
    await ask_for_access(update, context)


async def ask_for_access(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Ask for access" button: once a day, every admin is sent the request with Allow / Deny."""
    query, user, language = update.callback_query, update.effective_user, user_language(update)
    if is_open(context) or await asyncio.to_thread(state_of(context).members.admits, user.id):
        await query.answer(text(language, "request_member"), show_alert=True)
        return
    state = state_of(context)
    if not (await asyncio.to_thread(state.windows.admit, ALL_REQUESTS)).admitted:  # many strangers at once
        await query.answer(text(language, "request_no_admin"), show_alert=True)
        return
    requested = await asyncio.to_thread(state.members.request, user.id, _name(user), user.language_code or "")
    if not requested:
        await query.answer(text(language, "request_again"), show_alert=True)
        return
    admin_language = language_of(None)
    message = text(admin_language, "access_request", name=escape(_name(user)), user_id=user.id)
    reached = 0
    for admin_id in sorted(settings_of(context).admin_ids):
        try:
            await context.bot.send_message(
                admin_id, message, parse_mode=ParseMode.HTML, reply_markup=decide_keyboard(user.id, admin_language)
            )
            reached += 1
        except TelegramError as error:  # an admin who never opened the bot cannot be written to
            logger.warning("could not send a request for access to admin %d: %s", admin_id, error)
    await query.answer(text(language, "request_sent" if reached else "request_no_admin"), show_alert=True)


@pressed(DecideButton)
async def decide(update: Update, context: ContextTypes.DEFAULT_TYPE, target: DecideButton, language: str) -> None:
    """An admin's Allow / Deny under a request: the request decided once, the user told."""
    query, admin = update.callback_query, update.effective_user
    request = await asyncio.to_thread(state_of(context).members.decide, target.user_id, target.allow, admin.id)
    if request is None:
        await query.answer(text(language, "decided_already"), show_alert=True)
        return
    await query.answer()
    decided = text(language, "decided_allow" if target.allow else "decided_deny", admin=escape(_name(admin)))
    await query.message.edit_text(query.message.text_html + decided, parse_mode=ParseMode.HTML)
    user_language_ = language_of(request.language)
    try:
        await context.bot.send_message(
            request.user_id,
            text(user_language_, "access_allowed" if target.allow else "access_denied"),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as error:  # the user blocked the bot meanwhile: the decision stands
        logger.info("could not tell user %d the decision on their request: %s", request.user_id, error)


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invite [uses] [days] (admins): a deep link that makes whoever opens it a member."""
    language = user_language(update)
    arguments = context.args or []
    named = arguments[:1] if arguments and not arguments[0].isdigit() else []  # /invite hr,umum 20 30
    numbers = [int(argument) if argument.isdigit() else 0 for argument in arguments[len(named) :]]
    uses, days = (numbers + [INVITE_USES, INVITE_DAYS][len(numbers) :])[:2] if len(numbers) <= 2 else (0, 0)
    names, unknown = parse_collections(named, knowledge_of(context).collections())
    if not (1 <= uses <= MAX_INVITE_USES and 1 <= days <= MAX_INVITE_DAYS) or unknown:
        usage = text(language, "invite_usage", max_uses=MAX_INVITE_USES, max_days=MAX_INVITE_DAYS)
        await update.effective_message.reply_html(usage)
        return
    reads = frozenset(names) if names else None
    code = await asyncio.to_thread(state_of(context).members.invite, update.effective_user.id, uses, days, reads)
    link = f"https://t.me/{context.bot.username}?start={code}"
    expires = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + days * 86400, timezone.utc)
    reply = text(language, "invite_created", uses=uses, expires=expires.strftime("%Y-%m-%d %H:%M UTC"), link=link)
    if reads is not None:
        reply += text(language, "invite_collections", collections=collection_names(reads))
    await update.effective_message.reply_html(reply + (text(language, "access_open_note") if is_open(context) else ""))


async def allow_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/allowgroup (admins, sent in a group): everyone in the group may ask."""
    language = user_language(update)
    chat = update.effective_chat
    if chat.type == ChatType.PRIVATE:
        await update.effective_message.reply_html(text(language, "allowgroup_private"))
        return
    name = shorten(chat.title or str(chat.id), NAME_LIMIT)
    added = await asyncio.to_thread(
        state_of(context).members.add, chat.id, "group", name, "allowed", update.effective_user.id
    )
    await update.effective_message.reply_html(text(language, "group_allowed" if added else "group_already"))


async def members(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/members (admins): members and allowed groups, paged, with who added them and when."""
    language = user_language(update)
    listed, keyboard = await _members_page(context, 0, language)
    note = text(language, "access_open_note") if is_open(context) else ""
    await update.effective_message.reply_html(listed + note, reply_markup=keyboard)


@pressed(MembersButton)
async def show_members_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: MembersButton, language: str
) -> None:
    page = await _members_page(context, target.page, language)
    await show_page(update, language, page if page[0] else None)


async def _members_page(context: ContextTypes.DEFAULT_TYPE, page: int, language: str):
    """Page ``page`` of the members and its keyboard; an empty text when there is no such page."""
    listing = await asyncio.to_thread(state_of(context).members.listing)
    if not listing:
        return text(language, "members_none"), None
    head = text(language, "members_title", count=len(listing))
    pages = paged_list(head, ["\n" + _member_line(member, language) for member in listing])
    if page >= len(pages):
        return "", None
    return pages[page].text, members_keyboard(page, len(pages))


def _member_line(member: Member, language: str) -> str:
    added_at = datetime.fromtimestamp(member.added_at, timezone.utc).strftime("%Y-%m-%d")
    icon = "👥" if member.kind == "group" else "👤"
    return (
        icon
        + " "
        + text(
            language,
            "member_line",
            name=escape(member.name),
            id=member.id,
            via=text(language, f"via_{member.via}"),
            added_by=member.added_by,
            added_at=added_at,
        )
        + (
            ""
            if member.collections is None
            else text(language, "member_reads", collections=collection_names(member.collections))
        )
    )


async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/revoke ID (a member or group, from their next update on) or /revoke LINK (an invite)."""
    language = user_language(update)
    argument = " ".join(context.args or []).strip()
    reply = update.effective_message.reply_html
    if not argument:
        await reply(text(language, "revoke_usage"))
    elif argument.lstrip("-").isdigit() and len(argument) <= ID_DIGITS:
        member_id = int(argument)
        if member_id in settings_of(context).admin_ids:
            await reply(text(language, "revoke_admin", id=member_id))
            return
        removed = await asyncio.to_thread(state_of(context).members.remove, member_id)
        await reply(text(language, "revoked" if removed else "revoke_unknown", id=member_id))
    else:
        code = argument.rsplit("start=", 1)[-1]
        revoked = await asyncio.to_thread(state_of(context).members.revoke_invite, code)
        await reply(text(language, "invite_revoked" if revoked else "invite_not_found"))
