"""Questions: in private chats, in groups (mention, reply, /ask), inline; an answer's pages and votes."""

from __future__ import annotations

import asyncio
import logging
import math
import time

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.formatting import (
    format_answer,
    format_taught,
    shorten,
)
from bot.handlers import teach
from bot.handlers.buttons import pressed
from bot.handlers.common import (
    answered_question,
    history_of,
    kept_answer_of,
    knowledge_of,
    readable,
    settings_of,
    spoken_language,
    state_of,
    user_language,
)
from bot.handlers.helpdesk import guess_of, hand_over, offers_handoff
from bot.keyboards import (
    AdminsAnswerButton,
    AnswerButton,
    VoteButton,
    answer_keyboard,
    taught_keyboard,
    with_handoff,
)
from bot.metrics import QUESTIONS, REPLY_SECONDS, SEARCH_SECONDS
from bot.state.history import Asked, Vote, new_ref
from bot.state.kept import KeptAnswer, new_id
from bot.texts import text
from embeddings.collections import collection_of
from embeddings.search.retrieval import Answer

logger = logging.getLogger(__name__)

HELP_PARAMETER = "help"  # the start parameter of inline mode's buttons that open the bot
INLINE_CACHE_SECONDS = 60  # Telegram may serve the same inline query's results from its cache this long


INLINE_TITLE_LIMIT = 100


INLINE_DESCRIPTION_LIMIT = 200


