"""The spreadsheet's lease under late, lost and retried requests: two syncs never both hold it.

Each sync is a GoogleSheet with a client of its own, against the emulator; the emulator's `late`
fault holds a request back so that requests sent after it land first, as a client's retry backoff
can make them. (tests/test_lock.py has the lease's everyday behaviour.)
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from contextlib import contextmanager

import pytest

from sync import cli
from sync.backends.google.cells import new_sheet_id
from sync.backends.google.http import Pace
from sync.backends.google.lease import LOCK_NOTE, LOCK_TAB
from sync.backends.google.sheet import GoogleSheet
from sync.errors import LockBusy
from tests.books import CLIENTS
from tests.sheets_emulator import Emulator, FakeClock, Quota
from tests.test_google import google, run, team_tabs

LOOK = ("GET", "/v4/spreadsheets/{id}")
REPLACE = ("POST", "/v4/spreadsheets/{id}:batchUpdate")


def quick(backend: GoogleSheet) -> GoogleSheet:
    backend.lease_poll_seconds = 0.05
    return backend


def on_clock(backend: GoogleSheet, clock: FakeClock) -> GoogleSheet:
    backend.http.use_clock(clock)
    return backend


@pytest.fixture
def spreadsheet(emulator):
    return emulator.create_spreadsheet("Team", {"Clients": [["Client ID", "Name"]]})


def lock_tabs(emulator, spreadsheet) -> list[dict]:
    return [p for p in emulator.sheet_properties(spreadsheet) if p["title"] == LOCK_TAB]


def row(emulator, spreadsheet) -> list:
    return (emulator.values(spreadsheet, LOCK_TAB) or [[]])[0]


class Holders:
    """Who holds the lock when: fails the test if two ever hold it at once."""

    def __init__(self) -> None:
        self.guard, self.inside, self.most, self.held = threading.Lock(), 0, 0, []

    @contextmanager
    def hold(self, name: str):
        with self.guard:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.held.append(name)
        try:
            yield
        finally:
            with self.guard:
                self.inside -= 1


def in_thread(target, name: str) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = target()
        except BaseException as error:  # reported by the test
            outcome["error"] = error

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("first_run", [True, False])
def test_a_lease_write_that_lands_late_loses_to_the_one_that_landed_first(emulator, spreadsheet, first_run):
    """A's write is held back 1 s: B looks, finds the lock as A saw it, and takes it. A's write
    then lands on a lock that changed, and is refused whole; A sees B's lease and gives up."""
    if not first_run:  # the tab exists with a free lease
        with quick(google(emulator, spreadsheet)).lock(0):
            pass
    holders, b_holds = Holders(), threading.Event()
    late = emulator.faults.late(seconds=1.0, method="POST", route=REPLACE[1])

    def sync_a() -> None:
        with quick(google(emulator, spreadsheet)).lock(0), holders.hold("A"):
            pass

    def sync_b() -> None:
        with quick(google(emulator, spreadsheet)).lock(0), holders.hold("B"):
            b_holds.set()
            a.join(10)  # B still holds when A's write lands, and until A has given up

    a, a_outcome = in_thread(sync_a, "A")
    assert late.taken.wait(10)  # A's write is on its way
    b, b_outcome = in_thread(sync_b, "B")
    a.join(20)
    b.join(20)
    assert b_holds.is_set() and "error" not in b_outcome, b_outcome
    assert isinstance(a_outcome.get("error"), LockBusy), a_outcome
    assert "another sync (pid " in str(a_outcome["error"])
    assert holders.held == ["B"] and holders.most == 1
    assert len(lock_tabs(emulator, spreadsheet)) == 1 and row(emulator, spreadsheet) == []  # B let go


