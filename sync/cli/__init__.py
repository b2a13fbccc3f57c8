"""python -m sync: thin commands over the pipeline; a user's mistake is one line and exit 2."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd

from sync.app import pipeline
from sync.app.books import open_book, open_google_sheet
from sync.backends import Backend
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.cli.crash import save_traceback
from sync.config import CONFIG_FILE_NAME, Config, load_config
from sync.errors import ConfigError, InternalError, SyncError

if TYPE_CHECKING:
    from sync.backends.google.sheet import GoogleSheet

AS_OF = click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    envvar="SYNC_AS_OF",
    help="Compute as of this date (YYYY-MM-DD; default today). Env: SYNC_AS_OF.",
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")


@dataclass(frozen=True)
class Target:
    """Which book a command works on: a local workbook or a Google spreadsheet."""

    book: Path | None
    sheet: str | None
    credentials: Path | None
    api_url: str | None
    config_file: Path | None

    @property
    def shown(self) -> str:
        """The book as messages name it: the workbook's path, or `spreadsheet ID`."""
        if self.book:
            return str(self.book)
        from sync.backends.google.cells import spreadsheet_id

        return f"spreadsheet {spreadsheet_id(self.sheet or '') or self.sheet}"

    def config(self) -> Config:
        """The settings for this book: its contract-sync.toml (or --config) and SYNC_* variables."""
        return load_config(self.config_file, self.book)

    @property
    def option(self) -> str:
        """The option naming this book, for a command line to suggest: `--book team.xlsx`."""
        if self.book:
            return f"--book {self.book}"
        from sync.backends.google.cells import spreadsheet_id

        return f"--sheet {spreadsheet_id(self.sheet or '') or self.sheet}"

    @property
    def key(self) -> str:
        """The book as this machine's record of its last run names it: the workbook's full path, or
        the spreadsheet's ID."""
        if self.book:
            return str(self.book.resolve())
        from sync.backends.google.cells import spreadsheet_id

        return spreadsheet_id(self.sheet or "") or self.sheet or ""

    def notices(self) -> list[str]:
        """What a run's writes are up against: the workbook open in Excel or LibreOffice."""
        from sync.backends.xlsx.file import open_elsewhere

        return open_elsewhere(self.book) if self.book else []

    def open(self, config: Config) -> Backend:
        """The book's backend (a file that is not an .xlsx is refused here, before anything else)."""
        return open_book(config, self.book, self.sheet, self.credentials, self.api_url)

    def google(self, config: Config) -> GoogleSheet:
        """The spreadsheet's backend, for the commands that only work on Google (--sheet given)."""
        assert self.sheet is not None  # the caller checked that this target is a spreadsheet
        return open_google_sheet(config, self.sheet, self.credentials, self.api_url)


