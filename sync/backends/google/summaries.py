"""Client summaries as Google spreadsheets: which spreadsheet, whether it is the sync's to write, writing it.

A summary is only ever written into a spreadsheet that carries the sync's mark for that client of
this team spreadsheet - developer metadata on the spreadsheet: `contract-sync-client` (the Client
ID) and `contract-sync-team` (the team spreadsheet's ID) - or into one that is new (no values in
any tab), which then gets the mark. The mark comes with the metadata read that comes before every
write anyway, so it is checked just before each write at no extra cost. A spreadsheet the sync
wrote before it marked its summaries (exactly the five client tabs, titled "<Name> - contract
summary") is taken over once. Anything else - another client's summary, another team's, someone's
own spreadsheet - is never written, and no tab of it is ever deleted.

What is written is what the .xlsx book holds: the Summary tab drawn as the client's dashboard
(sync.shape.dashboard), its chart redrawn each run; then Activity, Payments, Statement and, for a
client with a retainer, Periods (a marked summary's Periods goes when the retainer does), and Requests
likewise.

A write costs only what changed since the last one. What a write left (`Recorded`: the tabs' IDs,
sizes and charts, a digest of the layout drawn and one per row block of values) goes into the
client's Sync State row; the next run, for the same spreadsheet, client and team, reads nothing:
its batchUpdate is sent only when the layout's digest changed, and its values:batchUpdate holds
only the row blocks whose digest changed (nothing at all when none did). The mark is not read
again then: it was checked by the write that recorded the row, a spreadsheet keeps its ID, and no
one can change its developer metadata from the Sheets screen. A Summary Sheet cell that now names
another spreadsheet, a team spreadsheet copied (another ID), or a row that cannot be parsed all
mean the metadata read and the check, as on a first write. A tab deleted or shrunk since is
Google's 400 (`Refused`): the read and a full write follow at once, for that client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from sync.backends import OPTIONAL_CLIENT_TABS, ClientSummary, Written, client_mark, client_tabs
from sync.backends.cells import money_format
from sync.backends.google.batch import (
    Refused,
    Request,
    changed_ranges,
    digest,
    grow,
    prepare,
    sheets_after,
    tabs_of,
    tabs_record,
    value_digests,
)
from sync.backends.google.cells import METADATA_FIELDS, a1, api_cell, cell_format, spreadsheet_id, tab_grid
from sync.backends.google.http import GoogleUnavailable
from sync.errors import LockBusy, SummaryRefused, SyncError
from sync.model.schema import CLIENT_TABS, LEGACY_CLIENT_TABS, find_tabs, tab_key
from sync.shape.dashboard import CHART_ROWS, CHART_TITLE, COLUMNS, STYLES, WIDTHS, Chart, Dashboard, pixels

# The tabs of a summary written before summaries were marked: always these five (Requests came later).
MARK_CLIENT, MARK_TEAM = "contract-sync-client", "contract-sync-team"
MARK_FIELDS = "properties.title,developerMetadata(metadataKey,metadataValue,location(locationType))"
_PUBLISHED = re.compile(r"/spreadsheets/d/e/|/pubhtml\b|/pub\?", re.IGNORECASE)
DEFAULT_ROW_PIXELS, DEFAULT_COLUMN_PIXELS = 21, 100  # a new tab's, in Sheets
MONTH_FORMAT = "yyyy-mm"  # the chart's months, when they are dates
NEW_SHEET_TITLE = "Sheet1"  # the one tab a new spreadsheet has (in an English-speaking account)
OUTAGE_CLIENTS = 2  # Google unavailable for this many clients in a row: the others are not tried
Build = Callable[[dict[str, dict[str, Any]]], tuple[list[Request], list[Request]]]  # tabs -> requests, data


class TeamSheet(Protocol):
    """What a summary needs of the team's backend: sheet.GoogleSheet, which imports this module (so this
    one names it by what it does, not by an import)."""

    id: str
    account: str
    team_domain: str
    outage: Outage

    def call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """The HTTP client's `method`; an API or network failure as one line (GoogleAccessError)."""

    def confirm_lock(self) -> None:
        """LockBusy when the run's lease was taken over."""

    def apply(
        self,
        spreadsheet: str,
        what: str,
        sheets: dict[str, dict[str, Any]],
        build: Build,
    ) -> dict[str, dict[str, Any]]:
        """Send build(sheets) as one batchUpdate, then one values:batchUpdate."""


