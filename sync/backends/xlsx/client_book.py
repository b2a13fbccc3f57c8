"""One client's read-only summary book: typed value cells, never a formula, and a balance chart."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import numbers
import pickle
import re
import sys
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, NamedTuple, SupportsFloat

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from sync.backends import client_tabs
from sync.backends.cells import (
    DATE_FORMAT,
    HOURS_FORMAT,
    WORKBOOK_OPTIONS,
    cell_texts,
    cell_value,
    money_format,
    money_places,
)
from sync.backends.files import remove_stale_temps, replace_file
from sync.backends.xlsx.marks import (
    MARK_BOOK,
    MARK_CLIENT,
    MARK_DIGEST,
    MARK_PARTS,
    TAB_DIGEST,
    add_custom_properties,
    parts_fingerprint,
    sheet_names,
    written_record,
)
from sync.backends.xlsx.package import Package
from sync.backends.xlsx.sheet import (
    CellCache,
    Cells,
    CellWriter,
    Column,
    StyleKey,
    encode_tables,
    inline_strings,
    per_value,
    rows_xml,
    texts_with,
)
from sync.model.schema import CLIENT_TABS
from sync.model.serials import EPOCH_MIDNIGHT
from sync.model.table import Kind, Table
from sync.rules.load import column_letter
from sync.shape.dashboard import (
    CHART_ROWS,
    CHART_TITLE,
    COLUMNS,
    STYLES,
    WIDTHS,
    Dashboard,
    client_dashboard,
    currency_format,
    pixels,
)
from sync.shape.dashboard import Chart as DashboardChart

# A client may see whatever the team typed (WORKBOOK_OPTIONS); these leaders make Excel read typed text as
# a formula, so such a text gets Excel's quote prefix too.
FORMULA_LEADERS = ("=", "+", "-", "@")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"  # a client reads minutes, not the team's seconds
MIN_WIDTH, MAX_WIDTH = 8, 50
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
HEADER, QUOTED_HEADER = ("General", True, False), ("General", True, True)
# A tab's part is kept from the last run's file only when this run would write the same bytes, so
# its digest covers all that decides them: its table, its place, the client's money and paper, and
# this layout (name it anew when what a tab's XML holds changes) with the XlsxWriter that writes it.
LAYOUT = f"client book 2; XlsxWriter {xlsxwriter.__version__}; Python {sys.version_info[:2]}"
PLAIN_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # how str() spells most Decimals and every int
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
    dashboard: Dashboard | None = None,
    plan: Plan | None = None,
) -> bool:
    """Write `tables` as the CLIENT_TABS of a new book at `path`, replacing any old one atomically;
    False when the file there already holds this very book, which is then left as it is.

    The Summary tab is `dashboard` (by default, client_dashboard of `tables`, named by `title`). A
    tab missing from `tables` is written as its header alone, but for Periods, written only when
    there. A `cache` shared by the books of a run makes each value they share into a cell once;
    `encoded` is the book's encode_fast_tabs(). `mark` becomes the book's custom document properties
    (xlsx_marks); `check` runs just before the new file takes the old one's place, and stops the
    replacement by raising. `plan` is plan_book() of the same arguments, made here when not given.
    """
    unknown = sorted(set(tables) - set(CLIENT_TABS))
    if unknown:
        raise ValueError(f"not client tabs: {unknown}")
    path = Path(path)
    board = dashboard or client_dashboard(title, tables)
    plan = plan or plan_book(path, tables, title, board, mark or {})
    if plan.unchanged:
        remove_stale_temps(path)  # as replace_file would: what a killed run left
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fast = encode_fast_tabs([tables], cache, [plan.kept])[0] if encoded is None else encoded
    # Atomic, and an old summary's owner, group and mode are kept; a read-only one raises files.ReadOnly.
    replace_file(path, lambda handle: _write_book(handle, tables, title, fast, mark or {}, board, plan), check)
    return True


class Plan(NamedTuple):
    """How a client's book is written this run: what it records of its content, and what of the
    file in its place it keeps."""

    digests: dict[str, str]  # custom properties: the whole book's digest and each FAST_TABS tab's
    unchanged: bool = False  # the file there holds this very book: it is not written at all
    old: bytes = b""  # the file there, when tabs of it are kept
    kept: frozenset[str] = frozenset()  # FAST_TABS tabs whose parts are kept from `old` byte for byte


def plan_book(path: Path, tables: dict[str, Table], title: str, board: Dashboard, mark: dict[str, str]) -> Plan:
    """What the book of `tables` keeps of the file at `path`: nothing, unless that file is the sync's
    own summary for the same `mark`, its parts still as the sync wrote them (xlsx_marks.written_record);
    then all of it when its digests are this book's, else each tab whose digest is the same.

    Digests are made of the tables, not of their cells: a tab is encoded only when it changed."""
    names = client_tabs(tables)
    tabs = {
        name: _digest(LAYOUT, name, names.index(name), board.currency, board.locale, board.paper, board.footer(), table)
        for name in FAST_TABS
        if name in names
        for table in [_table(tables, name)]
    }
    others = [_table(tables, name) for name in names if name not in tabs]  # the Summary's, if any, and Requests
    book = _digest(LAYOUT, title, sorted(mark.items()), names, repr(board), sorted(tabs.items()), *others)
    plan = Plan({MARK_DIGEST: book, **{TAB_DIGEST + name: digest for name, digest in tabs.items()}})
    recorded = written_record(path)
    if any(recorded.get(key) != mark.get(key) for key in (MARK_CLIENT, MARK_BOOK)) or MARK_DIGEST not in recorded:
        return plan  # not this client's summary as the sync wrote it: nothing of it is kept
    if recorded[MARK_DIGEST] == book:
        return plan._replace(unchanged=True)
    kept = frozenset(name for name, digest in tabs.items() if recorded.get(TAB_DIGEST + name) == digest)
    if not kept:
        return plan
    try:
        old = path.read_bytes()
    except OSError:
        return plan
    return plan._replace(old=old, kept=kept) if written_record(old) == recorded else plan  # unless saved since


def _digest(*parts: object) -> str:
    """A digest of tables and of other values by their repr."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, Table):
            digest.update(repr((part.kinds, part.footer, list(part.frame.dtypes), len(part.frame))).encode())
            for _, column in part.frame.items():
                digest.update(_column_bytes(column))
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _column_bytes(column: pd.Series) -> bytes:
    """What a column holds, exactly enough that the same bytes mean the same cells."""
    if column.dtype == object:  # pickle tells apart values equal but written differently: 1 and True, 1.5 and 1.50
        return pickle.dumps(column.to_numpy().tolist(), 5)
    if isinstance(column.dtype, np.dtype):  # numbers and times: their bits
        return column.to_numpy().tobytes()
    return pickle.dumps(column.array, 5)  # text (pandas' str, in Arrow's buffers): those buffers