def target_options(command: Callable) -> Callable:
    """--book or --sheet (with --credentials, --api-url), and --config, gathered into `target`."""
    options = [
        click.option(
            "--book",
            type=click.Path(path_type=Path, dir_okay=False),
            envvar="SYNC_BOOK",
            help="The team workbook (.xlsx). Env: SYNC_BOOK.",
        ),
        click.option(
            "--sheet", envvar="SYNC_SHEET", help="The team Google spreadsheet: its ID or link. Env: SYNC_SHEET."
        ),
        click.option(
            "--credentials",
            type=click.Path(path_type=Path, dir_okay=False),
            envvar="SYNC_CREDENTIALS",
            help="Google service-account key (JSON) or authorized-user file. "
            "Env: SYNC_CREDENTIALS, else GOOGLE_APPLICATION_CREDENTIALS.",
        ),
        click.option(
            "--api-url",
            envvar="SYNC_GOOGLE_API_URL",
            help="Send Google API requests to this base URL instead (the local emulator: "
            "python -m tests.sheets_emulator). Env: SYNC_GOOGLE_API_URL.",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path, dir_okay=False),
            envvar="SYNC_CONFIG",
            help="TOML settings file (default: contract-sync.toml beside the book). Env: SYNC_CONFIG.",
        ),
    ]

    @functools.wraps(command)
    def wrapper(
        book: Path | None,
        sheet: str | None,
        credentials: Path | None,
        api_url: str | None,
        config_file: Path | None,
        **kwargs: Any,
    ) -> Any:
        if bool(book) == bool(sheet):
            sys.exit(failed(ConfigError(_which_book_problem(book, sheet))))
        return command(target=Target(book, sheet, credentials, api_url, config_file), **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _which_book_problem(book: Path | None, sheet: str | None) -> str:
    """Why neither or both of --book and --sheet is wrong, saying where each came from (an option or
    its variable), so the fix fits how the sync was started: a shell, cron's env file, systemd."""
    if not book:
        return (
            "no workbook or spreadsheet to sync: give --book PATH (an .xlsx workbook) or --sheet ID_OR_LINK "
            "(a Google spreadsheet), or set SYNC_BOOK or SYNC_SHEET"
        )
    source = click.get_current_context().get_parameter_source

    def given(name: str, value: object) -> str:
        if source(name) == click.core.ParameterSource.ENVIRONMENT:
            return f"SYNC_{name.upper()}={value} (from the environment)"
        return f"--{name} {value}"

    return f"give a workbook or a spreadsheet, not both: {given('book', book)} and {given('sheet', sheet)}; keep one"


def one_line_errors(command: Callable) -> Callable:
    """SyncError -> 'error: …' on stderr and its exit code; any other exception is an internal error
    (exit 70, the traceback in the log file): never a traceback on the terminal."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except SyncError as error:
            sys.exit(failed(error))
        except Exception as error:
            sys.exit(failed(InternalError(command.__name__, error)))

    return wrapper


def failed(error: SyncError) -> int:
    """Say what stopped a command in one line on stderr; its exit code."""
    if isinstance(error, InternalError):
        where = save_traceback(error)
        click.echo(
            f"error: {error}; this is a bug in contract-sync, not a problem with the book - please "
            f"report it with the traceback, which is in {where}",
            err=True,
        )
    else:
        click.echo(f"error: {error}", err=True)
    return error.exit_code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """contract-sync: where each client's maintenance contract stands, computed from the team workbook.

    Exit codes: 0 every row was used, every client summary written and every alert e-mailed; 1 some
    rows were left out or some client summaries not written (listed on the Errors tab), or some alerts
    or monthly reports could not be e-mailed (one line on stderr; they stay pending and the next run retries them):
    everything else was written; 2 the sync could not run, nothing was written (message on stderr);
    3 another sync of the same book was running and did not finish within lock_wait seconds; 70 an
    internal error (a bug: the traceback is in the log file).
    """


QUIET = click.option(
    "--quiet",
    is_flag=True,
    help="Print nothing when the exit code is 0 (every row used, every client summary written, "
    "every alert e-mailed), else what run prints: cron then mails only when there is "
    "trouble.",
)


WHEN_CHANGED = click.option(
    "--when-changed",
    is_flag=True,
    help="Sync only if the book changed since the last run (the workbook's modification time and size, "
    "or the spreadsheet's Drive modifiedTime: one Drive request), as this machine's record of that "
    "run says; else print 'unchanged since the last run at ...; not synced' and exit 0. The sync's own "
    "writes are not a change. Records are kept in SYNC_STATE_DIR (default ~/.local/state/contract-sync).",
)


@main.command()
@target_options
@AS_OF
@click.option("--dry-run", is_flag=True, help="Compute and print, but write nothing.")
@WHEN_CHANGED
@JSON
@QUIET
def run(
    target: Target, as_of: dt.datetime | None, dry_run: bool, when_changed: bool, as_json: bool, quiet: bool
) -> None:
    """Read the input tabs, compute, write Dashboard, Balances, Monthly, Periods, Errors, the Sync Log and the client summaries; e-mail alerts."""
    sys.exit(sync_once(target, as_of, dry_run, as_json, quiet, when_changed=when_changed))


def sync_once(
    target: Target,
    as_of: dt.datetime | None,
    dry_run: bool = False,
    as_json: bool = False,
    quiet: bool = False,
    *,
    when_changed: bool = False,
    record: bool = False,
) -> int:
    """One sync of the target's book, holding its lock; prints its report (when `quiet`, only when
    the exit code is not 0) and returns the exit code. Alerts it could not e-mail are one line on
    stderr, quiet or not. A SyncError is one line on stderr, never raised; any other exception is
    an internal error (see `failed`).

    When `when_changed`, first only a look at the book's fingerprint: unchanged since the last run
    on record (changes.py), it prints so (not when `quiet`) and returns 0. The fingerprint after a
    run is recorded when `when_changed` or `record`, or when the book has a record already; a run
    that leaves something to retry (alerts or summaries not sent, a failure) drops the record."""
    from sync.cli import changes
    from sync.notify.smtp import smtp_settings

    stage = "start"
    try:
        config = target.config()
        smtp = smtp_settings(config)
        backend = target.open(config)
        if when_changed and (last := changes.unchanged(target.key, backend.fingerprint())):
            if as_json:
                click.echo(json.dumps({"synced": False, "unchanged_since": last.finished.isoformat()}))
            elif not quiet:
                click.echo(f"unchanged since the last run at {changes.shown(last.finished)}; not synced")
            return 0
        keep = not dry_run and (when_changed or record or changes.has_record(target.key))
        if keep:
            changes.forget(target.key)  # until this run has written all it had to
        notices = _warn_of(target)
        stage = "lock"
        with backend.lock(config.lock_wait):
            stage = "run"
            result = pipeline.run(backend, config, _day(as_of), dry_run=dry_run, smtp=smtp, notices=notices)
            stage = "lock"
        stage = "record"
        if keep and not (result.unsent or result.reports_unsent or result.unwritten or result.late_error):
            _remember(target, backend)
        stage = "report"
        if as_json:
            _report(result, target.shown, True, dry_run)
        elif not quiet or result.exit_code:
            _report(result, target.shown, False, dry_run)
    except SyncError as error:
        return failed(error)
    except Exception as error:
        return failed(InternalError(stage, error))
    if result.unsent:  # on stderr too, so that --quiet under cron says that alerts are stuck
        from sync.notify.alerts import unsent_line

        click.echo(f"error: {printable(unsent_line(result.unsent))}", err=True)
    if result.reports_unsent:
        from sync.notify.report import unsent_line as reports_unsent_line

        click.echo(f"error: {printable(reports_unsent_line(result.reports_unsent))}", err=True)
    if result.late_error:
        click.echo(f"error: {result.late_error}", err=True)
    return result.exit_code


def _remember(target: Target, backend: Backend) -> None:
    """Record what this run left (changes.py): its book's fingerprint, taken after the lock is let go,
    as letting go of a lease is a write too. Google not answering or a state folder that cannot be
    written is a warning: the run is done, and the next --when-changed check runs again."""
    from sync.cli import changes

    try:
        fingerprint = backend.fingerprint()
        if fingerprint is not None:
            changes.remember(target.key, fingerprint, dt.datetime.now().replace(microsecond=0))
    except (SyncError, OSError) as error:
        reason = error.strerror or error if isinstance(error, OSError) else error
        click.echo(
            f"warning: the run is done, but what it left could not be recorded for --when-changed ({reason}); "
            "the next check syncs again",
            err=True,
        )


@main.command()
@target_options
@AS_OF
@JSON
@one_line_errors
def check(target: Target, as_of: dt.datetime | None, as_json: bool) -> None:
    """Validate the input tabs and print every problem, as `run` would list them on the Errors tab
    (Summary Sheet cells included); write nothing. The exit code is the one `run` would have.

    A workbook open in Excel or LibreOffice is a warning on stderr, as in `run`; a file that is not
    an .xlsx (.ods, .xls, .csv, ...) is one line and exit 2, as on every command."""
    config = target.config()
    backend = target.open(config)
    result = pipeline.check(backend, config, _day(as_of), notices=_warn_of(target))
    if as_json:
        click.echo(
            json.dumps(
                _summary(result)
                | {"problems": _records(result.problems.drop(columns="Code")), "notices": result.notices},
                default=_plain,
            )
        )
    else:
        for p in result.problems.itertuples(index=False):
            click.echo(printable(problem_line(p)))
        click.echo(
            _counts(result, f"check writes nothing: `python -m sync run {target.option}` puts them on the Errors tab")
        )
        if not result.rows_read:
            click.echo(
                "no rows yet: type your clients, contracts, time and payments below the header row of "
                "their tabs (the Instructions tab of a book made by init shows an example of each, and "
                "sheets_schema.md every column)"
            )
    sys.exit(result.exit_code)


def problem_line(problem: Any) -> str:
    """A row of the Errors tab as one line: `Time row 12, Hours: '25' is more than 24 hours for one
    entry (error)`; a blank cell has no value to quote: `Time row 5, Date: is required (error)`."""
    value = problem.Value if isinstance(problem.Value, str) else "" if pd.isna(problem.Value) else str(problem.Value)
    quoted = f"'{value}' " if value else ""
    return f"{problem.Tab} row {problem.Row}, {problem.Column}: {quoted}{problem.Problem} ({problem.Severity})"


def _warn_of(target: Target) -> list[str]:
    """The target's notices, each on stderr as a warning (even under --quiet: a save from Excel
    would undo the run); returned for the Sync Log."""
    notices = target.notices()
    for notice in notices:
        click.echo(f"warning: {printable(notice)}", err=True)
    return notices


@main.command()
@target_options
@one_line_errors
def init(target: Target) -> None:
    """Create an empty team book: an Instructions tab showing each input tab's columns with example
    rows (the sync never reads it), then the input tabs with their headers, formats and dropdowns
    and no rows.

    With --book a new .xlsx (never overwritten; the name must end in .xlsx); with --sheet the tabs
    are added to an existing spreadsheet that has none of them yet."""
    if target.book:
        from sync.app.init_book import create_template

        create_template(target.book)
        done = f"created {target.book}"
    else:
        from sync.app.google_setup import create_input_tabs

        create_input_tabs(target.google(target.config()))
        done = f"added the Instructions and input tabs to {target.shown}"
    click.echo(
        f"{done}: the Instructions tab shows what goes on each tab; fill them in, then check them with: "
        f"python -m sync check {target.option}"
    )


@main.command()
@target_options
@one_line_errors
def share(target: Target) -> None:
    """Google only: create each client's summary spreadsheet where Summary Sheet is blank, share it
    read-only with the client's Email addresses, and fill in the blank Summary Sheet cells.

    It holds the sync's lock as a run does (exit 3 when another sync holds it past lock_wait), marks
    each spreadsheet it creates as that client's, and puts each link in the row of its Client ID."""
    if not target.sheet:
        raise ConfigError("share works on a Google spreadsheet: use --sheet")
    from sync.app.google_setup import share_summaries

    config = target.config()
    for line in share_summaries(target.google(config), config):
        click.echo(line)