def summary_location(sheet: TeamSheet, target: str) -> str:
    """The ID of the spreadsheet a Summary Sheet cell names (its link or ID)."""
    if not target:
        raise SummaryRefused("is blank: run 'python -m sync share' to create this client's spreadsheet")
    if _PUBLISHED.search(target):
        raise SummaryRefused(
            "is a 'Publish to web' link, which cannot be written: use the spreadsheet's own link "
            "(https://docs.google.com/spreadsheets/d/ID/edit)"
        )
    found = spreadsheet_id(target)
    if found is None:
        raise SummaryRefused("is not a Google spreadsheet ID or link")
    if found == sheet.id:
        raise SummaryRefused("is the team spreadsheet itself")
    return found


class Outage:
    """Google failing client after client (down, or out of quota, each after minutes of retries):
    after OUTAGE_CLIENTS such clients in a row, the run does not try the others."""

    def __init__(self) -> None:
        """No failure seen yet."""
        self.in_a_row, self.reason = 0, ""

    def check(self) -> None:
        """SummaryRefused, without trying, once Google failed for OUTAGE_CLIENTS clients in a row."""
        if self.in_a_row >= OUTAGE_CLIENTS:
            raise SummaryRefused(f"not tried: Google failed for {self.in_a_row} clients in a row ({self.reason})")

    def record(self, error: SyncError | None) -> None:
        """Count a client's outcome: `error` when it failed (only GoogleUnavailable counts), None when it went through."""
        unavailable = isinstance(error, GoogleUnavailable)
        self.in_a_row, self.reason = (self.in_a_row + 1, str(error)) if unavailable else (0, "")


def check_summary(sheet: TeamSheet, location: str, allowed: list[str]) -> list[str]:
    """Who can open a client's summary beyond that client, the sync's account and the team; a
    spreadsheet that cannot be reached is refused (its mark is read with the write, just before it)."""
    sheet.outage.check()
    try:
        permissions = sheet.call(f"client spreadsheet {location}", "list_permissions", location)
    except LockBusy:
        raise
    except SyncError as error:
        sheet.outage.record(error)
        raise SummaryRefused(_unreachable(sheet, error)) from None
    sheet.outage.record(None)
    allowed_emails = {email.lower() for email in allowed} | {sheet.account.lower()}
    found = []
    for p in permissions:
        email, kind = str(p.get("emailAddress", "")).lower(), p.get("type")
        if kind == "anyone":
            found.append("anyone with the link can open this summary")
        elif kind == "domain" and p.get("domain", "").lower() != sheet.team_domain:
            found.append(f"everyone at {p.get('domain')} can open this summary")
        elif (
            kind in ("user", "group")
            and email not in allowed_emails
            and not (sheet.team_domain and email.endswith("@" + sheet.team_domain))
        ):
            found.append(f"{email} can open this summary but is not one of this client's addresses")
    return found


def _unreachable(sheet: TeamSheet, error: SyncError) -> str:
    text = str(error)
    if " not found" in text:  # Drive answers 404 to an account a file is not shared with, too
        return f"names a spreadsheet that does not exist or is not shared with {sheet.account}"
    return text


