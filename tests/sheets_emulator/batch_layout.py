"""batchUpdate requests about layout: merged cells, data validation, row and column sizes."""

from __future__ import annotations

from collections.abc import Callable

from . import fieldmask
from .a1 import Rect
from .batch_common import Invalid, grid_rect, sheet_of
from .batch_content import store_cell
from .state import Sheet, Spreadsheet


def _grid_range(sheet: Sheet, rect: Rect) -> dict:
    return {
        "sheetId": sheet.id,
        "startRowIndex": rect.start_row,
        "endRowIndex": rect.end_row,
        "startColumnIndex": rect.start_col,
        "endColumnIndex": rect.end_col,
    }


def _rect(grid_range: dict) -> Rect:
    return Rect(
        grid_range["startRowIndex"],
        grid_range["startColumnIndex"],
        grid_range["endRowIndex"],
        grid_range["endColumnIndex"],
    )


def _overlap(a: Rect, b: Rect) -> bool:
    return a.start_row < b.end_row and b.start_row < a.end_row and a.start_col < b.end_col and b.start_col < a.end_col


def _inside(inner: Rect, outer: Rect) -> bool:
    return (
        outer.start_row <= inner.start_row
        and inner.end_row <= outer.end_row
        and outer.start_col <= inner.start_col
        and inner.end_col <= outer.end_col
    )


def merge_cells(book: Spreadsheet, request: dict, owner: str) -> dict:
    """MERGE_ALL makes one merge, MERGE_COLUMNS one per column, MERGE_ROWS one per row (recorded).
    Merges it overlaps are replaced (recorded), and only each merge's top-left value stays,
    as Sheets warns when merging by hand."""
    sheet, rect = grid_rect(book, request.get("range") or {})
    kind = request.get("mergeType", "MERGE_ALL")
    if kind == "MERGE_ALL":
        pieces = [rect]
    elif kind == "MERGE_COLUMNS":
        pieces = [Rect(rect.start_row, c, rect.end_row, c + 1) for c in range(rect.start_col, rect.end_col)]
    elif kind == "MERGE_ROWS":
        pieces = [Rect(r, rect.start_col, r + 1, rect.end_col) for r in range(rect.start_row, rect.end_row)]
    else:
        raise Invalid(f"Unknown merge type: {kind}")
    pieces = [piece for piece in pieces if piece.rows * piece.cols > 1]
    sheet.merges = [m for m in sheet.merges if not any(_overlap(_rect(m), piece) for piece in pieces)]
    for piece in pieces:
        sheet.merges.append(_grid_range(sheet, piece))
        kept = sheet.grid.value(piece.start_row, piece.start_col)
        sheet.grid.clear_values(piece)
        sheet.grid.set_value(piece.start_row, piece.start_col, kept)
    return {}


def unmerge_cells(book: Spreadsheet, request: dict, owner: str) -> dict:
    sheet, rect = grid_rect(book, request.get("range") or {})
    touched = [m for m in sheet.merges if _overlap(_rect(m), rect)]
    if any(not _inside(_rect(m), rect) for m in touched):
        raise Invalid("The range must not partially span a merge.")
    sheet.merges = [m for m in sheet.merges if m not in touched]
    return {}


def set_data_validation(book: Spreadsheet, request: dict, owner: str) -> dict:
    """Stored on each cell (and shown in grid data); not enforced on writes."""
    sheet, rect = grid_rect(book, request.get("range") or {})
    source = {"dataValidation": request["rule"]} if request.get("rule") else {}
    for row in range(rect.start_row, rect.end_row):
        for col in range(rect.start_col, rect.end_col):
            store_cell(sheet, row, col, source, {"dataValidation": {}})
    return {}


def update_dimension_properties(book: Spreadsheet, request: dict, owner: str) -> dict:
    """Row heights, column widths, hidden rows/columns: shown in grid data's row/columnMetadata."""
    span = request.get("range") or {}
    sheet = sheet_of(book, span.get("sheetId"))
    dimension = span.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise Invalid("A dimension (ROWS or COLUMNS) must be specified.")
    size = sheet.rows if dimension == "ROWS" else sheet.cols
    start, end = span.get("startIndex", 0), span.get("endIndex", size)
    if not 0 <= start <= end <= size:
        raise Invalid(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
    if not request.get("fields"):
        raise Invalid("At least one field must be updated, but no fields were specified.")
    mask = fieldmask.parse(request["fields"])
    sized = sheet.dimension_properties[dimension]
    for i in range(start, end):
        updated = fieldmask.apply(sized.get(i, {}), request.get("properties") or {}, mask)
        if updated:
            sized[i] = updated
        else:
            sized.pop(i, None)
    return {}


HANDLERS: dict[str, Callable[[Spreadsheet, dict, str], dict]] = {
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "setDataValidation": set_data_validation,
    "updateDimensionProperties": update_dimension_properties,
}
