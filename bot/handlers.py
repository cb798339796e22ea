"""One handler per command or kind of update: parse, call the core (in a worker thread), format, send."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.delivery import may_have_arrived
from bot.formatting import (
    document_list,
    escape,
    format_answer,
    pages_note,
    reindex_failure,
    reindex_progress,
    reindex_report,
    section_list,
    section_pages,
    shorten,
    stats_message,
    unanswered_list,
)
from bot.history import Asked, History, Vote, new_ref
from bot.keyboards import (
    LIST_PAGE_SIZE,
    NOTHING,
    AnswerButton,
    DocumentsButton,
    ListButton,
    RemoveButton,
    SectionButton,
    UnansweredButton,
    UploadButton,
    VoteButton,
    answer_keyboard,
    confirm_keyboard,
    document_list_keyboard,
    list_pages,
    parse_callback,
    section_keyboard,
    section_list_keyboard,
    unanswered_keyboard,
)
from bot.state import KeptAnswer, State
from bot.texts import language_of, text
from config import Settings
from embeddings.documents.folder import safe_document_name
from embeddings.knowledge import KnowledgeBase, ReindexBusy, ReindexResult
from embeddings.search.index import SectionEntry
from embeddings.search.retrieval import Answer

logger = logging.getLogger(__name__)

BOT_DOWNLOAD_LIMIT = 20 * 2**20  # Telegram lets bots download files up to 20 MB
PROGRESS_SECONDS = 5.0  # a reindex's progress message is edited at most this often (Telegram limits edits)


INLINE_CACHE_SECONDS = 60  # Telegram may serve the same inline query's results from its cache this long
INLINE_TITLE_LIMIT = 100
INLINE_DESCRIPTION_LIMIT = 200
HISTORY_WAIT_SECONDS = 1.0  # a read of the history first waits this long at most for what was queued before it
UNANSWERED_DAYS = 30  # /unanswered looks this far back (or as far as the history keeps, if less)


def _settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    return context.bot_data["settings"]


def _knowledge(context: ContextTypes.DEFAULT_TYPE) -> KnowledgeBase:
    return context.bot_data["knowledge"]


def _state(context: ContextTypes.DEFAULT_TYPE) -> State:
    return context.bot_data["state"]


def _history(context: ContextTypes.DEFAULT_TYPE) -> History:
    return _state(context).history


async def _from_history(context: ContextTypes.DEFAULT_TYPE, read, *args):
    """``read(*args)`` in a worker thread, once the history has written what was queued before (waited
    for briefly): whoever has seen an answer and asks /stats next finds it counted."""
    history = _history(context)

    def run():
        history.flush(HISTORY_WAIT_SECONDS)
        return read(*args)

    return await asyncio.to_thread(run)


def _language(update: Update) -> str:
    return language_of(update.effective_user.language_code if update.effective_user else None)


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and user.id in _settings(context).admin_ids


async def _refused_to_non_admin(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> bool:
    """For an admin command: tell a non-admin (with their user id, to become one) and return True."""
    if _is_admin(update, context):
        return False
    await update.effective_message.reply_html(text(language, "not_admin", user_id=update.effective_user.id))
    return True


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot knows and how to ask."""
    language = _language(update)
    manifest = _knowledge(context).manifest
    message = text(language, "start", documents=manifest.documents, sections=manifest.sections)
    if update.effective_chat.type != ChatType.PRIVATE:
        message += text(language, "group_hint")
    await update.effective_message.reply_html(message)


