"""The local .xlsx writer loses nothing: input tabs, charts, images and comments survive."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import struct
import zipfile
import zlib
from decimal import Decimal
from functools import cache

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree
from python_calamine import CalamineWorkbook

from sync.backends.xlsx import package as xlsx_package
from sync.backends.xlsx.client_book import HEADER, QUOTED_HEADER, _Formats, _sheet_parts, fill_tab
from sync.backends.xlsx.marks import MARK_BOOK
from sync.backends.xlsx.package import Package, replace_sheets
from sync.backends.xlsx.sheet import encode_columns, team_cells
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.errors import SyncError
from sync.model.table import Table

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# XlsxWriter names parts in sheet order: Clients, Time, Balances.
BALANCES_PART = "xl/worksheets/sheet3.xml"
MAY_CHANGE = {
    BALANCES_PART,
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/styles.xml",
    "xl/calcChain.xml",
}


# --- building workbooks -------------------------------------------------------------


def tiny_png() -> bytes:
    """A valid 1x1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@cache
def team_book() -> bytes:
    """Input tabs with everything openpyxl would lose, plus a stale Balances tab."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    money = book.add_format({"num_format": "$#,##0.00", "bold": True, "bg_color": "#FFFF00"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})

    clients = book.add_worksheet("Clients")
    clients.write_row(0, 0, ["Client ID", "Name", "Rate", "Start", "Double"])
    clients.write_row(1, 0, ["C1", "Acme", 120.5])
    clients.write_datetime(1, 3, dt.datetime(2024, 1, 15), day)
    clients.write_formula(1, 4, "=C2*2", money, 241)
    clients.data_validation("B2:B10", {"validate": "list", "source": ["Acme", "Globex"]})
    clients.write_comment("A2", "our oldest client")

    time = book.add_worksheet("Time")
    time.write_row(0, 0, ["Date", "Hours"])
    for row, hours in enumerate([1.5, 2.0, 3.25], start=1):
        time.write_datetime(row, 0, dt.datetime(2024, 2, row), day)
        time.write_number(row, 1, hours)
    chart = book.add_chart({"type": "column"})
    chart.add_series({"categories": "=Time!$A$2:$A$4", "values": "=Time!$B$2:$B$4"})
    time.insert_chart("D2", chart)
    time.insert_image("D20", "dot.png", {"image_data": io.BytesIO(tiny_png())})

    balances = book.add_worksheet("Balances")
    for row in range(30):
        balances.write_row(row, 0, [f"old {row}", row, row * 2])
    balances.write_comment("A1", "a note on the old output")
    book.close()
    return out.getvalue()


def parts(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def with_calc_chain(package: bytes, entries: str) -> bytes:
    """Add the calcChain part Excel writes (XlsxWriter never does)."""
    old = parts(package)
    old["xl/calcChain.xml"] = f'<calcChain xmlns="{MAIN}">{entries}</calcChain>'.encode()
    old["xl/_rels/workbook.xml.rels"] = old["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>',
    )
    old["[Content_Types].xml"] = old["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in old.items():
            zf.writestr(name, data)
    return out.getvalue()


def output_tables() -> dict[str, Table]:
    balances = pd.DataFrame(
        {
            "Client ID": ["C1", "C2"],
            "Paid": [Decimal("1234.50"), Decimal("-75")],
            "Hours": [Decimal("12.25"), None],
            "Runs Out": [dt.date(2024, 3, 31), None],
            "Computed At": [dt.datetime(2024, 3, 1, 9, 30, 15), dt.datetime(2024, 3, 1, 9, 30, 15)],
            "Low": [True, False],
        }
    )
    errors = pd.DataFrame(
        {
            "Tab": ["Time", "Payments"],
            "Row": [7, 12],
            "Value": ['=IMPORTRANGE("x")', "bad\x01 <value> & more"],
            "Problem": ["not a date", "not money"],
        }
    )
    monthly = pd.DataFrame({"Contract ID": ["K1"], "Month": ["2024-03"], "Billed": [Decimal("1.500")]})
    return {
        "Balances": Table(
            balances,
            {
                "Client ID": "text",
                "Paid": "money",
                "Hours": "hours",
                "Runs Out": "date",
                "Computed At": "datetime",
                "Low": "bool",
            },
        ),
        "Monthly": Table(monthly, {"Contract ID": "text", "Month": "text", "Billed": "money"}),
        "Errors": Table(errors, {"Tab": "text", "Row": "int", "Value": "text", "Problem": "text"}),
    }


def read_back(package: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(package))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def cell_xfs(package: bytes) -> list[bytes]:
    styles = etree.fromstring(parts(package)["xl/styles.xml"])
    return [etree.tostring(xf) for xf in styles.find(f"{{{MAIN}}}cellXfs")]


# --- nothing is lost ---------------------------------------------------------------


@pytest.fixture(params=["replace_sheets", "LocalWorkbook"])
def written(request, tmp_path) -> bytes:
    """team_book() with the output tables written, in memory or through the file backend (without
    the book's mark: see test_the_file_backend_adds_only_the_books_mark)."""
    if request.param == "replace_sheets":
        return replace_sheets(team_book(), output_tables())
    path = tmp_path / "team.xlsx"
    path.write_bytes(team_book())
    LocalWorkbook(path).write_tabs(output_tables())
    package = Package(path.read_bytes())
    package.delete("docProps/custom.xml")
    for rel in package.rels(""):
        if rel.get("Target") == "docProps/custom.xml":
            package.rels("").remove(rel)
            package.touch("_rels/.rels")
    return package.to_bytes()


def test_the_file_backend_adds_only_the_books_mark(tmp_path):
    path = tmp_path / "team.xlsx"
    path.write_bytes(team_book())
    LocalWorkbook(path).write_tabs(output_tables())
    on_file, in_memory = parts(path.read_bytes()), parts(replace_sheets(team_book(), output_tables()))
    assert set(on_file) - set(in_memory) == {"docProps/custom.xml"}
    assert {name for name in in_memory if on_file[name] != in_memory[name]} == {"_rels/.rels", "[Content_Types].xml"}
    assert b"contract-sync book" in on_file["docProps/custom.xml"]


def test_every_input_part_is_byte_identical(written):
    before = parts(team_book())
    after = parts(written)
    # The stale Balances tab's comment parts were used by nothing else.
    stale = set(re.findall(r'Target="\.\./([^"]+)"', before["xl/worksheets/_rels/sheet3.xml.rels"].decode()))
    stale = {"xl/" + target for target in stale} | {"xl/worksheets/_rels/sheet3.xml.rels"}
    assert stale and not stale & set(after)
    for name, data in before.items():
        if name not in MAY_CHANGE | stale:
            assert after[name] == data, name
    assert {"xl/charts/chart1.xml", "xl/media/image1.png", "xl/comments1.xml"} <= set(after)


def test_entry_order_is_kept_and_new_parts_come_last(written):
    before = list(parts(team_book()))
    after = list(parts(written))
    kept = [name for name in after if name in before]
    assert kept == [name for name in before if name in after]
    assert after[len(kept) :] == ["xl/worksheets/sheet4.xml", "xl/worksheets/sheet5.xml"]


def test_existing_cell_formats_keep_their_indexes(written):
    before = cell_xfs(team_book())
    after = cell_xfs(written)
    assert after[: len(before)] == before and len(after) > len(before)


def test_a_second_run_is_byte_identical():
    first = replace_sheets(team_book(), output_tables())
    assert replace_sheets(first, output_tables()) == first


# --- what the output tabs hold -------------------------------------------------------


def test_output_tabs_read_back_with_values_and_types():
    tabs = read_back(replace_sheets(team_book(), output_tables()))
    assert list(tabs) == ["Clients", "Time", "Balances", "Monthly", "Errors"]
    assert tabs["Balances"] == [
        ["Client ID", "Paid", "Hours", "Runs Out", "Computed At", "Low"],
        ["C1", 1234.5, 12.25, dt.date(2024, 3, 31), dt.datetime(2024, 3, 1, 9, 30, 15), True],
        ["C2", -75, "", "", dt.datetime(2024, 3, 1, 9, 30, 15), False],
    ]  # the 30 old rows are gone
    assert Decimal(repr(tabs["Monthly"][1][2])) == Decimal("1.500")
    assert tabs["Errors"][1:] == [
        ["Time", 7, '=IMPORTRANGE("x")', "not a date"],
        ["Payments", 12, "bad <value> & more", "not money"],
    ]
    assert tabs["Clients"][1][:3] == ["C1", "Acme", 120.5]


def test_text_is_never_a_formula():
    sheets = [
        data
        for name, data in parts(replace_sheets(team_book(), output_tables())).items()
        if name in ("xl/worksheets/sheet3.xml", "xl/worksheets/sheet5.xml")
    ]
    assert all(b"<f>" not in data and b"<f " not in data for data in sheets)


def test_openpyxl_sees_formats_and_the_input_tabs():
    book = openpyxl.load_workbook(io.BytesIO(replace_sheets(team_book(), output_tables())))
    balances = book["Balances"]
    assert [balances[ref].number_format for ref in ("B2", "C2", "D2", "E2")] == [
        "#,##0.00",
        "0.00",
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm:ss",
    ]
    assert balances["B3"].number_format == "#,##0"  # Decimal("-75") has no decimals
    assert book["Monthly"]["C2"].number_format == "#,##0.000"
    assert balances["A1"].font.b and balances.freeze_panes == "A2"
    assert balances.dimensions == "A1:F3"
    clients = book["Clients"]
    assert clients["E2"].value == "=C2*2" and clients["E2"].number_format == "$#,##0.00"
    assert clients.data_validations.dataValidation


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
@example("_x0041_ is not an A\r\n")
@example(" =SUM(A1) ")
@example("\x1f")
def test_any_text_reads_back_without_xml_illegal_characters(text):
    table = Table(pd.DataFrame({"Note": [text]}), {"Note": "text"})
    tabs = read_back(replace_sheets(minimal_book(), {"Errors": table}))
    legal = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)
    assert tabs["Errors"][1:] == ([[legal]] if legal else [])  # an empty text is a blank cell


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_money_reads_back_equal(amount):
    table = Table(pd.DataFrame({"Paid": [amount]}), {"Paid": "money"})
    tabs = read_back(replace_sheets(minimal_book(), {"Balances": table}))
    assert Decimal(repr(tabs["Balances"][1][0])) == amount


