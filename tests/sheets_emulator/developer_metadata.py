"""Developer metadata: key/value marks on a spreadsheet, a sheet, a row or a column.

Modelled from Google's reference (spreadsheets.developerMetadata, DeveloperMetadataLookup, the
Create/Update/DeleteDeveloperMetadata requests): an ID the server picks when none is given, a key
(several marks may share one), a value, a visibility (DOCUMENT or PROJECT; the emulator has one
caller, so it sees both) and a location: `{"spreadsheet": true}`, `{"sheetId": N}` or a
`dimensionRange` of one row or column, which moves with its row and goes away with it, as a sheet's
marks go with the sheet. Marks are found through a DataFilter's developerMetadataLookup; data
filters by range (a1Range, gridRange) and lookups of intersecting locations answer 501.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from typing import Any

from . import errors, fieldmask
from .batch_common import Invalid, sheet_of
from .call import Call
from .state import Spreadsheet

VISIBILITIES = ("DOCUMENT", "PROJECT")
LOOKUP_FIELDS = ("metadataId", "metadataKey", "metadataValue", "visibility")
UPDATABLE = ("metadataKey", "metadataValue", "location", "visibility")  # the ID stays what it was


def location_type(location: dict) -> str:
    if "spreadsheet" in location:
        return "SPREADSHEET"
    if "sheetId" in location:
        return "SHEET"
    return "ROW" if location["dimensionRange"]["dimension"] == "ROWS" else "COLUMN"


def to_json(entry: dict) -> dict:
    """A stored mark as Google shows it: the location's type filled in, an empty value left out."""
    location = copy.deepcopy(entry["location"])
    span = location.get("dimensionRange")
    if span is not None and span.get("sheetId") == 0:
        del span["sheetId"]  # a proto3 default, left out as in every GridRange
    out = {"metadataId": entry["metadataId"], "metadataKey": entry["metadataKey"]}
    if entry.get("metadataValue"):
        out["metadataValue"] = entry["metadataValue"]
    out["location"] = {"locationType": location_type(entry["location"]), **location}
    out["visibility"] = entry["visibility"]
    return out


def located(entries: list[dict], kind: str) -> list[dict]:
    """The marks of one kind of location (SPREADSHEET, SHEET, ROW, COLUMN), as Google shows them."""
    return [to_json(entry) for entry in entries if location_type(entry["location"]) == kind]


def _stored(book: Spreadsheet) -> Iterator[tuple[list[dict], dict]]:
    """Every mark with the list that holds it: the spreadsheet's, then each sheet's in order."""
    for entry in book.developer_metadata:
        yield book.developer_metadata, entry
    for sheet in book.sheets:
        for entry in sheet.developer_metadata:
            yield sheet.developer_metadata, entry


def _home(book: Spreadsheet, location: Any) -> tuple[list[dict], dict]:
    """Where a mark at `location` is kept, and the location as stored (locationType is read-only)."""
    if not isinstance(location, dict):
        location = {}
    given = [key for key in ("spreadsheet", "sheetId", "dimensionRange") if key in location]
    if len(given) != 1 or ("spreadsheet" in given and location["spreadsheet"] is not True):
        raise Invalid("Developer metadata must have exactly one location: spreadsheet, sheetId or dimensionRange.")
    if given == ["spreadsheet"]:
        return book.developer_metadata, {"spreadsheet": True}
    if given == ["sheetId"]:
        sheet = sheet_of(book, location["sheetId"])
        return sheet.developer_metadata, {"sheetId": sheet.id}
    span = location["dimensionRange"] or {}
    sheet = sheet_of(book, span.get("sheetId"))
    dimension, start, end = span.get("dimension"), span.get("startIndex"), span.get("endIndex")
    size = sheet.rows if dimension == "ROWS" else sheet.cols
    if dimension not in ("ROWS", "COLUMNS") or start is None or end != start + 1 or not 0 <= start < size:
        raise Invalid(
            "The specified DimensionRange must represent a single row or column. It cannot be "
            "unbounded or span multiple rows or columns."
        )  # the reference's words
    return sheet.developer_metadata, {
        "dimensionRange": {"sheetId": sheet.id, "dimension": dimension, "startIndex": start, "endIndex": end}
    }


def _check(entry: dict) -> None:
    # The reference's own sentences; Google's refusals are not recorded here.
    if not entry.get("metadataKey"):
        raise Invalid("Developer metadata must always have a key specified.")
    if entry.get("visibility") not in VISIBILITIES:
        raise Invalid("Developer metadata must always have visibility specified.")


