"""A press on any of the bot's buttons, sent to the feature it belongs to."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    Update,
)
from telegram.ext import ContextTypes

from bot.handlers.access import ask_for_access, decide, show_members_page
from bot.handlers.common import (
    is_admin,
    knowledge_of,
    state_of,
    user_language,
)
from bot.handlers.documents import answer_remove, answer_replace, show_document_list_page
from bot.handlers.insight import show_unanswered_page
from bot.handlers.questions import show_admins_answer, show_answer, vote
from bot.handlers.sections import show_section_list_page, show_section_page
from bot.handlers.teach import ask_for_answer, forget_taught, show_taught_page
from bot.keyboards import (
    NOTHING,
    AdminsAnswerButton,
    AnswerButton,
    DecideButton,
    DocumentsButton,
    ForgetTaughtButton,
    MembersButton,
    RemoveButton,
    RequestButton,
    SectionButton,
    TaughtButton,
    TeachButton,
    UnansweredButton,
    UploadButton,
    VoteButton,
    parse_callback,
)
from bot.texts import text

logger = logging.getLogger(__name__)

ADMIN_BUTTONS = (
    UploadButton
    | RemoveButton
    | UnansweredButton
    | DecideButton
    | MembersButton
    | TeachButton
    | TaughtButton
    | ForgetTaughtButton
)

# Buttons that name no index (their target is kept, or in the database), and the handler of each.
INDEPENDENT = {
    UploadButton: answer_replace,  # a kept upload: it holds its file, whatever the index now
    UnansweredButton: show_unanswered_page,
    TeachButton: ask_for_answer,
    TaughtButton: show_taught_page,
    ForgetTaughtButton: forget_taught,
}


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on one of the bot's buttons; stale or forged data gets an answer and does nothing."""
    query = update.callback_query
    language = user_language(update)
    if query.data == NOTHING:
        await query.answer()
        return
    target = parse_callback(query.data)
    if target is None or query.message is None:
        await query.answer(text(language, "stale_button"), show_alert=True)
    elif isinstance(target, RequestButton):
        await ask_for_access(update, context)
    elif isinstance(target, ADMIN_BUTTONS) and not is_admin(update, context):
        await query.answer(text(language, "admins_only"), show_alert=True)
    elif isinstance(target, DecideButton):
        await decide(update, context, target, language)
    elif isinstance(target, MembersButton):
        await show_members_page(update, context, target, language)
    elif isinstance(target, AnswerButton | VoteButton | AdminsAnswerButton):  # a kept answer, whatever the index now
        kept = await asyncio.to_thread(state_of(context).kept.kept_answer, query.message.chat_id, target.answer_id)
        if kept is None:
            await query.answer(text(language, "answer_expired"), show_alert=True)
        elif isinstance(target, VoteButton):
            await vote(update, context, kept, target.answer_id, target.helpful, language)
        elif isinstance(target, AdminsAnswerButton):
            await show_admins_answer(update, context, kept, target.answer_id, language)
        else:
            await show_answer(update, context, kept, target, language)
    elif type(target) in INDEPENDENT:
        await INDEPENDENT[type(target)](update, context, target, language)
    elif target.index_id != knowledge_of(context).index_id:
        await query.answer(text(language, "stale_button"), show_alert=True)
    elif isinstance(target, SectionButton):
        await show_section_page(update, context, target, language)
    elif isinstance(target, DocumentsButton):
        await show_document_list_page(update, context, target, language)
    elif isinstance(target, RemoveButton):
        await answer_remove(update, context, target, language)
    else:
        await show_section_list_page(update, context, target, language)
