"""Documents: /documents, files sent by admins (added, or replacing one after asking), /remove."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.formatting import (
    document_list,
    escape,
    pages_note,
    shorten,
)
from bot.handlers.admin import run_reindex
from bot.handlers.buttons import pressed
from bot.handlers.common import (
    knowledge_of,
    readable,
    settings_of,
    show_page,
    state_of,
    user_language,
)
from bot.keyboards import (
    DocumentsButton,
    RemoveButton,
    UploadButton,
    UploadToButton,
    collection_keyboard,
    confirm_keyboard,
    document_list_keyboard,
)
from bot.reindexing import reserve
from bot.texts import text
from embeddings.collections import GENERAL, folder_of
from embeddings.documents.folder import safe_document_name

logger = logging.getLogger(__name__)

BOT_DOWNLOAD_LIMIT = 20 * 2**20  # Telegram lets bots download files up to 20 MB


async def only_admins_add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file sent by anyone but an admin."""
    await update.effective_message.reply_html(text(user_language(update), "only_admins_add"))


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's file or photo in a private chat (into the collection they choose, when there are several),
    or in a group bound to collections (into its first): a document to add, asking before replacing one. A
    photo is read by OCR, named after its caption or else the time it was sent. In a group not bound, a file
    is only a file people share."""
    language = user_language(update)
    message = update.effective_message
    bound = None if update.effective_chat.type == ChatType.PRIVATE else await readable(update, context)
    if update.effective_chat.type != ChatType.PRIVATE and not bound:
        return
    document = message.document or message.photo[-1]  # a photo's largest size
    file_name = message.document.file_name if message.document else _photo_name(message)
    try:
        name = safe_document_name(file_name or "")
    except ValueError as error:
        await message.reply_html(text(language, "upload_bad_name", reason=escape(shorten(str(error), 300))))
        return
    shown = escape(shorten(name, 200))
    limit = min(settings_of(context).max_document_bytes, BOT_DOWNLOAD_LIMIT)
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
    knowledge = knowledge_of(context)
    try:
        await asyncio.to_thread(knowledge.read_document, name, data)
    except ValueError as error:
        reason = escape(shorten(str(error), 600))
        await message.reply_html(text(language, "upload_unreadable", name=shown, reason=reason))
        return
    if update.effective_chat.type != ChatType.PRIVATE:  # a bound group's: into its first collection's folder
        folder = folder_of(sorted(bound)[0])
        await _offer(message, context, f"{folder}/{name}" if folder else name, data, language)
        return
    collections = knowledge.collections()
    if any(collection != GENERAL for collection in collections):  # the admin chooses where it goes
        upload_id = await asyncio.to_thread(state_of(context).kept.keep_upload, message.chat_id, name, data)
        keyboard = collection_keyboard(upload_id, knowledge.index_id, collections)
        await message.reply_html(text(language, "upload_which_collection", name=shown), reply_markup=keyboard)
        return
    await _offer(message, context, name, data, language)


@pressed(UploadToButton)
async def upload_to(update: Update, context: ContextTypes.DEFAULT_TYPE, target: UploadToButton, language: str) -> None:
    """📁 under an upload: it goes into that collection's folder."""
    query, knowledge = update.callback_query, knowledge_of(context)
    collections = knowledge.collections()
    if target.collection >= len(collections):
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    kept = await asyncio.to_thread(state_of(context).kept.take_upload, query.message.chat_id, target.upload_id)
    if kept is None:
        await query.answer(text(language, "upload_expired"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_reply_markup(None)
    name, data = kept
    folder = folder_of(collections[target.collection])
    await _offer(query.message, context, f"{folder}/{name}" if folder else name, data, language)


async def _offer(message: Message, context: ContextTypes.DEFAULT_TYPE, name: str, data: bytes, language: str) -> None:
    """Add the document ``name``, asking first when one of that name is there."""
    knowledge, shown = knowledge_of(context), escape(shorten(name, 200))
    if knowledge.has_document(name):
        upload_id = await asyncio.to_thread(state_of(context).kept.keep_upload, message.chat_id, name, data)
        keyboard = confirm_keyboard(
            (text(language, "replace"), UploadButton(upload_id, True)),
            (text(language, "cancel"), UploadButton(upload_id, False)),
        )
        await message.reply_html(text(language, "upload_replace", name=shown), reply_markup=keyboard)
        return
    await _add_document(message, context, name, data, language)


def _photo_name(message: Message) -> str:
    """A photo's file name: its caption's first words, else ``photo-<when it was sent>``."""
    words = "-".join((message.caption or "").split()[:8])
    return f"{words or message.date.strftime('photo-%Y%m%d-%H%M%S')}.jpg"


async def _add_document(
    message: Message, context: ContextTypes.DEFAULT_TYPE, name: str, data: bytes, language: str
) -> None:
    """Save the document and reindex, through the one reindex path; then say what it added."""
    knowledge = knowledge_of(context)
    shown = escape(shorten(name, 200))
    job = await asyncio.to_thread(reserve, state_of(context), knowledge.start_adding, name, data)
    if job is None:
        await message.reply_html(text(language, "reindex_busy"))
        return
    if await run_reindex(message, context, job, text(language, "upload_adding", name=shown), language) is None:
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


@pressed(UploadButton)
async def answer_replace(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: UploadButton, language: str
) -> None:
    query = update.callback_query
    kept = await asyncio.to_thread(state_of(context).kept.take_upload, query.message.chat_id, target.upload_id)
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
    language = user_language(update)
    knowledge = knowledge_of(context)
    entries = knowledge.documents(await readable(update, context))
    if not entries:
        await update.effective_message.reply_html(text(language, "no_documents"))
        return
    pages = document_list(entries, language)
    await update.effective_message.reply_html(
        pages[0].text, reply_markup=document_list_keyboard(knowledge.index_id, 0, len(pages))
    )


@pressed(DocumentsButton)
async def show_document_list_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: DocumentsButton, language: str
) -> None:
    knowledge = knowledge_of(context)
    pages = document_list(knowledge.documents(await readable(update, context)), language)
    page = (
        None
        if target.page >= len(pages)
        else (pages[target.page].text, document_list_keyboard(knowledge.index_id, target.page, len(pages)))
    )
    await show_page(update, language, page)


async def remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove NAME (admins): asks to confirm, then deletes the document and reindexes."""
    language = user_language(update)
    message = update.effective_message
    wanted = " ".join(context.args or [])
    if not wanted:
        await message.reply_html(text(language, "remove_usage"))
        return
    knowledge = knowledge_of(context)
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


@pressed(RemoveButton)
async def answer_remove(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: RemoveButton, language: str
) -> None:
    query = update.callback_query
    knowledge = knowledge_of(context)
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
    job = await asyncio.to_thread(reserve, state_of(context), knowledge.start_removing, name)
    if job is None:
        await query.message.reply_html(text(language, "reindex_busy"))
        return
    await query.message.edit_reply_markup(None)
    result = await run_reindex(query.message, context, job, text(language, "removing", name=shown), language)
    if result is not None:
        after = result.after
        await query.message.reply_html(
            text(language, "removed", name=shown, documents=after.documents, passages=after.passages)
        )
