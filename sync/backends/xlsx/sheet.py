"""Output worksheets as XML text, and the few styles they need appended to styles.xml.

Generated as text, column by column, because a tab may hold a million rows: those hold few
distinct values (dates, amounts, hours, contract IDs), so each distinct value becomes cell XML
once and every row takes its copy. Styles are appended, never moved, because input cells refer
to existing style entries by index.
"""

from __future__ import annotations

import copy
import datetime as dt
import numbers
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from lxml import etree

from sync.backends.cells import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    HOURS_FORMAT,
    INT_FORMAT,
    cell_texts,
    cell_value,
    exact_number,
    money_format,
    money_places,
)
from sync.backends.xlsx.parts import MAIN, REL, XML_DECLARATION, Parts
from sync.errors import BookError
from sync.model.serials import first_exact_day, serial_day, serial_moment
from sync.model.table import Kind, Table
from sync.rules.load import column_letter

# --- styles: append what the output needs, never move what the input uses ------------

BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}


def _shape(el: etree._Element) -> tuple:
    return (el.tag, sorted(el.attrib.items()), [_shape(c) for c in el if isinstance(c.tag, str)])


class Styles:
    """Hands out cellXfs indexes; input cells refer to existing entries by index."""

    def __init__(self, pkg: Parts, book_part: str) -> None:
        """The styles part of the workbook part `book_part` of `pkg`; BookError when it has none."""
        self.pkg = pkg
        part = pkg.target_of(book_part, "/styles")
        if part is None:  # Excel, LibreOffice, Google, openpyxl and XlsxWriter all write one
            raise BookError("damaged .xlsx package: it has no styles part")
        self.part = part
        self.root = pkg.xml(self.part)
        self.cache: dict[tuple[str, bool, bool], int] = {}

    def _list(self, tag: str) -> etree._Element:
        found = self.root.find(f"{{{MAIN}}}{tag}")
        if found is None:
            if tag != "numFmts":
                raise BookError(f"damaged .xlsx package: styles have no {tag}")
            found = etree.Element(f"{{{MAIN}}}numFmts")
            self.root.insert(0, found)  # numFmts comes first in the schema
        return found

    def _index_of(self, list_tag: str, candidate: etree._Element) -> int:
        """Index of an equal entry in the list, appending the candidate if there is none."""
        entries = self._list(list_tag)
        items = [e for e in entries if isinstance(e.tag, str)]
        for i, item in enumerate(items):
            if _shape(item) == _shape(candidate):
                return i
        entries.append(candidate)
        entries.set("count", str(len(items) + 1))
        self.pkg.touch(self.part)
        return len(items)

    def _num_fmt_id(self, code: str) -> int:
        declared = {}
        if (fmts := self.root.find(f"{{{MAIN}}}numFmts")) is not None:
            declared = {int(f.get("numFmtId")): f.get("formatCode") for f in fmts.iterchildren(f"{{{MAIN}}}numFmt")}
        for fmt_id, fmt_code in declared.items():
            if fmt_code == code:
                return fmt_id
        builtin = BUILTIN_FORMATS.get(code)
        if builtin is not None and builtin not in declared:
            return builtin
        fmt_id = max([163, *declared]) + 1  # 164 is the first id for custom formats
        self._index_of("numFmts", etree.Element(f"{{{MAIN}}}numFmt", numFmtId=str(fmt_id), formatCode=code))
        return fmt_id

    def _bold_font_id(self) -> int:
        font = copy.deepcopy(self._list("fonts").find(f"{{{MAIN}}}font"))
        if font.find(f"{{{MAIN}}}b") is None:
            font.insert(0, etree.Element(f"{{{MAIN}}}b"))  # <b> comes first in a <font>
        return self._index_of("fonts", font)

    def xf(self, code: str, bold: bool = False, quote: bool = False) -> int:
        """The cellXfs index of a number format, bold or not, with Excel's quote prefix or not
        (what Excel stores for typed text like '=1+1: it stays text when edited)."""
        if (code, bold, quote) not in self.cache:
            attrs = {
                "numFmtId": str(self._num_fmt_id(code)),
                "fontId": str(self._bold_font_id() if bold else 0),
                "fillId": "0",
                "borderId": "0",
                "xfId": "0",
            }
            if quote:
                attrs["quotePrefix"] = "1"
            if code != "General":
                attrs["applyNumberFormat"] = "1"
            if bold:
                attrs["applyFont"] = "1"
            self.cache[code, bold, quote] = self._index_of("cellXfs", etree.Element(f"{{{MAIN}}}xf", attrs))
        return self.cache[code, bold, quote]


