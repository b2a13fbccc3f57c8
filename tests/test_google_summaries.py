"""Client summary spreadsheets on the Google path: one that cannot be written is that client's
warning and no one else's problem, a summary only ever goes into the sync's own spreadsheet for
that client, and `share` can never put a link in another client's row.

The real backend through unmodified gspread, against the emulator over HTTP.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sync.app import google_setup, pipeline
from sync.backends import ClientSummary
from sync.backends.google.http import connect
from sync.backends.google.summaries import MARK_CLIENT, MARK_TEAM, mark_requests
from sync.backends.memory import MemoryBook
from sync.config import Config
from sync.model.schema import CLIENT_TABS, LEGACY_CLIENT_TABS, SYNC_LOG
from sync.shape.dashboard import CHART_ROWS, WIDTHS, Dashboard, client_dashboard
from tests.books import AS_OF, CLIENTS, CONTRACTS, PAYMENTS, RATES, TIME
from tests.test_google import cli, contract_ids, google, run, team_tabs

LINK = "https://docs.google.com/spreadsheets/d/"


def team(emulator, links: dict[str, str]) -> tuple[str, dict[str, list[list]]]:
    """The small team spreadsheet, with the Summary Sheet of the clients named in `links` replaced."""
    tabs = team_tabs(emulator)
    for row in tabs["Clients"][1:]:
        row[3] = links.get(row[0], row[3])
    return emulator.create_spreadsheet("Team", tabs), tabs


def summary_warnings(result) -> dict[int, str]:
    found = result.problems[result.problems["Column"] == "Summary Sheet"]
    return dict(zip(found["Row"], found["Problem"]))


def log_results(emulator, spreadsheet) -> list[str]:
    return [row[-1] for row in emulator.values(spreadsheet, SYNC_LOG)[1:]]


def marks(emulator, spreadsheet) -> dict[str, str]:
    return {m["metadataKey"]: m["metadataValue"] for m in emulator.developer_metadata(spreadsheet)}


def batch_update(emulator, spreadsheet: str, requests: list[dict]) -> None:
    client, _ = connect(None, emulator.base_url)
    client.http_client.batch_update(spreadsheet, {"requests": requests})


@pytest.mark.parametrize("why", ["deleted", "not shared", "published"])
def test_a_summary_that_cannot_be_reached_is_that_clients_warning(emulator, why):
    if why == "deleted":
        gone = emulator.create_spreadsheet("Bolt summary")
        client, _ = connect(None, emulator.base_url)
        client.del_spreadsheet(gone)
        link = LINK + gone
    elif why == "not shared":
        link = LINK + emulator.create_spreadsheet("Bolt's private", owner="someone@else.example")
    else:
        link = LINK + "e/2PACX-1vQ" + "x" * 80 + "/pubhtml"
    spreadsheet, tabs = team(emulator, {"C-2": link})
    result = run(google(emulator, spreadsheet))
    assert result.exit_code == 1 and result.unwritten == ["C-2"]
    (problem,) = summary_warnings(result).values()
    assert problem.endswith("; summary not written")
    assert {
        "deleted": "does not exist or is not shared",
        "not shared": "does not exist or is not shared",
        "published": "'Publish to web' link",
    }[why] in problem
    acme = tabs["Clients"][1][3]
    assert contract_ids(emulator, acme) == {"K-1", "K-3"}  # the other client is written
    errors = emulator.values(spreadsheet, "Errors")
    assert ["Clients", 3, "Summary Sheet", link, problem, "warning"] in errors
    assert log_results(emulator, spreadsheet) == ["1 client summary not written"]


def test_a_503_on_one_clients_write_is_that_clients_warning_and_logged_once(emulator):
    spreadsheet, tabs = team(emulator, {})
    acme, bolt = (row[3] for row in tabs["Clients"][1:])
    emulator.faults.fail(503, times=1000, method="POST", route="/v4/spreadsheets/{id}:batchUpdate", file=acme)
    result = run(google(emulator, spreadsheet))
    emulator.faults.clear()
    assert result.exit_code == 1 and result.unwritten == ["C-1"] and result.late_error == ""
    assert "Google answered 503" in summary_warnings(result)[2]
    assert contract_ids(emulator, bolt) == {"K-2"}
    assert [row[:3] for row in emulator.values(spreadsheet, "Errors")[1:]] == [["Clients", 2, "Summary Sheet"]]
    assert log_results(emulator, spreadsheet) == ["1 client summary not written"]
    again = run(google(emulator, spreadsheet))  # the next night, the fault gone
    assert again.exit_code == 0 and contract_ids(emulator, acme) == {"K-1", "K-3"}
    assert log_results(emulator, spreadsheet) == ["ok", "1 client summary not written"]


def test_another_clients_summary_is_never_given_these_figures(emulator):
    spreadsheet, tabs = team(emulator, {})
    assert run(google(emulator, spreadsheet)).exit_code == 0
    acme = tabs["Clients"][1][3]
    assert marks(emulator, acme) == {MARK_CLIENT: "C-1", MARK_TEAM: spreadsheet}
    before = emulator.values(acme, "Summary")
    links = {"C-1": "", "C-2": LINK + acme}  # Bolt's row links Acme's summary
    moved = emulator.create_spreadsheet(
        "Team", {**tabs, "Clients": [tabs["Clients"][0]] + [row[:3] + [links[row[0]]] for row in tabs["Clients"][1:]]}
    )
    batch_update(
        emulator,
        acme,
        [
            {
                "updateDeveloperMetadata": {
                    "dataFilters": [{"developerMetadataLookup": {"metadataKey": MARK_TEAM}}],
                    "developerMetadata": {"metadataValue": moved},
                    "fields": "metadataValue",
                }
            }
        ],
    )  # as if this team's own
    result = run(google(emulator, moved))
    assert "is the summary of client C-1, not of C-2" in summary_warnings(result)[3] and "C-2" in result.unwritten
    assert emulator.values(acme, "Summary") == before


def test_another_teams_summary_and_someones_own_spreadsheet_are_never_written(emulator):
    theirs = emulator.create_spreadsheet("Their figures", {"Notes": [["Keep"], ["this"]], "Sheet2": [["x"]]})
    other_team = emulator.create_spreadsheet("Other team's summary")
    batch_update(emulator, other_team, mark_requests("C-1", "1" + "x" * 43))
    spreadsheet, _ = team(emulator, {"C-1": LINK + other_team, "C-2": theirs})
    before = [
        emulator.sheet_properties(theirs),
        emulator.values(theirs, "Notes"),
        emulator.sheet_properties(other_team),
    ]
    result = run(google(emulator, spreadsheet))
    warnings = summary_warnings(result)
    assert result.unwritten == ["C-1", "C-2"]
    assert "of another team spreadsheet" in warnings[2] and "did not create" in warnings[3]
    assert [
        emulator.sheet_properties(theirs),
        emulator.values(theirs, "Notes"),
        emulator.sheet_properties(other_team),
    ] == before  # no tab deleted, nothing written


def test_a_summary_written_before_marks_is_taken_over_once(emulator):
    """As the sync wrote it before marks: the five client tabs (the Summary a table, with a chart
    beside it) and the sync's title. Taken over, it keeps every tab that run; marked, it is the
    sync's own, and loses the Periods tab a client without a retainer has no use for."""
    old_summary = [list(CLIENT_TABS["Summary"]), ["K-1", "Care plan", "USD", 1000, 670.99, 329.01]]
    acme = emulator.create_spreadsheet(
        "Acme Ltd - contract summary",
        {name: old_summary if name == "Summary" else [list(CLIENT_TABS[name])] for name in LEGACY_CLIENT_TABS},
    )
    anchor = {"sheetId": 0, "rowIndex": 1, "columnIndex": 16}
    old_chart = {"spec": {"title": "Balance by month"}, "position": {"overlayPosition": {"anchorCell": anchor}}}
    batch_update(emulator, acme, [{"addChart": {"chart": old_chart}}])
    (old_id,) = [chart["chartId"] for chart in emulator.charts(acme)]
    spreadsheet, _ = team(emulator, {"C-1": LINK + acme})
    assert run(google(emulator, spreadsheet)).exit_code == 0  # its five tabs and its title: the sync's
    assert marks(emulator, acme) == {MARK_CLIENT: "C-1", MARK_TEAM: spreadsheet}
    assert [p["title"] for p in emulator.sheet_properties(acme)] == list(LEGACY_CLIENT_TABS)  # none lost
    summary = emulator.values(acme, "Summary")
    assert summary[0][0] == "Acme Ltd"  # the dashboard, where the old table was
    assert not {"K-1", "USD", 670.99} & {value for row in summary for value in row}
    assert [chart["chartId"] != old_id for chart in emulator.charts(acme)] == [True]
    assert run(google(emulator, spreadsheet)).exit_code == 0
    assert [p["title"] for p in emulator.sheet_properties(acme)] == ["Summary", "Activity", "Payments", "Statement"]


