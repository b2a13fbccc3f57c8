"""The team's book as a local .xlsx file: read with fastexcel (xlsx_read), write by swapping parts."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sync.backends import ClientSummary, Written
from sync.backends.files import replace_file
from sync.backends.locks import busy, holder, parse_time, try_lock_file, unlock_file, wait_for
from sync.backends.xlsx.file import not_an_xlsx, open_elsewhere, refuse_other_formats
from sync.backends.xlsx.marks import MARK_BOOK, custom_properties
from sync.backends.xlsx.package import Package, replace_sheets
from sync.backends.xlsx.read import read_tabs
from sync.backends.xlsx.sheet import CellCache
from sync.backends.xlsx.summaries import check_summary_path, summary_path, write_summaries
from sync.backends.xlsx.zip_limits import refuse_zip_bombs
from sync.errors import BookError, LockBusy, SyncError
from sync.model.raw import RawTab
from sync.model.table import Table


class LocalWorkbook:
    """Reads input tabs and writes output tabs of one .xlsx, never touching the other tabs."""

    name = "xlsx"
    keeps_records = False  # a summary book records what it holds in itself (client_book.plan_book)

    def __init__(self, path: Path, summary_folder: Path | None = None) -> None:
        """The workbook at `path`, client summaries allowed in `summary_folder` too; reads nothing yet."""
        self.path = Path(path)
        self.summary_folder = summary_folder  # where client summaries may go besides the workbook's folder
        self._book_id: str | None = None
        # The bytes the run read: outputs are written into exactly this package, and the
        # digest tells whether someone saved the file in the meantime.
        self._data: bytes | None = None
        self._digest: str | None = None
        self._cells = CellCache()  # the cells of the client summaries written so far

    api_requests = None
    quota_wait_seconds = None

    def check_file(self) -> None:
        """Before anything else: raise SyncError when the workbook is missing or is not an .xlsx
        package (an .ods, .xls, .csv, Numbers or password-protected file), saying what it is and how to
        save it as .xlsx (xlsx_file). Reads only the zip's directory: the run reads the file under its lock."""
        refuse_other_formats(self.path)

    def notices(self) -> list[str]:
        """A line for each program that has the workbook open now (Excel, LibreOffice): a save from
        there overwrites what the sync writes (xlsx_file.open_elsewhere)."""
        return open_elsewhere(self.path)

    @contextmanager
    def lock(self, wait_seconds: float) -> Iterator[None]:
        """An OS lock on the hidden file `.team.xlsx.lock` beside the workbook (the file a symlink
        points to), tried every LOCK_POLL_SECONDS. The kernel drops it when its holder dies, however
        it dies. The holder deletes the file as it lets go, so a run leaves the folder as it found
        it; a waiter that then locks the deleted file sees so and opens the new one."""
        target = self.path.resolve()
        path = target.parent / f".{target.name}.lock"
        fd: int | None = None

        def attempt() -> bool:
            nonlocal fd
            while True:
                fd = _open_lock(path, self.path)
                if fd is None:
                    return True
                try:
                    locked = try_lock_file(fd, path)
                except SyncError:
                    os.close(fd)
                    raise
                if not locked:
                    os.close(fd)
                    return False
                if _same_file(fd, path):
                    return True
                os.close(fd)  # its holder deleted it after we opened it: lock the current one

        if not target.is_file():  # nothing to guard: the read says the workbook is missing
            yield
            return
        if not wait_for(attempt, wait_seconds, LOCK_POLL_SECONDS):
            raise _busy(path, self.path, wait_seconds)
        if fd is None:  # see _open_lock
            yield
            return
        try:
            _write_holder(fd)
            yield
        finally:
            try:
                os.unlink(path)  # while still holding it: see _same_file
            except OSError:  # Windows keeps an open file; a folder we may not write in
                _write_holder(fd, blank=True)
            unlock_file(fd)
            os.close(fd)

    def read_tabs(self, names: list[str]) -> dict[str, RawTab]:
        """The named tabs that the workbook has (read.py), from the bytes this run read; BookError when
        it cannot be read."""
        data = self._snapshot()
        try:
            return read_tabs(data, names, f"workbook {self.path}")
        except SyncError:
            raise  # two tabs matching one name, said as it is
        except Exception as exc:  # calamine and fastexcel raise several types, all meaning "unreadable"
            raise BookError(f"cannot read workbook {self.path}: {_reason(exc)}") from None

    def write_tabs(self, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
        """Write `tables` into the package this run read, swapping only their parts (package.py), and
        replace the file atomically; BookError when it cannot be, or someone saved it meanwhile."""
        data = self._snapshot()
        try:
            new = replace_sheets(data, tables, hidden, {MARK_BOOK: self.book_id})
        except SyncError as exc:
            raise BookError(f"cannot write workbook {self.path}: {exc}") from None
        try:
            self._replace_file(new)
        except OSError as exc:  # e.g. a read-only folder, or Excel on Windows holding the file
            raise BookError(f"cannot write workbook {self.path}: {exc.strerror or exc}") from None
        self._data, self._digest = new, _sha256(new)

    def _replace_file(self, new: bytes) -> None:
        """Swap in `new` atomically (files.replace_file), unless someone saved the file since we read it."""

        def unchanged() -> None:  # run last, to keep small the window in which a save could slip in
            if _sha256(_read(self.path)) != self._digest:
                raise BookError(
                    f"{self.path} changed on disk while the sync was running; nothing was written, run again"
                )

        replace_file(self.path, lambda handle: handle.write(new), unchanged)

    def fingerprint(self) -> str | None:
        """The workbook's modification time (ns) and size, `mtime_ns:size`, from os.stat alone (the
        file a symlink points to); None when it cannot be looked at (missing: the run says so)."""
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return f"{found.st_mtime_ns}:{found.st_size}"

    def confirm_lock(self) -> None:
        """Nothing to confirm: the lock of a local file cannot be lost."""
        # the kernel holds an OS lock for as long as its holder lives: it cannot be lost

    @property
    def book_id(self) -> str:
        """The team workbook's `contract-sync book` property, which marks its client summaries as
        its own (xlsx_marks). A workbook without one (new, written anew by a script, or through a
        program that drops document properties) is known by its folder's and its own name
        ('agency/team.xlsx'), which its first write keeps as the property: so it stays the same book
        when moved or renamed, a workbook made anew in its place is the same book, and another
        workbook beside it is another."""
        if self._book_id is None:
            package = Package(self._snapshot())
            found = custom_properties(lambda name: package.read(part) if (part := package.find(name)) else None)
            real = self.path.resolve()
            self._book_id = found.get(MARK_BOOK) or f"{real.parent.name}/{real.name}"
        return self._book_id

    def summary_location(self, client_id: str, target: str) -> str:
        """Summary Sheet is a path relative to the team workbook's folder; blank: clients/<ID>.xlsx
        (or <ID>.xlsx in the summary_folder setting's folder). Resolved, so that two spellings of
        one file are seen as the same summary."""
        return str(summary_path(self.path, client_id, target, self.summary_folder))

    def check_summary(self, location: str, client_id: str, title: str, allowed: list[str]) -> list[str]:
        """SummaryRefused when the file at `location` is not this book's summary of this client
        (summaries.py); no readers to report, as for any file."""
        check_summary_path(Path(location), client_id, self.book_id, title)
        return []  # a file's readers are whoever can read the folder: nothing to audit

    def write_client_summaries(self, summaries: list[ClientSummary]) -> Written:
        """Write each client's summary book whose content changed (summaries.py)."""
        return write_summaries(summaries, self.book_id, self._cells)

    def _snapshot(self) -> bytes:
        if self._data is None:
            data = _read(self.path)
            reason = not_an_xlsx(io.BytesIO(data))  # said up front by check_file; the file may have changed since
            if reason:
                raise BookError(f"cannot read workbook {self.path}: {reason}")
            try:  # before fastexcel, calamine or zipfile inflate any of it
                refuse_zip_bombs(data)
            except SyncError as exc:
                raise BookError(f"cannot read workbook {self.path}: {exc}") from None
            self._data, self._digest = data, _sha256(data)
        return self._data


LOCK_POLL_SECONDS = 0.2  # how often a sync waiting for the workbook's lock tries again


def _open_lock(path: Path, book: Path) -> int | None:
    """The lock file opened (created if need be); None when no file can be created in its folder."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise BookError(f"cannot lock workbook {book}: {exc.strerror or exc}") from None
    try:  # another user's lock file: a lock needs no write access
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        # _replace_file creates its temporary file in this folder too: whoever cannot create one
        # here cannot write the workbook, and their run (a dry run at most) clashes with no one.
        return None
    except OSError as exc:
        raise BookError(f"cannot lock workbook {book}: {exc.strerror or exc}") from None


def _same_file(fd: int, path: Path) -> bool:
    """Whether `path` still names the file open as `fd`."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _write_holder(fd: int, blank: bool = False) -> None:
    """Who holds the lock, for the message of a sync that gives up waiting for it."""
    note = {"holder": holder(), "since": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    try:
        os.ftruncate(fd, 0)
        if not blank:
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(note).encode("utf-8") + b"\n")
    except OSError:  # another user's lock file, opened read-only: the lock holds all the same
        pass


def _busy(path: Path, book: Path, wait_seconds: float) -> LockBusy:
    try:
        note = json.loads(path.read_bytes() or b"{}")
    except (OSError, ValueError):  # a holder between taking the lock and writing its note
        note = {}
    note = note if isinstance(note, dict) else {}
    return busy(str(book), str(note.get("holder", "")), parse_time(note.get("since")), wait_seconds)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BookError(f"workbook not found: {path}") from None
    except OSError as exc:
        raise BookError(f"cannot read workbook {path}: {exc.strerror or exc}") from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reason(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]