# --- cells: each distinct value of a column becomes XML once -------------------------

StyleKey = tuple[str, bool, bool]  # number format, bold, quote prefix: the arguments of Styles.xf


class Cells(NamedTuple):
    """Distinct values as cells, in parallel lists (a million text values are common): each one's
    style, its XML after `<c r="A2"` except the style (None: a blank), and its display width."""

    styles: list[StyleKey | None]
    bodies: Sequence[str | None]  # e.g. '><v>12.5</v></c>' or ' t="b"><v>1</v></c>'
    widths: np.ndarray


CellWriter = Callable[[list], Cells]  # a column's distinct values -> their cells


class CellCache:
    """Cells made so far, by kind and value object, for writers of many books: the client books of
    a run share a few thousand amounts and dates. It keeps each object, so that an id stays its own."""

    def __init__(self) -> None:
        """No cells made yet."""
        self._made: dict[str, dict[int, tuple[object, tuple]]] = {}

    def of(self, kind: Kind) -> dict[int, tuple[object, tuple]]:
        """The cells made so far for columns of this kind, for per_value's `made`: id -> (value, cell)."""
        return self._made.setdefault(kind, {})


def per_value(
    write: Callable[[object], tuple[StyleKey | None, str, int]], made: dict[int, tuple[object, tuple]] | None = None
) -> CellWriter:
    """A CellWriter that calls `write(value)` -> (style, body, width) for each distinct value;
    with `made` (CellCache.of), once per value object across calls."""
    known: dict[int, tuple[object, tuple]] = {} if made is None else made

    def made_once(value: object) -> tuple:
        if (hit := known.get(id(value))) is None:
            hit = known[id(value)] = (value, write(value))
        return hit[1]

    def cells(values: list) -> Cells:
        written = [write(value) for value in values] if made is None else list(map(made_once, values))
        return Cells(
            [w[0] for w in written], [w[1] for w in written], np.array([w[2] for w in written], dtype=np.int64)
        )

    return cells


class Column(NamedTuple):
    """A column ready to write: each row's cell as an index into `cells`, -1 for a blank."""

    codes: np.ndarray
    cells: Cells

    @property
    def width(self) -> int:
        """The display width of the column's widest cell (0 when it has none)."""
        return int(self.cells.widths.max(initial=0))

    def rows(self, start: int, stop: int) -> Column:
        """Rows start to stop (0-based, stop excluded), with only the cells they use."""
        codes = self.codes[start:stop]
        used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(self.cells.bodies)))
        renumbered = np.full(len(self.cells.bodies) + 1, -1, dtype=np.intp)  # the last one for a blank (-1)
        renumbered[used] = np.arange(len(used))
        kept = used.tolist()
        return Column(
            renumbered[codes],
            Cells([self.cells.styles[k] for k in kept], [self.cells.bodies[k] for k in kept], self.cells.widths[used]),
        )


def encode_columns(table: Table, writer: Callable[[Kind], CellWriter]) -> list[Column]:
    """Each column of `table` as cells, with `writer(kind)` called once per column on its distinct values."""
    columns = []
    for (_, column), kind in zip(table.frame.items(), table.kinds.values()):
        write = writer(kind)
        codes, values = _distinct(column)
        styles, bodies, widths = write(values)
        written = np.array([body is not None for body in bodies], dtype=bool)
        if not written.all():  # say, text of control characters only: a blank
            codes = np.append(np.where(written, np.cumsum(written) - 1, -1), -1)[codes]
            kept = np.flatnonzero(written).tolist()
            styles, bodies, widths = [styles[k] for k in kept], [bodies[k] for k in kept], widths[kept]
        columns.append(Column(codes, Cells(styles, bodies, widths)))
    return columns


