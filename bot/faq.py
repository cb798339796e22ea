"""FAQ files for taught answers: ``tanya faq import`` reads a CSV or XLSX whose columns ``question`` and
``answer`` hold one question each row (rows with the same answer are its other questions);
``tanya faq export`` writes the same CSV back.

A file is hostile until read: its size, and a workbook's size once unzipped, are capped before it is
parsed (a 400 KB workbook can unzip to 400 MB of one cell), a question over ``MAX_QUESTION_CHARS``
is refused, and so is a question given two different answers; a refused file imports nothing.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from typing import TextIO

from bot.formatting import TAUGHT_ANSWER_LIMIT, escaped_length
from bot.spreadsheets import CsvWriter, read_cell
from embeddings.search.taught import TaughtAnswer

COLUMNS = ("question", "answer")
MAX_FILE_BYTES = 20 * 2**20  # a FAQ of 10,000 rows is about 2 MB
MAX_UNZIPPED_BYTES = 100 * 2**20  # every part of a workbook together, unzipped
MAX_QUESTION_CHARS = 4000  # a Telegram message holds 4096


class FaqFileError(ValueError):
    """A FAQ file that cannot be imported; ``problems`` names each bad line (1-based, the header is line 1)."""

    def __init__(self, file: Path, problems: list[str]) -> None:
        super().__init__(
            f"{file}: nothing imported, "
            + "; ".join(problems[:20])
            + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        )
        self.problems = problems


def read_faq(file: Path) -> list[tuple[list[str], str]]:
    """Each answer of ``file`` with its questions, in the file's order; FaqFileError for a bad file (whole)."""
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FaqFileError(file, [f"the file is {size / 2**20:.1f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit"])
    rows = _xlsx_rows(file) if file.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(file)
    header = next(rows, None)
    names = [str(cell or "").strip().lower() for cell in header or ()]
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise FaqFileError(
            file, [f"line 1: no column named {' or '.join(missing)} (the header must name {' and '.join(COLUMNS)})"]
        )
    question_at, answer_at = names.index("question"), names.index("answer")
    taught: dict[str, list[str]] = {}
    asked: dict[str, tuple[int, str]] = {}  # a question, folded, → its first line and answer
    problems = []
    for line, row in enumerate(rows, start=2):
        cells = [read_cell(str(cell).strip()) if cell is not None else "" for cell in row]
        question = " ".join(cells[question_at].split()) if question_at < len(cells) else ""
        answer = cells[answer_at] if answer_at < len(cells) else ""
        if not question and not answer:
            continue  # a blank row
        if not question:
            problems.append(f"line {line}: the question is empty")
        elif not answer:
            problems.append(f"line {line}: the answer is empty")
        elif len(question) > MAX_QUESTION_CHARS:
            problems.append(
                f"line {line}: the question is {len(question)} characters long (at most {MAX_QUESTION_CHARS})"
            )
        elif escaped_length(answer) > TAUGHT_ANSWER_LIMIT:
            problems.append(
                f"line {line}: the answer is {escaped_length(answer)} characters long (at most "
                f"{TAUGHT_ANSWER_LIMIT} fit a Telegram message)"
            )
        elif (first := asked.setdefault(question.casefold(), (line, answer)))[1] != answer:
            problems.append(f"line {line}: the question of line {first[0]} again, with another answer")
        elif first[0] == line:
            taught.setdefault(answer, []).append(question)
    if problems:
        raise FaqFileError(file, problems)
    if not taught:
        raise FaqFileError(file, ["no questions below the header"])
    return [(questions, answer) for answer, questions in taught.items()]


def write_faq(taught: list[TaughtAnswer], out: TextIO) -> int:
    """Write ``taught`` as a FAQ CSV that ``read_faq`` reads back; returns the questions written."""
    writer = CsvWriter(out)
    writer.writerow(COLUMNS)
    count = 0
    for entry in taught:
        for question in entry.questions:
            writer.writerow([question, entry.text])
            count += 1
    return count


def _csv_rows(file: Path):
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:  # utf-8-sig: spreadsheets' CSVs start with a BOM
            yield from csv.reader(handle)
    except UnicodeDecodeError:
        raise FaqFileError(file, ["not UTF-8 text: save it as CSV UTF-8, or as .xlsx"]) from None
    except csv.Error as error:
        raise FaqFileError(file, [f"not a CSV file ({error})"]) from None


def _xlsx_rows(file: Path):
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(file) as archive:
            unzipped = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise FaqFileError(file, [f"not a readable .xlsx workbook ({error})"]) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise FaqFileError(
            file,
            [f"the workbook unzips to {unzipped / 2**20:.0f} MiB, over the {MAX_UNZIPPED_BYTES // 2**20} MiB limit"],
        )
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise FaqFileError(file, [f"not a readable .xlsx workbook ({error})"]) from None
    try:
        yield from workbook.active.iter_rows(values_only=True)
    finally:
        workbook.close()