@main.command()
@target_options
@click.option("--runs", type=click.IntRange(1, 200), default=10, show_default=True, help="How many runs to show.")
@JSON
@one_line_errors
def status(target: Target, runs: int, as_json: bool) -> None:
    """The last runs (from the Sync Log tab) and the alerts and monthly reports still waiting to be e-mailed.

    Alerts are on when SYNC_SMTP_HOST is set here, as for run: without it, status says that alerts
    are off rather than that none is pending."""
    from sync.model.schema import SYNC_LOG, SYNC_LOG_COLUMNS, SYNC_STATE
    from sync.notify.smtp import smtp_settings
    from sync.shape.runlog import past_runs
    from sync.shape.state import previous_state, report_month, split_reports

    alerts_on = smtp_settings(target.config()) is not None
    tabs = target.open(target.config()).read_tabs([SYNC_LOG, SYNC_STATE])
    log = pd.DataFrame(past_runs(tabs.get(SYNC_LOG))[:runs], columns=list(SYNC_LOG_COLUMNS), dtype=object)
    recorded, reports = split_reports(previous_state(tabs.get(SYNC_STATE)))
    pending = [state for state in recorded if state.status == "pending"]
    pending_reports = [state for state in reports if state.status == "pending"]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "runs": _records(log),
                    "alerts_on": alerts_on,
                    "pending_alerts": [state._asdict() for state in pending],
                    "pending_reports": [state._asdict() for state in pending_reports],
                },
                default=_plain,
            )
        )
        return
    if log.empty:
        click.echo(f"{target.shown} has no Sync Log yet: no run has written it")
    else:
        click.echo(f"last runs of {target.shown}, newest first:\n")
        click.echo(log.where(log.notna(), "").to_string(index=False))
    click.echo("")
    if not alerts_on:  # "no alerts pending" would hide that nothing is watched
        click.echo(
            "alerts are off: SYNC_SMTP_HOST is not set here, and a run without it neither finds nor "
            "e-mails alerts (the nightly job's env file may set it: load that file to check)"
        )
    elif not pending:
        click.echo("no alerts pending")
    for state in pending:
        note = f" - {state.note}" if state.note else ""
        click.echo(f"pending alert: {state.contract_id} {state.alert} (crossed {state.crossed}){note}")
    for state in pending_reports:
        note = f" - {state.note}" if state.note else ""
        click.echo(f"pending monthly report: {state.contract_id} {report_month(state)} (due {state.crossed}){note}")


