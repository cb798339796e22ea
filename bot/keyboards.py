"""Inline keyboards, and the callback data behind their buttons.

Callback data is short text: a kind's prefix, then its fields, colon-separated. Each kind of
button is declared once below (its prefix, its fields, whether only admins may press it, whether
it names the index it was made for); its data, its parsing and its handler's pattern all come
from that declaration, and ``bot.handlers.buttons`` sends a press to the one handler of its kind.

An answer's buttons name the answer, kept by the bot (see ``bot.state``), so paging through it
never searches again. The buttons that name the index they refer to are refused after a reindex
(or when forged) instead of showing the wrong section.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, fields
from typing import Annotated, ClassVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import text

CALLBACK_LIMIT = 64  # bytes, Telegram's limit
LIST_PAGE_SIZE = 20  # entries of a list page at most; fewer when more would not fit (bot.formatting.pages_by_length)

# The kinds of field a button's data holds: each is its type and the pattern of its text.
AnswerId = Annotated[str, "[0-9a-f]{8}"]  # a kept answer, upload or /unanswered page
IndexId = Annotated[str, "[0-9a-f]{6}"]  # the index a button was made for
Page = Annotated[int, "[0-9]{1,6}"]  # a page (0-based) or an entry of a list
Rank = Annotated[int, "[0-9]{1,2}"]  # a passage of an answer, a group of an /unanswered page
Number = Annotated[int, "[0-9]{1,9}"]  # a section's number
Id = Annotated[int, "[0-9]{1,19}"]  # a user's or a taught answer's id
Flag = Annotated[bool, "[01]"]

KINDS: dict[str, type[Button]] = {}  # every kind of button, by its prefix


@dataclass(frozen=True)
class Button:
    """A kind of button; a subclass with a ``PREFIX`` is one kind, its dataclass fields its data."""

    PREFIX: ClassVar[str]
    ADMIN: ClassVar[bool] = False  # only admins may press it (others are told so)
    IN_INDEX: ClassVar[bool] = False  # it names the index it was made for: refused after a reindex
    PATTERN: ClassVar[re.Pattern[str]]
    _FIELDS: ClassVar[tuple[tuple[str, type], ...]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "PREFIX" not in cls.__dict__:  # a base of kinds, not a kind
            return
        if cls.PREFIX in KINDS or ":" in cls.PREFIX:
            raise ValueError(f"button prefix {cls.PREFIX!r} taken or invalid")
        KINDS[cls.PREFIX] = cls

    @classmethod
    def _declared(cls) -> tuple[tuple[str, type], ...]:
        """(name, type) of each field, and the kind's pattern, worked out once from the annotations."""
        if "_FIELDS" not in cls.__dict__:
            hints = typing.get_type_hints(cls, include_extras=True)
            declared = tuple((field.name, hints[field.name]) for field in fields(cls))
            patterns = "".join(f":({typing.get_args(hint)[1]})" for _, hint in declared)
            cls._FIELDS = tuple((name, typing.get_args(hint)[0]) for name, hint in declared)
            cls.PATTERN = re.compile(re.escape(cls.PREFIX) + patterns + r"\Z")
        return cls._FIELDS

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """The pattern of this kind's callback data (whole), for its ``CallbackQueryHandler``."""
        cls._declared()
        return cls.PATTERN

    @classmethod
    def parse(cls, data: str) -> Button | None:
        """The button of this kind behind ``data``, or None when ``data`` is not one."""
        declared = cls._declared()
        match = cls.PATTERN.match(data)
        if match is None:
            return None
        values = [
            value == "1" if kind is bool else kind(value)
            for (_, kind), value in zip(declared, match.groups(), strict=True)
        ]
        return cls(*values)

    def data(self) -> str:
        values = [getattr(self, name) for name, _ in self._declared()]
        return ":".join([self.PREFIX, *(str(int(value) if isinstance(value, bool) else value) for value in values)])


@dataclass(frozen=True)
class OfAnswer(Button):
    """A button of a kept answer (whatever the index now)."""

    answer_id: AnswerId


@dataclass(frozen=True)
class AnswerButton(OfAnswer):
    """Passage ``rank`` (0-based) of the kept answer."""

    PREFIX = "a"
    rank: Rank


