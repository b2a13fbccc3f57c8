"""Write output tabs into an .xlsx package by swapping only their parts.

openpyxl's load-then-save drops charts and images, and the input tabs are the team's
only copy of its work. So this module treats the .xlsx as what it is, a zip of XML
parts tied together by relationships (OPC), and rewrites only what an output tab
needs: its worksheet part, plus small edits to workbook.xml, its rels,
[Content_Types].xml, styles.xml and calcChain.xml. Every other part keeps its exact
content, and a part is reserialized only when something in it changes, so a second
run with the same tables gives a byte-identical file.

A part that does not change is copied into the new zip as the deflated bytes it was
stored as: inflating and deflating again a million-row input tab would take seconds.
The parts written are deflated at level 1, several times faster than the default 6 for
a file about a third larger.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from sync.backends.xlsx.marks import add_custom_properties
from sync.backends.xlsx.parts import MAIN, REL, XML_DECLARATION
from sync.backends.xlsx.sheet import Styles, sheet_xml
from sync.errors import BookError
from sync.model.schema import find_tabs, tab_key
from sync.model.table import Table

PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"
WORKSHEET_TYPE = REL + "/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
NEW_PART_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so reruns produce identical zips
DEFLATE_LEVEL = 1

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def replace_sheets(
    package: bytes,
    tables: dict[str, Table],
    hidden: frozenset[str] = frozenset(),
    properties: dict[str, str] | None = None,
) -> bytes:
    """Return `package` with each table written as a whole worksheet; nothing else changes.

    A tab whose name matches (case and surrounding spaces ignored) is replaced and keeps
    its name; any other table becomes a new tab after the existing ones. Tabs named in `hidden`
    are hidden and protected (without a password: it stops slips, not people). `properties` are
    custom document properties the package gets unless it has them already.
    """
    keys = [tab_key(name) for name in tables]
    if len(set(keys)) != len(keys):
        raise ValueError(f"two tables would share one tab: {list(tables)}")
    for name in tables:
        if not _VALID_TAB_NAME.fullmatch(name):
            raise ValueError(f"Excel cannot name a tab {name!r}")
    try:
        pkg = Package(package)
        _write_tables(pkg, tables, hidden)
        add_custom_properties(pkg, properties or {})
        return pkg.to_bytes()
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise BookError(f"not an .xlsx package ({exc})") from None
    except etree.XMLSyntaxError as exc:
        raise BookError(f"damaged .xlsx package ({exc})") from None


def _write_tables(pkg: Package, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
    book_part = pkg.target_of("", "/officeDocument")
    if book_part is None:
        raise BookError("not an .xlsx package: it has no workbook part")
    book = pkg.xml(book_part)
    if etree.QName(book).namespace != MAIN:
        raise BookError("Strict Open XML workbooks are not supported; save it as an Excel Workbook (.xlsx)")
    book_rels = pkg.rels(book_part)
    sheets = book.find(f"{{{MAIN}}}sheets")
    props = book.find(f"{{{MAIN}}}workbookPr")
    date1904 = props is not None and props.get("date1904") in ("1", "true")
    styles = Styles(pkg, book_part)
    reachable_before = pkg.reachable()

    book_sheets = list(sheets.iterchildren(f"{{{MAIN}}}sheet"))
    found = find_tabs([s.get("name") for s in book_sheets], tables)  # two tabs matching one name: refused
    by_title = {s.get("name"): s for s in book_sheets}
    replaced_ids: set[str] = set()
    for name, table in tables.items():
        sheet = by_title[found[name]] if name in found else None
        if sheet is None:
            sheet = _add_sheet(
                pkg,
                book_part,
                sheets,
                name,
                sheet_xml(table, styles, date1904, selected=False, protected=name in hidden),
            )
            _set_hidden(sheet, name in hidden)
            continue
        if _set_hidden(sheet, name in hidden):
            pkg.touch(book_part)
        rel = pkg.rel_by_id(book_part, sheet.get(f"{{{REL}}}id"))
        if not rel.get("Type", "").endswith("/worksheet"):
            raise BookError(f"tab {sheet.get('name')!r} is not a worksheet (a chart sheet?); rename or delete it")
        part = pkg.resolve(book_part, rel.get("Target"))
        selected = _TAB_SELECTED.search(pkg.head(part, 4096)) is not None
        pkg.put(part, sheet_xml(table, styles, date1904, selected and name not in hidden, protected=name in hidden))
        # The new XML has no r:id references, so the old sheet's rels are dead.
        pkg.delete(_rels_name(part))
        replaced_ids.add(sheet.get("sheetId"))

    _drop_calc_chain_entries(pkg, book_part, book_rels, replaced_ids)
    # Drawings, comments and tables that only the replaced tabs used are now orphans.
    for orphan in reachable_before - pkg.reachable():
        pkg.delete(orphan)


# Excel rejects (as a corrupt file) tab names over 31 characters, with []:*?/\ or edge quotes.
_VALID_TAB_NAME = re.compile(r"(?!')[^\[\]:*?/\\]{1,31}(?<!')")


_TAB_SELECTED = re.compile(rb'<(?:\w+:)?sheetView\b[^>]*\btabSelected="(?:1|true)"')


def _set_hidden(sheet: etree._Element, hidden: bool) -> bool:
    """Hide or show a workbook's <sheet>; True when that changed it."""
    if hidden == (sheet.get("state") == "hidden"):
        return False
    if hidden:
        sheet.set("state", "hidden")
    else:
        sheet.attrib.pop("state", None)
    return True


