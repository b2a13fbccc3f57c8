"""Growing and shrinking a sheet: cells, protected ranges, chart anchors and the developer
metadata of rows and columns move with it."""

from __future__ import annotations

from collections.abc import Callable

from .state import Sheet

KEYS = {
    "ROWS": ("startRowIndex", "endRowIndex", "rowIndex", "rowCount", 0),
    "COLUMNS": ("startColumnIndex", "endColumnIndex", "columnIndex", "columnCount", 1),
}


def insert(sheet: Sheet, dimension: str, start: int, count: int) -> None:
    """`count` empty rows/columns before index `start`; whatever was there moves on."""
    sheet.grid.insert(KEYS[dimension][4], start, count)
    _move(sheet, dimension, lambda i: i + count if i >= start else i, lambda end: end + count if end > start else end)
    sheet.properties["gridProperties"][KEYS[dimension][3]] += count


def delete(sheet: Sheet, dimension: str, start: int, end: int) -> None:
    """Remove rows/columns [start, end); what follows moves back."""
    width = end - start

    def index(i: int) -> int | None:
        return i if i < start else None if i < end else i - width

    def boundary(i: int) -> int:
        return i if i <= start else start if i <= end else i - width

    sheet.grid.delete(KEYS[dimension][4], start, end)
    _move(sheet, dimension, index, boundary)
    sheet.properties["gridProperties"][KEYS[dimension][3]] -= width


def resize(sheet: Sheet, rows: int, cols: int) -> None:
    """New grid size; cells beyond it are lost, as when Sheets shrinks a grid."""
    grid = sheet.properties["gridProperties"]
    if rows < grid["rowCount"]:
        delete(sheet, "ROWS", rows, grid["rowCount"])
    if cols < grid["columnCount"]:
        delete(sheet, "COLUMNS", cols, grid["columnCount"])
    grid["rowCount"], grid["columnCount"] = rows, cols


def _move(sheet: Sheet, dimension: str, index: Callable[[int], int | None], boundary: Callable[[int], int]) -> None:
    """What points at rows/columns follows them (the cells themselves moved in the grid)."""
    start_key, end_key, anchor_key = KEYS[dimension][:3]

    def still_there(grid_range: dict) -> bool:
        if start_key in grid_range:
            grid_range[start_key] = boundary(grid_range[start_key])
        if end_key in grid_range:
            grid_range[end_key] = boundary(grid_range[end_key])
        return grid_range.get(end_key, 1) > grid_range.get(start_key, 0)

    sheet.protected_ranges = [p for p in sheet.protected_ranges if still_there(p["range"])]
    sheet.merges = [m for m in sheet.merges if still_there(m)]
    sized = sheet.dimension_properties[dimension]
    sheet.dimension_properties[dimension] = {index(i): props for i, props in sized.items() if index(i) is not None}
    kept = []
    for entry in sheet.developer_metadata:  # a row's metadata follows it, and goes with it (documented)
        span = entry["location"].get("dimensionRange")
        if span and span["dimension"] == dimension:
            moved = index(span["startIndex"])
            if moved is None:
                continue
            span["startIndex"], span["endIndex"] = moved, moved + 1
        kept.append(entry)
    sheet.developer_metadata = kept
    for chart in sheet.charts:
        anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell")
        if anchor and anchor_key in anchor:
            new = index(anchor[anchor_key])
            anchor[anchor_key] = new if new is not None else boundary(anchor[anchor_key])
