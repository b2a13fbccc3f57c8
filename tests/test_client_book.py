"""The client summary book and the team template, read back the way Excel and the sync would."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from python_calamine import CalamineWorkbook

from sync.app.init_book import INSTRUCTIONS, create_template, instruction_rows
from sync.backends.cells import money_format
from sync.backends.xlsx.client_book import write_client_workbook
from sync.errors import SyncError
from sync.model.schema import CLIENT_TABS, INPUT_TABS
from sync.model.table import Table
from sync.shape.dashboard import STYLES, WIDTHS, balance_by_month, client_dashboard

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
TRICKY_TASKS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@x"]


def table(kinds: dict[str, str], *rows: tuple) -> Table:
    return Table(pd.DataFrame(list(rows), columns=list(kinds)), kinds)


SUMMARY = table(
    {
        "Contract ID": "text",
        "Contract": "text",
        "Currency": "text",
        "Paid": "money",
        "Billed": "money",
        "Balance": "money",
        "Hours Remaining": "hours",
        "Runs Out": "date",
        "Period Included": "hours",
        "Period Carried": "hours",
        "Period Used": "hours",
        "Period Left": "hours",
        "Pace": "text",
        "Status": "text",
        "As Of": "date",
    },
    (
        "K-001",
        "Care plan",
        "USD",
        D("1200.00"),
        D("330.50"),
        D("869.50"),
        D("7.25"),
        dt.date(2026, 5, 1),
        D("10.00"),
        D("2.50"),
        D("4.75"),
        D("7.75"),
        "on track",
        "active",
        dt.date(2026, 3, 31),
    ),
    (
        "K-002",
        "Hosting",
        "JPY",
        D("50000"),
        D("12000"),
        D("38000"),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "active",
        dt.date(2026, 3, 31),
    ),
)
ACTIVITY = table(
    {
        "Date": "date",
        "Contract ID": "text",
        "Task": "text",
        "Work Type": "text",
        "Hours": "hours",
        "Billable": "bool",
        "Amount": "money",
    },
    *[
        (dt.date(2026, 1, 5 + i), "K-001", task, "Dev", D("1.50"), True, D("180.00"))
        for i, task in enumerate(TRICKY_TASKS)
    ],
    (dt.date(2026, 1, 9), "K-002", None, None, D("0.25"), False, D("0")),
)
PAYMENTS = table(
    {"Date": "date", "Contract ID": "text", "Amount": "money", "Reference": "text"},
    (dt.date(2026, 1, 2), "K-001", D("1200.00"), "INV-1001"),
)
STATEMENT_KINDS = {
    "Contract ID": "text",
    "Month": "text",
    "Opening": "money",
    "Billed": "money",
    "Paid": "money",
    "Closing": "money",
}
STATEMENT = table(
    STATEMENT_KINDS,
    ("K-001", "2026-01", D("0.00"), D("120.00"), D("1200.00"), D("1080.00")),
    ("K-001", "2026-02", D("1080.00"), D("90.50"), D("0.00"), D("989.50")),
    ("K-001", "2026-03", D("989.50"), D("120.00"), D("0.00"), D("869.50")),
    ("K-002", "2026-01", D("0"), D("12000"), D("50000"), D("38000")),
    ("K-002", "2026-02", D("38000"), D("0"), D("0"), D("38000")),
)
PERIODS = table(
    {
        "Contract ID": "text",
        "Period Start": "date",
        "Period End": "date",
        "Included": "hours",
        "Carried In": "hours",
        "Used": "hours",
        "Carried Out": "hours",
        "Expired": "hours",
        "Overage Hours": "hours",
        "Overage Amount": "money",
        "Fee": "money",
    },
    (
        "K-001",
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
        D("10.00"),
        D("0.00"),
        D("7.50"),
        D("2.50"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("1000.00"),
    ),
    (
        "K-001",
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
        D("10.00"),
        D("2.50"),
        D("4.75"),
        D("7.75"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("1000.00"),
    ),
)
TABLES = {"Summary": SUMMARY, "Activity": ACTIVITY, "Payments": PAYMENTS, "Statement": STATEMENT, "Periods": PERIODS}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "out" / "C-001.xlsx"
    write_client_workbook(path, TABLES, "Acme Ltd - contract summary")
    return path


def sheet_parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        return {n: archive.read(n).decode() for n in names}


def chart_parts(path: Path) -> tuple[etree._Element, etree._Element, str]:
    """The first chart, the drawing that anchors it, and the Summary sheet's relations."""
    with zipfile.ZipFile(path) as archive:
        return (
            etree.fromstring(archive.read("xl/charts/chart1.xml")),
            etree.fromstring(archive.read("xl/drawings/drawing1.xml")),
            archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode(),
        )


