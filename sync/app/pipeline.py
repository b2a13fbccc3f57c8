"""One run: read -> parse and validate -> compute -> write, each stage timed."""
from __future__ import annotations

import datetime as dt
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Callable, Iterator, NamedTuple

import pandas as pd

from sync.notify import alerts
from sync.notify.smtp import SmtpSettings
from sync.compute.thresholds import crossings
from sync.model.alerts import AlertState
from sync.shape.state import previous_state, state_table
from sync.backends import Backend, ClientSummary
from sync.model.raw import RawTab
from sync.config import Config
from sync.compute.ledger import compute
from sync.rules.load import input_frames
from sync.errors import InternalError, SummaryRefused, LockBusy, SyncError
from sync.shape.report import client_tables, errors_table, team_tables
from sync.shape.runlog import LogEntry, log_table
from sync.model.schema import INPUT_TAB_NAMES, SYNC_LOG, SYNC_STATE, addresses
from sync.model.table import Table
from sync.model.frames import Book, Ledger
from sync.rules.validate import problem_table, validate


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
    alerts: list[AlertState] = field(default_factory=list)  # the Sync State after this run
    alerts_sent: int = 0
    unsent: list[AlertState] = field(default_factory=list)  # alerts this run failed to e-mail, Note: why
    unwritten: list[str] = field(default_factory=list)  # Client IDs whose summary was not written
    late_error: str = ""  # a failure after the figures were written: it could not be put on record
    previous: dict[str, RawTab] | None = None  # the Sync Log and Sync State as read (None: not read yet)
    notices: list[str] = field(default_factory=list)  # what the team should know of the book (open in Excel)

    @property
    def alerts_pending(self) -> int:
        return sum(state.status == "pending" for state in self.alerts)

    @property
    def outcome(self) -> str:
        """The Sync Log's Result: `ok`, or each thing that makes the exit code 1; then the alerts
        pending that were not tried."""
        parts = [f"{self.error_count} row{'' if self.error_count == 1 else 's'} left out"] if self.error_count else []
        if self.unwritten:
            count = len(self.unwritten)
            parts.append(f"{count} client {'summary' if count == 1 else 'summaries'} not written")
        if self.unsent:
            parts.append(alerts.unsent_line(self.unsent))
        parts = parts or ["ok"]
        # not tried (yet): the first write comes before the e-mails, and a contract with an error waits
        waiting = self.alerts_pending - len(self.unsent)
        if waiting:
            parts.append(f"{waiting} {'more ' if self.unsent else ''}alert{'' if waiting == 1 else 's'} pending")
        return "; ".join(parts + self.notices)

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
        """0 when every row was used, every client summary written and every alert e-mailed; 1 when
        some rows were left out or some summaries not written (both on the Errors tab), some alerts
        could not be e-mailed (pending in Sync State), or a failure came after the writes."""
        return 1 if self.error_count or self.unwritten or self.unsent or self.late_error else 0


# Called around each stage with its name; the benchmark uses it to measure peak memory per stage.
StageHook = Callable[[str], AbstractContextManager]


@contextmanager
def _timed(result: RunResult, stage: str) -> Iterator[None]:
    """Time a stage; an unexpected exception in it is an InternalError naming the stage."""
    start = time.perf_counter()
    try:
        with result.stage_hook(stage) if result.stage_hook else nullcontext():
            yield
    except SyncError:
        raise
    except Exception as error:
        raise InternalError(stage, error) from error
    finally:
        result.timings[stage] = result.timings.get(stage, 0.0) + time.perf_counter() - start


def check(backend: Backend, config: Config, as_of: dt.date, stage_hook: StageHook | None = None,
          notices: list[str] | None = None) -> RunResult:
    """Read, validate and plan where the client summaries go, writing nothing: the problems, warnings
    and exit code are those a run would have (a Summary Sheet that cannot be used included; on
    Google that costs the audit's requests per client, as in a run)."""
    result = RunResult(as_of, problem_table([]), stage_hook=stage_hook, notices=list(notices or []))
    book = _read_and_validate(backend, config, result)
    with _timed(result, "plan"):
        _summary_plan(backend, book, result)
    return result


