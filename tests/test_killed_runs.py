"""A sync killed with SIGKILL while its worker processes write client summaries never blocks the next.

Real processes and real signals: a run of `python -m sync` (its summaries forced into workers,
however small the book) is killed as its workers start; its workers must die with it, the lock
must be free at once, and the next run must clean up what the killed one left half-written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.books import write_xlsx
from bench.synthetic import synthetic_book
from tests.test_cli import ROOT

AS_OF = "2026-11-29"
# `python -m sync run` with every summary written by two workers, a book each, each book taking 20 s;
# it prints the workers' process IDs once they are started and waits, to be killed with them busy.
DRIVER = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
from sync import cli
from sync.backends.xlsx import summaries as xlsx_summaries

xlsx_summaries.PARALLEL_ROWS, xlsx_summaries.BOOKS_TOGETHER, xlsx_summaries._cores = 0, 1, lambda: 3

from tests.test_killed_runs import slow

class Announced(ProcessPoolExecutor):
    def submit(self, *args, **kwargs):
        future = super().submit(slow, *args, **kwargs)
        if len(self._processes) == 2:  # both workers started (as books are handed out)
            print("workers", *self._processes, flush=True)
            time.sleep(30)  # killed here
        return future

xlsx_summaries.ProcessPoolExecutor = Announced
cli.main(["run", "--book", sys.argv[1], "--as-of", sys.argv[2]], prog_name="sync")
"""


def slow(write, *args):
    """A worker's job that takes long enough for the worker to be killed in the middle of it; it says
    when it has begun with a file named after its process in the folder $BUSY_WORKERS."""
    (Path(os.environ["BUSY_WORKERS"]) / str(os.getpid())).touch()
    time.sleep(20)
    return write(*args)


def open_files(pid: int) -> list[str]:
    """The files in the test's folders that a process has open."""
    links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    return [link for link in links if link.startswith(("/tmp", str(ROOT)))]


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting for its parent."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="the workers' death with their parent is Linux's PR_SET_PDEATHSIG")
def test_a_run_killed_while_its_workers_write_never_blocks_the_next(tmp_path):
    team = tmp_path / "team.xlsx"
    write_xlsx(synthetic_book(4000), team)
    busy = tmp_path / "busy"
    busy.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SYNC_LOCK_WAIT": "5", "BUSY_WORKERS": str(busy)}
    stale = tmp_path / "clients" / ".C-00001.xlsx.deadbeef.tmp"  # as a killed writer leaves it
    stale.parent.mkdir()
    stale.write_bytes(b"half a workbook")
    killed = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(team), AS_OF],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = killed.stdout.readline()
        assert line.startswith("workers "), killed.stderr.read()
        workers = [int(pid) for pid in line.split()[1:]]
        assert len(workers) == 2 and all(map(alive, workers))
        deadline = time.monotonic() + 30
        while len(list(busy.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(int(p.name) for p in busy.iterdir()) == sorted(workers)  # both writing now
        assert [open_files(pid) for pid in workers] == [[], []]  # above all, not the lock
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    finally:
        killed.kill()
    deadline = time.monotonic() + 5
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, workers)), "a worker outlived the run that started it"

    started = time.monotonic()
    after = subprocess.run(
        [sys.executable, "-m", "sync", "run", "--book", str(team), "--as-of", AS_OF, "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert after.returncode in (0, 1), after.stderr
    assert time.monotonic() - started < 30
    assert "Traceback" not in after.stderr and "another sync" not in after.stderr
    assert not stale.exists()
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []
    assert sorted(p.name for p in (tmp_path / "clients").iterdir()) == ["C-00000.xlsx", "C-00001.xlsx", "C-00002.xlsx"]
