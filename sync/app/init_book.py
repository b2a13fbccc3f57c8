"""`python -m sync init`: a fresh team workbook: an Instructions tab with examples, then every input tab
with its header, formats and dropdowns, and no rows.

The examples live on the Instructions tab only, which the sync never reads: example rows on the
input tabs were real rows to the sync, and `share` once created and shared spreadsheets for the
example clients. google_setup.create_input_tabs lays out a Google spreadsheet the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from sync.backends.cells import DATE_FORMAT, WORKBOOK_OPTIONS, money_format
from sync.errors import BookError
from sync.model.schema import DATE_COLUMNS, INPUT_TABS, OUTPUT_TABS, SYNC_LOG
from sync.rules.validate import REQUEST_STATUSES

MONEY_COLUMNS = {"Rate", "Amount", "Low Balance"}
VALIDATED_ROWS = (1, 9999)  # 0-based: sheet rows 2..10000
LIST_SOURCE_ROWS = "$2:$1000"
INSTRUCTIONS = "Instructions"  # not a tab the sync reads or writes: a name of the team's own to it

# Keyed by column name so the examples follow the schema wherever its columns move.
EXAMPLE_ROWS: dict[str, list[dict[str, object]]] = {
    "Clients": [
        {"Client ID": "C-001", "Name": "Acme Ltd", "Email": "accounts@acme.example"},
        {"Client ID": "C-002", "Name": "Bluebird Cafe", "Email": "hello@bluebird.example"},
    ],
    "Contracts": [
        {
            "Contract ID": "K-001",
            "Client ID": "C-001",
            "Name": "Website care plan",
            "Currency": "USD",
            "Rate": 120,
            "Start": dt.date(2026, 1, 1),
            "Rounding Minutes": 15,
            "Low Balance": 500,
            "Status": "active",
            "Alert At": "75%, 90%, 100%",
            "Alert Client": "N",
        },
        {
            "Contract ID": "K-002",
            "Client ID": "C-002",
            "Name": "Hosting and updates",
            "Currency": "USD",
            "Rate": 95,
            "Start": dt.date(2026, 2, 1),
            "Rounding Minutes": 15,
            "Low Balance": 200,
            "Status": "active",
            "Period": "monthly",
            "Included Hours": 10,
            "Fee": 950,
            "Rollover Cap": 5,
        },
    ],
    "Rates": [
        {"Contract ID": "K-001", "Work Type": "Development", "Rate": 140, "From": dt.date(2026, 1, 1)},
    ],
    "Requests": [
        {
            "Request ID": "REQ-1",
            "Contract ID": "K-001",
            "Title": "Fix contact form",
            "Requested": dt.date(2026, 1, 7),
            "Requested By": "Jo at Acme",
            "Status": "done",
            "Done": dt.date(2026, 1, 8),
            "Estimate": 2,
            "Client Visible": "Y",
            "Notes": "They asked by phone",
        },
    ],
    "Time": [
        {
            "Date": dt.date(2026, 1, 6),
            "Person": "Sam",
            "Contract ID": "K-001",
            "Task": "Update plugins",
            "Work Type": "Maintenance",
            "Hours": 1.5,
            "Billable": "Y",
        },
        {
            "Date": dt.date(2026, 1, 8),
            "Person": "Ana",
            "Contract ID": "K-001",
            "Task": "Fix contact form",
            "Work Type": "Development",
            "Hours": "1:30",
            "Billable": "Y",
            "Notes": "Reported by phone",
            "Request ID": "REQ-1",
        },
    ],
    "Payments": [
        {
            "Date": dt.date(2026, 1, 2),
            "Contract ID": "K-001",
            "Amount": 1200,
            "Reference": "INV-1001",
            "Notes": "Prepaid 10 hours",
        },
    ],
    "Expenses": [
        {
            "Date": dt.date(2026, 1, 15),
            "Contract ID": "K-001",
            "Description": "Premium plugin licence",
            "Amount": 49,
            "Billable": "Y",
        },
    ],
}
TAB_PURPOSES = {
    "Clients": "One row per client. Contracts name their client by its Client ID.",
    "Contracts": "One row per prepaid contract of a client. The other tabs name a contract by its Contract ID. "
    "A Period (monthly, quarterly, yearly) makes it a retainer with Included Hours and a Fee.",
    "Rates": "Optional. A contract's rate from a date on, or for one Work Type; without a row here every hour is "
    "billed at the contract's Rate.",
    "Requests": "Optional. One row per thing a client asked for; Time rows name it by its Request ID. The client "
    "sees its Title, Status and hours when Client Visible is Y (or blank), never Requested By or Notes.",
    "Time": "One row per piece of work. The client sees Date, Task, Work Type and Hours, never Person or Notes.",
    "Payments": "One row per payment received: the prepaid money.",
    "Expenses": "Optional. One row per cost charged to a contract, such as a licence.",
}
INTRODUCTION = (
    "How to fill in this workbook",
    f"Type your own rows on the tabs {', '.join(tab.name for tab in INPUT_TABS[:-1])} and {INPUT_TABS[-1].name}, "
    "below their header row. Each tab is shown below: what goes on it, its columns, and example rows.",
    f"The sync never reads this tab, so its examples are never counted, shared or e-mailed. It writes "
    f"{', '.join(OUTPUT_TABS)} and {SYNC_LOG} itself: do not type on those.",
    "A column marked required must be filled in on every row; the others may be left blank. Columns may be in "
    "any order, and columns of your own are ignored.",
    "Dates as 2026-01-31 (or date cells); hours as 1.5, 1:30 or 90m; amounts as 1200 or 1,200.00. "
    "sheets_schema.md describes every column.",
    "Then run python -m sync check on it (with --book for a workbook, --sheet for a Google spreadsheet): it lists "
    "every problem and writes nothing.",
)


def instruction_rows() -> list[tuple[str, list[object]]]:
    """The Instructions tab, row by row: (kind, cells), kind being title, text, tab, header, required,
    example or blank (how the row is styled). Example dates are ISO text, as a person would type them."""
    rows: list[tuple[str, list[object]]] = [("title", [INTRODUCTION[0]])]
    rows += [("text", [line]) for line in INTRODUCTION[1:]]
    for tab in INPUT_TABS:
        names = [column.name for column in tab.columns]
        rows += [
            ("blank", []),
            ("tab", [f"{tab.name} tab"]),
            ("text", [TAB_PURPOSES[tab.name]]),
            ("header", list(names)),
            ("required", ["required" if column.required else "" for column in tab.columns]),
        ]
        rows += [("example", [_shown(example.get(name)) for name in names]) for example in EXAMPLE_ROWS[tab.name]]
    return rows


def _shown(value: object) -> object:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else value


def create_template(path: Path) -> None:
    """Create an empty team workbook at `path`; refuse to replace anything already there, and a name
    that does not end in .xlsx (what is written is an .xlsx, whatever the name says)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise BookError(
            f"{path}: init writes an .xlsx workbook, so its name must end in .xlsx "
            f"({path.with_suffix('.xlsx').name}, say)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = open(path, "xb")  # noqa: SIM115 - "x": no window between checking and creating; closed below
    except FileExistsError:
        raise BookError(f"{path} already exists; choose another path") from None
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
    if column in ("Billable", "Client Visible"):
        return {"validate": "list", "source": ["Y", "N"]}
    if column == "Status" and tab == "Requests":
        return {"validate": "list", "source": list(REQUEST_STATUSES)}
    if column == "Contract ID" and tab != "Contracts":
        return {
            "validate": "list",
            "source": list_source("Contracts", "Contract ID"),
            "error_title": "Unknown contract",
            "error_message": "Pick a Contract ID from the Contracts tab.",
        }
    if column == "Client ID" and tab != "Clients":
        return {
            "validate": "list",
            "source": list_source("Clients", "Client ID"),
            "error_title": "Unknown client",
            "error_message": "Pick a Client ID from the Clients tab.",
        }
    return None


def _write_template(handle: IO[bytes]) -> None:
    workbook = xlsxwriter.Workbook(handle, WORKBOOK_OPTIONS)
    workbook.set_properties({"title": "Maintenance contracts"})
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": DATE_FORMAT})
    money = workbook.add_format({"num_format": money_format(2)})  # two decimals, as most currencies have
    _write_instructions(workbook.add_worksheet(INSTRUCTIONS), workbook)
    for tab in INPUT_TABS:
        sheet: Worksheet = workbook.add_worksheet(tab.name)
        for col, column in enumerate(c.name for c in tab.columns):
            # The column format styles the cells the team types.
            look = date if column in DATE_COLUMNS else money if column in MONEY_COLUMNS else None
            sheet.set_column(col, col, max(12, len(column) + 4), look)
            sheet.write_string(0, col, column, bold)
            rule = _validation(tab.name, column)
            if rule:
                sheet.data_validation(VALIDATED_ROWS[0], col, VALIDATED_ROWS[1], col, rule)
        sheet.freeze_panes(1, 0)
    workbook.close()


def _write_instructions(sheet: Worksheet, workbook: xlsxwriter.Workbook) -> None:
    styles: dict[str, Format | None] = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "tab": workbook.add_format({"bold": True}),
        "header": workbook.add_format({"bold": True, "bottom": 1}),
        "required": workbook.add_format({"italic": True, "font_color": "#9C0006"}),
        "text": None,
        "example": workbook.add_format({"font_color": "#595959"}),
        "blank": None,
    }
    sheet.set_column(0, max(len(tab.columns) for tab in INPUT_TABS) - 1, 16)
    for row, (kind, cells) in enumerate(instruction_rows()):
        for col, value in enumerate(cells):
            if isinstance(value, (int, float)):
                sheet.write_number(row, col, value, styles[kind])
            elif value != "":
                sheet.write_string(row, col, str(value), styles[kind])
