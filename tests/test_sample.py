"""The demo team book: schema-shaped, deterministic, typed many ways, with the promised bad rows and outcomes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

import sync
from sync.app.sample import write_sample_book
from sync.model.schema import INPUT_TABS

AS_OF = dt.date(2026, 3, 15)


def read_book(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> dict[str, list[list[object]]]:
    path = tmp_path_factory.mktemp("sample") / "team.xlsx"
    write_sample_book(path, AS_OF, seed=7)
    return read_book(path)


def column(tab: list[list[object]], name: str) -> list[object]:
    at = tab[0].index(name)
    return [row[at] for row in tab[1:]]


def test_tabs_and_headers_are_the_schema(book):
    assert list(book) == [tab.name for tab in INPUT_TABS]
    for tab in INPUT_TABS:
        assert book[tab.name][0] == [c.name for c in tab.columns]


def test_has_enough_rows(book):
    sizes = {name: len(rows) - 1 for name, rows in book.items()}
    assert sizes["Clients"] >= 3 and sizes["Contracts"] >= 5 and sizes["Rates"] >= 2
    assert 300 <= sizes["Time"] <= 450
    assert sizes["Payments"] >= 6 and sizes["Expenses"] >= 3


def test_same_seed_writes_the_same_cells_and_another_seed_does_not(tmp_path, book):
    write_sample_book(tmp_path / "again.xlsx", AS_OF, seed=7)
    write_sample_book(tmp_path / "other.xlsx", AS_OF, seed=8)
    assert read_book(tmp_path / "again.xlsx") == book
    assert read_book(tmp_path / "other.xlsx")["Time"] != book["Time"]


def test_the_deliberately_bad_values_are_there(book):
    time = book["Time"][1:]
    assert 25 in column(book["Time"], "Hours")
    assert "K-999" in column(book["Time"], "Contract ID")
    assert "31/02/2026" in column(book["Time"], "Date")
    assert "maybe" in column(book["Time"], "Billable")
    assert "abc" in column(book["Payments"], "Amount")
    assert "" in column(book["Expenses"], "Contract ID")
    assert any(a == b for a, b in zip(time, time[1:])), "no exact duplicate time row"


def test_cells_are_typed_the_many_ways_people_type_them(book):
    dates, hours = column(book["Time"], "Date"), column(book["Time"], "Hours")
    assert {type(d) for d in dates} >= {dt.date, str, float}  # date cell, ISO text, bare serial
    assert any(isinstance(d, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in dates)
    text = [h for h in hours if isinstance(h, str)]
    for pattern in (r"\d+:\d\d", r"\d+m", r"\d+h", r"\d+h\d+m", r"\d+h \d+m"):
        assert any(re.fullmatch(pattern, h) for h in text), pattern
    assert any(isinstance(h, float) for h in hours) and any(isinstance(h, dt.timedelta) for h in hours)
    assert set(column(book["Time"], "Billable")) >= {"", "Y", "yes", "TRUE", "x", True, False, "N", "no"}
    assert set(column(book["Time"], "Work Type")) >= {"maintenance", "support", "emergency", ""}
    assert sum(bool(n) for n in column(book["Time"], "Notes")) >= 5
    amounts = column(book["Payments"], "Amount")
    assert any(isinstance(a, str) and a.startswith("$") for a in amounts) and any(
        a < 0 for a in amounts if isinstance(a, float)
    )


# A reading of the book independent of the generator: it skips the bad rows the sync reports as errors.
YES, NO = {"", "y", "yes", "true", "x"}, {"n", "no", "false"}


def _date(cell: object) -> dt.date | None:
    if isinstance(cell, float):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(cell))
    if isinstance(cell, str):
        return dt.date.fromisoformat(cell) if re.fullmatch(r"\d{4}-\d\d-\d\d", cell) else None
    return cell


def _hours(cell: object) -> Fraction | None:
    if isinstance(cell, dt.timedelta):
        return Fraction(round(cell.total_seconds() / 60), 60)
    if isinstance(cell, (int, float)):
        return Fraction(str(cell))
    if match := re.fullmatch(r"(\d+):(\d\d)", cell):
        return int(match[1]) + Fraction(int(match[2]), 60)
    match = re.fullmatch(r"(?:(\d+)h)? ?(?:(\d+)m)?", cell)
    return int(match[1] or 0) + Fraction(int(match[2] or 0), 60)


def _money(cell: object) -> Fraction | None:
    text = str(cell).replace("$", "").replace(",", "")
    return Fraction(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) else None


def balances(book) -> dict[str, Fraction]:
    contracts = {row[0]: row for row in book["Contracts"][1:]}
    rates = book["Rates"][1:]
    balance = {cid: Fraction(0) for cid in contracts}
    for when, _person, cid, _task, work_type, hours, billable, _note, *_request in book["Time"][1:]:
        when, hours, billable = _date(when), _hours(hours), str(billable).lower()
        if cid not in contracts or when is None or hours > 24 or billable not in YES | NO or billable in NO:
            continue
        rate = contracts[cid][4]
        matches = [
            (wt != "", start or dt.date.min, r)
            for c, wt, r, start in rates
            if c == cid and wt in ("", work_type) and (start == "" or start <= when)
        ]
        balance[cid] -= hours * Fraction(max(matches)[2] if matches else rate)
    for _when, cid, amount, *_rest in book["Payments"][1:]:
        if _money(amount) is not None:
            balance[cid] += _money(amount)
    for _when, cid, _what, amount, billable, _note in book["Expenses"][1:]:
        if cid and str(billable).lower() in YES:
            balance[cid] -= _money(amount)
    return balance


@pytest.mark.parametrize(("seed", "as_of"), [(7, AS_OF), (1, dt.date(2025, 12, 31)), (42, dt.date(2026, 7, 1))])
def test_one_contract_is_overdrawn_one_is_low_the_rest_are_fine(tmp_path, seed, as_of):
    write_sample_book(tmp_path / "team.xlsx", as_of, seed=seed)
    book = read_book(tmp_path / "team.xlsx")
    balance = balances(book)
    low = {row[0]: row[8] for row in book["Contracts"][1:]}
    assert balance["K-002"] < 0
    assert 0 < balance["K-003"] < low["K-003"]
    assert balance["K-006"] == 0  # closed, unused prepayment refunded
    for cid in ("K-001", "K-004", "K-005"):
        assert balance[cid] > max(low[cid] or 0, 1000), cid


@pytest.mark.parametrize(("seed", "as_of"), [(7, AS_OF), (1, dt.date(2025, 12, 31)), (42, dt.date(2026, 7, 1))])
def test_the_retainer_runs_months_carries_hours_and_stays_paid_up(tmp_path, seed, as_of):
    write_sample_book(tmp_path / "team.xlsx", as_of, seed=seed)
    contract = next(row for row in read_book(tmp_path / "team.xlsx")["Contracts"][1:] if row[0] == "R-001")
    assert contract[12:15] == ["monthly", 10, 1100]
    result = sync.run(tmp_path / "team.xlsx", as_of=as_of, config=sync.Config(), dry_run=True)
    periods = result.tables["Periods"].frame
    periods = periods[periods["Contract ID"] == "R-001"]
    balance = result.tables["Balances"].frame.set_index("Contract ID").loc["R-001"]
    assert len(periods) >= 6 and (periods["Fee"] == Decimal("1100.00")).all()
    assert (periods["Carried In"] > 0).any()  # unused hours carry over
    assert balance["Billed"] == periods["Fee"].sum() + periods["Overage Amount"].sum()
    assert balance["Balance"] > 0 and balance["Status"] == "OK"
    assert not (result.problems["Value"].astype(str).str.contains("R-001")).any()
