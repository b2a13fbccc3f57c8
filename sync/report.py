"""Ledger figures into the tables people read: the team's output tabs and each client's summary.

This is where integer minor units become Decimals with the currency's decimals, and
timestamps become dates: the last step before a writer.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from sync.cells import MS_PER_HOUR
from sync.ledger import Ledger, half_up_divide, hours_remaining_hundredths
from sync.load import lookup
from sync.schema import BALANCES_COLUMNS, CLIENT_TABS, ERRORS_COLUMNS, MONTHLY_COLUMNS
from sync.table import Table


NA_KEY = np.iinfo(np.int64).min  # stands for a blank among int64 keys


def _per_distinct(key: np.ndarray, index: pd.Index, convert: Callable[[int], object]) -> pd.Series:
    """convert() once per distinct int64 key (a million amounts hold a few thousand values)."""
    codes, uniques = pd.factorize(key)
    return pd.Series(np.array([convert(int(u)) for u in uniques], dtype=object)[codes], index=index, dtype=object)


def money(minor_units: pd.Series, minor: pd.Series) -> pd.Series:
    """Exact Decimals: 123456 cents -> Decimal('1234.56'); 0 yen -> Decimal('0'); NA -> None."""
    missing = minor_units.isna().to_numpy()
    units = minor_units.fillna(0).to_numpy(dtype=np.int64)
    key = np.where(missing, NA_KEY, units * 8 + minor.to_numpy(dtype=np.int64))  # a minor unit is 0 to 4
    return _per_distinct(key, minor_units.index, lambda k: None if k == NA_KEY else Decimal(k // 8).scaleb(-(k % 8)))


def hours(ms: pd.Series) -> pd.Series:
    """Milliseconds -> hours as a Decimal with two places, half up."""
    hundredths = half_up_divide(ms.to_numpy() * 100, MS_PER_HOUR)
    return _per_distinct(hundredths, ms.index, lambda h: Decimal(h).scaleb(-2))


def dates(values: pd.Series) -> pd.Series:
    """Timestamps -> datetime.date; NaT -> None."""
    days = values.to_numpy(dtype="datetime64[D]").astype(np.int64)
    missing = values.isna().to_numpy()
    epoch = dt.date(1970, 1, 1)
    return _per_distinct(np.where(missing, NA_KEY, days), values.index,
                         lambda d: None if d == NA_KEY else epoch + dt.timedelta(days=d))


def month_text(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m")


def balances_frame(ledger: Ledger, as_of: dt.date, computed_at: dt.datetime) -> pd.DataFrame:
    c = ledger.contracts.sort_values(["client_id", "contract_id"]).reset_index(drop=True)
    remaining = hours_remaining_hundredths(c["balance"], c["minor"], c["current_rate"])
    return pd.DataFrame({
        "Client ID": c["client_id"], "Client": c["client_name"], "Contract ID": c["contract_id"],
        "Contract": c["name"], "Currency": c["currency"],
        "Paid": money(c["paid"], c["minor"]), "Billed": money(c["billed"], c["minor"]),
        "Balance": money(c["balance"], c["minor"]),
        "Hours": hours(c["hours_ms"]), "Billable Hours": hours(c["billable_ms"]),
        "Hours Remaining": money(remaining, pd.Series(2, index=c.index)),
        "Runs Out": dates(c["runs_out"]), "Last Activity": dates(c["last_activity"]), "Status": c["status"],
        "As Of": as_of, "Computed At": computed_at,
    }, columns=list(BALANCES_COLUMNS))


def team_tables(ledger: Ledger, problems: pd.DataFrame, as_of: dt.date, computed_at: dt.datetime) -> dict[str, Table]:
    """Balances, Monthly and Errors, exactly as the team workbook shows them."""
    m = ledger.monthly
    monthly = pd.DataFrame({
        "Contract ID": m["contract_id"], "Month": month_text(m["month_start"]), "Hours": hours(m["ms"]),
        "Billed": money(m["billed"], m["minor"]), "Paid": money(m["paid"], m["minor"]),
        "Balance": money(m["closing"], m["minor"]),
    }, columns=list(MONTHLY_COLUMNS))
    return {
        "Balances": Table(balances_frame(ledger, as_of, computed_at), dict(zip(BALANCES_COLUMNS, (
            "text", "text", "text", "text", "text", "money", "money", "money", "hours", "hours", "hours",
            "date", "date", "text", "date", "datetime")))),
        "Monthly": Table(monthly, dict(zip(MONTHLY_COLUMNS, ("text", "text", "hours", "money", "money", "money")))),
        "Errors": Table(problems[list(ERRORS_COLUMNS)].reset_index(drop=True),
                        dict(zip(ERRORS_COLUMNS, ("text", "int", "text", "text", "text", "text")))),
    }


def client_tables(ledger: Ledger, balances: pd.DataFrame, client_ids: list[str]) -> Iterator[
        tuple[str, dict[str, Table]]]:
    """Each client's Summary, Activity, Payments and Statement: only their contracts, never Notes.

    The four tables are built once for every client together and then split by client."""
    client_of = ledger.contracts.set_index("contract_id")["client_id"]
    minor = ledger.contracts.set_index("contract_id")["minor"]
    summary = balances[list(CLIENT_TABS["Summary"])].assign(_client=balances["Client ID"])

    time, expenses = ledger.time, ledger.expenses[ledger.expenses["billable"]]
    activity = pd.concat([
        pd.DataFrame({"Date": time["date"], "Contract ID": time["contract_id"], "Task": time["task"],
                      "Work Type": time["work_type"],
                      "Hours": hours(time["billed_ms"].where(time["billable"], time["ms"])),
                      "Billable": np.where(time["billable"], "Yes", "No"),
                      "Amount": money(time["amount"], lookup(time["contract_id"], minor))}),
        pd.DataFrame({"Date": expenses["date"], "Contract ID": expenses["contract_id"],
                      "Task": expenses["description"], "Work Type": "expense", "Hours": None, "Billable": "Yes",
                      "Amount": money(expenses["amount"], lookup(expenses["contract_id"], minor))}),
    ], ignore_index=True).sort_values(["Date", "Contract ID"], kind="stable")
    activity["Date"] = dates(activity["Date"])

    payments = ledger.payments.sort_values(["date", "contract_id"], kind="stable")
    payments = pd.DataFrame({
        "Date": dates(payments["date"]), "Contract ID": payments["contract_id"],
        "Amount": money(payments["amount"], lookup(payments["contract_id"], minor)),
        "Reference": payments["reference"]})
    m = ledger.monthly
    statement = pd.DataFrame({
        "Contract ID": m["contract_id"], "Month": month_text(m["month_start"]),
        "Opening": money(m["opening"], m["minor"]), "Billed": money(m["billed"], m["minor"]),
        "Paid": money(m["paid"], m["minor"]), "Closing": money(m["closing"], m["minor"])})
    kinds = {"Summary": ("text", "text", "text", "money", "money", "money", "hours", "date", "text", "date"),
             "Activity": ("date", "text", "text", "text", "hours", "text", "money"),
             "Payments": ("date", "text", "money", "text"),
             "Statement": ("text", "text", "money", "money", "money", "money")}
    frames = {"Summary": summary, "Activity": activity, "Payments": payments, "Statement": statement}
    clients = {name: frame["_client"] if name == "Summary" else lookup(frame["Contract ID"], client_of)
               for name, frame in frames.items()}
    rows_of = {name: ids.groupby(ids.to_numpy()).indices for name, ids in clients.items()}  # positions
    for client_id in client_ids:
        yield client_id, {
            name: Table(frame.iloc[rows_of[name].get(client_id, [])][list(CLIENT_TABS[name])]
                        .reset_index(drop=True), dict(zip(CLIENT_TABS[name], kinds[name])))
            for name, frame in frames.items()}
