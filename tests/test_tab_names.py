"""Two tabs whose names differ only in capitals or edge spaces ('Time', 'Time '): every backend
stops before writing anything, naming both, instead of reading one and dropping the other's rows."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from sync.app import pipeline
from sync.backends.xlsx.package import replace_sheets
from sync.backends.xlsx.read import read_tabs
from sync.config import Config
from sync.errors import SyncError
from sync.model.schema import ERRORS_COLUMNS, find_tabs, tab_key
from tests.books import AS_OF, TIME, small_book
from tests.test_cli import assert_one_line_error, fingerprint, sync_cli, write_book
from tests.test_google import google, team_tabs
from tests.test_xlsx_package import minimal_book, output_tables

OLD_TIME = [TIME[0], ["2025-01-05", "Ann", "K-1", "Forgotten copy", "", "1", "", ""]]
ERRORS = [["Tab", "Row", "Column", "Value", "Problem", "Severity"], ["Time", "3", "Date", "x", "old", "error"]]


def test_tab_names_match_ignoring_capitals_and_edge_spaces_only():
    assert tab_key(" Time ") == tab_key("TIME") == "time"
    assert tab_key("Sync_Log") != tab_key("Sync Log") != tab_key("Sync  Log")  # unlike column headers


def test_the_message_names_every_tab_of_every_clash():
    with pytest.raises(SyncError) as caught:
        find_tabs(["Time", "Errors", " time", "Clients", "errors", "TIME "], ["Time", "Clients"])
    assert str(caught.value) == (
        "the workbook has 3 tabs named like 'Time': 'Time', ' time' and 'TIME ', and 2 tabs "
        "named like 'Errors': 'Errors' and 'errors'; rename or delete all but one of each"
    )
    assert find_tabs(["time ", "Notes", "notes"], ["Time", "Payments"]) == {"Time": "time "}  # not the sync's tabs


# --- in memory ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tabs, named",
    [
        ({"Time ": OLD_TIME}, "2 tabs named like 'Time': 'Time' and 'Time '"),
        ({"errors": ERRORS, "Errors": ERRORS}, "2 tabs named like 'Errors': 'errors' and 'Errors'"),
    ],
)
def test_memory_book_stops_before_writing(tabs, named):
    book = small_book(**tabs)
    with pytest.raises(SyncError, match=re.escape(named)):
        pipeline.run(book, Config(), AS_OF)
    assert book.outputs == {}
    with pytest.raises(SyncError, match=re.escape(named)):
        book.write_tabs({"Sync Log": output_tables()["Errors"]})


def test_in_memory_an_output_takes_the_place_of_the_tab_it_matches():
    book = small_book(errors=ERRORS)
    for _ in range(2):  # the second run reads what the first wrote: still one Errors tab
        pipeline.run(book, Config(), AS_OF)
    errors = book.read_tabs(["Errors"])["Errors"]
    assert errors[0] == list(ERRORS_COLUMNS) and ERRORS[1] not in errors


# --- the local workbook ------------------------------------------------------------------


def renamed(path: Path, old: str, new: str) -> Path:
    """The workbook with tab `old` renamed `new` in workbook.xml: XlsxWriter, like Excel, refuses a
    name that differs from another only in capitals, but other programs write such books."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
            target.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize(
    "extra, rename, named",
    [
        ({"Time ": OLD_TIME}, None, ["'Time'", "'Time '"]),
        ({"Errors": ERRORS, "Errorz": ERRORS}, ("Errorz", "errors"), ["'Errors'", "'errors'"]),
    ],
)
def test_local_workbook_stops_with_exit_2_and_is_not_changed(tmp_path, extra, rename, named):
    path = write_book(tmp_path / "team.xlsx", **extra)
    if rename:
        renamed(path, *rename)
    before = fingerprint(tmp_path)
    done = sync_cli("run", "--book", "team.xlsx", cwd=tmp_path)
    assert_one_line_error(done, "2 tabs named like", *named, "rename or delete all but one")
    assert fingerprint(tmp_path) == before  # no output tab, no Sync Log row, no client summary


def test_the_xlsx_reader_and_writer_refuse_too(tmp_path):
    path = tmp_path / "book.xlsx"
    errors = output_tables()["Errors"]
    path.write_bytes(replace_sheets(minimal_book(), {"Errors": errors, "Errorz": errors}))
    package = renamed(path, "Errorz", "errors ").read_bytes()
    for attempt in (lambda: read_tabs(package, ["Clients"]), lambda: replace_sheets(package, {"Errors": errors})):
        with pytest.raises(SyncError, match="the workbook has 2 tabs named like 'Errors': 'Errors' and 'errors '"):
            attempt()


# --- Google ------------------------------------------------------------------------------

WRITES = [
    ("POST", "/v4/spreadsheets/{id}:batchUpdate"),
    ("POST", "/v4/spreadsheets/{id}/values:batchUpdate"),
    ("PUT", "/v4/spreadsheets/{id}/values/{range}"),
]


# Google itself refuses two tab names that differ only in capitals, so the output clash is 'Errors '.
@pytest.mark.parametrize(
    "extra, named",
    [
        ({"Time ": OLD_TIME}, "2 tabs named like 'Time': 'Time' and 'Time '"),
        ({"Errors": ERRORS, "Errors ": ERRORS}, "2 tabs named like 'Errors': 'Errors' and 'Errors '"),
    ],
)
def test_google_sheet_stops_before_writing(emulator, extra, named):
    spreadsheet = emulator.create_spreadsheet("Team", {**team_tabs(emulator), **extra})
    tabs_before = emulator.sheet_properties(spreadsheet)
    emulator.reset_counts()
    backend = google(emulator, spreadsheet)
    with pytest.raises(SyncError, match=re.escape(f"spreadsheet {spreadsheet} has {named}")):
        pipeline.run(backend, Config(), AS_OF)  # which also tries to log the failure in the Sync Log
    assert not [route for route in WRITES if emulator.counts[route]], dict(emulator.counts)
    with pytest.raises(SyncError, match=re.escape(named)):  # a write without a read before it
        backend.write_tabs({"Errors": output_tables()["Errors"]})
    assert not [route for route in WRITES if emulator.counts[route]], dict(emulator.counts)
    assert emulator.sheet_properties(spreadsheet) == tabs_before


def test_google_matches_tab_names_as_the_other_backends(emulator):
    """'Sync_Log' is a tab of the team's own, not the Sync Log (column headers fold '_', tab names do not)."""
    theirs = [["Note"], ["kept"]]
    spreadsheet = emulator.create_spreadsheet("Team", {**team_tabs(emulator), "Sync_Log": theirs})
    pipeline.run(google(emulator, spreadsheet), Config(), AS_OF)
    assert emulator.values(spreadsheet, "Sync_Log") == theirs
    assert emulator.values(spreadsheet, "Sync Log")[0][0] == "Started"
