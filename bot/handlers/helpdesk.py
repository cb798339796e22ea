"""A person behind the bot: the help-desk group (``/helpdesk``), 🙋 to hand a question over, replies
relayed both ways under a ticket, 📌 to teach the help desk's answer, ✅ and ``/tickets``.

Which message belongs to which ticket is kept in the database (``bot.state.tickets``), so a reply in
the group reaches the asker whichever replica receives it, and after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from html import escape

from babel.dates import format_timedelta
from sqlalchemy.exc import SQLAlchemyError
from telegram import ReplyParameters, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.formatting import QUESTION_LIMIT, TAUGHT_ANSWER_LIMIT, escape_within, escaped_length, paged_list, shorten
from bot.handlers.buttons import pressed
from bot.handlers.common import history_of, kept_answer_of, read_history, settings_of, state_of, user_language
from bot.handlers.teach import WORDINGS_KEPT, relearn
from bot.keyboards import CloseTicketButton, HandoffButton, TeachTicketButton, ticket_keyboard
from bot.metrics import HANDOFF_REPLY_SECONDS, HANDOFFS
from bot.state.tickets import Ticket
from bot.texts import FALLBACK, LANGUAGES, text
from embeddings.search.retrieval import Answer

logger = logging.getLogger(__name__)

RELAYED_LIMIT = 3500  # HTML of a relayed message at most: with its heading it fits one message
NAME_LIMIT = 64


async def offers_handoff(context: ContextTypes.DEFAULT_TYPE, after_vote: bool = False) -> bool:
    """Whether an answer carries 🙋: a "not sure" one with TANYA_HANDOFF=button, any one after a 👎 unless
    it is off; and only while a help-desk group is set. (With auto, "not sure" is handed over at once.)"""
    mode = settings_of(context).handoff
    if mode == "off" or (mode == "auto" and not after_vote):
        return False
    return await asyncio.to_thread(state_of(context).tickets.desk) is not None


async def handoff_line(context: ContextTypes.DEFAULT_TYPE, language: str) -> str:
    """/stats' line on the help desk: questions handed over, answered, the median time to a first reply;
    "" while none was ever handed over."""
    tickets = state_of(context).tickets
    opened, answered = await asyncio.to_thread(tickets.counts)
    if not opened:
        return ""
    median = await asyncio.to_thread(tickets.median_reply_seconds)
    shown = "—" if median is None else _duration(median, language)
    return text(language, "usage_handoffs", handed=opened, answered=answered, median=escape(shown))


def _duration(seconds: float, language: str) -> str:
    return format_timedelta(timedelta(seconds=max(seconds, 60)), locale=LANGUAGES.get(language, "en"))


async def helpdesk(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/helpdesk in a group (admins): questions go to people here from now on; /helpdesk off: no more."""
    language, message, chat = user_language(update), update.effective_message, update.effective_chat
    state = state_of(context)
    if chat.type == ChatType.PRIVATE:
        await message.reply_html(text(language, "helpdesk_private"))
        return
    if (context.args or [""])[0].lower() == "off":
        cleared = await asyncio.to_thread(state.tickets.clear_desk, chat.id)
        await message.reply_html(text(language, "helpdesk_off" if cleared else "helpdesk_not_here"))
        return
    thread_id = message.message_thread_id if message.is_topic_message else None
    await asyncio.to_thread(state.tickets.set_desk, chat.id, thread_id, update.effective_user.id)
    # The staff's room: in members-only mode its people may write to the bot there (the gate lets them).
    name = shorten(chat.title or str(chat.id), NAME_LIMIT)
    await asyncio.to_thread(state.members.add, chat.id, "group", name, "allowed", update.effective_user.id)
    await message.reply_html(text(language, "helpdesk_on"))


@pressed(HandoffButton)
async def hand_off(update: Update, context: ContextTypes.DEFAULT_TYPE, target: HandoffButton, language: str) -> None:
    """🙋 under an answer: the question goes to the help-desk group, and the asker is told."""
    query = update.callback_query
    if settings_of(context).handoff == "off":
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    if (kept := await kept_answer_of(update, context, target.answer_id, language)) is None:
        return
    await query.answer()
    shown = query.message
    asked_in = shown.reply_to_message.message_id if shown.reply_to_message else shown.message_id
    told = await hand_over(update, context, kept.question, asked_in, guess_of(kept.answer), language)
    await shown.chat.send_message(told, parse_mode=ParseMode.HTML, reply_parameters=_reply_to(asked_in))


