"""Client summary workbooks beside a local team workbook: a summary can only ever replace that
client's own summary, and one that cannot be written is that client's warning, not the night's.

Through the pipeline, and `python -m sync run` where the exit code and what is printed matter.
"""

from __future__ import annotations

import errno
import os
import zipfile
from pathlib import Path

import pytest

from sync.backends.xlsx import client_book
from sync.backends.xlsx.marks import MARK_BOOK, MARK_CLIENT, custom_properties
from sync.backends.xlsx.package import Package
from sync.backends.xlsx.summaries import file_name
from tests.books import CONTRACTS
from tests.test_cli import sync_cli
from tests.test_local_book import (
    AS_OF,
    clients_with,
    errors_tab,
    log_results,
    read_tabs,
    run,
    summary_contracts,
    write_team_book,
)


@pytest.fixture
def team(tmp_path) -> Path:
    """The team workbook, in a folder of its own."""
    (tmp_path / "team").mkdir()
    return write_team_book(tmp_path / "team" / "team.xlsx")


def warnings(team: Path) -> dict[int, tuple[str, str]]:
    """Clients row -> (Summary Sheet, problem) of each summary warning on the Errors tab."""
    return {row[1]: (row[3], row[4]) for row in errors_tab(team) if row[2] == "Summary Sheet"}


def properties(path: Path) -> dict[str, str]:
    package = Package(path.read_bytes())
    return custom_properties(lambda name: package.read(part) if (part := package.find(name)) else None)


def test_a_summary_sheet_outside_the_team_folder_never_replaces_that_file(team):
    other = team.parent.parent / "teamB.xlsx"
    other.write_bytes(b"another team's workbook")
    write_team_book(team, Clients=clients_with("../teamB.xlsx", "/etc/passwd.xlsx"))
    result = run(team)
    assert result.exit_code == 1 and result.unwritten == ["C-1", "C-2"]
    assert warnings(team) == {
        2: ("../teamB.xlsx", "is outside the team workbook's folder; summary not written"),
        3: ("/etc/passwd.xlsx", "is outside the team workbook's folder; summary not written"),
    }
    assert other.read_bytes() == b"another team's workbook"
    assert log_results(team) == ["2 client summaries not written"]


@pytest.mark.parametrize("blank", [True, False])
def test_a_symlink_to_the_team_workbook_is_never_a_summary(team, blank):
    (team.parent / "clients").mkdir()
    (team.parent / "clients" / "C-1.xlsx").symlink_to(team)
    write_team_book(team, Clients=clients_with("" if blank else "clients/C-1.xlsx", ""))
    before = read_tabs(team)["Time"]
    result = run(team)
    assert result.unwritten == ["C-1"]
    assert warnings(team)[2][1] == "is the team workbook itself; summary not written"
    assert read_tabs(team)["Time"] == before and "Clients" in read_tabs(team)  # the input tabs are all there


