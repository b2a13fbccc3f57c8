"""The nightly run end to end: alerts through the pipeline and the CLI, the Sync Log, `status`.

Each CLI run is a fresh process that knows nothing but the workbook: what one run sent, the next
one learns from the workbook's hidden Sync State tab, as a run on another machine would.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from sync.app import pipeline
from sync.config import Config
from sync.model.schema import SYNC_LOG, SYNC_LOG_COLUMNS, SYNC_LOG_RUNS, SYNC_STATE
from sync.shape.runlog import LogEntry, log_table, past_runs
from tests.books import AS_OF, CLIENTS
from tests.test_alerts import CONFIG, CONTRACTS, PAYMENTS, TIME, local_smtp, smtp_server
from tests.test_cli import ROOT, sync_cli, write_book
from tests.test_google import google

TABS = {"Clients": CLIENTS, "Contracts": CONTRACTS, "Time": TIME, "Payments": PAYMENTS}
STARTED = dt.datetime(2026, 6, 30, 2, 0, 1)


@pytest.fixture
def smtp():
    return local_smtp()


def team_book(path: Path) -> Path:
    return write_book(path, **TABS, Rates=None, Expenses=None)


def env(settings) -> dict[str, str]:
    return {
        "SYNC_SMTP_HOST": settings.host,
        "SYNC_SMTP_PORT": str(settings.port),
        "SYNC_SMTP_SECURITY": "none",
        "SYNC_ALERT_FROM": CONFIG.alert_from,
        "SYNC_ALERT_TO": CONFIG.alert_to,
    }


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


def stuck(smtp) -> str:
    """The line a run prints on stderr, and puts in the Sync Log, when the mail server refuses."""
    return (
        f"1 alert not e-mailed, kept pending for the next run: K-1 '75% used' "
        f"(SMTP server 127.0.0.1:{smtp.port}: [Errno 111] Connection refused)"
    )


def test_smtp_down_the_figures_are_written_the_quiet_run_says_so_and_the_next_run_delivers(tmp_path, smtp):
    book = team_book(tmp_path / "team.xlsx")
    down = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), "--quiet", cwd=tmp_path, env=env(smtp))
    assert down.returncode == 1  # trouble, as for rows left out: cron mails it, a GitHub job fails
    assert down.stderr == f"error: {stuck(smtp)}\n"
    assert "Balances as of 2026-06-30" in down.stdout  # --quiet prints the report whenever the exit code is not 0
    assert "Balances" in tabs_of(book)  # the figures were written all the same
    (entry,) = log_rows(book)
    assert (entry["Alerts Sent"], entry["Result"]) == (0, stuck(smtp))
    status = sync_cli("status", "--book", "team.xlsx", cwd=tmp_path, env=env(smtp))
    assert status.returncode == 0, status.stderr
    assert "pending alert: K-1 75% used (crossed 2026-06-30) - SMTP server 127.0.0.1:" in status.stdout
    with smtp_server(smtp) as inbox:
        up = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), "--quiet", cwd=tmp_path, env=env(smtp))
        assert (up.returncode, up.stdout, up.stderr) == (0, "", "")  # --quiet: all is well, nothing to say
        assert len(inbox.messages) == 1
    assert [(row["Alerts Sent"], row["Result"]) for row in log_rows(book)] == [(1, "ok"), (0, stuck(smtp))]
    assert "no alerts pending" in sync_cli("status", "--book", "team.xlsx", cwd=tmp_path, env=env(smtp)).stdout


def test_smtp_down_and_a_row_left_out_say_both(tmp_path, smtp):
    book = write_book(
        tmp_path / "team.xlsx",
        **dict(TABS, Payments=PAYMENTS + [["2026-05-02", "K-2", "abc"]]),
        Rates=None,
        Expenses=None,
    )
    down = sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), "--json", cwd=tmp_path, env=env(smtp))
    assert down.returncode == 1 and down.stderr == f"error: {stuck(smtp)}\n"
    printed = json.loads(down.stdout)
    refused = f"SMTP server 127.0.0.1:{smtp.port}: [Errno 111] Connection refused"
    assert printed["alerts_not_sent"] == [{"contract_id": "K-1", "alert": "75% used", "reason": refused}]
    assert log_rows(book)[0]["Result"] == f"1 row left out; {stuck(smtp)}"


def test_status_says_alerts_are_off_rather_than_none_pending(tmp_path):
    book = write_book(
        tmp_path / "team.xlsx",
        **dict(TABS, Payments=PAYMENTS[:1] + [["2026-05-01", "K-1", "100"]]),
        Rates=None,
        Expenses=None,
    )  # K-1: 800.00 billed of 100.00 paid, overdrawn
    assert sync_cli("run", "--book", "team.xlsx", "--as-of", str(AS_OF), cwd=tmp_path).returncode == 0
    assert "OVERDRAWN" in str(tabs_of(book)["Balances"])
    status = sync_cli("status", "--book", "team.xlsx", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "no alerts pending" not in status.stdout
    assert (
        "alerts are off: SYNC_SMTP_HOST is not set here, and a run without it neither finds nor e-mails "
        "alerts" in status.stdout
    )
    printed = sync_cli("status", "--book", "team.xlsx", "--json", cwd=tmp_path)
    assert json.loads(printed.stdout)["alerts_on"] is False


def test_the_google_path_keeps_alert_state_in_the_spreadsheet(emulator, smtp):
    # each client with a summary spreadsheet, so the run writes summaries before it sends alerts
    clients = [CLIENTS[0]] + [row[:3] + [emulator.create_spreadsheet(f"{row[1]} summary")] for row in CLIENTS[1:]]
    spreadsheet = emulator.create_spreadsheet("Team", dict(TABS, Clients=clients))
    with smtp_server(smtp) as inbox:
        # two runs, each with a backend of its own ("another machine"): the first writes the team tabs and
        # both summaries, the second leaves the summaries as they were (nothing in them changed)
        for summaries in ((2, 0), (0, 2)):
            result = pipeline.run(google(emulator, spreadsheet), CONFIG, AS_OF, smtp=smtp)
            assert result.exit_code == 0
            assert (len(result.written), len(result.unchanged)) == (6 + summaries[0], summaries[1])
        assert len(inbox.messages) == 1
    sheets = {p["title"]: p for p in emulator.sheet_properties(spreadsheet)}
    assert sheets[SYNC_STATE].get("hidden") is True and not sheets[SYNC_LOG].get("hidden")
    log = emulator.values(spreadsheet, SYNC_LOG)
    assert log[0] == list(SYNC_LOG_COLUMNS) and [row[6] for row in log[1:]] == [0, 1]
    assert all(row[2] == "google" and row[7] > 0 for row in log[1:])  # API requests are counted
    status = [state for state in emulator.values(spreadsheet, SYNC_STATE)[1:]]
    assert [row[:3] for row in status if row[1] != "summary"] == [["K-1", "75% used", "sent"]]  # and the summaries'


def test_no_smtp_no_state_tab_and_the_log_still_grows():
    from tests.books import small_book

    book = small_book(**TABS, Rates=None, Expenses=None)
    for _ in range(2):
        pipeline.run(book, Config(), AS_OF)
    assert SYNC_STATE not in book.outputs
    assert len(book.outputs[SYNC_LOG].frame) == 2


def test_the_log_keeps_the_last_runs_newest_first_and_reads_back_every_backends_cells():
    entry = LogEntry(STARTED, 1.234, "xlsx", 10, 1, 2, 0, None, "ok")
    older = [
        [STARTED - dt.timedelta(days=n), Decimal("1.00"), "xlsx", 10, 0, 0, 0, None, None, "ok"]
        for n in range(1, SYNC_LOG_RUNS + 50)
    ]
    table = log_table([list(SYNC_LOG_COLUMNS), *older], entry)
    assert len(table.frame) == SYNC_LOG_RUNS
    assert table.frame.iloc[0].tolist() == [STARTED, Decimal("1.23"), "xlsx", 10, 1, 2, 0, None, None, "ok"]
    assert table.frame.iloc[1]["Started"] == STARTED - dt.timedelta(days=1)
    # Google answers with serial numbers for datetimes and numbers for counts
    serial = (STARTED - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    google_rows = [list(SYNC_LOG_COLUMNS), [serial, 1.5, "google", 10.0, 0, 0, 1, 37, 12.5, "ok"]]
    assert past_runs(google_rows) == [[STARTED, Decimal("1.50"), "google", 10, 0, 0, 1, 37, Decimal("12.50"), "ok"]]


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


# --- scripts/nightly: what cron mails -------------------------------------------------------

needs_venv = pytest.mark.skipif(
    not (ROOT / ".venv/bin/python").exists(), reason="scripts/nightly runs .venv/bin/python (scripts/venv makes it)"
)


def nightly(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """scripts/nightly as cron starts it: no SYNC_* variable but those given."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("SYNC_") and name != "GITHUB_ACTIONS"
    }
    return subprocess.run(
        [str(ROOT / "scripts/nightly"), *args], env=environment | env, capture_output=True, text=True, timeout=120
    )


