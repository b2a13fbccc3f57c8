"""The e-mail of one alert, in plain text and simple HTML: which contract, what was crossed, the
balance, the hours remaining and the run-out date, each figure as the Balances tab shows it."""

from __future__ import annotations

import datetime as dt
import html
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pandas as pd

from sync.compute.ledger import RUN_RATE_DAYS
from sync.compute.thresholds import held_alerts
from sync.model.alerts import AlertState
from sync.model.figures import shown


def alert_message(
    state: AlertState, contract, balance: pd.Series, sender: str, to: list[str], now: dt.datetime
) -> EmailMessage:
    """The message for one alert of a contract (a row of Ledger.contracts), each figure taken from
    the contract's Balances row (`balance`) and shown as that tab shows it. A ValueError is an
    address the e-mail headers cannot hold."""

    def amount(column: str) -> str:
        return f"{shown(balance[column], 'money')} {contract.currency}"

    facts = [
        ("Contract", f"{contract.contract_id} {contract.name}".strip()),
        ("Client", f"{contract.client_name} ({contract.client_id})"),
        ("Alert", f"{state.alert}: {held_alerts(contract).get(state.alert, 'no longer crossed')}"),
        ("Paid", amount("Paid")),
        ("Billed", amount("Billed")),
        ("Balance", amount("Balance")),
        # cut, not rounded, as on Balances (sheets_schema.md): 2.999 hours left are not 3 hours paid for
        (
            "Hours remaining",
            "none: the rate is 0"
            if pd.isna(balance["Hours Remaining"])
            else shown(balance["Hours Remaining"], "hours"),
        ),
        (
            "Runs out",
            f"{shown(balance['Runs Out'], 'date')} (projected from the last {RUN_RATE_DAYS} days of billing)"
            if pd.notna(balance["Runs Out"])
            else "already overdrawn"
            if contract.balance < 0
            else f"not projected: nothing billed in the last {RUN_RATE_DAYS} days",
        ),
        ("Status", balance["Status"]),
        ("Crossed on", shown(state.crossed or now.date(), "date")),
    ]
    if pd.notna(balance["Period Hours Left"]):  # a retainer, inside one of its periods
        facts.insert(6, ("Period hours left", shown(balance["Period Hours Left"], "hours")))
    message = EmailMessage()
    # " ".join(split()): a contract name may hold a line break, which a Subject cannot
    message["Subject"] = " ".join(f"Contract alert: {facts[0][1]} - {state.alert}".split())
    message["From"], message["To"] = sender, ", ".join(to)
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid("contract-sync")
    width = max(len(label) for label, _ in facts) + 2
    message.set_content(
        "\n".join(
            [f"Contract {contract.contract_id} has crossed an alert: {state.alert}.", ""]
            + [f"{label + ':':<{width}}{value}" for label, value in facts]
            + ["", f"Sent by contract-sync at {shown(now, 'datetime')}."]
        )
        + "\n"
    )
    rows = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>' for label, value in facts
    )
    message.add_alternative(
        f"<html><body><p>Contract <b>{html.escape(contract.contract_id)}</b> has crossed an alert: "
        f"<b>{html.escape(state.alert)}</b>.</p><table>{rows}</table>"
        f"<p>Sent by contract-sync at {shown(now, 'datetime')}.</p></body></html>\n",
        subtype="html",
    )
    return message