@dataclass(frozen=True)
class AdminsAnswerButton(OfAnswer):
    """The admins' taught answer of the kept answer."""

    PREFIX = "t"


@dataclass(frozen=True)
class VoteButton(OfAnswer):
    """A 👍 (helpful) or 👎 on the kept answer."""

    PREFIX = "v"
    helpful: Flag


@dataclass(frozen=True)
class HandoffButton(OfAnswer):
    """🙋: hand the kept answer's question to the help-desk group."""

    PREFIX = "h"


@dataclass(frozen=True)
class TeachTicketButton(Button):
    """📌 in the help-desk group: teach the help desk's answer on ticket ``ticket_id``."""

    PREFIX = "k"
    ticket_id: Id


@dataclass(frozen=True)
class CloseTicketButton(Button):
    """✅ in the help-desk group: close ticket ``ticket_id``."""

    PREFIX = "c"
    ticket_id: Id


@dataclass(frozen=True)
class SectionButton(Button):
    """Page ``page`` (0-based) of section number ``section``, in place of the message the button is under."""

    PREFIX = "s"
    IN_INDEX = True
    IN_PLACE: ClassVar[bool] = True
    index_id: IndexId
    section: Number
    page: Page


@dataclass(frozen=True)
class NewSectionButton(SectionButton):
    """Page ``page`` of section number ``section``, sent as a new message."""

    PREFIX = "S"
    IN_PLACE = False


@dataclass(frozen=True)
class ListButton(Button):
    """Page ``page`` of the section list."""

    PREFIX = "l"
    IN_INDEX = True
    index_id: IndexId
    page: Page


@dataclass(frozen=True)
class DocumentsButton(Button):
    """Page ``page`` of the document list."""

    PREFIX = "d"
    IN_INDEX = True
    index_id: IndexId
    page: Page


@dataclass(frozen=True)
class RemoveButton(Button):
    """Delete document number ``document`` (0-based, in the list), or not."""

    PREFIX = "x"
    ADMIN = True
    IN_INDEX = True
    index_id: IndexId
    document: Page
    confirm: Flag


@dataclass(frozen=True)
class UploadButton(Button):
    """Replace the document of the same name with the kept upload, or not (whatever the index now)."""

    PREFIX = "u"
    ADMIN = True
    upload_id: AnswerId
    replace: Flag


@dataclass(frozen=True)
class UploadToButton(Button):
    """Put the kept upload into collection number ``collection`` (of the index's, by name) and add it."""

    PREFIX = "o"
    ADMIN = True
    IN_INDEX = True
    upload_id: AnswerId
    index_id: IndexId
    collection: Page


@dataclass(frozen=True)
class UnansweredButton(Button):
    """Page ``page`` of the unanswered questions."""

    PREFIX = "q"
    ADMIN = True
    page: Page


@dataclass(frozen=True)
class TeachButton(Button):
    """Teach the answer to group ``group`` of the kept questions ``groups_id`` (an /unanswered page)."""

    PREFIX = "T"
    ADMIN = True
    groups_id: AnswerId
    group: Rank


@dataclass(frozen=True)
class TaughtButton(Button):
    """Page ``page`` of the taught answers."""

    PREFIX = "P"
    ADMIN = True
    page: Page


@dataclass(frozen=True)
class ForgetTaughtButton(Button):
    """Remove taught answer ``taught_id``, shown on page ``page``."""

    PREFIX = "F"
    ADMIN = True
    taught_id: Id
    page: Page


@dataclass(frozen=True)
class ApproveWordingButton(Button):
    """✅ in /taught: suggested wording ``suggestion_id`` becomes a question of its answer (page ``page``)."""

    PREFIX = "w"
    ADMIN = True
    suggestion_id: Id
    page: Page


@dataclass(frozen=True)
class RejectWordingButton(Button):
    """✖ in /taught: drop suggested wording ``suggestion_id`` (page ``page``)."""

    PREFIX = "W"
    ADMIN = True
    suggestion_id: Id
    page: Page


@dataclass(frozen=True)
class RequestButton(Button):
    """A non-member asks the admins for access."""

    PREFIX = "r"