def encode_fast_tabs(
    books: list[dict[str, Table]], cache: CellCache | None = None, kept: list[frozenset[str]] | None = None
) -> list[dict[str, list[Column]]]:
    """The FAST_TABS of each book's tables as xlsx_sheet columns, encoded for all the books together;
    a book's `kept` tabs (Plan.kept) are left out."""
    kept = kept or [frozenset()] * len(books)
    wanted = [
        [name for name in FAST_TABS if name in client_tabs(tables) and name not in keep]
        for tables, keep in zip(books, kept)
    ]
    encoded: list[dict[str, list[Column]]] = [{} for _ in books]
    for name in FAST_TABS:
        having = [book for book, names in zip(encoded, wanted) if name in names]
        tabs = encode_tables(
            [_table(tables, name) for tables, names in zip(books, wanted) if name in names],
            lambda kind: _cells(kind, cache),
        )
        for book, columns in zip(having, tabs):
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
        self._given: dict[tuple, Format] = {}

    def __call__(self, **properties: object) -> Format:
        given = tuple(properties.items())  # most often asked for in the same order: found without sorting
        if (found := self._given.get(given)) is None:
            key = tuple(sorted(given))
            if key not in self._made:
                self._made[key] = self._workbook.add_format(properties)
            found = self._given[given] = self._made[key]
        return found

    def index(self, style: StyleKey) -> int:
        """The style index of an xlsx_sheet style, given now: XlsxWriter numbers styles in the order
        first asked for, so those asked for first have the same index in every book."""
        code, bold, quote = style
        look: dict[str, object] = {"num_format": code} if code != "General" else {}
        look |= {"bold": True} if bold else {}
        look |= {"quote_prefix": True} if quote else {}
        return self(**look)._get_xf_index()  # private, but public in effect: it is how XlsxWriter numbers styles