def test_two_syncs_from_the_command_line_with_a_late_lease_write_exactly_one_writes(emulator, monkeypatch):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
    holders, written = Holders(), []
    late = emulator.faults.late(seconds=1.0, method="POST", route=REPLACE[1])
    lock, read_tabs, write_tabs = GoogleSheet.lock, GoogleSheet.read_tabs, GoogleSheet.write_tabs

    @contextmanager
    def watched_lock(self, wait_seconds):
        with lock(self, wait_seconds), holders.hold(threading.current_thread().name):
            yield

    def read_after_the_late_write(self, names):
        if threading.current_thread().name == "second":
            first.join(20)  # the second sync holds the lock while the first's write lands, and until it gives up
        return read_tabs(self, names)

    def counted_write(self, *args, **kwargs):
        written.append(threading.current_thread().name)
        return write_tabs(self, *args, **kwargs)

    monkeypatch.setattr(GoogleSheet, "lock", watched_lock)
    monkeypatch.setattr(GoogleSheet, "read_tabs", read_after_the_late_write)
    monkeypatch.setattr(GoogleSheet, "write_tabs", counted_write)
    monkeypatch.setenv("SYNC_LOCK_WAIT", "0")
    target = cli.Target(None, spreadsheet, None, emulator.base_url, None)

    def sync() -> int:
        return cli.sync_once(target, dt.datetime(2026, 6, 30), quiet=True)

    first, first_outcome = in_thread(sync, "first")
    assert late.taken.wait(10)
    second, second_outcome = in_thread(sync, "second")
    first.join(30)
    second.join(60)
    assert first_outcome == {"result": 3} and second_outcome.get("result") in (0, 1), (first_outcome, second_outcome)
    assert holders.held == ["second"] and holders.most == 1
    assert set(written) == {"second"}  # (a run may write more than once: its tabs, then its Sync Log row)


def test_a_run_out_lease_taken_over_by_two_syncs_at_once_goes_to_one(emulator, spreadsheet):
    stalled = quick(google(emulator, spreadsheet))
    stalled.lease_seconds = 0  # as a killed holder's lease, 30 minutes on
    killed = stalled.lock(0)
    killed.__enter__()
    time.sleep(1.1)  # the times are written to the second
    stale = lock_tabs(emulator, spreadsheet)[0]["sheetId"]
    late = emulator.faults.late(seconds=1.0, method="POST", route=REPLACE[1])
    a = quick(google(emulator, spreadsheet))
    a_thread, a_outcome = in_thread(lambda: a.lock(0).__enter__(), "A")
    assert late.taken.wait(10)  # A saw the run-out lease and sent its takeover
    b = quick(google(emulator, spreadsheet))
    with b.lock(0):  # B saw the same lease, and its takeover landed first
        assert late.landed.wait(10)
        a_thread.join(10)
        assert isinstance(a_outcome.get("error"), LockBusy), a_outcome
        [tab] = lock_tabs(emulator, spreadsheet)
        assert tab["sheetId"] == b.lease.version != stale
        assert row(emulator, spreadsheet)[0] == b.lease.token
        killed.__exit__(None, None, None)  # the killed holder's late goodbye changes nothing
        assert row(emulator, spreadsheet)[0] == b.lease.token
    assert row(emulator, spreadsheet) == []
    assert [p["description"] for p in emulator.protected_ranges(spreadsheet)] == [LOCK_NOTE]


@pytest.mark.parametrize("first_run", [True, False])
def test_a_lost_answer_to_the_taking_write_is_resolved_by_reading_the_row(emulator, spreadsheet, first_run):
    if not first_run:
        with quick(google(emulator, spreadsheet)).lock(0):
            pass
    emulator.faults.drop_connection(method="POST", route=REPLACE[1], applied=True)
    emulator.reset_counts()
    backend = quick(google(emulator, spreadsheet))
    with backend.lock(0):
        # look, the write (applied, unanswered), its retry (refused: the lock changed), a look: our row
        assert dict(emulator.counts) == {LOOK: 2, REPLACE: 2}
        assert row(emulator, spreadsheet)[0] == backend.lease.token
        assert lock_tabs(emulator, spreadsheet)[0]["sheetId"] == backend.lease.version
    assert row(emulator, spreadsheet) == [] and len(lock_tabs(emulator, spreadsheet)) == 1


@pytest.mark.parametrize("first_run", [True, False])
def test_a_write_that_lands_after_its_retry_and_after_the_release_changes_nothing(emulator, spreadsheet, first_run):
    """The connection drops at once, the client retries and holds the lock, lets it go, and only
    then does the first attempt land: on a lock whose version it no longer knows."""
    if not first_run:
        with quick(google(emulator, spreadsheet)).lock(0):
            pass
    late = emulator.faults.late(seconds=0.5, method="POST", route=REPLACE[1], answer=False)
    with quick(google(emulator, spreadsheet)).lock(0):
        assert not late.landed.is_set()
    free = lock_tabs(emulator, spreadsheet)
    assert late.landed.wait(10)
    assert lock_tabs(emulator, spreadsheet) == free and row(emulator, spreadsheet) == []


