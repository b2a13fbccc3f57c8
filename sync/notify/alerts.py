"""Delivering alerts: one e-mail per pending alert, and the line that says which could not be sent.

Which alerts hold is sync.compute.thresholds; the Sync State tab that records them is
sync.shape.state; the message is sync.notify.message and SMTP sync.notify.smtp. Delivery never
raises: a failure leaves the alert pending with a note, and the next run retries it; the run that
failed says so (`unsent_line`: on stderr and in the Sync Log, with exit code 1). Alerts are on only
when the smtp_host setting (SYNC_SMTP_HOST) is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage

import pandas as pd

from sync.config import Config
from sync.model.alerts import PENDING, SENT, AlertState
from sync.model.frames import Book, Ledger
from sync.model.schema import addresses
from sync.notify.message import alert_message
from sync.notify.smtp import SmtpSettings, reason, send
from sync.shape import report


def deliver(
    states: list[AlertState], ledger: Ledger, book: Book, config: Config, smtp: SmtpSettings | None, now: dt.datetime
) -> tuple[list[AlertState], int, list[AlertState]]:
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
    ready: dict[int, EmailMessage] = {}
    failed: dict[int, str] = {}
    for i in due:
        contract = contracts[states[i].contract_id]
        to = list(
            dict.fromkeys(
                addresses(config.alert_to)
                + (addresses(emails.get(contract.client_id, "")) if contract.alert_client else [])
            )
        )
        if not config.alert_from.strip():
            failed[i] = "no sender: set alert_from (or SYNC_ALERT_FROM)"
        elif not to:
            failed[i] = "no recipients: set alert_to (or SYNC_ALERT_TO)"
        else:
            balance = balances.loc[states[i].contract_id]
            assert isinstance(balance, pd.Series)  # Contract IDs are unique: one Balances row
            try:
                ready[i] = alert_message(states[i], contract, balance, config.alert_from, to, now)
            except ValueError as error:  # an address the e-mail headers cannot hold
                failed[i] = reason(error)
    return send_and_record(states, smtp, ready, failed, now)


def send_and_record(
    states: list[AlertState],
    smtp: SmtpSettings,
    ready: dict[int, EmailMessage],
    failed: dict[int, str],
    now: dt.datetime,
) -> tuple[list[AlertState], int, list[AlertState]]:
    """Send the messages `ready` (by position in `states`) and mark them sent; note why on the
    others (`failed`, and those the server did not take). The new states, how many were sent,
    and those left pending."""
    sent, not_sent = send(smtp, ready)
    for i, refused in sent.items():
        note = f"refused: {', '.join(refused)}" if refused else ""
        states[i] = states[i]._replace(status=SENT, sent=now.replace(microsecond=0), note=note)
    failed.update(not_sent)
    for i, why in failed.items():
        states[i] = states[i]._replace(note=why)
    return states, len(sent), [states[i] for i in sorted(failed)]


def unsent_line(unsent: list[AlertState], what: str = "alert", name: Callable[[AlertState], str] | None = None) -> str:
    """The alerts (or other `what`, each called `name(state)`) a run could not e-mail, in one line
    for stderr and the Sync Log: how many, which and why. Each reason is said once, as a mail server
    that is down fails every alert alike: `2 alerts not e-mailed, kept pending for the next run:
    K-1 '75% used', K-2 'overdrawn' (SMTP server mail.example:587: [Errno 111] Connection refused)`."""
    by_reason: dict[str, list[str]] = {}
    for state in unsent:
        by_reason.setdefault(state.note, []).append(name(state) if name else f"{state.contract_id} '{state.alert}'")
    count = len(unsent)
    return f"{count} {what}{'' if count == 1 else 's'} not e-mailed, kept pending for the next run: " + "; ".join(
        f"{first_few(names)} ({why})" for why, names in by_reason.items()
    )


def first_few(names: list[str], few: int = 3) -> str:
    """A list for one line, however long: 'a, b, c and 7 more'."""
    return ", ".join(names[:few]) + (f" and {len(names) - few} more" if len(names) > few else "")
