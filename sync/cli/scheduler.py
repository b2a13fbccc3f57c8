"""`python -m sync schedule`: run the sync every day at a set time, and with --every in between
(with --when-changed only when the book changed), until SIGINT or SIGTERM."""

from __future__ import annotations

import datetime as dt
import re
import select
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from types import FrameType
from typing import Protocol

import pytz
import schedule

from sync.errors import ConfigError, SyncError

LONGEST_WAIT = 60.0  # seconds: a clock change, DST or a suspended machine is noticed within this


class Stop(Protocol):
    """What serve() waits on: a threading.Event will do, or SignalStop."""

    def is_set(self) -> bool:
        """Whether stopping was asked for."""

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a stop; whether one was asked for."""


def serve(
    job: Callable[[dt.date], int],
    at: str,
    tz: str | None,
    once_now: bool,
    stop: Stop,
    log: Callable[[str], None] | None = None,
    every: int | None = None,
    changed: Callable[[], str | None] | None = None,
) -> None:
    """Call job(today) every day at `at` (HH:MM[:SS]) in time zone `tz` (default: this machine's),
    `today` being that day's date there; first once straight away when `once_now`. Returns once
    `stop` is set, after any run in progress. A run that fails (an exit code, even an exception)
    is logged and the next one runs anyway. Raises SyncError for a bad `at` or `tz`.

    With `every` (seconds), also every `every` seconds in between: a run, or with `changed` a check
    first, changed() saying why a run is due (logged before it) or None (nothing logged, no run). A
    check that fails (SyncError: Google out of reach) is one line in the log; the next one is tried."""
    log = log or _to_stderr
    at, zone = time_of_day(at), time_zone(tz)
    scheduler = schedule.Scheduler()  # not the module's global one: a second serve() would share it
    daily = scheduler.every().day.at(at, zone).do(_run_logged, job, zone, log)
    also = ""
    if every:
        scheduler.every(every).seconds.do(_check_logged, job, changed, zone, log)
        also = f", and every {shown_interval(every)}{' if the book changed' if changed else ''}"
    log(f"{_stamp(zone)} sync scheduled every day at {at} ({tz or _now(zone).tzname()}){also}")
    if once_now and not stop.is_set():
        _run_logged(job, zone, log)
    announced = None
    while not stop.is_set():
        if daily.next_run != announced:
            announced = daily.next_run
            assert announced is not None  # a job has its next run once scheduled
            log(f"{_stamp(zone)} next run at {_shown(announced.astimezone(zone))}")
        # idle_seconds is counted on the wall clock, a wait on the monotonic one: short waits keep them together.
        stop.wait(min(max(scheduler.idle_seconds or 0.0, 0.0), LONGEST_WAIT))
        if not stop.is_set():
            scheduler.run_pending()
    log(f"{_stamp(zone)} stopped")


def interval(text: str) -> int:
    """'10m' -> 600, '1h' -> 3600 (seconds); SyncError unless it is a whole number of minutes or hours."""
    found = re.fullmatch(r"\s*(\d{1,4})\s*(m|min|h)\s*", text or "")
    if not found or int(found[1]) == 0:
        raise ConfigError(f"--every must be a number of minutes or hours, such as 10m or 1h, not '{text}'")
    return int(found[1]) * (3600 if found[2] == "h" else 60)


def shown_interval(seconds: int) -> str:
    """600 -> '10 minutes', 3600 -> '1 hour'."""
    count, unit = (seconds // 3600, "hour") if seconds % 3600 == 0 else (seconds // 60, "minute")
    return f"{count} {unit}{'' if count == 1 else 's'}"


def time_of_day(text: str) -> str:
    """'2:00' -> '02:00:00'; SyncError unless it is a time of day, 24-hour clock."""
    found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", text or "")
    if not found or int(found[1]) > 23 or int(found[2]) > 59 or int(found[3] or 0) > 59:
        raise ConfigError(f"--at must be a time of day as HH:MM or HH:MM:SS (24-hour clock), not '{text}'")
    return f"{int(found[1]):02d}:{found[2]}:{found[3] or '00'}"


def time_zone(name: str | None) -> dt.tzinfo | None:
    """A zone from its IANA name (Europe/London); None stands for this machine's zone."""
    if name is None:
        return None
    try:
        return pytz.timezone(name.strip())
    except (pytz.UnknownTimeZoneError, AttributeError, ValueError):
        raise ConfigError(f"--tz: unknown time zone '{name}' (use a name such as Europe/London or UTC)") from None


class SignalStop:
    """Set by the given signals (SIGINT, SIGTERM) while in the `with` block; its wait() wakes at once.

    The handler only sets a flag: setting a threading.Event takes a lock, and doing that in a
    handler can deadlock the main thread it interrupted if that thread held the same lock. The
    wake-up comes from signal.set_wakeup_fd, which writes a byte to a socket the wait selects on."""

    def __init__(self, *signums: int) -> None:
        self.signums = signums
        self.requested = False

    def __enter__(self) -> SignalStop:
        self._receive, self._send = socket.socketpair()
        for end in (self._receive, self._send):
            end.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._send.fileno(), warn_on_full_buffer=False)
        self._old_handlers = {signum: signal.signal(signum, self._handle) for signum in self.signums}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._old_fd)
        self._receive.close()
        self._send.close()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    def is_set(self) -> bool:
        """Whether SIGINT or SIGTERM has arrived."""
        return self.requested

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for SIGINT or SIGTERM; whether one has arrived."""
        if not self.requested:
            readable, _, _ = select.select([self._receive], [], [], timeout)
            if readable:  # drain it, lest another signal's byte keep waking every wait
                try:
                    self._receive.recv(4096)
                except BlockingIOError:
                    pass
        return self.requested


def _run_logged(job: Callable[[dt.date], int], zone: dt.tzinfo | None, log: Callable[[str], None]) -> None:
    """One run, logged; never raises, as an exception would leave schedule's job due again at once."""
    log(f"{_stamp(zone)} sync started")
    start = time.monotonic()
    try:
        code = job(_now(zone).date())
    except Exception as error:  # a bug: the traceback helps to report it, and the next run goes ahead
        log(
            f"{_stamp(zone)} sync crashed after {time.monotonic() - start:.1f} s: "
            f"{type(error).__name__}: {error} (a bug; traceback follows)"
        )
        log(traceback.format_exc().rstrip())
        return
    log(f"{_stamp(zone)} sync finished: exit {code} in {time.monotonic() - start:.1f} s")


def _check_logged(
    job: Callable[[dt.date], int],
    changed: Callable[[], str | None] | None,
    zone: dt.tzinfo | None,
    log: Callable[[str], None],
) -> None:
    """A run between the daily ones: straight away without `changed`, else only when it says why;
    never raises, as _run_logged."""
    if changed is not None:
        try:
            why = changed()
        except SyncError as error:  # Google out of reach, say: the next check will tell
            log(f"{_stamp(zone)} check for changes failed: {error}")
            return
        except Exception as error:  # a bug, as in _run_logged
            log(f"{_stamp(zone)} check for changes crashed: {type(error).__name__}: {error} (a bug; traceback follows)")
            log(traceback.format_exc().rstrip())
            return
        if why is None:
            return
        log(f"{_stamp(zone)} {why}")
    _run_logged(job, zone, log)


def _now(zone: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.now(zone) if zone else dt.datetime.now().astimezone()


def _stamp(zone: dt.tzinfo | None) -> str:
    return _shown(_now(zone))


def _shown(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
