"""Nightly operation: `schedule` runs the sync at the right moment, outlives a failed run and stops
only between writes; scripts/nightly runs one quiet, logged sync for cron."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from sync.app.init_book import create_template
from sync.app.sample import write_sample_book
from sync.cli import main
from sync.cli.scheduler import serve

ROOT = Path(__file__).resolve().parents[1]
UTC = ZoneInfo("UTC")


# --- serve() on a travelled clock --------------------------------------------------------


class Nights:
    """The `stop` of serve(): each wait moves the travelled clock on by its timeout instead of sleeping,
    so nights pass in milliseconds; it is set after `runs` runs of `job`, which records them."""

    def __init__(self, traveller: time_machine.Coordinates, runs: int, results: list) -> None:
        self.traveller, self.runs, self.results = traveller, runs, list(results)
        self.ran: list[tuple[dt.datetime, dt.date]] = []  # (UTC moment, the date the job was given)
        self.stopped = False
        self.waits = 0

    def is_set(self) -> bool:
        return self.stopped

    def wait(self, timeout: float) -> bool:
        self.waits += 1
        assert self.waits < 20_000, "serve() kept waiting"
        self.traveller.shift(timeout)
        return self.stopped

    def job(self, day: dt.date) -> int:
        self.ran.append((dt.datetime.now(UTC).replace(tzinfo=None), day))
        self.stopped = len(self.ran) >= self.runs
        result = self.results.pop(0) if self.results else 0
        if isinstance(result, Exception):
            raise result
        return result


def nights(
    start: dt.datetime, at: str, tz: str | None, runs: int = 2, results: list = (), once_now: bool = False
) -> tuple[Nights, list[str]]:
    """serve() from `start` (its zone becomes this process's local zone) until `runs` runs."""
    lines: list[str] = []
    with time_machine.travel(start, tick=False) as traveller:
        clock = Nights(traveller, runs, results)
        serve(clock.job, at, tz, once_now, clock, log=lines.append)
    return clock, lines


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    "tz, first_run_utc",
    [
        ("Europe/London", "2026-11-30 02:00"),  # GMT = UTC in winter
        ("America/New_York", "2026-11-30 07:00"),  # EST = UTC-5
        ("UTC", "2026-11-30 02:00"),
    ],
)
def test_runs_at_the_time_in_its_zone_and_not_before(tz, first_run_utc):
    clock, lines = nights(dt.datetime(2026, 11, 30, 0, 30, tzinfo=UTC), "02:00", tz)
    first = utc(first_run_utc)
    assert [moment for moment, _ in clock.ran] == [first, first + dt.timedelta(days=1)]
    assert [day for _, day in clock.ran] == [dt.date(2026, 11, 30), dt.date(2026, 12, 1)]
    assert lines[0].endswith(f"sync scheduled every day at 02:00:00 ({tz})")
    assert lines[1] == f"{lines[1][:19]} next run at 2026-11-30 02:00:00"  # said in the zone of --at
    assert "2026-11-30 02:00:00 sync started" in lines
    assert lines[-1].endswith("stopped")


def test_summer_time_moves_the_run_in_utc():
    clock, _ = nights(dt.datetime(2026, 7, 1, 0, 30, tzinfo=UTC), "02:00", "Europe/London", runs=1)
    assert clock.ran == [(utc("2026-07-01 01:00"), dt.date(2026, 7, 1))]  # BST = UTC+1


def test_each_run_is_as_of_that_day_in_its_zone():
    # 02:00 in Auckland (UTC+13 in November) is 13:00 UTC the day before: the sync is as of the 30th.
    clock, _ = nights(dt.datetime(2026, 11, 29, 0, 0, tzinfo=UTC), "2:00", "Pacific/Auckland", runs=1)
    assert clock.ran == [(utc("2026-11-29 13:00"), dt.date(2026, 11, 30))]


def test_without_tz_the_machine_zone_is_used():
    clock, _ = nights(dt.datetime(2026, 11, 30, 0, 0, tzinfo=ZoneInfo("Asia/Tokyo")), "02:00:30", None, runs=1)
    assert clock.ran == [(utc("2026-11-29 17:00:30"), dt.date(2026, 11, 30))]


def test_once_now_runs_at_start_then_at_the_time():
    clock, lines = nights(dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC), "02:00", "UTC", once_now=True)
    assert [moment for moment, _ in clock.ran] == [utc("2026-11-30 12:00"), utc("2026-12-01 02:00")]
    assert lines[1] == "2026-11-30 12:00:00 sync started"


def test_a_failed_run_does_not_stop_the_next():
    clock, lines = nights(
        dt.datetime(2026, 11, 30, 0, 0, tzinfo=UTC), "02:00", "UTC", runs=3, results=[ValueError("a bug"), 2, 0]
    )
    assert [moment for moment, _ in clock.ran] == [
        utc("2026-11-30 02:00"),
        utc("2026-12-01 02:00"),
        utc("2026-12-02 02:00"),
    ]
    text = "\n".join(lines)
    assert "2026-11-30 02:00:00 sync crashed after 0.0 s: ValueError: a bug (a bug; traceback follows)" in text
    assert "Traceback" in text
    assert "2026-12-01 02:00:00 sync finished: exit 2 in 0.0 s" in text
    assert "2026-12-02 02:00:00 sync finished: exit 0 in 0.0 s" in text
    assert "2026-12-01 02:00:00 next run at 2026-12-02 02:00:00" in text