def test_share_puts_each_link_in_its_clients_row_as_the_tab_is_when_it_writes(emulator, monkeypatch):
    spreadsheet = emulator.create_spreadsheet(
        "Team",
        {
            "Clients": [CLIENTS[0], ["C-1", "Acme Ltd", "ops@acme.example", ""], ["C-2", "Bolt Bakery", "", ""]],
            "Contracts": CONTRACTS,
            "Time": TIME,
            "Payments": PAYMENTS,
        },
    )
    share = google_setup._share

    def a_row_is_inserted_meanwhile(sheet, location, emails, config):
        if not getattr(a_row_is_inserted_meanwhile, "done", False):
            a_row_is_inserted_meanwhile.done = True
            client, _ = connect(None, emulator.base_url)
            client.open_by_key(spreadsheet).worksheet("Clients").insert_row(["C-0", "Early Co", "", ""], 2)
        return share(sheet, location, emails, config)

    monkeypatch.setattr(google_setup, "_share", a_row_is_inserted_meanwhile)
    sheet = google(emulator, spreadsheet)
    google_setup.share_summaries(sheet, Config())
    rows = emulator.values(spreadsheet, "Clients")
    by_id = {row[0]: (row + [""] * 4)[3] for row in rows[1:]}
    assert by_id["C-0"] == ""  # the inserted row took no link
    for client_id in ("C-1", "C-2"):
        created = by_id[client_id].removeprefix(LINK)
        assert marks(emulator, created) == {MARK_CLIENT: client_id, MARK_TEAM: spreadsheet}
    assert sheet.lease is None and "Sync Lock" in [p["title"] for p in emulator.sheet_properties(spreadsheet)]