def _add_sheet(pkg: Package, book_part: str, sheets: etree._Element, name: str, xml: bytes) -> etree._Element:
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
    sheet = etree.SubElement(
        sheets, f"{{{MAIN}}}sheet", {"name": name, "sheetId": str(sheet_id), f"{{{REL}}}id": rid}, nsmap=nsmap
    )
    pkg.touch(book_part)
    return sheet


def _drop_calc_chain_entries(pkg: Package, book_part: str, book_rels: etree._Element, sheet_ids: set[str]) -> None:
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


class Package:
    """The zip's parts in their original order. A part is inflated only when read; parsed XML is
    cached until saved."""

    def __init__(self, data: bytes) -> None:
        """The package whose zip is `data`; nothing is inflated yet."""
        self._source = data
        self._zip = zipfile.ZipFile(io.BytesIO(data))
        self.comment = self._zip.comment
        self.infos = {info.filename: info for info in self._zip.infolist()}
        self._names = dict.fromkeys(self.infos)  # the order of the parts; a dict for fast removal
        self._lower = {name.lower(): name for name in self._names}
        self._contents: dict[str, bytes] = {}  # parts read or put
        self._put: set[str] = set()
        self._trees: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()

    def find(self, name: str) -> str | None:
        """The stored name of a part: OPC part names are case-insensitive."""
        return self._lower.get(name.lower())

    def read(self, name: str) -> bytes:
        """A part's content; `name` as stored (see find)."""
        if name not in self._contents:
            self._contents[name] = self._zip.read(self.infos[name])
        return self._contents[name]

    def head(self, name: str, size: int) -> bytes:
        """The first `size` bytes of a part (b"" if there is none), without inflating all of it."""
        found = self.find(name)
        if found is None:
            return b""
        if found in self._contents:
            return self._contents[found][:size]
        with self._zip.open(self.infos[found]) as stream:
            return stream.read(size)

    def xml(self, name: str) -> etree._Element:
        """A part parsed as XML, cached: edits to it are saved when the part is touched. BookError when
        the package has no such part."""
        found = self.find(name)
        if found is None:
            raise BookError(f"damaged .xlsx package: it has no {name}")
        if found not in self._trees:
            self._trees[found] = etree.fromstring(self.read(found), _PARSER)
        return self._trees[found]

    def touch(self, name: str) -> None:
        """Mark a part whose parsed XML (xml) was edited: it is serialized again when saved."""
        self._dirty.add(self.find(name) or name)

    def put(self, name: str, data: bytes) -> None:
        """Set a part's content to `data`, adding the part when there is none (after the others)."""
        name = self.find(name) or name
        self._lower[name.lower()] = name
        self._names[name] = None
        self._trees.pop(name, None)
        self._dirty.discard(name)
        self._contents[name] = data
        self._put.add(name)

    def delete(self, name: str) -> None:
        """Remove a part, if there is one, and its content type override."""
        found = self.find(name)
        if found is None:
            return
        del self._names[found], self._lower[found.lower()]
        self._contents.pop(found, None)
        self._put.discard(found)
        self._trees.pop(found, None)
        self._dirty.discard(found)
        types = self.xml(CONTENT_TYPES)
        for override in types.iterchildren(f"{{{TYPES}}}Override"):
            if override.get("PartName", "").lstrip("/").lower() == found.lower():
                types.remove(override)
                self.touch(CONTENT_TYPES)

    def add_override(self, name: str, content_type: str) -> None:
        """Declare the content type of part `name` in [Content_Types].xml."""
        etree.SubElement(
            self.xml(CONTENT_TYPES), f"{{{TYPES}}}Override", {"PartName": "/" + name, "ContentType": content_type}
        )
        self.touch(CONTENT_TYPES)

    def resolve(self, source: str, target: str) -> str:
        """A relationship target as a part name (targets may be absolute, relative, %-encoded)."""
        target = unquote(target)
        path = target[1:] if target.startswith("/") else posixpath.join(posixpath.dirname(source), target)
        path = posixpath.normpath(path)
        return self.find(path) or path

    def rels(self, source: str) -> etree._Element:
        """The relationships of part `source` ("" for the package's own), parsed."""
        return self.xml(_rels_name(source))

    def rel_by_id(self, source: str, rid: str) -> etree._Element:
        """The relationship of `source` with Id `rid`; BookError when it has none."""
        for rel in self.rels(source):
            if rel.get("Id") == rid:
                return rel
        raise BookError(f"damaged .xlsx package: {source} has no relationship {rid}")

    def target_of(self, source: str, type_suffix: str) -> str | None:
        """The part of `source`'s first internal relationship whose type ends in `type_suffix`
        (its stored name), or None when there is no such part."""
        if not self.find(_rels_name(source)):
            return None
        for rel in self.rels(source):
            if rel.get("Type", "").endswith(type_suffix) and rel.get("TargetMode") != "External":
                part = self.resolve(source, rel.get("Target", ""))
                if self.find(part):
                    return part
        return None

    def add_rel(self, source: str, rel_type: str, part: str) -> str:
        """Add a relationship of type `rel_type` from `source` to `part`; its new Id."""
        rels = self.rels(source)
        taken = {rel.get("Id") for rel in rels}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        folder = posixpath.dirname(source) or "."
        etree.SubElement(
            rels,
            f"{{{PKG_REL}}}Relationship",
            {"Id": f"rId{n}", "Type": rel_type, "Target": posixpath.relpath(part, folder)},
        )
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
        """The package as a zip: its parts in their order, unchanged ones copied as they were stored."""
        entries = []
        for name in self._names:
            old = self.infos.get(name)
            if name in self._dirty:
                data = XML_DECLARATION + etree.tostring(
                    self._trees[name].getroottree(), encoding="UTF-8", xml_declaration=False
                )
            elif name in self._put or old is None:
                data = self._contents[name]
            else:
                entries.append(self._stored_entry(old))
                continue
            deflate = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)  # -15: raw deflate, as zip stores it
            entries.append(
                _Entry(
                    name,
                    old.date_time if old else NEW_PART_TIME,
                    old.create_system if old else 3,
                    old.external_attr if old else 0o600 << 16,
                    0,
                    20,
                    zipfile.ZIP_DEFLATED,
                    zlib.crc32(data),
                    len(data),
                    deflate.compress(data) + deflate.flush(),
                )
            )
        return _zip(entries, self.comment)

    def _stored_entry(self, info: zipfile.ZipInfo) -> _Entry:
        """An unchanged part as it is stored: its compressed bytes, CRC and sizes."""
        local = memoryview(self._source)[info.header_offset :]
        signature, name_length, extra_length = struct.unpack("<4s22xHH", local[:30])
        if signature != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {info.filename}")
        start = 30 + name_length + extra_length
        return _Entry(
            info.filename,
            info.date_time,
            info.create_system,
            info.external_attr,
            info.flag_bits & ~0x08,
            info.extract_version,
            info.compress_type,
            info.CRC,
            info.file_size,
            local[start : start + info.compress_size],
        )  # 0x08 off: the sizes go in the header