def _question_in_group(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The question of a group message addressed to the bot (mention or reply), else None."""
    username = f"@{context.bot.username}".lower()
    mentions = [
        entity
        for entity in message.entities
        if entity.type == MessageEntity.MENTION and message.parse_entity(entity).lower() == username
    ]
    replied = message.reply_to_message is not None and message.reply_to_message.from_user is not None
    if replied:
        replied = message.reply_to_message.from_user.id == context.bot.id
    if not mentions and not replied:
        return None
    # Entity offsets count UTF-16 code units; cut the mentions out from the end backwards.
    encoded = message.text.encode("utf-16-le")
    for entity in sorted(mentions, key=lambda e: e.offset, reverse=True):
        encoded = encoded[: entity.offset * 2] + encoded[(entity.offset + entity.length) * 2 :]
    return encoded.decode("utf-16-le")


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message: in private chats always a question; in groups only when addressed to the bot."""
    message = update.effective_message
    if update.effective_chat.type == ChatType.PRIVATE:
        await answer(update, context, message.text)
        return
    asked = _question_in_group(message, context)
    if asked is not None:
        await answer(update, context, asked)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask question — works in groups without mentioning the bot."""
    asked = " ".join(context.args or [])
    if not asked.strip():
        await update.effective_message.reply_html(text(_language(update), "ask_usage"))
        return
    await answer(update, context, asked)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, asked: str) -> None:
    """Reply with the best passage, its answering sentence in bold, and buttons for more."""
    language = _language(update)
    message = update.effective_message
    asked = " ".join(asked.split())
    if not any(character.isalnum() for character in asked):
        await message.reply_html(text(language, "empty_question"), do_quote=True)
        return
    if len(asked) < 2:
        await message.reply_html(text(language, "too_short"), do_quote=True)
        return
    user = update.effective_user
    state = _state(context)
    verdict = await asyncio.to_thread(state.admit, state.history.user(user.id if user else message.chat_id))
    if not verdict.admitted:
        if verdict.tell:  # once per refusal streak: a flood of questions must not become a flood of replies
            limit = state.per_minute
            await message.reply_html(
                text(language, "slow_down", limit=limit, seconds=math.ceil(verdict.wait)), do_quote=True
            )
        return
    knowledge = _knowledge(context)
    index_id = knowledge.index_id  # read before asking: a reindex may swap the index meanwhile
    found, ref = await _find(update, context, asked, update.effective_chat.type, language)
    if not found.hits:
        await message.reply_html(text(language, "no_documents"), do_quote=True)
        return
    answer_id = await asyncio.to_thread(state.keep_answer, message.chat_id, KeptAnswer(found, index_id, ref))
    section_number = found.hits[0].passage.section_number
    await message.reply_html(
        format_answer(found, 0, language=language),
        reply_markup=answer_keyboard(answer_id, 0, len(found.hits), index_id, section_number, language),
        do_quote=True,
    )


async def _find(
    update: Update, context: ContextTypes.DEFAULT_TYPE, asked: str, chat_type: str, language: str
) -> tuple[Answer, str]:
    """Ask the knowledge base (in a worker thread) and record the question in the history, under the
    id returned with the answer."""
    ref = new_ref()
    started = time.perf_counter()
    found = await asyncio.to_thread(_knowledge(context).ask, asked, _settings(context).answers)
    seconds = time.perf_counter() - started
    if found.hits:
        best = found.hits[0].passage
        history = _history(context)
        user = update.effective_user
        history.record(
            Asked(
                ref=ref, asked_at=time.time(), chat_type=str(chat_type),
                language=language, user=history.user(user.id if user else 0), question=asked,
                document=best.document, section=best.section_number, paragraph=best.paragraph,
                confidence=found.confidence, not_sure=not found.sure, seconds=seconds, vector=found.question_vector,
            )
        )
    return found, ref


async def sections(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sections: every section, numbered, with a button to open each."""
    await _send_section_list(update, context, text_before="")


async def _send_section_list(update: Update, context: ContextTypes.DEFAULT_TYPE, text_before: str) -> None:
    language = _language(update)
    knowledge = _knowledge(context)
    entries = knowledge.sections()
    if not entries:
        await update.effective_message.reply_html(text_before + text(language, "no_documents"))
        return
    body = section_list(entries, language, 0, LIST_PAGE_SIZE)
    numbers = [entry.number for entry in entries[:LIST_PAGE_SIZE]]
    await update.effective_message.reply_html(
        (text_before + "\n\n" if text_before else "") + body,
        reply_markup=section_list_keyboard(knowledge.index_id, numbers, 0, list_pages(len(entries))),
    )


async def section(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/section 3 or /section words of the title: that section's full text, paged."""
    language = _language(update)
    argument = " ".join(context.args or [])
    knowledge = _knowledge(context)
    if not argument:
        await _send_section_list(update, context, text_before=text(language, "section_usage"))
        return
    found = knowledge.section(int(argument)) if argument.isdigit() else knowledge.find_section(argument)
    if found is None:
        if argument.isdigit():
            shown, count = escape(shorten(argument, 20)), len(knowledge.sections())
            problem = text(language, "section_not_found_number", number=shown, count=count)
        else:
            problem = text(language, "section_not_found_words", words=escape(shorten(argument, 60)))
        await _send_section_list(update, context, problem)
        return
    await _send_section_page(update.effective_message, context, found, 0, language, edit=False)


async def _send_section_page(
    message: Message, context: ContextTypes.DEFAULT_TYPE, entry: SectionEntry, page: int, language: str, edit: bool
) -> None:
    pages = section_pages(entry, language)
    keyboard = section_keyboard(_knowledge(context).index_id, entry.number, page, len(pages))
    if edit:
        try:
            await message.edit_text(pages[page], parse_mode=ParseMode.HTML, reply_markup=keyboard)
        except BadRequest as error:
            if "not modified" not in str(error).lower():  # the page already shown was pressed again
                raise
    else:
        await message.reply_html(pages[page], reply_markup=keyboard)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press on one of the bot's buttons; stale or forged data gets an answer and does nothing."""
    query = update.callback_query
    language = _language(update)
    if query.data == NOTHING:
        await query.answer()
        return
    target = parse_callback(query.data)
    if target is None or query.message is None:
        await query.answer(text(language, "stale_button"), show_alert=True)
    elif isinstance(target, UploadButton | RemoveButton | UnansweredButton) and not _is_admin(update, context):
        await query.answer(text(language, "admins_only"), show_alert=True)
    elif isinstance(target, AnswerButton | VoteButton):  # a kept answer: it holds its passages, whatever the index now
        kept = await asyncio.to_thread(_state(context).kept_answer, query.message.chat_id, target.answer_id)
        if kept is None:
            await query.answer(text(language, "answer_expired"), show_alert=True)
        elif isinstance(target, VoteButton):
            await _vote(update, context, kept, target.answer_id, target.helpful, language)
        else:
            await _show_answer(update, context, kept, target, language)
    elif isinstance(target, UploadButton):  # a kept upload: it holds its file, whatever the index now
        await _answer_replace(update, context, target, language)
    elif isinstance(target, UnansweredButton):
        await _show_unanswered_page(update, context, target, language)
    elif target.index_id != _knowledge(context).index_id:
        await query.answer(text(language, "stale_button"), show_alert=True)
    elif isinstance(target, SectionButton):
        await _show_section_page(update, context, target, language)
    elif isinstance(target, DocumentsButton):
        await _show_document_list_page(update, context, target, language)
    elif isinstance(target, RemoveButton):
        await _answer_remove(update, context, target, language)
    else:
        await _show_section_list_page(update, context, target, language)


async def _show_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, kept: KeptAnswer, target: AnswerButton, language: str
) -> None:
    """Another passage of a kept answer, in place of the one shown."""
    query = update.callback_query
    found, index_id = kept.answer, kept.index_id
    if target.rank >= len(found.hits):
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    section_number = found.hits[target.rank].passage.section_number
    await query.message.edit_text(
        format_answer(found, target.rank, language=language),
        parse_mode=ParseMode.HTML,
        reply_markup=answer_keyboard(
            target.answer_id, target.rank, len(found.hits), index_id, section_number, language
        ),
    )


async def _vote(
    update: Update, context: ContextTypes.DEFAULT_TYPE, kept: KeptAnswer, answer_id: str, helpful: bool, language: str
) -> None:
    """👍 or 👎 on a kept answer: one vote per user, which they may change; acknowledged without a message."""
    query = update.callback_query
    state = _state(context)
    history = state.history
    user = history.user(query.from_user.id)
    vote = 1 if helpful else -1
    _, previous = await asyncio.to_thread(state.vote, query.message.chat_id, answer_id, user, vote)
    if vote != previous:
        document = kept.answer.hits[0].passage.document
        history.record(Vote(kept.ref, user, vote, previous, document, time.time()))
    if helpful:
        await query.answer(text(language, "vote_up"))
    else:  # the answer shown may not be the first: "More answers" is under it while there are more
        await query.answer(text(language, "vote_down" if len(kept.answer.hits) > 1 else "vote_down_last"))


async def _show_section_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: SectionButton, language: str
) -> None:
    query = update.callback_query
    entry = _knowledge(context).section(target.section)
    pages = section_pages(entry, language) if entry else []
    if target.page >= len(pages):
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    await _send_section_page(query.message, context, entry, target.page, language, edit=target.in_place)


