"""One run: read -> parse and validate -> compute -> shape -> write -> e-mail, each stage timed.

Each stage is a function that returns its value and its problems; `run` and `check` are the only
places that put them together into the RunResult a caller gets."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from sync.backends import Backend, ClientSummary
from sync.compute.ledger import compute
from sync.compute.thresholds import crossings
from sync.config import Config
from sync.errors import ConfigError, InternalError, LockBusy, SummaryRefused, SyncError
from sync.model.alerts import PENDING, SENT, AlertState
from sync.model.frames import Book, ClientRow, Ledger, client_rows
from sync.model.raw import RawTab
from sync.model.schema import INPUT_TAB_NAMES, SYNC_LOG, SYNC_STATE, addresses
from sync.model.table import Table
from sync.notify import alerts
from sync.notify import report as reports
from sync.notify.smtp import SmtpSettings
from sync.rules.load import input_frames
from sync.rules.suggest import did_you_mean
from sync.rules.validate import SUMMARY_SHEET_WARNING, problem_table, validate
from sync.shape.dashboard import client_dashboard
from sync.shape.report import balances_frame, client_tables, errors_table, team_tables
from sync.shape.runlog import LogEntry, log_table
from sync.shape.state import (
    REPORT,
    previous_state,
    reports_due,
    split_reports,
    state_table,
    summaries_after,
    summary_records,
)

GOOGLE_LINK = "https://docs.google.com/spreadsheets/d/{}/edit"  # a client summary's link in its report


@dataclass
class RunResult:
    """What a run or a check did: the problems (the Errors tab), the figures, what was written and
    e-mailed, and the exit code those make."""

    as_of: dt.date
    problems: pd.DataFrame  # the Errors tab
    ledger: Ledger | None = None
    tables: dict[str, Table] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # output tabs and client summaries, as written
    unchanged: list[str] = field(default_factory=list)  # client summaries left as they were: nothing new in them
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    rows_read: int = 0
    started: dt.datetime = field(default_factory=dt.datetime.now)
    alerts: list[AlertState] = field(default_factory=list)  # the Sync State after this run
    alerts_sent: int = 0
    unsent: list[AlertState] = field(default_factory=list)  # alerts this run failed to e-mail, Note: why
    reports: list[AlertState] = field(default_factory=list)  # the monthly reports' Sync State rows after this run
    reports_sent: int = 0
    reports_unsent: list[AlertState] = field(default_factory=list)  # reports this run failed to e-mail
    summary_records: list[AlertState] = field(default_factory=list)  # client summaries' Sync State rows after this run
    unwritten: list[str] = field(default_factory=list)  # Client IDs whose summary was not written
    late_error: str = ""  # a failure after the figures were written: it could not be put on record
    notices: list[str] = field(default_factory=list)  # what the team should know of the book (open in Excel)

    @property
    def alerts_pending(self) -> int:
        """How many alerts of the Sync State after this run are still pending (not yet e-mailed)."""
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
        if self.reports_unsent:
            parts.append(reports.unsent_line(self.reports_unsent))
        parts = parts or ["ok"]
        if self.reports_sent:
            parts.append(f"{self.reports_sent} monthly report{'' if self.reports_sent == 1 else 's'} e-mailed")
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
        or monthly reports could not be e-mailed (pending in Sync State), or a failure came after the writes."""
        failures = self.error_count or self.unwritten or self.unsent or self.reports_unsent or self.late_error
        return 1 if failures else 0


SUMMARY_SHEET_CODE = SUMMARY_SHEET_WARNING  # the code of every warning about a Summary Sheet cell

# Called around each stage with its name; the benchmark uses it to measure peak memory per stage.
StageHook = Callable[[str], AbstractContextManager]


class _Stages:
    """Times the stages of one run (around the caller's hook); an unexpected exception in a stage
    becomes an InternalError naming it."""

    def __init__(self, hook: StageHook | None) -> None:
        self.hook = hook
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            with self.hook(stage) if self.hook else nullcontext():
                yield
        except SyncError:
            raise
        except Exception as error:
            raise InternalError(stage, error) from error
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


