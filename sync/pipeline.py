"""One run: read -> parse and validate -> compute -> write, each stage timed."""
from __future__ import annotations

import datetime as dt
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Callable, Iterator

import pandas as pd

from sync import alerts
from sync.backends import Backend, RawTab
from sync.config import Config
from sync.ledger import Ledger, compute
from sync.load import input_frames
from sync.report import client_tables, team_tables
from sync.errors import SyncError
from sync.runlog import LogEntry, log_table
from sync.schema import INPUT_TAB_NAMES, SYNC_LOG, SYNC_STATE, addresses
from sync.table import Table
from sync.validate import Book, problem_table, validate


@dataclass
class RunResult:
    as_of: dt.date
    problems: pd.DataFrame  # the Errors tab
    ledger: Ledger | None = None
    tables: dict[str, Table] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # output tabs and client summaries, as written
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    rows_read: int = 0
    stage_hook: StageHook | None = None
    started: dt.datetime = field(default_factory=dt.datetime.now)
    alerts: list[alerts.AlertState] = field(default_factory=list)  # the Sync State after this run
    alerts_sent: int = 0
    alert_notes: list[str] = field(default_factory=list)  # why alerts stayed pending

    @property
    def alerts_pending(self) -> int:
        return sum(state.status == "pending" for state in self.alerts)

    @property
    def outcome(self) -> str:
        """The Sync Log's Result."""
        text = "ok" if not self.error_count else f"{self.error_count} rows left out"
        if self.alerts_pending:
            text += f"; {self.alerts_pending} alerts pending" + (f" ({self.alert_notes[0]})" if self.alert_notes else "")
        return text

    @property
    def error_count(self) -> int:
        """Rows left out of the figures."""
        return self._rows("error")

    @property
    def warning_count(self) -> int:
        """Rows counted but reported."""
        return self._rows("warning")

    def _rows(self, severity: str) -> int:
        return len(self.problems.loc[self.problems["Severity"] == severity, ["Tab", "Row"]].drop_duplicates())

    @property
    def exit_code(self) -> int:
        """0 when every row was used, 1 when some rows were left out (see the Errors tab)."""
        return 1 if self.error_count else 0


# Called around each stage with its name; the benchmark uses it to measure peak memory per stage.
StageHook = Callable[[str], AbstractContextManager]