def question_in_group(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
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
    asked = message.text if update.effective_chat.type == ChatType.PRIVATE else question_in_group(message, context)
    if asked is None:
        return
    replied = message.reply_to_message  # a reply to one of the bot's answers is asked with that answer's question
    earlier = await answered_question(replied, context) if replied is not None else None
    await answer(update, context, asked, earlier)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask question — works in groups without mentioning the bot."""
    asked = " ".join(context.args or [])
    if not asked.strip():
        await update.effective_message.reply_html(text(user_language(update), "ask_usage"))
        return
    await answer(update, context, asked)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, asked: str, earlier: str | None = None) -> None:
    """Reply with the best passage, its answering sentence in bold, and buttons for more; ``asked`` is a
    follow-up to ``earlier`` when it replies to the bot's answer to that (``KnowledgeBase.ask_followup``)."""
    received = time.perf_counter()
    language = user_language(update)
    message = update.effective_message
    asked = " ".join(asked.split())
    if not any(character.isalnum() for character in asked):
        await message.reply_html(text(language, "empty_question"), do_quote=True)
        return
    if len(asked) < 2:
        await message.reply_html(text(language, "too_short"), do_quote=True)
        return
    user = update.effective_user
    state = state_of(context)
    verdict = await asyncio.to_thread(state.windows.admit, state.history.user(user.id if user else message.chat_id))
    if not verdict.admitted:
        QUESTIONS.labels("rate_limited").inc()
        if verdict.tell:  # once per refusal streak: a flood of questions must not become a flood of replies
            limit = state.windows.per_minute
            await message.reply_html(
                text(language, "slow_down", limit=limit, seconds=math.ceil(verdict.wait)), do_quote=True
            )
        return
    knowledge = knowledge_of(context)
    index_id = knowledge.index_id  # read before asking: a reindex may swap the index meanwhile
    spoken = spoken_language(update, asked)
    found, ref = await _find(update, context, asked, update.effective_chat.type, spoken, earlier)
    given = found.taught_given
    if not found.hits and not given:
        await message.reply_html(text(language, "no_documents"), do_quote=True)
        return
    answer_id = new_id()
    # Kept before it is sent: its buttons may be pressed the moment it arrives.
    await asyncio.to_thread(state.kept.keep_answer, message.chat_id, KeptAnswer(found, index_id, ref, asked), answer_id)
    if given:
        await message.reply_html(
            format_taught(found, spoken),
            reply_markup=taught_keyboard(answer_id, bool(found.hits), language),
            do_quote=True,
        )
        REPLY_SECONDS.observe(time.perf_counter() - received)
        return
    section_number = found.hits[0].passage.section_number
    handoff = settings_of(context).handoff
    await message.reply_html(
        format_answer(found, 0, language=spoken),
        reply_markup=answer_keyboard(
            answer_id,
            0,
            len(found.hits),
            index_id,
            section_number,
            language,
            found.taught is not None,
            not found.sure and await offers_handoff(context),
        ),
        do_quote=True,
    )
    REPLY_SECONDS.observe(time.perf_counter() - received)
    if not found.sure and handoff == "auto" and await asyncio.to_thread(state.tickets.desk) is not None:
        told = await hand_over(update, context, asked, message.message_id, guess_of(found), language)
        await message.reply_html(told, do_quote=True)


async def _find(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    asked: str,
    chat_type: str,
    language: str,
    earlier: str | None = None,
) -> tuple[Answer, str]:
    """Ask the knowledge base (in a worker thread) and record the question in the history, under the
    id returned with the answer."""
    ref = new_ref()
    started = time.perf_counter()
    knowledge, k = knowledge_of(context), settings_of(context).answers
    collections = await readable(update, context)
    if earlier:
        found = await asyncio.to_thread(knowledge.ask_followup, earlier, asked, k, collections)
    else:
        found = await asyncio.to_thread(knowledge.ask, asked, k, collections)
    seconds = time.perf_counter() - started
    SEARCH_SECONDS.observe(seconds)
    given = found.taught_given
    QUESTIONS.labels("taught" if given else "answered" if found.hits and found.sure else "not_sure").inc()
    history = history_of(context)
    user = update.effective_user
    asked_by = history.user(user.id if user else 0)
    asked_now = {
        "ref": ref,
        "asked_at": time.time(),
        "chat_type": str(chat_type),
        "language": language,
        "user": asked_by,
        "question": asked,
        "seconds": seconds,
        "vector": found.question_vector,
    }
    if given:  # the admins' answer, whatever the documents hold
        history.record(
            Asked(
                **asked_now,
                document=None,
                section=None,
                paragraph=None,
                confidence=found.taught.similarity,
                not_sure=False,
                source="taught",
            )
        )
    elif found.hits:
        best = found.hits[0].passage
        history.record(
            Asked(
                **asked_now,
                document=best.document,
                section=best.section_number,
                paragraph=best.paragraph,
                confidence=found.confidence,
                not_sure=not found.sure,
            )
        )
    return found, ref


@pressed(AnswerButton)
async def show_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, target: AnswerButton, language: str) -> None:
    """Another passage of a kept answer, in place of the one shown."""
    query = update.callback_query
    if (kept := await kept_answer_of(update, context, target.answer_id, language)) is None:
        return
    found, index_id = kept.answer, kept.index_id
    handoff = not found.sure and await offers_handoff(context)
    collections = await readable(update, context)  # the chat may have been bound since
    if target.rank >= len(found.hits) or not _readable(found.hits[target.rank].passage.document, collections):
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    section_number = found.hits[target.rank].passage.section_number
    await query.message.edit_text(
        format_answer(found, target.rank, language=spoken_language(update, kept.question)),
        parse_mode=ParseMode.HTML,
        reply_markup=answer_keyboard(
            target.answer_id,
            target.rank,
            len(found.hits),
            index_id,
            section_number,
            language,
            found.taught is not None,
            handoff,
        ),
    )


