"""The team's book as a Google spreadsheet, through unmodified gspread.

Request budget of a run (constant in contracts; it grows with rows only by read blocks):
  team spreadsheet: 1 metadata GET, then the input tabs in values:batchGet requests of at most
  READ_BLOCK_ROWS grid rows each (all of them in 1 request while the tabs' grids hold 25,000
  rows or fewer; a bigger tab is split into row blocks `'Time'!25001:50000`...); only when
  columns read as numbers (Hours, Amount, Rate...) hold numbers, those columns again with dateTimeRenderOption
  FORMATTED_STRING (to tell time, duration and date cells, which the API sends as serial numbers,
  from plain numbers: 1:30 typed into Hours, a date typed into Amount), in values:batchGet
  requests of at most COLUMN_BLOCK_ROWS rows; 1 batchUpdate (add and size output tabs, formats,
  protection), 1 values:batchUpdate with every output tab;
  each client spreadsheet: 1 Drive permissions.list (the audit), 1 metadata GET, 1 batchUpdate,
  1 values:batchUpdate, and the first time one without the sync's mark is written, 1 values:batchGet
  (google_summaries.py);
  the lock (GoogleSheet.lock, google_lease.py): 2 to take the lease (read, replace) and 1 to let it go.

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

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Sequence

import gspread

from sync.backends import ClientSummary
from sync.model.raw import RawTab
from sync.backends.google import summaries as google_summaries
from sync.backends.google.cells import (CLOCK, METADATA_FIELDS, a1, format_requests, is_number, new_sheet_id, serial_cell, spreadsheet_id, tab_grid)
from sync.backends.google.http import explain
from sync.backends.google.lease import Lease
from sync.errors import GoogleAccessError, SyncError
from sync.rules.load import column_letter
from sync.model.schema import CLIENT_TABS, INPUT_TABS, NUMBER_COLUMNS, TEAM_TAB_NAMES, find_tabs, header_key, tab_key
from sync.model.table import Table

OUTPUT_NOTE = "contract-sync output: rewritten by every run; type in the input tabs instead"
READ_BLOCK_ROWS = 25_000  # grid rows of input tabs per values:batchGet: ~4.2 MB of Google's JSON
COLUMN_BLOCK_ROWS = 50_000  # rows of single columns (Hours...) per values:batchGet: ~1.9 MB

class GoogleSheet:
    """Reads input tabs and writes output tabs of one spreadsheet; client summaries are spreadsheets too."""

    name = "google"

    def __init__(self, spreadsheet: str, client: gspread.Client, account: str, *, warning_only: bool = False,
                 team_domain: str = "") -> None:
        found = spreadsheet_id(spreadsheet)
        if found is None:
            raise GoogleAccessError(f"'{spreadsheet}' is not a spreadsheet ID or link")
        self.id, self.http, self.account = found, client.http_client, account
        self.warning_only, self.team_domain = warning_only, team_domain.lower().lstrip("@")
        self.sheets: dict[str, dict[str, Any]] = {}  # key -> sheet resource, from the last metadata call
        self.lease: Lease | None = None  # while this run holds the lock
        self.outage = google_summaries.Outage()  # Google failing one client summary after another

    @property
    def api_requests(self) -> int | None:
        return getattr(self.http, "requests_made", None)

    # --- the sync lock: a lease in the spreadsheet, as syncs on two machines share no file system ---

    lease_seconds = 30 * 60  # how long a killed holder blocks others at most; a run takes minutes
    lease_margin_seconds = 15 * 60  # renewed before a write when less is left: clock skew, a write's retries
    lease_poll_seconds = 5.0  # between looks at another's lease: a read each, 12 a minute

    @contextmanager
    def lock(self, wait_seconds: float) -> Iterator[None]:
        """Hold the lease of the hidden Sync Lock tab for the block (how: google_lease.py)."""
        lease = Lease(self.http, self.id, self.account, self._protection, self.lease_seconds,
                      self.lease_margin_seconds, self.lease_poll_seconds)
        lease.take(wait_seconds)
        self.lease = lease
        try:
            yield
        finally:
            self.lease = None
            lease.release()

    def confirm_lock(self) -> None:
        """Before a write or an e-mail: LockBusy (exit 3) when this run's lease was taken over; a
        lease near its end is renewed (1 request). Nothing to do outside lock()."""
        if self.lease is not None:
            self.lease.confirm(self.sheets.values())

    # --- the team spreadsheet ------------------------------------------------------------

    def call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.http, method)(*args, **kwargs)
        except Exception as error:  # every API or network failure becomes one line
            if isinstance(error, SyncError):
                raise
            raise explain(error, what, self.account) from None

    def metadata(self, spreadsheet: str, what: str, names: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """tab_key(title) -> sheet resource. Refuses (SyncError) a spreadsheet where two tabs match
        one of `names` or of the tabs the sync writes there (the team's or a client's)."""
        meta = self.call(what, "fetch_sheet_metadata", spreadsheet,
                          params={"includeGridData": "false", "fields": METADATA_FIELDS})
        sheets = meta.get("sheets", [])
        find_tabs([s["properties"]["title"] for s in sheets], names, what,
                  also=TEAM_TAB_NAMES if spreadsheet == self.id else CLIENT_TABS)
        return {tab_key(s["properties"]["title"]): s for s in sheets}

    def read_tabs(self, names: list[str]) -> dict[str, RawTab]:
        self.sheets = self.metadata(self.id, f"spreadsheet {self.id}", names)
        found = {name: self.sheets[tab_key(name)]["properties"] for name in names if tab_key(name) in self.sheets}
        if not found:
            return {}
        tabs = self._read_blocks({name: (props, "") for name, props in found.items()}, READ_BLOCK_ROWS, {
            "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS"})
        self._read_cell_kinds(found, tabs)
        return tabs

    def _read_blocks(self, ranges: dict[Any, tuple[dict[str, Any], str]], block_rows: int,
                     params: dict[str, str]) -> dict[Any, RawTab]:
        """The values of each range, named by a key: (a tab's properties, one column's letter, or ""
        for the whole tab). Read in values:batchGet requests of at most `block_rows` grid rows:
        small ranges share a request, a big one is split into row blocks. The rows come back as one
        read of the whole range would give them."""
        requests: list[list[tuple[Any, int, str]]] = [[]]  # per request: (key, first row, range)
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
        out: dict[Any, RawTab] = {key: [] for key in ranges}
        for batch in requests:
            if not batch:
                continue
            answer = self.call(f"spreadsheet {self.id}", "values_batch_get", self.id, [text for _, _, text in batch],
                               params=params)
            for (key, first, _), found in zip(batch, answer.get("valueRanges", [])):
                values = found.get("values", [])
                if values:  # a block's trailing blank rows are left out: put them back before the next
                    rows = out[key]
                    rows.extend([[] for _ in range(first - 1 - len(rows))])
                    rows.extend(values)
        return out

    def _read_cell_kinds(self, found: dict[str, dict[str, Any]], tabs: dict[str, RawTab]) -> None:
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
        shown = self._read_blocks({key: (found[key[0]], column_letter(key[1])) for key in numbers}, COLUMN_BLOCK_ROWS,
                                  {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"})
        for (name, col), at in numbers.items():
            rows, column = tabs[name], shown[name, col]
            for r in at:
                text = column[r][0] if r < len(column) and column[r] else None
                if isinstance(text, str):
                    rows[r][col] = serial_cell(rows[r][col], CLOCK.fullmatch(text) is not None)

    def write_tabs(self, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
        """One batchUpdate (tabs, sizes, formats, protection), then one values:batchUpdate of them all.
        Tabs named in `hidden` are hidden (and protected like every output tab).

        Tabs only ever grow here, and rows below the new figures are written blank: if the values
        call fails, every output tab still holds the previous run's figures, whole.
        """
        self.confirm_lock()

        def build(sheets: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            requests: list[dict[str, Any]] = []
            data = []
            for name, table in tables.items():
                sheet = sheets.get(tab_key(name))
                blocks = [(0, table)]
                sheet_id, title, size = self._prepare(sheet, name, blocks, requests)
                if (sheet or {}).get("properties", {}).get("hidden", False) != (name in hidden):
                    requests.append({"updateSheetProperties": {
                        "properties": {"sheetId": sheet_id, "hidden": name in hidden}, "fields": "hidden"}})
                protections = (sheet or {}).get("protectedRanges", [])
                if not any(p.get("description") == OUTPUT_NOTE for p in protections):
                    requests.append({"addProtectedRange": {"protectedRange": self._protection(sheet_id)}})
                data.append({"range": f"{a1(title)}!A1", "values": tab_grid(blocks, size)})
            return requests, data

        # The sheets as read_tabs saw them, or (no read before) as they are: either way checked for two
        # tabs matching one name. Then as this write left them, so that a second write in the same
        # run (after alerts are sent, or a summary failed) plans from what the first created.
        what = f"spreadsheet {self.id}"
        self.sheets = self._apply(self.id, what, self.sheets or self.metadata(self.id, what, list(tables)), build)

    def _protection(self, sheet_id: int) -> dict[str, Any]:
        protection: dict[str, Any] = {"range": {"sheetId": sheet_id}, "description": OUTPUT_NOTE,
                                      "warningOnly": self.warning_only}
        if not self.warning_only:
            protection["editors"] = {"users": [self.account]}
        return protection

    def _apply(self, spreadsheet: str, what: str, sheets: dict[str, dict[str, Any]],
               build: Any) -> dict[str, dict[str, Any]]:
        """Send build(sheets) as one batchUpdate, then one values:batchUpdate; the sheets as they are
        after it (from the batchUpdate's replies, no read).

        The answer to an applied batchUpdate can be lost on its way back; the retry is then refused
        ("a sheet with that name already exists"). So on a refusal of a batch that adds tabs, look at
        the spreadsheet again and send what it still needs, once.
        """
        requests, data = build(sheets)
        try:
            answer = self.call(what, "batch_update", spreadsheet, {"requests": requests})
        except SyncError:
            if not any("addSheet" in request for request in requests):
                raise
            sheets = self.metadata(spreadsheet, what)
            requests, data = build(sheets)
            answer = self.call(what, "batch_update", spreadsheet, {"requests": requests})
        self.call(what, "values_batch_update", spreadsheet, {"valueInputOption": "RAW", "data": data})
        return sheets_after(sheets, requests, answer.get("replies", []))

    def _prepare(self, sheet: dict[str, Any] | None, name: str, blocks: list[tuple[int, Table]],
                 requests: list[dict[str, Any]], spare_cols: int = 0) -> tuple[int, str, tuple[int, int]]:
        """Requests that add or grow the tab and format its blocks; its id, title and grid size."""
        rows = max(2, max(top + len(table.frame) + 1 for top, table in blocks))
        cols = max(1, max(len(table.columns) for _, table in blocks)) + spare_cols
        if sheet is None:
            sheet_id, title = new_sheet_id(name), name
            requests.append({"addSheet": {"properties": {
                "sheetId": sheet_id, "title": name,
                "gridProperties": {"rowCount": rows, "columnCount": cols, "frozenRowCount": 1}}}})
        else:
            props = sheet["properties"]
            sheet_id, title, grid = props["sheetId"], props["title"], props.get("gridProperties", {})
            rows, cols = max(rows, grid.get("rowCount", 0)), max(cols, grid.get("columnCount", 0))
            requests.append({"updateSheetProperties": {
                "properties": {"sheetId": sheet_id,
                               "gridProperties": {"rowCount": rows, "columnCount": cols, "frozenRowCount": 1}},
                "fields": "gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount"}})
        for top, table in blocks:
            requests += format_requests(sheet_id, top, table)
        return sheet_id, title, (rows, cols)

    # --- client summaries ----------------------------------------------------------------

    def summary_location(self, client_id: str, target: str) -> str:
        return google_summaries.summary_location(self, target)

    def check_summary(self, location: str, client_id: str, title: str, allowed: list[str]) -> list[str]:
        return google_summaries.check_summary(self, location, allowed)

    def write_client_summaries(self, summaries: list[ClientSummary]) -> dict[str, str]:
        return google_summaries.write_summaries(self, summaries)


def sheets_after(sheets: dict[str, dict[str, Any]], requests: list[dict[str, Any]],
                 replies: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The sheets (tab_key -> resource, as METADATA_FIELDS reads them) after a batchUpdate of
    `requests` answered `replies`: tabs added (the reply holds their properties), resized,
    hidden or deleted, protected ranges and charts added (the replies hold their IDs)."""
    by_id = {s["properties"]["sheetId"]: {**s, "properties": dict(s["properties"])} for s in sheets.values()}
    for request, reply in zip(requests, replies):
        (kind, body), = request.items()
        if kind == "addSheet":
            props = reply.get("addSheet", {}).get("properties", {})
            by_id[props.get("sheetId", 0)] = {"properties": props}
        elif kind == "deleteSheet":
            by_id.pop(body.get("sheetId", 0), None)
        elif kind == "updateSheetProperties" and body["properties"].get("sheetId", 0) in by_id:
            sheet = by_id[body["properties"].get("sheetId", 0)]
            sheet["properties"] = _masked(sheet["properties"], body["properties"], body["fields"])
        elif kind == "addProtectedRange":
            protected = reply.get("addProtectedRange", {}).get("protectedRange", {})
            sheet = by_id.get(body["protectedRange"]["range"].get("sheetId", 0))
            if sheet is not None:
                sheet["protectedRanges"] = [*sheet.get("protectedRanges", []), protected]
        elif kind == "addChart":
            chart = reply.get("addChart", {}).get("chart", {})
            anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell", {})
            sheet = by_id.get(anchor.get("sheetId", 0))
            if sheet is not None:
                sheet["charts"] = [*sheet.get("charts", []), chart]
    return {tab_key(s["properties"]["title"]): s for s in by_id.values()}


def _masked(old: dict[str, Any], new: dict[str, Any], fields: str) -> dict[str, Any]:
    """`old` with the fields a mask such as `hidden` or `gridProperties.rowCount` names taken from `new`."""
    out = {**old}
    for path in fields.split(","):
        *parents, last = path.strip().split(".")
        into, source = out, new
        for name in parents:
            into[name] = into = dict(into.get(name, {}))
            source = source.get(name, {})
        if last in source:
            into[last] = source[last]
        else:
            into.pop(last, None)
    return out