class Read(NamedTuple):
    """The read and parse stages' value: the valid book, its problems, and the tabs kept as read."""

    book: Book
    problems: pd.DataFrame
    rows_read: int
    previous: dict[str, RawTab]  # the Sync Log and Sync State as read, when they exist


class _Planned(NamedTuple):
    """A client whose summary is to be written, and the Clients cell that says where."""

    summary: ClientSummary
    row: int
    cell: str
    name: str  # the client's


class Plan(NamedTuple):
    """The plan stage's value: where each client's summary goes; the Summary Sheet cells that
    cannot be used or that say something the team should see, as warnings."""

    planned: dict[str, _Planned]  # client_id -> its summary (tables still empty)
    warnings: pd.DataFrame  # problems on the Clients tab's Summary Sheet column
    unwritten: list[str]  # Client IDs whose summary will not be written


def check(
    backend: Backend,
    config: Config,
    as_of: dt.date,
    stage_hook: StageHook | None = None,
    notices: list[str] | None = None,
) -> RunResult:
    """Read, validate and plan where the client summaries go, writing nothing: the problems, warnings
    and exit code are those a run would have (a Summary Sheet that cannot be used included; on
    Google that costs the audit's requests per client, as in a run)."""
    stages = _Stages(stage_hook)
    result = RunResult(as_of, problem_table([]), timings=stages.timings, notices=list(notices or []))
    read = read_and_validate(backend, config, as_of, stages)
    result.problems, result.rows_read = read.problems, read.rows_read
    with stages("plan"):
        plan = summary_plan(backend, read.book)
    result.problems, result.unwritten = problem_table([read.problems, plan.warnings]), plan.unwritten
    return result


def run(
    backend: Backend,
    config: Config,
    as_of: dt.date,
    dry_run: bool = False,
    computed_at: dt.datetime | None = None,
    stage_hook: StageHook | None = None,
    smtp: SmtpSettings | None = None,
    notices: list[str] | None = None,
) -> RunResult:
    """The nightly sync. With dry_run, everything but the writes (and no e-mail).

    The team's tabs are written first, with the Sync Log's row; then the client summaries, each on
    its own (one that cannot be written is a warning on Errors, and the others go ahead); then the
    alerts. When a summary was not written, alerts were e-mailed or the backend keeps records of its
    summaries' writes (Sync State rows, so that the next write sends only what changed: pending in the
    first write, confirmed in this one), Errors, Sync State and the same Sync Log row are written once
    more. Alerts are recorded as pending in the Sync State tab in the same write as the figures, then sent, then marked sent: a crossing is never e-mailed before it
    is on record, and one whose record failed to be written is not lost. A run that stops puts one
    `failed: ...` row in the Sync Log, never a second row for the same run. `notices` (the workbook
    is open in Excel, say) go on the Sync Log's row as they are."""
    stages = _Stages(stage_hook)
    result = RunResult(as_of, problem_table([]), timings=stages.timings, notices=list(notices or []))
    previous: dict[str, RawTab] | None = None  # the tabs the Sync Log's row goes on top of, once read
    try:
        read = read_and_validate(backend, config, as_of, stages, (SYNC_LOG, SYNC_STATE))
        previous = read.previous
        _run(backend, config, result, read, stages, dry_run, computed_at, smtp)
    except LockBusy:
        raise  # another sync holds the book now: its Sync Log is not ours to write
    except SyncError as error:
        if not dry_run:
            _log_failure(backend, result, previous, error)
        raise
    return result


