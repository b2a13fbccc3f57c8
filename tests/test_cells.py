"""Messy real-world cell values, one corpus per parser."""
import datetime as dt

import pandas as pd
import pytest

from sync import cells

H = cells.MS_PER_HOUR


def one(parser, value, *args):
    values, problems = parser(pd.Series([value], dtype=object), *args)
    return values.iloc[0], problems.iloc[0]


@pytest.mark.parametrize("raw, expected", [
    (dt.date(2026, 11, 26), "2026-11-26"),
    (dt.datetime(2026, 11, 26, 17, 45), "2026-11-26"),
    ("2026-11-26", "2026-11-26"),
    (" 2026-1-5 ", "2026-01-05"),
    ("2026-11-26T09:00:00", "2026-11-26"),
    (46352, "2026-11-26"),  # serial number, as the Sheets API returns dates
    (46352.75, "2026-11-26"),
    (46352.0, "2026-11-26"),
])
def test_dates_understood(raw, expected):
    value, problem = one(cells.parse_dates, raw)
    assert problem is pd.NA and value == pd.Timestamp(expected)


@pytest.mark.parametrize("raw, order, expected", [
    ("26/11/2026", "DMY", "2026-11-26"),
    ("26.11.2026", "DMY", "2026-11-26"),
    ("5/3/26", "DMY", "2026-03-05"),
    ("11/26/2026", "MDY", "2026-11-26"),
    ("3/5/2026", "MDY", "2026-03-05"),
    ("2026-03-05", "MDY", "2026-03-05"),
])
def test_dates_with_a_configured_order(raw, order, expected):
    value, problem = one(cells.parse_dates, raw, order)
    assert problem is pd.NA and value == pd.Timestamp(expected)


@pytest.mark.parametrize("raw, order, message", [
    ("26/11/2026", "", "is not a date; write it as YYYY-MM-DD (or set date_order to DMY or MDY)"),
    ("3/5/2026", "", "is not a date"),
    ("31/02/2026", "DMY", "is not a real calendar date"),
    ("2026-02-30", "", "is not a real calendar date"),
    ("26/11/2026", "MDY", "is not a real calendar date"),
    ("next tuesday", "DMY", "is not a date; write it as YYYY-MM-DD"),
    (dt.time(9, 30), "", "is a time, not a date"),
    (True, "", "is not a date"),
    (5, "", "is not a date between 1970 and 2199"),
    (20261126, "", "is not a date between 1970 and 2199"),
])
def test_dates_refused(raw, order, message):
    value, problem = one(cells.parse_dates, raw, order)
    assert pd.isna(value) and problem.startswith(message)


