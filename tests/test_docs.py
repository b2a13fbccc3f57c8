"""sheets_schema.md is what the team reads: its tabs, columns, worked example and the messages it quotes
must be the code's."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from sync.app import pipeline
from sync.backends.memory import MemoryBook
from sync.backends.xlsx.file import refuse_other_formats
from sync.config import Config
from sync.errors import SyncError
from sync.model.schema import CLIENT_TABS, INPUT_TABS, OUTPUT_TABS, SYNC_LOG, SYNC_LOG_COLUMNS
from sync.model.table import Table
from sync.rules.cells import parse_dates
from sync.rules.load import input_frames
from sync.shape import dashboard
from sync.shape.report import client_tables
from tests.books import CONTRACTS, RATES, TIME, small_book, validated

DOC = Path(__file__).resolve().parent.parent / "sheets_schema.md"
CLIENT_PREFIX = "Client summary: "
INPUT_HEADER = ["Column", "Required", "What it holds", "Example"]
OUTPUT_HEADER = ["Column", "What it holds", "Example"]
EXAMPLE = "Worked example"


def sections(text: str, level: int) -> list[tuple[str, str]]:
    """(heading, body) for each heading of exactly this level, body running to the next one."""
    parts = re.split(rf"^{'#' * level} (.+?)\s*$", text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2]))


def tables(body: str) -> list[list[list[str]]]:
    """Each Markdown table in `body` as rows of stripped cells, header first, separator row dropped."""
    found, current = [], []
    for line in body.splitlines() + [""]:
        line = line.strip()
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            cells = [cell.strip() for cell in line[1:-1].split("|")]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


DOC_SECTIONS = sections(DOC.read_text(encoding="utf-8"), 2)


def column_tables() -> list[tuple[str, list[list[list[str]]]]]:
    """(heading, its tables of columns) for each section with one: a table whose header starts 'Column'
    (or 'Part', the parts of the client's Summary dashboard)."""
    found = [
        (heading, [table for table in tables(body) if table[0][0] in ("Column", "Part")])
        for heading, body in DOC_SECTIONS
    ]
    return [(heading, candidates) for heading, candidates in found if candidates]


COLUMN_TABLES = {heading: candidates[0] for heading, candidates in column_tables()}


def column_names(heading: str, header: list[str]) -> list[str]:
    table = COLUMN_TABLES[heading]
    assert table[0] == header, f"section '{heading}': table header {table[0]}, expected {header}"
    names = []
    for row in table[1:]:
        match = re.fullmatch(r"`([^`]+)`", row[0])
        assert match, f"section '{heading}': first cell {row[0]!r} is not a column name in backticks"
        names.append(match.group(1))
    return names


def section_body(heading: str) -> str:
    bodies = [body for name, body in DOC_SECTIONS if name == heading]
    assert len(bodies) == 1, f"expected one section '{heading}', found {len(bodies)}"
    return bodies[0]


# --- tabs and columns --------------------------------------------------------------------

EXPECTED_SECTIONS = (
    [tab.name for tab in INPUT_TABS] + list(OUTPUT_TABS) + [SYNC_LOG] + [CLIENT_PREFIX + name for name in CLIENT_TABS]
)


def test_every_tab_has_one_section_in_schema_order_and_no_other():
    assert [heading for heading, _ in column_tables()] == EXPECTED_SECTIONS


def test_each_tab_section_has_one_table_of_columns():
    assert [heading for heading, candidates in column_tables() if len(candidates) != 1] == []


def test_no_section_names_a_client_tab_the_code_lacks():
    named = [heading for heading, _ in DOC_SECTIONS if heading.startswith(CLIENT_PREFIX)]
    assert named == [CLIENT_PREFIX + name for name in CLIENT_TABS]


@pytest.mark.parametrize("tab", INPUT_TABS, ids=lambda tab: tab.name)
def test_input_tab_columns_and_required(tab):
    assert column_names(tab.name, INPUT_HEADER) == [column.name for column in tab.columns]
    required = [row[1].casefold() for row in COLUMN_TABLES[tab.name][1:]]
    assert required == ["yes" if column.required else "no" for column in tab.columns]


@pytest.mark.parametrize("tab", INPUT_TABS, ids=lambda tab: tab.name)
def test_optional_tabs_say_so(tab):
    assert ("this tab is optional" in section_body(tab.name).casefold()) == tab.optional


@pytest.mark.parametrize("name", list(OUTPUT_TABS))
def test_output_tab_columns(name):
    assert column_names(name, OUTPUT_HEADER) == list(OUTPUT_TABS[name])


def test_sync_log_columns():
    assert column_names(SYNC_LOG, OUTPUT_HEADER) == list(SYNC_LOG_COLUMNS)


@pytest.mark.parametrize("name", [name for name in CLIENT_TABS if name != "Summary"])
def test_client_summary_tab_columns(name):
    assert column_names(CLIENT_PREFIX + name, OUTPUT_HEADER) == list(CLIENT_TABS[name])


def test_the_summary_dashboards_words_are_all_described():
    """Every label, heading and sentence start a dashboard shows is in its section."""
    section = dict(DOC_SECTIONS)[CLIENT_PREFIX + "Summary"]
    assert COLUMN_TABLES[CLIENT_PREFIX + "Summary"][0] == ["Part", "What it shows", "Example"]
    words = [
        *dashboard.STATUS_SENTENCES.values(),
        "Balance", "Paid", "Used", "Hours it still buys", "Lasts until about", "Hours left this period",
        "Period ends", dashboard.CHART_TITLE, f"Work completed in the last {dashboard.RECENT_DAYS} days",
        "Contract summary as of", "no contract yet", "At the recent pace, the balance lasts until about",
        "see the Activity tab", "included", "No work was logged from", "Requests", "Completed this month:",
        "requests,", "hours", "Open:", "the oldest was requested", "days ago",
    ]  # fmt: skip
    assert [word for word in words if word not in section] == []


# --- the worked example is what the code computes ----------------------------------------------


def shown(table: Table) -> list[list[str]]:
    """A table's cells as the doc prints them: money with a thousands comma, blanks empty."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return f"{value:,}"
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return str(value)

    return [[cell(value) for value in row] for row in table.rows()]


@pytest.fixture(scope="module")
def example():
    body = section_body(EXAMPLE)
    parts = dict(sections(body, 3))
    as_of = dt.date.fromisoformat(re.search(r"As Of date \*\*(\d{4}-\d{2}-\d{2})\*\*", body).group(1))
    tabs = {tab.name: tables(parts[tab.name])[0] for tab in INPUT_TABS if tab.name in parts}
    result = pipeline.run(MemoryBook(tabs), Config(), as_of)
    return parts, result


def test_example_book_has_no_problems(example):
    parts, result = example
    assert result.exit_code == 0
    assert result.problems.empty


def test_example_balances(example):
    parts, result = example
    printed = tables(parts["Result: Balances"])[0]
    balances = result.tables["Balances"]
    assert printed[0][1:] == balances.frame["Contract ID"].tolist()
    assert [row[0] for row in printed[1:]] == balances.columns
    computed = list(zip(*shown(balances)))  # one tuple per column
    for row, values in zip(printed[1:], computed):
        if row[0] != "Computed At":
            assert row[1:] == list(values), f"Balances column {row[0]}"


def test_example_monthly(example):
    parts, result = example
    assert tables(parts["Result: Monthly"])[0] == [
        list(result.tables["Monthly"].columns),
        *shown(result.tables["Monthly"]),
    ]


def test_example_client_activity(example):
    parts, result = example
    ((heading, client_id),) = [
        (name, match.group(1)) for name in parts if (match := re.fullmatch(r"Result: Activity of client (\S+)", name))
    ]
    activity = dict(client_tables(result.ledger, result.tables["Balances"].frame, [client_id]))[client_id]["Activity"]
    assert tables(parts[heading])[0] == [activity.columns, *shown(activity)]


# --- the retainer period examples are what the code computes -----------------------------------

PERIOD_EXAMPLES = "Worked examples: retainer periods"
EXAMPLE_CLIENTS = [["Client ID", "Name"], ["C-1", "Example client"]]
NO_PAYMENTS = [["Date", "Contract ID", "Amount"]]


def period_examples() -> list[tuple[str, str]]:
    return sections(section_body(PERIOD_EXAMPLES), 3)


def test_the_requested_period_examples_are_there():
    assert [title for title, _ in period_examples()] == [
        "A quiet month that carries over",
        "A busy month: carried hours, then overage",
        "Carried hours expire",
        "A mid-month start",
        "An End date",
    ]


@pytest.mark.parametrize("title, body", period_examples(), ids=[title for title, _ in period_examples()])
def test_period_example(title, body):
    parts = dict(sections(body, 4))
    as_of = dt.date.fromisoformat(re.search(r"As Of date \*\*(\d{4}-\d{2}-\d{2})\*\*", body).group(1))
    tabs = {
        "Clients": EXAMPLE_CLIENTS,
        "Contracts": tables(parts["Contracts"])[0],
        "Time": tables(parts["Time"])[0],
        "Payments": NO_PAYMENTS,
    }
    book = MemoryBook(tabs)
    result = pipeline.run(book, Config(), as_of)
    assert result.exit_code == 0 and result.problems.empty
    periods, balances = result.tables["Periods"], result.tables["Balances"]
    assert tables(parts["Result: Periods"])[0] == [periods.columns, *shown(periods)]
    printed = tables(parts["Result: Balances"])[0]
    assert printed[1:] == [[row[balances.columns.index(name)] for name in printed[0]] for row in shown(balances)]
    # The client sees the same periods, and the current one on their Summary.
    client = book.summaries["clients/C-1"]
    assert shown(client["Periods"]) == shown(periods)
    summary = dict(zip(client["Summary"].columns, shown(client["Summary"])[0]))
    assert (summary["Period Left"], summary["Pace"]) == tuple(
        printed[1][printed[0].index(name)] for name in ("Period Hours Left", "Pace")
    )
    current = [row[3:6] for row in shown(periods) if row[1] <= as_of.isoformat() <= row[2]] or [["", "", ""]]
    assert [summary[name] for name in ("Period Included", "Period Carried", "Period Used")] == current[0]


# --- the requests example is what the code computes ------------------------------------------------

REQUESTS_EXAMPLE = "Worked example: requests"


@pytest.fixture(scope="module")
def requests_example():
    body = section_body(REQUESTS_EXAMPLE)
    parts = dict(sections(body, 3))
    as_of = dt.date.fromisoformat(re.search(r"As Of date \*\*(\d{4}-\d{2}-\d{2})\*\*", body).group(1))
    tabs = {name: tables(parts[name])[0] for name in ("Contracts", "Requests", "Time")}
    book = MemoryBook({**tabs, "Clients": EXAMPLE_CLIENTS, "Payments": NO_PAYMENTS})
    result = pipeline.run(book, Config(), as_of)
    assert result.exit_code == 0 and result.problems.empty
    return parts, result, book


def test_requests_example_summary_tab(requests_example):
    parts, result, _ = requests_example
    summary = result.tables["Requests Summary"]
    assert tables(parts["Result: Requests Summary"])[0] == [summary.columns, *shown(summary)]


def test_requests_example_client_tabs(requests_example):
    parts, _, book = requests_example
    client = book.summaries["clients/C-1"]
    for name in ("Requests", "Activity"):
        assert tables(parts[f"Result: {name} of client C-1"])[0] == [client[name].columns, *shown(client[name])]


def test_requests_example_dashboard_lines(requests_example):
    parts, _, book = requests_example
    printed = [line.strip() for line in parts["Result: the client's Summary"].splitlines() if line.strip()]
    lines = book.dashboards["clients/C-1"].text().splitlines()
    assert [line for line in printed if line in lines] == printed


# --- every money column is checked against its contract's currency, as Cell formats lists them ----

MONEY_TABLE = ["Tab", "Money columns"]
VALID_ROWS = {  # one valid row per tab, on the USD retainer K-1
    "Clients": {"Client ID": "C-1", "Name": "Acme"},
    "Contracts": {
        "Contract ID": "K-1",
        "Client ID": "C-1",
        "Currency": "USD",
        "Rate": "100",
        "Start": "2026-01-01",
        "Period": "monthly",
        "Included Hours": "10",
    },
    "Rates": {"Contract ID": "K-1", "Rate": "100"},
    "Requests": {"Request ID": "Q-1", "Contract ID": "K-1", "Title": "Fix"},
    "Time": {"Date": "2026-01-05", "Contract ID": "K-1", "Hours": "1"},
    "Payments": {"Date": "2026-01-05", "Contract ID": "K-1", "Amount": "100"},
    "Expenses": {"Date": "2026-01-05", "Contract ID": "K-1", "Amount": "10"},
}


def test_the_money_columns_listed_are_those_checked_against_the_contracts_currency():
    money = dict(sections(section_body("Cell formats"), 3))["Money"]
    (listed,) = [table for table in tables(money) if table[0] == MONEY_TABLE]
    documented = {(tab, name) for tab, names in listed[1:] for name in re.findall(r"`([^`]+)`", names)}
    tabs = {}
    for tab in INPUT_TABS:  # the valid row, then a copy of it per column with `EUR 5` in that column
        names = [column.name for column in tab.columns]
        rows = [[VALID_ROWS[tab.name].get(name, "") for name in names]]
        for i in range(len(names)):
            row = list(rows[0])
            if tab.name in ("Clients", "Contracts", "Requests"):
                row[0] = f"{row[0]}-{i}"  # a row of its own
            row[i] = "EUR 5"
            rows.append(row)
        tabs[tab.name] = [names, *rows]
    book, problems = validated(MemoryBook(tabs), dt.date(2026, 6, 30))
    checked = problems[problems["Problem"].str.contains("is in EUR but the contract is in USD")]
    assert set(zip(checked["Tab"], checked["Column"])) == documented
    assert (checked["Severity"] == "error").tolist() == (checked["Column"] != "Alert At").tolist()
    assert all(2 in frame["row"].tolist() for frame in book)  # each tab's valid row is valid indeed


# --- the messages this page quotes are the code's -------------------------------------------------------


def said(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces: a quoted message may wrap."""
    return " ".join(text.split())


def quotes(heading: str, message: str) -> bool:
    """Whether the section quotes the message whole, in backticks."""
    return f"`{said(message)}`" in said(section_body(heading))


@pytest.mark.parametrize(
    "typed, date_order",
    [
        ("05/03/2026", ""),
        ("31/02/2026", ""),
        ("March 5 2026", ""),
        ("2026/03/05", ""),
        ("2026-02-30", ""),
        ("31/02/2026", "DMY"),
    ],
)
def test_the_date_problems_quoted_are_the_parsers(typed, date_order):
    problem = parse_dates(pd.Series([typed], dtype=object), date_order)[1].iloc[0]
    assert quotes("Cell formats", problem), problem


@pytest.mark.parametrize(
    "tabs",
    [
        {"Time": [row[:5] + row[6:] for row in TIME]},
        {"Payments": None},
        {"Clients": None, "Payments": None, "Time": [row[1:5] + row[6:] for row in TIME]},
    ],
    ids=["a column", "a tab", "several tabs and columns"],
)
def test_the_missing_tab_and_column_messages_quoted_are_the_loaders(tabs):
    with pytest.raises(SyncError) as raised:
        input_frames(small_book(**tabs).read_tabs([tab.name for tab in INPUT_TABS]))
    assert quotes("How the sync reads the workbook", str(raised.value)), str(raised.value)


def test_the_did_you_mean_messages_quoted_are_the_validators():
    contracts = CONTRACTS + [["K-101", "C-l", "x", "USD", "100", "", "", "", "", ""]]
    time = TIME + [
        ["2026-05-02", "Ann", "K-1O1", "x", "", "1", "", ""],
        ["2026-05-02", "Ann", "K-1", "x", "Developmnet", "1", "", ""],
    ]
    rates = RATES + [["K-1", "Development", "140", ""]]
    _, problems = validated(small_book(Contracts=contracts, Time=time, Rates=rates), dt.date(2026, 6, 30))
    problem = dict(zip(problems["Column"] + " " + problems["Value"], problems["Problem"]))
    assert quotes("Cell formats", problem["Contract ID K-1O1"])
    assert quotes("Cell formats", problem["Client ID C-l"])
    assert quotes("Time", problem["Work Type Developmnet"])


def test_a_file_that_is_not_an_xlsx_is_said_as_quoted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile("team.ods", "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(SyncError) as raised:
        refuse_other_formats(Path("team.ods"))
    assert quotes("How the sync reads the workbook", str(raised.value)), str(raised.value)
