"""spreadsheets.batchUpdate: the dispatcher, and the requests that change sheets themselves.

All requests of a call are applied in order to one working copy; if any fails, none is kept
and the answer is Google's 400 `Invalid requests[i].<kind>: <reason>`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import batch_content, batch_layout, developer_metadata, dimensions, errors, fieldmask
from .batch_common import Invalid, check_cells, sheet_of
from .call import Call
from .metadata import sheet_properties, spreadsheet_json
from .state import Sheet, Spreadsheet, new_sheet

# Request kinds Google knows: those the emulator lacks answer 501, anything else is a typo.
GOOGLE_KINDS = set(
    [
        "addBanding",
        "addChart",
        "addConditionalFormatRule",
        "addDataSource",
        "addDimensionGroup",
        "addFilterView",
        "addNamedRange",
        "addProtectedRange",
        "addSheet",
        "addSlicer",
        "addTable",
        "appendCells",
        "appendDimension",
        "autoFill",
        "autoResizeDimensions",
        "cancelDataSourceRefresh",
        "clearBasicFilter",
        "copyPaste",
        "createDeveloperMetadata",
        "cutPaste",
        "deleteBanding",
        "deleteConditionalFormatRule",
        "deleteDataSource",
        "deleteDeveloperMetadata",
        "deleteDimension",
        "deleteDimensionGroup",
        "deleteDuplicates",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "deleteNamedRange",
        "deleteProtectedRange",
        "deleteRange",
        "deleteSheet",
        "deleteTable",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertDimension",
        "insertRange",
        "mergeCells",
        "moveDimension",
        "pasteData",
        "randomizeRange",
        "refreshDataSource",
        "repeatCell",
        "setBasicFilter",
        "setDataValidation",
        "sortRange",
        "textToColumns",
        "trimWhitespace",
        "unmergeCells",
        "updateBanding",
        "updateBorders",
        "updateCells",
        "updateChartSpec",
        "updateConditionalFormatRule",
        "updateDataSource",
        "updateDeveloperMetadata",
        "updateDimensionGroup",
        "updateDimensionProperties",
        "updateEmbeddedObjectBorder",
        "updateEmbeddedObjectPosition",
        "updateFilterView",
        "updateNamedRange",
        "updateProtectedRange",
        "updateSheetProperties",
        "updateSlicerSpec",
        "updateSpreadsheetProperties",
        "updateTable",
    ]
)


def check_title(book: Spreadsheet, title: Any, sheet: Sheet | None = None) -> None:
    if not isinstance(title, str) or not title.strip():
        raise Invalid("Sheet name cannot be empty.")
    other = book.sheet_by_title(title)
    if other is not None and other is not sheet:
        raise Invalid(f'A sheet with the name "{title}" already exists. Please enter another name.')


# --- sheets ----------------------------------------------------------------------------------


def add_sheet(book: Spreadsheet, request: dict, owner: str) -> dict:
    props = fieldmask.add_color_twins(request.get("properties") or {})
    sheet_id = props.get("sheetId")
    if sheet_id is not None and book.sheet_by_id(sheet_id):
        raise Invalid(f"Sheet with ID {sheet_id} already exists.")
    title = props.get("title") or book.default_title()
    check_title(book, title)
    grid = props.get("gridProperties") or {}
    sheet = new_sheet(
        book.new_sheet_id() if sheet_id is None else sheet_id,
        title,
        grid.get("rowCount", 1000),
        grid.get("columnCount", 26),
    )
    for key, value in props.items():
        if key not in ("sheetId", "title", "index", "gridProperties"):
            sheet.properties[key] = value
    sheet.properties["gridProperties"].update({k: v for k, v in grid.items() if k not in ("rowCount", "columnCount")})
    index = props.get("index", len(book.sheets))
    book.sheets.insert(max(0, min(index, len(book.sheets))), sheet)
    check_cells(book)
    return {"addSheet": {"properties": sheet_properties(book, sheet)}}


def delete_sheet(book: Spreadsheet, request: dict, owner: str) -> dict:
    sheet = book.sheet_by_id(request.get("sheetId") or 0)
    if sheet is None:  # Google's words, captured in a gspread APIError (other requests say "No grid with id")
        raise Invalid(f"No sheet with id: {request.get('sheetId') or 0}")
    if len(book.sheets) == 1:
        raise Invalid("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    return {}


def update_sheet_properties(book: Spreadsheet, request: dict, owner: str) -> dict:
    props = fieldmask.add_color_twins(request.get("properties") or {})
    if not request.get("fields"):
        raise Invalid("At least one field must be updated, but no fields were specified.")
    sheet = sheet_of(book, props.get("sheetId"))
    mask = fieldmask.with_color_twins(fieldmask.parse(request["fields"]))
    everything = "*" in mask
    old_grid = dict(sheet.properties["gridProperties"])
    old_cells = old_grid["rowCount"] * old_grid["columnCount"]  # (resize below updates old_grid in place)
    updated = fieldmask.apply(sheet.properties, props, mask)
    updated["sheetId"] = sheet.id
    updated.pop("index", None)
    grid = updated.setdefault("gridProperties", {})
    grid.setdefault("rowCount", old_grid["rowCount"])
    grid.setdefault("columnCount", old_grid["columnCount"])
    if "title" in mask or everything:
        check_title(book, updated.get("title"), sheet)
    sheet.properties = {**updated, "gridProperties": old_grid}
    if (grid["rowCount"], grid["columnCount"]) != (old_grid["rowCount"], old_grid["columnCount"]):
        if grid["rowCount"] < 1 or grid["columnCount"] < 1:
            raise Invalid("A sheet must have at least one row and one column.")
        dimensions.resize(sheet, grid["rowCount"], grid["columnCount"])
    sheet.properties["gridProperties"] = grid
    if "index" in mask or everything:
        move_sheet(book, sheet, props.get("index", 0))
    if all(other.properties.get("hidden") for other in book.sheets):
        raise Invalid("You can't hide all the sheets in a document.")
    if grid["rowCount"] * grid["columnCount"] > old_cells:
        check_cells(book)  # only an action that adds cells can go over the limit: shrinking never is refused
    return {}


def move_sheet(book: Spreadsheet, sheet: Sheet, index: int) -> None:
    """Google counts the new index before the move: to put the first of three sheets after the
    second, send index 2 (documented)."""
    old = book.sheets.index(sheet)
    book.sheets.remove(sheet)
    target = index - 1 if index > old else index
    book.sheets.insert(max(0, min(target, len(book.sheets))), sheet)


def update_spreadsheet_properties(book: Spreadsheet, request: dict, owner: str) -> dict:
    if not request.get("fields"):
        raise Invalid("At least one field must be updated, but no fields were specified.")
    mask = fieldmask.parse(request["fields"])
    source = fieldmask.add_color_twins(request.get("properties") or {})
    updated = fieldmask.apply(book.properties, source, mask)
    if not updated.get("title"):
        raise Invalid("The spreadsheet title cannot be empty.")
    book.properties = updated
    return {}


# --- dimensions ------------------------------------------------------------------------------


def _dimension(value: Any) -> str:
    if value not in dimensions.KEYS:
        raise Invalid("A dimension (ROWS or COLUMNS) must be specified.")
    return value


def append_dimension(book: Spreadsheet, request: dict, owner: str) -> dict:
    sheet = sheet_of(book, request.get("sheetId"))
    length = request.get("length", 0)
    if length < 1:
        raise Invalid("length must be at least 1.")
    dimensions.insert(
        sheet,
        _dimension(request.get("dimension")),
        sheet.rows if request.get("dimension") == "ROWS" else sheet.cols,
        length,
    )
    check_cells(book)
    return {}


def _span(book: Spreadsheet, span: dict) -> tuple[Sheet, str, int, int]:
    sheet = sheet_of(book, span.get("sheetId"))
    dimension = _dimension(span.get("dimension"))
    size = sheet.rows if dimension == "ROWS" else sheet.cols
    start, end = span.get("startIndex", 0), span.get("endIndex", size)
    if start < 0 or end < start:
        raise Invalid(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
    return sheet, dimension, start, end


def insert_dimension(book: Spreadsheet, request: dict, owner: str) -> dict:
    sheet, dimension, start, end = _span(book, request.get("range") or {})
    size = sheet.rows if dimension == "ROWS" else sheet.cols
    if start > size:
        raise Invalid(f"Cannot insert {dimension.lower()} at index {start}: the sheet has {size}.")
    if end > start:
        dimensions.insert(sheet, dimension, start, end - start)
    check_cells(book)
    return {}


def delete_dimension(book: Spreadsheet, request: dict, owner: str) -> dict:
    sheet, dimension, start, end = _span(book, request.get("range") or {})
    size = sheet.rows if dimension == "ROWS" else sheet.cols
    if end > size:
        raise Invalid(f"Cannot delete {dimension.lower()} beyond the grid: the sheet has {size}.")
    if start == 0 and end == size:
        raise Invalid(f"You can't delete all the {dimension.lower()} on the sheet.")
    dimensions.delete(sheet, dimension, start, end)
    return {}


HANDLERS: dict[str, Callable[[Spreadsheet, dict, str], dict]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
}


ALL_HANDLERS = {**HANDLERS, **batch_content.HANDLERS, **batch_layout.HANDLERS, **developer_metadata.HANDLERS}
MODELLED_KINDS = frozenset(ALL_HANDLERS)


def batch_update(call: Call) -> tuple[int, dict]:
    body = call.json_body()
    requests = body.get("requests")
    if not requests:
        raise errors.invalid_argument("Must specify at least one request.")
    with call.change() as book:
        replies = [_apply(book, i, request, call.store.owner_email) for i, request in enumerate(requests)]
    out: dict[str, Any] = {"spreadsheetId": book.id, "replies": replies}
    if body.get("includeSpreadsheetInResponse"):
        out["updatedSpreadsheet"] = spreadsheet_json(book, call.store.owner_email)
    return 200, out


def _apply(book: Spreadsheet, i: int, request: Any, owner: str) -> dict:
    if not isinstance(request, dict) or len(request) != 1:
        raise errors.invalid_argument(f"Invalid requests[{i}]: exactly one kind of request must be set.")
    kind, payload = next(iter(request.items()))
    handler = ALL_HANDLERS.get(kind)
    if handler is None:
        if kind in GOOGLE_KINDS:
            raise errors.unimplemented(f"requests[{i}].{kind} is not modelled")
        raise errors.unknown_field(kind, f"requests[{i}]")
    try:
        return handler(book, copy.deepcopy(payload or {}), owner)
    except Invalid as refusal:
        raise errors.invalid_argument(f"Invalid requests[{i}].{kind}: {refusal}") from None
