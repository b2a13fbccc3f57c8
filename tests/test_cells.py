"""Messy real-world cell values, one corpus per parser; then hostile ones, which every parser
turns into a value or a problem, never an exception."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from sync.rules import cells

H = cells.MS_PER_HOUR


def one(parser, value, *args):
    values, problems = parser(pd.Series([value], dtype=object), *args)
    return values.iloc[0], problems.iloc[0]


@pytest.mark.parametrize(
    "raw, expected",
    [
        (dt.date(2026, 11, 26), "2026-11-26"),
        (dt.datetime(2026, 11, 26, 17, 45), "2026-11-26"),
        ("2026-11-26", "2026-11-26"),
        (" 2026-1-5 ", "2026-01-05"),
        ("2026-11-26T09:00:00", "2026-11-26"),
        (46352, "2026-11-26"),  # serial number, as the Sheets API returns dates
        (46352.75, "2026-11-26"),
        (46352.0, "2026-11-26"),
    ],
)
def test_dates_understood(raw, expected):
    value, problem = one(cells.parse_dates, raw)
    assert problem is pd.NA and value == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "raw, order, expected",
    [
        ("26/11/2026", "DMY", "2026-11-26"),
        ("26.11.2026", "DMY", "2026-11-26"),
        ("5/3/26", "DMY", "2026-03-05"),
        ("11/26/2026", "MDY", "2026-11-26"),
        ("3/5/2026", "MDY", "2026-03-05"),
        ("2026-03-05", "MDY", "2026-03-05"),
    ],
)
def test_dates_with_a_configured_order(raw, order, expected):
    value, problem = one(cells.parse_dates, raw, order)
    assert problem is pd.NA and value == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "raw, order, message",
    [
        (
            "26/11/2026",
            "",
            "is not a date; write it as YYYY-MM-DD, or set date_order to DMY or MDY in the settings "
            "file (contract-sync.toml)",
        ),
        # No such day whichever comes first: said, and where the setting for day-first dates lives.
        (
            "31/02/2026",
            "",
            "is not a real calendar date, day or month first; write it as YYYY-MM-DD, or set "
            "date_order to DMY or MDY in the settings file (contract-sync.toml)",
        ),
        ("29/02/2027", "", "is not a real calendar date, day or month first"),
        ("29/02/2028", "", "is not a date; write it as YYYY-MM-DD, or set date_order"),
        ("3/5/2026", "", "is not a date"),
        ("31/02/2026", "DMY", "is not a real calendar date"),
        ("2026-02-30", "", "is not a real calendar date"),
        ("26/11/2026", "MDY", "is not a real calendar date"),
        ("next tuesday", "DMY", "is not a date; write it as YYYY-MM-DD"),
        (dt.time(9, 30), "", "is a time, not a date"),
        (True, "", "is not a date"),
        (5, "", "is not a date between 1970 and 2199"),
        (20261126, "", "is not a date between 1970 and 2199"),
    ],
)
def test_dates_refused(raw, order, message):
    value, problem = one(cells.parse_dates, raw, order)
    assert pd.isna(value) and problem.startswith(message)


@pytest.mark.parametrize("raw", ["2026/03/05", "March 5 2026", "next tuesday"])
def test_date_order_is_offered_only_where_it_would_read_the_date(raw):
    assert one(cells.parse_dates, raw)[1] == "is not a date; write it as YYYY-MM-DD"


@pytest.mark.parametrize(
    "raw, ms",
    [
        (1.5, 1.5 * H),
        (2, 2 * H),
        ("1.5", 1.5 * H),
        (".25", H // 4),
        ("1:30", 1.5 * H),
        ("0:05", 5 * 60_000),
        ("1:20", 4_800_000),  # exactly 4/3 h
        ("1:30:30", 5_430_000),
        ("90m", 1.5 * H),
        ("2h", 2 * H),
        ("1h30m", 1.5 * H),
        ("1h 30m", 1.5 * H),
        ("1.5h", 1.5 * H),
        ("45 min", 45 * 60_000),
        ("2 hours", 2 * H),
        ("1 hr 15 mins", 1.25 * H),
        ("2H", 2 * H),
        (dt.timedelta(hours=1, minutes=30), 1.5 * H),
        (dt.time(1, 20), 4_800_000),
        (0.000001, 4),
        (4 / 3, 4_800_000),
        ("24", 24 * H),
    ],
)
def test_hours_understood(raw, ms):
    value, problem = one(cells.parse_hours, raw)
    assert problem is pd.NA and value == round(ms)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("25", "is more than 24 hours for one entry"),
        (24.01, "is more than 24 hours"),
        (0, "must be more than 0 hours"),
        ("-1", "is not a number of hours"),
        (-1.5, "must be more than 0"),
        ("1,5", "is not a number of hours"),
        ("abc", "is not a number of hours (use 1.5, 1:30, 90m or 1h30m)"),
        ("1:75", "is not a number of hours"),
        (dt.date(2026, 1, 1), "is a date, not a number of hours"),
        (True, "is not a number of hours"),
        ("h", "is not a number of hours"),
    ],
)
def test_hours_refused(raw, message):
    value, problem = one(cells.parse_hours, raw)
    assert pd.isna(value) and problem.startswith(message)


@pytest.mark.parametrize(
    "raw, scaled",
    [
        (1200, 12_000_000),
        (1200.5, 12_005_000),
        ("1200", 12_000_000),
        ("1,200.00", 12_000_000),
        ("$1,200.00", 12_000_000),
        ("-250", -2_500_000),
        ("-$250", -2_500_000),
        ("$-250", -2_500_000),
        ("(250.00)", -2_500_000),
        ("USD 99.95", 999_500),
        ("99.95 EUR", 999_500),
        ("€ 1.5", 15_000),
        ("£0.10", 1_000),
        ("12,345,678.9", 123_456_789_000),
        (0.1, 1_000),
        (0.1 + 0.2, 3_000),
        ("0.0001", 1),
        (".5", 5_000),
        ("+7", 70_000),
        (1e9, 10**13),
    ],
)
def test_money_understood(raw, scaled):
    value, problem = one(cells.parse_money, raw)
    assert problem is pd.NA and value == scaled


@pytest.mark.parametrize(
    "raw, message",
    [
        ("abc", "is not an amount"),
        ("1.200,00", "is not an amount"),
        ("12,34", "is not an amount"),
        ("1.23456", "has more decimals than any currency"),
        (1 / 3, "has more decimals than any currency"),
        (1e12, "is too large"),
        ("--5", "is not an amount"),
        (True, "is not an amount"),
        (dt.date(2026, 1, 1), "is not an amount"),
        (float("inf"), "is too large"),
        ("100 hrs", "is not an amount"),
        ("abc 5", "is not an amount"),
    ],
)
def test_money_refused(raw, message):
    value, problem = one(cells.parse_money, raw)
    assert pd.isna(value) and problem.startswith(message)


def test_money_decimals_follow_the_currency():
    scaled = pd.Series([12_345, 10_000, 12_300], dtype="Int64")
    minor = pd.Series([2, 0, 2])
    assert cells.check_minor_unit(scaled, minor).tolist() == [
        "has more decimals than the contract's currency allows",
        pd.NA,
        pd.NA,
    ]
    assert cells.to_minor(pd.Series([12_300, 10_000]), pd.Series([2, 0])).tolist() == [123, 1]


@pytest.mark.parametrize(
    "raw, billable",
    [
        ("Y", True),
        ("yes", True),
        ("TRUE", True),
        ("1", True),
        (1, True),
        (1.0, True),
        ("x", True),
        ("X", True),
        (True, True),
        ("", True),
        (None, True),
        ("  ", True),
        ("N", False),
        ("No", False),
        ("FALSE", False),
        ("0", False),
        (0, False),
        (False, False),
    ],
)
def test_billable_understood(raw, billable):
    value, problem = one(cells.parse_billable, raw)
    assert problem is pd.NA and value == billable


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please", -1])
def test_billable_refused(raw):
    assert one(cells.parse_billable, raw)[1] == "is not Y or N"


def test_blank_cells_are_no_problem_for_any_parser():
    blanks = pd.Series(["", "   ", None, float("nan"), Decimal("NaN"), pd.NaT, pd.NA], dtype=object)
    for parser in (
        cells.parse_dates,
        cells.parse_hours,
        cells.parse_money,
        cells.parse_billable,
        cells.parse_allowance,
        lambda raw: cells.parse_whole_number(raw, 1440),
    ):
        for column in (blanks, blanks[:1], pd.concat([blanks] * 3)):  # parsed whole, or by distinct values
            values, problems = parser(column)
            assert problems.isna().all(), parser
    assert cells.blank_mask(blanks).all()


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


# --- hostile cells -----------------------------------------------------------------------------

RANGE = "is not a date between 1970 and 2199"
NOT_A_DATE = "is not a date"
FIRST_SERIAL, LAST_SERIAL = 25569, 109574  # 1970-01-01 and 2199-12-31


def short(value: object) -> str:
    return repr(value)[:24]


class Odd:
    """An object of a type no backend gives."""

    def __str__(self) -> str:
        return "odd"


# Every kind of value a cell could hold, beyond what any backend gives today.
HOSTILE = [
    "",
    " ",
    "\x00",
    "\x07bell",
    "tab\tnew\nline",
    "\ud800",
    "\udfff\ud800",
    "x" * 100_000,
    "9" * 400,
    "１２３",
    "١٢٣",
    "۱:۳۰",
    "१.५",
    "𝟏𝟐",
    "1\u200b2",
    "\ufeff5",
    "9999-12-31",
    "2262-04-12",
    "0000-01-01",
    "99999999999999999999:00",
    "-99999999999999999999",
    "0." + "0" * 400 + "1",
    "EUR 150",
    "€",
    "nan",
    "inf",
    "-0",
    "1e308",
    "NaN%",
    "٪",
    0,
    1,
    -1,
    10**30,
    -(10**30),
    2**63,
    2**64,
    10**400,
    -(10**400),
    0.0,
    -0.0,
    1.5,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1e308,
    5e-324,
    -5e-324,
    2.0**70,
    True,
    False,
    np.True_,
    np.int64(5),
    np.float32(1.5),
    np.float64("nan"),
    np.uint64(2**64 - 1),
    Decimal("1.5"),
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("1E+400"),
    Decimal("-1E-400"),
    Decimal("Infinity"),
    dt.date(1, 1, 1),
    dt.date(1899, 12, 31),
    dt.date(1969, 12, 31),
    dt.date(1970, 1, 1),
    dt.date(2199, 12, 31),
    dt.date(2200, 1, 1),
    dt.date(2262, 4, 12),
    dt.date(9999, 12, 31),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.datetime(1, 1, 1),
    dt.datetime(2026, 1, 5, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    pd.Timestamp("2026-01-05 10:00"),
    pd.Timestamp("9999-12-31"),
    pd.Timestamp.max,
    pd.Timestamp.min,
    pd.NaT,
    pd.NA,
    dt.time(0, 0),
    dt.time(1, 30),
    dt.time(23, 59, 59, 999999),
    dt.time(1, 30, tzinfo=dt.UTC),
    dt.timedelta(0),
    dt.timedelta(hours=1, minutes=30),
    dt.timedelta(hours=24),
    dt.timedelta.max,
    dt.timedelta.min,
    dt.timedelta(days=-1),
    pd.Timedelta(hours=2),
    pd.Timedelta.max,
    None,
    b"2026-01-05",
    bytearray(b"5"),
    [2026, 1, 5],
    {"a": 1},
    (1, 2),
    {1},
    complex(1, 0),
    Odd(),
    object,
    np.datetime64("2026-01-05"),
    np.datetime64("NaT"),
    np.timedelta64(1, "h"),
    range(3),
]

PARSERS = {
    "dates": cells.parse_dates,
    "dates DMY": lambda raw: cells.parse_dates(raw, "DMY"),
    "dates MDY": lambda raw: cells.parse_dates(raw, "MDY"),
    "hours": cells.parse_hours,
    "allowance": cells.parse_allowance,
    "money": cells.parse_money,
    "whole number": lambda raw: cells.parse_whole_number(raw, 1440),
    "billable": cells.parse_billable,
    "text": lambda raw: (cells.parse_text(raw), pd.Series(pd.NA, index=raw.index)),
    "currency marks": lambda raw: (cells.currency_marks(raw), pd.Series(pd.NA, index=raw.index)),
    "blank": lambda raw: (cells.blank_mask(raw), pd.Series(pd.NA, index=raw.index)),
}


@pytest.mark.parametrize("name", PARSERS)
def test_every_parser_gives_every_hostile_cell_a_value_or_a_problem(name):
    parse = PARSERS[name]
    alone = [parse(pd.Series([value], dtype=object)) for value in HOSTILE]
    values, problems = parse(pd.Series(HOSTILE * 3, dtype=object))  # parsed by distinct values, then spread
    assert len(values) == len(problems) == 3 * len(HOSTILE)
    for i, value in enumerate(HOSTILE):
        value_alone, problem = (result.iloc[0] for result in alone[i])
        assert pd.isna(problem) or (isinstance(problem, str) and problem and "\n" not in problem), (value, problem)
        shared = problems.iloc[i]  # the same, parsed alone or among the others
        assert (pd.isna(shared) and pd.isna(problem)) or shared == problem, (value, shared, problem)
        if name != "text":  # (equal numbers are one distinct value: 10**400 may read as the text of 1E+400)
            assert (pd.isna(values.iloc[i]) and pd.isna(value_alone)) or values.iloc[i] == value_alone, value
        if not pd.isna(problem) and name not in ("billable", "allowance", "whole number"):
            assert pd.isna(value_alone), (value, value_alone)  # a refused cell has no value


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("9999-12-31", RANGE),
        ("2262-04-12", RANGE),
        ("0000-01-01", RANGE),
        ("1969-12-31", RANGE),
        ("2200-01-01", RANGE),
        ("2199-13-45", "is not a real calendar date"),
        ("9999-02-30", RANGE),
        (dt.date(9999, 12, 31), RANGE),
        (dt.date(1, 1, 1), RANGE),
        (dt.date(2262, 4, 12), RANGE),
        (dt.datetime(9999, 12, 31, 23, 59, 59, 999999), RANGE),
        (pd.Timestamp("9999-12-31"), RANGE),
        (pd.Timestamp.max, RANGE),
        (pd.Timestamp.min, RANGE),
        (dt.date(1969, 12, 31), RANGE),
        (10**30, RANGE),
        (-(10**30), RANGE),
        (2**63, RANGE),
        (2**64, RANGE),
        (10**400, RANGE),
        (float("inf"), RANGE),
        (float("-inf"), RANGE),
        (1e308, RANGE),
        (-0.0, RANGE),
        (5e-324, RANGE),
        (Decimal("1E+400"), RANGE),
        (FIRST_SERIAL - 1, RANGE),
        (LAST_SERIAL + 1, RANGE),
        (np.uint64(2**64 - 1), RANGE),
        ("٢٠٢٦-٠١-٠٥", "2026-01-05"),
        ("２０２６-０１-０５", "2026-01-05"),
        ("۲۰۲۶-۱-۵ ۱۰:۰۰", "2026-01-05"),
        (dt.date(1970, 1, 1), "1970-01-01"),
        (dt.date(2199, 12, 31), "2199-12-31"),
        (FIRST_SERIAL, "1970-01-01"),
        (LAST_SERIAL + 0.99, "2199-12-31"),
        (Decimal("46027"), "2026-01-05"),
        (np.int64(46027), "2026-01-05"),
        (dt.datetime(2026, 1, 5, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=14))), "2026-01-05"),  # as shown
        (pd.Timestamp("2026-01-05 10:00"), "2026-01-05"),
        ("\x00", NOT_A_DATE),
        ("\ud800", NOT_A_DATE),
        ("x" * 100_000, NOT_A_DATE),
        ("9" * 400, NOT_A_DATE),
        ("99999-01-01", NOT_A_DATE),
        (b"2026-01-05", NOT_A_DATE),
        ([2026, 1, 5], NOT_A_DATE),
        (Odd(), NOT_A_DATE),
        (Decimal("sNaN"), NOT_A_DATE),
        (np.datetime64("2026-01-05"), NOT_A_DATE),
        (complex(1, 0), NOT_A_DATE),
        (dt.timedelta.max, "is a time, not a date"),
        (dt.time(1, 30, tzinfo=dt.UTC), "is a time, not a date"),
    ],
    ids=short,
)
def test_hostile_dates(raw, expected):
    for order in ("", "DMY", "MDY"):
        value, problem = one(cells.parse_dates, raw, order)
        if expected[0].isdigit():
            assert problem is pd.NA and value == pd.Timestamp(expected), order
        else:
            assert pd.isna(value) and problem.startswith(expected), (order, problem)
    assert one(cells.parse_dates, "05/01/٢٠٢٦", "DMY") == (pd.Timestamp("2026-01-05"), pd.NA)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("99999999999999999999:00", "is more than 24 hours for one entry"),
        ("9" * 400, "is more than 24 hours"),
        ("9" * 400 + "h", "is more than 24 hours"),
        ("1:" + "9" * 30, "is not a number of hours"),
        (10**30, "is more than 24 hours"),
        (2**63, "is more than 24 hours"),
        (10**400, "is more than 24 hours"),
        (float("inf"), "is more than 24 hours"),
        (1e308, "is more than 24 hours"),
        (-(10**400), "must be more than 0"),
        (float("-inf"), "must be more than 0"),
        (-0.0, "must be more than 0"),
        (5e-324, "must be more than 0"),
        (dt.timedelta.max, "is more than 24 hours"),
        (dt.timedelta.min, "must be more than 0"),
        (pd.Timedelta.max, "is more than 24 hours"),
        (Decimal("1E+400"), "is more than 24 hours"),
        (dt.date(1900, 1, 1), "is a date, not a number of hours"),
        (dt.datetime(1900, 1, 1, 10), "is a date"),
        (dt.date(9999, 12, 31), "is a date"),
        (pd.Timestamp("9999-12-31"), "is a date"),
        (pd.Timestamp.min, "is a date"),
        ("\x00", "is not a number of hours"),
        ("1:30\x00", "is not a number of hours"),
        ("\ud800", "is not a number"),
        ("١٫٥", "is not a number of hours"),
        (b"1", "is not a number of hours"),
        ([1], "is not a number of hours"),
        (Decimal("sNaN"), "is not a number of hours"),
        (np.timedelta64(1, "h"), "is not a number of hours"),
        ("１:３０", 1.5 * H),
        ("١.٥", 1.5 * H),
        ("۱:۳۰", 1.5 * H),
        ("१.५ h", 1.5 * H),
        ("𝟐h", 2 * H),
        ("٩٠m", 1.5 * H),
        (dt.timedelta(hours=24), 24 * H),
        (pd.Timedelta(hours=2), 2 * H),
        (dt.time(23, 59, 59, 999999), 86_399_999),
        (Decimal("1.5"), 1.5 * H),
        (np.int64(2), 2 * H),
        (np.float32(0.5), 0.5 * H),
    ],
    ids=short,
)
def test_hostile_hours(raw, expected):
    value, problem = one(cells.parse_hours, raw)
    if isinstance(expected, str):
        assert pd.isna(value) and problem.startswith(expected), problem
    else:
        assert problem is pd.NA and value == round(expected)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("99999999999999999999:00", "is more than 100,000 hours"),
        (10**30, "is more than 100,000 hours"),
        (dt.timedelta.max, "is more than 100,000 hours"),
        ("-١٠", "must not be negative"),
        (float("-inf"), "must not be negative"),
        (dt.timedelta.min, "must not be negative"),
        (dt.date(9999, 12, 31), "is a date, not a number of hours"),
        ("\ud800", "is not a number of hours"),
        ("١٠٠", 100 * H),
        ("１５００:００", 1500 * H),
        (dt.timedelta(hours=1500), 1500 * H),
        (-0.0, 0),
        (float("nan"), 0),
    ],
    ids=short,
)
def test_hostile_allowances(raw, expected):
    value, problem = one(cells.parse_allowance, raw)
    if isinstance(expected, str):
        assert value == 0 and problem.startswith(expected), problem
    else:
        assert problem is pd.NA and value == round(expected)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("１２３", 1_230_000),
        ("١٢٣", 1_230_000),
        ("€١٢٣", 1_230_000),
        ("$１,２００.５０", 12_005_000),
        ("۱۲۳.۴۵ EUR", 1_234_500),
        ("(٥)", -50_000),
        (Decimal("1.5"), 15_000),
        (np.float32(0.5), 5_000),
        (-0.0, 0),
        ("١٬٢٣٤", "is not an amount"),
        ("1２3,٤٥٦", "is too large" if False else 1_234_560_000),
        (10**30, "is too large"),
        (-(10**30), "is too large"),
        (2**63, "is too large"),
        (10**400, "is too large"),
        (float("inf"), "is too large"),
        (1e308, "is too large"),
        (Decimal("1E+400"), "is too large"),
        ("9" * 400, "is too large"),
        ("0." + "0" * 400 + "1", "has more decimals than any currency"),
        ("\x00", "is not an amount"),
        ("\ud800", "is not an amount"),
        (Decimal("sNaN"), "is not an amount"),
        (dt.date(9999, 12, 31), "is not an amount"),
        (dt.timedelta.max, "is not an amount"),
        ([5], "is not an amount"),
        (complex(5, 0), "is not an amount"),
        (b"5", "is not an amount"),
    ],
    ids=short,
)
def test_hostile_money(raw, expected):
    value, problem = one(cells.parse_money, raw)
    if isinstance(expected, str):
        assert pd.isna(value) and problem.startswith(expected), problem
    else:
        assert problem is pd.NA and value == expected


def test_currency_marks_see_through_foreign_digits():
    raw = pd.Series(["EUR １２３", "€١٢٣", "١٢٣ GBP", "١٢٣"], dtype=object)
    assert cells.currency_marks(raw).fillna("-").tolist() == ["EUR", "EUR", "GBP", "-"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("１５", 15),
        ("١٥", 15),
        ("१५", 15),
        (Decimal("15"), 15),
        (np.int64(15), 15),
        (-0.0, 0),
        (float("nan"), 0),
        (10**30, "is not a whole number from 0 to 1440"),
        (2**64, "is not a whole number"),
        (float("inf"), "is not"),
        ("9" * 400, "is not a whole number"),
        (5e-324, "is not a whole number"),
        ("\ud800", "is not a whole number"),
        (dt.date(9999, 12, 31), "is not a whole number"),
        ([15], "is not a whole number"),
    ],
    ids=short,
)
def test_hostile_whole_numbers(raw, expected):
    value, problem = one(cells.parse_whole_number, raw, 1440)
    if isinstance(expected, str):
        assert value == 0 and problem.startswith(expected), problem
    else:
        assert problem is pd.NA and value == expected


def test_text_keeps_its_own_digits_and_loses_only_what_cannot_be_written():
    raw = pd.Series(
        [
            "١٢٣",
            " K-１ ",
            "\ud800x",
            10**30,
            -0.0,
            dt.time(1, 30),
            dt.timedelta(hours=1, minutes=30),
            [1, 2],
            Decimal("sNaN"),
        ],
        dtype=object,
    )
    assert cells.parse_text(raw).tolist() == [
        "١٢٣",
        "K-１",
        "\ufffdx",
        "1" + "0" * 30,
        "0",
        "1:30:00",
        "1:30:00",
        "[1, 2]",
        "sNaN",
    ]


def test_unhashable_cells_are_taken_as_their_text():
    values, codes = cells.distinct(pd.Series([[1], [1], {"a": 1}, Decimal("sNaN"), 5], dtype=object))
    assert values.tolist() == ["[1]", "{'a': 1}", "sNaN", 5] and codes.tolist() == [0, 0, 1, 2, 3]
