"""The Sync State tab: the alerts and monthly reports recorded by earlier runs, read back from any
backend's cells, and the tab this run writes (sheets_schema.md, "Alerts": one row per alert that is
crossed now; "Monthly reports": one row per client and month, its Client ID under Contract ID and
`monthly report 2026-11` under Alert; "Sync State": a row per client summary a backend recorded,
its Client ID under Contract ID, `summary` under Alert and the backend's record in Note).

Which crossings and reports were already e-mailed lives in the workbook itself, so each is sent
once wherever the job runs.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

from sync.model.alerts import PENDING, SENT, AlertState
from sync.model.frames import client_rows
from sync.model.raw import ColumnTab, RawTab
from sync.model.schema import SYNC_STATE_COLUMNS, header_key
from sync.model.table import Table
from sync.rules.cells import SERIAL_EPOCH


def previous_state(raw_tab: RawTab | None) -> list[AlertState]:
    """The Sync State tab's rows (header first) as read by any backend; [] for a missing or
    unusable tab. A row marked sent, or with a Sent time, counts as sent."""
    rows = raw_tab.rows() if isinstance(raw_tab, ColumnTab) else list(raw_tab or [])
    if not rows:
        return []
    keys = [header_key(cell) for cell in rows[0]]
    at = {name: keys.index(header_key(name)) for name in SYNC_STATE_COLUMNS if header_key(name) in keys}
    if "Contract ID" not in at or "Alert" not in at:
        return []
    states: dict[tuple[str, str], AlertState] = {}
    for row in rows[1:]:
        cell = {name: row[i] if i < len(row) else None for name, i in at.items()}
        contract_id, alert = _text(cell["Contract ID"]), _text(cell.get("Alert"))
        if not contract_id or not alert or (contract_id, alert) in states:
            continue
        sent, crossed = _when(cell.get("Sent")), _when(cell.get("Crossed"))
        status = SENT if sent or _text(cell.get("Status")).casefold() == SENT else PENDING
        states[contract_id, alert] = AlertState(
            contract_id, alert, status, crossed and crossed.date(), sent, _text(cell.get("Note"))
        )
    return list(states.values())


def state_table(states: list[AlertState]) -> Table:
    """The Sync State tab."""
    columns = list(zip(*states)) if states else [()] * len(SYNC_STATE_COLUMNS)
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in zip(SYNC_STATE_COLUMNS, columns)})
    return Table(frame, dict(zip(SYNC_STATE_COLUMNS, ("text", "text", "text", "date", "datetime", "text"))))


REPORT = "monthly report"  # a report's row: the Client ID under Contract ID, "monthly report 2026-11" under Alert
_REPORT_ROW = re.compile(rf"{REPORT} (\d{{4}}-\d{{2}})")


def report_month(state: AlertState) -> str | None:
    """The month ("2026-11") of a monthly report's Sync State row; None for an alert's row."""
    found = _REPORT_ROW.fullmatch(state.alert)
    return found.group(1) if found else None


def split_reports(states: list[AlertState]) -> tuple[list[AlertState], list[AlertState]]:
    """The Sync State's alert rows and its monthly report rows (its summary rows in neither)."""
    alerts = [s for s in states if report_month(s) is None and s.alert != SUMMARY]
    return alerts, [s for s in states if report_month(s) is not None]


SUMMARY = "summary"  # a client summary's row: the Client ID under Contract ID, "summary" under Alert


def summary_records(states: list[AlertState]) -> dict[str, AlertState]:
    """The Sync State's client summary rows, by Client ID."""
    return {s.contract_id: s for s in states if s.alert == SUMMARY}


def summaries_after(
    before: dict[str, AlertState], reported: dict[str, str], as_of: dt.date, now: dt.datetime
) -> dict[str, AlertState]:
    """The summary rows after a write whose backend `reported` Client ID -> its record (""
    when the write failed, so that the next run starts afresh): a row whose record is the same
    is kept as it was (the date it was last written)."""
    after = dict(before)
    for client_id, note in reported.items():
        if not note:
            after.pop(client_id, None)
        elif client_id not in before or before[client_id].note != note:
            after[client_id] = AlertState(client_id, SUMMARY, SENT, as_of, now, note)
    return after


def month_before(day: dt.date) -> str:
    """The month before the one of `day`, as year-month text: 2026-12-05 -> "2026-11"."""
    return f"{day.replace(day=1) - dt.timedelta(days=1):%Y-%m}"


def reports_due(previous: list[AlertState], clients: pd.DataFrame, as_of: dt.date, report_day: int) -> list[AlertState]:
    """The monthly report rows after this run (clients: Book.clients). From the report_day on, a
    pending row for each client with Monthly Report Y that has none for the month before; a row kept
    while it is pending or of that month (older sent rows can never be due again); a client now
    without Y loses its rows (it asked for no more), one whose row has an error keeps them."""
    rows = client_rows(clients)
    wanted = {c.client_id for c in rows if c.monthly_report}
    known = {c.client_id for c in rows}
    month = month_before(as_of)
    kept = [
        s
        for s in previous
        if (s.contract_id in wanted or s.contract_id not in known)
        and (s.status == PENDING or (report_month(s) or "") >= month)
    ]
    have = {(s.contract_id, report_month(s)) for s in kept}
    new = [
        AlertState(client_id, f"{REPORT} {month}", crossed=as_of)
        for client_id in sorted(wanted)
        if as_of.day >= report_day and (client_id, month) not in have
    ]
    return kept + new


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID typed as 1001 comes back from a sheet as 1001.0
    return str(value).strip()


def _when(value: object) -> dt.datetime | None:
    """A date or date-time cell, a serial number (Google) or ISO text; None when blank or not one."""
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).to_pydatetime().replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 110_000:
        return (SERIAL_EPOCH + pd.Timedelta(days=value)).round("s").to_pydatetime()
    try:
        return dt.datetime.fromisoformat(value.strip()) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None
