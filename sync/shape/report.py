"""Ledger figures into the tables people read: the team's output tabs and each client's summary.

This is where integer minor units become Decimals with the currency's decimals, and
timestamps become dates: the last step before a writer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sync.compute.ledger import RUNS_OUT_SOON_DAYS, hours_remaining_hundredths
from sync.compute.requests import OPEN_STATUSES, days_open, request_order
from sync.model import figures
from sync.model.figures import MS_PER_HOUR, half_up_divide
from sync.model.frames import Ledger
from sync.model.schema import (
    BALANCES_COLUMNS,
    CLIENT_TABS,
    DASHBOARD_COLUMNS,
    ERRORS_COLUMNS,
    MONTHLY_COLUMNS,
    PERIODS_COLUMNS,
    REQUESTS_SUMMARY,
    REQUESTS_SUMMARY_COLUMNS,
)
from sync.model.table import Kind, Table
from sync.shape.dashboard import period_fee_text

NA_KEY = np.iinfo(np.int64).min  # stands for a blank among int64 keys


BALANCES_KINDS: tuple[Kind, ...] = ("text", "text", "text", "text", "text", "money", "money", "money", "hours", "hours", "hours", "date", "hours", "text", "date", "text", "date", "datetime")  # fmt: skip
SUMMARY_KINDS: tuple[Kind, ...] = ("text", "text", "text", "money", "money", "money", "hours", "date", "hours", "hours", "hours", "hours", "text", "text", "date")  # fmt: skip
MONTHLY_KINDS: tuple[Kind, ...] = ("text", "text", "hours", "money", "money", "money")
DASHBOARD_KINDS: tuple[Kind, ...] = ("text", "text", "text", "text", "money", "text", "hours", "date", "hours", "date", "text")  # fmt: skip
# The Dashboard's order: worst first, by Status in this order, then soonest Runs Out, Client, Contract ID.
DASHBOARD_STATUS_ORDER = ("OVERDRAWN", "LOW", "OK", "CLOSED")


def _per_distinct(key: np.ndarray, index: pd.Index, convert: Callable[[int], object]) -> pd.Series:
    """convert() once per distinct int64 key (a million amounts hold a few thousand values)."""
    codes, uniques = pd.factorize(key)
    return pd.Series(np.array([convert(int(u)) for u in uniques], dtype=object)[codes], index=index, dtype=object)


def money(minor_units: pd.Series, minor: pd.Series) -> pd.Series:
    """Exact Decimals: 123456 cents -> Decimal('1234.56'); 0 yen -> Decimal('0'); NA -> None."""
    missing = minor_units.isna().to_numpy()
    units = minor_units.fillna(0).to_numpy(dtype=np.int64)
    key = np.where(missing, NA_KEY, units * 8 + minor.to_numpy(dtype=np.int64))  # a minor unit is 0 to 4
    return _per_distinct(key, minor_units.index, lambda k: None if k == NA_KEY else figures.money(k // 8, k % 8))


def hours(ms: pd.Series) -> pd.Series:
    """Milliseconds -> hours as a Decimal with two places, half up; NA -> None."""
    missing = ms.isna().to_numpy()
    hundredths = half_up_divide(ms.fillna(0).to_numpy(dtype=np.int64) * 100, MS_PER_HOUR)
    return _per_distinct(
        np.where(missing, NA_KEY, hundredths), ms.index, lambda h: None if h == NA_KEY else figures.hours(h)
    )


def text_or_blank(values: pd.Series) -> pd.Series:
    """Text as is; NA -> None."""
    return values.astype(object).where(values.notna(), None)


def dates(values: pd.Series) -> pd.Series:
    """Timestamps -> datetime.date; NaT -> None."""
    days = values.to_numpy(dtype="datetime64[D]").astype(np.int64)
    missing = values.isna().to_numpy()
    epoch = dt.date(1970, 1, 1)
    return _per_distinct(
        np.where(missing, NA_KEY, days), values.index, lambda d: None if d == NA_KEY else epoch + dt.timedelta(days=d)
    )


def month_text(values: pd.Series) -> pd.Series:
    """Month starts as the Monthly tab's text: 2026-03."""
    return values.dt.strftime("%Y-%m")


