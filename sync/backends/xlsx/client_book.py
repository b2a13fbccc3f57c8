"""One client's read-only summary book: typed value cells, never a formula, and a balance chart."""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers
import re
from collections.abc import Callable
from itertools import groupby, zip_longest
from pathlib import Path
from typing import IO, Any, NamedTuple, SupportsFloat

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from sync.backends.cells import (
    DATE_FORMAT,
    HOURS_FORMAT,
    WORKBOOK_OPTIONS,
    cell_texts,
    cell_value,
    money_format,
    money_places,
)
from sync.backends.files import replace_file
from sync.backends.xlsx.package import fill_sheets
from sync.backends.xlsx.sheet import (
    CellCache,
    Cells,
    CellWriter,
    Column,
    StyleKey,
    encode_tables,
    inline_strings,
    per_value,
    texts_with,
)
from sync.model.schema import CLIENT_TABS
from sync.model.serials import EPOCH_MIDNIGHT
from sync.model.table import Kind, Table

# A client may see whatever the team typed (WORKBOOK_OPTIONS); these leaders make Excel read typed text as
# a formula, so such a text gets Excel's quote prefix too.
FORMULA_LEADERS = ("=", "+", "-", "@")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"  # a client reads minutes, not the team's seconds
MIN_WIDTH, MAX_WIDTH = 8, 50
CHART_TITLE = "Balance by month"
# Read-only for the client, who can still select, filter and widen columns to read. Sort is allowed
# as asked, but Excel will not sort locked cells on a protected sheet, and every cell here is locked.
# No password: this guards against slips, not against anyone determined.
PROTECTION = {
    "select_locked_cells": True,
    "select_unlocked_cells": True,
    "autofilter": True,
    "sort": True,
    "format_columns": True,
}
# XlsxWriter takes about 6 us a cell, and Activity can hold a million rows: these tabs' rows are written
# as XML text (xlsx_sheet) into the book XlsxWriter made with their headers, each cell as _write_cell
# would have had XlsxWriter write it. Summary, with its month table and chart, stays with XlsxWriter.
FAST_TABS = ("Activity", "Payments", "Statement", "Periods")
QUOTED = ("General", False, True)  # the xlsx_sheet style of formats(quote_prefix=True)
LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # where str.splitlines() splits
# XlsxWriter counts days from 1899-12-31, the day after the epoch, then adds Excel's 29 Feb 1900 from serial 60 on.
XLSXWRITER_DAY_ZERO = EPOCH_MIDNIGHT + dt.timedelta(days=1)
DAY_ZERO_ORDINAL = XLSXWRITER_DAY_ZERO.toordinal()


