"""The Sheets emulator through unmodified gspread: values in and out, as Google does them.

Sheets, batchUpdate and Drive behaviour: test_emulator_sheets.py, test_emulator_drive.py;
faults, counts and the command line: test_emulator_faults.py; the recorded answers:
test_emulator_recordings.py.
"""

from __future__ import annotations

import datetime as dt

import gspread
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sheets_emulator import a1

SERIAL_2026_11_26 = 46352  # days since 1899-12-30


@pytest.fixture
def book(emulator, gspread_client):
    """A two-tab book, the second with a title that must be quoted."""
    book_id = emulator.create_spreadsheet(
        "Ledger",
        {
            "Sheet1": [["Client", "Hours", "Paid"], ["Acme", 1.5, True], ["Bolt", 2, False]],
            "My Tab's": [["x"]],
        },
    )
    return gspread_client.open_by_key(book_id)


def test_open_by_key_reads_the_metadata(book):
    assert book.title == "Ledger"
    assert [(ws.title, ws.id, ws.row_count, ws.col_count) for ws in book.worksheets()] == [
        ("Sheet1", 0, 1000, 26),
        ("My Tab's", book.worksheets()[1].id, 1000, 26),
    ]


def test_ranges_echo_clipped_and_quoted_only_when_needed(book):
    def echoed(text):
        return book.values_get(text)["range"]

    assert echoed("Sheet1") == "Sheet1!A1:Z1000"
    assert echoed("'Sheet1'!A:C") == "Sheet1!A1:C1000"
    assert echoed("Sheet1!A2:C") == "Sheet1!A2:C1000"
    assert echoed("Sheet1!B2:2") == "Sheet1!B2:Z2"
    assert echoed("Sheet1!C3") == "Sheet1!C3"
    assert echoed("A1:B2") == "Sheet1!A1:B2"  # no sheet: the first one
    assert echoed("'My Tab''s'!A1:B2") == "'My Tab''s'!A1:B2"


def test_values_drop_trailing_blanks_and_leave_out_empty_ranges(emulator, gspread_client):
    book_id = emulator.create_spreadsheet("Gaps", {"Sheet1": [["A1", "", "C1", ""], [], ["", "b3"], [None]]})
    book = gspread_client.open_by_key(book_id)
    assert book.values_get("Sheet1")["values"] == [["A1", "", "C1"], [], ["", "b3"]]
    assert book.values_get("Sheet1!D1:E9") == {"range": "Sheet1!D1:E9", "majorDimension": "ROWS"}
    assert book.values_get("Sheet1!A1:C3", params={"majorDimension": "COLUMNS"})["values"] == [
        ["A1"],
        ["", "", "b3"],
        ["C1"],
    ]


def test_render_options(book):
    get = book.sheet1.get
    assert get("A2:C3") == [["Acme", "1.5", "TRUE"], ["Bolt", "2", "FALSE"]]
    assert get("A2:C3", value_render_option="UNFORMATTED_VALUE") == [["Acme", 1.5, True], ["Bolt", 2, False]]


def test_whole_numbers_come_back_as_json_integers(book):
    response = book.values_get("Sheet1!B3", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert response["values"] == [[2]] and type(response["values"][0][0]) is int


def test_raw_keeps_strings_user_entered_parses_them(book):
    sheet = book.sheet1
    typed = [["12", "=1+1", "2026-11-26", "TRUE", "12.5%", "'007", "$1,234.50"]]
    sheet.update(typed, "A5", value_input_option="RAW")
    sheet.update(typed, "A6", value_input_option="USER_ENTERED")
    unformatted = sheet.get("A5:G6", value_render_option="UNFORMATTED_VALUE")
    assert unformatted == [
        ["12", "=1+1", "2026-11-26", "TRUE", "12.5%", "'007", "$1,234.50"],
        [12, 2, SERIAL_2026_11_26, True, 0.125, "007", 1234.5],
    ]
    assert sheet.get("A6:G6") == [["12", "2", "2026-11-26", "TRUE", "12.50%", "007", "$1,234.50"]]
    assert sheet.get("B6", value_render_option="FORMULA") == [["=1+1"]]


def test_dates_render_as_serials_or_formatted_strings(emulator, gspread_client):
    book_id = emulator.create_spreadsheet("Dates", {"Sheet1": [["Start", dt.date(2026, 11, 26)]]})
    book = gspread_client.open_by_key(book_id)

    def read(**params):
        return book.values_batch_get(["Sheet1!B1"], params=params)["valueRanges"][0]["values"]

    assert read() == [["2026-11-26"]]
    assert read(valueRenderOption="UNFORMATTED_VALUE") == [[SERIAL_2026_11_26]]
    assert read(valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="SERIAL_NUMBER") == [[46352]]
    assert read(valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING") == [["2026-11-26"]]


def test_a_date_format_set_on_a_number_changes_how_it_reads(book):
    sheet = book.sheet1
    sheet.update([[SERIAL_2026_11_26]], "E1", value_input_option="RAW")
    sheet.format("E1", {"numberFormat": {"type": "DATE", "pattern": "dd mmm yyyy"}})
    assert sheet.get("E1") == [["26 Nov 2026"]]
    assert sheet.get("E1", value_render_option="UNFORMATTED_VALUE") == [[SERIAL_2026_11_26]]


def test_update_response_and_nulls_left_alone(book):
    response = book.sheet1.update([[None, "b"], ["c", None]], "A1:B2", value_input_option="RAW")
    assert response == {
        "spreadsheetId": book.id,
        "updatedRange": "Sheet1!A1:B2",
        "updatedRows": 2,
        "updatedColumns": 2,
        "updatedCells": 2,
    }
    assert book.sheet1.get("A1:B2") == [["Client", "b"], ["c", "1.5"]]


def test_writing_past_the_grid_is_refused(book):
    with pytest.raises(gspread.exceptions.APIError) as refused:
        book.sheet1.update([["late"]], "A1001", value_input_option="RAW")
    assert refused.value.error == {
        "code": 400,
        "status": "INVALID_ARGUMENT",
        "message": "Range ('Sheet1'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26",
    }


def test_data_larger_than_the_range_is_refused(book):
    with pytest.raises(
        gspread.exceptions.APIError,
        match=r"Requested writing within range \['Sheet1'!A1:B1\], "
        r"but tried writing to column \[C\]",
    ):
        book.sheet1.update([["a", "b", "c"]], "A1:B1", value_input_option="RAW")


def test_values_batch_update_is_all_or_nothing(book):
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        book.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Sheet1!A10", "values": [["kept?"]]},
                    {"range": "Sheet1!A1001", "values": [["too far"]]},
                ],
            }
        )
    assert "values" not in book.values_get("Sheet1!A10")
    response = book.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [{"range": "Sheet1!A10", "values": [["a", "b"]]}, {"range": "Sheet1!A12", "values": [["c"]]}],
        }
    )
    assert {k: v for k, v in response.items() if k.startswith("total")} == {
        "totalUpdatedRows": 2,
        "totalUpdatedColumns": 2,
        "totalUpdatedCells": 3,
        "totalUpdatedSheets": 1,
    }
    assert [r["updatedRange"] for r in response["responses"]] == ["Sheet1!A10:B10", "Sheet1!A12"]