def test_a_symlink_leading_out_of_the_folder_is_refused(team, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (team.parent / "clients").symlink_to(outside)
    result = run(team)
    assert sorted(result.unwritten) == ["C-1", "C-2"]
    assert list(outside.iterdir()) == []


def test_a_folder_a_too_long_id_and_a_full_disk_each_stop_one_summary_only(team, monkeypatch):
    (team.parent / "folder.xlsx").mkdir()
    long_id = "C-" + "9" * 300
    clients = clients_with("folder.xlsx", "") + [[long_id, "Long Id Co", "", ""]]
    write_team_book(team, Clients=clients, Contracts=[*CONTRACTS, ["K-9", long_id, "Plan", "USD", "100"]])
    write_book = client_book._write_book

    def disk_full_for_bolt(handle, tables, title, fast, mark, *rest):
        if mark[MARK_CLIENT] == "C-2":
            raise OSError(errno.ENOSPC, "No space left on device")
        write_book(handle, tables, title, fast, mark, *rest)

    monkeypatch.setattr(client_book, "_write_book", disk_full_for_bolt)
    result = run(team)
    assert result.exit_code == 1 and sorted(result.unwritten) == ["C-1", "C-2"] and result.late_error == ""
    assert warnings(team) == {
        2: ("folder.xlsx", "is a folder, not a file; summary not written"),
        3: ("", "cannot be written (No space left on device); summary not written"),
    }
    long_file = team.parent / "clients" / file_name(long_id)
    assert len(long_file.name) < 255 and read_tabs(long_file)["Summary"][3][:2] == [
        "Plan",
        "",
    ]  # K-9's name heads its figures
    assert properties(long_file)[MARK_CLIENT].startswith("sha256:")  # a property keeps 255 characters
    assert [p.name for p in (team.parent / "clients").iterdir()] == [long_file.name]  # no temporary file left
    assert log_results(team) == ["2 client summaries not written"]


def test_the_cli_says_so_and_exits_1_even_when_quiet(team):
    write_team_book(team, Clients=clients_with("../out.xlsx", ""))
    done = sync_cli("run", "--book", str(team), "--as-of", str(AS_OF), "--quiet", cwd=team.parent)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "see the Errors tab" in done.stdout  # --quiet speaks when something needs attention


def test_another_clients_and_another_teams_summaries_are_never_replaced(team, tmp_path):
    assert run(team).exit_code == 0
    acme = team.parent / "clients" / "C-1.xlsx"
    assert properties(acme)[MARK_CLIENT] == "C-1" and properties(acme)[MARK_BOOK] == properties(team)[MARK_BOOK]
    write_team_book(team, Clients=clients_with("", "clients/C-1.xlsx"))  # Bolt's row names Acme's file
    result = run(team)
    assert warnings(team)[3][1].startswith("is also the summary of Clients row 2")  # Acme's own row comes first
    acme_bytes = acme.read_bytes()
    write_team_book(team, Clients=[clients_with("", "")[0], clients_with("", "clients/C-1.xlsx")[2]])
    result = run(team)  # now only Bolt names it
    assert result.unwritten == ["C-2"] and "is the summary of client C-1, not of C-2" in warnings(team)[2][1]
    assert acme.read_bytes() == acme_bytes

    (tmp_path / "other").mkdir()
    other_team = write_team_book(tmp_path / "other" / "team.xlsx")
    run(other_team)
    theirs = other_team.parent / "clients" / "C-1.xlsx"
    (team.parent / "clients" / "C-1.xlsx").write_bytes(theirs.read_bytes())  # copied in from another team
    write_team_book(team)
    result = run(team)
    assert result.unwritten == ["C-1"] and "another team workbook" in warnings(team)[2][1]
    assert acme.read_bytes() == theirs.read_bytes()


def test_a_file_of_someone_elses_is_never_replaced_but_an_empty_one_is_taken(team):
    clients = team.parent / "clients"
    clients.mkdir()
    notes = write_team_book(team.parent / "notes.xlsx").read_bytes()  # a workbook of the team's own
    (clients / "C-1.xlsx").write_bytes(notes)
    (clients / "C-2.xlsx").write_bytes(b"")  # made to receive the summary
    result = run(team)
    assert result.unwritten == ["C-1"] and "did not write" in warnings(team)[2][1]
    assert (clients / "C-1.xlsx").read_bytes() == notes
    assert summary_contracts(clients / "C-2.xlsx") == ["K-2"]


def test_a_summary_written_before_marks_is_taken_over_once(team):
    assert run(team).exit_code == 0
    acme = team.parent / "clients" / "C-1.xlsx"
    # What the sync wrote before it marked its summaries: the five client tabs, Periods always among them.
    client_book.write_client_workbook(
        acme, {"Periods": client_book._table({}, "Periods")}, "Acme Ltd - contract summary"
    )
    assert MARK_CLIENT not in properties(acme)  # digests, but no mark
    assert run(team).exit_code == 0
    assert properties(acme)[MARK_CLIENT] == "C-1"


def test_summaries_may_go_to_the_summary_folder(team, tmp_path):
    folder = tmp_path / "shared" / "summaries"
    folder.mkdir(parents=True)
    write_team_book(team, Clients=clients_with("", str(folder / "bolt.xlsx")))
    done = sync_cli(
        "run", "--book", str(team), "--as-of", str(AS_OF), cwd=team.parent, env={"SYNC_SUMMARY_FOLDER": str(folder)}
    )
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(folder)) == ["C-1.xlsx", "bolt.xlsx"]
    assert not (team.parent / "clients").exists()


def test_a_huge_workbook_in_a_summarys_place_is_refused_without_reading_it_all(team):
    clients = team.parent / "clients"
    clients.mkdir()
    with zipfile.ZipFile(clients / "C-1.xlsx", "w", zipfile.ZIP_DEFLATED) as bomb:  # 256 MB of sheet XML
        bomb.writestr("xl/worksheets/sheet1.xml", b"<sheetData>" + b" " * (256 << 20) + b"</sheetData>")
    assert (clients / "C-1.xlsx").stat().st_size < 1 << 20
    result = run(team)
    assert result.unwritten == ["C-1"] and "did not write" in warnings(team)[2][1]


def test_the_team_workbook_is_the_same_book_written_anew_moved_or_renamed(team, tmp_path):
    assert run(team).exit_code == 0
    assert properties(team)[MARK_BOOK] == "team/team.xlsx"
    write_team_book(team)  # a script writes it anew: no properties, the same place
    assert run(team).exit_code == 0 and properties(team)[MARK_BOOK] == "team/team.xlsx"
    moved = tmp_path / "moved"
    team.parent.rename(moved)
    (moved / "team.xlsx").rename(moved / "ledger 2026.xlsx")
    assert run(moved / "ledger 2026.xlsx").exit_code == 0  # it carries its property along
    beside = write_team_book(moved / "team-b.xlsx")  # another team's book in the same folder
    result = run(beside)
    assert sorted(result.unwritten) == ["C-1", "C-2"]
    assert "this workbook's 'moved/team-b.xlsx'" in warnings(beside)[2][1]
