"""The fast xlsx reader (fastexcel) gives the same books as python-calamine's cells.

Books are written with each value in one of the forms a person's workbook holds it: a date as a
date cell, a datetime cell, a bare serial number or ISO text; hours as a number, a time (h:mm),
a duration ([h]:mm) or text; amounts as numbers or as text with a currency sign; checkboxes as booleans or text; plus bad cells of every type.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from bench.synthetic import EPOCH, synthetic_book
from sync.backends.xlsx.read import _cell, read_tabs
from sync.compute.ledger import compute
from sync.config import Config
from sync.model.raw import ColumnTab
from sync.model.schema import INPUT_TAB_NAMES
from sync.rules import cells
from sync.rules.load import input_frames
from sync.rules.validate import validate

AS_OF = dt.date(2026, 11, 29)
BAD = [
    True,
    False,
    "n/a",
    "#REF!",
    0,
    -3.5,
    "2026-13-45",
    dt.datetime(2026, 3, 4, 9, 30),
    1e300,
    # hostile cells that fastexcel still renders unambiguously (see test_date_cells_are_dates...)
    dt.datetime(9999, 12, 31),
    "9999-12-31",
    "0000-01-01",
    "2262-04-12",
    "99999999999999999999:00",
    "１２３",
    "١٢٣",
    "EUR 150",
    "bell\x07",
    -0.0,
    2.0**70,
    1e-9,
    dt.time(0, 0),
    dt.time(23, 59, 59),
    dt.timedelta(0),
]


class Writer:
    """Writes one cell in a randomly chosen, equivalent form."""

    def __init__(self, book: xlsxwriter.Workbook, rng: random.Random) -> None:
        self.rng = rng
        self.formats = {
            name: book.add_format({"num_format": spec})
            for name, spec in [
                ("date", "yyyy-mm-dd"),
                ("datetime", "yyyy-mm-dd hh:mm"),
                ("time", "h:mm"),
                ("duration", "[h]:mm"),
                ("money", "#,##0.00"),
            ]
        }

    def __call__(self, sheet, row: int, col: int, column: str, value) -> None:
        pick, f = self.rng.random(), self.formats
        if value in ("", None):
            return
        if pick < 0.03:
            value = self.rng.choice(BAD)
        elif column in ("Date", "Start", "End", "From", "Until") and isinstance(value, int):
            day = dt.datetime.combine(EPOCH + dt.timedelta(days=value), dt.time())
            if pick < 0.6:
                return sheet.write_datetime(row, col, day, f["date"])
            if pick < 0.7:
                return sheet.write_datetime(row, col, day + dt.timedelta(hours=9), f["datetime"])
            if pick < 0.8:
                return sheet.write_number(row, col, value)
            return sheet.write_string(row, col, day.date().isoformat())
        elif column == "Hours" and isinstance(value, float):
            if pick < 0.3:
                return sheet.write_number(row, col, value / 24, f["time"])
            if pick < 0.45:
                return sheet.write_number(row, col, value / 24, f["duration"])
            if pick < 0.6:
                return sheet.write_string(row, col, f"{value:g}")
        elif column in ("Amount", "Rate", "Budget") and isinstance(value, float):
            if pick < 0.3:
                return sheet.write_number(row, col, value, f["money"])
            if pick < 0.5:
                return sheet.write_string(row, col, f"${value:,.2f}")
        elif column == "Billable" and isinstance(value, bool) and pick < 0.5:
            return sheet.write_string(row, col, "Y" if value else "N")
        if isinstance(value, dt.datetime):
            return sheet.write_datetime(row, col, value, f["datetime"])
        if isinstance(value, (dt.time, dt.timedelta)):
            return sheet.write_datetime(row, col, value, f["time" if isinstance(value, dt.time) else "duration"])
        if isinstance(value, bool):
            return sheet.write_boolean(row, col, value)
        if isinstance(value, (int, float)):
            return sheet.write_number(row, col, value)
        sheet.write_string(row, col, str(value))


def messy_workbook(path: Path, seed: int, rows: int = 3000) -> bytes:
    rng = random.Random(seed)
    book = xlsxwriter.Workbook(
        path, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    write = Writer(book, rng)
    for name, table in synthetic_book(rows, seed=seed).items():
        sheet = book.add_worksheet(name)
        header = table[0]
        sheet.write_row(0, 0, header)
        for r, row in enumerate(table[1:], start=1):
            for c, value in enumerate(row):
                write(sheet, r, c, header[c], value)
    book.close()
    return path.read_bytes()


def calamine_tabs(data: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def outcome(tabs: dict) -> tuple:
    book, problems = validate(input_frames(tabs), Config(), AS_OF)
    ledger = compute(book, AS_OF)
    return book, problems, ledger


@pytest.mark.parametrize("seed", range(4))
def test_fast_reader_gives_the_same_books_figures_and_problems(tmp_path: Path, seed: int) -> None:
    data = messy_workbook(tmp_path / "book.xlsx", seed)
    fast = read_tabs(data, INPUT_TAB_NAMES)
    assert all(isinstance(tab, ColumnTab) for tab in fast.values())  # the fast path was taken
    book, problems, ledger = outcome(fast)
    exact_book, exact_problems, exact_ledger = outcome(calamine_tabs(data))
    assert len(problems) > 20  # the bad cells were seen
    pd.testing.assert_frame_equal(problems, exact_problems)
    for mine, theirs in zip(book, exact_book):
        pd.testing.assert_frame_equal(mine, theirs)
    for mine, theirs in zip(ledger, exact_ledger):
        pd.testing.assert_frame_equal(mine, theirs)


def test_tab_not_starting_at_a1_is_read_by_calamine_so_rows_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Clients")
    sheet.write_row(1, 0, ["Client ID", "Name"])  # header on row 2: row 1 is blank
    sheet.write_row(2, 0, ["C-1", "Acme"])
    book.close()
    tabs = read_tabs(path.read_bytes(), ["Clients"])
    assert tabs["Clients"][:3] == [["", ""], ["Client ID", "Name"], ["C-1", "Acme"]]


def test_repeated_header_is_read_by_calamine_so_it_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Time")
    sheet.write_row(0, 0, ["Date", "Hours", "Hours"])
    sheet.write_row(1, 0, ["2026-01-05", 1.5, 2])
    book.close()
    tabs = read_tabs(path.read_bytes(), ["time"])  # tab names match whatever their case
    assert tabs["time"][0] == ["Date", "Hours", "Hours"]


def test_rendered_cells_become_the_values_they_were(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("T")
    time, duration = book.add_format({"num_format": "h:mm"}), book.add_format({"num_format": "[h]:mm"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Mixed"])
    for row, write in enumerate(
        [
            lambda r: sheet.write_number(r, 0, 0.0625, time),
            lambda r: sheet.write_number(r, 0, 0.0625, duration),
            lambda r: sheet.write_number(r, 0, 46000, date),
            lambda r: sheet.write_number(r, 0, 0.25),
            lambda r: sheet.write_boolean(r, 0, True),
            lambda r: sheet.write_string(r, 0, "007"),
            lambda r: sheet.write_string(r, 0, "1:30"),
        ],
        start=1,
    ):
        write(row)
    book.close()
    (column,) = read_tabs(path.read_bytes(), ["T"])["T"].columns
    assert list(column) == [
        dt.timedelta(hours=1, minutes=30),
        dt.timedelta(hours=1, minutes=30),
        dt.date(2025, 12, 9),
        0.25,
        True,
        "007",
        "1:30",
    ]


# (label, serial, number format, what calamine - and so every reader - makes of it). Serial 1 is
# 1900-01-01 in a 1900-based book, 1904-01-02 in a 1904-based one (Excel's two epochs).
KINDS_OF_CELL = [
    ("date 1900-01-01", 1, "yyyy-mm-dd", "date"),
    ("date 1900-02-28", 59, "yyyy-mm-dd", "date"),
    ("date 1900-03-01", 61, "yyyy-mm-dd", "date"),
    ("datetime 1900-01-01 10:00", 1 + 10 / 24, "yyyy-mm-dd hh:mm", "date"),
    ("date 1969-12-31", 25568, "yyyy-mm-dd", "date"),
    ("date 2026-01-05", 46027, "m/d/yyyy", "date"),
    ("date 9999-12-31", 2958465, "yyyy-mm-dd", "date"),
    ("time 1:30", 1.5 / 24, "h:mm", "hours"),
    ("time 1:30 PM", 13.5 / 24, "h:mm AM/PM", "hours"),
    ("duration 1:30", 1.5 / 24, "[h]:mm", "hours"),
    ("duration 24:00", 1, "[h]:mm", "hours"),
    ("duration 25:00", 25 / 24, "[h]:mm", "hours"),
    ("duration 1500:00", 62.5, "[h]:mm:ss", "hours"),
]


def kinds_workbook(path: Path, date_1904: bool, kinds: list = KINDS_OF_CELL) -> bytes:
    """A Time-like tab: each kind of cell in Hours, beside its label in Task."""
    book = xlsxwriter.Workbook(path, {"date_1904": date_1904})
    sheet = book.add_worksheet("T")
    sheet.write_row(0, 0, ["Task", "Hours"])
    for row, (label, serial, number_format, _) in enumerate(kinds, start=1):
        sheet.write_string(row, 0, label)
        sheet.write_number(row, 1, serial, book.add_format({"num_format": number_format}))
    book.close()
    return path.read_bytes()


def as_rows(tab) -> list[list]:
    return [list(row) for row in zip(*tab.columns)] if isinstance(tab, ColumnTab) else [list(r) for r in tab[1:]]


@pytest.mark.parametrize("date_1904", [False, True], ids=["1900-based", "1904-based"])
def test_date_cells_are_dates_and_time_and_duration_cells_are_hours(tmp_path: Path, date_1904: bool) -> None:
    """A date-formatted cell is a date (so Hours refuses it), a time or duration cell a duration."""
    kinds = [kind for kind in KINDS_OF_CELL if not (date_1904 and kind[0] == "date 9999-12-31")]  # year 10003
    data = kinds_workbook(tmp_path / "book.xlsx", date_1904, kinds)
    read = as_rows(read_tabs(data, ["T"])["T"])
    exact = calamine_tabs(data)["T"][1:]
    hours, problems = cells.parse_hours(pd.Series([row[1] for row in read], dtype=object))
    assert len(read) == len(kinds)
    for (label, serial, _, kind), row, reference, ms, problem in zip(kinds, read, exact, hours, problems):
        assert row[0] == label
        assert cells.as_duration(row[1]) == cells.as_duration(reference[1]), label  # what calamine says
        if kind == "date":
            assert isinstance(row[1], dt.date) and problem == "is a date, not a number of hours", label
        elif serial <= 1:
            assert problem is pd.NA and ms == round(serial * 24 * cells.MS_PER_HOUR), label
        else:
            assert problem == "is more than 24 hours for one entry", label


def test_a_tab_with_a_cell_only_its_format_tells_is_read_by_calamine(tmp_path: Path) -> None:
    """fastexcel shows the date 1900-01-01 and the duration 24:00 alike: such a tab is read exactly."""
    well_kept = [kind for kind in KINDS_OF_CELL if kind[1] < 1 or kind[1] >= 25569]
    data = kinds_workbook(tmp_path / "fast.xlsx", False, well_kept)
    fast = read_tabs(data, ["T"])["T"]
    assert isinstance(fast, ColumnTab)
    assert [[cells.as_duration(cell) for cell in row] for row in as_rows(fast)] == [
        [cells.as_duration(cell) for cell in row] for row in calamine_tabs(data)["T"][1:]
    ]
    for odd in [kind for kind in KINDS_OF_CELL if kind not in well_kept]:
        tab = read_tabs(kinds_workbook(tmp_path / "odd.xlsx", False, well_kept + [odd]), ["T"])["T"]
        assert not isinstance(tab, ColumnTab), odd[0]
    assert _cell("+10113-09-19 00:00:00") is _cell("1899-12-30 00:00:00") is _cell("1950-06-01 00:00:00")


def test_a_number_keeps_its_binary_tail() -> None:
    """Excel stores a formula's 0.1 + 0.2 with 17 digits (XlsxWriter cannot write one)."""
    assert _cell("0.30000000000000004") == 0.1 + 0.2
    assert _cell("1e3") == "1e3" and _cell("1.50") == "1.50" and _cell("-0.5") == -0.5
    assert str(_cell("-0")) == "-0.0" and _cell("-00") == "-00"