def test_a_set_event_stops_an_idle_serve_promptly():
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    serve(lambda day: 0, "02:00", None, False, stop, log=lambda line: None)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--at", "25:00"], "error: --at must be a time of day as HH:MM or HH:MM:SS (24-hour clock), not '25:00'"),
        (["--at", "2pm"], "error: --at must be a time of day as HH:MM or HH:MM:SS (24-hour clock), not '2pm'"),
        (
            ["--at", "02:00", "--tz", "Europe/Lundon"],
            "error: --tz: unknown time zone 'Europe/Lundon' (use a name such as Europe/London or UTC)",
        ),
        (["--at", "02:00", "--book", "missing.xlsx"], "error: workbook not found: missing.xlsx"),
        (
            ["--at", "02:00", "--every", "30s"],
            "error: --every must be a number of minutes or hours, such as 10m or 1h, not '30s'",
        ),
        (
            ["--at", "02:00", "--when-changed"],
            "error: --when-changed looks for changes between the daily runs: give --every too, such as "
            "--every 10m (the run at --at always runs)",
        ),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    create_template(tmp_path / "team.xlsx")
    args = args if "--book" in args else [*args, "--book", "team.xlsx"]
    done = CliRunner().invoke(main, ["schedule", *args], env={"SYNC_TZ": None, "SYNC_AT": None, "SYNC_EVERY": None})
    assert done.exit_code == 2
    assert done.stderr.splitlines() == [message] and done.stdout == ""


# --- the real command, signalled ---------------------------------------------------------

# `python -m sync` with the workbook's write slowed down where it matters: the temporary file is
# written and the rename is next. "test: writing" on stderr says the run got there.
SLOW_WRITE = """
import runpy, sys, time
import sync.backends.xlsx.workbook as xlsx
read = xlsx._read
def read_slowly(path):
    if any(path.parent.glob(f".{path.name}.*.tmp")):
        print("test: writing", file=sys.stderr, flush=True)
        time.sleep(1.5)
    return read(path)
xlsx._read = read_slowly
runpy.run_module("sync", run_name="__main__", alter_sys=True)
"""


class Command:
    """A `python -m sync ...` process whose stderr lines can be awaited."""

    def __init__(self, args: list[str], cwd: Path, python_code: str | None = None) -> None:
        env = {name: value for name, value in os.environ.items() if not name.startswith("SYNC_")}
        env["PYTHONPATH"] = str(ROOT)
        start = ["-c", python_code, *args] if python_code else ["-m", "sync", *args]
        self.process = subprocess.Popen(
            [sys.executable, *start], cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            self.stderr.append(line)
            if text in line:
                return
        self.process.kill()
        pytest.fail(f"no {text!r} in stderr:\n{''.join(self.stderr)}")

    def finish(self, timeout: float) -> tuple[int, str, str]:
        code = self.process.wait(timeout)
        stdout = self.process.stdout.read()
        time.sleep(0.05)  # the reader thread gets the last lines
        while not self.lines.empty():
            self.stderr.append(self.lines.get())
        return code, stdout, "".join(self.stderr)


def far_from_now() -> str:
    return (dt.datetime.now() + dt.timedelta(hours=12)).strftime("%H:%M")


def temporary_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(".tmp")]


def test_sigterm_during_a_write_lets_it_finish_then_exits_0(tmp_path):
    book = tmp_path / "team.xlsx"
    create_template(book)
    command = Command(
        ["schedule", "--once-now", "--at", far_from_now(), "--book", str(book), "--json"], tmp_path, SLOW_WRITE
    )
    command.wait_for("sync started")
    command.wait_for("test: writing")
    assert temporary_files(tmp_path)  # the new package is written, not yet renamed into place
    command.process.send_signal(signal.SIGTERM)
    code, stdout, stderr = command.finish(timeout=30)
    assert code == 0, stderr
    assert json.loads(stdout)["exit_code"] == 0  # --json: one object per run
    assert re.search(r"sync finished: exit 0 in \d+\.\d s\n.* stopped\n$", stderr), stderr
    assert "Traceback" not in stderr
    assert zipfile.is_zipfile(book)
    tabs = CalamineWorkbook.from_path(str(book)).sheet_names
    assert {"Balances", "Monthly", "Errors"} <= set(tabs)
    assert temporary_files(tmp_path) == []


