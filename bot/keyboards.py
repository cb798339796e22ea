"""Inline keyboards, and the callback data behind their buttons.

Callback data is short text that names the index version it refers to, so a button pressed
after a reindex (or forged) is recognised and refused instead of showing the wrong passage:

- ``a:<version>:<rank>:<id>.<id>…`` — answer ``rank`` (0-based) among the listed passage ids
- ``s:<version>:<section>:<page>`` — page ``page`` (0-based) of section number ``section``, shown
  in place of the message the button is under (``S:…``: sent as a new message)
- ``l:<version>:<page>`` — page ``page`` of the section list
- ``n`` — a label that does nothing when pressed (the page indicator)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import text

CALLBACK_LIMIT = 64  # bytes, Telegram's limit
LIST_PAGE_SIZE = 20
_ANSWER = re.compile(r"a:([0-9a-f]{6}):(\d{1,2}):(\d{1,9}(?:\.\d{1,9}){0,4})")
_SECTION = re.compile(r"([sS]):([0-9a-f]{6}):(\d{1,9}):(\d{1,4})")
_LIST = re.compile(r"l:([0-9a-f]{6}):(\d{1,6})")
NOTHING = "n"


@dataclass(frozen=True)
class AnswerButton:
    version: str
    rank: int
    passage_ids: tuple[int, ...]

    def data(self) -> str:
        return f"a:{self.version}:{self.rank}:{'.'.join(map(str, self.passage_ids))}"


@dataclass(frozen=True)
class SectionButton:
    version: str
    section: int
    page: int
    in_place: bool = True

    def data(self) -> str:
        return f"{'s' if self.in_place else 'S'}:{self.version}:{self.section}:{self.page}"


@dataclass(frozen=True)
class ListButton:
    version: str
    page: int

    def data(self) -> str:
        return f"l:{self.version}:{self.page}"


def parse_callback(data: str | None) -> AnswerButton | SectionButton | ListButton | None:
    """The button behind ``data``, or None when it is not data this bot makes."""
    if not data or len(data.encode()) > CALLBACK_LIMIT:
        return None
    if match := _ANSWER.fullmatch(data):
        ids = tuple(int(i) for i in match.group(3).split("."))
        rank = int(match.group(2))
        return AnswerButton(match.group(1), rank, ids) if rank < len(ids) else None
    if match := _SECTION.fullmatch(data):
        return SectionButton(match.group(2), int(match.group(3)), int(match.group(4)), match.group(1) == "s")
    if match := _LIST.fullmatch(data):
        return ListButton(match.group(1), int(match.group(2)))
    return None


def _button(label: str, target: AnswerButton | SectionButton | ListButton) -> InlineKeyboardButton:
    data = target.data()
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return InlineKeyboardButton(label, callback_data=data)


def answer_keyboard(
    version: str, passage_ids: tuple[int, ...], rank: int, section: int, language: str
) -> InlineKeyboardMarkup:
    """Previous / more answers, and open the answer's section."""
    navigation = []
    if rank > 0:
        navigation.append(_button(text(language, "previous"), AnswerButton(version, rank - 1, passage_ids)))
    if rank + 1 < len(passage_ids):
        navigation.append(_button(text(language, "more"), AnswerButton(version, rank + 1, passage_ids)))
    rows = [navigation] if navigation else []
    rows.append([_button(text(language, "open_section"), SectionButton(version, section, 0, in_place=False))])
    return InlineKeyboardMarkup(rows)


def section_keyboard(version: str, section: int, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """◀ ▶ between the pages of a long section."""
    if pages <= 1:
        return None
    row = []
    if page > 0:
        row.append(_button("◀", SectionButton(version, section, page - 1)))
    row.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=NOTHING))
    if page + 1 < pages:
        row.append(_button("▶", SectionButton(version, section, page + 1)))
    return InlineKeyboardMarkup([row])


def section_list_keyboard(version: str, numbers: list[int], page: int, pages: int) -> InlineKeyboardMarkup:
    """A button per listed section, five to a row, and ◀ ▶ between pages of the list."""
    buttons = [_button(str(number), SectionButton(version, number, 0, in_place=False)) for number in numbers]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    navigation = []
    if page > 0:
        navigation.append(_button("◀", ListButton(version, page - 1)))
    if page + 1 < pages:
        navigation.append(_button("▶", ListButton(version, page + 1)))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(rows)
