"""A press on any of the bot's buttons, sent to the handler of its kind (``bot.keyboards``).

A handler is declared for its kinds with ``@pressed(Kind, ...)``; ``handlers()`` makes one
``CallbackQueryHandler`` per kind, with the kind's pattern, and one for anything else (data of
an older bot, or forged). What a kind declares is checked here, once for all of them: an admin's
button pressed by anyone else is refused, and a button that names an index not the current one
is out of date.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.handlers.common import is_admin, knowledge_of, user_language
from bot.keyboards import KINDS, Button, LabelButton
from bot.texts import text

Pressed = Callable[[Update, ContextTypes.DEFAULT_TYPE, Button, str], Awaitable[None]]

_HANDLERS: dict[type[Button], Pressed] = {}


def pressed(*kinds: type[Button]) -> Callable[[Pressed], Pressed]:
    """Declares the decorated ``handler(update, context, button, language)`` as the one for ``kinds``."""

    def declare(handler: Pressed) -> Pressed:
        for kind in kinds:
            if kind in _HANDLERS:
                raise ValueError(f"{kind.__name__} already has a handler: {_HANDLERS[kind].__qualname__}")
            _HANDLERS[kind] = handler
        return handler

    return declare


def handlers() -> list[CallbackQueryHandler]:
    """One handler per kind of button, then one that tells of any other data that the button is out of date.

    Raises:
        ValueError: when a kind has no handler declared (its module not imported, or none written).
    """
    missing = [kind.__name__ for kind in KINDS.values() if kind not in _HANDLERS]
    if missing:
        raise ValueError(f"buttons without a handler: {', '.join(missing)}")
    made = [CallbackQueryHandler(_checked(kind, _HANDLERS[kind]), pattern=kind.pattern()) for kind in KINDS.values()]
    return [*made, CallbackQueryHandler(_out_of_date)]


def _checked(kind: type[Button], handler: Pressed):
    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        language = user_language(update)
        target = kind.parse(query.data or "")
        # No target: a press without data, which PTB gives to every handler whatever its pattern.
        # No message: the button is under an inline answer, whose chat the bot cannot know.
        if target is None or query.message is None:
            await query.answer(text(language, "stale_button"), show_alert=True)
        elif kind.ADMIN and not is_admin(update, context):
            await query.answer(text(language, "admins_only"), show_alert=True)
        elif kind.IN_INDEX and target.index_id != knowledge_of(context).index_id:
            await query.answer(text(language, "stale_button"), show_alert=True)
        else:
            await handler(update, context, target, language)

    press.__qualname__ = f"pressed {kind.__name__}: {handler.__qualname__}"
    return press


async def _out_of_date(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer(text(user_language(update), "stale_button"), show_alert=True)


@pressed(LabelButton)
async def label(update: Update, context: ContextTypes.DEFAULT_TYPE, target: LabelButton, language: str) -> None:
    """A label (a page number) pressed: nothing happens."""
    await update.callback_query.answer()