async def _show_section_list_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: ListButton, language: str
) -> None:
    query = update.callback_query
    knowledge = _knowledge(context)
    entries = knowledge.sections()
    pages = list_pages(len(entries))
    if target.page >= pages:
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    start_at = target.page * LIST_PAGE_SIZE
    numbers = [entry.number for entry in entries[start_at : start_at + LIST_PAGE_SIZE]]
    await query.message.edit_text(
        section_list(entries, language, start_at, LIST_PAGE_SIZE),
        parse_mode=ParseMode.HTML,
        reply_markup=section_list_keyboard(knowledge.index_id, numbers, target.page, pages),
    )


async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex (admins): rebuild from the documents folder while answering from the old index."""
    language = _language(update)
    message = update.effective_message
    if await _refused_to_non_admin(update, context, language):
        return
    knowledge = _knowledge(context)
    job = await _reserve_reindex(context, knowledge.start_reindex)
    if job is None:
        await message.reply_html(text(language, "reindex_busy"))
        return
    result = await _run_reindex(message, context, job, text(language, "reindex_started"), language)
    if result is not None:
        await message.reply_html(reindex_report(result, language))


async def _reserve_reindex(context: ContextTypes.DEFAULT_TYPE, start, *args) -> Callable[[], ReindexResult] | None:
    """``start(*args)``'s reindex job, reserved across replicas (the database's lease) and in this
    process; None while another reindex holds either. The job gives the lease back when it ends."""
    lease = await asyncio.to_thread(_state(context).take_lease, "reindex")
    if lease is None:
        return None
    try:
        job = start(*args)
    except ReindexBusy:
        lease.release()
        return None

    def leased() -> ReindexResult:
        try:
            return job()
        finally:
            lease.release()

    return leased


async def _run_reindex(
    message: Message, context: ContextTypes.DEFAULT_TYPE, job, started: str, language: str
) -> ReindexResult | None:
    """Run a reserved reindex job in a worker thread, saying ``started`` first; None (and why, to the
    admin) when it failed, the old index still in use."""
    running = asyncio.ensure_future(asyncio.to_thread(job))  # runs (and releases) even if a reply fails
    sent = await message.reply_html(started)
    shown = started
    while not (await asyncio.wait({running}, timeout=PROGRESS_SECONDS))[0]:
        status = _knowledge(context).status
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
        for folder in (_knowledge(context).setup.docs_dir, _knowledge(context).setup.index_dir):
            reason = reason.replace(str(folder), folder.name)
        await message.reply_html(reindex_failure(reason, language))
        return None


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file sent in a private chat: from an admin, a document to add (asking before replacing one)."""
    language = _language(update)
    message = update.effective_message
    if not _is_admin(update, context):
        await message.reply_html(text(language, "only_admins_add"))
        return
    document = message.document
    try:
        name = safe_document_name(document.file_name or "")
    except ValueError as error:
        await message.reply_html(text(language, "upload_bad_name", reason=escape(shorten(str(error), 300))))
        return
    shown = escape(shorten(name, 200))
    limit = min(_settings(context).max_document_bytes, BOT_DOWNLOAD_LIMIT)
    if document.file_size and document.file_size > limit:
        size = document.file_size / 2**20
        await message.reply_html(text(language, "upload_too_large", name=shown, size=size, limit=limit / 2**20))
        return
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except TelegramError as error:
        logger.warning("downloading %s failed: %s", name, error)
        data = None
    if data is None or (document.file_size and len(data) != document.file_size):
        await message.reply_html(text(language, "upload_interrupted"))
        return
    knowledge = _knowledge(context)
    try:
        await asyncio.to_thread(knowledge.read_document, name, data)
    except ValueError as error:
        reason = escape(shorten(str(error), 600))
        await message.reply_html(text(language, "upload_unreadable", name=shown, reason=reason))
        return
    if knowledge.has_document(name):
        upload_id = await asyncio.to_thread(_state(context).keep_upload, message.chat_id, name, data)
        keyboard = confirm_keyboard(
            (text(language, "replace"), UploadButton(upload_id, True)),
            (text(language, "cancel"), UploadButton(upload_id, False)),
        )
        await message.reply_html(text(language, "upload_replace", name=shown), reply_markup=keyboard)
        return
    await _add_document(message, context, name, data, language)