def _run(
    backend: Backend,
    config: Config,
    result: RunResult,
    read: Read,
    stages: _Stages,
    dry_run: bool,
    computed_at: dt.datetime | None,
    smtp: SmtpSettings | None,
) -> None:
    """The stages after the read, each one's value put on `result` as it comes (a failure after the
    first write still reports what was done)."""
    result.problems, result.rows_read = read.problems, read.rows_read
    with stages("compute"):
        result.ledger = ledger = compute(read.book, result.as_of)
        recorded = previous_state(read.previous.get(SYNC_STATE))
        recorded_alerts, recorded_reports = split_reports(recorded)
        # Only a record the last run confirmed (sent) is trusted; the first write puts every one back
        # as pending (in flight) until this run confirms it, so a run whose last write fails leaves
        # records the next run will not trust: it reads and writes those summaries whole.
        recorded_summaries = {c: s for c, s in summary_records(recorded).items() if s.status == SENT}
        result.summary_records = [s._replace(status=PENDING, sent=None) for s in recorded_summaries.values()]
        result.alerts = crossings(ledger, recorded_alerts, result.as_of) if smtp else recorded_alerts
        result.reports = (
            reports_due(recorded_reports, read.book.clients, result.as_of, config.report_day)
            if smtp
            else recorded_reports
        )
    with stages("plan"):  # where each summary goes, and whether it may be written there
        plan = summary_plan(backend, read.book)
    result.problems, result.unwritten = problem_table([result.problems, plan.warnings]), list(plan.unwritten)
    with stages("shape"):  # figures into the tables people read
        computed_at = computed_at or dt.datetime.now().replace(microsecond=0)
        result.tables = team_tables(ledger, result.problems, result.as_of, computed_at)
        balances, planned = result.tables["Balances"].frame, plan.planned
        tables = dict(client_tables(ledger, balances, list(planned), config.locale))
        summaries = [
            p.summary._replace(
                tables=tables[client_id],
                dashboard=client_dashboard(p.name, tables[client_id], config.agency_name, config.locale),
                recorded=recorded_summaries[client_id].note if client_id in recorded_summaries else "",
            )
            for client_id, p in planned.items()
        ]
    if dry_run:
        return
    state = {SYNC_STATE: _state_table(result)} if smtp or recorded or backend.keeps_records else {}
    with stages("write"):
        backend.write_tabs(
            result.tables | state | {SYNC_LOG: _log_table(backend, result, read.previous)}, hidden=frozenset(state)
        )
        result.written += list(result.tables)
    try:  # the figures are written: what follows can fail without taking them back
        with stages("write"):
            written = backend.write_client_summaries(summaries)
            failed = written.failed
            result.written += [s.location for s in summaries if s.location not in {*failed, *written.unchanged}]
            result.unchanged = [s.location for s in summaries if s.location in written.unchanged]
            reported = written.records or {}
            after = summaries_after(
                recorded_summaries,
                {s.client_id: reported[s.client_id] for s in summaries if s.client_id in reported},
                result.as_of,
                dt.datetime.now().replace(microsecond=0),
            )
            records_changed = bool(after) or bool(recorded_summaries)  # the first write put them as in flight
            result.summary_records = list(after.values())
        _summaries_not_written(
            result, [(plan.planned[s.client_id], failed[s.location]) for s in summaries if s.location in failed]
        )
        sending = smtp is not None and result.alerts_pending > 0
        if sending:
            with stages("alerts"):
                backend.confirm_lock()  # never e-mail for a book another sync holds now
                result.alerts, result.alerts_sent, result.unsent = alerts.deliver(
                    result.alerts, ledger, read.book, config, smtp, dt.datetime.now()
                )
        reporting = smtp is not None and any(r.status == "pending" for r in result.reports)
        if reporting:
            with stages("reports"):
                backend.confirm_lock()
                inputs = report_inputs(backend, ledger, read.book, balances, config, plan.planned)
                result.reports, result.reports_sent, result.reports_unsent = reports.deliver(
                    result.reports, inputs, config, smtp, dt.datetime.now()
                )
            sending = True
        if failed or sending or records_changed:  # what changed since the first write, and the same Sync Log row
            again = {SYNC_LOG: _log_table(backend, result, read.previous)}
            if failed:
                again["Errors"] = result.tables["Errors"]
            if sending or records_changed:
                again[SYNC_STATE] = _state_table(result)
            with stages("write"):
                backend.write_tabs(again, hidden=frozenset(again) & {SYNC_STATE})
    except InternalError:
        raise
    except SyncError as error:
        result.late_error = f"{error} (the figures were written before it)"


