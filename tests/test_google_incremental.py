"""Client summaries on Google cost what changed: a write recorded in Sync State lets the next run
send no metadata read, no batchUpdate while the layout is the same, and only the changed row
blocks of values; nothing at all for a summary that did not change. A deleted tab is recovered in
the same run, a record never lets a summary go where its mark was not checked, and what an
incremental run leaves is what a full run leaves.

The real backend through unmodified gspread, against the emulator over HTTP; the requests are
seen on the wire (a response hook on the backend's session), each with the file it names.
"""

from __future__ import annotations

import json
import re

from sync.backends.google.batch import BLOCK_ROWS
from sync.backends.google.http import connect
from sync.backends.google.summaries import Recorded
from sync.errors import GoogleAccessError
from sync.model.schema import SYNC_STATE
from sync.shape.state import SUMMARY
from tests.test_google import contract_ids, google, run, team_tabs
from tests.test_google_summaries import LINK, batch_update, summary_warnings

_FILE = re.compile(r"/(?:spreadsheets|files)/([A-Za-z0-9_-]{20,})")
GRID_FIELDS = (
    "properties.title,sheets(properties(title,gridProperties),merges,charts(spec,position),"
    "data(rowData(values(userEnteredValue,userEnteredFormat)),rowMetadata(pixelSize),columnMetadata(pixelSize)))"
)


class Wire:
    """Every request a backend sends, as (method, what, file ID, JSON body): `what` is the URL
    after the file's ID (`:batchUpdate`, `values:batchUpdate`, `permissions`; `metadata` for none)."""

    def __init__(self, backend) -> None:
        self.sent: list[tuple[str, str, str, dict]] = []
        backend.http.session.hooks["response"].append(self._seen)

    def _seen(self, response, *args, **kwargs) -> None:
        request = response.request
        path = request.path_url.split("?")[0]
        found = _FILE.search(path)
        body = json.loads(request.body) if request.body else {}
        what = (path[found.end() :].lstrip("/") or "metadata") if found else path
        self.sent.append((request.method, what, found.group(1) if found else "", body))

    def to(self, file_id: str) -> list[tuple[str, str]]:
        """The (method, what) of each request naming this file."""
        return [(method, what) for method, what, found, _ in self.sent if found == file_id]

    def sheets_requests(self, file_id: str) -> list[tuple[str, str]]:
        """Those of the Sheets API (the Drive permissions list at plan time is outside its quota)."""
        return [(method, what) for method, what in self.to(file_id) if what != "permissions"]

    def values_written(self, file_id: str) -> list[str]:
        """The ranges of each values:batchUpdate to this file."""
        return [
            entry["range"]
            for method, what, found, body in self.sent
            if found == file_id and what == "values:batchUpdate"
            for entry in body["data"]
        ]


def observed(emulator, spreadsheet) -> tuple[object, Wire]:
    backend = google(emulator, spreadsheet)
    return backend, Wire(backend)


def drawn(emulator, location: str) -> dict:
    """What a client sees of a spreadsheet: each tab's values, formats, sizes, merges and chart
    (the chart's ID aside, which every redraw changes)."""
    client, _ = connect(None, emulator.base_url)
    meta = client.http_client.fetch_sheet_metadata(location, params={"includeGridData": "true", "fields": GRID_FIELDS})
    for sheet in meta["sheets"]:
        for chart in sheet.get("charts", []):
            chart.pop("chartId", None)
    return meta


def update_cells(emulator, spreadsheet: str, tab: str, cell: str, rows: list[list]) -> None:
    client, _ = connect(None, emulator.base_url)
    client.open_by_key(spreadsheet).worksheet(tab).update(rows, cell)


def forget_records(emulator, spreadsheet: str) -> None:
    """The Sync State without its summary rows: the next run writes every summary as a first run does."""
    rows = emulator.values(spreadsheet, SYNC_STATE)
    kept = [rows[0]] + [row for row in rows[1:] if row[1] != SUMMARY]
    client, _ = connect(None, emulator.base_url)
    tab = client.open_by_key(spreadsheet).worksheet(SYNC_STATE)
    tab.clear()
    tab.update(kept, "A1")


