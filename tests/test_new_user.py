"""A new user's workbook (issue 11): what someone meets before their book is right.

Examples that are never rows, `check` saying what `run` would, every missing tab and column at
once, 'did you mean', dates and blanks said plainly, a file that is not an .xlsx said up front, and
a workbook open in Excel or LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from sync.app.init_book import EXAMPLE_ROWS, INSTRUCTIONS, instruction_rows
from sync.backends.memory import MemoryBook
from sync.cli import problem_line
from sync.model.schema import INPUT_TABS, SYNC_LOG
from sync.rules import suggest
from tests.books import CLIENTS, CONTRACTS, RATES, TIME, small_book, validated
from tests.test_cli import AS_OF, assert_one_line_error, fingerprint, read_tabs, sync_cli, without_column, write_book
from tests.test_google import cli as google_cli

# --- 1. examples are never rows -------------------------------------------------------------------


def instruction_sections() -> dict[str, list[list[object]]]:
    """Each input tab's section of the Instructions tab: its header, then its example rows."""
    sections, current = {}, None
    for kind, cells in instruction_rows():
        if kind == "tab":
            current = sections.setdefault(str(cells[0]).removesuffix(" tab"), [])
        elif kind in ("header", "example"):
            current.append(list(cells))
    return sections


def test_the_instructions_show_every_input_tab_with_its_examples():
    sections = instruction_sections()
    assert list(sections) == [tab.name for tab in INPUT_TABS]
    for tab in INPUT_TABS:
        header, *examples = sections[tab.name]
        assert header == [column.name for column in tab.columns]
        assert len(examples) == len(EXAMPLE_ROWS[tab.name]) >= 1


def test_the_instruction_examples_are_a_book_the_sync_accepts_as_it_stands():
    """Typed as shown, the examples would be valid rows: they teach nothing wrong."""
    book, problems = validated(MemoryBook(instruction_sections()), dt.date(2026, 6, 30))
    assert problems.empty, problems.to_string()
    assert book.contracts["contract_id"].tolist() == ["K-001", "K-002"]


def test_share_right_after_init_on_google_creates_and_shares_nothing(emulator):
    spreadsheet = emulator.create_spreadsheet("Empty")
    done = google_cli("init", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"python -m sync check --sheet {spreadsheet}")
    titles = [p["title"] for p in emulator.sheet_properties(spreadsheet)]
    assert titles[0] == INSTRUCTIONS and titles[-len(INPUT_TABS) :] == [tab.name for tab in INPUT_TABS]
    for tab in INPUT_TABS:  # a header and nothing else
        assert emulator.values(spreadsheet, tab.name) == [[column.name for column in tab.columns]]
    shown = emulator.values(spreadsheet, INSTRUCTIONS)
    assert ["C-001", "Acme Ltd", "accounts@acme.example"] in shown and ["Clients tab"] in shown
    assert shown[:3] == [cells for _, cells in instruction_rows()][:3]
    emulator.reset_counts()
    shared = google_cli("share", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert shared.returncode == 0, shared.stderr
    assert shared.stdout == ""
    assert emulator.counts[("POST", "/drive/v3/files")] == 0
    checked = google_cli("check", "--sheet", spreadsheet, "--api-url", emulator.base_url)
    assert checked.returncode == 0 and "no rows yet" in checked.stdout


# --- 2. check says what run would, and what to run ---------------------------------------------------


def test_check_says_what_to_run_to_get_the_errors_tab(tmp_path):
    write_book(tmp_path / "team.xlsx", Time=TIME + [["2026-13-01", "Ann", "K-1", "x", "", "1", "", ""]])
    done = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == (
        "20 rows read: 1 with errors (left out), 0 with warnings (counted) - "
        "check writes nothing: `python -m sync run --book team.xlsx` puts "
        "them on the Errors tab"
    )


def test_check_reports_the_summary_sheet_warnings_and_exit_code_of_a_run(tmp_path):
    clients = CLIENTS + [["C-9", "Far Away Ltd", "far@away.example", "../elsewhere.xlsx"]]
    contracts = CONTRACTS + [["K-9", "C-9", "x", "USD", "100", "2026-01-01", "", "", "", ""]]
    write_book(tmp_path / "team.xlsx", Clients=clients, Contracts=contracts)
    before = fingerprint(tmp_path)
    checked = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF, "--json", cwd=tmp_path)
    assert fingerprint(tmp_path) == before
    ran = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--json", cwd=tmp_path)
    assert (checked.returncode, ran.returncode) == (1, 1), checked.stderr + ran.stderr
    problems = json.loads(checked.stdout)["problems"]
    assert problems == json.loads(ran.stdout)["problems"]
    assert [[p["Tab"], p["Row"], p["Column"], p["Problem"]] for p in problems] == [
        ["Clients", 4, "Summary Sheet", "is outside the team workbook's folder; summary not written"]
    ]
    errors = read_tabs(tmp_path / "team.xlsx")["Errors"]
    assert [row[:3] + row[4:5] for row in errors[1:]] == [["Clients", 4, "Summary Sheet", problems[0]["Problem"]]]


