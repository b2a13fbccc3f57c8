"""A book typed by people into a spreadsheet that `init --sheet` made gives the figures the same
book gives in a local workbook.

People type: every cell goes in as text through USER_ENTERED, the way the Sheets UI parses what a
person types, into the tabs and formats init made (Hours is plain text, so 1:30 stays 1:30;
Amount is #,##0.00, so a date typed there becomes a date cell). The local workbook holds the same
text. The tabs are whatever init creates: their headers are read back, and the book's columns
typed under them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from bench.synthetic import synthetic_book
from sync.app import pipeline
from sync.app.google_setup import create_input_tabs, share_summaries
from sync.backends.google.http import connect
from sync.backends.google.sheet import GoogleSheet
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.config import Config
from sync.model.schema import DATE_COLUMNS, INPUT_TABS

AS_OF = dt.date(2026, 11, 29)
COMPUTED_AT = dt.datetime(2026, 11, 29, 2, 0)
EPOCH = dt.date(1899, 12, 30)
FIGURES = ("Balances", "Monthly", "Periods")


def as_typed(column: str, value: object) -> str:
    """What a person types for a value of the synthetic book (which holds dates as serials)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if column in DATE_COLUMNS and isinstance(value, (int, float)):
        return (EPOCH + dt.timedelta(days=int(value))).isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def typed_book(time_rows: int = 300) -> dict[str, list[list[str]]]:
    """The synthetic book as people type it (1:30, 90m, $1,234.00...), plus what slips in: 25:00
    and a bare 1:30 in Hours, a date in Amount, a time in Included Hours."""
    tabs = {
        name: [rows[0]] + [[as_typed(rows[0][c], value) for c, value in enumerate(row)] for row in rows[1:]]
        for name, rows in synthetic_book(time_rows, as_of=AS_OF).items()
    }
    time, payments = tabs["Time"], tabs["Payments"]
    hours, amount = time[0].index("Hours"), payments[0].index("Amount")
    time[1][hours], time[2][hours], time[3][hours] = "25:00", "1:30", "0:45"
    payments[1][amount] = "2026-05-03"
    return tabs


def google(emulator, spreadsheet: str, **settings) -> GoogleSheet:
    client, account = connect(None, emulator.base_url)
    client.http_client.sleep = lambda seconds: None
    return GoogleSheet(spreadsheet, client, account, **settings)


def init_and_type(emulator, tabs: dict[str, list[list[str]]]) -> str:
    """A new spreadsheet, `init --sheet`, then the book typed into it."""
    spreadsheet = emulator.create_spreadsheet("Team")
    create_input_tabs(google(emulator, spreadsheet))
    type_into(emulator, spreadsheet, tabs)
    return spreadsheet


def type_into(emulator, spreadsheet: str, tabs: dict[str, list[list[str]]]) -> None:
    """Each tab typed under the headers init wrote (its example rows typed over), USER_ENTERED."""
    client, _ = connect(None, emulator.base_url)
    book = client.open_by_key(spreadsheet)
    for tab in INPUT_TABS:
        header = emulator.values(spreadsheet, tab.name)[0]
        rows = tabs.get(tab.name, [[]])  # a tab not typed: init's examples go, its header stays
        columns = [rows[0].index(name) if name in rows[0] else None for name in header]
        worksheet = book.worksheet(tab.name)
        worksheet.batch_clear([f"2:{worksheet.row_count}"])  # init's examples go; their formats stay
        worksheet.update(
            [[row[c] if c is not None and c < len(row) else "" for c in columns] for row in rows[1:]],
            "A2",
            value_input_option="USER_ENTERED",
        )


def local_workbook(path: Path, tabs: dict[str, list[list[str]]]) -> LocalWorkbook:
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False})
    for name, rows in tabs.items():
        worksheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                worksheet.write_string(r, c, text)
    book.close()
    return LocalWorkbook(path)


def test_a_book_typed_after_init_gives_the_local_workbooks_figures(emulator, tmp_path):
    tabs = typed_book()
    spreadsheet = init_and_type(emulator, tabs)
    hours = emulator.cell(spreadsheet, "Time", f"{chr(65 + tabs['Time'][0].index('Hours'))}3")
    assert hours["userEnteredValue"] == {"stringValue": "1:30"}  # plain text, as typed: 1.5 hours
    share_summaries(google(emulator, spreadsheet), Config())
    on_google = pipeline.run(google(emulator, spreadsheet), Config(), AS_OF, computed_at=COMPUTED_AT)
    in_xlsx = pipeline.run(local_workbook(tmp_path / "team.xlsx", tabs), Config(), AS_OF, computed_at=COMPUTED_AT)
    assert on_google.exit_code == in_xlsx.exit_code == 1  # the bad rows
    for name in FIGURES:
        assert on_google.tables[name].frame.equals(in_xlsx.tables[name].frame), name
    assert len(on_google.tables["Balances"].frame) > 0 and len(on_google.tables["Monthly"].frame) > 10
    where = ["Tab", "Row", "Column", "Value", "Severity"]
    assert on_google.problems[where].values.tolist() == in_xlsx.problems[where].values.tolist()
    refused = {(row[0], row[2]) for row in on_google.problems[where].values.tolist()}
    assert {("Time", "Hours"), ("Payments", "Amount")} <= refused  # 25:00, the date typed as an amount
    written = emulator.values(spreadsheet, "Balances")
    assert [row[2] for row in written[1:]] == on_google.tables["Balances"].frame["Contract ID"].tolist()
