"""Collections (``embeddings.collections``): /collection binds a group to some (admins), /grant and
/ungrant set what a member reads in members-only mode; which one a chat may read is decided in
``bot.handlers.common.readable``."""

from __future__ import annotations

import asyncio
import re
from html import escape

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.formatting import COLLECTION_NAME_LIMIT, collection_names, shorten
from bot.handlers.common import knowledge_of, state_of, user_language
from bot.texts import text

ALL = "all"  # /collection all: the group reads every collection again
ID_DIGITS = 19  # a Telegram user id has at most this many digits


def parse_collections(words: list[str], known: list[str]) -> tuple[list[str], list[str]]:
    """The collections ``words`` name (separated by spaces or commas, any case), as ``known`` spells them,
    and the words that name none."""
    by_folded = {name.casefold(): name for name in known}
    wanted = [word for part in words for word in re.split(r"[,\s]+", part) if word]
    found = [by_folded[word.casefold()] for word in wanted if word.casefold() in by_folded]
    return list(dict.fromkeys(found)), [word for word in wanted if word.casefold() not in by_folded]


async def collection(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/collection NAME… (admins, in a group): the group reads only those collections from now on;
    /collection: which it reads; /collection all: every one again."""
    language, message, chat = user_language(update), update.effective_message, update.effective_chat
    known = knowledge_of(context).collections()
    if chat.type == ChatType.PRIVATE:
        await message.reply_html(text(language, "collection_private", collections=collection_names(known)))
        return
    bindings = state_of(context).bindings
    words = context.args or []
    if not words:
        bound = await asyncio.to_thread(bindings.bound, chat.id)
        key = "collection_shown_all" if bound is None else "collection_shown"
        await message.reply_html(text(language, key, collections=collection_names(known if bound is None else bound)))
        return
    if len(words) == 1 and words[0].casefold() == ALL:
        await asyncio.to_thread(bindings.unbind, chat.id)
        await message.reply_html(text(language, "collection_all"))
        return
    names, unknown = parse_collections(words, known)
    if unknown or not names:
        shown = ", ".join(escape(shorten(word, COLLECTION_NAME_LIMIT)) for word in unknown[:5])
        await message.reply_html(text(language, "collection_unknown", names=shown, collections=collection_names(known)))
        return
    await asyncio.to_thread(bindings.bind, chat.id, names, update.effective_user.id)
    await message.reply_html(text(language, "collection_bound", collections=collection_names(names)))


async def grant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/grant USER NAME… (admins): member USER reads these collections too (members-only mode)."""
    await _change_grant(update, context, add=True)


async def ungrant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ungrant USER NAME… (admins): member USER no longer reads these collections."""
    await _change_grant(update, context, add=False)


async def _change_grant(update: Update, context: ContextTypes.DEFAULT_TYPE, add: bool) -> None:
    language, message = user_language(update), update.effective_message
    words = context.args or []
    known = knowledge_of(context).collections()
    names, unknown = parse_collections(words[1:], known)
    if len(words) < 2 or not words[0].isdigit() or len(words[0]) > ID_DIGITS or unknown or not names:
        await message.reply_html(text(language, "grant_usage", collections=collection_names(known)))
        return
    member_id, members = int(words[0]), state_of(context).members

    def change() -> tuple[bool, frozenset[str] | None]:
        if not members.admits(member_id):
            return False, None
        before = members.collections_of(member_id)
        if before is None and add:  # reads every collection already
            return True, None
        reads = frozenset(known) if before is None else before  # "every one" is the collections there are now
        after = reads | set(names) if add else reads - set(names)
        return members.grant(member_id, after), after

    found, after = await asyncio.to_thread(change)
    if not found:
        await message.reply_html(text(language, "grant_no_member", id=member_id))
        return
    reads = collection_names(known if after is None else after) or "—"
    await message.reply_html(text(language, "grant_done", id=member_id, collections=reads))
