"""Every tab and column the sync reads or writes. sheets_schema.md documents exactly these."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from sync.errors import BookError


class InputColumn(NamedTuple):
    """A column of an input tab, by its header; a required one must be present."""

    name: str
    required: bool = False


class InputTab(NamedTuple):
    """An input tab the team fills in: its name and its columns, in order."""

    name: str
    columns: tuple[InputColumn, ...]
    optional: bool = False  # an optional tab may be missing entirely


def _cols(spec: str) -> tuple[InputColumn, ...]:
    """'*Client ID, *Name, Email' -> columns; a leading * marks a required column."""
    names = [part.strip() for part in spec.split(",")]
    return tuple(InputColumn(n.lstrip("*"), n.startswith("*")) for n in names)


INPUT_TABS: tuple[InputTab, ...] = (
    InputTab("Clients", _cols("*Client ID, *Name, Email, Summary Sheet, Monthly Report")),
    InputTab(
        "Contracts",
        _cols(
            "*Contract ID, *Client ID, Name, Currency, *Rate, Start, End, Rounding Minutes, Low Balance, Status, "
            "Alert At, Alert Client, Period, Included Hours, Fee, Rollover Cap, Rollover Expires, Overage Rate"
        ),
    ),
    InputTab("Rates", _cols("*Contract ID, Work Type, *Rate, From"), optional=True),
    InputTab(
        "Requests",
        _cols(
            "*Request ID, *Contract ID, *Title, Requested, Requested By, Status, Done, Estimate, Client Visible, Notes"
        ),
        optional=True,
    ),
    InputTab("Time", _cols("*Date, Person, *Contract ID, Task, Work Type, *Hours, Billable, Notes, Request ID")),
    InputTab("Payments", _cols("*Date, *Contract ID, *Amount, Reference, Notes")),
    InputTab("Expenses", _cols("*Date, *Contract ID, Description, *Amount, Billable, Notes"), optional=True),
)
INPUT_TAB_NAMES = tuple(tab.name for tab in INPUT_TABS)
DATE_COLUMNS = frozenset({"Date", "Start", "End", "From", "Requested", "Done"})  # the input columns that hold dates
# The input columns read as numbers (hours, amounts, counts; Alert At's amounts): where a date or time
# typed by mistake must not pass for a number.
NUMBER_COLUMNS = frozenset(
    {
        "Hours",
        "Amount",
        "Rate",
        "Low Balance",
        "Fee",
        "Overage Rate",
        "Included Hours",
        "Rollover Cap",
        "Rollover Expires",
        "Rounding Minutes",
        "Alert At",
        "Estimate",
    }
)

BALANCES_COLUMNS = (
    "Client ID",
    "Client",
    "Contract ID",
    "Contract",
    "Currency",
    "Paid",
    "Billed",
    "Balance",
    "Hours",
    "Billable Hours",
    "Hours Remaining",
    "Runs Out",
    "Period Hours Left",
    "Pace",
    "Last Activity",
    "Status",
    "As Of",
    "Computed At",
)
# One row per contract, worst first: the team's one-glance overview (figures as Balances shows them).
DASHBOARD_COLUMNS = (
    "Status",
    "Client",
    "Contract",
    "Contract ID",
    "Balance",
    "Currency",
    "Hours Remaining",
    "Runs Out",
    "Period Hours Left",
    "Last Activity",
    "Needs",
)
MONTHLY_COLUMNS = ("Contract ID", "Month", "Hours", "Billed", "Paid", "Balance")
# One row per periodic contract and period (see Retainer periods in sheets_schema.md).
PERIODS_COLUMNS = (
    "Contract ID",
    "Period Start",
    "Period End",
    "Included",
    "Carried In",
    "Used",
    "Carried Out",
    "Expired",
    "Overage Hours",
    "Overage Amount",
    "Fee",
)
# One row per client request (the Requests tab), open ones first, oldest first.
REQUESTS_SUMMARY = "Requests Summary"
REQUESTS_SUMMARY_COLUMNS = (
    "Request ID",
    "Client ID",
    "Contract ID",
    "Title",
    "Status",
    "Requested",
    "Requested By",
    "Done",
    "Hours",
    "Amount",
    "Estimate",
    "Over Estimate",
    "Days Open",
)
ERRORS_COLUMNS = ("Tab", "Row", "Column", "Value", "Problem", "Severity")
OUTPUT_TABS = {
    "Dashboard": DASHBOARD_COLUMNS,
    "Balances": BALANCES_COLUMNS,
    "Monthly": MONTHLY_COLUMNS,
    "Periods": PERIODS_COLUMNS,
    REQUESTS_SUMMARY: REQUESTS_SUMMARY_COLUMNS,
    "Errors": ERRORS_COLUMNS,
}

# Written by every run that gets as far as writing (newest first, the last 200 runs).
SYNC_LOG = "Sync Log"
SYNC_LOG_COLUMNS = (
    "Started",
    "Duration (s)",
    "Backend",
    "Rows Read",
    "Rows In Error",
    "Warnings",
    "Alerts Sent",
    "API Requests",
    "Quota Wait (s)",
    "Result",
)
SYNC_LOG_RUNS = 200
# Hidden and protected: the alerts crossed so far, so that each crossing is e-mailed once
# wherever the job runs.
SYNC_STATE = "Sync State"
SYNC_STATE_COLUMNS = ("Contract ID", "Alert", "Status", "Crossed", "Sent", "Note")
# Every tab the sync reads or writes in the team's book.
TEAM_TAB_NAMES = (*INPUT_TAB_NAMES, *OUTPUT_TABS, SYNC_LOG, SYNC_STATE)

# One workbook per client; never a Notes column.
# The tabs a client's summary had before the sync marked its summaries: such a summary is taken over once.
LEGACY_CLIENT_TABS = ("Summary", "Activity", "Payments", "Statement", "Periods")
CLIENT_TABS = {
    "Summary": (
        "Contract ID",
        "Contract",
        "Currency",
        "Paid",
        "Billed",
        "Balance",
        "Hours Remaining",
        "Runs Out",
        "Period Included",
        "Period Carried",
        "Period Used",
        "Period Left",
        "Pace",
        "Status",
        "As Of",
    ),
    "Activity": ("Date", "Contract ID", "Task", "Work Type", "Hours", "Billable", "Amount"),
    "Payments": ("Date", "Contract ID", "Amount", "Reference"),
    "Statement": ("Contract ID", "Month", "Opening", "Billed", "Paid", "Closing"),
    "Periods": PERIODS_COLUMNS,
    # Only the client's requests marked Client Visible: never Notes or Requested By.
    "Requests": ("Request ID", "Contract ID", "Title", "Status", "Requested", "Done", "Hours", "Estimate", "Amount"),
}


ADDRESS_SEPARATORS = r"[,;\s]+"  # Clients.Email may hold several addresses


def addresses(text: str) -> list[str]:
    """'a@x.example; b@x.example' -> ['a@x.example', 'b@x.example']."""
    return [address for address in re.split(ADDRESS_SEPARATORS, text) if address]


def header_key(text: object) -> str:
    """'Contract ID', 'contract_id' and 'contract-id' are the same header."""
    return re.sub(r"[\s_\-]+", " ", str(text)).strip().casefold()


def tab_key(name: object) -> str:
    """Tab names match ignoring capitals and spaces at either end: 'Time' and ' time ' are one tab.
    Unlike headers, '_' and '-' count: 'Sync_Log' is not the Sync Log."""
    return str(name).strip().casefold()


def find_tabs(
    titles: Iterable[str], names: Iterable[str], book: str = "the workbook", also: Iterable[str] = TEAM_TAB_NAMES
) -> dict[str, str]:
    """Each of `names` that the book has -> the title of its tab, among the book's tab `titles`.

    Raises SyncError when two or more tabs match one of `names` or `also` (by default every tab the
    sync reads or writes, so that no read or write of such a book goes ahead): reading one of them
    would drop the other's rows, and writing one would leave a stale copy beside it."""
    names = list(names)
    by_key: dict[str, list[str]] = {}
    for title in titles:
        by_key.setdefault(tab_key(title), []).append(title)
    clashes, seen = [], set()
    for name in [*names, *also]:
        found = by_key.get(tab_key(name), [])
        if len(found) > 1 and tab_key(name) not in seen:
            clashes.append(
                f"{len(found)} tabs named like {name!r}: {', '.join(map(repr, found[:-1]))} and {found[-1]!r}"
            )
        seen.add(tab_key(name))
    if clashes:
        each = " of each" if len(clashes) > 1 else ""
        raise BookError(f"{book} has {', and '.join(clashes)}; rename or delete all but one{each}")
    return {name: by_key[tab_key(name)][0] for name in names if tab_key(name) in by_key}
