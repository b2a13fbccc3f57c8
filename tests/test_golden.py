"""Every output tab of a small fixed book, compared with the files a reviewer reads."""
import datetime as dt

import pytest

from sync import pipeline
from sync.config import Config
from tests.books import AS_OF, CLIENTS, CONTRACTS, EXPENSES, PAYMENTS, TIME, small_book

COMPUTED_AT = dt.datetime(2026, 7, 1, 2, 0, 0)

BAD_ROWS = {
    "Clients": CLIENTS + [["C-3", "", "not-an-email", ""]],
    "Contracts": CONTRACTS + [["K-4", "C-3", "Orphan", "usd", "100", "", "", "", "", ""],
                              ["K-5", "C-2", "Typo", "EUX", "100", "2026-02-01", "2026-01-01", "7.5", "-1",
                               "paused"]],
    "Time": TIME + [["2026-13-01", "Ann", "K-1", "Bad date", "", "1", "", ""],
                    ["2026-05-02", "Ann", "K-4", "Orphan work", "", "1", "", ""],
                    ["2026-05-03", "Ann", "K-1", "Too long", "", "25", "maybe", ""],
                    ["2026-05-04", "Ann", "", "", "", "", "", "no contract"]],
    "Payments": PAYMENTS + [["2026-05-05", "K-2", "12.345", "", ""], ["2026-08-01", "K-1", "100", "", ""]],
    "Expenses": EXPENSES + [["2026-05-06", "K-1", "Plugin", "abc", "", ""]],
}


@pytest.fixture(scope="module")
def outputs():
    book = small_book(**BAD_ROWS)
    result = pipeline.run(book, Config(), AS_OF, computed_at=COMPUTED_AT)
    assert result.exit_code == 1
    return book


@pytest.mark.parametrize("tab", ["Balances", "Monthly", "Errors"])
def test_team_tabs(outputs, golden, tab):
    golden(tab.lower(), outputs.outputs[tab])


@pytest.mark.parametrize("tab", ["Summary", "Activity", "Payments", "Statement"])
def test_client_summary_tabs(outputs, golden, tab):
    golden(f"client-C-1-{tab.lower()}", outputs.summaries["clients/C-1"][tab])


def test_only_valid_clients_get_a_summary(outputs):
    assert sorted(outputs.summaries) == ["clients/C-1", "clients/C-2"]
