"""Contract alerts: each crossing is e-mailed once, through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import re
import socket
from contextlib import contextmanager
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from sync.compute import thresholds
from sync.compute.ledger import compute
from sync.compute.thresholds import crossings
from sync.config import Config, load_config
from sync.errors import SyncError
from sync.model.alerts import AlertState
from sync.model.figures import shown
from sync.model.frames import AlertThreshold
from sync.model.schema import SYNC_STATE_COLUMNS
from sync.notify import alerts
from sync.notify.smtp import SmtpSettings, smtp_settings
from sync.shape import report
from sync.shape.state import previous_state, state_table
from tests.books import AS_OF, CLIENTS, sheet, small_book, validated

CONTRACTS = sheet("""
| Contract ID | Client ID | Name      | Currency | Rate | Low Balance | Alert At | Alert Client |
| K-1         | C-1       | Care plan | USD      | 100  |             | 75%      | Y            |
| K-2         | C-2       | Support   | EUR      | 90   |             |          |              |
""")
PAYMENTS = sheet("""
| Date       | Contract ID | Amount    |
| 2026-05-01 | K-1         | $1,000.00 |
| 2026-05-01 | K-2         | 500       |
""")
TIME = sheet("""
| Date       | Contract ID | Task     | Hours |
| 2026-06-01 | K-1         | Redesign | 8     |
| 2026-06-02 | K-2         | Banner   | 1     |
""")
CONFIG = Config(alert_from="sync@agency.example", alert_to="team@agency.example, pm@agency.example")
NOW = dt.datetime(2026, 6, 30, 2, 0, 5)


def figures(contracts=CONTRACTS, payments=PAYMENTS, time=TIME, as_of=AS_OF):
    """(ledger, book, problems) of a small book with these Contracts, Payments and Time tabs."""
    book, problems = validated(
        small_book(Clients=CLIENTS, Contracts=contracts, Payments=payments, Time=time, Rates=None, Expenses=None), as_of
    )
    return compute(book, as_of), book, problems


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages = []
        self.refuse: set[str] = set()  # recipients answered with 550

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def local_smtp() -> SmtpSettings:
    """Settings for a free port on 127.0.0.1; nothing listens on it until smtp_server() starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return SmtpSettings("127.0.0.1", port, security="none", timeout=5)


@pytest.fixture
def smtp():
    return local_smtp()


