"""The team workbook and the client files through the whole pipeline: the team's work is never
touched, a client sees only their own rows, and typed text never becomes a formula."""

from __future__ import annotations

import io
import os
import posixpath
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from lxml import etree
from python_calamine import CalamineWorkbook

from sync.app import pipeline
from sync.backends.xlsx import summaries as xlsx_summaries
from sync.backends.xlsx.marks import PROPERTY_FORMAT
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.config import Config
from sync.errors import SyncError
from tests.books import AS_OF, CLIENTS, CONTRACTS, EXPENSES, PAYMENTS, RATES, TIME
from tests.test_xlsx_package import parts, tiny_png

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OUTPUT_TABS = ("Dashboard", "Balances", "Monthly", "Periods", "Requests Summary", "Errors")
SYNC_LOG = "Sync Log"
# The first run also gives the book its `contract-sync book` property (the mark of its client summaries).
MAY_CHANGE = {
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/styles.xml",
    "xl/calcChain.xml",
    "_rels/.rels",
    "docProps/custom.xml",
}
# Every cell is written as typed text, as in tests/books.py: nothing becomes a formula or a number.
AS_TYPED = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
INPUT_TABS = {
    "Clients": CLIENTS,
    "Contracts": CONTRACTS,
    "Rates": RATES,
    "Time": TIME,
    "Payments": PAYMENTS,
    "Expenses": EXPENSES,
}
FORMULA_LIKE = ['=IMPORTRANGE("x","y")', "+1", "-2", "@SUM(A1)"]


def with_notes(rows: list[list[object]], notes: list[str]) -> list[list[object]]:
    """`rows` with the Notes column (the last) of each data row set from `notes`."""
    return [rows[0]] + [row[:-1] + [note] for row, note in zip(rows[1:], notes)]


# Every Notes cell distinct, so a leak of any one of them is found.
NOTES = {
    "Time": [
        "slow server",
        "night call-out, client furious",
        "done from home",
        "internal only",
        "Cy: banner font wrong again",
        "legacy mess",
    ],
    "Payments": ["paid late again", "bank fee deducted?", "final retainer cheque", "write-off agreed"],
    "Expenses": ["renewed on my own card", "should not bill this"],
}
SECRETS = {
    "C-1": [
        "C-1",
        "Acme Ltd",
        "ops@acme.example",
        "K-1",
        "K-3",
        "Care plan",
        "Old retainer",
        "Update plugins",
        "Outage",
        "Backups",
        "Old fix",
        "INV-1",
        "INV-0",
        "Domain renewal",
    ],
    "C-2": ["C-2", "Bolt Bakery", "bo@bolt.example", "K-2", "Support", "New banner", "INV-2"],
}
ALL_NOTES = [note for notes in NOTES.values() for note in notes]


# --- building and reading workbooks ----------------------------------------------------


