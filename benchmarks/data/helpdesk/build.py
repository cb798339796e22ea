"""Writes the help-desk set's Word and PDF documents from their Markdown sources.

``python benchmarks/data/helpdesk/build.py ORG [ORG ...]`` reads ``ORG/source/NAME.docx.md`` and
``ORG/source/NAME.pdf.md`` and writes ``ORG/docs/NAME.docx`` (python-docx: real Heading styles,
bold runs, list paragraphs) and ``ORG/docs/NAME.pdf`` (fpdf2: a larger bold font for headings, as
office software prints them). The sources use a small Markdown subset: ``# Title``, ``## Heading``,
blank-line-separated paragraphs, ``- `` bullet lines, ``1. `` numbered lines, and ``**bold line**``
alone on a line. The files are written once and committed; this script says how they were made.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def blocks(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is title, heading, bold, bullet, numbered or paragraph."""
    out = []
    for raw in re.split(r"\n[ \t]*\n", text.strip()):
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            out.extend(("bullet", line[2:]) for line in lines)
        elif all(re.match(r"\d+\. ", line) for line in lines) and lines[0].startswith("1. ") and len(lines) > 1:
            out.extend(("numbered", re.sub(r"^\d+\. ", "", line)) for line in lines)
        elif len(lines) == 1 and lines[0].startswith("# "):
            out.append(("title", lines[0][2:]))
        elif len(lines) == 1 and lines[0].startswith("## "):
            out.append(("heading", lines[0][3:]))
        elif len(lines) == 1 and lines[0].startswith("### "):
            out.append(("heading", lines[0][4:]))
        elif len(lines) == 1 and lines[0].startswith("**") and lines[0].endswith("**"):
            out.append(("bold", lines[0][2:-2]))
        else:
            out.append(("paragraph", " ".join(lines)))
    return out


def write_docx(source: Path, target: Path) -> None:
    import docx

    document = docx.Document()
    for kind, text in blocks(source.read_text(encoding="utf-8")):
        if kind == "title":
            document.add_heading(text, level=0)
        elif kind == "heading":
            document.add_heading(text, level=1)
        elif kind == "bold":
            document.add_paragraph().add_run(text).bold = True
        elif kind == "bullet":
            document.add_paragraph(text, style="List Bullet")
        elif kind == "numbered":
            document.add_paragraph(text, style="List Number")
        else:
            document.add_paragraph(text)
    document.core_properties.title = source.name.removesuffix(".docx.md")
    document.save(target)


def write_pdf(source: Path, target: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(BOLD_FONT))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    number = 0
    for kind, text in blocks(source.read_text(encoding="utf-8")):
        if kind == "title":
            pdf.set_font("DejaVu", "B", 18)
            pdf.multi_cell(width, 9, text)
            pdf.ln(4)
        elif kind == "heading":
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 14)
            pdf.multi_cell(width, 7, text)
            pdf.ln(2)
        else:
            bold = kind == "bold"
            pdf.set_font("DejaVu", "B" if bold else "", 11)
            if kind == "bullet":
                text = f"• {text}"
            elif kind == "numbered":
                number += 1
                text = f"{number}. {text}"
            if kind != "numbered":
                number = 0
            pdf.multi_cell(width, 5.5, text)
            pdf.ln(1 if kind in ("bullet", "numbered", "bold") else 3)
    pdf.set_title(source.name.removesuffix(".pdf.md"))
    pdf.output(str(target))


def build(org: str) -> list[Path]:
    folder = HERE / org
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted((folder / "source").glob("*.md")):
        if source.name.endswith(".docx.md"):
            target = folder / "docs" / source.name.removesuffix(".md")
            write_docx(source, target)
        elif source.name.endswith(".pdf.md"):
            target = folder / "docs" / source.name.removesuffix(".md")
            write_pdf(source, target)
        else:
            continue
        written.append(target)
    return written


if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(p.name for p in HERE.iterdir() if (p / "source").is_dir()):
        for path in build(name):
            print(path.relative_to(HERE))
