"""The compute core: valid rows in, per-contract figures out. Pure, vectorised, exact.

Money is int64 minor units (cents), rates int64 ten-thousandths per hour, durations int64
milliseconds: every product and sum below is an integer, and the only rounding is the
pinned one (each line amount half-up to the currency's minor unit).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sync.compute.periods import current_period, draw_periods
from sync.compute.requests import request_figures
from sync.model.figures import MS_PER_HOUR, half_up_divide
from sync.model.frames import Book, Ledger
from sync.rules.cells import FIRST_DATE, MONEY_SCALE

RUN_RATE_DAYS = 90  # Runs Out projects the average daily billing of this many days
RUNS_OUT_SOON_DAYS = 30  # a Runs Out date this many days from As Of or sooner is soon (the Dashboard's Needs)


def compute(book: Book, as_of: dt.date) -> Ledger:
    """Every figure of every valid contract on the As Of date: totals, priced entries, months, periods."""
    day = pd.Timestamp(as_of)
    contracts = book.contracts.merge(
        book.clients[["client_id", "name"]].rename(columns={"name": "client_name"}), on="client_id", how="left"
    )
    ids = pd.Index(contracts["contract_id"])
    # Every row carries its contract's position in `contracts`: lookups become numpy takes.
    time, payments, expenses = (
        frame.assign(contract=positions(ids, frame["contract_id"]))
        for frame in (book.time, book.payments, book.expenses)
    )
    time = price_time(time, book.rates, contracts)
    time, periods = draw_periods(contracts, time, day)
    # What an entry bills: its priced time, or on a periodic contract only its overage (fees are
    # billed per period).
    periodic_entry = (contracts["period"] != "").to_numpy()[time["contract"].to_numpy()]
    time["amount"] = np.where(periodic_entry, time["overage_amount"].to_numpy(), time["priced"].to_numpy())
    expenses = expenses.assign(billed=expenses["amount"].where(expenses["billable"], 0))
    fees = periods.loc[periods["fee"] != 0, ["contract", "period_start", "fee"]]
    fees = fees.rename(columns={"period_start": "date"})
    totals = contract_totals(contracts, time, payments, expenses, book.rates, day, fees)
    current = current_period(contracts, periods, day)
    periodic = totals["periodic"].to_numpy()
    totals["period_left_ms"] = current["period_left_ms"].array  # Int64: NA without a current period
    totals["period_hours_ms"] = current["period_hours_ms"].array
    totals["period_start"] = current["period_start"].to_numpy()
    totals["pace"] = pd.Series(current["pace"].to_numpy(dtype=object), index=totals.index, dtype=object)
    totals["runs_out"] = totals["runs_out"].where(~periodic, current["runs_out"].to_numpy())
    # Not before As Of: a retainer's Runs Out may be the past day its period's hours ran out.
    soon = totals["runs_out"].between(day, day + pd.Timedelta(days=RUNS_OUT_SOON_DAYS))
    totals["runs_out_soon"] = soon.to_numpy(dtype=bool)
    monthly = monthly_ledger(totals, time, payments, expenses, day, fees)
    requests = request_figures(book.requests, time, totals)
    return Ledger(totals, time, payments, expenses, monthly, periods, requests)


def positions(index: pd.Index, keys: pd.Series) -> np.ndarray:
    """index.get_indexer(keys), found once per distinct key: a million keys hold a few hundred."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    return index.get_indexer(uniques)[codes]


def days(dates: pd.Series) -> np.ndarray:
    """Dates as whole days since 1970-01-01 (int64)."""
    return dates.to_numpy(dtype="datetime64[D]").astype(np.int64)