def write_team_book(path: Path, **changes: list[list[object]] | None) -> Path:
    """The input tabs (keyword arguments replace or, with None, remove one) plus everything a team adds
    that openpyxl would lose: formats, a formula, a dropdown, a comment, a chart and an image."""
    tabs = {
        **INPUT_TABS,
        "Time": with_notes(TIME, NOTES["Time"]),
        "Payments": with_notes(PAYMENTS, NOTES["Payments"]),
        "Expenses": with_notes(EXPENSES, NOTES["Expenses"]),
        **changes,
    }
    book = xlsxwriter.Workbook(path, AS_TYPED)
    header = book.add_format({"bold": True, "bg_color": "#DDEEFF", "border": 1})
    shaded = book.add_format({"bg_color": "#FFFF00", "italic": True})
    money = book.add_format({"num_format": "$#,##0.00", "bold": True})
    sheets = {}
    for name, rows in tabs.items():
        if rows is None:
            continue
        sheet = sheets[name] = book.add_worksheet(name)
        sheet.write_row(0, 0, rows[0], header)
        for r, row in enumerate(rows[1:], start=1):
            for c, value in enumerate(row):
                if value != "":
                    sheet.write(r, c, value, shaded if c == 0 else None)
        sheet.set_column(0, len(rows[0]) - 1, 16)
        sheet.freeze_panes(1, 0)
    if "Contracts" in sheets:  # a formula in a column the sync does not read
        contracts = sheets["Contracts"]
        contracts.write_string(0, 10, "Day Rate", header)
        for row in range(1, len(tabs["Contracts"])):
            contracts.write_formula(row, 10, f"=VALUE(E{row + 1})*8", money, float(tabs["Contracts"][row][4]) * 8)
        chart = book.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": "Day rate",
                "categories": ["Contracts", 1, 0, len(tabs["Contracts"]) - 1, 0],
                "values": ["Contracts", 1, 10, len(tabs["Contracts"]) - 1, 10],
            }
        )
        contracts.insert_chart("M2", chart)
    if "Time" in sheets:
        sheets["Time"].data_validation("G2:G500", {"validate": "list", "source": ["Y", "N"]})
    if "Clients" in sheets:
        sheets["Clients"].write_comment("A2", "our oldest client; call before invoicing")
    if "Payments" in sheets:
        sheets["Payments"].insert_image("H2", "logo.png", {"image_data": io.BytesIO(tiny_png())})
    book.close()
    return path


def read_tabs(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def sheet_parts(package: bytes) -> dict[str, str]:
    """Tab name -> its worksheet part, from workbook.xml and its rels."""
    files = parts(package)
    rels = etree.fromstring(files["xl/_rels/workbook.xml.rels"])
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{{{PKG_REL}}}Relationship")}
    book = etree.fromstring(files["xl/workbook.xml"])
    found = {}
    for sheet in book.iter(f"{{{MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{REL}}}id")]
        found[sheet.get("name")] = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
    return found


def has_formula(xml: bytes) -> bool:
    return re.search(rb"<(?:\w+:)?f[\s>/]", xml) is not None


def run(path: Path) -> pipeline.RunResult:
    return pipeline.run(LocalWorkbook(path), Config(), AS_OF)


def summary_contracts(client_file: Path) -> list[str]:
    """The Contract IDs of a client file's Statement (its rows end at the blank row above the totals)."""
    ids: list[str] = []
    for row in read_tabs(client_file)["Statement"][1:]:
        if row[0] == "":
            break
        ids += [row[0]] if row[0] not in ids else []
    return ids


def errors_tab(path: Path) -> list[list]:
    return read_tabs(path)["Errors"][1:]


def assert_only_outputs_changed(original: bytes, path: Path) -> None:
    """Every part of `original` but the book-level ones keeps its exact content, and the input tabs their cells."""
    before, after = parts(original), parts(path.read_bytes())
    for name, data in before.items():
        if name not in MAY_CHANGE:
            assert name in after, name
            assert after[name] == data, name
    assert set(after) - set(before) <= {*sheet_parts(path.read_bytes()).values(), "docProps/custom.xml"} - set(before)
    old_tabs = read_tabs_bytes(original)
    new_tabs = read_tabs(path)
    assert list(new_tabs) == [*old_tabs, *OUTPUT_TABS, SYNC_LOG]
    for name, cells in old_tabs.items():
        assert new_tabs[name] == cells, name


def read_tabs_bytes(package: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(package))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


@pytest.fixture
def team(tmp_path) -> Path:
    return write_team_book(tmp_path / "team.xlsx")


# --- the team's work is never touched ----------------------------------------------------


def test_the_built_book_has_everything_to_lose(team):
    names = set(parts(team.read_bytes()))
    assert {"xl/charts/chart1.xml", "xl/media/image1.png", "xl/comments1.xml"} <= names
    contracts = openpyxl.load_workbook(team)["Contracts"]
    assert contracts["K2"].value == "=VALUE(E2)*8" and contracts["K2"].number_format == "$#,##0.00"


