"""--when-changed: a sync during the day only when the book changed, never for the sync's own write.

On a travelled clock (time_machine) `schedule`'s loop looks every 10 minutes through the real
backends (a local workbook, a spreadsheet in the emulator over real HTTP) while the test edits the
book at set times; `run --when-changed` keeps what the last run left in a file, across processes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sync.backends.google.http import connect
from sync.backends.google.sheet import GoogleSheet
from sync.backends.memory import MemoryBook
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.cli import Target, scheduled
from sync.cli.changes import record_file
from sync.cli.scheduler import serve
from sync.errors import GoogleAccessError
from tests.books import TIME
from tests.test_cli import sync_cli, write_book
from tests.test_google import team_tabs

UTC = ZoneInfo("UTC")
DAY = dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday morning
DRIVE_GET = ("GET", "/drive/v3/files/{id}")


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """The records of last runs in the test's own folder (SYNC_STATE_DIR), none from elsewhere."""
    folder = tmp_path / "state"
    monkeypatch.setenv("SYNC_STATE_DIR", str(folder))
    return folder


class Day:
    """serve()'s `stop` on a travelled clock: each wait moves the clock on by its timeout; `edits`
    (UTC moment -> edit) are made once the clock has passed them; set once the clock reaches `until`."""

    def __init__(self, traveller: time_machine.Coordinates, until: dt.datetime, edits: dict) -> None:
        self.traveller, self.until, self.edits = traveller, until, dict(edits)
        self.ran: list[dt.datetime] = []

    def is_set(self) -> bool:
        return dt.datetime.now(UTC) >= self.until

    def wait(self, timeout: float) -> bool:
        self.traveller.shift(timeout)
        for moment in sorted(self.edits):
            if dt.datetime.now(UTC) >= moment:
                self.edits.pop(moment)()
        return self.is_set()

    def counted(self, job: Callable[[dt.date], int]) -> Callable[[dt.date], int]:
        def run(day: dt.date) -> int:
            self.ran.append(dt.datetime.now(UTC))
            return job(day)

        return run


def a_day(
    job: Callable[[dt.date], int],
    changed: Callable[[], str | None] | None,
    edits: dict,
    hours: float = 19,
    once_now: bool = True,
) -> tuple[Day, list[str]]:
    """serve() from DAY 08:00 UTC for `hours`, daily run at 02:00 UTC, every 10 minutes in between."""
    lines: list[str] = []
    with time_machine.travel(DAY, tick=False) as traveller:
        clock = Day(traveller, DAY + dt.timedelta(hours=hours), edits)
        serve(clock.counted(job), "02:00", "UTC", once_now, clock, log=lines.append, every=600, changed=changed)
    return clock, lines


def at(hours: int, minutes: int = 0, days: int = 0) -> dt.datetime:
    return DAY.replace(hour=hours, minute=minutes) + dt.timedelta(days=days)


# --- serve() with a check -----------------------------------------------------------------


def test_between_daily_runs_it_runs_only_when_the_check_says_why():
    answers = {at(9, 30): "changed since the last run at 2026-12-07 08:00:00"}
    looked: list[dt.datetime] = []

    def changed() -> str | None:
        looked.append(dt.datetime.now(UTC))
        return answers.get(looked[-1])

    clock, lines = a_day(lambda day: 0, changed, {}, once_now=False)
    assert clock.ran == [at(9, 30), at(2, days=1)]  # the daily run whatever the checks say
    assert looked[:3] == [at(8, 10), at(8, 20), at(8, 30)] and len(looked) == 19 * 6 - 1  # to 02:50
    assert (
        lines[0]
        == "2026-12-07 08:00:00 sync scheduled every day at 02:00:00 (UTC), and every 10 minutes if the book changed"
    )
    assert "2026-12-07 09:30:00 changed since the last run at 2026-12-07 08:00:00" in lines
    assert "2026-12-07 09:30:00 sync started" in lines
    assert [line for line in lines if "next run" in line] == [  # the daily run's, not every check's
        "2026-12-07 08:00:00 next run at 2026-12-08 02:00:00",
        "2026-12-08 02:00:00 next run at 2026-12-09 02:00:00",
    ]
    assert len(lines) == 1 + 1 + 3 + 3 + 1  # scheduled, next, a change and its run, the daily run and next, stopped


def test_a_check_that_cannot_reach_google_is_one_line_and_the_next_one_goes_ahead():
    failing = {at(8, 10), at(8, 20)}

    def changed() -> str | None:
        if dt.datetime.now(UTC) in failing:
            raise GoogleAccessError(
                "cannot reach Google for spreadsheet 1abc: ConnectionError (gave up after retrying)"
            )
        return "changed since the last run at 2026-12-07 08:00:00" if dt.datetime.now(UTC) == at(8, 30) else None

    clock, lines = a_day(lambda day: 0, changed, {}, hours=1, once_now=False)
    assert clock.ran == [at(8, 30)]
    failed = [line for line in lines if "check for changes failed" in line]
    assert failed == [
        f"2026-12-07 08:{m}:00 check for changes failed: cannot reach Google for spreadsheet 1abc: "
        "ConnectionError (gave up after retrying)"
        for m in (10, 20)
    ]


