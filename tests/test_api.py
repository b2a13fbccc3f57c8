"""The library as a notebook user meets it: only the names `import sync` gives."""

from __future__ import annotations

import datetime as dt
import doctest
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest

import sync

AS_OF = dt.date(2026, 3, 31)


def tabs(**changes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "Clients": pd.DataFrame(
            {
                "Client ID": ["C-1", "C-2"],
                "Name": ["Acme Ltd", "Bolt Bakery"],
                "Email": ["ops@acme.example", "bo@bolt.example"],
            }
        ),
        "Contracts": pd.DataFrame(
            {
                "Contract ID": ["K-1", "K-2"],
                "Client ID": ["C-1", "C-2"],
                "Name": ["Care plan", "Support"],
                "Currency": ["USD", "EUR"],
                "Rate": [120, 90.5],
                "Start": [dt.date(2026, 1, 1), "2026-01-01"],
            }
        ),
        "Time": pd.DataFrame(
            {
                "Date": [dt.date(2026, 3, 2), "2026-03-03", "2026-03-04"],
                "Contract ID": ["K-1", "K-2", "K-9"],
                "Person": ["Ana", "Ben", "Ana"],
                "Task": ["Update plugins", "Fix form", "Backup"],
                "Hours": ["1:30", 2, 1],
            }
        ),
        "Payments": pd.DataFrame(
            {"Date": ["2026-01-05", None], "Contract ID": ["K-1", "K-2"], "Amount": ["1,000.00", 500]}
        ),
    } | changes


def test_public_names_are_few_and_documented():
    assert sorted(sync.__all__) == sorted(dir(sync))
    for name in sync.__all__:
        assert getattr(sync, name).__doc__, name
    with pytest.raises(AttributeError):
        sync.pipeline  # noqa: B018 - the stages are not the public face


def test_compute_tables_from_dataframes():
    computed = sync.compute_tables(tabs(), as_of=AS_OF)
    balances = computed.tables["Balances"].set_index("Contract ID")
    assert balances.loc["K-1", ["Paid", "Billed", "Balance"]].tolist() == [
        Decimal("1000.00"),
        Decimal("180.00"),
        Decimal("820.00"),
    ]
    assert balances.loc["K-2", "Billed"] == Decimal("181.00")  # 2 h at 90.50 EUR; its payment has no date
    assert set(computed.tables) == {"Dashboard", "Balances", "Monthly", "Periods", "Requests Summary", "Errors"}
    problems = computed.problems.set_index(["Tab", "Row"])
    assert problems.loc[("Time", 4), "Column"] == "Contract ID"  # K-9 is on no Contracts row
    assert problems.loc[("Payments", 3), ["Column", "Severity"]].tolist() == ["Date", "error"]
    assert computed.problems["Code"].str.len().min() > 0
    assert computed.tables["Errors"].columns.tolist() == ["Tab", "Row", "Column", "Value", "Problem", "Severity"]


def test_compute_tables_refuses_a_missing_tab_with_a_typed_error():
    with pytest.raises(sync.BookError, match="Contracts") as raised:
        sync.compute_tables({name: frame for name, frame in tabs().items() if name != "Contracts"}, as_of=AS_OF)
    assert isinstance(raised.value, sync.SyncError) and raised.value.exit_code == 2


def test_a_bad_setting_is_a_config_error():
    with pytest.raises(sync.ConfigError, match="currency 'XX'"):
        sync.compute_tables(tabs(), as_of=AS_OF, config=sync.Config(currency="XX"))


def test_run_and_check_a_workbook(tmp_path):
    book = tmp_path / "team.xlsx"
    subprocess.run([sys.executable, "-m", "sync", "init", "--book", str(book)], check=True, capture_output=True)
    checked = sync.check(book, as_of=AS_OF, config=sync.Config())
    assert checked.exit_code == 0 and checked.rows_read == 0
    result = sync.run(book, as_of=AS_OF, config=sync.Config())
    assert isinstance(result, sync.RunResult)
    assert result.exit_code == 0 and "Balances" in result.written
    with pytest.raises(sync.BookError, match="workbook not found"):
        sync.run(tmp_path / "missing.xlsx", config=sync.Config())


def test_every_error_kind_has_its_exit_code():
    codes = {
        kind: kind.exit_code
        for kind in (sync.ConfigError, sync.BookError, sync.GoogleAccessError, sync.LockBusy, sync.InternalError)
    }
    assert codes == {
        sync.ConfigError: 2,
        sync.BookError: 2,
        sync.GoogleAccessError: 2,
        sync.LockBusy: 3,
        sync.InternalError: 70,
    }
    assert all(issubclass(kind, sync.SyncError) for kind in codes)


def test_the_docstring_examples_run():
    import sync.app.api as api

    assert doctest.testmod(api).failed == 0