def test_check_on_google_warns_of_a_blank_summary_sheet_as_run_does(emulator):
    tabs = {"Clients": CLIENTS, "Contracts": CONTRACTS, "Time": TIME, "Payments": [["Date", "Contract ID", "Amount"]]}
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    args = ["--sheet", spreadsheet, "--api-url", emulator.base_url, "--as-of", AS_OF]
    checked = google_cli("check", *args)
    ran = google_cli("run", "--dry-run", *args)
    assert checked.returncode == ran.returncode == 1, checked.stderr + ran.stderr
    blank = (
        "Summary Sheet: is blank: run 'python -m sync share' to create this client's spreadsheet; summary not written"
    )
    assert f"Clients row 2, {blank} (warning)" in checked.stdout.splitlines()
    assert f"Clients row 3, {blank} (warning)" in checked.stdout.splitlines()


# --- 3. every missing tab and column at once ----------------------------------------------------------


def test_every_missing_tab_and_column_is_said_at_once(tmp_path):
    time = [[cell for i, cell in enumerate(row) if i not in (0, 5)] for row in TIME]  # no Date, no Hours
    contracts = without_column(CONTRACTS, "Rate")
    write_book(tmp_path / "team.xlsx", Payments=None, Clients=None, Time=time, Contracts=contracts)
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert_one_line_error(done)
    assert done.stderr == (
        "error: required tabs 'Clients' and 'Payments' are missing from the workbook; Contracts tab: required "
        "column 'Rate' is missing from the header row; Time tab: required columns 'Date' and 'Hours' are missing "
        "from the header row\n"
    )
    assert read_tabs(tmp_path / "team.xlsx")[SYNC_LOG][1][-1] == "failed: " + done.stderr[len("error: ") :].strip()


# --- 4. did you mean -----------------------------------------------------------------------------------

TYPO_CONTRACTS = CONTRACTS + [
    ["K-101", "C-1", "Care", "USD", "100", "2026-01-01", "", "", "", ""],
    ["K-5", "c-1", "Lower case", "USD", "100", "2026-01-01", "", "", "", ""],
    ["K-6", "C-7", "Nothing like it", "USD", "100", "2026-01-01", "", "", "", ""],
]
TYPO_RATES = RATES + [["K-1", "Development", "140", ""]]
TYPO_TIME = TIME + [
    ["2026-05-02", "Ann", "K-1O1", "Typo", "", "1", "", ""],  # row 8
    ["2026-05-02", "Ann", "K-4", "No such contract, none close", "", "1", "", ""],  # row 9
    ["2026-05-03", "Ann", "K-1", "Typo", "Developmnet", "1", "", ""],  # row 10
    ["2026-05-03", "Ann", "K-1", "Typo", "EMERGNCY", "1", "", ""],  # row 11
    ["2026-05-03", "Ann", "K-1", "A label", "Maintenance", "1", "", ""],  # row 12: no rate, none close
    ["2026-05-03", "Ann", "K-2", "No typed rates", "Developmnet", "1", "", ""],  # row 13
    ["2026-05-03", "Ann", "K-1", "Capitals match", "development", "1", "", ""],  # row 14
]


def test_an_unknown_id_or_work_type_suggests_the_close_one():
    _, problems = validated(small_book(Contracts=TYPO_CONTRACTS, Rates=TYPO_RATES, Time=TYPO_TIME))
    found = {(p.Tab, p.Row, p.Column): (p.Problem, p.Severity) for p in problems.itertuples()}
    usual = "is not a Work Type on the Rates tab for contract K-1, so its usual rate applies; did you mean "
    assert found == {
        ("Contracts", 6, "Client ID"): ("no client with this ID on the Clients tab; did you mean C-1?", "error"),
        ("Contracts", 7, "Client ID"): ("no client with this ID on the Clients tab", "error"),
        ("Time", 8, "Contract ID"): ("no contract with this ID on the Contracts tab; did you mean K-101?", "error"),
        ("Time", 9, "Contract ID"): ("no contract with this ID on the Contracts tab", "error"),
        ("Time", 10, "Work Type"): (usual + "Development?", "warning"),
        ("Time", 11, "Work Type"): (usual + "emergency?", "warning"),
    }


