"""Raw tabs (lists of cells) into one DataFrame per input tab, columns found by header."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

from sync.errors import BookError
from sync.model.raw import ColumnTab, RawTab
from sync.model.schema import INPUT_TABS, InputTab, header_key
from sync.rules import cells


class TabCells(NamedTuple):
    """An input tab's raw cells: a column per schema column plus `row` (the sheet row), and for
    each column its distinct cells and where each cell's value is among them (cells.distinct)."""

    frame: pd.DataFrame
    distinct: dict[str, tuple[pd.Series, np.ndarray]]


def input_frames(raw_tabs: dict[str, RawTab]) -> dict[str, TabCells]:
    """One TabCells per input tab. Extra columns are ignored and fully blank rows skipped. A
    missing required tab or column, or a column header typed twice, stops the run: every one of
    them in one message, so that a new book is put right in one go rather than one run per column."""
    tabs = {tab.name: _as_columns(raw_tabs.get(tab.name)) for tab in INPUT_TABS}
    found = {tab.name: _find_columns(tab, tabs[tab.name]) for tab in INPUT_TABS}
    missing = [tab.name for tab in INPUT_TABS if tabs[tab.name] is None and not tab.optional]
    problems = [_missing_tabs(missing)] if missing else []
    problems += [problem for _, tab_problems in found.values() for problem in tab_problems]
    if problems:
        raise BookError("; ".join(problems))
    return {tab.name: _tab_cells(tab, tabs[tab.name], found[tab.name][0]) for tab in INPUT_TABS}


def _missing_tabs(names: list[str]) -> str:
    if len(names) == 1:
        return f"required tab '{names[0]}' is missing from the workbook"
    return f"required tabs {_listed(names)} are missing from the workbook"


def _listed(names: list[str]) -> str:
    """'A', 'B' and 'C'."""
    quoted = [f"'{name}'" for name in names]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1] if len(quoted) > 1 else quoted[0]


def _find_columns(tab: InputTab, grid: ColumnTab | None) -> tuple[dict[str, int], list[str]]:
    """Where each of the tab's columns is (name -> position), and what is wrong with its header row:
    the required columns missing (all of them in one line), a column typed twice."""
    if grid is None:
        return {}, []
    header = [header_key(cell) for cell in grid.header]
    positions, problems, missing = {}, [], []
    for column in tab.columns:
        found = [i for i, key in enumerate(header) if key == header_key(column.name)]
        if len(found) > 1:
            letters = " and ".join(column_letter(i) for i in found)
            problems.append(f"{tab.name} tab: column '{column.name}' appears twice (columns {letters})")
        if found:
            positions[column.name] = found[0]
        elif column.required:
            missing.append(column.name)
    if len(missing) == 1:
        problems.insert(0, f"{tab.name} tab: required column '{missing[0]}' is missing from the header row")
    elif missing:
        problems.insert(0, f"{tab.name} tab: required columns {_listed(missing)} are missing from the header row")
    return positions, problems


def _tab_cells(tab: InputTab, grid: ColumnTab | None, positions: dict[str, int]) -> TabCells:
    frame = _tab_frame(tab, grid, positions)
    names = [column.name for column in tab.columns]
    distinct = {name: cells.distinct(frame[name]) for name in names}
    blank = _blank_rows(list(distinct.values()), len(frame))
    if not blank.any():
        return TabCells(frame, distinct)
    keep = ~blank
    return TabCells(
        frame[keep].reset_index(drop=True), {name: (values, codes[keep]) for name, (values, codes) in distinct.items()}
    )


def _blank_rows(columns: list[tuple[pd.Series, np.ndarray]], rows: int) -> np.ndarray:
    """The rows blank in every column, from each column's distinct cells and codes (cells.distinct).

    The first column without a single blank cell settles it: no row is blank."""
    blank = np.ones(rows, dtype=bool)
    for values, codes in columns:
        blank_values = cells.blank_mask(values).to_numpy(dtype=bool)
        if not blank_values.any():
            return np.zeros(rows, dtype=bool)
        blank &= blank_values[codes]
    return blank


def _tab_frame(tab: InputTab, grid: ColumnTab | None, positions: dict[str, int]) -> pd.DataFrame:
    """The schema's columns of a tab (an optional tab that is missing: no rows), blank where a
    column is missing, and `row`, the sheet row."""
    names = [column.name for column in tab.columns]
    if grid is None:
        return pd.DataFrame({**{name: pd.Series(dtype=object) for name in names}, "row": pd.Series(dtype="int64")})
    height = len(grid.columns[0]) if grid.columns else 0
    frame = pd.DataFrame(
        {
            name: grid.columns[positions[name]]
            if name in positions and positions[name] < len(grid.columns)
            else np.full(height, "", dtype=object)
            for name in names
        },
        dtype=object,
    )
    frame["row"] = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _as_columns(raw: RawTab | None) -> ColumnTab | None:
    return raw if raw is None or isinstance(raw, ColumnTab) else _columns(raw)


def _columns(rows: list[list]) -> ColumnTab:
    """Rows as columns, padded with None to one width: Sheets drops each row's trailing blank cells."""
    if len(rows) < 2:
        return ColumnTab(list(rows[0]) if rows else [], [])
    width = max(map(len, rows))
    body = rows[1:]
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    grid = np.full((len(body), width), None, dtype=object)
    # Rows of each length together: a column of blanks at the end (a new Request ID, say) makes every row short.
    for length in np.unique(lengths).tolist():
        at = np.flatnonzero(lengths == length)
        part = np.empty((len(at), length), dtype=object)
        part[:] = body if len(at) == len(body) else [body[i] for i in at]
        grid[at, :length] = part
    header = list(rows[0])
    return ColumnTab(header + [None] * (width - len(header)), list(grid.T))


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def display(value: object) -> str:
    """A raw cell as a person would recognise it on the Errors tab."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        minutes, seconds = divmod(int(value.total_seconds()), 60)
        return f"{minutes // 60}:{minutes % 60:02d}" + (f":{seconds:02d}" if seconds else "")
    return str(value)


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """table[key] for each key, NA where missing; dates stay dates even when nothing matches."""
    found = table.reindex(keys.to_numpy())
    found.index = keys.index
    return found
