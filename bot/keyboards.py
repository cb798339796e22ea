"""Inline keyboards, and the callback data behind their buttons.

Callback data is short text. An answer's buttons name the answer, kept by the bot (see
``bot.state``), so paging through it never searches again. The others name the index
they refer to, so a button pressed after a reindex (or forged) is recognised and refused
instead of showing the wrong section:

- ``a:<answer>:<rank>`` — passage ``rank`` (0-based) of the kept answer ``answer``
- ``t:<answer>`` — the admins' taught answer of the kept answer ``answer``
- ``s:<index>:<section>:<page>`` — page ``page`` (0-based) of section number ``section``, shown
  in place of the message the button is under (``S:…``: sent as a new message)
- ``l:<index>:<page>`` — page ``page`` of the section list
- ``d:<index>:<page>`` — page ``page`` of the document list
- ``x:<index>:<document>:<1|0>`` — delete document number ``document`` (0-based, in the list) or not
- ``u:<upload>:<1|0>`` — replace the document of the same name with the kept upload ``upload``, or not
- ``v:<answer>:<1|0>`` — a 👍 (1) or 👎 (0) on the kept answer ``answer``
- ``q:<page>`` — page ``page`` of the unanswered questions
- ``T:<groups>:<n>`` — teach the answer to group ``n`` of the kept questions ``groups`` (an /unanswered page)
- ``P:<page>`` — page ``page`` of the taught answers
- ``F:<taught>:<page>`` — remove taught answer ``taught`` (its id), shown on page ``page``
- ``r`` — a non-member asks the admins for access
- ``m:<user>:<1|0>`` — allow (1) or deny (0) user ``user``'s request for access
- ``M:<page>`` — page ``page`` of the members
- ``n`` — a label that does nothing when pressed (the page indicator)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import text

CALLBACK_LIMIT = 64  # bytes, Telegram's limit
LIST_PAGE_SIZE = 20  # entries of a list page at most; fewer when more would not fit (bot.formatting.pages_by_length)
_ANSWER = re.compile(r"a:([0-9a-f]{8}):(\d{1,2})")
_SECTION = re.compile(r"([sS]):([0-9a-f]{6}):(\d{1,9}):(\d{1,4})")
_LIST = re.compile(r"l:([0-9a-f]{6}):(\d{1,6})")
_DOCUMENTS = re.compile(r"d:([0-9a-f]{6}):(\d{1,6})")
_REMOVE = re.compile(r"x:([0-9a-f]{6}):(\d{1,6}):([01])")
_UPLOAD = re.compile(r"u:([0-9a-f]{8}):([01])")
_VOTE = re.compile(r"v:([0-9a-f]{8}):([01])")
_UNANSWERED = re.compile(r"q:(\d{1,6})")
_ADMINS_ANSWER = re.compile(r"t:([0-9a-f]{8})")
_TEACH = re.compile(r"T:([0-9a-f]{8}):(\d{1,2})")
_TAUGHT = re.compile(r"P:(\d{1,6})")
_FORGET_TAUGHT = re.compile(r"F:(\d{1,12}):(\d{1,6})")
_DECIDE = re.compile(r"m:(\d{1,19}):([01])")
_MEMBERS = re.compile(r"M:(\d{1,6})")
NOTHING = "n"


@dataclass(frozen=True)
class AnswerButton:
    answer_id: str
    rank: int

    def data(self) -> str:
        return f"a:{self.answer_id}:{self.rank}"


@dataclass(frozen=True)
class AdminsAnswerButton:
    answer_id: str

    def data(self) -> str:
        return f"t:{self.answer_id}"


@dataclass(frozen=True)
class SectionButton:
    index_id: str
    section: int
    page: int
    in_place: bool = True

    def data(self) -> str:
        return f"{'s' if self.in_place else 'S'}:{self.index_id}:{self.section}:{self.page}"


@dataclass(frozen=True)
class ListButton:
    index_id: str
    page: int

    def data(self) -> str:
        return f"l:{self.index_id}:{self.page}"


@dataclass(frozen=True)
class DocumentsButton:
    index_id: str
    page: int

    def data(self) -> str:
        return f"d:{self.index_id}:{self.page}"


@dataclass(frozen=True)
class RemoveButton:
    index_id: str
    document: int
    confirm: bool

    def data(self) -> str:
        return f"x:{self.index_id}:{self.document}:{int(self.confirm)}"


@dataclass(frozen=True)
class UploadButton:
    upload_id: str
    replace: bool

    def data(self) -> str:
        return f"u:{self.upload_id}:{int(self.replace)}"


@dataclass(frozen=True)
class VoteButton:
    answer_id: str
    helpful: bool

    def data(self) -> str:
        return f"v:{self.answer_id}:{int(self.helpful)}"


@dataclass(frozen=True)
class UnansweredButton:
    page: int

    def data(self) -> str:
        return f"q:{self.page}"


@dataclass(frozen=True)
class TeachButton:
    groups_id: str
    group: int

    def data(self) -> str:
        return f"T:{self.groups_id}:{self.group}"


@dataclass(frozen=True)
class TaughtButton:
    page: int

    def data(self) -> str:
        return f"P:{self.page}"


@dataclass(frozen=True)
class ForgetTaughtButton:
    taught_id: int
    page: int

    def data(self) -> str:
        return f"F:{self.taught_id}:{self.page}"


@dataclass(frozen=True)
class RequestButton:
    def data(self) -> str:
        return "r"


@dataclass(frozen=True)
class DecideButton:
    user_id: int
    allow: bool

    def data(self) -> str:
        return f"m:{self.user_id}:{int(self.allow)}"


@dataclass(frozen=True)
class MembersButton:
    page: int

    def data(self) -> str:
        return f"M:{self.page}"


Button = (
    AnswerButton
    | AdminsAnswerButton
    | SectionButton
    | ListButton
    | DocumentsButton
    | RemoveButton
    | UploadButton
    | VoteButton
    | UnansweredButton
    | TeachButton
    | TaughtButton
    | ForgetTaughtButton
    | RequestButton
    | DecideButton
    | MembersButton
)


def parse_callback(data: str | None) -> Button | None:
    """The button behind ``data``, or None when it is not data this bot makes."""
    if not data or len(data.encode()) > CALLBACK_LIMIT:
        return None
    if match := _ANSWER.fullmatch(data):
        return AnswerButton(match.group(1), int(match.group(2)))
    if match := _ADMINS_ANSWER.fullmatch(data):
        return AdminsAnswerButton(match.group(1))
    if match := _SECTION.fullmatch(data):
        return SectionButton(match.group(2), int(match.group(3)), int(match.group(4)), match.group(1) == "s")
    if match := _LIST.fullmatch(data):
        return ListButton(match.group(1), int(match.group(2)))
    if match := _DOCUMENTS.fullmatch(data):
        return DocumentsButton(match.group(1), int(match.group(2)))
    if match := _REMOVE.fullmatch(data):
        return RemoveButton(match.group(1), int(match.group(2)), match.group(3) == "1")
    if match := _UPLOAD.fullmatch(data):
        return UploadButton(match.group(1), match.group(2) == "1")
    if match := _VOTE.fullmatch(data):
        return VoteButton(match.group(1), match.group(2) == "1")
    if match := _UNANSWERED.fullmatch(data):
        return UnansweredButton(int(match.group(1)))
    if match := _TEACH.fullmatch(data):
        return TeachButton(match.group(1), int(match.group(2)))
    if match := _TAUGHT.fullmatch(data):
        return TaughtButton(int(match.group(1)))
    if match := _FORGET_TAUGHT.fullmatch(data):
        return ForgetTaughtButton(int(match.group(1)), int(match.group(2)))
    if data == "r":
        return RequestButton()
    if match := _DECIDE.fullmatch(data):
        return DecideButton(int(match.group(1)), match.group(2) == "1")
    if match := _MEMBERS.fullmatch(data):
        return MembersButton(int(match.group(1)))
    return None


def _button(label: str, target: Button) -> InlineKeyboardButton:
    data = target.data()
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return InlineKeyboardButton(label, callback_data=data)


def answer_keyboard(
    answer_id: str, rank: int, total: int, index_id: str, section: int, language: str, taught: bool = False
) -> InlineKeyboardMarkup:
    """Previous / more answers (passage ``rank`` of ``total`` is shown), open the shown passage's section,
    the admins' answer when one was ``taught`` for the question, 👍 / 👎."""
    navigation = []
    if rank > 0:
        navigation.append(_button(text(language, "previous"), AnswerButton(answer_id, rank - 1)))
    if rank + 1 < total:
        navigation.append(_button(text(language, "more"), AnswerButton(answer_id, rank + 1)))
    rows = [navigation] if navigation else []
    rows.append([_button(text(language, "open_section"), SectionButton(index_id, section, 0, in_place=False))])
    if taught:
        rows.append([_button(text(language, "admins_answer"), AdminsAnswerButton(answer_id))])
    rows.append([_button("👍", VoteButton(answer_id, True)), _button("👎", VoteButton(answer_id, False))])
    return InlineKeyboardMarkup(rows)


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
    row.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=NOTHING))
    if page + 1 < pages:
        row.append(_button("▶", SectionButton(index_id, section, page + 1)))
    return InlineKeyboardMarkup([row])


def section_list_keyboard(index_id: str, numbers: list[int], page: int, pages: int) -> InlineKeyboardMarkup:
    """A button per listed section, five to a row, and ◀ ▶ between pages of the list."""
    targets = [SectionButton(index_id, number, 0, in_place=False) for number in numbers]
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


def taught_list_keyboard(page: int, pages: int, taught: list[tuple[int, int]]) -> InlineKeyboardMarkup | None:
    """🗑 per taught answer listed (``taught``: its number in the list, its id), ◀ ▶ between pages."""
    targets = [ForgetTaughtButton(taught_id, page) for _, taught_id in taught]
    rows = _page_rows(targets, [f"🗑 {number}" for number, _ in taught], page, pages, TaughtButton)
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