def test_every_without_when_changed_runs_each_time():
    clock, lines = a_day(lambda day: 0, None, {}, hours=1, once_now=False)
    assert clock.ran == [at(8, m) for m in (10, 20, 30, 40, 50)]  # stopped at 09:00
    assert lines[0].endswith("(UTC), and every 10 minutes")


def test_the_memory_book_fingerprint_moves_with_an_edit_and_a_write():
    book = MemoryBook({"Time": [list(row) for row in TIME]})
    first = book.fingerprint()
    assert book.fingerprint() == first
    book.tabs["Time"].append(["2026-06-20", "Ann", "K-1", "Call", "", "1", "", ""])
    edited = book.fingerprint()
    book.write_tabs({})
    assert len({first, edited, book.fingerprint()}) == 3


# --- schedule --when-changed on a real workbook -------------------------------------------


def test_a_workbook_syncs_once_after_an_edit_and_not_for_its_own_write(tmp_path):
    book = write_book(tmp_path / "team.xlsx")
    target = Target(book, None, None, None, None)
    job, changed = scheduled(target, as_json=False, quiet=True, when_changed=True)
    before: list[bytes] = []

    def edit() -> None:  # someone adds a row and saves
        before.append(book.read_bytes())
        write_book(book, Time=[*TIME, ["2026-06-20", "Ann", "K-1", "Call", "", "1", "", ""]])

    clock, lines = a_day(job, changed, {at(10, 5): edit})
    # Started 08:00: a run; the edit at 10:05 is seen at 10:10; the daily run at 02:00; no other.
    assert clock.ran == [at(8), at(10, 10), at(2, days=1)], "\n".join(lines)
    assert "2026-12-07 10:10:00 changed since the last run at 2026-12-07 08:00:00" in lines
    assert not [line for line in lines if "exit" in line and "exit 0" not in line], "\n".join(lines)
    assert book.read_bytes() != before[0]
    record = json.loads(record_file(str(book.resolve())).read_text())
    assert record["fingerprint"] == LocalWorkbook(book).fingerprint()  # what the daily run left
    assert record["finished"] == "2026-12-08T02:00:00"


# --- schedule --when-changed on a Google spreadsheet ----------------------------------------


def test_a_spreadsheet_syncs_once_after_an_edit_each_check_one_drive_request(emulator, gspread_client):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
    target = Target(None, spreadsheet, None, emulator.base_url, None)
    job, changed = scheduled(target, as_json=False, quiet=True, when_changed=True)
    seen: dict[str, Counter] = {}

    def edit() -> None:  # a person types a row, through unmodified gspread
        seen["before the edit"] = Counter(emulator.counts)
        gspread_client.open_by_key(spreadsheet).worksheet("Time").append_row(
            ["2026-06-20", "Ann", "K-1", "Call", "", "1", "", ""], value_input_option="USER_ENTERED"
        )

    def after_the_first_run() -> None:
        seen["after the first run"] = Counter(emulator.counts)

    clock, lines = a_day(job, changed, {at(8, 5): after_the_first_run, at(11, 55): edit}, hours=6)
    assert clock.ran == [at(8), at(12)], "\n".join(lines)
    assert not [line for line in lines if "exit" in line and "exit 0" not in line], "\n".join(lines)
    # Between the first run and the edit, a check every 10 minutes (08:10 ... 11:50): one Drive
    # files.get each, no Sheets request.
    assert seen["before the edit"] - seen["after the first run"] == Counter({DRIVE_GET: 23})
    assert seen["after the first run"][DRIVE_GET] == 1  # the first run's record of what it left
    assert any("Ann" in row and "Call" in row for row in emulator.values(spreadsheet, "Time"))


def test_the_emulator_moves_modified_time_on_every_change_even_on_a_frozen_clock(emulator, gspread_client):
    spreadsheet = emulator.create_spreadsheet("Team", {"Time": TIME})
    client, account = connect(None, emulator.base_url)
    backend = GoogleSheet(spreadsheet, client, account)
    with time_machine.travel(DAY, tick=False):
        seen = [backend.fingerprint()]
        worksheet = gspread_client.open_by_key(spreadsheet).worksheet("Time")
        worksheet.update_acell("F2", "2")  # values update
        seen.append(backend.fingerprint())
        worksheet.update_title("Hours")  # batchUpdate
        seen.append(backend.fingerprint())
        worksheet.get_all_values()  # a read is no change
        seen.append(backend.fingerprint())
    # RFC 3339 in UTC to the millisecond, as Drive writes it; the second change in the same frozen
    # millisecond moves it by one; a read leaves it.
    changed, renamed, read = "2026-12-07T08:00:00.000Z", "2026-12-07T08:00:00.001Z", "2026-12-07T08:00:00.001Z"
    assert seen[0] < changed and seen[1:] == [changed, renamed, read]


