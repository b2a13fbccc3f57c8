"""The Google path end to end: the real backend, unmodified gspread, real HTTP to the emulator."""

import datetime as dt
import json
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from sync.app import pipeline
from sync.backends.google import reads as google_reads
from sync.backends.google.http import connect
from sync.backends.google.reads import READ_BLOCK_ROWS
from sync.backends.google.sheet import GoogleSheet
from sync.backends.memory import MemoryBook
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.config import Config
from sync.errors import SyncError
from sync.model.schema import INPUT_TAB_NAMES, NUMBER_COLUMNS, SYNC_LOG, SYNC_STATE
from tests.books import AS_OF, CLIENTS, CONTRACTS, EXPENSES, PAYMENTS, RATES, TIME, sheet

ROOT = Path(__file__).resolve().parents[1]
COMPUTED_AT = dt.datetime(2026, 7, 1, 2, 0)
ACCOUNT = "sync@emulator.local"


def team_tabs(emulator, clients=CLIENTS, time=TIME):
    """The small book's tabs, with each client's Summary Sheet pointing at a spreadsheet of its own."""
    with_sheets = [clients[0]] + [row[:3] + [emulator.create_spreadsheet(f"{row[1]} summary")] for row in clients[1:]]
    return {
        "Clients": with_sheets,
        "Contracts": CONTRACTS,
        "Rates": RATES,
        "Time": time,
        "Payments": PAYMENTS,
        "Expenses": EXPENSES,
    }


def google(emulator, spreadsheet, **settings):
    client, account = connect(None, emulator.base_url)
    client.http_client.sleep = lambda seconds: None  # retries happen, without the wait
    return GoogleSheet(spreadsheet, client, account, **settings)


def run(backend, as_of=AS_OF):
    return pipeline.run(backend, Config(), as_of, computed_at=COMPUTED_AT)


def contract_ids(emulator, location) -> set[str]:
    """The contracts on a client summary's Activity tab: whose figures it holds."""
    rows = emulator.values(location, "Activity")
    at = rows[0].index("Contract ID")
    return {row[at] for row in rows[1:] if len(row) > at and row[at] not in ("", "Total")}


def total(emulator):
    return sum(emulator.counts.values())


def local_book(path: Path, tabs: dict) -> LocalWorkbook:
    book = xlsxwriter.Workbook(path)
    for name, rows in tabs.items():
        worksheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                worksheet.write_string(r, c, value)
    book.close()
    return LocalWorkbook(path)


@pytest.mark.parametrize("value_input", ["RAW", "USER_ENTERED"])
def test_same_figures_as_the_same_rows_in_a_local_book(emulator, value_input, tmp_path):
    """Typed in Google (dates become serials, 1:20 a time cell, $1,000.00 a number) or kept as text."""
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs, value_input=value_input)
    on_google = run(google(emulator, spreadsheet))
    in_xlsx = run(local_book(tmp_path / "team.xlsx", {**tabs, "Clients": [row[:3] for row in tabs["Clients"]]}))
    memory = MemoryBook(tabs)
    in_memory = run(memory)
    assert on_google.exit_code == in_memory.exit_code == in_xlsx.exit_code == 0
    for name in ("Dashboard", "Balances", "Monthly", "Periods", "Errors"):
        assert on_google.tables[name].frame.equals(in_memory.tables[name].frame), name
        assert on_google.tables[name].frame.equals(in_xlsx.tables[name].frame), name
    written = emulator.values(spreadsheet, "Balances")
    assert written[0] == list(in_memory.tables["Balances"].columns)
    k1 = dict(zip(written[0], written[1]))
    assert (k1["Contract ID"], k1["Balance"], k1["Runs Out"]) == (
        "K-1",
        329.01,
        (dt.date(2027, 7, 30) - dt.date(1899, 12, 30)).days,
    )
    for row in tabs["Clients"][1:]:
        activity = emulator.values(row[3], "Activity")
        expected = memory.summaries[row[3]]["Activity"]
        assert len(activity) == len(expected.frame) + 1 and activity[0] == expected.columns


