"""The nightly run end to end: alerts through the pipeline and the CLI, the Sync Log, `status`.

Each CLI run is a fresh process that knows nothing but the workbook: what one run sent, the next
one learns from the workbook's hidden Sync State tab, as a run on another machine would.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sync import pipeline
from sync.config import Config
from sync.runlog import LogEntry, log_table, past_runs
from sync.schema import SYNC_LOG, SYNC_LOG_COLUMNS, SYNC_LOG_RUNS, SYNC_STATE
from tests.books import AS_OF, CLIENTS
from tests.test_alerts import CONFIG, CONTRACTS, PAYMENTS, TIME, local_smtp, smtp_server
from tests.test_cli import sync_cli, write_book
from tests.test_google import google

TABS = {"Clients": CLIENTS, "Contracts": CONTRACTS, "Time": TIME, "Payments": PAYMENTS}
STARTED = dt.datetime(2026, 6, 30, 2, 0, 1)


@pytest.fixture
def smtp():
    return local_smtp()


def team_book(path: Path) -> Path:
    return write_book(path, **TABS, Rates=None, Expenses=None)


def env(settings) -> dict[str, str]:
    return {"SYNC_SMTP_HOST": settings.host, "SYNC_SMTP_PORT": str(settings.port), "SYNC_SMTP_SECURITY": "none",
            "SYNC_ALERT_FROM": CONFIG.alert_from, "SYNC_ALERT_TO": CONFIG.alert_to}


def tabs_of(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def log_rows(path: Path) -> list[dict[str, object]]:
    header, *rows = tabs_of(path)[SYNC_LOG]
    return [dict(zip(header, row)) for row in rows]


def test_a_crossing_is_mailed_once_across_processes_and_kept_in_a_hidden_protected_tab(tmp_path, smtp):
    book = team_book(tmp_path / "team.xlsx")
    with smtp_server(smtp) as inbox:
        first = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), cwd=tmp_path, env=env(smtp))
        assert first.returncode == 0, first.stderr
        assert len(inbox.messages) == 1 and "75% used" in inbox.messages[0][2]["Subject"]
        second = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), cwd=tmp_path, env=env(smtp))
        assert second.returncode == 0, second.stderr
        assert len(inbox.messages) == 1  # nothing new: the first run's record is in the workbook
    header, *rows = tabs_of(book)[SYNC_STATE]
    assert [dict(zip(header, row))["Status"] for row in rows] == ["sent"]
    assert [row["Alerts Sent"] for row in log_rows(book)] == [0, 1]  # newest first
    with zipfile.ZipFile(book) as package:
        workbook = package.read("xl/workbook.xml").decode()
        assert re.search(r'<sheet [^>]*name="Sync State"[^>]*state="hidden"', workbook)
        assert not re.search(r'<sheet [^>]*name="Sync Log"[^>]*state="hidden"', workbook)
        sheets = {n: package.read(n) for n in package.namelist() if n.startswith("xl/worksheets/sheet")}
        (state_xml,) = [xml for xml in sheets.values() if b">Crossed<" in xml]  # the Sync State header
        assert b"<sheetProtection " in state_xml
        assert sum(b"<sheetProtection " in xml for xml in sheets.values()) == 1


def test_smtp_down_the_sync_still_succeeds_and_the_next_run_delivers(tmp_path, smtp):
    book = team_book(tmp_path / "team.xlsx")
    down = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), cwd=tmp_path, env=env(smtp))
    assert down.returncode == 0, down.stderr
    (entry,) = log_rows(book)
    assert entry["Alerts Sent"] == 0 and entry["Result"].startswith("ok; 1 alerts pending (alert '75% used' for K-1")
    status = sync_cli("status", "--book", "team.xlsx", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "pending alert: K-1 75% used (crossed 2026-06-30)" in status.stdout
    assert "Connection refused" in status.stdout or "refused" in status.stdout
    with smtp_server(smtp) as inbox:
        up = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), "--quiet", cwd=tmp_path, env=env(smtp))
        assert (up.returncode, up.stdout) == (0, "")  # --quiet: all is well, nothing to say
        assert len(inbox.messages) == 1
    assert [row["Alerts Sent"] for row in log_rows(book)] == [1, 0]
    assert "no alerts pending" in sync_cli("status", "--book", "team.xlsx", cwd=tmp_path).stdout


def test_the_google_path_keeps_alert_state_in_the_spreadsheet(emulator, smtp):
    # each client with a summary spreadsheet, so the run writes summaries before it sends alerts
    clients = [CLIENTS[0]] + [row[:3] + [emulator.create_spreadsheet(f"{row[1]} summary")] for row in CLIENTS[1:]]
    spreadsheet = emulator.create_spreadsheet("Team", dict(TABS, Clients=clients))
    with smtp_server(smtp) as inbox:
        for _ in range(2):  # two runs, each with a backend of its own: "another machine"
            result = pipeline.run(google(emulator, spreadsheet), CONFIG, AS_OF, smtp=smtp)
            assert result.exit_code == 0
            assert len(result.written) == 4 + 2  # the team tabs and both summaries
        assert len(inbox.messages) == 1
    sheets = {p["title"]: p for p in emulator.sheet_properties(spreadsheet)}
    assert sheets[SYNC_STATE].get("hidden") is True and not sheets[SYNC_LOG].get("hidden")
    log = emulator.values(spreadsheet, SYNC_LOG)
    assert log[0] == list(SYNC_LOG_COLUMNS) and [row[6] for row in log[1:]] == [0, 1]
    assert all(row[2] == "google" and row[7] > 0 for row in log[1:])  # API requests are counted
    status = [state for state in emulator.values(spreadsheet, SYNC_STATE)[1:]]
    assert [row[:3] for row in status] == [["K-1", "75% used", "sent"]]


def test_no_smtp_no_state_tab_and_the_log_still_grows():
    from tests.books import small_book
    book = small_book(**TABS, Rates=None, Expenses=None)
    for _ in range(2):
        pipeline.run(book, Config(), AS_OF)
    assert SYNC_STATE not in book.outputs
    assert len(book.outputs[SYNC_LOG].frame) == 2


def test_the_log_keeps_the_last_runs_newest_first_and_reads_back_every_backends_cells():
    entry = LogEntry(STARTED, 1.234, "xlsx", 10, 1, 2, 0, None, "ok")
    older = [[STARTED - dt.timedelta(days=n), Decimal("1.00"), "xlsx", 10, 0, 0, 0, None, "ok"]
             for n in range(1, SYNC_LOG_RUNS + 50)]
    table = log_table([list(SYNC_LOG_COLUMNS), *older], entry)
    assert len(table.frame) == SYNC_LOG_RUNS
    assert table.frame.iloc[0].tolist() == [STARTED, Decimal("1.23"), "xlsx", 10, 1, 2, 0, None, "ok"]
    assert table.frame.iloc[1]["Started"] == STARTED - dt.timedelta(days=1)
    # Google answers with serial numbers for datetimes and numbers for counts
    serial = (STARTED - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    google_rows = [list(SYNC_LOG_COLUMNS), [serial, 1.5, "google", 10.0, 0, 0, 1, 37, "ok"]]
    assert past_runs(google_rows) == [[STARTED, Decimal("1.50"), "google", 10, 0, 0, 1, 37, "ok"]]


def test_a_failed_run_on_a_readable_book_is_logged_and_a_dry_run_writes_nothing(tmp_path):
    book = team_book(tmp_path / "team.xlsx")
    before = book.read_bytes()
    dry = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0 and book.read_bytes() == before
    with zipfile.ZipFile(io.BytesIO(before)) as package:  # now take the Time tab's Hours header away
        parts = {name: package.read(name) for name in package.namelist()}
    with zipfile.ZipFile(book, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data.replace(b">Hours<", b">Hrs<"))
    failed = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), cwd=tmp_path)
    assert failed.returncode == 2
    (entry,) = log_rows(book)
    assert entry["Result"] == "failed: Time tab: required column 'Hours' is missing from the header row"