@dataclass(frozen=True)
class DecideButton(Button):
    """Allow or deny user ``user_id``'s request for access."""

    PREFIX = "m"
    ADMIN = True
    user_id: Id
    allow: Flag


@dataclass(frozen=True)
class MembersButton(Button):
    """Page ``page`` of the members."""

    PREFIX = "M"
    ADMIN = True
    page: Page


@dataclass(frozen=True)
class LabelButton(Button):
    """A label that does nothing when pressed (a page indicator)."""

    PREFIX = "n"


def parse_callback(data: str | None) -> Button | None:
    """The button behind ``data``, or None when it is not data this bot makes."""
    if not data or len(data.encode()) > CALLBACK_LIMIT:
        return None
    kind = KINDS.get(data.split(":", 1)[0])
    return kind.parse(data) if kind else None


def _button(label: str, target: Button) -> InlineKeyboardButton:
    data = target.data()
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return InlineKeyboardButton(label, callback_data=data)


def answer_keyboard(
    answer_id: str,
    rank: int,
    total: int,
    index_id: str,
    section: int,
    language: str,
    taught: bool = False,
    handoff: bool = False,
) -> InlineKeyboardMarkup:
    """Previous / more answers (passage ``rank`` of ``total`` is shown), open the shown passage's section,
    the admins' answer when one was ``taught`` for the question, 👍 / 👎, and 🙋 when a person may be asked
    (``handoff``)."""
    navigation = []
    if rank > 0:
        navigation.append(_button(text(language, "previous"), AnswerButton(answer_id, rank - 1)))
    if rank + 1 < total:
        navigation.append(_button(text(language, "more"), AnswerButton(answer_id, rank + 1)))
    rows = [navigation] if navigation else []
    rows.append([_button(text(language, "open_section"), NewSectionButton(index_id, section, 0))])
    if taught:
        rows.append([_button(text(language, "admins_answer"), AdminsAnswerButton(answer_id))])
    rows.append([_button("👍", VoteButton(answer_id, True)), _button("👎", VoteButton(answer_id, False))])
    if handoff:
        rows.append([_button(text(language, "ask_person"), HandoffButton(answer_id))])
    return InlineKeyboardMarkup(rows)


def with_handoff(markup: InlineKeyboardMarkup | None, answer_id: str, language: str) -> InlineKeyboardMarkup:
    """``markup`` with 🙋 below it (once)."""
    rows = [list(row) for row in markup.inline_keyboard] if markup else []
    button = _button(text(language, "ask_person"), HandoffButton(answer_id))
    if all(other.callback_data != button.callback_data for row in rows for other in row):
        rows.append([button])
    return InlineKeyboardMarkup(rows)


def ticket_keyboard(ticket_id: int, language: str, teach: bool = False) -> InlineKeyboardMarkup:
    """Under a ticket in the help-desk group: 📌 (once it has an answer: ``teach``) and ✅."""
    row = [_button(text(language, "teach_ticket"), TeachTicketButton(ticket_id))] if teach else []
    row.append(_button(text(language, "close_ticket"), CloseTicketButton(ticket_id)))
    return InlineKeyboardMarkup([row])


def taught_keyboard(answer_id: str, documents: bool, language: str) -> InlineKeyboardMarkup:
    """Under the admins' answer: the documents' answer (when they have one), 👍 / 👎."""
    rows = [[_button(text(language, "from_documents"), AnswerButton(answer_id, 0))]] if documents else []
    rows.append([_button("👍", VoteButton(answer_id, True)), _button("👎", VoteButton(answer_id, False))])
    return InlineKeyboardMarkup(rows)


