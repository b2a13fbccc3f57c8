"""Where a sheet's cells live: values by row, everything else by column.

A cell's value is kept as the JSON scalar the values API speaks: a str (stringValue), a bool
(boolValue), an int or float (numberValue; a whole float as an int, the way Google prints it),
a `Formula` (formulaValue), or for any other ExtendedValue the dict itself. "" is no value.
The rest of a cell's CellData (userEnteredFormat, note, dataValidation...) is one immutable
dict, shared by every cell that holds the same thing.

Values are stored a row at a time because the values API reads and writes whole rows: a
block of plain values is one slice per row, and no stored row ends in a blank, so a read of
whole rows hands them out as they are. Each row is a tuple: immutable, so a copy of the grid
shares them all, and, holding only scalars, soon ignored by Python's garbage collector (a
list per row kept it walking 100,000 rows over and over). The rest is stored a column at a
time because formats are set a column range at a time (repeatCell): a run of rows is one
slice assignment. Columns are lists; a copy shares them and each side copies a column before
its first change. Copies are what make a request all-or-nothing, so they must stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .a1 import Rect

BLANK = ""  # no value: Sheets itself never stores an empty string
PLAIN = frozenset((str, int, float, bool))  # types of values stored as they are sent and read back


class Formula(str):
    """A formulaValue, told apart from text that merely starts with '='."""

    __slots__ = ()


def pack(extended: dict | None) -> Any:
    """An ExtendedValue as stored."""
    if not extended:
        return BLANK
    if len(extended) == 1:
        ((kind, value),) = extended.items()
        if kind == "stringValue" and isinstance(value, str):
            return value
        if kind == "boolValue" and isinstance(value, bool):
            return value
        if kind == "numberValue" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return number(value)
        if kind == "formulaValue" and isinstance(value, str):
            return Formula(value)
    return dict(extended)


def unpack(value: Any) -> dict | None:
    """A stored value as an ExtendedValue (a new dict)."""
    if isinstance(value, Formula):
        return {"formulaValue": str(value)}
    if isinstance(value, str):
        return {"stringValue": value} if value != BLANK else None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    return dict(value)


def number(x: int | float) -> int | float:
    """A whole float as an int (42.0 is stored, and printed, as 42)."""
    return int(x) if type(x) is float and x.is_integer() and abs(x) < 2**53 else x


def numbers(values: list | tuple) -> tuple:
    """`values` with whole floats as ints, as a row is stored."""
    return tuple([int(v) if type(v) is float and v.is_integer() and abs(v) < 2**53 else v for v in values])


def _trimmed(line: tuple) -> tuple:
    end = len(line)
    while end and line[end - 1] == BLANK:
        end -= 1
    return line if end == len(line) else line[:end]


def _spliced(line: tuple | None, col: int, values: tuple) -> tuple:
    """`line` with `values` from `col` on (padded with blanks to reach it), trailing blanks cut."""
    line = line or ()
    if len(line) < col:
        return _trimmed(line + (BLANK,) * (col - len(line)) + values)
    return _trimmed(line[:col] + values + line[col + len(values) :])


class Grid:
    """The cells of one sheet."""

    __slots__ = ("rows", "columns", "_own_columns")

    def __init__(self, rows: list[tuple | None] | None = None, columns: list[list | None] | None = None) -> None:
        self.rows: list[tuple | None] = rows if rows is not None else []  # values; blank past a row's end
        self.columns: list[list | None] = columns if columns is not None else []  # the rest; None: nothing
        self._own_columns: set[int] = set()  # columns this grid made, so may change in place

    def copy(self) -> Grid:
        twin = Grid(list(self.rows), list(self.columns))
        self._own_columns = set()  # shared from now on
        return twin

    # --- reading -------------------------------------------------------------------------------

    def value(self, row: int, col: int) -> Any:
        line = self.rows[row] if row < len(self.rows) else None
        return line[col] if line is not None and col < len(line) else BLANK

    def extra(self, row: int, col: int) -> dict | None:
        line = self.columns[col] if col < len(self.columns) else None
        return line[row] if line is not None and row < len(line) else None

    def cell(self, row: int, col: int) -> dict | None:
        """The CellData a client set (a new dict), or None for an untouched cell."""
        extra, entered = self.extra(row, col), unpack(self.value(row, col))
        if entered is None:
            return dict(extra) if extra else None
        return {**(extra or {}), "userEnteredValue": entered}

    def extras_columns(self, rect: Rect) -> list[list[dict | None] | None]:
        """For each column of `rect` up to the last holding more than values: the rest of its
        cells from the top of `rect` down (a list that may stop short), or None."""
        return [
            None if self.columns[c] is None else self.columns[c][rect.start_row : rect.end_row]
            for c in range(rect.start_col, min(rect.end_col, len(self.columns)))
        ]

    def has_extras(self, rect: Rect) -> bool:
        """Whether any cell of `rect` holds more than a value (a format, a note...)."""
        return any(line is not None and line.count(None) != len(line) for line in self.extras_columns(rect))

    def keys(self, rect: Rect) -> Iterator[tuple[int, int]]:
        """(row, col) of every cell of `rect` holding anything, row by row."""
        with_extras: dict[int, set[int]] = {}
        for c, line in enumerate(self.extras_columns(rect), start=rect.start_col):
            for r, extra in enumerate(line or (), start=rect.start_row):
                if extra is not None:
                    with_extras.setdefault(r, set()).add(c)
        for r in range(rect.start_row, min(rect.end_row, self.height())):
            line = self.rows[r] if r < len(self.rows) else None
            found = with_extras.get(r, set())
            if line is not None:
                found |= {c for c in range(rect.start_col, min(rect.end_col, len(line))) if line[c] != BLANK}
            yield from ((r, c) for c in sorted(found))

    def value_keys(self) -> Iterator[tuple[int, int]]:
        """(row, col) of every cell holding a value."""
        for r, line in enumerate(self.rows):
            if line is not None:
                yield from ((r, c) for c, value in enumerate(line) if value != BLANK)

    def height(self) -> int:
        """One past the last row anything is stored in (an upper bound)."""
        return max(len(self.rows), max((len(c) for c in self.columns if c is not None), default=0))

    # --- writing -------------------------------------------------------------------------------

    def put_row(self, row: int, col: int, values: list | tuple) -> None:
        """Store `values` (already in stored form) from (row, col) rightwards."""
        if not values:
            return
        rows = self.rows
        if row >= len(rows):
            rows.extend([None] * (row + 1 - len(rows)))
        line = rows[row]
        rows[row] = _spliced(line, col, tuple(values))

    def put_rows(self, row: int, col: int, block: list[list]) -> None:
        """Store rows of values (already in stored form) from (row, col) down."""
        rows = self.rows
        end = row + len(block)
        if len(rows) < end:
            rows.extend([None] * (end - len(rows)))
        if col == 0 and not any(rows[row:end]):  # new rows, the usual case: nothing to splice
            rows[row:end] = [_trimmed(line) if line and line[-1] == BLANK else line for line in map(tuple, block)]
            return
        for i, values in enumerate(block):
            self.put_row(row + i, col, values)

    def set_value(self, row: int, col: int, value: Any) -> None:
        if value != BLANK or self.value(row, col) != BLANK:
            self.put_row(row, col, (value,))

    def _column(self, col: int, height: int) -> list:
        columns = self.columns
        if col >= len(columns):
            columns.extend([None] * (col + 1 - len(columns)))
        line = columns[col]
        if col not in self._own_columns:
            line = columns[col] = [] if line is None else list(line)
            self._own_columns.add(col)
        if len(line) < height:
            line.extend([None] * (height - len(line)))
        return line

    def set_extra(self, row: int, col: int, extra: dict | None) -> None:
        if extra or self.extra(row, col) is not None:
            self._column(col, row + 1)[row] = extra or None

    def set_cell(self, row: int, col: int, cell: dict | None) -> None:
        cell = dict(cell or {})
        self.set_value(row, col, pack(cell.pop("userEnteredValue", None)))
        self.set_extra(row, col, cell)

    def clear_values(self, rect: Rect) -> None:
        """No value left in `rect`; formats and notes stay."""
        for r in range(rect.start_row, min(rect.end_row, len(self.rows))):
            line = self.rows[r]
            if line is not None and line[rect.start_col : rect.end_col].count(BLANK) != len(
                line[rect.start_col : rect.end_col]
            ):
                self.put_row(r, rect.start_col, (BLANK,) * len(line[rect.start_col : rect.end_col]))

    def map_extras(self, rect: Rect, change: Callable[[dict | None], dict | None]) -> None:
        """Replace the rest of every cell of `rect` by change(it), calling `change` once per
        distinct dict (the result must depend on the dict's content only)."""
        for c in range(rect.start_col, rect.end_col):
            line = self._column(c, rect.end_row)
            olds = line[rect.start_row : rect.end_row]
            first = olds[0] if olds else None
            if olds.count(first) == len(olds):  # equal dicts change alike, identical or not
                line[rect.start_row : rect.end_row] = [change(first)] * len(olds)
                continue
            done: dict[int, tuple[Any, Any]] = {}  # id -> (old, new); keeps `old` alive
            for old in olds:
                if id(old) not in done:
                    done[id(old)] = (old, change(old))
            line[rect.start_row : rect.end_row] = [done[id(old)][1] for old in olds]

    # --- growing and shrinking -----------------------------------------------------------------

    def insert(self, axis: int, start: int, count: int) -> None:
        """`count` empty rows (axis 0) or columns (axis 1) before `start`."""
        self._own_all_columns()
        if axis == 0:
            if start < len(self.rows):
                self.rows[start:start] = [None] * count
            for line in self.columns:
                if line is not None and start < len(line):
                    line[start:start] = [None] * count
        else:
            if start < len(self.columns):
                self.columns[start:start] = [None] * count
            self.rows = [
                line if line is None or start >= len(line) else line[:start] + (BLANK,) * count + line[start:]
                for line in self.rows
            ]
        self._own_columns = {c for c, line in enumerate(self.columns) if line is not None}

    def delete(self, axis: int, start: int, end: int) -> None:
        """Remove rows (axis 0) or columns (axis 1) [start, end)."""
        self._own_all_columns()
        if axis == 0:
            del self.rows[start:end]
            for line in self.columns:
                if line is not None:
                    del line[start:end]
        else:
            del self.columns[start:end]
            self.rows = [line if line is None else _trimmed(line[:start] + line[end:]) for line in self.rows]
        self._own_columns = {c for c, line in enumerate(self.columns) if line is not None}

    def _own_all_columns(self) -> None:
        self.columns = [None if line is None else list(line) for line in self.columns]
