"""One sync of a book at a time: the local workbook's file lock and the spreadsheet's lease.

Local syncs are real `python -m sync` processes (and a holder process killed with SIGKILL);
spreadsheet syncs are GoogleSheet backends with clients of their own, against the emulator.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sync import cli
from sync.backends.google import sheet as google_backend
from sync.backends.google.lease import LOCK_NOTE, LOCK_TAB
from sync.backends.xlsx import workbook as xlsx
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.errors import LockBusy
from tests.test_cli import AS_OF, ROOT, read_tabs, sync_cli, write_book
from tests.test_google import google

HOLD = """
import sys, time
from sync.backends.xlsx.workbook import LocalWorkbook
with LocalWorkbook(sys.argv[1]).lock(0):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def book(tmp_path) -> Path:
    return write_book(tmp_path / "team.xlsx")


@pytest.fixture
def holder(book):
    """Start a process that holds the book's lock (its Popen), killed at the end if still alive."""
    started: list[subprocess.Popen] = []

    def start(path: Path = book) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        started.append(process)
        assert process.stdout.readline() == "held\n"
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


# --- the local workbook ----------------------------------------------------------------


def test_a_second_sync_waits_the_lock_wait_then_exits_3_and_writes_nothing(book, holder):
    process = holder()
    before = book.read_bytes()
    started = time.monotonic()
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=book.parent, env={"SYNC_LOCK_WAIT": "1"})
    took = time.monotonic() - started
    assert done.returncode == 3, done.stdout + done.stderr
    assert re.fullmatch(
        rf"error: another sync \(pid {process.pid} on host \S+, since \d\d:\d\d:\d\d\) is running "
        r"on team\.xlsx; gave up after 1 s\n",
        done.stderr,
    ), done.stderr
    assert done.stdout == ""
    assert 1 <= took < 10
    assert book.read_bytes() == before
    assert not (book.parent / "clients").exists()


def test_a_lock_left_by_a_killed_sync_does_not_block_the_next(book, holder):
    process = holder()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert (book.parent / ".team.xlsx.lock").read_text() != ""  # it had no time to tidy up
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=book.parent, env={"SYNC_LOCK_WAIT": "0"})
    assert done.returncode == 0, done.stderr
    assert "Balances" in read_tabs(book)


def test_two_syncs_at_once_exactly_one_writes(book, monkeypatch):
    """The first sync is held up inside its run, so the second surely comes while it holds the lock."""
    inside, go_on, written = threading.Event(), threading.Event(), []
    read_tabs_, write_tabs_ = LocalWorkbook.read_tabs, LocalWorkbook.write_tabs

    def slow_read(self, names):
        if threading.current_thread().name == "first":
            inside.set()
            go_on.wait(10)
        return read_tabs_(self, names)

    def counted_write(self, *args, **kwargs):
        written.append(threading.current_thread().name)
        return write_tabs_(self, *args, **kwargs)

    monkeypatch.setattr(LocalWorkbook, "read_tabs", slow_read)
    monkeypatch.setattr(LocalWorkbook, "write_tabs", counted_write)
    monkeypatch.setenv("SYNC_LOCK_WAIT", "1")
    codes: dict[str, int] = {}
    target = cli.Target(book, None, None, None, None)

    def sync() -> None:
        codes[threading.current_thread().name] = cli.sync_once(target, dt.datetime(2026, 6, 30), quiet=True)

    first = threading.Thread(target=sync, name="first")
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=sync, name="second")
    second.start()
    second.join(10)
    go_on.set()
    first.join(30)
    assert codes == {"second": 3, "first": 0}
    assert written == ["first"]


def test_the_lock_file_is_hidden_beside_the_real_workbook_while_held(book, tmp_path):
    link = tmp_path / "elsewhere" / "link.xlsx"
    link.parent.mkdir()
    link.symlink_to(book)
    lock_file = book.parent / ".team.xlsx.lock"
    with LocalWorkbook(link).lock(0):
        assert f"pid {os.getpid()} on host" in lock_file.read_text()
        with pytest.raises(LockBusy, match=r"is running on .*team\.xlsx; gave up after 0\.2 s$"):
            with LocalWorkbook(book).lock(0.2):
                pass
    assert not lock_file.exists()  # a run leaves the folder as it found it
    assert [p.name for p in link.parent.iterdir()] == ["link.xlsx"]  # no lock file beside the link
    with LocalWorkbook(book).lock(0):
        pass