async def _add_document(
    message: Message, context: ContextTypes.DEFAULT_TYPE, name: str, data: bytes, language: str
) -> None:
    """Save the document and reindex, through the one reindex path; then say what it added."""
    knowledge = _knowledge(context)
    shown = escape(shorten(name, 200))
    job = await _reserve_reindex(context, knowledge.start_adding, name, data)
    if job is None:
        await message.reply_html(text(language, "reindex_busy"))
        return
    if await _run_reindex(message, context, job, text(language, "upload_adding", name=shown), language) is None:
        return
    entry = next((entry for entry in knowledge.documents() if entry.name == name), None)
    if entry is None:  # read when sent, yet not indexed: the folder changed meanwhile
        await message.reply_html(text(language, "reindex_failed", reason=shown))
        return
    await message.reply_html(
        text(
            language,
            "upload_added",
            name=shown,
            sections=entry.sections,
            passages=entry.passages,
            pages=pages_note(entry.pages, language),
        )
    )


async def _answer_replace(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: UploadButton, language: str
) -> None:
    query = update.callback_query
    kept = await asyncio.to_thread(_state(context).take_upload, query.message.chat_id, target.upload_id)
    if kept is None:
        await query.answer(text(language, "upload_expired"), show_alert=True)
        return
    await query.answer()
    name, data = kept
    if not target.replace:
        cancelled = text(language, "upload_cancelled", name=escape(shorten(name, 200)))
        await query.message.edit_text(cancelled, parse_mode=ParseMode.HTML)
        return
    await query.message.edit_reply_markup(None)
    await _add_document(query.message, context, name, data, language)