def test_a_link_moved_to_another_row_anyway_is_refused_by_the_run(emulator):
    spreadsheet = emulator.create_spreadsheet(
        "Team",
        {
            "Clients": [CLIENTS[0], ["C-1", "Acme Ltd", "ops@acme.example", ""], ["C-2", "Bolt Bakery", "", ""]],
            "Contracts": CONTRACTS,
            "Time": TIME,
            "Payments": PAYMENTS,
        },
    )
    google_setup.share_summaries(google(emulator, spreadsheet), Config())
    client, _ = connect(None, emulator.base_url)
    clients = client.open_by_key(spreadsheet).worksheet("Clients")
    acme, bolt = clients.acell("D2").value, clients.acell("D3").value
    clients.update([[bolt], [acme]], "D2:D3")  # someone swaps the two links
    result = run(google(emulator, spreadsheet))
    assert sorted(result.unwritten) == ["C-1", "C-2"]
    assert all("not of" in problem for problem in summary_warnings(result).values())
    for created in (acme, bolt):
        assert [p["title"] for p in emulator.sheet_properties(created.removeprefix(LINK))] == ["Sheet1"]


def test_share_waits_for_a_running_sync(emulator):
    spreadsheet = emulator.create_spreadsheet(
        "Team",
        {
            "Clients": [CLIENTS[0], ["C-1", "Acme Ltd", "ops@acme.example", ""]],
            "Contracts": CONTRACTS,
            "Time": TIME,
            "Payments": PAYMENTS,
        },
    )
    with google(emulator, spreadsheet).lock(0):
        done = cli("share", "--sheet", spreadsheet, "--api-url", emulator.base_url, env={"SYNC_LOCK_WAIT": "0"})
    assert done.returncode == 3 and "another sync" in done.stderr, done.stderr
    assert emulator.values(spreadsheet, "Clients")[1][3:] in ([], [""])  # nothing created, nothing linked


