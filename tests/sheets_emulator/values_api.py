"""spreadsheets.values: get, batchGet, update, batchUpdate, clear, batchClear, append."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import a1, cells, dimensions, errors
from .a1 import Rect
from .call import Call
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
        return text[:text.rindex("!")] if "!" in text else text
    return text if not a1.is_cells(text) else a1.quote_title(sheet.title)


def read(sheet: Sheet, rect: Rect, value_option: str, datetime_option: str, major: str) -> list[list]:
    """Cells of a rectangle, trailing empty cells and rows dropped, as Google sends them."""
    filled = [key for key, cell in sheet.cells.items() if not cells.is_blank(cell)
              and rect.start_row <= key[0] < rect.end_row and rect.start_col <= key[1] < rect.end_col]
    if not filled:
        return []
    # Only the part up to the last value can show up: never walk an open range's empty tail.
    rows = range(rect.start_row, max(r for r, _ in filled) + 1)
    cols = range(rect.start_col, max(c for _, c in filled) + 1)
    lines: list[list] = []
    for i in (rows if major == "ROWS" else cols):
        line = []
        for j in (cols if major == "ROWS" else rows):
            key = (i, j) if major == "ROWS" else (j, i)
            line.append(cells.render(sheet.cells.get(key), value_option, datetime_option))
        while line and line[-1] is None:
            line.pop()
        lines.append(["" if value is None else value for value in line])
    while lines and not lines[-1]:
        lines.pop()
    return lines


def value_range(sheet: Sheet, rect: Rect, value_option: str, datetime_option: str, major: str) -> dict:
    out: dict[str, Any] = {"range": a1.format_range(sheet.title, rect), "majorDimension": major}
    rows = read(sheet, rect, value_option, datetime_option, major)
    if rows:
        out["values"] = rows
    return out


def _read_options(call: Call) -> tuple[str, str, str]:
    return (call.enum("valueRenderOption", RENDER, "ValueRenderOption"),
            call.enum("dateTimeRenderOption", DATETIME, "DateTimeRenderOption"),
            call.enum("majorDimension", MAJOR, "Dimension"))


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
        raise errors.invalid_argument(f"Requested writing within range [{text}], but tried writing to row "
                                      f"[{rect.start_row + height}]")
    if not anchor and width > rect.cols:
        raise errors.invalid_argument(f"Requested writing within range [{text}], but tried writing to column "
                                      f"[{a1.column_letters(rect.start_col + width - 1)}]")
    if rect.start_row + height > sheet.rows or rect.start_col + width > sheet.cols:
        target = Rect(rect.start_row, rect.start_col, rect.start_row + height, rect.start_col + width)
        raise errors.grid_limits(f"{sheet_prefix(text, sheet)}!{a1.format_rect(target)}", sheet.rows, sheet.cols)
    written = Written(sheet, rect)
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value is None:
                continue  # null means "leave this cell alone"
            r, c = rect.start_row + i, rect.start_col + j
            put_value(sheet, r, c, value, input_option, f"values[{i}][{j}]")
            written.cells.add((r, c))
    return written


def put_value(sheet: Sheet, row: int, col: int, value: Any, input_option: str, where: str) -> None:
    cell = dict(sheet.cells.get((row, col)) or {})
    if input_option == "RAW":
        entered, auto_format = cells.raw_value(value, where), None
    else:
        entered, auto_format = cells.user_entered_value(value, where)
    if entered is None:
        cell.pop("userEnteredValue", None)
    else:
        cell["userEnteredValue"] = entered
    if auto_format and not cells.number_format(cell):
        cell["userEnteredFormat"] = {**(cell.get("userEnteredFormat") or {}), "numberFormat": auto_format}
    sheet.set_cell(row, col, cell)


@dataclass
class Written:
    """What one write changed: the cells given a value (or cleared), on one sheet."""
    sheet: Sheet
    start: Rect
    cells: set[tuple[int, int]] = field(default_factory=set)

    @property
    def box(self) -> Rect:
        if not self.cells:
            return Rect(self.start.start_row, self.start.start_col, self.start.start_row + 1, self.start.start_col + 1)
        rows, cols = {r for r, _ in self.cells}, {c for _, c in self.cells}
        return Rect(min(rows), min(cols), max(rows) + 1, max(cols) + 1)

    def answer(self, book: Spreadsheet, call: Call, body: dict) -> dict:
        """UpdateValuesResponse; zero counts are left out, as proto3 JSON does."""
        out: dict[str, Any] = {"spreadsheetId": book.id, "updatedRange": a1.format_range(self.sheet.title, self.box)}
        if self.cells:
            out.update(updatedRows=len({r for r, _ in self.cells}), updatedColumns=len({c for _, c in self.cells}),
                       updatedCells=len(self.cells))
        if body.get("includeValuesInResponse") or call.flag("includeValuesInResponse"):
            render = body.get("responseValueRenderOption") or call.param("responseValueRenderOption", RENDER[0])
            dates = body.get("responseDateTimeRenderOption") or call.param("responseDateTimeRenderOption",
                                                                           DATETIME[0])
            out["updatedData"] = value_range(self.sheet, self.box, render, dates, "ROWS")
        return out


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
    touched = {(w.sheet.id, r, c) for w in responses for r, c in w.cells}
    if touched:
        out.update(totalUpdatedRows=len({(s, r) for s, r, _ in touched}),
                   totalUpdatedColumns=len({(s, c) for s, _, c in touched}),
                   totalUpdatedCells=len(touched), totalUpdatedSheets=len({s for s, _, _ in touched}))
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
    for (row, col), cell in list(sheet.cells.items()):
        if rect.start_row <= row < rect.end_row and rect.start_col <= col < rect.end_col:
            sheet.set_cell(row, col, {k: v for k, v in cell.items() if k != "userEnteredValue"})
    return a1.format_range(sheet.title, rect)


# --- append ----------------------------------------------------------------------------------

def find_table(sheet: Sheet, rect: Rect) -> Rect | None:
    """The "table" append extends: the block of touching non-empty cells around the first
    value inside the range (recorded: with A1 and C1 filled and B1 empty, the table is A1)."""
    filled = {key for key, cell in sheet.cells.items() if not cells.is_blank(cell)}
    inside = sorted(key for key in filled
                    if rect.start_row <= key[0] < rect.end_row and rect.start_col <= key[1] < rect.end_col)
    if not inside:
        return None
    region, frontier = {inside[0]}, [inside[0]]
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
        frontier = [key for key in filled - region
                    if top - 1 <= key[0] <= bottom + 1 and left - 1 <= key[1] <= right + 1]
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
