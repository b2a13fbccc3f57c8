"""Contract alerts by e-mail: the thresholds each contract has crossed, one message per crossing.

Which crossings were already e-mailed lives in the workbook itself (the hidden Sync State tab,
one row per alert that is still crossed), so a crossing is sent once wherever the job runs.
When an alert's condition stops holding (the contract was topped up) its row is dropped, and a
later crossing alerts again. Delivery never raises: a failure leaves the alert pending with a
note, and the next run retries it; the run that failed says so (`unsent_line`: on stderr and in
the Sync Log, with exit code 1). Alerts are on only when SYNC_SMTP_HOST is set.
"""
from __future__ import annotations

import datetime as dt
import html
import math
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Mapping, NamedTuple

import pandas as pd

from sync.shape import report
from sync.model.raw import ColumnTab, RawTab
from sync.rules.cells import SERIAL_EPOCH
from sync.config import Config
from sync.errors import ConfigError
from sync.compute.ledger import RUN_RATE_DAYS
from sync.model.frames import Ledger
from sync.model.schema import SYNC_STATE_COLUMNS, addresses, header_key
from sync.model.table import Kind, Table
from sync.model.frames import Book

PENDING, SENT = "pending", "sent"
LOW_BALANCE, OVERDRAWN = "low balance", "overdrawn"
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SMTP_TIMEOUT = 30.0  # seconds per connect or command: a hung server costs one run this much, no more


class AlertState(NamedTuple):
    """One row of the Sync State tab: an alert that is crossed now, sent or still to send."""

    contract_id: str
    alert: str  # "75% used", "2,000.00 used", "low balance", "overdrawn"
    status: str = PENDING  # PENDING or SENT
    crossed: dt.date | None = None  # the As Of date of the run that first found it crossed
    sent: dt.datetime | None = None
    note: str = ""  # the last delivery error


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = SMTP_TIMEOUT


def smtp_settings_from_env(environ: Mapping[str, str] = os.environ) -> SmtpSettings | None:
    """SYNC_SMTP_* variables; None when SYNC_SMTP_HOST is unset or blank (alerts off). A bad
    security or port is a SyncError (bad settings, exit 2)."""
    host = environ.get("SYNC_SMTP_HOST", "").strip()
    if not host:
        return None
    security = environ.get("SYNC_SMTP_SECURITY", "").strip().lower() or "starttls"
    if security not in DEFAULT_PORTS:
        raise ConfigError(f"SYNC_SMTP_SECURITY: '{security}' must be starttls, ssl or none")
    port = environ.get("SYNC_SMTP_PORT", "").strip()
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"SYNC_SMTP_PORT: '{port}' must be a port number from 1 to 65535")
    return SmtpSettings(host, int(port) if port else DEFAULT_PORTS[security], security,
                        environ.get("SYNC_SMTP_USER", ""), environ.get("SYNC_SMTP_PASSWORD", ""))


# --- which alerts hold -------------------------------------------------------------------

def held_alerts(contract) -> dict[str, str]:
    """Alert name -> what it means, for each alert that holds for a row of Ledger.contracts."""
    paid, billed, balance, minor = (int(contract.paid), int(contract.billed), int(contract.balance),
                                    int(contract.minor))
    held = {}
    for threshold in contract.alert_at:
        if threshold.kind == "percent":  # billed / paid >= value / 10,000, in integers
            share = f"{Decimal(threshold.value).scaleb(-2).normalize():f}%"
            if paid > 0 and billed * 10_000 >= paid * threshold.value:
                held[f"{share} used"] = f"billed has reached {share} of the money paid so far"
            if getattr(contract, "periodic", False) and pd.notna(contract.period_hours_ms) \
                    and contract.period_hours_ms > 0:  # a retainer: the same share of this period's hours
                hours, left = int(contract.period_hours_ms), int(contract.period_left_ms)
                if (hours - left) * 10_000 >= hours * threshold.value:
                    start = f"{contract.period_start:%Y-%m-%d}"
                    held[f"{share} of period hours used ({start})"] = (
                        f"the period that started {start} has used {share} of its {_hours(hours)} hours")
        elif billed >= threshold.value:
            amount = _money(threshold.value, minor)
            held[f"{amount} used"] = f"billed has reached {amount} {contract.currency}"
    if pd.notna(contract.low_balance) and balance < int(contract.low_balance):
        # still held while overdrawn, so a top-up from overdrawn to merely low does not alert again
        low = _money(int(contract.low_balance), minor)
        held[LOW_BALANCE] = f"the balance is below the Low Balance of {low} {contract.currency}"
    if balance < 0:
        held[OVERDRAWN] = "the balance is below zero"
    return held