def _write_book(
    handle: IO[bytes],
    tables: dict[str, Table],
    title: str,
    fast: dict[str, list[Column]],
    mark: dict[str, str],
    board: Dashboard,
    plan: Plan,
) -> None:
    """The book by XlsxWriter, but for the rows of the FAST_TABS tabs: their parts are made here
    (fill_tab), or kept as they are in the file there (plan.kept)."""
    book = io.BytesIO()
    workbook = xlsxwriter.Workbook(book, {**WORKBOOK_OPTIONS, "in_memory": True})
    workbook.set_properties({"title": title})
    fast = {name: _with_currency(columns, board) for name, columns in fast.items()}
    kept = plan.kept - set(fast)
    # Each tab's looks by the same index in every book, those of money of more places after them;
    # a tab with those is never kept (its digest is not recorded), as their index may change.
    usual = _tab_styles(board)
    rare = {
        name: {s for column in columns for s in column.cells.styles if s is not None} - set(usual)
        for name, columns in fast.items()
    }
    formats = _Formats(workbook)
    index = {style: formats.index(style) for style in [*usual, *sorted(set().union(*rare.values()))]}
    unkept = {TAB_DIGEST + name for name, styles in rare.items() if styles}
    for name, value in {**mark, **plan.digests}.items():
        if name not in unkept:
            workbook.set_custom_property(name, value, "text")
    workbook.read_only_recommended()
    for name in client_tabs(tables):
        sheet = workbook.add_worksheet(name)
        _print_setup(sheet, board)
        if name == "Summary":
            _write_dashboard(workbook, sheet, board, formats)
            sheet.protect("", PROTECTION)
            continue
        table = _table(tables, name)
        if name in fast or name in kept:  # its part is made or kept below
            widths = _header_widths(table)
            if name in fast:
                widths = [max(pair) for pair in zip(widths, [column.width for column in fast[name]])]
            _freeze_and_filter(sheet, table)
        else:
            widths = _write_table(sheet, table, formats)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(MAX_WIDTH, max(MIN_WIDTH, width + 1)))
        sheet.fit_to_pages(1, 0)  # the width of a page, as many pages down as it takes
        sheet.repeat_rows(0)
        sheet.protect("", PROTECTION)
    workbook.close()
    new = Package(book.getvalue())
    parts = _sheet_parts(new)
    filled = {
        parts[name]: fill_tab(new.read(parts[name]), _table(tables, name), columns, index)
        for name, columns in fast.items()
    }
    # Every part of the new book, with its CRC and size, for the record of what was written.
    if kept:
        package = Package(plan.old)
        kept_parts = {parts[name] for name in kept}
        assert kept_parts == {_sheet_parts(package)[name] for name in kept}, "a kept tab's digest holds its place"
        for name in list(package.infos):
            if new.find(name) is None:
                package.delete(name)
        stored = {name: (package.infos[name].CRC, package.infos[name].file_size) for name in kept_parts}
        for name in new.infos:
            if name not in kept_parts:
                data = filled.get(name) or new.read(name)
                package.put(name, data)
                stored[name] = (zlib.crc32(data), len(data))
    else:
        package = new
        stored = {name: (info.CRC, info.file_size) for name, info in new.infos.items()}
        for part, xml in filled.items():
            package.put(part, xml)
            stored[part] = (zlib.crc32(xml), len(xml))
    add_custom_properties(package, {MARK_PARTS: parts_fingerprint(stored)})
    handle.write(package.to_bytes())


