"""The team's book as a Google spreadsheet, through unmodified gspread.

Request budget of a run (constant in contracts; it grows with rows only by read blocks):
  team spreadsheet: 1 metadata GET, then the input tabs in values:batchGet requests of at most
  READ_BLOCK_ROWS grid rows each (all of them in 1 request while the tabs' grids hold 25,000
  rows or fewer; a bigger tab is split into row blocks `'Time'!25001:50000`...); only when the
  Time tab's Hours column holds numbers, that column again with FORMATTED_VALUE (to tell 1:30:00
  duration cells, which the API sends as fractions of a day, from plain hours), in
  values:batchGet requests of at most HOURS_BLOCK_ROWS rows; 1 batchUpdate (add and size output
  tabs, formats, protection), 1 values:batchUpdate with every output tab;
  each client spreadsheet: 1 Drive permissions.list (the audit), 1 metadata GET, 1 batchUpdate,
  1 values:batchUpdate;
  the lock (GoogleSheet.lock): 3 to take the lease and 2 to let it go; 2 more the first time, to add
  the Sync Lock tab.

Why blocks: the Sheets API sets no hard limit on a response, but Google recommends payloads of
at most 2 MB, stops processing a request after 180 s (developers.google.com/sheets/api/limits)
and refuses request payloads over 10 MB ("Request payload size exceeds the limit: 10485760
bytes"). Google prints its JSON with two-space indents, so a cell costs its text plus some 14
bytes: a Time row is about 170 bytes, and READ_BLOCK_ROWS = 25,000 rows about 4.2 MB - well
under 10 MB, and large enough that a book of 10,000 time rows is still read in one request; a
row of the Hours column alone is about 37 bytes and HOURS_BLOCK_ROWS = 50,000 rows about 1.9 MB.
Blocks are read one after another: a row someone inserts by hand between two of them can be
read twice or missed, as with any read in several requests; the next run reads it right.
"""
from __future__ import annotations

import datetime as dt
import re
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Sequence

import gspread
import numpy as np
import pandas as pd

from sync.backends import RawTab
from sync.backends.client_book import CHART_TITLE, balance_by_month
from sync.backends.google_http import explain
from sync.backends.locks import busy, clock, holder, parse_time, wait_for
from sync.errors import SyncError
from sync.load import column_letter
from sync.schema import CLIENT_TABS, header_key
from sync.table import Kind, Table

OUTPUT_NOTE = "contract-sync output: rewritten by every run; type in the input tabs instead"
EPOCH = dt.date(1899, 12, 30)
READ_BLOCK_ROWS = 25_000  # grid rows of input tabs per values:batchGet: ~4.2 MB of Google's JSON
HOURS_BLOCK_ROWS = 50_000  # rows of the one Hours column per values:batchGet: ~1.9 MB
CHART_COLUMNS = 8  # blank columns right of the Summary's tables, where the chart is anchored
METADATA_FIELDS = ("properties.title,sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),"
                   "protectedRanges(protectedRangeId,description),charts(chartId))")
NUMBER_FORMATS: dict[str, tuple[str, str]] = {
    "hours": ("NUMBER", "0.00"), "int": ("NUMBER", "0"), "date": ("DATE", "yyyy-mm-dd"),
    "datetime": ("DATE_TIME", "yyyy-mm-dd hh:mm:ss"), "text": ("TEXT", "@"),
}
LOCK_TAB = "Sync Lock"  # hidden; row 1 is the lease: holder token, who, acquired at, expires at (UTC)
LOCK_NOTE = "contract-sync lock: says which sync is running; the sync alone writes it"
_ID = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)|^([A-Za-z0-9_-]{20,})$")


def spreadsheet_id(text: str) -> str | None:
    """The ID in a spreadsheet link, or the text itself when it looks like an ID."""
    found = _ID.search(text.strip())
    return (found.group(1) or found.group(2)) if found else None