class _Planned(NamedTuple):
    """A client whose summary is to be written, and the Clients cell that says where."""

    summary: ClientSummary
    row: int
    cell: str


def run(backend: Backend, config: Config, as_of: dt.date, dry_run: bool = False,
        computed_at: dt.datetime | None = None, stage_hook: StageHook | None = None,
        smtp: SmtpSettings | None = None, notices: list[str] | None = None) -> RunResult:
    """The nightly sync. With dry_run, everything but the writes (and no e-mail).

    The team's tabs are written first, with the Sync Log's row; then the client summaries, each on
    its own (one that cannot be written is a warning on Errors, and the others go ahead); then the
    alerts. When a summary was not written or alerts were e-mailed, Errors, Sync State and the same
    Sync Log row are written once more. Alerts are recorded as pending in the Sync State tab in the
    same write as the figures, then sent, then marked sent: a crossing is never e-mailed before it
    is on record, and one whose record failed to be written is not lost. A run that stops puts one
    `failed: ...` row in the Sync Log, never a second row for the same run. `notices` (the workbook
    is open in Excel, say) go on the Sync Log's row as they are."""
    result = RunResult(as_of, problem_table([]), stage_hook=stage_hook, notices=list(notices or []))
    try:
        _run(backend, config, result, dry_run, computed_at, smtp)
    except LockBusy:
        raise  # another sync holds the book now: its Sync Log is not ours to write
    except SyncError as error:
        if not dry_run:
            _log_failure(backend, result, error)
        raise
    return result


def _run(backend: Backend, config: Config, result: RunResult, dry_run: bool, computed_at: dt.datetime | None,
         smtp: SmtpSettings | None) -> None:
    book = _read_and_validate(backend, config, result, (SYNC_LOG, SYNC_STATE))
    with _timed(result, "compute"):
        result.ledger = compute(book, result.as_of)
        recorded = previous_state(result.previous.get(SYNC_STATE))
        result.alerts = crossings(result.ledger, recorded, result.as_of) if smtp else recorded
    with _timed(result, "plan"):  # where each summary goes, and whether it may be written there
        planned = _summary_plan(backend, book, result)
    with _timed(result, "shape"):  # figures into the tables people read
        computed_at = computed_at or dt.datetime.now().replace(microsecond=0)
        result.tables = team_tables(result.ledger, result.problems, result.as_of, computed_at)
        tables = dict(client_tables(result.ledger, result.tables["Balances"].frame, list(planned)))
        summaries = [plan.summary._replace(tables=tables[client_id]) for client_id, plan in planned.items()]
    if dry_run:
        return
    state = {SYNC_STATE: state_table(result.alerts)} if smtp or recorded else {}
    with _timed(result, "write"):
        backend.write_tabs(result.tables | state | {SYNC_LOG: _log_table(backend, result)}, hidden=frozenset(state))
        result.written += list(result.tables)
    try:  # the figures are written: what follows can fail without taking them back
        with _timed(result, "write"):
            failed = backend.write_client_summaries(summaries)
            result.written += [summary.location for summary in summaries if summary.location not in failed]
            _summaries_not_written(result, [(planned[s.client_id], failed[s.location]) for s in summaries
                                            if s.location in failed])
        sending = smtp is not None and result.alerts_pending > 0
        if sending:
            with _timed(result, "alerts"):
                backend.confirm_lock()  # never e-mail for a book another sync holds now
                result.alerts, result.alerts_sent, result.unsent = alerts.deliver(
                    result.alerts, result.ledger, book, config, smtp, dt.datetime.now())
        if failed or sending:  # what changed since the first write, and the same Sync Log row
            again = {SYNC_LOG: _log_table(backend, result)}
            if failed:
                again["Errors"] = result.tables["Errors"]
            if sending:
                again[SYNC_STATE] = state_table(result.alerts)
            with _timed(result, "write"):
                backend.write_tabs(again, hidden=frozenset(again) & {SYNC_STATE})
    except InternalError:
        raise
    except SyncError as error:
        result.late_error = f"{error} (the figures were written before it)"


