"""The validation rules: named functions listed per tab, each problem with a stable code beside its message."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings

from sync.app import pipeline
from sync.app.sample import write_sample_book
from sync.backends.memory import MemoryBook
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.config import Config
from sync.model.schema import ERRORS_COLUMNS, INPUT_TAB_NAMES
from sync.rules import validate as rules
from sync.rules.check import CODE, codes_of, problem_table
from sync.shape.report import errors_table
from tests.books import AS_OF, CLIENTS, CONTRACTS, EXPENSES, PAYMENTS, RATES, TIME, small_book, validated
from tests.test_golden import BAD_ROWS, PERIODIC
from tests.test_hostile import hostile_books

CODE_FORM = re.compile(r"[a-z]+(?:-[a-z0-9]+)*\.[a-z]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*")


def test_codes_are_unique_short_and_lowercase():
    codes = rules.all_codes()
    assert len(codes) == len(set(codes)), sorted(code for code in set(codes) if codes.count(code) > 1)
    assert [code for code in codes if not CODE_FORM.fullmatch(code) or len(code) > 60] == []
    assert "time.hours.over-24" in codes and rules.SUMMARY_SHEET_WARNING in codes


def test_every_tab_has_its_rules_each_a_named_plain_function():
    assert tuple(rules.RULES) == INPUT_TAB_NAMES
    for tab, tab_rules in rules.RULES.items():
        assert tab_rules and all(inspect.isfunction(rule) and rule.__name__ != "<lambda>" for rule in tab_rules), tab
        assert len(set(tab_rules)) == len(tab_rules), tab


@contextmanager
def recording() -> Iterator[list[tuple[str, str, list[str]]]]:
    """Within: every rule wrapped so that each run of one is recorded as (tab, rule, the codes of
    the problems it flagged)."""
    runs: list[tuple[str, str, list[str]]] = []

    def wrapped(rule):
        @functools.wraps(rule)  # its name and its declared flags
        def run(check, context):
            before = len(check.found)
            rule(check, context)
            runs.append((check.tab, rule.__name__, [code for part in check.found[before:] for code in part[CODE]]))

        return run

    wrapped_rules = {tab: tuple(map(wrapped, tab_rules)) for tab, tab_rules in rules.RULES.items()}
    with mock.patch.object(rules, "RULES", wrapped_rules):
        yield runs


def test_validate_runs_each_tabs_rules_in_order():
    expected = [(tab, rule.__name__) for tab in INPUT_TAB_NAMES for rule in rules.RULES[tab]]
    with recording() as runs:
        validated(small_book(**BAD_ROWS))
    assert [(tab, name) for tab, name, _ in runs] == expected


def test_the_problems_table_ends_with_the_code_and_the_errors_tab_leaves_it_out():
    _, problems = validated(small_book(**BAD_ROWS))
    assert list(problems.columns) == [*ERRORS_COLUMNS, CODE]
    assert list(problem_table([]).columns) == [*ERRORS_COLUMNS, CODE]
    assert tuple(errors_table(problems).frame.columns) == ERRORS_COLUMNS


# A valid row of each tab of tests.books' small book; a case changes some of its cells.
VALID_ROW = {
    "Clients": {"Client ID": "C-9", "Name": "Nine"},
    "Contracts": {"Contract ID": "K-9", "Client ID": "C-1", "Currency": "USD", "Rate": "100", "Start": "2026-01-01"},
    "Rates": {"Contract ID": "K-2", "Rate": "100"},
    "Time": {"Date": "2026-05-01", "Person": "Zed", "Contract ID": "K-1", "Task": "New", "Hours": "1"},
    "Payments": {"Date": "2026-05-01", "Contract ID": "K-1", "Amount": "10"},
    "Expenses": {"Date": "2026-05-01", "Contract ID": "K-1", "Description": "Fonts", "Amount": "10"},
}
FIRST_TIME_ROW = {
    "Date": "2026-01-10",
    "Person": "Ann",
    "Contract ID": "K-1",
    "Task": "Update plugins",
    "Hours": "1:20",
}
BAD_CONTRACT = {"Contracts": {"Contract ID": "K-8", "Rate": "abc"}}  # row 5, with an error

# (tab, cells changed in its valid row, other rows added first, [(column, problem, severity, code)] of the row)
CASES = [
    (
        "Clients",
        {"Client ID": "C-1"},
        {},
        [("Client ID", "repeats the Client ID of row 2", "error", "clients.client-id.repeated")],
    ),
    ("Clients", {"Name": ""}, {}, [("Name", "is required", "error", "clients.name.required")]),
    (
        "Clients",
        {"Email": "ops@nine.example nope"},
        {},
        [("Email", "is not an e-mail address", "warning", "clients.email.not-an-email")],
    ),
    (
        "Contracts",
        {"Client ID": "C-l"},
        {},
        [
            (
                "Client ID",
                "no client with this ID on the Clients tab; did you mean C-1?",
                "error",
                "contracts.client-id.not-found",
            )
        ],
    ),
    (
        "Contracts",
        {"Currency": "EUX"},
        {},
        [("Currency", "is not an ISO 4217 currency code", "error", "contracts.currency.not-a-currency")],
    ),
    (
        "Contracts",
        {"Rate": "EUR 90"},
        {},
        [("Rate", "is in EUR but the contract is in USD", "error", "contracts.rate.other-currency")],
    ),
    (
        "Contracts",
        {"Rate": "2000000"},
        {},
        [("Rate", "is more than 1,000,000 an hour", "error", "contracts.rate.rate-too-high")],
    ),
    ("Contracts", {"End": "2025-01-01"}, {}, [("End", "is before Start", "error", "contracts.end.before-start")]),
    (
        "Contracts",
        {"Rounding Minutes": "7.5"},
        {},
        [
            (
                "Rounding Minutes",
                "is not a whole number from 0 to 1440",
                "error",
                "contracts.rounding-minutes.not-a-whole-number",
            )
        ],
    ),
    (
        "Contracts",
        {"Low Balance": "-1"},
        {},
        [("Low Balance", "must not be negative", "error", "contracts.low-balance.negative")],
    ),
    (
        "Contracts",
        {"Alert At": "0%, abc"},
        {},
        [
            (
                "Alert At",
                "'0%' must be more than 0; that alert is ignored",
                "warning",
                "contracts.alert-at.not-positive",
            ),
            (
                "Alert At",
                "'abc' is not a percentage (75%) or an amount (2,000.00); that alert is ignored",
                "warning",
                "contracts.alert-at.not-a-percent-or-amount",
            ),
        ],
    ),
    (
        "Contracts",
        {"Alert Client": "maybe"},
        {},
        [("Alert Client", "is not Y or N; the client is not e-mailed", "warning", "contracts.alert-client.not-y-or-n")],
    ),
    (
        "Contracts",
        {"Period": "weekly", "Included Hours": "5"},
        {},
        [("Period", "is not none, monthly, quarterly or yearly", "error", "contracts.period.unknown-period")],
    ),
    (
        "Contracts",
        {"Period": "monthly", "Start": ""},
        {},
        [
            ("Start", "is required when Period is set", "error", "contracts.start.required-with-period"),
            (
                "Included Hours",
                "is required when Period is set",
                "error",
                "contracts.included-hours.required-with-period",
            ),
        ],
    ),
    (
        "Contracts",
        {"Period": "monthly", "Included Hours": "10", "Rollover Cap": "lots"},
        {},
        [("Rollover Cap", "is not a number of hours or all", "error", "contracts.rollover-cap.not-hours-or-all")],
    ),
    (
        "Contracts",
        {"Fee": "500"},
        {},
        [("Fee", "is not used: the contract has no Period", "warning", "contracts.fee.not-used")],
    ),
    (
        "Contracts",
        {"Status": "paused"},
        {},
        [("Status", "is not active, open or closed; treated as active", "warning", "contracts.status.unknown-status")],
    ),
    (
        "Rates",
        {"Contract ID": "K-1", "Work Type": "emergency", "Rate": "300"},
        {},
        [("From", "repeats the contract, work type and From of row 3", "error", "rates.from.repeated")],
    ),
    (
        "Rates",
        {"Contract ID": "K-8"},
        BAD_CONTRACT,
        [("Contract ID", "contract K-8 has an error (Contracts row 5)", "error", "rates.contract-id.has-error")],
    ),
    ("Time", {"Hours": "25"}, {}, [("Hours", "is more than 24 hours for one entry", "error", "time.hours.over-24")]),
    ("Time", {"Hours": ""}, {}, [("Hours", "is required", "error", "time.hours.required")]),
    (
        "Time",
        {"Hours": "lots"},
        {},
        [("Hours", "is not a number of hours (use 1.5, 1:30, 90m or 1h30m)", "error", "time.hours.not-hours")],
    ),
    (
        "Time",
        {"Date": "2026-13-01"},
        {},
        [("Date", "is not a real calendar date", "error", "time.date.not-a-real-date")],
    ),
    (
        "Time",
        {"Date": "05/03/2026"},
        {},
        [
            (
                "Date",
                "is not a date; write it as YYYY-MM-DD, or set date_order to DMY or MDY in the settings file "
                "(contract-sync.toml)",
                "error",
                "time.date.needs-date-order",
            )
        ],
    ),
    ("Time", {"Date": "2026-08-01"}, {}, [("Date", "is in the future", "warning", "time.date.in-future")]),
    (
        "Time",
        {"Date": "2025-06-01"},
        {},
        [("Date", "is outside the contract's Start to End (2026-01-01 to …)", "warning", "time.date.outside-contract")],
    ),
    (
        "Time",
        {"Contract ID": "K-7"},
        {},
        [("Contract ID", "no contract with this ID on the Contracts tab", "error", "time.contract-id.not-found")],
    ),
    (
        "Time",
        {"Contract ID": "K-8"},
        BAD_CONTRACT,
        [("Contract ID", "contract K-8 has an error (Contracts row 5)", "error", "time.contract-id.has-error")],
    ),
    ("Time", {"Billable": "maybe"}, {}, [("Billable", "is not Y or N", "error", "time.billable.not-y-or-n")]),
    (
        "Time",
        FIRST_TIME_ROW,
        {},
        [("Hours", "looks like a duplicate of row 2", "warning", "time.hours.looks-repeated")],
    ),
    (
        "Time",
        {"Work Type": "emergncy"},
        {},
        [
            (
                "Work Type",
                "is not a Work Type on the Rates tab for contract K-1, so its usual rate applies; did you mean "
                "emergency?",
                "warning",
                "time.work-type.not-on-rates",
            )
        ],
    ),
    (
        "Payments",
        {"Contract ID": "K-2", "Amount": "12.345"},
        {},
        [
            (
                "Amount",
                "has more decimals than the contract's currency allows",
                "error",
                "payments.amount.currency-decimals",
            )
        ],
    ),
    (
        "Payments",
        {"Amount": "abc"},
        {},
        [("Amount", "is not an amount (use 1200, 1,200.00 or $1,200.00)", "error", "payments.amount.not-an-amount")],
    ),
    (
        "Payments",
        {"Amount": "EUR 5"},
        {},
        [("Amount", "is in EUR but the contract is in USD", "error", "payments.amount.other-currency")],
    ),
    ("Expenses", {"Amount": ""}, {}, [("Amount", "is required", "error", "expenses.amount.required")]),
    ("Expenses", {"Billable": "maybe"}, {}, [("Billable", "is not Y or N", "error", "expenses.billable.not-y-or-n")]),
]


def with_rows(tabs: dict[str, list[list]], added: dict[str, dict[str, object]]) -> dict[str, list[list]]:
    """`tabs` with a row added at the end of some: its cells by column, a column the tab lacks added blank."""
    tabs = {name: [list(row) for row in rows] for name, rows in tabs.items()}
    for name, cells in added.items():
        header = tabs[name][0]
        for column in cells:
            if column not in header:
                header.append(column)
                for row in tabs[name][1:]:
                    row.append("")
        tabs[name].append([cells.get(column, "") for column in header])
    return tabs


@pytest.mark.parametrize("tab, changed, before, expected", CASES, ids=[case[3][0][3] for case in CASES])
def test_a_bad_row_gets_its_rules_code_beside_the_message(tab, changed, before, expected):
    tabs = {
        "Clients": CLIENTS,
        "Contracts": CONTRACTS,
        "Rates": RATES,
        "Time": TIME,
        "Payments": PAYMENTS,
        "Expenses": EXPENSES,
    }
    tabs = with_rows(tabs, {name: VALID_ROW[name] | cells for name, cells in before.items()})
    tabs = with_rows(tabs, {tab: VALID_ROW[tab] | changed})
    _, problems = validated(MemoryBook(tabs))
    row = len(tabs[tab])
    found = problems[(problems["Tab"] == tab) & (problems["Row"] == row)]
    assert found[["Column", "Problem", "Severity", CODE]].values.tolist() == [list(problem) for problem in expected]
    assert set(found[CODE]) <= set(rules.all_codes())


def assert_every_rule_codes_its_problems(runs: list[tuple[str, str, list[str]]]) -> None:
    declared = {
        (tab, rule.__name__): set(codes_of(tab, rule)) for tab, tab_rules in rules.RULES.items() for rule in tab_rules
    }
    for tab, name, codes in runs:
        assert all(isinstance(code, str) and code for code in codes), (tab, name, codes)
        assert set(codes) <= declared[tab, name], (tab, name, set(codes) - declared[tab, name])


@pytest.mark.parametrize("tabs", [BAD_ROWS, PERIODIC], ids=["golden bad rows", "golden periodic"])
def test_every_problem_of_the_golden_books_has_the_code_its_rule_declares(tabs):
    with recording() as runs:
        _, problems = validated(small_book(**tabs))
    assert_every_rule_codes_its_problems(runs)
    assert problems[CODE].map(lambda code: isinstance(code, str) and bool(CODE_FORM.fullmatch(code))).all()


def test_every_problem_of_the_sample_book_has_a_code(tmp_path: Path):
    book = tmp_path / "sample.xlsx"
    write_sample_book(book, AS_OF)
    with recording() as runs:
        result = pipeline.check(LocalWorkbook(book), Config(), AS_OF)
    assert_every_rule_codes_its_problems(runs)
    assert len(result.problems) and result.problems[CODE].map(lambda code: isinstance(code, str) and code != "").all()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_books())
def test_every_problem_of_a_hostile_book_has_the_code_its_rule_declares(tabs):
    with recording() as runs:
        validated(
            MemoryBook({name: [list(row) for row in rows] for name, rows in tabs.items()}),
            config=Config(date_order="DMY"),
            as_of=dt.date(2026, 6, 30),
        )
    assert_every_rule_codes_its_problems(runs)


def test_a_summary_sheet_warning_has_its_code_and_the_errors_tab_stays_as_it_was():
    clients = [
        ["Client ID", "Name", "Email", "Summary Sheet"],
        ["C-1", "Acme Ltd", "ops@acme.example", "shared"],
        ["C-2", "Bolt Bakery", "bo@bolt.example", "shared"],
    ]
    book = small_book(Clients=clients)
    result = pipeline.run(book, Config(), AS_OF)
    assert result.problems.drop(columns=CODE).values.tolist() == [
        [
            "Clients",
            3,
            "Summary Sheet",
            "shared",
            "is also the summary of Clients row 2; summary not written",
            "warning",
        ]
    ]
    assert result.problems[CODE].tolist() == [rules.SUMMARY_SHEET_WARNING]
    assert tuple(book.outputs["Errors"].frame.columns) == ERRORS_COLUMNS


def test_nothing_matches_a_message_to_act_on_it():
    """Codes, not messages: no rule reads a problem's text (problems.replace/startswith/map on the text)."""
    source = "\n".join(path.read_text() for path in Path(rules.__file__).parent.glob("*.py"))
    assert "def contract_money" in source
    assert not re.search(r"problems?\.(replace|map|str\.|startswith)|\.startswith\(\"is ", source)