def test_tabs_and_headers_follow_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "with-requests.xlsx"
    requests = Table(
        pd.DataFrame(columns=list(CLIENT_TABS["Requests"])), dict.fromkeys(CLIENT_TABS["Requests"], "text")
    )
    write_client_workbook(path, {**TABLES, "Requests": requests}, "Acme Ltd - contract summary")
    workbook = CalamineWorkbook.from_path(path)
    assert workbook.sheet_names == list(CLIENT_TABS)
    for name, columns in CLIENT_TABS.items():
        if name != "Summary":  # the dashboard, not a table
            assert workbook.get_sheet_by_name(name).to_python()[0] == list(columns)


def test_periods_tab_only_for_a_client_with_a_retainer(tmp_path: Path) -> None:
    path = tmp_path / "no-retainer.xlsx"
    write_client_workbook(path, {name: t for name, t in TABLES.items() if name != "Periods"}, "Plain")
    assert CalamineWorkbook.from_path(path).sheet_names == ["Summary", "Activity", "Payments", "Statement"]


def test_text_that_looks_like_a_formula_stays_text(book: Path) -> None:
    assert not [name for name, xml in sheet_parts(book).items() if "<f>" in xml or "<f " in xml]
    sheet = openpyxl.load_workbook(book)["Activity"]
    cells = [sheet.cell(row=2 + i, column=3) for i in range(len(TRICKY_TASKS))]
    assert [c.value for c in cells] == TRICKY_TASKS
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    read = CalamineWorkbook.from_path(book).get_sheet_by_name("Activity").to_python()
    assert [row[2] for row in read[1:5]] == TRICKY_TASKS


def test_values_keep_their_kinds(book: Path) -> None:
    periods = CalamineWorkbook.from_path(book).get_sheet_by_name("Periods").to_python()
    assert periods[2] == ["K-001", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 10, 2.5, 4.75, 7.75, 0, 0, 0, 1000]
    activity = CalamineWorkbook.from_path(book).get_sheet_by_name("Activity").to_python()
    assert activity[1][0] == dt.date(2026, 1, 5)
    assert [row[5] for row in activity[1:]] == [True] * 4 + [False]
    assert activity[5][2:4] == ["", ""]
    statement = openpyxl.load_workbook(book)["Statement"]
    assert [c.number_format for c in statement[2][2:]] == ["#,##0.00"] * 4  # two currencies: no symbol
    assert [c.number_format for c in statement[5][2:]] == ["#,##0"] * 4  # yen have no minor unit