@pytest.mark.parametrize("raw, ms", [
    (1.5, 1.5 * H), (2, 2 * H), ("1.5", 1.5 * H), (".25", H // 4), ("1:30", 1.5 * H), ("0:05", 5 * 60_000),
    ("1:20", 4_800_000),  # exactly 4/3 h
    ("1:30:30", 5_430_000), ("90m", 1.5 * H), ("2h", 2 * H), ("1h30m", 1.5 * H), ("1h 30m", 1.5 * H),
    ("1.5h", 1.5 * H), ("45 min", 45 * 60_000), ("2 hours", 2 * H), ("1 hr 15 mins", 1.25 * H), ("2H", 2 * H),
    (dt.timedelta(hours=1, minutes=30), 1.5 * H), (dt.time(1, 20), 4_800_000), (0.000001, 4),
    (4 / 3, 4_800_000), ("24", 24 * H),
])
def test_hours_understood(raw, ms):
    value, problem = one(cells.parse_hours, raw)
    assert problem is pd.NA and value == round(ms)


@pytest.mark.parametrize("raw, message", [
    ("25", "is more than 24 hours for one entry"), (24.01, "is more than 24 hours"),
    (0, "must be more than 0 hours"), ("-1", "is not a number of hours"), (-1.5, "must be more than 0"),
    ("1,5", "is not a number of hours"), ("abc", "is not a number of hours (use 1.5, 1:30, 90m or 1h30m)"),
    ("1:75", "is not a number of hours"), (dt.date(2026, 1, 1), "is a date, not a number of hours"),
    (True, "is not a number of hours"), ("h", "is not a number of hours"),
])
def test_hours_refused(raw, message):
    value, problem = one(cells.parse_hours, raw)
    assert pd.isna(value) and problem.startswith(message)


@pytest.mark.parametrize("raw, scaled", [
    (1200, 12_000_000), (1200.5, 12_005_000), ("1200", 12_000_000), ("1,200.00", 12_000_000),
    ("$1,200.00", 12_000_000), ("-250", -2_500_000), ("-$250", -2_500_000), ("$-250", -2_500_000),
    ("(250.00)", -2_500_000), ("USD 99.95", 999_500), ("99.95 EUR", 999_500), ("€ 1.5", 15_000),
    ("£0.10", 1_000), ("12,345,678.9", 123_456_789_000), (0.1, 1_000), (0.1 + 0.2, 3_000), ("0.0001", 1),
    (".5", 5_000), ("+7", 70_000), (1e9, 10**13),
])
def test_money_understood(raw, scaled):
    value, problem = one(cells.parse_money, raw)
    assert problem is pd.NA and value == scaled


@pytest.mark.parametrize("raw, message", [
    ("abc", "is not an amount"), ("1.200,00", "is not an amount"), ("12,34", "is not an amount"),
    ("1.23456", "has more decimals than any currency"), (1 / 3, "has more decimals than any currency"),
    (1e12, "is too large"), ("--5", "is not an amount"), (True, "is not an amount"),
    (dt.date(2026, 1, 1), "is not an amount"), (float("nan"), "is too large"), ("100 hrs", "is not an amount"),
    ("abc 5", "is not an amount"),
])
def test_money_refused(raw, message):
    value, problem = one(cells.parse_money, raw)
    assert pd.isna(value) and problem.startswith(message)


def test_money_decimals_follow_the_currency():
    scaled = pd.Series([12_345, 10_000, 12_300], dtype="Int64")
    minor = pd.Series([2, 0, 2])
    assert cells.check_minor_unit(scaled, minor).tolist() == [
        "has more decimals than the contract's currency allows", pd.NA, pd.NA]
    assert cells.to_minor(pd.Series([12_300, 10_000]), pd.Series([2, 0])).tolist() == [123, 1]


@pytest.mark.parametrize("raw, billable", [
    ("Y", True), ("yes", True), ("TRUE", True), ("1", True), (1, True), (1.0, True), ("x", True), ("X", True),
    (True, True), ("", True), (None, True), ("  ", True), ("N", False), ("No", False), ("FALSE", False),
    ("0", False), (0, False), (False, False),
])
def test_billable_understood(raw, billable):
    value, problem = one(cells.parse_billable, raw)
    assert problem is pd.NA and value == billable


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please", -1])
def test_billable_refused(raw):
    assert one(cells.parse_billable, raw)[1] == "is not Y or N"


def test_blank_cells_are_no_problem_for_any_parser():
    blanks = pd.Series(["", "   ", None], dtype=object)
    for parser in (cells.parse_dates, cells.parse_hours, cells.parse_money, cells.parse_billable):
        values, problems = parser(blanks)
        assert problems.isna().all(), parser.__name__


def test_ids_typed_as_numbers_read_as_text():
    assert cells.parse_text(pd.Series([1001.0, " K-1 ", 7, None], dtype=object)).tolist() == ["1001", "K-1", "7", ""]


def test_currency_marks_name_the_currency():
    raw = pd.Series(["EUR 5", "5 GBP", "€5", "¥100", "$5", "5", 5.0, "USD1"], dtype=object)
    assert cells.currency_marks(raw).fillna("-").tolist() == ["EUR", "GBP", "EUR", "JPY", "-", "-", "-", "USD"]


def test_distinct_keeps_equal_cells_of_other_types_apart():
    raw = pd.Series([1, 1.0, True, "1", None, 1, True, 0, False, 0.0, float("nan"), "x", None], dtype=object)
    values, codes = cells.distinct(raw)
    assert len(values) == 9  # 1, 1.0, True, "1", None, 0, False, 0.0, "x": blanks share None
    back = values.to_numpy()[codes].tolist()
    expected = [None if value is None or value != value else value for value in raw]
    assert back == expected and [type(v) for v in back] == [type(v) for v in expected]


def test_a_true_cell_is_not_one_hour():
    values, problems = cells.parse_hours(pd.Series([1, True, 1.0, True] * 3, dtype=object))
    assert values.isna().tolist() == [False, True, False, True] * 3
    assert problems.notna().tolist() == [False, True, False, True] * 3
