"""Cell parsers: raw cell values, as people type them, into exact typed columns.

Each parser takes a Series of raw cells (str, int, float, bool, date/datetime/time/timedelta,
or "" / None for blank) and returns `(values, problems)` (Parsed): `problems` holds a one-line
message where a cell could not be understood and NA elsewhere, and `Parsed.kinds` beside it the
problem's kind, a short name (`over-24`) that stays when a message is reworded: what acts on a
problem reads its kind, never its message. Blank cells give NA values and no
problem: whether a blank is allowed is the caller's business. Every parser is total: whatever
a cell holds (an int beyond int64, year 9999, a lone surrogate, an object of any type) becomes
a value or a problem, never an exception, because one bad cell must not stop the night.

Digits: any Unicode decimal digit (１, ١, ४) reads as the ASCII digit it stands for wherever a
number is read (`_strings`); IDs and free text keep theirs. So every regex here says [0-9],
never \\d, which in Python matches every script's digits.

A column of a million cells holds a few hundred or thousand distinct values (dates, hours,
people, contract IDs), so every parser works on the distinct values only (`on_distinct`) and
spreads the results back with one `take`; the parsing itself is vectorised too.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
import weakref
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from sync.model.figures import MS_PER_HOUR
from sync.model.serials import EPOCH_TIMESTAMP as SERIAL_EPOCH  # day 0 of spreadsheet serial dates

MONEY_SCALE = 10_000  # money is parsed to integer ten-thousandths: enough for every ISO currency
MAX_MONEY = 10**11  # larger amounts are typos; the cap keeps every sum inside int64

FIRST_DATE, LAST_DATE = pd.Timestamp("1970-01-01"), pd.Timestamp("2199-12-31")


class Parsed(tuple):
    """A parser's `(values, problems)`, unpacked as that pair, with `kinds` beside them: each
    problem's kind (a short lowercase name, the last part of a problem's code), NA where a cell has
    no problem. Every kind a parser can give is in its tuple of kinds (DATE_KINDS, HOURS_KINDS, ...)."""

    kinds: pd.Series

    def __new__(cls, values: pd.Series, problems: pd.Series, kinds: pd.Series) -> Parsed:
        """The (values, problems) pair, with the problems' kinds attached."""
        parsed = super().__new__(cls, (values, problems))
        parsed.kinds = kinds
        return parsed

    @property
    def values(self) -> pd.Series:
        """The parsed value of each cell (NA where it has a problem or is blank)."""
        return self[0]

    @property
    def problems(self) -> pd.Series:
        """Each cell's problem message (NA where there is none)."""
        return self[1]


# The kind of every problem a parser finds (Parsed.kinds).
WRONG_TYPE = "wrong-type"  # a cell of a type no branch of the parser reads (a checkbox in a Date column)
IS_A_TIME, DATE_OUT_OF_RANGE, UNREAL_DATE, UNREAD_DATE = "is-a-time", "out-of-range", "not-a-real-date", "not-a-date"
NEEDS_DATE_ORDER, UNREAL_EITHER_WAY = "needs-date-order", "not-a-real-date-either-way"  # d/m/y text, no date_order
DATE_KINDS = (IS_A_TIME, DATE_OUT_OF_RANGE, UNREAL_DATE, UNREAD_DATE, NEEDS_DATE_ORDER, UNREAL_EITHER_WAY, WRONG_TYPE)
IS_A_DATE, NOT_HOURS = "is-a-date", "not-hours"
DURATION_KINDS = (IS_A_DATE, NOT_HOURS, WRONG_TYPE)  # both parsers of hours
NOT_POSITIVE, OVER_24 = "not-positive", "over-24"
HOURS_KINDS = (*DURATION_KINDS, NOT_POSITIVE, OVER_24)
NEGATIVE, TOO_MANY_HOURS = "negative", "too-many-hours"
ALLOWANCE_KINDS = (*DURATION_KINDS, NEGATIVE, TOO_MANY_HOURS)
TOO_MANY_DECIMALS, TOO_LARGE, UNREAD_AMOUNT = "too-many-decimals", "too-large", "not-an-amount"
MONEY_KINDS = (TOO_MANY_DECIMALS, TOO_LARGE, UNREAD_AMOUNT, WRONG_TYPE)
CURRENCY_DECIMALS = "currency-decimals"  # check_minor_unit's one problem
NOT_Y_OR_N = "not-y-or-n"
BILLABLE_KINDS = (NOT_Y_OR_N,)
NOT_A_WHOLE_NUMBER = "not-a-whole-number"
WHOLE_NUMBER_KINDS = (NOT_A_WHOLE_NUMBER, WRONG_TYPE)