def balances_frame(ledger: Ledger, as_of: dt.date, computed_at: dt.datetime) -> pd.DataFrame:
    """The Balances tab: one row per contract, by client then contract, every figure as shown."""
    c = ledger.contracts.sort_values(["client_id", "contract_id"]).reset_index(drop=True)
    remaining = hours_remaining_hundredths(c["balance"], c["minor"], c["current_rate"])
    return pd.DataFrame(
        {
            "Client ID": c["client_id"],
            "Client": c["client_name"],
            "Contract ID": c["contract_id"],
            "Contract": c["name"],
            "Currency": c["currency"],
            "Paid": money(c["paid"], c["minor"]),
            "Billed": money(c["billed"], c["minor"]),
            "Balance": money(c["balance"], c["minor"]),
            "Hours": hours(c["hours_ms"]),
            "Billable Hours": hours(c["billable_ms"]),
            "Hours Remaining": money(remaining, pd.Series(2, index=c.index)),
            "Runs Out": dates(c["runs_out"]),
            "Period Hours Left": hours(c["period_left_ms"]),
            "Pace": text_or_blank(c["pace"]),
            "Last Activity": dates(c["last_activity"]),
            "Status": c["status"],
            "As Of": as_of,
            "Computed At": computed_at,
        },
        columns=list(BALANCES_COLUMNS),
    )


PERIODS_KINDS: dict[str, Kind] = dict(
    zip(
        PERIODS_COLUMNS,
        ("text", "date", "date", "hours", "hours", "hours", "hours", "hours", "hours", "money", "money"),
    )
)


def periods_frame(ledger: Ledger) -> pd.DataFrame:
    """The Periods tab: one row per periodic contract and period, by Contract ID, then Period Start."""
    p = ledger.periods.sort_values(["contract_id", "period_start"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "Contract ID": p["contract_id"],
            "Period Start": dates(p["period_start"]),
            "Period End": dates(p["period_end"]),
            "Included": hours(p["included_ms"]),
            "Carried In": hours(p["carried_in_ms"]),
            "Used": hours(p["used_ms"]),
            "Carried Out": hours(p["carried_out_ms"]),
            "Expired": hours(p["expired_ms"]),
            "Overage Hours": hours(p["overage_ms"]),
            "Overage Amount": money(p["overage_amount"], p["minor"]),
            "Fee": money(p["fee"], p["minor"]),
        },
        columns=list(PERIODS_COLUMNS),
    )


def current_periods(periods: pd.DataFrame, as_of: pd.Series) -> pd.DataFrame:
    """Each Periods row (of periods_frame) holding its contract's As Of date: at most one per contract."""
    as_of = periods["Contract ID"].map(as_of)
    holds = (periods["Period Start"] <= as_of) & (as_of <= periods["Period End"])
    return periods[holds.fillna(False).astype(bool)].set_index("Contract ID")


def needs(
    status: str, low_balance: float, minor: int, runs_out_soon: bool, periodic: bool, period_left_ms: int | None
) -> str | None:
    """The Dashboard's Needs: what a contract asks of the team, in a sentence or two; None when nothing."""
    said = []
    if status == "OVERDRAWN":
        said.append("Balance is below zero: ask for a top-up")
    elif status == "LOW":
        said.append(f"Below the Low Balance of {figures.shown(figures.money(int(low_balance), minor), 'money')}")
    if status != "CLOSED" and periodic and period_left_ms is not None and period_left_ms <= 0:
        said.append("No hours left this period: more work bills as overage")
    elif status in ("LOW", "OK") and runs_out_soon:
        # A retainer's Runs Out is when this period's hours run out, and only when before its end.
        said.append(
            "This period's hours run out before it ends" if periodic else f"Runs out within {RUNS_OUT_SOON_DAYS} days"
        )
    return ". ".join(said) or None


