"""Client summary spreadsheets on the Google path: one that cannot be written is that client's
warning and no one else's problem, a summary only ever goes into the sync's own spreadsheet for
that client, and `share` can never put a link in another client's row.

The real backend through unmodified gspread, against the emulator over HTTP.
"""

from __future__ import annotations

import pytest

from sync.app import google_setup
from sync.backends.google.http import connect
from sync.backends.google.summaries import MARK_CLIENT, MARK_TEAM, mark_requests
from sync.config import Config
from sync.model.schema import CLIENT_TABS, SYNC_LOG
from tests.books import CLIENTS, CONTRACTS, PAYMENTS, TIME
from tests.test_google import cli, google, run, team_tabs

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
    assert emulator.values(acme, "Summary")[1][0] == "K-1"  # the other client is written
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
    assert emulator.values(bolt, "Summary")[1][0] == "K-2"
    assert [row[:3] for row in emulator.values(spreadsheet, "Errors")[1:]] == [["Clients", 2, "Summary Sheet"]]
    assert log_results(emulator, spreadsheet) == ["1 client summary not written"]
    again = run(google(emulator, spreadsheet))  # the next night, the fault gone
    assert again.exit_code == 0 and emulator.values(acme, "Summary")[1][0] == "K-1"
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
    spreadsheet, tabs = team(emulator, {})
    assert run(google(emulator, spreadsheet)).exit_code == 0
    acme = tabs["Clients"][1][3]
    batch_update(
        emulator,
        acme,
        [
            {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataKey": key}}}}
            for key in (MARK_CLIENT, MARK_TEAM)
        ],
    )
    assert marks(emulator, acme) == {}
    assert run(google(emulator, spreadsheet)).exit_code == 0  # its five tabs and its title: the sync's
    assert marks(emulator, acme) == {MARK_CLIENT: "C-1", MARK_TEAM: spreadsheet}
    assert [p["title"] for p in emulator.sheet_properties(acme)] == list(CLIENT_TABS)


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