async def hand_over(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, asked_in: int, guess: str, language: str
) -> str:
    """Open a ticket for ``question`` (asked in message ``asked_in`` of this chat) and post it to the
    help-desk group; what to tell the asker (HTML)."""
    tickets, chat, user = state_of(context).tickets, update.effective_chat, update.effective_user
    desk = await asyncio.to_thread(tickets.desk)
    if desk is None:
        return text(language, "handoff_no_desk")
    if await asyncio.to_thread(tickets.open_for, chat.id, question) is not None:
        return text(language, "handoff_already")
    name = shorten(user.full_name if user else str(chat.id), NAME_LIMIT)
    ticket = await asyncio.to_thread(
        tickets.open_ticket,
        chat.id,
        user.id if user else chat.id,
        name,
        language,
        question,
        asked_in,
        guess,
        desk.chat_id,
    )
    try:
        post = await context.bot.send_message(
            desk.chat_id,
            _ticket_text(ticket, user.username if user else None, _chat_name(update)),
            parse_mode=ParseMode.HTML,
            message_thread_id=desk.thread_id,
            reply_markup=ticket_keyboard(ticket.id, FALLBACK),
        )
    except TelegramError as error:  # the bot was removed from the group, or the group is gone
        logger.warning("help desk: could not post ticket %d to chat %d: %s", ticket.id, desk.chat_id, error)
        await asyncio.to_thread(tickets.close, ticket.id)
        return text(language, "handoff_unavailable")
    await asyncio.to_thread(tickets.posted, ticket.id, desk.chat_id, post.message_id)
    HANDOFFS.labels("asked").inc()
    median = await asyncio.to_thread(tickets.median_reply_seconds)
    if median is None:
        return text(language, "handoff_sent", ticket=ticket.id)
    return text(language, "handoff_sent_eta", ticket=ticket.id, eta=escape(_duration(median, language)))


