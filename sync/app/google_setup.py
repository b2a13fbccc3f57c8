"""One-off Google set-up commands: `init --sheet` (input tabs) and `share` (client spreadsheets)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from sync.app.init_book import INSTRUCTIONS, instruction_rows
from sync.backends.cells import money_format
from sync.backends.google.cells import a1, new_sheet_id
from sync.backends.google.http import DRIVE_FILES
from sync.backends.google.sheet import GoogleSheet
from sync.backends.google.summaries import mark_requests
from sync.config import Config
from sync.errors import BookError, SummaryRefused
from sync.model.frames import client_rows
from sync.model.schema import INPUT_TAB_NAMES, INPUT_TABS, addresses, header_key, tab_key
from sync.rules.cells import parse_text
from sync.rules.load import column_letter, input_frames
from sync.rules.validate import validate

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
LINK = "https://docs.google.com/spreadsheets/d/"
TEMPLATE_ROWS = 1000
FORMATS = {
    "Date": ("DATE", "yyyy-mm-dd"),
    "Start": ("DATE", "yyyy-mm-dd"),
    "End": ("DATE", "yyyy-mm-dd"),
    "From": ("DATE", "yyyy-mm-dd"),
    "Rate": ("NUMBER", money_format(2)),
    "Amount": ("NUMBER", money_format(2)),
    "Low Balance": ("NUMBER", money_format(2)),
    "Hours": ("TEXT", "@"),
}  # text, so 1:30 is not a time


def create_input_tabs(sheet: GoogleSheet) -> None:
    """Add the Instructions tab (each input tab's columns with example rows, which the sync never
    reads: init_book.instruction_rows) and every input tab (headers, formats, dropdowns, no rows) to
    a spreadsheet that has none of them."""
    what = f"spreadsheet {sheet.id}"
    existing = sheet.metadata(sheet.id, what)
    clash = [name for name in (*INPUT_TAB_NAMES, INSTRUCTIONS) if tab_key(name) in existing]
    if clash:
        raise BookError(f"{what} already has a '{clash[0]}' tab; init only adds tabs to a spreadsheet with none")
    requests, data = _instructions_tab()
    for tab in INPUT_TABS:
        sheet_id, names = new_sheet_id(tab.name), [column.name for column in tab.columns]
        requests.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": sheet_id,
                        "title": tab.name,
                        "gridProperties": {"rowCount": TEMPLATE_ROWS, "columnCount": len(names), "frozenRowCount": 1},
                    }
                }
            }
        )
        requests.append(_repeat(sheet_id, 0, 1, 0, len(names), {"textFormat": {"bold": True}}, "textFormat.bold"))
        for col, name in enumerate(names):
            if name in FORMATS:
                kind, pattern = FORMATS[name]
                requests.append(
                    _repeat(
                        sheet_id,
                        1,
                        TEMPLATE_ROWS,
                        col,
                        col + 1,
                        {"numberFormat": {"type": kind, "pattern": pattern}},
                        "numberFormat",
                    )
                )
            rule = _dropdown(tab.name, name)
            if rule:
                requests.append(
                    {
                        "setDataValidation": {
                            "range": {
                                "sheetId": sheet_id,
                                "startRowIndex": 1,
                                "endRowIndex": TEMPLATE_ROWS,
                                "startColumnIndex": col,
                                "endColumnIndex": col + 1,
                            },
                            "rule": rule,
                        }
                    }
                )
        data.append({"range": f"{a1(tab.name)}!A1", "values": [names]})
    sheet.call(what, "batch_update", sheet.id, {"requests": requests})
    sheet.call(what, "values_batch_update", sheet.id, {"valueInputOption": "RAW", "data": data})


def _instructions_tab() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The requests that add the Instructions tab, its headings in bold, and its values."""
    rows = instruction_rows()
    sheet_id = new_sheet_id(INSTRUCTIONS)
    requests: list[dict[str, Any]] = [
        {
            "addSheet": {
                "properties": {  # first, where a new user looks
                    "sheetId": sheet_id,
                    "title": INSTRUCTIONS,
                    "index": 0,
                    "gridProperties": {"rowCount": len(rows) + 1},
                }
            }
        }
    ]
    width = max(len(cells) for _, cells in rows)
    requests += [
        _repeat(sheet_id, row, row + 1, 0, width, {"textFormat": {"bold": True}}, "textFormat.bold")
        for row, (kind, _) in enumerate(rows)
        if kind in ("title", "tab", "header")
    ]
    return requests, [{"range": f"{a1(INSTRUCTIONS)}!A1", "values": [cells for _, cells in rows]}]


def _repeat(sheet_id: int, top: int, bottom: int, left: int, right: int, fmt: dict, fields: str) -> dict:
    return {
        "repeatCell": {
            "range": {
                "sheetId": sheet_id,
                "startRowIndex": top,
                "endRowIndex": bottom,
                "startColumnIndex": left,
                "endColumnIndex": right,
            },
            "cell": {"userEnteredFormat": fmt},
            "fields": f"userEnteredFormat.{fields}",
        }
    }