def test_clear_and_batch_clear_keep_formats(book, emulator):
    sheet = book.sheet1
    sheet.format("A1", {"textFormat": {"bold": True}})
    assert book.values_clear("Sheet1!A1:A2") == {"spreadsheetId": book.id, "clearedRange": "Sheet1!A1:A2"}
    assert book.values_batch_clear(body={"ranges": ["Sheet1!B1", "'My Tab''s'"]})["clearedRanges"] == [
        "Sheet1!B1",
        "'My Tab''s'!A1:Z1000",
    ]
    assert sheet.get("A1:C2") == [["", "", "Paid"], ["", "1.5", "TRUE"]]
    assert emulator.cell(book.id, "Sheet1", "A1")["userEnteredFormat"]["textFormat"] == {"bold": True}


def test_append_finds_the_table_and_reports_it(book):
    response = book.sheet1.append_row(["Cogs", 3, True], value_input_option="RAW")
    assert response["tableRange"] == "Sheet1!A1:C3"
    assert response["updates"]["updatedRange"] == "Sheet1!A4:C4"
    blank = book.values_append("'My Tab''s'!C5", {"valueInputOption": "RAW"}, {"values": [["y"]]})
    assert "tableRange" not in blank and blank["updates"]["updatedRange"] == "'My Tab''s'!C5"


def test_append_grows_the_grid(emulator, gspread_client):
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Small", {"Sheet1": [["h"]]}))
    sheet = book.add_worksheet("Tiny", rows=2, cols=2)
    sheet.append_rows([["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"]], value_input_option="RAW")
    assert emulator.sheet_properties(book.id)[1]["gridProperties"] == {"rowCount": 3, "columnCount": 3}


@given(
    st.lists(
        st.lists(
            st.one_of(
                st.text(min_size=1).filter(lambda s: s.strip() == s), st.integers(-(10**9), 10**9), st.booleans()
            ),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=4,
    )
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_raw_values_read_back_unformatted(emulator, gspread_client, rows):
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Round trip"))
    book.values_update("Sheet1!A1", {"valueInputOption": "RAW"}, {"values": rows})
    width = max(len(row) for row in rows)
    read = book.values_get(
        f"Sheet1!A1:{a1.column_letters(width - 1)}{len(rows)}", {"valueRenderOption": "UNFORMATTED_VALUE"}
    )["values"]
    assert read == rows and [type(v) for row in read for v in row] == [type(v) for row in rows for v in row]


@given(st.integers(0, a1.MAX_COLUMNS - 1), st.integers(0, 10**6), st.integers(1, 50), st.integers(1, 50))
def test_a1_ranges_print_and_parse_back(col, row, rows, cols):
    rect = a1.Rect(row, col, row + rows, min(col + cols, a1.MAX_COLUMNS))
    parsed = a1.parse_cells(a1.format_rect(rect))
    assert (parsed.start_row, parsed.start_col, parsed.end_row, parsed.end_col) == (
        rect.start_row,
        rect.start_col,
        rect.end_row,
        rect.end_col,
    )


def test_append_to_a_whole_sheet_extends_the_last_table(emulator, gspread_client):
    """With A1 and C1 filled and B1 empty there are two tables; appending to A1 extends the one
    there (recorded), appending to the whole sheet extends the last one, C1, so the row starts in
    column C (gspread issues 537, 603, 828 show Google doing so)."""
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Tables", {"Sheet1": [["x", "", "z"]]}))
    at_a1 = book.values_append("Sheet1!A1", {"valueInputOption": "RAW"}, {"values": [["a", "", "c"]]})
    assert (at_a1["tableRange"], at_a1["updates"]["updatedRange"]) == ("Sheet1!A1", "Sheet1!A2:C2")
    whole = book.values_append("Sheet1", {"valueInputOption": "RAW"}, {"values": [["d", "", "f"]]})
    assert (whole["tableRange"], whole["updates"]["updatedRange"]) == ("Sheet1!C1:C2", "Sheet1!C3:E3")
