"""Open the team book a command or a library call names: a local workbook or a Google spreadsheet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sync.backends import Backend
from sync.config import Config, credentials_file
from sync.errors import ConfigError

if TYPE_CHECKING:
    from sync.backends.google.sheet import GoogleSheet


def open_book(
    config: Config,
    book: Path | None = None,
    sheet: str | None = None,
    credentials: Path | None = None,
    api_url: str | None = None,
) -> Backend:
    """The backend for `book` (an .xlsx path) or `sheet` (a Google spreadsheet ID or link), exactly
    one of them. A file that is not an .xlsx is refused here, before anything else. For a sheet,
    `credentials` is a service-account or authorized-user JSON file (else SYNC_CREDENTIALS, else
    GOOGLE_APPLICATION_CREDENTIALS) and `api_url` an emulator's address, for tests and demos."""
    if (book is None) == (sheet is None):
        raise ConfigError("give a workbook or a spreadsheet: exactly one of book and sheet")
    if book is not None:
        from sync.backends.xlsx.workbook import LocalWorkbook

        book = Path(book)
        folder = book.parent / Path(config.summary_folder).expanduser() if config.summary_folder else None
        workbook = LocalWorkbook(book, summary_folder=folder)
        workbook.check_file()  # an .ods or .csv is said before anything else, on every command
        return workbook
    assert sheet is not None  # exactly one of book and sheet, and book is None
    return open_google_sheet(config, sheet, credentials, api_url)


def open_google_sheet(
    config: Config, sheet: str, credentials: Path | None = None, api_url: str | None = None
) -> GoogleSheet:
    """The Google spreadsheet `sheet` (an ID or link) as a backend, for run and check and for the
    Google-only commands (init --sheet, share); `credentials` and `api_url` as in open_book."""
    from sync.backends.google.http import RetryingHTTPClient, connect
    from sync.backends.google.sheet import GoogleSheet

    client, account = connect(credentials_file(credentials), api_url)
    assert isinstance(client.http_client, RetryingHTTPClient)  # what connect gives every client
    client.http_client.retry_budget_seconds = config.retry_seconds
    return GoogleSheet(sheet, client, account, warning_only=config.warning_only, team_domain=config.team_domain)
