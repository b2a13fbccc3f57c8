"""The Sync Log tab: one row per run, newest first, the last SYNC_LOG_RUNS runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

import pandas as pd

from sync.model.raw import ColumnTab, RawTab
from sync.model.schema import SYNC_LOG_COLUMNS, SYNC_LOG_RUNS
from sync.model.serials import EPOCH_MIDNIGHT
from sync.model.table import Kind, Table

KINDS: dict[str, Kind] = dict(
    zip(SYNC_LOG_COLUMNS, ("datetime", "hours", "text", "int", "int", "int", "int", "int", "hours", "text"))
)


class LogEntry(NamedTuple):
    """One run's line of the Sync Log, as the run saw it."""

    started: dt.datetime
    seconds: float
    backend: str
    rows_read: int
    rows_in_error: int
    warnings: int
    alerts_sent: int
    api_requests: int | None
    result: str
    quota_wait: float | None = None  # seconds waited to stay under Google's quota (None: a local book)

    def row(self) -> list[Any]:
        """The Sync Log row, in SYNC_LOG_COLUMNS' order: the start to the second, the seconds as
        two-place Decimals, the rest as is."""
        counts = [self.backend, self.rows_read, self.rows_in_error, self.warnings, self.alerts_sent, self.api_requests]
        started = self.started.replace(microsecond=0)
        return [started, _seconds(self.seconds), *counts, _seconds(self.quota_wait), self.result]


def log_table(previous: RawTab | None, entry: LogEntry) -> Table:
    """The Sync Log with `entry` on top and the runs before it below, the oldest beyond the limit dropped."""
    rows = [entry.row(), *past_runs(previous)][:SYNC_LOG_RUNS]
    return Table(pd.DataFrame(rows, columns=list(SYNC_LOG_COLUMNS), dtype=object), KINDS)


def past_runs(raw: RawTab | None) -> list[list[Any]]:
    """The rows of a Sync Log tab as read back (header skipped), typed as the tab writes them.
    Rows someone mangled are kept as far as they can be read: the log is for people."""
    rows = raw.rows() if isinstance(raw, ColumnTab) else (raw or [])
    at = _positions(rows[0] if rows else [])
    runs = []
    for row in rows[1:]:
        cells = [row[i] if i is not None and i < len(row) else None for i in at]
        if all(cell in (None, "") for cell in cells):
            continue
        runs.append([_typed(cell, kind) for cell, kind in zip(cells, KINDS.values())])
    return runs


def _positions(header: list[Any]) -> list[int | None]:
    """Where each Sync Log column is in a tab as read: found by its header, so that a log written
    before a column was added (Quota Wait) reads with that column blank; by position when the
    header names none of them."""
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    if not set(names) & set(SYNC_LOG_COLUMNS):
        return list(range(len(SYNC_LOG_COLUMNS)))
    return [names.index(column) if column in names else None for column in SYNC_LOG_COLUMNS]


def _seconds(seconds: float | None) -> Decimal | None:
    return None if seconds is None else Decimal(f"{seconds:.2f}")


def _typed(cell: Any, kind: Kind) -> Any:
    if cell is None or cell == "":
        return None
    try:
        if kind == "datetime":
            if isinstance(cell, dt.datetime):
                return cell
            if isinstance(cell, dt.date):
                return dt.datetime.combine(cell, dt.time())
            if isinstance(cell, (int, float)):
                return (EPOCH_MIDNIGHT + dt.timedelta(days=cell)).replace(microsecond=0)  # Google's serial
            return dt.datetime.fromisoformat(str(cell))
        if kind == "hours":
            return Decimal(str(cell)).quantize(Decimal("0.01"))
        if kind == "int":
            return int(float(cell))
    except (ValueError, ArithmeticError):
        return None  # a mangled cell in a typed column: the row's other cells are kept
    return str(cell)