# --- the zip ---------------------------------------------------------------------------


def stored(package: bytes) -> dict[str, bytes]:
    """Each entry's bytes as the zip stores them (deflated)."""
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        found = {}
        for info in zf.infolist():
            name_length, extra_length = struct.unpack("<HH", package[info.header_offset + 26 : info.header_offset + 30])
            start = info.header_offset + 30 + name_length + extra_length
            found[info.filename] = package[start : start + info.compress_size]
        return found


def test_unchanged_parts_are_copied_as_stored_and_written_parts_deflated_fast():
    before, after = stored(team_book()), stored(replace_sheets(team_book(), output_tables()))
    unchanged = [name for name in before if name in after and name not in MAY_CHANGE]
    assert "xl/worksheets/sheet1.xml" in unchanged
    assert all(after[name] == before[name] for name in unchanged)
    content = parts(replace_sheets(team_book(), output_tables()))[BALANCES_PART]
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
    assert after[BALANCES_PART] == deflate.compress(content) + deflate.flush()


def test_zip64_fields_are_written_when_sizes_or_offsets_need_them(monkeypatch):
    normal = replace_sheets(team_book(), output_tables())
    monkeypatch.setattr(xlsx_package, "ZIP64_LIMIT", 64)  # every entry and offset "too large"
    wide = replace_sheets(team_book(), output_tables())
    assert b"PK\x06\x06" in wide and b"PK\x06\x06" not in normal  # the ZIP64 end of central directory
    with zipfile.ZipFile(io.BytesIO(wide)) as zf:
        assert zf.testzip() is None
    assert parts(wide) == parts(normal)
    assert read_back(wide) == read_back(normal)


