"""The record of one alert, as the stages hand it on: found by compute, kept by shape, sent by notify."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

PENDING, SENT = "pending", "sent"


class AlertState(NamedTuple):
    """One row of the Sync State tab: an alert that is crossed now, sent or still to send."""

    contract_id: str
    alert: str  # "75% used", "2,000.00 used", "low balance", "overdrawn"
    status: str = PENDING  # PENDING or SENT
    crossed: dt.date | None = None  # the As Of date of the run that first found it crossed
    sent: dt.datetime | None = None
    note: str = ""  # the last delivery error
