"""The Sync State tab: the alerts recorded by earlier runs, read back from any backend's cells, and
the tab this run writes (sheets_schema.md, "Alerts": one row per alert that is crossed now).

Which crossings were already e-mailed lives in the workbook itself, so a crossing is sent once
wherever the job runs.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from sync.model.alerts import PENDING, SENT, AlertState
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