def write_client_workbook(
    path: Path,
    tables: dict[str, Table],
    title: str,
    cache: CellCache | None = None,
    encoded: dict[str, list[Column]] | None = None,
    mark: dict[str, str] | None = None,
    check: Callable[[], None] | None = None,
) -> None:
    """Write `tables` as the CLIENT_TABS of a new book at `path`, replacing any old one atomically.

    A tab missing from `tables` is written as its header alone. A `cache` shared by the books of a
    run makes each value they share into a cell once; `encoded` is the book's encode_fast_tabs().
    `mark` becomes the book's custom document properties (xlsx_marks); `check` runs just before the
    new file takes the old one's place, and stops the replacement by raising.
    """
    unknown = sorted(set(tables) - set(CLIENT_TABS))
    if unknown:
        raise ValueError(f"not client tabs: {unknown}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fast = encode_fast_tabs([tables], cache)[0] if encoded is None else encoded
    # Atomic, and an old summary's owner, group and mode are kept; a read-only one raises files.ReadOnly.
    replace_file(path, lambda handle: _write_book(handle, tables, title, fast, mark or {}), check)


def encode_fast_tabs(books: list[dict[str, Table]], cache: CellCache | None = None) -> list[dict[str, list[Column]]]:
    """The FAST_TABS of each book's tables as xlsx_sheet columns, encoded for all the books together."""
    encoded: list[dict[str, list[Column]]] = [{} for _ in books]
    for name in FAST_TABS:
        tabs = encode_tables([_table(tables, name) for tables in books], lambda kind: _cells(kind, cache))
        for book, columns in zip(encoded, tabs):
            book[name] = columns
    return encoded


def _table(tables: dict[str, Table], name: str) -> Table:
    """The book's table for a client tab; a tab missing from `tables` is its header alone."""
    if name in tables:
        return tables[name]
    columns = CLIENT_TABS[name]
    return Table(pd.DataFrame(columns=list(columns)), dict.fromkeys(columns, "text"))


class _Formats:
    """One Format per distinct look, created on first use (a book holds a limited number of styles)."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._made: dict[tuple, Format] = {}

    def __call__(self, **properties: object) -> Format:
        key = tuple(sorted(properties.items()))
        if key not in self._made:
            self._made[key] = self._workbook.add_format(properties)
        return self._made[key]


class BalanceByMonth(NamedTuple):
    """Each contract's Closing on one shared month axis: what the Summary chart plots."""

    month_kind: Kind
    contract_ids: list[str]  # Statement order
    rows: list[list[object]]  # [month, closing of each contract or None], months sorted


def balance_by_month(statement: Table) -> BalanceByMonth:
    """Pivot the Statement to one row per month (the union of all contracts' months) and one column per contract.

    Every line chart series shares the first series' categories in Excel, so the months must be one column.
    """
    id_col, month_col, closing_col = (statement.columns.index(c) for c in ("Contract ID", "Month", "Closing"))
    rows = plain_rows(statement)
    ids = [str(rows[first][id_col]) for first, _ in _runs([row[id_col] for row in rows])]
    closings: dict[tuple[str, Any], object] = {}  # (contract, month): months of one kind sort among themselves
    for row in rows:
        key = (str(row[id_col]), row[month_col])
        if key[1] is None:
            raise ValueError(f"Statement row of {key[0]} has no Month")
        if key in closings:
            raise ValueError(f"Statement has two rows for {key[0]} {key[1]}")
        closings[key] = row[closing_col]
    months = sorted({month for _, month in closings})
    return BalanceByMonth(
        statement.kinds["Month"], ids, [[month] + [closings.get((cid, month)) for cid in ids] for month in months]
    )


def _write_book(
    handle: IO[bytes], tables: dict[str, Table], title: str, fast: dict[str, list[Column]], mark: dict[str, str]
) -> None:
    book = io.BytesIO()
    workbook = xlsxwriter.Workbook(book, {**WORKBOOK_OPTIONS, "in_memory": True})
    workbook.set_properties({"title": title})
    for name, value in mark.items():
        workbook.set_custom_property(name, value, "text")
    workbook.read_only_recommended()
    formats = _Formats(workbook)
    statement = tables.get("Statement")
    by_month = balance_by_month(statement) if statement is not None and len(statement.frame) else None
    for name in CLIENT_TABS:
        table = _table(tables, name)
        sheet = workbook.add_worksheet(name)
        if name in fast:
            widths = _write_header(sheet, table, [column.width for column in fast[name]], formats)
        else:
            widths = _write_table(sheet, table, formats)
        if name == "Summary" and by_month is not None:
            heading_row = len(table.frame) + 2  # one blank row below the contracts
            sheet.write_string(heading_row, 0, CHART_TITLE, formats(bold=True))
            month_widths = _write_block(
                sheet,
                heading_row + 1,
                ["Month", *by_month.contract_ids],
                [by_month.month_kind] + ["money"] * len(by_month.contract_ids),
                by_month.rows,
                formats,
            )
            widths = [max(pair) for pair in zip_longest(widths, month_widths, fillvalue=0)]
            chart = _balance_chart(workbook, by_month, sheet.name, heading_row + 1)
            # Row 1 keeps the chart below the frozen header pane, one blank column right of both tables.
            sheet.insert_chart(1, len(widths) + 1, chart)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(MAX_WIDTH, max(MIN_WIDTH, width + 1)))
        sheet.protect("", PROTECTION)
    workbook.close()
    handle.write(fill_sheets(book.getvalue(), fast))


def _write_table(sheet: Worksheet, table: Table, formats: _Formats) -> list[int]:
    """The tab's table from A1, frozen and filtered; returns each column's display width."""
    rows = plain_rows(table)
    widths = _write_block(sheet, 0, table.columns, list(table.kinds.values()), rows, formats)
    _freeze_and_filter(sheet, table)
    return widths


def plain_rows(table: Table) -> list[list[object]]:
    """Table.rows(), column by column: pandas' astype and where on a whole frame take a millisecond,
    and a run writes a thousand small tables."""
    if not table.columns:
        return table.rows()
    columns = [column.to_numpy(dtype=object) for _, column in table.frame.items()]
    return np.column_stack(
        [
            np.where(pd.isna(values), None, values)  # type: ignore[call-overload]  # numpy takes None as an object scalar; its stubs leave None out of ArrayLike
            for values in columns
        ]
    ).tolist()


