"""The sync lock of a Google spreadsheet: a lease that two syncs can never both hold.

Syncs on two machines share no file system, so the lock lives in the spreadsheet: a hidden,
protected tab 'Sync Lock' whose row 1 names the holder (token, who, since, until; UTC) and whose
sheetId is the lease's *version*. The Sheets API has no compare-and-set, but a batchUpdate applies
all of its requests or none ("If any request is not valid then the entire request will fail and
nothing will be applied"), and it refuses to delete a tab that is gone ("No sheet with id: N"). So
every change of the lock replaces the version a sync saw by a new one, in one batchUpdate:

    deleteSheet(seen), addSheet(new: hidden), updateCells(new: the row), addProtectedRange(new)

It applies only while the version seen is still there. Of two syncs that saw the same version one
wins, however late either request lands; and a request that lands after its sync gave up, or after
a retry of it was answered, changes nothing, because versions are random IDs never used twice.
Taking a free or run-out lease, renewing one (a new version, a new end) and letting go (a version
with a blank row) are all such replacements; only the first sync of a spreadsheet adds the tab
alone (refused when the title exists). An answer lost on its way back leaves the sync unsure
whether it applied: it reads the row, and its own token there means the lock is its own.

Requests: 2 to take the lock (read, replace), 1 to let go, 1 read per poll while another holds it,
1 to renew (only in a run longer than `seconds - margin_seconds`).

Clocks: a lease has run out when the time written in it has passed on the reader's clock (the HTTP
client's `clock`: the machine's, or a test's fake one). Before a write the holder renews its lease
when less than `margin_seconds` is left, so the write is done (retries included: retry_seconds, 2
minutes by default) long before a sync whose clock is some minutes ahead could think the lease has
run out.

A long run renews as it goes: a run under Google's quota waits its turn before each request
(http.Pace), at most a minute for one request, and confirm() comes before every write, so the
lease never gets nearer its end than the margin (15 minutes) less a minute or so of waiting. The
renewal is a write too, paced like the others: it may wait up to a minute for its turn, well
inside the margin. A first run of a thousand clients (about 2,000 writes, 36 minutes of quota)
renews about three times.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from gspread.exceptions import APIError

from sync.backends.google.http import API_ERRORS, Clock, explain
from sync.backends.locks import busy, clock, holder, parse_time, wait_for
from sync.errors import LockBusy, SyncError

LOCK_TAB = "Sync Lock"  # hidden; row 1 is the lease: holder token, who, acquired at, expires at (UTC)
LOCK_NOTE = "contract-sync lock: says which sync is running; the sync alone writes it"
LOCK_RANGE = "'Sync Lock'!A1:D1"
LOOK_FIELDS = "sheets(properties(sheetId,title),data(rowData(values(userEnteredValue))))"
# A replacement refused because the lock changed since it was read: the version seen is gone
# (deleteSheet), or another sync added the tab first (addSheet). Google's words for both.
CHANGED = ("No sheet with id", "already exists")


class Seen(NamedTuple):
    """The lock as read: its version (the tab's sheetId; None when there is no tab) and row 1."""

    version: int | None
    token: str = ""
    holder: str = ""
    since: str = ""
    expires: str = ""

    def free(self, now: dt.datetime) -> bool:
        """Blank, run out by `now`, or with an end that cannot be read: no one holds it."""
        ends = parse_time(self.expires)
        return not self.token or ends is None or ends <= now


class Lease:
    """One run's hold on the lock of one spreadsheet: take(), confirm() before each write, release()."""

    def __init__(
        self,
        http: Any,
        spreadsheet: str,
        account: str,
        protection: Callable[[int], dict[str, Any]],
        seconds: float,
        margin_seconds: float,
        poll_seconds: float,
    ) -> None:
        """A lease not yet taken, of `spreadsheet`'s lock for `account` through `http`: held for `seconds`,
        renewed when less than `margin_seconds` are left, looked at every `poll_seconds` while waiting;
        `protection` is the protected range of the lock's tab."""
        self.http, self.spreadsheet, self.account, self.protection = http, spreadsheet, account, protection
        self.seconds, self.margin_seconds, self.poll_seconds = seconds, margin_seconds, poll_seconds
        self.what = f"spreadsheet {spreadsheet}"
        self.clock = getattr(http, "clock", Clock())  # gspread's own client has none: the machine's
        self.token = uuid.uuid4().hex
        self.version: int | None = None  # the version this run holds; None while it holds none
        self.versions: set[int] = set()  # every version this run has held
        self.lost = ""  # why the run must stop, once its lease was taken over: every confirm() says so again
        self.since, self.ends = "", self.clock.now()
        self.sent: int | None = None  # the version of the last replacement sent

    def take(self, wait_seconds: float) -> None:
        """Hold the lock, waiting up to `wait_seconds` for another holder; LockBusy (exit 3) when
        it is still held then."""
        seen = Seen(None)

        def attempt() -> bool:
            nonlocal seen
            for _ in range(2):  # refused: the lock changed since the look, so look again and try once more
                seen = self._look()
                if seen.token == self.token:  # an attempt of ours applied, its answer lost
                    self._hold(seen)
                    return True
                now = self.clock.now()
                if not seen.free(now):
                    return False
                if self._replace(seen.version, [self.token, holder(), _utc(now), _utc(now + self._length)]):
                    return True
            return False

        try:
            taken = wait_for(attempt, wait_seconds, self.poll_seconds)
        except BaseException:
            if self.sent is not None:  # a replacement whose fate is unknown: undo it if it applied
                self._let_go(self.sent)
            raise
        if not taken:
            ends = parse_time(seen.expires)
            raise busy(
                self.what,
                seen.holder,
                parse_time(seen.since),
                wait_seconds,
                f"; its lease runs out at {clock(ends)}" if ends else "",
            )

    def confirm(self, sheets: Iterable[dict[str, Any]] = ()) -> None:
        """Raise LockBusy if the lease is no longer this run's; renew it when near its end.

        `sheets` are the spreadsheet's tabs as a metadata read after taking the lock saw them:
        another version there means the lock was taken over, found at no cost. (Google documents
        batchUpdate as atomic, yet collaborative merging has been seen to rename a clashing tab,
        'Main_conflict2130205573' in gspread issue 1160, instead of refusing it.)"""
        if self.lost:
            raise LockBusy(self.lost)
        if self.version is None:
            return
        sheets = list(sheets)
        tabs = [s["properties"] for s in sheets if s.get("properties", {}).get("title") == LOCK_TAB]
        if sheets and not (tabs and tabs[0].get("sheetId", 0) in self.versions):
            self._lost(None)
        now = self.clock.now()
        if (self.ends - now).total_seconds() > self.margin_seconds:
            return
        row = [self.token, holder(), self.since, _utc(now + self._length)]
        if self._replace(self.version, row):
            return
        seen = self._look()
        if seen.token != self.token:
            self._lost(seen)
        self._hold(seen)  # the renewal applied, its answer lost

    def release(self) -> None:
        """Let go, if the lease is still this run's; a failure leaves it to run out by itself."""
        if self.version is not None:
            self._let_go(self.version)

    @property
    def _length(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.seconds)

    def _hold(self, seen: Seen) -> None:
        assert seen.version is not None
        self.version = seen.version
        self.versions.add(seen.version)
        self.since = seen.since
        self.ends = parse_time(seen.expires) or self.clock.now()

    def _let_go(self, version: int) -> None:
        self.version = None
        try:
            self._replace(version, [])
        except SyncError:
            pass  # no worse than a killed holder: the lease runs out by itself

    def _lost(self, seen: Seen | None) -> None:
        self.version = None
        since = parse_time(seen.since) if seen else None
        who = ", ".join(filter(None, [seen.holder if seen else "", f"since {clock(since)}" if since else ""]))
        self.lost = (
            f"this sync's lease on {self.what} ran out and another sync{f' ({who})' if who else ''} "
            "took the lock over; stopped before writing more"
        )
        raise LockBusy(self.lost)

    def _look(self) -> Seen:
        """Read the lock's version and row in one request."""
        try:
            answer = self.http.fetch_sheet_metadata(
                self.spreadsheet, params={"ranges": LOCK_RANGE, "fields": LOOK_FIELDS}
            )
        except APIError as error:
            if error.code == 400 and "Unable to parse range" in str(error.error.get("message", "")):
                return Seen(None)  # no lock tab yet
            raise explain(error, self.what, self.account) from None
        except API_ERRORS as error:  # no answer, or no token: anything else is a bug, and goes on as one
            raise explain(error, self.what, self.account) from None
        sheet = (answer.get("sheets") or [{}])[0]
        rows = (sheet.get("data") or [{}])[0].get("rowData") or [{}]
        cells = [_text(cell.get("userEnteredValue")) for cell in rows[0].get("values") or []]
        return Seen(sheet.get("properties", {}).get("sheetId", 0), *(cells + [""] * 4)[:4])

    def _replace(self, old: int | None, row: list[str]) -> bool:
        """Replace version `old` (None: add the tab) by a new one holding `row` (blank: free), in
        one batchUpdate; False when refused because the lock changed. A row held becomes ours."""
        new = self.sent = secrets.randbelow(2**31 - 1) + 1
        requests: list[dict[str, Any]] = [{"deleteSheet": {"sheetId": old}}] if old is not None else []
        requests.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": new,
                        "title": LOCK_TAB,
                        "hidden": True,
                        "gridProperties": {"rowCount": 1, "columnCount": 4},
                    }
                }
            }
        )
        if row:
            requests.append(
                {
                    "updateCells": {
                        "start": {"sheetId": new},
                        "fields": "userEnteredValue",
                        "rows": [{"values": [{"userEnteredValue": {"stringValue": text}} for text in row]}],
                    }
                }
            )
        requests.append({"addProtectedRange": {"protectedRange": self.protection(new) | {"description": LOCK_NOTE}}})
        try:
            self.http.batch_update(self.spreadsheet, {"requests": requests})
        except APIError as error:
            if error.code == 400 and any(words in str(error.error.get("message", "")) for words in CHANGED):
                return False
            raise explain(error, self.what, self.account) from None
        except API_ERRORS as error:  # no answer, or no token: anything else is a bug, and goes on as one
            raise explain(error, self.what, self.account) from None
        if row:
            self._hold(Seen(new, *row))
        return True


def _utc(when: dt.datetime) -> str:
    return f"{when:%Y-%m-%dT%H:%M:%SZ}"


def _text(value: dict[str, Any] | None) -> str:
    """A cell's userEnteredValue as text ('' when blank): the sync writes strings, a person may not."""
    return str(next(iter(value.values()), "")) if value else ""