def test_a_spreadsheet_id_in_a_published_link_is_never_read_as_e():
    from sync.backends.google.cells import spreadsheet_id

    assert spreadsheet_id(LINK + "e/2PACX-1vQabc/pubhtml") is None
    assert spreadsheet_id(LINK + "1" + "a" * 43 + "/edit#gid=0") == "1" + "a" * 43


def test_when_google_fails_client_after_client_the_others_are_not_tried(emulator):
    clients = [CLIENTS[0]] + [[f"C-{i}", f"Client {i}", f"c{i}@example.com", ""] for i in range(1, 5)]
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator, clients=clients))
    emulator.faults.fail(503, times=10_000, route="/drive/v3/files/{id}/permissions")
    emulator.reset_counts()
    result = run(google(emulator, spreadsheet))
    emulator.faults.clear()
    assert result.exit_code == 1 and result.unwritten == ["C-1", "C-2", "C-3", "C-4"]
    problems = list(summary_warnings(result).values())
    assert all("Google answered 503" in problem for problem in problems[:2])
    assert all(problem.startswith("not tried: Google failed for 2 clients in a row") for problem in problems[2:])
    tried = emulator.counts[("GET", "/drive/v3/files/{id}/permissions")]
    assert 2 <= tried < 2 * 50  # two clients' worth of retries, not four
    assert emulator.values(spreadsheet, "Balances")[1][0] == "C-1"  # the team's tabs are written all the same


# --- the Summary tab as the client's dashboard ------------------------------------------------

EPOCH = dt.date(1899, 12, 30)
SHEET_FIELDS = (
    "sheets(properties(title,gridProperties),merges,charts,"
    "data(rowData(values(userEnteredFormat)),rowMetadata(pixelSize),columnMetadata(pixelSize)))"
)


def client_tables() -> dict[str, dict]:
    """Each client's tables as a run makes them (Acme: two contracts, Bolt: one), by Client ID."""
    book = MemoryBook({"Clients": CLIENTS, "Contracts": CONTRACTS, "Rates": RATES, "Time": TIME, "Payments": PAYMENTS})
    assert pipeline.run(book, Config(), AS_OF).exit_code == 0
    return {location.removeprefix("clients/"): tables for location, tables in book.summaries.items()}


def expected_values(board: Dashboard) -> dict[tuple[int, int], object]:
    """Each non-blank cell of the dashboard and its chart's figures, as the values API gives it back."""

    def read_back(value: object) -> object:
        if isinstance(value, dt.date):
            return (value - EPOCH).days
        return float(value) if isinstance(value, Decimal) else value

    cells = {(cell.row, cell.col): read_back(cell.value) for cell in board.cells}
    chart = board.chart
    if chart is not None:
        cells[chart.data_row, chart.data_col] = "Balance by month"
        rows = [["Month", *chart.names], *chart.rows]
        for r, row in enumerate(rows, start=chart.data_row + 1):
            cells.update({(r, c): read_back(v) for c, v in enumerate(row, start=chart.data_col) if v is not None})
    return {at: value for at, value in cells.items() if value != ""}


def written_values(emulator, location: str) -> dict[tuple[int, int], object]:
    rows = emulator.values(location, "Summary")
    return {(r, c): value for r, row in enumerate(rows) for c, value in enumerate(row) if value != ""}


