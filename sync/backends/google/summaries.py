"""Client summaries as Google spreadsheets: which spreadsheet, whether it is the sync's to write, writing it.

A summary is only ever written into a spreadsheet that carries the sync's mark for that client of
this team spreadsheet - developer metadata on the spreadsheet: `contract-sync-client` (the Client
ID) and `contract-sync-team` (the team spreadsheet's ID) - or into one that is new (no values in
any tab), which then gets the mark. The mark comes with the metadata read that comes before every
write anyway, so it is checked just before each write at no extra cost. A spreadsheet the sync
wrote before it marked its summaries (exactly the five client tabs, titled "<Name> - contract
summary") is taken over once. Anything else - another client's summary, another team's, someone's
own spreadsheet - is never written, and no tab of it is ever deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from sync.backends import ClientSummary, client_mark
from sync.backends.google.batch import Request, prepare
from sync.backends.google.cells import METADATA_FIELDS, a1, frame_of, spreadsheet_id, tab_grid
from sync.backends.google.http import GoogleUnavailable
from sync.backends.xlsx.client_book import CHART_TITLE, balance_by_month
from sync.errors import LockBusy, SummaryRefused, SyncError
from sync.model.schema import CLIENT_TABS, find_tabs, tab_key
from sync.model.table import Table

MARK_CLIENT, MARK_TEAM = "contract-sync-client", "contract-sync-team"
MARK_FIELDS = "properties.title,developerMetadata(metadataKey,metadataValue,location(locationType))"
_PUBLISHED = re.compile(r"/spreadsheets/d/e/|/pubhtml\b|/pub\?", re.IGNORECASE)
CHART_COLUMNS = 8  # blank columns right of the Summary's tables, where the chart is anchored
NEW_SHEET_TITLE = "Sheet1"  # the one tab a new spreadsheet has (in an English-speaking account)
OUTAGE_CLIENTS = 2  # Google unavailable for this many clients in a row: the others are not tried


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
        build: Callable[[dict[str, dict[str, Any]]], tuple[list[Request], list[Request]]],
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


def write_summaries(sheet: TeamSheet, summaries: list[ClientSummary]) -> dict[str, str]:
    """Write each client's spreadsheet; location -> why, for each one not written."""
    failed = {}
    for summary in summaries:
        try:
            sheet.outage.check()
            write_summary(sheet, summary)
        except LockBusy:
            raise  # the lock was lost: no more writes at all
        except SyncError as error:
            sheet.outage.record(error)
            failed[summary.location] = str(error)
        except SummaryRefused as reason:
            failed[summary.location] = str(reason)
        else:
            sheet.outage.record(None)
    return failed


def write_summary(sheet: TeamSheet, summary: ClientSummary) -> None:
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
    _write_tabs(sheet, summary, sheets, extra)


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
        sorted(map(tab_key, titles)) == sorted(map(tab_key, CLIENT_TABS))
        and meta.get("properties", {}).get("title") == summary.title
    ):
        return "legacy"  # written by the sync before it marked its summaries
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


def _write_tabs(
    sheet: TeamSheet, summary: ClientSummary, sheets: dict[str, dict[str, Any]], extra: list[dict[str, Any]]
) -> None:
    """The client tabs of a summary spreadsheet whose tabs are `sheets` (keyed by tab_key), with the
    `extra` requests at the end of the same batchUpdate (after the tabs are added: a spreadsheet
    cannot lose its last tab)."""
    what = f"client spreadsheet {summary.location}"

    def build(sheets: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        requests: list[dict[str, Any]] = []
        data = []
        for name in CLIENT_TABS:
            blocks = _client_blocks(name, summary.tables)
            found = sheets.get(tab_key(name))
            chart = name == "Summary" and len(blocks) > 1
            sheet_id, sheet_title, size = prepare(
                found, name, blocks, requests, spare_cols=CHART_COLUMNS if chart else 0
            )
            data.append({"range": f"{a1(sheet_title)}!A1", "values": tab_grid(blocks, size)})
            if chart:
                charts = (found or {}).get("charts", [])
                requests.append(
                    _chart_request(
                        sheet_id,
                        blocks[-1],
                        charts[0]["chartId"] if charts else None,
                        anchor_col=max(len(t.columns) for _, t in blocks) + 1,
                    )
                )
        requests.append({"updateSpreadsheetProperties": {"properties": {"title": summary.title}, "fields": "title"}})
        return requests + extra, data

    sheet.apply(summary.location, what, sheets, build)


def _client_blocks(name: str, tables: dict[str, Table]) -> list[tuple[int, Table]]:
    """Where each table of a client tab starts; the Summary also holds the chart's month table."""
    table = tables[name]
    if name != "Summary" or not len(tables["Statement"].frame):
        return [(0, table)]
    by_month = balance_by_month(tables["Statement"])
    pivot = Table(
        frame_of(["Month", *by_month.contract_ids], by_month.rows),
        {"Month": by_month.month_kind, **dict.fromkeys(by_month.contract_ids, "money")},
    )
    heading = Table(frame_of([CHART_TITLE], []), {CHART_TITLE: "text"})
    return [(0, table), (len(table.frame) + 2, heading), (len(table.frame) + 3, pivot)]


def _chart_request(sheet_id: int, block: tuple[int, Table], chart_id: int | None, anchor_col: int) -> dict:
    """The balance line chart over the month table: added once, then kept pointing at the data."""
    top, table = block

    def source(col: int) -> dict[str, Any]:
        return {
            "sourceRange": {
                "sources": [
                    {
                        "sheetId": sheet_id,
                        "startRowIndex": top,
                        "endRowIndex": top + 1 + len(table.frame),
                        "startColumnIndex": col,
                        "endColumnIndex": col + 1,
                    }
                ]
            }
        }

    spec = {
        "title": CHART_TITLE,
        "basicChart": {
            "chartType": "LINE",
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "axis": [{"position": "BOTTOM_AXIS", "title": "Month"}, {"position": "LEFT_AXIS", "title": "Balance"}],
            "domains": [{"domain": source(0)}],
            "series": [{"series": source(col), "targetAxis": "LEFT_AXIS"} for col in range(1, len(table.columns))],
        },
    }
    if chart_id is not None:
        return {"updateChartSpec": {"chartId": chart_id, "spec": spec}}
    return {
        "addChart": {
            "chart": {
                "spec": spec,
                "position": {
                    "overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": anchor_col}}
                },
            }
        }
    }
