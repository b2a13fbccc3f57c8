"""Write output tabs into an .xlsx package by swapping only their parts.

openpyxl's load-then-save drops charts and images, and the input tabs are the team's
only copy of its work. So this module treats the .xlsx as what it is, a zip of XML
parts tied together by relationships (OPC), and rewrites only what an output tab
needs: its worksheet part, plus small edits to workbook.xml, its rels,
[Content_Types].xml, styles.xml and calcChain.xml. Every other part keeps its exact
content, and a part is reserialized only when something in it changes, so a second
run with the same tables gives a byte-identical file.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import numbers
import posixpath
import re
import zipfile
from decimal import Decimal
from urllib.parse import unquote
from xml.sax.saxutils import escape

from lxml import etree

from sync.errors import SyncError
from sync.table import Kind, Table

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"
WORKSHEET_TYPE = REL + "/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
NEW_PART_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so reruns produce identical zips

# lxml would write the declaration with single quotes, which some readers reject.
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def replace_sheets(package: bytes, tables: dict[str, Table]) -> bytes:
    """Return `package` with each table written as a whole worksheet; nothing else changes.

    A tab whose name matches (case and surrounding spaces ignored) is replaced and keeps
    its name; any other table becomes a new tab after the existing ones.
    """
    keys = [_key(name) for name in tables]
    if len(set(keys)) != len(keys):
        raise ValueError(f"two tables would share one tab: {list(tables)}")
    for name in tables:
        if not _VALID_TAB_NAME.fullmatch(name):
            raise ValueError(f"Excel cannot name a tab {name!r}")
    try:
        pkg = _Package(package)
        _write_tables(pkg, tables)
        return pkg.to_bytes()
    except zipfile.BadZipFile as exc:
        raise SyncError(f"not an .xlsx package ({exc})") from None
    except etree.XMLSyntaxError as exc:
        raise SyncError(f"damaged .xlsx package ({exc})") from None


def _write_tables(pkg: _Package, tables: dict[str, Table]) -> None:
    book_part = pkg.target_of("", "/officeDocument")
    if book_part is None:
        raise SyncError("not an .xlsx package: it has no workbook part")
    book = pkg.xml(book_part)
    if etree.QName(book).namespace != MAIN:
        raise SyncError("Strict Open XML workbooks are not supported; save it as an Excel Workbook (.xlsx)")
    book_rels = pkg.rels(book_part)
    sheets = book.find(f"{{{MAIN}}}sheets")
    props = book.find(f"{{{MAIN}}}workbookPr")
    date1904 = props is not None and props.get("date1904") in ("1", "true")
    styles = _Styles(pkg, book_part)
    reachable_before = pkg.reachable()

    by_key = {_key(s.get("name")): s for s in sheets.iterchildren(f"{{{MAIN}}}sheet")}
    replaced_ids: set[str] = set()
    for name, table in tables.items():
        sheet = by_key.get(_key(name))
        if sheet is None:
            _add_sheet(pkg, book_part, sheets, name, _sheet_xml(table, styles, date1904, selected=False))
            continue
        rel = pkg.rel_by_id(book_part, sheet.get(f"{{{REL}}}id"))
        if not rel.get("Type", "").endswith("/worksheet"):
            raise SyncError(f"tab {sheet.get('name')!r} is not a worksheet (a chart sheet?); rename or delete it")
        part = pkg.resolve(book_part, rel.get("Target"))
        selected = _TAB_SELECTED.search(pkg.parts.get(part, b"")[:4096]) is not None
        pkg.put(part, _sheet_xml(table, styles, date1904, selected))
        # The new XML has no r:id references, so the old sheet's rels are dead.
        pkg.delete(_rels_name(part))
        replaced_ids.add(sheet.get("sheetId"))

    _drop_calc_chain_entries(pkg, book_part, book_rels, replaced_ids)
    # Drawings, comments and tables that only the replaced tabs used are now orphans.
    for orphan in reachable_before - pkg.reachable():
        pkg.delete(orphan)


def _key(name: str) -> str:
    return name.strip().casefold()


# Excel rejects (as a corrupt file) tab names over 31 characters, with []:*?/\ or edge quotes.
_VALID_TAB_NAME = re.compile(r"(?!')[^\[\]:*?/\\]{1,31}(?<!')")


_TAB_SELECTED = re.compile(rb'<(?:\w+:)?sheetView\b[^>]*\btabSelected="(?:1|true)"')


def _add_sheet(pkg: _Package, book_part: str, sheets: etree._Element, name: str, xml: bytes) -> None:
    folder = posixpath.dirname(book_part)
    n = 1
    while pkg.find(posixpath.join(folder, f"worksheets/sheet{n}.xml")):
        n += 1
    part = posixpath.join(folder, f"worksheets/sheet{n}.xml")
    pkg.put(part, xml)
    pkg.add_override(part, WORKSHEET_CONTENT)
    rid = pkg.add_rel(book_part, WORKSHEET_TYPE, part)
    sheet_id = max((int(s.get("sheetId")) for s in sheets.iterchildren(f"{{{MAIN}}}sheet")), default=0) + 1
    # openpyxl declares xmlns:r on each <sheet>, not the root: without this lxml would
    # invent an "ns0" prefix, which is legal XML but trips naive readers.
    nsmap = None if REL in sheets.nsmap.values() else {"r": REL}
    etree.SubElement(sheets, f"{{{MAIN}}}sheet", {"name": name, "sheetId": str(sheet_id), f"{{{REL}}}id": rid},
                     nsmap=nsmap)
    pkg.touch(pkg.find(book_part))


def _drop_calc_chain_entries(pkg: _Package, book_part: str, book_rels: etree._Element, sheet_ids: set[str]) -> None:
    """Excel calls a file corrupt when calcChain names formula cells that no longer exist.

    An entry without `i` belongs to the same sheet as the entry before it, so removing
    whole runs of a sheet's entries never leaves a kept entry inheriting a removed id.
    """
    part = pkg.target_of(book_part, "/calcChain")
    if part is None or not sheet_ids:
        return
    chain = pkg.xml(part)
    current, doomed = None, []
    for entry in chain.iterchildren(f"{{{MAIN}}}c"):
        current = entry.get("i", current)
        if current in sheet_ids:
            doomed.append(entry)
    if not doomed:
        return
    for entry in doomed:
        chain.remove(entry)
    if len(chain.findall(f"{{{MAIN}}}c")):
        pkg.touch(part)
        return
    for rel in list(book_rels):
        if rel.get("Type", "").endswith("/calcChain"):
            book_rels.remove(rel)
    pkg.touch(_rels_name(book_part))
    pkg.delete(part)


# --- the package: zip entries, relationships, content types ---------------------------

def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


class _Package:
    """The zip's parts in their original order; parsed XML is cached until saved."""

    def __init__(self, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            self.comment = zf.comment
            self.infos = {info.filename: info for info in zf.infolist()}
            self.parts = {info.filename: zf.read(info) for info in zf.infolist()}
        self._lower = {name.lower(): name for name in self.parts}
        self._trees: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()

    def find(self, name: str) -> str | None:
        """The stored name of a part: OPC part names are case-insensitive."""
        return self._lower.get(name.lower())

    def xml(self, name: str) -> etree._Element:
        found = self.find(name)
        if found is None:
            raise SyncError(f"damaged .xlsx package: it has no {name}")
        if found not in self._trees:
            self._trees[found] = etree.fromstring(self.parts[found], _PARSER)
        return self._trees[found]

    def touch(self, name: str) -> None:
        self._dirty.add(self.find(name) or name)

    def put(self, name: str, data: bytes) -> None:
        name = self.find(name) or name
        self._lower[name.lower()] = name
        self._trees.pop(name, None)
        self._dirty.discard(name)
        self.parts[name] = data

    def delete(self, name: str) -> None:
        name = self.find(name)
        if name is None:
            return
        del self.parts[name], self._lower[name.lower()]
        self._trees.pop(name, None)
        self._dirty.discard(name)
        types = self.xml(CONTENT_TYPES)
        for override in types.iterchildren(f"{{{TYPES}}}Override"):
            if override.get("PartName", "").lstrip("/").lower() == name.lower():
                types.remove(override)
                self.touch(CONTENT_TYPES)

    def add_override(self, name: str, content_type: str) -> None:
        etree.SubElement(self.xml(CONTENT_TYPES), f"{{{TYPES}}}Override",
                         {"PartName": "/" + name, "ContentType": content_type})
        self.touch(CONTENT_TYPES)

    def resolve(self, source: str, target: str) -> str:
        """A relationship target as a part name (targets may be absolute, relative, %-encoded)."""
        target = unquote(target)
        path = target[1:] if target.startswith("/") else posixpath.join(posixpath.dirname(source), target)
        path = posixpath.normpath(path)
        return self.find(path) or path

    def rels(self, source: str) -> etree._Element:
        return self.xml(_rels_name(source))

    def rel_by_id(self, source: str, rid: str) -> etree._Element:
        for rel in self.rels(source):
            if rel.get("Id") == rid:
                return rel
        raise SyncError(f"damaged .xlsx package: {source} has no relationship {rid}")

    def target_of(self, source: str, type_suffix: str) -> str | None:
        if not self.find(_rels_name(source)):
            return None
        for rel in self.rels(source):
            if rel.get("Type", "").endswith(type_suffix) and rel.get("TargetMode") != "External":
                part = self.resolve(source, rel.get("Target", ""))
                if self.find(part):
                    return part
        return None

    def add_rel(self, source: str, rel_type: str, part: str) -> str:
        rels = self.rels(source)
        taken = {rel.get("Id") for rel in rels}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        folder = posixpath.dirname(source) or "."
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship",
                         {"Id": f"rId{n}", "Type": rel_type, "Target": posixpath.relpath(part, folder)})
        self.touch(_rels_name(source))
        return f"rId{n}"

    def reachable(self) -> set[str]:
        """Every part (and rels part) reachable by relationships from the package root."""
        seen: set[str] = set()
        todo = [""]
        while todo:
            source = todo.pop()
            rels_name = self.find(_rels_name(source))
            if rels_name is None:
                continue
            seen.add(rels_name)
            for rel in self.xml(rels_name):
                if rel.get("TargetMode") == "External":
                    continue
                part = self.find(self.resolve(source, rel.get("Target", "")))
                if part and part not in seen:
                    seen.add(part)
                    todo.append(part)
        return seen

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.comment = self.comment
            for name, data in self.parts.items():
                if name in self._dirty:
                    tree = self._trees[name].getroottree()
                    data = _XML_DECLARATION + etree.tostring(tree, encoding="UTF-8", xml_declaration=False)
                old = self.infos.get(name)
                info = zipfile.ZipInfo(name, old.date_time if old else NEW_PART_TIME)
                info.external_attr = old.external_attr if old else 0o600 << 16
                info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        return out.getvalue()


# --- styles: append what the output needs, never move what the input uses ------------

BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}


def _shape(el: etree._Element) -> tuple:
    return (el.tag, sorted(el.attrib.items()), [_shape(c) for c in el if isinstance(c.tag, str)])


class _Styles:
    """Hands out cellXfs indexes; input cells refer to existing entries by index."""

    def __init__(self, pkg: _Package, book_part: str) -> None:
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


def _cell_writer(kind: Kind, styles: _Styles, date1904: bool):
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


def _sheet_xml(table: Table, styles: _Styles, date1904: bool, selected: bool) -> bytes:
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
    return _XML_DECLARATION + (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView{tab_selected} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + f'<sheetData>{"".join(rows)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    ).encode("utf-8")
