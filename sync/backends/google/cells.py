"""Values to and from the Sheets API: spreadsheet IDs and ranges, each output value as a cell the
API takes (RAW input), a tab's grid and formats; and serial numbers back into dates and durations.

What a value becomes is sync.backends.cells' cell_value, as for the .xlsx writers; the Sheets API
only takes a date or datetime as its serial number (sync.model.serials), and a blank as ""."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pandas as pd

from sync.backends.cells import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    HOURS_FORMAT,
    INT_FORMAT,
    cell_number,
    cell_value,
    money_format,
    money_places,
)
from sync.model.serials import EPOCH_MIDNIGHT, serial_day, serial_moment
from sync.model.table import Kind, Table

METADATA_FIELDS = (
    "properties.title,sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),"
    "protectedRanges(protectedRangeId,description),charts(chartId))"
)
NUMBER_FORMATS: dict[str, tuple[str, str]] = {  # the type and pattern of each kind's cells but money's
    "hours": ("NUMBER", HOURS_FORMAT),
    "int": ("NUMBER", INT_FORMAT),
    "date": ("DATE", DATE_FORMAT),
    "datetime": ("DATE_TIME", DATETIME_FORMAT),
    "text": ("TEXT", "@"),
}
TEXT_LOOKS = {"bold": "bold", "italic": "italic", "size": "fontSize"}  # a look's name -> TextFormat's
# Google's IDs have 44 characters; a published link (/spreadsheets/d/e/2PACX.../pubhtml) holds none.
_ID = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]{20,})|^([A-Za-z0-9_-]{20,})$")


def spreadsheet_id(text: str) -> str | None:
    """The ID in a spreadsheet link, or the text itself when it looks like an ID."""
    found = _ID.search(text.strip())
    return (found.group(1) or found.group(2)) if found else None


def a1(title: str) -> str:
    """A tab's title as an A1-notation sheet name: quoted, its quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def is_number(value: object) -> bool:
    """Whether a cell value the API gave is a number (an int or a float, not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# What a time or duration cell shows: a clock reading, perhaps with AM/PM in the locale's words
# (1:30, 1:30:00 PM, 25:00:00, 오후 1:30:00); a date or date-and-time cell shows a date as well.
# \d, not [0-9]: a locale may show its own digits.
CLOCK = re.compile(r"\D*-?\d+:\d\d(?::\d\d(?:[.,]\d+)?)?\D*")


def serial_cell(serial: float, clock: bool) -> object:
    """A serial number as the duration (`clock`) or the date or datetime it is; a serial beyond what
    Python holds (past year 9999) stays a number, refused for its size."""
    try:
        if clock:
            return dt.timedelta(days=serial)
        moment = EPOCH_MIDNIGHT + dt.timedelta(days=serial)
    except OverflowError:
        return serial
    return moment.date() if moment.time() == dt.time() else moment


def new_sheet_id(name: str) -> int:
    """A stable id for a tab the sync adds, so later requests of the same batch can name it."""
    return zlib.crc32(name.encode("utf-8")) % 2_000_000_000 + 1


def api_cell(value: object, kind: Kind) -> object:
    """cell_value as the Sheets API takes it with RAW input: numbers, booleans or text. JSON numbers
    are doubles; the shortest repr of float(Decimal('1234.56')) is 1234.56 again."""
    cell = cell_value(value, kind)
    if cell is None:
        return ""
    if kind == "date":
        if not isinstance(cell, dt.date):
            raise TypeError(f"a date cell must hold a date, not {type(cell).__name__} {cell!r}")
        return serial_day(cell)
    if kind == "datetime":
        if not isinstance(cell, dt.datetime):
            raise TypeError(f"a datetime cell must hold a datetime, not {type(cell).__name__} {cell!r}")
        return serial_moment(cell)
    return cell


def _column_cells(column: pd.Series, kind: Kind) -> list[object]:
    """`api_cell` of every value of a column, a column at a time for the usual types: a big client
    tab has hundreds of thousands of cells, and a call per cell was most of a write."""
    values = column.tolist()
    kinds = set(map(type, values))
    if kind == "text" and kinds <= {str}:
        return values
    if (
        kind in ("money", "hours")
        and kinds <= {Decimal, type(None)}
        and not any(map(Decimal.is_nan, filter(None, values)))
    ):
        if type(None) in kinds:
            return [cell_number(v) if v is not None else "" for v in values]
        return list(map(cell_number, values))
    if kind == "date" and kinds <= {dt.date, type(None)}:
        serials = {day: serial_day(day) if day is not None else "" for day in set(values)}  # a few hundred
        return list(map(serials.__getitem__, values))
    if (kind == "int" and kinds <= {int}) or (kind == "bool" and kinds <= {bool}):
        return values
    # other blanks (NaN, NaT) or values of other types: a cell at a time
    return [api_cell(v, kind) for v in column.astype(object).where(column.notna(), None).tolist()]


def tab_grid(blocks: list[tuple[int, Table]], size: tuple[int, int]) -> list[Sequence[object]]:
    """Every cell of the tab's grid: the blocks, and blanks everywhere else (clearing old figures)."""
    rows, cols = size
    grid: list[Sequence[object]] = [[""] * cols] * rows  # one shared blank row: JSON does not mind
    for top, table in blocks:
        n = len(table.frame)
        columns = [_column_cells(column, kind) for (_, column), kind in zip(table.frame.items(), table.kinds.values())]
        columns += [[""] * n] * (cols - len(columns))
        grid[top] = [*table.columns, *[""] * (cols - len(table.columns))]
        grid[top + 1 : top + 1 + n] = zip(*columns) if columns else [[""] * cols] * n
    return grid


