"""The frames passed between stages: the valid Book, the computed Ledger, and each frame's columns.

A frame's columns, their dtypes and their units are declared here once (BOOK_COLUMNS,
LEDGER_COLUMNS); tests/test_model.py checks that validate() and compute() return exactly these.
Units: money is int64 minor units of the contract's currency (cents) unless said otherwise, rates
are int64 ten-thousandths of the currency per hour, durations int64 milliseconds (`*_ms`), dates
datetime64 at midnight, and `row` the sheet row a person sees (header = 1).
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class Column(NamedTuple):
    """One declared column: its dtype (`datetime` for any datetime64 resolution) and its unit."""

    dtype: str
    unit: str


def _columns(spec: str) -> dict[str, Column]:
    """`name dtype unit...` lines into an ordered {name: Column}."""
    columns = {}
    for line in filter(None, spec.strip().splitlines()):
        name, dtype, *unit = line.split()
        columns[name] = Column(dtype, " ".join(unit))
    return columns


class AlertThreshold(NamedTuple):
    """One Alert At item: Billed reaching a share of Paid, or reaching an amount."""

    kind: str  # "percent": `value` is hundredths of a percent (75% = 7500); "amount": minor units
    value: int


class Book(NamedTuple):
    """The team's valid rows, typed (rows with an error are on the problems table instead)."""

    clients: pd.DataFrame
    contracts: pd.DataFrame
    rates: pd.DataFrame
    requests: pd.DataFrame
    time: pd.DataFrame
    payments: pd.DataFrame
    expenses: pd.DataFrame


class ClientRow(NamedTuple):
    """One row of Book.clients, typed (its columns: BOOK_COLUMNS["clients"])."""

    row: int
    client_id: str
    name: str
    email: str
    summary_sheet: str
    monthly_report: bool


def client_rows(clients: pd.DataFrame) -> list[ClientRow]:
    """Book.clients row by row, each a typed ClientRow (a few rows: one per client)."""
    return [ClientRow._make(fields) for fields in clients[list(ClientRow._fields)].itertuples(index=False)]


class Ledger(NamedTuple):
    """Every figure the sync computes, before it is shaped into tables."""

    contracts: pd.DataFrame  # one row per valid contract, with its client and every figure
    time: pd.DataFrame  # valid time entries, priced
    payments: pd.DataFrame
    expenses: pd.DataFrame  # with `billed`: the amount when billable, else 0
    monthly: pd.DataFrame  # one row per contract and month
    periods: pd.DataFrame  # one row per periodic contract and period
    requests: pd.DataFrame  # one row per valid client request, with the time logged against it


_CONTRACT = """
row int64 sheet row
contract_id str
client_id str
name str
currency str ISO 4217 code
minor int64 minor units per major unit (100 for USD)
rate Int64 ten-thousandths per hour; NA: only Rates rows
start datetime
end datetime NaT: open-ended
rounding_minutes int64 minutes
rounding_ms int64 ms
low_balance float64 minor units; NaN: no Low Balance
alert_at object tuple of AlertThreshold
alert_client bool
period str monthly, quarterly, yearly or blank
included_ms int64 ms per period
fee int64 minor units per period
rollover_cap_ms int64 ms
rollover_expires int64 periods (0: never)
overage_rate Int64 ten-thousandths per hour; NA: the contract's rates
status str
closed bool
"""

BOOK_COLUMNS: dict[str, dict[str, Column]] = {
    "clients": _columns("""
row int64 sheet row
client_id str
name str
email str addresses, as typed
summary_sheet str as typed
monthly_report bool Y: the client is e-mailed a monthly report
"""),
    "contracts": _columns(_CONTRACT),
    "rates": _columns("""
row int64 sheet row
contract_id str
work_type str blank: every work type
rate Int64 ten-thousandths per hour
from datetime NaT: from the start
"""),
    "requests": _columns("""
row int64 sheet row
request_id str
contract_id str
title str
requested datetime NaT: not typed
requested_by str
status str open, in progress, waiting on client, done or cancelled
done datetime NaT: not done
estimate_ms Int64 ms; NA: no estimate
client_visible bool
notes str never shown to the client
"""),
    "time": _columns("""
row int64 sheet row
date datetime
contract_id str
person str
task str
notes str
work_type str
ms Int64 ms worked
billable bool
request_id str blank: none, or not a valid request of its contract
"""),
    "payments": _columns("""
row int64 sheet row
date datetime
contract_id str
amount int64 minor units
reference str
notes str
"""),
    "expenses": _columns("""
row int64 sheet row
date datetime
contract_id str
amount int64 minor units
description str
notes str
billable bool
"""),
}