def test_confirm_lock_renews_a_lease_near_its_end_with_one_request(emulator, spreadsheet):
    backend = quick(google(emulator, spreadsheet))
    with backend.lock(0):
        token, version, since, ends = backend.lease.token, backend.lease.version, *row(emulator, spreadsheet)[2:]
        emulator.reset_counts()
        backend.confirm_lock()  # 30 minutes left: nothing to do
        assert dict(emulator.counts) == {}
        backend.lease.margin_seconds = 31 * 60  # less than that is left: renew
        time.sleep(1.1)  # the times are written to the second
        backend.confirm_lock()
        assert dict(emulator.counts) == {REPLACE: 1}
        renewed = row(emulator, spreadsheet)
        assert (renewed[0], renewed[2]) == (token, since) and renewed[3] > ends
        assert lock_tabs(emulator, spreadsheet)[0]["sheetId"] == backend.lease.version != version
        assert len(lock_tabs(emulator, spreadsheet)) == 1
    assert row(emulator, spreadsheet) == []


def test_confirm_lock_stops_a_run_whose_lease_was_taken_over(emulator, spreadsheet):
    slow = quick(google(emulator, spreadsheet))
    slow.lease_seconds = 0
    with slow.lock(0):
        time.sleep(1.1)
        other = quick(google(emulator, spreadsheet))
        with other.lock(0):
            taken = row(emulator, spreadsheet)
            for _ in range(2):  # and every write after that is refused too
                with pytest.raises(LockBusy) as lost:
                    slow.confirm_lock()
                assert lost.value.exit_code == 3
                assert re.fullmatch(
                    rf"this sync's lease on spreadsheet {spreadsheet} ran out and another sync "
                    r"\(pid \d+ on host \S+, since \d\d:\d\d:\d\d\) took the lock over; stopped "
                    r"before writing more",
                    str(lost.value),
                ), str(lost.value)
            with pytest.raises(LockBusy):
                slow.write_tabs({})
            assert row(emulator, spreadsheet) == taken  # the other's lease, left alone
        assert row(emulator, spreadsheet) == []
    assert row(emulator, spreadsheet) == [] and len(lock_tabs(emulator, spreadsheet)) == 1


def test_a_takeover_shown_by_the_runs_own_metadata_read_stops_it_without_a_request(
    emulator, spreadsheet, gspread_client
):
    backend = quick(google(emulator, spreadsheet))
    with backend.lock(0):
        backend.read_tabs(["Clients"])
        emulator.reset_counts()
        backend.confirm_lock()  # the read showed our own lock tab
        # someone else's version appears, as a sync merged in beside ours would make it
        gspread_client.http_client.batch_update(
            spreadsheet,
            {
                "requests": [
                    {"deleteSheet": {"sheetId": backend.lease.version}},
                    {"addSheet": {"properties": {"sheetId": 7, "title": LOCK_TAB, "hidden": True}}},
                ]
            },
        )
        backend.read_tabs(["Clients"])
        emulator.reset_counts()
        with pytest.raises(LockBusy, match=r"ran out and another sync took the lock over"):
            backend.confirm_lock()
        assert dict(emulator.counts) == {}
    assert lock_tabs(emulator, spreadsheet)[0]["sheetId"] == 7  # left alone


OLD_LEASE = ["0f3c", "pid 9 on host old", "2026-07-01T02:00:01Z"]


