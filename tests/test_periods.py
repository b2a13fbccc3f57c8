"""Retainer periods: hand-checked examples, the validation of the six Contracts columns, and
invariants on random periodic books (the hours add up, carried hours chain from period to period)."""

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.backends.memory import MemoryBook
from sync.compute.ledger import compute
from sync.compute.periods import period_starts
from tests.books import CLIENTS, sheet, validated

H = 3_600_000  # ms per hour
CONTRACT_HEADER = (
    "| Contract ID | Client ID | Currency | Rate | Start | End | Rounding Minutes | Period "
    "| Included Hours | Fee | Rollover Cap | Rollover Expires | Overage Rate |"
)


def contracts(*rows: str) -> list[list[object]]:
    return sheet("\n".join([CONTRACT_HEADER, *rows]))


def ledger_of(contract_rows, time, as_of, payments=None):
    book = MemoryBook(
        {
            "Clients": CLIENTS,
            "Contracts": contract_rows,
            "Time": time,
            "Payments": payments or [["Date", "Contract ID", "Amount"]],
        }
    )
    valid, problems = validated(book, as_of)
    assert problems[problems["Severity"] == "error"].empty, problems
    return compute(valid, as_of), problems


def periods_of(ledger, contract_id):
    frame = ledger.periods[ledger.periods["contract_id"] == contract_id].reset_index(drop=True)
    hours = ["included_ms", "carried_in_ms", "used_ms", "carried_out_ms", "expired_ms", "overage_ms"]
    shown = frame[hours].floordiv(H // 4).div(4)  # quarter hours are exact in these examples
    shown.insert(0, "start", frame["period_start"].dt.strftime("%Y-%m-%d"))
    shown.insert(1, "end", frame["period_end"].dt.strftime("%Y-%m-%d"))
    shown["overage_amount"], shown["fee"] = frame["overage_amount"], frame["fee"]
    return [tuple(row) for row in shown.itertuples(index=False)]


def contract(ledger, contract_id):
    frame = ledger.contracts
    return frame[frame["contract_id"] == contract_id].iloc[0]


def test_a_quiet_month_carries_over_and_a_busy_one_uses_carried_hours_then_overage():
    rows = contracts("| R-1 | C-1 | USD | 100 | 2026-01-01 | | | Monthly | 10 | 1,000 | 5 | | |")
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-01-05 | R-1         | 3     |
    | 2026-01-20 | R-1         | 3     |
    | 2026-02-10 | R-1         | 12    |
    | 2026-03-04 | R-1         | 6     |
    | 2026-03-03 | R-1         | 8     |
    """)
    ledger, _ = ledger_of(rows, time, dt.date(2026, 3, 15))
    # Jan: 6 of 10 used, 4 carry (cap 5). Feb: 12 = the 4 carried + 8 included, 2 carry.
    # Mar: 12 available; the 8h of 03-03 first, then 4 of the 6h of 03-04, 2h overage at 100.
    assert periods_of(ledger, "R-1") == [
        ("2026-01-01", "2026-01-31", 10, 0, 6, 4, 0, 0, 0, 100000),
        ("2026-02-01", "2026-02-28", 10, 4, 12, 2, 0, 0, 0, 100000),
        ("2026-03-01", "2026-03-31", 10, 2, 12, 0, 0, 2, 20000, 100000),
    ]
    assert ledger.time["amount"].tolist() == [0, 0, 0, 20000, 0]  # only the overage part is charged
    assert ledger.time["overage_ms"].tolist() == [0, 0, 0, 2 * H, 0]
    r1 = contract(ledger, "R-1")
    assert r1["periodic"] and r1["billed"] == 3 * 100000 + 20000 and r1["balance"] == -320000
    assert r1["period_left_ms"] == 0 and r1["pace"] == "ahead"  # 14 of 12 hours, half the month gone
    assert r1["runs_out"] == pd.Timestamp("2026-03-04")  # the entry that used the last hour
    monthly = ledger.monthly[ledger.monthly["contract_id"] == "R-1"]
    assert monthly["billed"].tolist() == [100000, 100000, 120000]  # fee in its month, overage in the entry's


def test_carried_hours_expire_and_the_chain_adds_up():
    rows = contracts("| R-2 | C-1 | USD | 100 | 2026-01-01 | | | monthly | 10 | | all | 1 | 150 |")
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-01-10 | R-2         | 2     |
    | 2026-03-05 | R-2         | 15    |
    """)
    ledger, _ = ledger_of(rows, time, dt.date(2026, 3, 22))
    # Jan's 8 unused carry into Feb, where they can last be used; Feb carries out them and its own
    # 10, and at the Feb-Mar boundary Jan's 8 expire. Mar: 10 carried (Feb's) then 5 included.
    assert periods_of(ledger, "R-2") == [
        ("2026-01-01", "2026-01-31", 10, 0, 2, 8, 0, 0, 0, 0),
        ("2026-02-01", "2026-02-28", 10, 8, 0, 18, 0, 0, 0, 0),
        ("2026-03-01", "2026-03-31", 10, 10, 15, 5, 8, 0, 0, 0),
    ]
    r2 = contract(ledger, "R-2")
    assert r2["billed"] == 0 and r2["period_left_ms"] == 5 * H
    assert r2["pace"] == "on track"  # 15 of 20 hours (75%) with 22 of 31 days gone (71%)
    assert r2["runs_out"] == pd.Timestamp("2026-03-30")  # 5 h left at 15 h per 22 days: 7.33 -> 8 days