def test_summary_holds_the_dashboards_cells_and_looks(book: Path) -> None:
    board = client_dashboard("Acme Ltd - contract summary", TABLES)
    sheet = openpyxl.load_workbook(book)["Summary"]
    for cell in board.cells:
        found = sheet.cell(row=cell.row + 1, column=cell.col + 1)
        if cell.kind in ("money", "hours"):
            assert D(str(found.value)) == cell.value, cell
        elif cell.kind == "date":
            assert found.value.date() == cell.value, cell
        else:
            assert (found.value, found.data_type) == (cell.value, "s"), cell
        if cell.number_format:
            assert found.number_format == cell.number_format, cell
        assert bool(found.font.bold) == bool(STYLES[cell.style].get("bold")), cell
    placed = {(c.row, c.col) for c in board.cells}
    chart_columns = range(board.chart.data_col, board.chart.data_col + 3)
    strays = [
        (c.row - 1, c.column - 1)
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None and (c.row - 1, c.column - 1) not in placed and c.column - 1 not in chart_columns
    ]
    assert not strays  # nothing but the dashboard and the chart's figures
    assert {str(r) for r in sheet.merged_cells.ranges} >= {"A1:E1", "A2:E2"}  # the client's name, then as of
    assert sheet["A1"].value == "Acme Ltd - contract summary" and sheet["A1"].font.size == 20
    assert sheet["A2"].value == "Contract summary as of 31 Mar 2026"
    columns = etree.fromstring(sheet_parts(book)["xl/worksheets/sheet1.xml"].encode()).iter(f"{MAIN}col")
    widths = {col: float(c.get("width")) for c in columns for col in range(int(c.get("min")), int(c.get("max")) + 1)}
    assert [widths[col] for col in range(1, 6)] == pytest.approx([w + 0.71 for w in WIDTHS], abs=0.01)
    assert not sheet.sheet_view.showGridLines


def test_each_contract_has_its_figures_in_words(book: Path) -> None:
    text = client_dashboard("Acme", TABLES).text()
    assert "Care plan\tOK" not in text  # the status is the Summary's: active is no status
    lines = text.splitlines()
    care = lines.index(next(line for line in lines if line.startswith("Care plan")))
    assert lines[care + 2] == "Balance\tPaid\tUsed\tHours left this period\tPeriod ends"
    assert lines[care + 3] == "$869.50\t$1,200.00\t$330.50\t7.75 of 12.50\t31 Mar 2026"
    hosting = lines.index(next(line for line in lines if line.startswith("Hosting")))
    assert lines[hosting + 2] == "Balance\tPaid\tUsed\tHours it still buys\tLasts until about"
    assert lines[hosting + 3] == "¥38,000\t¥50,000\t¥12,000\t—\t—"


def test_balance_chart_has_one_series_per_contract_named_as_the_client_knows_it(book: Path) -> None:
    board = client_dashboard("Acme", TABLES)
    chart, drawing, relations = chart_parts(book)
    assert "drawing" in relations  # the chart sits on the first tab, Summary
    assert chart.find(f".//{C}lineChart") is not None
    assert "Balance by month" in "".join(chart.find(f"{C}chart/{C}title").itertext())
    series = chart.findall(f".//{C}ser")
    refs = [[s.find(f"{C}{part}//{C}f").text for part in ("tx", "cat", "val")] for s in series]
    header = board.chart.data_row + 2  # 1-based: the heading, then Month | Care plan | Hosting
    month, first, second = (openpyxl.utils.get_column_letter(board.chart.data_col + 1 + i) for i in range(3))
    months = f"${month}${header + 1}:${month}${header + 3}"
    assert refs == [
        [f"Summary!${first}${header}", f"Summary!{months}", f"Summary!${first}${header + 1}:${first}${header + 3}"],
        [f"Summary!${second}${header}", f"Summary!{months}", f"Summary!${second}${header + 1}:${second}${header + 3}"],
    ]
    sheet = openpyxl.load_workbook(book)["Summary"]
    assert [sheet[f"{letter}{header}"].value for letter in (month, first, second)] == ["Month", "Care plan", "Hosting"]
    assert [sheet[f"{month}{header + i}"].value for i in (1, 2, 3)] == ["2026-01", "2026-02", "2026-03"]
    # No override of Excel's default: a blank month is a gap in the line, not a zero balance.
    assert chart.find(f".//{C}dispBlanksAs") is None
    start = drawing.find(f".//{XDR}from")  # under the figures, from column A
    assert (int(start.find(f"{XDR}row").text), int(start.find(f"{XDR}col").text)) == (board.chart.top, 0)


