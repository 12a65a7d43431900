"""Spreadsheet files of exported rows, written as the rows stream in (memory stays flat).

- CSV that Excel opens right with Russian regional settings: UTF-8 with a BOM (else Excel
  reads it in the ANSI code page) and ``;`` between cells (Excel's list separator where the
  decimal separator is a comma, as in Russian; with ``,`` everything lands in one column).
  A cell that a spreadsheet would run as a formula gets a leading apostrophe.
- ``.xlsx`` with openpyxl's write-only workbook (rows go to a temporary file, not a tree in
  memory): dates as real date cells, every text as a text cell (never a formula).

A row is (local time, giver, receiver, quality, reason).
"""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import AsyncIterable, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Row = tuple[datetime, str, str, str, str]

CSV_DELIMITER = ";"
CSV_ENCODING = "utf-8-sig"  # UTF-8 with a BOM
DATE_FORMAT = "%Y-%m-%d %H:%M"
XLSX_DATE_FORMAT = "yyyy-mm-dd hh:mm"
#: column widths of the .xlsx sheet, in characters
XLSX_WIDTHS = (17, 28, 28, 30, 60)
_FORMULA_STARTS = ("=", "+", "-", "@")


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value


async def write_csv(path: Path, header: Sequence[str], rows: AsyncIterable[Row]) -> int:
    """Write ``rows`` under ``header`` to ``path``; returns the number of rows."""
    count = 0
    with path.open("w", newline="", encoding=CSV_ENCODING) as fh:
        writer = csv.writer(fh, delimiter=CSV_DELIMITER)
        writer.writerow(header)
        async for when, *texts in rows:
            writer.writerow([when.strftime(DATE_FORMAT), *(csv_cell(t) for t in texts)])
            count += 1
    return count


def _text(sheet: WriteOnlyWorksheet, value: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would store "=…" as a formula
    return cell


def _date(sheet: WriteOnlyWorksheet, value: datetime) -> Cell:
    cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))  # Excel has no time zones
    cell.number_format = XLSX_DATE_FORMAT
    return cell


async def write_xlsx(
    path: Path, title: str, header: Sequence[str], rows: AsyncIterable[Row]
) -> int:
    """Write ``rows`` under ``header`` to a one-sheet workbook at ``path``; returns the
    number of rows."""
    workbook = Workbook(write_only=True)
    # Excel refuses a sheet name over 31 characters or with any of []:*?/\
    sheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "kudos")
    for index, width in enumerate(XLSX_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.append([_text(sheet, name) for name in header])
    count = 0
    async for when, *texts in rows:
        sheet.append([_date(sheet, when), *(_text(sheet, t) for t in texts)])
        count += 1
    # zipping the sheet is CPU work proportional to the rows: off the event loop
    await asyncio.to_thread(workbook.save, path)
    return count