def dashboard_frame(ledger: Ledger, balances: pd.DataFrame) -> pd.DataFrame:
    """The Dashboard tab: Balances' figures for each contract, worst first (DASHBOARD_STATUS_ORDER,
    then soonest Runs Out, blank last, then Client, then Contract ID), with what each needs."""
    c = ledger.contracts.take(pd.Index(ledger.contracts["contract_id"]).get_indexer(balances["Contract ID"]))
    c = c.reset_index(drop=True)
    said = [
        needs(*row)
        for row in zip(
            c["status"],
            c["low_balance"],
            c["minor"],
            c["runs_out_soon"],
            c["periodic"],
            [None if pd.isna(ms) else int(ms) for ms in c["period_left_ms"]],
        )
    ]
    frame = balances.assign(Needs=pd.Series(said, index=balances.index, dtype=object))[list(DASHBOARD_COLUMNS)]
    order = pd.DataFrame(
        {
            "status": c["status"].map({status: n for n, status in enumerate(DASHBOARD_STATUS_ORDER)}).fillna(-1),
            "runs_out": c["runs_out"],
            "client": c["client_name"],
            "contract_id": c["contract_id"],
        }
    ).sort_values(["status", "runs_out", "client", "contract_id"], na_position="last", kind="stable")
    return frame.take(order.index.to_numpy()).reset_index(drop=True)


REQUESTS_SUMMARY_KINDS: tuple[Kind, ...] = ("text", "text", "text", "text", "text", "date", "text", "date", "hours", "money", "hours", "hours", "int")  # fmt: skip
CLIENT_REQUESTS_KINDS: tuple[Kind, ...] = ("text", "text", "text", "text", "date", "date", "hours", "hours", "money")


