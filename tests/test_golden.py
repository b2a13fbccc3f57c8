"""Every output tab of a small fixed book, compared with the files a reviewer reads."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sync.app import pipeline
from sync.backends.memory import MemoryBook
from sync.config import Config
from tests.books import AS_OF, CLIENTS, CONTRACTS, EXPENSES, PAYMENTS, TIME, sheet, small_book

COMPUTED_AT = dt.datetime(2026, 7, 1, 2, 0, 0)

BAD_ROWS = {
    "Clients": CLIENTS + [["C-3", "", "not-an-email", ""]],
    "Contracts": CONTRACTS
    + [
        ["K-4", "C-3", "Orphan", "usd", "100", "", "", "", "", ""],
        ["K-5", "C-2", "Typo", "EUX", "100", "2026-02-01", "2026-01-01", "7.5", "-1", "paused"],
    ],
    "Time": TIME
    + [
        ["2026-13-01", "Ann", "K-1", "Bad date", "", "1", "", ""],
        ["2026-05-02", "Ann", "K-4", "Orphan work", "", "1", "", ""],
        ["2026-05-03", "Ann", "K-1", "Too long", "", "25", "maybe", ""],
        ["2026-05-04", "Ann", "", "", "", "", "", "no contract"],
    ],
    "Payments": PAYMENTS + [["2026-05-05", "K-2", "12.345", "", ""], ["2026-08-01", "K-1", "100", "", ""]],
    "Expenses": EXPENSES + [["2026-05-06", "K-1", "Plugin", "abc", "", ""]],
}


@pytest.fixture(scope="module")
def outputs():
    book = small_book(**BAD_ROWS)
    result = pipeline.run(book, Config(), AS_OF, computed_at=COMPUTED_AT)
    assert result.exit_code == 1
    return book


@pytest.mark.parametrize("tab", ["Dashboard", "Balances", "Monthly", "Periods", "Errors"])
def test_team_tabs(outputs, golden, tab):
    golden(tab.lower(), outputs.outputs[tab])


@pytest.mark.parametrize("tab", ["Summary", "Activity", "Payments", "Statement"])
def test_client_summary_tabs(outputs, golden, tab):
    golden(f"client-C-1-{tab.lower()}", outputs.summaries["clients/C-1"][tab])


def test_client_dashboard(outputs, golden):
    golden("client-C-1-dashboard", outputs.dashboards["clients/C-1"].text())


def test_a_client_without_a_retainer_has_no_periods_tab(outputs):
    assert "Periods" not in outputs.summaries["clients/C-1"]


def test_only_valid_clients_get_a_summary(outputs):
    assert sorted(outputs.summaries) == ["clients/C-1", "clients/C-2"]


# A book with retainers: a monthly one starting mid-month (rollover cap, expiry, overage rate and
# rounding), a quarterly yen one with an End, and a plain prepaid contract beside them.
PERIODIC = {
    "Clients": sheet("""
| Client ID | Name          | Email            | Summary Sheet |
| P-1       | Pine Partners | it@pine.example  |               |
| P-2       | Quay Foods    | qf@quay.example  |               |
"""),
    "Contracts": sheet("""
| Contract ID | Client ID | Name        | Currency | Rate  | Start      | End        | Rounding Minutes | Period    | Included Hours | Fee      | Rollover Cap | Rollover Expires | Overage Rate |
| R-1         | P-1       | Retainer    | USD      | 120   | 2026-01-15 |            | 15               | monthly   | 10             | 1,000.00 | 12           | 1                | 150          |
| K-9         | P-1       | Prepaid     | USD      | 100   | 2026-01-01 |            |                  |           |                |          |              |                  |              |
| R-2         | P-2       | Support     | JPY      | 12000 | 2026-01-01 | 2026-05-20 |                  | quarterly | 20             | 200000   | all          |                  |              |
"""),
    "Time": sheet("""
| Date       | Person | Contract ID | Task          | Work Type | Hours | Billable | Notes |
| 2026-01-20 | Ann    | R-1         | Setup         |           | 2:10  |          |       |
| 2026-02-16 | Ann    | R-1         | Updates       |           | 3     |          |       |
| 2026-03-20 | Ben    | R-1         | Migration     |           | 9     |          |       |
| 2026-03-25 | Ben    | R-1         | Migration     |           | 12    |          |       |
| 2026-03-26 | Ben    | R-1         | Internal call |           | 1     | N        |       |
| 2026-05-02 | Ann    | R-1         | Review        |           | 1     |          |       |
| 2026-06-20 | Ann    | R-1         | Fixes         |           | 4:40  |          |       |
| 2026-03-03 | Cy     | K-9         | One-off       |           | 2     |          |       |
| 2026-02-10 | Cy     | R-2         | Menu update   |           | 5     |          |       |
| 2026-04-08 | Cy     | R-2         | Till problem  |           | 24    |          |       |
| 2026-05-18 | Cy     | R-2         | Till problem  |           | 20    |          |       |
"""),
    "Payments": sheet("""
