"""Client requests (the Requests tab) with the time logged against them.

A time row counts toward the request its Request ID names (validation has blanked the ones that
name no valid request of the row's contract): its hours as typed and the amount it bills.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sync.model.frames import LEDGER_COLUMNS

OPEN_STATUSES = ("open", "in progress", "waiting on client")  # the others, done and cancelled, are closed


def request_figures(requests: pd.DataFrame, time: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Ledger.requests: each valid request with its client, and the hours (ms) and amount of its time rows.

    `time` is Ledger.time (priced); `contracts` Ledger.contracts. One groupby over the rows that name
    a request: a million rows without one cost a comparison each."""
    columns = list(LEDGER_COLUMNS["requests"])
    named = time[time["request_id"].to_numpy() != ""] if len(requests) else time.iloc[:0]
    sums = named.groupby("request_id")[["ms", "amount"]].sum()
    at = pd.Index(contracts["contract_id"]).get_indexer(requests["contract_id"])
    out = requests.assign(
        client_id=contracts["client_id"].to_numpy()[at],
        hours_ms=sums["ms"].reindex(requests["request_id"]).fillna(0).to_numpy(dtype=np.int64),
        amount=sums["amount"].reindex(requests["request_id"]).fillna(0).to_numpy(dtype=np.int64),
        minor=contracts["minor"].to_numpy(dtype=np.int64)[at],
    )
    return out[columns].reset_index(drop=True)


def days_open(requests: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Whole days from Requested to Done (a closed request with a Done date) or to As Of (an open one),
    never below 0; NA without a Requested date, or on a closed request without a Done date."""
    open_ = requests["status"].isin(OPEN_STATUSES)
    end = requests["done"].where(~open_, as_of)
    spent = (end - requests["requested"]).dt.days
    return spent.clip(lower=0).astype("Int64")


def request_order(requests: pd.DataFrame) -> np.ndarray:
    """Positions of the requests, open ones first, then by Requested (oldest first, blank last), Request ID."""
    keys = pd.DataFrame(
        {
            "closed": ~requests["status"].isin(OPEN_STATUSES).to_numpy(),
            "requested": requests["requested"].to_numpy(),
            "request_id": requests["request_id"].to_numpy(),
        }
    )
    return keys.sort_values(["closed", "requested", "request_id"], na_position="last", kind="stable").index.to_numpy()