def summary_sheet(emulator, location: str) -> dict:
    client, _ = connect(None, emulator.base_url)
    meta = client.http_client.fetch_sheet_metadata(location, params={"ranges": "Summary", "fields": SHEET_FIELDS})
    (sheet,) = meta["sheets"]
    return sheet


def write(emulator, team_id: str, location: str, tables: dict, board: Dashboard) -> dict[str, str]:
    summary = ClientSummary(location, "C-1", "Acme Ltd - contract summary", tables, board)
    return google(emulator, team_id).write_client_summaries([summary]).failed


def drawn_area(board: Dashboard) -> set[tuple[int, int]]:
    """The cells the dashboard's cells cover (each merge whole), and the chart's data block."""
    last = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in board.merges}
    area = {
        (r, c)
        for cell in board.cells
        for r in range(cell.row, last.get((cell.row, cell.col), (cell.row, cell.col))[0] + 1)
        for c in range(cell.col, last.get((cell.row, cell.col), (cell.row, cell.col))[1] + 1)
    }
    chart = board.chart
    if chart is not None:
        rows = range(chart.data_row, chart.data_row + 2 + len(chart.rows))
        area |= {(r, c) for r in rows for c in range(chart.data_col, chart.data_col + 1 + len(chart.names))}
    return area


def assert_drawn(emulator, location: str, board: Dashboard) -> None:
    """The Summary tab holds the dashboard's cells, and nothing else; its merges, sizes and chart."""
    assert written_values(emulator, location) == expected_values(board)
    sheet = summary_sheet(emulator, location)
    merges = [
        (m["startRowIndex"], m["startColumnIndex"], m["endRowIndex"] - 1, m["endColumnIndex"] - 1)
        for m in sheet["merges"]
    ]
    assert sorted(merges) == sorted(board.merges)
    (data,) = sheet["data"]
    formatted = {
        (r, c) for r, row in enumerate(data["rowData"]) for c, cell in enumerate(row.get("values", [])) if cell
    }
    assert formatted <= drawn_area(board) and {(cell.row, cell.col) for cell in board.cells} <= formatted
    assert [c["pixelSize"] for c in data["columnMetadata"][:5]] == [int(width * 7 + 5) for width in WIDTHS]
    heights = [row["pixelSize"] for row in data["rowMetadata"]]
    assert heights == [round(board.heights[r] * 4 / 3) if r in board.heights else 21 for r in range(len(heights))]
    assert sheet["properties"]["gridProperties"].get("hideGridlines") is True
    assert sheet["properties"]["gridProperties"].get("frozenRowCount", 0) == 0
    (chart,) = sheet["charts"]
    overlay = chart["position"]["overlayPosition"]
    assert (overlay["anchorCell"]["rowIndex"], overlay["anchorCell"].get("columnIndex", 0)) == (board.chart.top, 0)
    assert (overlay["widthPixels"], overlay["heightPixels"]) == (sum(int(w * 7 + 5) for w in WIDTHS), CHART_ROWS * 20)
    lines = chart["spec"]["basicChart"]
    assert (lines["chartType"], lines["headerCount"], len(lines["series"])) == ("LINE", 1, len(board.chart.names))
    sources = [line["series"]["sourceRange"]["sources"][0] for line in lines["series"]]
    headers = [(source["startRowIndex"], source["startColumnIndex"]) for source in sources]
    assert [written_values(emulator, location)[at] for at in headers] == board.chart.names  # the legend's names


