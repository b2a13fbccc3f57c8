"""The library's face: compute from DataFrames with no I/O, or run and check a real book.

>>> import datetime as dt, pandas as pd, sync
>>> tabs = {
...     "Clients": pd.DataFrame({"Client ID": ["C-1"], "Name": ["Acme Ltd"], "Email": ["ops@acme.example"]}),
...     "Contracts": pd.DataFrame({"Contract ID": ["K-1"], "Client ID": ["C-1"], "Name": ["Care plan"],
...                                "Currency": ["USD"], "Rate": [120], "Start": ["2026-01-01"]}),
...     "Time": pd.DataFrame({"Date": ["2026-03-02"], "Contract ID": ["K-1"], "Person": ["Ana"],
...                           "Task": ["Update plugins"], "Hours": ["1:30"]}),
...     "Payments": pd.DataFrame({"Date": ["2026-01-05"], "Contract ID": ["K-1"], "Amount": ["1,000.00"]}),
... }
>>> computed = sync.compute_tables(tabs, as_of=dt.date(2026, 3, 31))
>>> computed.tables["Balances"].loc[0, ["Contract ID", "Paid", "Billed", "Balance"]].tolist()
['K-1', Decimal('1000.00'), Decimal('180.00'), Decimal('820.00')]
>>> len(computed.problems)
0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from sync.app import pipeline
from sync.app.books import open_book
from sync.app.pipeline import RunResult
from sync.backends import Backend
from sync.compute.ledger import compute
from sync.config import Config, load_config
from sync.model.frames import Ledger
from sync.model.raw import ColumnTab
from sync.notify.smtp import smtp_settings
from sync.rules.load import input_frames
from sync.rules.validate import validate
from sync.shape.report import team_tables


class Computed(NamedTuple):
    """What compute_tables returns: the team's output tabs and every problem found."""

    tables: dict[str, pd.DataFrame]  # Dashboard, Balances, Monthly, Periods and Errors, as the team book shows them
    problems: pd.DataFrame  # one row per problem: Tab, Row, Column, Value, Problem, Severity, Code
    ledger: Ledger  # every figure before shaping (sync.model.frames declares its columns and units)


def compute_tables(
    tabs: Mapping[str, pd.DataFrame], as_of: dt.date | None = None, config: Config | None = None
) -> Computed:
    """Validate and compute the team's input tabs given as DataFrames, with no I/O at all.

    `tabs` maps tab names (Clients, Contracts, Rates, Time, Payments, Expenses; Rates and Expenses
    may be left out) to DataFrames whose columns are the tab's headers and whose cells are what a
    spreadsheet holds (text, numbers, dates); a frame's row i is sheet row i + 2, as under a
    header row. A row with an error is left out of the figures and listed in `problems`; a missing
    tab or column raises BookError. `as_of` defaults to today, `config` to the defaults."""
    as_of = as_of or dt.date.today()
    config = (config or Config()).checked()
    book, problems = validate(input_frames({name: _column_tab(frame) for name, frame in tabs.items()}), config, as_of)
    ledger = compute(book, as_of)
    computed_at = dt.datetime.now().replace(microsecond=0)
    tables = team_tables(ledger, problems, as_of, computed_at)
    return Computed({name: table.frame for name, table in tables.items()}, problems, ledger)


def _column_tab(frame: pd.DataFrame) -> ColumnTab:
    """A DataFrame as a backend's raw tab: blanks (NaN, NaT, None) become empty cells."""
    columns = [
        np.array([None if _blank(cell) else cell for cell in frame[name].tolist()], dtype=object)
        for name in frame.columns
    ]
    return ColumnTab([str(name) for name in frame.columns], columns)


def _blank(cell: object) -> bool:
    return cell is None or cell == "" or (not isinstance(cell, (list, tuple, str)) and bool(pd.isna(cell)))  # type: ignore[call-overload]  # pd.isna takes any object; the stubs list only some


def run(
    book: str | Path | None = None,
    *,
    sheet: str | None = None,
    config: Config | None = None,
    config_file: str | Path | None = None,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    credentials: str | Path | None = None,
    api_url: str | None = None,
) -> RunResult:
    """Sync a team book as `python -m sync run` does: `book` an .xlsx path or `sheet` a Google
    spreadsheet ID or link. Holds the book's lock (LockBusy when another sync keeps it past
    lock_wait), writes the output tabs, the Sync Log and the client summaries, and e-mails alerts
    when SMTP is set. `config` defaults to the settings file beside the book (or `config_file`) and
    the SYNC_* environment variables. Raises a SyncError subclass when the sync cannot run; rows
    with problems are not errors: see RunResult.problems and RunResult.exit_code."""
    config, backend = _open(book, sheet, config, config_file, credentials, api_url)
    with backend.lock(config.lock_wait):
        return pipeline.run(
            backend,
            config,
            as_of or dt.date.today(),
            dry_run=dry_run,
            notices=_notices(book),
            smtp=smtp_settings(config),
        )


def check(
    book: str | Path | None = None,
    *,
    sheet: str | None = None,
    config: Config | None = None,
    config_file: str | Path | None = None,
    as_of: dt.date | None = None,
    credentials: str | Path | None = None,
    api_url: str | None = None,
) -> RunResult:
    """Validate a team book and plan its client summaries, writing nothing: the problems, warnings
    and exit code a run would have."""
    config, backend = _open(book, sheet, config, config_file, credentials, api_url)
    return pipeline.check(backend, config, as_of or dt.date.today(), notices=_notices(book))


def _open(
    book: str | Path | None,
    sheet: str | None,
    config: Config | None,
    config_file: str | Path | None,
    credentials: str | Path | None,
    api_url: str | None,
) -> tuple[Config, Backend]:
    path = Path(book) if book is not None else None
    config = config.checked() if config else load_config(Path(config_file) if config_file else None, path)
    return config, open_book(config, path, sheet, Path(credentials) if credentials else None, api_url)


def _notices(book: str | Path | None) -> list[str]:
    from sync.backends.xlsx.file import open_elsewhere

    return open_elsewhere(Path(book)) if book is not None else []
