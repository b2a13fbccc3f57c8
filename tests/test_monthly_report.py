"""The monthly report e-mail: once per client and month, through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from sync.app import pipeline
from sync.compute.ledger import compute
from sync.config import Config
from sync.model.figures import money
from sync.model.frames import LEDGER_COLUMNS, empty
from sync.model.schema import SYNC_STATE
from sync.notify.report import ReportInput, report_message
from sync.shape.dashboard import money_words
from sync.shape.state import previous_state
from tests.books import CONTRACTS, sheet, small_book, validated
from tests.test_alerts import local_smtp, smtp_server
from tests.test_cli import ROOT, assert_one_line_error, read_tabs, sync_cli, write_book

CLIENTS = sheet("""
| Client ID | Name         | Email             | Summary Sheet | Monthly Report |
| C-1       | Acme Ltd     | ops@acme.example  |               | Y              |
| C-2       | Bolt Bakery  | bo@bolt.example   |               |                |
""")
PAYMENTS = sheet("""
| Date       | Contract ID | Amount     | Reference | Notes     |
| 2026-01-02 | K-1         | $1,000.00  | INV-1     |           |
| 2026-02-01 | K-2         | 500        | INV-2     |           |
| 2026-06-20 | K-1         | 250        | INV-7     | late fee? |
""")
CONFIG = Config(alert_from="sync@agency.example", alert_to="team@agency.example", agency_name="Brightline")
JULY_2 = dt.date(2026, 7, 2)


def run(book, smtp, as_of=JULY_2, config=CONFIG):
    return pipeline.run(book, config, as_of, smtp=smtp)


def reports_of(inbox):
    return [(to, message) for _, to, message in inbox.messages if "Monthly report" in message["Subject"]]


def sync_state(book):
    return [(s.contract_id, s.alert, s.status) for s in previous_state(book.read_tabs([SYNC_STATE]).get(SYNC_STATE))]


def test_once_per_month_per_client_and_none_without_y():
    book, smtp = small_book(Clients=CLIENTS, Payments=PAYMENTS), local_smtp()
    with smtp_server(smtp) as inbox:
        first = run(book, smtp)
        assert (first.reports_sent, first.exit_code) == (1, 0) and "1 monthly report e-mailed" in first.outcome
        ((to, message),) = reports_of(inbox)
        assert to == ["ops@acme.example", "team@agency.example"] and message["Cc"] == "team@agency.example"
        assert message["Subject"] == "Acme Ltd: Monthly report for June 2026"
        assert ("C-1", "monthly report 2026-06", "sent") in sync_state(book)
        for day in (JULY_2, dt.date(2026, 7, 3), dt.date(2026, 7, 31)):
            assert run(book, smtp, day).reports_sent == 0
        august = run(book, smtp, dt.date(2026, 8, 1))
        assert august.reports_sent == 1 and reports_of(inbox)[-1][1]["Subject"].endswith("July 2026")
        assert [row for row in sync_state(book) if row[0] == "C-1"] == [("C-1", "monthly report 2026-07", "sent")]
    assert len(reports_of(inbox)) == 2 and all("Bolt" not in m["Subject"] for _, m in reports_of(inbox))


def test_report_day_moves_the_first_day_and_alerts_are_kept_apart():
    book, smtp = small_book(Clients=CLIENTS), local_smtp()
    config = replace(CONFIG, report_day=5)
    with smtp_server(smtp) as inbox:
        assert run(book, smtp, dt.date(2026, 7, 4), config).reports == []
        assert run(book, smtp, dt.date(2026, 7, 5), config).reports_sent == 1
    assert len(reports_of(inbox)) == 1
    alerts = [row for row in sync_state(book) if row[0].startswith("K-")]
    assert alerts and all("monthly report" not in alert for _, alert, _ in alerts)  # K-1's low balance stays an alert


def test_smtp_down_keeps_the_report_pending_then_the_next_run_sends_it_once():
    book, smtp = small_book(Clients=CLIENTS), local_smtp()
    down = run(book, smtp)  # nothing listens yet
    assert down.exit_code == 1 and down.reports_sent == 0
    assert "1 monthly report not e-mailed, kept pending for the next run" in down.outcome
    assert f"C-1 2026-06 (SMTP server 127.0.0.1:{smtp.port}: " in down.outcome
    assert ("C-1", "monthly report 2026-06", "pending") in sync_state(book)
    with smtp_server(smtp) as inbox:
        later = run(book, smtp, dt.date(2026, 7, 9))
        assert (later.reports_sent, later.reports_unsent) == (1, [])
        assert run(book, smtp, dt.date(2026, 7, 10)).reports_sent == 0
    assert len(reports_of(inbox)) == 1 and "June 2026" in reports_of(inbox)[0][1]["Subject"]


def report_for(client_id, month, clients=CLIENTS, payments=PAYMENTS, contracts=CONTRACTS, requests=None):
    """A client's ReportInput and the ledger it comes from, as the nightly run builds it."""
    book = small_book(Clients=clients, Payments=payments, Contracts=contracts)
    valid, _ = validated(book, dt.date(2026, 12, 5))
    ledger = compute(valid, dt.date(2026, 12, 5))
    if requests is not None:
        ledger = ledger._replace(requests=requests)
    balances = pipeline.balances_frame(ledger, dt.date(2026, 12, 5), dt.datetime(2026, 12, 5, 2))
    inputs = pipeline.report_inputs(book, ledger, valid, balances, CONFIG, {}, [client_id])
    return inputs[client_id], ledger


