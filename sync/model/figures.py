"""Figures as the sync computes and shows them: the one rounding rule (half up), and how money,
hours and dates are spelled in the tabs, the alerts' names and the e-mails.

Money is int64 minor units and durations int64 milliseconds until shown: money() and hours() are
the exact Decimals a cell holds, shown() the text a cell of that kind displays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from sync.model.table import Kind

MS_PER_HOUR = 3_600_000


def half_up_divide(numerator: pd.Series | np.ndarray | int, denominator: pd.Series | np.ndarray | int) -> np.ndarray:
    """numerator / denominator (denominator > 0) rounded to the nearest integer, halves away from
    zero: the pinned rounding of every line amount (sheets_schema.md, "How figures are computed")."""
    numerator, denominator = np.asarray(numerator, dtype="int64"), np.asarray(denominator, dtype="int64")
    magnitude = (2 * np.abs(numerator) + denominator) // (2 * denominator)
    return np.sign(numerator) * magnitude


def money(units: int, minor: int) -> Decimal:
    """Minor units as the exact amount a money cell holds: 123456 cents -> 1234.56; 0 yen -> 0."""
    return Decimal(units).scaleb(-minor)


def hours(hundredths: int) -> Decimal:
    """Hundredths of an hour as the Decimal an hours cell holds: 113 -> 1.13."""
    return Decimal(hundredths).scaleb(-2)


def hours_of_ms(ms: int) -> Decimal:
    """Milliseconds as an hours cell: two places, half up (1.125 h -> 1.13)."""
    return hours(int(half_up_divide(ms * 100, MS_PER_HOUR)))


def shown(value: object, kind: Kind) -> str:
    """A value of an output table (a Decimal, a date) as text, in the cell format the tabs give its
    kind: money `#,##0.00` in its currency's decimals, hours `0.00`, dates `yyyy-mm-dd`, times
    `yyyy-mm-dd hh:mm:ss`. The value is already rounded; this only spells it."""
    if kind == "money":
        assert isinstance(value, Decimal)  # money is a Decimal
        return f"{abs(value) if value.is_zero() else value:,}"  # -0.00 shows as 0.00 in a cell
    if kind == "hours":
        assert isinstance(value, Decimal)  # hours are a Decimal
        return f"{abs(value) if value.is_zero() else value:f}"
    if kind == "date":
        assert isinstance(value, dt.date)
        return f"{value:%Y-%m-%d}"
    if kind == "datetime":
        assert isinstance(value, dt.datetime)
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)
