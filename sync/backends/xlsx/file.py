"""Before the sync reads a local workbook: is the file an .xlsx package at all, and is it open in Excel
or LibreOffice right now?

Other files pass for a workbook further than one would think: fastexcel reads an .ods as readily as
an .xlsx, so `check` passed one that `run` then could not write. So the file is looked at once, up
front, by what it holds (never by its name), and anything else is one line saying what it is and how
to save it as .xlsx. Only the zip's directory and two small parts are read, each at most
MAX_SMALL_PART bytes, so even a zip bomb costs nothing here (zip_limits refuses it next).
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from sync.errors import BookError

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Compound File: .xls, or any Office file with a password
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted .xlsx is kept in
MAX_SMALL_PART = 1 << 20
OPEN_DOCUMENT = "application/vnd.oasis.opendocument."
SAVE_AS_XLSX = "save it as an Excel Workbook (.xlsx)"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
# What the officeDocument relationship of an OOXML package points to, by content type.
_OFFICE_KINDS = {"wordprocessingml": "a Word document", "presentationml": "a PowerPoint presentation"}


def refuse_other_formats(path: Path) -> None:
    """SyncError when `path` is missing or is not an .xlsx package, saying what it is instead."""
    try:
        with open(path, "rb") as handle:
            reason = not_an_xlsx(handle)
    except FileNotFoundError:
        raise BookError(f"workbook not found: {path}") from None
    except OSError as exc:
        raise BookError(f"cannot read workbook {path}: {exc.strerror or exc}") from None
    if reason:
        raise BookError(f"cannot read workbook {path}: {reason}")


def not_an_xlsx(handle: BinaryIO) -> str | None:
    """Why the file open as `handle` is not an .xlsx package (what it is, and what to do); None when it is one."""
    head = handle.read(8)
    handle.seek(0)
    if not head:
        return "the file is empty, not an .xlsx workbook"
    if head == OLE_SIGNATURE:
        return _compound_file(handle)
    if not zipfile.is_zipfile(handle):
        return _not_a_zip(head, handle)
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as package:
            return _zip_kind(package)
    except (zipfile.BadZipFile, zlib.error, RuntimeError, ValueError, EOFError, etree.XMLSyntaxError) as exc:
        return f"it is a damaged zip package ({str(exc)[:100]}), not a readable .xlsx workbook: {SAVE_AS_XLSX} again"


def _compound_file(handle: BinaryIO) -> str:
    """An old-style Office file: an encrypted .xlsx keeps its package in an EncryptedPackage stream."""
    tail = b""
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        if ENCRYPTED_STREAM in tail + chunk:
            return (
                "it is encrypted with a password to open, which the sync cannot read: remove that password "
                "(in Excel: File > Info > Protect Workbook > Encrypt with Password) and save it as .xlsx"
            )
        tail = chunk[-len(ENCRYPTED_STREAM) :]
    return f"it is an Excel 97-2003 workbook (.xls), not an .xlsx workbook: open it and {SAVE_AS_XLSX}"


def _not_a_zip(head: bytes, handle: BinaryIO) -> str:
    if head.startswith(b"PK"):
        return f"it is a damaged or incomplete zip package, not a readable .xlsx workbook: {SAVE_AS_XLSX} again"
    if _looks_like_text(handle.read(4096)):
        return (
            f"it is a text file (a CSV file, say), not an .xlsx workbook: open it in a spreadsheet program "
            f"and {SAVE_AS_XLSX}"
        )
    return f"it is not an .xlsx workbook (nor any zip package): {SAVE_AS_XLSX}"


def _looks_like_text(start: bytes) -> bool:
    """Text in any 8-bit encoding (UTF-8, Windows-1252, ...) or UTF-16 with its byte-order mark."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    controls = sum(start.count(bytes([code])) for code in range(32) if code not in (9, 10, 12, 13))
    return controls <= len(start) // 100