def _lookup_matches(book: Spreadsheet, lookup: dict) -> Callable[[dict], bool]:
    """DeveloperMetadataLookup: a mark matches when every field given matches."""
    if not lookup:
        raise errors.unimplemented("an empty developerMetadataLookup is not modelled")
    strategy = lookup.get("locationMatchingStrategy")
    if strategy and "metadataLocation" not in lookup:
        raise Invalid("If locationMatchingStrategy is specified, a metadataLocation must also be specified.")
    if strategy == "EXACT_LOCATION" and lookup.get("locationType"):
        raise Invalid("locationType must be left unspecified when the locationMatchingStrategy is EXACT_LOCATION.")
    where = None
    if "metadataLocation" in lookup:
        if strategy != "EXACT_LOCATION":  # INTERSECTING_LOCATION, the default
            raise errors.unimplemented("developerMetadataLookup of intersecting locations is not modelled")
        where = _home(book, lookup["metadataLocation"])[1]

    def matches(entry: dict) -> bool:
        return (
            all(
                entry.get(key, "" if key == "metadataValue" else None) == lookup[key]
                for key in LOOKUP_FIELDS
                if key in lookup
            )
            and lookup.get("locationType") in (None, location_type(entry["location"]))
            and where in (None, entry["location"])
        )

    return matches


def _filter_matches(book: Spreadsheet, data_filter: Any) -> Callable[[dict], bool]:
    if not isinstance(data_filter, dict) or "developerMetadataLookup" not in data_filter:
        raise errors.unimplemented("data filters by a1Range or gridRange are not modelled")
    return _lookup_matches(book, data_filter["developerMetadataLookup"] or {})


# --- batchUpdate requests ----------------------------------------------------------------------


def create(book: Spreadsheet, request: dict, owner: str) -> dict:
    given = request.get("developerMetadata") or {}
    home, location = _home(book, given.get("location"))
    taken = {entry["metadataId"] for _, entry in _stored(book)}
    metadata_id = given.get("metadataId")
    if metadata_id is not None and metadata_id <= 0:
        raise Invalid("metadataId must be positive.")
    if metadata_id in taken:
        raise Invalid(f"Developer metadata with ID {metadata_id} already exists.")
    while metadata_id is None:  # "otherwise one will be randomly generated and assigned"
        candidate = random.randrange(1, 2**31)
        metadata_id = candidate if candidate not in taken else None
    entry = {
        "metadataId": metadata_id,
        "metadataKey": given.get("metadataKey", ""),
        "metadataValue": given.get("metadataValue", ""),
        "location": location,
        "visibility": given.get("visibility"),
    }
    _check(entry)
    home.append(entry)
    return {"createDeveloperMetadata": {"developerMetadata": to_json(entry)}}


def update(book: Spreadsheet, request: dict, owner: str) -> dict:
    filters = request.get("dataFilters") or []
    if not filters:
        raise Invalid("At least one data filter must be specified.")
    if not request.get("fields"):
        raise Invalid("At least one field must be updated, but no fields were specified.")
    mask = fieldmask.parse(request["fields"])
    fields = UPDATABLE if "*" in mask else [key for key in UPDATABLE if key in mask]
    source = request.get("developerMetadata") or {}
    tests = [_filter_matches(book, data_filter) for data_filter in filters]
    updated = []
    for home, entry in list(_stored(book)):
        if not any(test(entry) for test in tests):
            continue
        for key in fields:
            if key != "location":
                entry[key] = source.get(key, "" if key == "metadataValue" else None)
            else:  # the mark moves
                new_home, entry["location"] = _home(book, source.get("location"))
                home.remove(entry)
                new_home.append(entry)
        _check(entry)
        updated.append(to_json(entry))
    return {"updateDeveloperMetadata": {"developerMetadata": updated} if updated else {}}


def delete(book: Spreadsheet, request: dict, owner: str) -> dict:
    test = _filter_matches(book, request.get("dataFilter") or {})
    deleted = []
    for home, entry in list(_stored(book)):
        if test(entry):
            home.remove(entry)
            deleted.append(to_json(entry))
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": deleted} if deleted else {}}


HANDLERS: dict[str, Callable[[Spreadsheet, dict, str], dict]] = {
    "createDeveloperMetadata": create,
    "updateDeveloperMetadata": update,
    "deleteDeveloperMetadata": delete,
}


# --- spreadsheets.developerMetadata: get, search ------------------------------------------------


def get(call: Call) -> tuple[int, dict]:
    book = call.book()
    text = call.path["metadataId"]
    try:
        wanted = int(text)
    except ValueError:
        raise errors.invalid_argument(f"Invalid value at 'metadata_id' (TYPE_INT32), \"{text}\"") from None
    for _, entry in _stored(book):
        if entry["metadataId"] == wanted:
            return 200, to_json(entry)
    raise errors.not_found()


def search(call: Call) -> tuple[int, dict]:
    book = call.book()
    filters = call.json_body().get("dataFilters") or []
    if not filters:
        raise errors.invalid_argument("At least one data filter must be specified.")
    try:
        tests = [_filter_matches(book, data_filter) for data_filter in filters]
    except Invalid as refusal:
        raise errors.invalid_argument(str(refusal)) from None
    found = []
    for _, entry in _stored(book):
        matched = [data_filter for data_filter, test in zip(filters, tests) if test(entry)]
        if matched:
            found.append({"developerMetadata": to_json(entry), "dataFilters": matched})
    return 200, {"matchedDeveloperMetadata": found} if found else {}