@pytest.mark.parametrize(
    "typed, known, suggested",
    [
        ("K-1O1", ["K-101", "K-102"], "K-101"),  # O for 0
        ("k 101", ["K-101", "K-102"], "K-101"),  # capitals and separators
        ("K-1Ol", ["K-101", "K-111"], "K-101"),  # O and l: k101, which K-101 is and K-111 is not
        ("K-00012", [f"K-{i:05d}" for i in range(30) if i != 12], None),  # a tie between K-00010, K-00013, ...
        ("K-4", ["K-1", "K-2", "K-3"], None),
        ("Maintainance", ["Maintenance", "Development"], "Maintenance"),
        ("", ["K-1"], None),
    ],
)
def test_a_suggestion_is_made_only_when_one_value_is_close(typed, known, suggested):
    by_fold: dict[str, list[str]] = {}
    for value in known:
        by_fold.setdefault(suggest.folded(value), []).append(value)
    assert suggest.closest(typed, by_fold) == suggested


def test_suggestions_are_looked_for_once_per_distinct_value(monkeypatch):
    calls = []
    closest = suggest.closest
    monkeypatch.setattr(suggest, "closest", lambda *args: calls.append(args[0]) or closest(*args))
    time = TIME[:1] + [["2026-05-02", "Ann", "K-1O1", "x", "Developmnet", "1", "", ""]] * 20_000
    contracts = CONTRACTS + [["K-1O2", "C-1", "x", "USD", "100", "2026-01-01", "", "", "", ""]]
    _, problems = validated(small_book(Time=time, Contracts=contracts, Rates=TYPO_RATES))
    assert sorted(calls) == ["K-1O1"]  # K-1O1's contract is unknown: its Work Type is not looked at
    assert len(problems) == 20_000


# --- 5. dates and blanks said plainly ------------------------------------------------------------------


def test_check_lines_quote_a_value_only_when_there_is_one(tmp_path):
    time = TIME + [["", "Ann", "K-1", "No date", "", "1", "", ""], ["31/02/2026", "Ann", "K-1", "x", "", "1", "", ""]]
    write_book(tmp_path / "team.xlsx", Time=time)
    done = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    lines = done.stdout.splitlines()
    assert "Time row 8, Date: is required (error)" in lines
    assert (
        "Time row 9, Date: '31/02/2026' is not a real calendar date, day or month first; write it as "
        "YYYY-MM-DD, or set date_order to DMY or MDY in the settings file (contract-sync.toml) (error)"
    ) in lines
    errors = read_tabs(tmp_path / "team.xlsx").get("Errors")
    assert errors is None  # check wrote nothing


def test_a_problem_line_of_a_blank_cell_has_no_empty_quotes():
    _, problems = validated(small_book(Time=TIME + [["2026-05-02", "Ann", "", "x", "", "", "", ""]]))
    lines = [problem_line(p) for p in problems.itertuples(index=False)]
    assert lines == ["Time row 8, Contract ID: is required (error)", "Time row 8, Hours: is required (error)"]
    assert problems["Value"].tolist() == ["", ""]  # the Errors tab's Value stays blank


# --- 6. a file that is not an .xlsx, said up front ------------------------------------------------------