def test_a_waiter_that_opened_the_lock_file_as_its_holder_let_go_does_not_hold_it(book, monkeypatch):
    """The holder deletes the lock file as it lets go: one who opened that file just before must
    not hold its lock while a newcomer holds the lock of the file created next."""
    first, newcomer, waiter = LocalWorkbook(book), LocalWorkbook(book), LocalWorkbook(book)
    held = first.lock(0)
    held.__enter__()
    open_lock, calls = xlsx._open_lock, []

    def open_as_the_holder_lets_go(path, shown):
        fd = open_lock(path, shown)
        calls.append(path)
        if len(calls) == 1:  # the waiter's first open
            held.__exit__(None, None, None)
            newcomer_lock.__enter__()
        return fd

    monkeypatch.setattr(xlsx, "_open_lock", open_as_the_holder_lets_go)
    newcomer_lock = newcomer.lock(0)
    with pytest.raises(LockBusy), waiter.lock(0):
        pytest.fail("the waiter holds the deleted file's lock while the newcomer holds the new one's")
    newcomer_lock.__exit__(None, None, None)
    with waiter.lock(0):
        pass


def test_syncs_that_keep_taking_the_lock_never_hold_it_together(book):
    inside, most, failures = [0], [0], []
    count = threading.Lock()

    def sync() -> None:
        try:
            for _ in range(40):
                with LocalWorkbook(book).lock(10):
                    with count:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    time.sleep(0.001)
                    with count:
                        inside[0] -= 1
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=sync) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures and most == [1]


def test_a_missing_workbook_is_reported_as_missing_not_as_a_lock_problem(tmp_path):
    done = sync_cli("run", "--book", "nowhere/team.xlsx", cwd=tmp_path)
    assert done.returncode == 2 and "workbook not found" in done.stderr, done.stderr


# --- the Google spreadsheet ------------------------------------------------------------


def quick(backend):
    backend.lease_poll_seconds = 0.05
    return backend


@pytest.fixture
def spreadsheet(emulator):
    return emulator.create_spreadsheet("Team", {"Clients": [["Client ID", "Name"]]})


def lease(emulator, spreadsheet):
    return emulator.values(spreadsheet, LOCK_TAB)


def test_a_second_spreadsheet_sync_is_busy_while_the_first_holds_the_lease(emulator, spreadsheet):
    first, second = quick(google(emulator, spreadsheet)), quick(google(emulator, spreadsheet))
    with first.lock(1):
        token, who, since, ends = lease(emulator, spreadsheet)[0]
        assert who == f"pid {os.getpid()} on host {socket.gethostname()}"
        assert dt.datetime.fromisoformat(ends) - dt.datetime.fromisoformat(since) == dt.timedelta(minutes=30)
        started = time.monotonic()
        with pytest.raises(LockBusy) as busy, second.lock(0.3):
            pytest.fail("both hold the lock")
        assert 0.3 <= time.monotonic() - started < 3
        assert re.fullmatch(
            rf"another sync \({who}, since \d\d:\d\d:\d\d\) is running on spreadsheet {spreadsheet}; "
            r"gave up after 0\.3 s; its lease runs out at \d\d:\d\d:\d\d",
            str(busy.value),
        )
        assert busy.value.exit_code == 3
        assert lease(emulator, spreadsheet)[0][0] == token  # the loser left the holder's lease alone
    assert lease(emulator, spreadsheet) == []  # released
    with second.lock(0):
        assert lease(emulator, spreadsheet)[0][0] != token


