"""Answers admins teach: /teach in reply to a question or to one of the bot's answers, ✍️ under
/unanswered (the answer asked for with a ForceReply), and /taught to list and remove them; and the
wordings learned from use (an offered taught answer tapped, then 👍 or no new question within a
minute), suggested in /taught with ✅ / ✖ (TANYA_LEARN_WORDINGS)."""

from __future__ import annotations

import asyncio

from telegram import ForceReply, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.formatting import TAUGHT_ANSWER_LIMIT, escaped_length, question_lines, shown_suggestions, taught_list
from bot.handlers.buttons import pressed
from bot.handlers.common import (
    answered_question,
    knowledge_of,
    readable,
    settings_of,
    show_page,
    state_of,
    user_language,
)
from bot.keyboards import (
    ApproveWordingButton,
    ForgetTaughtButton,
    RejectWordingButton,
    TaughtButton,
    TeachButton,
    taught_list_keyboard,
)
from bot.state.kept import KeptAnswer
from bot.texts import text

PROMPT = "prompt"  # kept by the id of a ForceReply prompt: the questions whose answer it asks for
GROUPS = "groups"  # kept for an /unanswered page's ✍️ buttons: each listed group's wordings
WORDINGS_KEPT = 20  # wordings of one /unanswered group taught at most


async def teach(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/teach <answer>, in reply to a question or to one of the bot's answers (admins): that question's answer."""
    language = user_language(update)
    message = update.effective_message
    command = message.entities[0].length if message.entities and message.entities[0].offset == 0 else 0
    answer = message.text[command:].strip()  # a command is ASCII: its UTF-16 length is its length here
    if not answer or message.reply_to_message is None:
        await message.reply_html(text(language, "teach_usage"))
        return
    question = await _question_of(message.reply_to_message, context)
    if not question:
        await message.reply_html(text(language, "teach_no_question"))
        return
    await _teach(update, context, [question], answer, language)


async def answered_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's reply: to a ✍️ prompt, it is taught as the answer to the prompt's questions (and is no
    question); to anything else, it goes on to the question handler."""
    message = update.effective_message
    replied = message.reply_to_message
    if replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    kept = state_of(context).kept
    questions = await asyncio.to_thread(kept.kept_value, message.chat_id, PROMPT, str(replied.message_id))
    if questions is None:
        return
    await _teach(update, context, questions, message.text.strip(), user_language(update))
    raise ApplicationHandlerStop


@pressed(TeachButton)
async def ask_for_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: TeachButton, language: str
) -> None:
    """✍️ under /unanswered: ask for the answer to a group of questions, with a ForceReply."""
    query = update.callback_query
    kept = state_of(context).kept
    groups = await asyncio.to_thread(kept.kept_value, query.message.chat_id, GROUPS, target.groups_id)
    if groups is None or target.group >= len(groups):
        await query.answer(text(language, "teach_expired"), show_alert=True)
        return
    await query.answer()
    questions = groups[target.group]
    prompt = await query.message.chat.send_message(
        text(language, "teach_prompt", questions=question_lines(questions)),
        parse_mode=ParseMode.HTML,
        reply_markup=ForceReply(selective=True, input_field_placeholder=text(language, "teach_placeholder")),
    )
    # Kept under the prompt's id, known once it is sent: a person's reply comes seconds later.
    await asyncio.to_thread(kept.keep_value, query.message.chat_id, PROMPT, questions, str(prompt.message_id))