def _tab_styles(board: Dashboard) -> list[StyleKey]:
    """Every look of a FAST_TABS cell but money of over four decimal places: each book makes these
    first, in this order, so that each has the same index in any book of the client."""
    money = [(board.money_format(places) or money_format(places), False, False) for places in range(5)]
    return [
        HEADER,
        QUOTED_HEADER,
        QUOTED,
        (HOURS_FORMAT, False, False),
        (DATE_FORMAT, False, False),
        (DATETIME_FORMAT, False, False),
        *money,
    ]


def _sheet_parts(package: Package) -> dict[str, str]:
    """Tab name -> its worksheet part."""
    book = package.target_of("", "/officeDocument")
    assert book is not None, "XlsxWriter writes a workbook part"
    rels = {rel.get("Id"): package.resolve(book, rel.get("Target", "")) for rel in package.rels(book)}
    return {name: rels[rid] for name, rid in sheet_names(package.xml(book))}


def fill_tab(xml: bytes, table: Table, columns: list[Column], index: dict[StyleKey, int]) -> bytes:
    """A tab's part as XlsxWriter wrote it without cells (`xml`), given its header and `columns` as
    rows, as xlsx_sheet writes them: inline text, so that the part stands alone, and each style by
    `index`."""
    if b'<dimension ref="A1"/>' not in xml or b"<sheetData/>" not in xml:
        raise ValueError(f"tab must have no cells: {xml[:200]!r}")
    header, _ = rows_xml(_header(table), lambda *style: index[style], first_row=1)
    rows, last_row = rows_xml(columns, lambda *style: index[style], first_row=2)
    if table.columns:
        xml = xml.replace(
            b'<dimension ref="A1"/>',
            f'<dimension ref="A1:{column_letter(len(table.columns) - 1)}{max(last_row, 1)}"/>'.encode(),
            1,
        )
    start = xml.index(b"<sheetData/>")
    return b"".join([xml[:start], b"<sheetData>", *header, *rows, b"</sheetData>", xml[start + len(b"<sheetData/>") :]])


def _header(table: Table) -> list[Column]:
    """The header row as one-row xlsx_sheet columns: bold, with Excel's quote prefix on text that would read as a formula."""
    names = [str(name) for name in table.columns]
    bodies, _ = inline_strings(names, excel_escapes=True)
    return [
        Column(
            np.zeros(1, dtype=np.intp),
            Cells([QUOTED_HEADER if name.startswith(FORMULA_LEADERS) else HEADER], [body], np.zeros(1, dtype=np.int64)),
        )
        for name, body in zip(names, bodies)
    ]


def _header_widths(table: Table) -> list[int]:
    """Each header's display width: +3 leaves room for the autofilter button beside its text."""
    return [len(str(name)) + 3 for name in table.columns]


def _with_currency(columns: list[Column], board: Dashboard) -> list[Column]:
    """Money cells in the number format of the client's one currency ('"$"#,##0.00'), when they have one."""
    if board.currency is None:
        return columns
    currency = {money_format(places): currency_format(board.currency, board.locale, places) for places in range(5)}
    symbol = len(currency[money_format(0)]) - len(money_format(0)) - 2  # the symbol and its gap, unquoted
    out = []
    for column in columns:
        styles = column.cells.styles
        if not any(style is not None and style[0] in currency for style in styles):
            out.append(column)
            continue
        out.append(
            column._replace(
                cells=column.cells._replace(
                    styles=[
                        (currency[style[0]], *style[1:]) if style is not None and style[0] in currency else style
                        for style in styles
                    ],
                    widths=column.cells.widths + symbol,
                )
            )
        )
    return out


