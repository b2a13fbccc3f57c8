"""--when-changed: whether the team's book changed since the last run, against what that run left.

After a run has written (and, on Google, let go of its lease, a write too) the book's fingerprint
(Backend.fingerprint: a file's modification time and size, a spreadsheet's Drive modifiedTime) is
kept in a small JSON file of the state folder (config.state_dir), one per book, named by a digest of
the workbook's path or the spreadsheet's ID; a check compares the fingerprint now with it, so the
run's own writes never count as a change. No record, or one that cannot be read, counts as a change.

What a record cannot see: an edit made on Google while a run is going, after the run read the
tabs, moves modifiedTime before the run's last write does, and the record takes it for the run's
own. It is in the book at the next run all the same: the next edit's, or the daily one's. (A local
workbook saved while a run is going is not written over: that run fails and records nothing.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from sync.backends.files import replace_file
from sync.config import state_dir
from sync.errors import ConfigError


class LastRun(NamedTuple):
    """What the last run of a book left: its fingerprint after the run's last write, and when."""

    fingerprint: str
    finished: dt.datetime  # local time, to the second


def record_file(book: str) -> Path:
    """Where the last run of `book` (a workbook's resolved path or a spreadsheet's ID) is kept."""
    return state_dir() / "last-run" / f"{hashlib.sha256(book.encode()).hexdigest()[:24]}.json"


def last_run(book: str) -> LastRun | None:
    """The last run of `book` on record; None when there is none, or it cannot be read."""
    try:
        found = json.loads(record_file(book).read_text(encoding="utf-8"))
        return LastRun(str(found["fingerprint"]), dt.datetime.fromisoformat(found["finished"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def has_record(book: str) -> bool:
    """Whether a --when-changed run of `book` has kept a record here, which every run then keeps up to date."""
    return record_file(book).is_file()


def remember(book: str, fingerprint: str, finished: dt.datetime) -> None:
    """Keep `fingerprint` as what the last run of `book` left (replacing the file atomically)."""
    path = record_file(book)
    os.makedirs(path.parent, exist_ok=True)
    text = json.dumps({"book": book, "fingerprint": fingerprint, "finished": finished.isoformat(timespec="seconds")})
    replace_file(path, lambda handle: handle.write(text.encode("utf-8")))


def forget(book: str) -> None:
    """Drop the record of `book` as a run starts, so that one that fails leaves the next check to run
    again; ConfigError when the record cannot be dropped."""
    path = record_file(book)
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise ConfigError(
            f"cannot remove {path} (the record of the last run, for --when-changed): {error.strerror or error}; "
            "set SYNC_STATE_DIR to a folder this user may write"
        ) from None


def unchanged(book: str, fingerprint: str | None) -> LastRun | None:
    """The last run on record when `book` is as that run left it; None when a run is due."""
    last = last_run(book)
    return last if last is not None and fingerprint is not None and fingerprint == last.fingerprint else None


def change_since(book: str, fingerprint: str | None) -> str | None:
    """Why a run is due, one line (no run on record, the book changed since the last one); None when
    the book is as the last run left it."""
    last = last_run(book)
    if last is None:
        return "no earlier run on record here"
    if fingerprint is not None and fingerprint == last.fingerprint:
        return None
    return f"changed since the last run at {shown(last.finished)}"


def shown(moment: dt.datetime) -> str:
    """A record's time as lines say it."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")
