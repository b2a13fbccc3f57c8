"""Zip bombs: an .xlsx whose parts would inflate past sane bounds is refused before anything inflates it."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from sync.errors import BookError

# The benchmark's 1,000,000-row Time tab is 342 MB of sheet XML deflated 10.3 times (XlsxWriter);
# sheet XML of identical rows, or of empty formatted rows, deflates 11 and 29 times at that size.
MAX_PART_BYTES = 1 << 30  # 1 GiB: three such Time tabs
MAX_PACKAGE_BYTES = 2 << 30  # every part together
RATIO_FROM_BYTES = 64 << 20  # a part this big or bigger ...
MAX_RATIO = 100  # ... may inflate at most this many times its deflated size (Apache POI's bound too)
_CHUNK = 1 << 20


def refuse_zip_bombs(package: bytes) -> None:
    """Raise SyncError, naming the part and its sizes, when the package's parts would inflate past
    the bounds above: from the sizes its zip directory declares, before anything inflates a part.

    fastexcel (0.21) and zipfile.read() inflate a part past the size its header declares (fastexcel
    to the end of the stream, zipfile up to 2 GiB before failing on the CRC; python-calamine 0.9
    stops there), so each deflated part is then inflated here once, a chunk at a time, and refused as
    soon as it passes its declared size: 0.5 s for the 1,000,000-row book's 356 MB of parts.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(package)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise BookError(f"not an .xlsx package ({exc})") from None
    for info in infos:
        name, size, deflated = info.filename, info.file_size, info.compress_size
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BookError(
                f"part {name} is compressed with method {info.compress_type}; an .xlsx package "
                "holds only stored or deflated parts"
            )
        if size > MAX_PART_BYTES:
            raise BookError(
                f"part {name} would inflate from {deflated:,} to {size:,} bytes, over the "
                f"{_units(MAX_PART_BYTES)} the sync allows a part (a zip bomb?)"
            )
        if size >= RATIO_FROM_BYTES and size > MAX_RATIO * deflated:
            raise BookError(
                f"part {name} would inflate {size // max(deflated, 1):,} times, from {deflated:,} to "
                f"{size:,} bytes; the sync allows parts of {_units(RATIO_FROM_BYTES)} or more "
                f"{MAX_RATIO} times (a zip bomb?)"
            )
    total = sum(info.file_size for info in infos)
    if total > MAX_PACKAGE_BYTES:
        raise BookError(
            f"its {len(infos)} parts would inflate to {total:,} bytes, over the "
            f"{_units(MAX_PACKAGE_BYTES)} the sync allows in all (a zip bomb?)"
        )
    source = memoryview(package)
    for info in infos:
        if info.compress_type == zipfile.ZIP_DEFLATED and _inflates_past(source, info):
            raise BookError(
                f"part {info.filename} inflates past the {info.file_size:,} bytes its zip header declares (a zip bomb?)"
            )


def _units(size: int) -> str:
    return f"{size >> 30} GiB" if size >= 1 << 30 else f"{size >> 20} MiB"


def _inflates_past(package: memoryview, info: zipfile.ZipInfo) -> bool:
    """Whether the part's deflate stream holds more than info.file_size bytes; memory stays a few MiB."""
    start = _data_offset(package, info)
    stream = package[start : start + info.compress_size]
    inflate, size = zlib.decompressobj(-15), 0
    try:
        for at in range(0, len(stream), _CHUNK):
            piece: bytes | memoryview = stream[at : at + _CHUNK]
            while piece and not inflate.eof:
                size += len(inflate.decompress(piece, _CHUNK))  # at most _CHUNK bytes out per call
                if size > info.file_size:
                    return True
                piece = inflate.unconsumed_tail
    except zlib.error as exc:
        raise BookError(f"damaged .xlsx package: part {info.filename} ({exc})") from None
    return False


def _data_offset(package: memoryview, info: zipfile.ZipInfo) -> int:
    """Where a part's stored bytes begin: after its local header, whose name and extra field may differ
    in length from the central directory's."""
    signature, name_length, extra_length = struct.unpack("<4s22xHH", package[info.header_offset :][:30])
    if signature != b"PK\x03\x04":
        raise BookError(f"damaged .xlsx package: bad local header for {info.filename}")
    return info.header_offset + 30 + name_length + extra_length