def _print_setup(sheet: Worksheet, board: Dashboard) -> None:
    """The paper of the client's country, the client's name and page numbers in every page's footer."""
    sheet.set_paper(1 if board.paper == "Letter" else 9)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    sheet.set_footer(f"&L{_header_text(board.footer())}&C&A&RPage &P of &N", {"margin": 0.3})


def _header_text(text: str) -> str:
    """Text as a header or footer shows it: & starts a code there, so it is doubled."""
    return text.replace("&", "&&")


def _write_dashboard(workbook: Workbook, sheet: Worksheet, board: Dashboard, formats: _Formats) -> None:
    """The Summary tab: the dashboard's cells, merges, widths and heights, its chart, printed on one page."""
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    for row, height in board.heights.items():
        sheet.set_row(row, height)
    merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in board.merges}
    looks: dict[tuple[str, str | None], dict[str, object]] = {}  # a dashboard has ten thousand cells and a few looks
    for cell in board.cells:
        look = looks.get((cell.style, cell.number_format)) or looks.setdefault(
            (cell.style, cell.number_format), _xlsx_look(STYLES[cell.style], cell.number_format)
        )
        if (cell.row, cell.col) in merged:
            sheet.merge_range(cell.row, cell.col, *merged[cell.row, cell.col], "", formats(**look))
        _write_cell(sheet, cell.row, cell.col, cell.value, cell.kind, formats, **look)
    if board.chart is not None:
        _write_chart(workbook, sheet, board.chart, formats)
    sheet.hide_gridlines(2)
    sheet.set_portrait()
    sheet.center_horizontally()
    sheet.fit_to_pages(1, 1)
    sheet.print_area(0, 0, max(0, board.rows - 1), COLUMNS - 1)


def _xlsx_look(style: dict[str, object], number_format: str | None) -> dict[str, object]:
    """A STYLES look as XlsxWriter format properties."""
    names = {"bold": "bold", "italic": "italic", "size": "font_size", "color": "font_color", "fill": "bg_color"}
    look: dict[str, object] = {names[key]: value for key, value in style.items() if key in names}
    look["valign"] = "top" if style.get("wrap") else "vcenter"
    if style.get("align"):
        look["align"] = style["align"]
    if style.get("wrap"):
        look["text_wrap"] = True
    if style.get("border"):
        look["top"] = 1
    if number_format:
        look["num_format"] = number_format
    return look


def _write_chart(workbook: Workbook, sheet: Worksheet, chart: DashboardChart, formats: _Formats) -> None:
    """The balance chart over the dashboard's width, a line per contract named as the client knows it;
    its figures beside the printed columns, headed so that someone who scrolls there knows what they are."""
    top, left = chart.data_row, chart.data_col
    sheet.write_string(top, left, CHART_TITLE, formats(bold=True))
    names = ["Month", *chart.names]
    for col, name in enumerate(names):
        sheet.write_string(top + 1, left + col, name, formats(bold=True))
    month_format = "yyyy-mm" if chart.month_kind in ("date", "datetime") else None
    for i, row in enumerate(chart.rows, start=top + 2):
        _write_cell(
            sheet, i, left, row[0], chart.month_kind, formats, **({"num_format": month_format} if month_format else {})
        )
        for col, closing in enumerate(row[1:], start=left + 1):
            _write_cell(sheet, i, col, closing, "money", formats, num_format=chart.number_format)
    for col, width in enumerate(chart.widths, start=left):
        sheet.set_column(col, col, width)
    first, last = top + 2, top + 1 + len(chart.rows)
    plot = workbook.add_chart({"type": "line"})
    for col in range(left + 1, left + len(names)):
        plot.add_series(
            {
                "name": [sheet.name, top + 1, col],  # a cell reference, so a name is never parsed as a formula
                "categories": [sheet.name, first, left, last, left],  # one Month column shared by every series
                "values": [sheet.name, first, col, last, col],
                "marker": {"type": "circle"},
            }
        )
    plot.set_title({"name": CHART_TITLE})
    plot.set_y_axis({"num_format": chart.number_format})
    plot.set_x_axis({"label_position": "low", **({"num_format": month_format} if month_format else {})})
    plot.set_legend({"position": "bottom"})
    plot.set_size({"width": sum(map(pixels, WIDTHS)), "height": CHART_ROWS * 20})
    sheet.insert_chart(chart.top, 0, plot, {"object_position": 3})


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


