"""CSV files that people open in a spreadsheet: a cell the spreadsheet would run as a formula is
written as text (OWASP's rule: a ``'`` before a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return), and read back without it."""

from __future__ import annotations

import csv
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def written_cell(value: Any) -> Any:
    """``value`` as it is safe to write in a CSV cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def read_cell(value: str) -> str:
    """A cell written by ``written_cell``, as it was before."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


class CsvWriter:
    """``csv.writer`` whose every cell goes through ``written_cell``."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: list[Any]) -> None:
        self._writer.writerow([written_cell(value) for value in row])