def distinct(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The distinct cells of a column, and for each cell the position of its value among them.

    Blank cells (None, NaN) share the value None; 1, 1.0 and True stay apart (_split_by_type).
    A cell that cannot be hashed (a list, Decimal("sNaN")) is taken as its text.
    """
    cells = raw.to_numpy(dtype=object)
    try:
        codes, uniques = pd.factorize(cells)  # blanks get -1: faster than use_na_sentinel=False
    except (TypeError, ArithmeticError):
        cells = np.fromiter(map(_hashable, cells), dtype=object, count=len(cells))
        codes, uniques = pd.factorize(cells)
    values = pd.Series(uniques, dtype=object)
    if codes.min(initial=0) < 0:
        codes[codes < 0] = len(values)
        values = pd.concat([values, pd.Series([None], dtype=object)], ignore_index=True)
    mergeable = values.isin([0, 1]).to_numpy()  # see _split_by_type
    if mergeable.any():
        values, codes = _split_by_type(cells, values, codes, mergeable)
    _made_distinct[id(values)] = values
    return values, codes


# The distinct cells distinct() gave, which on_distinct parses as they are: finding a million
# distinct texts distinct again took as long as parsing them.
_made_distinct: weakref.WeakValueDictionary[int, pd.Series] = weakref.WeakValueDictionary()


def _split_by_type(
    cells: np.ndarray, values: pd.Series, codes: np.ndarray, mergeable: np.ndarray
) -> tuple[pd.Series, np.ndarray]:
    """True, False, 0 and 1 hash alike across bool, int and float, so factorize merges 1, 1.0 and
    True: the cells holding one of the `mergeable` values (those equal to 0 or 1) with a type other
    than that value's get distinct values of their own."""
    at = np.flatnonzero(mergeable[codes])
    types = _TYPE_OF(cells[at])
    other = types != _TYPE_OF(values.to_numpy())[codes[at]]
    if not other.any():
        return values, codes
    at, type_codes = at[other], pd.factorize(types[other])[0]
    extra, _ = pd.factorize(codes[at] * (type_codes.max() + 1) + type_codes)
    first = np.unique(extra, return_index=True)[1]  # the first cell with each new value
    codes[at] = len(values) + extra
    return pd.concat([values, pd.Series(cells[at[first]], dtype=object)], ignore_index=True), codes


_TYPE_OF = np.frompyfunc(type, 1, 1)


def _hashable(cell: object) -> object:
    try:
        hash(cell)
        return cell
    except TypeError:
        return str(cell)


def on_distinct(parse: Callable) -> Callable:
    """Run a parser on a column's distinct values only, then spread its results to every cell.

    A mostly distinct column is parsed whole, as distinct() gives its cells back: blanks as None,
    and what cannot be hashed as text, so that every parser sees the same cells either way."""

    @functools.wraps(parse)
    def wrapper(raw: pd.Series, *args: object) -> object:
        if _made_distinct.get(id(raw)) is raw:  # distinct cells already, as TabCheck passes them
            return _text_safe(parse, raw, *args)
        values, codes = distinct(raw)
        if len(values) * 2 > len(raw):  # nothing to win
            return _text_safe(parse, pd.Series(values.array.take(codes), index=raw.index, dtype=object), *args)
        results = _text_safe(parse, values, *args)
        parts = (
            (*results, results.kinds)
            if isinstance(results, Parsed)
            else results
            if isinstance(results, tuple)
            else (results,)
        )
        spread = [pd.Series(r.array.take(codes), index=raw.index, name=r.name) for r in parts]
        if isinstance(results, Parsed):
            return Parsed(*spread)
        return tuple(spread) if isinstance(results, tuple) else spread[0]

    return wrapper


def _text_safe(parse: Callable, raw: pd.Series, *args: object) -> object:
    """parse(raw), or, when a text holds a lone surrogate, parse of the text with U+FFFD in its place.

    JSON can carry a lone surrogate ("\\ud800") and Python keeps it, but it has no UTF-8 form, so
    pandas' Arrow-backed text refuses it. Trying first costs nothing on the texts of every day."""
    try:
        return parse(raw, *args)
    except UnicodeEncodeError:
        return parse(raw.map(without_surrogates), *args)


def without_surrogates(value: object) -> object:
    """A text with each lone surrogate replaced by U+FFFD; any other value as it is."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


_SURROGATE = re.compile("[\ud800-\udfff]")


@on_distinct
def blank_mask(raw: pd.Series) -> pd.Series:
    """Which cells are blank: empty, only spaces, or missing."""
    text = raw.map(_as_text)
    return text.str.strip().eq("") | raw.isna()


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else "?")


def _types(raw: pd.Series) -> pd.Series:
    return raw.map(type)


def _is(types: pd.Series, *classes: type) -> pd.Series:
    return types.isin(classes)


def _strings(raw: pd.Series, types: pd.Series) -> pd.Series:
    """The text cells, stripped, with their digits in ASCII (ascii_digits); blanks removed."""
    text = ascii_digits(raw[_is(types, str)].astype(str).str.strip())
    return text[text != ""]


def ascii_digits(text: pd.Series) -> pd.Series:
    """Text with every Unicode decimal digit (category Nd: １, ١, ४) as the ASCII digit it stands
    for, so that a number typed on a full-width or Arabic keyboard reads as that number."""
    other = ~text.str.isascii().astype(bool)
    if not other.any():
        return text
    return text.mask(other, text[other].map(_ascii_digits_of))


def _ascii_digits_of(text: str) -> str:
    return "".join(char if (digit := unicodedata.decimal(char, None)) is None else "0123456789"[digit] for char in text)


_NUMBER_TYPES = (int, float, Decimal, np.integer, np.floating)


def _numbers(raw: pd.Series, types: pd.Series) -> pd.Series:
    """Number cells (never bools) as float64; an int beyond a double's range as ±inf."""
    number_types = [
        t
        for t in types.unique()  # numpy counts a timedelta64 as an integer
        if issubclass(t, _NUMBER_TYPES) and not issubclass(t, (bool, np.timedelta64))
    ]
    numbers = raw[_is(types, *number_types)]
    try:
        return numbers.astype("float64")
    except (OverflowError, ValueError):  # 10**400: JSON has no limit
        return numbers.map(_float).astype("float64")


def _float(number: Any) -> float:
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf
    except ValueError:  # Decimal("sNaN"): a NaN, so blank like any other
        return math.nan


def _problems(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="object")


class _Found:
    """The problems a parser finds: per cell a message and its kind, NA where none."""

    def __init__(self, index: pd.Index) -> None:
        self.problems, self.kinds = _problems(index), _problems(index)

    def set(self, where: pd.Index, kind: str, message: str | pd.Series) -> None:
        if len(where):
            self.problems.loc[where] = message if isinstance(message, str) else message.loc[where]
            self.kinds.loc[where] = kind

    def parsed(self, values: pd.Series) -> Parsed:
        return Parsed(values, self.problems, self.kinds)


def _unexpected(raw: pd.Series, types: pd.Series, handled: pd.Index, found: _Found, what: str) -> None:
    """Any non-blank cell no branch understood is a problem, never silently dropped."""
    leftover = raw.index.difference(handled)
    leftover = leftover[~blank_mask(raw.loc[leftover])]
    found.set(leftover, WRONG_TYPE, f"is not {what}")


# --- dates -----------------------------------------------------------------------------

_ISO = r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ][0-9:.]*)?$"
_NUMERIC_DATE = r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4}|[0-9]{2})$"
# Dates are day numbers (date.toordinal: 1 is 0001-01-01) until they are known to be in range:
# datetime64[ns] cannot hold year 0, 1 or 2262 and later, and a date cell can.
_FIRST_DAY, _LAST_DAY = FIRST_DATE.toordinal(), LAST_DATE.toordinal()
_SERIAL_DAY_ZERO = SERIAL_EPOCH.toordinal()
OUT_OF_RANGE = "is not a date between 1970 and 2199"
NOT_A_DATE = "is not a date; write it as YYYY-MM-DD"
NOT_A_REAL_DATE_EITHER_WAY = "is not a real calendar date, day or month first; write it as YYYY-MM-DD"
DATE_ORDER_HINT = ", or set date_order to DMY or MDY in the settings file (contract-sync.toml)"