def summary_records(emulator, spreadsheet: str) -> dict[str, dict]:
    return {row[0]: json.loads(row[5]) for row in emulator.values(spreadsheet, SYNC_STATE)[1:] if row[1] == SUMMARY}


def small_team(emulator) -> tuple[str, str, str]:
    tabs = team_tabs(emulator)
    acme, bolt = (row[3] for row in tabs["Clients"][1:])
    return emulator.create_spreadsheet("Team", tabs), acme, bolt


def test_the_first_run_records_each_summary_and_a_second_run_sends_nothing_to_them(emulator):
    spreadsheet, acme, bolt = small_team(emulator)
    assert run(google(emulator, spreadsheet)).exit_code == 0
    records = summary_records(emulator, spreadsheet)
    assert set(records) == {"C-1", "C-2"}
    assert (records["C-1"]["spreadsheet"], records["C-1"]["team"]) == (acme, spreadsheet)
    assert Recorded.of(json.dumps(records["C-1"]), acme, spreadsheet) is not None
    state_before = emulator.values(spreadsheet, SYNC_STATE)
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0
    for summary in (acme, bolt):
        assert wire.sheets_requests(summary) == []  # no read, no write
        assert wire.to(summary) == [("GET", "permissions")]  # the plan's audit, a Drive request
    team_writes = [r for r in wire.to(spreadsheet) if r[0] != "GET" and r[1] != "values:batchGet"]
    # the team's tabs with the records in flight (pending), then Sync State again confirming them
    assert team_writes == [("POST", ":batchUpdate"), ("POST", "values:batchUpdate")] * 2
    assert emulator.values(spreadsheet, SYNC_STATE) == state_before


def test_records_a_run_could_not_confirm_are_not_trusted(emulator, monkeypatch):
    """A run whose last write (the Sync State confirming its records) fails leaves its records in
    flight: the next run does not trust them, so a summary whose figures went back to what an older
    record describes is written again, never left showing the failed run's figures."""
    spreadsheet, acme, _ = small_team(emulator)
    assert run(google(emulator, spreadsheet)).exit_code == 0
    first = drawn(emulator, acme)
    update_cells(emulator, spreadsheet, "Time", "F4", [["1.5"]])  # K-1's Backups: 0.5 hours, now 1.5
    backend = google(emulator, spreadsheet)
    writes = []
    real_write = backend.write_tabs

    def write_tabs(tables, hidden=frozenset()):
        writes.append(sorted(tables))
        if len(writes) > 1:  # the last write of the run: Google fails for good
            raise GoogleAccessError("Google Sheets is unavailable (503)")
        return real_write(tables, hidden)

    monkeypatch.setattr(backend, "write_tabs", write_tabs)
    result = run(backend)
    assert result.late_error and result.exit_code == 1
    assert drawn(emulator, acme) != first  # the summary shows 1.5 hours
    assert {row[2] for row in emulator.values(spreadsheet, SYNC_STATE)[1:] if row[1] == SUMMARY} == {"pending"}
    update_cells(emulator, spreadsheet, "Time", "F4", [["0.5"]])  # back to what the first run's record says
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0
    assert wire.sheets_requests(acme)[0] == ("GET", "metadata")  # not trusted: the full path
    assert drawn(emulator, acme) == first
    assert {row[2] for row in emulator.values(spreadsheet, SYNC_STATE)[1:] if row[1] == SUMMARY} == {"sent"}