def test_the_summary_tab_is_the_clients_dashboard(emulator):
    tables = client_tables()["C-1"]
    board = client_dashboard("Acme Ltd", tables, "Agency & Co")
    acme = emulator.create_spreadsheet("Acme summary")
    assert write(emulator, emulator.create_spreadsheet("Team"), acme, tables, board) == {}
    assert_drawn(emulator, acme, board)
    assert written_values(emulator, acme)[0, 0] == "Agency & Co"
    title = emulator.cell(acme, "Summary", "A2")
    text = title["userEnteredFormat"]["textFormat"]
    assert title["userEnteredValue"] == {"stringValue": "Acme Ltd"}
    assert (text["bold"], text["fontSize"]) == (True, 20)
    assert text["foregroundColor"] == {"red": 0.12156863, "green": 0.21960784, "blue": 0.39215687}  # #1F3864
    (amount,) = [c for c in board.cells if c.kind == "money" and c.style == "number"]
    look = emulator.cell(acme, "Summary", f"{'ABCDE'[amount.col]}{amount.row + 1}")["userEnteredFormat"]
    assert look["numberFormat"] == {"type": "NUMBER", "pattern": '"$"#,##0.00'}
    total = emulator.cell(acme, "Summary", f"A{amount.row + 2}")
    assert total["userEnteredValue"] == {"stringValue": "Total"}
    assert total["userEnteredFormat"]["borders"] == {"top": {"style": "SOLID"}}
    assert [p["title"] for p in emulator.sheet_properties(acme)] == ["Summary", "Activity", "Payments", "Statement"]


def test_a_summary_redrawn_with_fewer_then_more_contracts_keeps_nothing_stale(emulator):
    tables = client_tables()
    team_id, acme = emulator.create_spreadsheet("Team"), emulator.create_spreadsheet("Acme summary")
    for client_id in ("C-1", "C-2", "C-1"):  # two contracts, one, two again
        board = client_dashboard("Acme Ltd", tables[client_id])
        emulator.reset_counts()
        assert write(emulator, team_id, acme, tables[client_id], board) == {}
        if client_id == "C-2":  # marked now: the metadata, the batchUpdate, the values
            assert sum(emulator.counts.values()) == 3, emulator.counts
        assert_drawn(emulator, acme, board)


def test_money_on_the_tables_is_in_the_clients_currency_and_totals_are_bold(emulator):
    spreadsheet, tabs = team(emulator, {})
    assert run(google(emulator, spreadsheet)).exit_code == 0
    for row, currency in ((tabs["Clients"][1], '"$"#,##0.00'), (tabs["Clients"][2], '"€"#,##0.00')):
        activity = emulator.values(row[3], "Activity")
        amount = "ABCDEFG"[activity[0].index("Amount")]
        total = next(r for r, cells in enumerate(activity, start=1) if "Total" in cells)
        first, last = (emulator.cell(row[3], "Activity", f"{amount}{r}")["userEnteredFormat"] for r in (2, total))
        assert first["numberFormat"] == last["numberFormat"] == {"type": "NUMBER", "pattern": currency}
        assert (first["textFormat"].get("bold", False), last["textFormat"]["bold"]) == (False, True)


def test_a_periods_tab_only_while_the_client_has_a_retainer(emulator):
    tabs = team_tabs(emulator)
    retainer = ["Period", "Included Hours", "Fee"]
    tabs["Contracts"] = [CONTRACTS[0] + retainer] + [
        row + (["monthly", "5", "500"] if row[0] == "K-1" else [""] * len(retainer)) for row in CONTRACTS[1:]
    ]
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    acme, bolt = (row[3] for row in tabs["Clients"][1:])
    assert run(google(emulator, spreadsheet)).exit_code == 0
    assert [p["title"] for p in emulator.sheet_properties(acme)] == [
        "Summary",
        "Activity",
        "Payments",
        "Statement",
        "Periods",
    ]
    assert {row[0] for row in emulator.values(acme, "Periods")[1:]} == {"K-1"}
    assert [p["title"] for p in emulator.sheet_properties(bolt)] == ["Summary", "Activity", "Payments", "Statement"]
    client, _ = connect(None, emulator.base_url)
    contracts = client.open_by_key(spreadsheet).worksheet("Contracts")
    contracts.clear()
    contracts.update(CONTRACTS, "A1")  # the retainer is over
    assert run(google(emulator, spreadsheet)).exit_code == 0
    assert [p["title"] for p in emulator.sheet_properties(acme)] == ["Summary", "Activity", "Payments", "Statement"]
