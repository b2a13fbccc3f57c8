"""Books written inline, like spreadsheets, for the tests."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sync.backends.memory import MemoryBook
from sync.config import Config
from sync.model.frames import Book
from sync.model.schema import INPUT_TAB_NAMES
from sync.rules.load import input_frames
from sync.rules.validate import validate


def sheet(text: str) -> list[list[object]]:
    """A tab from a pipe table: first line the header, blank cells as ''."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


CLIENTS = sheet("""
| Client ID | Name         | Email             | Summary Sheet |
| C-1       | Acme Ltd     | ops@acme.example  |               |
| C-2       | Bolt Bakery  | bo@bolt.example   |               |
""")

CONTRACTS = sheet("""
| Contract ID | Client ID | Name        | Currency | Rate | Start      | End | Rounding Minutes | Low Balance | Status |
| K-1         | C-1       | Care plan   | USD      | 120  | 2026-01-01 |     | 15               | 500         |        |
| K-2         | C-2       | Support     | EUR      | 90   | 2026-01-01 |     |                  |             |        |
| K-3         | C-1       | Old retainer| USD      | 100  | 2025-01-01 | 2025-12-31 |           |             | closed |
""")

RATES = sheet("""
| Contract ID | Work Type | Rate | From       |
| K-1         |           | 150  | 2026-06-01 |
| K-1         | emergency | 200  |            |
""")

TIME = sheet("""
| Date       | Person | Contract ID | Task            | Work Type | Hours | Billable | Notes          |
| 2026-01-10 | Ann    | K-1         | Update plugins  |           | 1:20  |          | slow server    |
| 2026-02-03 | Ben    | K-1         | Outage          | emergency | 2h    | Y        |                |
| 2026-06-15 | Ann    | K-1         | Backups         |           | 0.5   | yes      |                |
| 2026-03-01 | Ann    | K-1         | Call            |           | 1     | N        | internal only  |
| 2026-02-10 | Cy     | K-2         | New banner      |           | 90m   | x        |                |
| 2025-06-01 | Cy     | K-3         | Old fix         |           | 3     |          |                |
""")

PAYMENTS = sheet("""
| Date       | Contract ID | Amount     | Reference | Notes |
| 2026-01-02 | K-1         | $1,000.00  | INV-1     |       |
| 2026-02-01 | K-2         | 500        | INV-2     |       |
| 2025-05-01 | K-3         | 300        | INV-0     |       |
| 2025-12-31 | K-3         | -0.00      | none      |       |
""")

EXPENSES = sheet("""
| Date       | Contract ID | Description     | Amount | Billable | Notes |
| 2026-02-11 | K-1         | Domain renewal  | 15.99  | Y        |       |
| 2026-02-12 | K-1         | Stock photo     | 30     | N        |       |
""")

AS_OF = dt.date(2026, 6, 30)


def small_book(**tabs: list[list[object]]) -> MemoryBook:
    """The small fixed book; keyword arguments replace (or, with None, remove) a tab."""
    book = {
        "Clients": CLIENTS,
        "Contracts": CONTRACTS,
        "Rates": RATES,
        "Time": TIME,
        "Payments": PAYMENTS,
        "Expenses": EXPENSES,
    }
    book.update(tabs)
    return MemoryBook({name: rows for name, rows in book.items() if rows is not None})


def validated(book: MemoryBook, as_of: dt.date = AS_OF, config: Config = Config()) -> tuple[Book, pd.DataFrame]:
    """A book's valid rows and its problems, as the sync's validate stage sees them."""
    return validate(input_frames(book.read_tabs(list(INPUT_TAB_NAMES))), config, as_of)
