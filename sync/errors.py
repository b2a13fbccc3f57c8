"""Problems with the team's rows are data (Problem); a run that cannot go on raises a SyncError:
ConfigError, BookError, GoogleAccessError, LockBusy or InternalError."""

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
    """The root of every error that stops a command: the sync cannot go on. Each kind below says
    which exit code it ends the command with; `sync.cli.failed` is the one place they are printed."""

    exit_code = 2


class ConfigError(SyncError):
    """A setting, a settings file, an environment variable or a command-line option is wrong: exit 2."""


class BookError(SyncError):
    """The team book cannot be used: not found, unreadable, not an .xlsx, damaged, a tab or column
    missing or repeated, or it cannot be written: exit 2. Nothing was written."""


class GoogleAccessError(SyncError):
    """Google cannot be reached as asked: no or bad credentials, no access to the spreadsheet, an
    API disabled, a refusal that retries did not get past: exit 2."""


class LockBusy(SyncError):
    """Another sync holds the book's lock and did not let go within the wait: exit 3."""

    exit_code = 3


class InternalError(SyncError):
    """An unexpected exception, a bug rather than a problem with the book: exit 70 (EX_SOFTWARE in
    sysexits.h). The one-line message names the stage; the traceback goes to the log file only."""

    exit_code = 70

    def __init__(self, stage: str, error: BaseException) -> None:
        detail = " ".join(str(error).split())[:300]
        super().__init__(
            f"internal error in the {stage} stage ({type(error).__name__}{': ' + detail if detail else ''})"
        )
        self.stage = stage
        self.__cause__ = error  # the traceback that goes to the log file is the bug's


class SummaryRefused(ValueError):
    """A client's summary must not be written where its Summary Sheet points: the one-line reason."""