def test_input_parts_and_cells_survive_two_runs(team):
    original = team.read_bytes()
    assert run(team).exit_code == 0
    assert_only_outputs_changed(original, team)
    first = team.read_bytes()
    assert run(team).exit_code == 0
    assert_only_outputs_changed(original, team)
    # and the outputs of the second run replaced those of the first, in the same parts
    assert sheet_parts(team.read_bytes()) == sheet_parts(first)
    book = openpyxl.load_workbook(team)
    assert book["Contracts"]["K2"].value == "=VALUE(E2)*8"
    assert book["Time"].data_validations.dataValidation
    assert book["Clients"]["A2"].comment.text.startswith("our oldest client")


# --- a client sees only their own rows --------------------------------------------------


def xml_text(client_file: Path) -> str:
    """Every XML part's text, but the id every custom property carries (which holds 'C-1')."""
    return "\n".join(
        data.decode("utf-8").replace(PROPERTY_FORMAT, "")
        for name, data in parts(client_file.read_bytes()).items()
        if name.endswith((".xml", ".rels"))
    )


@pytest.mark.parametrize("client, other", [("C-1", "C-2"), ("C-2", "C-1")])
def test_a_client_file_holds_nothing_of_another_client_and_no_notes(team, client, other):
    run(team)
    client_file = team.parent / "clients" / f"{client}.xlsx"
    text = xml_text(client_file)
    assert SECRETS[client][0] in text or SECRETS[client][3] in text  # the search does see the content
    leaked = [secret for secret in SECRETS[other] + ALL_NOTES if secret in text]
    assert leaked == []


def test_each_summary_lists_exactly_its_contracts(team):
    run(team)
    assert summary_contracts(team.parent / "clients" / "C-1.xlsx") == ["K-1", "K-3"]
    assert summary_contracts(team.parent / "clients" / "C-2.xlsx") == ["K-2"]


# --- typed text stays text ---------------------------------------------------------------

FORMULA_TIME = TIME + [
    ["2026-03-0" + str(day), "Ann", "K-1", task, "", "1", "Y", ""] for day, task in enumerate(FORMULA_LIKE, start=2)
]
FORMULA_PAYMENTS = PAYMENTS + [[date, "K-1", "10", "", ""] for date in FORMULA_LIKE]  # bad dates: on Errors


def test_formula_like_text_stays_text_everywhere(tmp_path):
    team = write_team_book(tmp_path / "team.xlsx", Time=FORMULA_TIME, Payments=FORMULA_PAYMENTS)
    assert run(team).exit_code == 1

    client_file = tmp_path / "clients" / "C-1.xlsx"
    activity = openpyxl.load_workbook(client_file)["Activity"]
    task_column = [cell.value for cell in activity[1]].index("Task") + 1
    tasks = {
        cell.value: cell.data_type
        for cell in (activity.cell(row, task_column) for row in range(2, activity.max_row + 1))
    }
    assert {task: tasks.get(task) for task in FORMULA_LIKE} == dict.fromkeys(FORMULA_LIKE, "s")
    client_parts = parts(client_file.read_bytes())
    worksheets = [name for name in client_parts if name.startswith("xl/worksheets/") and name.endswith(".xml")]
    assert len(worksheets) == 4 and not any(has_formula(client_parts[name]) for name in worksheets)  # no retainer

    errors = [row for row in errors_tab(team) if row[0] == "Payments"]
    assert [row[3] for row in errors] == FORMULA_LIKE
    team_parts = parts(team.read_bytes())
    output_parts = [part for tab, part in sheet_parts(team.read_bytes()).items() if tab in OUTPUT_TABS]
    assert len(output_parts) == len(OUTPUT_TABS) and not any(has_formula(team_parts[part]) for part in output_parts)
    sheet = openpyxl.load_workbook(team)["Errors"]
    typed = {cell.value: cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row}
    assert {text: typed.get(text) for text in FORMULA_LIKE} == dict.fromkeys(FORMULA_LIKE, "s")


# --- where summaries go -----------------------------------------------------------------