def requests_frame(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """The Requests Summary tab: every request with its time, open ones first, oldest first."""
    r = ledger.requests.take(request_order(ledger.requests)).reset_index(drop=True)
    over = (r["hours_ms"] - r["estimate_ms"]).clip(lower=0)
    return pd.DataFrame(
        {
            "Request ID": r["request_id"],
            "Client ID": r["client_id"],
            "Contract ID": r["contract_id"],
            "Title": r["title"],
            "Status": r["status"],
            "Requested": dates(r["requested"]),
            "Requested By": r["requested_by"],
            "Done": dates(r["done"]),
            "Hours": hours(r["hours_ms"]),
            "Amount": money(r["amount"], r["minor"]),
            "Estimate": hours(r["estimate_ms"]),
            "Over Estimate": hours(over),
            "Days Open": days_open(r, pd.Timestamp(as_of)).astype(object).where(lambda d: d.notna(), None),
        },
        columns=list(REQUESTS_SUMMARY_COLUMNS),
    )


def client_requests_frame(ledger: Ledger) -> pd.DataFrame:
    """Every client's requests marked Client Visible, as their Requests tab shows them (no Notes, no
    Requested By): open ones with their Estimate, closed ones with their Done date and Amount."""
    r = ledger.requests[ledger.requests["client_visible"].to_numpy(dtype=bool)]
    r = r.take(request_order(r)).reset_index(drop=True)
    open_ = r["status"].isin(OPEN_STATUSES)
    return pd.DataFrame(
        {
            "Request ID": r["request_id"],
            "Contract ID": r["contract_id"],
            "Title": r["title"],
            "Status": r["status"],
            "Requested": dates(r["requested"]),
            "Done": dates(r["done"].where(~open_)),
            "Hours": hours(r["hours_ms"]),
            "Estimate": hours(r["estimate_ms"].where(open_)),
            "Amount": money(r["amount"].where(~open_), r["minor"]),
        },
        columns=list(CLIENT_TABS["Requests"]),
    )


def team_tables(ledger: Ledger, problems: pd.DataFrame, as_of: dt.date, computed_at: dt.datetime) -> dict[str, Table]:
    """Dashboard, Balances, Monthly, Periods, Requests Summary and Errors, exactly as the team workbook shows them."""
    balances = balances_frame(ledger, as_of, computed_at)
    m = ledger.monthly
    monthly = pd.DataFrame(
        {
            "Contract ID": m["contract_id"],
            "Month": month_text(m["month_start"]),
            "Hours": hours(m["ms"]),
            "Billed": money(m["billed"], m["minor"]),
            "Paid": money(m["paid"], m["minor"]),
            "Balance": money(m["closing"], m["minor"]),
        },
        columns=list(MONTHLY_COLUMNS),
    )
    return {
        "Dashboard": Table(dashboard_frame(ledger, balances), dict(zip(DASHBOARD_COLUMNS, DASHBOARD_KINDS))),
        "Balances": Table(balances, dict(zip(BALANCES_COLUMNS, BALANCES_KINDS))),
        "Monthly": Table(monthly, dict(zip(MONTHLY_COLUMNS, MONTHLY_KINDS))),
        "Periods": Table(periods_frame(ledger), PERIODS_KINDS),
        REQUESTS_SUMMARY: Table(
            requests_frame(ledger, as_of), dict(zip(REQUESTS_SUMMARY_COLUMNS, REQUESTS_SUMMARY_KINDS))
        ),
        "Errors": errors_table(problems),
    }


def errors_table(problems: pd.DataFrame) -> Table:
    """The Errors tab: every problem found (sync.rules.check.problem_table), without its Code."""
    return Table(
        problems[list(ERRORS_COLUMNS)].reset_index(drop=True),
        dict(zip(ERRORS_COLUMNS, ("text", "int", "text", "text", "text", "text"))),
    )


def client_tables(
    ledger: Ledger, balances: pd.DataFrame, client_ids: list[str], locale: str = "en_US"
) -> Iterator[tuple[str, dict[str, Table]]]:
    """Each client's Summary, Activity, Payments, Statement, (with a retainer) Periods and (with a
    request marked Client Visible) Requests: only their contracts, never Notes. A time entry with a
    blank Task shows the Title of its request when the client sees that request. A retainer's fees are Activity lines of their own, dated the first day
    of their period, so that Activity's amounts add up to Billed; Activity, Payments and Statement
    end with a blank row and their totals (one per currency when the client has several).

    The tables are built once for every client together with their rows grouped by client,
    and each client's tables are slices of them (picking a million rows by position, client by
    client, takes seconds)."""
    contracts = ledger.contracts.set_index("contract_id")
    clients = pd.Index(pd.unique(contracts["client_id"]))
    client_of = pd.Series(clients.get_indexer(pd.Index(contracts["client_id"])), index=contracts.index)
    # Per contract position (each time, expense, fee and payment row carries its `contract`): lookups are numpy takes.
    client_at = clients.get_indexer(pd.Index(ledger.contracts["client_id"]))
    minor_at = ledger.contracts["minor"].to_numpy(dtype=np.int64)
    currency_at = ledger.contracts["currency"].to_numpy(dtype=object)

    def minor_of(frame: pd.DataFrame) -> pd.Series:
        return pd.Series(minor_at[frame["contract"].to_numpy(dtype=np.int64)], index=frame.index)

    time, expenses = ledger.time, ledger.expenses[ledger.expenses["billable"]]
    requests = client_requests_frame(ledger)
    task = time["task"]
    wants = ((task == "") & (time["request_id"] != "")).to_numpy(dtype=bool) if len(requests) else None
    if wants is not None and wants.any():  # a blank Task with a request the client sees: its Title stands in
        title = _lookup(time["request_id"][wants], requests.set_index("Request ID")["Title"])
        task = task.copy()
        task[wants] = title.fillna("").to_numpy(dtype=object)
    fees = ledger.periods[ledger.periods["fee"] != 0]
    period_of = contracts["period"]
    activity = pd.concat(
        [
            pd.DataFrame(
                {
                    "Date": time["date"],
                    "Contract ID": time["contract_id"],
                    "Task": task,
                    "Work Type": time["work_type"],
                    "Hours": hours(time["billed_ms"].where(time["billable"], time["ms"])),
                    "Billable": np.where(time["billable"], "Yes", "No"),
                    "Amount": money(time["amount"], minor_of(time)),
                }
            ),
            pd.DataFrame(
                {
                    "Date": expenses["date"],
                    "Contract ID": expenses["contract_id"],
                    "Task": expenses["description"],
                    "Work Type": "expense",
                    "Hours": None,
                    "Billable": "Yes",
                    "Amount": money(expenses["amount"], minor_of(expenses)),
                }
            ),
            pd.DataFrame(
                {
                    "Date": fees["period_start"],
                    "Contract ID": fees["contract_id"],
                    "Task": [
                        period_fee_text(str(period_of[cid]), start, end, locale)
                        for cid, start, end in zip(fees["contract_id"], fees["period_start"], fees["period_end"])
                    ],
                    "Work Type": "fee",
                    "Hours": None,
                    "Billable": "Yes",
                    "Amount": money(fees["fee"], fees["minor"]),
                }
            ),
        ],
        ignore_index=True,
    )
    activity_at = np.concatenate([frame["contract"].to_numpy(dtype=np.int64) for frame in (time, expenses, fees)])
    payments_at = ledger.payments["contract"].to_numpy(dtype=np.int64)
    payments = pd.DataFrame(
        {
            "Date": ledger.payments["date"],
            "Contract ID": ledger.payments["contract_id"],
            "Amount": money(ledger.payments["amount"], minor_of(ledger.payments)),
            "Reference": ledger.payments["reference"],
        }
    )
    m = ledger.monthly
    statement = pd.DataFrame(
        {
            "Contract ID": m["contract_id"],
            "Month": month_text(m["month_start"]),
            "Opening": money(m["opening"], m["minor"]),
            "Billed": money(m["billed"], m["minor"]),
            "Paid": money(m["paid"], m["minor"]),
            "Closing": money(m["closing"], m["minor"]),
        }
    )

    periods = periods_frame(ledger)

    def client_codes(frame: pd.DataFrame) -> np.ndarray:
        return _lookup(frame["Contract ID"], client_of).fillna(-1).to_numpy(dtype=np.int64)

    grouped = {
        "Summary": _ByClient.of(summary_frame(balances, periods), clients.get_indexer(pd.Index(balances["Client ID"]))),
        # Activity and Payments read by date, then contract.
        "Activity": _ByClient.of(
            activity.assign(**{CURRENCY: currency_at[activity_at]}),
            client_at[activity_at],
            activity["Date"],
            activity["Contract ID"],
        ),
        "Payments": _ByClient.of(
            payments.assign(**{CURRENCY: currency_at[payments_at]}),
            client_at[payments_at],
            payments["Date"],
            payments["Contract ID"],
        ),
        "Statement": _ByClient.of(
            statement.assign(**{CURRENCY: currency_at[m["contract"].to_numpy(dtype=np.int64)]}),
            client_at[m["contract"].to_numpy(dtype=np.int64)],
        ),
        "Periods": _ByClient.of(periods, client_codes(periods)),
        "Requests": _ByClient.of(requests, client_codes(requests)),
    }
    for name in ("Activity", "Payments"):
        grouped[name].frame["Date"] = dates(grouped[name].frame["Date"])
    footers: dict[str, dict[int, int]] = {}
    for name in TOTALS:
        grouped[name], footers[name] = with_totals(name, grouped[name])
    kinds: dict[str, tuple[Kind, ...]] = {
        "Summary": SUMMARY_KINDS,
        "Activity": ("date", "text", "text", "text", "hours", "text", "money"),
        "Payments": ("date", "text", "money", "text"),
        "Statement": ("text", "text", "money", "money", "money", "money"),
        "Periods": tuple(PERIODS_KINDS.values()),
        "Requests": CLIENT_REQUESTS_KINDS,
    }
    code_of = {client_id: code for code, client_id in enumerate(clients)}
    retainer = contracts["periodic"].groupby(contracts["client_id"]).any()
    for client_id in client_ids:
        code = code_of.get(client_id, -1)
        tables = {}
        for name, rows in grouped.items():
            if name == "Periods" and not retainer.get(client_id, False):
                continue  # only what applies
            frame = rows.of_client(code)
            if name == "Requests" and frame.empty:
                continue
            footer = footers.get(name, {}).get(code, 0)
            tables[name] = Table(frame, dict(zip(CLIENT_TABS[name], kinds[name])), footer=footer)
        yield client_id, tables


# Each client tab with totals: the column that says "Total", and the columns summed.
TOTALS = {
    "Activity": ("Contract ID", ("Hours", "Amount")),
    "Payments": ("Contract ID", ("Amount",)),
    "Statement": ("Contract ID", ("Billed", "Paid")),
}


CURRENCY = "_currency"  # each row's currency, beside a tab's columns until its totals are made


def with_totals(name: str, rows: _ByClient) -> tuple[_ByClient, dict[int, int]]:
    """Every client's rows of tab `name`, each client's followed by a blank row and a totals row
    (TOTALS), one per currency when its contracts have several (each "Total USD"); and how many
    such rows each client (by code) has. The sums are exact: the Decimals shown above, added as
    integers of their last place, for all the clients in one pass. Each column keeps its dtype
    (a million rows of text stay text for the writers)."""
    label, summed = TOTALS[name]
    frame, client = rows.frame.drop(columns=CURRENCY), rows.client
    if not len(frame):
        return _ByClient(frame, client), {}
    currency, currencies = pd.factorize(rows.frame[CURRENCY].to_numpy(dtype=object), sort=True)
    group, keys = pd.factorize(client * max(1, len(currencies)) + currency, sort=True)  # by client, then currency
    key_client, key_currency = keys // max(1, len(currencies)), keys % max(1, len(currencies))
    sums = {column: _exact_sums(frame[column], group, len(keys)) for column in summed}
    several = pd.Series(key_client).duplicated(keep=False).to_numpy()
    footer_rows: list[dict[str, object]] = []
    footer_client: list[int] = []
    for at, (code, more) in enumerate(zip(key_client.tolist(), several)):
        if not footer_client or footer_client[-1] != code:
            footer_rows.append(dict.fromkeys(frame.columns))  # the blank row above a client's totals
            footer_client.append(code)
        row: dict[str, object] = dict.fromkeys(frame.columns)
        row[label] = f"Total {currencies[key_currency[at]]}" if more else "Total"
        row.update({column: sums[column][at] for column in summed})
        footer_rows.append(row)
        footer_client.append(code)
    footer = pd.DataFrame(
        {
            column: pd.Series([row[column] for row in footer_rows], dtype=_holding_blanks(frame[column].dtype))
            for column in frame.columns
        }
    )
    together = pd.concat([frame, footer], ignore_index=True)
    codes = np.concatenate([client, np.array(footer_client, dtype=np.int64)])
    order = np.argsort(codes, kind="stable")  # each client's footer after its rows, in footer order
    counts = {int(code): int(n) for code, n in zip(*np.unique(footer_client, return_counts=True))}
    return _ByClient(together.take(order).reset_index(drop=True), codes[order]), counts


def _exact_sums(values: pd.Series, group: np.ndarray, groups: int) -> list[Decimal | None]:
    """Each group's sum of a column of Decimals (blanks left out; None for a group of blanks),
    exactly: as integers of the smallest place, per distinct value (a million amounts hold a few
    thousand), shown to the most places of the group's values."""
    present = values.notna().to_numpy()
    kept, group = values[present].tolist(), group[present]
    # By identity: 0 yen and 0.000 dinar are equal Decimals, but not the same figure. (money() and
    # hours() give each distinct figure one object.)
    codes, _ = pd.factorize(np.fromiter(map(id, kept), dtype=np.int64, count=len(kept)))
    uniques = [kept[i] for i in np.unique(codes, return_index=True)[1]]  # codes count up from 0 as first seen
    places = np.array([max(0, -_exponent(d)) for d in uniques], dtype=np.int64)
    scale = int(places.max(initial=0))
    units = [int(d.scaleb(scale)) for d in uniques]
    if max(map(abs, units), default=0) * max(1, len(kept)) < 2**53:  # a double holds every partial sum exactly
        weights = np.array(units, dtype=np.float64)[codes]
        summed: list[int] = [int(total) for total in np.bincount(group, weights, minlength=groups).tolist()]
    else:
        summed = [0] * groups
        for at, code in zip(group.tolist(), codes.tolist()):
            summed[at] += units[code]
    shown = np.full(groups, -1, dtype=np.int64)
    np.maximum.at(shown, group, places[codes])
    return [
        figures.money(total, scale).quantize(Decimal(1).scaleb(-int(p))) if p >= 0 else None
        for total, p in zip(summed, shown.tolist())
    ]


def _exponent(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _holding_blanks(dtype: Any) -> Any:
    """`dtype` when a blank fits in it (text, objects), else object."""
    return dtype if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype) else object


def summary_frame(balances: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """The client Summary's columns of Balances, with each contract's current period (blank when none)."""
    current = current_periods(periods, balances.set_index("Contract ID")["As Of"])

    def of_current(column: str) -> pd.Series:
        values = current[column].reindex(balances["Contract ID"]).to_numpy(dtype=object, copy=True)
        values[pd.isna(values)] = None
        return pd.Series(values, index=balances.index, dtype="object")

    return balances.assign(
        **{
            "Period Included": of_current("Included"),
            "Period Carried": of_current("Carried In"),
            "Period Used": of_current("Used"),
            "Period Left": balances["Period Hours Left"],
        }
    )[list(CLIENT_TABS["Summary"])]


class _ByClient(NamedTuple):
    """A table's rows for every client, grouped by client."""

    frame: pd.DataFrame
    client: np.ndarray  # each row's client code, ascending (-1: none)

    @classmethod
    def of(cls, frame: pd.DataFrame, client: np.ndarray, *keys: pd.Series) -> _ByClient:
        """`frame` with its rows stably sorted by client, then by `keys` (blanks last)."""
        order = _stable_order([client + 1, *(_sort_codes(key) for key in keys)])
        return cls(frame.take(order).reset_index(drop=True), client[order])

    def of_client(self, code: int) -> pd.DataFrame:
        start = np.searchsorted(self.client, code, side="left") if code >= 0 else 0
        stop = np.searchsorted(self.client, code, side="right") if code >= 0 else 0
        return self.frame.iloc[start:stop].reset_index(drop=True)


def _sort_codes(key: pd.Series) -> np.ndarray:
    """Integers from 0 that sort as `key` sorts, blanks last."""
    codes, uniques = pd.factorize(key, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def _stable_order(keys: list[np.ndarray]) -> np.ndarray:
    """The stable sort order by the first key, then the next...: keys of integers from 0."""
    sizes = [int(key.max(initial=0)) + 1 for key in keys]
    if math.prod(sizes) >= 2**63:
        return np.lexsort(keys[::-1])
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for key, size in zip(keys, sizes):  # one int64 sorts three times faster than lexsort's keys
        combined = combined * size + key
    return np.argsort(combined, kind="stable")


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """sync.load.lookup, each distinct key looked up once: a million keys hold a few hundred."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    found = table.reindex(uniques).take(codes)
    found.index = keys.index
    return found
