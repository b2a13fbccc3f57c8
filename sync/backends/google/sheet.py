"""The team's book as a Google spreadsheet, through unmodified gspread: the Backend the pipeline uses.

The class is thin: it holds the connection, the lock and the spreadsheet's tabs as last seen, and
sends what the other modules say. reads.py reads (metadata, the input tabs in row blocks, number
columns again as shown), batch.py builds the batchUpdate requests, lease.py is the lock, http.py
the HTTP side and the one-line errors, summaries.py the client spreadsheets.

Request budget of a run (constant in contracts; it grows with rows only by read blocks):
  team spreadsheet: 1 metadata GET, then the input tabs in values:batchGet requests of at most
  READ_BLOCK_ROWS grid rows each (all of them in 1 request while the tabs' grids hold 25,000
  rows or fewer; a bigger tab is split into row blocks `'Time'!25001:50000`...); only when
  columns read as numbers (Hours, Amount, Rate...) hold numbers, those columns again with dateTimeRenderOption
  FORMATTED_STRING (to tell time, duration and date cells, which the API sends as serial numbers,
  from plain numbers: 1:30 typed into Hours, a date typed into Amount), in values:batchGet
  requests of at most COLUMN_BLOCK_ROWS rows (reads.py says why blocks); 1 batchUpdate (add and
  size output tabs, formats, protection), 1 values:batchUpdate with every output tab;
  each client spreadsheet: 1 Drive permissions.list (the audit), 1 metadata GET, 1 batchUpdate,
  1 values:batchUpdate, and the first time one without the sync's mark is written, 1 values:batchGet
  (summaries.py); once its write is recorded in Sync State, no metadata GET, a batchUpdate only
  when its layout changed and a values:batchUpdate only when some values did: nothing for a
  summary that did not change; then Sync State again (1 batchUpdate, 1 values:batchUpdate) when
  some summary's record changed;
  the lock (GoogleSheet.lock, lease.py): 2 to take the lease (read, replace) and 1 to let it go.
  run --when-changed and schedule --when-changed (fingerprint): 1 Drive files.get per check, and 1
  after a run to keep what it left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import gspread
from gspread.exceptions import APIError

from sync.backends import ClientSummary, Written
from sync.backends.google import reads
from sync.backends.google import summaries as google_summaries
from sync.backends.google.batch import Refused, Request, output_tabs, protection, sheets_after
from sync.backends.google.cells import spreadsheet_id
from sync.backends.google.http import API_ERRORS, DRIVE_FILES, explain
from sync.backends.google.lease import Lease
from sync.errors import GoogleAccessError, SyncError
from sync.model.raw import RawTab
from sync.model.schema import CLIENT_TABS, TEAM_TAB_NAMES, tab_key
from sync.model.table import Table

Build = Callable[[dict[str, dict[str, Any]]], tuple[list[Request], list[Request]]]


class GoogleSheet:
    """Reads input tabs and writes output tabs of one spreadsheet; client summaries are spreadsheets too."""

    name = "google"
    keeps_records = True  # in Sync State: the next write sends only what changed (summaries.py)

    def __init__(
        self,
        spreadsheet: str,
        client: gspread.Client,
        account: str,
        *,
        warning_only: bool = False,
        team_domain: str = "",
    ) -> None:
        """The spreadsheet `spreadsheet` (its ID or link) through `client`, acting as `account`; its output
        tabs protected, or only warned of (`warning_only`); people at `team_domain` may read summaries.
        GoogleAccessError when `spreadsheet` is not an ID or link. Sends nothing."""
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
        """Requests sent so far, retries included (None if the HTTP client does not count them)."""
        return getattr(self.http, "requests_made", None)

    @property
    def quota_wait_seconds(self) -> float | None:
        """Seconds waited so far to stay under Google's per-minute quota (None if the HTTP client does not pace)."""
        return getattr(self.http, "quota_wait_seconds", None)

    # --- the sync lock: a lease in the spreadsheet, as syncs on two machines share no file system ---

    lease_seconds = 30 * 60  # how long a killed holder blocks others at most; a run takes minutes
    lease_margin_seconds = 15 * 60  # renewed before a write when less is left: clock skew, a write's retries
    lease_poll_seconds = 5.0  # between looks at another's lease: a read each, 12 a minute

    @contextmanager
    def lock(self, wait_seconds: float) -> Iterator[None]:
        """Hold the lease of the hidden Sync Lock tab for the block (how: lease.py)."""
        lease = Lease(
            self.http,
            self.id,
            self.account,
            self.protection,
            self.lease_seconds,
            self.lease_margin_seconds,
            self.lease_poll_seconds,
        )
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

    def protection(self, sheet_id: int) -> Request:
        """The protected range of a tab the sync writes (warning_only, or editable by its account alone)."""
        return protection(sheet_id, self.account, self.warning_only)

    # --- the team spreadsheet ------------------------------------------------------------

    def call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """The HTTP client's `method`; an API or network failure as one line about `what`
        (GoogleAccessError). Any other exception is a bug, and goes on as it is (exit 70)."""
        try:
            return getattr(self.http, method)(*args, **kwargs)
        except API_ERRORS as error:
            explained = explain(error, what, self.account)
            if isinstance(error, APIError) and error.code == 400:
                raise Refused(str(explained)) from None  # the request names what is not there
            raise explained from None

    def metadata(self, spreadsheet: str, what: str, names: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """tab_key(title) -> sheet resource. Refuses (SyncError) a spreadsheet where two tabs match
        one of `names` or of the tabs the sync writes there (the team's or a client's)."""
        return reads.metadata(
            self.call, spreadsheet, what, names, also=TEAM_TAB_NAMES if spreadsheet == self.id else CLIENT_TABS
        )

    def read_tabs(self, names: list[str]) -> dict[str, RawTab]:
        """The rows of each of the tabs `names` that the spreadsheet has (reads.py)."""
        self.sheets = self.metadata(self.id, f"spreadsheet {self.id}", names)
        found = {name: self.sheets[tab_key(name)]["properties"] for name in names if tab_key(name) in self.sheets}
        if not found:
            return {}
        return reads.read_tabs(self.call, self.id, found)

    def fingerprint(self) -> str | None:
        """The spreadsheet's Drive modifiedTime (RFC 3339, to the millisecond), which every change
        moves, the sync's own writes and lease included: 1 Drive files.get, outside the Sheets quota.
        GoogleAccessError when Drive cannot be asked (GoogleUnavailable when it cannot be reached)."""
        url = f"{DRIVE_FILES}/{self.id}"
        params = {"fields": "modifiedTime", "supportsAllDrives": "true"}
        what = f"spreadsheet {self.id}"
        response = self.call(what, "request", "get", url, params=params)
        try:
            return response.json().get("modifiedTime") or None
        except API_ERRORS as error:  # an answer cut short or garbled
            raise explain(error, what, self.account) from None

    def write_tabs(self, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
        """One batchUpdate (tabs, sizes, formats, protection), then one values:batchUpdate of them all.
        Tabs named in `hidden` are hidden (and protected like every output tab).

        Tabs only ever grow here, and rows below the new figures are written blank: if the values
        call fails, every output tab still holds the previous run's figures, whole.
        """
        self.confirm_lock()
        # The sheets as read_tabs saw them, or (no read before) as they are: either way checked for two
        # tabs matching one name. Then as this write left them, so that a second write in the same
        # run (after alerts are sent, or a summary failed) plans from what the first created.
        what = f"spreadsheet {self.id}"
        self.sheets = self.apply(
            self.id,
            what,
            self.sheets or self.metadata(self.id, what, list(tables)),
            lambda sheets: output_tabs(sheets, tables, hidden, self.protection),
        )

    def apply(
        self, spreadsheet: str, what: str, sheets: dict[str, dict[str, Any]], build: Build
    ) -> dict[str, dict[str, Any]]:
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

    # --- client summaries (summaries.py) --------------------------------------------------

    def summary_location(self, client_id: str, target: str) -> str:
        """The ID of the spreadsheet a client's Summary Sheet cell names; SummaryRefused if it cannot be one."""
        return google_summaries.summary_location(self, target)

    def check_summary(self, location: str, client_id: str, title: str, allowed: list[str]) -> list[str]:
        """Who can open the summary beyond those `allowed` (the permission audit)."""
        return google_summaries.check_summary(self, location, allowed)

    def write_client_summaries(self, summaries: list[ClientSummary]) -> Written:
        """Write each client's spreadsheet, as far as its figures changed (summaries.py)."""
        return google_summaries.write_summaries(self, summaries)