def _freeze_and_filter(sheet: Worksheet, table: Table) -> None:
    sheet.freeze_panes(1, 0)
    if table.columns:
        sheet.autofilter(0, 0, table.data_rows, len(table.columns) - 1)  # the totals below stay where they are


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


KIND_FORMATS = {"hours": HOURS_FORMAT, "date": DATE_FORMAT, "datetime": DATETIME_FORMAT}  # money's: its decimals


def _write_cell(
    sheet: Worksheet, row: int, col: int, value: object, kind: Kind, formats: _Formats, **look: object
) -> None:
    """One cell through XlsxWriter: what cell_value makes of the value, in the format of its kind,
    with `look` (a dashboard cell's font, fill, number format...) over it."""
    cell = cell_value(value, kind)  # a money value becomes a float there, and only there
    if cell is None:
        return
    if kind == "money":
        look = {"num_format": money_format(money_places(value)), **look}
    elif kind in KIND_FORMATS:
        look = {"num_format": KIND_FORMATS[kind], **look}
    elif isinstance(cell, str) and cell.startswith(FORMULA_LEADERS):
        # quote_prefix is what Excel itself stores for typed text like '=1+1: it stays text on edit.
        look = {"quote_prefix": True, **look}
    written = formats(**look) if look else None
    if kind in ("money", "hours", "int"):
        sheet.write_number(row, col, cell, written)
    elif kind in ("date", "datetime"):
        sheet.write_datetime(row, col, cell, written)
    elif kind == "bool":
        sheet.write_boolean(row, col, cell, written)
    else:
        assert isinstance(cell, str)  # cell_value of any other kind is text
        sheet.write_string(row, col, cell, written)


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

    def amounts(values: list) -> Cells:
        """Money in bulk, each amount read from its text ('-1234.50' holds its places and the digits
        that take thousands separators): a client book holds tens of thousands of distinct amounts.
        An amount spelt otherwise ('1E+3', 'NaN'), or not an amount, is money() alone."""
        styles: list[StyleKey | None] = []
        bodies, widths = [], []
        for value in values:
            text = str(value) if type(value) is Decimal or type(value) is int else ""
            number = (
                float(text) if PLAIN_AMOUNT.fullmatch(text) else math.inf
            )  # as float(value): a Decimal's is by its text
            if math.isinf(number):
                style, body, width = money(value)
            else:
                point = text.find(".")
                places = len(text) - point - 1 if point >= 0 else 0
                whole = (point if point >= 0 else len(text)) - (text[0] == "-")
                style = money_styles.setdefault(places, (money_format(places), False, False))
                body, width = f"><v>{number:.16G}</v></c>", len(text) + (whole - 1) // 3
            styles.append(style)
            bodies.append(body)
            widths.append(width)
        return Cells(styles, bodies, np.array(widths, dtype=np.int64))

    money_styles: dict[int, StyleKey] = {}
    if kind == "date":
        return days
    if kind == "money":
        return amounts
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