@pytest.mark.parametrize(
    "old_row, taken",
    [
        ([], True),  # between runs, an old sync's tab is blank
        ([*OLD_LEASE, "2026-07-01T02:30:01Z"], True),  # run out
        ([*OLD_LEASE, "2999-01-01T00:00:00Z"], False),  # an old sync running now
    ],
)
def test_a_lock_tab_left_by_an_older_sync_is_taken_over_when_free(
    emulator, spreadsheet, gspread_client, old_row, taken
):
    old_id = new_sheet_id(LOCK_TAB)  # the fixed ID older syncs gave the tab, which they kept for good
    http = gspread_client.http_client
    http.batch_update(
        spreadsheet,
        {
            "requests": [
                {
                    "addSheet": {
                        "properties": {
                            "sheetId": old_id,
                            "title": LOCK_TAB,
                            "hidden": True,
                            "gridProperties": {"rowCount": 1, "columnCount": 4},
                        }
                    }
                }
            ]
        },
    )
    if old_row:
        http.values_update(
            spreadsheet, f"'{LOCK_TAB}'!A1", params={"valueInputOption": "RAW"}, body={"values": [old_row]}
        )
    backend = quick(google(emulator, spreadsheet))
    if not taken:
        with pytest.raises(LockBusy, match=r"another sync \(pid 9 on host old, since .*\) is running"):
            with backend.lock(0):
                pass
        assert row(emulator, spreadsheet) == old_row
        return
    with backend.lock(0):
        [tab] = lock_tabs(emulator, spreadsheet)
        assert tab["sheetId"] != old_id and tab["hidden"] is True
        assert row(emulator, spreadsheet)[0] == backend.lease.token
    assert row(emulator, spreadsheet) == [] and len(lock_tabs(emulator, spreadsheet)) == 1


def test_syncs_taking_turns_through_late_lost_and_retried_writes_never_hold_together(emulator, spreadsheet):
    holders, failures = Holders(), []
    faults = [
        emulator.faults.late(seconds=0.3, times=3, method="POST", route=REPLACE[1]),
        emulator.faults.late(seconds=0.2, times=2, method="POST", route=REPLACE[1], answer=False),
        emulator.faults.drop_connection(times=2, method="POST", route=REPLACE[1], applied=True),
    ]
    start = threading.Barrier(3)

    def sync(name: str) -> None:
        start.wait()
        try:
            for turn in range(4):
                with quick(google(emulator, spreadsheet)).lock(20), holders.hold(f"{name}{turn}"):
                    time.sleep(0.02)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=sync, args=(name,)) for name in "ABC"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures and holders.most == 1 and len(holders.held) == 12
    assert not emulator.faults.pending
    for fault in faults[:2]:
        assert fault.landed.wait(10)
    assert len(lock_tabs(emulator, spreadsheet)) == 1 and row(emulator, spreadsheet) == []


def test_a_run_longer_than_its_lease_under_the_quota_keeps_the_lock_and_no_other_sync_gets_it():
    """Paced at a read and a write a minute on a fake clock, a run for 8 clients takes about twice
    its 8-minute lease (as a thousand clients' first run would take its 30 minutes: more than once
    the lease, with a minute at most of waiting per request). confirm_lock renews it before writes,
    and another sync that tries whenever this one waits on the quota is refused every time."""
    clock = FakeClock()
    clients = CLIENTS + [[f"C-{i}", f"Client {i}", f"c{i}@example.com", ""] for i in range(3, 9)]
    with Emulator(quota=Quota(clock)) as emulator:
        spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator, clients))
        run_a, other = on_clock(google(emulator, spreadsheet), clock), on_clock(google(emulator, spreadsheet), clock)
        run_a.http.pace = Pace({"read": 1, "write": 1})
        run_a.lease_seconds, run_a.lease_margin_seconds = 8 * 60, 5 * 60
        refused, taken = [], []

        def try_the_lock() -> None:
            try:
                with other.lock(0):
                    taken.append(clock.now())
            except LockBusy as busy:
                refused.append(str(busy))

        def waiting(seconds: float) -> None:
            clock.sleep(seconds)
            try_the_lock()

        run_a.http.sleep = waiting
        with run_a.lock(0):
            result = run(run_a)
            versions = set(run_a.lease.versions)
        assert clock.monotonic() > 1.5 * run_a.lease_seconds  # the run outlasted its first lease
        assert result.outcome == "ok" and run_a.http.quota_wait_seconds > run_a.lease_seconds
        assert len(versions) >= 3  # renewed again and again while it ran
        assert taken == [] and len(refused) >= 5
        assert all("another sync (pid " in reason for reason in refused)
        assert emulator.quota.refused == {} and run_a.http.quota_refusals == 0  # paced: never a 429
        try_the_lock()  # once it let go, the other sync takes it
        assert len(taken) == 1
