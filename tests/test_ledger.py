"""The pinned computation rules, on books small enough to check by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from sync.app import pipeline
from sync.config import Config
from tests.books import AS_OF, CONTRACTS, sheet, small_book


def run(book, as_of=AS_OF, config=Config()):
    result = pipeline.run(book, config, as_of, computed_at=dt.datetime(2026, 7, 1, 2, 0))
    return result, book.outputs


def balance(outputs, contract_id):
    frame = outputs["Balances"].frame
    return frame[frame["Contract ID"] == contract_id].iloc[0]


def test_small_book_figures_by_hand():
    result, out = run(small_book())
    assert result.exit_code == 0 and result.problems.empty
    k1 = balance(out, "K-1")
    # 1:20 rounded up to 1:30 x 120 = 180; 2h emergency x 200 = 400; 0.5h from June at 150 = 75;
    # the 1h non-billable call = 0; billable expense 15.99 (the non-billable 30 is not billed)
    assert k1["Billed"] == Decimal("670.99") and k1["Paid"] == Decimal("1000.00")
    assert k1["Balance"] == Decimal("329.01") and k1["Status"] == "LOW"  # Low Balance 500
    assert k1["Hours"] == Decimal("4.83")  # 80 + 120 + 30 + 60 minutes, unrounded
    assert k1["Billable Hours"] == Decimal("4.00")  # 90 + 120 + 30 minutes, after rounding
    assert k1["Hours Remaining"] == Decimal("2.19")  # 329.01 / 150, the rate as of June 30
    # last 90 days billed 75, so 75/90 a day: ceil(329.01 * 90 / 75) = 395 days after June 30
    assert k1["Runs Out"] == dt.date(2027, 7, 30)
    assert k1["Last Activity"] == dt.date(2026, 6, 15)
    k2 = balance(out, "K-2")
    assert (k2["Currency"], k2["Billed"], k2["Balance"], k2["Status"]) == (
        "EUR",
        Decimal("135.00"),
        Decimal("365.00"),
        "OK",
    )
    assert k2["Runs Out"] is None  # nothing billed in the last 90 days
    k3 = balance(out, "K-3")
    assert (k3["Balance"], k3["Status"]) == (Decimal("0.00"), "CLOSED")


def test_money_is_decimal_with_the_currency_decimals():
    contracts = CONTRACTS + [["K-9", "C-2", "Yen plan", "JPY", "10000", "", "", "", "", ""]]
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-05-01 | K-9         | 1:20  |
    """)
    payments = sheet("""
    | Date       | Contract ID | Amount |
    | 2026-05-01 | K-9         | 50000  |
    """)
    _, out = run(small_book(Contracts=contracts, Time=time, Payments=payments))
    k9 = balance(out, "K-9")
    assert k9["Billed"] == Decimal("13333") and str(k9["Billed"]) == "13333"  # 4/3 h x 10000, half up
    assert str(k9["Balance"]) == "36667"


@pytest.mark.parametrize(
    "hours, rounding, billed",
    [
        ("0:01", "15", "30.00"),  # 1 minute rounds up to 15
        ("0:15", "15", "30.00"),  # already a multiple
        ("0:16", "15", "60.00"),
        ("0:16", "", "32.00"),
        ("0:16", "0", "32.00"),
        ("1:20", "", "160.00"),  # 4/3 h x 120 exactly
        ("0:07", "", "14.00"),
        ("0:01", "", "2.00"),
        ("0.0125", "", "1.50"),
        ("0.01", "", "1.20"),
    ],
)
def test_rounding_and_pricing(hours, rounding, billed):
    contracts = sheet(f"""
    | Contract ID | Client ID | Rate | Rounding Minutes |
    | K-1         | C-1       | 120  | {rounding}       |
    """)
    time = sheet(f"""
    | Date       | Contract ID | Hours   |
    | 2026-05-01 | K-1         | {hours} |
    """)
    _, out = run(
        small_book(
            Contracts=contracts, Time=time, Rates=None, Expenses=None, Payments=sheet("| Date | Contract ID | Amount |")
        )
    )
    assert balance(out, "K-1")["Billed"] == Decimal(billed)


