"""What every batchUpdate request needs: finding its sheet and range, and refusing politely."""

from __future__ import annotations

from typing import Any

from . import a1, errors
from .a1 import Rect
from .state import Sheet, Spreadsheet


class Invalid(Exception):
    """A request Google refuses; the dispatcher prefixes `Invalid requests[i].<kind>: `."""


def sheet_of(book: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = book.sheet_by_id(sheet_id or 0)
    if sheet is None:
        raise Invalid(f"No grid with id: {sheet_id or 0}")  # recorded in public reports
    return sheet


def grid_rect(book: Spreadsheet, grid_range: dict) -> tuple[Sheet, Rect]:
    """A GridRange on its sheet; out-of-grid ranges are refused like values ranges are."""
    sheet = sheet_of(book, grid_range.get("sheetId"))
    rect = a1.rect_of_grid_range(grid_range, sheet.rows, sheet.cols)
    if (
        min(rect.start_row, rect.start_col) < 0
        or rect.end_row > sheet.rows
        or rect.end_col > sheet.cols
        or rect.end_row < rect.start_row
        or rect.end_col < rect.start_col
    ):
        raise Invalid(
            f"Range ({a1.format_range(sheet.title, rect)}) exceeds grid limits. "
            f"Max rows: {sheet.rows}, max columns: {sheet.cols}"
        )
    return sheet, rect


def check_cells(book: Spreadsheet) -> None:
    if book.cell_count() > errors.CELL_LIMIT:
        raise Invalid(errors.CELL_LIMIT_MESSAGE)