async def relay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to a message of a ticket: from the help-desk group, it goes to the asker; from the asker,
    to the group. Anything else goes on to the other handlers."""
    message = update.effective_message
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    tickets = state_of(context).tickets
    ticket = await asyncio.to_thread(tickets.of_message, message.chat_id, replied.message_id)
    if ticket is None:
        return
    words = message.text or message.caption or ""
    if message.chat_id == ticket.group_chat_id:
        await _to_asker(update, context, ticket, words)
    elif message.chat_id == ticket.asker_chat_id:
        await _to_group(update, context, ticket, words)
    else:
        return
    raise ApplicationHandlerStop


async def _to_asker(update: Update, context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, words: str) -> None:
    message, tickets = update.effective_message, state_of(context).tickets
    language = user_language(update)
    if not words.strip():
        await message.reply_html(text(language, "helpdesk_text_only"), do_quote=True)
        return
    if escaped_length(words) > TAUGHT_ANSWER_LIMIT:
        length = escaped_length(words)
        await message.reply_html(text(language, "teach_too_long", length=length, limit=TAUGHT_ANSWER_LIMIT))
        return
    try:
        sent = await context.bot.send_message(
            ticket.asker_chat_id,
            text(ticket.language, "helpdesk_answer", answer=escape_within(words, RELAYED_LIMIT)),
            parse_mode=ParseMode.HTML,
            reply_parameters=_reply_to(ticket.question_message_id),
        )
    except Forbidden as error:  # the asker blocked the bot, or left the group
        logger.info("help desk: ticket %d did not reach its asker: %s", ticket.id, error)
        await asyncio.to_thread(tickets.touched, ticket.id, "blocked")
        await message.reply_html(text(language, "helpdesk_asker_blocked", ticket=ticket.id), do_quote=True)
        return
    first = ticket.answered_at is None
    await asyncio.to_thread(tickets.link, ticket.id, ticket.asker_chat_id, sent.message_id)
    await asyncio.to_thread(tickets.link, ticket.id, message.chat_id, message.message_id)
    ticket = await asyncio.to_thread(tickets.replied, ticket.id, words)
    if first:
        HANDOFFS.labels("answered").inc()
        HANDOFF_REPLY_SECONDS.observe(ticket.answered_at - ticket.opened_at)
    confirmation = await message.reply_html(
        text(language, "helpdesk_delivered", ticket=ticket.id),
        reply_markup=ticket_keyboard(ticket.id, language, teach=True),
        do_quote=True,
    )
    await asyncio.to_thread(tickets.link, ticket.id, message.chat_id, confirmation.message_id)


async def _to_group(update: Update, context: ContextTypes.DEFAULT_TYPE, ticket: Ticket, words: str) -> None:
    message, tickets = update.effective_message, state_of(context).tickets
    language = user_language(update)
    if not words.strip():
        await message.reply_html(text(language, "text_only"), do_quote=True)
        return
    head = text(FALLBACK, "helpdesk_followup", ticket=ticket.id, name=escape(ticket.asker_name))
    try:
        sent = await context.bot.send_message(
            ticket.group_chat_id,
            f"{head}\n\n{escape_within(words, RELAYED_LIMIT)}",
            parse_mode=ParseMode.HTML,
            reply_parameters=_reply_to(ticket.group_message_id),
            reply_markup=ticket_keyboard(ticket.id, FALLBACK),
        )
    except TelegramError as error:
        logger.warning("help desk: a follow-up to ticket %d did not reach the group: %s", ticket.id, error)
        await message.reply_html(text(language, "handoff_unavailable"), do_quote=True)
        return
    await asyncio.to_thread(tickets.link, ticket.id, ticket.group_chat_id, sent.message_id)
    await asyncio.to_thread(tickets.touched, ticket.id)
    await message.reply_html(text(language, "helpdesk_followup_sent"), do_quote=True)


@pressed(TeachTicketButton)
async def teach_ticket(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: TeachTicketButton, language: str
) -> None:
    """📌 in the help-desk group: the help desk's last answer on the ticket becomes the taught answer to its question."""
    query = update.callback_query
    ticket = await _desk_ticket(update, context, target.ticket_id, language)
    if ticket is None:
        return
    if not ticket.answer:
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    state = state_of(context)
    wordings = await _wordings_of(context, ticket.question)
    # For the collections the asker's group reads, when it is bound; else for everyone.
    collections = (
        await asyncio.to_thread(state.bindings.bound, ticket.asker_chat_id) if ticket.asker_chat_id < 0 else None
    )
    await asyncio.to_thread(state.taught.teach, wordings, ticket.answer, update.effective_user.id, collections)
    await relearn(context)
    HANDOFFS.labels("taught").inc()
    await query.answer(text(language, "helpdesk_taught"), show_alert=True)
    await query.message.edit_reply_markup(reply_markup=ticket_keyboard(ticket.id, language))


@pressed(CloseTicketButton)
async def close_ticket(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: CloseTicketButton, language: str
) -> None:
    """✅ in the help-desk group: the ticket is closed (a later reply opens it again)."""
    query = update.callback_query
    ticket = await _desk_ticket(update, context, target.ticket_id, language)
    if ticket is None:
        return
    closed = await asyncio.to_thread(state_of(context).tickets.close, ticket.id)
    await query.answer(text(language, "ticket_closed" if closed else "ticket_closed_already", ticket=ticket.id))
    if closed:
        await query.message.edit_reply_markup(reply_markup=None)


async def _wordings_of(context: ContextTypes.DEFAULT_TYPE, question: str) -> list[str]:
    """``question`` and the other wordings /unanswered groups with it (WORDINGS_KEPT at most); the question
    alone while the history is out of reach."""
    try:
        groups = await read_history(context, history_of(context).unanswered)
    except SQLAlchemyError as error:
        logger.warning("help desk: teaching the ticket's question alone, the history is out of reach: %s", error)
        return [question]
    asked = " ".join(question.split())
    wordings = next((group.wordings for group in groups if asked in group.wordings), ())
    return [asked, *(wording for wording in wordings if wording != asked)][:WORDINGS_KEPT]


async def _desk_ticket(
    update: Update, context: ContextTypes.DEFAULT_TYPE, ticket_id: int, language: str
) -> Ticket | None:
    """The ticket a help-desk button names, pressed in the help-desk group; else None (the user told)."""
    query, tickets = update.callback_query, state_of(context).tickets
    desk = await asyncio.to_thread(tickets.desk)
    ticket = await asyncio.to_thread(tickets.ticket, ticket_id)
    if desk is None or query.message.chat_id != desk.chat_id:
        await query.answer(text(language, "helpdesk_only"), show_alert=True)
        return None
    if ticket is None or ticket.group_chat_id != desk.chat_id:
        await query.answer(text(language, "stale_button"), show_alert=True)
        return None
    return ticket