async def documents(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/documents: the documents, with their sections, passages and pages, paged."""
    language = _language(update)
    knowledge = _knowledge(context)
    entries = knowledge.documents()
    if not entries:
        await update.effective_message.reply_html(text(language, "no_documents"))
        return
    await update.effective_message.reply_html(
        document_list(entries, language, 0, LIST_PAGE_SIZE),
        reply_markup=document_list_keyboard(knowledge.index_id, 0, list_pages(len(entries))),
    )


async def _show_document_list_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: DocumentsButton, language: str
) -> None:
    query = update.callback_query
    knowledge = _knowledge(context)
    entries = knowledge.documents()
    pages = list_pages(len(entries))
    if target.page >= pages:
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(
        document_list(entries, language, target.page * LIST_PAGE_SIZE, LIST_PAGE_SIZE),
        parse_mode=ParseMode.HTML,
        reply_markup=document_list_keyboard(knowledge.index_id, target.page, pages),
    )


async def remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove NAME (admins): asks to confirm, then deletes the document and reindexes."""
    language = _language(update)
    message = update.effective_message
    if await _refused_to_non_admin(update, context, language):
        return
    wanted = " ".join(context.args or [])
    if not wanted:
        await message.reply_html(text(language, "remove_usage"))
        return
    knowledge = _knowledge(context)
    entries = knowledge.documents()
    number = next((n for n, e in enumerate(entries) if e.name == wanted), None)
    if number is None:  # a name differing only in case, when one document has it
        alike = [n for n, e in enumerate(entries) if e.name.casefold() == wanted.casefold()]
        number = alike[0] if len(alike) == 1 else None
    if number is None:
        await message.reply_html(text(language, "remove_not_found", name=escape(shorten(wanted, 200))))
        return
    entry = entries[number]
    keyboard = confirm_keyboard(
        (text(language, "delete"), RemoveButton(knowledge.index_id, number, True)),
        (text(language, "cancel"), RemoveButton(knowledge.index_id, number, False)),
    )
    shown = escape(shorten(entry.name, 200))
    await message.reply_html(
        text(language, "remove_confirm", name=shown, sections=entry.sections, passages=entry.passages),
        reply_markup=keyboard,
    )


async def _answer_remove(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: RemoveButton, language: str
) -> None:
    query = update.callback_query
    knowledge = _knowledge(context)
    entries = knowledge.documents()
    if target.document >= len(entries):
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    name = entries[target.document].name
    shown = escape(shorten(name, 200))
    if not target.confirm:
        await query.message.edit_text(text(language, "remove_cancelled", name=shown), parse_mode=ParseMode.HTML)
        return
    job = await _reserve_reindex(context, knowledge.start_removing, name)
    if job is None:
        await query.message.reply_html(text(language, "reindex_busy"))
        return
    await query.message.edit_reply_markup(None)
    result = await _run_reindex(query.message, context, job, text(language, "removing", name=shown), language)
    if result is not None:
        after = result.after
        await query.message.reply_html(
            text(language, "removed", name=shown, documents=after.documents, passages=after.passages)
        )


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): the index, and how the bot is used (from the history, so it survives restarts)."""
    language = _language(update)
    if await _refused_to_non_admin(update, context, language):
        return
    manifest = _knowledge(context).manifest
    try:
        usage = await _from_history(context, _history(context).usage)
    except SQLAlchemyError as error:
        logger.error("could not read the history for /stats: %s", error)
        await update.effective_message.reply_html(stats_message(manifest, None, language, reason=str(error)))
        return
    await update.effective_message.reply_html(stats_message(manifest, usage, language))


async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered (admins): recent questions that got "not sure" or 👎, near-duplicates grouped, paged."""
    language = _language(update)
    if await _refused_to_non_admin(update, context, language):
        return
    page = await _unanswered_page(context, 0, language)
    if page is not None:
        await update.effective_message.reply_html(page[0], reply_markup=page[1])
    else:
        await update.effective_message.reply_html(text(language, "history_off"))


