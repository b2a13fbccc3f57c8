"""`python -m sync` as a person runs it: a real subprocess on a real .xlsx, judged by exit code and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from sync.model.schema import INPUT_TAB_NAMES, SYNC_LOG
from tests.books import CLIENTS, CONTRACTS, EXPENSES, PAYMENTS, RATES, TIME, sheet

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-06-30"
OUTPUT_TABS = ("Dashboard", "Balances", "Monthly", "Periods", "Requests Summary", "Errors")
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
BAD_ROWS = {
    "Time": TIME + [["2026-13-01", "Ann", "K-1", "Bad date", "", "1", "", ""]],  # sheet row 8
    "Payments": PAYMENTS + [["2026-05-05", "K-2", "abc", "", ""]],  # sheet row 6
}
BAD_CELLS = [  # Tab, Row, Column, Value of each problem in BAD_ROWS
    ["Time", 8, "Date", "2026-13-01"],
    ["Payments", 6, "Amount", "abc"],
]


# --- helpers ---------------------------------------------------------------------------


def sync_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m sync ARGS` in `cwd`, with no SYNC_* settings leaking in from the caller."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("SYNC_")}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sync", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def write_book(path: Path, **changes: list[list[object]] | None) -> Path:
    """The small book as an .xlsx; keyword arguments replace (or, with None, remove) a tab."""
    tabs = {**INPUT_TABS, **changes}
    book = xlsxwriter.Workbook(path, AS_TYPED)
    for name, rows in tabs.items():
        if rows is None:
            continue
        tab = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value != "":
                    tab.write(r, c, value)
    book.close()
    return path


def read_tabs(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def balances_by_contract(path: Path) -> dict[str, dict[str, object]]:
    header, *rows = read_tabs(path)["Balances"]
    return {row[header.index("Contract ID")]: dict(zip(header, row)) for row in rows}


def without_column(rows: list[list], name: str) -> list[list]:
    drop = rows[0].index(name)
    return [row[:drop] + row[drop + 1 :] for row in rows]


def assert_one_line_error(done: subprocess.CompletedProcess, *names: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert all(name in lines[0] for name in names), (names, lines[0])
    assert "Traceback" not in done.stdout + done.stderr


def fingerprint(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder`: bytes and mtime."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def clean(tmp_path) -> Path:
    return write_book(tmp_path / "team.xlsx")


@pytest.fixture
def bad(tmp_path) -> Path:
    return write_book(tmp_path / "team.xlsx", **BAD_ROWS)


# --- run -------------------------------------------------------------------------------


def test_a_clean_book_runs_and_writes_every_output(clean):
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=clean.parent)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Balances as of 2026-06-30" in done.stdout
    assert "Contract ID" in done.stdout and "329.01" in done.stdout and "Acme Ltd" in done.stdout
    assert "19 rows read, all used" in done.stdout
    assert "wrote team.xlsx (tabs Dashboard, Balances, Monthly, Periods, Requests Summary, Errors)" in done.stdout
    assert f"wrote {Path('clients') / 'C-1.xlsx'}" in done.stdout
    tabs = read_tabs(clean)
    assert list(tabs) == [*INPUT_TABS, *OUTPUT_TABS, SYNC_LOG]
    assert tabs["Errors"] == [["Tab", "Row", "Column", "Value", "Problem", "Severity"]]
    k1 = balances_by_contract(clean)["K-1"]
    assert (k1["Paid"], k1["Billed"], k1["Balance"], k1["Status"]) == (1000, 670.99, 329.01, "LOW")
    assert (clean.parent / "clients" / "C-1.xlsx").is_file()
    assert (clean.parent / "clients" / "C-2.xlsx").is_file()


def test_the_terminal_table_shows_a_blank_for_no_date(clean):
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--dry-run", cwd=clean.parent)
    k3 = next(line for line in done.stdout.splitlines() if " K-3 " in line)
    assert "None" not in k3 and "nan" not in k3.lower()


def test_bad_cells_are_listed_and_the_figures_still_written(bad):
    done = sync_cli("run", "--book", str(bad), "--as-of", AS_OF, cwd=bad.parent)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "21 rows read: 2 with errors (left out)" in done.stdout
    errors = read_tabs(bad)["Errors"]
    assert errors[0] == ["Tab", "Row", "Column", "Value", "Problem", "Severity"]
    assert [row[:4] for row in errors[1:]] == BAD_CELLS
    assert all(row[4] and row[5] == "error" for row in errors[1:])
    assert balances_by_contract(bad)["K-1"]["Balance"] == 329.01  # the bad rows are left out
    assert (bad.parent / "clients" / "C-1.xlsx").is_file()


# --- the run cannot go on: exit 2, one line ---------------------------------------------


def _config(text: str, name: str = "settings.toml"):
    def make(folder: Path) -> list[str]:
        write_book(folder / "team.xlsx")
        (folder / name).write_text(text, encoding="utf-8")
        return ["--config", name] if name != "contract-sync.toml" else []

    return make


def _bytes(content: bytes):
    def make(folder: Path) -> list[str]:
        (folder / "team.xlsx").write_bytes(content)
        return []

    return make


def _book(**changes):
    def make(folder: Path) -> list[str]:
        write_book(folder / "team.xlsx", **changes)
        return []

    return make


def _book_with_args(*args: str):
    def make(folder: Path) -> list[str]:
        write_book(folder / "team.xlsx")
        return list(args)

    return make


TIME_WITHOUT_HOURS = [row[:5] + row[6:] for row in TIME]
TIME_WITH_HOURS_TWICE = [row + [row[5]] for row in TIME]
CANNOT_RUN = {  # case: (make the folder -> extra args, names the message must contain, env)
    "missing file": (lambda folder: ["--book", "nope.xlsx"], ["nope.xlsx"], {}),
    "missing Time tab": (_book(Time=None), ["'Time'"], {}),
    "missing Clients tab": (_book(Clients=None), ["'Clients'"], {}),
    "Time without Hours": (_book(Time=TIME_WITHOUT_HOURS), ["Time", "'Hours'"], {}),
    "Hours twice": (_book(Time=TIME_WITH_HOURS_TWICE), ["Time", "'Hours'", "twice"], {}),
    "random bytes": (_bytes(bytes(range(256)) * 8), ["team.xlsx"], {}),
    "a CSV renamed .xlsx": (_bytes(b"Client ID,Name\nC-1,Acme Ltd\n"), ["team.xlsx"], {}),
    "a truncated zip": (_bytes(b"PK\x03\x04" + bytes(200)), ["team.xlsx"], {}),
    "--config unknown key": (_config('colour = "red"\n'), ["settings.toml", "colour"], {}),
    "--config bad TOML": (_config("currency = \n"), ["settings.toml", "TOML"], {}),
    "--config bad currency": (_config('currency = "XYZQ"\n'), ["currency", "XYZQ"], {}),
    "--config missing": (_book_with_args("--config", "gone.toml"), ["gone.toml"], {}),
    "beside: unknown key": (_config('colour = "red"\n', "contract-sync.toml"), ["contract-sync.toml", "colour"], {}),
    "beside: bad TOML": (_config("currency = \n", "contract-sync.toml"), ["contract-sync.toml", "TOML"], {}),
    "beside: bad currency": (_config('currency = "XYZQ"\n', "contract-sync.toml"), ["currency", "XYZQ"], {}),
    "SYNC_DATE_ORDER=XYZ": (_book(), ["date_order", "XYZ"], {"SYNC_DATE_ORDER": "XYZ"}),
}


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("case", list(CANNOT_RUN))
def test_a_run_that_cannot_go_on_is_one_line_and_exit_2(tmp_path, case, command):
    make, names, env = CANNOT_RUN[case]
    args = make(tmp_path)
    if "--book" not in args:
        args = ["--book", "team.xlsx", *args]
    before = fingerprint(tmp_path)
    tabs_before = read_tabs(tmp_path / "team.xlsx") if case in LOGGED_FAILURES else {}
    done = sync_cli(command, *args, "--as-of", AS_OF, cwd=tmp_path, env=env)
    assert_one_line_error(done, *names)
    assert done.stdout == ""
    if command == "run" and case in LOGGED_FAILURES:  # a readable book gets a Sync Log row, nothing else
        tabs = read_tabs(tmp_path / "team.xlsx")
        log = tabs.pop(SYNC_LOG)
        assert tabs == tabs_before
        assert len(log) == 2 and log[1][-1] == "failed: " + done.stderr.strip().removeprefix("error: ")
        before.pop("team.xlsx"), (after := fingerprint(tmp_path)).pop("team.xlsx")
        assert after == before
    else:
        assert fingerprint(tmp_path) == before  # nothing written, no clients folder


# The book could be read, so the failed run is recorded in its Sync Log tab for the team to see.
LOGGED_FAILURES = {"missing Time tab", "missing Clients tab", "Time without Hours", "Hours twice"}


# --- what the book may look like -------------------------------------------------------


def test_optional_tabs_may_be_missing(tmp_path):
    book = write_book(tmp_path / "team.xlsx", Rates=None, Expenses=None)
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    tabs = read_tabs(book)
    assert list(tabs) == ["Clients", "Contracts", "Time", "Payments", *OUTPUT_TABS, SYNC_LOG]
    assert set(balances_by_contract(book)) == {"K-1", "K-2", "K-3"}


LOOSE_TIME = sheet("""
| Extra     | contract_id | HOURS | date       | Person | task            | work-type | Billable | NOTES         |
| x         | K-1         | 1:20  | 2026-01-10 | Ann    | Update plugins  |           |          | slow server   |
| =1+1      | K-1         | 2h    | 2026-02-03 | Ben    | Outage          | emergency | Y        |               |
|           |             |       |            |        |                 |           |          |               |
| only here |             |       |            |        |                 |           |          |               |
| x         | K-1         | 0.5   | 2026-06-15 | Ann    | Backups         |           | yes      |               |
| x         | K-1         | 1     | 2026-03-01 | Ann    | Call            |           | N        | internal only |
| x         | K-2         | 90m   | 2026-02-10 | Cy     | New banner      |           | x        |               |
| x         | K-3         | 3     | 2025-06-01 | Cy     | Old fix         |           |          |               |
| x         | K-1         | lots  | 2026-05-01 | Ann    | Typo            |           |          |               |
""")
LOOSE_PAYMENTS = sheet("""
| amount    | Contract-ID | Reference | Date       | Paid By |
| $1,000.00 | K-1         | INV-1     | 2026-01-02 | bank    |
| 500       | K-2         | INV-2     | 2026-02-01 | bank    |
| 300       | K-3         | INV-0     | 2025-05-01 | bank    |
| -0.00     | K-3         | none      | 2025-12-31 | bank    |
""")


def test_headers_match_loosely_in_any_order_and_blank_rows_are_skipped(tmp_path):
    book = write_book(tmp_path / "team.xlsx", Time=LOOSE_TIME, Payments=LOOSE_PAYMENTS)
    (tmp_path / "reference").mkdir()  # a folder of its own: its client summaries are its own
    reference = write_book(tmp_path / "reference" / "team.xlsx")
    assert sync_cli("run", "--book", str(reference), "--as-of", AS_OF, cwd=tmp_path).returncode == 0
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    # Sheet rows 4 and 5 are blank in every schema column; the bad entry is still quoted as sheet row 10.
    assert [row[:4] for row in read_tabs(book)["Errors"][1:]] == [["Time", 10, "Hours", "lots"]]
    assert "20 rows read: 1 with errors" in done.stdout
    assert without_column(read_tabs(book)["Balances"], "Computed At") == without_column(
        read_tabs(reference)["Balances"], "Computed At"
    )


# --- run options -----------------------------------------------------------------------


def test_dry_run_writes_nothing(clean):
    before = fingerprint(clean.parent)
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--dry-run", cwd=clean.parent)
    assert done.returncode == 0, done.stderr
    assert "329.01" in done.stdout and "dry run: nothing was written" in done.stdout
    assert "wrote" not in done.stdout
    assert fingerprint(clean.parent) == before
    assert not (clean.parent / "clients").exists()


def test_dry_run_keeps_the_exit_code_of_bad_rows(bad):
    before = fingerprint(bad.parent)
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--dry-run", cwd=bad.parent)
    assert done.returncode == 1
    assert fingerprint(bad.parent) == before


def test_json_is_one_object_with_exact_money(clean):
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--json", cwd=clean.parent)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1
    report = json.loads(done.stdout)
    assert (report["exit_code"], report["errors"], report["as_of"]) == (0, 0, AS_OF)
    k1 = next(b for b in report["balances"] if b["Contract ID"] == "K-1")
    assert (k1["Paid"], k1["Billed"], k1["Balance"], k1["Hours"]) == ("1000.00", "670.99", "329.01", "4.83")
    k3 = next(b for b in report["balances"] if b["Contract ID"] == "K-3")
    assert k3["Runs Out"] is None and k3["Balance"] == "0.00"
    assert report["problems"] == []
    assert "Balances" in report["written"]


def test_json_lists_the_problems_of_a_bad_book(bad):
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--json", "--dry-run", cwd=bad.parent)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert (report["exit_code"], report["errors"], report["dry_run"], report["written"]) == (1, 2, True, [])
    assert [[p["Tab"], p["Row"], p["Column"], p["Value"]] for p in report["problems"]] == BAD_CELLS


def test_the_book_can_come_from_sync_book(clean):
    done = sync_cli("run", "--as-of", AS_OF, cwd=clean.parent, env={"SYNC_BOOK": str(clean)})
    assert done.returncode == 0, done.stderr
    assert "329.01" in done.stdout
    assert "Balances" in read_tabs(clean)


# --- check -----------------------------------------------------------------------------


def test_check_prints_one_line_per_problem_and_writes_nothing(bad):
    before = fingerprint(bad.parent)
    done = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF, cwd=bad.parent)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    problems = [line for line in lines if " row " in line]
    assert len(problems) == len(BAD_CELLS)
    for line, (tab, row, column, value) in zip(problems, BAD_CELLS):
        assert line.startswith(f"{tab} row {row}, {column}: '{value}'"), line
    assert fingerprint(bad.parent) == before


def test_check_accepts_a_clean_book(clean):
    before = fingerprint(clean.parent)
    done = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF, cwd=clean.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "19 rows read, all used"
    assert fingerprint(clean.parent) == before


# --- init and demo ---------------------------------------------------------------------


def test_init_makes_a_book_whose_examples_are_never_rows(tmp_path):
    done = sync_cli("init", "--book", "new.xlsx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "created new.xlsx: the Instructions tab shows what goes on each tab; fill them "
        "in, then check them with: python -m sync check --book new.xlsx"
    )
    tabs = read_tabs(tmp_path / "new.xlsx")
    assert list(tabs) == ["Instructions", *INPUT_TAB_NAMES]
    assert {name: len(tabs[name]) for name in INPUT_TAB_NAMES} == dict.fromkeys(INPUT_TAB_NAMES, 1)  # a header, no row
    checked = sync_cli("check", "--book", "new.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith(
        "0 rows read, all used\nno rows yet: type your clients, contracts, time and "
        "payments below the header row of their tabs"
    )
    ran = sync_cli("run", "--book", "new.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert balances_by_contract(tmp_path / "new.xlsx") == {}  # Acme Ltd and K-001 are examples, not contracts
    assert not (tmp_path / "clients").exists()
    assert read_tabs(tmp_path / "new.xlsx")["Instructions"] == tabs["Instructions"]  # never written either


@pytest.mark.parametrize("name", ["new.csv", "new.ods", "new.xls", "new"])
def test_init_refuses_a_name_that_is_not_xlsx(tmp_path, name):
    done = sync_cli("init", "--book", name, cwd=tmp_path)
    assert_one_line_error(done, name, "must end in .xlsx")
    assert list(tmp_path.iterdir()) == []


def test_init_never_replaces_a_file(clean):
    before = fingerprint(clean.parent)
    done = sync_cli("init", "--book", "team.xlsx", cwd=clean.parent)
    assert_one_line_error(done, "team.xlsx")
    assert fingerprint(clean.parent) == before


def test_demo_writes_a_sample_and_runs_it(tmp_path):
    done = sync_cli("demo", "sample", "--as-of", "2026-11-29", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Balances as of 2026-11-29" in done.stdout and "Contract ID" in done.stdout
    folder = Path("sample")
    assert (
        f"wrote {folder / 'ledger.xlsx'} (tabs Dashboard, Balances, Monthly, Periods, Requests Summary, Errors)"
        in done.stdout
    )
    clients = sorted((tmp_path / "sample" / "clients").iterdir())
    assert len(clients) == 5  # one of them on a monthly retainer
    for client in clients:
        assert f"wrote {folder / 'clients' / client.name}" in done.stdout
    assert set(OUTPUT_TABS) <= set(read_tabs(tmp_path / "sample" / "ledger.xlsx"))
    again = sync_cli("demo", "sample", "--as-of", "2026-11-29", cwd=tmp_path)  # a new sample, the same team book
    wrote = [line for line in done.stdout.splitlines() if line.startswith(f"wrote {folder / 'clients'}")]
    kept = "left 5 client summaries as they were: nothing in them changed"  # the same figures as before
    assert again.stdout.splitlines() == [line for line in done.stdout.splitlines() if line not in wrote] + [kept]
    assert [row for row in read_tabs(tmp_path / "sample" / "ledger.xlsx")["Errors"] if row[2] == "Summary Sheet"] == []


@pytest.mark.parametrize("command", [[], ["run"], ["check"], ["init"], ["demo"]])
def test_help(tmp_path, command):
    done = sync_cli(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout
    assert list(tmp_path.iterdir()) == []


# --- a second run ----------------------------------------------------------------------


def test_a_second_run_writes_the_same_cells(bad):
    def outputs() -> dict[str, list[list]]:
        done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=bad.parent)
        assert done.returncode == 1, done.stderr
        tabs = read_tabs(bad)
        tabs["Balances"] = without_column(tabs["Balances"], "Computed At")
        for client in sorted((bad.parent / "clients").iterdir()):
            for name, rows in read_tabs(client).items():
                tabs[f"{client.name}:{name}"] = rows
        return tabs

    first = outputs()
    second = outputs()
    first_log, second_log = first.pop(SYNC_LOG), second.pop(SYNC_LOG)
    assert second_log[0] == first_log[0] and second_log[2:] == first_log[1:]  # one more run on top
    assert list(second) == list(first)
    for name in first:
        assert second[name] == first[name], name


def test_control_characters_typed_into_cells_never_reach_the_terminal_raw(tmp_path):
    clients = CLIENTS[:2] + [["C-2", "Bolt\x1b[2J Bakery\nInc", "bo@bolt.example", ""]]
    time = TIME + [["2026-05-02", "Ann", "K-1", "x", "", "\x1b]0;owned\x07", "", ""]]
    write_book(tmp_path / "team.xlsx", Clients=clients, Time=time)
    checked = sync_cli("check", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    ran = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, "--dry-run", cwd=tmp_path)
    for done in (checked, ran):
        assert done.returncode == 1 and "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "'\\x1b]0;owned\\x07' is not a number of hours" in checked.stdout
    assert "Bolt\\x1b[2J Bakery\\nInc" in ran.stdout


# --- which book: said the way the sync was started (issue 11) ----------------------------

NO_BOOK = (
    "error: no workbook or spreadsheet to sync: give --book PATH (an .xlsx workbook) or --sheet ID_OR_LINK "
    "(a Google spreadsheet), or set SYNC_BOOK or SYNC_SHEET\n"
)


@pytest.mark.parametrize("command", ["run", "check", "status", "schedule --at 02:00"])
def test_no_book_is_one_line_naming_the_options_and_their_variables(tmp_path, command):
    done = sync_cli(*command.split(), cwd=tmp_path, env={"SYNC_BOOK": ""})  # blank counts as not set
    assert (done.returncode, done.stdout, done.stderr) == (2, "", NO_BOOK)


def test_a_book_and_a_sheet_are_one_line_saying_where_each_came_from(tmp_path):
    both = sync_cli("run", "--book", "team.xlsx", "--sheet", "1AbC", cwd=tmp_path)
    assert (both.returncode, both.stdout, both.stderr) == (
        2,
        "",
        "error: give a workbook or a spreadsheet, not both: --book team.xlsx and --sheet 1AbC; keep one\n",
    )
    from_env = sync_cli("run", "--book", "team.xlsx", cwd=tmp_path, env={"SYNC_SHEET": "1AbC"})
    assert from_env.stderr == (
        "error: give a workbook or a spreadsheet, not both: --book team.xlsx and "
        "SYNC_SHEET=1AbC (from the environment); keep one\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_book_without_contracts_says_so_rather_than_printing_an_empty_table(tmp_path):
    write_book(tmp_path / "team.xlsx", **{name: rows[:1] for name, rows in INPUT_TABS.items()})
    done = sync_cli("run", "--book", "team.xlsx", "--as-of", AS_OF, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no contract has figures yet" in done.stdout and "Empty DataFrame" not in done.stdout
