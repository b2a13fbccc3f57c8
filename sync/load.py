"""Raw tabs (lists of cells) into one DataFrame per input tab, columns found by header."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from sync.backends import RawTab
from sync.cells import blank_mask
from sync.errors import SyncError
from sync.schema import INPUT_TABS, InputTab, header_key


def input_frames(raw_tabs: dict[str, RawTab]) -> dict[str, pd.DataFrame]:
    """One frame per input tab: a column per schema column (raw cells) plus `row`, the sheet row.

    Extra columns are ignored and fully blank rows skipped; a missing required tab or column
    stops the run.
    """
    return {tab.name: _tab_frame(tab, raw_tabs.get(tab.name)) for tab in INPUT_TABS}


def _tab_frame(tab: InputTab, raw: RawTab | None) -> pd.DataFrame:
    names = [column.name for column in tab.columns]
    if raw is None:
        if tab.optional:
            return pd.DataFrame({**{name: pd.Series(dtype=object) for name in names}, "row": pd.Series(dtype="int64")})
        raise SyncError(f"required tab '{tab.name}' is missing from the workbook")
    header = [header_key(cell) for cell in (raw[0] if raw else [])]
    positions = {}
    for column in tab.columns:
        found = [i for i, key in enumerate(header) if key == header_key(column.name)]
        if len(found) > 1:
            letters = " and ".join(column_letter(i) for i in found)
            raise SyncError(f"{tab.name} tab: column '{column.name}' appears twice (columns {letters})")
        if found:
            positions[column.name] = found[0]
        elif column.required:
            raise SyncError(f"{tab.name} tab: required column '{column.name}' is missing from the header row")
    width = max([len(row) for row in raw[1:]] + [len(header)])
    body = pd.DataFrame([row + [""] * (width - len(row)) for row in raw[1:]] if len(raw) > 1 else [],
                        columns=range(width), dtype=object)
    frame = pd.DataFrame({name: body[positions[name]] if name in positions else pd.Series("", index=body.index,
                                                                                           dtype=object)
                          for name in names})
    frame["row"] = pd.RangeIndex(2, len(frame) + 2)
    blank = pd.concat([blank_mask(frame[name]) for name in names], axis=1).all(axis=1) if names else []
    return frame[~blank].reset_index(drop=True)


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