def crossings(ledger: Ledger, previous: list[AlertState], as_of: dt.date) -> list[AlertState]:
    """The new full state: previous rows whose alert still holds (as they were), a pending row
    per new crossing, and no row for an alert that no longer holds (it is re-armed). Rows of a
    contract missing from the ledger (its row has an error this run) are kept as they are, so
    fixing the row does not send its alerts again."""
    before = {(state.contract_id, state.alert): state for state in previous}
    state = []
    for contract in ledger.contracts.sort_values("contract_id", kind="stable").itertuples(index=False):
        for alert in held_alerts(contract):
            state.append(before.get((contract.contract_id, alert)) or AlertState(contract.contract_id, alert,
                                                                                 crossed=as_of))
    known = set(ledger.contracts["contract_id"])
    return state + [row for row in previous if row.contract_id not in known]


# --- the Sync State tab -------------------------------------------------------------------

def previous_state(raw_tab: RawTab | None) -> list[AlertState]:
    """The Sync State tab's rows (header first) as read by any backend; [] for a missing or
    unusable tab. A row marked sent, or with a Sent time, counts as sent."""
    rows = raw_tab.rows() if isinstance(raw_tab, ColumnTab) else list(raw_tab or [])
    if not rows:
        return []
    keys = [header_key(cell) for cell in rows[0]]
    at = {name: keys.index(header_key(name)) for name in SYNC_STATE_COLUMNS if header_key(name) in keys}
    if "Contract ID" not in at or "Alert" not in at:
        return []
    states: dict[tuple[str, str], AlertState] = {}
    for row in rows[1:]:
        cell = {name: row[i] if i < len(row) else None for name, i in at.items()}
        contract_id, alert = _text(cell["Contract ID"]), _text(cell.get("Alert"))
        if not contract_id or not alert or (contract_id, alert) in states:
            continue
        sent, crossed = _when(cell.get("Sent")), _when(cell.get("Crossed"))
        status = SENT if sent or _text(cell.get("Status")).casefold() == SENT else PENDING
        states[contract_id, alert] = AlertState(contract_id, alert, status, crossed and crossed.date(), sent,
                                                _text(cell.get("Note")))
    return list(states.values())


def state_table(states: list[AlertState]) -> Table:
    """The Sync State tab."""
    columns = list(zip(*states)) if states else [()] * len(SYNC_STATE_COLUMNS)
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in zip(SYNC_STATE_COLUMNS, columns)})
    return Table(frame, dict(zip(SYNC_STATE_COLUMNS, ("text", "text", "text", "date", "datetime", "text"))))


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID typed as 1001 comes back from a sheet as 1001.0
    return str(value).strip()


def _when(value: object) -> dt.datetime | None:
    """A date or date-time cell, a serial number (Google) or ISO text; None when blank or not one."""
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 110_000:
        return (SERIAL_EPOCH + pd.Timedelta(days=value)).round("s").to_pydatetime()
    try:
        return dt.datetime.fromisoformat(value.strip()) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None


# --- delivery -----------------------------------------------------------------------------

