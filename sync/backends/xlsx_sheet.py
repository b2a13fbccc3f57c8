"""Output worksheets as XML text, and the few styles they need appended to styles.xml.

Generated as text because a tab may hold 100k+ rows; styles are appended, never moved,
because input cells refer to existing style entries by index.
"""
from __future__ import annotations

import copy
import datetime as dt
import numbers
import re
from decimal import Decimal
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from lxml import etree

from sync.errors import SyncError
from sync.table import Kind, Table

if TYPE_CHECKING:
    from sync.backends.xlsx_package import Package

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# lxml would write the declaration with single quotes, which some readers reject.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# --- styles: append what the output needs, never move what the input uses ------------

BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}


def _shape(el: etree._Element) -> tuple:
    return (el.tag, sorted(el.attrib.items()), [_shape(c) for c in el if isinstance(c.tag, str)])


class Styles:
    """Hands out cellXfs indexes; input cells refer to existing entries by index."""

    def __init__(self, pkg: Package, book_part: str) -> None:
        self.pkg = pkg
        self.part = pkg.target_of(book_part, "/styles")
        if self.part is None:  # Excel, LibreOffice, Google, openpyxl and XlsxWriter all write one
            raise SyncError("damaged .xlsx package: it has no styles part")
        self.root = pkg.xml(self.part)
        self.cache: dict[tuple[str, bool], int] = {}

    def _list(self, tag: str) -> etree._Element:
        found = self.root.find(f"{{{MAIN}}}{tag}")
        if found is None:
            if tag != "numFmts":
                raise SyncError(f"damaged .xlsx package: styles have no {tag}")
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

    def xf(self, code: str, bold: bool = False) -> int:
        if (code, bold) not in self.cache:
            attrs = {"numFmtId": str(self._num_fmt_id(code)), "fontId": str(self._bold_font_id() if bold else 0),
                     "fillId": "0", "borderId": "0", "xfId": "0"}
            if code != "General":
                attrs["applyNumberFormat"] = "1"
            if bold:
                attrs["applyFont"] = "1"
            self.cache[code, bold] = self._index_of("cellXfs", etree.Element(f"{{{MAIN}}}xf", attrs))
        return self.cache[code, bold]


# --- the worksheet XML, generated as text because it may hold 100k+ rows --------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads "_x0041_" in cell text as an escaped "A"; "_x005F_" keeps the underscore literal.
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
MAX_CELL_TEXT = 32767  # Excel's limit; longer text makes it report a damaged file


def _col_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _text_cell(text: str, style: int | None = None) -> tuple[str, int]:
    text = _EXCEL_ESCAPE.sub(r"_x005F_\1", _XML_ILLEGAL.sub("", text))[:MAX_CELL_TEXT]
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    body = escape(text).replace("\r", "&#13;")  # a raw CR would be normalised to LF by readers
    s = f' s="{style}"' if style else ""
    return f'{s} t="inlineStr"><is><t{space}>{body}</t></is>', len(text)


def _decimal(value: object, kind: Kind) -> Decimal:
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
    return abs(d) if d.is_zero() else d  # "-0.00" would show as "-0.00"


def _cell_writer(kind: Kind, styles: Styles, date1904: bool):
    """A function turning one value of this kind into (attributes and body, display width)."""
    epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
    # Excel's 1900 system counts a 29 Feb 1900 that never was, so serials before
    # 1900-03-01 are off by one; such dates are written as ISO text instead.
    first_exact = epoch if date1904 else dt.date(1900, 3, 1)
    epoch_midnight = dt.datetime.combine(epoch, dt.time())

    def money(value):
        d = _decimal(value, kind)
        places = max(0, -d.as_tuple().exponent)
        code = "#,##0" + ("." + "0" * places if places else "")
        text = format(d, "f")
        return f' s="{styles.xf(code)}"><v>{text}</v>', len(text) * 4 // 3

    def hours(value):
        text = format(_decimal(value, kind), "f")
        return f' s="{styles.xf("0.00")}"><v>{text}</v>', len(text)

    def integer(value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, numbers.Integral):
            raise TypeError(f"an int cell must hold an int, not {type(value).__name__} {value!r}")
        return f' s="{styles.xf("0")}"><v>{int(value)}</v>', len(str(int(value)))

    def date(value):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day < first_exact:
            return _text_cell(day.isoformat())
        return f' s="{styles.xf("yyyy-mm-dd")}"><v>{(day - epoch).days}</v>', 10

    def datetime(value):
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        if value.date() < first_exact:
            return _text_cell(value.isoformat(sep=" "))
        serial = (value.replace(tzinfo=None) - epoch_midnight).total_seconds() / 86400
        return f' s="{styles.xf("yyyy-mm-dd hh:mm:ss")}"><v>{serial!r}</v>', 19

    def boolean(value):
        return f' t="b"><v>{int(bool(value))}</v>', 5

    def text(value):
        cell = _text_cell(str(value))
        return cell if cell[1] else None  # nothing left (say, only control characters): a blank

    writers = {"money": money, "hours": hours, "int": integer, "date": date,
               "datetime": datetime, "bool": boolean, "text": text}
    if kind not in writers:
        raise ValueError(f"unknown column kind {kind!r}")
    return writers[kind]


def sheet_xml(table: Table, styles: Styles, date1904: bool, selected: bool) -> bytes:
    letters = [_col_letter(i) for i in range(len(table.columns))]
    writers = [_cell_writer(kind, styles, date1904) for kind in table.kinds.values()]
    bold = styles.xf("General", bold=True)
    header = [_text_cell(str(name), bold) for name in table.columns]
    widths = [width * 11 // 10 for _, width in header]  # bold text is wider
    rows = ['<row r="1">' + "".join(f'<c r="{c}1"{body}</c>' for c, (body, _) in zip(letters, header)) + "</row>"]
    last_row = 1
    # Table.rows() has already turned NaN/NaT/NA into None.
    for r, values in enumerate(table.rows(), start=2):
        cells = []
        for i, value in enumerate(values):
            if value is not None and (written := writers[i](value)) is not None:
                body, width = written
                if width > widths[i]:
                    widths[i] = width
                cells.append(f'<c r="{letters[i]}{r}"{body}</c>')
        if cells:
            rows.append(f'<row r="{r}">{"".join(cells)}</row>')
            last_row = r
    cols = "".join(f'<col min="{i}" max="{i}" width="{min(max(w + 2, 8), 60)}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    dimension = f"A1:{letters[-1]}{last_row}" if letters else "A1"
    tab_selected = ' tabSelected="1"' if selected else ""
    return XML_DECLARATION + (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView{tab_selected} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + f'<sheetData>{"".join(rows)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    ).encode("utf-8")