def test_a_changed_time_row_sends_only_that_clients_changed_values(emulator):
    spreadsheet, acme, bolt = small_team(emulator)
    assert run(google(emulator, spreadsheet)).exit_code == 0
    payments_before = emulator.values(acme, "Payments")
    update_cells(emulator, spreadsheet, "Time", "F4", [["1.5"]])  # K-1's Backups: 0.5 hours, now 1.5
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0
    assert wire.sheets_requests(bolt) == []
    assert wire.sheets_requests(acme) == [("POST", "values:batchUpdate")]  # no metadata read, no batchUpdate
    written = wire.values_written(acme)
    assert written  # only blocks that changed (and each tab's first, so a deleted tab is noticed)
    assert all(re.fullmatch(r"'[A-Za-z]+'!A\d+", r) for r in written)
    assert "'Payments'!A1" in written and not [
        r for r in written if r.startswith("'Payments'!") and r != "'Payments'!A1"
    ]
    assert emulator.values(acme, "Payments") == payments_before
    hours = [row for row in emulator.values(acme, "Activity") if "Backups" in row]
    assert len(hours) == 1 and 1.5 in hours[0]
    team_writes = [r for r in wire.to(spreadsheet) if r[1] in (":batchUpdate", "values:batchUpdate")]
    assert len(team_writes) == 2 + 2  # the team's tabs, then Sync State again with the new record
    incremental = drawn(emulator, acme)
    forget_records(emulator, spreadsheet)
    assert run(google(emulator, spreadsheet)).exit_code == 0  # a full write of the same figures
    assert drawn(emulator, acme) == incremental


def test_a_grown_tab_is_redrawn_without_a_read_and_equals_a_full_write(emulator):
    spreadsheet, acme, bolt = small_team(emulator)
    assert run(google(emulator, spreadsheet)).exit_code == 0
    new_rows = [["2026-06-2" + str(day), "Ann", "K-1", f"Task {day}", "", "1", "", ""] for day in range(1, 9)]
    update_cells(emulator, spreadsheet, "Time", "A8", new_rows)
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0
    assert wire.sheets_requests(acme) == [("POST", ":batchUpdate"), ("POST", "values:batchUpdate")]
    assert wire.sheets_requests(bolt) == []
    incremental = {location: drawn(emulator, location) for location in (acme, bolt)}
    forget_records(emulator, spreadsheet)
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0
    assert wire.sheets_requests(acme)[0] == ("GET", "metadata")  # the full path: its metadata read first
    assert {location: drawn(emulator, location) for location in (acme, bolt)} == incremental


def test_a_deleted_tab_is_drawn_again_in_the_same_run(emulator):
    spreadsheet, acme, _ = small_team(emulator)
    assert run(google(emulator, spreadsheet)).exit_code == 0
    full = drawn(emulator, acme)
    (payments,) = [p["sheetId"] for p in emulator.sheet_properties(acme) if p["title"] == "Payments"]
    batch_update(emulator, acme, [{"deleteSheet": {"sheetId": payments}}])
    update_cells(emulator, spreadsheet, "Time", "F4", [["1.5"]])
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0
    assert wire.sheets_requests(acme) == [
        ("POST", "values:batchUpdate"),  # refused: 'Payments' is gone
        ("GET", "metadata"),
        ("POST", ":batchUpdate"),
        ("POST", "values:batchUpdate"),
    ]
    assert [p["title"] for p in emulator.sheet_properties(acme)] == ["Summary", "Activity", "Statement", "Payments"]
    assert drawn(emulator, acme)["sheets"][3]["data"] == full["sheets"][2]["data"]  # Payments, whole again
    assert "Payments" in summary_records(emulator, spreadsheet)["C-1"]["tabs"]
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0 and wire.sheets_requests(acme) == []  # recorded again


def test_a_record_never_sends_a_summary_where_its_mark_was_not_checked(emulator):
    """Summary Sheet cells swapped between runs: each record names the spreadsheet it was made for,
    so both clients go through the metadata read, and each is refused the other's spreadsheet."""
    spreadsheet, acme, bolt = small_team(emulator)
    assert run(google(emulator, spreadsheet)).exit_code == 0
    acme_before, bolt_before = emulator.values(acme, "Activity"), emulator.values(bolt, "Activity")
    update_cells(emulator, spreadsheet, "Clients", "D2", [[LINK + bolt], [LINK + acme]])
    backend, wire = observed(emulator, spreadsheet)
    result = run(backend)
    assert result.exit_code == 1 and sorted(result.unwritten) == ["C-1", "C-2"]
    for location in (acme, bolt):
        assert ("GET", "metadata") in wire.sheets_requests(location)  # the mark read, as on a first write
        assert not [r for r in wire.sheets_requests(location) if r[0] == "POST"]
    assert all("never given another client's figures" in problem for problem in summary_warnings(result).values())
    assert emulator.values(acme, "Activity") == acme_before and emulator.values(bolt, "Activity") == bolt_before
    assert contract_ids(emulator, acme) == {"K-1", "K-3"} and contract_ids(emulator, bolt) == {"K-2"}
    assert summary_records(emulator, spreadsheet) == {}  # unwritten: the next write reads first


