"""`python -m sync init`: a fresh team workbook with every input tab, example rows and dropdowns."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from sync.errors import SyncError
from sync.schema import DATE_COLUMNS, INPUT_TABS

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
MONEY_COLUMNS = {"Rate", "Amount", "Low Balance"}
VALIDATED_ROWS = (1, 9999)  # 0-based: sheet rows 2..10000
LIST_SOURCE_ROWS = "$2:$1000"

# Keyed by column name so the examples follow the schema wherever its columns move.
EXAMPLE_ROWS: dict[str, list[dict[str, object]]] = {
    "Clients": [
        {"Client ID": "C-001", "Name": "Acme Ltd", "Email": "accounts@acme.example"},
        {"Client ID": "C-002", "Name": "Bluebird Cafe", "Email": "hello@bluebird.example"},
    ],
    "Contracts": [
        {"Contract ID": "K-001", "Client ID": "C-001", "Name": "Website care plan", "Currency": "USD",
         "Rate": 120, "Start": dt.date(2026, 1, 1), "Rounding Minutes": 15, "Low Balance": 500,
         "Status": "active", "Alert At": "75%, 90%, 100%", "Alert Client": "N"},
        {"Contract ID": "K-002", "Client ID": "C-002", "Name": "Hosting and updates", "Currency": "USD",
         "Rate": 95, "Start": dt.date(2026, 2, 1), "Rounding Minutes": 15, "Low Balance": 200,
         "Status": "active"},
    ],
    "Rates": [
        {"Contract ID": "K-001", "Work Type": "Development", "Rate": 140, "From": dt.date(2026, 1, 1)},
    ],
    "Time": [
        {"Date": dt.date(2026, 1, 6), "Person": "Sam", "Contract ID": "K-001", "Task": "Update plugins",
         "Work Type": "Maintenance", "Hours": 1.5, "Billable": "Y"},
        {"Date": dt.date(2026, 1, 8), "Person": "Ana", "Contract ID": "K-001", "Task": "Fix contact form",
         "Work Type": "Development", "Hours": "1:30", "Billable": "Y", "Notes": "Reported by phone"},
    ],
    "Payments": [
        {"Date": dt.date(2026, 1, 2), "Contract ID": "K-001", "Amount": 1200, "Reference": "INV-1001",
         "Notes": "Prepaid 10 hours"},
    ],
    "Expenses": [
        {"Date": dt.date(2026, 1, 15), "Contract ID": "K-001", "Description": "Premium plugin licence",
         "Amount": 49, "Billable": "Y"},
    ],
}


def create_template(path: Path) -> None:
    """Create an empty team workbook at `path`; refuse to replace anything already there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = open(path, "xb")  # "x": no window between checking and creating
    except FileExistsError:
        raise SyncError(f"{path} already exists; choose another path") from None
    try:
        with handle:
            _write_template(handle)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def list_source(tab: str, column: str) -> str:
    """'=Contracts!$A$2:$A$1000': the dropdown source for one column of another tab."""
    columns = next(t for t in INPUT_TABS if t.name == tab).columns
    letter = xl_col_to_name([c.name for c in columns].index(column))
    start, end = LIST_SOURCE_ROWS.split(":")
    return f"={tab}!${letter}{start}:${letter}{end}"


def _validation(tab: str, column: str) -> dict[str, object] | None:
    if column == "Billable":
        return {"validate": "list", "source": ["Y", "N"]}
    if column == "Contract ID" and tab != "Contracts":
        return {"validate": "list", "source": list_source("Contracts", "Contract ID"),
                "error_title": "Unknown contract",
                "error_message": "Pick a Contract ID from the Contracts tab."}
    if column == "Client ID" and tab != "Clients":
        return {"validate": "list", "source": list_source("Clients", "Client ID"),
                "error_title": "Unknown client", "error_message": "Pick a Client ID from the Clients tab."}
    return None


def _write_template(handle: IO[bytes]) -> None:
    workbook = xlsxwriter.Workbook(handle, WORKBOOK_OPTIONS)
    workbook.set_properties({"title": "Maintenance contracts"})
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for tab in INPUT_TABS:
        sheet: Worksheet = workbook.add_worksheet(tab.name)
        for col, column in enumerate(c.name for c in tab.columns):
            # The column format also styles the cells the team types later.
            look = date if column in DATE_COLUMNS else money if column in MONEY_COLUMNS else None
            sheet.set_column(col, col, max(12, len(column) + 4), look)
            sheet.write_string(0, col, column, bold)
            for row, example in enumerate(EXAMPLE_ROWS.get(tab.name, []), start=1):
                _write_example(sheet, row, col, example.get(column), look)
            rule = _validation(tab.name, column)
            if rule:
                sheet.data_validation(VALIDATED_ROWS[0], col, VALIDATED_ROWS[1], col, rule)
        sheet.freeze_panes(1, 0)
    workbook.close()


def _write_example(sheet: Worksheet, row: int, col: int, value: object, look: Format | None) -> None:
    if value is None:
        return
    if isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, look)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, look)
    else:
        sheet.write_string(row, col, str(value))
