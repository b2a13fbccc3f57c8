"""The sync under Google's per-minute quota: it paces itself (no 429) and counts the wait.

Against the emulator's quota model on a fake clock shared with the client: its sleep moves the
clock on, so minutes of quota pass at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sync.backends.google.http import Pace, connect, quota_kind
from sync.model.schema import SYNC_LOG, SYNC_LOG_COLUMNS
from sync.shape.runlog import LogEntry, log_table, past_runs
from tests.sheets_emulator import Emulator, FakeClock, Quota

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets/abc"


@pytest.mark.parametrize(
    "method, url, kind",
    [
        ("get", SHEETS, "read"),
        ("get", f"{SHEETS}/values:batchGet", "read"),
        ("post", f"{SHEETS}/developerMetadata:search", "read"),
        ("post", f"{SHEETS}:batchUpdate", "write"),
        ("post", f"{SHEETS}/values:batchUpdate", "write"),
        ("put", f"{SHEETS}/values/'Sheet1'!A1", "write"),
        ("post", f"{SHEETS}/values/Sheet1!A1:append", "write"),
        ("post", f"{SHEETS}/values/Sheet1!A1:clear", "write"),
        ("get", "https://www.googleapis.com/drive/v3/files/abc/permissions", None),
        ("post", "https://www.googleapis.com/drive/v3/files", None),
    ],
)
def test_which_quota_a_request_counts_in(method, url, kind):
    assert quota_kind(method, url) == kind


def test_the_pace_lets_a_minutes_worth_go_at_once_then_books_each_a_minute_after_its_elder():
    pace = Pace({"read": 3, "write": 2})
    assert [pace.book("write", 0.0) for _ in range(2)] == [0.0, 0.0]
    assert pace.book("write", 10.0) == 50.0  # the third waits for the first to leave the window
    assert pace.book("write", 10.0) == 50.0  # booked at 60 too: the window (0, 60] holds two
    assert pace.book("write", 10.0) == 110.0
    assert [pace.book("read", 10.0) for _ in range(3)] == [0.0, 0.0, 0.0]  # reads apart from writes
    assert pace.book(None, 10.0) == 0.0  # Drive
    assert pace.book("write", 500.0) == 0.0  # long after: the window is empty again
    assert Pace({"read": 0}).book("read", 0.0) == 0.0  # 0: not paced


def client_on(emulator: Emulator, clock: FakeClock):
    client, _ = connect(None, emulator.base_url)
    client.http_client.use_clock(clock)
    return client


def test_two_hundred_writes_go_through_the_quota_without_a_429_and_the_wait_is_counted():
    clock = FakeClock()
    with Emulator(quota=Quota(clock)) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        client = client_on(emulator, clock)
        http = client.http_client
        for i in range(200):
            http.values_update(book, "Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": [[i]]})
        assert emulator.quota.refused == {} and http.quota_refusals == 0
        assert emulator.values(book, "Sheet1") == [[199]]
        # 55 a minute: the 200th goes in the fourth minute, after three minutes of waiting
        assert 180 <= http.quota_wait_seconds == clock.monotonic() < 240
        assert http.requests_made == 200


def test_without_pacing_the_quota_is_learnt_from_429s_and_backoff():
    """What the sync did before: Google's 429, retried with backoff until the next minute."""
    clock = FakeClock()
    with Emulator(quota=Quota(clock)) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        http = client_on(emulator, clock).http_client
        http.pace = Pace({})
        http.retry_budget_seconds = 600
        for i in range(70):
            http.values_update(book, "Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": [[i]]})
        assert http.quota_refusals == emulator.quota.refused["write"] > 0
        assert http.quota_wait_seconds == 0
        assert emulator.values(book, "Sheet1") == [[69]]


def test_drive_requests_are_never_paced():
    clock = FakeClock()
    with Emulator(quota=Quota(clock)) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        http = client_on(emulator, clock).http_client
        http.pace = Pace({"read": 1, "write": 1})
        for _ in range(5):
            http.list_permissions(book)
        assert http.quota_wait_seconds == 0 and clock.monotonic() == 0


def test_the_sync_log_row_ends_with_the_quota_wait_and_reads_back():
    started = dt.datetime(2026, 12, 1, 2, 0, 1)
    google = LogEntry(started, 612.5, "google", 1000, 0, 0, 0, 1258, "ok", quota_wait=541.256)
    local = LogEntry(started, 1.5, "xlsx", 1000, 0, 0, 0, None, "ok")
    assert SYNC_LOG_COLUMNS[-3:] == ("API Requests", "Quota Wait (s)", "Result")  # Result stays last
    assert google.row()[-3:] == [1258, Decimal("541.26"), "ok"] and local.row()[-3:] == [None, None, "ok"]
    table = log_table([list(SYNC_LOG_COLUMNS), local.row()], google)
    assert table.frame["Quota Wait (s)"].tolist() == [Decimal("541.26"), None]
    # a Sync Log written before the column was added: read by its header, the new column blank
    before = [column for column in SYNC_LOG_COLUMNS if column != "Quota Wait (s)"]
    older = [started, 1.5, "google", 10, 0, 0, 0, 37, "ok"]
    assert past_runs([before, older]) == [[started, Decimal("1.50"), "google", 10, 0, 0, 0, 37, None, "ok"]]
    assert log_table([before, older], google).frame["Result"].tolist() == ["ok", "ok"]


def test_a_first_run_of_many_clients_under_the_quota_gets_no_429(capsys):
    """bench.quota at a small size: 40 clients need about 80 writes, more than a minute's worth."""
    from bench import quota

    assert quota.main(["--clients", "40", "--changed", "2"]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| first run")]
    [[_, _, _, writes, drive, refused, quota_time, *_]] = rows
    assert int(writes) > 60 and int(drive) == 40 and refused == "0"
    assert 1.0 <= float(quota_time.split()[0]) < 2.0


def test_a_google_run_puts_its_quota_wait_on_its_sync_log_row():
    from tests.test_google import google, run, team_tabs

    clock = FakeClock()
    with Emulator(quota=Quota(clock)) as emulator:
        spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
        backend = google(emulator, spreadsheet)
        backend.http.use_clock(clock)
        backend.http.pace = Pace({"read": 2, "write": 2})  # so that this small book waits
        assert run(backend).outcome == "ok"
        header, row = emulator.values(spreadsheet, SYNC_LOG)[:2]
        logged = row[header.index("Quota Wait (s)")]
        assert header[-1] == "Result" and row[-1] == "ok"
        # the row is written again after the client summaries: their waits are on it
        assert 120 <= logged <= backend.http.quota_wait_seconds == clock.monotonic()
        assert emulator.quota.refused == {}