def _state_table(result: RunResult) -> Table:
    """The Sync State tab as this run leaves it: alerts, monthly reports, client summaries' records."""
    return state_table(result.alerts + result.reports + result.summary_records)


def _summaries_not_written(result: RunResult, failed: list[tuple[_Planned, str]]) -> None:
    """Summaries the backend could not write: warnings on their Clients rows, and Errors again."""
    if not failed:
        return
    result.problems = problem_table(
        [
            result.problems,
            _warnings([(planned.row, planned.cell, f"{reason}; summary not written") for planned, reason in failed]),
        ]
    )
    result.unwritten += [planned.summary.client_id for planned, _ in failed]
    result.tables["Errors"] = errors_table(result.problems)


def _warnings(warnings: list[tuple[int, str, str]]) -> pd.DataFrame:
    """Warnings on the Clients tab's Summary Sheet column: (row, cell, problem)."""
    found = pd.DataFrame(warnings, columns=["Row", "Value", "Problem"]).assign(
        Tab="Clients", Column="Summary Sheet", Severity="warning", Code=SUMMARY_SHEET_CODE
    )
    return problem_table([found]) if warnings else problem_table([])


def _log_table(backend: Backend, result: RunResult, previous: dict[str, RawTab]) -> Table:
    """The Sync Log with this run's row on top of the rows read at its start: written again, the
    row replaces itself."""
    return log_table(previous.get(SYNC_LOG), _log_entry(backend, result, result.outcome))


def _log_entry(backend: Backend, result: RunResult, outcome: str) -> LogEntry:
    """This run's Sync Log row, as far as the run got, with `outcome` as its Result."""
    seconds = (dt.datetime.now() - result.started).total_seconds()
    return LogEntry(
        result.started,
        seconds,
        backend.name,
        result.rows_read,
        result.error_count,
        result.warning_count,
        result.alerts_sent,
        backend.api_requests,
        outcome,
        backend.quota_wait_seconds,
    )


def _log_failure(backend: Backend, result: RunResult, previous: dict[str, RawTab] | None, error: SyncError) -> None:
    """Best effort: the run's one Sync Log row says `failed: ...`; the book may be what stopped it."""
    try:
        if previous is None:  # the read did not get that far
            previous = backend.read_tabs([SYNC_LOG])
        entry = _log_entry(backend, result, "; ".join([f"failed: {error}", *result.notices]))
        backend.write_tabs({SYNC_LOG: log_table(previous.get(SYNC_LOG), entry)})
    except Exception:  # the run has failed already: its own error is what gets reported
        pass


def read_and_validate(
    backend: Backend, config: Config, as_of: dt.date, stages: _Stages, extra: tuple[str, ...] = ()
) -> Read:
    """The read and parse stages: the valid book and its problems; the tabs named in `extra` kept
    as read (when they exist)."""
    with stages("read"):
        raw = backend.read_tabs([*INPUT_TAB_NAMES, *extra])
    with stages("parse"):
        frames = input_frames(raw)
        book, problems = validate(frames, config, as_of)
    return Read(
        book,
        problems,
        sum(len(tab.frame) for tab in frames.values()),
        {name: raw[name] for name in extra if name in raw},
    )


def summary_plan(backend: Backend, book: Book) -> Plan:
    """Where each valid client's summary goes, and whether it may be written there: a Summary Sheet
    that cannot be used, or that another client already uses, is a warning and that summary is not
    written."""
    planned: dict[str, _Planned] = {}
    taken: dict[str, int] = {}
    warnings = []
    unwritten = []
    for client in client_rows(book.clients):  # one per client, not per entry
        title = f"{client.name} - contract summary"
        try:
            location = backend.summary_location(client.client_id, client.summary_sheet)
            if location in taken:
                raise SummaryRefused(f"is also the summary of Clients row {taken[location]}")
            findings = backend.check_summary(location, client.client_id, title, addresses(client.email))
        except SummaryRefused as reason:
            warnings.append((client.row, client.summary_sheet, f"{reason}; summary not written"))
            unwritten.append(client.client_id)
            continue
        taken[location] = client.row
        planned[client.client_id] = _Planned(
            ClientSummary(location, client.client_id, title, {}), client.row, client.summary_sheet, client.name
        )
        warnings += [(client.row, client.summary_sheet, finding) for finding in findings]
    return Plan(planned, _warnings(warnings), unwritten)


