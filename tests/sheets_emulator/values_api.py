"""spreadsheets.values: get, batchGet, update, batchUpdate, clear, batchClear, append."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import a1, cells, dimensions, errors
from .a1 import Rect
from .call import Call
from .grid import BLANK, PLAIN, Grid, numbers, pack
from .state import Sheet, Spreadsheet

RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME = ("SERIAL_NUMBER", "FORMATTED_STRING")
MAJOR = ("ROWS", "COLUMNS")
INPUT = ("RAW", "USER_ENTERED")


def resolve(book: Spreadsheet, text: str) -> tuple[Sheet, Rect]:
    """A range as a client wrote it, closed on its sheet's grid; Google's errors otherwise."""
    try:
        title, cell_text = a1.split_sheet(text)
        if title is None and a1.is_cells(text):
            # "A1:B2" alone means the first visible sheet
            sheet = next((s for s in book.sheets if not s.properties.get("hidden")), book.sheets[0])
        else:
            sheet = book.sheet_by_title(title if title is not None else text)
            cell_text = cell_text if title is not None else None
        if sheet is None:
            raise a1.A1Error(text)
        cell_range = a1.parse_cells(cell_text) if cell_text else None
    except a1.A1Error:
        raise errors.invalid_argument(f"Unable to parse range: {text}") from None
    rect, outside = a1.close(cell_range, sheet.rows, sheet.cols)
    if outside:
        raise errors.grid_limits(text, sheet.rows, sheet.cols)
    return sheet, rect


def sheet_prefix(text: str, sheet: Sheet) -> str:
    """The sheet part of a range as the client typed it (for error messages)."""
    if text.startswith("'") or "!" in text:
        return text[: text.rindex("!")] if "!" in text else text
    return text if not a1.is_cells(text) else a1.quote_title(sheet.title)


def read(sheet: Sheet, rect: Rect, value_option: str, datetime_option: str, major: str) -> list[Sequence]:
    """Cells of a rectangle, trailing empty cells and rows dropped, as Google sends them. A read
    of whole rows hands out the stored tuples themselves; other lines are new tuples or lists."""
    grid = sheet.grid
    stored = grid.rows[rect.start_row : min(rect.end_row, len(grid.rows))]
    # A plain value reads back as stored unless formats matter (FORMATTED_VALUE, or date cells
    # with FORMATTED_STRING): then each cell is rendered, each distinct one once.
    formats_matter = value_option == "FORMATTED_VALUE" or (
        datetime_option == "FORMATTED_STRING" and grid.has_extras(rect)
    )
    present = list(filter(None, stored))
    if (
        major == "ROWS"
        and not formats_matter
        and rect.start_col == 0
        and max(map(len, present), default=0) <= rect.end_col
        and PLAIN.issuperset(map(type, itertools.chain.from_iterable(present)))
    ):
        lines = [row or () for row in stored]  # whole rows, as stored: the usual read
    else:
        lines = _read_cells(grid, stored, rect, value_option, datetime_option, major)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _read_cells(
    grid: Grid, stored: list[tuple | None], rect: Rect, value_option: str, datetime_option: str, major: str
) -> list[Sequence]:
    """Every cell rendered, a column at a time (a column mostly shares one format), then put
    in rows or columns with trailing blanks dropped."""
    by_column = list(itertools.zip_longest(*[row or () for row in stored], fillvalue=BLANK))
    extras = grid.extras_columns(rect)
    shown: dict[tuple, Any] = {}
    columns = [
        _render_column(values, (extras[i] if i < len(extras) else None) or [], value_option, datetime_option, shown)
        for i, values in enumerate(by_column[rect.start_col : rect.end_col])
    ]
    return [_shown(line) if None in line else line for line in (columns if major == "COLUMNS" else zip(*columns))]


def _shown(line: Sequence) -> tuple:
    """Rendered cells with trailing blanks dropped and the others shown as ""."""
    end = len(line)
    while end and line[end - 1] is None:
        end -= 1
    return tuple(["" if value is None else value for value in line[:end]])


def _render_column(
    values: Sequence, extras: list[dict | None], value_option: str, datetime_option: str, shown: dict[tuple, Any]
) -> list:
    """Each cell as the values API shows it (None: blank); a plain value is rendered once per
    distinct (value, rest of the cell)."""
    extras = list(extras[: len(values)]) + [None] * (len(values) - len(extras))
    if not PLAIN.issuperset(map(type, values)):  # formulas and such: one by one
        return [
            cells.render_stored(value, extra, value_option, datetime_option) for value, extra in zip(values, extras)
        ]
    keys = list(zip(map(type, values), values, map(id, extras)))  # with the type: 1, 1.0 and True differ
    by_id = dict(zip(map(id, extras), extras))
    for key in dict.fromkeys(keys):
        if key not in shown:
            shown[key] = cells.render_stored(key[1], by_id[key[2]], value_option, datetime_option)
    return list(map(shown.__getitem__, keys))


def value_range(sheet: Sheet, rect: Rect, value_option: str, datetime_option: str, major: str) -> dict:
    out: dict[str, Any] = {"range": a1.format_range(sheet.title, rect), "majorDimension": major}
    rows = read(sheet, rect, value_option, datetime_option, major)
    if rows:
        out["values"] = rows
    return out


def _read_options(call: Call) -> tuple[str, str, str]:
    return (
        call.enum("valueRenderOption", RENDER, "ValueRenderOption"),
        call.enum("dateTimeRenderOption", DATETIME, "DateTimeRenderOption"),
        call.enum("majorDimension", MAJOR, "Dimension"),
    )


def get(call: Call) -> tuple[int, dict]:
    book = call.book()
    sheet, rect = resolve(book, call.path["range"])
    return 200, value_range(sheet, rect, *_read_options(call))


def batch_get(call: Call) -> tuple[int, dict]:
    book = call.book()
    options = _read_options(call)
    out: dict[str, Any] = {"spreadsheetId": book.id}
    ranges = [value_range(*resolve(book, text), *options) for text in call.params("ranges")]
    if ranges:
        out["valueRanges"] = ranges
    return 200, out


# --- writing ---------------------------------------------------------------------------------


def _rows(data: dict, field: str) -> list[list]:
    """The `values` of a ValueRange, checked the way the JSON gateway checks it."""
    values = data.get("values")
    if values is None:
        return []
    if not isinstance(values, list):
        raise errors.invalid_json_value(field, values)
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise errors.invalid_json_value(f"{field}[{i}]", row)
    major = data.get("majorDimension") or "ROWS"
    if major not in MAJOR:
        raise errors.invalid_argument(f"Invalid value at '{field[:-7]}.major_dimension', \"{major}\"")
    if major == "COLUMNS":
        height = max((len(column) for column in values), default=0)
        values = [[column[i] if i < len(column) else None for column in values] for i in range(height)]
    return values


def write(sheet: Sheet, text: str, rect: Rect, values: list[list], input_option: str, anchor: bool) -> Written:
    """Write `values` from the corner of `rect` (checked against it unless `anchor`)."""
    height = len(values)
    width = max((len(row) for row in values), default=0)
    if not anchor and height > rect.rows:
        raise errors.invalid_argument(
            f"Requested writing within range [{text}], but tried writing to row [{rect.start_row + height}]"
        )
    if not anchor and width > rect.cols:
        raise errors.invalid_argument(
            f"Requested writing within range [{text}], but tried writing to column "
            f"[{a1.column_letters(rect.start_col + width - 1)}]"
        )
    if rect.start_row + height > sheet.rows or rect.start_col + width > sheet.cols:
        target = Rect(rect.start_row, rect.start_col, rect.start_row + height, rect.start_col + width)
        raise errors.grid_limits(f"{sheet_prefix(text, sheet)}!{a1.format_rect(target)}", sheet.rows, sheet.cols)
    written = Written(sheet, rect)
    kinds = set(map(type, itertools.chain.from_iterable(values)))
    if input_option == "RAW" and kinds <= PLAIN:  # the usual write: no None to skip, nothing to parse
        block = [numbers(row) for row in values] if float in kinds else values
        sheet.grid.put_rows(rect.start_row, rect.start_col, block)
        written.lengths = list(map(len, values))
        return written
    for i, row in enumerate(values):
        r = rect.start_row + i
        kinds = set(map(type, row))
        if input_option == "RAW" and kinds <= PLAIN:  # no None to skip, nothing to parse
            if row:
                sheet.grid.put_row(r, rect.start_col, numbers(row) if float in kinds else row)
                written.rows[r] = range(rect.start_col, rect.start_col + len(row))
            continue
        columns = set()
        for j, value in enumerate(row):
            if value is None:
                continue  # null means "leave this cell alone"
            put_value(sheet, r, rect.start_col + j, value, input_option, f"values[{i}][{j}]")
            columns.add(rect.start_col + j)
        if columns:
            written.rows[r] = columns
    return written


def put_value(sheet: Sheet, row: int, col: int, value: Any, input_option: str, where: str) -> None:
    extra = sheet.grid.extra(row, col) or {}
    if input_option == "RAW":
        entered, new_format = cells.raw_value(value, where), None
    else:  # parsed as typed into this cell: its number format takes part
        entered, new_format = cells.user_entered_value(value, where, cells.number_format(extra))
    sheet.grid.set_value(row, col, pack(entered))
    if new_format:
        sheet.grid.set_extra(
            row,
            col,
            {**extra, "userEnteredFormat": {**(extra.get("userEnteredFormat") or {}), "numberFormat": new_format}},
        )


def distinct_columns(spans: Iterable[range | set[int]]) -> set[int]:
    columns: set[int] = set()
    seen: set[tuple[int, int]] = set()
    for span in spans:
        if type(span) is range:
            if (span.start, span.stop) in seen:
                continue
            seen.add((span.start, span.stop))
        columns.update(span)
    return columns


@dataclass
class Written:
    """What one write changed: the cells given a value (or cleared), on one sheet."""

    sheet: Sheet
    start: Rect
    rows: dict[int, range | set[int]] = field(default_factory=dict)  # row -> its columns written
    lengths: list[int] | None = None  # instead of rows, for a block written whole: each row's length

    def by_row(self) -> dict[int, range | set[int]]:
        if self.lengths is None:
            return self.rows
        left = self.start.start_col
        return {self.start.start_row + i: range(left, left + n) for i, n in enumerate(self.lengths) if n}

    def counts(self) -> tuple[int, int, int]:
        """Rows, columns and cells given a value (or cleared)."""
        if self.lengths is not None:  # rows all start at the same column
            return len(self.lengths) - self.lengths.count(0), max(self.lengths, default=0), sum(self.lengths)
        return len(self.rows), len(distinct_columns(self.rows.values())), sum(map(len, self.rows.values()))

    @property
    def box(self) -> Rect:
        """The smallest rectangle holding every cell written (the corner alone if none was)."""
        top, left = self.start.start_row, self.start.start_col
        if self.lengths is not None:
            filled = [i for i, n in enumerate(self.lengths) if n]
            if filled:
                return Rect(top + filled[0], left, top + filled[-1] + 1, left + max(self.lengths))
        elif self.rows:
            columns = distinct_columns(self.rows.values())
            return Rect(min(self.rows), min(columns), max(self.rows) + 1, max(columns) + 1)
        return Rect(top, left, top + 1, left + 1)

    def answer(self, book: Spreadsheet, call: Call, body: dict) -> dict:
        """UpdateValuesResponse; zero counts are left out, as proto3 JSON does."""
        out: dict[str, Any] = {"spreadsheetId": book.id, "updatedRange": a1.format_range(self.sheet.title, self.box)}
        rows, columns, cells = self.counts()
        if cells:
            out.update(updatedRows=rows, updatedColumns=columns, updatedCells=cells)
        if body.get("includeValuesInResponse") or call.flag("includeValuesInResponse"):
            render = body.get("responseValueRenderOption") or call.param("responseValueRenderOption", RENDER[0])
            dates = body.get("responseDateTimeRenderOption") or call.param("responseDateTimeRenderOption", DATETIME[0])
            out["updatedData"] = value_range(self.sheet, self.box, render, dates, "ROWS")
        return out


def _total(writes: list[Written]) -> tuple[int, int, int]:
    """Rows, columns and cells that writes to one sheet gave a value, each counted once."""
    if len(writes) == 1:
        return writes[0].counts()
    rows: dict[int, range | set[int]] = {}
    for written in writes:
        for r, span in written.by_row().items():
            rows[r] = set(rows[r]) | set(span) if r in rows else span
    return len(rows), len(distinct_columns(rows.values())), sum(map(len, rows.values()))


def _input_option(call: Call, body: dict | None = None) -> str:
    option = (body or {}).get("valueInputOption") or call.param("valueInputOption")
    if option not in INPUT:
        raise errors.invalid_argument(f"Invalid valueInputOption: {option or 'INPUT_VALUE_OPTION_UNSPECIFIED'}")
    return option


def _is_anchor(text: str) -> bool:
    """A single cell marks where writing starts; a larger range bounds it."""
    try:
        cell_text = a1.split_sheet(text)[1]
    except a1.A1Error:
        return False
    return bool(cell_text) and ":" not in cell_text and a1.is_cells(cell_text)


def update(call: Call) -> tuple[int, dict]:
    body = call.json_body()
    values = _rows(body, "data.values")
    option = _input_option(call)
    text = call.path["range"]
    with call.change() as book:
        sheet, rect = resolve(book, text)
        written = write(sheet, text, rect, values, option, _is_anchor(text))
    return 200, written.answer(book, call, body)


def batch_update(call: Call) -> tuple[int, dict]:
    body = call.json_body()
    option = _input_option(call, body)
    data = body.get("data") or []
    with call.change() as book:
        responses = []
        for i, item in enumerate(data):
            values = _rows(item, f"data[{i}].values")
            text = item.get("range", "")
            sheet, rect = resolve(book, text)
            responses.append(write(sheet, text, rect, values, option, _is_anchor(text)))
    out: dict[str, Any] = {"spreadsheetId": book.id}
    by_sheet: dict[int, list[Written]] = {}
    for written in responses:
        by_sheet.setdefault(written.sheet.id, []).append(written)
    totals = [total for total in map(_total, by_sheet.values()) if total[2]]
    if totals:
        out.update(
            totalUpdatedRows=sum(t[0] for t in totals),
            totalUpdatedColumns=sum(t[1] for t in totals),
            totalUpdatedCells=sum(t[2] for t in totals),
            totalUpdatedSheets=len(totals),
        )
    if responses:
        out["responses"] = [written.answer(book, call, body) for written in responses]
    return 200, out


def clear(call: Call) -> tuple[int, dict]:
    with call.change() as book:
        cleared = _clear(book, call.path["range"])
    return 200, {"spreadsheetId": book.id, "clearedRange": cleared}


def batch_clear(call: Call) -> tuple[int, dict]:
    ranges = call.json_body().get("ranges") or []
    with call.change() as book:
        cleared = [_clear(book, text) for text in ranges]
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if cleared:
        out["clearedRanges"] = cleared
    return 200, out


def _clear(book: Spreadsheet, text: str) -> str:
    """Values go; formats and notes stay, as on Google."""
    sheet, rect = resolve(book, text)
    sheet.grid.clear_values(rect)
    return a1.format_range(sheet.title, rect)


# --- append ----------------------------------------------------------------------------------


def find_table(sheet: Sheet, rect: Rect) -> Rect | None:
    """The "table" append extends: the block of touching non-empty cells around the last value
    inside the range, row by row. With A1 and C1 filled and B1 empty, appending to A1 finds the
    table A1 (recorded), and appending to the whole sheet finds C1, so the new row starts in
    column C: gspread issue 537 (each append_row of ['Test1', '', 'Test2'] starts one table further
    right), 603 (`tableRange: Sheet1!J1`, the last of four tables in row 1) and 828."""
    filled = set(sheet.grid.value_keys())
    inside = sorted(
        key for key in filled if rect.start_row <= key[0] < rect.end_row and rect.start_col <= key[1] < rect.end_col
    )
    if not inside:
        return None
    region, frontier = {inside[-1]}, [inside[-1]]
    while frontier:
        while frontier:
            r, c = frontier.pop()
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    key = (r + dr, c + dc)
                    if key in filled and key not in region:
                        region.add(key)
                        frontier.append(key)
        top, left = min(r for r, _ in region), min(c for _, c in region)
        bottom, right = max(r for r, _ in region), max(c for _, c in region)
        frontier = [
            key for key in filled - region if top - 1 <= key[0] <= bottom + 1 and left - 1 <= key[1] <= right + 1
        ]
        region.update(frontier)
    return Rect(top, left, bottom + 1, right + 1)


def append(call: Call) -> tuple[int, dict]:
    body = call.json_body()
    values = _rows(body, "data.values")
    option = _input_option(call)
    insert = call.enum("insertDataOption", ("OVERWRITE", "INSERT_ROWS"), "InsertDataOption")
    text = call.path["range"]
    out: dict[str, Any] = {}
    with call.change() as book:
        sheet, rect = resolve(book, text)
        table = find_table(sheet, rect)
        start_row, start_col = (table.end_row, table.start_col) if table else (rect.start_row, rect.start_col)
        height, width = len(values), max((len(row) for row in values), default=0)
        if insert == "INSERT_ROWS" and height:
            dimensions.insert(sheet, "ROWS", start_row, height)
        grid = sheet.properties["gridProperties"]
        # Appending past the end grows the grid, rows and columns, as Google documents.
        grid["rowCount"] = max(grid["rowCount"], start_row + height)
        grid["columnCount"] = max(grid["columnCount"], start_col + width)
        book.check_cell_limit()
        target = Rect(start_row, start_col, start_row + max(height, 1), start_col + max(width, 1))
        written = write(sheet, text, target, values, option, anchor=True)
        if table:
            out["tableRange"] = a1.format_range(sheet.title, table)
    return 200, {"spreadsheetId": book.id, **out, "updates": written.answer(book, call, body)}