def test_contracts_with_different_months_share_the_union_of_months(tmp_path: Path) -> None:
    statement = table(
        STATEMENT_KINDS,
        ("K-001", "2026-01", D("0.00"), D("100.00"), D("500.00"), D("400.00")),
        ("K-001", "2026-02", D("400.00"), D("100.00"), D("0.00"), D("300.00")),
        ("K-001", "2026-03", D("300.00"), D("50.25"), D("0.00"), D("249.75")),
        ("K-002", "2026-02", D("0"), D("1000"), D("9000"), D("8000")),
        ("K-002", "2026-03", D("8000"), D("1000"), D("0"), D("7000")),
        ("K-002", "2026-04", D("7000"), D("500"), D("0"), D("6500")),
    )
    path = tmp_path / "two.xlsx"
    tables = {**TABLES, "Statement": statement}
    write_client_workbook(path, tables, "Two")
    board = client_dashboard("Two", tables)
    sheet = openpyxl.load_workbook(path)["Summary"]
    top, left = board.chart.data_row + 2, board.chart.data_col + 1  # 1-based: the header row
    grid = [[c.value for c in row] for row in sheet.iter_rows(min_row=top, min_col=left, max_col=left + 2)]
    assert grid[0] == ["Month", "Care plan", "Hosting"]
    expected = [
        ["2026-01", D("400.00"), None],
        ["2026-02", D("300.00"), D("8000")],
        ["2026-03", D("249.75"), D("7000")],
        ["2026-04", None, D("6500")],
    ]
    assert [[m, *(None if v is None else D(str(v)) for v in vs)] for m, *vs in grid[1:5]] == expected
    assert all(isinstance(m, str) for m, *_ in grid[1:5])  # months stay the Statement's text


def test_a_contract_name_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    summary = Table(SUMMARY.frame.assign(Contract=["=1+1", "Hosting"]), SUMMARY.kinds)
    path = tmp_path / "formula.xlsx"
    write_client_workbook(path, {**TABLES, "Summary": summary}, "=2+2")
    assert not any(re.search(r"<f[ >]", xml) for xml in sheet_parts(path).values())
    sheet = openpyxl.load_workbook(path)["Summary"]
    assert (sheet["A1"].value, sheet["A1"].data_type) == ("=2+2", "s")
    names = [c for row in sheet.iter_rows() for c in row if c.value == "=1+1"]
    assert len(names) == 2 and all(c.data_type == "s" for c in names)  # its figures, the chart's legend


def test_balance_by_month_refuses_two_rows_for_one_month() -> None:
    assert balance_by_month(STATEMENT).rows[-1] == ["2026-03", D("869.50"), None]
    doubled = Table(STATEMENT.frame.iloc[[0, 0]], STATEMENT.kinds)
    with pytest.raises(ValueError, match="two rows"):
        balance_by_month(doubled)


def test_every_sheet_is_protected_but_can_be_filtered(book: Path) -> None:
    for sheet in openpyxl.load_workbook(book):
        protection = sheet.protection
        assert protection.sheet and not protection.password, sheet.title
        # openpyxl's flags say what is locked: False means the client may do it.
        assert not any(
            [
                protection.autoFilter,
                protection.sort,
                protection.formatColumns,
                protection.selectLockedCells,
                protection.selectUnlockedCells,
            ]
        ), sheet.title
        assert protection.formatCells and protection.insertRows and protection.deleteRows
    with zipfile.ZipFile(book) as archive:
        assert 'readOnlyRecommended="1"' in archive.read("xl/workbook.xml").decode()