@on_distinct
def parse_dates(raw: pd.Series, date_order: str = "") -> Parsed:
    """Date cells, ISO text, serial numbers; d/m/y text only with date_order DMY or MDY."""
    types, found = _types(raw), _Found(raw.index)
    day = pd.Series(np.nan, index=raw.index, dtype="float64")

    cells = raw[_is(types, dt.date, dt.datetime, pd.Timestamp)]
    day.loc[cells.index] = np.array([_date_only(value).toordinal() for value in cells], dtype="float64")

    serials = _numbers(raw, types)
    day.loc[serials.index] = np.floor(serials) + _SERIAL_DAY_ZERO  # ±inf stays out of range

    times = raw.index[_is(types, dt.time, dt.timedelta, pd.Timedelta)]
    found.set(times, IS_A_TIME, "is a time, not a date")

    text = _strings(raw, types)
    iso = text.str.extract(_ISO)
    numeric = text.str.extract(_NUMERIC_DATE)
    if date_order:
        day_at, month_at = (0, 1) if date_order == "DMY" else (1, 0)
        year = numeric[2].where(numeric[2].str.len() == 4, "20" + numeric[2])
        parts = pd.DataFrame({"year": year, "month": numeric[month_at], "day": numeric[day_at]})
        parts = parts.fillna(iso.rename(columns={0: "year", 1: "month", 2: "day"}))
    else:
        parts = iso.rename(columns={0: "year", 1: "month", 2: "day"})
    matched = parts.dropna().astype("int64")  # at most four digits each
    in_range = matched["year"].between(FIRST_DATE.year, LAST_DATE.year)
    found.set(matched.index[~in_range], DATE_OUT_OF_RANGE, OUT_OF_RANGE)
    if in_range.any():
        parsed = pd.to_datetime(matched[in_range], errors="coerce")
        real = parsed.dropna()
        day.loc[real.index] = (real - FIRST_DATE).dt.days.astype("float64") + _FIRST_DAY
        found.set(parsed.index[parsed.isna()], UNREAL_DATE, "is not a real calendar date")
    unread = text.index.difference(matched.index)
    found.set(unread, UNREAD_DATE, NOT_A_DATE)
    if not date_order:  # day-first or month-first text, which only date_order lets be read
        day_first = numeric.loc[unread].dropna()
        either_way = _real_either_way(day_first)
        found.set(day_first.index[either_way], NEEDS_DATE_ORDER, NOT_A_DATE + DATE_ORDER_HINT)
        found.set(day_first.index[~either_way], UNREAL_EITHER_WAY, NOT_A_REAL_DATE_EITHER_WAY + DATE_ORDER_HINT)

    handled = cells.index.union(serials.index).union(times).union(text.index)
    _unexpected(raw, types, handled, found, "a date")
    found.set(day.index[(day < _FIRST_DAY) | (day > _LAST_DAY)], DATE_OUT_OF_RANGE, OUT_OF_RANGE)
    good = day.where(found.problems.isna()) - _FIRST_DAY
    return found.parsed((FIRST_DATE + pd.to_timedelta(good, unit="D")).astype("datetime64[ns]"))