def _summaries_not_written(result: RunResult, failed: list[tuple[_Planned, str]]) -> None:
    if not failed:
        return
    _warn(result, [(plan.row, plan.cell, f"{reason}; summary not written") for plan, reason in failed])
    result.unwritten += [plan.summary.client_id for plan, _ in failed]
    result.tables["Errors"] = errors_table(result.problems)


def _warn(result: RunResult, warnings: list[tuple[int, str, str]]) -> None:
    """Warnings on the Clients tab's Summary Sheet column: (row, cell, problem)."""
    if warnings:
        found = pd.DataFrame(warnings, columns=["Row", "Value", "Problem"]).assign(
            Tab="Clients", Column="Summary Sheet", Severity="warning")
        result.problems = problem_table([result.problems, found])


def _log_table(backend: Backend, result: RunResult) -> Table:
    """The Sync Log with this run's row on top of the rows read at its start: written again, the
    row replaces itself."""
    return log_table(result.previous.get(SYNC_LOG), LogEntry(
        result.started, (dt.datetime.now() - result.started).total_seconds(), backend.name, result.rows_read,
        result.error_count, result.warning_count, result.alerts_sent, backend.api_requests, result.outcome))


def _log_failure(backend: Backend, result: RunResult, error: SyncError) -> None:
    """Best effort: the run's one Sync Log row says `failed: ...`; the book may be what stopped it."""
    try:
        if result.previous is None:  # the read did not get that far
            result.previous = backend.read_tabs([SYNC_LOG])
        entry = LogEntry(result.started, (dt.datetime.now() - result.started).total_seconds(), backend.name,
                         result.rows_read, result.error_count, result.warning_count, result.alerts_sent,
                         backend.api_requests, "; ".join([f"failed: {error}", *result.notices]))
        backend.write_tabs({SYNC_LOG: log_table(result.previous.get(SYNC_LOG), entry)})
    except Exception:  # noqa: BLE001 - the run has failed already; its own error is what gets reported
        pass


def _read_and_validate(backend: Backend, config: Config, result: RunResult, extra: tuple[str, ...] = ()) -> Book:
    """The valid book; the tabs named in `extra` go to result.previous as read (when they exist)."""
    with _timed(result, "read"):
        raw = backend.read_tabs([*INPUT_TAB_NAMES, *extra])
        result.previous = {name: raw[name] for name in extra if name in raw}
    with _timed(result, "parse"):
        frames = input_frames(raw)
        result.rows_read = sum(len(tab.frame) for tab in frames.values())
        book, result.problems = validate(frames, config, result.as_of)
    return book


def _summary_plan(backend: Backend, book: Book, result: RunResult) -> dict[str, _Planned]:
    """client_id -> its summary (tables still empty) for each valid client whose summary may be
    written; a Summary Sheet that cannot be used, or that another client already uses, is a
    warning and that summary is not written."""
    plan: dict[str, _Planned] = {}
    taken: dict[str, int] = {}
    warnings = []
    for client in book.clients.itertuples():  # one per client, not per entry
        title = f"{client.name} - contract summary"
        try:
            location = backend.summary_location(client.client_id, client.summary_sheet)
            if location in taken:
                raise SummaryRefused(f"is also the summary of Clients row {taken[location]}")
            findings = backend.check_summary(location, client.client_id, title, addresses(client.email))
        except SummaryRefused as reason:
            warnings.append((client.row, client.summary_sheet, f"{reason}; summary not written"))
            result.unwritten.append(client.client_id)
            continue
        taken[location] = client.row
        plan[client.client_id] = _Planned(ClientSummary(location, client.client_id, title, {}), client.row,
                                          client.summary_sheet)
        warnings += [(client.row, client.summary_sheet, finding) for finding in findings]
    _warn(result, warnings)
    return plan