async def _show_unanswered_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: UnansweredButton, language: str
) -> None:
    query = update.callback_query
    page = await _unanswered_page(context, target.page, language)
    if page is None:
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(page[0], parse_mode=ParseMode.HTML, reply_markup=page[1])


async def _unanswered_page(context: ContextTypes.DEFAULT_TYPE, page: int, language: str):
    """Page ``page`` of /unanswered and its keyboard; None when the history keeps no questions or has no such page."""
    history = _history(context)
    if history.days == 0:
        return None
    days = min(UNANSWERED_DAYS, history.days)
    try:
        groups = await _from_history(context, history.unanswered, days)
    except SQLAlchemyError as error:
        logger.error("could not read the history for /unanswered: %s", error)
        return text(language, "history_unavailable", reason=escape(shorten(str(error), 200))), None
    pages = list_pages(len(groups))
    if page >= pages:
        return None
    listing = unanswered_list(groups, days, language, page * LIST_PAGE_SIZE, LIST_PAGE_SIZE)
    return listing, unanswered_keyboard(page, pages)


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: delete the user's own questions and votes from the history."""
    language = _language(update)
    history = _history(context)
    try:
        count = await _from_history(context, history.forget, history.user(update.effective_user.id))
    except SQLAlchemyError as error:
        logger.error("could not delete a user's history: %s", error)
        reason = escape(shorten(str(error), 200))
        await update.effective_message.reply_html(text(language, "history_unavailable", reason=reason))
        return
    key = "forget_done" if count else ("history_off" if history.days == 0 else "forget_nothing")
    await update.effective_message.reply_html(text(language, key, count=count))


async def inline_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``@bot question`` in any chat: the best passages as results to send; each sends its formatted answer."""
    query = update.inline_query
    language = _language(update)
    asked = " ".join(query.query.split())
    if len(asked) < 2 or not any(character.isalnum() for character in asked):
        hint = InlineQueryResultsButton(text(language, "inline_help"), start_parameter="help")
        await query.answer([], cache_time=INLINE_CACHE_SECONDS, button=hint)
        return
    state = _state(context)
    verdict = await asyncio.to_thread(state.admit, state.history.user(query.from_user.id))
    if not verdict.admitted:
        wait = text(language, "inline_slow", seconds=math.ceil(verdict.wait))
        slow = InlineQueryResultsButton(wait, start_parameter="help")
        await query.answer([], cache_time=0, is_personal=True, button=slow)
        return
    found, ref = await _find(update, context, asked, "inline", language)
    results = []
    for rank, hit in enumerate(found.hits):
        span = found.sentences[rank]
        sentence = hit.passage.text[span[0] : span[1]] if span else hit.passage.text
        prefix = text(language, "inline_not_sure") if rank == 0 and not found.sure else ""
        results.append(
            InlineQueryResultArticle(
                id=f"{ref}-{rank}",
                title=shorten(hit.passage.section or hit.passage.document, INLINE_TITLE_LIMIT),
                description=prefix + shorten(sentence, INLINE_DESCRIPTION_LIMIT),
                input_message_content=InputTextMessageContent(
                    format_answer(found, rank, language=language, position=False), parse_mode=ParseMode.HTML
                ),
            )
        )
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo or other non-text message in a private chat."""
    await update.effective_message.reply_html(text(_language(update), "text_only"))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html(text(_language(update), "unknown_command"))


async def error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and tell the user something went wrong; the bot keeps running."""
    if may_have_arrived(context.error):
        # The reply's response was lost, not necessarily the reply: an apology could follow an answer.
        logger.warning("a reply may not have reached Telegram (%s); not sending it twice", context.error)
        return
    logger.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_html(text(_language(update), "error"))
        except Exception:  # noqa: BLE001 - the report itself may fail when Telegram is unreachable
            logger.warning("could not tell the user about the error")
