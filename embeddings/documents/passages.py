"""Sections → passages: one paragraph each, split at sentences when longer than the model's input limit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from embeddings.documents.document import Document

# A sentence ends at . ! ? … (with closing quotes or brackets) before white space and a capital,
# digit or opening quote; CJK full stops end a sentence without any space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[A-Z0-9À-ÖØ-ÞĀ-ſА-ЯЁ])|[。！？]+")
# Words that end in a full stop without ending a sentence (English and Indonesian).
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st no vs etc e.g i.e hlm tn ny sdr bpk kol jl kab kec dll dsb dkk sbb yth a.n u.p".split()
)


@dataclass(frozen=True)
class Passage:
    """A paragraph (or one part of a long one), with where it comes from."""

    document: str
    section: str
    section_number: int  # 1-based, counting sections across all documents in order
    paragraph: int  # 1-based position of the paragraph inside its section
    part: int  # 1-based part of a paragraph that had to be split; 1 for most passages
    text: str
    page: int | None = None  # 1-based page its paragraph starts on, in formats with pages (PDF)
    scanned: bool = False  # read by OCR from an image of its page
    question: str = ""  # in a FAQ, the question this passage answers (its section's title)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``; together they cover it without gaps."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        preceding = text[start : match.start()].split()
        last_word = preceding[-1].lower().rstrip(".") if preceding else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def trimmed_sentence_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the sentences of ``text`` that hold more than white space, without their white space."""
    spans = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if sentence.strip():
            start += len(sentence) - len(sentence.lstrip())
            spans.append((start, start + len(sentence.strip())))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (those of ``trimmed_sentence_spans``)."""
    return [text[start:end] for start, end in trimmed_sentence_spans(text)]


def fit_to_limit(paragraph: str, count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Split a paragraph into parts of at most ``max_tokens`` tokens, at sentence boundaries.

    Sentences are packed greedily in order; a single sentence that is still too long is split
    between words. No text is dropped.
    """
    if count_tokens(paragraph) <= max_tokens:
        return [paragraph]
    pieces: list[str] = []
    for sentence in split_sentences(paragraph):
        if count_tokens(sentence) <= max_tokens:
            pieces.append(sentence)
        else:
            pieces.extend(_pack(sentence.split(), count_tokens, max_tokens))
    return _pack(pieces, count_tokens, max_tokens)


def _pack(pieces: list[str], count_tokens: Callable[[str], int], max_tokens: int) -> list[str]:
    """Join consecutive pieces with spaces into as few parts as fit in ``max_tokens`` each."""
    packed, current = [], ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        if current and count_tokens(candidate) > max_tokens:
            packed.append(current)
            current = piece
        else:
            current = candidate
    if current:
        packed.append(current)
    return packed


def make_passages(documents: Iterable[Document], count_tokens: Callable[[str], int], max_tokens: int) -> list[Passage]:
    """Every passage of ``documents``, in reading order."""
    passages = []
    section_number = 0
    for document in documents:
        for section in document.sections:
            section_number += 1
            for paragraph_number, paragraph in enumerate(section.paragraphs, start=1):
                page = section.page_of(paragraph_number - 1)
                for part, text in enumerate(fit_to_limit(paragraph, count_tokens, max_tokens), start=1):
                    passages.append(
                        Passage(
                            document.name,
                            section.title,
                            section_number,
                            paragraph_number,
                            part,
                            text,
                            page,
                            page in document.scanned_pages,
                            section.title if section.faq else "",
                        )
                    )
    return passages