def test_sigint_while_idle_stops_promptly(tmp_path):
    book = tmp_path / "team.xlsx"
    create_template(book)
    command = Command(["schedule", "--once-now", "--quiet", "--at", far_from_now(), "--book", str(book)], tmp_path)
    command.wait_for("next run at")
    before = book.read_bytes()
    signalled = time.monotonic()
    command.process.send_signal(signal.SIGINT)
    code, stdout, stderr = command.finish(timeout=10)
    assert time.monotonic() - signalled < 1.5
    assert code == 0 and stdout == "", stderr  # --quiet: nothing printed when all is well
    assert stderr.endswith(" stopped\n") and "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert book.read_bytes() == before


# --- scripts/nightly ---------------------------------------------------------------------

needs_venv = pytest.mark.skipif(
    not (ROOT / ".venv/bin/python").exists(), reason="scripts/nightly runs .venv/bin/python (scripts/venv makes it)"
)
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def nightly(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("SYNC_")}
    environment.update(env or {})
    return subprocess.run(
        [str(ROOT / "scripts/nightly"), *args], env=environment, capture_output=True, text=True, timeout=120
    )


@needs_venv
def test_nightly_is_silent_and_logs_when_all_is_well(tmp_path):
    create_template(tmp_path / "team.xlsx")
    log = tmp_path / "logs" / "sync.log"
    (tmp_path / "sync.env").write_text(f"SYNC_BOOK={tmp_path / 'team.xlsx'}\nSYNC_LOG_FILE={log}\n")
    done = nightly(env={"SYNC_ENV_FILE": str(tmp_path / "sync.env")})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert re.fullmatch(rf"{STAMP} sync started\n{STAMP} sync finished: exit 0 in \d+ s\n", log.read_text())
    assert "Balances" in CalamineWorkbook.from_path(str(tmp_path / "team.xlsx")).sheet_names


@needs_venv
def test_nightly_exits_with_the_sync_exit_code_and_logs_its_output(tmp_path):
    write_sample_book(tmp_path / "ledger.xlsx", dt.date.today())  # what `python -m sync demo` writes
    log = tmp_path / "nightly.log"
    (tmp_path / "sync.env").write_text(f"# settings\nSYNC_BOOK='{tmp_path / 'ledger.xlsx'}'\nSYNC_LOG_FILE={log}\n")
    done = nightly(str(tmp_path / "sync.env"))
    assert done.returncode == 1, done.stderr  # the sample has wrong rows on purpose
    assert "with errors (left out)" in done.stdout  # --quiet still prints trouble, for cron to mail
    text = log.read_text()
    assert re.match(rf"{STAMP} sync started\n{STAMP} Balances as of ", text)
    assert re.search(
        rf"\n{STAMP} wrote .*ledger.xlsx \(tabs Dashboard, Balances, Monthly, Periods, Requests Summary, Errors\)\n",
        text,
    )
    assert re.search(rf"\n{STAMP} sync finished: exit 1 in \d+ s\n$", text)

    (tmp_path / "ledger.xlsx").unlink()
    done = nightly(str(tmp_path / "sync.env"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: workbook not found: {tmp_path / 'ledger.xlsx'}\n"
    assert log.read_text().startswith(text)
    assert re.search(
        rf"\n{STAMP} error: workbook not found: .*\n{STAMP} sync finished: exit 2 in \d+ s\n$", log.read_text()
    )


@needs_venv
def test_nightly_when_changed_syncs_and_logs_only_when_the_book_changed(tmp_path):
    book = tmp_path / "team.xlsx"
    create_template(book)
    log = tmp_path / "nightly.log"
    (tmp_path / "sync.env").write_text(f"SYNC_BOOK={book}\nSYNC_LOG_FILE={log}\nSYNC_STATE_DIR={tmp_path / 'state'}\n")
    first = nightly("--when-changed", str(tmp_path / "sync.env"))
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")  # no run on record: a run, quiet
    assert re.fullmatch(rf"{STAMP} sync started\n{STAMP} sync finished: exit 0 in \d+ s\n", log.read_text())
    written, logged = book.read_bytes(), log.read_text()

    for args in (["--when-changed", str(tmp_path / "sync.env")], [str(tmp_path / "sync.env"), "--when-changed"]):
        look = nightly(*args)
        assert (look.returncode, look.stdout, look.stderr) == (0, "", "")
    assert log.read_text() == logged and book.read_bytes() == written  # a look that finds nothing leaves nothing

    assert nightly(str(tmp_path / "sync.env")).returncode == 0  # the nightly line: a run, whatever changed
    assert log.read_text().count("sync started") == 2
    assert nightly("--when-changed", str(tmp_path / "sync.env")).stdout == ""
    assert log.read_text().count("sync started") == 2  # the nightly run's own write is no change

    book.write_bytes(book.read_bytes())  # saved again: a new modification time
    os.utime(book, ns=(book.stat().st_atime_ns, book.stat().st_mtime_ns + 1_000_000_000))
    again = nightly("--when-changed", str(tmp_path / "sync.env"))
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert log.read_text().count("sync started") == 3


def test_nightly_refuses_a_missing_env_file(tmp_path):
    done = nightly(str(tmp_path / "missing.env"))
    assert done.returncode == 2 and done.stderr == f"error: cannot read env file {tmp_path / 'missing.env'}\n"