def cell_format(look: dict[str, Any], number_format: str | None = None, kind: Kind = "text") -> dict[str, Any]:
    """A look in neutral terms (sync.shape.dashboard.STYLES: bold, italic, size, color, fill, align,
    wrap, border) as the API's CellFormat, with `number_format` as a number or date pattern."""
    text: dict[str, Any] = {key: look[name] for name, key in TEXT_LOOKS.items() if name in look}
    if "color" in look:
        text["foregroundColor"] = rgb(look["color"])
    out: dict[str, Any] = {"textFormat": text} if text else {}
    if "fill" in look:
        out["backgroundColor"] = rgb(look["fill"])
    if look.get("align"):
        out["horizontalAlignment"] = str(look["align"]).upper()
    out["verticalAlignment"] = "TOP" if look.get("wrap") else "MIDDLE"
    if look.get("wrap"):
        out["wrapStrategy"] = "WRAP"
    if look.get("border"):
        out["borders"] = {"top": {"style": "SOLID"}}
    if number_format:
        out["numberFormat"] = {"type": NUMBER_FORMATS.get(kind, ("NUMBER", ""))[0], "pattern": number_format}
    return out


def rgb(color: str) -> dict[str, float]:
    """'#1F3864' as the API's Color: each channel from 0 to 1."""
    return {name: int(color[i : i + 2], 16) / 255 for name, i in (("red", 1), ("green", 3), ("blue", 5))}


def format_requests(
    sheet_id: int, top: int, table: Table, money: Callable[[int], str] = money_format
) -> list[dict[str, Any]]:
    """Bold header and totals (the table's footer), the data rows not; each column's number format,
    money's per run of rows with the same decimals (`money(places)`: a client's own currency)."""

    def repeat(first_row: int, last_row: int, col: int, fmt: dict[str, Any], fields: str) -> dict[str, Any]:
        return {
            "repeatCell": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": first_row,
                    "endRowIndex": last_row,
                    "startColumnIndex": col,
                    "endColumnIndex": col + 1,
                },
                "cell": {"userEnteredFormat": fmt},
                "fields": f"userEnteredFormat.{fields}",
            }
        }

    def bold(first_row: int, last_row: int, on: bool) -> dict[str, Any]:
        return {
            "repeatCell": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": first_row,
                    "endRowIndex": last_row,
                    "startColumnIndex": 0,
                    "endColumnIndex": max(1, len(table.columns)),
                },
                "cell": {"userEnteredFormat": {"textFormat": {"bold": on}}},
                "fields": "userEnteredFormat.textFormat.bold",
            }
        }

    n = len(table.frame)
    requests = [bold(top, top + 1, True)]
    if table.footer:  # the rows of a previous run's totals may hold data now
        requests += [
            bold(top + 1, top + 1 + table.data_rows, False),
            bold(top + 1 + table.data_rows, top + 1 + n, True),
        ]
    for col, (name, kind) in enumerate(table.kinds.items()):
        if n == 0:
            break
        if kind != "money":
            kind_format, pattern = NUMBER_FORMATS.get(kind, ("NUMBER", "0"))
            requests.append(
                repeat(
                    top + 1,
                    top + 1 + n,
                    col,
                    {"numberFormat": {"type": kind_format, "pattern": pattern}},
                    "numberFormat",
                )
            )
            continue
        places = _decimal_places(table.frame[name].tolist())
        starts = [0, *(np.flatnonzero(places[1:] != places[:-1]) + 1).tolist(), n]  # runs of equal decimals
        for start, end in zip(starts, starts[1:]):
            pattern = money(int(places[start]))
            requests.append(
                repeat(
                    top + 1 + start,
                    top + 1 + end,
                    col,
                    {"numberFormat": {"type": "NUMBER", "pattern": pattern}},
                    "numberFormat",
                )
            )
    return requests


def _decimal_places(amounts: list[object]) -> np.ndarray:
    """money_places of each amount (2 when it is not a Decimal, a blank say). Neighbours mostly
    share an exponent (often all of them do), and same_quantum is far cheaper than as_tuple."""
    first = amounts[0] if amounts else None
    if (
        isinstance(first, Decimal)
        and set(map(type, amounts)) == {Decimal}
        and all(map(first.same_quantum, cast("list[Decimal]", amounts)))
    ):  # all Decimals, as just seen
        return np.full(len(amounts), money_places(first))
    places = np.empty(len(amounts), dtype=np.int64)
    last, shown = None, 2
    for i, amount in enumerate(amounts):
        if not isinstance(amount, Decimal):
            last, shown = None, 2
        elif last is None or not amount.same_quantum(last):
            last, shown = amount, money_places(amount)
        places[i] = shown
    return places
