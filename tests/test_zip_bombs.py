"""A workbook whose parts would inflate to gigabytes is refused before anything inflates them.

The bombs are built without materialising what they hold: a block deflated once after a full flush
depends on nothing before it, so the same compressed bytes repeated make a stream that inflates to
that block repeated; the zip around it declares whatever size the test wants."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from sync.backends.xlsx import zip_limits
from sync.backends.xlsx.package import Package, _zip
from sync.backends.xlsx.zip_limits import refuse_zip_bombs
from sync.errors import SyncError
from tests.test_cli import ROOT, fingerprint, write_book
from tests.test_local_book import sheet_parts

GiB, MiB = 1 << 30, 1 << 20
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData>'
)
FILLER = (b"<row/>" + b" " * 4090) * 256  # 1 MiB of sheet XML that deflates about 760 times
MAX_RSS_MIB = 400  # the sync's modules take about 150 MiB; inflating any bomb here takes gigabytes


def deflated(size: int) -> bytes:
    """A raw deflate stream of about `size` bytes of sheet XML (HEAD, then FILLER repeated)."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = head.compress(HEAD) + head.flush(zlib.Z_FULL_FLUSH)
    filler = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = filler.compress(FILLER) + filler.flush(zlib.Z_FULL_FLUSH)
    return start + block * (size // len(FILLER)) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def with_part(package: bytes, part: str, stream: bytes, declared: int, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """`package` with `part` holding the raw `stream`, its zip headers declaring `declared` bytes."""
    pkg = Package(package)
    entries = [pkg._stored_entry(info) for info in pkg.infos.values()]
    entries = [
        entry._replace(payload=stream, size=declared, crc=0, method=method) if entry.name == part else entry
        for entry in entries
    ]
    return _zip(entries, b"")


@pytest.fixture
def book(tmp_path) -> Path:
    return write_book(tmp_path / "team.xlsx")


def bomb(book: Path, inflates_to: int, declared: int | None = None) -> str:
    """Make the team workbook's Time sheet a bomb of `inflates_to` bytes, declared as `declared`
    (None: the truth); returns the sheet's part name."""
    package = book.read_bytes()
    part = sheet_parts(package)["Time"]
    book.write_bytes(with_part(package, part, deflated(inflates_to), inflates_to if declared is None else declared))
    return part


def run_measured(book: Path) -> tuple[subprocess.CompletedProcess, int]:
    """`python -m sync run --book BOOK` in a child process; its result and peak memory (MiB)."""
    # VmHWM is this process's own peak: ru_maxrss would also count the parent's, which a child started
    # with vfork takes over at exec (a test process that grew big would fail the test).
    code = (
        "import re, runpy\n"
        "try:\n    runpy.run_module('sync', run_name='__main__')\n"
        "finally:\n    peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]\n"
        "    print('maxrss=' + str(int(peak) // 1024))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "--book", book.name],
        cwd=book.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return done, int(done.stdout.rsplit("maxrss=", 1)[1])


def test_the_bomb_builder_makes_what_it_says():
    stream = deflated(64 * MiB)
    inflated = zlib.decompressobj(-15).decompress(stream)
    assert len(inflated) == len(HEAD) + 64 * MiB and inflated.startswith(HEAD)
    assert len(inflated) / len(stream) > 700


@pytest.mark.parametrize(
    "inflates_to, declared, said",
    [
        (4 * GiB, None, "to 4,294,967,296 bytes, over the 1 GiB the sync allows a part"),  # 5.6 MB holding 4 GiB
        (4 * GiB, 1_000_000, "inflates past the 1,000,000 bytes its zip header declares"),  # ... and lied about
        (200 * MiB, None, "would inflate 761 times, from 275,533 to 209,715,200 bytes"),  # under the part bound
    ],
)
def test_a_bomb_is_refused_with_exit_2_in_little_memory(book, inflates_to, declared, said):
    part = bomb(book, inflates_to, declared)
    before = fingerprint(book.parent)
    done, peak = run_measured(book)
    assert done.returncode == 2, done.stderr
    error = done.stderr.strip()
    assert error.startswith(f"error: cannot read workbook team.xlsx: part {part} ") and said in error, error
    assert "\n" not in error and "Traceback" not in error
    assert peak < MAX_RSS_MIB, peak
    assert fingerprint(book.parent) == before  # nothing written, not even a Sync Log row


def test_the_messages_name_part_sizes_and_bounds(book):
    package = book.read_bytes()
    part = sheet_parts(package)["Time"]
    with pytest.raises(
        SyncError,
        match=rf"^part {re.escape(part)} would inflate from 2,\d{{3}},\d{{3}} to "
        r"2,147,48\d,\d{3} bytes, over the 1 GiB the sync allows a part \(a zip bomb\?\)$",
    ):
        refuse_zip_bombs(with_part(package, part, deflated(2 * GiB), 2 * GiB + len(HEAD)))
    with pytest.raises(
        SyncError,
        match=rf"^part {re.escape(part)} would inflate 760 times, from [\d,]+ to "
        r"67,109,008 bytes; the sync allows parts of 64 MiB or more 100 times",
    ):
        refuse_zip_bombs(with_part(package, part, deflated(64 * MiB), 64 * MiB + len(HEAD)))
    with pytest.raises(SyncError, match="is compressed with method 12; an .xlsx package holds only stored or deflated"):
        refuse_zip_bombs(with_part(package, part, b"BZh9", 10, method=12))
    refuse_zip_bombs(with_part(package, part, deflated(63 * MiB), 63 * MiB + len(HEAD)))  # under 64 MiB: any ratio


def test_parts_that_are_small_alone_are_bounded_together(book, monkeypatch):
    monkeypatch.setattr(zip_limits, "MAX_PACKAGE_BYTES", 3 * MiB)
    package = book.read_bytes()
    parts = sheet_parts(package)
    for tab in ("Time", "Payments", "Contracts"):
        package = with_part(package, parts[tab], deflated(MiB), MiB + len(HEAD))
    with pytest.raises(SyncError, match=r"its \d+ parts would inflate to 3,1\d\d,\d+ bytes, over the 3 MiB"):
        refuse_zip_bombs(package)


def test_a_part_declaring_too_little_is_refused_once_it_passes_that(book):
    package = book.read_bytes()
    part = sheet_parts(package)["Time"]
    honest = with_part(package, part, deflated(MiB), MiB + len(HEAD))
    refuse_zip_bombs(honest)
    with pytest.raises(SyncError, match=f"part {part} inflates past the {MiB + len(HEAD) - 1:,} bytes its zip header"):
        refuse_zip_bombs(with_part(package, part, deflated(MiB), MiB + len(HEAD) - 1))


def test_a_real_workbook_passes(book):
    refuse_zip_bombs(book.read_bytes())
    with zipfile.ZipFile(io.BytesIO(book.read_bytes())) as package:
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in package.infolist())