def deliver(states: list[AlertState], ledger: Ledger, book: Book, config: Config, smtp: SmtpSettings | None,
            now: dt.datetime) -> tuple[list[AlertState], int, list[AlertState]]:
    """Send every pending alert of a contract in the ledger, one message each, over one connection.
    Returns the new states, how many were sent, and the alerts this try left pending, each with
    its Note saying why (`unsent_line` puts them in one line). Never raises for SMTP or network
    failures; no alert_from or no recipients is one too."""
    states = list(states)
    contracts = {row.contract_id: row for row in ledger.contracts.itertuples(index=False)}
    due = [i for i, state in enumerate(states) if state.status == PENDING and state.contract_id in contracts]
    if smtp is None or not due:
        return states, 0, []
    # The figures as the Balances tab holds them, so an e-mail never rounds differently from it.
    balances = report.balances_frame(ledger, now.date(), now).set_index("Contract ID", drop=False)
    emails = dict(zip(book.clients["client_id"], book.clients["email"]))
    ready, failed, server = [], {}, None
    for i in due:
        contract = contracts[states[i].contract_id]
        to = list(dict.fromkeys(addresses(config.alert_to) + (
            addresses(emails.get(contract.client_id, "")) if contract.alert_client else [])))
        if not config.alert_from.strip():
            failed[i] = "no sender: set alert_from (or SYNC_ALERT_FROM)"
        elif not to:
            failed[i] = "no recipients: set alert_to (or SYNC_ALERT_TO)"
        else:
            try:
                ready.append((i, _message(states[i], contract, balances.loc[contract.contract_id],
                                          config.alert_from, to, now)))
            except ValueError as error:  # an address the e-mail headers cannot hold
                failed[i] = _reason(error)
    sent = 0
    try:
        server = _connect(smtp) if ready else None
    except (smtplib.SMTPException, OSError) as error:
        failed.update({i: f"SMTP server {smtp.host}:{smtp.port}: {_reason(error)}" for i, _ in ready})
    if server is not None:
        try:
            for i, message in ready:
                try:
                    refused = server.send_message(message)
                except (smtplib.SMTPException, OSError, ValueError) as error:  # ValueError: a non-ASCII address
                    failed[i] = _reason(error)
                    continue
                note = f"refused: {', '.join(refused)}" if refused else ""
                states[i] = states[i]._replace(status=SENT, sent=now.replace(microsecond=0), note=note)
                sent += 1
        finally:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()
    for i, reason in failed.items():
        states[i] = states[i]._replace(note=reason)
    return states, sent, [states[i] for i in sorted(failed)]


def unsent_line(unsent: list[AlertState]) -> str:
    """The alerts a run could not e-mail, in one line for stderr and the Sync Log: how many, which
    and why. Each reason is said once, as a mail server that is down fails every alert alike:
    `2 alerts not e-mailed, kept pending for the next run: K-1 '75% used', K-2 'overdrawn'
    (SMTP server mail.example:587: [Errno 111] Connection refused)`."""
    by_reason: dict[str, list[str]] = {}
    for state in unsent:
        by_reason.setdefault(state.note, []).append(f"{state.contract_id} '{state.alert}'")
    count = len(unsent)
    return (f"{count} alert{'' if count == 1 else 's'} not e-mailed, kept pending for the next run: "
            + "; ".join(f"{_first_few(names)} ({reason})" for reason, names in by_reason.items()))


def _first_few(names: list[str], few: int = 3) -> str:
    """A list for one line, however long: 'a, b, c and 7 more'."""
    return ", ".join(names[:few]) + (f" and {len(names) - few} more" if len(names) > few else "")


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if smtp.security == "ssl":
        server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.security == "starttls":
            server.starttls(context=context)
        if smtp.user:
            server.login(smtp.user, smtp.password)
    except BaseException:
        server.close()
        raise
    return server


