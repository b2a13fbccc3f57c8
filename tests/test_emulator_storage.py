"""The emulator's compact storage and fast paths answer exactly as its cell-by-cell rules do.

Values live in tuples a row at a time, formats in lists a column at a time, and big reads,
writes, repeatCells and JSON answers take shortcuts (tests/sheets_emulator/grid.py). These
tests hold the shortcuts to the plain rules: each cell rendered on its own, json.dumps(indent=2).
"""

from __future__ import annotations

import json

import gspread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sheets_emulator import a1, cells, pretty

# Numbers stay where a date format can show them (serials of the years 1626 to 4637).
SCALARS = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=4),
    st.integers(-(10**5), 10**6),
    st.booleans(),
    st.floats(-1e5, 1e6, allow_nan=False),
    st.sampled_from([2.0, 0.5, 45000.25, "1:30", "=1+2", "2026-11-26", "$1,234.50", "'007"]),
)
FORMATS = st.sampled_from(
    [
        {"type": "NUMBER", "pattern": "0.00"},
        {"type": "DATE", "pattern": "yyyy-mm-dd"},
        {"type": "TIME", "pattern": "h:mm:ss"},
        {"type": "TEXT"},
        {"type": "PERCENT"},
    ]
)
OPTIONS = st.tuples(
    st.sampled_from(["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"]),
    st.sampled_from(["SERIAL_NUMBER", "FORMATTED_STRING"]),
    st.sampled_from(["ROWS", "COLUMNS"]),
)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def reference(emulator, book_id, rect, value_option, datetime_option, major):
    """The values API's answer built one cell at a time, the plain way."""

    def shown(r, c):
        return cells.render(emulator.cell(book_id, "Sheet1", a1.cell_name(r, c)), value_option, datetime_option)

    outer = range(rect.start_row, rect.end_row) if major == "ROWS" else range(rect.start_col, rect.end_col)
    inner = range(rect.start_col, rect.end_col) if major == "ROWS" else range(rect.start_row, rect.end_row)
    lines = []
    for i in outer:
        line = [shown(i, j) if major == "ROWS" else shown(j, i) for j in inner]
        while line and line[-1] is None:
            line.pop()
        lines.append(["" if value is None else value for value in line])
    while lines and not lines[-1]:
        lines.pop()
    return lines


@given(
    rows=st.lists(st.lists(SCALARS, max_size=5), min_size=1, max_size=6),
    entered=st.booleans(),
    formats=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4), FORMATS), max_size=4),
    corner=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    size=st.tuples(st.integers(1, 7), st.integers(1, 6)),
    options=OPTIONS,
)
@SLOW
def test_reads_answer_as_cell_by_cell_rendering(
    emulator, gspread_client, rows, entered, formats, corner, size, options
):
    book_id = emulator.create_spreadsheet("Cells", {"Sheet1": [["h"]]})
    book = gspread_client.open_by_key(book_id)
    book.values_update("Sheet1!A1", {"valueInputOption": "USER_ENTERED" if entered else "RAW"}, {"values": rows})
    for row, col, number_format in formats:  # a format on a cell, or on the rest of its column
        book.batch_update(
            {
                "requests": [
                    {
                        "repeatCell": {
                            "range": {
                                "sheetId": 0,
                                "startRowIndex": row,
                                "endRowIndex": row + 1 + (col % 2) * 3,
                                "startColumnIndex": col,
                                "endColumnIndex": col + 1,
                            },
                            "cell": {"userEnteredFormat": {"numberFormat": number_format}},
                            "fields": "userEnteredFormat.numberFormat",
                        }
                    }
                ]
            }
        )
    rect = a1.Rect(corner[0], corner[1], corner[0] + size[0], corner[1] + size[1])
    value_option, datetime_option, major = options
    answer = book.values_get(
        f"Sheet1!{a1.format_rect(rect)}",
        {"valueRenderOption": value_option, "dateTimeRenderOption": datetime_option, "majorDimension": major},
    )
    expected = reference(emulator, book_id, rect, value_option, datetime_option, major)
    assert answer.get("values", []) == expected
    assert [type(v) for line in answer.get("values", []) for v in line] == [type(v) for line in expected for v in line]


def test_whole_rows_and_whole_floats(emulator, gspread_client):
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Rows", {"Sheet1": [["h"]]}))
    book.values_update(
        "Sheet1!A1",
        {"valueInputOption": "RAW"},
        {"values": [["a", 2.0, "", True], [], ["", "", ""], [1.5, "x", "", ""]]},
    )
    values = book.values_get("Sheet1", {"valueRenderOption": "UNFORMATTED_VALUE"})["values"]
    assert values == [["a", 2, "", True], [], [], [1.5, "x"]] and type(values[0][1]) is int
    data = book.fetch_sheet_metadata({"ranges": "Sheet1!B1", "fields": "sheets.data.rowData.values.userEnteredValue"})
    assert data["sheets"][0]["data"][0]["rowData"] == [{"values": [{"userEnteredValue": {"numberValue": 2}}]}]