async def tickets_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tickets (admins): the open tickets, oldest first, with their age."""
    language = user_language(update)
    open_tickets = await asyncio.to_thread(state_of(context).tickets.open_tickets)
    if not open_tickets:
        await update.effective_message.reply_html(text(language, "tickets_none"))
        return
    now, locale = time.time(), LANGUAGES.get(language, "en")
    lines = [
        "\n"
        + text(
            language,
            "ticket_line",
            ticket=ticket.id,
            age=escape(format_timedelta(timedelta(seconds=now - ticket.opened_at), locale=locale)),
            name=escape(ticket.asker_name),
            question=escape(shorten(ticket.question, QUESTION_LIMIT)),
            state=text(language, "ticket_answered" if ticket.answered_at else "ticket_waiting"),
        )
        for ticket in open_tickets
    ]
    pages = paged_list(text(language, "tickets_title", count=len(open_tickets)), lines)
    await update.effective_message.reply_html(pages[0].text)


async def follow_tickets(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A job every minute: a ticket not answered within TANYA_TICKET_REMIND_MINUTES is posted again (once),
    one without messages for TANYA_TICKET_DAYS is closed. Each is taken by one replica only."""
    settings, tickets = settings_of(context), state_of(context).tickets
    remind, expired = await asyncio.to_thread(
        tickets.due, settings.ticket_remind_minutes * 60, settings.ticket_days * 86400
    )
    for ticket in remind:
        try:
            await context.bot.send_message(
                ticket.group_chat_id,
                text(FALLBACK, "ticket_reminder", ticket=ticket.id) + "\n\n" + _ticket_text(ticket, None, None),
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply_to(ticket.group_message_id),
                reply_markup=ticket_keyboard(ticket.id, FALLBACK),
            )
        except TelegramError as error:
            logger.warning("help desk: could not remind the group of ticket %d: %s", ticket.id, error)
    for _ in expired:
        HANDOFFS.labels("expired").inc()


async def desk_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot removed from the help-desk group: no help desk from now on, and the admins are told."""
    change = update.my_chat_member
    if change.new_chat_member.status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return
    if not await asyncio.to_thread(state_of(context).tickets.clear_desk, change.chat.id):
        return
    name = escape(shorten(change.chat.title or str(change.chat.id), NAME_LIMIT))
    for admin_id in sorted(settings_of(context).admin_ids):
        try:
            await context.bot.send_message(
                admin_id, text(FALLBACK, "helpdesk_removed", name=name), parse_mode=ParseMode.HTML
            )
        except TelegramError as error:
            logger.warning("could not tell admin %d the help desk is gone: %s", admin_id, error)


def _ticket_text(ticket: Ticket, username: str | None, chat: str | None) -> str:
    """The ticket as the help-desk group reads it (in the bot's fallback language: the staff's room)."""
    who = escape(ticket.asker_name) + (f" (@{escape(username)})" if username else "")
    lines = [
        text(FALLBACK, "ticket_head", ticket=ticket.id),
        text(FALLBACK, "ticket_asker", who=who, speaks=escape(ticket.language), id=ticket.asker_id),
    ]
    if chat:
        lines.append(text(FALLBACK, "ticket_chat", chat=chat))
    if ticket.guess:
        lines.append(text(FALLBACK, "ticket_guess", guess=escape(ticket.guess)))
    lines += ["", f"<blockquote>{escape_within(ticket.question, RELAYED_LIMIT // 2)}</blockquote>", ""]
    lines.append(text(FALLBACK, "ticket_how"))
    return "\n".join(lines)


def _chat_name(update: Update) -> str:
    chat = update.effective_chat
    if chat.type == ChatType.PRIVATE:
        return text(FALLBACK, "ticket_private_chat")
    return escape(shorten(chat.title or str(chat.id), NAME_LIMIT))


def guess_of(answer: Answer) -> str:
    """The bot's best guess at an answer, as the help desk sees it: document › section."""
    if not answer.hits:
        return ""
    passage = answer.hits[0].passage
    return shorten(f"{passage.document} › {passage.section}", 200)


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    return None if message_id is None else ReplyParameters(message_id, allow_sending_without_reply=True)
