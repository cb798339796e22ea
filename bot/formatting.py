"""Telegram HTML for answers, sections and lists: everything escaped, every message ≤ 4096 characters."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone

from bot.keyboards import LIST_PAGE_SIZE
from bot.state.history import Unanswered, Usage
from bot.state.taught import Suggestion
from bot.texts import text
from embeddings.documents.passages import sentence_spans
from embeddings.indexing import IndexingStatus
from embeddings.knowledge import DocumentEntry, ReindexResult
from embeddings.search.index import Manifest, SectionEntry
from embeddings.search.retrieval import Answer
from embeddings.search.taught import TaughtAnswer

MESSAGE_LIMIT = 4096  # Telegram's limit; we count the HTML source, which is never shorter than the text
PAGE_LIMIT = 3500  # body of a section page, leaving room for its title and page line
TITLE_LIMIT = 200
QUESTION_LIMIT = 150  # characters of a question shown in /unanswered, /taught and under a taught answer
# HTML of an answer an admin teaches, at most: with its heading and question it fits one message.
TAUGHT_ANSWER_LIMIT = 3800
TAUGHT_SHOWN = 150  # characters of each taught answer in /taught
NAMES_LIMIT = 600  # HTML of the documents a reindex added, and of those it removed
NOTE_LIMIT = 500  # HTML a section list may carry above its first page (/section's "no section matches …")
DOCUMENTS_SHOWN = 10  # documents in /stats, most answered first
_WHITESPACE = re.compile(r"\s")


def escape(value: object) -> str:
    """Text made safe for Telegram HTML."""
    return html.escape(str(value), quote=True)


def escaped_length(value: str) -> int:
    return len(escape(value))


def shorten(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters with an ellipsis, for titles and echoed input."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def escape_within(value: str, limit: int) -> str:
    """``value`` as HTML of at most ``limit`` characters: white space collapsed, then escaped; text too
    long for that is cut before it is escaped (with an ellipsis), so no entity is ever cut."""
    value = " ".join(value.split())
    if escaped_length(value) <= limit:
        return escape(value)
    low, high = 0, len(value)
    while low < high:  # the longest prefix whose HTML leaves room for the ellipsis
        middle = (low + high + 1) // 2
        if escaped_length(value[:middle]) + 1 <= limit:
            low = middle
        else:
            high = middle - 1
    return escape(value[:low].rstrip()) + "…"


@dataclass(frozen=True)
class ListPage:
    """One message of a paged list: its HTML, and which entries of the list (their indices) it shows."""

    text: str
    entries: range


def pages_by_length(lines: list[str], room: int, first: list[str] | None = None) -> list[range]:
    """How a list is paged: consecutive ranges of indices into ``lines`` (its entries as HTML, each
    with the line break before it) that cover them in order; one empty range for no lines.

    Each page holds as many entries as fit: at most ``LIST_PAGE_SIZE``, and at most ``room``
    characters of HTML (``MESSAGE_LIMIT`` less what the message holds besides the entries).
    ``first[i]``, when given, is entry ``i`` as it reads at the top of a page (under a heading it
    otherwise shares with the entry before). The pages depend on nothing but the arguments, so a
    page button pressed later finds the same entries on the same page. A ValueError when an entry
    alone takes more than ``room``.
    """
    first = first or lines
    pages = []
    start = used = 0
    for number, line in enumerate(lines):
        size = len(line)
        if number > start and (number - start == LIST_PAGE_SIZE or used + size > room):
            pages.append(range(start, number))
            start, used = number, 0
        if number == start:
            size = len(first[number])
            if size > room:
                raise ValueError(f"entry {number} of the list takes {size} characters, over the {room} of a page")
        used += size
    return [*pages, range(start, len(lines))]


def paged_list(head: str, lines: list[str]) -> list[ListPage]:
    """A list as messages of at most ``MESSAGE_LIMIT`` characters: each page is ``head`` followed by
    the entries ``pages_by_length`` gives it (``lines``: the entries as HTML, each with the line break
    before it)."""
    return [
        ListPage(head + "".join(lines[page.start : page.stop]), page)
        for page in pages_by_length(lines, MESSAGE_LIMIT - len(head))
    ]


def split_text(value: str, limit: int, measure: Callable[[str], int] = escaped_length) -> list[str]:
    """Consecutive pieces of ``value``, each measuring at most ``limit``, that join back to ``value``.

    Cuts prefer a paragraph break, then a sentence end, then white space; a run with none of
    those is cut where it must be.
    """
    pieces = []
    rest = value
    while rest:
        if measure(rest) <= limit:
            pieces.append(rest)
            break
        low, high = 1, len(rest)
        while low < high:  # longest prefix within the limit
            middle = (low + high + 1) // 2
            if measure(rest[:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        cut = _preferred_cut(rest[:low]) or low
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces


def _preferred_cut(prefix: str) -> int | None:
    paragraph = prefix.rfind("\n\n")
    if paragraph > 0:
        return paragraph + 2
    spans = sentence_spans(prefix)
    if len(spans) > 1:
        return spans[-1][0]
    space = max((m.end() for m in _WHITESPACE.finditer(prefix)), default=0)
    return space or None


def highlight(passage: str, sentence: tuple[int, int] | None) -> str:
    """The passage as HTML with the answering sentence in bold."""
    if sentence is None:
        return escape(passage)
    start, end = sentence
    core = passage[start:end].rstrip()
    end = start + len(core)
    return f"{escape(passage[:start])}<b>{escape(core)}</b>{escape(passage[end:])}"


def fit_passage(passage: str, sentence: tuple[int, int] | None, budget: int) -> str:
    """The highlighted passage, or, if it can't fit in ``budget``, the piece of it that holds the sentence."""
    if escaped_length(passage) + 7 <= budget:
        return highlight(passage, sentence)
    offset = 0
    anchor = sentence[0] if sentence else 0
    for piece in split_text(passage, budget - 20):
        if offset <= anchor < offset + len(piece) or offset + len(piece) == len(passage):
            inner = None
            if sentence:
                start, end = max(sentence[0], offset) - offset, min(sentence[1], offset + len(piece)) - offset
                inner = (start, end) if start < end else None
            prefix = "… " if offset else ""
            suffix = " …" if offset + len(piece) < len(passage) else ""
            return prefix + highlight(piece.strip(), _shift(piece, inner)) + suffix
        offset += len(piece)
    raise AssertionError("unreachable: the pieces cover the passage")