def ods(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
        package.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content xmlns:office='
            '"urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        )


def xls(path: Path) -> None:
    book = xlwt.Workbook()
    for tab in INPUT_TABS:
        sheet_ = book.add_sheet(tab.name)
        for col, column in enumerate(tab.columns):
            sheet_.write(0, col, column.name)
    book.save(str(path))


def encrypted(path: Path) -> None:
    plain = write_book(path.with_name("plain.xlsx"))
    out = io.BytesIO()
    with open(plain, "rb") as handle:
        OOXMLFile(handle).encrypt("secret", out)
    plain.unlink()
    path.write_bytes(out.getvalue())


def numbers(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("Index/Document.iwa", b"\x00\x01")
        package.writestr("Metadata/Properties.plist", b"bplist00")


def csv(path: Path) -> None:
    path.write_text("Client ID,Name\nC-1,Café Ltd\n", encoding="cp1252")


def xlsb(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(
            "[Content_Types].xml", "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>"
        )
        package.writestr(
            "_rels/.rels",
            "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/"
            "relationships'><Relationship Id='rId1' Type='http://schemas.openxmlformats.org/"
            "officeDocument/2006/relationships/officeDocument' Target='xl/workbook.bin'/>"
            "</Relationships>",
        )
        package.writestr("xl/workbook.bin", b"\x83\x01\x00")


NOT_XLSX = {  # how it is made, its name, what the line says
    "ods": (
        ods,
        "team.ods",
        "it is an OpenDocument spreadsheet (.ods), not an .xlsx workbook: open it in "
        "LibreOffice and save it as Excel 2007-365 (.xlsx)",
    ),
    "xls": (
        xls,
        "team.xls",
        "it is an Excel 97-2003 workbook (.xls), not an .xlsx workbook: open it and save "
        "it as an Excel Workbook (.xlsx)",
    ),
    "encrypted xlsx": (
        encrypted,
        "team.xlsx",
        "it is encrypted with a password to open, which the sync cannot read: remove that password",
    ),
    "numbers": (
        numbers,
        "team.numbers",
        "it is an Apple Numbers file, not an .xlsx workbook: in Numbers, use File > Export To > Excel",
    ),
    "csv": (
        csv,
        "team.csv",
        "it is a text file (a CSV file, say), not an .xlsx workbook: open it in a "
        "spreadsheet program and save it as an Excel Workbook (.xlsx)",
    ),
    "xlsb": (xlsb, "team.xlsb", "it is an Excel Binary Workbook (.xlsb), not an .xlsx workbook"),
}


@pytest.mark.parametrize("command", [["run"], ["check"], ["status"], ["run", "--dry-run"]])
@pytest.mark.parametrize("kind", list(NOT_XLSX))
def test_a_file_that_is_not_an_xlsx_is_one_line_before_anything_else(tmp_path, kind, command):
    make, name, said = NOT_XLSX[kind]
    make(tmp_path / name)
    before = fingerprint(tmp_path)
    done = sync_cli(*command, "--book", name, cwd=tmp_path)
    assert_one_line_error(done, f"cannot read workbook {name}: {said}")
    assert done.stdout == ""
    assert fingerprint(tmp_path) == before  # no lock file, no Sync Log row, no clients folder


def test_schedule_refuses_a_file_that_is_not_an_xlsx_at_start_up(tmp_path):
    ods(tmp_path / "team.ods")
    done = sync_cli("schedule", "--at", "02:00", "--book", "team.ods", cwd=tmp_path)
    assert_one_line_error(done, "cannot read workbook team.ods: it is an OpenDocument spreadsheet (.ods)")


# --- 7. open in Excel or LibreOffice ------------------------------------------------------------------


@pytest.mark.parametrize(
    "lock, content, said",
    [
        (
            "~$team.xlsx",
            b"\x03Ann" + b" " * 51 + "\x03Ann".encode("utf-16-le"),  # as Office writes it
            "open in Excel by Ann (~$team.xlsx is beside it)",
        ),
        (
            ".~lock.team.xlsx#",
            b"Ann Lee,laptop,ann,05.12.2026 09:12,file:///home/ann/.config/libreoffice/4;",
            "open in LibreOffice by Ann Lee (.~lock.team.xlsx# is beside it)",
        ),
    ],
)
def test_a_workbook_open_in_another_program_is_a_warning_on_the_console_and_in_the_sync_log(
    tmp_path, lock, content, said
):
    write_book(tmp_path / "team.xlsx")
    (tmp_path / lock).write_bytes(content)
    warning = (
        f"warning: team.xlsx is {said}: saving it there will overwrite the tabs this sync writes - close "
        f"it in {said.split()[2]} before the sync runs, or delete {lock} if no one has it open"
    )
    checked = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    ran = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--quiet", cwd=tmp_path)
    for done in (checked, ran):
        assert done.returncode == 0 and done.stderr == warning + "\n", done.stderr
    assert ran.stdout == ""
    log = read_tabs(tmp_path / "team.xlsx")[SYNC_LOG]
    assert log[1][-1] == "ok; " + warning.removeprefix("warning: ")


def test_no_lock_file_no_warning(tmp_path):
    book = write_book(tmp_path / "team.xlsx")
    (tmp_path / "~$other.xlsx").write_bytes(b"\x03Ann")  # another workbook's, open in Excel
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert read_tabs(book)[SYNC_LOG][1][-1] == "ok"
