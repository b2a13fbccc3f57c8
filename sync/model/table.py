"""The one shape every output tab takes on its way to a backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

# What a column holds, so each writer can pick a cell type and a number format:
#   text      str               (written as text, never as a formula)
#   int       int
#   money     decimal.Decimal   (its exponent is the currency's minor unit: 2 -> "#,##0.00")
#   hours     decimal.Decimal   (two decimals)
#   date      datetime.date
#   datetime  datetime.datetime (naive, local time of the run)
#   bool      bool
# None (or NaN/NaT) is a blank cell in every kind.
Kind = Literal["text", "int", "money", "hours", "date", "datetime", "bool"]


@dataclass(frozen=True)
class Table:
    """An output tab: a header row plus typed rows. `frame` columns == `kinds` keys, in order."""

    frame: pd.DataFrame
    kinds: dict[str, Kind]
    footer: int = 0  # the last rows are totals, not data: left out of a filter and a sort

    @property
    def data_rows(self) -> int:
        """The rows above the footer."""
        return len(self.frame) - self.footer

    def __post_init__(self) -> None:
        if list(self.frame.columns) != list(self.kinds):
            raise ValueError(f"columns {list(self.frame.columns)} do not match kinds {list(self.kinds)}")

    @property
    def columns(self) -> list[str]:
        """The header row: the column names, in order."""
        return list(self.kinds)

    def rows(self) -> list[list[object]]:
        """Rows as plain Python values, blanks as None."""
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return frame.values.tolist()
