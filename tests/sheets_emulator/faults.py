"""Faults a test queues to see how a client copes: error bursts, dropped connections, slow
answers, requests that land late, a full Drive, a lost permission, an API not enabled in the
Cloud project.

A fault matches by HTTP method and route template (the keys of `Emulator.counts`, e.g.
`("POST", "/v4/spreadsheets/{id}:batchUpdate")`); leaving either out matches any. Faults are
used in the order they were queued, each `times` times.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from . import errors

DRIVE_CREATE = ("POST", "/drive/v3/files")


@dataclass
class Fault:
    kind: str  # "status", "drop", "slow", "late", "storage_quota", "permission_denied", "service_disabled"
    times: int
    method: str | None = None
    route: str | None = None
    status: int = 0
    seconds: float = 0.0
    applied: bool = False  # drop/slow: whether the request takes effect before the socket goes
    answer: bool = True  # late: whether the client gets an answer (else the socket goes at once)
    file: str | None = None  # only requests about this spreadsheet or Drive file (its ID in the path)
    # Set when a request takes this fault, and (late) once that request has been done: tests wait on them.
    taken: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)
    landed: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def matches(self, method: str, route: str, path: str = "") -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.route is None or self.route == route)
            and (self.file is None or f"/{self.file}" in path)
        )

    def error(self, route: str, method: str) -> errors.ApiError:
        drive = route.startswith("/drive/")
        if self.kind == "storage_quota":
            return errors.drive_storage_quota()
        if self.kind == "service_disabled":
            return errors.service_disabled(drive)
        if self.kind == "permission_denied":
            return errors.drive_permission_denied() if drive else errors.permission_denied()
        return errors.drive_failure(self.status) if drive else errors.sheets_failure(self.status, method == "GET")


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def _add(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queue.append(fault)
        return fault

    def fail(
        self,
        status: int = 429,
        times: int = 1,
        method: str | None = None,
        route: str | None = None,
        file: str | None = None,
    ) -> Fault:
        """Answer `status` with Google's body for it (429 RESOURCE_EXHAUSTED with details,
        500 INTERNAL, 503 UNAVAILABLE, 408...) instead of doing the request; with `file`, only
        to requests about that spreadsheet or Drive file."""
        return self._add(Fault("status", times, method, route, status=status, file=file))

    def drop_connection(
        self, times: int = 1, method: str | None = None, route: str | None = None, applied: bool = False
    ) -> Fault:
        """Close the socket without answering; with `applied`, only after the change was made
        (the case a retry must not double)."""
        return self._add(Fault("drop", times, method, route, applied=applied))

    def slow(self, seconds: float = 2.0, times: int = 1, method: str | None = None, route: str | None = None) -> Fault:
        """Do the request, then wait `seconds` before answering (a client that times out has
        still changed the spreadsheet, as on Google)."""
        return self._add(Fault("slow", times, method, route, seconds=seconds, applied=True))

    def late(
        self,
        seconds: float = 1.0,
        times: int = 1,
        method: str | None = None,
        route: str | None = None,
        answer: bool = True,
    ) -> Fault:
        """Hold the request `seconds` before doing it, so that requests sent after it are done
        first: a request that lands late. With `answer=False` the socket goes at once and the
        request is still done `seconds` later, after any retry of it. `fault.landed` is set once
        it has been done (or refused)."""
        return self._add(Fault("late", times, method, route, seconds=seconds, answer=answer))

    def storage_quota(self, times: int = 1) -> Fault:
        """Drive file creation refused with 403 storageQuotaExceeded (a service account's lot)."""
        return self._add(Fault("storage_quota", times, *DRIVE_CREATE))

    def permission_denied(self, times: int = 1, method: str | None = None, route: str | None = None) -> Fault:
        return self._add(Fault("permission_denied", times, method, route))

    def service_disabled(self, times: int = 1, method: str | None = None, route: str | None = None) -> Fault:
        """403 SERVICE_DISABLED: the API is not enabled in the caller's Cloud project."""
        return self._add(Fault("service_disabled", times, method, route))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._queue if fault.times > 0]

    def take(self, method: str, route: str, path: str = "") -> Fault | None:
        """The first queued fault for this request, used up once."""
        with self._lock:
            for fault in self._queue:
                if fault.times > 0 and fault.matches(method, route, path):
                    fault.times -= 1
                    fault.taken.set()
                    return fault
        return None
