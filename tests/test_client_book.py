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
from sync.backends.xlsx.client_book import balance_by_month, contract_row_ranges, write_client_workbook
from sync.errors import SyncError
from sync.model.schema import CLIENT_TABS, INPUT_TABS
from sync.model.table import Table

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
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


def test_tabs_and_headers_follow_the_schema(book: Path) -> None:
    workbook = CalamineWorkbook.from_path(book)
    assert workbook.sheet_names == list(CLIENT_TABS)
    for name, columns in CLIENT_TABS.items():
        assert workbook.get_sheet_by_name(name).to_python()[0] == list(columns)


def test_text_that_looks_like_a_formula_stays_text(book: Path) -> None:
    assert not [name for name, xml in sheet_parts(book).items() if "<f>" in xml or "<f " in xml]
    sheet = openpyxl.load_workbook(book)["Activity"]
    cells = [sheet.cell(row=2 + i, column=3) for i in range(len(TRICKY_TASKS))]
    assert [c.value for c in cells] == TRICKY_TASKS
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    read = CalamineWorkbook.from_path(book).get_sheet_by_name("Activity").to_python()
    assert [row[2] for row in read[1:5]] == TRICKY_TASKS


def test_values_keep_their_kinds(book: Path) -> None:
    sheet = openpyxl.load_workbook(book)["Summary"]
    k1, k2 = sheet[2], sheet[3]
    assert [D(str(c.value)) for c in k1[3:6]] == [D("1200.00"), D("330.50"), D("869.50")]
    assert [c.number_format for c in k1[3:6]] == ["#,##0.00"] * 3
    assert [c.number_format for c in k2[3:6]] == ["#,##0"] * 3  # yen have no minor unit
    assert (k1[6].value, k1[6].number_format) == (7.25, "0.00")
    assert k1[7].value.date() == dt.date(2026, 5, 1) and k1[7].number_format == "yyyy-mm-dd"
    assert k2[6].value is None and k2[7].value is None  # blanks stay blank
    assert [c.value for c in k1[8:13]] == [10, 2.5, 4.75, 7.75, "on track"]
    assert [c.number_format for c in k1[8:12]] == ["0.00"] * 4
    assert [c.value for c in k2[8:13]] == [None] * 5
    periods = CalamineWorkbook.from_path(book).get_sheet_by_name("Periods").to_python()
    assert periods[2] == ["K-001", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 10, 2.5, 4.75, 7.75, 0, 0, 0, 1000]
    activity = CalamineWorkbook.from_path(book).get_sheet_by_name("Activity").to_python()
    assert activity[1][0] == dt.date(2026, 1, 5)
    assert [row[5] for row in activity[1:]] == [True] * 4 + [False]
    assert activity[5][2:4] == ["", ""]


def test_header_is_bold_frozen_and_filtered(book: Path) -> None:
    for sheet in openpyxl.load_workbook(book):
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")


def test_title_is_in_the_document_properties(book: Path) -> None:
    assert openpyxl.load_workbook(book).properties.title == "Acme Ltd - contract summary"


def chart_parts(path: Path) -> tuple[etree._Element, etree._Element, str]:
    """The first chart, the drawing that anchors it, and the Summary sheet's relations."""
    with zipfile.ZipFile(path) as archive:
        return (
            etree.fromstring(archive.read("xl/charts/chart1.xml")),
            etree.fromstring(archive.read("xl/drawings/drawing1.xml")),
            archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode(),
        )


def summary_rows(path: Path) -> list[list[object]]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path)["Summary"].iter_rows()]


def test_balance_chart_has_one_series_per_contract(book: Path) -> None:
    chart, _, relations = chart_parts(book)
    assert "drawing" in relations  # the chart sits on the first tab, Summary
    assert chart.find(f".//{C}lineChart") is not None
    assert "Balance by month" in "".join(chart.find(f"{C}chart/{C}title").itertext())
    series = chart.findall(f".//{C}ser")
    refs = [[s.find(f"{C}{part}//{C}f").text for part in ("tx", "cat", "val")] for s in series]
    # Summary: header, K-001, K-002, a blank row, the heading, then Month | K-001 | K-002 from row 6.
    assert refs == [
        ["Summary!$B$6", "Summary!$A$7:$A$9", "Summary!$B$7:$B$9"],
        ["Summary!$C$6", "Summary!$A$7:$A$9", "Summary!$C$7:$C$9"],
    ]
    assert chart.find(f".//{C}valAx/{C}numFmt").get("formatCode") == "#,##0.00"
    # No override of Excel's default: a blank month is a gap in the line, not a zero balance.
    assert chart.find(f".//{C}dispBlanksAs") is None