def test_tables_have_a_bold_frozen_filtered_header_and_print_a_page_wide(book: Path) -> None:
    for sheet in list(openpyxl.load_workbook(book))[1:]:
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        setup = sheet.page_setup
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0  # None: the default, 1
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1", sheet.title  # the header on every page
        assert setup.paperSize == 1  # en_US: US Letter
        assert sheet.oddFooter.left.text == "Acme Ltd - contract summary" and "&P" in sheet.oddFooter.right.text


def test_the_summary_prints_on_one_page_of_the_clients_paper(tmp_path: Path) -> None:
    board = client_dashboard("Smith & Sons", TABLES, agency="Brightline", locale="en_GB")
    path = tmp_path / "gb.xlsx"
    write_client_workbook(path, TABLES, "Smith & Sons - contract summary", dashboard=board)
    sheet = openpyxl.load_workbook(path)["Summary"]
    setup = sheet.page_setup
    assert setup.fitToWidth in (None, 1) and setup.fitToHeight in (None, 1)  # None: the default, 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and (setup.paperSize, setup.orientation) == (9, "portrait")
    assert sheet.print_area == f"'Summary'!$A$1:$E${board.rows}"
    assert sheet.oddFooter.left.text == "Smith && Sons"  # & starts a code in a footer
    assert [sheet["A1"].value, sheet["A2"].value] == ["Brightline", "Smith & Sons"]  # the agency heads it


def test_totals_stay_below_the_filter(tmp_path: Path) -> None:
    payments = table(
        {"Date": "date", "Contract ID": "text", "Amount": "money", "Reference": "text"},
        (dt.date(2026, 1, 2), "K-001", D("1200.00"), "INV-1001"),
        (None, None, None, None),
        (None, "Total", D("1200.00"), None),
    )
    path = tmp_path / "totals.xlsx"
    write_client_workbook(path, {**TABLES, "Payments": Table(payments.frame, payments.kinds, footer=2)}, "T")
    sheet = openpyxl.load_workbook(path)["Payments"]
    assert sheet.auto_filter.ref == "A1:D2"
    assert [c.value for c in sheet[4]][1:3] == ["Total", 1200]


def test_one_currency_shows_its_symbol_in_every_money_cell(tmp_path: Path) -> None:
    dollars = Table(SUMMARY.frame.assign(Currency="USD"), SUMMARY.kinds)
    path = tmp_path / "usd.xlsx"
    tables = {**TABLES, "Summary": dollars}
    write_client_workbook(path, tables, "USD", dashboard=client_dashboard("USD", tables))
    book = openpyxl.load_workbook(path)
    assert book["Activity"]["G2"].number_format == '"$"#,##0.00'
    assert book["Statement"]["C5"].number_format == '"$"#,##0'  # the amount's own decimals
    german = client_dashboard("EUR", tables, locale="de_DE")
    assert german.money_format(2) == '#,##0.00 "$"'


def test_no_chart_without_statement_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    tables = {**TABLES, "Statement": table(dict(STATEMENT.kinds))}
    write_client_workbook(path, tables, "Empty")
    with zipfile.ZipFile(path) as archive:
        assert not [n for n in archive.namelist() if n.startswith("xl/charts/")]
    assert client_dashboard("Empty", tables).chart is None


def test_money_format_follows_the_exponent() -> None:
    assert [money_format(p) for p in (0, 2, 3)] == ["#,##0", "#,##0.00", "#,##0.000"]


def test_float_money_is_a_bug(tmp_path: Path) -> None:
    bad = table(
        {"Date": "date", "Contract ID": "text", "Amount": "money", "Reference": "text"},
        (dt.date(2026, 1, 2), "K-001", 12.5, "x"),
    )
    with pytest.raises(TypeError, match="Decimal"):
        write_client_workbook(tmp_path / "bad.xlsx", {"Payments": bad}, "Bad")
    assert list(tmp_path.iterdir()) == []  # no temp file left behind