def clients_with(*summary_sheets: str) -> list[list[object]]:
    return [CLIENTS[0]] + [row[:3] + [target] for row, target in zip(CLIENTS[1:], summary_sheets)]


def test_a_relative_summary_sheet_is_beside_the_team_workbook(tmp_path, monkeypatch):
    (tmp_path / "team").mkdir()
    write_team_book(tmp_path / "team" / "book.xlsx", Clients=clients_with("summaries/acme.xlsx", ""))
    monkeypatch.chdir(tmp_path)  # the book is given as a relative path from elsewhere
    result = pipeline.run(LocalWorkbook(Path("team/book.xlsx")), Config(), AS_OF)
    assert result.exit_code == 0 and len(result.problems) == 0
    assert summary_contracts(tmp_path / "team" / "summaries" / "acme.xlsx") == ["K-1", "K-3"]
    assert summary_contracts(tmp_path / "team" / "clients" / "C-2.xlsx") == ["K-2"]
    assert not (tmp_path / "summaries").exists() and not (tmp_path / "team" / "clients" / "C-1.xlsx").exists()


def test_a_second_client_on_the_same_file_is_a_warning_not_a_leak(team):
    write_team_book(team, Clients=clients_with("shared.xlsx", "shared.xlsx"))
    result = run(team)
    assert result.exit_code == 1 and result.unwritten == ["C-2"]
    assert errors_tab(team) == [
        [
            "Clients",
            3,
            "Summary Sheet",
            "shared.xlsx",
            "is also the summary of Clients row 2; summary not written",
            "warning",
        ]
    ]
    shared = team.parent / "shared.xlsx"
    assert summary_contracts(shared) == ["K-1", "K-3"]
    assert [secret for secret in SECRETS["C-2"] if secret in xml_text(shared)] == []
    assert not (team.parent / "clients").exists()


def test_the_same_file_spelled_differently_is_still_the_same_file(team):
    (team.parent / "x").mkdir()
    write_team_book(team, Clients=clients_with("shared.xlsx", "x/../shared.xlsx"))
    run(team)
    shared = team.parent / "shared.xlsx"
    assert [secret for secret in SECRETS["C-2"] if secret in xml_text(shared)] == []
    assert [row[:3] for row in errors_tab(team)] == [["Clients", 3, "Summary Sheet"]]


@pytest.mark.parametrize("target", ["team.xlsx", "./team.xlsx"])
def test_the_team_workbook_is_never_a_summary(tmp_path, target):
    team = write_team_book(tmp_path / "team.xlsx", Clients=clients_with("", target))
    original = team.read_bytes()
    result = run(team)
    assert result.exit_code == 1 and result.unwritten == ["C-2"]
    assert errors_tab(team) == [
        ["Clients", 3, "Summary Sheet", target, "is the team workbook itself; summary not written", "warning"]
    ]
    assert_only_outputs_changed(original, team)
    assert summary_contracts(tmp_path / "clients" / "C-1.xlsx") == ["K-1", "K-3"]
    assert not (tmp_path / "clients" / "C-2.xlsx").exists()


# --- many summaries at once, in worker processes ---------------------------------------------