| Date       | Contract ID | Amount   | Reference | Notes |
| 2026-01-15 | R-1         | 3,000.00 | PP-1      |       |
| 2026-03-01 | K-9         | 500      | PP-2      |       |
| 2026-01-05 | R-2         | 600000   | QF-1      |       |
"""),
}


@pytest.fixture(scope="module")
def periodic_outputs():
    book = MemoryBook(PERIODIC)
    result = pipeline.run(book, Config(), AS_OF, computed_at=COMPUTED_AT)
    assert result.exit_code == 0, result.problems
    return book


@pytest.mark.parametrize("tab", ["Dashboard", "Balances", "Periods"])
def test_periodic_team_tabs(periodic_outputs, golden, tab):
    golden(f"periodic-{tab.lower()}", periodic_outputs.outputs[tab])


@pytest.mark.parametrize("tab", ["Summary", "Activity", "Statement", "Periods"])
def test_periodic_client_summary_tabs(periodic_outputs, golden, tab):
    golden(f"periodic-client-P-1-{tab.lower()}", periodic_outputs.summaries["clients/P-1"][tab])


def test_periodic_client_dashboard(periodic_outputs, golden):
    golden("periodic-client-P-1-dashboard", periodic_outputs.dashboards["clients/P-1"].text())


@pytest.mark.parametrize("client", ["clients/C-1", "clients/P-1"])
def test_activity_adds_up_to_billed(outputs, periodic_outputs, client):
    book = outputs if client == "clients/C-1" else periodic_outputs
    tables = book.summaries[client]
    activity, summary, statement = (tables[tab] for tab in ("Activity", "Summary", "Statement"))
    assert activity.footer == statement.footer == 2  # a blank row, then one total (one currency)
    data = activity.frame.iloc[: activity.data_rows]
    billed = sum(summary.frame["Billed"])
    assert sum(data["Amount"]) == billed == activity.frame["Amount"].iloc[-1]
    assert statement.frame["Billed"].iloc[-1] == billed
    assert tables["Payments"].frame["Amount"].iloc[-1] == sum(summary.frame["Paid"])


def test_totals_per_currency_and_for_fees_alone():
    """A client with contracts in two currencies gets a total for each; one whose Activity is only
    fees (no time) still gets its total, with no hours."""
    contracts = [row[:] for row in PERIODIC["Contracts"]]
    contracts[3][1] = "P-1"  # R-2 (JPY) to Pine Partners, beside R-1 and K-9 (USD)
    feeless = {**PERIODIC, "Contracts": contracts}
    book = MemoryBook(feeless)
    pipeline.run(book, Config(), AS_OF, computed_at=COMPUTED_AT)
    activity = book.summaries["clients/P-1"]["Activity"]
    totals = activity.frame.iloc[-activity.footer :]
    assert activity.footer == 3 and totals.iloc[0].isna().all()  # a blank row, then one total per currency
    assert list(totals["Contract ID"].iloc[1:]) == ["Total JPY", "Total USD"]
    data = activity.frame.iloc[: activity.data_rows]
    jpy = data["Contract ID"] == "R-2"
    assert totals["Amount"].iloc[1] == sum(data["Amount"][jpy]) and str(totals["Amount"].iloc[1]).isdigit()

    only_fees = {**PERIODIC, "Time": [row for row in PERIODIC["Time"] if row[2] != "R-2"]}
    book = MemoryBook(only_fees)
    pipeline.run(book, Config(), AS_OF, computed_at=COMPUTED_AT)
    activity = book.summaries["clients/P-2"]["Activity"]
    assert set(activity.frame["Work Type"].iloc[: activity.data_rows]) == {"fee"}
    total = activity.frame.iloc[-1]
    assert total["Contract ID"] == "Total" and pd.isna(total["Hours"])
    assert total["Amount"] == sum(activity.frame["Amount"].iloc[: activity.data_rows])


@pytest.mark.parametrize("big", [False, True])
def test_totals_are_exact_sums_of_what_is_shown(big):
    """Sums of the Decimals shown, in whole units of their last place (as doubles while exact, else as Python ints)."""
    from decimal import Decimal

    from sync.shape.report import _exact_sums

    amounts = [Decimal("0.10"), Decimal("0.20"), None, Decimal("999999999999999.99" if big else "5.00"), Decimal("1")]
    shared = {a: a for a in amounts if a is not None}  # one object per distinct figure, as money() makes them
    values = pd.Series([shared.get(a) if a is not None else None for a in amounts], dtype=object)
    group = np.array([0, 0, 0, 1, 2])
    totals = _exact_sums(values, group, 4)
    assert totals[:3] == [Decimal("0.30"), amounts[3], Decimal("1")] and totals[3] is None
    assert str(totals[0]) == "0.30"