def bodies(report: ReportInput, month: str) -> tuple[str, str]:
    message = report_message(report, month, CONFIG, ["ops@acme.example"], dt.datetime(2026, 12, 5, 2))
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_the_figures_are_the_statement_s_of_the_month():
    report, ledger = report_for("C-1", "2026-06")
    plain, page = bodies(report, "2026-06")
    june = ledger.monthly[(ledger.monthly["contract_id"] == "K-1") & (ledger.monthly["month_start"] == "2026-06-01")]
    (row,) = june.itertuples()
    assert (row.paid, row.billed) == (25000, 7500)  # the 250.00 payment, 0.5 h at 150
    for label, units in [
        ("Balance on 1 Jun 2026", row.opening),
        ("Paid", row.paid),
        ("Billed", row.billed),
        ("Balance on 30 Jun 2026", row.closing),
    ]:
        shown = money_words(money(units, row.minor), "USD", "en_US")
        assert f"{label}  " in plain and shown in plain.split(label, 1)[1].splitlines()[0], (label, shown)
        assert shown in page
    assert "15 Jun 2026" in plain and "Backups" in plain and "0.50" in plain  # the month's time entry
    assert "INV-7" in plain and "$250.00" in plain  # its payment
    assert "Update plugins" not in plain  # January's work is another month's
    assert "At the recent pace" in plain or "too little recent work" in plain  # the dashboard's sentence
    assert "C-1.xlsx" not in plain and "clients/C-1" not in plain and "C-1" in plain  # the memory book's location


def test_never_another_client_s_figures_nor_notes_or_person():
    report, _ = report_for("C-1", "2026-02", clients=[*CLIENTS[:2], CLIENTS[2][:4] + ["Y"]])
    plain, page = bodies(report, "2026-02")
    assert "Outage" in plain  # K-1's work in February
    for other in ("K-2", "Support", "New banner", "Bolt", "€", "INV-2", "Ben", "Ann", "slow server", "late fee"):
        assert other not in plain and other not in page, other


def test_requests_done_and_still_open_only_when_client_visible():
    requests = pd.DataFrame(
        [
            ["R-1", "Fix contact form", "2026-05-20", "done", "2026-06-10", True, "client was rude", 3_600_000],
            ["R-2", "New landing page", "2026-06-25", "in progress", None, True, "", 0],
            ["R-3", "Internal audit", "2026-06-01", "open", None, False, "", 0],
            ["R-4", "Old task", "2026-01-01", "done", "2026-02-01", True, "", 0],
        ],
        columns=["request_id", "title", "requested", "status", "done", "client_visible", "notes", "hours_ms"],
    )
    frame = empty(LEDGER_COLUMNS["requests"])
    frame = pd.concat([frame, requests.assign(contract_id="K-1", client_id="C-1", minor=100, amount=0)])
    frame = frame.astype({"requested": "datetime64[ns]", "done": "datetime64[ns]"})[list(LEDGER_COLUMNS["requests"])]
    report, _ = report_for("C-1", "2026-06", requests=frame)
    plain, page = bodies(report, "2026-06")
    done, still_open = plain.split("Requests completed")[1].split("Requests still open")
    assert "R-1 Fix contact form" in done and "10 Jun 2026" in done and "1.00" in done
    assert "R-2 New landing page" in still_open and "in progress" in still_open
    for hidden in ("Internal audit", "client was rude", "Old task"):
        assert hidden not in plain and hidden not in page


RETAINER = sheet("""
| Contract ID | Client ID | Name   | Currency | Rate | Start      | Period  | Included Hours | Fee |
| K-1         | C-1       | Retain | USD      | 100  | 2026-06-01 | monthly | 10             | 500 |
""")


def test_a_retainer_shows_its_period_and_included_work():
    report, _ = report_for("C-1", "2026-06", contracts=RETAINER)
    plain, page = bodies(report, "2026-06")
    assert "Period 1 Jun 2026 to 30 Jun 2026" in plain
    assert "Included" in plain and "10.00" in plain and "Monthly fee, Jun 2026" in plain and "$500.00" in plain
    assert "included" in plain.split("Backups", 1)[1].splitlines()[0]  # in the period's hours: no extra charge