@main.command()
@target_options
@click.option("--client", "client_id", required=True, help="The client's Client ID, e.g. C-001.")
@click.option("--month", required=True, help="The month to report, YYYY-MM (e.g. 2026-11).")
@click.option("--send", is_flag=True, help="E-mail it now to the client (a copy to alert_to), over SYNC_SMTP_HOST.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the e-mail's HTML to this file (default without --send: report-<client>-<month>.html).",
)
@AS_OF
@one_line_errors
def report(target: Target, client_id: str, month: str, send: bool, out: Path | None, as_of: dt.datetime | None) -> None:
    """A client's monthly report e-mail, as the nightly run sends it: previewed (its HTML written to
    a file to open in a browser) or, with --send, e-mailed now under the book's lock and recorded
    as sent in the Sync State tab, so the nightly run never sends it again."""
    from sync.notify.report import report_message
    from sync.notify.smtp import send as send_messages
    from sync.notify.smtp import smtp_settings

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month.strip()):
        raise ConfigError(f"--month '{month}' is not a month: give YYYY-MM, such as 2026-11")
    config = target.config()
    smtp = smtp_settings(config)
    if send and smtp is None:
        raise ConfigError("report --send e-mails over SMTP: set SYNC_SMTP_HOST (and alert_from)")
    if send and not config.alert_from.strip():
        raise ConfigError("report --send needs a sender: set alert_from (or SYNC_ALERT_FROM)")
    backend = target.open(config)
    found, to = pipeline.monthly_report(backend, config, _day(as_of), client_id.strip(), month.strip())
    if send and not to:
        raise ConfigError(f"client {found.client.client_id} has no Email on the Clients tab: nobody to send it to")
    message = report_message(found, month.strip(), config, to, dt.datetime.now())
    out = out or (
        None
        if send
        else Path(f"report-{re.sub(r'[^A-Za-z0-9._-]+', '_', found.client.client_id)}-{month.strip()}.html")
    )
    if out:
        body = message.get_body(("html",))
        assert isinstance(body, EmailMessage)
        out.write_text(body.get_content(), encoding="utf-8")
        click.echo(
            f"wrote {out}: {printable(str(message['Subject']))}, to {printable(str(message['To'] or 'nobody: no Email'))}"
        )
    if send:
        assert smtp is not None
        with backend.lock(config.lock_wait):  # never at the same time as a nightly run sending it
            sent, failures = send_messages(smtp, {0: message})
            if failures:
                click.echo(f"error: report not e-mailed: {printable(failures[0])}", err=True)
                sys.exit(1)
            pipeline.record_report_sent(backend, found.client.client_id, month.strip(), dt.datetime.now())
        refused = f" (refused: {', '.join(sent[0])})" if sent[0] else ""
        click.echo(f"e-mailed {printable(str(message['Subject']))} to {printable(str(message['To']))}{refused}")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default="demo")