def test_equal_values_of_other_types_render_apart(emulator, gspread_client):
    """1, 1.0 and True are one key to a dict: the rendering cache keys on the type too."""
    rows = [[1], [True], [1.0], [0], [False]]
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Types", {"Sheet1": rows}))
    assert book.values_get("Sheet1!A:A")["values"] == [["1"], ["TRUE"], ["1"], ["0"], ["FALSE"]]
    assert book.values_get("Sheet1!A:A", {"valueRenderOption": "UNFORMATTED_VALUE"})["values"] == [
        [1],
        [True],
        [1],
        [0],
        [False],
    ]


def test_repeat_cell_changes_each_cell_as_a_cell_by_cell_update_would(emulator, gspread_client):
    """The shortcut changes each distinct format once; updateCells goes cell by cell."""
    tabs = {"Sheet1": [["a", 1, 2.5], ["b", 2, 3], ["c", 3, 4]]}
    fast, slow = (gspread_client.open_by_key(emulator.create_spreadsheet(name, tabs)) for name in ("Fast", "Slow"))
    for book in (fast, slow):
        book.sheet1.format("A1:B2", {"textFormat": {"bold": True}})
        book.sheet1.format("B2:C3", {"numberFormat": {"type": "NUMBER", "pattern": "0.0"}})
        book.sheet1.update_note("C1", "checked")
    change = {
        "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy"}, "textFormat": {"italic": True}}
    }
    fields = "userEnteredFormat(numberFormat,textFormat.italic)"
    whole = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 3}
    fast.batch_update({"requests": [{"repeatCell": {"range": whole, "cell": change, "fields": fields}}]})
    slow.batch_update(
        {"requests": [{"updateCells": {"range": whole, "rows": [{"values": [change] * 3}] * 3, "fields": fields}}]}
    )
    for name in ("A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3"):
        assert emulator.cell(fast.id, "Sheet1", name) == emulator.cell(slow.id, "Sheet1", name), name


def test_a_refused_batch_leaves_shared_rows_and_formats_as_they_were(emulator, gspread_client):
    """Changes are made on a copy that shares rows and format columns with the original."""
    rows = [[f"r{i}", i, i / 4] for i in range(2000)]
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Big", {"Sheet1": rows}))
    book.sheet1.format("C1:C2000", {"numberFormat": {"type": "NUMBER", "pattern": "0.00"}})
    before = emulator.values(book.id, "Sheet1"), emulator.cell(book.id, "Sheet1", "C7")
    with pytest.raises(gspread.exceptions.APIError):
        book.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Sheet1!A1", "values": [["changed", 0, 0]] * 1500},
                    {"range": "Sheet1!A2001", "values": [["x"]]},
                ],
            }
        )
    with pytest.raises(gspread.exceptions.APIError):
        book.batch_update(
            {
                "requests": [
                    {
                        "repeatCell": {
                            "range": {"sheetId": 0, "startColumnIndex": 2, "endColumnIndex": 3},
                            "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE"}}},
                            "fields": "userEnteredFormat.numberFormat",
                        }
                    },
                    {"deleteSheet": {"sheetId": 99}},
                ]
            }
        )
    assert (emulator.values(book.id, "Sheet1"), emulator.cell(book.id, "Sheet1", "C7")) == before


GRIDS = st.lists(
    st.one_of(
        st.lists(SCALARS, max_size=4),
        st.tuples(SCALARS, SCALARS),
        st.lists(st.one_of(SCALARS, st.lists(SCALARS, max_size=2)), max_size=3),
    ),
    max_size=5,
)


@given(
    st.recursive(
        st.one_of(SCALARS, GRIDS),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
        max_leaves=12,
    )
)
@settings(max_examples=300, deadline=None)
def test_pretty_json_is_json_dumps_indented(body):
    assert pretty.dumps(body) == json.dumps(body, ensure_ascii=False, indent=2)


def test_pretty_json_of_a_big_range():
    rows = [(45000 + i, "Ann", "K-00012", 'Fix "checkout" bug\n', "", 1.25, True, None) for i in range(5000)]
    body = {
        "spreadsheetId": "x",
        "valueRanges": [
            {"range": "'Time'!A1:Z5000", "majorDimension": "ROWS", "values": rows},
            {"range": "'Time'!A1", "values": [[]]},
        ],
    }
    assert pretty.dumps(body) == json.dumps(body, ensure_ascii=False, indent=2)
