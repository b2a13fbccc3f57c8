"""Contract alerts by e-mail: the thresholds each contract has crossed, one message per crossing.

Which crossings were already e-mailed lives in the workbook itself (the hidden Sync State tab,
one row per alert that is still crossed), so a crossing is sent once wherever the job runs.
When an alert's condition stops holding (the contract was topped up) its row is dropped, and a
later crossing alerts again. Delivery never raises: a failure leaves the alert pending with a
note, and the next run retries it. Alerts are on only when SYNC_SMTP_HOST is set.
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

from sync.backends import ColumnTab, RawTab
from sync.cells import SERIAL_EPOCH
from sync.config import Config
from sync.errors import SyncError
from sync.ledger import RUN_RATE_DAYS, Ledger, hours_remaining_hundredths
from sync.schema import SYNC_STATE_COLUMNS, addresses, header_key
from sync.table import Table
from sync.validate import Book

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
        raise SyncError(f"SYNC_SMTP_SECURITY: '{security}' must be starttls, ssl or none")
    port = environ.get("SYNC_SMTP_PORT", "").strip()
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise SyncError(f"SYNC_SMTP_PORT: '{port}' must be a port number from 1 to 65535")
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
                        f"the period that started {start} has used {share} of its "
                        f"{Decimal(hours).scaleb(-3) / 3600:.2f} hours")
        elif billed >= threshold.value:
            amount = f"{Decimal(threshold.value).scaleb(-minor):,}"
            held[f"{amount} used"] = f"billed has reached {amount} {contract.currency}"
    if pd.notna(contract.low_balance) and balance < int(contract.low_balance):
        # still held while overdrawn, so a top-up from overdrawn to merely low does not alert again
        low = Decimal(int(contract.low_balance)).scaleb(-minor)
        held[LOW_BALANCE] = f"the balance is below the Low Balance of {low:,} {contract.currency}"
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
            now: dt.datetime) -> tuple[list[AlertState], int, list[str]]:
    """Send every pending alert of a contract in the ledger, one message each, over one connection.
    Returns the new states, how many were sent, and a line per alert left pending (its Note says
    why). Never raises for SMTP or network failures; no alert_from or no recipients is one too."""
    states, c = list(states), ledger.contracts
    contracts = {row.contract_id: row for row in c.assign(hours_left=hours_remaining_hundredths(
        c["balance"], c["minor"], c["current_rate"])).itertuples(index=False)}
    due = [i for i, state in enumerate(states) if state.status == PENDING and state.contract_id in contracts]
    if smtp is None or not due:
        return states, 0, []
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
                ready.append((i, _message(states[i], contract, config.alert_from, to, now)))
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
    notes = [f"alert '{states[i].alert}' for {states[i].contract_id} not sent, retried next run: {reason}"
             for i, reason in sorted(failed.items())]
    return states, sent, notes


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


def _message(state: AlertState, contract, sender: str, to: list[str], now: dt.datetime) -> EmailMessage:
    """Which contract, what was crossed, the balance, hours remaining and the run-out date."""
    def amount(units: int) -> str:
        return f"{Decimal(int(units)).scaleb(-int(contract.minor)):,} {contract.currency}"

    facts = [
        ("Contract", f"{contract.contract_id} {contract.name}".strip()),
        ("Client", f"{contract.client_name} ({contract.client_id})"),
        ("Alert", f"{state.alert}: {held_alerts(contract).get(state.alert, 'no longer crossed')}"),
        ("Paid", amount(contract.paid)), ("Billed", amount(contract.billed)), ("Balance", amount(contract.balance)),
        ("Hours remaining", "none: the rate is 0" if pd.isna(contract.hours_left)
         else f"{Decimal(int(contract.hours_left)).scaleb(-2)}"),
        ("Runs out", f"{contract.runs_out:%Y-%m-%d} (projected from the last {RUN_RATE_DAYS} days of billing)"
         if pd.notna(contract.runs_out) else "already overdrawn" if contract.balance < 0
         else f"not projected: nothing billed in the last {RUN_RATE_DAYS} days"),
        ("Status", contract.status), ("Crossed on", f"{state.crossed or now.date()}"),
    ]
    if getattr(contract, "periodic", False) and pd.notna(contract.period_left_ms):
        facts.insert(6, ("Period hours left", f"{Decimal(int(contract.period_left_ms)).scaleb(-3) / 3600:.2f}"))
    message = EmailMessage()
    message["Subject"] = " ".join(f"Contract alert: {facts[0][1]} - {state.alert}".split())  # a name may hold a line break
    message["From"], message["To"] = sender, ", ".join(to)
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid("contract-sync")
    width = max(len(label) for label, _ in facts) + 2
    message.set_content("\n".join([f"Contract {contract.contract_id} has crossed an alert: {state.alert}.", ""]
                                  + [f"{label + ':':<{width}}{value}" for label, value in facts]
                                  + ["", f"Sent by contract-sync at {now:%Y-%m-%d %H:%M}."]) + "\n")
    rows = "".join(f"<tr><th align=\"left\">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                   for label, value in facts)
    message.add_alternative(
        f"<html><body><p>Contract <b>{html.escape(contract.contract_id)}</b> has crossed an alert: "
        f"<b>{html.escape(state.alert)}</b>.</p><table>{rows}</table>"
        f"<p>Sent by contract-sync at {now:%Y-%m-%d %H:%M}.</p></body></html>\n", subtype="html")
    return message