def write_summaries(sheet: TeamSheet, summaries: list[ClientSummary]) -> Written:
    """Write each client's spreadsheet: which were not written and why, which were left as they were
    (no request: what the last write recorded is what they show), and what each write left ("" for
    one that failed: the next run reads it first)."""
    failed, records = {}, {}
    for summary in summaries:
        records[summary.client_id] = ""
        try:
            sheet.outage.check()
            records[summary.client_id] = write_summary(sheet, summary)
        except LockBusy:
            raise  # the lock was lost: no more writes at all
        except SyncError as error:
            sheet.outage.record(error)
            failed[summary.location] = str(error)
        except SummaryRefused as reason:
            failed[summary.location] = str(reason)
        else:
            sheet.outage.record(None)
    unchanged = frozenset(s.location for s in summaries if s.recorded and records[s.client_id] == s.recorded)
    return Written(failed, unchanged, records)


class Recorded(NamedTuple):
    """What a write of a client's summary left, kept as JSON in its Sync State row's Note."""

    spreadsheet: str  # the summary's ID
    team: str  # the team spreadsheet's ID
    tabs: dict[str, list[Any]]  # batch.tabs_record: title -> [sheetId, rows, columns, [chartId...]]
    layout: str  # the digest of the batchUpdate's requests as drawn on bare tabs (_layout)
    values: dict[str, list[Any]]  # batch.value_digests of the values written

    def note(self) -> str:
        """As the Sync State's Note holds it."""
        return json.dumps(self._asdict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def of(cls, note: str, spreadsheet: str, team: str) -> Recorded | None:
        """The record a Note holds, if it is one of this spreadsheet written for this team; else None."""
        try:
            found = cls(**json.loads(note))
            tabs_of(found.tabs)  # each tab as the record has them
            shapes = [(type(size), type(digests)) for size, digests in found.values.values()]
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if any(shape != (int, str) for shape in shapes):
            return None
        return found if (found.spreadsheet, found.team) == (spreadsheet, team) else None


def write_summary(sheet: TeamSheet, summary: ClientSummary) -> str:
    """Write the summary (from what its last write recorded when that is known, else after a
    metadata read); what this write left, as a Sync State Note."""
    known = Recorded.of(summary.recorded, summary.location, sheet.id)
    if known is not None:
        try:
            return _write_known(sheet, summary, known).note()
        except Refused:
            pass  # a tab or chart gone, rows deleted: look at the spreadsheet, then write it whole
    return _write_read(sheet, summary).note()


def _write_known(sheet: TeamSheet, summary: ClientSummary, known: Recorded) -> Recorded:
    """No read: a batchUpdate only when the layout changed, a values:batchUpdate only when values
    did, of the changed row blocks (and each tab's first). Refused when a tab or chart is gone."""
    what = f"client spreadsheet {summary.location}"
    build = _builder(summary, "ours")
    sheets = tabs_of(known.tabs)
    layout = _layout(build, sheets)
    if layout != known.layout:
        sheet.confirm_lock()
        requests, _ = build(sheets)
        answer = sheet.call(what, "batch_update", summary.location, {"requests": requests})
        sheets = sheets_after(sheets, requests, answer.get("replies", []))
    data = build(sheets)[1]
    digests = value_digests(data)
    if digests != known.values:
        sheet.confirm_lock()
        changed = changed_ranges(data, digests, known.values)
        sheet.call(what, "values_batch_update", summary.location, {"valueInputOption": "RAW", "data": changed})
    return Recorded(summary.location, sheet.id, tabs_record(sheets), layout, digests)


def _write_read(sheet: TeamSheet, summary: ClientSummary) -> Recorded:
    """One metadata read (tabs, charts, the mark), then one batchUpdate and one values:batchUpdate.

    The tab a new spreadsheet comes with (Sheet1) is deleted once it is found empty (one more read,
    the first time): the client should see their summary first, not a blank tab."""
    sheet.confirm_lock()
    what = f"client spreadsheet {summary.location}"
    meta = sheet.call(
        what,
        "fetch_sheet_metadata",
        summary.location,
        params={"includeGridData": "false", "fields": f"{METADATA_FIELDS},{MARK_FIELDS}"},
    )
    claim = _ownership(sheet, meta, summary)
    extra = [] if claim == "ours" else mark_requests(summary.client_id, sheet.id)
    titles = [s["properties"]["title"] for s in meta.get("sheets", [])]
    find_tabs(titles, CLIENT_TABS, what, also=())  # two tabs named like one client tab: which to write?
    sheets = {tab_key(s["properties"]["title"]): s for s in meta.get("sheets", [])}
    stray = sheets.get(tab_key(NEW_SHEET_TITLE))
    if stray is not None and (claim == "empty" or _empty(sheet, summary.location, [stray["properties"]["title"]])):
        extra.append({"deleteSheet": {"sheetId": stray["properties"]["sheetId"]}})  # empty: nothing lost
    build = _builder(summary, claim)

    def with_extra(sheets: dict[str, dict[str, Any]]) -> tuple[list[Request], list[Request]]:
        # after the tabs are added: a spreadsheet cannot lose its last tab
        requests, data = build(sheets)
        return requests + extra, data

    after = sheet.apply(summary.location, what, sheets, with_extra)
    # the layout as drawn for this claim: a tab kept now, marked "ours" from now on, goes next time
    return Recorded(
        summary.location, sheet.id, tabs_record(after), _layout(build, after), value_digests(build(after)[1])
    )


def _layout(build: Build, sheets: dict[str, dict[str, Any]]) -> str:
    """The digest of the layout `build` draws on these tabs, taken as new (no size, no chart), so
    that it changes with what is drawn and not with what the last write left."""
    bare = {key: {"properties": {k: s["properties"][k] for k in ("sheetId", "title")}} for key, s in sheets.items()}
    return digest(build(bare)[0])


def mark_requests(client_id: str, team: str) -> list[dict[str, Any]]:
    """batchUpdate requests that mark a spreadsheet as the summary of this client of this team."""
    return [
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": key,
                    "metadataValue": value,
                    "location": {"spreadsheet": True},
                    "visibility": "DOCUMENT",
                }
            }
        }
        for key, value in ((MARK_CLIENT, client_mark(client_id)), (MARK_TEAM, team))
    ]


