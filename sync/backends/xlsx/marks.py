"""The mark that makes a client summary workbook the sync's own: custom document properties.

A summary is only ever written over a file that is new (absent or empty), or that carries the
sync's mark for the same client of the same team workbook: the custom document properties
`contract-sync client` (the Client ID) and `contract-sync book` (the team workbook's own
`contract-sync book` property: its folder's and file name, kept by its first run, so that it
survives a move or rename; LocalWorkbook.book_id). Excel and LibreOffice keep custom properties when a file is saved, and
show them under File > Properties.

A summary also records what it holds (plan_book in client_book.py): a digest of the whole book
(`contract-sync digest`), one of each table tab's content (`contract-sync tab <Tab>`), and the CRC
of every part as written (`contract-sync parts`). When the parts are still as written, a run whose
digests are the same leaves the file alone, and one whose tabs are partly the same keeps their parts.

A summary written before marks existed has none: it is taken over once when it is exactly what the
sync writes for that client - the five client tabs and nothing else, titled "<Name> - contract summary".
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from sync.backends import client_mark
from sync.backends.xlsx.parts import MAIN, REL, Parts
from sync.errors import SummaryRefused
from sync.model.schema import LEGACY_CLIENT_TABS

MARK_CLIENT = "contract-sync client"
MARK_BOOK = "contract-sync book"
MARK_DIGEST = "contract-sync digest"
MARK_PARTS = "contract-sync parts"
TAB_DIGEST = "contract-sync tab "  # + the tab's name
CUSTOM_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
CUSTOM_CONTENT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
PROPERTY_FORMAT = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the format id every custom property has
LARGEST_PART = 1 << 20  # property and workbook parts are a few kB: a bigger one is no summary of ours
LARGEST_SCAN = 64 << 20  # sheet XML read to find a workbook empty: more, and it is not (rows of blank cells?)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is|f)[\s>/]")  # a cell's value, inline text or formula


def custom_properties(read: Callable[[str], bytes | None]) -> dict[str, str]:
    """The custom document properties of a package, given a reader of its parts by name."""
    xml = read("docProps/custom.xml")
    if xml is None:
        return {}
    properties = {}
    for prop in etree.fromstring(xml, _PARSER).iterchildren(f"{{{CUSTOM_NS}}}property"):
        value = next(prop.iterchildren(), None)
        properties[str(prop.get("name", ""))] = (value.text or "") if value is not None else ""
    return properties


def custom_properties_xml(properties: dict[str, str]) -> bytes:
    """docProps/custom.xml holding these properties as text, numbered as Excel numbers them (from 2)."""
    root = etree.Element(f"{{{CUSTOM_NS}}}Properties", nsmap={None: CUSTOM_NS, "vt": VT_NS})
    for pid, (name, value) in enumerate(properties.items(), start=2):
        prop = etree.SubElement(root, f"{{{CUSTOM_NS}}}property", fmtid=PROPERTY_FORMAT, pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + etree.tostring(root, encoding="UTF-8")


def check_summary_file(path: Path, client_id: str, book_id: str, title: str) -> None:
    """Raise SummaryRefused unless a summary of `client_id` for team book `book_id` may replace the
    file at `path` (absent or empty: it may). Only the zip's directory and its small property parts
    are read, each no further than LARGEST_PART, however big the file or whatever its headers say."""
    try:
        if path.stat().st_size == 0:
            return
    except FileNotFoundError:
        return
    try:
        with zipfile.ZipFile(path) as package:
            _check_package(package, client_id, book_id, title)
    except SummaryRefused:
        raise
    except (zipfile.BadZipFile, etree.XMLSyntaxError, NotImplementedError, EOFError, zlib.error, ValueError):
        raise SummaryRefused(
            "is a file the sync did not write (not an .xlsx workbook with its mark); "
            "it is never replaced: name another file or move it away"
        ) from None


def written_record(source: Path | bytes) -> dict[str, str]:
    """The custom properties of the summary package at `source` (a file, or its bytes) when every part
    is still as the sync wrote it (the CRCs its `contract-sync parts` names); {} otherwise, or when it
    is no such package. Only the zip's directory and its property parts are read."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as package:
            properties = custom_properties(_reader(package))
            if properties.get(MARK_PARTS) != parts_fingerprint(
                {i.filename: (i.CRC, i.file_size) for i in package.infolist()}
            ):
                return {}
            return properties
    except (zipfile.BadZipFile, etree.XMLSyntaxError, NotImplementedError, EOFError, zlib.error, ValueError, OSError):
        return {}  # OSError: none there, or not a file (check_summary_path says what to make of it)