@AS_OF
@one_line_errors
def demo(directory: Path, as_of: dt.datetime | None) -> None:
    """Write a realistic sample workbook to DIRECTORY/ledger.xlsx and run the sync on it."""
    from sync.app.sample import AGENCY, write_sample_book

    book = directory / "ledger.xlsx"
    directory.mkdir(parents=True, exist_ok=True)
    book.unlink(missing_ok=True)
    write_sample_book(book, _day(as_of))
    settings = directory / CONFIG_FILE_NAME
    if not settings.exists():  # the agency's name heads each client's Summary
        settings.write_text(f'agency_name = "{AGENCY}"\n', encoding="utf-8")
    click.echo(f"sample workbook written: {book} (a few rows are wrong on purpose)\n")
    result = pipeline.run(LocalWorkbook(book), load_config(None, book), _day(as_of))
    _report(result, book, as_json=False, dry_run=False)


def _day(as_of: dt.datetime | None) -> dt.date:
    return as_of.date() if as_of else dt.date.today()


def _report(result: pipeline.RunResult, book: object, as_json: bool, dry_run: bool) -> None:
    balances = result.tables["Balances"].frame
    if as_json:
        click.echo(
            json.dumps(
                _summary(result)
                | {
                    "dry_run": dry_run,
                    "balances": _records(balances),
                    "problems": _records(result.problems.drop(columns="Code")),
                },
                default=_plain,
            )
        )
        return
    click.echo(f"Balances as of {result.as_of}\n")
    click.echo(balance_table(balances))
    click.echo("\n" + _counts(result))
    if dry_run:
        click.echo("dry run: nothing was written")
        return
    tabs = [name for name in result.written if name in result.tables]
    click.echo(f"wrote {book} (tabs {', '.join(tabs)})")
    for location in result.written:
        if location not in result.tables:
            click.echo(f"wrote {_shown(location)}")
    if len(result.unchanged) == 1:
        click.echo(f"left {_shown(result.unchanged[0])} as it was: nothing in it changed")
    elif result.unchanged:
        click.echo(f"left {len(result.unchanged)} client summaries as they were: nothing in them changed")