def _reason(error: BaseException) -> str:
    """One line: '535 authentication failed', '[Errno 111] Connection refused', 'timed out'."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return " ".join(f"{error.smtp_code} {text}".split())
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "every recipient was refused: " + ", ".join(error.recipients)
    return " ".join(str(error).split()) or type(error).__name__


def _message(state: AlertState, contract, balance: pd.Series, sender: str, to: list[str],
             now: dt.datetime) -> EmailMessage:
    """Which contract, what was crossed, the balance, hours remaining and the run-out date: each
    figure taken from the contract's Balances row (`balance`) and shown as that tab shows it."""
    def amount(column: str) -> str:
        return f"{shown(balance[column], 'money')} {contract.currency}"

    facts = [
        ("Contract", f"{contract.contract_id} {contract.name}".strip()),
        ("Client", f"{contract.client_name} ({contract.client_id})"),
        ("Alert", f"{state.alert}: {held_alerts(contract).get(state.alert, 'no longer crossed')}"),
        ("Paid", amount("Paid")), ("Billed", amount("Billed")), ("Balance", amount("Balance")),
        # cut, not rounded, as on Balances (sheets_schema.md): 2.999 hours left are not 3 hours paid for
        ("Hours remaining", "none: the rate is 0" if pd.isna(balance["Hours Remaining"])
         else shown(balance["Hours Remaining"], "hours")),
        ("Runs out", f"{shown(balance['Runs Out'], 'date')} (projected from the last {RUN_RATE_DAYS} days of "
                     "billing)" if pd.notna(balance["Runs Out"]) else "already overdrawn" if contract.balance < 0
         else f"not projected: nothing billed in the last {RUN_RATE_DAYS} days"),
        ("Status", balance["Status"]), ("Crossed on", shown(state.crossed or now.date(), "date")),
    ]
    if pd.notna(balance["Period Hours Left"]):  # a retainer, inside one of its periods
        facts.insert(6, ("Period hours left", shown(balance["Period Hours Left"], "hours")))
    message = EmailMessage()
    message["Subject"] = " ".join(f"Contract alert: {facts[0][1]} - {state.alert}".split())  # a name may hold a line break
    message["From"], message["To"] = sender, ", ".join(to)
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid("contract-sync")
    width = max(len(label) for label, _ in facts) + 2
    message.set_content("\n".join([f"Contract {contract.contract_id} has crossed an alert: {state.alert}.", ""]
                                  + [f"{label + ':':<{width}}{value}" for label, value in facts]
                                  + ["", f"Sent by contract-sync at {shown(now, 'datetime')}."]) + "\n")
    rows = "".join(f"<tr><th align=\"left\">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                   for label, value in facts)
    message.add_alternative(
        f"<html><body><p>Contract <b>{html.escape(contract.contract_id)}</b> has crossed an alert: "
        f"<b>{html.escape(state.alert)}</b>.</p><table>{rows}</table>"
        f"<p>Sent by contract-sync at {shown(now, 'datetime')}.</p></body></html>\n", subtype="html")
    return message


# --- figures as people read them ------------------------------------------------------------

def shown(value: object, kind: Kind) -> str:
    """A value of sync.report's tables (a Decimal, a date) as text, in the cell format the tabs
    give its kind: money `#,##0.00` in its currency's decimals, hours `0.00`, dates `yyyy-mm-dd`,
    times `yyyy-mm-dd hh:mm:ss`. The value is already rounded by sync.report; this only spells it."""
    if kind == "money":
        return f"{abs(value) if value.is_zero() else value:,}"  # -0.00 shows as 0.00 in a cell
    if kind == "hours":
        return f"{abs(value) if value.is_zero() else value:f}"
    if kind == "date":
        return f"{value:%Y-%m-%d}"
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def _money(units: int, minor: int) -> str:
    """Minor units as the tabs show money: sync.report.money, then `shown`."""
    return shown(report.money(pd.Series([units]), pd.Series([minor])).iloc[0], "money")


def _hours(ms: int) -> str:
    """Milliseconds as the tabs show hours: sync.report.hours (two places, half up), then `shown`."""
    return shown(report.hours(pd.Series([ms])).iloc[0], "hours")
