"""What the two sync locks share: who holds one, waiting a bounded time, and the busy message."""

from __future__ import annotations

import datetime as dt
import errno
import os
import socket
import time
from collections.abc import Callable

from sync.errors import BookError, LockBusy

try:
    import fcntl
except ImportError:  # Windows: msvcrt's byte-range lock instead, which Windows also drops when its holder dies
    fcntl = None  # type: ignore[assignment]
    import msvcrt

WINDOWS_LOCK_BYTE = 1 << 30  # the byte msvcrt locks: far past the holder's note, which waiters must read


def holder() -> str:
    """This process as a person reads it in a busy message: 'pid 123 on host build-1'."""
    return f"pid {os.getpid()} on host {socket.gethostname()}"


def wait_for(
    attempt: Callable[[], bool], wait_seconds: float, poll_seconds: float, sleep: Callable[[float], None] = time.sleep
) -> bool:
    """Call `attempt` until it returns True or `wait_seconds` have passed (it is tried at least
    once, and once more at the deadline); False when it never succeeded."""
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        if attempt():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sleep(min(poll_seconds, left))


def clock(when: dt.datetime) -> str:
    """An aware time in this machine's zone: '02:00:01' today, '2026-06-30 02:00:01' another day."""
    local = when.astimezone()
    today = dt.datetime.now().astimezone().date()
    return f"{local:%H:%M:%S}" if local.date() == today else f"{local:%Y-%m-%d %H:%M:%S}"


def parse_time(text: object) -> dt.datetime | None:
    """An ISO time as written by a lock holder (always with its offset); None when it is not one."""
    try:
        when = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def busy(what: str, holder_text: str, since: dt.datetime | None, wait_seconds: float, note: str = "") -> LockBusy:
    """LockBusy: 'another sync (pid 123 on host x, since 02:00:01) is running on team.xlsx; gave up after 600 s'."""
    who = ", ".join(filter(None, [holder_text, f"since {clock(since)}" if since else ""]))
    return LockBusy(
        f"another sync{f' ({who})' if who else ''} is running on {what}; gave up after {wait_seconds:g} s{note}"
    )


def try_lock_file(fd: int, path: object) -> bool:
    """Take the exclusive OS lock on an open file without waiting; False when another holds it.
    The kernel drops the lock when its holder exits or is killed, so a dead sync never blocks."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # untested here: the sync runs nightly on Linux
            os.lseek(fd, WINDOWS_LOCK_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK):
            return False
        # e.g. ENOLCK on a file system without locks: refuse rather than run unguarded
        raise BookError(f"cannot lock {path}: {exc.strerror or exc}") from None


def unlock_file(fd: int) -> None:
    """Release the lock lock_file took on the open file `fd`."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, WINDOWS_LOCK_BYTE, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
