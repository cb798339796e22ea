"""Real documents for tests and benchmarks, written by the libraries people's files come from (fpdf2, python-docx)."""

from __future__ import annotations

from pathlib import Path

import docx
from fpdf import FPDF

HEADER = "Buku Pedoman Karyawan PT Contoh Sejahtera"

# (title, bookmarked, paragraphs): the PDF's sections in order, each on a new page.
PDF_SECTIONS = [
    (
        "Cuti Tahunan",
        True,
        [
            "Setiap karyawan tetap berhak atas dua belas hari cuti tahunan setelah bekerja selama dua belas bulan "
            "berturut-turut. Cuti yang tidak diambil dapat dibawa ke tahun berikutnya paling banyak enam hari.",
            "Permohonan cuti diajukan paling lambat tujuh hari kerja sebelumnya melalui atasan langsung.",
        ],
    ),
    (
        "Jam Kerja",
        True,
        [
            "Jam kerja kantor adalah pukul delapan pagi sampai pukul lima sore, Senin sampai Jumat, dengan istirahat "
            "satu jam pada pukul dua belas siang.",
        ],
    ),
    (
        "Perjalanan Dinas",
        False,
        [  # a heading without a bookmark: found by its larger, bold type
            "Biaya perjalanan dinas diganti setelah laporan perjalanan dan kuitansi diserahkan ke bagian keuangan "
            "paling lambat empat belas hari setelah kembali.",
        ],
    ),
]
# A word the PDF hyphenates at a line end, and its two halves.
HYPHENATED = ("kewajiban", "kewa-", "jiban")


class _Handbook(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, HEADER, align="C")
        self.ln(12)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Halaman {self.page_no()}", align="C")


def write_pdf(path: Path, sections: list = PDF_SECTIONS, repeat: int = 1) -> Path:
    """A handbook PDF: running header and footer, an outline for the bookmarked sections, a larger bold
    heading for each, a hyphenated word, and ``repeat`` copies of it (for long PDFs)."""
    pdf = _Handbook()
    pdf.set_auto_page_break(True, margin=20)
    for copy in range(repeat):
        for title, bookmarked, paragraphs in sections:
            pdf.add_page()
            heading = title if repeat == 1 else f"{title} {copy + 1}"
            if bookmarked:
                pdf.start_section(heading)
            pdf.set_font("Helvetica", "B", 16)
            pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            pdf.set_font("Helvetica", size=11)
            for paragraph in paragraphs:
                pdf.multi_cell(0, 6, paragraph)
                pdf.ln(4)
            if title == sections[0][0]:
                whole, first, second = HYPHENATED
                pdf.cell(0, 6, f"Karyawan memahami hak dan {first}", new_x="LMARGIN", new_y="NEXT")
                pdf.cell(0, 6, f"{second} yang tertulis dalam buku pedoman ini.", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def write_plain_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF of same-size text only: no outline, no headings; one text a page (empty: a page with no text)."""
    pdf = FPDF()
    for body in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if body:
            pdf.multi_cell(0, 6, body)
        else:
            pdf.rect(20, 20, 100, 100, style="F")  # a "scan": marks, no text
    pdf.output(str(path))
    return path


def write_docx(path: Path) -> Path:
    """A Word file with a title, headings, a bulleted list and a table."""
    document = docx.Document()
    document.add_heading("Kebijakan Tunjangan", 1)
    document.add_paragraph("Tunjangan transportasi dibayarkan bersama gaji setiap tanggal dua puluh lima.")
    document.add_paragraph("Syarat pengajuan tunjangan:")
    document.add_paragraph("Formulir pengajuan yang sudah diisi", style="List Bullet")
    document.add_paragraph("Persetujuan atasan langsung", style="List Bullet")
    document.add_heading("Besaran Tunjangan", 2)
    table = document.add_table(rows=3, cols=2)
    rows = [("Jabatan", "Tunjangan per bulan"), ("Staf", "Rp 750.000"), ("Manajer", "Rp 2.000.000")]
    for row, cells in enumerate(rows):
        for column, value in enumerate(cells):
            table.cell(row, column).text = value
    document.add_paragraph("Besaran tunjangan ditinjau ulang setiap awal tahun anggaran.")
    document.save(str(path))
    return path


HTML_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Tanya Jawab Kantor</title>
<style>body {{ font-family: sans-serif; }}</style><script>console.log("menu");</script></head>
<body>
<nav><a href="/">Beranda</a> | <a href="/kontak">Kontak</a> | <a href="/masuk">Masuk</a></nav>
<header><p>Portal Internal PT Contoh Sejahtera</p></header>
<main>
<h1>Parkir Kendaraan</h1>
<p>Karyawan dapat memarkir kendaraan di basement gedung B dengan menunjukkan kartu akses.</p>
<h2>Ruang Rapat</h2>
<p>Ruang rapat dipesan melalui kalender bersama paling lambat satu hari sebelumnya.</p>
<ul><li>Ruang Merapi untuk {people} orang</li><li>Ruang Bromo untuk enam orang</li></ul>
</main>
<footer><p>Hak cipta 2026 PT Contoh Sejahtera. Semua hak dilindungi.</p></footer>
</body></html>
"""


def write_html(path: Path, people: int = 12) -> Path:
    """A saved web page: navigation, header, scripts and footer around the main content."""
    path.write_text(HTML_PAGE.format(people=people), encoding="utf-8")
    return path


def write_pptx(path: Path, sections: list = PDF_SECTIONS) -> Path:
    """A presentation written by python-pptx: a slide per section (its title), its paragraphs as a bulleted
    text box, the last one as the speaker's notes; a table on the first slide."""
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    for number, (title, _, paragraphs) in enumerate(sections):
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])  # title and content
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = paragraphs[0]
        for paragraph in paragraphs[1:-1]:
            body.add_paragraph().text = paragraph
        if len(paragraphs) > 1:
            slide.notes_slide.notes_text_frame.text = paragraphs[-1]
        if number == 0:
            table = slide.shapes.add_table(2, 2, Inches(1), Inches(5), Inches(6), Inches(1)).table
            for row, cells in enumerate((("Masa kerja", "Hari cuti"), ("12 bulan", "12 hari"))):
                for column, value in enumerate(cells):
                    table.cell(row, column).text = value
    presentation.save(path)
    return path