# --- writing the zip: zipfile cannot copy an entry without inflating it ----------------------

ZIP64_LIMIT = (1 << 31) - 1  # as zipfile: larger sizes and offsets go in ZIP64 fields
UTF8_NAME = 0x800


class _Entry(NamedTuple):
    name: str
    date_time: tuple[int, int, int, int, int, int]
    create_system: int
    external_attr: int
    flags: int
    version: int  # needed to extract
    method: int
    crc: int
    size: int
    payload: bytes | memoryview  # compressed


def _zip(entries: list[_Entry], comment: bytes) -> bytes:
    """A zip archive of `entries` in order (APPNOTE 6.3: local headers, central directory, end records)."""
    out = io.BytesIO()
    directory = []
    for entry in entries:
        offset, compressed = out.tell(), len(entry.payload)
        flags = entry.flags
        if flags & UTF8_NAME or not entry.name.isascii():
            name, flags = entry.name.encode("utf-8"), flags | UTF8_NAME
        else:
            name = entry.name.encode("ascii")
        year, month, day, hour, minute, second = entry.date_time
        stamp = (hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day)
        large = entry.size > ZIP64_LIMIT or compressed > ZIP64_LIMIT
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if large else (compressed, entry.size)
        version = 45 if large or offset > ZIP64_LIMIT else entry.version
        extra = struct.pack("<2H2Q", 1, 16, entry.size, compressed) if large else b""
        out.write(
            struct.pack(
                "<4s2B4HL2L2H",
                b"PK\x03\x04",
                version,
                0,
                flags,
                entry.method,
                *stamp,
                entry.crc,
                *sizes,
                len(name),
                len(extra),
            )
        )
        out.write(name)
        out.write(extra)
        out.write(entry.payload)
        wide = ([entry.size, compressed] if large else []) + ([offset] if offset > ZIP64_LIMIT else [])
        extra = struct.pack(f"<2H{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        directory.append(
            struct.pack(
                "<4s4B4HL2L5H2L",
                b"PK\x01\x02",
                max(version, 20),
                entry.create_system,
                version,
                0,
                flags,
                entry.method,
                *stamp,
                entry.crc,
                *sizes,
                len(name),
                len(extra),
                0,
                0,
                0,
                entry.external_attr,
                min(offset, 0xFFFFFFFF),
            )
            + name
            + extra
        )
    start = out.tell()
    out.write(b"".join(directory))
    size, count = out.tell() - start, len(entries)
    if count > 0xFFFF or start > ZIP64_LIMIT or size > ZIP64_LIMIT:
        end64 = out.tell()
        out.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, start))
        out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end64, 1))
        count, size, start = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, len(comment)) + comment)
    return out.getvalue()