@needs_venv
def test_nightly_with_smtp_down_exits_1_and_says_so_on_stderr(tmp_path, smtp):
    team_book(tmp_path / "team.xlsx")
    log = tmp_path / "nightly.log"
    settings = env(smtp) | {
        "SYNC_BOOK": str(tmp_path / "team.xlsx"),
        "SYNC_LOG_FILE": str(log),
        "SYNC_AS_OF": str(AS_OF),
    }
    (tmp_path / "sync.env").write_text("".join(f"{name}='{value}'\n" for name, value in settings.items()))
    done = nightly(str(tmp_path / "sync.env"), env={})
    assert done.returncode == 1 and done.stderr == f"error: {stuck(smtp)}\n"
    assert f"error: {stuck(smtp)}\n" in log.read_text() and "sync finished: exit 1 in" in log.read_text()


NO_BOOK = "error: no workbook or spreadsheet to sync"


@pytest.mark.parametrize(
    "case", ["no env file", "an env file without a book", "both in the env file", "on GitHub Actions"]
)
def test_nightly_says_where_to_set_the_book(tmp_path, case):
    if case == "no env file" and Path("/etc/contract-sync.env").exists():
        pytest.skip("this machine has /etc/contract-sync.env, which scripts/nightly would load")
    log = tmp_path / "nightly.log"
    env_file = tmp_path / "sync.env"
    env_file.write_text(f"SYNC_LOG_FILE={log}\n" + ("SYNC_BOOK=team.xlsx\nSYNC_SHEET=1AbC\n" if "both" in case else ""))
    args, environment = [str(env_file)], {}
    if case in ("no env file", "on GitHub Actions"):
        args, environment = [], {"SYNC_LOG_FILE": str(log)}
    if case == "on GitHub Actions":
        environment |= {"GITHUB_ACTIONS": "true", "SYNC_SHEET": ""}  # the repository variable is missing
    done = nightly(*args, env=environment)
    expected = {
        "no env file": f"{NO_BOOK}, and no env file: give scripts/nightly one (its argument, or SYNC_ENV_FILE) "
        "or create /etc/contract-sync.env, holding SYNC_BOOK=/path/to/team.xlsx or "
        "SYNC_SHEET=<spreadsheet ID or link>",
        "an env file without a book": f"{NO_BOOK}: the env file {env_file} sets neither SYNC_BOOK nor SYNC_SHEET; "
        "add SYNC_BOOK=/path/to/team.xlsx or SYNC_SHEET=<spreadsheet ID or link> to it",
        "both in the env file": f"error: both SYNC_BOOK and SYNC_SHEET are set (by the env file {env_file} or the "
        "environment it ran in); keep one",
        "on GitHub Actions": "error: no spreadsheet to sync: SYNC_SHEET is empty; add it as a repository variable "
        "(Settings > Secrets and variables > Actions > Variables)",
    }[case]
    assert (done.returncode, done.stdout, done.stderr) == (2, "", expected + "\n")
    assert log.read_text().endswith(f" {expected}\n")  # in the log too, timestamped
