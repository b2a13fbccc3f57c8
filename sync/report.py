"""Ledger figures into the tables people read: the team's output tabs and each client's summary.

This is where integer minor units become Decimals with the currency's decimals, and
timestamps become dates: the last step before a writer.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from sync.cells import MS_PER_HOUR
from sync.ledger import Ledger, half_up_divide, hours_remaining_hundredths
from sync.schema import BALANCES_COLUMNS, CLIENT_TABS, ERRORS_COLUMNS, MONTHLY_COLUMNS
from sync.table import Table


def money(minor_units: pd.Series, minor: pd.Series) -> pd.Series:
    """Exact Decimals: 123456 cents -> Decimal('1234.56'); 0 yen -> Decimal('0')."""
    values = [None if pd.isna(v) else Decimal(int(v)).scaleb(-int(m)) for v, m in zip(minor_units, minor)]
    return pd.Series(values, index=minor_units.index, dtype=object)


def hours(ms: pd.Series) -> pd.Series:
    """Milliseconds -> hours as a Decimal with two places, half up."""
    hundredths = half_up_divide(ms.to_numpy() * 100, MS_PER_HOUR)
    return pd.Series([Decimal(int(h)).scaleb(-2) for h in hundredths], index=ms.index, dtype=object)


def dates(values: pd.Series) -> pd.Series:
    return pd.Series([None if pd.isna(v) else v.date() for v in values], index=values.index, dtype=object)


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


def client_tables(ledger: Ledger, balances: pd.DataFrame, client_id: str) -> dict[str, Table]:
    """One client's Summary, Activity, Payments and Statement: only their contracts, never Notes."""
    ids = set(ledger.contracts.loc[ledger.contracts["client_id"] == client_id, "contract_id"])
    minor = ledger.contracts.set_index("contract_id")["minor"]
    summary = balances[balances["Contract ID"].isin(ids)][list(CLIENT_TABS["Summary"])]

    time = ledger.time[ledger.time["contract_id"].isin(ids)]
    expenses = ledger.expenses[ledger.expenses["contract_id"].isin(ids) & ledger.expenses["billable"]]
    activity = pd.concat([
        pd.DataFrame({"Date": time["date"], "Contract ID": time["contract_id"], "Task": time["task"],
                      "Work Type": time["work_type"],
                      "Hours": hours(time["billed_ms"].where(time["billable"], time["ms"])),
                      "Billable": time["billable"].map({True: "Yes", False: "No"}),
                      "Amount": money(time["amount"], time["contract_id"].map(minor))}),
        pd.DataFrame({"Date": expenses["date"], "Contract ID": expenses["contract_id"],
                      "Task": expenses["description"], "Work Type": "expense", "Hours": None, "Billable": "Yes",
                      "Amount": money(expenses["amount"], expenses["contract_id"].map(minor))}),
    ], ignore_index=True).sort_values(["Date", "Contract ID"], kind="stable")
    activity["Date"] = dates(activity["Date"])

    payments = ledger.payments[ledger.payments["contract_id"].isin(ids)].sort_values(["date", "contract_id"])
    m = ledger.monthly[ledger.monthly["contract_id"].isin(ids)]
    statement = pd.DataFrame({
        "Contract ID": m["contract_id"], "Month": month_text(m["month_start"]),
        "Opening": money(m["opening"], m["minor"]), "Billed": money(m["billed"], m["minor"]),
        "Paid": money(m["paid"], m["minor"]), "Closing": money(m["closing"], m["minor"])})
    return {
        "Summary": Table(summary.reset_index(drop=True), dict(zip(CLIENT_TABS["Summary"], (
            "text", "text", "text", "money", "money", "money", "hours", "date", "text", "date")))),
        "Activity": Table(activity.reset_index(drop=True)[list(CLIENT_TABS["Activity"])], dict(zip(
            CLIENT_TABS["Activity"], ("date", "text", "text", "text", "hours", "text", "money")))),
        "Payments": Table(pd.DataFrame({
            "Date": dates(payments["date"]), "Contract ID": payments["contract_id"],
            "Amount": money(payments["amount"], payments["contract_id"].map(minor)),
            "Reference": payments["reference"]}).reset_index(drop=True),
            dict(zip(CLIENT_TABS["Payments"], ("date", "text", "money", "text")))),
        "Statement": Table(statement.reset_index(drop=True), dict(zip(CLIENT_TABS["Statement"], (
            "text", "text", "money", "money", "money", "money")))),
    }
