"""The object tests hold: a running server plus direct access to what it stores."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

from . import a1, developer_metadata, drive, numfmt, values_api
from .a1 import Rect
from .faults import Faults
from .grid import BLANK, PLAIN, numbers
from .metadata import cell_json, protected_range_json, sheet_properties
from .quota import Quota
from .server import EmulatorServer
from .state import SPREADSHEET_MIME, Sheet, Spreadsheet, Store, new_sheet

DEFAULT_EMAIL = "sync@emulator.local"


class Emulator:
    """Google Sheets v4 + Drive v3 (the subset contract-sync uses) on http://127.0.0.1:<port>.

    Every bearer token is accepted (or none); the caller is `service_account_email`, which owns
    the files it creates and is listed as editor of the ranges it protects. With `quota`, Sheets
    requests are counted against Google's per-minute limits and refused with its 429 past them
    (quota.py); without it (the default) nothing is ever refused for quota.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        service_account_email: str = DEFAULT_EMAIL,
        verbose: bool = False,
        quota: Quota | None = None,
    ) -> None:
        self.service_account_email = service_account_email
        self.verbose = verbose
        self.quota = quota
        self.store = Store(service_account_email)
        self.faults = Faults()
        self.counts: Counter[tuple[str, str]] = Counter()
        self._counts_lock = threading.Lock()
        self._server = EmulatorServer((host, port), self)
        # A short poll keeps stop() quick: tests start and stop one server each.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="sheets-emulator", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.close_all()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, method: str, template: str) -> None:
        with self._counts_lock:
            self.counts[(method, template)] += 1

    def reset_counts(self) -> None:
        with self._counts_lock:
            self.counts.clear()

    # --- direct access to state, for arranging and checking tests ------------------------------

    def create_spreadsheet(
        self,
        title: str,
        sheets: dict[str, list[list[Any]]] | None = None,
        parents: list[str] | None = None,
        value_input: str = "RAW",
        owner: str | None = None,
    ) -> str:
        """A spreadsheet, its tabs filled from rows of Python values (str, int, float, Decimal,
        bool, None, date, datetime); returns its ID. Owned by the caller, or by `owner`: then
        the caller cannot open it until `add_permission` shares it."""
        with self.store.lock:
            file = self.store.create_file(title, SPREADSHEET_MIME, parents, owner)
            book = self.store.spreadsheets[file.id]
            if sheets:
                book.sheets = []
                for name, rows in sheets.items():
                    width = max((len(row) for row in rows), default=0)
                    sheet = new_sheet(
                        0 if not book.sheets else book.new_sheet_id(), name, max(1000, len(rows)), max(26, width)
                    )
                    book.sheets.append(sheet)
                    _fill(sheet, rows, value_input)
            return file.id

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self.store.spreadsheets.get(spreadsheet_id)
        if book is None:
            raise KeyError(f"no spreadsheet {spreadsheet_id}")
        return book

    def _sheet(self, spreadsheet_id: str, sheet_name: str) -> Sheet:
        sheet = self._book(spreadsheet_id).sheet_by_title(sheet_name)
        if sheet is None:
            raise KeyError(f"no sheet {sheet_name!r} in {spreadsheet_id}")
        return sheet

    def values(
        self, spreadsheet_id: str, sheet_name: str, render: str = "UNFORMATTED_VALUE", dates: str = "SERIAL_NUMBER"
    ) -> list[list[Any]]:
        """A tab's values as `values.get` would return them (trailing blanks dropped)."""
        with self.store.lock:
            sheet = self._sheet(spreadsheet_id, sheet_name)
            return [
                list(row) for row in values_api.read(sheet, Rect(0, 0, sheet.rows, sheet.cols), render, dates, "ROWS")
            ]

    def cell(self, spreadsheet_id: str, sheet_name: str, a1_cell: str) -> dict:
        """One cell's CellData (userEnteredValue, userEnteredFormat, note, effective/formatted)."""
        with self.store.lock:
            book = self._book(spreadsheet_id)
            sheet, rect = values_api.resolve(book, f"{a1.quote_title(sheet_name)}!{a1_cell}")
            return cell_json(sheet.cell(rect.start_row, rect.start_col))

    def sheet_properties(self, spreadsheet_id: str) -> list[dict]:
        with self.store.lock:
            book = self._book(spreadsheet_id)
            return [sheet_properties(book, sheet) for sheet in book.sheets]

    def protected_ranges(self, spreadsheet_id: str) -> list[dict]:
        """As spreadsheets.get lists them, except that `range.sheetId` is always present."""
        with self.store.lock:
            out = []
            for sheet in self._book(spreadsheet_id).sheets:
                for protected in sheet.protected_ranges:
                    shown = protected_range_json(protected, self.service_account_email)
                    shown["range"]["sheetId"] = sheet.id
                    out.append(shown)
            return out

    def developer_metadata(self, spreadsheet_id: str) -> list[dict]:
        """Every mark, as developerMetadata:search would find it: the spreadsheet's, then each sheet's."""
        with self.store.lock:
            book = self._book(spreadsheet_id)
            return [
                developer_metadata.to_json(entry)
                for entry in [
                    *book.developer_metadata,
                    *(entry for sheet in book.sheets for entry in sheet.developer_metadata),
                ]
            ]

    def charts(self, spreadsheet_id: str) -> list[dict]:
        with self.store.lock:
            return [
                {**chart, "sheetId": sheet.id} for sheet in self._book(spreadsheet_id).sheets for chart in sheet.charts
            ]

    def file(self, file_id: str) -> dict:
        """The full Drive resource (name, parents, times, permissions...)."""
        with self.store.lock:
            return drive.file_json(self.store, self.store.files[file_id])

    def permissions(self, file_id: str) -> list[dict]:
        return self.file(file_id)["permissions"]

    @property
    def notifications(self) -> list[dict]:
        """The sharing e-mails Drive would have sent: {fileId, emailAddress, role, message}."""
        with self.store.lock:
            return [dict(sent) for sent in self.store.notifications]

    def add_permission(self, file_id: str, permission: dict) -> dict:
        """Share a file, e.g. `{"type": "user", "role": "writer", "emailAddress": "a@b.com"}`."""
        with self.store.lock:
            file = self.store.files[file_id]
            return dict(drive.new_permission(file, permission, transfer_ownership=True))


def _fill(sheet: Sheet, rows: list[list[Any]], value_input: str) -> None:
    for r, row in enumerate(rows):
        kinds = set(map(type, row))
        if value_input == "RAW" and kinds <= PLAIN | {type(None)}:  # stored as they are: a row at a time
            sheet.grid.put_row(r, 0, numbers([BLANK if value is None else value for value in row]))
            continue
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, (dt.date, dt.datetime)):
                moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
                pattern = "yyyy-mm-dd H:mm:ss" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
                kind = "DATE_TIME" if isinstance(value, dt.datetime) else "DATE"
                sheet.set_cell(
                    r,
                    c,
                    {
                        "userEnteredValue": {"numberValue": numfmt.json_number(numfmt.datetime_to_serial(moment))},
                        "userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}},
                    },
                )
                continue
            if isinstance(value, Decimal):
                value = numfmt.json_number(float(value))
            values_api.put_value(sheet, r, c, value, value_input, f"values[{r}][{c}]")