def test_a_start_late_in_the_month_keeps_its_day_or_the_month_end():
    assert [
        str(day) for day in period_starts(pd.Timestamp("2026-01-31").to_datetime64().astype("datetime64[D]"), 1, 5)
    ] == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
    rows = contracts("| R-3 | C-1 | USD | 100 | 2026-01-31 | | 15 | monthly | 1 | 50 | | | |")
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-02-27 | R-3         | 0:50  |
    | 2026-02-28 | R-3         | 1:10  |
    """)
    ledger, _ = ledger_of(rows, time, dt.date(2026, 4, 10))
    # 0:50 rounds to 1:00 and fits; 1:10 rounds to 1:15 in the next period: 15 minutes overage = 25.00
    assert periods_of(ledger, "R-3") == [
        ("2026-01-31", "2026-02-27", 1, 0, 1, 0, 0, 0, 0, 5000),
        ("2026-02-28", "2026-03-30", 1, 0, 1, 0, 0, 0.25, 2500, 5000),
        ("2026-03-31", "2026-04-29", 1, 0, 0, 0, 0, 0, 0, 5000),
    ]
    r3 = contract(ledger, "R-3")
    assert r3["billed"] == 3 * 5000 + 2500
    assert r3["pace"] == "behind" and pd.isna(r3["runs_out"])  # nothing used, 11 of 30 days gone


def test_end_ends_the_periods_hours_or_months_whichever_first():
    rows = contracts("| R-4 | C-1 | USD | 100 | 2026-01-01 | 2026-06-30 | | yearly | 20 | 2,000 | all | | 150 |")
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-02-01 | R-4         | 15    |
    | 2026-07-15 | R-4         | 8     |
    """)
    ledger, problems = ledger_of(rows, time, dt.date(2026, 9, 30))
    assert "is outside the contract's Start to End" in problems["Problem"].iloc[0]
    # one period, cut at End; the entry after End counts in it: 5 h left, 3 h overage at 150
    assert periods_of(ledger, "R-4") == [("2026-01-01", "2026-06-30", 20, 0, 20, 0, 0, 3, 45000, 200000)]
    r4 = contract(ledger, "R-4")
    assert r4["billed"] == 245000
    assert pd.isna(r4["period_left_ms"]) and pd.isna(r4["pace"]) and pd.isna(r4["runs_out"])  # no current period


