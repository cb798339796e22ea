"""Sections: /sections (a paged list) and /section (a section's full text, paged)."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.formatting import (
    ListPage,
    escape,
    section_list,
    section_pages,
    shorten,
)
from bot.handlers.buttons import pressed
from bot.handlers.common import (
    knowledge_of,
    readable,
    show_page,
    user_language,
)
from bot.keyboards import (
    ListButton,
    NewSectionButton,
    SectionButton,
    section_keyboard,
    section_list_keyboard,
)
from bot.texts import text
from embeddings.search.index import SectionEntry

logger = logging.getLogger(__name__)


async def sections(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sections: every section, numbered, with a button to open each."""
    await _send_section_list(update, context, text_before="")


async def _send_section_list(update: Update, context: ContextTypes.DEFAULT_TYPE, text_before: str) -> None:
    language = user_language(update)
    knowledge = knowledge_of(context)
    entries = knowledge.sections(await readable(update, context))
    if not entries:
        await update.effective_message.reply_html(text_before + text(language, "no_documents"))
        return
    pages = section_list(entries, language, note=text_before)
    await update.effective_message.reply_html(
        pages[0].text, reply_markup=_section_list_keyboard(knowledge.index_id, entries, pages, 0)
    )


def _section_list_keyboard(
    index_id: str, entries: list[SectionEntry], pages: list[ListPage], page: int
) -> InlineKeyboardMarkup:
    """A button per section on page ``page`` of the section list, and ◀ ▶ to the pages around it."""
    numbers = [entries[number].number for number in pages[page].entries]
    return section_list_keyboard(index_id, numbers, page, len(pages))


async def section(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/section 3 or /section words of the title: that section's full text, paged."""
    language = user_language(update)
    argument = " ".join(context.args or [])
    knowledge = knowledge_of(context)
    if not argument:
        await _send_section_list(update, context, text_before=text(language, "section_usage"))
        return
    collections = await readable(update, context)
    if argument.isdigit():
        found = knowledge.section(int(argument), collections)
    else:
        found = knowledge.find_section(argument, collections)
    if found is None:
        if argument.isdigit():
            shown, count = escape(shorten(argument, 20)), len(knowledge.sections(collections))
            problem = text(language, "section_not_found_number", number=shown, count=count)
        else:
            problem = text(language, "section_not_found_words", words=escape(shorten(argument, 60)))
        await _send_section_list(update, context, problem)
        return
    await send_section_page(update.effective_message, context, found, 0, language, edit=False)


async def send_section_page(
    message: Message, context: ContextTypes.DEFAULT_TYPE, entry: SectionEntry, page: int, language: str, edit: bool
) -> None:
    pages = section_pages(entry, language)
    keyboard = section_keyboard(knowledge_of(context).index_id, entry.number, page, len(pages))
    if edit:
        try:
            await message.edit_text(pages[page], parse_mode=ParseMode.HTML, reply_markup=keyboard)
        except BadRequest as error:
            if "not modified" not in str(error).lower():  # the page already shown was pressed again
                raise
    else:
        await message.reply_html(pages[page], reply_markup=keyboard)


@pressed(SectionButton, NewSectionButton)
async def show_section_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: SectionButton, language: str
) -> None:
    query = update.callback_query
    entry = knowledge_of(context).section(target.section, await readable(update, context))  # a forged one: None
    pages = section_pages(entry, language) if entry else []
    if target.page >= len(pages):
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    await send_section_page(query.message, context, entry, target.page, language, edit=target.IN_PLACE)


@pressed(ListButton)
async def show_section_list_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: ListButton, language: str
) -> None:
    knowledge = knowledge_of(context)
    entries = knowledge.sections(await readable(update, context))
    pages = section_list(entries, language)
    page = (
        None
        if target.page >= len(pages)
        else (pages[target.page].text, _section_list_keyboard(knowledge.index_id, entries, pages, target.page))
    )
    await show_page(update, language, page)