def a1(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


class GoogleSheet:
    """Reads input tabs and writes output tabs of one spreadsheet; client summaries are spreadsheets too."""

    name = "google"

    def __init__(self, spreadsheet: str, client: gspread.Client, account: str, *, warning_only: bool = False,
                 team_domain: str = "") -> None:
        found = spreadsheet_id(spreadsheet)
        if found is None:
            raise SyncError(f"'{spreadsheet}' is not a spreadsheet ID or link")
        self.id, self.http, self.account = found, client.http_client, account
        self.warning_only, self.team_domain = warning_only, team_domain.lower().lstrip("@")
        self.sheets: dict[str, dict[str, Any]] = {}  # key -> sheet resource, from the last metadata call

    @property
    def api_requests(self) -> int | None:
        return getattr(self.http, "requests_made", None)

    # --- the sync lock: a lease in the spreadsheet, as syncs on two machines share no file system ---

    lease_seconds = 30 * 60  # how long a killed holder blocks others at most; a run takes minutes
    lease_settle_seconds = 1.0  # from writing a lease to reading it back: a racing writer lands first
    lease_poll_seconds = 5.0  # between looks at another's lease: a read each, 12 a minute

    @contextmanager
    def lock(self, wait_seconds: float) -> Iterator[None]:
        """Hold the lease in row 1 of the hidden Sync Lock tab. It is taken when blank, run out or
        ours: write ours, wait lease_settle_seconds, read it back; whoever's lease is there then holds
        it (the Sheets API has no compare-and-set). Released by clearing the row if it is still ours."""
        token, seen = uuid.uuid4().hex, ["", "", "", ""]

        def attempt() -> bool:
            seen[:] = self._lease(create=True)
            if seen[0] and seen[0] != token and not _run_out(seen[3]):
                return False
            now = dt.datetime.now(dt.timezone.utc)
            ours = [token, holder(), _utc(now), _utc(now + dt.timedelta(seconds=self.lease_seconds))]
            try:
                self.call(f"spreadsheet {self.id}", "values_update", self.id, f"{a1(LOCK_TAB)}!A1:D1",
                          params={"valueInputOption": "RAW"}, body={"values": [ours]})
                time.sleep(self.lease_settle_seconds)
                seen[:] = self._lease()
            except BaseException:
                self._release(token)
                raise
            return seen[0] == token

        if not wait_for(attempt, wait_seconds, self.lease_poll_seconds):
            ends = parse_time(seen[3])
            raise busy(f"spreadsheet {self.id}", seen[1], parse_time(seen[2]), wait_seconds,
                       f"; its lease runs out at {clock(ends)}" if ends else "")
        try:
            yield
        finally:
            self._release(token)

    def _lease(self, create: bool = False) -> list[str]:
        """Row 1 of the lock tab as 4 texts ('' when blank); with `create`, the tab is added when
        missing. Without it, a missing tab reads as a blank lease."""
        what = f"spreadsheet {self.id}"
        for _ in range(2):
            try:
                answer = self.http.values_get(self.id, f"{a1(LOCK_TAB)}!A1:D1",
                                              params={"valueRenderOption": "UNFORMATTED_VALUE"})
            except gspread.exceptions.APIError as error:
                if error.code != 400 or "Unable to parse range" not in str(error.error.get("message", "")):
                    raise explain(error, what, self.account) from None
                if not create or self._add_lock_tab():
                    return ["", "", "", ""]
                continue  # another sync added it just now: read it
            except Exception as error:
                raise explain(error, what, self.account) from None
            row = [str(cell) for cell in (answer.get("values") or [[]])[0]]
            return (row + ["", "", "", ""])[:4]
        raise SyncError(f"{what}: cannot add its {LOCK_TAB} tab (the sync's tab ID {new_sheet_id(LOCK_TAB)} is "
                        f"taken by another tab)")

    def _add_lock_tab(self) -> bool:
        """Add the lock tab, hidden and protected like the output tabs; False when it already exists
        (two syncs added it at once, or an answer lost on its way back was retried)."""
        sheet_id = new_sheet_id(LOCK_TAB)
        requests = [{"addSheet": {"properties": {"sheetId": sheet_id, "title": LOCK_TAB, "hidden": True,
                                                 "gridProperties": {"rowCount": 1, "columnCount": 4}}}},
                    {"addProtectedRange": {"protectedRange": self._protection(sheet_id) | {"description": LOCK_NOTE}}}]
        try:
            self.http.batch_update(self.id, {"requests": requests})
        except gspread.exceptions.APIError as error:
            if error.code == 400 and "already exists" in str(error.error.get("message", "")):
                return False
            raise explain(error, f"spreadsheet {self.id}", self.account) from None
        except Exception as error:
            raise explain(error, f"spreadsheet {self.id}", self.account) from None
        return True

    def _release(self, token: str) -> None:
        try:
            if self._lease()[0] == token:
                self.call(f"spreadsheet {self.id}", "values_clear", self.id, f"{a1(LOCK_TAB)}!A1:D1")
        except SyncError:
            pass  # no worse than a killed holder: the lease runs out by itself

    # --- the team spreadsheet ------------------------------------------------------------

    def call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.http, method)(*args, **kwargs)
        except Exception as error:  # every API or network failure becomes one line
            if isinstance(error, SyncError):
                raise
            raise explain(error, what, self.account) from None

    def metadata(self, spreadsheet: str, what: str) -> dict[str, dict[str, Any]]:
        meta = self.call(what, "fetch_sheet_metadata", spreadsheet,
                          params={"includeGridData": "false", "fields": METADATA_FIELDS})
        return {header_key(s["properties"]["title"]): s for s in meta.get("sheets", [])}

    def read_tabs(self, names: list[str]) -> dict[str, RawTab]:
        self.sheets = self.metadata(self.id, f"spreadsheet {self.id}")
        found = {name: self.sheets[header_key(name)]["properties"] for name in names
                 if header_key(name) in self.sheets}
        if not found:
            return {}
        tabs = self._read_blocks(found, READ_BLOCK_ROWS, {
            "valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS"})
        if "Time" in tabs:
            self._read_durations(found["Time"], tabs["Time"])
        return tabs

    def _read_blocks(self, tabs: dict[str, dict[str, Any]], block_rows: int, params: dict[str, str],
                     column: str | None = None) -> dict[str, RawTab]:
        """Each tab's values (or one column's), read in values:batchGet requests of at most
        `block_rows` grid rows: small tabs share a request, a big one is split into row blocks.
        The rows come back as one read of the whole tab would give them."""
        letter = column or ""
        requests: list[list[tuple[str, int, str]]] = [[]]  # per request: (tab, first row, range)
        room = block_rows
        for name, props in tabs.items():
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
                requests[-1].append((name, first, text))
                room -= last - first + 1
                first = last + 1
        out: dict[str, RawTab] = {name: [] for name in tabs}
        for ranges in requests:
            if not ranges:
                continue
            answer = self.call(f"spreadsheet {self.id}", "values_batch_get", self.id, [text for _, _, text in ranges],
                               params=params)
            for (name, first, _), found in zip(ranges, answer.get("valueRanges", [])):
                values = found.get("values", [])
                if values:  # a block's trailing blank rows are left out: put them back before the next
                    rows = out[name]
                    rows.extend([[] for _ in range(first - 1 - len(rows))])
                    rows.extend(values)
        return out

    def _read_durations(self, props: dict[str, Any], rows: RawTab) -> None:
        """Cells formatted as durations or times (someone typed 1:30) come as fractions of a day."""
        header = [header_key(cell) for cell in (rows[0] if rows else [])]
        if header_key("Hours") not in header:
            return
        col = header.index(header_key("Hours"))
        numbers = [r for r in range(1, len(rows)) if col < len(rows[r]) and _is_number(rows[r][col])]
        if not numbers:
            return
        shown = self._read_blocks({"Time": props}, HOURS_BLOCK_ROWS, {"valueRenderOption": "FORMATTED_VALUE"},
                                  column=column_letter(col))["Time"]
        for r in numbers:
            text = str(shown[r][0]) if r < len(shown) and shown[r] else ""
            if ":" in text:
                rows[r][col] = dt.timedelta(days=rows[r][col])

    def write_tabs(self, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
        """One batchUpdate (tabs, sizes, formats, protection), then one values:batchUpdate of them all.
        Tabs named in `hidden` are hidden (and protected like every output tab).

        Tabs only ever grow here, and rows below the new figures are written blank: if the values
        call fails, every output tab still holds the previous run's figures, whole.
        """
        def build(sheets: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            requests: list[dict[str, Any]] = []
            data = []
            for name, table in tables.items():
                sheet = sheets.get(header_key(name))
                blocks = [(0, table)]
                sheet_id, title, size = self._prepare(sheet, name, blocks, requests)
                if (sheet or {}).get("properties", {}).get("hidden", False) != (name in hidden):
                    requests.append({"updateSheetProperties": {
                        "properties": {"sheetId": sheet_id, "hidden": name in hidden}, "fields": "hidden"}})
                protections = (sheet or {}).get("protectedRanges", [])
                if not any(p.get("description") == OUTPUT_NOTE for p in protections):
                    requests.append({"addProtectedRange": {"protectedRange": self._protection(sheet_id)}})
                data.append({"range": f"{a1(title)}!A1", "values": _grid(blocks, size)})
            return requests, data

        self._apply(self.id, f"spreadsheet {self.id}", self.sheets, build)

    def _protection(self, sheet_id: int) -> dict[str, Any]:
        protection: dict[str, Any] = {"range": {"sheetId": sheet_id}, "description": OUTPUT_NOTE,
                                      "warningOnly": self.warning_only}
        if not self.warning_only:
            protection["editors"] = {"users": [self.account]}
        return protection

    def _apply(self, spreadsheet: str, what: str, sheets: dict[str, dict[str, Any]], build: Any) -> None:
        """Send build(sheets) as one batchUpdate, then one values:batchUpdate.

        The answer to an applied batchUpdate can be lost on its way back; the retry is then refused
        ("a sheet with that name already exists"). So on a refusal of a batch that adds tabs, look at
        the spreadsheet again and send what it still needs, once.
        """
        requests, data = build(sheets)
        try:
            self.call(what, "batch_update", spreadsheet, {"requests": requests})
        except SyncError:
            if not any("addSheet" in request for request in requests):
                raise
            requests, data = build(self.metadata(spreadsheet, what))
            self.call(what, "batch_update", spreadsheet, {"requests": requests})
        self.call(what, "values_batch_update", spreadsheet, {"valueInputOption": "RAW", "data": data})

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
            requests += _format_requests(sheet_id, top, table)
        return sheet_id, title, (rows, cols)

    # --- client summaries ----------------------------------------------------------------

    def summary_location(self, client_id: str, target: str) -> str:
        if not target:
            raise ValueError("is blank: run 'python -m sync share' to create this client's spreadsheet")
        found = spreadsheet_id(target)
        if found is None:
            raise ValueError("is not a Google spreadsheet ID or link")
        if found == self.id:
            raise ValueError("is the team spreadsheet itself")
        return found

    def audit_summary(self, location: str, allowed: list[str]) -> list[str]:
        """Who can open a client's summary beyond that client, the sync's account and the team."""
        permissions = self.call(f"client spreadsheet {location}", "list_permissions", location)
        allowed_emails = {email.lower() for email in allowed} | {self.account.lower()}
        found = []
        for p in permissions:
            email, kind = str(p.get("emailAddress", "")).lower(), p.get("type")
            if kind == "anyone":
                found.append("anyone with the link can open this summary")
            elif kind == "domain" and p.get("domain", "").lower() != self.team_domain:
                found.append(f"everyone at {p.get('domain')} can open this summary")
            elif kind in ("user", "group") and email not in allowed_emails and not (
                    self.team_domain and email.endswith("@" + self.team_domain)):
                found.append(f"{email} can open this summary but is not one of this client's addresses")
        return found

    def write_client_summaries(self, summaries: list[tuple[str, str, dict[str, Table]]]) -> None:
        for summary in summaries:
            self.write_client_summary(*summary)

    def write_client_summary(self, location: str, title: str, tables: dict[str, Table]) -> None:
        what = f"client spreadsheet {location}"

        def build(sheets: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            requests: list[dict[str, Any]] = []
            data = []
            for name in CLIENT_TABS:
                blocks = _client_blocks(name, tables)
                sheet = sheets.get(header_key(name))
                chart = name == "Summary" and len(blocks) > 1
                sheet_id, sheet_title, size = self._prepare(sheet, name, blocks, requests,
                                                            spare_cols=CHART_COLUMNS if chart else 0)
                data.append({"range": f"{a1(sheet_title)}!A1", "values": _grid(blocks, size)})
                if chart:
                    charts = (sheet or {}).get("charts", [])
                    requests.append(_chart_request(sheet_id, blocks[-1], charts[0]["chartId"] if charts else None,
                                                   anchor_col=max(len(t.columns) for _, t in blocks) + 1))
            stray = sheets.get(header_key("Sheet1"))  # what a new spreadsheet starts with
            if stray is not None and header_key("Sheet1") not in map(header_key, CLIENT_TABS):
                requests.append({"deleteSheet": {"sheetId": stray["properties"]["sheetId"]}})
            requests.append({"updateSpreadsheetProperties": {"properties": {"title": title}, "fields": "title"}})
            return requests, data

        self._apply(location, what, self.metadata(location, what), build)


def _client_blocks(name: str, tables: dict[str, Table]) -> list[tuple[int, Table]]:
    """Where each table of a client tab starts; the Summary also holds the chart's month table."""
    table = tables[name]
    if name != "Summary" or not len(tables["Statement"].frame):
        return [(0, table)]
    by_month = balance_by_month(tables["Statement"])
    pivot = Table(_frame(["Month", *by_month.contract_ids], by_month.rows),
                  {"Month": by_month.month_kind, **dict.fromkeys(by_month.contract_ids, "money")})
    heading = Table(_frame([CHART_TITLE], []), {CHART_TITLE: "text"})
    return [(0, table), (len(table.frame) + 2, heading), (len(table.frame) + 3, pivot)]


def _utc(when: dt.datetime) -> str:
    return f"{when:%Y-%m-%dT%H:%M:%SZ}"


def _run_out(expires: str) -> bool:
    """A lease whose end has passed, or cannot be read, holds no one."""
    ends = parse_time(expires)
    return ends is None or ends <= dt.datetime.now(dt.timezone.utc)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _frame(columns: list[str], rows: list[list[object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=object)


def new_sheet_id(name: str) -> int:
    """A stable id for a tab the sync adds, so later requests of the same batch can name it."""
    return zlib.crc32(name.encode("utf-8")) % 2_000_000_000 + 1


def _cell(value: object, kind: Kind) -> object:
    """A value as the Sheets API takes it with RAW input: numbers, booleans or text."""
    if value is None:
        return ""
    if kind in ("money", "hours"):
        # JSON numbers are doubles; the shortest repr of float(Decimal('1234.56')) is 1234.56 again.
        return float(value) if isinstance(value, Decimal) else value
    if kind == "date":
        return (value - EPOCH).days
    if kind == "datetime":
        return (value - dt.datetime.combine(EPOCH, dt.time())).total_seconds() / 86400
    if kind in ("bool", "int"):
        return value
    return str(value)


def _column_cells(column: pd.Series, kind: Kind) -> list[object]:
    """`_cell` of every value of a column, a column at a time for the usual types: a big client
    tab has hundreds of thousands of cells, and a call per cell was most of a write."""
    values = column.tolist()
    kinds = set(map(type, values))
    if kind == "text" and kinds <= {str}:
        return values
    if kind in ("money", "hours") and kinds <= {Decimal, type(None)} and not any(
            map(Decimal.is_nan, filter(None, values))):
        return [float(v) if v is not None else "" for v in values] if type(None) in kinds else list(map(float, values))
    if kind == "date" and kinds <= {dt.date, type(None)}:
        serials = {day: (day - EPOCH).days if day is not None else "" for day in set(values)}  # a few hundred
        return list(map(serials.__getitem__, values))
    if kind in ("bool", "int") and kinds <= {bool, int}:
        return values
    # other blanks (NaN, NaT) or values of other types: a cell at a time
    return [_cell(v, kind) for v in column.astype(object).where(column.notna(), None).tolist()]


def _grid(blocks: list[tuple[int, Table]], size: tuple[int, int]) -> list[Sequence[object]]:
    """Every cell of the tab's grid: the blocks, and blanks everywhere else (clearing old figures)."""
    rows, cols = size
    grid: list[Sequence[object]] = [[""] * cols] * rows  # one shared blank row: JSON does not mind
    for top, table in blocks:
        n = len(table.frame)
        columns = [_column_cells(column, kind) for (_, column), kind in zip(table.frame.items(), table.kinds.values())]
        columns += [[""] * n] * (cols - len(columns))
        grid[top] = [*table.columns, *[""] * (cols - len(table.columns))]
        grid[top + 1:top + 1 + n] = zip(*columns) if columns else [[""] * cols] * n
    return grid


def _format_requests(sheet_id: int, top: int, table: Table) -> list[dict[str, Any]]:
    """Bold header; each column's number format (money per run of rows with the same decimals)."""
    def repeat(first_row: int, last_row: int, col: int, fmt: dict[str, Any], fields: str) -> dict[str, Any]:
        return {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": first_row, "endRowIndex": last_row,
                                         "startColumnIndex": col, "endColumnIndex": col + 1},
                               "cell": {"userEnteredFormat": fmt}, "fields": f"userEnteredFormat.{fields}"}}

    requests = [{"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": top, "endRowIndex": top + 1,
                  "startColumnIndex": 0, "endColumnIndex": max(1, len(table.columns))},
        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}, "fields": "userEnteredFormat.textFormat.bold"}}]
    n = len(table.frame)
    for col, (name, kind) in enumerate(table.kinds.items()):
        if n == 0:
            break
        if kind != "money":
            kind_format, pattern = NUMBER_FORMATS.get(kind, ("NUMBER", "0"))
            requests.append(repeat(top + 1, top + 1 + n, col, {"numberFormat": {"type": kind_format,
                                                                                "pattern": pattern}},
                                   "numberFormat"))
            continue
        places = _decimal_places(table.frame[name].tolist())
        starts = [0, *(np.flatnonzero(places[1:] != places[:-1]) + 1).tolist(), n]  # runs of equal decimals
        for start, end in zip(starts, starts[1:]):
            pattern = "#,##0" + ("." + "0" * int(places[start]) if places[start] else "")
            requests.append(repeat(top + 1 + start, top + 1 + end, col,
                                   {"numberFormat": {"type": "NUMBER", "pattern": pattern}}, "numberFormat"))
    return requests


