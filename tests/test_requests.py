"""Client requests (issue 14): the Requests tab's rules, the time logged against a request, the team's
Requests Summary, and what the client sees of them, on every backend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from sync.app import pipeline
from sync.backends.google.http import connect
from sync.backends.memory import MemoryBook
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.config import Config
from sync.model.schema import CLIENT_TABS, REQUESTS_SUMMARY, REQUESTS_SUMMARY_COLUMNS
from tests.books import AS_OF, CONTRACTS, sheet, small_book, validated
from tests.books import TIME as BOOK_TIME
from tests.test_google import google, run, team_tabs
from tests.test_local_book import read_tabs, write_team_book

REQUESTS = sheet("""
| Request ID | Contract ID | Title          | Requested  | Requested By | Status      | Done       | Estimate | Client Visible | Notes             |
| R-1        | K-1         | Outage fix     | 2026-02-01 | Dana         | done        | 2026-06-05 | 1        |                | secret note one   |
| R-2        | K-1         | Backups review | 2026-06-10 | Dana         | In Progress |            | 2        | Y              | secret note two   |
| R-3        | K-1         | Internal audit | 2026-05-01 | Ann          | open        |            |          | N              | secret note three |
| R-4        | K-2         | Banner         | 2026-02-09 | Bo           | DONE        | 2026-06-12 |          | N              |                   |
""")

TIME = sheet("""
| Date       | Person | Contract ID | Task           | Work Type | Hours | Billable | Notes         | Request ID |
| 2026-01-10 | Ann    | K-1         | Update plugins |           | 1:20  |          | slow server   |            |
| 2026-02-03 | Ben    | K-1         |                | emergency | 2h    | Y        |               | R-1        |
| 2026-06-15 | Ann    | K-1         | Backups        |           | 0.5   | yes      |               | R-2        |
| 2026-03-01 | Ann    | K-1         | Call           |           | 1     | N        | internal only |            |
| 2026-02-10 | Cy     | K-2         |                |           | 90m   | x        |               | R-4        |
| 2025-06-01 | Cy     | K-3         | Old fix        |           | 3     |          |               |            |
| 2026-06-20 | Ann    | K-1         |                |           | 0:20  |          |               | R-3        |
| 2026-06-25 | Ann    | K-1         | More backups   |           | 1     |          |               | R-2        |
""")
SECRETS = ("secret note", "Dana", "internal only")  # Notes and Requested By: never the client's


def requests_book(**tabs) -> MemoryBook:
    return small_book(**{"Requests": REQUESTS, "Time": TIME, **tabs})


@pytest.fixture(scope="module")
def synced():
    book = requests_book()
    result = pipeline.run(book, Config(), AS_OF)
    assert result.exit_code == 0, result.problems.to_string()
    return book, result


# --- rules ---------------------------------------------------------------------------------------

BAD_REQUESTS = sheet("""
| Request ID | Contract ID | Title   | Requested  | Status   | Done       | Estimate | Client Visible |
| R-1        | K-1         | Fine    | 2026-01-05 |          |            |          |                |
|            | K-1         | No ID   |            |          |            |          |                |
| R-5        | K-l         | Typo    |            |          |            |          |                |
| R-6        | K-1         |         |            |          |            |          |                |
| R-7        | K-1         | Status  |            | finished |            |          |                |
| R-8        | K-1         | No done |            | Done     |            |          |                |
| R-9        | K-1         | Early   | 2026-03-05 | done     | 2026-03-01 |          |                |
| R-10       | K-1         | Hours   |            |          |            | abc      |                |
| R-11       | K-1         | Flag    |            |          |            |          | maybe          |
| R-1        | K-1         | Again   |            |          |            |          |                |
""")
BAD_TIME = sheet("""
| Date       | Contract ID | Task | Hours | Request ID |
| 2026-05-01 | K-1         | a    | 1     | R-l        |
| 2026-05-02 | K-2         | b    | 1     | R-1        |
| 2026-05-03 | K-1         | c    | 1     | R-7        |
| 2026-05-04 | K-1         | d    | 1     | R-11       |
""")


def test_each_rule_names_its_cell_with_its_code():
    book, problems = validated(small_book(Requests=BAD_REQUESTS, Time=BAD_TIME))
    found = [tuple(row) for row in problems[["Tab", "Row", "Column", "Severity", "Code"]].itertuples(index=False)]
    assert found == [
        ("Requests", 3, "Request ID", "error", "requests.request-id.required"),
        ("Requests", 4, "Contract ID", "error", "requests.contract-id.not-found"),
        ("Requests", 5, "Title", "error", "requests.title.required"),
        ("Requests", 6, "Status", "error", "requests.status.unknown-status"),
        ("Requests", 7, "Done", "error", "requests.done.required-when-done"),
        ("Requests", 8, "Done", "error", "requests.done.before-requested"),
        ("Requests", 9, "Estimate", "error", "requests.estimate.not-hours"),
        ("Requests", 10, "Client Visible", "warning", "requests.client-visible.not-y-or-n"),
        ("Requests", 11, "Request ID", "error", "requests.request-id.repeated"),
        ("Time", 2, "Request ID", "warning", "time.request-id.not-found"),
        ("Time", 3, "Request ID", "warning", "time.request-id.other-contract"),
        ("Time", 4, "Request ID", "warning", "time.request-id.has-error"),
    ]
    said = dict(zip(zip(problems["Tab"], problems["Row"]), problems["Problem"]))
    assert said["Requests", 4] == "no contract with this ID on the Contracts tab; did you mean K-1?"
    assert said["Requests", 6] == "is not open, in progress, waiting on client, done or cancelled"
    assert said["Requests", 7] == "is required when Status is done"
    assert said["Requests", 8] == "is before Requested"
    assert said["Requests", 10] == "is not Y or N; the client is not shown this request"
    assert said["Requests", 11] == "repeats the Request ID of row 2"
    assert said["Time", 2] == "no request with this ID on the Requests tab; did you mean R-1?"
    assert said["Time", 3] == "is a request of contract K-1, not of K-2"
    assert said["Time", 4] == "request R-7 has an error (Requests row 6)"
    # Warnings only: every time row counts, toward no request but the valid one of its contract.
    assert book.time["request_id"].tolist() == ["", "", "", "R-11"]
    assert book.requests["request_id"].tolist() == ["R-1", "R-11"]
    assert book.requests["client_visible"].tolist() == [True, False]  # a bad flag shows nothing


def test_every_code_is_declared():
    from sync.rules.validate import all_codes

    codes = set(all_codes())
    _, problems = validated(small_book(Requests=BAD_REQUESTS, Time=BAD_TIME))
    assert set(problems["Code"]) <= codes


# --- a book without requests -------------------------------------------------------------------


def test_a_book_without_requests_or_with_a_blank_request_id_column_is_as_before():
    plain = pipeline.run(small_book(), Config(), AS_OF, computed_at=dt.datetime(2026, 7, 1))
    # A Request ID column left blank, and a Requests tab with its header alone.
    blank_column = [row + ["Request ID" if i == 0 else ""] for i, row in enumerate(BOOK_TIME)]
    book = small_book(Time=blank_column, Requests=REQUESTS[:1])
    with_header = pipeline.run(book, Config(), AS_OF, computed_at=dt.datetime(2026, 7, 1))
    for name, table in plain.tables.items():
        assert table.frame.equals(with_header.tables[name].frame), name
    assert plain.ledger.requests.empty and plain.tables[REQUESTS_SUMMARY].frame.empty
    assert list(plain.tables[REQUESTS_SUMMARY].frame.columns) == list(REQUESTS_SUMMARY_COLUMNS)


# --- the team's Requests Summary ------------------------------------------------------------------


def test_requests_summary_open_first_oldest_first_with_its_figures(synced):
    _, result = synced
    frame = result.tables[REQUESTS_SUMMARY].frame
    assert frame["Request ID"].tolist() == ["R-3", "R-2", "R-1", "R-4"]
    rows = {row["Request ID"]: row for row in frame.to_dict("records")}
    assert rows["R-1"]["Status"] == "done" and rows["R-2"]["Status"] == "in progress"
    # 2h of emergency at 200 (Rates), against an estimate of 1 hour; open 2026-02-01 to Done.
    assert (rows["R-1"]["Hours"], rows["R-1"]["Amount"]) == (Decimal("2.00"), Decimal("400.00"))
    assert (rows["R-1"]["Over Estimate"], rows["R-1"]["Days Open"]) == (Decimal("1.00"), 124)
    # 0.5h at 150 from June, then 1h: within the estimate of 2; open from 2026-06-10 to As Of.
    assert (rows["R-2"]["Hours"], rows["R-2"]["Amount"], rows["R-2"]["Over Estimate"]) == (
        Decimal("1.50"),
        Decimal("225.00"),
        Decimal("0.00"),
    )
    assert rows["R-2"]["Days Open"] == (AS_OF - dt.date(2026, 6, 10)).days
    # 0:20 as typed, billed as 0:30 (Rounding Minutes 15); no estimate, so nothing over it.
    assert (rows["R-3"]["Hours"], rows["R-3"]["Amount"], rows["R-3"]["Over Estimate"]) == (
        Decimal("0.33"),
        Decimal("75.00"),
        None,
    )
    assert (rows["R-4"]["Client ID"], rows["R-4"]["Amount"], rows["R-4"]["Days Open"]) == (
        "C-2",
        Decimal("135.00"),
        123,
    )


def test_a_requests_hours_and_amount_are_its_time_rows_as_priced(synced):
    _, result = synced
    time, requests = result.ledger.time, result.ledger.requests.set_index("request_id")
    for request_id, rows in time[time["request_id"] != ""].groupby("request_id"):
        assert requests.loc[request_id, "hours_ms"] == rows["ms"].sum()
        assert requests.loc[request_id, "amount"] == rows["amount"].sum()
    assert requests["amount"].sum() == time.loc[time["request_id"] != "", "amount"].sum()


def test_a_retainers_request_bills_only_its_overage():
    contracts = [CONTRACTS[0] + ["Period", "Included Hours", "Fee"]] + [
        row + (["monthly", "2", "100"] if row[0] == "K-1" else ["", "", ""]) for row in CONTRACTS[1:]
    ]
    result = pipeline.run(requests_book(Contracts=contracts), Config(), AS_OF)
    time = result.ledger.time.set_index("request_id")
    r2 = result.ledger.requests.set_index("request_id").loc["R-2"]
    assert r2["amount"] == time.loc["R-2", "amount"].sum() < time.loc["R-2", "priced"].sum()


# --- what the client sees ---------------------------------------------------------------------


def test_the_client_sees_only_visible_requests_and_never_notes(synced):
    book, _ = synced
    acme = book.summaries["clients/C-1"]
    requests = acme["Requests"]
    assert list(requests.columns) == list(CLIENT_TABS["Requests"])
    assert requests.frame["Request ID"].tolist() == ["R-2", "R-1"]
    r2, r1 = requests.frame.to_dict("records")
    assert (r2["Estimate"], r2["Done"], r2["Amount"]) == (Decimal("2.00"), None, None)  # open: so far
    assert (r1["Estimate"], r1["Done"], r1["Amount"]) == (None, dt.date(2026, 6, 5), Decimal("400.00"))
    shown = " ".join(str(value) for table in acme.values() for value in table.frame.to_numpy().ravel())
    shown += book.dashboards["clients/C-1"].text()
    assert [secret for secret in (*SECRETS, "Internal audit") if secret in shown] == []


def test_a_client_without_visible_requests_has_no_requests_tab(synced):
    book, _ = synced
    assert "Requests" not in book.summaries["clients/C-2"]
    assert "Requests" not in book.dashboards["clients/C-2"].text()


def test_the_title_stands_in_for_a_blank_task_only_where_the_client_sees_the_request(synced):
    book, _ = synced
    tasks = {
        (row["Date"], row["Contract ID"]): row["Task"]
        for row in book.summaries["clients/C-1"]["Activity"].frame.to_dict("records")
    }
    assert tasks[dt.date(2026, 2, 3), "K-1"] == "Outage fix"
    assert tasks[dt.date(2026, 6, 20), "K-1"] == ""  # R-3 is the team's own: its Title stays theirs
    bolt = book.summaries["clients/C-2"]["Activity"].frame
    assert bolt.loc[bolt["Date"] == dt.date(2026, 2, 10), "Task"].tolist() == [""]


def test_the_dashboard_says_what_was_completed_this_month_and_what_is_open(synced):
    book, _ = synced
    lines = book.dashboards["clients/C-1"].text().splitlines()
    at = lines.index("Requests")
    assert lines[at + 1 : at + 3] == [
        "Completed this month: 1 request, 2.00 hours",
        "Open: 1 request; the oldest was requested 20 days ago",
    ]


# --- both backends ----------------------------------------------------------------------------


def test_a_local_workbook_writes_the_tabs_and_reads_the_requests_back(tmp_path):
    team = write_team_book(tmp_path / "team.xlsx", Requests=REQUESTS, Time=TIME)
    result = pipeline.run(LocalWorkbook(team), Config(), AS_OF)
    assert result.exit_code == 0, result.problems.to_string()
    summary = read_tabs(team)[REQUESTS_SUMMARY]
    assert summary[0] == list(REQUESTS_SUMMARY_COLUMNS)
    assert [row[0] for row in summary[1:]] == ["R-3", "R-2", "R-1", "R-4"]
    acme = CalamineWorkbook.from_path(str(tmp_path / "clients" / "C-1.xlsx"))
    assert acme.sheet_names == ["Summary", "Activity", "Payments", "Statement", "Requests"]
    rows = acme.get_sheet_by_name("Requests").to_python()
    assert [row[0] for row in rows[1:]] == ["R-2", "R-1"]
    assert "Requests" not in CalamineWorkbook.from_path(str(tmp_path / "clients" / "C-2.xlsx")).sheet_names


def test_google_writes_the_tabs_and_a_marked_summary_loses_requests_it_no_longer_shows(emulator):
    tabs = {**team_tabs(emulator, time=TIME), "Requests": REQUESTS}
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    acme = tabs["Clients"][1][3]
    assert run(google(emulator, spreadsheet)).exit_code == 0
    summary = emulator.values(spreadsheet, REQUESTS_SUMMARY)
    assert summary[0] == list(REQUESTS_SUMMARY_COLUMNS)
    assert [row[0] for row in summary[1:]] == ["R-3", "R-2", "R-1", "R-4"]
    assert [p["title"] for p in emulator.sheet_properties(acme)][-1] == "Requests"
    assert [row[0] for row in emulator.values(acme, "Requests")[1:]] == ["R-2", "R-1"]
    assert not any(secret in str(emulator.values(acme, "Requests")) for secret in SECRETS)
    hidden = [row[:8] + ["N"] + row[9:] if i else row for i, row in enumerate(REQUESTS)]  # all the team's own
    client, _ = connect(None, emulator.base_url)
    client.open_by_key(spreadsheet).worksheet("Requests").update(hidden, "A1")
    assert run(google(emulator, spreadsheet)).exit_code == 0
    assert "Requests" not in [p["title"] for p in emulator.sheet_properties(acme)]