def _ownership(sheet: TeamSheet, meta: dict[str, Any], summary: ClientSummary) -> str:
    """'ours' (marked for this client of this team), 'legacy' or 'empty' (to be marked now); else SummaryRefused."""
    marks = {
        m.get("metadataKey"): str(m.get("metadataValue", ""))
        for m in meta.get("developerMetadata", [])
        if m.get("location", {}).get("locationType") == "SPREADSHEET"
    }
    if MARK_CLIENT in marks:
        if marks.get(MARK_TEAM) != sheet.id:
            raise SummaryRefused(
                f"is the summary of client {marks[MARK_CLIENT]} of another team spreadsheet; it is "
                "never written by this one"
            )
        if marks[MARK_CLIENT] != client_mark(summary.client_id):
            raise SummaryRefused(
                f"is the summary of client {marks[MARK_CLIENT]}, not of {summary.client_id}; it is "
                "never given another client's figures"
            )
        return "ours"
    titles = [s["properties"]["title"] for s in meta.get("sheets", [])]
    if (
        sorted(map(tab_key, titles)) == sorted(map(tab_key, LEGACY_CLIENT_TABS))
        and meta.get("properties", {}).get("title") == summary.title
    ):
        return "legacy"  # written by the sync before it marked its summaries: always all five tabs
    if _empty(sheet, summary.location, titles):
        return "empty"
    raise SummaryRefused(
        "is a spreadsheet the sync did not create (it has no contract-sync mark and holds "
        "data); it is never written: link the client's own summary, or clear the cell and run share"
    )


def _empty(sheet: TeamSheet, location: str, titles: list[str]) -> bool:
    """Whether no tab holds a value (one values:batchGet, for an unmarked spreadsheet only)."""
    answer = sheet.call(f"client spreadsheet {location}", "values_batch_get", location, [a1(t) for t in titles])
    return not any(found.get("values") for found in answer.get("valueRanges", []))


