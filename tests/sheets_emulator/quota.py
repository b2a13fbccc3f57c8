"""Google's per-minute quota of the Sheets API, opt-in: `Emulator(quota=Quota(...))`.

Google's numbers (https://developers.google.com/workspace/sheets/api/limits, "Usage limits"):
read requests 300 a minute per project and 60 a minute per user per project; write requests the
same, counted apart. "Read requests are calls to any method that retrieves data from a
spreadsheet, such as get or search. Write requests are calls to any method that changes a
spreadsheet, such as update, clear, or copyTo." A batchUpdate counts once, however many requests
it holds. Drive API calls are another service's quota and are not counted here. Past a limit the
request is refused with Google's 429 body (errors.quota_exceeded); "after 1 minute, you can
execute requests again".

The emulator's reading (Google does not say): the quota is counted in minutes of the clock it is
given, each minute a bucket of its own (a request refused is not counted), and the user is the
bearer token (the sync's service account has one token; a second client with another token is
another user).

Clocks: a `FakeClock` shared in-process with the client (its sleep moves the clock on, so minutes
of quota pass in no time), or `ScaledClock(factor)`: the machine's time run `factor` times faster
(a server in another process).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable

from . import errors

SHEETS_PREFIX = "/v4/"
# POST routes that retrieve, not change: Google counts them as reads ("such as get or search").
READ_POSTS = (":search", ":getByDataFilter", ":batchGetByDataFilter")
PER_USER, PER_PROJECT = 60, 300  # Google's defaults, reads and writes alike (the usage limits page)


class FakeClock:
    """Time that moves only when someone sleeps: `monotonic()` in seconds, `now()` the wall clock
    (from `start`), `sleep(s)` moves both on at once. Thread-safe; share one between the emulator
    and the client."""

    def __init__(self, start: dt.datetime = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)) -> None:
        self.start, self.seconds = start, 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.seconds

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.monotonic())

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.seconds += max(0.0, seconds)


class ScaledClock:
    """The machine's clock run `factor` times faster (60: a quota minute is a second)."""

    def __init__(self, factor: float) -> None:
        self.factor, self._origin = factor, time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self.factor


def kind(method: str, template: str) -> str | None:
    """'read', 'write', or None for a request outside the Sheets quota (Drive)."""
    if not template.startswith(SHEETS_PREFIX):
        return None
    return "read" if method == "GET" or template.endswith(READ_POSTS) else "write"


class Quota:
    """Read and write buckets per minute, per user and per project; `refused` counts the 429s."""

    def __init__(
        self,
        clock: Callable[[], float] | FakeClock | ScaledClock | None = None,
        per_user: int = PER_USER,
        per_project: int = PER_PROJECT,
    ) -> None:
        """`clock`: seconds (a callable, or an object with `monotonic()`); the machine's by default."""
        monotonic = getattr(clock, "monotonic", clock)
        self.clock: Callable[[], float] = monotonic if callable(monotonic) else time.monotonic
        self.per_user, self.per_project = per_user, per_project
        self.used: Counter[tuple[int, str, str]] = Counter()  # (minute, kind, user or "") -> requests
        self.refused: Counter[str] = Counter()  # kind -> 429s answered
        self._lock = threading.Lock()

    def take(self, method: str, template: str, user: str) -> errors.ApiError | None:
        """Count one request of `user`; Google's 429 instead when a bucket of this minute is full."""
        counted = kind(method, template)
        if counted is None:
            return None
        with self._lock:
            minute = int(self.clock() // 60)
            if self.used[(minute, counted, user)] >= self.per_user:
                refusal = errors.quota_exceeded(counted == "read", per_user=True, limit=self.per_user)
            elif self.used[(minute, counted, "")] >= self.per_project:
                refusal = errors.quota_exceeded(counted == "read", per_user=False, limit=self.per_project)
            else:
                self.used[(minute, counted, user)] += 1
                self.used[(minute, counted, "")] += 1
                return None
            self.refused[counted] += 1
            return refusal