def book_parts(path: Path) -> dict[str, bytes]:
    """A book's parts, but the time it was made."""
    found = parts(path.read_bytes())
    found["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"", found["docProps/core.xml"])
    return found


@pytest.fixture
def in_workers(monkeypatch) -> list[int]:
    """Client summaries written by two worker processes (and this one), a book at a time, however
    small the run; the list returned gets the process IDs of the workers of each pool used."""
    monkeypatch.setattr(xlsx_summaries, "_cores", lambda: 3)
    monkeypatch.setattr(xlsx_summaries, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(xlsx_summaries, "BOOKS_TOGETHER", 1)
    workers: list[int] = []

    class Watched(ProcessPoolExecutor):
        def shutdown(self, *args, **kwargs):
            workers.extend(self._processes or {})
            super().shutdown(*args, **kwargs)

    monkeypatch.setattr(xlsx_summaries, "ProcessPoolExecutor", Watched)
    return workers


def test_summaries_written_in_workers_are_those_written_one_by_one(team, in_workers, monkeypatch):
    clients = team.parent / "clients"
    with monkeypatch.context() as one_by_one:
        one_by_one.setattr(xlsx_summaries, "_cores", lambda: 1)
        run(team)
    assert in_workers == []
    alone = {path.name: book_parts(path) for path in clients.iterdir()}
    for path in clients.iterdir():
        path.unlink()
    run(team)
    assert len(set(in_workers)) == 1 and os.getpid() not in in_workers  # two books: one worker, and this process
    assert {path.name: book_parts(path) for path in clients.iterdir()} == alone
    assert sorted(alone) == ["C-1.xlsx", "C-2.xlsx"]


def after_the_team_tabs(monkeypatch, step) -> None:
    """Run `step` once the team's tabs are written, between the run's plan and its summaries."""
    write_tabs, steps = LocalWorkbook.write_tabs, [step]

    def then_step(self, tables, hidden=frozenset()):
        write_tabs(self, tables, hidden)
        while steps:
            steps.pop()()

    monkeypatch.setattr(LocalWorkbook, "write_tabs", then_step)


def test_a_summary_a_worker_cannot_write_is_that_clients_warning(team, in_workers, monkeypatch):
    folder = team.parent / "acme"
    folder.mkdir()
    write_team_book(team, Clients=clients_with("", "acme/summary.xlsx"))
    after_the_team_tabs(monkeypatch, lambda: folder.rmdir() or folder.write_text("a file where the folder was"))
    result = run(team)
    assert result.exit_code == 1 and result.unwritten == ["C-2"] and in_workers
    assert [row[:3] + row[4:] for row in errors_tab(team)] == [
        ["Clients", 3, "Summary Sheet", "cannot be written (File exists); summary not written", "warning"]
    ]
    assert [p.name for p in (team.parent / "clients").iterdir()] == ["C-1.xlsx"]
    assert folder.read_text() == "a file where the folder was"
    assert log_results(team) == ["1 client summary not written"]


def test_a_file_put_in_place_after_the_plan_is_never_replaced(team, monkeypatch):
    theirs = b"their notes"  # not a workbook the sync wrote
    target = team.parent / "clients" / "C-2.xlsx"
    after_the_team_tabs(monkeypatch, lambda: target.parent.mkdir(exist_ok=True) or target.write_bytes(theirs))
    result = run(team)
    assert result.unwritten == ["C-2"] and target.read_bytes() == theirs
    assert "never replaced" in errors_tab(team)[0][4]


def log_results(team: Path) -> list[str]:
    """The Result of each run in the Sync Log, newest first."""
    rows = CalamineWorkbook.from_path(str(team)).get_sheet_by_name("Sync Log").to_python()
    return [row[-1] for row in rows[1:]]


# --- someone else saved the book during the run -----------------------------------------


def test_a_book_saved_by_someone_else_during_the_run_is_left_alone(team, monkeypatch):
    theirs = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(team.read_bytes())) as old,
        zipfile.ZipFile(theirs, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "docProps/core.xml":
                data = data.replace(
                    b"</cp:coreProperties>", b"<cp:keywords>saved by Ann</cp:keywords></cp:coreProperties>"
                )
            new.writestr(item, data)
    theirs = theirs.getvalue()
    assert theirs != team.read_bytes() and b"saved by Ann" in parts(theirs)["docProps/core.xml"]
    write_tabs = LocalWorkbook.write_tabs

    def saved_meanwhile(self, tables, hidden=frozenset()):
        self.path.write_bytes(theirs)  # Excel saves after the read, before the write
        return write_tabs(self, tables, hidden)

    monkeypatch.setattr(LocalWorkbook, "write_tabs", saved_meanwhile)
    with pytest.raises(SyncError, match="changed on disk while the sync was running"):
        run(team)
    assert team.read_bytes() == theirs
    assert sorted(p.name for p in team.parent.iterdir()) == ["team.xlsx"]  # no temp file, no client files
