"""One client's read-only summary book: typed value cells, never a formula, and a balance chart."""
from __future__ import annotations

import numbers
import os
import secrets
from decimal import Decimal
from itertools import groupby, zip_longest
from pathlib import Path
from typing import IO, NamedTuple

import pandas as pd
import xlsxwriter
from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from sync.schema import CLIENT_TABS
from sync.table import Kind, Table

# A client may see whatever the team typed; "=HYPERLINK(...)" in a Task must stay text.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
FORMULA_LEADERS = ("=", "+", "-", "@")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HOURS_FORMAT = "0.00"
MIN_WIDTH, MAX_WIDTH = 8, 50
CHART_TITLE = "Balance by month"
# Read-only for the client, who can still select, filter and widen columns to read. Sort is allowed
# as asked, but Excel will not sort locked cells on a protected sheet, and every cell here is locked.
# No password: this guards against slips, not against anyone determined.
PROTECTION = {"select_locked_cells": True, "select_unlocked_cells": True, "autofilter": True, "sort": True,
              "format_columns": True}


def write_client_workbook(path: Path, tables: dict[str, Table], title: str) -> None:
    """Write `tables` as the CLIENT_TABS of a new book at `path`, replacing any old one atomically.

    A tab missing from `tables` is written as its header alone.
    """
    unknown = sorted(set(tables) - set(CLIENT_TABS))
    if unknown:
        raise ValueError(f"not client tabs: {unknown}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # A fresh file via open() gets the usual 0o666 & ~umask mode, which mkstemp's 0o600 would not.
        with open(temp, "xb") as handle:
            _write_book(handle, tables, title)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def money_format(places: int) -> str:
    """'#,##0.00' for two decimal places, '#,##0' for none."""
    return "#,##0" + ("." + "0" * places if places > 0 else "")


def money_places(value: object) -> int:
    """Decimal places a money value carries: its exponent (Decimal('12.50') -> 2)."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return 0
    raise TypeError(f"money must be a Decimal, not {type(value).__name__}: {value!r}")


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
    rows = statement.rows()
    ids = [str(rows[first][id_col]) for first, _ in contract_row_ranges(statement)]
    closings: dict[tuple[str, object], object] = {}
    for row in rows:
        key = (str(row[id_col]), row[month_col])
        if key[1] is None:
            raise ValueError(f"Statement row of {key[0]} has no Month")
        if key in closings:
            raise ValueError(f"Statement has two rows for {key[0]} {key[1]}")
        closings[key] = row[closing_col]
    months = sorted({month for _, month in closings})
    return BalanceByMonth(statement.kinds["Month"], ids,
                          [[month] + [closings.get((cid, month)) for cid in ids] for month in months])


def _write_book(handle: IO[bytes], tables: dict[str, Table], title: str) -> None:
    workbook = xlsxwriter.Workbook(handle, WORKBOOK_OPTIONS)
    workbook.set_properties({"title": title})
    workbook.read_only_recommended()
    formats = _Formats(workbook)
    statement = tables.get("Statement")
    by_month = balance_by_month(statement) if statement is not None and len(statement.frame) else None
    for name, columns in CLIENT_TABS.items():
        table = tables.get(name)
        if table is None:
            table = Table(pd.DataFrame(columns=list(columns)), dict.fromkeys(columns, "text"))
        sheet = workbook.add_worksheet(name)
        widths = _write_table(sheet, table, formats)
        if name == "Summary" and by_month is not None:
            heading_row = len(table.frame) + 2  # one blank row below the contracts
            sheet.write_string(heading_row, 0, CHART_TITLE, formats(bold=True))
            month_widths = _write_block(sheet, heading_row + 1, ["Month", *by_month.contract_ids],
                                        [by_month.month_kind] + ["money"] * len(by_month.contract_ids),
                                        by_month.rows, formats)
            widths = [max(pair) for pair in zip_longest(widths, month_widths, fillvalue=0)]
            chart = _balance_chart(workbook, by_month, sheet.name, heading_row + 1)
            # Row 1 keeps the chart below the frozen header pane, one blank column right of both tables.
            sheet.insert_chart(1, len(widths) + 1, chart)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(MAX_WIDTH, max(MIN_WIDTH, width + 1)))
        sheet.protect("", PROTECTION)
    workbook.close()


def _write_table(sheet: Worksheet, table: Table, formats: _Formats) -> list[int]:
    """The tab's table from A1, frozen and filtered; returns each column's display width."""
    rows = table.rows()
    widths = _write_block(sheet, 0, table.columns, list(table.kinds.values()), rows, formats)
    sheet.freeze_panes(1, 0)
    if table.columns:
        sheet.autofilter(0, 0, len(rows), len(table.columns) - 1)
    return widths


def _write_block(sheet: Worksheet, top: int, headers: list[str], kinds: list[Kind], rows: list[list[object]],
                 formats: _Formats) -> list[int]:
    """A bold header at row `top` and typed rows below it, from column A; returns each column's display width."""
    for col, header in enumerate(headers):
        text = str(header)
        bold = formats(bold=True, quote_prefix=True) if text.startswith(FORMULA_LEADERS) else formats(bold=True)
        sheet.write_string(top, col, text, bold)
    for row_number, row in enumerate(rows, start=top + 1):
        for col, (value, kind) in enumerate(zip(row, kinds)):
            _write_cell(sheet, row_number, col, value, kind, formats)
    # +3 leaves room for the autofilter button beside the header text.
    return [max([len(str(header)) + 3] + [_display_width(row[col], kinds[col]) for row in rows])
            for col, header in enumerate(headers)]


def _write_cell(sheet: Worksheet, row: int, col: int, value: object, kind: Kind, formats: _Formats) -> None:
    if value is None:
        return
    if kind == "money":
        # xlsx stores doubles: this is the one place a money value becomes a float.
        sheet.write_number(row, col, float(value), formats(num_format=money_format(money_places(value))))
    elif kind == "hours":
        sheet.write_number(row, col, float(value), formats(num_format=HOURS_FORMAT))
    elif kind == "int":
        sheet.write_number(row, col, int(value))
    elif kind == "date":
        sheet.write_datetime(row, col, value, formats(num_format=DATE_FORMAT))
    elif kind == "datetime":
        sheet.write_datetime(row, col, value, formats(num_format=DATETIME_FORMAT))
    elif kind == "bool":
        sheet.write_boolean(row, col, bool(value))
    else:
        text = str(value)
        # quote_prefix is what Excel itself stores for typed text like '=1+1: it stays text on edit.
        quoted = formats(quote_prefix=True) if text.startswith(FORMULA_LEADERS) else None
        sheet.write_string(row, col, text, quoted)


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


def contract_row_ranges(statement: Table) -> list[tuple[int, int]]:
    """(first, last) 0-based data row of each contract's run; each contract must be one run."""
    ids = [row[statement.columns.index("Contract ID")] for row in statement.rows()]
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
        chart.add_series({
            "name": [sheet, header_row, col],  # a cell reference, so an ID is never parsed as a formula
            "categories": [sheet, first, 0, last, 0],  # one Month column shared by every series
            "values": [sheet, first, col, last, col],
            "marker": {"type": "circle"},
        })
    closings = [v for row in by_month.rows for v in row[1:] if v is not None]
    places = max((money_places(v) for v in closings), default=2)
    chart.set_title({"name": CHART_TITLE})
    chart.set_y_axis({"num_format": money_format(places)})
    if by_month.month_kind in ("date", "datetime"):
        chart.set_x_axis({"num_format": "yyyy-mm"})
    chart.set_size({"width": 640, "height": 320})
    return chart
