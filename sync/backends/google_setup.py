"""One-off Google set-up commands: `init --sheet` (input tabs) and `share` (client spreadsheets)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sync.backends.google import EPOCH, GoogleSheet, new_sheet_id, a1
from sync.config import Config
from sync.errors import SyncError
from sync.init_book import EXAMPLE_ROWS
from sync.load import column_letter, input_frames
from sync.schema import INPUT_TAB_NAMES, INPUT_TABS, addresses, header_key
from sync.validate import validate

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
TEMPLATE_ROWS = 1000
FORMATS = {"Date": ("DATE", "yyyy-mm-dd"), "Start": ("DATE", "yyyy-mm-dd"), "End": ("DATE", "yyyy-mm-dd"),
           "From": ("DATE", "yyyy-mm-dd"), "Rate": ("NUMBER", "#,##0.00"), "Amount": ("NUMBER", "#,##0.00"),
           "Low Balance": ("NUMBER", "#,##0.00"), "Hours": ("TEXT", "@")}  # text, so 1:30 is not a time


def create_input_tabs(sheet: GoogleSheet) -> None:
    """Add every input tab (headers, example rows, formats, dropdowns) to a spreadsheet that has none."""
    what = f"spreadsheet {sheet.id}"
    existing = sheet.metadata(sheet.id, what)
    clash = [tab.name for tab in INPUT_TABS if header_key(tab.name) in existing]
    if clash:
        raise SyncError(f"{what} already has a '{clash[0]}' tab; init only adds tabs to a spreadsheet with none")
    requests: list[dict[str, Any]] = []
    data = []
    for tab in INPUT_TABS:
        sheet_id, names = new_sheet_id(tab.name), [column.name for column in tab.columns]
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": tab.name, "gridProperties": {
            "rowCount": TEMPLATE_ROWS, "columnCount": len(names), "frozenRowCount": 1}}}})
        requests.append(_repeat(sheet_id, 0, 1, 0, len(names), {"textFormat": {"bold": True}}, "textFormat.bold"))
        for col, name in enumerate(names):
            if name in FORMATS:
                kind, pattern = FORMATS[name]
                requests.append(_repeat(sheet_id, 1, TEMPLATE_ROWS, col, col + 1,
                                        {"numberFormat": {"type": kind, "pattern": pattern}}, "numberFormat"))
            rule = _dropdown(tab.name, name)
            if rule:
                requests.append({"setDataValidation": {"range": {
                    "sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": TEMPLATE_ROWS,
                    "startColumnIndex": col, "endColumnIndex": col + 1}, "rule": rule}})
        rows = [[_template_cell(example.get(name, "")) for name in names] for example in EXAMPLE_ROWS[tab.name]]
        data.append({"range": f"{a1(tab.name)}!A1", "values": [names, *rows]})
    sheet.call(what, "batch_update", sheet.id, {"requests": requests})
    sheet.call(what, "values_batch_update", sheet.id, {"valueInputOption": "RAW", "data": data})


def _repeat(sheet_id: int, top: int, bottom: int, left: int, right: int, fmt: dict, fields: str) -> dict:
    return {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": top, "endRowIndex": bottom,
                                     "startColumnIndex": left, "endColumnIndex": right},
                           "cell": {"userEnteredFormat": fmt}, "fields": f"userEnteredFormat.{fields}"}}


def _dropdown(tab: str, column: str) -> dict[str, Any] | None:
    if column == "Billable":
        return {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Y"},
                                                                 {"userEnteredValue": "N"}]},
                "strict": True, "showCustomUi": True}
    source = {"Contract ID": "Contracts", "Client ID": "Clients"}.get(column)
    if source is None or source == tab:
        return None
    return {"condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": f"={source}!$A$2:$A"}]},
            "strict": True, "showCustomUi": True}


def _template_cell(value: object) -> object:
    return (value - EPOCH).days if isinstance(value, dt.date) else value


def share_summaries(sheet: GoogleSheet, config: Config) -> list[str]:
    """Create missing client spreadsheets, share each read-only with its client, fill blank Summary Sheet cells.

    Cells are filled even when a later client fails, so no created spreadsheet is ever lost track of.
    """
    raw = sheet.read_tabs(list(INPUT_TAB_NAMES))
    book, _ = validate(input_frames(raw), config, dt.date.today())
    header = [header_key(cell) for cell in raw["Clients"][0]]
    if header_key("Summary Sheet") not in header:
        raise SyncError("the Clients tab has no Summary Sheet column: add one, then run share again")
    letter = column_letter(header.index(header_key("Summary Sheet")))
    title = sheet.sheets[header_key("Clients")]["properties"]["title"]
    lines, filled = [], []
    try:
        for client in book.clients.itertuples():
            location = client.summary_sheet and sheet.summary_location(client.client_id, client.summary_sheet)
            if not location:
                location = _create(sheet, f"{client.name} - contract summary", config.drive_folder)
                filled.append({"range": f"{a1(title)}!{letter}{client.row}",
                               "values": [[f"https://docs.google.com/spreadsheets/d/{location}"]]})
                lines.append(f"{client.client_id}: created spreadsheet {location}")
            added = _share(sheet, location, addresses(client.email), config)
            lines.append(f"{client.client_id}: shared read-only with {', '.join(added)}" if added
                         else f"{client.client_id}: already shared with every address")
    finally:
        if filled:
            sheet.call(f"spreadsheet {sheet.id}", "values_batch_update", sheet.id,
                        {"valueInputOption": "RAW", "data": filled})
    return lines


def _create(sheet: GoogleSheet, name: str, folder: str) -> str:
    body: dict[str, Any] = {"name": name, "mimeType": SPREADSHEET_MIME}
    if folder:
        body["parents"] = [folder]
    answer = sheet.call(f"creating '{name}'", "request", "post", DRIVE_FILES, json=body,
                         params={"supportsAllDrives": "true"})
    return answer.json()["id"]


def _share(sheet: GoogleSheet, location: str, emails: list[str], config: Config) -> list[str]:
    what = f"client spreadsheet {location}"
    have = {str(p.get("emailAddress", "")).lower() for p in sheet.call(what, "list_permissions", location)}
    added = []
    for email in emails:
        if email.lower() not in have:
            sheet.call(what, "insert_permission", location, email, perm_type="user", role="reader",
                        notify=config.share_notify, email_message=config.share_message or None)
            added.append(email)
    return added
