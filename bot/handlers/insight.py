"""What use teaches admins, and users' own history: /stats, /unanswered, /forget."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chart import CHART_DAYS, caption, usage_chart
from bot.formatting import (
    collection_names,
    escape,
    shorten,
    stats_message,
    unanswered_list,
)
from bot.handlers.buttons import pressed
from bot.handlers.common import (
    history_of,
    knowledge_of,
    read_history,
    readable,
    show_page,
    state_of,
    user_language,
)
from bot.handlers.helpdesk import handoff_line
from bot.handlers.teach import GROUPS, WORDINGS_KEPT
from bot.keyboards import (
    UnansweredButton,
    unanswered_keyboard,
)
from bot.state.history import Unanswered
from bot.texts import text
from embeddings.search.taught import TaughtIndex

logger = logging.getLogger(__name__)

UNANSWERED_DAYS = 30  # /unanswered looks this far back (or as far as the history keeps, if less)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): a chart of the last 30 days, then the index and how the bot is used (from the
    history, so it survives restarts)."""
    language = user_language(update)
    manifest = knowledge_of(context).manifest
    history = history_of(context)
    collections = await readable(update, context)  # in a bound group: its collections' figures
    try:
        usage = await read_history(context, history.usage, None, collections)
        days = await asyncio.to_thread(history.by_day, CHART_DAYS, None, collections)
        handoffs = await asyncio.to_thread(state_of(context).tickets.opened_by_day, [day.day for day in days])
    except SQLAlchemyError as error:
        logger.error("could not read the history for /stats: %s", error)
        await update.effective_message.reply_html(stats_message(manifest, None, language, reason=str(error)))
        return
    message = stats_message(manifest, usage, language) + await handoff_line(context, language)
    if collections is not None:
        message += text(language, "stats_collections", collections=collection_names(collections))
    if not any(day.questions for day in days):  # no chart of nothing: the numbers say so
        empty = "\n\n" + text(language, "chart_empty", days=CHART_DAYS)
        await update.effective_message.reply_html(message + empty)
        return
    chart = await asyncio.to_thread(usage_chart, days, language, handoffs)  # drawn off the event loop
    await update.effective_message.reply_photo(
        chart, caption=caption(days, language, handoffs), parse_mode=ParseMode.HTML
    )
    await update.effective_message.reply_html(message)


async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered (admins): recent questions that got "not sure" or 👎, near-duplicates grouped, paged."""
    language = user_language(update)
    page = await _unanswered_page(context, update, 0, language)
    if page is not None:
        await update.effective_message.reply_html(page[0], reply_markup=page[1])
    else:
        await update.effective_message.reply_html(text(language, "history_off"))


@pressed(UnansweredButton)
async def show_unanswered_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: UnansweredButton, language: str
) -> None:
    await show_page(update, language, await _unanswered_page(context, update, target.page, language))


async def _unanswered_page(context: ContextTypes.DEFAULT_TYPE, update: Update, page: int, language: str):
    """Page ``page`` of /unanswered and its keyboard (✍️ for each group listed: its wordings kept for the
    button); None when the history keeps no questions or has no such page. Questions that a taught
    answer now answers are left out, and in a bound group those its collections' documents did not
    answer."""
    history, chat_id = history_of(context), update.effective_chat.id
    if history.days == 0:
        return None
    days = min(UNANSWERED_DAYS, history.days)
    collections = await readable(update, context)
    try:
        groups = await read_history(context, history.unanswered, days, None, collections)
    except SQLAlchemyError as error:
        logger.error("could not read the history for /unanswered: %s", error)
        return text(language, "history_unavailable", reason=escape(shorten(str(error), 200))), None
    taught = knowledge_of(context).taught
    groups = [group for group in groups if not _taught(taught, group)]
    pages = unanswered_list(groups, days, language)
    if page >= len(pages):
        return None
    entries = pages[page].entries
    groups_id = None
    if entries:
        wordings = [list(groups[n].wordings[:WORDINGS_KEPT]) for n in entries]
        groups_id = await asyncio.to_thread(state_of(context).kept.keep_value, chat_id, GROUPS, wordings)
    numbers = range(entries.start + 1, entries.stop + 1)
    return pages[page].text, unanswered_keyboard(page, len(pages), groups_id, numbers, language)


def _taught(taught: TaughtIndex, group: Unanswered) -> bool:
    """Whether a taught answer is now given for the group's question."""
    match = taught.match(group.vector) if group.vector is not None else None
    return match is not None and match.given


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: delete the user's own questions and votes from the history."""
    language = user_language(update)
    history = history_of(context)
    try:
        user = history.user(update.effective_user.id)
        count = await read_history(context, history.forget, user)
        await asyncio.to_thread(state_of(context).taught.forget, user)  # the wordings they tapped, too
    except SQLAlchemyError as error:
        logger.error("could not delete a user's history: %s", error)
        reason = escape(shorten(str(error), 200))
        await update.effective_message.reply_html(text(language, "history_unavailable", reason=reason))
        return
    key = "forget_done" if count else ("history_off" if history.days == 0 else "forget_nothing")
    await update.effective_message.reply_html(text(language, key, count=count))