LEDGER_COLUMNS: dict[str, dict[str, Column]] = {
    "contracts": _columns(
        _CONTRACT
        + """
client_name str
periodic bool has a Period
paid int64 minor units
billed int64 minor units
hours_ms int64 ms
billable_ms int64 ms
recent int64 minor units billed in the last RUN_RATE_DAYS
last_activity datetime NaT: none
balance int64 minor units
runs_out datetime NaT: not projected
current_rate int64 ten-thousandths per hour
period_left_ms Int64 ms; NA: no current period
period_hours_ms Int64 ms; NA: no current period
period_start datetime NaT: no current period
pace object text or None
runs_out_soon bool runs_out from As Of to RUNS_OUT_SOON_DAYS after it (False when NaT)
"""
    ),
    "time": BOOK_COLUMNS["time"]
    | _columns("""
contract int64 position in Ledger.contracts
rate int64 ten-thousandths per hour
billed_ms int64 ms after rounding (0 when not billable)
priced int64 minor units: billed_ms at rate, before any retainer allowance
minor int64 minor units per major unit
overage_ms int64 ms beyond the period's allowance (0 without a Period)
overage_amount int64 minor units: overage_ms at the overage rate
amount int64 minor units the entry bills: priced, or on a periodic contract its overage_amount
"""),
    "payments": BOOK_COLUMNS["payments"] | _columns("contract int64 position in Ledger.contracts"),
    "expenses": BOOK_COLUMNS["expenses"]
    | _columns("""
contract int64 position in Ledger.contracts
billed int64 minor units (0 when not billable)
"""),
    "monthly": _columns("""
contract int64 position in Ledger.contracts
month int64 months since year 0
ms int64 ms worked
billed int64 minor units
paid int64 minor units
closing int64 minor units
opening int64 minor units
month_start datetime
minor int64 minor units per major unit
contract_id str
"""),
    "periods": _columns("""
contract int64 position in Ledger.contracts
contract_id str
period_start datetime
period_end datetime
included_ms int64 ms
carried_in_ms int64 ms
used_ms int64 ms
carried_out_ms int64 ms
expired_ms int64 ms
overage_ms int64 ms
overage_amount int64 minor units
fee int64 minor units
minor int64 minor units per major unit
ran_out datetime NaT: did not run out
"""),
    "requests": BOOK_COLUMNS["requests"]
    | _columns("""
client_id str
hours_ms int64 ms of the valid time rows logged against it
amount int64 minor units those rows bill
minor int64 minor units per major unit
"""),
}


def empty(declared: dict[str, Column]) -> pd.DataFrame:
    """A frame of no rows with these declared columns and dtypes."""
    dtypes = {"str": "object", "datetime": "datetime64[ns]"}
    return pd.DataFrame({name: pd.Series(dtype=dtypes.get(c.dtype, c.dtype)) for name, c in declared.items()})


def undeclared(frame: pd.DataFrame, declared: dict[str, Column]) -> list[str]:
    """How a frame differs from its declaration: missing, extra or reordered columns, other dtypes."""
    if list(frame.columns) != list(declared):
        return [f"columns {list(frame.columns)} are not {list(declared)}"]
    found = []
    for name, column in declared.items():
        dtype = str(frame[name].dtype)
        if not (
            dtype == column.dtype
            or column.dtype == "datetime"
            and dtype.startswith("datetime64[")
            or column.dtype == "str"
            and dtype in ("str", "string", "object")
        ):
            found.append(f"{name} is {dtype}, declared {column.dtype}")
    return found