def encode_tables(tables: list[Table], writer: Callable[[Kind], CellWriter]) -> list[list[Column]]:
    """encode_columns of each of `tables`, made for all of them at once when they have the same columns
    and kinds: the client books of a run, a few thousand rows each, take as long as their numpy and
    pandas calls, and share most of their values."""
    if len(tables) < 2 or any(list(table.kinds.items()) != list(tables[0].kinds.items()) for table in tables):
        return [encode_columns(table, writer) for table in tables]
    together = Table(pd.concat([table.frame for table in tables], ignore_index=True), tables[0].kinds)
    bounds = np.cumsum([0] + [len(table.frame) for table in tables]).tolist()
    columns = encode_columns(together, writer)
    return [[column.rows(start, stop) for column in columns] for start, stop in zip(bounds, bounds[1:])]


def _distinct(column: pd.Series) -> tuple[np.ndarray, list]:
    """Each row's index into the column's distinct values (-1 for a blank), and those values as
    Table.rows() gives them.

    Values that are equal but are written differently must stay apart (Decimal("1.5") ==
    Decimal("1.50"), 1 == 1.0 == True), so an object column that is not all text is split by
    identity. sync.report takes every value of a column from a list of its distinct values, so
    that still finds few.
    """
    if column.dtype == object:
        return _distinct_objects(column.to_numpy())
    if column.dtype.kind != "f":  # text ("str"), dates, ints, bools
        codes, uniques = pd.factorize(column)  # blanks: -1
        return codes, uniques.tolist()
    cells = column.to_numpy(dtype=np.float64, na_value=np.nan)
    present = np.flatnonzero(~np.isnan(cells))
    found = pd.factorize(cells[present].view(np.int64))[0]  # -0.0 == 0.0, but str() tells them apart
    first = np.empty(found.max(initial=-1) + 1, dtype=np.intp)
    first[found] = present  # any row holding the value will do
    codes = np.full(len(column), -1, dtype=np.intp)
    codes[present] = found
    return codes, cells[first].tolist()


def _distinct_objects(cells: np.ndarray) -> tuple[np.ndarray, list]:
    """_distinct of an object column. Split by identity first, so that blanks and text are looked
    for among a few objects, not in every row (numpy calls: pandas' own cost more than their work
    in a small book)."""
    by_id = pd.factorize(np.fromiter(map(id, cells), dtype=np.int64, count=len(cells)))[0]
    first = np.empty(by_id.max(initial=-1) + 1, dtype=np.intp)
    first[by_id] = np.arange(len(cells))  # any row holding the object will do
    objects = cells[first]
    kept = np.flatnonzero(~pd.isna(objects))
    merged = np.full(len(objects), -1, dtype=np.intp)  # each object's distinct value
    if len(kept) and pd.api.types.infer_dtype(objects[kept], skipna=False) == "string":
        merged[kept] = pd.factorize(objects[kept])[0]  # equal texts are one value
    else:
        merged[kept] = np.arange(len(kept))
    representative = np.empty(merged.max(initial=-1) + 1, dtype=np.intp)
    representative[merged[kept]] = kept
    return merged[by_id], objects[representative].tolist()


# --- text ------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads "_x0041_" in cell text as an escaped "A"; "_x005F_" keeps the underscore literal.
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
MAX_CELL_TEXT = 32767  # Excel's limit; longer text makes it report a damaged file
_INLINE_START, _INLINE_END = ' t="inlineStr"><is><t>', "</t></is></c>"
# Characters that keep a text off the plain path (NUL aside: texts are joined by NULs).
_SPECIAL = {
    False: re.compile("[\x01-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff&<>]"),
    True: re.compile("[\x01-\x08\x0b-\x1f\ufffe\uffff&<>]"),
}
# What str.isspace() accepts, by code point; none is above U+3000.
_SPACE = np.array([chr(c).isspace() for c in range(0x3002)])


