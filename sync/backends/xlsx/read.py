"""Reading an .xlsx's input tabs: fastexcel for speed, python-calamine where only it is exact.

python-calamine hands a tab over as Python objects, cell by cell: the benchmark's million-row Time
tab took 8.1 s to read that way, and 4.2 s with fastexcel (calamine underneath too), which hands it
over as Arrow columns (read stage of `scripts/bench`, bench/results.md). But fastexcel sees a
tab as a table of typed columns, which differs from the cells in four ways:

- its grid starts at the first filled cell, not at A1: a tab whose A1 is blank is read with
  calamine, so that row numbers stay the sheet's;
- it renames a repeated header ("Hours", "Hours_1"): such a tab is read with calamine too, so the
  repeat is reported as it is with every other backend;
- a column holding cells of several types (numbers and text, say) comes out as text: numbers
  rounded to nine decimals ("1.5", "-0"; 0.30000000000000004 as "0.3", 1e-12 as "0"), booleans
  as "true"/"false", dates as "2026-01-02 00:00:00" (so every column is read as text, in one
  pass). Nine decimals are more than any cell needs (money four, hours 0.000000001 h = 3.6 µs),
  but a number below 0.000000001 that is not 0 reads as 0, where calamine keeps it;
- a date, time or duration cell comes out as the datetime its serial number is, counted from
  1899-12-31 (serial 0), whatever its format: a time 1:30 and a duration 1:30 (0.0625 days) both
  as "1899-12-31 01:30:00", the date 1900-01-01 and the duration 24:00 (1 day) both as
  "1900-01-01 00:00:00". calamine reads the format: a duration ([h]:mm) is a timedelta, a date or
  time a date or datetime, or a time of day below one day.

The last two are undone here on each column's distinct values (a few thousand, whatever the
size of the tab, bar free text): renderings become dates, datetimes, durations, booleans and
numbers again. Only a value made of digits, signs, colons, dots and spaces, or "true" or "false",
can be one, so the rest (free text: a million distinct Task and Notes cells) are picked out by one
Arrow regex and stay text untouched.
A rendering on 1899-12-31 is a time or a duration under a day (the same hours either way), one
from 1970 on a date or datetime; any other (before 1970, or beyond year 9999) could be a date as
well as a duration of a day or more, and only calamine can tell, so a tab holding one is read with
calamine. Such cells are mistakes in any column but Included Hours and Rollover Cap (a date before
1970, 25:00 in Hours), so a well-kept Time tab is read fast. (A duration of 613,000 hours or more
would still read as a date.) Text that reads exactly like a rendering (a text "1001" in a column
of IDs) becomes that value, which every parser reads as it read the text. tests/test_xlsx_read.py
checks that both readers give the same books, figures and problems.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook

from sync.backends.xlsx.package import Package
from sync.backends.xlsx.parts import MAIN, REL
from sync.model.raw import ColumnTab, RawTab
from sync.model.schema import find_tabs

_FIRST_YEAR = 1970  # of sync.cells.FIRST_DATE: an earlier date is refused anyway, and rare
_RENDERED_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?")
_RENDERED_BEYOND = re.compile(r"[+-][0-9]{4,}-[0-9]{2}-[0-9]{2} [0-9:.]+")  # years outside 0..9999
_AMBIGUOUS = object()  # a rendering that could be a date as well as a duration (_cell)
_BOOLEANS = {"true": True, "false": False}
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_FIRST_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.S)
_RENAMED = re.compile(r"(.*)_(\d+)")
_MAYBE_RENDERED = r"[-+0-9:. ]+|true|false"  # a superset of what _cell turns into another value (RE2)


def read_tabs(data: bytes, names: list[str], book: str = "the workbook") -> dict[str, RawTab]:
    """The named tabs that exist (case and surrounding spaces ignored), each as a ColumnTab when
    fastexcel sees it as calamine does, else as calamine's rows. Two tabs matching one name (of
    these or of the sync's) raise SyncError (schema.find_tabs)."""
    reader = fastexcel.read_excel(data)
    found = find_tabs(reader.sheet_names, names, book)
    starts_at_a1 = _tabs_starting_at_a1(Package(data), set(found.values()))
    exact: CalamineWorkbook | None = None
    tabs: dict[str, RawTab] = {}
    for wanted, actual in found.items():
        fast: RawTab | None = _fast_tab(reader, actual) if actual in starts_at_a1 else None
        if fast is None:
            exact = exact or CalamineWorkbook.from_filelike(io.BytesIO(data))
            # skip_empty_area=False keeps list index == sheet row - 1, which is what error
            # messages quote back to the user.
            fast = exact.get_sheet_by_name(actual).to_python(skip_empty_area=False)
        tabs[wanted] = fast
    return tabs


