"""FAQ documents: questions followed by their answers, read as one section per pair.

Help desks keep much of what they know as FAQs. Read as ordinary text, a FAQ's question line is a
sentence like any other, and the closest one to a user's question: the bot would bold the question
and not its answer. Every reader's document goes through ``questions_and_answers``, which finds the
pairs whatever the format wrote them as:
- a heading that is a question (``## How do I reset my password?``, ``<h3>…?</h3>``, a bold line a
  PDF's reader took for a heading), the paragraphs under it being the answer;
- a paragraph (or list line) that is a question, ending in "?" or marked ``Q:``, ``T:`` (Tanya),
  ``Pertanyaan:``, ``Question:``, numbered or bulleted, followed by its answer's paragraphs, which
  may be marked ``A:``, ``J:`` (Jawab), ``Jawaban:``, ``Answer:``;
- a question and its answer in one paragraph (a plain-text file without a blank line between them).
A pair becomes a section titled with the question (``faq``), whose paragraphs are the answer only.
A lone question in running text is left alone: unmarked questions count only where a document has
at least two of them followed by an answer.
"""

from __future__ import annotations

import re
from dataclasses import replace

from embeddings.documents.document import Document, Section

MAX_QUESTION_CHARS = 300
_QUESTION_MARK = re.compile(
    r"^\s*(?:Q|T|P|Tanya|Pertanyaan|Soalan|Question|Frage|Pregunta|问)\s*[:：.)]\s*", re.IGNORECASE
)
_ANSWER_MARK = re.compile(
    r"^\s*(?:A|J|Jawab|Jawaban|Answer|Antwort|Respuesta|Réponse|R|答)\s*[:：.)]\s*", re.IGNORECASE
)
_LIST_MARK = re.compile(r"^\s*(?:\d{1,3}\s*[.)]|[•\-*–])\s+")
_ENDS_IN_QUESTION = re.compile(r"[?？]\s*[\"'”’»)\]]*\s*$")
_FIRST_QUESTION = re.compile(rf"^(.{{3,{MAX_QUESTION_CHARS}}}?[?？])\s+(\S.*)$", re.DOTALL)


def _clean_question(text: str) -> str:
    text = _LIST_MARK.sub("", text, count=1)
    return _QUESTION_MARK.sub("", text, count=1).strip()


def _clean_answer(text: str) -> str:
    unlisted = _LIST_MARK.sub("", text, count=1)
    if _ANSWER_MARK.match(unlisted):
        return _ANSWER_MARK.sub("", unlisted, count=1).strip()
    return text.strip().removeprefix("• ")  # a list line of its own (Markdown's lists are read as "• item")


def is_question(line: str) -> bool:
    """Whether a heading, paragraph or list line is a FAQ's question: one short line ending in a
    question mark, or marked as a question (``Q:``, ``T:``…)."""
    line = line.strip()
    if not line or "\n" in line or len(line) > MAX_QUESTION_CHARS:
        return False
    unlisted = _LIST_MARK.sub("", line, count=1)
    if _QUESTION_MARK.match(unlisted):
        return True
    return bool(_ENDS_IN_QUESTION.search(unlisted)) and not _ANSWER_MARK.match(unlisted)


def _marked(line: str) -> bool:
    return bool(_QUESTION_MARK.match(_LIST_MARK.sub("", line.strip(), count=1)))


def _blocks(paragraphs: tuple[str, ...], pages: tuple[int, ...]) -> list[tuple[str, int | None]]:
    """Paragraphs with the page of each, a multi-line one (list items) cut into its lines when one of
    them is a question, and a question with its answer in one paragraph cut in two."""
    out: list[tuple[str, int | None]] = []
    for number, paragraph in enumerate(paragraphs):
        page = pages[number] if pages else None
        lines = [line for line in paragraph.split("\n") if line.strip()]
        if len(lines) > 1 and any(is_question(line) for line in lines):
            out.extend((line, page) for line in lines)
            continue
        split = _FIRST_QUESTION.match(paragraph.strip())
        if split and (_marked(split.group(1)) or _ANSWER_MARK.match(split.group(2)) or "\n" not in paragraph):
            out.append((split.group(1), page))
            out.append((split.group(2), page))
            continue
        out.append((paragraph, page))
    return out


def _pairs(section: Section) -> list[Section] | None:
    """The section cut into its text before the first question and one section per question and
    answer; None when it holds no question followed by an answer."""
    blocks = _blocks(section.paragraphs, section.pages)
    cut: list[tuple[str, list[tuple[str, int | None]], bool]] = [(section.title, [], False)]
    for text, page in blocks:
        if is_question(text):
            cut.append((_clean_question(text), [], True))
        else:
            cut[-1][1].append((_clean_answer(text), page))
    found = [part for part in cut if part[2] and part[1]]
    if not found:
        return None
    sections = []
    for title, paragraphs, faq in cut:
        if not paragraphs:
            continue
        texts = tuple(text for text, _ in paragraphs if text)
        pages = tuple(page for _, page in paragraphs if page is not None) if section.pages else ()
        if texts:
            sections.append(Section(title, texts, pages if len(pages) == len(texts) else (), faq=faq))
    return sections


def questions_and_answers(document: Document) -> Document:
    """``document`` with its questions and answers as sections of their own (see the module's text);
    unchanged when it holds none."""
    sections: list[Section] = []
    unmarked = 0
    for section in document.sections:
        if is_question(section.title) and section.title != document.title:
            title = _clean_question(section.title)
            paragraphs = tuple(_clean_answer(p) for p in section.paragraphs)
            inner = _pairs(replace(section, title=title))
            if inner and any(part.faq for part in inner[1:]):  # questions inside it too: those are pairs as well
                first = inner[0]
                sections.append(replace(first, faq=True) if first.title == title else first)
                sections.extend(inner[1:])
            else:
                sections.append(replace(section, title=title, paragraphs=paragraphs, faq=True))
            continue
        pairs = _pairs(section)
        if pairs is None:
            sections.append(section)
            continue
        unmarked += sum(1 for part in pairs if part.faq)
        sections.extend(pairs)
    if unmarked == 1 and not any(_marked(s.title) for s in sections if s.faq):
        # One question in running text is prose ("Why does it matter? Because…"), not a FAQ.
        if not any(is_question(s.title) for s in document.sections):
            return document
    if sections == list(document.sections):
        return document
    return replace(document, sections=tuple(sections))