def inline_strings(texts: list[str], excel_escapes: bool = False) -> tuple[list[str], np.ndarray]:
    """Each text as the XML of an inline-string cell after its r and s attributes, and the length
    of the text written.

    Control characters cannot be in XML. The team's tabs drop them; with `excel_escapes` they are
    written as the _xHHHH_ escapes that Excel and other readers turn back into characters, as
    XlsxWriter writes them, so that a client's text reads back as typed.

    Most texts need nothing but wrapping, so all are wrapped with one replace over their joined
    text and the few others redone one by one: a million texts take a fraction of a second.
    """
    careful = _escaped_text if excel_escapes else _cleaned_text
    joined = "\x00".join(texts)
    if not texts or joined.count("\x00") != len(texts) - 1:  # a text holds a NUL: no fast path
        written = [careful(text) for text in texts]
        return [body for body, _ in written], np.array([length for _, length in written], dtype=np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(lengths + 1) - lengths - 1
    bodies = (_INLINE_START + joined.replace("\x00", f"{_INLINE_END}\x00{_INLINE_START}") + _INLINE_END).split("\x00")
    for i in _not_plain(joined, starts, lengths, excel_escapes).tolist():
        bodies[i], lengths[i] = careful(texts[i])
    return bodies, lengths


def _not_plain(joined: str, starts: np.ndarray, lengths: np.ndarray, excel_escapes: bool) -> np.ndarray:
    """Indexes of the texts (joined by NULs) that need more than wrapping: a character XML must
    escape or cannot hold, an _xHHHH_ lookalike, whitespace at either end, or great length."""
    hits = [match.start() for pattern in (_SPECIAL[excel_escapes], _EXCEL_ESCAPE) for match in pattern.finditer(joined)]
    filled = np.flatnonzero(lengths)
    code_points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    edges = code_points[np.concatenate([starts[filled], starts[filled] + lengths[filled] - 1])]
    spaced = np.tile(filled, 2)[_SPACE[np.minimum(edges, len(_SPACE) - 1)]]
    return np.unique(np.concatenate([_text_of(starts, hits), spaced, np.flatnonzero(lengths > MAX_CELL_TEXT // 2)]))


def texts_with(texts: list[str], pattern: re.Pattern) -> np.ndarray:
    """Indexes of the texts in which `pattern` (which must not match a NUL) finds something:
    one search over all of them joined, as a million short searches take a second."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != max(len(texts) - 1, 0):
        return np.flatnonzero([pattern.search(text) is not None for text in texts])
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return _text_of(np.cumsum(lengths + 1) - lengths - 1, [match.start() for match in pattern.finditer(joined)])


def _text_of(starts: np.ndarray, positions: list[int]) -> np.ndarray:
    """The index of the text each position of the joined texts falls in."""
    return np.unique(np.searchsorted(starts, np.array(positions, dtype=np.int64), side="right") - 1)


def _cleaned_text(text: str) -> tuple[str, int]:
    text = _EXCEL_ESCAPE.sub(r"_x005F_\1", _XML_ILLEGAL.sub("", text))[:MAX_CELL_TEXT]
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    body = escape(text).replace("\r", "&#13;")  # a raw CR would be normalised to LF by readers
    return f' t="inlineStr"><is><t{space}>{body}{_INLINE_END}', len(text)


def _escaped_text(text: str) -> tuple[str, int]:
    text = _EXCEL_ESCAPE.sub(r"_x005F_\1", _utf16_prefix(text, MAX_CELL_TEXT))
    text = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)  # CR too: _x000D_
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{escape(text)}{_INLINE_END}', len(text)


def _utf16_prefix(text: str, limit: int) -> str:
    """The longest prefix of whole characters that is at most `limit` UTF-16 units (Excel counts those)."""
    if len(text) <= limit // 2:
        return text
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:i]
    return text


def _text_cell(text: str, style: int | None = None) -> tuple[str, int]:
    body, width = _cleaned_text(text)
    return (f' s="{style}"' if style else "") + body, width


# --- the team's cells ------------------------------------------------------------------


def team_cells(kind: Kind, date1904: bool) -> CellWriter:
    """How the team's output tabs write the values of a column of this kind: numbers as their exact
    decimal text (exact_number), dates as serials of the book's date system, or as ISO text before
    the first day Excel's serials are exact for (its 1900 system counts a 29 Feb 1900 that never was)."""
    first_exact = first_exact_day(date1904)

    def money(value):
        d = exact_number(value, kind)
        text = format(d, "f")
        return (money_format(money_places(d)), False, False), f"><v>{text}</v></c>", len(text) * 4 // 3

    def hours(value):
        text = format(exact_number(value, kind), "f")
        return (HOURS_FORMAT, False, False), f"><v>{text}</v></c>", len(text)

    def integer(value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, numbers.Integral):
            raise TypeError(f"an int cell must hold an int, not {type(value).__name__} {value!r}")
        number = cell_value(value, kind)
        return (INT_FORMAT, False, False), f"><v>{number}</v></c>", len(str(number))

    def date(value):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day < first_exact:
            return None, *_cleaned_text(day.isoformat())
        return (DATE_FORMAT, False, False), f"><v>{serial_day(day, date1904)}</v></c>", 10

    def datetime(value):
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        if value.date() < first_exact:
            return None, *_cleaned_text(value.isoformat(sep=" "))
        serial = serial_moment(value.replace(tzinfo=None), date1904)
        return (DATETIME_FORMAT, False, False), f"><v>{serial!r}</v></c>", 19

    def boolean(value):
        truth = cell_value(value, kind)
        assert isinstance(truth, bool)  # what cell_value makes of a bool column's value (never blank here)
        return None, f' t="b"><v>{int(truth)}</v></c>', 5

    def texts(values):
        bodies, lengths = inline_strings(cell_texts(values))
        # Nothing left (say, only control characters): a blank.
        written = [body if length else None for body, length in zip(bodies, lengths.tolist())]
        return Cells([None] * len(bodies), written, lengths)

    if kind == "text":
        return texts
    writers = {"money": money, "hours": hours, "int": integer, "date": date, "datetime": datetime, "bool": boolean}
    if kind not in writers:
        raise ValueError(f"unknown column kind {kind!r}")
    return per_value(writers[kind])


# --- the worksheet XML, generated as text because it may hold a million rows -------------

# Rows are joined and encoded a chunk at a time: a whole tab's list of pieces, and its text (four
# bytes a character once one character is beyond U+FFFF), would take gigabytes.
ROWS_PER_CHUNK = 50_000


def rows_xml(columns: list[Column], xf: Callable[..., int], first_row: int) -> tuple[list[bytes], int]:
    """The <row> elements of `columns` from sheet row `first_row` down, in chunks, and the last row
    written (first_row - 1 if none). A row whose cells are all blank is left out; `xf(*style)`
    gives a style's index."""
    filled = np.zeros(len(columns[0].codes) if columns else 0, dtype=bool)
    for column in columns:
        filled |= column.codes >= 0
    rows = np.flatnonzero(filled)
    if not len(rows):
        return [], first_row - 1
    ends = _cell_ends(columns, xf)
    letters = [column_letter(i) for i in range(len(columns))]
    chunks = []
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        chunk = rows[start : start + ROWS_PER_CHUNK]
        text = _rows_text(chunk + first_row, [column.codes[chunk] for column in columns], ends, letters)
        chunks.append(text.encode("utf-8"))
    return chunks, int(rows[-1]) + first_row


def _cell_ends(columns: list[Column], xf: Callable[..., int]) -> list[np.ndarray]:
    """Each column's cells as the XML after the row number in their r attribute, plus "" for a blank.

    Styles are asked for in the order a row-by-row, cell-by-cell writer would first use them,
    so that the styles part comes out as it would from such a writer.
    """
    first_use: dict[StyleKey, tuple[int, int]] = {}
    for j, column in enumerate(columns):
        number: dict[StyleKey, int] = {}  # the column's styles, in the order of its distinct values
        numbered = [-1 if style is None else number.setdefault(style, len(number)) for style in column.cells.styles]
        if not number:
            continue
        per_row = np.array(numbered + [-1])[column.codes]
        for style, k in number.items():
            used = (int(np.argmax(per_row == k)), j)
            first_use[style] = min(first_use.get(style, used), used)
    index = {style: xf(*style) for style in sorted(first_use, key=first_use.__getitem__)}
    return [
        np.array(
            [
                f'" s="{index[style]}"{body}' if style else f'"{body}'
                for style, body in zip(column.cells.styles, column.cells.bodies)
            ]
            + [""],
            dtype=object,
        )
        for column in columns
    ]


def _rows_text(numbers: np.ndarray, codes: list[np.ndarray], ends: list[np.ndarray], letters: list[str]) -> str:
    """Rows as text, from one list of pieces joined once: a Python call per cell takes ten times as
    long. A row's number is one string, a piece of every cell's r attribute: formatting '<c r="B7'
    for each cell took a tenth of a million-row write."""
    count, stride = len(numbers), 4 + 3 * len(codes)
    row_numbers = list(map(str, numbers.tolist()))
    pieces: list[str] = [""] * (count * stride)
    pieces[0::stride] = ['<row r="'] * count
    pieces[1::stride] = row_numbers
    pieces[2::stride] = ['">'] * count
    for j, (column_codes, column_ends, letter) in enumerate(zip(codes, ends, letters)):
        opening, number = [f'<c r="{letter}'] * count, row_numbers
        blank = column_codes < 0
        if blank.any():  # a blank cell is three empty pieces
            marked = np.array([opening, number], dtype=object)
            marked[:, blank] = ""
            opening, number = marked.tolist()
        pieces[3 + 3 * j :: stride] = opening
        pieces[4 + 3 * j :: stride] = number
        pieces[5 + 3 * j :: stride] = column_ends[column_codes].tolist()
    pieces[stride - 1 :: stride] = ["</row>"] * count
    return "".join(pieces)


def sheet_xml(table: Table, styles: Styles, date1904: bool, selected: bool, protected: bool = False) -> bytes:
    """A team's output tab as a whole worksheet part: a bold header row frozen above the table's
    rows, columns as wide as their text, dates in the book's date system (`date1904`)."""
    letters = [column_letter(i) for i in range(len(table.columns))]
    bold = styles.xf("General", bold=True)
    header = [_text_cell(str(name), bold) for name in table.columns]
    columns = encode_columns(table, lambda kind: team_cells(kind, date1904))
    rows, last_row = rows_xml(columns, styles.xf, first_row=2)
    widths = [max(width * 11 // 10, column.width) for (_, width), column in zip(header, columns)]  # bold is wider
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{min(max(w + 2, 8), 60)}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    dimension = f"A1:{letters[-1]}{max(last_row, 1)}" if letters else "A1"
    tab_selected = ' tabSelected="1"' if selected else ""
    head = (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView{tab_selected} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + '<sheetData><row r="1">'
        + "".join(f'<c r="{c}1"{body}' for c, (body, _) in zip(letters, header))
        + "</row>"
    )
    protection = '<sheetProtection sheet="1" objects="1" scenarios="1"/>' if protected else ""
    tail = (
        f'</sheetData>{protection}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3"'
        ' footer="0.3"/></worksheet>'
    )
    return b"".join([XML_DECLARATION, head.encode("utf-8"), *rows, tail.encode("utf-8")])
