"""The compute core: valid rows in, per-contract figures out. Pure, vectorised, exact.

Money is int64 minor units (cents), rates int64 ten-thousandths per hour, durations int64
milliseconds: every product and sum below is an integer, and the only rounding is the
pinned one (each line amount half-up to the currency's minor unit).
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

from sync.cells import FIRST_DATE, MONEY_SCALE, MS_PER_HOUR
from sync.load import lookup
from sync.validate import Book

RUN_RATE_DAYS = 90  # Runs Out projects the average daily billing of this many days


class Ledger(NamedTuple):
    contracts: pd.DataFrame  # one row per valid contract, with its client and every figure
    time: pd.DataFrame  # valid time entries, priced
    payments: pd.DataFrame
    expenses: pd.DataFrame  # with `billed`: the amount when billable, else 0
    monthly: pd.DataFrame  # one row per contract and month


def compute(book: Book, as_of: dt.date) -> Ledger:
    contracts = book.contracts.merge(
        book.clients[["client_id", "name"]].rename(columns={"name": "client_name"}), on="client_id", how="left")
    time = price_time(book.time, book.rates, contracts)
    expenses = book.expenses.assign(billed=book.expenses["amount"].where(book.expenses["billable"], 0))
    totals = contract_totals(contracts, time, book.payments, expenses, book.rates, pd.Timestamp(as_of))
    monthly = monthly_ledger(totals, time, book.payments, expenses, pd.Timestamp(as_of))
    return Ledger(totals, time, book.payments, expenses, monthly)


def half_up_divide(numerator: pd.Series | np.ndarray, denominator: pd.Series | np.ndarray) -> np.ndarray:
    """numerator / denominator rounded half away from zero, in integers (numerator may be < 0)."""
    numerator, denominator = np.asarray(numerator, dtype="int64"), np.asarray(denominator, dtype="int64")
    magnitude = (2 * np.abs(numerator) + denominator) // (2 * denominator)
    return np.sign(numerator) * magnitude


def price_time(time: pd.DataFrame, rates: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Each entry's rate, billed duration (rounded up when billable) and amount."""
    contract = contracts.set_index("contract_id")
    time = time.assign(work_type_key=time["work_type"].str.casefold(),
                       minor=lookup(time["contract_id"], contract["minor"]).astype("int64"))
    rate = rate_on(time, rates, keys=["contract_id", "work_type_key"])
    rate = rate.fillna(rate_on(time, rates, keys=["contract_id"]))
    rate = rate.fillna(lookup(time["contract_id"], contract["rate"])).astype("int64")
    step = lookup(time["contract_id"], contract["rounding_ms"]).astype("int64")
    rounded = np.where(step > 0, -(-time["ms"] // step.clip(lower=1)) * step, time["ms"])
    billed_ms = np.where(time["billable"], rounded, 0)
    # ms x (ten-thousandths per hour) -> minor units: divide by 3.6e6 ms/h x 1e4 / 10^minor
    per_minor = (MS_PER_HOUR * MONEY_SCALE) // (10 ** time["minor"])
    amount = half_up_divide(billed_ms * rate.to_numpy(), per_minor)
    return time.assign(rate=rate, billed_ms=billed_ms.astype("int64"), amount=amount)


def rate_on(entries: pd.DataFrame, rates: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The latest Rates row for each entry's keys whose From is on or before its date.

    With keys (contract, work type) only typed rates match; with (contract,) only rows whose
    Work Type is blank. A blank From means "always".
    """
    typed = rates["work_type"] != ""
    table = rates[typed if "work_type_key" in keys else ~typed]
    table = table.assign(start=table["from"].fillna(FIRST_DATE).astype("datetime64[ns]"),
                         work_type_key=table["work_type"])
    entries = entries.astype({key: "str" for key in keys})
    table = table.astype({key: "str" for key in keys})
    left = entries[keys + ["date"]].assign(_order=np.arange(len(entries)), date=entries["date"].astype("datetime64[ns]"))
    left = left.sort_values("date", kind="stable")
    matched = pd.merge_asof(left, table[keys + ["start", "rate"]].sort_values("start"), left_on="date",
                            right_on="start", by=keys, direction="backward")
    return pd.Series(matched.sort_values("_order")["rate"].to_numpy(), index=entries.index, dtype="Int64")


def contract_totals(contracts: pd.DataFrame, time: pd.DataFrame, payments: pd.DataFrame,
                    expenses: pd.DataFrame, rates: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Paid, Billed, Balance, hours, last activity, run-out date and status per contract."""
    def per_contract(frame: pd.DataFrame, column: str) -> pd.Series:
        return lookup(contracts["contract_id"], frame.groupby("contract_id")[column].sum())

    in_window = lambda frame: frame[(frame["date"] > as_of - pd.Timedelta(days=RUN_RATE_DAYS))  # noqa: E731
                                    & (frame["date"] <= as_of)]
    out = contracts.assign(
        paid=per_contract(payments, "amount").fillna(0).astype("int64"),
        billed=(per_contract(time, "amount").fillna(0) + per_contract(expenses, "billed").fillna(0)).astype("int64"),
        hours_ms=per_contract(time, "ms").fillna(0).astype("int64"),
        billable_ms=per_contract(time, "billed_ms").fillna(0).astype("int64"),
        recent=(per_contract(in_window(time), "amount").fillna(0)
                + per_contract(in_window(expenses), "billed").fillna(0)).astype("int64"),
        last_activity=lookup(contracts["contract_id"], pd.concat([time, expenses]).groupby("contract_id")["date"]
                             .max().astype("datetime64[ns]")),
    )
    out["balance"] = out["paid"] - out["billed"]
    days = -(-(out["balance"] * RUN_RATE_DAYS) // out["recent"].where(out["recent"] > 0, 1))
    days = days.clip(upper=100 * 366)  # a trickle of billing would otherwise project past year 2262
    runs = (out["recent"] > 0) & (out["balance"] >= 0)
    out["runs_out"] = (as_of + pd.to_timedelta(days.where(runs, 0), unit="D")).where(runs)
    current = rate_on(out.assign(date=as_of, work_type_key=""), rates, keys=["contract_id"])
    out["current_rate"] = current.fillna(out["rate"]).astype("int64")
    out["status"] = np.select(
        [out["balance"] < 0, out["low_balance"].notna() & (out["balance"] < out["low_balance"]), out["closed"]],
        ["OVERDRAWN", "LOW", "CLOSED"], "OK")
    return out


def hours_remaining_hundredths(balance: pd.Series, minor: pd.Series, rate: pd.Series) -> pd.Series:
    """Balance / current hourly rate, in hundredths of an hour, truncated toward zero; NA at rate 0.

    The balance is clipped to +-9e12 minor units (90 billion dollars) so x 1e6 stays in int64.
    """
    numerator = balance.clip(-9 * 10**12, 9 * 10**12) * 100 * MONEY_SCALE
    denominator = (10 ** minor) * rate.where(rate > 0, 1)
    hundredths = np.sign(numerator) * (numerator.abs() // denominator)
    return hundredths.astype("Int64").where(rate > 0)


def monthly_ledger(contracts: pd.DataFrame, time: pd.DataFrame, payments: pd.DataFrame,
                   expenses: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Hours, billed, paid and closing balance per contract and calendar month.

    Months run from a contract's first dated row to its last, and on to the as-of month while
    the contract is not closed, with no gaps.
    """
    def month(dates: pd.Series) -> pd.Series:
        return dates.dt.year * 12 + dates.dt.month - 1

    events = pd.concat([
        pd.DataFrame({"contract_id": time["contract_id"], "month": month(time["date"]), "ms": time["ms"],
                      "billed": time["amount"], "paid": 0}),
        pd.DataFrame({"contract_id": expenses["contract_id"], "month": month(expenses["date"]), "ms": 0,
                      "billed": expenses["billed"], "paid": 0}),
        pd.DataFrame({"contract_id": payments["contract_id"], "month": month(payments["date"]), "ms": 0,
                      "billed": 0, "paid": payments["amount"]}),
    ], ignore_index=True).astype({"month": "int64", "ms": "int64", "billed": "int64", "paid": "int64"})
    sums = events.groupby(["contract_id", "month"], as_index=False)[["ms", "billed", "paid"]].sum()
    span = sums.groupby("contract_id")["month"].agg(["min", "max"])
    closed = lookup(span.index.to_series(), contracts.set_index("contract_id")["closed"]).to_numpy(dtype=bool)
    last = np.where(closed, span["max"], np.maximum(span["max"], as_of.year * 12 + as_of.month - 1))
    counts = last - span["min"].to_numpy() + 1
    grid = pd.DataFrame({
        "contract_id": np.repeat(span.index.to_numpy(), counts),
        "month": np.repeat(span["min"].to_numpy(), counts) + _ranks(counts),
    })
    out = grid.merge(sums, on=["contract_id", "month"], how="left").fillna(0)
    out = out.astype({"ms": "int64", "billed": "int64", "paid": "int64"})
    out["closing"] = (out["paid"] - out["billed"]).groupby(out["contract_id"]).cumsum()
    out["opening"] = out["closing"] - out["paid"] + out["billed"]
    out["month_start"] = pd.to_datetime({"year": out["month"] // 12, "month": out["month"] % 12 + 1, "day": 1})
    out["minor"] = lookup(out["contract_id"], contracts.set_index("contract_id")["minor"]).astype("int64")
    return out.sort_values(["contract_id", "month"], kind="stable").reset_index(drop=True)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """[2, 3] -> [0, 1, 0, 1, 2]: each position's offset inside its run."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(counts.sum()) - starts