def test_bad_rows_give_the_same_errors_tab(emulator):
    time = TIME + [
        ["2026-13-01", "Ann", "K-1", "x", "", "1", "", ""],
        ["2026-05-03", "Ann", "K-9", "y", "", "25", "", ""],
    ]
    tabs = team_tabs(emulator, time=time)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    on_google, in_memory = run(google(emulator, spreadsheet)), run(MemoryBook(tabs))
    assert on_google.exit_code == 1
    assert on_google.tables["Errors"].frame.equals(in_memory.tables["Errors"].frame)
    errors = emulator.values(spreadsheet, "Errors")
    assert ["Time", 8, "Date", "2026-13-01", "is not a real calendar date", "error"] in errors


def read_blocks(emulator, spreadsheet, block_rows=READ_BLOCK_ROWS):
    """values:batchGet requests the input tabs take: their grid rows, in blocks."""
    grid_rows = sum(
        p["gridProperties"]["rowCount"] for p in emulator.sheet_properties(spreadsheet) if p["title"] in INPUT_TAB_NAMES
    )
    return -(-grid_rows // block_rows)


@pytest.mark.parametrize("rows, reads", [(10, 1), (10_000, 1), (30_000, 2)])
def test_the_request_budget_grows_only_with_read_blocks(emulator, rows, reads):
    time = [TIME[0]] + [
        [
            f"2026-{1 + i % 6:02d}-{1 + i % 28:02d}",
            "Ann",
            "K-1" if i % 3 else "K-2",
            f"task {i}",
            "",
            "1:30" if i % 2 else "0.5",
            "",
            "",
        ]
        for i in range(rows)
    ]
    tabs = team_tabs(emulator, time=time)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    assert read_blocks(emulator, spreadsheet) == reads  # 1,000-row grids, plus the Time tab's
    emulator.reset_counts()
    result = run(google(emulator, spreadsheet))
    assert result.exit_code == 0
    clients = len(tabs["Clients"]) - 1
    # team: metadata, the read blocks, batchUpdate, values:batchUpdate; per client: audit, metadata, 2 writes,
    # and the first time, as the spreadsheet has no mark yet, a values:batchGet to see that it is empty;
    # then Sync State again with what each summary's write left (2 writes)
    assert total(emulator) == 3 + reads + 5 * clients + 2, dict(emulator.counts)
    assert emulator.counts[("GET", "/v4/spreadsheets/{id}/values:batchGet")] == reads + clients
    assert emulator.counts[("POST", "/v4/spreadsheets/{id}:batchUpdate")] == 1 + clients + 1
    emulator.reset_counts()
    # a second run, nothing changed: each summary only audited; the team's Sync State put the records in
    # flight with the first write and confirms them with a second (2 writes)
    run(google(emulator, spreadsheet))
    assert total(emulator) == 3 + reads + clients + 2
    assert emulator.counts[("GET", "/v4/spreadsheets/{id}/values:batchGet")] == reads


def test_the_request_budget_does_not_grow_with_contracts(emulator):
    clients = [CLIENTS[0]] + [[f"C-{i}", f"Client {i}", f"c{i}@example.com", ""] for i in range(30)]
    contracts = [CONTRACTS[0]] + [
        [f"K-{i}", f"C-{i % 30}", f"Plan {i}", "USD", "100", "2026-01-01", "", "", "", ""] for i in range(60)
    ]
    time = [TIME[0]] + [["2026-05-01", "Ann", f"K-{i % 60}", "work", "", "1", "", ""] for i in range(600)]
    tabs = {**team_tabs(emulator, clients=clients, time=time), "Contracts": contracts}
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    emulator.reset_counts()
    assert run(google(emulator, spreadsheet)).exit_code == 0
    assert total(emulator) == 3 + read_blocks(emulator, spreadsheet) + 5 * 30 + 2, dict(emulator.counts)  # see above
    emulator.reset_counts()
    assert run(google(emulator, spreadsheet)).exit_code == 0
    assert total(emulator) == 3 + read_blocks(emulator, spreadsheet) + 30 + 2, dict(emulator.counts)


def test_duration_cells_cost_one_more_read_and_are_read_as_hours(emulator):
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-05-01 | K-1         | 1:30  |
    | 2026-05-01 | K-1         | 2     |
    """)
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator, time=time), value_input="USER_ENTERED")
    run(google(emulator, spreadsheet))  # the client spreadsheets get their marks
    emulator.reset_counts()
    result = run(google(emulator, spreadsheet))
    assert emulator.counts[("GET", "/v4/spreadsheets/{id}/values:batchGet")] == 2  # the tabs, then Hours shown
    assert result.ledger.time["ms"].tolist() == [5_400_000, 7_200_000]  # 1:30 as a time cell is 1.5 h


def same_cells(read, shown):
    """Rows as read_tabs gives them and as values.get shows them: equal, durations aside."""

    def plain(cell):
        return cell.total_seconds() / 86400 if isinstance(cell, dt.timedelta) else cell

    return [[plain(cell) for cell in row] for row in read] == shown


def column_rows(emulator, spreadsheet) -> int:
    """Grid rows of the columns read again for their cells' kinds: every column read as numbers
    that holds a number (such a number may be a date, time or duration cell)."""
    rows = 0
    for props in emulator.sheet_properties(spreadsheet):
        if props["title"] not in INPUT_TAB_NAMES:
            continue
        header, *cells = emulator.values(spreadsheet, props["title"])
        numeric = {
            c
            for row in cells
            for c, cell in enumerate(row)
            if isinstance(cell, (int, float)) and not isinstance(cell, bool) and header[c] in NUMBER_COLUMNS
        }
        rows += len(numeric) * props["gridProperties"]["rowCount"]
    return rows


def test_blocks_join_up_as_one_read_would(emulator, monkeypatch):
    """Blocks that end or start on blank rows, tabs sharing a request, the Hours column split
    too: the tabs read are the ones a single read gives, and so are the figures."""
    time = (
        TIME[:3]
        + [[""] * 8] * 5
        + TIME[3:]
        + [[f"2026-05-0{d}", "Ann", "K-1", "x", "", "1:15", "", ""] for d in range(1, 8)]
        + [[""] * 8] * 3
        + [TIME[1]]
    )
    tabs = team_tabs(emulator, time=time)
    spreadsheet = emulator.create_spreadsheet("Team", tabs, value_input="USER_ENTERED")
    client, _ = connect(None, emulator.base_url)
    for worksheet in client.open_by_key(spreadsheet).worksheets():
        worksheet.resize(rows=len(tabs[worksheet.title]) + 2)  # small grids, so a few blocks each
    whole = run(google(emulator, spreadsheet))
    monkeypatch.setattr(google_reads, "READ_BLOCK_ROWS", 4)
    monkeypatch.setattr(google_reads, "COLUMN_BLOCK_ROWS", 3)
    emulator.reset_counts()
    read = google(emulator, spreadsheet).read_tabs(list(INPUT_TAB_NAMES))
    assert emulator.counts[("GET", "/v4/spreadsheets/{id}/values:batchGet")] == read_blocks(
        emulator, spreadsheet, 4
    ) + -(-column_rows(emulator, spreadsheet) // 3)
    assert any(isinstance(cell, dt.timedelta) for row in read["Time"] for cell in row)
    for name, rows in read.items():
        assert same_cells(rows, emulator.values(spreadsheet, name)), name
    split = run(google(emulator, spreadsheet))
    for name in ("Dashboard", "Balances", "Monthly", "Periods", "Errors"):
        assert split.tables[name].frame.equals(whole.tables[name].frame), name


def test_a_300k_row_time_tab_is_read_in_bounded_blocks(emulator):
    """Every response stays well under Google's 10 MB payload limit, and the rows are those of a single read."""
    rng = random.Random(1)
    time = [TIME[0]] + [
        [
            46000 + i % 700,
            rng.choice(["Ann", "Ben", "Cy"]),
            f"K-{1 + i % 2}",
            rng.choice(["Update plugins", "Fix checkout bug", "Security patch"]),
            "",
            rng.choice([0.25, 1.5, 2, "1h 15m", "90m"]),
            rng.choice(["", "Y", True]),
            "",
        ]
        for i in range(300_000)
    ]
    tabs = team_tabs(emulator, time=time)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    backend = google(emulator, spreadsheet)
    sizes = []
    backend.http.session.hooks["response"].append(lambda response, **_: sizes.append(len(response.content)))
    emulator.reset_counts()
    read = backend.read_tabs(list(INPUT_TAB_NAMES))
    reads = emulator.counts[("GET", "/v4/spreadsheets/{id}/values:batchGet")]
    assert reads == read_blocks(emulator, spreadsheet) + -(-300_001 // google_reads.COLUMN_BLOCK_ROWS)
    assert max(sizes) < 5_000_000, sizes
    assert len(read["Time"]) == 300_001
    for name, rows in read.items():
        assert same_cells(rows, emulator.values(spreadsheet, name)), name


def test_output_tabs_are_protected_and_input_tabs_untouched(emulator):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    before = {name: emulator.values(spreadsheet, name) for name in tabs}
    run(google(emulator, spreadsheet))
    run(google(emulator, spreadsheet))
    assert {name: emulator.values(spreadsheet, name) for name in tabs} == before
    ids = {p["title"]: p["sheetId"] for p in emulator.sheet_properties(spreadsheet)}
    protected = emulator.protected_ranges(spreadsheet)
    assert sorted(p["range"]["sheetId"] for p in protected) == sorted(
        ids[n]
        for n in ("Dashboard", "Balances", "Monthly", "Periods", "Requests Summary", "Errors", SYNC_LOG, SYNC_STATE)
    )
    assert all(p["editors"]["users"] == [ACCOUNT] and not p.get("warningOnly") for p in protected)


def test_warning_only_protection_when_configured(emulator):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
    run(google(emulator, spreadsheet, warning_only=True))
    assert all(p["warningOnly"] for p in emulator.protected_ranges(spreadsheet))


def test_formula_looking_text_stays_text_everywhere(emulator):
    time = TIME + [["2026-06-20", "Ann", "K-1", '=IMPORTRANGE("x","y")', "", "1", "", ""]]
    tabs = team_tabs(emulator, time=time)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    run(google(emulator, spreadsheet))
    acme = tabs["Clients"][1][3]
    for tab, col in (("Activity", 2), ("Summary", 1)):  # Summary: the work of the last 30 days
        tasks = [(row + [""] * 3)[col] for row in emulator.values(acme, tab, render="FORMULA")]
        assert '=IMPORTRANGE("x","y")' in tasks, tab
        row = tasks.index('=IMPORTRANGE("x","y")')
        assert "stringValue" in emulator.cell(acme, tab, f"{'ABC'[col]}{row + 1}")["userEnteredValue"]


def test_a_client_sees_only_their_own_rows_and_never_notes(emulator):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    run(google(emulator, spreadsheet))
    acme, bolt = tabs["Clients"][1][3], tabs["Clients"][2][3]
    acme_text = json.dumps([emulator.values(acme, tab) for tab in ("Summary", "Activity", "Payments", "Statement")])
    for secret in ("K-2", "Bolt", "New banner", "INV-2", "slow server", "internal only"):
        assert secret not in acme_text
    assert contract_ids(emulator, bolt) == {"K-2"} and emulator.values(bolt, "Summary")[0][0] == "Bolt Bakery"
    assert [c["spec"]["title"] for c in emulator.charts(acme)] == ["Balance by month"]


def test_the_chart_is_redrawn_each_run_and_follows_the_data(emulator):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    acme = tabs["Clients"][1][3]
    run(google(emulator, spreadsheet))
    first = emulator.charts(acme)
    run(google(emulator, spreadsheet), as_of=dt.date(2026, 12, 31))  # six more months of statement
    second = emulator.charts(acme)
    assert len(first) == len(second) == 1  # the old one gone
    end = lambda chart: chart["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"][0]["endRowIndex"]
    assert end(second[0]) == end(first[0]) + 6


def test_the_permission_audit_flags_strangers(emulator):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    acme = tabs["Clients"][1][3]
    emulator.add_permission(acme, {"type": "anyone", "role": "reader"})
    emulator.add_permission(acme, {"type": "user", "role": "reader", "emailAddress": "rival@elsewhere.example"})
    emulator.add_permission(acme, {"type": "user", "role": "reader", "emailAddress": "ops@acme.example"})
    emulator.add_permission(acme, {"type": "user", "role": "writer", "emailAddress": "ann@agency.example"})
    result = run(google(emulator, spreadsheet, team_domain="agency.example"))
    found = result.problems[result.problems["Column"] == "Summary Sheet"][["Row", "Problem", "Severity"]]
    assert found.values.tolist() == [
        [2, "anyone with the link can open this summary", "warning"],
        [2, "rival@elsewhere.example can open this summary but is not one of this client's addresses", "warning"],
    ]
    assert result.exit_code == 0


def test_bursts_of_429_and_a_dropped_connection_are_survived(emulator):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    emulator.faults.fail(status=429, times=3, route="/v4/spreadsheets/{id}/values:batchGet")
    emulator.faults.fail(status=503, times=1, route="/v4/spreadsheets/{id}:batchUpdate")
    emulator.faults.drop_connection(times=1, route="/v4/spreadsheets/{id}/values:batchUpdate")
    result = run(google(emulator, spreadsheet))
    assert result.exit_code == 0
    assert emulator.values(spreadsheet, "Balances")[1][2] == "K-1"


def test_a_failed_write_leaves_the_previous_figures_whole(emulator):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    run(google(emulator, spreadsheet))
    before = {name: emulator.values(spreadsheet, name) for name in ("Balances", "Monthly", "Errors")}
    backend = google(emulator, spreadsheet)
    backend.http.retry_budget_seconds = 0  # give up at once
    emulator.faults.fail(status=500, times=50, route="/v4/spreadsheets/{id}/values:batchUpdate")
    with pytest.raises(SyncError, match="Google answered 500"):
        run(backend, as_of=dt.date(2026, 12, 31))
    assert {name: emulator.values(spreadsheet, name) for name in before} == before
    emulator.faults.clear()
    run(google(emulator, spreadsheet), as_of=dt.date(2026, 12, 31))  # the next run repairs everything
    assert emulator.values(spreadsheet, "Balances")[1][-2] == (dt.date(2026, 12, 31) - dt.date(1899, 12, 30)).days


def test_a_shorter_table_leaves_no_old_rows_behind(emulator):
    time = TIME + [[f"2026-05-{d:02d}", "Ann", "K-9", "bad", "", "1", "", ""] for d in range(1, 20)]
    tabs = team_tabs(emulator, time=time)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    run(google(emulator, spreadsheet))
    assert len(emulator.values(spreadsheet, "Errors")) == 20
    client, _ = connect(None, emulator.base_url)  # someone fixes the sheet by deleting the bad rows
    client.open_by_key(spreadsheet).worksheet("Time").batch_clear([f"A{len(TIME) + 1}:H{len(time)}"])
    run(google(emulator, spreadsheet))
    assert len(emulator.values(spreadsheet, "Errors")) == 1  # the header alone


def cli(*args, env=None):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SYNC_", "GOOGLE_"))}
    environ |= {"PYTHONPATH": str(ROOT), "SYNC_RETRY_SECONDS": "0"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "sync", *args], capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120
    )


def test_the_cli_runs_on_a_spreadsheet_through_api_url(emulator):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
    done = cli(
        "run",
        "--sheet",
        f"https://docs.google.com/spreadsheets/d/{spreadsheet}/edit#gid=0",
        "--api-url",
        emulator.base_url,
        "--as-of",
        "2026-06-30",
    )
    assert done.returncode == 0, done.stderr
    assert "K-1" in done.stdout and f"wrote spreadsheet {spreadsheet}" in done.stdout
    checked = cli("check", "--sheet", spreadsheet, env={"SYNC_GOOGLE_API_URL": emulator.base_url})
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    "case, message",
    [
        ("no credentials file", "error: credentials file not found: /nowhere/key.json"),
        (
            "private",
            f"error: no access to spreadsheet {'1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc'}: "
            f"share it with {ACCOUNT} as Editor",
        ),
        ("missing", "error: spreadsheet 1NotThereNotThereNotThere000 not found: check the ID or link"),
        ("quota", "error: Google's quota was exceeded for spreadsheet"),
        ("disabled", "error: the Google Sheets/Drive API is disabled for this project"),
        ("not an id", "error: 'not a sheet' is not a spreadsheet ID or link"),
    ],
)
def test_errors_a_person_can_act_on_are_one_line(emulator, case, message):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
    args = ["run", "--api-url", emulator.base_url, "--sheet", spreadsheet]
    if case == "no credentials file":
        args = ["run", "--sheet", spreadsheet, "--credentials", "/nowhere/key.json"]
    elif case == "private":
        args[-1] = "1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc"
    elif case == "missing":
        args[-1] = "1NotThereNotThereNotThere000"
    elif case == "quota":
        emulator.faults.fail(status=429, times=100)
    elif case == "disabled":
        emulator.faults.service_disabled(times=100)
    else:
        args[-1] = "not a sheet"
    done = cli(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr


def test_share_creates_shares_and_fills_only_blank_cells(emulator):
    clients = sheet("""
    | Client ID | Name        | Email                                  | Summary Sheet |
    | C-1       | Acme Ltd    | ops@acme.example; boss@acme.example    |               |
    | C-2       | Bolt Bakery | bo@bolt.example                        |               |
    """)
    existing = emulator.create_spreadsheet("Bolt's own")
    clients[2][3] = existing
    tabs = {"Clients": clients, "Contracts": CONTRACTS, "Time": TIME, "Payments": PAYMENTS}
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    done = cli("share", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert done.returncode == 0, done.stderr
    cells = emulator.values(spreadsheet, "Clients")
    assert cells[2][3] == existing  # filled cells are never touched
    created = cells[1][3].rsplit("/", 1)[-1]
    assert cells[1][3].startswith("https://docs.google.com/spreadsheets/d/")
    readers = {p.get("emailAddress") for p in emulator.permissions(created) if p["role"] == "reader"}
    assert readers == {"ops@acme.example", "boss@acme.example"}
    assert {p.get("emailAddress") for p in emulator.permissions(existing) if p["role"] == "reader"} == {
        "bo@bolt.example"
    }
    again = cli("share", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert "already shared with every address" in again.stdout
    result = run(google(emulator, spreadsheet))
    assert result.problems[result.problems["Column"] == "Summary Sheet"].empty
    assert contract_ids(emulator, created) == {"K-1", "K-3"}
    # the tab a new spreadsheet comes with is gone, found empty: the client sees their summary first;
    # no Periods tab for clients without a retainer
    assert [p["title"] for p in emulator.sheet_properties(created)] == ["Summary", "Activity", "Payments", "Statement"]
    assert [p["title"] for p in emulator.sheet_properties(existing)] == ["Summary", "Activity", "Payments", "Statement"]


def test_share_explains_a_service_account_without_storage(emulator):
    tabs = {"Clients": CLIENTS, "Contracts": CONTRACTS, "Time": TIME, "Payments": PAYMENTS}
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    emulator.faults.storage_quota(times=5)
    emulator.reset_counts()
    done = cli("share", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "has no Drive storage of its own" in done.stderr and "shared drive" in done.stderr
    assert emulator.counts[("POST", "/drive/v3/files")] == 1  # never retried


def test_init_adds_the_input_tabs_that_check_then_accepts(emulator):
    spreadsheet = emulator.create_spreadsheet("Empty")
    done = cli("init", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert done.returncode == 0, done.stderr
    titles = [p["title"] for p in emulator.sheet_properties(spreadsheet)]
    assert titles[-7:] == ["Clients", "Contracts", "Rates", "Requests", "Time", "Payments", "Expenses"]
    assert cli("check", "--sheet", spreadsheet, "--api-url", emulator.base_url).returncode == 0
    again = cli("init", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert again.returncode == 2 and "already has a 'Clients' tab" in again.stderr


def test_frames_from_google_hold_no_float_money(emulator):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator), value_input="USER_ENTERED")
    result = run(google(emulator, spreadsheet))
    balances = result.tables["Balances"].frame
    assert all(type(v).__name__ == "Decimal" for v in balances["Balance"])
    assert len(balances) > 0  # so the check above was not vacuous
    assert all(type(v).__name__ == "Decimal" for column in ("Paid", "Billed") for v in balances[column])


def test_a_lost_answer_to_an_applied_batch_update_is_recovered(emulator):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    emulator.faults.drop_connection(times=1, route="/v4/spreadsheets/{id}:batchUpdate", applied=True)
    emulator.reset_counts()
    result = run(google(emulator, spreadsheet))
    assert result.exit_code == 0
    # applied but unanswered, retried and refused, then sent again as it now stands; then 2 clients; then
    # Sync State again with what their writes left
    assert emulator.counts[("POST", "/v4/spreadsheets/{id}:batchUpdate")] == 3 + 2 + 1
    titles = [p["title"] for p in emulator.sheet_properties(spreadsheet)]
    assert titles.count("Balances") == 1 and emulator.values(spreadsheet, "Balances")[1][2] == "K-1"
    assert len(emulator.protected_ranges(spreadsheet)) == 8  # the 6 outputs, Sync Log and Sync State, not added twice


def test_credentials_files_are_read_or_refused_in_one_line(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from sync.backends.google.http import load_credentials

    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    account = tmp_path / "key.json"
    account.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "agency",
                "private_key_id": "1",
                "private_key": key,
                "client_email": "sync@agency.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    assert load_credentials(account)[1] == "sync@agency.iam.gserviceaccount.com"
    user = tmp_path / "user.json"
    user.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "x",
                "client_secret": "y",
                "refresh_token": "z",
                "account": "me@agency.example",
            }
        )
    )
    assert load_credentials(user)[1] == "me@agency.example"
    for text, message in (
        ("{not json", "is not a JSON key file"),
        ('{"type": "other"}', "is neither"),
        ('{"type": "service_account"}', "is incomplete"),
    ):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(SyncError, match=message):
            load_credentials(bad)
    with pytest.raises(SyncError, match="no Google credentials"):
        load_credentials(None)


def test_a_date_or_time_typed_into_any_number_column_is_read_as_what_it_is(emulator):
    """Not only Hours: a date typed into Amount is refused as a date (not paid as 46,000 and some),
    and Included Hours typed 7:30 is 7.5 hours (not 0.3125 of a day), as in a local workbook."""
    contracts = [
        CONTRACTS[0] + ["Period", "Included Hours"],
        CONTRACTS[1] + ["monthly", "7:30"],
        *[row + ["", ""] for row in CONTRACTS[2:]],
    ]
    payments = PAYMENTS + [["2026-05-02", "K-1", "2026-05-03", "", ""]]
    tabs = {**team_tabs(emulator), "Contracts": contracts, "Payments": payments}
    spreadsheet = emulator.create_spreadsheet("Team", tabs, value_input="USER_ENTERED")
    on_google, in_memory = run(google(emulator, spreadsheet)), run(MemoryBook(tabs))
    assert [
        "Payments",
        len(payments),
        "Amount",
        "2026-05-03",
        "is not an amount",
        "error",
    ] in on_google.problems.drop(columns="Code").values.tolist()
    assert on_google.tables["Periods"].frame.equals(in_memory.tables["Periods"].frame)
    assert on_google.tables["Periods"].frame["Included"].iloc[0] == Decimal("7.50")
    assert on_google.tables["Balances"].frame.equals(in_memory.tables["Balances"].frame)
    where = ["Tab", "Row", "Column", "Severity"]  # the text is refused with the hint a typed text gets
    assert on_google.problems[where].equals(in_memory.problems[where])


@pytest.mark.parametrize("why", ["alerts", "a summary failed"])
def test_a_second_write_in_a_run_plans_from_what_the_first_created(emulator, why):
    """A run writes the team's tabs again after e-mailing alerts (to record them) or when a client
    summary could not be written (its warning on Errors). The first write added tabs (Sync State,
    hidden and protected); the second knows so from the first one's replies: no metadata read
    again, no addSheet refused and retried (two wasted requests a night before)."""
    from tests import test_alerts

    tabs = {
        **team_tabs(emulator),
        "Contracts": test_alerts.CONTRACTS,
        "Payments": test_alerts.PAYMENTS,
        "Time": test_alerts.TIME,
    }
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    backend = google(emulator, spreadsheet)
    answers = []
    backend.http.session.hooks["response"].append(lambda response, **_: answers.append(response))
    config, smtp = Config(alert_from="sync@agency.example", alert_to="pm@agency.example"), test_alerts.local_smtp()
    if why == "a summary failed":
        smtp = None
        emulator.faults.fail(status=403, times=1, route="/v4/spreadsheets/{id}", file=tabs["Clients"][1][3])
    result = pipeline.run(backend, config, AS_OF, computed_at=COMPUTED_AT, smtp=smtp)
    assert result.alerts_pending > 0 if smtp else result.unwritten == ["C-1"]
    assert [(r.status_code, r.request.method, r.url.split("?")[0]) for r in answers if r.status_code >= 400] == (
        [] if smtp else [(403, "GET", f"{emulator.base_url}/v4/spreadsheets/{tabs['Clients'][1][3]}")]
    )
    team = [(r.request.method, r.url.split(spreadsheet, 1)[1].split("?")[0]) for r in answers if spreadsheet in r.url]
    assert [call for call in team if call[0] == "POST"] == [
        ("POST", ":batchUpdate"),
        ("POST", "/values:batchUpdate"),
    ] * 2
    assert team.count(("GET", "")) == 1
    second = json.loads(
        [
            r.request.body
            for r in answers
            if spreadsheet in r.url and r.url.endswith(":batchUpdate") and "/values" not in r.url
        ][1]
    )
    assert not [request for request in second["requests"] if {"addSheet", "addProtectedRange"} & set(request)]
    if smtp:
        assert [p.get("hidden") for p in emulator.sheet_properties(spreadsheet) if p["title"] == "Sync State"] == [True]


@pytest.mark.parametrize("notify", [False, True])
def test_share_notify_decides_whether_drive_e_mails_the_client(emulator, notify):
    """share_notify = false must not e-mail: the sync sends Drive v3's sendNotificationEmail=false
    itself (gspread sends Python's False, and Drive v2's withLink)."""
    from sync.app.google_setup import share_summaries

    tabs = {"Clients": CLIENTS, "Contracts": CONTRACTS, "Time": TIME, "Payments": PAYMENTS}
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    lines = share_summaries(google(emulator, spreadsheet), Config(share_notify=notify, share_message="Your summary"))
    assert sum("shared read-only with" in line for line in lines) == 2
    sent = {(n["emailAddress"], n["role"], n["message"]) for n in emulator.notifications}
    assert sent == (
        {("ops@acme.example", "reader", "Your summary"), ("bo@bolt.example", "reader", "Your summary")}
        if notify
        else set()
    )