@contextmanager
def smtp_server(settings: SmtpSettings):
    inbox = Inbox()
    controller = Controller(inbox, hostname=settings.host, port=settings.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def run_alerts(previous, smtp, contracts=CONTRACTS, payments=PAYMENTS, time=TIME):
    """One run's alert steps, as the pipeline takes them: crossings, then deliver."""
    ledger, book, _ = figures(contracts, payments, time)
    state = crossings(ledger, previous, AS_OF)
    return alerts.deliver(state, ledger, book, CONFIG, smtp, NOW)


def through_the_tab(states):
    """The state as the next run reads it back from the Sync State tab."""
    table = state_table(states)
    return previous_state([table.columns, *table.rows()])


def test_a_crossing_sends_one_message_then_none_on_the_next_run(smtp):
    with smtp_server(smtp) as inbox:
        state, sent, notes = run_alerts([], smtp)
        assert (sent, notes) == (1, [])
        assert state == [AlertState("K-1", "75% used", "sent", AS_OF, NOW, "")]
        ((sender, recipients, message),) = inbox.messages
        assert sender == "sync@agency.example"
        assert recipients == ["team@agency.example", "pm@agency.example", "ops@acme.example"]  # Alert Client = Y
        assert message["Subject"] == "Contract alert: K-1 Care plan - 75% used"
        plain = message.get_body(("plain",)).get_content()
        page = message.get_body(("html",)).get_content()
        # 8 h x 100 = 800.00 of 1,000.00 paid (80%); 200.00 left buys 2 hours; 800.00 billed in the last
        # 90 days runs 200.00 out in 22.5 -> 23 days
        for text in ("K-1 Care plan", "75% used", "200.00 USD", "2.00", "2026-07-23"):
            assert text in plain and text in page
        assert "Balance:" in plain and "billed has reached 75% of the money paid so far" in plain

        again, sent, notes = run_alerts(through_the_tab(state), smtp)
        assert (again, sent, notes) == (state, 0, [])
        assert len(inbox.messages) == 1


def test_smtp_down_leaves_the_alert_pending_and_the_next_run_sends_it(smtp):
    state, sent, unsent = run_alerts([], smtp)  # nothing listens on the port
    assert sent == 0
    (row,) = state
    assert (row.status, row.sent) == ("pending", None) and row.note.startswith(f"SMTP server 127.0.0.1:{smtp.port}: ")
    assert unsent == [row]
    assert alerts.unsent_line(unsent) == (
        f"1 alert not e-mailed, kept pending for the next run: K-1 '75% used' ({row.note})"
    )
    with smtp_server(smtp) as inbox:
        state, sent, unsent = run_alerts(through_the_tab(state), smtp)
        assert (sent, unsent, len(inbox.messages)) == (1, [], 1)
        assert state == [AlertState("K-1", "75% used", "sent", AS_OF, NOW, "")]


def test_a_topped_up_contract_is_re_armed_and_alerts_again(smtp):
    top_up = PAYMENTS + [["2026-06-20", "K-1", "500"]]  # 800 of 1,500 paid: 53%
    more_work = TIME + [["2026-06-25", "K-1", "More pages", "4"]]  # 1,200 of 1,500: 80%
    with smtp_server(smtp) as inbox:
        state, _, _ = run_alerts([], smtp)
        state, sent, _ = run_alerts(through_the_tab(state), smtp, payments=top_up)
        assert (state, sent) == ([], 0)
        state, sent, _ = run_alerts(through_the_tab(state), smtp, payments=top_up, time=more_work)
        assert sent == 1 and [row.alert for row in state] == ["75% used"]
        assert len(inbox.messages) == 2


def test_low_balance_overdrawn_and_amount_alerts(smtp):
    contracts = sheet("""
    | Contract ID | Client ID | Name | Currency | Rate | Low Balance | Alert At             | Alert Client |
    | K-1         | C-1       |      | USD      | 100  | 300         | 2,000, 50%, $500.00  |              |
    | K-2         | C-2       |      | EUR      | 90   |             | 10%                  | N            |
    """)
    payments = sheet("""
    | Date       | Contract ID | Amount |
    | 2026-05-01 | K-1         | 1000   |
    """)
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-06-01 | K-1         | 11    |
    | 2026-06-02 | K-2         | 1     |
    """)
    with smtp_server(smtp) as inbox:
        state, sent, _ = run_alerts([], smtp, contracts, payments, time)
        # K-1: billed 1,100.00 of 1,000.00; K-2: nothing paid, so no share of it is reached
        assert [(row.contract_id, row.alert) for row in state] == [
            ("K-1", "50% used"),
            ("K-1", "500.00 used"),
            ("K-1", "low balance"),
            ("K-1", "overdrawn"),
            ("K-2", "overdrawn"),
        ]
        assert sent == 5 and all(
            recipients == ["team@agency.example", "pm@agency.example"] for _, recipients, _ in inbox.messages
        )
        overdrawn = inbox.messages[3][2].get_body(("plain",)).get_content()
        assert "-100.00 USD" in overdrawn and "already overdrawn" in overdrawn and "-1.00" in overdrawn


def test_a_bad_alert_at_item_is_a_warning_and_the_other_alerts_stay():
    contracts = sheet("""
    | Contract ID | Client ID | Currency | Rate | Alert At                     | Alert Client |
    | K-1         | C-1       | USD      | 100  | 75%, lots, 12.5%, $2,000.00  | maybe        |
    | K-2         | C-2       | EUR      | 90   | 0%; USD 5; 10.555            |              |
    """)
    ledger, book, problems = figures(contracts)
    assert list(book.contracts["contract_id"]) == ["K-1", "K-2"]  # both still count
    assert book.contracts["alert_at"].tolist() == [
        (AlertThreshold("percent", 7500), AlertThreshold("percent", 1250), AlertThreshold("amount", 200000)),
        (),
    ]
    assert book.contracts["alert_client"].tolist() == [False, False]
    assert problems[["Tab", "Row", "Column", "Problem", "Severity"]].values.tolist() == [
        [
            "Contracts",
            2,
            "Alert At",
            "'lots' is not a percentage (75%) or an amount (2,000.00); that alert is ignored",
            "warning",
        ],
        ["Contracts", 2, "Alert Client", "is not Y or N; the client is not e-mailed", "warning"],
        ["Contracts", 3, "Alert At", "'0%' must be more than 0; that alert is ignored", "warning"],
        ["Contracts", 3, "Alert At", "'USD 5' is in USD but the contract is in EUR; that alert is ignored", "warning"],
        [
            "Contracts",
            3,
            "Alert At",
            "'10.555' has more decimals than the contract's currency allows; that alert is ignored",
            "warning",
        ],
    ]


def test_a_refused_recipient_is_noted_and_the_others_still_get_it(smtp):
    with smtp_server(smtp) as inbox:
        inbox.refuse = {"ops@acme.example"}
        state, sent, notes = run_alerts([], smtp)
    assert (sent, notes) == (1, []) and state[0].note == "refused: ops@acme.example"
    assert inbox.messages[0][1] == ["team@agency.example", "pm@agency.example"]


def test_no_sender_is_a_delivery_error_noted_on_the_alert(smtp):
    ledger, book, _ = figures()
    state = crossings(ledger, [], AS_OF)
    with smtp_server(smtp) as inbox:
        state, sent, notes = alerts.deliver(state, ledger, book, Config(alert_to="team@agency.example"), smtp, NOW)
    assert (sent, inbox.messages) == (0, [])
    assert state[0].status == "pending" and state[0].note.startswith("no sender")


def test_a_contract_with_an_error_keeps_its_state_rows(smtp):
    sent_before = [AlertState("K-1", "75% used", "sent", AS_OF, NOW), AlertState("K-9", "overdrawn", "pending", AS_OF)]
    broken = [CONTRACTS[0], ["K-1", "C-1", "Care plan", "USD", "abc", "", "75%", "Y"], CONTRACTS[2]]
    ledger, _, problems = figures(broken)
    assert "K-1" not in set(ledger.contracts["contract_id"])
    assert crossings(ledger, sent_before, AS_OF) == sent_before


def test_previous_state_reads_any_backend_s_cells():
    assert previous_state(None) == [] and previous_state([]) == []
    assert previous_state([list(SYNC_STATE_COLUMNS)]) == []
    google = [
        list(SYNC_STATE_COLUMNS),
        [1001.0, "overdrawn", "sent", 46203.0, 46203.0868055556, ""],  # serial numbers, an ID read as a number
        ["K-2", "75% used", "pending", "2026-06-30", "", "timed out"],
        ["K-2", "75% used", "pending", "2026-07-01", "", ""],  # a repeat: the first row counts
        ["", "", "", "", "", ""],
    ]
    assert previous_state(google) == [
        AlertState("1001", "overdrawn", "sent", dt.date(2026, 6, 30), dt.datetime(2026, 6, 30, 2, 5)),
        AlertState("K-2", "75% used", "pending", dt.date(2026, 6, 30), None, "timed out"),
    ]


def smtp_from(monkeypatch, tmp_path, variables: dict[str, str], toml: str = "") -> SmtpSettings | None:
    """The SMTP settings a run uses with these SYNC_* variables (and no others) and this settings file."""
    for name in [name for name in os.environ if name.startswith("SYNC_")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "contract-sync.toml"
    path.write_text(toml, encoding="utf-8")
    return smtp_settings(load_config(path))


def test_smtp_settings_from_the_environment(monkeypatch, tmp_path):
    def settings(variables):
        return smtp_from(monkeypatch, tmp_path, variables)

    assert settings({}) is None
    assert settings(
        {"SYNC_SMTP_HOST": "mail.example", "SYNC_SMTP_USER": "u", "SYNC_SMTP_PASSWORD": "p"}
    ) == SmtpSettings("mail.example", 587, "starttls", "u", "p")
    assert settings({"SYNC_SMTP_HOST": "mail.example", "SYNC_SMTP_SECURITY": "SSL"}).port == 465
    assert settings({"SYNC_SMTP_HOST": "m", "SYNC_SMTP_SECURITY": "none", "SYNC_SMTP_PORT": "2525"}).port == 2525
    assert settings({"SYNC_SMTP_HOST": "m", "SYNC_SMTP_PORT": " "}).port == 587  # blank: the usual port
    assert "s3cret" not in repr(settings({"SYNC_SMTP_HOST": "m", "SYNC_SMTP_PASSWORD": "s3cret"}))
    assert settings({"SYNC_SMTP_HOST": " ", "SYNC_SMTP_SECURITY": "tls"}) is None  # alerts off: nothing to check
    with pytest.raises(SyncError, match="SYNC_SMTP_SECURITY: 'tls' must be starttls, ssl or none"):
        settings({"SYNC_SMTP_HOST": "m", "SYNC_SMTP_SECURITY": "tls"})
    for port in ("99999", "0", "smtp"):
        with pytest.raises(SyncError, match=f"SYNC_SMTP_PORT: '{port}' must be a port number from 1 to 65535"):
            settings({"SYNC_SMTP_HOST": "m", "SYNC_SMTP_PORT": port})


def test_smtp_settings_are_config_settings_from_the_file_or_the_environment(monkeypatch, tmp_path):
    toml = 'smtp_host = "mail.example"\nsmtp_port = 2525\nsmtp_user = "u"\nsmtp_password = "s3cret"\n'
    assert smtp_from(monkeypatch, tmp_path, {}, toml) == SmtpSettings("mail.example", 2525, "starttls", "u", "s3cret")
    assert smtp_from(monkeypatch, tmp_path, {"SYNC_SMTP_HOST": "relay.example"}, toml).host == "relay.example"
    assert smtp_from(monkeypatch, tmp_path, {"SYNC_SMTP_HOST": ""}, toml) is None  # a variable overrides the file
    config = load_config(tmp_path / "contract-sync.toml")
    assert (config.smtp_host, config.smtp_password) == ("", "s3cret")
    assert "s3cret" not in repr(config) and "s3cret" not in str(config)
    with pytest.raises(SyncError, match="SYNC_SMTP_SECURITY: 'tls' must be starttls, ssl or none"):
        smtp_from(monkeypatch, tmp_path, {}, toml + 'smtp_security = "TLS"\n')
    with pytest.raises(SyncError, match="SYNC_SMTP_PORT: '70000' must be a port number from 1 to 65535"):
        smtp_from(monkeypatch, tmp_path, {}, toml.replace("2525", "70000"))


def test_thresholds_read_the_ledger_s_declared_columns_directly():
    assert "getattr" not in inspect.getsource(thresholds)


def test_a_retainer_alerts_on_its_period_hours_once_per_period(smtp):
    contracts = sheet("""
| Contract ID | Client ID | Name   | Currency | Rate | Start      | Period  | Included Hours | Alert At |
| K-1         | C-1       | Retain | USD      | 100  | 2026-06-01 | monthly | 10             | 75%      |
""")
    time = sheet("""
| Date       | Contract ID | Task  | Hours |
| 2026-06-10 | K-1         | Fixes | 8     |
""")
    ledger, _, problems = figures(contracts, PAYMENTS[:2], time)
    assert problems.empty
    state = crossings(ledger, [], AS_OF)
    assert [row.alert for row in state] == ["75% of period hours used (2026-06-01)"]  # 8 of 10 hours
    july, _, _ = figures(contracts, PAYMENTS[:2], time, as_of=dt.date(2026, 7, 5))
    assert crossings(july, state, dt.date(2026, 7, 5)) == []  # a new period: re-armed
    with smtp_server(smtp) as inbox:
        _, sent, _ = alerts.deliver(state, ledger, figures(contracts, PAYMENTS[:2], time)[1], CONFIG, smtp, NOW)
        assert sent == 1
        assert "Period hours left" in inbox.messages[0][2].get_body(("plain",)).get_content()


def test_the_unsent_line_says_each_reason_once_and_names_a_few_alerts():
    down = "SMTP server mail.example:587: [Errno 111] Connection refused"
    unsent = [AlertState(f"K-{n}", "overdrawn", note=down) for n in range(1, 6)] + [
        AlertState("K-9", "2,000.00 used", note="no recipients: set alert_to (or SYNC_ALERT_TO)")
    ]
    assert alerts.unsent_line(unsent) == (
        "6 alerts not e-mailed, kept pending for the next run: K-1 'overdrawn', K-2 'overdrawn', K-3 'overdrawn' "
        f"and 2 more ({down}); K-9 '2,000.00 used' (no recipients: set alert_to (or SYNC_ALERT_TO))"
    )


RETAINER = sheet("""
| Contract ID | Client ID | Name   | Currency | Rate | Low Balance | Start      | Period  | Included Hours | Alert At |
| K-1         | C-1       | Retain | USD      | 100  | 1,000       | 2026-06-01 | monthly | 10.125         | 75%      |
""")


def test_an_e_mail_shows_every_figure_as_the_tabs_do(smtp):
    """Hours half up to two places (1.125 -> 1.13, never 1.12), Hours Remaining cut (9.9999 -> 9.99),
    money in the currency's decimals with a thousands comma, dates as yyyy-mm-dd: as on Balances."""
    payments = sheet("""
    | Date       | Contract ID | Amount   |
    | 2026-05-01 | K-1         | 999.99   |
    """)
    time = sheet("""
    | Date       | Contract ID | Task  | Hours |
    | 2026-06-10 | K-1         | Fixes | 9     |
    """)  # 10.125 included - 9 used = 1.125 hours left: 4,050,000 ms
    ledger, book, problems = figures(RETAINER, payments, time)
    assert problems.empty
    balances = report.balances_frame(ledger, AS_OF, NOW).iloc[0]
    assert (balances["Period Hours Left"], balances["Hours Remaining"]) == (Decimal("1.13"), Decimal("9.99"))
    state = crossings(ledger, [], AS_OF)
    assert [row.alert for row in state] == ["75% of period hours used (2026-06-01)", "low balance"]
    with smtp_server(smtp) as inbox:
        _, sent, _ = alerts.deliver(state, ledger, book, CONFIG, smtp, NOW)
    assert sent == 2
    for _, _, message in inbox.messages:
        for body in (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()):
            for label, value in [
                ("Paid", "999.99 USD"),
                ("Billed", "0.00 USD"),
                ("Balance", "999.99 USD"),
                ("Period hours left", "1.13"),
                ("Hours remaining", "9.99"),
                ("Crossed on", "2026-06-30"),
            ]:
                assert re.search(rf"{label}:?(</th><td>| +){re.escape(value)}\b", body), (label, body)
            assert "1.12" not in body and "10.12" not in body and "2026-06-30 02:00:05" in body
    period, low = (message.get_body(("plain",)).get_content() for _, _, message in inbox.messages)
    assert "has used 75% of its 10.13 hours" in period  # 10.125 included, as the Periods tab shows it
    assert "below the Low Balance of 1,000.00 USD" in low


def test_shown_spells_each_kind_as_its_cell_format_does():
    assert [shown(value, "money") for value in (Decimal("1234567.50"), Decimal("-0.00"), Decimal("1000"))] == [
        "1,234,567.50",
        "0.00",
        "1,000",
    ]  # 1000 yen: no decimals
    assert [shown(value, "hours") for value in (Decimal("1234.50"), Decimal("-0.00"))] == ["1234.50", "0.00"]
    assert shown(dt.date(2026, 7, 3), "date") == "2026-07-03"
    assert shown(NOW, "datetime") == "2026-06-30 02:00:05"
