"""Which alerts a contract has crossed: its Alert At thresholds, its Low Balance, an overdrawn Balance.

Pure: from the Ledger and the alerts recorded by earlier runs to the new full set of alerts
(sheets_schema.md, "Alerts"). An alert's name spells its figure as the tabs show it ("2,000.00
used"), with sync.model.figures as the e-mail does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pandas as pd

from sync.model.alerts import AlertState
from sync.model.figures import hours_of_ms, money, shown
from sync.model.frames import Ledger

LOW_BALANCE, OVERDRAWN = "low balance", "overdrawn"


def held_alerts(contract) -> dict[str, str]:
    """Alert name -> what it means, for each alert that holds for a row of Ledger.contracts (its
    columns: LEDGER_COLUMNS["contracts"] in sync.model.frames)."""
    paid, billed, balance, minor = (
        int(contract.paid),
        int(contract.billed),
        int(contract.balance),
        int(contract.minor),
    )
    held = {}
    for threshold in contract.alert_at:
        if threshold.kind == "percent":  # billed / paid >= value / 10,000, in integers
            share = f"{Decimal(threshold.value).scaleb(-2).normalize():f}%"
            if paid > 0 and billed * 10_000 >= paid * threshold.value:
                held[f"{share} used"] = f"billed has reached {share} of the money paid so far"
            if (
                contract.periodic and pd.notna(contract.period_hours_ms) and contract.period_hours_ms > 0
            ):  # a retainer: the same share of this period's hours
                hours, left = int(contract.period_hours_ms), int(contract.period_left_ms)
                if (hours - left) * 10_000 >= hours * threshold.value:
                    start = f"{contract.period_start:%Y-%m-%d}"
                    held[f"{share} of period hours used ({start})"] = (
                        f"the period that started {start} has used {share} of its {_hours_text(hours)} hours"
                    )
        elif billed >= threshold.value:
            amount = _money_text(threshold.value, minor)
            held[f"{amount} used"] = f"billed has reached {amount} {contract.currency}"
    if pd.notna(contract.low_balance) and balance < int(contract.low_balance):
        # still held while overdrawn, so a top-up from overdrawn to merely low does not alert again
        low = _money_text(int(contract.low_balance), minor)
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
        contract_id = cast(str, contract.contract_id)  # itertuples types its fields loosely: IDs are text
        for alert in held_alerts(contract):
            state.append(before.get((contract_id, alert)) or AlertState(contract_id, alert, crossed=as_of))
    known = set(ledger.contracts["contract_id"])
    return state + [row for row in previous if row.contract_id not in known]


def _money_text(units: int, minor: int) -> str:
    return shown(money(units, minor), "money")


def _hours_text(ms: int) -> str:
    return shown(hours_of_ms(ms), "hours")
