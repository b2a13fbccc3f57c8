"""Reading a Google spreadsheet: its tabs (metadata), the input tabs in row blocks, and the number
columns again as they are shown, to tell date, time and duration cells from plain numbers.

Every function takes `call`, the backend's GoogleSheet.call: (what, method, *args, **kwargs) -> the
API's answer, with an API or network failure raised as one line (GoogleAccessError).

Why blocks: the Sheets API sets no hard limit on a response, but Google recommends payloads of
at most 2 MB, stops processing a request after 180 s (developers.google.com/sheets/api/limits)
and refuses request payloads over 10 MB ("Request payload size exceeds the limit: 10485760
bytes"). Google prints its JSON with two-space indents, so a cell costs its text plus some 14
bytes: a Time row is about 170 bytes, and READ_BLOCK_ROWS = 25,000 rows about 4.2 MB - well
under 10 MB, and large enough that a book of 10,000 time rows is still read in one request; a
row of the Hours column alone is about 37 bytes and COLUMN_BLOCK_ROWS = 50,000 rows about 1.9 MB.
Blocks are read one after another: a row someone inserts by hand between two of them can be
read twice or missed, as with any read in several requests; the next run reads it right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sync.backends.google.cells import CLOCK, METADATA_FIELDS, a1, is_number, serial_cell
from sync.model.raw import RawTab
from sync.model.schema import INPUT_TABS, NUMBER_COLUMNS, find_tabs, header_key, tab_key
from sync.rules.load import column_letter

READ_BLOCK_ROWS = 25_000  # grid rows of input tabs per values:batchGet: ~4.2 MB of Google's JSON
COLUMN_BLOCK_ROWS = 50_000  # rows of single columns (Hours...) per values:batchGet: ~1.9 MB

Call = Callable[..., Any]  # GoogleSheet.call


def metadata(
    call: Call, spreadsheet: str, what: str, names: Sequence[str], also: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """tab_key(title) -> sheet resource (METADATA_FIELDS), in 1 request. Refuses (SyncError) a
    spreadsheet where two tabs match one of `names` or of `also` (the tabs the sync writes there)."""
    meta = call(
        what, "fetch_sheet_metadata", spreadsheet, params={"includeGridData": "false", "fields": METADATA_FIELDS}
    )
    sheets = meta.get("sheets", [])
    find_tabs([s["properties"]["title"] for s in sheets], names, what, also=also)
    return {tab_key(s["properties"]["title"]): s for s in sheets}


def read_tabs(call: Call, spreadsheet: str, found: dict[str, dict[str, Any]]) -> dict[str, RawTab]:
    """The rows of each tab (name -> its sheet properties), as typed: numbers and serial dates
    unformatted, then the number columns' date, time and duration cells told apart (read_cell_kinds)."""
    tabs = read_blocks(
        call,
        spreadsheet,
        {name: (props, "") for name, props in found.items()},
        READ_BLOCK_ROWS,
        {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"},
    )
    read_cell_kinds(call, spreadsheet, found, tabs)
    return dict(tabs)  # the same rows, as the dict of RawTabs a backend returns


def read_blocks(
    call: Call, spreadsheet: str, ranges: dict[Any, tuple[dict[str, Any], str]], block_rows: int, params: dict[str, str]
) -> dict[Any, list[list[Any]]]:
    """The values of each range, named by a key: (a tab's properties, one column's letter, or ""
    for the whole tab). Read in values:batchGet requests of at most `block_rows` grid rows:
    small ranges share a request, a big one is split into row blocks. The rows come back as one
    read of the whole range would give them."""
    out: dict[Any, list[list[Any]]] = {key: [] for key in ranges}
    for batch in _blocks(ranges, block_rows):
        answer = call(
            f"spreadsheet {spreadsheet}", "values_batch_get", spreadsheet, [text for _, _, text in batch], params=params
        )
        for (key, first, _), found in zip(batch, answer.get("valueRanges", [])):
            values = found.get("values", [])
            if values:  # a block's trailing blank rows are left out: put them back before the next
                rows = out[key]
                rows.extend([[] for _ in range(first - 1 - len(rows))])
                rows.extend(values)
    return out


def _blocks(ranges: dict[Any, tuple[dict[str, Any], str]], block_rows: int) -> list[list[tuple[Any, int, str]]]:
    """The ranges cut into requests of at most `block_rows` grid rows: per request, (key, first row, A1 range)."""
    requests: list[list[tuple[Any, int, str]]] = [[]]
    room = block_rows
    for key, (props, letter) in ranges.items():
        title, height = props["title"], props.get("gridProperties", {}).get("rowCount", 1)
        first = 1
        while first <= height:
            if not room:
                requests.append([])
                room = block_rows
            last = min(height, first + room - 1)
            if first == 1 and last == height:  # the whole tab (or column), named as ever
                text = f"{a1(title)}!{letter}:{letter}" if letter else a1(title)
            else:  # rows first..last: 'Time'!10001:20000, or 'Time'!F50001:F100000
                text = f"{a1(title)}!{letter}{first}:{letter}{last}"
            requests[-1].append((key, first, text))
            room -= last - first + 1
            first = last + 1
    return [batch for batch in requests if batch]


def read_cell_kinds(
    call: Call, spreadsheet: str, found: dict[str, dict[str, Any]], tabs: dict[str, list[list[Any]]]
) -> None:
    """Date, time and duration cells come, like dates, as serial numbers (someone typed 1:30
    into Hours: 0.0625 days; a date into Amount: 46,000 and some). So every column read as
    numbers (NUMBER_COLUMNS) that holds numbers is read again, in one go, with dateTimeRenderOption
    FORMATTED_STRING, which sends just those cells as the text they show and plain numbers as
    numbers: a clock reading makes a duration, any other text (2026-01-05, 1/5/2026 10:00:00)
    a date - which each column's parser then takes (Hours a duration) or refuses, as it does a
    date or time cell in a workbook."""
    numbers: dict[tuple[str, int], list[int]] = {}  # (tab, column) -> rows that hold numbers
    for tab in INPUT_TABS:
        rows = tabs.get(tab.name) or [[]]
        header = [header_key(cell) for cell in rows[0]]
        for column in tab.columns:
            if column.name not in NUMBER_COLUMNS or header_key(column.name) not in header:
                continue
            col = header.index(header_key(column.name))
            at = [r for r in range(1, len(rows)) if col < len(rows[r]) and is_number(rows[r][col])]
            if at:
                numbers[tab.name, col] = at
    if not numbers:
        return
    shown = read_blocks(
        call,
        spreadsheet,
        {key: (found[key[0]], column_letter(key[1])) for key in numbers},
        COLUMN_BLOCK_ROWS,
        {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"},
    )
    for (name, col), at in numbers.items():
        rows, cells = tabs[name], shown[name, col]
        for r in at:
            text = cells[r][0] if r < len(cells) and cells[r] else None
            if isinstance(text, str):
                rows[r][col] = serial_cell(rows[r][col], CLOCK.fullmatch(text) is not None)
