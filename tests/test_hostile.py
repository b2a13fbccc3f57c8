"""One bad cell never stops the night: whatever a cell holds, in any input column, the run ends
with exit 0 or 1, and every row it read is either in the figures or on the Errors tab."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from unittest import mock

import numpy as np
import openpyxl
import pandas as pd
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.app import pipeline
from sync.backends.memory import MemoryBook
from sync.config import Config
from sync.model.schema import INPUT_TABS
from sync.rules import cells
from sync.rules.validate import validate
from tests.books import AS_OF, CLIENTS, CONTRACTS, EXPENSES, PAYMENTS, RATES, TIME, sheet
from tests.test_google import google, team_tabs

ROOT = Path(__file__).resolve().parents[1]

# --- any cell, in any column -------------------------------------------------------------------

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "9999-12-31",
            "2262-04-12",
            "0000-01-01",
            "1969-12-31",
            "99999999999999999999:00",
            "１２３",
            "١٢٣",
            "۱:۳۰",
            "EUR 150",
            "GBP 90",
            "€5",
            "¥5",
            "\ud800",
            "x\udfffy",
            "\x00",
            "\x07\x1b[31m",
            "9" * 400,
            "-0",
            "nan",
            "inf",
            "1e308",
            "75%",
            "99999999999999999999%",
            "0%",
            "all",
            "Y",
            "N",
            "closed",
            "monthly",
            dt.time(0, 0),
            dt.timedelta.max,
            dt.timedelta.min,
            pd.Timedelta.max,
            pd.Timestamp.max,
            pd.Timestamp.min,
            pd.NaT,
            None,
            Decimal("sNaN"),
            Decimal("NaN"),
            Decimal("1E+400"),
            10**400,
            -(10**400),
            2**63,
            2**64,
            float("nan"),
            float("inf"),
            float("-inf"),
            -0.0,
            5e-324,
            1e308,
            np.int64(7),
            np.float32(0.5),
            b"K-1",
            [1, 2],
            {"a": 1},
        ]
    ),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.booleans(),
    st.dates(),
    st.datetimes(
        timezones=st.none()
        | st.builds(dt.timezone, st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23)))
    ),
    st.times(),
    st.timedeltas(),
    st.text(max_size=12),
    st.text(st.characters(categories=["Nd", "Cs", "Cc", "Zs"]), max_size=6),
)

# Cells a team would type, so that rows refer to each other and many of them count.
TYPICAL = {
    "Client ID": ["C-0", "C-1"],
    "Contract ID": ["K-0", "K-1", "K-2"],
    "Name": ["Acme", ""],
    "Currency": ["", "USD", "EUR", "JPY"],
    "Rate": ["100", 120.5, "$90.00", "١٢٠"],
    "Date": ["2026-01-05", 46100, dt.date(2026, 3, 1), dt.datetime(2026, 4, 1, 9)],
    "Start": ["2026-01-01", 46000],
    "End": ["", "2026-12-31"],
    "From": ["", "2026-02-01"],
    "Hours": ["1:30", 2, dt.time(0, 45), dt.timedelta(hours=1), "90m", "١.٥"],
    "Amount": ["100", 49.99, "-10", "$1,000.00"],
    "Low Balance": ["", "50"],
    "Fee": ["", "500"],
    "Overage Rate": ["", "150"],
    "Included Hours": ["10", "7:30"],
    "Rollover Cap": ["", "all", "5"],
    "Rollover Expires": ["", 2],
    "Rounding Minutes": ["", 15],
    "Period": ["", "monthly"],
    "Alert At": ["", "75%, 2,000"],
    "Billable": ["", "Y", "N", True],
    "Alert Client": ["", "Y"],
}


ID_OF = {"Clients": ("Client ID", "C"), "Contracts": ("Contract ID", "K")}  # the tabs others refer to


@st.composite
def hostile_books(draw) -> dict[str, list[list]]:
    """Every input tab with every column, up to a dozen rows each: some rows typical, the others
    with each cell typical or hostile. A run costs some 0.4 s whatever its size, so each example
    holds many bad cells."""
    tabs = {}
    for tab in INPUT_TABS:
        header = [column.name for column in tab.columns]
        rows = []
        for number in range(draw(st.integers(0, 12))):
            hostility = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5]))  # the share of hostile cells, about
            column, prefix = ID_OF.get(tab.name, ("", ""))
            typical = TYPICAL | {column: [f"{prefix}-{number}"]}  # each row its own ID
            rows.append(
                [
                    draw(
                        HOSTILE
                        if draw(st.floats(0, 1)) < hostility
                        else st.sampled_from(typical.get(name, ["x", "Ann", ""]))
                    )
                    for name in header
                ]
            )
        tabs[tab.name] = [header, *rows]
    return tabs


def run_capturing_the_book(call, tabs: dict[str, list[list]]):
    """call(MemoryBook(tabs)) and the valid Book its validate stage computed."""
    books = []

    def capture(*args, **kwargs):
        book, problems = validate(*args, **kwargs)
        books.append(book)
        return book, problems

    with mock.patch.object(pipeline, "validate", capture):
        result = call(MemoryBook({name: [list(row) for row in rows] for name, rows in tabs.items()}))
    return result, books[0]


def assert_every_row_counts_or_is_an_error(tabs: dict[str, list[list]], result, book) -> None:
    assert result.exit_code in (0, 1)
    errors = result.problems[result.problems["Severity"] == "error"]
    assert result.exit_code == (1 if len(errors) else 0)
    for tab, frame in zip(INPUT_TABS, book):
        rows = tabs[tab.name][1:]
        blank = [all(cells.blank_mask(pd.Series(row, dtype=object))) for row in rows] if rows else []
        read = {number for number, is_blank in enumerate(blank, start=2) if not is_blank}
        used = set(frame["row"].tolist())
        refused = set(errors.loc[errors["Tab"] == tab.name, "Row"].tolist())
        assert read == used | refused, (tab.name, read, used, refused)  # nothing silently lost
        assert not used & refused, tab.name  # and nothing with an error counted


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_books())
def test_any_cell_in_any_column_is_used_or_reported_never_a_crash(tabs):
    for call in (
        lambda backend: pipeline.run(backend, Config(), AS_OF),
        lambda backend: pipeline.check(backend, Config(), AS_OF),
    ):
        result, book = run_capturing_the_book(call, tabs)
        assert_every_row_counts_or_is_an_error(tabs, result, book)


# --- the command line on a real workbook ---------------------------------------------------------

RANGE = "is not a date between 1970 and 2199"


def hostile_workbook(path: Path) -> None:
    """The small book, plus rows with one bad cell each (what the Errors tab must show: below)."""
    book = xlsxwriter.Workbook(
        path, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    tabs = {
        "Clients": CLIENTS,
        "Contracts": CONTRACTS
        + [
            ["K-4", "C-1", "Euro rate", "USD", "EUR 150", "", "", "", "", ""],
            ["K-5", "C-1", "Far start", "USD", "100", "9999-12-31", "", "", "", ""],
            ["K-6", "C-1", "Cell start", "USD", "100", dt.date(9999, 12, 31), "", "", "", ""],
            ["K-7", "C-2", "Cell end", "USD", "100", "2026-01-01", dt.date(1900, 1, 1), "", "", ""],
            ["K-8", "C-2", "Arabic", "USD", "100", "2026-01-01", "", "", "", ""],
        ],
        "Rates": RATES + [["K-1", "pounds", "GBP 90", ""]],
        "Time": TIME
        + [
            ["9999-12-31", "Ann", "K-1", "far", "", "1", "", ""],
            ["2262-04-12", "Ann", "K-1", "far", "", "1", "", ""],
            ["0000-01-01", "Ann", "K-1", "year 0", "", "1", "", ""],
            [dt.date(9999, 12, 31), "Ann", "K-1", "cell", "", "1", "", ""],
            [dt.date(1900, 1, 1), "Ann", "K-1", "cell 1900", "", "1", "", ""],
            ["2026-03-02", "Ann", "K-1", "huge", "", "99999999999999999999:00", "", ""],
            ["2026-03-03", "Ann", "K-1", "date in hours", "", dt.date(1900, 1, 1), "", ""],
            ["2026-03-04", "Ann", "K-1", "date in hours", "", dt.date(9999, 12, 31), "", ""],
        ],
        "Payments": PAYMENTS
        + [["2026-03-01", "K-8", "١٢٣", "arabic", ""], ["2026-03-01", "K-8", "１２３", "wide", ""]],
        "Expenses": EXPENSES,
    }
    for name, rows in tabs.items():
        sheet_ = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):  # a date cell: serial 1 is 1900-01-01
                    sheet_.write_number(r, c, (value - dt.date(1899, 12, 30)).days, date)
                elif value != "":
                    sheet_.write(r, c, value)
    book.close()


EXPECTED_ERRORS = [  # (tab, row, column, problem)
    ("Contracts", 5, "Rate", "is in EUR but the contract is in USD"),
    ("Contracts", 6, "Start", RANGE),
    ("Contracts", 7, "Start", RANGE),
    ("Contracts", 8, "End", RANGE),
    ("Rates", 4, "Rate", "is in GBP but the contract is in USD"),
    ("Time", 8, "Date", RANGE),
    ("Time", 9, "Date", RANGE),
    ("Time", 10, "Date", RANGE),
    ("Time", 11, "Date", RANGE),
    ("Time", 12, "Date", RANGE),
    ("Time", 13, "Hours", "is more than 24 hours for one entry"),
    ("Time", 14, "Hours", "is a date, not a number of hours"),
    ("Time", 15, "Hours", "is a date, not a number of hours"),
]


def sync_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("SYNC_")}
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "sync", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def test_the_cli_lists_every_bad_cell_and_computes_the_rest(tmp_path):
    hostile_workbook(tmp_path / "team.xlsx")
    checked = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF.isoformat(), cwd=tmp_path)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    for tab, row, column, problem in EXPECTED_ERRORS:
        assert f"{tab} row {row}, {column}: " in checked.stdout and problem in checked.stdout, (tab, row, column)
    for args in (["run"], ["run", "--quiet"]):
        done = sync_cli(*args, "--book", "team.xlsx", "--as-of", AS_OF.isoformat(), cwd=tmp_path)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        book = openpyxl.load_workbook(tmp_path / "team.xlsx", read_only=True)
        header, *errors = [list(row) for row in book["Errors"].iter_rows(values_only=True)]
        found = {
            (row[header.index("Tab")], row[header.index("Row")], row[header.index("Column")]): (
                row[header.index("Problem")],
                row[header.index("Severity")],
            )
            for row in errors
        }
        for tab, row, column, problem in EXPECTED_ERRORS:
            assert found.get((tab, row, column)) == (problem, "error"), (tab, row, column, found)
        assert not any(key[0] == "Payments" for key in found)  # ١٢٣ and １２３ are amounts
        header, *balances = [list(row) for row in book["Balances"].iter_rows(values_only=True)]
        paid = {row[header.index("Contract ID")]: row[header.index("Paid")] for row in balances}
        assert paid["K-8"] == 246  # 123 + 123
        assert "K-4" not in paid and "K-5" not in paid and "K-6" not in paid and "K-7" not in paid
        book.close()


# --- Google: a date typed into Hours ------------------------------------------------------------


def test_a_date_typed_into_hours_on_google_is_refused_and_a_time_still_counts(emulator, gspread_client):
    time = sheet("""
    | Date       | Contract ID | Hours            |
    | 2026-05-01 | K-1         | 1:30             |
    | 2026-05-02 | K-1         | 2026-01-05       |
    | 2026-05-03 | K-1         | 1/5/2026         |
    | 2026-05-04 | K-1         | 1900-01-01 10:00 |
    | 2026-05-05 | K-1         | 0.5              |
    | 2026-05-06 | K-1         | 1.0625           |
    """)
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator, time=time), value_input="USER_ENTERED")
    assert emulator.cell(spreadsheet, "Time", "C3")["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    gspread_client.open_by_key(spreadsheet).worksheet("Time").format(  # 1.0625 days shown as 25:30:00
        "C7", {"numberFormat": {"type": "TIME", "pattern": "[h]:mm:ss"}}
    )
    result = pipeline.run(google(emulator, spreadsheet), Config(), AS_OF)
    problems = result.problems[result.problems["Tab"] == "Time"]
    assert problems[["Row", "Column", "Problem"]].values.tolist() == [
        [3, "Hours", "is a date, not a number of hours"],
        [4, "Hours", "is a date, not a number of hours"],
        [5, "Hours", "is a date, not a number of hours"],
        [7, "Hours", "is more than 24 hours for one entry"],
    ]
    assert result.ledger.time["ms"].tolist() == [5_400_000, 1_800_000]  # 1:30 is 1.5 h, 0.5 is half an hour
