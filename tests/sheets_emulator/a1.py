"""A1 notation: parse what clients send, print what Google echoes.

A parsed range keeps `None` for an open end (`A:C` has no rows, `A2:C` no last row); it is
closed against a sheet's grid only when used, because the same text means different cells on
sheets of different sizes. Indexes are zero-based, ends exclusive, like Google's GridRange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 18278  # ZZZ: Sheets' widest grid

_ENDPOINT = re.compile(r"^\$?([A-Za-z]{1,3})?\$?([0-9]+)?$")
_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[Rr][0-9]*[Cc][0-9]*$")
_PLAIN_TITLE = re.compile(r"^[^\W\d]\w*$")


class A1Error(ValueError):
    """Text that is not a range; callers answer Google's "Unable to parse range"."""


@dataclass(frozen=True)
class Cells:
    """The cell part of a range; `None` is an open end."""

    start_row: int | None
    start_col: int | None
    end_row: int | None
    end_col: int | None


@dataclass(frozen=True)
class Rect:
    """A closed rectangle on one sheet: zero-based, ends exclusive."""

    start_row: int
    start_col: int
    end_row: int
    end_col: int

    @property
    def rows(self) -> int:
        return self.end_row - self.start_row

    @property
    def cols(self) -> int:
        return self.end_col - self.start_col


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def quote_title(title: str) -> str:
    """Google quotes a sheet title in an echoed range only when it has to (recorded:
    `Sheet1!A1`, `'D3'!A1`, `'🌵 test_values_get 1'!A1:J10`)."""
    if _PLAIN_TITLE.match(title) and not _CELL_LIKE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def cell_name(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


def format_rect(rect: Rect) -> str:
    first = cell_name(rect.start_row, rect.start_col)
    if rect.rows == 1 and rect.cols == 1:
        return first
    return f"{first}:{cell_name(rect.end_row - 1, rect.end_col - 1)}"


def format_range(title: str, rect: Rect) -> str:
    return f"{quote_title(title)}!{format_rect(rect)}"


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """('title' or None, cell part or None). A quoted title may hold `!` and doubled quotes."""
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                break
            title.append(text[i])
            i += 1
        else:
            raise A1Error(text)
        rest = text[i + 1 :]
        if not rest:
            return "".join(title), None
        if not rest.startswith("!") or len(rest) == 1:
            raise A1Error(text)
        return "".join(title), rest[1:]
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        if not cells:
            raise A1Error(text)
        return title, cells
    return None, text


def _endpoint(text: str) -> tuple[int | None, int | None]:
    match = _ENDPOINT.match(text)
    if not match or not (match.group(1) or match.group(2)):
        raise A1Error(text)
    col = column_index(match.group(1)) if match.group(1) else None
    row = int(match.group(2)) - 1 if match.group(2) else None
    if (row is not None and row < 0) or (col is not None and col >= MAX_COLUMNS):
        raise A1Error(text)
    return row, col


def _order(a: int | None, b: int | None) -> tuple[int | None, int | None]:
    if a is not None and b is not None and b < a:
        return b, a
    return a, b


def parse_cells(text: str) -> Cells:
    """`A1`, `A1:B2`, `A:C`, `2:5`, `A2:C` (open below), `A1:1` (open to the right)."""
    parts = text.split(":")
    if len(parts) == 1:
        row, col = _endpoint(parts[0])
        if row is None or col is None:
            raise A1Error(text)
        return Cells(row, col, row + 1, col + 1)
    if len(parts) != 2:
        raise A1Error(text)
    (r0, c0), (r1, c1) = _endpoint(parts[0]), _endpoint(parts[1])
    if (r0 is None) != (r1 is None) and (c0 is None) != (c1 is None):
        raise A1Error(text)  # e.g. "A:1": neither rows nor columns line up
    r0, r1 = _order(r0, r1)
    c0, c1 = _order(c0, c1)
    return Cells(r0, c0, None if r1 is None else r1 + 1, None if c1 is None else c1 + 1)


def is_cells(text: str) -> bool:
    try:
        parse_cells(text)
    except A1Error:
        return False
    return True


def close(cells: Cells | None, rows: int, cols: int) -> tuple[Rect, bool]:
    """The rectangle on a grid of rows x cols, and whether a bounded edge lies outside it."""
    if cells is None:
        return Rect(0, 0, rows, cols), False
    r0 = cells.start_row or 0
    c0 = cells.start_col or 0
    r1 = rows if cells.end_row is None else cells.end_row
    c1 = cols if cells.end_col is None else cells.end_col
    outside = r0 >= rows or c0 >= cols or r1 > rows or c1 > cols
    return Rect(r0, c0, max(r1, r0), max(c1, c0)), outside


def rect_of_grid_range(grid_range: dict, rows: int, cols: int) -> Rect:
    """A GridRange (unbounded sides open) closed on the grid."""
    return Rect(
        grid_range.get("startRowIndex", 0),
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endRowIndex", rows),
        grid_range.get("endColumnIndex", cols),
    )