def _dropdown(tab: str, column: str) -> dict[str, Any] | None:
    if column == "Billable":
        return {
            "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Y"}, {"userEnteredValue": "N"}]},
            "strict": True,
            "showCustomUi": True,
        }
    source = {"Contract ID": "Contracts", "Client ID": "Clients"}.get(column)
    if source is None or source == tab:
        return None
    return {
        "condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": f"={source}!$A$2:$A"}]},
        "strict": True,
        "showCustomUi": True,
    }


def share_summaries(sheet: GoogleSheet, config: Config) -> list[str]:
    """Create missing client spreadsheets, share each read-only with its client, fill blank Summary Sheet cells.

    It holds the sync's lock, as a run does, and puts each new link in the row of its Client ID as
    the Clients tab is when the links are written: a row inserted meanwhile cannot move a link to
    another client. Each new spreadsheet carries the sync's mark for its client from the start, so a
    link that ends up in the wrong row anyway is refused by the run, never written. Links are
    written even when a later client fails, so no created spreadsheet is ever lost track of.
    """
    with sheet.lock(config.lock_wait):
        raw = sheet.read_tabs(list(INPUT_TAB_NAMES))
        book, _ = validate(input_frames(raw), config, dt.date.today())
        header = [header_key(cell) for cell in raw["Clients"][0]]
        if header_key("Summary Sheet") not in header:
            raise BookError("the Clients tab has no Summary Sheet column: add one, then run share again")
        lines, created = [], {}
        try:
            for client in client_rows(book.clients):
                if client.summary_sheet:
                    try:
                        location = sheet.summary_location(client.client_id, client.summary_sheet)
                    except SummaryRefused as reason:
                        lines.append(f"{client.client_id}: Summary Sheet {reason}; not shared")
                        continue
                else:
                    location = _create(sheet, f"{client.name} - contract summary", config.drive_folder)
                    sheet.call(
                        f"client spreadsheet {location}",
                        "batch_update",
                        location,
                        {"requests": mark_requests(client.client_id, sheet.id)},
                    )
                    created[client.client_id] = location
                    lines.append(f"{client.client_id}: created spreadsheet {location}")
                added = _share(sheet, location, addresses(client.email), config)
                lines.append(
                    f"{client.client_id}: shared read-only with {', '.join(added)}"
                    if added
                    else f"{client.client_id}: already shared with every address"
                )
        finally:
            if created:
                lines += _link(sheet, created)
    return lines


def _link(sheet: GoogleSheet, created: dict[str, str]) -> list[str]:
    """Write each new spreadsheet's link into the blank Summary Sheet cell of the one row of its
    Client ID, on the Clients tab read again now; a line for each link that has no such row."""
    rows = sheet.read_tabs(["Clients"]).get("Clients") or [[]]
    header = [header_key(cell) for cell in rows[0]]
    if header_key("Client ID") not in header or header_key("Summary Sheet") not in header:
        return [
            f"{client_id}: the Clients tab changed; put {LINK}{location} in its Summary Sheet cell yourself"
            for client_id, location in created.items()
        ]
    id_col, link_col = header.index(header_key("Client ID")), header.index(header_key("Summary Sheet"))
    cells = [[*row, None, None][: max(id_col, link_col) + 1] for row in rows[1:]]
    ids = parse_text(pd.Series([row[id_col] for row in cells], dtype=object)).tolist()
    blank = parse_text(pd.Series([row[link_col] for row in cells], dtype=object)).eq("").tolist()
    title = sheet.sheets[tab_key("Clients")]["properties"]["title"]
    data, lines = [], []
    for client_id, location in created.items():
        at = [r for r, found in enumerate(ids) if found == client_id]
        if len(at) != 1 or not blank[at[0]]:
            why = (
                "is no longer on the Clients tab"
                if not at
                else "is on more than one row"
                if len(at) > 1
                else "has a Summary Sheet now"
            )
            lines.append(
                f"{client_id}: {why}; its new spreadsheet {LINK}{location} was not linked: put it in "
                "the right Summary Sheet cell yourself"
            )
            continue
        data.append({"range": f"{a1(title)}!{column_letter(link_col)}{at[0] + 2}", "values": [[LINK + location]]})
    if data:
        sheet.confirm_lock()
        sheet.call(
            f"spreadsheet {sheet.id}", "values_batch_update", sheet.id, {"valueInputOption": "RAW", "data": data}
        )
    return lines


def _create(sheet: GoogleSheet, name: str, folder: str) -> str:
    body: dict[str, Any] = {"name": name, "mimeType": SPREADSHEET_MIME}
    if folder:
        body["parents"] = [folder]
    answer = sheet.call(
        f"creating '{name}'", "request", "post", DRIVE_FILES, json=body, params={"supportsAllDrives": "true"}
    )
    return answer.json()["id"]


def _share(sheet: GoogleSheet, location: str, emails: list[str], config: Config) -> list[str]:
    what = f"client spreadsheet {location}"
    have = {str(p.get("emailAddress", "")).lower() for p in sheet.call(what, "list_permissions", location)}
    added = []
    for email in emails:
        if email.lower() not in have:
            sheet.call(what, "create_permission", location, email, "reader", config.share_notify, config.share_message)
            added.append(email)
    return added
