"""The spreadsheet seam: every backend reads input tabs and writes output tabs."""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager
from typing import NamedTuple, Protocol

from sync.model.raw import RawTab
from sync.model.schema import CLIENT_TABS
from sync.model.table import Table
from sync.shape.dashboard import Dashboard, client_dashboard


class ClientSummary(NamedTuple):
    """One client's summary book: where it goes, whose it is, its title and its tables (CLIENT_TABS)."""

    location: str
    client_id: str
    title: str
    tables: dict[str, Table]
    dashboard: Dashboard | None = None  # the Summary tab; None: client_dashboard of the tables, named by the title
    recorded: str = ""  # what the backend reported of its last write here (the Sync State row's Note); "": nothing

    def board(self) -> Dashboard:
        """The Summary tab to draw."""
        return self.dashboard or client_dashboard(self.title, self.tables)


class Written(NamedTuple):
    """What write_client_summaries did with the summaries it was given."""

    failed: dict[str, str]  # location -> the one-line reason, for each summary not written
    unchanged: frozenset[str] = frozenset()  # locations left as they were: nothing they show changed
    # Client ID -> what its write left for the next run to be given (ClientSummary.recorded; "" when it
    # failed); None for a backend that keeps no such record
    records: dict[str, str] | None = None

    @staticmethod
    def joined(parts: list[Written]) -> Written:
        """Several writes' outcomes as one."""
        records = [part.records for part in parts if part.records is not None]
        return Written(
            {location: why for part in parts for location, why in part.failed.items()},
            frozenset().union(*(part.unchanged for part in parts)),
            {client: note for found in records for client, note in found.items()} if records else None,
        )


OPTIONAL_CLIENT_TABS = ("Periods", "Requests")  # only in the book of a client they apply to


def client_tabs(tables: dict[str, Table]) -> list[str]:
    """The tabs of a client's book: every CLIENT_TABS one, but Periods only for a client with a retainer
    and Requests only for one with requests they may see."""
    return [name for name in CLIENT_TABS if name not in OPTIONAL_CLIENT_TABS or name in tables]


def client_mark(client_id: str) -> str:
    """A Client ID as the mark a summary carries: a spreadsheet keeps at most 255 characters of a
    property, so a longer ID is marked by its digest."""
    if len(client_id.encode("utf-16-le")) <= 2 * 255:
        return client_id
    return "sha256:" + hashlib.sha256(client_id.encode("utf-8")).hexdigest()


class Backend(Protocol):
    """Where the team's book lives. Implementations: local .xlsx, in-memory, Google Sheets."""

    name: str
    keeps_records: bool  # whether its summaries' writes leave records for the next run (Written.records)

    def read_tabs(self, names: list[str]) -> dict[str, RawTab]:
        """Return the named tabs that exist (missing ones are simply absent)."""

    def write_tabs(self, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
        """Replace these output tabs whole, all together or not at all; never touch others.
        Tabs named in `hidden` are hidden from view and protected (the Sync State tab)."""

    def lock(self, wait_seconds: float) -> AbstractContextManager[None]:
        """Hold the book's sync lock for the block: only one sync of a book runs at once, wherever
        it runs. Waits up to `wait_seconds` for another holder, then raises LockBusy (exit 3). A
        lock whose holder died does not block: it is released (a file lock) or expires (a lease)."""

    def fingerprint(self) -> str | None:
        """What changes when someone edits the book, cheaply (no read of its tabs): a local file's
        modification time and size, a Google spreadsheet's Drive modifiedTime; None when unknown."""

    @property
    def api_requests(self) -> int | None:
        """API requests made so far (None for a local file)."""

    @property
    def quota_wait_seconds(self) -> float | None:
        """Seconds waited so far to stay under the API's per-minute quota (None for a local file)."""

    def confirm_lock(self) -> None:
        """Raise LockBusy when this run no longer holds the book's lock (a lease that ran out and was
        taken over); a lease near its end is renewed. The pipeline calls it before e-mailing; a
        backend whose lock can be lost calls it before each of its writes too."""

    def summary_location(self, client_id: str, target: str) -> str:
        """Where a client's summary goes, from its Summary Sheet cell (blank = the default); no I/O.

        Raises SummaryRefused with a one-line reason when `target` cannot be used."""

    def check_summary(self, location: str, client_id: str, title: str, allowed: list[str]) -> list[str]:
        """Before the run writes: raise SummaryRefused when this summary must not be written at its
        `location` (it is not this sync's summary of this client, it cannot be reached, ...); otherwise
        one line per person or group beyond `allowed` who can open it (none for files)."""

    def write_client_summaries(self, summaries: list[ClientSummary]) -> Written:
        """Write each client's summary book (tabs Summary, Activity, Payments, Statement, Periods),
        each checked again just before its write as check_summary does, and only as far as what it
        shows changed. Returns which were not written and why (one failing client never stops the
        others), which were left as they were, and what each write left for the next run."""