def _shown(location: str) -> str:
    """A path as short as it can be said from here."""
    try:
        relative = os.path.relpath(location)
    except ValueError:  # another drive on Windows
        return location
    return location if relative.startswith("..") else relative


def balance_table(balances: pd.DataFrame) -> str:
    """The Balances tab, narrowed to what fits a terminal."""
    if balances.empty:
        return "(no contract has figures yet: a contract appears once its row on the Contracts tab is valid)"
    shown = balances[
        ["Client", "Contract ID", "Currency", "Paid", "Billed", "Balance", "Hours Remaining", "Runs Out", "Status"]
    ].rename(columns={"Currency": "Cur", "Hours Remaining": "Hours Left"})
    shown = shown.astype(object).where(shown.notna(), "")  # to_string would print None
    shown = shown.map(lambda value: printable(value) if isinstance(value, str) else value)
    money = {column: (lambda d: f"{d:,}") for column in ("Paid", "Billed", "Balance")}
    return shown.to_string(index=False, formatters=money)


def printable(text: str) -> str:
    """Text for a terminal: a control character typed into a cell (an escape sequence that would
    recolour or clear the screen, a line break) is shown escaped, as \\x1b or \\n."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _counts(result: pipeline.RunResult, where: str = "see the Errors tab") -> str:
    if not len(result.problems):
        return f"{result.rows_read} rows read, all used"
    return (
        f"{result.rows_read} rows read: {result.error_count} with errors (left out), "
        f"{result.warning_count} with warnings (counted) - {where}"
    )


def _summary(result: pipeline.RunResult) -> dict[str, Any]:
    return {
        "as_of": result.as_of,
        "exit_code": result.exit_code,
        "rows_read": result.rows_read,
        "errors": result.error_count,
        "warnings": result.warning_count,
        "written": result.written,
        "unchanged": result.unchanged,
        "alerts_sent": result.alerts_sent,
        "alerts_pending": result.alerts_pending,
        "alerts_not_sent": [
            {"contract_id": state.contract_id, "alert": state.alert, "reason": state.note} for state in result.unsent
        ],
        "reports_sent": result.reports_sent,
        "reports_not_sent": [
            {"client_id": state.contract_id, "report": state.alert, "reason": state.note}
            for state in result.reports_unsent
        ],
        "seconds": {stage: round(seconds, 3) for stage, seconds in result.timings.items()},
    }


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _plain(value: Any) -> Any:
    """JSON for what json cannot: money stays exact as a string."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@main.command("schedule")
