"""A tab as a backend reads it, before any parsing: its cells, row 1 (the header) first."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class ColumnTab(NamedTuple):
    """A tab read column by column: its header cells, and for each column an object array of the
    cells of rows 2 on (None for a blank cell). The local workbook reads tabs so."""

    header: list[Any]
    columns: list[np.ndarray]

    def rows(self) -> list[list[Any]]:
        """The tab as rows, header first, as the other backends give it."""
        return [list(self.header), *map(list, zip(*self.columns))]


# A raw tab is its cells as the spreadsheet holds them, row 1 (the header) first:
# str, int, float, bool, datetime.date/datetime/time/timedelta, or "" for a blank cell;
# or the same cells as a ColumnTab.
RawTab = list[list[Any]] | ColumnTab