def test_a_zip_written_with_data_descriptors_is_copied_right():
    class Unseekable(io.RawIOBase):  # zipfile then puts CRC and sizes after each entry's data
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk) -> int:
            self.data += chunk
            return len(chunk)

    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts(team_book()).items():
            zf.writestr(name, data)
    source = bytes(stream.data)
    assert all(info.flag_bits & 0x08 for info in zipfile.ZipFile(io.BytesIO(source)).infolist())
    result = replace_sheets(source, output_tables())
    with zipfile.ZipFile(io.BytesIO(result)) as zf:
        assert zf.testzip() is None
    assert parts(result) == parts(replace_sheets(team_book(), output_tables()))


def test_fill_tab_writes_a_tabs_header_and_rows_into_a_part_without_cells():
    """client_book.fill_tab: the rows of a tab XlsxWriter wrote without cells (header included, inline
    text), each style by the index XlsxWriter gave it; a tab with cells is refused."""
    table = Table(
        pd.DataFrame({"Note": ["x <y>", None, "z"], "Amount": [Decimal("1.50"), None, Decimal("-2")]}),
        {"Note": "text", "Amount": "money"},
    )
    columns = encode_columns(table, lambda kind: team_cells(kind, False))
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_worksheet("Notes")
    book.add_worksheet("Full").write_row(0, 0, ["a"])
    formats = _Formats(book)
    styles = {style for column in columns for style in column.cells.styles if style is not None}
    index = {style: formats.index(style) for style in sorted(styles | {HEADER, QUOTED_HEADER})}
    book.close()
    package = Package(out.getvalue())
    parts = _sheet_parts(package)
    package.put(parts["Notes"], fill_tab(package.read(parts["Notes"]), table, columns, index))
    filled = package.to_bytes()
    assert read_back(filled)["Notes"] == [["Note", "Amount"], ["x <y>", 1.5], ["", ""], ["z", -2]]
    sheet = openpyxl.load_workbook(io.BytesIO(filled))["Notes"]
    assert sheet.dimensions == "A1:B4" and sheet["B2"].number_format == "#,##0.00"
    with pytest.raises(ValueError, match="must have no cells"):
        fill_tab(package.read(parts["Full"]), table, columns, index)