def section_keyboard(index_id: str, section: int, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """◀ ▶ between the pages of a long section."""
    if pages <= 1:
        return None
    row = []
    if page > 0:
        row.append(_button("◀", SectionButton(index_id, section, page - 1)))
    row.append(_button(f"{page + 1}/{pages}", LabelButton()))
    if page + 1 < pages:
        row.append(_button("▶", SectionButton(index_id, section, page + 1)))
    return InlineKeyboardMarkup([row])


def section_list_keyboard(index_id: str, numbers: list[int], page: int, pages: int) -> InlineKeyboardMarkup:
    """A button per listed section, five to a row, and ◀ ▶ between pages of the list."""
    targets = [NewSectionButton(index_id, number, 0) for number in numbers]
    rows = _page_rows(targets, [str(n) for n in numbers], page, pages, lambda n: ListButton(index_id, n))
    return InlineKeyboardMarkup(rows)


def _page_rows(targets: list[Button], labels: list[str], page: int, pages: int, to_page) -> list[list]:
    """Rows: the ``targets``' buttons five to a row, then ◀ ▶ to the pages around ``page`` (``to_page(n)``)."""
    buttons = [_button(label, target) for label, target in zip(labels, targets, strict=True)]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    navigation = []
    if page > 0:
        navigation.append(_button("◀", to_page(page - 1)))
    if page + 1 < pages:
        navigation.append(_button("▶", to_page(page + 1)))
    if navigation:
        rows.append(navigation)
    return rows


def document_list_keyboard(index_id: str, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """◀ ▶ between pages of the document list."""
    rows = _page_rows([], [], page, pages, lambda number: DocumentsButton(index_id, number))
    return InlineKeyboardMarkup(rows) if rows else None


def unanswered_keyboard(
    page: int, pages: int, groups_id: str | None, numbers: range, language: str
) -> InlineKeyboardMarkup | None:
    """✍️ per question group listed (``numbers``, 1-based; kept under ``groups_id``), ◀ ▶ between pages."""
    targets = [TeachButton(groups_id, n) for n in range(len(numbers))] if groups_id else []
    labels = [text(language, "teach_button", number=number) for number in numbers] if groups_id else []
    rows = _page_rows(targets, labels, page, pages, UnansweredButton)
    return InlineKeyboardMarkup(rows) if rows else None


def taught_list_keyboard(
    page: int, pages: int, taught: list[tuple[int, int]], suggested: list[tuple[str, int]] = ()
) -> InlineKeyboardMarkup | None:
    """✅ / ✖ per suggested wording listed (``suggested``: its label, like "3a", and its id), 🗑 per taught
    answer listed (``taught``: its number in the list, its id), ◀ ▶ between pages."""
    decide = [
        [_button(f"✅ {label}", ApproveWordingButton(sid, page)), _button(f"✖ {label}", RejectWordingButton(sid, page))]
        for label, sid in suggested
    ]
    targets = [ForgetTaughtButton(taught_id, page) for _, taught_id in taught]
    rows = decide + _page_rows(targets, [f"🗑 {number}" for number, _ in taught], page, pages, TaughtButton)
    return InlineKeyboardMarkup(rows) if rows else None


def members_keyboard(page: int, pages: int) -> InlineKeyboardMarkup | None:
    """◀ ▶ between pages of the members."""
    rows = _page_rows([], [], page, pages, MembersButton)
    return InlineKeyboardMarkup(rows) if rows else None


def request_keyboard(language: str) -> InlineKeyboardMarkup:
    """A non-member's one button: ask the admins for access."""
    return InlineKeyboardMarkup([[_button(text(language, "request_access"), RequestButton())]])


def decide_keyboard(user_id: int, language: str) -> InlineKeyboardMarkup:
    """An admin's Allow / Deny under a request for access."""
    return confirm_keyboard(
        (text(language, "allow"), DecideButton(user_id, True)), (text(language, "deny"), DecideButton(user_id, False))
    )


def confirm_keyboard(yes: tuple[str, Button], no: tuple[str, Button]) -> InlineKeyboardMarkup:
    """Two buttons: do it, or not."""
    return InlineKeyboardMarkup([[_button(*yes), _button(*no)]])


def collection_keyboard(upload_id: str, index_id: str, collections: list[str]) -> InlineKeyboardMarkup:
    """A button per collection, two to a row, to choose where the kept upload goes."""
    buttons = [_button(f"📁 {name}", UploadToButton(upload_id, index_id, n)) for n, name in enumerate(collections)]
    return InlineKeyboardMarkup([buttons[n : n + 2] for n in range(0, len(buttons), 2)])
