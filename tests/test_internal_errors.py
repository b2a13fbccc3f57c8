"""A bug is an internal error: exit 70, one line on stderr naming the stage, the traceback in the
log file only, and one `failed: internal error ...` row in the Sync Log - never a traceback on the
terminal or in cron's mail, and never the exit codes that mean something about the book (1, 2, 3).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync import cli
from sync.app import pipeline
from sync.backends.xlsx import workbook as xlsx
from sync.cli import Target
from sync.errors import InternalError
from tests.test_cli import AS_OF, ROOT, read_tabs, write_book


@pytest.fixture
def book(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SYNC_LOG_FILE", str(tmp_path / "sync.log"))
    return write_book(tmp_path / "team.xlsx")


def broken(error: Exception):
    def raise_it(*args, **kwargs):
        raise error

    return raise_it


def sync_log(book: Path) -> list[str]:
    return [row[-1] for row in read_tabs(book)["Sync Log"][1:]]


def one_line(text: str) -> str:
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text


def test_a_bug_while_computing_is_exit_70_one_line_and_one_failed_row(book, monkeypatch, capsys):
    monkeypatch.setattr(pipeline, "compute", broken(ZeroDivisionError("division by zero")))
    code = cli.sync_once(Target(book, None, None, None, None), None)
    err = one_line(capsys.readouterr().err)
    assert code == InternalError.exit_code == 70
    assert err.startswith("error: internal error in the compute stage (ZeroDivisionError: division by zero)")
    assert str(book.parent / "sync.log") in err
    logged = (book.parent / "sync.log").read_text()
    assert "Traceback (most recent call last)" in logged and "ZeroDivisionError: division by zero" in logged
    assert sync_log(book) == ["failed: internal error in the compute stage (ZeroDivisionError: division by zero)"]
    assert "Balances" not in read_tabs(book)


def test_a_bug_after_the_figures_were_written_replaces_their_log_row(book, monkeypatch, capsys):
    monkeypatch.setattr(xlsx, "write_summaries", broken(TypeError("unsupported operand")))
    assert cli.sync_once(Target(book, None, None, None, None), None) == 70
    assert "in the write stage (TypeError: unsupported operand)" in one_line(capsys.readouterr().err)
    assert "Balances" in read_tabs(book)  # the figures went first
    assert sync_log(book) == ["failed: internal error in the write stage (TypeError: unsupported operand)"]


def test_check_and_status_turn_a_bug_into_exit_70_too(book, monkeypatch):
    monkeypatch.setattr(pipeline, "validate", broken(KeyError("Hours")))
    done = CliRunner().invoke(cli.main, ["check", "--book", str(book)])
    assert done.exit_code == 70 and "internal error in the parse stage (KeyError: 'Hours')" in done.output
    monkeypatch.setattr(xlsx.LocalWorkbook, "read_tabs", broken(RuntimeError("bad state")))
    done = CliRunner().invoke(cli.main, ["status", "--book", str(book)])
    assert done.exit_code == 70 and "internal error in the status stage (RuntimeError: bad state)" in done.output


DRIVER = """
import sys
from sync import cli
from sync.compute import ledger
from sync.app import pipeline
def bug(*args, **kwargs):
    raise IndexError("index 3 is out of bounds")
pipeline.compute = bug
cli.main(sys.argv[1:], prog_name="python -m sync")
"""


def test_quiet_nightly_runs_print_the_one_line_and_log_the_traceback(book, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SYNC_LOG_FILE": str(tmp_path / "nightly.log")}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, "run", "--book", str(book), "--as-of", str(AS_OF), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 70 and done.stdout == ""
    assert one_line(done.stderr).startswith("error: internal error in the compute stage (IndexError: ")
    assert "Traceback" in (tmp_path / "nightly.log").read_text()


def test_without_a_log_setting_the_traceback_goes_to_the_state_folder(book, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("SYNC_LOG_FILE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(pipeline, "compute", broken(ValueError("x")))
    assert cli.sync_once(Target(book, None, None, None, None), None) == 70
    log = tmp_path / "state" / "contract-sync" / "contract-sync.log"
    assert str(log) in capsys.readouterr().err and "ValueError: x" in log.read_text()