# --- calcChain -----------------------------------------------------------------------


def test_calc_chain_loses_only_the_replaced_tabs_entries():
    # Clients is sheetId 1, Balances 3; an entry without i belongs to the previous one's sheet.
    book = with_calc_chain(team_book(), '<c r="E2" i="1"/><c r="B5" i="3"/><c r="B6"/>')
    chain = parts(replace_sheets(book, output_tables()))["xl/calcChain.xml"]
    assert re.findall(rb"<c [^>]*/>", chain) == [b'<c r="E2" i="1"/>']


def test_calc_chain_of_only_replaced_tabs_is_removed():
    book = with_calc_chain(team_book(), '<c r="B5" i="3"/><c r="B6"/>')
    after = parts(replace_sheets(book, output_tables()))
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"] + after["[Content_Types].xml"]


# --- other producers -----------------------------------------------------------------


@cache
def minimal_book() -> bytes:
    """openpyxl writes absolute rel targets and puts xmlns:r on each <sheet>."""
    book = openpyxl.Workbook()
    book.active.title = "Clients"
    book.active.append(["Client ID", "Name"])
    book.active.append(["C1", "Acme"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_tabs_are_added_to_an_openpyxl_workbook():
    before = parts(minimal_book())
    result = replace_sheets(minimal_book(), output_tables())
    after = parts(result)
    assert b"ns0" not in after["xl/workbook.xml"]
    assert after["xl/worksheets/sheet1.xml"] == before["xl/worksheets/sheet1.xml"]
    tabs = read_back(result)
    assert list(tabs) == ["Clients", "Balances", "Monthly", "Errors"]
    assert tabs["Clients"] == [["Client ID", "Name"], ["C1", "Acme"]]
    assert openpyxl.load_workbook(io.BytesIO(result))["Balances"]["B2"].number_format == "#,##0.00"
    assert replace_sheets(result, output_tables()) == result


def test_dates_follow_a_1904_workbook():
    book = openpyxl.Workbook()
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    out = io.BytesIO()
    book.save(out)
    tabs = read_back(replace_sheets(out.getvalue(), output_tables()))
    assert tabs["Balances"][1][3:5] == [dt.date(2024, 3, 31), dt.datetime(2024, 3, 1, 9, 30, 15)]


def test_tab_names_excel_would_reject_are_refused():
    table = output_tables()["Monthly"]
    with pytest.raises(ValueError):
        replace_sheets(minimal_book(), {"Monthly": table, "monthly ": table})
    with pytest.raises(ValueError):
        replace_sheets(minimal_book(), {"Month/Year": table})


def test_an_existing_tab_is_matched_ignoring_case_and_keeps_its_name():
    table = output_tables()["Monthly"]
    tabs = read_back(replace_sheets(minimal_book(), {"CLIENTS": table}))
    assert list(tabs) == ["Clients"] and tabs["Clients"][1] == ["K1", "2024-03", 1.5]


# --- the local file ------------------------------------------------------------------


@pytest.fixture
def book_path(tmp_path):
    path = tmp_path / "team.xlsx"
    path.write_bytes(team_book())
    path.chmod(0o640)
    return path


def test_read_tabs_matches_names_loosely_and_keeps_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "time "
    book.active["B3"] = "Date"  # rows 1-2 blank: list index must still be row - 1
    path = tmp_path / "t.xlsx"
    book.save(path)
    tabs = LocalWorkbook(path).read_tabs(["Time", "Payments"])
    assert tabs == {"Time": [["", ""], ["", ""], ["", "Date"]]}


def test_write_tabs_replaces_the_file_atomically(book_path):
    workbook = LocalWorkbook(book_path)
    assert workbook.read_tabs(["Clients"])["Clients"].rows()[1][:2] == ["C1", "Acme"]
    workbook.write_tabs(output_tables())
    assert parts(book_path.read_bytes()) == parts(
        replace_sheets(team_book(), output_tables(), properties={MARK_BOOK: workbook.book_id})
    )
    assert book_path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(book_path.parent) == ["team.xlsx"]
    workbook.write_tabs(output_tables())  # a second write in the same run sees its own file
    assert LocalWorkbook(book_path).read_tabs(["Errors"])["Errors"].rows()[2][0] == "Payments"


def test_write_without_read_reads_first(book_path):
    LocalWorkbook(book_path).write_tabs(output_tables())
    assert "Monthly" in read_back(book_path.read_bytes())


def test_a_file_changed_during_the_run_is_left_alone(book_path):
    workbook = LocalWorkbook(book_path)
    workbook.read_tabs(["Clients"])
    someone_elses_save = minimal_book()
    book_path.write_bytes(someone_elses_save)
    with pytest.raises(SyncError, match="changed on disk while the sync was running; nothing was written"):
        workbook.write_tabs(output_tables())
    assert book_path.read_bytes() == someone_elses_save
    assert os.listdir(book_path.parent) == ["team.xlsx"]


@pytest.mark.parametrize(
    "content", [b"", b"Client ID,Name\nC1,Acme\n", team_book()[:2000], b"PK\x03\x04" + b"\x00" * 100]
)
def test_an_unreadable_file_is_a_one_line_sync_error(tmp_path, content):
    path = tmp_path / "team.xlsx"
    path.write_bytes(content)
    with pytest.raises(SyncError, match="cannot read workbook") as caught:
        LocalWorkbook(path).read_tabs(["Clients"])
    assert "\n" not in str(caught.value)


def test_a_zip_that_is_not_a_workbook_cannot_be_written(tmp_path):
    path = tmp_path / "team.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes.txt", "hello")
    with pytest.raises(SyncError, match="cannot read workbook .*: it is a zip file without a workbook in it"):
        LocalWorkbook(path).write_tabs(output_tables())  # said before the write is tried (sync.backends.xlsx_file)
    assert parts(path.read_bytes()) == {"notes.txt": b"hello"}


def test_a_file_excel_holds_open_is_a_sync_error(book_path, monkeypatch):
    def refuse(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)  # what Windows does while Excel has the file open
    with pytest.raises(SyncError, match="cannot write workbook .*: Permission denied"):
        LocalWorkbook(book_path).write_tabs(output_tables())
    assert book_path.read_bytes() == team_book()
    assert os.listdir(book_path.parent) == ["team.xlsx"]


def test_a_missing_file_is_a_sync_error(tmp_path):
    with pytest.raises(SyncError, match="workbook not found"):
        LocalWorkbook(tmp_path / "nope.xlsx").read_tabs(["Clients"])