@target_options
@click.option(
    "--at",
    "at",
    required=True,
    envvar="SYNC_AT",
    help="Time of day to sync, HH:MM or HH:MM:SS on the 24-hour clock. Env: SYNC_AT.",
)
@click.option(
    "--tz",
    envvar="SYNC_TZ",
    help="Time zone of --at and of each run's date, e.g. Europe/London (default: this machine's). Env: SYNC_TZ.",
)
@click.option("--once-now", is_flag=True, help="Also sync once straight away.")
@click.option(
    "--every",
    envvar="SYNC_EVERY",
    help="Also sync this often in between, e.g. 10m or 1h; with --when-changed only look, and sync only "
    "when the book changed. Env: SYNC_EVERY.",
)
@click.option(
    "--when-changed",
    is_flag=True,
    help="Needs --every: every --every, look whether the book changed since the last run (the workbook's "
    "modification time and size, or the spreadsheet's Drive modifiedTime: one Drive request, outside the "
    "Sheets quota) and sync only then; the sync's own writes are not a change. The daily run at --at "
    "always runs, so that as-of dates and run-out figures move every day.",
)
@JSON
@QUIET
@one_line_errors
def schedule_command(
    target: Target,
    at: str,
    tz: str | None,
    once_now: bool,
    every: str | None,
    when_changed: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Keep running and sync every day at --at, as `run` does, as of that day's date; with --every
    also in between, and with --when-changed then only when the book changed.

    Each run is logged on stderr (started, finished with its exit code, next daily run; with
    --when-changed, why it runs); a failed run does not stop the next, and a check that cannot reach
    Google is one line, the next check tries again. SIGINT or SIGTERM stops it: a run in progress
    finishes, including its writes, then it exits 0."""
    import signal

    from sync.cli.scheduler import SignalStop, interval, serve, time_of_day, time_zone

    time_of_day(at), time_zone(tz)  # a mistake is reported before anything else
    seconds = interval(every) if every else None
    if when_changed and not seconds:
        raise ConfigError(
            "--when-changed looks for changes between the daily runs: give --every too, such as --every 10m "
            "(the run at --at always runs)"
        )
    target.config()
    if target.book:  # missing, or not an .xlsx package: said at start-up, not every night
        from sync.backends.xlsx.file import refuse_other_formats

        refuse_other_formats(target.book)
    sync_day, changed = scheduled(target, as_json, quiet, when_changed)
    with SignalStop(signal.SIGINT, signal.SIGTERM) as stop:
        serve(sync_day, at, tz, once_now, stop, every=seconds, changed=changed)


def scheduled(
    target: Target, as_json: bool, quiet: bool, when_changed: bool
) -> tuple[Callable[[dt.date], int], Callable[[], str | None] | None]:
    """What `schedule` gives serve(): a run as of a day (keeping what it left when `when_changed`),
    and with `when_changed` the check between runs (changes.py): why a run is due, or None."""
    from sync.cli import changes

    def sync_day(day: dt.date) -> int:
        as_of = dt.datetime.combine(day, dt.time())
        return sync_once(target, as_of, as_json=as_json, quiet=quiet, record=when_changed)

    looked_at: list[Backend] = []  # the backend the checks look through, opened at the first

    def changed() -> str | None:
        if not looked_at:
            looked_at.append(target.open(target.config()))
        return changes.change_since(target.key, looked_at[0].fingerprint())

    return sync_day, changed if when_changed else None
