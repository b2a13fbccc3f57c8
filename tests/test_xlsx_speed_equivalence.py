"""Writing a sheet column by column gives the same cells as writing it cell by cell did.

Team tabs (replace_sheets) are read back with calamine and compared with what each value should
read back as. Client books are compared cell by cell with the same tables written the old way,
every cell through XlsxWriter (client_book still writes the Summary tab so).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from sync.backends import client_tabs
from sync.backends.xlsx import client_book
from sync.backends.xlsx import sheet as xlsx_sheet
from sync.backends.xlsx.client_book import write_client_workbook
from sync.backends.xlsx.package import replace_sheets
from sync.model.schema import CLIENT_TABS
from sync.model.table import Table

KINDS = ["text", "money", "hours", "int", "date", "datetime", "bool"]
TEXTS = [
    "plain",
    "",
    " lead",
    "trail ",
    "\tTab",
    "a\r\nb",
    "x\x01y",
    "\x1f",
    "_x0041_",
    "_X00aF_z",
    "<b>&amp;</b>",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-2",
    "@x",
    "é漢字🙂",
    "\ufffe\uffff",
    "\x85nel",
    "a\u2028b",
    "\u3000",
    "two\nlines",
    "\x0b\x0c",
    "a\x00b",
    "trailing\n",
    "\xa0nbsp",
    "x" * 40_000,
    "🙂" * 20_000,
]
LETTERS = "ab _x0A1F=+-@<>&\"'\r\n\t\x00\x01\x1f é漢🙂\u2028\x85\xa0"
DATES = [
    dt.date(1899, 12, 30),
    dt.date(1899, 12, 31),
    dt.date(1900, 1, 1),
    dt.date(1900, 2, 28),
    dt.date(1900, 3, 1),
    dt.date(1904, 1, 1),
    dt.date(2026, 1, 5),
]
BLANKS = [None, float("nan"), pd.NaT, D("NaN")]


def some_text(rng: random.Random) -> object:
    if rng.random() < 0.4:
        return rng.choice(TEXTS if rng.random() < 0.05 else TEXTS[:-2])
    if rng.random() < 0.8:
        return "".join(rng.choice(LETTERS) for _ in range(rng.randint(0, 12)))
    return rng.choice([12, 3.5, True, D("1.50"), dt.date(2024, 1, 2), "K-1"])


def some_money(rng: random.Random) -> object:
    places = rng.choice([0, 2, 3])
    amount = D(rng.randint(-(10**7), 10**7)).scaleb(-places)
    if rng.random() < 0.3:
        return rng.choice([D(0).scaleb(-places), -D(0).scaleb(-places), D("1E+3"), 7, -3])
    return amount


def some_date(rng: random.Random) -> dt.date:
    if rng.random() < 0.3:
        return rng.choice(DATES)
    return dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 40_000))


def some_datetime(rng: random.Random) -> dt.date:
    moment = dt.datetime.combine(
        some_date(rng),
        dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.choice([0, 0, 500_000, 123_456])),
    )
    return moment if rng.random() < 0.9 else moment.date()


MAKE = {
    "text": some_text,
    "money": some_money,
    "hours": lambda rng: (
        D(rng.randint(-(10**5), 10**5)).scaleb(-2) if rng.random() < 0.9 else rng.choice([1.5, 0.25, 2, -0.0])
    ),
    "int": lambda rng: rng.choice([0, 1, -5, 10**12, 7, True, 3.0]),
    "date": lambda rng: some_date(rng) if rng.random() < 0.9 else some_datetime(rng),  # a datetime will do
    "datetime": some_datetime,
    "bool": lambda rng: rng.choice([True, False, 1, 0]),
}


def random_table(seed: int, kinds: list[str] | None = None, rows: int | None = None) -> Table:
    """Values as sync.report makes them (a few shared objects per column) or all fresh, with blanks
    of every sort, and sometimes the typed columns pandas would hold."""
    rng = random.Random(seed)
    kinds = kinds or [rng.choice(KINDS) for _ in range(rng.randint(1, 8))]
    rows = rng.randint(0, 60) if rows is None else rows
    shared = rng.random() < 0.5
    columns = {}
    for i, kind in enumerate(kinds):
        pool = [MAKE[kind](rng) for _ in range(rng.randint(1, 15))]
        blank_rate = rng.choice([0, 0.1, 0.5, 1.0])
        columns[f"{kind} {i}"] = pd.Series(
            [
                rng.choice(BLANKS if kind != "text" else [None])
                if rng.random() < blank_rate
                else rng.choice(pool)
                if shared and rng.random() < 0.7
                else MAKE[kind](rng)
                for _ in range(rows)
            ],
            dtype=object,
        )
    frame = pd.DataFrame(columns)
    for name, kind in zip(columns, kinds):
        values = [v for v in frame[name] if v is not None]
        if rng.random() < 0.3 and kind == "text" and all(isinstance(v, str) and "\x00" not in v for v in values):
            frame[name] = frame[name].astype("str")
        elif rng.random() < 0.3 and kind == "int" and not frame[name].isna().any():
            frame[name] = frame[name].astype("int64")
        elif rng.random() < 0.3 and kind == "hours" and all(isinstance(v, float) for v in values):
            frame[name] = frame[name].astype("float64")
        elif rng.random() < 0.3 and kind == "bool" and not frame[name].isna().any():
            frame[name] = frame[name].astype(bool)
        elif rng.random() < 0.3 and kind == "datetime" and all(type(v) is dt.datetime for v in values):
            frame[name] = pd.to_datetime(frame[name])
    return Table(frame, dict(zip(columns, kinds)))


# --- team tabs --------------------------------------------------------------------------------

ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FIRST_EXACT = dt.date(1900, 3, 1)  # Excel's serials are off by one before it: written as ISO text


def team_reads_back(value: object, kind: str) -> object:
    if value is None or value is pd.NaT or (isinstance(value, (float, D)) and value != value):
        return ""
    if kind == "text":
        return ILLEGAL.sub("", str(value))[:32767]
    if kind in ("money", "hours"):
        return float(value)
    if kind in ("int", "bool"):
        return int(value) if kind == "int" else bool(value)
    day = value.date() if isinstance(value, dt.datetime) else value
    if kind == "date":
        return day.isoformat() if day < FIRST_EXACT else day
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    return moment.isoformat(sep=" ") if day < FIRST_EXACT else moment


def team_format(value: object, kind: str) -> str:
    if kind == "money":
        places = max(0, -D(int(value) if isinstance(value, int) else value).as_tuple().exponent)
        return "#,##0" + ("." + "0" * places if places else "")
    day = value.date() if isinstance(value, dt.datetime) else value
    formats = {"hours": "0.00", "int": "0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}
    return "General" if kind in ("date", "datetime") and day < FIRST_EXACT else formats.get(kind, "General")


def same_value(read: object, expected: object) -> bool:
    if isinstance(expected, dt.datetime) and type(read) is dt.date:  # calamine's reading of a whole day
        return read == expected.date() and expected.time() == dt.time()
    if isinstance(expected, dt.datetime):  # calamine rounds to the millisecond
        return isinstance(read, dt.datetime) and abs(read - expected) <= dt.timedelta(milliseconds=1)
    if isinstance(expected, (str, dt.date)):
        return type(read) is type(expected) and read == expected
    return read == expected


@pytest.fixture(scope="module")
def team_book() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Clients"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("seed", range(40))
def test_team_tab_reads_back_as_each_value_should(team_book, seed):
    table = random_table(seed)
    written = replace_sheets(team_book, {"Errors": table})
    read = (
        CalamineWorkbook.from_filelike(io.BytesIO(written)).get_sheet_by_name("Errors").to_python(skip_empty_area=False)
    )
    assert read[0] == table.columns
    rows = read[1:] + [[""] * len(table.columns)] * (len(table.frame) - len(read) + 1)  # trailing blank rows
    expected = [[team_reads_back(v, k) for v, k in zip(row, table.kinds.values())] for row in table.rows()]
    for r, (got, want) in enumerate(zip(rows, expected), start=2):
        assert all(same_value(g, w) for g, w in zip(got, want)), (r, got, want)
    sheet = openpyxl.load_workbook(io.BytesIO(written))["Errors"]
    for r, row in enumerate(table.rows(), start=2):
        for c, (value, kind) in enumerate(zip(row, table.kinds.values()), start=1):
            if team_reads_back(value, kind) != "":
                assert sheet.cell(r, c).number_format == team_format(value, kind), (r, c, value)


def test_rows_come_out_the_same_in_any_chunks(team_book, monkeypatch):
    table = random_table(7, kinds=KINDS, rows=300)
    whole = replace_sheets(team_book, {"Errors": table})
    monkeypatch.setattr(xlsx_sheet, "ROWS_PER_CHUNK", 7)
    assert replace_sheets(team_book, {"Errors": table}) == whole


def test_plain_texts_are_wrapped_in_bulk_and_the_others_one_by_one():
    texts = [f"task {i}" for i in range(100_000)] + [" edge", "a&b", "_x0041_", "", "x\x01"]
    bodies, lengths = xlsx_sheet.inline_strings(texts)
    assert bodies[7] == ' t="inlineStr"><is><t>task 7</t></is></c>' and lengths[7] == 6
    assert bodies[-5:] == [
        ' t="inlineStr"><is><t xml:space="preserve"> edge</t></is></c>',
        ' t="inlineStr"><is><t>a&amp;b</t></is></c>',
        ' t="inlineStr"><is><t>_x005F_x0041_</t></is></c>',
        ' t="inlineStr"><is><t></t></is></c>',
        ' t="inlineStr"><is><t>x</t></is></c>',
    ]
    assert list(lengths[-5:]) == [5, 3, 13, 0, 1]
    # A NUL in a text (it cannot be joined on then) takes every text the careful way.
    assert xlsx_sheet.inline_strings(["x\x01", "a\x00b"])[0] == [
        ' t="inlineStr"><is><t>x</t></is></c>',
        ' t="inlineStr"><is><t>ab</t></is></c>',
    ]
    assert xlsx_sheet.inline_strings(["x\x01", "a\x00b"], excel_escapes=True)[0] == [
        ' t="inlineStr"><is><t>x_x0001_</t></is></c>',
        ' t="inlineStr"><is><t>a_x0000_b</t></is></c>',
    ]


# --- client books -----------------------------------------------------------------------------


def describe(path: Path) -> dict:
    """Everything a reader sees, per tab: values (calamine), cell types and formats, widths, filter, protection."""
    values = CalamineWorkbook.from_path(path)
    book = openpyxl.load_workbook(path)
    seen = {}
    for sheet in book:
        # openpyxl unescapes _x005F_ in shared strings but not in inline ones: text values come from calamine.
        cells = [
            (
                c.coordinate,
                None if c.data_type == "s" else c.value,
                c.data_type,
                c.number_format,
                c.quotePrefix,
                c.font.b,
            )
            for row in sheet.iter_rows()
            for c in row
            if c.value is not None
        ]
        p = sheet.protection
        seen[sheet.title] = {
            "values": values.get_sheet_by_name(sheet.title).to_python(),
            "cells": cells,
            "widths": {k: v.width for k, v in sheet.column_dimensions.items()},
            "filter": sheet.auto_filter.ref,
            "panes": sheet.freeze_panes,
            "dimensions": sheet.dimensions,
            "protection": (p.sheet, p.password, p.autoFilter, p.sort, p.formatColumns, p.selectLockedCells),
        }
    return seen


REALISTIC = {
    "Date": "date",
    "Hours": "hours",
    "Amount": "money",
    "Paid": "money",
    "Billed": "money",
    "Balance": "money",
    "Hours Remaining": "hours",
    "Runs Out": "date",
    "As Of": "date",
    "Period Start": "date",
    "Period End": "date",
    "Included": "hours",
    "Carried In": "hours",
    "Used": "hours",
    "Carried Out": "hours",
    "Expired": "hours",
    "Overage Hours": "hours",
    "Overage Amount": "money",
    "Fee": "money",
    "Period Included": "hours",
    "Period Carried": "hours",
    "Period Used": "hours",
    "Period Left": "hours",
}


def client_tables(seed: int) -> dict[str, Table]:
    """Activity, Payments and Periods of the kinds sync.report makes or of random kinds, and a
    Statement (whose months the Summary charts); the Summary, a dashboard, is drawn from them."""
    rng = random.Random(seed)
    tables = {}
    for name in ("Activity", "Payments", "Periods"):
        columns = list(CLIENT_TABS[name])
        kinds = [REALISTIC.get(c, "text") for c in columns] if seed % 3 == 0 else [rng.choice(KINDS) for _ in columns]
        table = random_table(seed * 7 + len(name), kinds=kinds, rows=rng.randint(0, 40))
        tables[name] = Table(table.frame.set_axis(columns, axis=1), dict(zip(columns, kinds)))
    statement = [
        (f"K-{c}", f"2025-{m:02d}", *(some_money(rng) for _ in range(4)))
        for c in range(rng.randint(0, 3))
        for m in range(1, rng.randint(2, 14))
    ]
    columns = list(CLIENT_TABS["Statement"])
    tables["Statement"] = Table(
        pd.DataFrame(statement, columns=columns, dtype=object),
        dict(zip(columns, ["text", "text", "money", "money", "money", "money"])),
    )
    return tables


@pytest.mark.parametrize("seed", range(24))
def test_client_book_has_the_cells_xlsxwriter_wrote(tmp_path, monkeypatch, seed):
    tables = client_tables(seed)
    write_client_workbook(tmp_path / "fast.xlsx", tables, "Client")
    monkeypatch.setattr(client_book, "FAST_TABS", ())  # every cell through XlsxWriter, as before
    write_client_workbook(tmp_path / "before.xlsx", tables, "Client")
    fast, before = describe(tmp_path / "fast.xlsx"), describe(tmp_path / "before.xlsx")
    assert list(fast) == list(before) == client_tabs(tables)
    for tab in before:
        for aspect, value in before[tab].items():
            assert fast[tab][aspect] == value, (tab, aspect)


def test_a_large_activity_tab_matches_xlsxwriter(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    days = np.array([dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(400)], dtype=object)
    amounts = np.array(
        [D(int(a)).scaleb(-2) for a in rng.integers(-(10**6), 10**6, 300)] + [D("12"), D("0.000")], dtype=object
    )
    n = 5_000
    activity = pd.DataFrame(
        {
            "Date": days[rng.integers(0, len(days), n)],
            "Contract ID": np.array(["K-1", "K-2", "=1+1"])[rng.integers(0, 3, n)],
            "Task": [f"task {i % 997}" if i % 5 else f"unique\x01 task {i} <&>" for i in range(n)],
            "Work Type": np.array([None, "support", " lead"], dtype=object)[rng.integers(0, 3, n)],
            "Hours": np.array([D("1.25"), D("0.50"), None], dtype=object)[rng.integers(0, 3, n)],
            "Billable": np.where(rng.random(n) < 0.7, "Yes", "No"),
            "Amount": amounts[rng.integers(0, len(amounts), n)],
        }
    )
    tables = {
        "Activity": Table(
            activity, dict(zip(CLIENT_TABS["Activity"], ["date", "text", "text", "text", "hours", "text", "money"]))
        )
    }
    monkeypatch.setattr(xlsx_sheet, "ROWS_PER_CHUNK", 999)
    write_client_workbook(tmp_path / "fast.xlsx", tables, "Client")
    monkeypatch.setattr(client_book, "FAST_TABS", ())
    write_client_workbook(tmp_path / "before.xlsx", tables, "Client")
    assert describe(tmp_path / "fast.xlsx") == describe(tmp_path / "before.xlsx")


def test_datetimes_with_a_time_zone_are_refused_as_xlsxwriter_refuses_them(tmp_path):
    kinds = dict(zip(CLIENT_TABS["Activity"], ["datetime"] + ["text"] * 6))
    moment = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    table = Table(pd.DataFrame([[moment] + [None] * 6], columns=list(kinds)), kinds)
    with pytest.raises(TypeError, match="timezones"):
        write_client_workbook(tmp_path / "tz.xlsx", {"Activity": table}, "Client")
    assert list(tmp_path.iterdir()) == []


def test_rich_text_lookalikes_read_back_as_typed(tmp_path):
    kinds = dict(zip(CLIENT_TABS["Activity"], ["date", "text", "text", "text", "hours", "text", "money"]))
    row = [None, "K-1", "<r><t>x</t></r>", None, None, None, None]
    table = Table(pd.DataFrame([row], columns=list(kinds)), kinds)
    write_client_workbook(tmp_path / "rich.xlsx", {"Activity": table}, "Client")
    read = CalamineWorkbook.from_path(tmp_path / "rich.xlsx").get_sheet_by_name("Activity").to_python()
    assert read[1][2] == "<r><t>x</t></r>"


# --- many client books at once ----------------------------------------------------------------


def as_written(column: xlsx_sheet.Column) -> tuple[list, int]:
    """Each row's cell (style and XML) or None for a blank, and the column's width."""
    cells = [None if code < 0 else (column.cells.styles[code], column.cells.bodies[code]) for code in column.codes]
    return cells, column.width


@pytest.mark.parametrize("writer", [client_book._cells, lambda kind: xlsx_sheet.team_cells(kind, False)])
def test_tables_encoded_together_are_each_encoded_as_alone(writer):
    tables = [random_table(seed, kinds=KINDS) for seed in range(16)]  # dtypes and blanks differ between them
    together = xlsx_sheet.encode_tables(tables, writer)
    for table, columns in zip(tables, together):
        assert [as_written(c) for c in columns] == [as_written(c) for c in xlsx_sheet.encode_columns(table, writer)]


def test_client_books_encoded_together_are_the_books_encoded_alone(tmp_path):
    books = [client_tables(seed) for seed in (0, 3, 6, 9)]  # the kinds sync.report makes: encoded together
    cache = xlsx_sheet.CellCache()
    for i, (tables, encoded) in enumerate(zip(books, client_book.encode_fast_tabs(books, cache))):
        write_client_workbook(tmp_path / f"together-{i}.xlsx", tables, "Client", cache, encoded)
        write_client_workbook(tmp_path / f"alone-{i}.xlsx", tables, "Client")
        assert describe(tmp_path / f"together-{i}.xlsx") == describe(tmp_path / f"alone-{i}.xlsx")


@pytest.mark.parametrize("seed", range(40))
def test_plain_rows_are_table_rows(seed):
    table = random_table(seed)
    typed = [[(type(value), repr(value)) for value in row] for row in table.rows()]
    assert [[(type(value), repr(value)) for value in row] for row in client_book.plain_rows(table)] == typed
