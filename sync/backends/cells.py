"""What a value of each column kind (sync.model.table.Kind) becomes in a spreadsheet cell: the
rules every writer shares (the team's .xlsx tabs, the client books, Google Sheets).

`cell_value` decides, once, what sort of cell a value makes: a number, a date or datetime, a
truth value or text. Each writer then only spells that cell in its own terms: XlsxWriter calls,
worksheet XML, or the JSON values of the Sheets API, where a date is a serial number
(sync.model.serials). Number formats come from here too, so a money column shows the same
decimals whoever writes it.
"""

from __future__ import annotations

import numbers
from decimal import Decimal
from typing import SupportsInt, cast

from sync.model.table import Kind

# Every XlsxWriter book the sync makes: what the team or a client typed stays text, never becoming a
# formula, a number or a link ("=HYPERLINK(...)" in a Task must stay text). Google's equivalent is RAW input.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}

HOURS_FORMAT = "0.00"
INT_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def money_places(value: object) -> int:
    """Decimal places a money value carries: its exponent (Decimal('12.50') -> 2), the currency's minor unit."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return 0
    raise TypeError(f"money must be a Decimal, not {type(value).__name__}: {value!r}")


def money_format(places: int) -> str:
    """The number format of money with this many decimal places: '#,##0.00' for two, '#,##0' for none."""
    return "#,##0" + ("." + "0" * places if places > 0 else "")


def cell_number(value: object) -> object:
    """A money or hours value as the number a cell stores. xlsx cells and the JSON of the Sheets API
    hold doubles, so this is the one place a Decimal amount becomes a float; an int or a float is
    already such a number."""
    return float(value) if isinstance(value, Decimal) else value


def exact_number(value: object, kind: Kind) -> Decimal:
    """A money or hours value as the exact Decimal a writer that spells numbers as decimal text
    stores (the team's tabs): a Decimal or an int (a float too for hours, which are not money),
    finite, and never a negative zero, which would show as "-0.00"."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, numbers.Integral):
        d = Decimal(int(value))
    elif isinstance(value, float) and kind == "hours":  # hours are not money: a float will do
        d = Decimal(repr(value))
    else:
        raise TypeError(f"a {kind} cell must hold a Decimal, not {type(value).__name__} {value!r}")
    if not d.is_finite():
        raise ValueError(f"a {kind} cell cannot hold {d}")
    return abs(d) if d.is_zero() else d


def cell_text(value: object) -> str:
    """A value of a text column (or of a kind no writer knows) as the text of its cell."""
    return value if type(value) is str else str(value)


def cell_texts(values: list) -> list[str]:
    """cell_text of each of `values`, for a column's million distinct texts."""
    return [value if type(value) is str else str(value) for value in values]


def cell_value(value: object, kind: Kind) -> object:
    """What a cell of a column of this kind holds for `value`: None (a blank) for None; money and
    hours as the number a cell stores (cell_number); an int as int and a bool as bool; a date or
    datetime as it is, for each writer to store as its serial number; anything else as text."""
    if value is None:
        return None
    if kind in ("money", "hours"):
        return cell_number(value)
    if kind == "int":
        return int(cast(SupportsInt, value))  # an int column holds ints, numpy's too (sync.model.table.Kind)
    if kind == "bool":
        return bool(value)
    if kind in ("date", "datetime"):
        return value
    return cell_text(value)