@contextmanager
def _timed(result: RunResult, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    with result.stage_hook(stage) if result.stage_hook else nullcontext():
        yield
    result.timings[stage] = result.timings.get(stage, 0.0) + time.perf_counter() - start


def check(backend: Backend, config: Config, as_of: dt.date, stage_hook: StageHook | None = None) -> RunResult:
    """Read and validate only."""
    result = RunResult(as_of, problem_table([]), stage_hook=stage_hook)
    _read_and_validate(backend, config, result)
    return result


def run(backend: Backend, config: Config, as_of: dt.date, dry_run: bool = False,
        computed_at: dt.datetime | None = None, stage_hook: StageHook | None = None,
        smtp: alerts.SmtpSettings | None = None) -> RunResult:
    """The nightly sync. With dry_run, everything but the writes (and no e-mail).

    Alerts (when `smtp` is given) are recorded as pending in the Sync State tab in the same write
    as the figures, then sent, then marked sent with the Sync Log's row: a crossing is never
    e-mailed before it is on record, and one whose record failed to be written is not lost."""
    result = RunResult(as_of, problem_table([]), stage_hook=stage_hook)
    book, extra = _read_and_validate(backend, config, result, (SYNC_LOG, SYNC_STATE))
    with _timed(result, "compute"):
        result.ledger = compute(book, as_of)
        previous = alerts.previous_state(extra.get(SYNC_STATE))
        result.alerts = alerts.crossings(result.ledger, previous, as_of) if smtp else previous
    with _timed(result, "plan"):  # the Google backend audits each client's sharing here
        summaries = _summary_plan(backend, book, result)
    with _timed(result, "shape"):  # figures into the tables people read
        computed_at = computed_at or dt.datetime.now().replace(microsecond=0)
        result.tables = team_tables(result.ledger, result.problems, as_of, computed_at)
        client_books = dict(client_tables(result.ledger, result.tables["Balances"].frame, list(summaries)))
    if dry_run:
        return result
    with _timed(result, "write"):
        state = {SYNC_STATE: alerts.state_table(result.alerts)} if smtp or previous else {}
        sending = smtp is not None and result.alerts_pending > 0
        log = {} if sending else {SYNC_LOG: _log_table(backend, result, extra.get(SYNC_LOG))}
        backend.write_tabs(result.tables | state | log, hidden=frozenset(state))
        result.written += list(result.tables)
        books = [(location, title, client_books[client_id]) for client_id, (location, title) in summaries.items()]
        backend.write_client_summaries(books)
        result.written += [location for location, _, _ in books]
    if sending:
        with _timed(result, "alerts"):
            result.alerts, result.alerts_sent, result.alert_notes = alerts.deliver(
                result.alerts, result.ledger, book, config, smtp, dt.datetime.now())
            backend.write_tabs({SYNC_STATE: alerts.state_table(result.alerts),
                                SYNC_LOG: _log_table(backend, result, extra.get(SYNC_LOG))},
                               hidden=frozenset([SYNC_STATE]))
    return result


def _log_table(backend: Backend, result: RunResult, previous: RawTab | None) -> Table:
    return log_table(previous, LogEntry(
        result.started, (dt.datetime.now() - result.started).total_seconds(), backend.name, result.rows_read,
        result.error_count, result.warning_count, result.alerts_sent, backend.api_requests, result.outcome))


def log_failure(backend: Backend, started: dt.datetime, error: SyncError) -> None:
    """Best effort: a Sync Log row for a run that stopped; the book may be what stopped it."""
    try:
        previous = backend.read_tabs([SYNC_LOG]).get(SYNC_LOG)
        entry = LogEntry(started, (dt.datetime.now() - started).total_seconds(), backend.name, 0, 0, 0, 0,
                         backend.api_requests, f"failed: {error}")
        backend.write_tabs({SYNC_LOG: log_table(previous, entry)})
    except Exception:  # noqa: BLE001 - the run has failed already; its own error is what gets reported
        pass


def _read_and_validate(backend: Backend, config: Config, result: RunResult,
                       extra: tuple[str, ...] = ()) -> tuple[Book, dict[str, RawTab]]:
    """The valid book, and the tabs named in `extra` as read (when they exist)."""
    with _timed(result, "read"):
        raw = backend.read_tabs([*INPUT_TAB_NAMES, *extra])
    with _timed(result, "parse"):
        frames = input_frames(raw)
        result.rows_read = sum(len(tab.frame) for tab in frames.values())
        book, result.problems = validate(frames, config, result.as_of)
    return book, {name: raw[name] for name in extra if name in raw}


def _summary_plan(backend: Backend, book: Book, result: RunResult) -> dict[str, tuple[str, str]]:
    """client_id -> (location, title) for each valid client; a Summary Sheet that cannot be used,
    or that another client already uses, is a warning and that summary is not written."""
    plan: dict[str, tuple[str, str]] = {}
    taken: dict[str, int] = {}
    warnings = []
    for client in book.clients.itertuples():  # one per client, not per entry
        try:
            location = backend.summary_location(client.client_id, client.summary_sheet)
        except ValueError as reason:
            warnings.append((client.row, client.summary_sheet, f"{reason}; summary not written"))
            continue
        if location in taken:
            warnings.append((client.row, client.summary_sheet,
                             f"is also the summary of Clients row {taken[location]}; summary not written"))
            continue
        taken[location] = client.row
        plan[client.client_id] = (location, f"{client.name} - contract summary")
        for finding in backend.audit_summary(location, addresses(client.email)):
            warnings.append((client.row, client.summary_sheet, finding))
    if warnings:
        found = pd.DataFrame(warnings, columns=["Row", "Value", "Problem"]).assign(
            Tab="Clients", Column="Summary Sheet", Severity="warning")
        result.problems = problem_table([result.problems, found])
    return plan