def _shift(piece: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """Move a span of ``piece`` to the same characters of ``piece.strip()``."""
    if span is None:
        return None
    lead = len(piece) - len(piece.lstrip())
    stripped_length = len(piece.strip())
    start, end = max(span[0] - lead, 0), min(span[1] - lead, stripped_length)
    return (start, end) if start < end else None


def confidence_level(confidence: float) -> str:
    """``high``, ``medium`` or ``low``: the answer confidence (0-1) in words."""
    if confidence >= 0.7:
        return "high"
    if confidence >= 0.4:
        return "medium"
    return "low"


def format_answer(answer: Answer, rank: int = 0, *, language: str, position: bool = True) -> str:
    """Passage ``rank`` (0-based) of ``answer`` as a message: section title, passage with the
    answering sentence in bold, source, for the best passage how sure the answer is, and with
    ``position`` which of the answers it is ("Answer 2 of 5", for a message with buttons to page).

    Only the best passage is rated (or said to be a guess): the others are alternatives the user
    asked to see.
    """
    passage = answer.hits[rank].passage
    sentence = answer.sentences[rank]
    total = len(answer.hits)
    unsure = rank == 0 and not answer.sure
    head = f"{text(language, 'not_sure')}\n\n" if unsure else ""
    title = f"<b>{escape(shorten(passage.section, TITLE_LIMIT))}</b>\n"
    source = text(
        language,
        "source",
        document=escape(shorten(passage.document, TITLE_LIMIT)),
        section=passage.section_number,
        paragraph=passage.paragraph,
    )
    if passage.page is not None:
        source += text(language, "on_page", page=passage.page)
    if passage.scanned:
        source += text(language, "from_scan")
    if rank == 0 and answer.taught is not None and not answer.taught.given:
        offered = text(language, "taught_offered", question=escape(shorten(answer.taught.question, QUESTION_LIMIT)))
        head = f"{offered}\n\n{head}"
    notes = []
    if unsure:
        notes.append(text(language, "not_sure_hint"))
    elif rank == 0:
        level = confidence_level(answer.confidence)
        notes.append(text(language, "confidence", level=text(language, f"level_{level}")))
    if position and total > 1:
        notes.append(text(language, "answer_position", rank=rank + 1, total=total))
    tail = f"\n\n{source}" + ("\n" + " · ".join(notes) if notes else "")
    budget = MESSAGE_LIMIT - len(head) - len(title) - len(tail)
    return head + title + fit_passage(passage.text, sentence, budget) + tail


def format_taught(answer: Answer, language: str) -> str:
    """The admins' answer to the question of ``answer`` (its ``taught`` match), with its date and the
    taught question it was matched through."""
    match = answer.taught
    head = text(language, "taught_head", date=taught_date(match.answer))
    question = text(language, "taught_for", question=escape(shorten(match.question, QUESTION_LIMIT)))
    return f"{head}\n\n{escape_within(match.answer.text, TAUGHT_ANSWER_LIMIT)}\n\n{question}"


def taught_date(taught: TaughtAnswer) -> str:
    return date.fromtimestamp(taught.taught_at).isoformat()


COLLECTION_NAME_LIMIT = 64  # characters of a collection's name shown


def collection_names(names) -> str:
    """Collections as a message names them: each in bold, in alphabetical order."""
    return ", ".join(f"<b>{escape(shorten(name, COLLECTION_NAME_LIMIT))}</b>" for name in sorted(names))


SUGGESTIONS_SHOWN = 2  # suggested wordings listed under one taught answer at a time (the oldest)


def shown_suggestions(number: int, suggested: list[Suggestion]) -> list[tuple[str, Suggestion]]:
    """The suggested wordings listed under taught answer ``number`` of /taught, each with its label
    ("3a", "3b"), the one its ✅ / ✖ buttons carry."""
    return [(f"{number}{chr(ord('a') + n)}", suggestion) for n, suggestion in enumerate(suggested[:SUGGESTIONS_SHOWN])]


def taught_list(
    taught: list[TaughtAnswer], language: str, suggested: dict[int, list[Suggestion]] | None = None
) -> list[ListPage]:
    """/taught: every taught answer, its questions and its date, oldest first, with the wordings
    suggested for it (``shown_suggestions``), paged by length."""
    if not taught:
        return [ListPage(text(language, "taught_none"), range(0))]
    suggested = suggested or {}
    lines = []
    for number, entry in enumerate(taught, start=1):
        questions = " · ".join(
            f"<i>{escape(shorten(question, QUESTION_LIMIT))}</i>" for question in entry.questions[:3]
        )
        if len(entry.questions) > 3:
            questions += f" (+{len(entry.questions) - 3})"
        answer = escape(shorten(entry.text, TAUGHT_SHOWN))
        line = text(language, "taught_line", number=number, questions=questions, answer=answer, date=taught_date(entry))
        if entry.collections:  # given only in chats reading one of them
            line += " 📚 " + collection_names(entry.collections)
        waiting = suggested.get(entry.id, [])
        for label, suggestion in shown_suggestions(number, waiting):
            line += text(
                language, "suggested_line", label=label, question=escape(shorten(suggestion.question, QUESTION_LIMIT))
            )
        if len(waiting) > SUGGESTIONS_SHOWN:
            line += f" (+{len(waiting) - SUGGESTIONS_SHOWN})"
        lines.append(line)
    head = text(language, "taught_title", count=len(taught))
    if suggested:
        head += text(language, "suggested_title", count=sum(len(waiting) for waiting in suggested.values()))
    return paged_list(head, lines)


def question_lines(questions: list[str] | tuple[str, ...], shown: int = 5) -> str:
    """Questions as HTML lines (each with the line break before it), the first ``shown`` of them."""
    lines = "".join(f"\n• <i>{escape(shorten(question, QUESTION_LIMIT))}</i>" for question in questions[:shown])
    return lines + (f"\n• … (+{len(questions) - shown})" if len(questions) > shown else "")


def section_pages(section: SectionEntry, language: str) -> list[str]:
    """A section's full text as messages: its title, then pages of at most ``PAGE_LIMIT`` characters."""
    pieces = [piece.strip() for piece in split_text(section.text, PAGE_LIMIT)]
    pieces = [piece for piece in pieces if piece] or [""]
    title = f"<b>{section.number}. {escape_within(section.title, TITLE_LIMIT)}</b>"
    on_pages = sorted({passage.page for passage in section.passages if passage.page is not None})
    if on_pages:
        one = on_pages[0] == on_pages[-1]
        span = str(on_pages[0]) if one else f"{on_pages[0]}–{on_pages[-1]}"
        document = escape_within(section.document, TITLE_LIMIT)
        title += "\n" + text(language, "section_on_page" if one else "section_in_pages", document=document, pages=span)
    pages = []
    for number, piece in enumerate(pieces, start=1):
        page_line = ""
        if len(pieces) > 1:
            page_line = f"\n<i>{text(language, 'section_page', page=number, pages=len(pieces))}</i>"
        pages.append(f"{title}{page_line}\n\n{escape(piece)}")
    return pages


def section_list(sections: list[SectionEntry], language: str, note: str = "") -> list[ListPage]:
    """The numbered list of sections, grouped by document, paged by length; ``note`` (HTML, at most
    ``NOTE_LIMIT`` characters) is put above the first page. The pages are the same whatever the note."""
    if len(note) > NOTE_LIMIT:
        raise ValueError(f"a note of {len(note)} characters above the section list, over {NOTE_LIMIT}")
    head = text(language, "sections_title", count=len(sections))
    headings = [f"\n\n📄 <i>{escape(shorten(section.document, TITLE_LIMIT))}</i>" for section in sections]
    lines = [f"\n{section.number}. {escape(shorten(section.title, 120))}" for section in sections]
    first = [heading + line for heading, line in zip(headings, lines, strict=True)]
    lines = [
        first[number] if number == 0 or section.document != sections[number - 1].document else lines[number]
        for number, section in enumerate(sections)
    ]
    pages = []
    for page in pages_by_length(lines, MESSAGE_LIMIT - NOTE_LIMIT - len(head), first):
        entries = [first[page.start], *lines[page.start + 1 : page.stop]] if page else []
        pages.append(ListPage(head + "".join(entries), page))
    if note:
        pages[0] = ListPage(f"{note}\n\n{pages[0].text}", pages[0].entries)
    return pages


def reindex_report(result: ReindexResult, language: str) -> str:
    """What a reindex changed: counts before and after, documents added and removed, files skipped."""
    lines = [
        text(
            language,
            "reindex_done",
            seconds=result.seconds,
            documents_before=result.before.documents,
            documents_after=result.after.documents,
            sections_before=result.before.sections,
            sections_after=result.after.sections,
            passages_before=result.before.passages,
            passages_after=result.after.passages,
        )
    ]
    for key, names in (("reindex_added", result.added), ("reindex_removed", result.removed)):
        if names:
            lines.append(text(language, key, names=escape_within(", ".join(names), NAMES_LIMIT)))
    if result.problems:
        problems = "; ".join(problem.message for problem in result.problems)
        room = MESSAGE_LIMIT - len("\n".join([*lines, text(language, "reindex_skipped", problems="")]))
        lines.append(text(language, "reindex_skipped", problems=escape_within(problems, room)))
    return "\n".join(lines)


def reindex_failure(reason: str, language: str) -> str:
    """A failed reindex, and why."""
    return text(language, "reindex_failed", reason=escape(shorten(reason, 300)))


def age(created_at: str, now: datetime | None = None) -> str:
    """The time since ``created_at`` (ISO 8601), in its largest whole unit: ``3 d``, ``5 h``, ``12 min``, ``40 s``."""
    now = now or datetime.now(timezone.utc)
    seconds = max(0, int((now - datetime.fromisoformat(created_at)).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def stats_message(manifest: Manifest, usage: Usage | None, language: str, reason: str = "") -> str:
    """/stats: the index (documents, passages, model, age) and how the bot is used, from its history
    (``usage``; None when the history can't be read, for ``reason``)."""
    message = text(
        language,
        "stats",
        documents=manifest.documents,
        sections=manifest.sections,
        passages=manifest.passages,
        model=escape(manifest.model),
        created_at=escape(manifest.created_at),
        age=age(manifest.created_at),
    )
    if usage is None:
        return message + text(language, "usage_unavailable", reason=escape(shorten(reason, 200)))
    message += text(
        language,
        "usage",
        today=usage.today,
        week=usage.last_7_days,
        all_time=usage.all_time,
        not_sure=share(usage.not_sure, usage.all_time),
        helpful=share(usage.helpful, usage.helpful + usage.unhelpful),
        median="—" if usage.median_seconds is None else f"{usage.median_seconds * 1000:.0f} ms",
    )
    message += text(language, "usage_taught", taught=usage.taught)
    if usage.by_document:
        message += text(language, "usage_documents")
        for name, count in usage.by_document[:DOCUMENTS_SHOWN]:
            message += text(language, "usage_document", name=escape_within(name, TITLE_LIMIT), count=count)
    return message


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with both counts: "25% (1/4)"; "—" of nothing."""
    return f"{part / whole:.0%} ({part}/{whole})" if whole else "—"


def unanswered_list(groups: list[Unanswered], days: int, language: str) -> list[ListPage]:
    """/unanswered: the questions that got "not sure" or 👎, most asked first, paged by length, with how
    to teach their answers."""
    if not groups:
        return [ListPage(text(language, "unanswered_none", days=days), range(0))]
    lines = []
    for number, group in enumerate(groups, start=1):
        details = text(language, "unanswered_details", not_sure=group.not_sure, unhelpful=group.unhelpful)
        question = escape(shorten(group.question, QUESTION_LIMIT))
        lines.append(
            text(language, "unanswered_line", number=number, question=question, count=group.count, details=details)
        )
    head = text(language, "unanswered_title", days=days) + text(language, "unanswered_teach")
    return paged_list(head, lines)


def pages_note(pages: int | None, language: str) -> str:
    """ ", 12 pages" for a document with pages, else nothing."""
    return text(language, "in_pages", pages=pages) if pages else ""


def document_list(documents: list[DocumentEntry], language: str) -> list[ListPage]:
    """The numbered list of documents, with their sections, passages and pages, paged by length."""
    lines = [
        "\n"
        + text(
            language,
            "document_line",
            number=number,
            name=escape(shorten(entry.name, TITLE_LIMIT)),
            sections=entry.sections,
            passages=entry.passages,
            pages=pages_note(entry.pages, language),
        )
        for number, entry in enumerate(documents, start=1)
    ]
    return paged_list(text(language, "documents_title", count=len(documents)), lines)


def reindex_progress(status: IndexingStatus, language: str) -> str:
    """How far a reindex has got: documents read, texts embedded of the total, time left."""
    if status.documents is None and status.scanning is not None:
        name, done, total = status.scanning
        return text(language, "progress_scanning", name=escape(shorten(name, TITLE_LIMIT)), done=done, total=total)
    if status.documents is None or status.texts is None:
        return text(language, "progress_reading")
    seconds = status.seconds_left()
    left = ""
    if seconds is not None:
        left = (
            text(language, "progress_seconds")
            if seconds < 60
            else text(language, "progress_minutes", minutes=round(seconds / 60))
        )
    return text(
        language,
        "progress_embedding",
        documents=status.documents,
        embedded=status.embedded,
        texts=status.texts,
        left=left,
    )