def _builder(summary: ClientSummary, claim: str) -> Build:
    """What writes the client tabs of a summary spreadsheet whose tabs are `sheets` (keyed by
    tab_key): the batchUpdate's requests and the values:batchUpdate's data. A Periods tab of a
    client without a retainer (any more) goes, and a Requests tab of one without requests they may
    see, but only from a spreadsheet marked as theirs (`claim` "ours"): any other never loses a tab."""
    board = summary.board()
    tabs = client_tabs(summary.tables)

    def money(places: int) -> str:
        return board.money_format(places) or money_format(places)

    grids: dict[tuple[str, tuple[int, int]], list[Any]] = {}  # a tab's grid of a size, made once a write

    def build(sheets: dict[str, dict[str, Any]]) -> tuple[list[Request], list[Request]]:
        requests: list[Request] = []
        data = []
        for name in tabs:
            found = sheets.get(tab_key(name))
            if name == "Summary":
                data.append(_dashboard(board, found, requests))
                continue
            blocks = [(0, summary.tables[name])]
            _, title, size = prepare(found, name, blocks, requests, money)
            if (name, size) not in grids:
                grids[name, size] = tab_grid(blocks, size)
            data.append({"range": f"{a1(title)}!A1", "values": grids[name, size]})
        requests.append({"updateSpreadsheetProperties": {"properties": {"title": summary.title}, "fields": "title"}})
        for name in OPTIONAL_CLIENT_TABS:
            stale = sheets.get(tab_key(name))
            if claim == "ours" and name not in tabs and stale is not None:
                requests.append({"deleteSheet": {"sheetId": stale["properties"]["sheetId"]}})
        return requests, data

    return build


def _dashboard(board: Dashboard, found: dict[str, Any] | None, requests: list[Request]) -> dict[str, Any]:
    """Append to `requests` those that draw the Summary tab as `board` says (what a previous run
    drew there reset first: formats, merges, sizes and chart); the values to write there."""
    chart = board.chart
    rows, cols = max(2, board.rows), COLUMNS
    if chart is not None:
        rows, cols = max(rows, chart.data_row + 2 + len(chart.rows)), max(cols, chart.data_col + 1 + len(chart.names))
    sheet_id, title, (rows, cols) = grow(found, "Summary", (rows, cols), requests, frozen_rows=0, gridlines=False)
    whole = {"sheetId": sheet_id}
    requests += [
        {"repeatCell": {"range": whole, "cell": {}, "fields": "userEnteredFormat"}},
        {"unmergeCells": {"range": whole}},
        _size(sheet_id, "ROWS", None, DEFAULT_ROW_PIXELS),
        _size(sheet_id, "COLUMNS", None, DEFAULT_COLUMN_PIXELS),
        *({"deleteEmbeddedObject": {"objectId": old["chartId"]}} for old in (found or {}).get("charts", [])),
    ]
    grid: list[list[object]] = [[""] * cols for _ in range(rows)]
    merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in board.merges}
    for cell in board.cells:
        grid[cell.row][cell.col] = api_cell(cell.value, cell.kind)
        last = merged.get((cell.row, cell.col), (cell.row, cell.col))  # a merge takes its first cell's look
        look = cell_format(STYLES[cell.style], cell.number_format, cell.kind)
        requests.append(_formatted(_range(sheet_id, cell.row, cell.col, *last), look))
    requests += [
        {"mergeCells": {"range": _range(sheet_id, *merge), "mergeType": "MERGE_ALL"}} for merge in board.merges
    ]
    requests += [_size(sheet_id, "COLUMNS", col, pixels(width)) for col, width in enumerate(WIDTHS)]
    requests += [_size(sheet_id, "ROWS", row, round(points * 4 / 3)) for row, points in board.heights.items()]
    if chart is not None:
        requests += _chart_data(sheet_id, chart, grid)
        requests.append(_chart(sheet_id, chart))
    return {"range": f"{a1(title)}!A1", "values": grid}


