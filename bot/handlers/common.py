"""Helpers every handler uses, and the handlers of no one feature: /start, /help, other messages, errors."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes, filters

from bot.delivery import may_have_arrived
from bot.keyboards import OfAnswer, parse_callback
from bot.state import State
from bot.state.history import History
from bot.state.kept import KeptAnswer
from bot.texts import answer_language, language_of, text
from config import Settings
from embeddings.knowledge import KnowledgeBase

logger = logging.getLogger(__name__)

HISTORY_WAIT_SECONDS = 1.0  # a read of the history first waits this long at most for what was queued before it


def settings_of(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.bot_data["settings"]


def knowledge_of(context: ContextTypes.DEFAULT_TYPE) -> KnowledgeBase:
    return context.bot_data["knowledge"]


def state_of(context: ContextTypes.DEFAULT_TYPE) -> State:
    return context.bot_data["state"]


def history_of(context: ContextTypes.DEFAULT_TYPE) -> History:
    return state_of(context).history


async def readable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> frozenset[str] | None:
    """The collections what answers ``update`` may show (None: every one). Judged by where the reply
    goes: in a group, what the group is bound to (/collection), whoever asks; in a private chat or
    inline, in members-only mode, what the member was invited to or granted (admins: everything)."""
    chat, user, state = update.effective_chat, update.effective_user, state_of(context)
    if chat is not None and chat.type != ChatType.PRIVATE:
        return await asyncio.to_thread(state.bindings.bound, chat.id)
    if settings_of(context).access == "open" or user is None or is_admin(update, context):
        return None
    return await asyncio.to_thread(state.members.collections_of, user.id)


async def read_history(context: ContextTypes.DEFAULT_TYPE, read, *args):
    """``read(*args)`` in a worker thread, once the history has written what was queued before (waited
    for briefly): whoever has seen an answer and asks /stats next finds it counted."""
    history = history_of(context)

    def run():
        history.flush(HISTORY_WAIT_SECONDS)
        return read(*args)

    return await asyncio.to_thread(run)


async def show_page(update: Update, language: str, page: tuple[str, InlineKeyboardMarkup | None] | None) -> None:
    """A button's page of a list (its text and keyboard) in place of the message the button is under;
    None: the list has no such page now, and the user is told the button is out of date."""
    query = update.callback_query
    if page is None:
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(page[0], parse_mode=ParseMode.HTML, reply_markup=page[1])


async def kept_answer_of(
    update: Update, context: ContextTypes.DEFAULT_TYPE, answer_id: str, language: str
) -> KeptAnswer | None:
    """The kept answer a pressed button names (whatever the index now), or None when it has expired (the
    user told)."""
    query = update.callback_query
    kept = await asyncio.to_thread(state_of(context).kept.kept_answer, query.message.chat_id, answer_id)
    if kept is None:
        await query.answer(text(language, "answer_expired"), show_alert=True)
    return kept


async def answered_question(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The question one of the bot's answers (``message``) answered, by the kept answer its buttons name;
    None for any other message, or an answer no longer kept."""
    if message.from_user is None or message.from_user.id != context.bot.id or message.reply_markup is None:
        return None
    targets = [parse_callback(button.callback_data) for row in message.reply_markup.inline_keyboard for button in row]
    answer_id = next((target.answer_id for target in targets if isinstance(target, OfAnswer)), None)
    if answer_id is None:
        return None
    kept = await asyncio.to_thread(state_of(context).kept.kept_answer, message.chat_id, answer_id)
    return kept.question if kept else None


def user_language(update: Update) -> str:
    """The language of commands, buttons and menus: the user's Telegram language."""
    return language_of(update.effective_user.language_code if update.effective_user else None)


def spoken_language(update: Update, question: str) -> str:
    """The language of an answer to ``question``: the question's own, or the user's."""
    return answer_language(question, update.effective_user.language_code if update.effective_user else None)


class Admins(filters.UpdateFilter):
    """Updates from an admin (TANYA_ADMIN_IDS), whoever the message is from: the one test of admin rights,
    used as the filter of admin commands and by the buttons and the gate (``is_admin``)."""

    def __init__(self, admin_ids: frozenset[int] | set[int]) -> None:
        super().__init__(name="Admins")
        self.admin_ids = frozenset(admin_ids)

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.admin_ids


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    return context.bot_data["admins"].filter(update)  # check_update would say no to any update but a message


async def not_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin command from anyone else: told so, with their user id (to become an admin)."""
    language = user_language(update)
    await update.effective_message.reply_html(text(language, "not_admin", user_id=update.effective_user.id))


def help_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """What the bot knows and how to ask, in the user's language."""
    language = user_language(update)
    manifest = knowledge_of(context).manifest
    message = text(language, "start", documents=manifest.documents, sections=manifest.sections)
    if update.effective_chat.type != ChatType.PRIVATE:
        message += text(language, "group_hint")
    if is_admin(update, context):
        message += text(language, "help_admins")
    return message


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot knows and how to ask."""
    await update.effective_message.reply_html(help_text(update, context))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo or other non-text message in a private chat."""
    await update.effective_message.reply_html(text(user_language(update), "text_only"))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html(text(user_language(update), "unknown_command"))


async def error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and tell the user something went wrong; the bot keeps running."""
    if may_have_arrived(context.error):
        # The reply's response was lost, not necessarily the reply: an apology could follow an answer.
        logger.warning("a reply may not have reached Telegram (%s); not sending it twice", context.error)
        return
    logger.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_html(text(user_language(update), "error"))
        except Exception:  # noqa: BLE001 - the report itself may fail when Telegram is unreachable
            logger.warning("could not tell the user about the error")