def _real_either_way(numeric: pd.DataFrame) -> np.ndarray:
    """Whether text such as 05/03/2026, read without date_order, is a real day day first or month
    first (31/02/2026 is neither): its problem says where that setting lives, and which of the two."""
    year = numeric[2].where(numeric[2].str.len() == 4, "20" + numeric[2]).astype("int64")
    # Leap or not decides only 29 February: a year the sync refuses anyway is read as a leap year.
    year = year.where(year.between(FIRST_DATE.year, LAST_DATE.year), 2000)
    first, second = numeric[0].astype("int64"), numeric[1].astype("int64")
    return _real_day(year, second, first) | _real_day(year, first, second)


def _real_day(year: pd.Series, month: pd.Series, day: pd.Series) -> np.ndarray:
    parts = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.to_datetime(parts, errors="coerce").notna().to_numpy()


def _date_only(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# --- hours ---------------------------------------------------------------------------

_HMM = r"^([0-9]+):([0-5]?[0-9])(?::([0-5]?[0-9]))?$"
_UNITS = (
    r"^(?:([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*h(?:ours?|rs?)?)?"
    r"\s*(?:([0-9]+(?:\.[0-9]+)?)\s*m(?:in(?:ute)?s?)?)?$"
)
_DECIMAL = r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"


@on_distinct
def parse_hours(raw: pd.Series) -> Parsed:
    """Durations in whole milliseconds (int64): 1.5, 1:30, 90m, 2h, 1h30m, duration/time cells.

    Milliseconds keep every typed duration exact: 1:20 is 4,800,000 ms = exactly 4/3 h, and a
    decimal with up to six places (0.000001 h = 3.6 ms) is whole too.
    """
    ms, found = _duration_ms(raw)
    found.set(ms.index[ms.notna() & (ms <= 0)], NOT_POSITIVE, "must be more than 0 hours")
    found.set(ms.index[ms > 24 * MS_PER_HOUR], OVER_24, "is more than 24 hours for one entry")
    return found.parsed(ms.where(found.problems.isna()).astype("Int64"))


_ONE_MS = dt.timedelta(milliseconds=1)
MAX_ALLOWANCE_HOURS = 100_000  # Included Hours and Rollover Cap: more is a typo


@on_distinct
def parse_allowance(raw: pd.Series) -> Parsed:
    """A number of hours from 0 up, as parse_hours reads it (Included Hours, Rollover Cap); blank is 0."""
    types = _types(raw)
    text = raw[_is(types, str)].astype(str).str.strip()
    signed = text[text.str.startswith("-")]
    unsigned = raw.copy()
    unsigned.loc[signed.index] = signed.str[1:]
    ms, found = _duration_ms(unsigned)
    found.set(
        ms.index[(ms < 0) | ms.index.isin(signed.index) & found.problems.isna()], NEGATIVE, "must not be negative"
    )
    found.set(
        ms.index[ms > MAX_ALLOWANCE_HOURS * MS_PER_HOUR], TOO_MANY_HOURS, f"is more than {MAX_ALLOWANCE_HOURS:,} hours"
    )
    return found.parsed(ms.where(found.problems.isna()).fillna(0).astype("int64"))


def _duration_ms(raw: pd.Series) -> tuple[pd.Series, _Found]:
    """Durations as whole milliseconds (float64, NaN where blank or not understood), and the problems.

    float64 holds every duration up to 2.5 million hours exactly, and any larger one as a number
    too large for its column (±inf at worst), never an overflow."""
    types, found = _types(raw), _Found(raw.index)
    ms = pd.Series(np.nan, index=raw.index, dtype="float64")

    numbers = _numbers(raw, types)
    ms.loc[numbers.index] = numbers * MS_PER_HOUR

    durations = raw[_is(types, dt.timedelta, pd.Timedelta)]
    ms.loc[durations.index] = durations.map(lambda value: value / _ONE_MS).astype("float64")  # any size

    times = raw[_is(types, dt.time)]
    ms.loc[times.index] = times.map(
        lambda t: ((t.hour * 60 + t.minute) * 60 + t.second) * 1000 + t.microsecond // 1000
    ).astype("float64")

    dates = raw.index[_is(types, dt.date, dt.datetime, pd.Timestamp)]
    found.set(dates, IS_A_DATE, "is a date, not a number of hours")

    text = _strings(raw, types).str.lower()
    decimal = text.str.extract(_DECIMAL)[0].dropna()
    ms.loc[decimal.index] = decimal.astype("float64") * MS_PER_HOUR
    hmm = text.str.extract(_HMM).dropna(subset=[0, 1]).fillna("0").astype("float64")
    ms.loc[hmm.index] = ((hmm[0] * 60 + hmm[1]) * 60 + hmm[2]) * 1000
    units = text.str.extract(_UNITS).drop(hmm.index.union(decimal.index), errors="ignore")
    units = units[units.notna().any(axis=1) & (text.loc[units.index] != "")].astype("float64").fillna(0)
    ms.loc[units.index] = (units[0] * 60 + units[1]) * 60_000
    understood = decimal.index.union(hmm.index).union(units.index)
    found.set(text.index.difference(understood), NOT_HOURS, "is not a number of hours (use 1.5, 1:30, 90m or 1h30m)")

    handled = numbers.index.union(durations.index).union(times.index).union(dates).union(text.index)
    _unexpected(raw, types, handled, found, "a number of hours")
    return ms.round(), found


# --- money ---------------------------------------------------------------------------

NOT_AN_AMOUNT = "is not an amount (use 1200, 1,200.00 or $1,200.00)"
_MONEY = r"^([+-])?(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$"
_CURRENCY_MARKS = r"[$€£¥\s]|^[A-Z]{3}|[A-Z]{3}$"
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY"}  # "$" is many currencies: it says nothing


@on_distinct
def parse_money(raw: pd.Series) -> Parsed:
    """Amounts in integer ten-thousandths (int64): 1200, 1,200.00, $1,200.00, -250, (250.00).

    Number cells are doubles: a typed 0.1 is the double nearest 0.1, so the scaled value is
    rounded to the nearest whole ten-thousandth, and anything that is not within a few ulps
    of one had more decimals than any currency has.
    """
    types, found = _types(raw), _Found(raw.index)
    scaled = pd.Series(pd.NA, index=raw.index, dtype="Int64")

    numbers = _numbers(raw, types)
    finite = numbers[np.isfinite(numbers) & (numbers.abs() < MAX_MONEY)]
    exact = finite * MONEY_SCALE
    whole = exact.round()
    close = (exact - whole).abs() <= 1e-6 + 1e-14 * whole.abs()
    scaled.loc[whole[close].index] = whole[close].astype("int64")
    found.set(close.index[~close], TOO_MANY_DECIMALS, "has more decimals than any currency")
    found.set(numbers.index.difference(finite.index), TOO_LARGE, "is too large")

    text = _strings(raw, types)
    negative = text.str.match(r"^\(.*\)$")
    bare = text.str.strip("()").str.replace(_CURRENCY_MARKS, "", regex=True)
    parts = bare.str.extract(_MONEY)
    ok = parts[1].notna() | parts[2].notna()
    parts, negative = parts[ok], negative[ok]
    units = pd.to_numeric(parts[1].fillna("0").str.replace(",", ""), errors="coerce")
    fraction = parts[2].fillna("")
    too_precise = fraction.str.len() > 4
    big = units >= MAX_MONEY
    good = ~too_precise & ~big
    fraction_scaled = pd.to_numeric(fraction[good].str.ljust(4, "0"), errors="coerce").fillna(0)
    sign = np.where((parts[0][good] == "-") ^ negative[good], -1, 1)
    value: pd.Series = (units[good].astype("int64") * MONEY_SCALE + fraction_scaled.astype("int64")) * sign
    scaled.loc[value.index] = value.astype("int64")
    found.set(too_precise.index[too_precise], TOO_MANY_DECIMALS, "has more decimals than any currency")
    found.set(big.index[big & ~too_precise], TOO_LARGE, "is too large")
    found.set(text.index.difference(parts.index), UNREAD_AMOUNT, NOT_AN_AMOUNT)

    handled = numbers.index.union(text.index)
    _unexpected(raw, types, handled, found, "an amount")
    return found.parsed(scaled.where(found.problems.isna()))


@on_distinct
def currency_marks(raw: pd.Series) -> pd.Series:
    """The currency an amount's text names ("EUR 5", "5 EUR", "€5"), NA where it names none."""
    text = raw[_is(_types(raw), str)].astype(str).str.strip()
    found = text.str.extract(r"^([A-Z]{3})|([A-Z]{3})$")
    code = found[0].fillna(found[1])
    symbol = text.str.extract("([€£¥])")[0].map(_SYMBOLS)
    return code.fillna(symbol).reindex(raw.index).astype(object)


def check_minor_unit(scaled: pd.Series, minor: pd.Series) -> pd.Series:
    """Problems for amounts with more decimals than their currency has (USD 2, JPY 0); each of
    kind CURRENCY_DECIMALS."""
    step = (10 ** (4 - minor)).astype("int64")
    bad = (scaled % step != 0).fillna(False).astype(bool)
    return pd.Series(pd.NA, index=scaled.index, dtype="object").mask(
        bad, "has more decimals than the contract's currency allows"
    )


def to_minor(scaled: pd.Series, minor: pd.Series) -> pd.Series:
    """Ten-thousandths (MONEY_SCALE) into the currency's minor units, once check_minor_unit passed."""
    return (scaled // (10 ** (4 - minor)).astype("int64")).astype("int64")


# --- flags, counts, text ---------------------------------------------------------------

_TRUE = {"y", "yes", "true", "1", "x", "✓", "✔", "☑"}
_FALSE = {"n", "no", "false", "0", "☐"}


@on_distinct
def parse_billable(raw: pd.Series) -> Parsed:
    """Y/Yes/TRUE/1/x/checked -> True; N/No/FALSE/0/unchecked -> False; blank -> True."""
    key = parse_text(raw).str.casefold()
    found = _Found(raw.index)
    found.set(raw.index[~(key.isin(_TRUE | _FALSE) | (key == ""))], NOT_Y_OR_N, "is not Y or N")
    return found.parsed(~key.isin(_FALSE))


@on_distinct
def parse_whole_number(raw: pd.Series, largest: int) -> Parsed:
    """A whole number from 0 to `largest` (Rounding Minutes)."""
    types, found = _types(raw), _Found(raw.index)
    numbers = pd.concat([_numbers(raw, types), pd.to_numeric(_strings(raw, types), errors="coerce")])
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < 0) | (numbers > largest)
    found.set(numbers.index[bad], NOT_A_WHOLE_NUMBER, f"is not a whole number from 0 to {largest}")
    _unexpected(raw, types, numbers.index, found, "a whole number")
    values = pd.Series(0, index=raw.index, dtype="int64")
    good = numbers[~bad]
    values.loc[good.index] = good.astype("int64")
    return found.parsed(values)


@on_distinct
def parse_text(raw: pd.Series) -> pd.Series:
    """Any cell as trimmed text; whole-number cells lose their '.0' (an ID typed as 1001)."""
    if pd.api.types.infer_dtype(raw, skipna=False) == "string":  # text cells only: nothing to convert
        return raw.astype(str).str.strip()
    text = np.fromiter(map(_is_str, raw.to_numpy(dtype=object)), dtype=bool, count=len(raw))
    if text.sum() * 2 < len(raw):
        return raw.map(_cell_text).str.strip()
    # Mostly text, as free text with blanks is: the rest one by one, the text converted in one go.
    cells = raw.to_numpy(dtype=object, copy=True)
    cells[~text] = [_cell_text(value) for value in cells[~text].tolist()]
    return pd.Series(cells, index=raw.index, dtype=object).astype(str).str.strip()


def _is_str(value: object) -> bool:
    return type(value) is str


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(as_duration(value))


def as_duration(value: object) -> object:
    """A time of day as the duration since midnight it stands for (01:30 -> 1:30:00); any other
    value as it is. A spreadsheet keeps both as a fraction of a day, and the fast xlsx reader
    cannot tell them apart, so nothing the sync shows may either."""
    if isinstance(value, dt.time):
        return dt.timedelta(
            hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
        )
    return value
