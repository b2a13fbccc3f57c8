"""What the emulator remembers: Drive files, and a spreadsheet's sheets and cells.

Every change to a spreadsheet is made on a copy that replaces the original only when the
whole request succeeded: that is how batchUpdate and values:batchUpdate stay all-or-nothing,
as they are on Google. A sheet's cells live in a `Grid`, whose copies share their rows until
one side changes them.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import random
import secrets
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import errors
from .grid import Grid

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
DEFAULTS = json.loads((Path(__file__).parent / "google_defaults.json").read_text(encoding="utf-8"))
ID_CHARS = string.ascii_letters + string.digits + "-_"


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def later(stamp: str, previous: str) -> str:
    """`stamp`, or a millisecond after `previous` when it is not later (two changes in one millisecond,
    or a test's frozen clock): a file's modifiedTime moves on every change."""
    if stamp > previous:  # same format, so text order is time order
        return stamp
    moment = dt.datetime.strptime(previous, "%Y-%m-%dT%H:%M:%S.%fZ") + dt.timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_file_id() -> str:
    """44 characters starting with 1, like the IDs of Google-native files."""
    return "1" + "".join(secrets.choice(ID_CHARS) for _ in range(43))


def permission_id(identity: str) -> str:
    """Drive gives each user one permission ID on every file; derive it from the address."""
    return str(int(hashlib.sha256(identity.lower().encode()).hexdigest(), 16))[:20]


@dataclass
class Sheet:
    properties: dict  # SheetProperties without `index` (that is the sheet's place in the list)
    grid: Grid = field(default_factory=Grid)
    protected_ranges: list[dict] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    merges: list[dict] = field(default_factory=list)  # GridRanges, sheetId included
    # DimensionProperties set on single rows/columns: {"ROWS": {index: {...}}, "COLUMNS": {...}}
    dimension_properties: dict[str, dict[int, dict]] = field(default_factory=lambda: {"ROWS": {}, "COLUMNS": {}})
    # DeveloperMetadata on the sheet, or on one of its rows or columns (`location` says which)
    developer_metadata: list[dict] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.properties["sheetId"]

    @property
    def title(self) -> str:
        return self.properties["title"]

    @property
    def rows(self) -> int:
        return self.properties["gridProperties"]["rowCount"]

    @property
    def cols(self) -> int:
        return self.properties["gridProperties"]["columnCount"]

    @property
    def cell_count(self) -> int:
        grid = self.properties.get("gridProperties") or {}
        return grid.get("rowCount", 0) * grid.get("columnCount", 0)

    def copy(self) -> Sheet:
        return Sheet(
            copy.deepcopy(self.properties),
            self.grid.copy(),
            copy.deepcopy(self.protected_ranges),
            copy.deepcopy(self.charts),
            copy.deepcopy(self.merges),
            copy.deepcopy(self.dimension_properties),
            copy.deepcopy(self.developer_metadata),
        )

    def cell(self, row: int, col: int) -> dict | None:
        """One cell's CellData as set by clients (a new dict), or None."""
        return self.grid.cell(row, col)

    def set_cell(self, row: int, col: int, cell: dict | None) -> None:
        self.grid.set_cell(row, col, cell)


def new_sheet(sheet_id: int, title: str, rows: int = 1000, cols: int = 26) -> Sheet:
    return Sheet(
        {
            "sheetId": sheet_id,
            "title": title,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": rows, "columnCount": cols},
        }
    )


@dataclass
class Spreadsheet:
    id: str
    properties: dict
    sheets: list[Sheet]
    developer_metadata: list[dict] = field(default_factory=list)  # located on the whole spreadsheet

    def copy(self) -> Spreadsheet:
        return Spreadsheet(
            self.id,
            copy.deepcopy(self.properties),
            [sheet.copy() for sheet in self.sheets],
            copy.deepcopy(self.developer_metadata),
        )

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((sheet for sheet in self.sheets if sheet.id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        exact = next((sheet for sheet in self.sheets if sheet.title == title), None)
        return exact or next((sheet for sheet in self.sheets if sheet.title.lower() == title.lower()), None)

    def cell_count(self) -> int:
        return sum(sheet.cell_count for sheet in self.sheets)

    def check_cell_limit(self) -> None:
        if self.cell_count() > errors.CELL_LIMIT:
            raise errors.invalid_argument(errors.CELL_LIMIT_MESSAGE)

    def new_sheet_id(self) -> int:
        taken = {sheet.id for sheet in self.sheets}
        while True:
            candidate = random.randrange(1, 2**31)
            if candidate not in taken:
                return candidate

    def default_title(self) -> str:
        n = len(self.sheets) + 1
        while self.sheet_by_title(f"Sheet{n}"):
            n += 1
        return f"Sheet{n}"


def new_spreadsheet(file_id: str, title: str) -> Spreadsheet:
    properties = {
        "title": title,
        "locale": "en_US",
        "autoRecalc": "ON_CHANGE",
        "timeZone": "Etc/GMT",
        **copy.deepcopy(DEFAULTS),
    }
    return Spreadsheet(file_id, properties, [new_sheet(0, "Sheet1")])


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: list[str]
    created: str
    modified: str
    permissions: list[dict] = field(default_factory=list)


class Store:
    """All files and spreadsheets, behind one lock (requests arrive on many threads)."""

    def __init__(self, owner_email: str) -> None:
        self.owner_email = owner_email
        self.lock = threading.RLock()
        self.files: dict[str, DriveFile] = {}
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.notifications: list[dict] = []  # the e-mails Drive would have sent about new permissions

    def create_file(
        self, name: str, mime_type: str, parents: list[str] | None = None, owner: str | None = None
    ) -> DriveFile:
        """A new file owned by the caller (or by `owner`, leaving the caller without access)."""
        owner = owner or self.owner_email
        stamp = now()
        permission = {
            "kind": "drive#permission",
            "id": permission_id(owner),
            "type": "user",
            "emailAddress": owner,
            "role": "owner",
            "displayName": owner.split("@")[0],
            "deleted": False,
            "pendingOwner": False,
        }
        file = DriveFile(new_file_id(), name, mime_type, list(parents or []), stamp, stamp, [permission])
        self.files[file.id] = file
        if mime_type == SPREADSHEET_MIME:
            self.spreadsheets[file.id] = new_spreadsheet(file.id, name)
        return file

    def role(self, file: DriveFile) -> str | None:
        """The caller's best role on a file: as a user, through its domain, or as anyone."""
        domain = self.owner_email.split("@")[-1].lower()
        ranks = ("reader", "commenter", "writer", "fileOrganizer", "organizer", "owner")
        roles = [
            p["role"]
            for p in file.permissions
            if (p["type"] in ("user", "group") and p.get("emailAddress", "").lower() == self.owner_email.lower())
            or (p["type"] == "domain" and p.get("domain", "").lower() == domain)
            or p["type"] == "anyone"
        ]
        return max(roles, key=ranks.index, default=None)

    def delete_file(self, file_id: str) -> None:
        self.files.pop(file_id, None)
        self.spreadsheets.pop(file_id, None)

    def commit(self, book: Spreadsheet) -> None:
        """Replace a spreadsheet by its changed copy; Drive sees the new title and time."""
        self.spreadsheets[book.id] = book
        file = self.files.get(book.id)
        if file:
            file.name = book.properties["title"]
            file.modified = later(now(), file.modified)