def _decimal_places(amounts: list[object]) -> np.ndarray:
    """How many decimals each amount shows (2 when it is not a Decimal). Neighbours mostly
    share an exponent (often all of them do), and same_quantum is far cheaper than as_tuple."""
    first = amounts[0] if amounts else None
    if isinstance(first, Decimal) and set(map(type, amounts)) == {Decimal} and all(map(first.same_quantum, amounts)):
        return np.full(len(amounts), max(0, -first.as_tuple().exponent))
    places = np.empty(len(amounts), dtype=np.int64)
    last, shown = None, 2
    for i, amount in enumerate(amounts):
        if not isinstance(amount, Decimal):
            last, shown = None, 2
        elif last is None or not amount.same_quantum(last):
            last, shown = amount, max(0, -amount.as_tuple().exponent)
        places[i] = shown
    return places


def _chart_request(sheet_id: int, block: tuple[int, Table], chart_id: int | None, anchor_col: int) -> dict:
    """The balance line chart over the month table: added once, then kept pointing at the data."""
    top, table = block

    def source(col: int) -> dict[str, Any]:
        return {"sourceRange": {"sources": [{"sheetId": sheet_id, "startRowIndex": top,
                                             "endRowIndex": top + 1 + len(table.frame),
                                             "startColumnIndex": col, "endColumnIndex": col + 1}]}}

    spec = {"title": CHART_TITLE, "basicChart": {
        "chartType": "LINE", "legendPosition": "BOTTOM_LEGEND", "headerCount": 1,
        "axis": [{"position": "BOTTOM_AXIS", "title": "Month"}, {"position": "LEFT_AXIS", "title": "Balance"}],
        "domains": [{"domain": source(0)}],
        "series": [{"series": source(col), "targetAxis": "LEFT_AXIS"} for col in range(1, len(table.columns))]}}
    if chart_id is not None:
        return {"updateChartSpec": {"chartId": chart_id, "spec": spec}}
    return {"addChart": {"chart": {"spec": spec, "position": {"overlayPosition": {
        "anchorCell": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": anchor_col}}}}}}

