"""Knowing what the documents don't answer (issue 38): on two small organisations' documents, the
reader's "not sure" for questions a related passage does not answer, for topics the documents
never mention and for off-topic ones, while the questions they do answer get the right passage,
sure; and the threshold ``tanya eval --negatives`` suggests."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from embeddings.documents.folder import read_documents
from embeddings.documents.ocr import Ocr
from embeddings.evaluation import suggest_threshold
from embeddings.knowledge import KnowledgeBase
from embeddings.models.reader import load_reader

COMPANY = {
    "cuti.md": """# Kebijakan Cuti PT Maju Bersama

## Cuti tahunan

Setiap karyawan tetap berhak atas 12 hari kerja cuti tahunan setelah bekerja selama 12 bulan.
Sisa cuti tahunan yang tidak diambil dapat dibawa ke tahun berikutnya paling banyak 6 hari dan
hangus pada 31 Maret.

## Cuti melahirkan

Karyawan perempuan berhak atas cuti melahirkan selama 3 bulan dengan gaji penuh. Permohonan
diajukan kepada HRD paling lambat 30 hari sebelum perkiraan tanggal melahirkan.

## Cuti sakit

Karyawan yang sakit lebih dari 2 hari wajib menyerahkan surat keterangan dokter kepada atasan.
""",
    "it-faq.txt": """IT help desk FAQ

How do I reset my password?
Go to reset.majubersama.co.id and enter your staff number; the reset link is valid for 30 minutes.

How do I connect to the VPN from home?
Install GlobalProtect from the IT portal and sign in with your e-mail address and the code from the authenticator app.

Who repairs a broken laptop?
Bring it to the IT room on the 2nd floor; a spare laptop is lent when the repair takes more than 2 days.
""",
    "jam-kerja.html": """<html><head><title>Jam kerja</title></head><body>
<h1>Jam kerja kantor</h1>
<p>Jam kerja kantor adalah Senin sampai Jumat pukul 08.00 sampai 17.00, dengan istirahat makan siang pukul 12.00 sampai 13.00.</p>
<h2>Jam kerja selama Ramadan</h2>
<p>Selama bulan Ramadan karyawan bekerja pukul 08.00 sampai 15.00 tanpa istirahat makan siang.</p>
</body></html>
""",
}

SCHOOL = {
    "tata-tertib.md": """# Tata Tertib SMA Harapan

## Seragam

Siswa memakai seragam putih abu-abu pada hari Senin dan Selasa, batik pada hari Rabu dan Kamis,
dan pakaian pramuka pada hari Jumat.

## Keterlambatan

Gerbang sekolah ditutup pukul 07.00. Siswa yang terlambat tiga kali dalam sebulan dipanggil
bersama orang tuanya oleh guru BK.
""",
}

# (question, kind, file of the passage that answers it, or None)
QUESTIONS = [
    ("Berapa lama cuti melahirkan?", "answerable", "cuti.md"),
    ("Can I carry over unused annual leave to next year?", "answerable", "cuti.md"),
    ("I forgot my password, how do I get a new one?", "answerable", "it-faq.txt"),
    ("jam brp pulang kantor waktu puasa?", "answerable", "jam-kerja.html"),
    ("Berapa hari cuti untuk suami yang istrinya melahirkan?", "near", None),
    ("Apakah kantor menyediakan makan siang gratis?", "near", None),
    ("Is there a gym for employees in the office?", "domain", None),
    ("What is the capital of France?", "off-topic", None),
]
SCHOOL_QUESTIONS = [
    ("Hari apa siswa pakai batik?", "answerable", "tata-tertib.md"),
    ("Berapa uang sekolah per bulan?", "domain", None),
    ("Siapa penemu lampu pijar?", "off-topic", None),
]


def write_organisation(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def reader(model_cache: Path):
    return load_reader(model_cache / "multilingual-e5-small", model_cache)


@pytest.fixture(scope="module")
def organisations(tmp_path_factory, encoder, reader):
    root = tmp_path_factory.mktemp("organisations")
    company = write_organisation(root / "company", COMPANY)
    travel = docx.Document()  # the company's fourth document, in Word
    travel.add_heading("Business travel", level=1)
    travel.add_paragraph("Hotel costs are reimbursed up to Rp 750.000 per night in Jakarta and Rp 600.000 elsewhere.")
    travel.add_paragraph("Expense claims must be submitted within 14 days of returning, with the original receipts.")
    travel.save(company / "travel.docx")
    school = write_organisation(root / "school", SCHOOL)
    return {
        name: KnowledgeBase.in_memory(read_documents(folder, ocr=Ocr()), encoder, reader=reader)
        for name, folder in (("company", company), ("school", school))
    }


# What the reader does not yet catch (issue 38's figures: near misses are answered "not sure" 0.075 of
# the time on the held-out help-desk set). Strict: the day one passes, it leaves this list.
KNOWN_MISSES = {
    "Berapa hari cuti untuk suami yang istrinya melahirkan?": "maternity leave read as answering paternity leave",
    "Apakah kantor menyediakan makan siang gratis?": "the lunch break read as answering free lunch",
    "Is there a gym for employees in the office?": "a topic never mentioned, just above the threshold",
}


@pytest.mark.parametrize(
    ("organisation", "question", "kind", "document"),
    [
        pytest.param(organisation, *entry, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[entry[0]]))
        if entry[0] in KNOWN_MISSES
        else (organisation, *entry)
        for organisation, entries in (("company", QUESTIONS), ("school", SCHOOL_QUESTIONS))
        for entry in entries
    ],
)
def test_four_kinds_of_question(organisations, organisation: str, question: str, kind: str, document: str | None):
    answer = organisations[organisation].ask(question)
    if kind == "answerable":
        assert answer.hits[0].passage.document == document
        assert answer.sure, (question, answer.confidence)
    else:
        assert not answer.sure, (question, answer.confidence, answer.hits[0].passage.text[:80])


def test_suggested_threshold_lets_through_five_percent_of_negatives():
    unanswerable = [0.05] * 18 + [0.5, 0.7]
    threshold, cost = suggest_threshold([0.9, 0.8, 0.3, 0.1], unanswerable)
    assert threshold == pytest.approx(0.501)
    assert sum(c >= threshold for c in unanswerable) / len(unanswerable) <= 0.05
    assert cost == 0.5  # 0.3 and 0.1 fall below it
    assert suggest_threshold([0.9], [0.2])[0] == pytest.approx(0.201)  # one negative: none may pass