# --- run --when-changed, one process per run (cron) ------------------------------------------


def run_when_changed(tmp_path: Path, state: Path, *args: str):
    return sync_cli(
        "run", "--book", "team.xlsx", "--when-changed", *args, cwd=tmp_path, env={"SYNC_STATE_DIR": str(state)}
    )


def test_run_when_changed_keeps_what_the_last_run_left_across_processes(tmp_path, state_dir):
    book = write_book(tmp_path / "team.xlsx")
    first = run_when_changed(tmp_path, state_dir)
    assert first.returncode == 0, first.stderr
    assert "wrote team.xlsx" in first.stdout  # no record yet: a run
    written = book.read_bytes()

    again = run_when_changed(tmp_path, state_dir)
    assert (again.returncode, again.stderr) == (0, "")
    finished = json.loads(record_file(str(book.resolve())).read_text())["finished"].replace("T", " ")
    assert again.stdout == f"unchanged since the last run at {finished}; not synced\n"
    quiet = run_when_changed(tmp_path, state_dir, "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    as_json = run_when_changed(tmp_path, state_dir, "--json")
    assert json.loads(as_json.stdout) == {"synced": False, "unchanged_since": finished.replace(" ", "T")}
    assert book.read_bytes() == written  # nothing was written by the looks

    write_book(book, Time=[*TIME, ["2026-06-20", "Ann", "K-1", "Call", "", "1", "", ""]])
    edited = run_when_changed(tmp_path, state_dir)
    assert edited.returncode == 0 and "wrote team.xlsx" in edited.stdout, edited.stderr
    assert "not synced" in run_when_changed(tmp_path, state_dir).stdout


def test_a_plain_run_keeps_the_record_once_there_is_one(tmp_path, state_dir):
    write_book(tmp_path / "team.xlsx")
    env = {"SYNC_STATE_DIR": str(state_dir)}
    assert sync_cli("run", "--book", "team.xlsx", "--quiet", cwd=tmp_path, env=env).returncode == 0
    assert not state_dir.exists()  # a book nobody runs --when-changed for leaves nothing behind
    assert run_when_changed(tmp_path, state_dir).returncode == 0
    assert sync_cli("run", "--book", "team.xlsx", "--quiet", cwd=tmp_path, env=env).returncode == 0  # the nightly
    assert "not synced" in run_when_changed(tmp_path, state_dir).stdout  # its write is no change


def test_a_failed_run_or_an_unreadable_record_means_the_next_look_runs(tmp_path, state_dir):
    book = write_book(tmp_path / "team.xlsx")
    assert run_when_changed(tmp_path, state_dir).returncode == 0
    record = record_file(str(book.resolve()))
    record.write_text("{not json")
    assert "wrote team.xlsx" in run_when_changed(tmp_path, state_dir).stdout

    (tmp_path / "contract-sync.toml").write_text("lock_wait = 0\n")
    with LocalWorkbook(book).lock(0):  # another sync holds the book: the nightly run fails (exit 3)
        busy = sync_cli("run", "--book", "team.xlsx", "--quiet", cwd=tmp_path, env={"SYNC_STATE_DIR": str(state_dir)})
    assert busy.returncode == 3, busy.stderr
    assert not record.exists()
    assert "wrote team.xlsx" in run_when_changed(tmp_path, state_dir).stdout  # the book is unchanged, yet it runs


def test_run_when_changed_on_a_spreadsheet_across_processes(emulator, gspread_client, state_dir):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
    env = {"SYNC_STATE_DIR": str(state_dir), "SYNC_GOOGLE_API_URL": emulator.base_url, "SYNC_RETRY_SECONDS": "0"}

    def look(*args: str):
        return sync_cli("run", "--sheet", spreadsheet, "--when-changed", *args, cwd=state_dir.parent, env=env)

    assert f"wrote spreadsheet {spreadsheet}" in look().stdout
    emulator.reset_counts()
    unchanged = look()
    assert (unchanged.returncode, unchanged.stderr) == (0, "")
    assert unchanged.stdout.startswith("unchanged since the last run at ")
    assert emulator.counts == Counter({DRIVE_GET: 1})  # a look is one Drive request, no Sheets request

    gspread_client.open_by_key(spreadsheet).worksheet("Time").update_acell("F2", "3")
    assert "Balances" in json.loads(look("--json").stdout)["written"]  # changed: a run
    assert "not synced" in look().stdout

    emulator.faults.fail(status=503, times=100, route="/drive/v3/files/{id}")
    failed = look()
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr.startswith(f"error: Google answered 503 for spreadsheet {spreadsheet}")
    assert failed.stderr.count("\n") == 1