def test_half_up_per_entry():
    # 1 minute at 100.30/h = 1.67166.. -> 1.67 ; 0.5 minute-ish: 0:00:30 at 1.00/h = 0.00833 -> 0.01
    contracts = sheet("""
    | Contract ID | Client ID | Rate   |
    | K-1         | C-1       | 100.30 |
    | K-2         | C-1       | 1.00   |
    | K-3         | C-1       | 0.10   |
    """)
    time = sheet("""
    | Date       | Contract ID | Hours   |
    | 2026-05-01 | K-1         | 0:01    |
    | 2026-05-01 | K-2         | 0:00:30 |
    | 2026-05-01 | K-3         | 3m      |
    """)
    _, out = run(
        small_book(
            Contracts=contracts, Time=time, Rates=None, Expenses=None, Payments=sheet("| Date | Contract ID | Amount |")
        )
    )
    assert balance(out, "K-1")["Billed"] == Decimal("1.67")
    assert balance(out, "K-2")["Billed"] == Decimal("0.01")
    assert balance(out, "K-3")["Billed"] == Decimal("0.01")  # 0.005 exactly: half up


def test_rate_rules_latest_from_then_blank_work_type_then_contract():
    rates = sheet("""
    | Contract ID | Work Type | Rate | From       |
    | K-1         | support   | 130  | 2026-03-01 |
    | K-1         | Support   | 140  | 2026-05-01 |
    | K-1         |           | 125  | 2026-04-01 |
    """)
    time = sheet("""
    | Date       | Contract ID | Work Type | Hours |
    | 2026-02-15 | K-1         | support   | 1     |
    | 2026-03-15 | K-1         | support   | 1     |
    | 2026-05-01 | K-1         | SUPPORT   | 1     |
    | 2026-04-15 | K-1         | design    | 1     |
    | 2026-03-31 | K-1         |           | 1     |
    | 2026-04-01 | K-1         |           | 1     |
    """)
    result, out = run(small_book(Rates=rates, Time=time, Expenses=None))
    priced = result.ledger.time.sort_values("row")
    assert (priced["rate"] // 10_000).tolist() == [120, 130, 140, 125, 120, 125]


def test_invalid_contract_rows_point_to_the_contract_row():
    contracts = CONTRACTS + [
        ["K-4", "C-1", "Broken", "USD", "lots", "", "", "", "", ""],
        ["K-5", "C-9", "No client", "USD", "100", "", "", "", "", ""],
    ]
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-05-01 | K-4         | 1     |
    | 2026-05-01 | K-5         | 1     |
    | 2026-05-01 | K-7         | 1     |
    """)
    result, out = run(small_book(Contracts=contracts, Time=time))
    problems = result.problems
    assert result.exit_code == 1
    rows = problems[["Tab", "Row", "Column", "Problem"]].values.tolist()
    assert ["Contracts", 5, "Rate", "is not an amount (use 1200, 1,200.00 or $1,200.00)"] in rows
    assert ["Contracts", 6, "Client ID", "no client with this ID on the Clients tab"] in rows
    assert ["Time", 2, "Contract ID", "contract K-4 has an error (Contracts row 5)"] in rows
    assert ["Time", 3, "Contract ID", "contract K-5 has an error (Contracts row 6)"] in rows
    assert ["Time", 4, "Contract ID", "no contract with this ID on the Contracts tab"] in rows
    assert set(out["Balances"].frame["Contract ID"]) == {"K-1", "K-2", "K-3"}


def test_duplicate_ids_are_errors_on_the_later_row():
    clients = sheet("""
    | Client ID | Name      |
    | C-1       | Acme Ltd  |
    | C-2       | Bolt      |
    | C-1       | Acme again|
    """)
    contracts = CONTRACTS + [["K-1", "C-2", "Copy", "USD", "1", "", "", "", "", ""]]
    result, out = run(small_book(Clients=clients, Contracts=contracts))
    rows = result.problems[["Tab", "Row", "Column", "Problem"]].values.tolist()
    assert ["Clients", 4, "Client ID", "repeats the Client ID of row 2"] in rows
    assert ["Contracts", 5, "Contract ID", "repeats the Contract ID of row 2"] in rows
    assert balance(out, "K-1")["Contract"] == "Care plan"  # the first row is the one used


def test_warnings_count_but_are_reported():
    time = sheet("""
    | Date       | Person | Contract ID | Task | Hours |
    | 2026-05-01 | Ann    | K-1         | Fix  | 1     |
    | 2026-05-01 | Ann    | K-1         | Fix  | 1     |
    | 2026-07-04 | Ann    | K-1         | Fix  | 1     |
    | 2025-12-01 | Ann    | K-1         | Fix  | 1     |
    """)
    result, out = run(small_book(Time=time, Expenses=None, Rates=None))
    assert result.exit_code == 0  # warnings only
    found = result.problems[["Row", "Problem", "Severity"]].values.tolist()
    assert [3, "looks like a duplicate of row 2", "warning"] in found
    assert [4, "is in the future", "warning"] in found
    assert [5, "is outside the contract's Start to End (2026-01-01 to …)", "warning"] in found
    assert balance(out, "K-1")["Billed"] == Decimal("480.00")  # all four counted


def test_status_order_overdrawn_before_low_before_closed():
    contracts = sheet("""
    | Contract ID | Client ID | Rate | Low Balance | Status |
    | K-1         | C-1       | 100  | 50          | closed |
    | K-2         | C-1       | 100  | 500         | closed |
    | K-3         | C-1       | 100  |             | Closed |
    | K-4         | C-1       | 100  | 0           |        |
    """)
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-05-01 | K-1         | 2     |
    | 2026-05-01 | K-2         | 1     |
    """)
    payments = sheet("""
    | Date       | Contract ID | Amount |
    | 2026-04-01 | K-1         | 100    |
    | 2026-04-01 | K-2         | 200    |
    | 2026-04-01 | K-3         | 200    |
    """)
    _, out = run(small_book(Contracts=contracts, Time=time, Payments=payments, Rates=None, Expenses=None))
    statuses = out["Balances"].frame.set_index("Contract ID")["Status"].to_dict()
    assert statuses == {"K-1": "OVERDRAWN", "K-2": "LOW", "K-3": "CLOSED", "K-4": "OK"}
    assert balance(out, "K-1")["Runs Out"] is None  # overdrawn: no projection