def _write_header(sheet: Worksheet, table: Table, value_widths: list[int], formats: _Formats) -> list[int]:
    """The tab's header alone, frozen and filtered as if its rows were there; returns each column's display width."""
    widths = _write_block(sheet, 0, table.columns, list(table.kinds.values()), [], formats)
    _freeze_and_filter(sheet, table)
    return [max(pair) for pair in zip(widths, value_widths)]


def _freeze_and_filter(sheet: Worksheet, table: Table) -> None:
    sheet.freeze_panes(1, 0)
    if table.columns:
        sheet.autofilter(0, 0, len(table.frame), len(table.columns) - 1)


def _write_block(
    sheet: Worksheet, top: int, headers: list[str], kinds: list[Kind], rows: list[list[object]], formats: _Formats
) -> list[int]:
    """A bold header at row `top` and typed rows below it, from column A; returns each column's display width."""
    for col, header in enumerate(headers):
        text = str(header)
        bold = formats(bold=True, quote_prefix=True) if text.startswith(FORMULA_LEADERS) else formats(bold=True)
        sheet.write_string(top, col, text, bold)
    for row_number, row in enumerate(rows, start=top + 1):
        for col, (value, kind) in enumerate(zip(row, kinds)):
            _write_cell(sheet, row_number, col, value, kind, formats)
    # +3 leaves room for the autofilter button beside the header text.
    return [
        max([len(str(header)) + 3] + [_display_width(row[col], kinds[col]) for row in rows])
        for col, header in enumerate(headers)
    ]


def _write_cell(sheet: Worksheet, row: int, col: int, value: object, kind: Kind, formats: _Formats) -> None:
    """One cell through XlsxWriter: what cell_value makes of the value, in the format of its kind."""
    cell = cell_value(value, kind)  # a money value becomes a float there, and only there
    if cell is None:
        return
    if kind == "money":
        sheet.write_number(row, col, cell, formats(num_format=money_format(money_places(value))))
    elif kind == "hours":
        sheet.write_number(row, col, cell, formats(num_format=HOURS_FORMAT))
    elif kind == "int":
        sheet.write_number(row, col, cell)
    elif kind == "date":
        sheet.write_datetime(row, col, cell, formats(num_format=DATE_FORMAT))
    elif kind == "datetime":
        sheet.write_datetime(row, col, cell, formats(num_format=DATETIME_FORMAT))
    elif kind == "bool":
        sheet.write_boolean(row, col, cell)
    else:
        assert isinstance(cell, str)  # cell_value of any other kind is text
        # quote_prefix is what Excel itself stores for typed text like '=1+1: it stays text on edit.
        quoted = formats(quote_prefix=True) if cell.startswith(FORMULA_LEADERS) else None
        sheet.write_string(row, col, cell, quoted)


def _display_width(value: object, kind: Kind) -> int:
    if value is None:
        return 0
    if kind == "money":
        return len(f"{value:,.{money_places(value)}f}")
    if kind == "hours":
        return len(f"{value:.2f}")
    if kind in ("date", "datetime"):
        return len(DATE_FORMAT if kind == "date" else DATETIME_FORMAT)
    if kind == "bool":
        return len("FALSE")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _cells(kind: Kind, cache: CellCache | None = None) -> CellWriter:
    """What _write_cell has XlsxWriter write for each value of this kind, as cells for xlsx_sheet: the
    same cell_value, spelt as XlsxWriter spells it."""

    def money(value: object) -> tuple[StyleKey, str, int]:
        places = money_places(value)
        return (money_format(places), False, False), _number_cell(value, kind), len(f"{value:,.{places}f}")

    def hours(value: object) -> tuple[StyleKey, str, int]:
        return (HOURS_FORMAT, False, False), _number_cell(value, kind), _display_width(value, kind)

    def integer(value: object) -> tuple[None, str, int]:
        return None, _number_cell(value, kind), _display_width(value, kind)

    def moment(value: object) -> tuple[StyleKey, str, int]:
        style = (DATE_FORMAT if kind == "date" else DATETIME_FORMAT, False, False)
        return style, _number(_excel_serial(cell_value(value, kind))), _display_width(value, kind)

    def boolean(value: object) -> tuple[None, str, int]:
        return None, f' t="b"><v>{1 if cell_value(value, kind) else 0}</v></c>', _display_width(value, kind)

    def texts(values: list) -> Cells:
        strings = cell_texts(values)
        bodies, _ = inline_strings(strings, excel_escapes=True)
        widths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
        for i in texts_with(strings, LINE_BREAK).tolist():
            widths[i] = _display_width(strings[i], "text")
        return Cells([QUOTED if text.startswith(FORMULA_LEADERS) else None for text in strings], bodies, widths)

    def days(values: list) -> Cells:
        """Dates in bulk: a client book holds a thousand distinct ones, and a run writes many books."""
        if not all(type(value) is dt.date for value in values):  # a datetime carries a time of day
            return per_value(moment, cache.of(kind) if cache else None)(values)
        serials = np.fromiter(map(dt.date.toordinal, values), dtype=np.int64, count=len(values)) - DAY_ZERO_ORDINAL
        serials += serials > 59  # Excel's 29 Feb 1900, which never was
        return Cells(
            [(DATE_FORMAT, False, False)] * len(values),
            [f"><v>{n}</v></c>" for n in serials.tolist()],
            np.full(len(values), len(DATE_FORMAT), dtype=np.int64),
        )

    if kind == "date":
        return days
    writers = {"money": money, "hours": hours, "int": integer, "datetime": moment, "bool": boolean}
    if kind not in writers:
        return texts  # as in _write_cell, any other kind is text
    return per_value(writers[kind], cache.of(kind) if cache else None)