def price_time(time: pd.DataFrame, rates: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Each entry's rate, billed duration (rounded up when billable) and `priced`: that duration at that
    rate in minor units, before any retainer allowance."""
    at = time["contract"].to_numpy()
    minor = contracts["minor"].to_numpy()[at]
    rate = rates_on(at, time["work_type"], days(time["date"]), rates, contracts)
    step = contracts["rounding_ms"].to_numpy()[at]
    ms = time["ms"].to_numpy(dtype=np.int64)
    rounded = np.where(step > 0, -(-ms // np.maximum(step, 1)) * step, ms)
    billed_ms = np.where(time["billable"].to_numpy(dtype=bool), rounded, 0)
    # ms x (ten-thousandths per hour) -> minor units: divide by 3.6e6 ms/h x 1e4 / 10^minor
    per_minor = (MS_PER_HOUR * MONEY_SCALE) // (10**minor)
    priced = half_up_divide(billed_ms * rate, per_minor)
    return time.assign(rate=rate, billed_ms=billed_ms, priced=priced, minor=minor)


def rates_on(
    at: np.ndarray, work_types: pd.Series, day: np.ndarray, rates: pd.DataFrame, contracts: pd.DataFrame
) -> np.ndarray:
    """The rate (ten-thousandths per hour) for entries of contracts `at`, of these work types, on these days.

    The latest Rates row for (contract, work type) whose From is on or before the day; else the
    latest such row with a blank Work Type; else the contract's Rate. A blank From means always.
    """
    ids = pd.Index(contracts["contract_id"])
    rate_at = ids.get_indexer(rates["contract_id"])
    start = days(rates["from"].fillna(FIRST_DATE))
    typed = (rates["work_type"] != "").to_numpy()
    kinds = pd.Index(rates.loc[typed, "work_type"].unique())  # already casefolded by validation
    kind_codes, kind_values = pd.factorize(work_types)
    folded = pd.Index([str(kind).casefold() for kind in kind_values], dtype=object)  # a few distinct values
    entry_kind = kinds.get_indexer(folded)[kind_codes] if len(folded) else np.zeros(len(work_types), np.int64)
    by_type = _latest(
        rate_at[typed] * (len(kinds) + 1) + kinds.get_indexer(rates.loc[typed, "work_type"]) + 1,
        start[typed],
        rates.loc[typed, "rate"].to_numpy(),
        np.where(entry_kind >= 0, at * (len(kinds) + 1) + entry_kind + 1, -1),
        day,
    )
    by_contract = _latest(rate_at[~typed], start[~typed], rates.loc[~typed, "rate"].to_numpy(), at, day)
    fallback = contracts["rate"].to_numpy(dtype=np.int64)[at]
    return np.where(by_type >= 0, by_type, np.where(by_contract >= 0, by_contract, fallback)).astype(np.int64)


def _latest(group: np.ndarray, start: np.ndarray, value: np.ndarray, want: np.ndarray, day: np.ndarray) -> np.ndarray:
    """For each (want, day): `value` of the row of that group with the latest start <= day, else -1.

    Groups and days fold into one sortable int64 (days since 1970 are under 2**20), so one
    np.searchsorted over the few rate rows answers a million entries without sorting them."""
    span = np.int64(2**20)
    order = np.lexsort((start, group))
    group, value = group[order], value[order]
    keys = group.astype(np.int64) * span + start[order]
    latest = np.full(len(want), -1, dtype=np.int64)
    ask = np.flatnonzero(np.isin(want, group, kind="table"))  # only entries of a group that has rows
    position = np.searchsorted(keys, want[ask].astype(np.int64) * span + day[ask], side="right") - 1
    position = np.maximum(position, 0)  # -1: before the group's first start, caught by the check below
    hit = (group[position] == want[ask]) & (start[order][position] <= day[ask])
    latest[ask[hit]] = value[position[hit]]
    return latest


def contract_totals(
    contracts: pd.DataFrame,
    time: pd.DataFrame,
    payments: pd.DataFrame,
    expenses: pd.DataFrame,
    rates: pd.DataFrame,
    as_of: pd.Timestamp,
    fees: pd.DataFrame,
) -> pd.DataFrame:
    """Paid, Billed, Balance, hours, last activity, run-out date and status per contract.

    `fees`: the period fees charged (contract, date, fee), billed like expenses."""
    n = len(contracts)

    def per_contract(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """Exact integer sums of `columns` by contract position, 0 where a contract has no rows."""
        return frame.groupby("contract")[columns].sum().reindex(range(n), fill_value=0).astype("int64")

    today = days(pd.Series([as_of]))[0]

    def recent(frame: pd.DataFrame, column: str) -> np.ndarray:
        day = days(frame["date"])
        return np.where((day > today - RUN_RATE_DAYS) & (day <= today), frame[column].to_numpy(), 0)

    worked = per_contract(time.assign(recent=recent(time, "amount")), ["amount", "ms", "billed_ms", "recent"])
    spent = per_contract(expenses.assign(recent=recent(expenses, "billed")), ["billed", "recent"])
    charged = per_contract(fees.assign(recent=recent(fees, "fee")), ["fee", "recent"])
    out = contracts.assign(
        periodic=(contracts["period"] != "").to_numpy(),
        paid=per_contract(payments, ["amount"])["amount"].to_numpy(),
        billed=(worked["amount"] + spent["billed"] + charged["fee"]).to_numpy(),
        hours_ms=worked["ms"].to_numpy(),
        billable_ms=worked["billed_ms"].to_numpy(),
        recent=(worked["recent"] + spent["recent"] + charged["recent"]).to_numpy(),
    )
    last = pd.concat([frame.groupby("contract")["date"].max() for frame in (time, expenses)])
    out["last_activity"] = last.groupby(level=0).max().reindex(range(n)).astype("datetime64[ns]")
    out["balance"] = out["paid"] - out["billed"]
    ahead = -(-(out["balance"] * RUN_RATE_DAYS) // out["recent"].where(out["recent"] > 0, 1))
    ahead = ahead.clip(upper=100 * 366)  # a trickle of billing would otherwise project past year 2262
    runs = (out["recent"] > 0) & (out["balance"] >= 0)
    out["runs_out"] = (as_of + pd.to_timedelta(ahead.where(runs, 0), unit="D")).where(runs)
    everyone = np.arange(n)
    out["current_rate"] = rates_on(everyone, pd.Series([""] * n, dtype=object), np.full(n, today), rates, contracts)
    out["status"] = np.select(
        [out["balance"] < 0, out["low_balance"].notna() & (out["balance"] < out["low_balance"]), out["closed"]],
        ["OVERDRAWN", "LOW", "CLOSED"],
        "OK",
    )
    return out


def hours_remaining_hundredths(balance: pd.Series, minor: pd.Series, rate: pd.Series) -> pd.Series:
    """Balance / current hourly rate, in hundredths of an hour, truncated toward zero; NA at rate 0.

    The balance is clipped to +-9e12 minor units (90 billion dollars) so x 1e6 stays in int64.
    """
    numerator = balance.clip(-9 * 10**12, 9 * 10**12) * 100 * MONEY_SCALE
    denominator = (10**minor) * rate.where(rate > 0, 1)
    hundredths = np.sign(numerator) * (numerator.abs() // denominator)
    return hundredths.astype("Int64").where(rate > 0)


def monthly_ledger(
    contracts: pd.DataFrame,
    time: pd.DataFrame,
    payments: pd.DataFrame,
    expenses: pd.DataFrame,
    as_of: pd.Timestamp,
    fees: pd.DataFrame,
) -> pd.DataFrame:
    """Hours, billed, paid and closing balance per contract and calendar month.

    A period's fee is billed in the month its period starts; overage in the entry's month.

    Months run from a contract's first dated row to its last, and on to the as-of month while
    the contract is not closed, with no gaps.
    """

    def by_month(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        """Exact integer sums of `columns` (renamed to ms, billed or paid) per contract and month."""
        month = (frame["date"].dt.year * 12 + frame["date"].dt.month - 1).astype("int64")
        sums = frame.assign(month=month).groupby(["contract", "month"])[list(columns)].sum()
        return sums.rename(columns=columns).reindex(columns=["ms", "billed", "paid"], fill_value=0)

    sums = pd.concat(
        [
            by_month(time, {"ms": "ms", "amount": "billed"}),
            by_month(expenses, {"billed": "billed"}),
            by_month(payments, {"amount": "paid"}),
            by_month(fees, {"fee": "billed"}),
        ]
    )
    sums = sums.groupby(level=["contract", "month"]).sum().astype("int64")
    span = sums.reset_index().groupby("contract")["month"].agg(["min", "max"])
    at = span.index.to_numpy()
    closed = contracts["closed"].to_numpy(dtype=bool)[at]
    last = np.where(closed, span["max"], np.maximum(span["max"], as_of.year * 12 + as_of.month - 1))
    counts = last - span["min"].to_numpy() + 1
    months = np.repeat(span["min"].to_numpy(), counts) + _ranks(counts)
    grid = pd.MultiIndex.from_arrays([np.repeat(at, counts), months], names=["contract", "month"])
    out = sums.reindex(grid, fill_value=0).reset_index()  # months without rows: 0, and never a float
    out["closing"] = (out["paid"] - out["billed"]).groupby(out["contract"]).cumsum()
    out["opening"] = out["closing"] - out["paid"] + out["billed"]
    out["month_start"] = pd.to_datetime({"year": out["month"] // 12, "month": out["month"] % 12 + 1, "day": 1})
    out["minor"] = contracts["minor"].to_numpy(dtype=np.int64)[out["contract"].to_numpy()]
    out["contract_id"] = contracts["contract_id"].to_numpy()[out["contract"].to_numpy()]
    return out.sort_values(["contract_id", "month"], kind="stable").reset_index(drop=True)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """[2, 3] -> [0, 1, 0, 1, 2]: each position's offset inside its run."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(counts.sum()) - starts
