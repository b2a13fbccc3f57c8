"""The Dashboard tab: one row per contract, worst first, with what each contract needs in words."""

from __future__ import annotations

import pytest

from sync.app import pipeline
from sync.backends.memory import MemoryBook
from sync.config import Config
from sync.model.schema import DASHBOARD_COLUMNS, OUTPUT_TABS
from sync.shape.report import needs
from tests.books import AS_OF, sheet

# As Of 2026-06-30. One hour at 100 in the last 90 days bills 100: a balance of 30 lasts 27 days.
BOOK = {
    "Clients": sheet("""
| Client ID | Name     | Email | Summary Sheet |
| A-1       | Zeta Co  |       |               |
| B-1       | Alpha Co |       |               |
"""),
    "Contracts": sheet("""
| Contract ID | Client ID | Name      | Currency | Rate | Start      | End | Rounding Minutes | Low Balance | Status | Period  | Included Hours | Fee |
| K-1         | A-1       | Far       | USD      | 100  | 2026-01-01 |     |                  |             |        |         |                |     |
| K-2         | A-1       | Soon      | USD      | 100  | 2026-01-01 |     |                  |             |        |         |                |     |
| K-3         | A-1       | Idle      | USD      | 100  | 2026-01-01 |     |                  |             |        |         |                |     |
| K-4         | A-1       | Low       | USD      | 100  | 2026-01-01 |     |                  | 500         |        |         |                |     |
| K-5         | A-1       | Low soon  | USD      | 100  | 2026-01-01 |     |                  | 500         |        |         |                |     |
| K-6         | A-1       | Over      | USD      | 100  | 2026-01-01 |     |                  |             |        |         |                |     |
| K-7         | A-1       | Done      | USD      | 100  | 2025-01-01 |     |                  |             | closed |         |                |     |
| K-8         | B-1       | Idle too  | USD      | 100  | 2026-01-01 |     |                  |             |        |         |                |     |
| K-0         | A-1       | Idle also | USD      | 100  | 2026-01-01 |     |                  |             |        |         |                |     |
| R-1         | B-1       | Retainer  | USD      | 100  | 2026-06-01 |     |                  |             |        | monthly | 2              | 100 |
"""),
    "Time": sheet("""
| Date       | Person | Contract ID | Task | Work Type | Hours | Billable | Notes |
| 2026-06-01 | Ann    | K-1         | Fix  |           | 1     |          |       |
| 2026-06-01 | Ann    | K-2         | Fix  |           | 1     |          |       |
| 2026-06-01 | Ann    | K-5         | Fix  |           | 1     |          |       |
| 2026-06-01 | Ann    | K-6         | Fix  |           | 1     |          |       |
| 2026-06-10 | Ann    | R-1         | Fix  |           | 3     |          |       |
"""),
    "Payments": sheet("""
| Date       | Contract ID | Amount | Reference | Notes |
| 2026-01-02 | K-1         | 10000  |           |       |
| 2026-01-02 | K-2         | 130    |           |       |
| 2026-01-02 | K-3         | 100    |           |       |
| 2026-01-02 | K-4         | 400    |           |       |
| 2026-01-02 | K-5         | 130    |           |       |
| 2026-01-02 | K-7         | 100    |           |       |
| 2026-01-02 | K-8         | 100    |           |       |
| 2026-01-02 | K-0         | 100    |           |       |
| 2026-06-01 | R-1         | 10000  |           |       |
"""),
}


@pytest.fixture(scope="module")
def tabs():
    book = MemoryBook(BOOK)
    result = pipeline.run(book, Config(), AS_OF)
    assert result.exit_code == 0, result.problems
    return book.outputs


@pytest.fixture(scope="module")
def dashboard(tabs):
    return tabs["Dashboard"].frame


def test_dashboard_is_the_first_output_tab(tabs):
    assert list(OUTPUT_TABS)[0] == "Dashboard"
    assert list(tabs)[:2] == ["Dashboard", "Balances"]
    assert list(tabs["Dashboard"].columns) == list(DASHBOARD_COLUMNS)


def test_worst_first_then_soonest_run_out_then_client_then_contract_id(dashboard):
    # OVERDRAWN; LOW by Runs Out (blank last); OK by Runs Out (blank last), ties by Client name
    # (Alpha Co before Zeta Co) then Contract ID; CLOSED last.
    assert dashboard[["Status", "Contract ID"]].values.tolist() == [
        ["OVERDRAWN", "K-6"],
        ["LOW", "K-5"],
        ["LOW", "K-4"],
        ["OK", "R-1"],  # its period's hours ran out on 2026-06-10
        ["OK", "K-2"],
        ["OK", "K-1"],
        ["OK", "K-8"],
        ["OK", "K-0"],
        ["OK", "K-3"],
        ["CLOSED", "K-7"],
    ]


def test_blank_run_outs_sort_by_client_name_then_contract_id(dashboard):
    idle = dashboard[dashboard["Runs Out"].isna() & (dashboard["Status"] == "OK")]
    assert idle[["Client", "Contract ID"]].values.tolist()[-3:] == [
        ["Alpha Co", "K-8"],
        ["Zeta Co", "K-0"],
        ["Zeta Co", "K-3"],
    ]


def test_needs_in_words(dashboard):
    said = dict(zip(dashboard["Contract ID"], dashboard["Needs"]))
    assert said["K-6"] == "Balance is below zero: ask for a top-up"
    assert said["K-4"] == "Below the Low Balance of 500.00"
    assert said["K-5"] == "Below the Low Balance of 500.00. Runs out within 30 days"
    assert said["K-2"] == "Runs out within 30 days"
    assert said["R-1"] == "No hours left this period: more work bills as overage"
    assert [said[c] for c in ("K-1", "K-3", "K-7", "K-8", "K-0")] == [None] * 5


def test_figures_are_the_balances_tabs(tabs, dashboard):
    balances = tabs["Balances"].frame.set_index("Contract ID")
    shared = [column for column in DASHBOARD_COLUMNS if column in [*balances.columns, "Contract ID"]]
    assert shared == [column for column in DASHBOARD_COLUMNS if column != "Needs"]
    mine = dashboard.set_index("Contract ID")[[c for c in shared if c != "Contract ID"]]
    theirs = balances.loc[mine.index, mine.columns]
    assert mine.astype(str).values.tolist() == theirs.astype(str).values.tolist()


def test_soon_is_within_thirty_days(dashboard):
    soon = dashboard.set_index("Contract ID").loc[["K-2", "K-5"], "Runs Out"]
    assert all(0 < (day - AS_OF).days <= 30 for day in soon)


@pytest.mark.parametrize(
    ("status", "soon", "periodic", "left", "said"),
    [
        ("OK", False, False, None, None),
        ("CLOSED", True, True, 0, None),
        ("OVERDRAWN", False, False, None, "Balance is below zero: ask for a top-up"),
        ("LOW", False, False, None, "Below the Low Balance of 1,234.50"),
        ("OK", True, False, None, "Runs out within 30 days"),
        ("OK", True, True, 3_600_000, "This period's hours run out before it ends"),
        ("OK", False, True, 0, "No hours left this period: more work bills as overage"),
        ("OK", False, True, 3_600_000, None),
        (
            "OVERDRAWN",
            False,
            True,
            0,
            "Balance is below zero: ask for a top-up. No hours left this period: more work bills as overage",
        ),
    ],
)
def test_needs_sentence(status, soon, periodic, left, said):
    assert needs(status, 123450.0, 2, soon, periodic, left) == said
