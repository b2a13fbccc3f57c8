"""Local client summaries cost only what changed: a summary that holds what a run would write is left
as it is (same bytes, same modification time), and one whose Summary alone changed keeps its table
tabs' parts byte for byte (compressed bytes and CRC), yet reads and prints as a book written whole.
A file that is no longer as the sync wrote it is written whole.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sync.app import pipeline
from sync.app.sample import AGENCY, write_sample_book
from sync.backends.xlsx.client_book import write_client_workbook
from sync.backends.xlsx.marks import MARK_DIGEST, TAB_DIGEST
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.config import Config
from tests.books import TIME
from tests.test_client_book import TABLES
from tests.test_local_book import AS_OF, write_team_book
from tests.test_local_summaries import properties
from tests.test_render import convert, pages, rendering
from tests.test_xlsx_speed_equivalence import describe

TABLE_TABS = {"Activity": "xl/worksheets/sheet2.xml", "Payments": "xl/worksheets/sheet3.xml"}


def run(team: Path, as_of: dt.date) -> pipeline.RunResult:
    result = pipeline.run(LocalWorkbook(team), Config(agency_name=AGENCY), as_of)
    assert not result.unwritten and not result.late_error  # the sample book warns of a future date the day before
    return result


def stored(path: Path) -> dict[str, tuple[int, bytes]]:
    """Each part as stored in the zip: its CRC and its compressed bytes, read from its local header."""
    data = path.read_bytes()
    parts = {}
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            name_length, extra_length = struct.unpack("<26xHH", data[info.header_offset : info.header_offset + 30])
            start = info.header_offset + 30 + name_length + extra_length
            parts[info.filename] = (info.CRC, data[start : start + info.compress_size])
    return parts


def state(path: Path) -> tuple[bytes, int, int]:
    status = path.stat()
    return path.read_bytes(), status.st_mtime_ns, status.st_ino


@pytest.fixture
def team(tmp_path) -> Path:
    (tmp_path / "team").mkdir()
    return write_team_book(tmp_path / "team" / "team.xlsx")


def whole(team: Path, as_of: dt.date, folder: Path) -> Path:
    """The same team book run once, at `as_of`, in another folder: its summaries written whole."""
    folder.mkdir()
    shutil.copy(team, folder / team.name)
    run(folder / team.name, as_of)
    return folder / "clients"


def test_a_run_with_nothing_new_leaves_every_summary_as_it_was(team):
    run(team, AS_OF)
    summaries = sorted((team.parent / "clients").iterdir())
    before = [state(path) for path in summaries]
    run(team, AS_OF)
    assert [state(path) for path in summaries] == before  # same bytes, same mtime, not even replaced


def test_a_summary_left_as_it_was_loses_what_a_killed_run_left_beside_it(team):
    run(team, AS_OF)
    acme = team.parent / "clients" / "C-1.xlsx"
    before, temp = state(acme), acme.with_name(f".{acme.name}.0badc0de.tmp")
    temp.write_bytes(b"half a book")
    run(team, AS_OF)
    assert state(acme) == before and not temp.exists()


def test_a_new_as_of_date_keeps_the_table_tabs_parts_byte_for_byte(team, tmp_path):
    run(team, AS_OF - dt.timedelta(days=1))  # the 29th, then the 30th: no new month on any tab
    acme = team.parent / "clients" / "C-1.xlsx"
    before = stored(acme)
    run(team, AS_OF)
    after = stored(acme)
    assert after["xl/worksheets/sheet1.xml"] != before["xl/worksheets/sheet1.xml"]  # the Summary's as-of date
    for tab in ("Activity", "Payments", "Statement"):
        part = f"xl/worksheets/sheet{2 + ['Activity', 'Payments', 'Statement'].index(tab)}.xml"
        assert after[part] == before[part], tab
    assert describe(acme) == describe(whole(team, AS_OF, tmp_path / "whole") / "C-1.xlsx")


def test_only_the_client_with_new_rows_is_written_and_its_unchanged_tabs_are_kept(team, tmp_path):
    run(team, AS_OF)
    acme, bolt = team.parent / "clients" / "C-1.xlsx", team.parent / "clients" / "C-2.xlsx"
    acme_before, bolt_before = state(acme), stored(bolt)
    write_team_book(team, Time=[*TIME, ["2026-06-20", "Cy", "K-2", "Menu fix", "", "1", "", ""]])
    run(team, AS_OF)
    assert state(acme) == acme_before
    after = stored(bolt)
    assert after["xl/worksheets/sheet2.xml"] != bolt_before["xl/worksheets/sheet2.xml"]  # Activity has the row
    assert after["xl/worksheets/sheet3.xml"] == bolt_before["xl/worksheets/sheet3.xml"]  # Payments did not change
    assert describe(bolt) == describe(whole(team, AS_OF, tmp_path / "whole") / "C-2.xlsx")


def test_a_summary_saved_by_someone_else_is_written_whole(team, tmp_path):
    run(team, AS_OF)
    acme = team.parent / "clients" / "C-1.xlsx"
    book = openpyxl.load_workbook(acme)  # as a person's spreadsheet program saves it: the marks stay
    book["Activity"]["C2"] = "edited by hand"
    book.save(acme)
    assert properties(acme)[MARK_DIGEST]  # its digests still claim the sync's content
    run(team, AS_OF)  # the same day: yet the file is not as the sync wrote it
    fresh = whole(team, AS_OF, tmp_path / "whole") / "C-1.xlsx"
    assert describe(acme) == describe(fresh)
    mine, theirs = stored(acme), stored(fresh)
    assert set(mine) == set(theirs)  # no part of openpyxl's left
    assert all(mine[part][0] == theirs[part][0] for part in mine if part.startswith("xl/worksheets/"))


def test_a_tab_part_changed_in_place_is_never_kept(tmp_path):
    path = tmp_path / "C-1.xlsx"
    write_client_workbook(path, TABLES, "Acme Ltd - contract summary")
    with zipfile.ZipFile(path) as package:
        parts = {info: package.read(info) for info in package.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:  # same properties, one part edited
        for info, data in parts.items():
            package.writestr(
                info, data.replace(b"K-001", b"K-666") if info.filename == TABLE_TABS["Activity"] else data
            )
    assert write_client_workbook(path, TABLES, "Acme Ltd - contract summary")  # written, though nothing changed
    with zipfile.ZipFile(path) as package:
        assert b"K-666" not in package.read(TABLE_TABS["Activity"])


def test_a_tab_with_money_of_many_places_is_never_kept(tmp_path):
    """Money of over four places has a style made after the usual ones, whose index may move: no digest."""
    from decimal import Decimal

    from sync.model.table import Table

    payments = TABLES["Payments"].frame.copy()
    payments.iloc[0, payments.columns.get_loc("Amount")] = Decimal("1.234567")
    tables = {**TABLES, "Payments": Table(payments, TABLES["Payments"].kinds, TABLES["Payments"].footer)}
    path = tmp_path / "C-1.xlsx"
    write_client_workbook(path, tables, "Acme Ltd - contract summary")
    recorded = properties(path)
    assert TAB_DIGEST + "Payments" not in recorded and TAB_DIGEST + "Activity" in recorded
    assert openpyxl.load_workbook(path)["Payments"]["C2"].number_format == "#,##0.000000"


@rendering
def test_a_book_with_kept_tabs_prints_as_one_written_whole(tmp_path):
    """LibreOffice prints a book whose table tabs were kept from the day before as it prints one written whole."""
    as_of = dt.date(2026, 12, 5)
    teams = {folder: tmp_path / folder / "ledger.xlsx" for folder in ("kept", "whole")}
    for team in teams.values():
        team.parent.mkdir()
        write_sample_book(team, as_of)
    run(teams["kept"], as_of - dt.timedelta(days=1))
    clients = sorted((tmp_path / "kept" / "clients").iterdir())
    before = {path.name: stored(path) for path in clients}
    run(teams["kept"], as_of)
    run(teams["whole"], as_of)
    activity = "xl/worksheets/sheet2.xml"
    assert [p.name for p in clients if stored(p)[activity] == before[p.name][activity]]  # some Activity was kept
    for folder in ("kept", "whole"):
        convert(sorted((tmp_path / folder / "clients").iterdir()), tmp_path / folder / "pdf")
    for path in clients:
        kept, whole = (pages(tmp_path / folder / "pdf" / f"{path.stem}.pdf") for folder in ("kept", "whole"))
        assert kept == whole, path.stem
