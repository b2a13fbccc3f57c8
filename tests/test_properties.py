"""Invariants on random books: totals add up, order does not matter, a rerun changes nothing,
and the vectorised integer core agrees with a plain Decimal computation row by row."""

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.app import pipeline
from sync.backends.memory import MemoryBook
from sync.config import Config
from sync.model.schema import SYNC_LOG

AS_OF = dt.date(2026, 6, 30)
CURRENCIES = {"USD": 2, "JPY": 0, "BHD": 3}
HOUR_TEXTS = ["1:20", "0:07", "90m", "2h", "1h 5m", "0.1", "3.25", "0:01", "7:59"]


def hours_of(text: str) -> Fraction:
    if ":" in text:
        h, m = text.split(":")
        return Fraction(int(h) * 60 + int(m), 60)
    if text.endswith("m") and "h" in text:
        h, m = text.replace(" ", "").rstrip("m").split("h")
        return Fraction(int(h) * 60 + int(m), 60)
    if text.endswith("m"):
        return Fraction(int(text[:-1]), 60)
    if text.endswith("h"):
        return Fraction(int(text[:-1]))
    return Fraction(Decimal(text))


@st.composite
def books(draw):
    rng = random.Random(draw(st.integers(0, 10**6)))
    n_contracts = draw(st.integers(1, 4))
    contracts = [["Contract ID", "Client ID", "Currency", "Rate", "Rounding Minutes"]]
    for i in range(n_contracts):
        currency = rng.choice(list(CURRENCIES))
        contracts.append(
            [
                f"K-{i}",
                f"C-{i % 2}",
                currency,
                str(rng.choice([95, 120, 99.99, 133.333, 1])),
                rng.choice(["", "15", "6", "0"]),
            ]
        )
    time = [["Date", "Contract ID", "Hours", "Billable", "Task"]]
    for i in range(draw(st.integers(0, 40))):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(180))
        time.append(
            [
                day.isoformat(),
                f"K-{rng.randrange(n_contracts)}",
                rng.choice(HOUR_TEXTS),
                rng.choice(["", "Y", "N"]),
                f"task {i}",
            ]
        )
    payments = [["Date", "Contract ID", "Amount"]]
    expenses = [["Date", "Contract ID", "Amount", "Billable", "Description"]]
    for i in range(draw(st.integers(0, 10))):
        day = (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(180))).isoformat()
        contract = rng.randrange(n_contracts)
        digits = CURRENCIES[contracts[contract + 1][2]]
        amount = str(Decimal(rng.randrange(-5000, 500000)).scaleb(-digits))
        (payments if i % 3 else expenses).append(
            [day, f"K-{contract}", amount] + ([] if i % 3 else [rng.choice(["Y", "N"]), f"expense {i}"])
        )
    return {
        "Clients": [["Client ID", "Name"], ["C-0", "Zero"], ["C-1", "One"]],
        "Contracts": contracts,
        "Time": time,
        "Payments": payments,
        "Expenses": expenses,
    }


def run(tabs):
    book = MemoryBook(tabs)
    result = pipeline.run(book, Config(), AS_OF, computed_at=dt.datetime(2026, 7, 1))
    return result, book


def reference_billed(tabs) -> dict[str, Decimal]:
    """Per contract, with Decimal and Fraction only, one row at a time."""
    contracts = {row[0]: row for row in tabs["Contracts"][1:]}
    billed = {cid: Decimal(0) for cid in contracts}
    for _, cid, text, billable, _ in tabs["Time"][1:]:
        if billable == "N":
            continue
        _, _, currency, rate, rounding = contracts[cid]
        hours = hours_of(text)
        if rounding not in ("", "0"):
            step = Fraction(int(rounding), 60)
            hours = (hours / step).__ceil__() * step
        exact = hours * Fraction(Decimal(rate))
        quantum = Decimal(1).scaleb(-CURRENCIES[currency])
        billed[cid] += (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(quantum, ROUND_HALF_UP)
    for _, cid, amount, billable, _ in tabs["Expenses"][1:]:
        if billable == "Y":
            billed[cid] += Decimal(amount)
    return billed


@settings(max_examples=30, deadline=None)
@given(books())
def test_matches_a_decimal_reference(tabs):
    result, book = run(tabs)
    assert result.problems.empty, result.problems
    balances = book.outputs["Balances"].frame.set_index("Contract ID")
    for cid, expected in reference_billed(tabs).items():
        assert balances.loc[cid, "Billed"] == expected, cid


@settings(max_examples=30, deadline=None)
@given(books())
def test_balances_add_up(tabs):
    result, book = run(tabs)
    balances = book.outputs["Balances"].frame
    for _, rows in balances.groupby("Currency"):
        paid = sum(Decimal(row[2]) for row in tabs["Payments"][1:] if row[1] in set(rows["Contract ID"]))
        assert sum(rows["Balance"]) == paid - sum(rows["Billed"])
        assert sum(rows["Paid"]) == paid


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Each cell as text, a blank as ""."""
    return frame.astype(object).where(frame.notna(), "").astype(str)


@settings(max_examples=25, deadline=None)
@given(books(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(tabs, rnd):
    _, first = run(tabs)
    shuffled = {name: [rows[0]] + rnd.sample(rows[1:], len(rows) - 1) for name, rows in tabs.items()}
    _, second = run(shuffled)
    for name in ("Balances", "Monthly"):
        assert first.outputs[name].frame.equals(second.outputs[name].frame), name
    for location, tables in first.summaries.items():
        for tab in ("Summary", "Statement", "Payments", "Activity"):
            # rows on the same date keep their sheet order, so compare those tabs as sets of rows
            before, after = (shown(t[tab].frame) for t in (tables, second.summaries[location]))
            assert sorted(map(tuple, before.values)) == sorted(map(tuple, after.values)), tab


@settings(max_examples=10, deadline=None)
@given(books())
def test_a_second_run_changes_nothing(tabs):
    _, book = run(tabs)
    first = {name: table.frame.copy() for name, table in book.outputs.items()}
    pipeline.run(book, Config(), AS_OF, computed_at=dt.datetime(2026, 7, 1))
    log = first.pop(SYNC_LOG)  # the Sync Log gains the second run's row on top
    assert book.outputs[SYNC_LOG].frame.iloc[1:].reset_index(drop=True).equals(log)
    for name, frame in first.items():
        assert frame.equals(book.outputs[name].frame), name
