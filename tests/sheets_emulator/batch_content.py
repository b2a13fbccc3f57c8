"""batchUpdate requests that change what is on a sheet: cell data and formats, protected
ranges, charts. Formats are stored and echoed, never applied to anything."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

from . import errors, fieldmask
from .a1 import Rect
from .batch_common import Invalid, grid_rect, sheet_of
from .metadata import grid_range_json
from .state import Sheet, Spreadsheet


def store_cell(sheet: Sheet, row: int, col: int, source: dict, mask: fieldmask.Mask) -> None:
    sheet.set_cell(row, col, _updated(sheet.cell(row, col), source, mask))


def _updated(cell: dict | None, source: dict, mask: fieldmask.Mask) -> dict:
    cell = fieldmask.apply(cell or {}, source, mask)
    if cell.get("note") == "":
        del cell["note"]  # recorded: writing an empty note removes it
    for key in ("userEnteredFormat", "userEnteredValue"):
        if cell.get(key) == {}:
            del cell[key]
    return cell


def _mask(request: dict) -> fieldmask.Mask:
    if not request.get("fields"):
        raise Invalid("At least one field must be updated, but no fields were specified.")
    return fieldmask.with_color_twins(fieldmask.parse(request["fields"]))


def repeat_cell(book: Spreadsheet, request: dict, owner: str) -> dict:
    sheet, rect = grid_rect(book, request.get("range") or {})
    mask = _mask(request)
    source = fieldmask.add_color_twins(request.get("cell") or {})
    if "*" not in mask and "userEnteredValue" not in mask:
        # Values stay as they are: the rest of a cell changes the same way wherever it is the same.
        sheet.grid.map_extras(rect, lambda extra: _updated(extra, source, mask) or None)
        return {}
    for row in range(rect.start_row, rect.end_row):
        for col in range(rect.start_col, rect.end_col):
            store_cell(sheet, row, col, source, mask)
    return {}


def update_cells(book: Spreadsheet, request: dict, owner: str) -> dict:
    """Rows written from `start`, or into `range` (whose cells the rows leave out are cleared
    of the masked fields, as Google documents)."""
    mask = _mask(request)
    rows = request.get("rows") or []
    if "range" in request:
        sheet, rect = grid_rect(book, request["range"])
    else:
        start = request.get("start") or {}
        sheet = sheet_of(book, start.get("sheetId"))
        width = max((len(row.get("values") or []) for row in rows), default=0)
        top, left = start.get("rowIndex", 0), start.get("columnIndex", 0)
        rect = Rect(top, left, top + len(rows), left + width)
        if rect.end_row > sheet.rows or rect.end_col > sheet.cols:
            raise Invalid(f"Range exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.cols}")
    for i, row in enumerate(rows):
        values = row.get("values") or []
        if rect.start_row + i >= rect.end_row:
            raise Invalid(
                f"Attempting to write row: {rect.start_row + i}, beyond the last requested row of: {rect.end_row - 1}"
            )
        if rect.start_col + len(values) > rect.end_col:
            raise Invalid(
                f"Attempting to write column: {rect.end_col}, beyond the last requested column of: {rect.end_col - 1}"
            )
    for r in range(rect.start_row, rect.end_row):
        values = (rows[r - rect.start_row].get("values") or []) if r - rect.start_row < len(rows) else []
        for c in range(rect.start_col, rect.end_col):
            source = values[c - rect.start_col] if c - rect.start_col < len(values) else {}
            store_cell(sheet, r, c, fieldmask.add_color_twins(source or {}), mask)
    return {}


# --- protected ranges ------------------------------------------------------------------------


def _compact_editors(editors: dict | None) -> dict:
    editors = editors or {}
    return {key: value for key, value in editors.items() if value not in (None, [], False)}


def _all_protected(book: Spreadsheet) -> list[tuple[Sheet, dict]]:
    return [(sheet, protected) for sheet in book.sheets for protected in sheet.protected_ranges]


def add_protected_range(book: Spreadsheet, request: dict, owner: str) -> dict:
    wanted = request.get("protectedRange") or {}
    if "namedRangeId" in wanted:
        raise errors.unimplemented("protected named ranges are not modelled")
    sheet, _ = grid_rect(book, wanted.get("range") or {})
    taken = {protected["protectedRangeId"] for _, protected in _all_protected(book)}
    range_id = wanted.get("protectedRangeId") or random.randrange(1, 2**31)
    if range_id in taken:
        raise Invalid(f"A protected range with ID {range_id} already exists.")
    stored: dict[str, Any] = {"protectedRangeId": range_id, "range": {**wanted["range"], "sheetId": sheet.id}}
    if wanted.get("description"):
        stored["description"] = wanted["description"]
    if wanted.get("warningOnly"):
        stored["warningOnly"] = True
    # The caller just protected it, so the caller may edit it (recorded: the request's `false`
    # is answered `true`).
    stored["requestingUserCanEdit"] = True
    if not wanted.get("warningOnly"):
        stored["editors"] = _compact_editors(wanted.get("editors"))
    if wanted.get("unprotectedRanges"):
        stored["unprotectedRanges"] = copy.deepcopy(wanted["unprotectedRanges"])
    sheet.protected_ranges.append(stored)
    # The reply echoes the editors as set (recorded: `editors: {}` for a request's empty lists);
    # a warning-only range has none ("When writing: if this field is true, then editors are
    # ignored"), so its reply says `editors: {}` too.
    return {
        "addProtectedRange": {
            "protectedRange": {
                **copy.deepcopy(stored),
                "editors": stored.get("editors", {}),
                "range": grid_range_json(stored["range"]),
            }
        }
    }


def update_protected_range(book: Spreadsheet, request: dict, owner: str) -> dict:
    wanted = request.get("protectedRange") or {}
    mask = _mask(request)
    for sheet, protected in _all_protected(book):
        if protected["protectedRangeId"] == wanted.get("protectedRangeId"):
            updated = fieldmask.apply(protected, wanted, mask)
            updated["protectedRangeId"] = protected["protectedRangeId"]
            target, _ = grid_rect(book, updated.get("range") or protected["range"])
            updated["range"] = {**updated.get("range", protected["range"]), "sheetId": target.id}
            updated["editors"] = _compact_editors(updated.get("editors"))
            sheet.protected_ranges.remove(protected)
            target.protected_ranges.append(updated)
            return {}
    raise Invalid(f"No protected range with id: {wanted.get('protectedRangeId')}")


def delete_protected_range(book: Spreadsheet, request: dict, owner: str) -> dict:
    for sheet, protected in _all_protected(book):
        if protected["protectedRangeId"] == request.get("protectedRangeId"):
            sheet.protected_ranges.remove(protected)
            return {}
    raise Invalid(f"No protected range with id: {request.get('protectedRangeId')}")


# --- charts ----------------------------------------------------------------------------------


def _all_charts(book: Spreadsheet) -> list[tuple[Sheet, dict]]:
    return [(sheet, chart) for sheet in book.sheets for chart in sheet.charts]


def add_chart(book: Spreadsheet, request: dict, owner: str) -> dict:
    chart = fieldmask.add_color_twins(request.get("chart") or {})
    position = chart.get("position") or {}
    if position.get("newSheet"):
        raise errors.unimplemented("charts on a new sheet of their own are not modelled")
    anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
    sheet = sheet_of(book, anchor.get("sheetId") if "overlayPosition" in position else position.get("sheetId"))
    taken = {c["chartId"] for _, c in _all_charts(book)}
    chart_id = chart.get("chartId") or random.randrange(1, 2**31)
    if chart_id in taken:
        raise Invalid(f"An object with ID {chart_id} already exists.")
    stored = {"chartId": chart_id, "spec": chart.get("spec") or {}, "position": position}
    sheet.charts.append(stored)
    return {"addChart": {"chart": copy.deepcopy(stored)}}


def update_chart_spec(book: Spreadsheet, request: dict, owner: str) -> dict:
    for _, chart in _all_charts(book):
        if chart["chartId"] == request.get("chartId"):
            chart["spec"] = fieldmask.add_color_twins(request.get("spec") or {})
            return {}
    raise Invalid(f"No chart with id: {request.get('chartId')}")


def delete_embedded_object(book: Spreadsheet, request: dict, owner: str) -> dict:
    for sheet, chart in _all_charts(book):
        if chart["chartId"] == request.get("objectId"):
            sheet.charts.remove(chart)
            return {}
    raise Invalid(f"No embedded object with id: {request.get('objectId')}")


HANDLERS: dict[str, Callable[[Spreadsheet, dict, str], dict]] = {
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    "addProtectedRange": add_protected_range,
    "updateProtectedRange": update_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "addChart": add_chart,
    "updateChartSpec": update_chart_spec,
    "deleteEmbeddedObject": delete_embedded_object,
}
