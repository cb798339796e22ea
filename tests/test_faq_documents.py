"""FAQ documents read as questions and answers, in every format a help desk writes them (issue 38):
one section per pair, titled with the question; the answer alone is the passage and its bold sentence."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from embeddings.documents.faq import questions_and_answers
from embeddings.documents.folder import read_documents
from embeddings.documents.formats import DocumentReader
from embeddings.documents.ocr import Ocr
from embeddings.documents.text import parse_document
from embeddings.knowledge import KnowledgeBase

PAIRS = [
    (
        "How do I reset my password?",
        "Open password.example.com and choose Forgot password; the link in the e-mail works for 30 minutes.",
    ),
    (
        "How do I connect to the VPN from home?",
        "Install the VPN client from the IT portal and sign in with your staff number and a code from the authenticator app.",
    ),
    ("Who do I call when the printer jams?", "Call the facilities desk on extension 221 between 08.00 and 16.00."),
]


def pairs_of(document) -> list[tuple[str, str]]:
    return [(section.title, " ".join(section.paragraphs)) for section in document.sections if section.faq]


def read(path: Path):
    with DocumentReader(ocr=Ocr()) as reader:
        return reader.read(path.name, path.read_bytes())


def test_markdown_headings_that_are_questions(tmp_path: Path):
    text = "# IT FAQ\n\nAnswers from the IT desk.\n\n" + "".join(f"## {q}\n\n{a}\n\n" for q, a in PAIRS)
    (tmp_path / "faq.md").write_text(text, encoding="utf-8")
    document = read(tmp_path / "faq.md")
    assert pairs_of(document) == PAIRS
    assert [s.title for s in document.sections if not s.faq] == ["IT FAQ"]  # the introduction keeps its section


def test_markdown_bold_and_numbered_questions(tmp_path: Path):
    bold = "# FAQ\n\n" + "".join(f"**{q}**\n\n{a}\n\n" for q, a in PAIRS)
    numbered = "# FAQ\n\n" + "".join(f"{n}. {q}\n\n{a}\n\n" for n, (q, a) in enumerate(PAIRS, start=1))
    for name, text in (("bold.md", bold), ("numbered.md", numbered)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert pairs_of(read(tmp_path / name)) == PAIRS, name


def test_plain_text_marked_and_unmarked(tmp_path: Path):
    marked = "IT help desk\n\n" + "".join(f"Q: {q}\nA: {a}\n\n" for q, a in PAIRS)
    indonesian = "Tanya jawab\n\n" + "".join(
        f"T: {q}\nJ: {a}\n\n"
        for q, a in [
            ("Berapa hari cuti tahunan?", "Dua belas hari kerja setiap tahun."),
            ("Kapan gaji dibayar?", "Setiap tanggal 25; bila hari libur, sehari sebelumnya."),
        ]
    )
    lines = "IT help desk\n\n" + "".join(f"{q}\n{a}\n\n" for q, a in PAIRS)  # no blank line between them
    for name, text in (("marked.txt", marked), ("lines.txt", lines)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert pairs_of(read(tmp_path / name)) == PAIRS, name
    (tmp_path / "tanya.txt").write_text(indonesian, encoding="utf-8")
    assert pairs_of(read(tmp_path / "tanya.txt")) == [
        ("Berapa hari cuti tahunan?", "Dua belas hari kerja setiap tahun."),
        ("Kapan gaji dibayar?", "Setiap tanggal 25; bila hari libur, sehari sebelumnya."),
    ]


def test_web_page_questions_in_headings_and_strong(tmp_path: Path):
    headings = "<html><body><h1>FAQ</h1>" + "".join(f"<h3>{q}</h3><p>{a}</p>" for q, a in PAIRS) + "</body></html>"
    strong = (
        "<html><body><h1>FAQ</h1>"
        + "".join(f"<p><strong>{q}</strong></p><p>{a}</p>" for q, a in PAIRS)
        + "</body></html>"
    )
    for name, text in (("headings.html", headings), ("strong.html", strong)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert pairs_of(read(tmp_path / name)) == PAIRS, name


def test_word_bold_questions(tmp_path: Path):
    document = docx.Document()
    document.add_heading("Patient FAQ", level=1)
    for question, answer in PAIRS:
        document.add_paragraph().add_run(question).bold = True
        document.add_paragraph(answer)
    document.save(tmp_path / "faq.docx")
    assert pairs_of(read(tmp_path / "faq.docx")) == PAIRS


def test_pdf_bold_questions(tmp_path: Path):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Frequently asked questions", new_x="LMARGIN", new_y="NEXT")
    for question, answer in PAIRS:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, question, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, answer, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    pdf.output(str(tmp_path / "faq.pdf"))
    assert pairs_of(read(tmp_path / "faq.pdf")) == PAIRS


def test_prose_with_one_question_is_not_a_faq():
    text = (
        "Kebijakan Cuti\n\nMengapa cuti penting? Karyawan yang beristirahat bekerja lebih baik.\n\n"
        "Setiap karyawan berhak atas dua belas hari cuti tahunan."
    )
    document = parse_document("cuti.txt", text)
    assert questions_and_answers(document) == document


@pytest.mark.slow
def test_a_faq_answers_a_paraphrase_and_bolds_the_answer(tmp_path: Path, encoder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "it-faq.txt").write_text("IT help desk\n\n" + "".join(f"{q}\n{a}\n\n" for q, a in PAIRS), encoding="utf-8")
    (docs / "cuti.md").write_text(
        "# Cuti\n\nSetiap karyawan berhak atas dua belas hari cuti tahunan.\n", encoding="utf-8"
    )
    knowledge = KnowledgeBase.in_memory(read_documents(docs, ocr=Ocr()), encoder)
    answer = knowledge.ask("I forgot my password, how can I set a new one?")
    first = answer.hits[0].passage
    assert first.question == "How do I reset my password?" and first.section == first.question
    assert first.text == PAIRS[0][1]  # the question line is not part of the passage, so never its bold sentence
    assert first.text[slice(*answer.sentence)].startswith("Open password.example.com")
    sections = [entry.title for entry in knowledge.sections()]
    assert [q for q, _ in PAIRS] == [title for title in sections if title.endswith("?")]
