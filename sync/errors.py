"""Problems with the team's rows are data (Problem); a run that cannot go on raises SyncError."""
from __future__ import annotations

from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]


class Problem(NamedTuple):
    """One row of the Errors tab. `row` is the sheet row number a person sees (header = 1)."""

    tab: str
    row: int
    column: str
    value: str
    problem: str
    severity: Severity = "error"


class SyncError(Exception):
    """The run cannot go on (missing file, tab or column, unreadable book, bad config): exit 2."""

    exit_code = 2


class SyncBusy(SyncError):
    """Another sync holds the book's lock and did not let go within the wait: exit 3."""

    exit_code = 3