def _zip_kind(package: zipfile.ZipFile) -> str | None:
    names = set(package.namelist())
    if "mimetype" in names:
        kind = _small_part(package, "mimetype").decode("ascii", errors="replace").strip()
        if kind.startswith(OPEN_DOCUMENT + "spreadsheet"):
            return (
                "it is an OpenDocument spreadsheet (.ods), not an .xlsx workbook: open it in LibreOffice and "
                "save it as Excel 2007-365 (.xlsx)"
            )
        if kind.startswith(OPEN_DOCUMENT):
            return "it is an OpenDocument file, not a spreadsheet"
    if "Index.zip" in names or any(name.startswith("Index/") and name.endswith(".iwa") for name in names):
        return "it is an Apple Numbers file, not an .xlsx workbook: in Numbers, use File > Export To > Excel"
    part = _office_document(package, names)
    if part is None:
        return f"it is a zip file without a workbook in it, not an .xlsx workbook: {SAVE_AS_XLSX}"
    if part.lower().endswith(".bin"):
        return f"it is an Excel Binary Workbook (.xlsb), not an .xlsx workbook: {SAVE_AS_XLSX}"
    content_type = _content_type(package, names, part)
    for marker, kind in _OFFICE_KINDS.items():
        if marker in content_type:
            return f"it is {kind}, not a workbook"
    return None


def _office_document(package: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part the package's officeDocument relationship points to, when it is in the zip."""
    if "_rels/.rels" not in names:
        return None
    for rel in etree.fromstring(_small_part(package, "_rels/.rels"), _PARSER):
        if rel.get("Type", "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
            part = rel.get("Target", "").lstrip("/")
            lower = {name.lower(): name for name in names}
            return lower.get(part.lower())
    return None


def _content_type(package: zipfile.ZipFile, names: set[str], part: str) -> str:
    if "[Content_Types].xml" not in names:
        return ""
    for entry in etree.fromstring(_small_part(package, "[Content_Types].xml"), _PARSER):
        if entry.get("PartName", "").lstrip("/").lower() == part.lower():
            return entry.get("ContentType", "")
    return ""


def _small_part(package: zipfile.ZipFile, name: str) -> bytes:
    """A part's first MAX_SMALL_PART bytes: inflating stops there, whatever the part holds."""
    with package.open(name) as stream:
        return stream.read(MAX_SMALL_PART)


# --- open in another program ---------------------------------------------------------------------


def open_elsewhere(path: Path) -> list[str]:
    """A line for each program that has the workbook open, from the lock file it keeps beside it:
    Excel's owner file `~$team.xlsx`, LibreOffice's `.~lock.team.xlsx#`. Whoever saves from there
    writes back the workbook as they opened it, over the tabs this sync writes. (A program that
    crashed leaves its lock file behind: the line says to delete it then.) A workbook that is a
    symlink may have been opened by either name: both folders are looked in."""
    found = []
    for place in dict.fromkeys([path, path.resolve()]):
        for lock, program, owner in (
            (f"~${place.name}", "Excel", _excel_owner),
            (f".~lock.{place.name}#", "LibreOffice", _libreoffice_owner),
        ):
            try:
                with open(place.parent / lock, "rb") as handle:
                    data = handle.read(4096)
            except OSError:  # none there (or unreadable: then it cannot say anything either)
                continue
            by = owner(data)
            found.append(
                f"{path.name} is open in {program}{f' by {by}' if by else ''} ({lock} is beside it): "
                f"saving it there will overwrite the tabs this sync writes - close it in {program} "
                f"before the sync runs, or delete {lock} if no one has it open"
            )
    return list(dict.fromkeys(found))


def _excel_owner(data: bytes) -> str:
    """Office's owner file: one byte, the length of the user's name, then the name."""
    if not data:
        return ""
    return _printable(data[1 : 1 + data[0]].decode("cp1252", errors="replace"))


def _libreoffice_owner(data: bytes) -> str:
    """LibreOffice's lock file: 'Full Name,host,user,date,config;'."""
    fields = data.decode("utf-8", errors="replace").split(",")
    return _printable(fields[0] or (fields[2] if len(fields) > 2 else ""))


def _printable(text: str) -> str:
    return "".join(char for char in text if char.isprintable()).strip()[:60]
