"""Retainer periods: included hours per period, carried hours, overage, fees. Pure and exact.

A periodic contract's billable time draws hours, not money, until its period's hours (carried
in + included) are used; the rest of an entry is overage, priced like any entry. The rules are
in sheets_schema.md, "Retainer periods". Entries are handled with numpy over cumulative sums;
only the periods (a few dozen per contract) are walked one by one, because what a period
carries in depends on the period before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sync.model.figures import MS_PER_HOUR, half_up_divide
from sync.rules.cells import MONEY_SCALE

MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
PACE_TOLERANCE = 10  # percentage points: used share this far above the elapsed share is "ahead"
DAY_SPAN = np.int64(2**20)  # days since 1970 are under 2**20: (contract, day) folds into one int64

PERIOD_COLUMNS = [
    "contract",
    "contract_id",
    "period_start",
    "period_end",
    "included_ms",
    "carried_in_ms",
    "used_ms",
    "carried_out_ms",
    "expired_ms",
    "overage_ms",
    "overage_amount",
    "fee",
    "minor",
    "ran_out",
]


def period_starts(start: np.datetime64, months: int, count: int) -> np.ndarray:
    """The first `count` period starts (datetime64[D]): Start plus whole periods, each counted from
    Start itself, on Start's day of the month or the month's last day when it is shorter
    (Start 2026-01-31, monthly: 01-31, 02-28, 03-31, 04-30)."""
    first_month = start.astype("datetime64[M]")
    day = (start - first_month.astype("datetime64[D]")).astype(np.int64)
    month = first_month + np.arange(count) * months
    length = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    return month.astype("datetime64[D]") + np.minimum(day, length - 1)


def contract_periods(contracts: pd.DataFrame, last_entry: np.ndarray, as_of: pd.Timestamp) -> pd.DataFrame:
    """Each periodic contract's periods, from Start through the one holding the later of the As Of
    date and its last billable entry, none starting after End; the last one ends at End when End
    falls inside it. A contract whose entries all come before Start still gets its first period."""
    today = np.datetime64(as_of.date(), "D")
    parts = []
    for at in np.flatnonzero((contracts["period"] != "").to_numpy()):
        row = contracts.iloc[at]
        start = np.datetime64(row["start"].date(), "D")
        end = np.datetime64(row["end"].date(), "D") if pd.notna(row["end"]) else None
        months = MONTHS[row["period"]]
        limit = max(today, last_entry[at]) if not np.isnat(last_entry[at]) else today
        if end is not None:
            limit = min(limit, end)
        span = (limit.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)
        starts = period_starts(start, months, max(span // months + 2, 2))
        count = max(int((starts <= limit).sum()), 0 if np.isnat(last_entry[at]) else 1)
        if count == 0:
            continue
        starts = period_starts(start, months, count + 1)
        ends = starts[1:] - np.timedelta64(1, "D")
        if end is not None:
            ends = np.minimum(ends, end)
        parts.append(
            pd.DataFrame(
                {
                    "contract": at,
                    "contract_id": row["contract_id"],
                    "period_start": starts[:-1],
                    "period_end": ends,
                    "last": np.arange(count) == count - 1,
                    "ends_contract": end is not None and ends[-1] == end,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "contract": pd.Series(dtype=np.int64),
                "contract_id": pd.Series(dtype=object),
                "period_start": pd.Series(dtype="datetime64[ns]"),
                "period_end": pd.Series(dtype="datetime64[ns]"),
                "last": pd.Series(dtype=bool),
                "ends_contract": pd.Series(dtype=bool),
            }
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["ends_contract"] &= frame["last"]
    for column in ("period_start", "period_end"):
        frame[column] = frame[column].astype("datetime64[ns]")
    return frame


def draw_periods(contracts: pd.DataFrame, time: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The time frame with each entry's `overage_ms` and `overage_amount` (0 on contracts without a
    Period), and the Periods frame (PERIOD_COLUMNS, one row per period)."""
    periodic = (contracts["period"] != "").to_numpy()
    at = time["contract"].to_numpy()
    billed = time["billed_ms"].to_numpy(dtype=np.int64)
    chosen = np.flatnonzero(periodic[at] & (billed > 0)) if periodic.any() else np.zeros(0, np.int64)
    day = time["date"].to_numpy(dtype="datetime64[D]")[chosen]
    last_entry = np.full(len(contracts), np.datetime64("NaT"), dtype="datetime64[D]")
    np.maximum.at(last_entry.view(np.int64), at[chosen], day.astype(np.int64))  # NaT is the smallest int64
    periods = contract_periods(contracts, last_entry, as_of)

    # Each entry's period: the last one of its contract starting on or before its date (the first
    # one for entries before Start, the last one for entries after End).
    p_contract = periods["contract"].to_numpy(dtype=np.int64)
    keys = p_contract * DAY_SPAN + periods["period_start"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    first = np.searchsorted(p_contract, np.arange(len(contracts)), side="left")
    last = np.searchsorted(p_contract, np.arange(len(contracts)), side="right") - 1
    e_contract = at[chosen].astype(np.int64)
    position = np.searchsorted(keys, e_contract * DAY_SPAN + day.astype(np.int64), side="right") - 1
    position = np.clip(position, first[e_contract], last[e_contract])
    order = np.lexsort((time["row"].to_numpy()[chosen], day, position))  # date order, ties in sheet order
    chosen, position = chosen[order], position[order]
    ms = billed[chosen]

    n = len(periods)
    bounds = np.searchsorted(position, np.arange(n + 1), side="left")
    running = np.concatenate([[0], np.cumsum(ms)])
    total = running[bounds[1:]] - running[bounds[:-1]]
    figures = _carry(periods, contracts, total)
    available = figures["carried_in_ms"] + figures["included_ms"]
    before = running[:-1] - running[bounds[:-1]][position]  # billable ms earlier in the same period
    drawn = np.clip(available[position] - before, 0, ms)
    over = ms - drawn

    minor = contracts["minor"].to_numpy(dtype=np.int64)[at[chosen]]
    overage_rate = contracts["overage_rate"].astype("Int64").to_numpy(dtype=np.int64, na_value=-1)[at[chosen]]
    rate = np.where(overage_rate >= 0, overage_rate, time["rate"].to_numpy(dtype=np.int64)[chosen])
    amount = half_up_divide(over * rate, (MS_PER_HOUR * MONEY_SCALE) // (10**minor))

    time = time.copy(deep=False)  # new columns without copying a million rows
    overage_ms = np.zeros(len(time), dtype=np.int64)
    overage_amount = np.zeros(len(time), dtype=np.int64)
    overage_ms[chosen], overage_amount[chosen] = over, amount
    time["overage_ms"], time["overage_amount"] = overage_ms, overage_amount

    sums = [np.concatenate([[0], np.cumsum(values)]) for values in (over, amount)]
    figures["overage_ms"], figures["overage_amount"] = (s[bounds[1:]] - s[bounds[:-1]] for s in sums)
    # The date of the entry that used the period's last hour (NaT while hours are left).
    crossing = np.flatnonzero(before + ms >= available[position])
    periods_crossed, first_crossing = np.unique(position[crossing], return_index=True)
    ran_out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    ran_out[periods_crossed] = time["date"].to_numpy()[chosen[crossing[first_crossing]]]
    started = (periods["period_start"] <= as_of).to_numpy()
    fee = np.where(started, contracts["fee"].to_numpy(dtype=np.int64)[p_contract], 0)
    out = periods.assign(
        **figures, fee=fee, minor=contracts["minor"].to_numpy(dtype=np.int64)[p_contract], ran_out=ran_out
    )
    return time, out[PERIOD_COLUMNS]


def _carry(periods: pd.DataFrame, contracts: pd.DataFrame, total: np.ndarray) -> dict[str, np.ndarray]:
    """Per period: included, carried in, used, carried out and expired hours (ms), period by period.

    Carried hours are lots by the period they were included in, oldest first. Use takes the oldest
    lots, then the period's included hours. What is left carries out, up to the cap, newest hours
    kept first. A lot included in period o can be used in periods o+1 to o+E (E = Rollover
    Expires) and expires at the boundary after o+E; its hours are counted in that boundary's
    later period's Expired."""
    n = len(periods)
    columns = {
        name: np.zeros(n, dtype=np.int64)
        for name in ("included_ms", "carried_in_ms", "used_ms", "carried_out_ms", "expired_ms")
    }
    p_contract = periods["contract"].to_numpy()
    ends_contract = periods["ends_contract"].to_numpy(dtype=bool)
    included_of = contracts["included_ms"].to_numpy(dtype=np.int64)
    cap_of = contracts["rollover_cap_ms"].to_numpy(dtype=np.int64)
    expires_of = contracts["rollover_expires"].to_numpy(dtype=np.int64)
    lots: list[list[int]] = []
    expiring = 0
    for p in range(n):
        at = p_contract[p]
        k = p - int(np.searchsorted(p_contract, at))  # the period's number within its contract
        if k == 0:
            lots, expiring = [], 0
        included, cap, expires = int(included_of[at]), int(cap_of[at]), int(expires_of[at])
        carried_in = sum(lot[1] for lot in lots)
        used = min(int(total[p]), carried_in + included)
        want = used
        for lot in lots:  # oldest first
            take = min(lot[1], want)
            lot[1] -= take
            want -= take
        left = [lot for lot in lots if lot[1] > 0] + ([[k, included - want]] if included > want else [])
        if cap >= 0:  # -1: no cap
            room, kept = cap, []
            for origin, hours in reversed(left):  # the newest hours carry first
                if room > 0:
                    kept.append([origin, min(hours, room)])
                    room -= kept[-1][1]
            left = kept[::-1]
        if ends_contract[p]:
            left = []
        columns["included_ms"][p], columns["carried_in_ms"][p], columns["used_ms"][p] = included, carried_in, used
        columns["carried_out_ms"][p] = sum(lot[1] for lot in left)
        columns["expired_ms"][p] = expiring
        dying = [lot for lot in left if expires > 0 and lot[0] + expires <= k]
        expiring = sum(lot[1] for lot in dying)
        lots = [lot for lot in left if not (expires > 0 and lot[0] + expires <= k)]
    return columns


def current_period(contracts: pd.DataFrame, periods: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per contract (by position): `period_left_ms`, `pace`, `runs_out`, `period_hours_ms` (included +
    carried in) and `period_start` of the period holding the As Of date; NA (NaT) for contracts without a Period or without such a period.

    Pace compares the share of the period's hours (included + carried in) its billable time has
    taken with the share of its days gone by (the As Of date counted as gone): more than
    PACE_TOLERANCE points above is "ahead", more than that below is "behind". Runs Out is the date
    the last hour was used when none are left; else, while some were used, the As Of date plus
    hours left / hours used so far x days gone by (rounded up), blank if that is after the period.
    """
    n = len(contracts)
    left = pd.Series(pd.NA, index=range(n), dtype="Int64")
    pace = pd.Series(pd.NA, index=range(n), dtype=object)
    runs_out = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    hours = pd.Series(pd.NA, index=range(n), dtype="Int64")  # included + carried in
    start = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    holds = periods[(periods["period_start"] <= as_of) & (as_of <= periods["period_end"])]
    # One typed array per field (a period per contract at most, so these are small).
    contract_of = holds["contract"].to_numpy(dtype=np.int64)
    available_of = (holds["included_ms"] + holds["carried_in_ms"]).to_numpy(dtype=np.int64)
    used_of = holds["used_ms"].to_numpy(dtype=np.int64)
    billable_of = (holds["used_ms"] + holds["overage_ms"]).to_numpy(dtype=np.int64)
    start_of, end_of = pd.DatetimeIndex(holds["period_start"]), pd.DatetimeIndex(holds["period_end"])
    ran_out_of = pd.DatetimeIndex(holds["ran_out"])
    for i in range(len(holds)):
        at, available, used = int(contract_of[i]), int(available_of[i]), int(used_of[i])
        billable, period_start, period_end = int(billable_of[i]), start_of[i], end_of[i]
        gone = (as_of - period_start).days + 1
        length = (period_end - period_start).days + 1
        left[at] = available - used
        hours[at], start[at] = available, period_start
        if available > 0:
            lead = 100 * billable * length - 100 * gone * available  # (used share - time share) x available x length
            band = PACE_TOLERANCE * available * length
            pace[at] = "ahead" if lead > band else "behind" if lead < -band else "on track"
        if available - used == 0:
            runs_out[at] = ran_out_of[i]
        elif billable > 0:
            day = as_of + pd.Timedelta(days=-(-(available - used) * gone // billable))
            runs_out[at] = day if day <= period_end else pd.NaT
    return pd.DataFrame(
        {"period_left_ms": left, "pace": pace, "runs_out": runs_out, "period_hours_ms": hours, "period_start": start}
    )