def test_rewrite_replaces_the_book_and_leaves_no_temp_file(book: Path) -> None:
    write_client_workbook(book, {"Payments": PAYMENTS}, "Second run")
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]
    workbook = CalamineWorkbook.from_path(book)
    assert workbook.sheet_names == ["Summary", "Activity", "Payments", "Statement"]  # no retainer: no Periods
    assert workbook.get_sheet_by_name("Statement").to_python() == [list(CLIENT_TABS["Statement"])]


# database=None: no .hypothesis folder in a tree that others share. U+FFFE and U+FFFF are not XML
# characters: the writer stores them escaped (_xFFFE_), as OOXML says and Excel reads back, but
# calamine, the reader here, leaves that escape as it is.
@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    task=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\ufffe\uffff"),
        max_size=40,
    )
)
def test_any_task_text_reads_back_as_the_same_string(tmp_path: Path, task: str) -> None:
    path = tmp_path / "prop.xlsx"
    activity = table(dict(ACTIVITY.kinds), (dt.date(2026, 1, 5), "K-001", task, None, None, None, None))
    write_client_workbook(path, {"Activity": activity}, "Property")
    assert not any(re.search(r"<f[ >]", xml) for xml in sheet_parts(path).values())
    # calamine, not openpyxl: openpyxl leaves control characters in their _x0001_ escaped form.
    read = CalamineWorkbook.from_path(path).get_sheet_by_name("Activity").to_python()
    assert read[1][2] == task


# ---- the team template ------------------------------------------------------------------------


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "new" / "team.xlsx"
    create_template(path)
    return path


def test_template_has_instructions_then_every_input_tab_with_its_header_alone(template: Path) -> None:
    workbook = CalamineWorkbook.from_path(template)
    assert workbook.sheet_names == [INSTRUCTIONS, *(tab.name for tab in INPUT_TABS)]
    for tab in INPUT_TABS:  # the examples are on the Instructions tab only (tests/test_new_user.py)
        assert workbook.get_sheet_by_name(tab.name).to_python() == [[c.name for c in tab.columns]]


def test_template_instructions_show_each_tab_as_typed(template: Path) -> None:
    cells = CalamineWorkbook.from_path(template).get_sheet_by_name(INSTRUCTIONS).to_python()
    expected = [[value if isinstance(value, str) else float(value) for value in row] for _, row in instruction_rows()]
    assert [[value for value in row if value != ""] for row in cells] == [
        [value for value in row if value != ""] for row in expected
    ]
    time = next(i for i, row in enumerate(cells) if row[:1] == ["Time tab"])
    assert [row[5] for row in cells[time + 4 : time + 6]] == [1.5, "1:30"]  # hours as a number and as text


def test_template_has_dropdowns(template: Path) -> None:
    workbook = openpyxl.load_workbook(template)

    def rules(tab: str) -> dict[str, str]:
        return {str(v.sqref): v.formula1 for v in workbook[tab].data_validations.dataValidation}

    contracts = "Contracts!$A$2:$A$1000"
    assert rules("Clients") == {}
    assert rules("Contracts") == {"B2:B10000": "Clients!$A$2:$A$1000"}
    assert rules("Rates") == {"A2:A10000": contracts}
    assert rules("Time") == {"C2:C10000": contracts, "G2:G10000": '"Y,N"'}
    assert rules("Payments") == {"B2:B10000": contracts}
    assert rules("Expenses") == {"B2:B10000": contracts, "E2:E10000": '"Y,N"'}
    assert all(v.type == "list" for ws in workbook for v in ws.data_validations.dataValidation)


def test_template_header_is_bold_and_frozen(template: Path) -> None:
    workbook = openpyxl.load_workbook(template)
    for tab in INPUT_TABS:
        sheet = workbook[tab.name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])


def test_template_refuses_an_existing_file(template: Path) -> None:
    before = template.read_bytes()
    with pytest.raises(SyncError, match="already exists; choose another path"):
        create_template(template)
    assert template.read_bytes() == before
