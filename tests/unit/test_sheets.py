"""Export files (``bot.sheets``) and how an export names people: CSV that Excel opens with
Russian settings, .xlsx read back with openpyxl."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot import sheets
from bot.services.kudos import export_name
from storage.repo.kudos import ExportPerson

MSK = ZoneInfo("Europe/Moscow")
HEADER = ["дата", "от кого", "кому", "качество", "за что"]
ROWS: list[sheets.Row] = [
    (datetime(2026, 11, 18, 12, 5, tzinfo=MSK), "Анна (@anna)", "Тимур (id 7)", "Эмпатия", "ok"),
    (
        datetime(2026, 11, 19, 9, 0, tzinfo=MSK),
        "Борис (@boris)",
        "Анна (@anna)",
        "Ответственность",
        '=СУММ(A1:A3); "кавычки"\nи перенос',
    ),
    (datetime(2026, 11, 20, 18, 30, tzinfo=MSK), "@nick", "-1", "+", "@all"),
]


async def stream(rows: list[sheets.Row]) -> AsyncIterator[sheets.Row]:
    for row in rows:
        yield row


# --- CSV ---------------------------------------------------------------------------------------


async def test_csv_has_a_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    assert await sheets.write_csv(path, HEADER, stream(ROWS)) == 3
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # without it Excel reads the ANSI code page
    body = data.decode("utf-8-sig")
    assert body.splitlines()[0] == "дата;от кого;кому;качество;за что"
    assert csv.Sniffer().sniff(body.splitlines()[0]).delimiter == ";"
    assert "\r\n" in body  # the line ends Excel writes itself


async def test_csv_cells_read_back(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    await sheets.write_csv(path, HEADER, stream(ROWS))
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        HEADER,
        ["2026-11-18 12:05", "Анна (@anna)", "Тимур (id 7)", "Эмпатия", "ok"],
        [
            "2026-11-19 09:00",
            "Борис (@boris)",
            "Анна (@anna)",
            "Ответственность",
            '\'=СУММ(A1:A3); "кавычки"\nи перенос',
        ],
        # nothing a spreadsheet would run as a formula
        ["2026-11-20 18:30", "'@nick", "'-1", "'+", "'@all"],
    ]


async def test_csv_of_no_rows_has_the_header(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    assert await sheets.write_csv(path, HEADER, stream([])) == 0
    assert path.read_bytes().decode("utf-8-sig") == "дата;от кого;кому;качество;за что\r\n"


# --- xlsx --------------------------------------------------------------------------------------


async def test_xlsx_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "k.xlsx"
    assert await sheets.write_xlsx(path, "2026-11", HEADER, stream(ROWS)) == 3
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["2026-11"]
    sheet = workbook.active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        HEADER,
        [datetime(2026, 11, 18, 12, 5), "Анна (@anna)", "Тимур (id 7)", "Эмпатия", "ok"],  # noqa: DTZ001
        [
            datetime(2026, 11, 19, 9, 0),  # noqa: DTZ001
            "Борис (@boris)",
            "Анна (@anna)",
            "Ответственность",
            '=СУММ(A1:A3); "кавычки"\nи перенос',
        ],
        [datetime(2026, 11, 20, 18, 30), "@nick", "-1", "+", "@all"],  # noqa: DTZ001
    ]
    # the time as the team's clock showed it, a real date cell; texts stay texts
    assert sheet["A2"].is_date
    assert sheet["A2"].number_format == sheets.XLSX_DATE_FORMAT
    assert all(
        sheet.cell(row=r, column=c).data_type == "s" for r in (2, 3, 4) for c in (2, 3, 4, 5)
    )
    assert sheet.column_dimensions["E"].width == sheets.XLSX_WIDTHS[4]


async def test_xlsx_sheet_name_is_one_excel_accepts(tmp_path: Path) -> None:
    path = tmp_path / "k.xlsx"
    await sheets.write_xlsx(path, "a/b:c*d?e[f]g\\h" + "x" * 40, HEADER, stream([]))
    workbook = load_workbook(path)
    assert workbook.sheetnames == [("a b c d e f g h" + "x" * 40)[:31]]
    sheet = workbook.active
    assert sheet is not None
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [HEADER]


# --- people ------------------------------------------------------------------------------------


def test_a_person_is_named_with_their_username_or_id() -> None:
    assert export_name(ExportPerson(1, "Анна", "Петрова", "anna_k")) == "Анна Петрова (@anna_k)"
    assert export_name(ExportPerson(42, "Тимур", None, None)) == "Тимур (id 42)"
    assert export_name(ExportPerson(5, "Анна", None, "anna_m")) == "Анна (@anna_m)"
    assert export_name(None) is None  # a former member: the caller's «Бывший участник»