def test_the_html_is_inline_styled_and_renders_in_chromium():
    report, _ = report_for("C-1", "2026-06", contracts=RETAINER)
    _, page = bodies(report, "2026-06")
    assert "<img" not in page and "<style" not in page and "<link" not in page and "url(" not in page
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/run installs it): the report's HTML was not rendered")
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    html_file, png = artifacts / "monthly-report.html", artifacts / "monthly-report.png"
    html_file.write_text(page, encoding="utf-8")
    png.unlink(missing_ok=True)
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=760,1300",
         f"--screenshot={png}", html_file.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_the_nightly_run_on_a_workbook_sends_once_even_from_another_machine(tmp_path):
    """Each run is its own process, as on another machine: what was sent is in the workbook's Sync State."""
    book = write_book(tmp_path / "team.xlsx", Clients=CLIENTS, Payments=PAYMENTS)
    smtp = local_smtp()
    env = {
        "SYNC_SMTP_HOST": smtp.host,
        "SYNC_SMTP_PORT": str(smtp.port),
        "SYNC_SMTP_SECURITY": "none",
        "SYNC_ALERT_FROM": "sync@agency.example",
        "SYNC_ALERT_TO": "team@agency.example",
    }
    down = sync_cli("run", "--book", str(book), "--as-of", "2026-07-02", "--quiet", cwd=tmp_path, env=env)
    assert down.returncode == 1 and "1 monthly report not e-mailed, kept pending for the next run: C-1 2026-06" in (
        down.stderr
    )
    with smtp_server(smtp) as inbox:
        for day in ("2026-07-03", "2026-07-04"):
            done = sync_cli("run", "--book", str(book), "--as-of", day, "--json", cwd=tmp_path, env=env)
            assert done.returncode == 0, done.stderr
        status = sync_cli("status", "--book", str(book), cwd=tmp_path, env=env)
    ((to, message),) = reports_of(inbox)
    assert "Your contract summary, updated every night: C-1.xlsx" in message.get_body(("plain",)).get_content()
    state = read_tabs(book)[SYNC_STATE]
    assert [row[:3] for row in state if row[0] == "C-1"] == [["C-1", "monthly report 2026-06", "sent"]]
    assert "pending monthly report" not in status.stdout


def test_the_report_command_previews_sends_and_says_mistakes_in_one_line(tmp_path):
    book = write_book(tmp_path / "team.xlsx", Clients=CLIENTS, Payments=PAYMENTS)
    args = ("report", "--book", str(book), "--as-of", "2026-12-05")
    preview = sync_cli(*args, "--client", "C-2", "--month", "2026-02", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    page = (tmp_path / "report-C-2-2026-02.html").read_text(encoding="utf-8")
    assert "Bolt Bakery" in page and "€500.00" in page and "Acme" not in page
    assert preview.stdout.startswith("wrote report-C-2-2026-02.html: Bolt Bakery: Monthly report for February 2026")
    assert_one_line_error(sync_cli(*args, "--client", "C-9", "--month", "2026-02", cwd=tmp_path), "no client C-9")
    assert_one_line_error(sync_cli(*args, "--client", "c-1", "--month", "2026-02", cwd=tmp_path), "did you mean C-1?")
    for month in ("2026-13", "Nov 2026", "2026-1"):
        assert_one_line_error(
            sync_cli(*args, "--client", "C-1", "--month", month, cwd=tmp_path), f"'{month}'", "YYYY-MM"
        )
    assert_one_line_error(sync_cli(*args, "--client", "C-1", "--month", "2027-01", cwd=tmp_path), "has not begun")
    assert_one_line_error(sync_cli(*args, "--client", "C-1", "--month", "2026-06", "--send", cwd=tmp_path), "SMTP")
    smtp = local_smtp()
    env = {"SYNC_SMTP_HOST": smtp.host, "SYNC_SMTP_PORT": str(smtp.port), "SYNC_SMTP_SECURITY": "none",
           "SYNC_ALERT_FROM": "sync@agency.example"}  # fmt: skip
    refused = sync_cli(*args, "--client", "C-1", "--month", "2026-06", "--send", cwd=tmp_path, env=env)
    assert refused.returncode == 1 and refused.stderr.startswith("error: report not e-mailed: ")
    with smtp_server(smtp) as inbox:
        sent = sync_cli(*args, "--client", "C-1", "--month", "2026-06", "--send", cwd=tmp_path, env=env)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("e-mailed Acme Ltd: Monthly report for June 2026 to ops@acme.example")
    ((to, message),) = reports_of(inbox)
    assert to == ["ops@acme.example"] and "$250.00" in message.get_body(("plain",)).get_content()
    state = read_tabs(book)[SYNC_STATE]  # recorded: the nightly run does not send it again
    assert [row[:3] + row[5:] for row in state[1:]] == [
        ["C-1", "monthly report 2026-06", "sent", "sent by report --send"]
    ]
    with smtp_server(smtp) as inbox:
        team = {**env, "SYNC_ALERT_TO": "team@agency.example"}
        nightly = sync_cli("run", "--book", str(book), "--as-of", "2026-07-02", "--json", cwd=tmp_path, env=team)
    assert nightly.returncode == 0, nightly.stderr
    assert reports_of(inbox) == []
    assert Path(tmp_path / "report-C-1-2026-06.html").exists() is False
