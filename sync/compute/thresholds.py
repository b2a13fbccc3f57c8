"""Which alerts a contract has crossed: its Alert At thresholds, its Low Balance, an overdrawn Balance.

Pure: from the Ledger and the alerts recorded by earlier runs to the new full set of alerts
(sheets_schema.md, "Alerts"). An alert's name spells its figure as the tabs show it ("2,000.00
used"), so `shown` lives here too, and the e-mail uses it for every figure it gives.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pandas as pd

from sync.compute.rounding import half_up_divide
from sync.model.alerts import AlertState
from sync.model.frames import Ledger
from sync.model.table import Kind
from sync.rules.cells import MS_PER_HOUR

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
                        f"the period that started {start} has used {share} of its {_hours(hours)} hours"
                    )
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
        contract_id = cast(str, contract.contract_id)  # itertuples types its fields loosely: IDs are text
        for alert in held_alerts(contract):
            state.append(before.get((contract_id, alert)) or AlertState(contract_id, alert, crossed=as_of))
    known = set(ledger.contracts["contract_id"])
    return state + [row for row in previous if row.contract_id not in known]


# --- figures as people read them ------------------------------------------------------------


def shown(value: object, kind: Kind) -> str:
    """A value of sync.shape.report's tables (a Decimal, a date) as text, in the cell format the
    tabs give its kind: money `#,##0.00` in its currency's decimals, hours `0.00`, dates
    `yyyy-mm-dd`, times `yyyy-mm-dd hh:mm:ss`. The value is already rounded; this only spells it."""
    if kind == "money":
        assert isinstance(value, Decimal)  # money is a Decimal
        return f"{abs(value) if value.is_zero() else value:,}"  # -0.00 shows as 0.00 in a cell
    if kind == "hours":
        assert isinstance(value, Decimal)  # hours are a Decimal
        return f"{abs(value) if value.is_zero() else value:f}"
    if kind == "date":
        return f"{value:%Y-%m-%d}"
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def _money(units: int, minor: int) -> str:
    """Minor units as the tabs show money: the Decimal of sync.shape.report.money (123456 cents ->
    1234.56; 0 yen -> 0), then `shown`."""
    return shown(Decimal(units).scaleb(-minor), "money")


def _hours(ms: int) -> str:
    """Milliseconds as the tabs show hours: two places, half up, as sync.shape.report.hours rounds
    them (1.125 -> 1.13), then `shown`."""
    return shown(Decimal(int(half_up_divide(ms * 100, MS_PER_HOUR))).scaleb(-2), "hours")