@pressed(AdminsAnswerButton)
async def show_admins_answer(
    update: Update, context: ContextTypes.DEFAULT_TYPE, target: AdminsAnswerButton, language: str
) -> None:
    """The admins' taught answer of a kept answer, in place of the passage shown."""
    query = update.callback_query
    if (kept := await kept_answer_of(update, context, target.answer_id, language)) is None:
        return
    if kept.answer.taught is None:
        await query.answer(text(language, "stale_button"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(
        format_taught(kept.answer, spoken_language(update, kept.question)),
        parse_mode=ParseMode.HTML,
        reply_markup=taught_keyboard(target.answer_id, bool(kept.answer.hits), language),
    )
    await teach.tapped(update, context, kept, target.answer_id)


@pressed(VoteButton)
async def vote(update: Update, context: ContextTypes.DEFAULT_TYPE, target: VoteButton, language: str) -> None:
    """👍 or 👎 on a kept answer: one vote per user, which they may change; acknowledged without a message."""
    query = update.callback_query
    if (kept := await kept_answer_of(update, context, target.answer_id, language)) is None:
        return
    answer_id, helpful = target.answer_id, target.helpful
    state = state_of(context)
    history = state.history
    user = history.user(query.from_user.id)
    vote = 1 if helpful else -1
    _, previous = await asyncio.to_thread(state.kept.vote, query.message.chat_id, answer_id, user, vote)
    if vote != previous:
        await teach.voted(context, query.message.chat_id, answer_id, helpful)
        taught = kept.answer.taught_given
        document = "" if taught or not kept.answer.hits else kept.answer.hits[0].passage.document
        history.record(Vote(kept.ref, user, vote, previous, document, time.time()))
    if helpful:
        await query.answer(text(language, "vote_up"))
    else:  # the answer shown may not be the first: "More answers" is under it while there are more
        await query.answer(text(language, "vote_down" if len(kept.answer.hits) > 1 else "vote_down_last"))
        if await offers_handoff(context, after_vote=True):  # a person may answer what the documents did not
            markup = with_handoff(query.message.reply_markup, answer_id, language)
            if markup != query.message.reply_markup:
                await query.message.edit_reply_markup(reply_markup=markup)


async def inline_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``@bot question`` in any chat: the best passages as results to send; each sends its formatted answer."""
    query = update.inline_query
    language = user_language(update)
    asked = " ".join(query.query.split())
    if len(asked) < 2 or not any(character.isalnum() for character in asked):
        hint = InlineQueryResultsButton(text(language, "inline_help"), start_parameter=HELP_PARAMETER)
        await query.answer([], cache_time=INLINE_CACHE_SECONDS, button=hint)
        return
    state = state_of(context)
    verdict = await asyncio.to_thread(state.windows.admit, state.history.user(query.from_user.id))
    if not verdict.admitted:
        QUESTIONS.labels("rate_limited").inc()
        wait = text(language, "inline_slow", seconds=math.ceil(verdict.wait))
        slow = InlineQueryResultsButton(wait, start_parameter=HELP_PARAMETER)
        await query.answer([], cache_time=0, is_personal=True, button=slow)
        return
    spoken = spoken_language(update, asked)
    found, ref = await _find(update, context, asked, "inline", spoken)
    results = []
    if found.taught_given:
        results.append(
            InlineQueryResultArticle(
                id=f"{ref}-t",
                title=text(spoken, "admins_answer"),
                description=shorten(found.taught.answer.text, INLINE_DESCRIPTION_LIMIT),
                input_message_content=InputTextMessageContent(format_taught(found, spoken), parse_mode=ParseMode.HTML),
            )
        )
    for rank, hit in enumerate(found.hits):
        span = found.sentences[rank]
        sentence = hit.passage.text[span[0] : span[1]] if span else hit.passage.text
        prefix = text(spoken, "inline_not_sure") if rank == 0 and not found.sure else ""
        results.append(
            InlineQueryResultArticle(
                id=f"{ref}-{rank}",
                title=shorten(hit.passage.section or hit.passage.document, INLINE_TITLE_LIMIT),
                description=prefix + shorten(sentence, INLINE_DESCRIPTION_LIMIT),
                input_message_content=InputTextMessageContent(
                    format_answer(found, rank, language=spoken, position=False), parse_mode=ParseMode.HTML
                ),
            )
        )
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS)


def _readable(document: str, collections: frozenset[str] | None) -> bool:
    return collections is None or collection_of(document) in collections