def test_monthly_closing_balances_run_on_without_gaps():
    _, out = run(small_book())
    monthly = out["Monthly"].frame
    k1 = monthly[monthly["Contract ID"] == "K-1"]
    assert k1["Month"].tolist() == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert k1["Balance"].tolist() == [Decimal(v) for v in ("820.00", "404.01", "404.01", "404.01", "404.01", "329.01")]
    k3 = monthly[monthly["Contract ID"] == "K-3"]  # closed: stops at its last dated row
    assert k3["Month"].iloc[-1] == "2025-12"
    last = monthly.groupby("Contract ID")["Balance"].last()
    balances = out["Balances"].frame.set_index("Contract ID")["Balance"]
    assert (last == balances.loc[last.index]).all()


def test_no_float_reaches_a_money_column():
    _, out = run(small_book())
    for table in out.values():
        for column, kind in table.kinds.items():
            if kind == "money":
                assert all(isinstance(v, Decimal) for v in table.frame[column] if v is not None), column


def test_empty_book_runs():
    book = small_book(
        Clients=sheet("| Client ID | Name |"),
        Contracts=sheet("| Contract ID | Client ID | Rate |"),
        Rates=None,
        Expenses=None,
        Time=sheet("| Date | Contract ID | Hours |"),
        Payments=sheet("| Date | Contract ID | Amount |"),
    )
    result, out = run(book)
    assert result.exit_code == 0 and out["Balances"].frame.empty and out["Monthly"].frame.empty


def test_an_amount_in_another_currency_is_an_error():
    payments = sheet("""
    | Date       | Contract ID | Amount    |
    | 2026-02-01 | K-1         | EUR 100   |
    | 2026-02-01 | K-2         | €100      |
    | 2026-02-01 | K-1         | $100      |
    """)
    result, out = run(small_book(Payments=payments))
    rows = result.problems[["Row", "Problem"]].values.tolist()
    assert rows == [[2, "is in EUR but the contract is in USD"]]
    assert balance(out, "K-1")["Paid"] == Decimal("100.00") and balance(out, "K-2")["Paid"] == Decimal("100.00")