def test_a_copied_team_spreadsheet_does_not_inherit_the_records(emulator):
    """A copy of the team spreadsheet (its Sync State with it) is another team: its records name the
    original, so its run reads the marks and writes nothing of the original's summaries."""
    tabs = team_tabs(emulator)
    acme = tabs["Clients"][1][3]
    original = emulator.create_spreadsheet("Team", tabs)
    assert run(google(emulator, original)).exit_code == 0
    before = drawn(emulator, acme)
    copy = emulator.create_spreadsheet("Team (copy)", {**tabs, SYNC_STATE: emulator.values(original, SYNC_STATE)})
    backend, wire = observed(emulator, copy)
    result = run(backend)
    assert result.exit_code == 1 and sorted(result.unwritten) == ["C-1", "C-2"]
    assert all("of another team spreadsheet" in problem for problem in summary_warnings(result).values())
    assert not [r for r in wire.sheets_requests(acme) if r[0] == "POST"]
    assert drawn(emulator, acme) == before


def test_a_record_that_cannot_be_read_means_a_full_write(emulator):
    spreadsheet, acme, _ = small_team(emulator)
    assert run(google(emulator, spreadsheet)).exit_code == 0
    rows = emulator.values(spreadsheet, SYNC_STATE)
    at = next(i for i, row in enumerate(rows, start=1) if row[:2] == ["C-1", SUMMARY])
    update_cells(emulator, spreadsheet, SYNC_STATE, f"F{at}", [['{"spreadsheet": "cut sho']])
    backend, wire = observed(emulator, spreadsheet)
    assert run(backend).exit_code == 0
    assert wire.sheets_requests(acme) == [("GET", "metadata"), ("POST", ":batchUpdate"), ("POST", "values:batchUpdate")]
    assert summary_records(emulator, spreadsheet)["C-1"]["spreadsheet"] == acme


def test_block_rows_keep_a_big_tab_to_a_bounded_record():
    from sync.backends.google.batch import MAX_BLOCKS, changed_ranges, value_digests

    rows = [[n, f"row {n}"] for n in range(BLOCK_ROWS * MAX_BLOCKS * 3)]
    data = [{"range": "'Activity'!A1", "values": rows}]
    size, digests = value_digests(data)["'Activity'!A1"]
    assert size == BLOCK_ROWS * 4 and len(digests) == 8 * (len(rows) // size)
    rows[-1] = ["changed"]
    now = value_digests(data)
    ranges = changed_ranges(data, now, {"'Activity'!A1": [size, digests]})
    assert [r["range"] for r in ranges] == ["'Activity'!A1", f"'Activity'!A{len(rows) - size + 1}"]


def test_a_record_is_only_one_of_this_spreadsheet_and_team_and_whole():
    good = Recorded("S" * 44, "T" * 44, {"Summary": [5, 100, 26, [7]]}, "layout", {"'Summary'!A1": [16, "a" * 8]})
    assert Recorded.of(good.note(), "S" * 44, "T" * 44) == good
    assert Recorded.of(good.note(), "S" * 44, "U" * 44) is None  # a copy of the team spreadsheet
    assert Recorded.of(good.note(), "R" * 44, "T" * 44) is None  # the cell names another spreadsheet
    for broken in ("", "[]", '{"spreadsheet": 1}', good.note()[:-9], good.note().replace("[16,", '["16",')):
        assert Recorded.of(broken, "S" * 44, "T" * 44) is None
    assert Recorded.of(json.dumps({**good._asdict(), "tabs": []}), "S" * 44, "T" * 44) is None