def test_chart_series_share_one_month_column(book: Path) -> None:
    chart, _, _ = chart_parts(book)
    categories = {s.find(f"{C}cat//{C}f").text for s in chart.findall(f".//{C}ser")}
    assert categories == {"Summary!$A$7:$A$9"}
    rows = summary_rows(book)
    assert rows[3][:3] == [None] * 3  # one blank row between the tables
    assert rows[4][0] == "Balance by month"
    assert rows[5][:3] == ["Month", "K-001", "K-002"]
    assert [r[0] for r in rows[6:9]] == ["2026-01", "2026-02", "2026-03"]


def test_chart_sits_right_of_every_cell_with_data(book: Path) -> None:
    _, drawing, _ = chart_parts(book)
    sheet = openpyxl.load_workbook(book)["Summary"]
    start = drawing.find(f".//{XDR}from")
    # max_column is 1-based, the anchor 0-based: > leaves a blank column between.
    assert int(start.find(f"{XDR}col").text) > sheet.max_column
    assert int(start.find(f"{XDR}row").text) >= 1  # below the frozen header


def test_contracts_with_different_months_share_the_union_of_months(tmp_path: Path) -> None:
    statement = table(
        STATEMENT_KINDS,
        ("K-1", "2026-01", D("0.00"), D("100.00"), D("500.00"), D("400.00")),
        ("K-1", "2026-02", D("400.00"), D("100.00"), D("0.00"), D("300.00")),
        ("K-1", "2026-03", D("300.00"), D("50.25"), D("0.00"), D("249.75")),
        ("K-2", "2026-02", D("0"), D("1000"), D("9000"), D("8000")),
        ("K-2", "2026-03", D("8000"), D("1000"), D("0"), D("7000")),
        ("K-2", "2026-04", D("7000"), D("500"), D("0"), D("6500")),
    )
    path = tmp_path / "two.xlsx"
    write_client_workbook(path, {**TABLES, "Statement": statement}, "Two")
    sheet = openpyxl.load_workbook(path)["Summary"]
    header_row = 6  # 1-based: header, two contracts, blank, heading
    assert [c.value for c in sheet[header_row][:3]] == ["Month", "K-1", "K-2"]
    grid = [[c.value for c in row[:3]] for row in sheet.iter_rows(min_row=header_row + 1)]
    expected = [
        ["2026-01", D("400.00"), None],
        ["2026-02", D("300.00"), D("8000")],
        ["2026-03", D("249.75"), D("7000")],
        ["2026-04", None, D("6500")],
    ]
    assert len(grid) == 4
    assert [[m, *(None if v is None else D(str(v)) for v in vs)] for m, *vs in grid] == expected
    assert all(isinstance(m, str) for m, *_ in grid)  # months stay the Statement's text
    cells = list(sheet.iter_rows(min_row=header_row + 1, min_col=2, max_col=3))
    formats = [[c.number_format if c.value is not None else None for c in row] for row in cells]
    assert formats == [["#,##0.00", None], ["#,##0.00", "#,##0"], ["#,##0.00", "#,##0"], [None, "#,##0"]]
    chart, _, _ = chart_parts(path)
    refs = [[s.find(f"{C}{part}//{C}f").text for part in ("cat", "val")] for s in chart.findall(f".//{C}ser")]
    assert refs == [["Summary!$A$7:$A$10", "Summary!$B$7:$B$10"], ["Summary!$A$7:$A$10", "Summary!$C$7:$C$10"]]


def test_contract_id_that_looks_like_a_formula_stays_text_in_the_month_table(tmp_path: Path) -> None:
    statement = table(STATEMENT_KINDS, ("=1+1", "2026-01", D("0"), D("0"), D("10"), D("10")))
    path = tmp_path / "formula.xlsx"
    write_client_workbook(path, {"Statement": statement}, "Formula")
    assert not any(re.search(r"<f[ >]", xml) for xml in sheet_parts(path).values())
    header = openpyxl.load_workbook(path)["Summary"]["B4"]  # header only above: blank, heading, table
    assert (header.value, header.data_type, header.quotePrefix, header.font.bold) == ("=1+1", "s", True, True)
    chart, _, _ = chart_parts(path)
    assert chart.find(f".//{C}ser/{C}tx//{C}f").text == "Summary!$B$4"


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


def test_no_chart_without_statement_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_client_workbook(path, {**TABLES, "Statement": table(dict(STATEMENT.kinds))}, "Empty")
    with zipfile.ZipFile(path) as archive:
        assert not [n for n in archive.namelist() if n.startswith("xl/charts/")]
    assert len(summary_rows(path)) == 1 + len(SUMMARY.frame)  # no month table either


def test_statement_must_be_grouped_by_contract() -> None:
    assert contract_row_ranges(STATEMENT) == [(0, 2), (3, 4)]
    shuffled = Table(STATEMENT.frame.iloc[[0, 3, 1]], STATEMENT.kinds)
    with pytest.raises(ValueError, match="grouped"):
        contract_row_ranges(shuffled)


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
    assert workbook.sheet_names == list(CLIENT_TABS)
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
