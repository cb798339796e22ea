"""Reindexing (admins): /reindex, and the progress and outcome of a reindex in chat, for uploads and removals too."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.formatting import (
    reindex_failure,
    reindex_progress,
    reindex_report,
)
from bot.handlers.common import (
    knowledge_of,
    state_of,
    user_language,
)
from bot.reindexing import reserve
from bot.texts import text
from embeddings.knowledge import ReindexResult

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 5.0  # a reindex's progress message is edited at most this often (Telegram limits edits)


async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex (admins): rebuild from the documents folder while answering from the old index."""
    language = user_language(update)
    message = update.effective_message
    knowledge = knowledge_of(context)
    job = await asyncio.to_thread(reserve, state_of(context), knowledge.start_reindex)
    if job is None:
        await message.reply_html(text(language, "reindex_busy"))
        return
    result = await run_reindex(message, context, job, text(language, "reindex_started"), language)
    if result is not None:
        await message.reply_html(reindex_report(result, language))


async def run_reindex(
    message: Message, context: ContextTypes.DEFAULT_TYPE, job, started: str, language: str
) -> ReindexResult | None:
    """Run a reserved reindex job in a worker thread, saying ``started`` first; None (and why, to the
    admin) when it failed, the old index still in use."""
    running = asyncio.ensure_future(asyncio.to_thread(job))  # runs (and releases) even if a reply fails
    sent = await message.reply_html(started)
    shown = started
    while not (await asyncio.wait({running}, timeout=PROGRESS_SECONDS))[0]:
        status = knowledge_of(context).status
        progress = f"{started}\n{reindex_progress(status, language)}" if status else shown
        if progress != shown:
            try:
                await sent.edit_text(progress, parse_mode=ParseMode.HTML)
                shown = progress
            except TelegramError as error:  # a progress line is not worth failing the reindex for
                logger.info("could not show the reindex progress: %s", error)
    try:
        return running.result()
    except Exception as error:
        logger.exception("reindex failed")
        # Telegram users see the documents and index folders by their names, never the server's directories.
        reason = str(error)
        for folder in (knowledge_of(context).setup.docs_dir, knowledge_of(context).setup.index_dir):
            reason = reason.replace(str(folder), folder.name)
        await message.reply_html(reindex_failure(reason, language))
        return None