def _number_cell(value: object, kind: Kind) -> str:
    """The body of a money, hours or int cell: _number of what cell_value makes of `value`."""
    number = cell_value(value, kind)
    if not isinstance(number, numbers.Real):  # numpy's numbers too
        raise TypeError(f"a {kind} cell must hold a number, not {type(number).__name__} {number!r}")
    return _number(number)


def _number(number: SupportsFloat) -> str:
    """A number cell's body as XlsxWriter's write_number writes it: 16 significant digits."""
    if math.isnan(number) or math.isinf(number):
        raise TypeError("NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option")
    return f"><v>{number:.16G}</v></c>"


def _excel_serial(value: object) -> float:
    """The serial number XlsxWriter's write_datetime stores for a date or datetime (1900 date system)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise TypeError(
                "Excel doesn't support timezones in datetimes. Set the tzinfo in the datetime/time "
                "object to None or use the 'remove_timezone' Workbook() option"
            )
        delta = value - XLSXWRITER_DAY_ZERO
        serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
        if value.isocalendar() == (1900, 1, 1):  # XlsxWriter reads 1900-01-01 as a time of day alone
            serial -= 1
    elif isinstance(value, dt.date):
        serial = float((value - XLSXWRITER_DAY_ZERO.date()).days)
    else:
        raise TypeError(f"a date cell must hold a date, not {type(value).__name__} {value!r}")
    return serial + 1 if serial > 59 else serial  # Excel's 29 Feb 1900, which never was


def contract_row_ranges(statement: Table) -> list[tuple[int, int]]:
    """(first, last) 0-based data row of each contract's run; each contract must be one run."""
    return _runs([row[statement.columns.index("Contract ID")] for row in plain_rows(statement)])


def _runs(ids: list) -> list[tuple[int, int]]:
    """(first, last) position of each run of equal ids; each id must be one run."""
    ranges, start = [], 0
    for _, run in groupby(ids):
        size = len(list(run))
        ranges.append((start, start + size - 1))
        start += size
    if len(ranges) != len(set(ids)):
        raise ValueError("Statement rows must be grouped by Contract ID")
    return ranges


def _balance_chart(workbook: Workbook, by_month: BalanceByMonth, sheet: str, header_row: int) -> Chart:
    """A line per contract over the Balance by month table whose header is at `header_row` of `sheet`."""
    first, last = header_row + 1, header_row + len(by_month.rows)
    chart = workbook.add_chart({"type": "line"})
    for col in range(1, len(by_month.contract_ids) + 1):
        chart.add_series(
            {
                "name": [sheet, header_row, col],  # a cell reference, so an ID is never parsed as a formula
                "categories": [sheet, first, 0, last, 0],  # one Month column shared by every series
                "values": [sheet, first, col, last, col],
                "marker": {"type": "circle"},
            }
        )
    closings = [v for row in by_month.rows for v in row[1:] if v is not None]
    places = max((money_places(v) for v in closings), default=2)
    chart.set_title({"name": CHART_TITLE})
    chart.set_y_axis({"num_format": money_format(places)})
    if by_month.month_kind in ("date", "datetime"):
        chart.set_x_axis({"num_format": "yyyy-mm"})
    chart.set_size({"width": 640, "height": 320})
    return chart
