"""spreadsheets.get: properties, sheets (with protected ranges and charts) and grid data.

Google omits proto3 defaults from JSON: a GridRange on the sheet with ID 0 has no `sheetId`,
a frozen row count of 0 disappears, `warningOnly: false` is never sent (all recorded). The
helpers here drop them the same way.
"""

from __future__ import annotations

import copy
from typing import Any

from . import cells, developer_metadata, fieldmask
from .a1 import Rect
from .call import Call
from .state import Sheet, Spreadsheet
from .values_api import resolve

ROW_PIXELS, COLUMN_PIXELS = 21, 100  # Sheets' default row height and column width


def grid_range_json(grid_range: dict) -> dict:
    return {key: value for key, value in grid_range.items() if not (key == "sheetId" and value == 0)}


def sheet_properties(book: Spreadsheet, sheet: Sheet) -> dict:
    props = copy.deepcopy(sheet.properties)
    ordered = {"sheetId": props.pop("sheetId"), "title": props.pop("title"), "index": book.sheets.index(sheet), **props}
    for key in [k for k, v in ordered.items() if v is False or v is None]:
        del ordered[key]  # hidden: false, rightToLeft: false are never sent
    grid = ordered.get("gridProperties", {})
    for key in [k for k, v in grid.items() if k not in ("rowCount", "columnCount") and v in (0, False)]:
        del grid[key]
    return ordered


def protected_range_json(protected: dict, owner_email: str) -> dict:
    """As spreadsheets.get shows it: the caller (who added it) is listed among the editors."""
    out = copy.deepcopy(protected)
    out["range"] = grid_range_json(out["range"])
    if not out.get("warningOnly"):
        editors = out.setdefault("editors", {})
        users = editors.setdefault("users", [])
        if owner_email not in users:
            users.append(owner_email)
    return out


def spreadsheet_json(book: Spreadsheet, owner_email: str, data: dict[int, list[dict]] | None = None) -> dict:
    sheets = []
    for sheet in book.sheets:
        if data is not None and sheet.id not in data:
            continue
        item: dict[str, Any] = {"properties": sheet_properties(book, sheet)}
        if data is not None:
            item["data"] = data[sheet.id]
        if sheet.protected_ranges:
            item["protectedRanges"] = [protected_range_json(p, owner_email) for p in sheet.protected_ranges]
        if sheet.merges:
            item["merges"] = [grid_range_json(merge) for merge in sheet.merges]
        if sheet.charts:
            item["charts"] = copy.deepcopy(sheet.charts)
        marks = developer_metadata.located(sheet.developer_metadata, "SHEET")  # rows': in rowMetadata
        if marks:
            item["developerMetadata"] = marks
        sheets.append(item)
    out = {
        "spreadsheetId": book.id,
        "properties": copy.deepcopy(book.properties),
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
    }
    marks = developer_metadata.located(book.developer_metadata, "SPREADSHEET")
    if marks:
        out["developerMetadata"] = marks
    return out


def cell_json(cell: dict | None) -> dict:
    """CellData as Google returns it: what was entered plus what Sheets shows. (effectiveFormat,
    which Google also sends, is not modelled.)"""
    if not cell:
        return {}
    out = copy.deepcopy(cell)
    effective = cells.effective_value(cell)
    if effective:
        out["effectiveValue"] = effective
        out["formattedValue"] = cells.formatted_value(cell)
    return out


def grid_data(sheet: Sheet, rect: Rect, mask: fieldmask.Mask | None) -> dict:
    out: dict[str, Any] = {}
    if rect.start_row:
        out["startRow"] = rect.start_row
    if rect.start_col:
        out["startColumn"] = rect.start_col
    if fieldmask.wants(mask, "sheets", "data", "rowData"):
        last_col: dict[int, int] = {}  # row -> last column holding anything
        for r, c in sheet.grid.keys(rect):
            last_col[r] = max(c, last_col.get(r, c))
        if last_col:
            out["rowData"] = [
                {"values": [cell_json(sheet.cell(r, c)) for c in range(rect.start_col, last_col[r] + 1)]}
                if r in last_col
                else {}
                for r in range(rect.start_row, max(last_col) + 1)
            ]
    for key, dimension, pixels, span in (
        ("rowMetadata", "ROWS", ROW_PIXELS, range(rect.start_row, rect.end_row)),
        ("columnMetadata", "COLUMNS", COLUMN_PIXELS, range(rect.start_col, rect.end_col)),
    ):
        if fieldmask.wants(mask, "sheets", "data", key):
            sized = sheet.dimension_properties[dimension]
            marks: dict[int, list[dict]] = {}
            for mark in developer_metadata.located(sheet.developer_metadata, dimension[:-1]):  # ROW, COLUMN
                marks.setdefault(mark["location"]["dimensionRange"]["startIndex"], []).append(mark)
            out[key] = [
                _dimension_json(
                    {"pixelSize": pixels, **sized.get(i, {}), **({"developerMetadata": marks[i]} if i in marks else {})}
                )
                for i in span
            ]
    return out


def _dimension_json(properties: dict) -> dict:
    return {key: value for key, value in properties.items() if value not in (False, None)}


def get(call: Call) -> tuple[int, dict]:
    book = call.book()
    fields = call.param("fields")
    mask = fieldmask.parse(fields) if fields else None
    ranges = call.params("ranges")
    # With a field mask, includeGridData is ignored and the mask decides (Google documents this).
    with_data = fieldmask.wants(mask, "sheets", "data") if mask is not None else call.flag("includeGridData")
    data: dict[int, list[dict]] | None = None
    if ranges:
        data = {}
        for text in ranges:
            sheet, rect = resolve(book, text)
            data.setdefault(sheet.id, []).append(grid_data(sheet, rect, mask) if with_data else None)
        if not with_data:
            data = {sheet_id: [] for sheet_id in data}
    elif with_data:
        data = {sheet.id: [grid_data(sheet, Rect(0, 0, sheet.rows, sheet.cols), mask)] for sheet in book.sheets}
    out = spreadsheet_json(book, call.store.owner_email, data)
    if data is not None and not with_data:
        for item in out["sheets"]:
            item.pop("data", None)
    return 200, fieldmask.select(out, mask) if mask is not None else out