def test_a_period_starting_after_as_of_charges_no_fee_yet():
    rows = contracts("| R-5 | C-1 | USD | 100 | 2026-01-01 | | | monthly | 1 | 10 | | | |")
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-03-02 | R-5         | 2     |
    """)
    ledger, _ = ledger_of(rows, time, dt.date(2026, 2, 15))
    assert [row[-1] for row in periods_of(ledger, "R-5")] == [1000, 1000, 0]
    assert contract(ledger, "R-5")["billed"] == 2000 + 10000  # two fees, 1 h overage from March


def test_contracts_without_a_period_keep_todays_figures():
    rows = contracts("| K-1 | C-1 | USD | 100 | 2026-01-01 | | | | | | | | |")
    time = sheet("""
    | Date       | Contract ID | Hours |
    | 2026-01-05 | K-1         | 3     |
    """)
    ledger, _ = ledger_of(rows, time, dt.date(2026, 3, 15))
    k1 = contract(ledger, "K-1")
    assert not k1["periodic"] and k1["billed"] == 30000 and pd.isna(k1["period_left_ms"]) and pd.isna(k1["pace"])
    assert ledger.periods.empty


def test_validation_names_the_cells():
    rows = contracts(
        "| P-1 | C-1 | USD | 100 | 2026-01-01 | | | weekly  | 10  |          |      |    |    |",
        "| P-2 | C-1 | USD | 100 | 2026-01-01 | | | monthly |     |          |      |    |    |",
        "| P-3 | C-1 | USD | 100 |            | | | Monthly | -5  | EUR 5    | lots | -1 | -1 |",
        "| P-4 | C-1 | USD | 100 | 2026-01-01 | | | yearly  | 10  | 10.555   | -2   |    |    |",
        "| P-5 | C-1 | USD | 100 | 2026-01-01 | | | none    | 10  | abc      |      |    |    |",
        "| P-6 | C-1 | USD | 100 | 2026-01-01 | | | NONE    |     |          |      |    |    |",
        "| P-7 | C-1 | JPY | 100 | 2026-01-01 | | | quarterly | 2:30 | ¥5,000 | ALL  | 3  | 99.5 |",
    )
    book = MemoryBook(
        {
            "Clients": CLIENTS,
            "Contracts": rows,
            "Time": [["Date", "Contract ID", "Hours"]],
            "Payments": [["Date", "Contract ID", "Amount"]],
        }
    )
    valid, problems = validated(book, dt.date(2026, 3, 1))
    found = {(row.Row, row.Column, row.Problem, row.Severity) for row in problems.itertuples()}
    assert found == {
        (2, "Period", "is not none, monthly, quarterly or yearly", "error"),
        (3, "Included Hours", "is required when Period is set", "error"),
        (4, "Start", "is required when Period is set", "error"),
        (4, "Included Hours", "must not be negative", "error"),
        (4, "Fee", "is in EUR but the contract is in USD", "error"),
        (4, "Rollover Cap", "is not a number of hours or all", "error"),
        (4, "Rollover Expires", "is not a whole number from 0 to 1200", "error"),
        (4, "Overage Rate", "must not be negative", "error"),
        (5, "Fee", "has more decimals than the contract's currency allows", "error"),
        (5, "Rollover Cap", "must not be negative", "error"),
        (6, "Included Hours", "is not used: the contract has no Period", "warning"),
        (6, "Fee", "is not used: the contract has no Period", "warning"),
    }
    got = valid.contracts.set_index("contract_id")
    assert list(got.index) == ["P-5", "P-6", "P-7"]
    assert got.loc["P-5", "period"] == "" and got.loc["P-5", "included_ms"] == 0 and got.loc["P-5", "fee"] == 0
    p7 = got.loc["P-7"]
    assert (
        p7["period"],
        p7["included_ms"],
        p7["fee"],
        p7["rollover_cap_ms"],
        p7["rollover_expires"],
        p7["overage_rate"],
    ) == ("quarterly", 2.5 * H, 5000, -1, 3, 995000)
    assert got["overage_rate"].dtype == "Int64" and pd.isna(got.loc["P-6", "overage_rate"])
    for column in ("included_ms", "fee", "rollover_cap_ms", "rollover_expires"):
        assert got[column].dtype == "int64", column


# --- invariants on random periodic books ----------------------------------------------------

HOUR_TEXTS = ["1:20", "0:07", "90m", "2h", "0.1", "3.25", "7:59", "12"]


@st.composite
def periodic_books(draw):
    rng = random.Random(draw(st.integers(0, 10**6)))
    rows = [
        [
            "Contract ID",
            "Client ID",
            "Currency",
            "Rate",
            "Start",
            "End",
            "Rounding Minutes",
            "Period",
            "Included Hours",
            "Fee",
            "Rollover Cap",
            "Rollover Expires",
            "Overage Rate",
        ]
    ]
    n = draw(st.integers(1, 3))
    for i in range(n):
        start = dt.date(2025, 11, 1) + dt.timedelta(days=rng.randrange(90))
        end = "" if rng.random() < 0.6 else (start + dt.timedelta(days=rng.randrange(30, 200))).isoformat()
        rows.append(
            [
                f"R-{i}",
                "C-1",
                rng.choice(["USD", "JPY"]),
                str(rng.choice([95, 120, 133.333])),
                start.isoformat(),
                end,
                rng.choice(["", "15", "6"]),
                rng.choice(["monthly", "quarterly", "yearly", ""]),
                rng.choice(["0", "5", "10", "1:30", "40"]),
                rng.choice(["", "100"]),
                rng.choice(["", "0", "3", "all", "12"]),
                rng.choice(["", "1", "2"]),
                rng.choice(["", "150", "0"]),
            ]
        )
    time = [["Date", "Contract ID", "Hours", "Billable"]]
    for _ in range(draw(st.integers(0, 60))):
        day = dt.date(2025, 10, 1) + dt.timedelta(days=rng.randrange(300))
        time.append([day.isoformat(), f"R-{rng.randrange(n)}", rng.choice(HOUR_TEXTS), rng.choice(["", "", "N"])])
    return {"Clients": CLIENTS, "Contracts": rows, "Time": time, "Payments": [["Date", "Contract ID", "Amount"]]}


AS_OF = dt.date(2026, 5, 20)


def random_ledger(tabs):
    valid, problems = validated(MemoryBook(tabs), AS_OF)
    assert problems[problems["Severity"] == "error"].empty, problems
    return compute(valid, AS_OF)


@settings(max_examples=50, deadline=None)
@given(periodic_books())
def test_hours_add_up_carried_hours_chain_and_only_overage_is_billed(tabs):
    ledger = random_ledger(tabs)
    time, periods = ledger.time, ledger.periods
    for cid, frame in periods.groupby("contract_id"):
        entries = time[time["contract_id"] == cid]
        assert (frame["used_ms"] + frame["overage_ms"]).sum() == entries["billed_ms"].sum()
        assert frame["overage_ms"].sum() == entries["overage_ms"].sum()
        assert frame["overage_amount"].sum() == entries["amount"].sum()
        carried_in, carried_out, expired = (
            frame[c].to_numpy() for c in ("carried_in_ms", "carried_out_ms", "expired_ms")
        )
        assert (carried_in[1:] == carried_out[:-1] - expired[1:]).all()
        assert carried_in[0] == 0 and expired[0] == 0
        assert (frame["used_ms"] <= frame["included_ms"] + frame["carried_in_ms"]).all()
        # overage only once the period's hours are used up
        full = frame["used_ms"] == frame["included_ms"] + frame["carried_in_ms"]
        assert (full | (frame["overage_ms"] == 0)).all()
        assert (frame["period_end"] >= frame["period_start"]).all()
        assert (frame["period_start"].iloc[1:].to_numpy() > frame["period_end"].iloc[:-1].to_numpy()).all()
        row = ledger.contracts[ledger.contracts["contract_id"] == cid].iloc[0]
        if row["rollover_cap_ms"] >= 0:
            assert (frame["carried_out_ms"] <= row["rollover_cap_ms"]).all()
        assert row["billed"] == frame["fee"].sum() + frame["overage_amount"].sum()
    a_split_entry_bills_only_its_overage(ledger)


def a_split_entry_bills_only_its_overage(ledger):
    contracts = ledger.contracts.set_index("contract_id")
    for entry in ledger.time.itertuples():
        c = contracts.loc[entry.contract_id]
        if not c["periodic"]:
            assert entry.overage_ms == 0 and entry.overage_amount == 0
            continue
        assert 0 <= entry.overage_ms <= entry.billed_ms
        rate = entry.rate if pd.isna(c["overage_rate"]) else c["overage_rate"]
        exact = Fraction(int(entry.overage_ms), H) * Fraction(int(rate), 10_000)
        expected = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal(1).scaleb(-int(entry.minor)), ROUND_HALF_UP
        )
        assert entry.amount == entry.overage_amount == int(expected.scaleb(int(entry.minor)))


def test_many_entries_are_not_looped():
    """The periodic path is vectorised over entries: 200,000 entries on one contract stay fast."""
    rows = contracts("| R-1 | C-1 | USD | 100 | 2020-01-01 | | 15 | monthly | 100 | 500 | all | 2 | |")
    dates = pd.date_range("2020-01-01", "2026-05-01", periods=200_000).strftime("%Y-%m-%d")
    time = [["Date", "Contract ID", "Hours"]] + [[day, "R-1", "0:20"] for day in dates]
    started = dt.datetime.now()
    ledger, _ = ledger_of(rows, time, dt.date(2026, 5, 20))
    assert (dt.datetime.now() - started).total_seconds() < 10
    frame = ledger.periods
    assert len(frame) == 77 and (frame["used_ms"] + frame["overage_ms"]).sum() == 200_000 * H // 2