def _chart_data(sheet_id: int, chart: Chart, grid: list[list[object]]) -> list[Request]:
    """The chart's figures into `grid` beside the printed columns, headed so that someone who
    scrolls there knows what they are; the requests that format them and size their columns."""
    top, left = chart.data_row, chart.data_col
    names = ["Month", *chart.names]
    grid[top][left] = CHART_TITLE
    grid[top + 1][left : left + len(names)] = names
    for i, (month, *closings) in enumerate(chart.rows, start=top + 2):
        grid[i][left : left + len(names)] = [
            api_cell(month, chart.month_kind),
            *(api_cell(c, "money") for c in closings),
        ]
    last_row, last_col = top + 1 + len(chart.rows), left + len(names) - 1
    requests = [_formatted(_range(sheet_id, top, left, top + 1, last_col), {"textFormat": {"bold": True}})]
    if chart.rows:
        if chart.month_kind in ("date", "datetime"):
            month = {"numberFormat": {"type": "DATE", "pattern": MONTH_FORMAT}}
            requests.append(_formatted(_range(sheet_id, top + 2, left, last_row, left), month))
        closing = {"numberFormat": {"type": "NUMBER", "pattern": chart.number_format}}
        requests.append(_formatted(_range(sheet_id, top + 2, left + 1, last_row, last_col), closing))
    requests += [_size(sheet_id, "COLUMNS", col, pixels(width)) for col, width in enumerate(chart.widths, start=left)]
    return requests


def _chart(sheet_id: int, chart: Chart) -> Request:
    """The balance line chart over the dashboard's width, a line per contract named by its header
    (so the legend shows the contracts' names), over the one Month column."""

    def source(col: int) -> dict[str, Any]:
        return {
            "sourceRange": {
                "sources": [_range(sheet_id, chart.data_row + 1, col, chart.data_row + 1 + len(chart.rows), col)]
            }
        }

    spec = {
        "title": CHART_TITLE,
        "basicChart": {
            "chartType": "LINE",
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "domains": [{"domain": source(chart.data_col)}],
            "series": [
                {"series": source(chart.data_col + i), "targetAxis": "LEFT_AXIS"}
                for i in range(1, len(chart.names) + 1)
            ],
        },
    }
    position = {
        "anchorCell": {"sheetId": sheet_id, "rowIndex": chart.top, "columnIndex": 0},
        "widthPixels": sum(map(pixels, WIDTHS)),
        "heightPixels": CHART_ROWS * 20,
    }
    return {"addChart": {"chart": {"spec": spec, "position": {"overlayPosition": position}}}}


def _range(sheet_id: int, first_row: int, first_col: int, last_row: int, last_col: int) -> dict[str, int]:
    """The GridRange of these rows and columns (both ends included, as a Dashboard's merges have them)."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": first_row,
        "endRowIndex": last_row + 1,
        "startColumnIndex": first_col,
        "endColumnIndex": last_col + 1,
    }


def _formatted(grid_range: dict[str, int], look: dict[str, Any]) -> Request:
    """The cells of `grid_range` given the CellFormat `look`: only what it sets."""
    fields = ",".join(f"userEnteredFormat.{key}" for key in look)
    return {"repeatCell": {"range": grid_range, "cell": {"userEnteredFormat": look}, "fields": fields}}


def _size(sheet_id: int, dimension: str, index: int | None, size: int) -> Request:
    """Row `index` (or column) `size` pixels high (or wide); with `index` None, every one of the tab."""
    span: dict[str, Any] = {"sheetId": sheet_id, "dimension": dimension}
    if index is not None:
        span.update(startIndex=index, endIndex=index + 1)
    return {"updateDimensionProperties": {"range": span, "properties": {"pixelSize": size}, "fields": "pixelSize"}}
