"""The one rounding rule of the ledger: integer division rounded half up (away from zero)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def half_up_divide(numerator: pd.Series | np.ndarray | int, denominator: pd.Series | np.ndarray | int) -> np.ndarray:
    """numerator / denominator (denominator > 0) rounded to the nearest integer, halves away from
    zero: the pinned rounding of every line amount (sheets_schema.md, "How figures are computed")."""
    numerator, denominator = np.asarray(numerator, dtype="int64"), np.asarray(denominator, dtype="int64")
    magnitude = (2 * np.abs(numerator) + denominator) // (2 * denominator)
    return np.sign(numerator) * magnitude