def test_the_lock_tab_is_hidden_and_protected_like_the_output_tabs(emulator, spreadsheet):
    with quick(google(emulator, spreadsheet, warning_only=True)).lock(0):
        pass
    tab = next(p for p in emulator.sheet_properties(spreadsheet) if p["title"] == LOCK_TAB)
    assert tab["hidden"] is True
    [protection] = emulator.protected_ranges(spreadsheet)
    assert protection["range"]["sheetId"] == tab["sheetId"]
    assert (protection["description"], protection["warningOnly"]) == (LOCK_NOTE, True)


def test_an_expired_lease_is_taken_over_and_not_cleared_by_its_late_holder(emulator, spreadsheet):
    stalled = quick(google(emulator, spreadsheet))
    stalled.lease_seconds = 0  # runs out at once, as a killed holder's lease does after 30 minutes
    late = stalled.lock(0)
    late.__enter__()
    stale = lease(emulator, spreadsheet)
    time.sleep(1.1)  # the times are written to the second
    with quick(google(emulator, spreadsheet)).lock(0):
        taken = lease(emulator, spreadsheet)
        assert taken[0][0] != stale[0][0]
        late.__exit__(None, None, None)
        assert lease(emulator, spreadsheet) == taken  # a late holder clears only a lease of its own
    assert lease(emulator, spreadsheet) == []


def test_a_lease_someone_else_wrote_blocks_until_it_runs_out(emulator, spreadsheet, gspread_client):
    with quick(google(emulator, spreadsheet)).lock(0):  # adds the tab
        pass
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)  # 1 to 2 s, written to the second
    gspread_client.http_client.values_update(
        spreadsheet,
        f"'{LOCK_TAB}'!A1",
        params={"valueInputOption": "RAW"},
        body={"values": [["x", "pid 9 on host b", "2026-07-01T02:00:01Z", f"{soon:%Y-%m-%dT%H:%M:%SZ}"]]},
    )
    with pytest.raises(LockBusy, match=r"\(pid 9 on host b, since .*02:00:01\)"):
        with quick(google(emulator, spreadsheet)).lock(0):
            pass
    started = time.monotonic()
    with quick(google(emulator, spreadsheet)).lock(5):
        assert time.monotonic() - started < 4


def test_syncs_racing_for_a_new_spreadsheet_take_turns(emulator, spreadsheet):
    """Both find no lock tab, both add it (one is told it exists), both write a lease: one holds it."""
    held: list[tuple[float, float]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(3)

    def sync() -> None:
        backend = quick(google(emulator, spreadsheet))
        start.wait()
        try:
            with backend.lock(10):
                began = time.monotonic()
                time.sleep(0.2)
                held.append((began, time.monotonic()))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=sync) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures and len(held) == 3
    held.sort()
    assert all(end <= next_begin for (_, end), (next_begin, _) in zip(held, held[1:])), held
    assert [p["title"] for p in emulator.sheet_properties(spreadsheet)].count(LOCK_TAB) == 1


def test_the_lock_costs_two_requests_to_take_and_one_to_let_go(emulator, spreadsheet):
    look, replace = ("GET", "/v4/spreadsheets/{id}"), ("POST", "/v4/spreadsheets/{id}:batchUpdate")
    for _ in range(2):  # the first time the look finds no tab, and the batchUpdate adds it
        emulator.reset_counts()
        with quick(google(emulator, spreadsheet)).lock(0):
            assert dict(emulator.counts) == {look: 1, replace: 1}
        assert dict(emulator.counts) == {look: 1, replace: 2}


def test_the_cli_exits_3_while_another_sync_holds_the_spreadsheet(emulator, spreadsheet):
    with quick(google(emulator, spreadsheet)).lock(0):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "sync", "run", "--sheet", spreadsheet, "--api-url", emulator.base_url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}, "SYNC_LOCK_WAIT": "1"},
        )
        assert done.returncode == 3, done.stderr
        assert done.stderr.startswith("error: another sync (pid ") and done.stderr.count("\n") == 1, done.stderr
        assert time.monotonic() - started < 15
    assert google_backend.GoogleSheet.lease_seconds == 30 * 60  # the figure README gives