async def taught(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/taught (admins): the taught answers, paged, each with 🗑."""
    language = user_language(update)
    page = await _taught_page(context, 0, language)
    await update.effective_message.reply_html(page[0], reply_markup=page[1])


@pressed(TaughtButton)
async def show_taught_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: TaughtButton, language: str
) -> None:
    await show_page(update, language, await _taught_page(context, target.page, language, exact=True))


@pressed(ForgetTaughtButton)
async def forget_taught(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: ForgetTaughtButton, language: str
) -> None:
    """🗑 in /taught: remove that taught answer, and show the page again without it."""
    query = update.callback_query
    state = state_of(context)
    removed = await asyncio.to_thread(state.taught.remove, target.taught_id)
    if removed:
        await relearn(context)
    await query.answer(text(language, "taught_removed" if removed else "stale_button"), show_alert=not removed)
    if removed:
        page = await _taught_page(context, target.page, language)
        await query.message.edit_text(page[0], parse_mode=ParseMode.HTML, reply_markup=page[1])


@pressed(ApproveWordingButton, RejectWordingButton)
async def decide_wording(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    target: ApproveWordingButton | RejectWordingButton,
    language: str,
) -> None:
    """✅ or ✖ beside a suggested wording in /taught; the page shown again without it."""
    query = update.callback_query
    taught = state_of(context).taught
    approve = isinstance(target, ApproveWordingButton)
    decided = await asyncio.to_thread(taught.approve if approve else taught.reject, target.suggestion_id)
    if decided and approve:
        await relearn(context)
    done = "suggestion_approved" if approve else "suggestion_rejected"
    await query.answer(text(language, done if decided else "stale_button"), show_alert=not decided)
    if decided:  # else the page may be as shown, and Telegram refuses an edit that changes nothing
        page = await _taught_page(context, target.page, language)
        await query.message.edit_text(page[0], parse_mode=ParseMode.HTML, reply_markup=page[1])


async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE, kept: KeptAnswer, answer_id: str) -> None:
    """The taught answer offered under the kept answer ``answer_id`` was tapped: its question's wording
    waits for the user's 👍 (``voted``) or a minute without another question (``settle_wordings``)."""
    match = kept.answer.taught
    if settings_of(context).learn_wordings == "off" or match is None or match.given:
        return
    state = state_of(context)
    user = state.history.user(update.effective_user.id)
    chat_id = update.effective_chat.id
    learn = (state.taught.tapped, match.answer.id, kept.question, user, chat_id, answer_id)
    # Learning is a side effect of the tap: the database out of reach must not fail it.
    await asyncio.to_thread(state.fallback, "keeping a tapped wording", None, *learn)


async def voted(context: ContextTypes.DEFAULT_TYPE, chat_id: int, answer_id: str, helpful: bool) -> None:
    """A 👍 or 👎 on a kept answer decides the wording tapped under it, if any."""
    mode = settings_of(context).learn_wordings
    if mode == "off":
        return
    state = state_of(context)
    decide = (state.taught.voted, chat_id, answer_id, helpful, mode == "auto")
    if await asyncio.to_thread(state.fallback, "deciding a tapped wording", False, *decide):
        await relearn(context)


async def settle_wordings(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A job: the wordings tapped a minute ago or more without a vote are kept when the user asked
    nothing more in that minute, else dropped."""
    state = state_of(context)
    auto = settings_of(context).learn_wordings == "auto"
    settle = (state.taught.settle, state.history.asked_between, auto)
    if await asyncio.to_thread(state.fallback, "deciding the tapped wordings", False, *settle):
        await relearn(context)


async def relearn(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Match questions against the taught answers as the database holds them now (this replica at once;
    the others within bot.state.taught.FOLLOW_SECONDS)."""
    state, knowledge = state_of(context), knowledge_of(context)
    await asyncio.to_thread(lambda: knowledge.taught.replace(state.taught.listing()))


async def _teach(
    update: Update, context: ContextTypes.DEFAULT_TYPE, questions: list[str], answer: str, language: str
) -> None:
    message = update.effective_message
    if escaped_length(answer) > TAUGHT_ANSWER_LIMIT:
        await message.reply_html(
            text(language, "teach_too_long", length=escaped_length(answer), limit=TAUGHT_ANSWER_LIMIT)
        )
        return
    collections = await readable(update, context)  # taught in a bound group: for its collections only
    await asyncio.to_thread(state_of(context).taught.teach, questions, answer, update.effective_user.id, collections)
    await relearn(context)
    await message.reply_html(text(language, "taught_done", questions=question_lines(questions)), do_quote=True)


async def _question_of(replied: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The question ``replied`` asked: its text when a user sent it, the question answered when it is
    one of the bot's answers; None when there is none."""
    if replied.from_user is not None and replied.from_user.id == context.bot.id:
        return await answered_question(replied, context)
    words = (replied.text or "").split()
    if words and words[0].startswith("/"):  # /ask question
        words = words[1:]
    mention = f"@{context.bot.username}".lower()
    return " ".join(word for word in words if word.lower() != mention) or None


async def _taught_page(context: ContextTypes.DEFAULT_TYPE, page: int, language: str, exact: bool = False):
    """Page ``page`` of /taught and its keyboard (the last page when there are fewer, unless ``exact``:
    then None)."""
    taught = state_of(context).taught
    listing, suggested = await asyncio.to_thread(lambda: (taught.listing(), taught.suggestions()))
    pages = taught_list(listing, language, suggested)
    if page >= len(pages):
        if exact:
            return None
        page = len(pages) - 1
    entries = pages[page].entries
    shown = [
        (label, suggestion.id)
        for n in entries
        for label, suggestion in shown_suggestions(n + 1, suggested.get(listing[n].id, []))
    ]
    keyboard = taught_list_keyboard(page, len(pages), [(n + 1, listing[n].id) for n in entries], shown)
    return pages[page].text, keyboard