def report_inputs(
    backend: Backend,
    ledger: Ledger,
    book: Book,
    balances: pd.DataFrame,
    config: Config,
    planned: dict[str, _Planned],
    client_ids: list[str] | None = None,
) -> dict[str, reports.ReportInput]:
    """What the monthly report of each client with Monthly Report Y (or of those named) is made
    of: their tables as their summary holds them, their requests, and their summary's link (the
    Google link, or the workbook's file name; blank when their summary is not written)."""
    clients = {c.client_id: c for c in client_rows(book.clients)}
    ids = client_ids if client_ids is not None else [cid for cid, c in clients.items() if c.monthly_report]
    inputs = {}
    for client_id, tables in client_tables(ledger, balances, ids, config.locale):
        client = clients[client_id]
        requests = ledger.requests[ledger.requests["client_id"] == client_id]
        inputs[client_id] = reports.ReportInput(client, tables, requests, _summary_link(backend, client, planned))
    return inputs


def _summary_link(backend: Backend, client: ClientRow, planned: dict[str, _Planned]) -> str:
    if client.client_id in planned:
        location = planned[client.client_id].summary.location
    else:
        try:
            location = backend.summary_location(client.client_id, client.summary_sheet)
        except SummaryRefused:
            return ""
    return GOOGLE_LINK.format(location) if backend.name == "google" else Path(location).name


def monthly_report(
    backend: Backend, config: Config, as_of: dt.date, client_id: str, month: str
) -> tuple[reports.ReportInput, list[str]]:
    """One client's report for `month` ("2026-11", not after as_of's month) as the nightly run
    would send it, and its recipients; a ConfigError for a client who is not on the Clients tab
    (or whose row has an error) or a month not begun."""
    if month > f"{as_of:%Y-%m}":
        raise ConfigError(f"--month {month} has not begun on {as_of}: give {as_of:%Y-%m} or an earlier month")
    read = read_and_validate(backend, config, as_of, _Stages(None))
    known = read.book.clients["client_id"]
    if client_id not in set(known):
        hint = did_you_mean(pd.Series([client_id]), known).iloc[0]
        errors = ((read.problems["Tab"] == "Clients") & (read.problems["Severity"] == "error")).any()
        raise ConfigError(
            f"no client {client_id} on the Clients tab{'' if pd.isna(hint) else hint}"
            + (" (rows with an error are left out: `check` lists them)" if errors else "")
        )
    ledger = compute(read.book, as_of)
    balances = balances_frame(ledger, as_of, dt.datetime.now().replace(microsecond=0))
    report = report_inputs(backend, ledger, read.book, balances, config, {}, [client_id])[client_id]
    return report, addresses(report.client.email)


def record_report_sent(backend: Backend, client_id: str, month: str, sent_at: dt.datetime) -> None:
    """Record in the Sync State tab that this client's report for `month` was e-mailed (by `report
    --send`), so the nightly run never sends it again. The caller holds the book's lock."""
    kept = [
        s
        for s in previous_state(backend.read_tabs([SYNC_STATE]).get(SYNC_STATE))
        if (s.contract_id, s.alert) != (client_id, f"{REPORT} {month}")
    ]
    sent = AlertState(client_id, f"{REPORT} {month}", SENT, sent_at.date(), sent_at, "sent by report --send")
    backend.write_tabs({SYNC_STATE: state_table([*kept, sent])}, hidden=frozenset({SYNC_STATE}))