def parts_fingerprint(parts: dict[str, tuple[int, int]]) -> str:
    """A digest of each part's name, CRC and size (part -> (CRC, size)) but the document's properties:
    they hold this digest, and the time the book was made."""
    digest = hashlib.blake2b(digest_size=16)
    for name, (crc, size) in sorted(parts.items()):
        if not name.startswith("docProps/"):
            digest.update(f"{name}\x00{crc}\x00{size}\x00".encode())
    return digest.hexdigest()


def _reader(package: zipfile.ZipFile) -> Callable[[str], bytes | None]:
    """A reader of the package's parts by name (any case), each no further than LARGEST_PART (None past it)."""
    infos = {info.filename.lower(): info for info in package.infolist()}

    def read(name: str) -> bytes | None:
        info = infos.get(name.lower())
        if info is None:
            return None
        with package.open(info) as part:  # a stream stops at the declared size; a part's own may lie
            data = part.read(LARGEST_PART + 1)
        return data if len(data) <= LARGEST_PART else None

    return read


def _check_package(package: zipfile.ZipFile, client_id: str, book_id: str, title: str) -> None:
    read = _reader(package)
    marks = custom_properties(read)
    if MARK_CLIENT in marks:
        if marks.get(MARK_BOOK) != book_id:
            raise SummaryRefused(
                f"is the summary of client {marks[MARK_CLIENT]} of another team workbook (its "
                f"'{MARK_BOOK}' is '{marks.get(MARK_BOOK, '')}', this workbook's '{book_id}'); it is "
                "never replaced: name another file, or delete this one to have it written anew"
            )
        if marks[MARK_CLIENT] != client_mark(client_id):
            raise SummaryRefused(
                f"is the summary of client {marks[MARK_CLIENT]}, not of {client_id}; it is "
                "never replaced by another client's figures"
            )
        return
    sheets = _sheet_names(read)
    if sheets == list(LEGACY_CLIENT_TABS) and _title(read) == title:
        return  # written by the sync before it marked its summaries: taken over once
    if not _holds_values(package):
        return  # an empty workbook, made to receive the summary
    raise SummaryRefused(
        "is a workbook the sync did not write (it has no contract-sync mark); it is never "
        "replaced: name another file or move it away"
    )


def _sheet_names(read: Callable[[str], bytes | None]) -> list[str]:
    xml = read("xl/workbook.xml")
    if xml is None:
        return []
    return [name for name, _ in sheet_names(etree.fromstring(xml, _PARSER))]


def sheet_names(workbook: etree._Element) -> list[tuple[str, str]]:
    """Each tab's name and relationship ID, in order, from a parsed workbook part."""
    sheets = workbook.find(f"{{{MAIN}}}sheets")
    return [] if sheets is None else [(str(sheet.get("name")), str(sheet.get(f"{{{REL}}}id"))) for sheet in sheets]


def _title(read: Callable[[str], bytes | None]) -> str | None:
    xml = read("docProps/core.xml")
    if xml is None:
        return None
    found = etree.fromstring(xml, _PARSER).find("{http://purl.org/dc/elements/1.1/}title")
    return None if found is None else (found.text or "")


def _holds_values(package: zipfile.ZipFile) -> bool:
    """Whether any worksheet may have a cell with a value: read in pieces, stopping at the first
    value, or (yes, to be safe) after LARGEST_SCAN bytes without one."""
    scanned = 0
    for info in package.infolist():
        if not info.filename.lower().startswith("xl/worksheets/") or not info.filename.lower().endswith(".xml"):
            continue
        with package.open(info) as part:
            tail = b""
            while chunk := part.read(1 << 20):
                scanned += len(chunk)
                if _VALUE.search(tail + chunk) or scanned > LARGEST_SCAN:
                    return True
                tail = chunk[-16:]
    return False


def add_custom_properties(pkg: Parts, properties: dict[str, str]) -> None:
    """Give a package these custom document properties; one it already has keeps its value."""
    if not properties:
        return
    part = pkg.target_of("", "/custom-properties")
    if part is None:
        pkg.put("docProps/custom.xml", custom_properties_xml(properties))
        pkg.add_override("docProps/custom.xml", CUSTOM_CONTENT)
        pkg.add_rel("", CUSTOM_TYPE, "docProps/custom.xml")
        return
    root = pkg.xml(part)
    present = list(root.iterchildren(f"{{{CUSTOM_NS}}}property"))
    have = {prop.get("name") for prop in present}
    pid = max((int(prop.get("pid", "1")) for prop in present if prop.get("pid", "").isdigit()), default=1)
    for name, value in properties.items():
        if name in have:
            continue
        pid += 1
        prop = etree.SubElement(root, f"{{{CUSTOM_NS}}}property", fmtid=PROPERTY_FORMAT, pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = value
        pkg.touch(part)