def write_odt(path: Path, sections: list = PDF_SECTIONS) -> Path:
    """An OpenDocument text written by odfpy: a heading per section, its paragraphs, and a list."""
    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    for title, _, paragraphs in sections:
        document.text.addElement(H(outlinelevel=1, text=title))
        for paragraph in paragraphs:
            document.text.addElement(P(text=paragraph))
    items = List()
    for item in ("Kartu identitas karyawan", "Formulir cuti yang ditandatangani"):
        entry = ListItem()
        entry.addElement(P(text=item))
        items.addElement(entry)
    document.text.addElement(items)
    document.save(str(path))
    return path


def write_epub(path: Path, sections: list = PDF_SECTIONS) -> Path:
    """An e-book written by EbookLib (a test-only tool: tanya reads EPUB without it): a chapter per section."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("tanya-test-handbook")
    book.set_title(HEADER)
    book.set_language("id")
    chapters = []
    for number, (title, _, paragraphs) in enumerate(sections, start=1):
        chapter = epub.EpubHtml(title=title, file_name=f"bab-{number}.xhtml", lang="id")
        chapter.content = f"<h1>{title}</h1>" + "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.spine = ["nav", *chapters]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    epub.write_epub(str(path), book)
    return path


def page_images(pdf: Path, resolution: int = 300) -> list:
    """The pages of ``pdf`` as grey images, as a scanner at ``resolution`` dpi would give them (PDFium renders them)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf.read_bytes())
    try:
        return [
            document[number].render(scale=resolution / 72, grayscale=True).to_pil() for number in range(len(document))
        ]
    finally:
        document.close()


def write_scanned_pdf(path: Path, images: list, resolution: int = 300) -> Path:
    """A PDF of page images only, no text layer, as a scanner writes it (Pillow)."""
    images[0].save(path, save_all=True, append_images=images[1:], resolution=resolution)
    return path