def _tabs_starting_at_a1(pkg: Package, names: set[str]) -> set[str]:
    """Those of `names` whose first filled cell is A1, in a book with 1900-based dates."""
    book_part = pkg.target_of("", "/officeDocument")
    if book_part is None:
        return set()
    book = pkg.xml(book_part)
    props = book.find(f"{{{MAIN}}}workbookPr")
    if props is not None and props.get("date1904") in ("1", "true"):
        return set()  # times of day would not land on 1899-12-31: let calamine read them
    found = set()
    for sheet in book.find(f"{{{MAIN}}}sheets"):
        if sheet.get("name") not in names:
            continue
        rel = pkg.rel_by_id(book_part, sheet.get(f"{{{REL}}}id"))
        head = pkg.head(pkg.resolve(book_part, rel.get("Target", "")), 1 << 16)
        body = head[head.find(b"<sheetData") :]
        for match in _FIRST_CELL.finditer(body):
            content = match.group(3) or b""
            if b"<v>" in content or b"<is>" in content or b"<v " in content:
                if re.search(rb'\br="A1"', match.group(1)):
                    found.add(sheet.get("name"))
                break
    return found


def _fast_tab(reader: Any, name: str) -> ColumnTab | None:
    # Every column as text: typed columns would merge cell types (fastexcel turns a checkbox in a
    # column of numbers into 1.0) or refuse some mixes outright (numbers with durations).
    sheet = reader.load_sheet(name, header_row=0, dtypes="string")
    seen: set[str] = set()
    header: list[Any] = []
    for info in sheet.available_columns():
        renamed = _RENAMED.fullmatch(info.name)
        if info.column_name_from == "looked_up" and renamed and renamed.group(1) in seen:
            return None  # a repeated header, renamed by fastexcel
        seen.add(info.name)
        header.append("" if info.column_name_from == "generated" else info.name)
    # Calamine's cells, then each Arrow column, let go of as soon as they are converted: a million
    # rows of free text are hundreds of MB in each form, and Python's objects are made from them.
    arrow = sheet.to_arrow().columns
    del sheet
    columns: list[np.ndarray] = []
    for i in range(len(arrow)):
        column, arrow[i] = _cells(arrow[i]), None
        if column is None:
            return None
        columns.append(column)
    return ColumnTab(header, columns)


def _cells(column: pa.Array) -> np.ndarray | None:
    """A column of rendered cells as an object array of the cells calamine would give; None when
    one of them could be a date as well as a duration (_cell)."""
    encoded = pc.dictionary_encode(column)
    values = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
    maybe = pc.match_substring_regex(encoded.dictionary, f"^(?:{_MAYBE_RENDERED})$")
    at = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    values[at] = found = np.fromiter(map(_cell, values[at].tolist()), dtype=object, count=len(at))
    if any(value is _AMBIGUOUS for value in found.tolist()):
        return None
    return values[encoded.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)]


def _cell(text: str) -> Any:
    """A rendered cell as the value it was: a date, datetime, time or duration, a number, or text;
    _AMBIGUOUS for a rendering that only the cell's format can tell (module docstring)."""
    if (rendered := _RENDERED_DATETIME.fullmatch(text)) is not None:
        parts = [int(part) for part in rendered.groups()[:6]]
        if parts[:3] == [1899, 12, 31]:  # calamine's serial 0: a time of day or a duration under a day
            return dt.timedelta(
                hours=parts[3],
                minutes=parts[4],
                seconds=parts[5],
                microseconds=int((rendered.group(7) or "0").ljust(6, "0")),
            )
        if parts[0] < _FIRST_YEAR:
            return _AMBIGUOUS
        year, month, day, hour, minute, second = parts
        value = dt.datetime(year, month, day, hour, minute, second, int((rendered.group(7) or "0").ljust(6, "0")))
        return value.date() if value.time() == dt.time() else value
    if _RENDERED_BEYOND.fullmatch(text):
        return _AMBIGUOUS
    if text in _BOOLEANS:
        return _BOOLEANS[text]  # typing true into Excel gives a TRUE cell: this text was one
    if _PLAIN_NUMBER.fullmatch(text) and _rendered_number(number := float(text)) == text:
        return number  # the form a number cell is rendered in (text rarely is, bar "1001")
    return text


def _rendered_number(number: float) -> str:
    """How a number cell reads as text: whole numbers in all their digits (-0.0 as "-0"), others in
    the shortest form that reads back as the same double."""
    if number.is_integer():
        return f"{number:.0f}"
    return np.format_float_positional(number, trim="-")
