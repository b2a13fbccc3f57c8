"""The Sheets emulator's spreadsheets.get and batchUpdate, through unmodified gspread."""

from __future__ import annotations

import gspread
import pytest

CELL_LIMIT_MESSAGE = "This action would increase the number of cells in the workbook above the limit of 10000000 cells."


@pytest.fixture
def book(emulator, gspread_client):
    return gspread_client.open_by_key(emulator.create_spreadsheet("Book", {"Sheet1": [["a", "b"], ["c", "d"]]}))


def refusal(call) -> dict:
    with pytest.raises(gspread.exceptions.APIError) as refused:
        call()
    return refused.value.error


def test_a_new_sheet_is_1000_by_26_with_a_random_id(book):
    reply = book.batch_update({"requests": [{"addSheet": {"properties": {"title": "Balances"}}}]})
    properties = reply["replies"][0]["addSheet"]["properties"]
    assert properties == {
        "sheetId": properties["sheetId"],
        "title": "Balances",
        "index": 1,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 1000, "columnCount": 26},
    }
    assert 0 < properties["sheetId"] < 2**31


def test_batch_update_is_atomic(book, emulator):
    error = refusal(
        lambda: book.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "Balances"}}},
                    {
                        "updateCells": {
                            "start": {"sheetId": 0},
                            "fields": "userEnteredValue",
                            "rows": [{"values": [{"userEnteredValue": {"stringValue": "changed"}}]}],
                        }
                    },
                    {"addSheet": {"properties": {"title": "sheet1"}}},  # names are case-insensitive
                ]
            }
        )
    )
    assert error == {
        "code": 400,
        "status": "INVALID_ARGUMENT",
        "message": "Invalid requests[2].addSheet: A sheet "
        'with the name "sheet1" already exists. Please enter another name.',
    }
    assert [p["title"] for p in emulator.sheet_properties(book.id)] == ["Sheet1"]
    assert emulator.values(book.id, "Sheet1") == [["a", "b"], ["c", "d"]]


def test_unknown_sheet_ids_and_the_last_sheet(book):
    assert (
        refusal(lambda: book.batch_update({"requests": [{"deleteSheet": {"sheetId": 42}}]}))["message"]
        == "Invalid requests[0].deleteSheet: No sheet with id: 42"
    )
    assert (
        refusal(lambda: book.batch_update({"requests": [{"deleteSheet": {"sheetId": 0}}]}))["message"]
        == "Invalid requests[0].deleteSheet: You can't remove all the sheets in a document."
    )


def test_unmodelled_and_unknown_requests_are_loud(book):
    assert refusal(lambda: book.batch_update({"requests": [{"sortRange": {}}]}))["code"] == 501
    error = refusal(lambda: book.batch_update({"requests": [{"addShete": {}}]}))
    assert error["message"] == (
        "Invalid JSON payload received. Unknown name \"addShete\" at 'requests[0]': Cannot find field."
    )


def test_update_sheet_properties_honours_the_mask(book, emulator):
    book.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": 0,
                            "title": "ignored",
                            "gridProperties": {"rowCount": 1, "columnCount": 5, "frozenRowCount": 1},
                        },
                        "fields": "gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount",
                    }
                }
            ]
        }
    )
    assert emulator.sheet_properties(book.id) == [
        {
            "sheetId": 0,
            "title": "Sheet1",
            "index": 0,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": 1, "columnCount": 5, "frozenRowCount": 1},
        }
    ]
    assert emulator.values(book.id, "Sheet1") == [["a", "b"]]  # shrinking the grid lost row 2


def test_the_ten_million_cell_limit(book, emulator):
    too_big = {
        "requests": [
            {"addSheet": {"properties": {"title": "Huge", "gridProperties": {"rowCount": 400_000, "columnCount": 25}}}}
        ]
    }
    message = refusal(lambda: book.batch_update(too_big))["message"]
    assert message == f"Invalid requests[0].addSheet: {CELL_LIMIT_MESSAGE}"
    book.batch_update(
        {
            "requests": [
                {
                    "addSheet": {
                        "properties": {"title": "Big", "gridProperties": {"rowCount": 398_000, "columnCount": 25}}
                    }
                }
            ]
        }
    )  # 26,000 + 9,950,000 cells: fits
    grow = {
        "requests": [
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": {"rowCount": 2000}},
                    "fields": "gridProperties.rowCount",
                }
            }
        ]
    }
    assert (
        refusal(lambda: book.batch_update(grow))["message"]
        == f"Invalid requests[0].updateSheetProperties: {CELL_LIMIT_MESSAGE}"
    )
    # 2,000 rows after the 2-row table: Sheet1 grows to 2,002 x 26, past the limit
    assert refusal(lambda: book.sheet1.append_rows([["x"]] * 2000, table_range="A1"))["message"] == CELL_LIMIT_MESSAGE
    assert emulator.sheet_properties(book.id)[0]["gridProperties"]["rowCount"] == 1000


def test_dimensions_move_cells(book, emulator):
    book.batch_update(
        {
            "requests": [
                {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}}},
                {"deleteDimension": {"range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}}},
                {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 10}},
            ]
        }
    )
    assert emulator.values(book.id, "Sheet1") == [[], ["b"], ["d"]]
    assert emulator.sheet_properties(book.id)[0]["gridProperties"] == {"rowCount": 1011, "columnCount": 25}


def test_protected_ranges_are_stored_echoed_and_inspectable(book, emulator):
    request = {
        "addProtectedRange": {
            "protectedRange": {
                "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                "description": "Header",
                "warningOnly": False,
                "editors": {"users": ["boss@agency.example"], "groups": []},
            }
        }
    }
    reply = book.batch_update({"requests": [request]})["replies"][0]["addProtectedRange"]["protectedRange"]
    range_id = reply["protectedRangeId"]
    assert reply == {
        "protectedRangeId": range_id,
        "range": {"startRowIndex": 0, "endRowIndex": 1},
        "description": "Header",
        "requestingUserCanEdit": True,
        "editors": {"users": ["boss@agency.example"]},
    }
    listed = book.fetch_sheet_metadata({"fields": "sheets.protectedRanges"})["sheets"][0]["protectedRanges"]
    assert listed[0]["editors"] == {"users": ["boss@agency.example", emulator.service_account_email]}
    assert emulator.protected_ranges(book.id)[0]["range"] == {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}
    book.batch_update({"requests": [{"deleteProtectedRange": {"protectedRangeId": range_id}}]})
    assert emulator.protected_ranges(book.id) == []


def test_formats_are_stored_and_echoed_with_colour_twins(book):
    book.sheet1.format(
        "A1:B1", {"backgroundColor": {"red": 0.5}, "numberFormat": {"type": "NUMBER", "pattern": "0.00"}}
    )
    data = book.fetch_sheet_metadata({"ranges": "Sheet1!A1", "fields": "sheets.data.rowData.values.userEnteredFormat"})
    assert data == {
        "sheets": [
            {
                "data": [
                    {
                        "rowData": [
                            {
                                "values": [
                                    {
                                        "userEnteredFormat": {
                                            "backgroundColor": {"red": 0.49803922},
                                            "backgroundColorStyle": {"rgbColor": {"red": 0.49803922}},
                                            "numberFormat": {"type": "NUMBER", "pattern": "0.00"},
                                        }
                                    }
                                ]
                            }
                        ]
                    }
                ]
            }
        ]
    }


def test_charts_get_an_id_and_are_listed_on_their_sheet(book):
    chart = {
        "spec": {"title": "Balance", "basicChart": {"chartType": "LINE"}},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 2, "columnIndex": 0}}},
    }
    added = book.batch_update({"requests": [{"addChart": {"chart": chart}}]})["replies"][0]["addChart"]["chart"]
    assert added == {"chartId": added["chartId"], **chart}
    book.batch_update({"requests": [{"updateChartSpec": {"chartId": added["chartId"], "spec": {"title": "Paid"}}}]})
    listed = book.fetch_sheet_metadata({"fields": "sheets(properties.title,charts)"})
    assert listed == {
        "sheets": [
            {
                "properties": {"title": "Sheet1"},
                "charts": [{"chartId": added["chartId"], "spec": {"title": "Paid"}, "position": chart["position"]}],
            }
        ]
    }


def test_field_masks_on_metadata(book):
    assert book.fetch_sheet_metadata({"fields": "spreadsheetId,properties.title"}) == {
        "spreadsheetId": book.id,
        "properties": {"title": "Book"},
    }
    assert book.fetch_sheet_metadata({"fields": "sheets/properties/gridProperties/rowCount"}) == {
        "sheets": [{"properties": {"gridProperties": {"rowCount": 1000}}}]
    }
    assert book.fetch_sheet_metadata({"fields": "namedRanges"}) == {}


def test_notes_via_update_cells(book):
    book.sheet1.update_note("B2", "checked")
    assert book.sheet1.get_note("B2") == "checked"
    book.sheet1.clear_note("B2")
    assert book.sheet1.get_note("B2") == ""


def test_shrinking_a_tab_is_never_refused_for_the_cell_limit(gspread_client, emulator):
    """Google refuses only what would add cells: a book already over the limit may still shrink."""
    big = emulator.create_spreadsheet("Big", {"Time": [["a"]] * 400_001})  # 400,001 x 26 cells
    shrink = {
        "requests": [
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": {"columnCount": 8}},
                    "fields": "gridProperties.columnCount",
                }
            }
        ]
    }
    gspread_client.http_client.batch_update(big, shrink)
    assert emulator.sheet_properties(big)[0]["gridProperties"]["columnCount"] == 8


def test_the_last_visible_sheet_cannot_be_hidden(book, emulator):
    """Google: 400 "You can't hide all the sheets in a document", so a sync that hides every tab
    fails its tests. Hiding one of two is fine; hiding both in one batch changes nothing."""
    hide = [
        {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "hidden": True}, "fields": "hidden"}}
        for sheet_id in (0, 7)
    ]
    assert (
        refusal(lambda: book.batch_update({"requests": hide[:1]}))["message"]
        == "Invalid requests[0].updateSheetProperties: You can't hide all the sheets in a document."
    )
    book.batch_update({"requests": [{"addSheet": {"properties": {"sheetId": 7, "title": "State"}}}]})
    assert (
        refusal(lambda: book.batch_update({"requests": hide}))["message"]
        == "Invalid requests[1].updateSheetProperties: You can't hide all the sheets in a document."
    )
    assert not any(p.get("hidden") for p in emulator.sheet_properties(book.id))
    book.batch_update({"requests": hide[1:]})
    assert [p.get("hidden", False) for p in emulator.sheet_properties(book.id)] == [False, True]


def test_a_warning_only_protected_range_answers_empty_editors(book, emulator):
    """Editors are ignored when warningOnly is true (Google's reference), and the reply says
    `editors: {}` as it does for a range added with empty editor lists (recorded)."""
    reply = book.batch_update(
        {
            "requests": [
                {
                    "addProtectedRange": {
                        "protectedRange": {
                            "range": {"sheetId": 0},
                            "description": "Output",
                            "warningOnly": True,
                            "editors": {"users": ["boss@agency.example"]},
                        }
                    }
                }
            ]
        }
    )["replies"][0]["addProtectedRange"]["protectedRange"]
    assert reply == {
        "protectedRangeId": reply["protectedRangeId"],
        "range": {},
        "description": "Output",
        "warningOnly": True,
        "requestingUserCanEdit": True,
        "editors": {},
    }
    assert "editors" not in emulator.protected_ranges(book.id)[0]


def test_unknown_query_parameters_and_body_fields_are_refused_as_google_does(book, gspread_client):
    """Sheets' JSON gateway refuses names its request message lacks; Drive v3 lets unknown query
    parameters through (recorded: gspread's files.get sends includeItemsFromAllDrives, a files.list
    parameter, and is answered 200)."""
    error = refusal(lambda: book.values_get("Sheet1!A1", params={"valueRenderOpton": "FORMULA"}))
    assert error["message"] == (
        'Invalid JSON payload received. Unknown name "valueRenderOpton": Cannot bind '
        "query parameter. Field 'valueRenderOpton' could not be found in request message."
    )
    error = refusal(
        lambda: book.batch_update({"requests": [{"addSheet": {"properties": {"title": "X", "colour": 1}}}]})
    )
    assert error["message"] == (
        'Invalid JSON payload received. Unknown name "colour" at '
        "'requests[0].add_sheet.properties': Cannot find field."
    )
    error = refusal(
        lambda: book.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [{"range": "Sheet1!A1", "values": [["x"]], "majorDimension": "DIAGONAL"}],
            }
        )
    )
    assert error["message"] == "Invalid value at 'data[0].major_dimension', \"DIAGONAL\""
    assert gspread_client.http_client.get_file_drive_metadata(book.id)["id"] == book.id


def test_every_unknown_name_is_listed_a_line_each(book):
    """As Google lists them (googleapis/google-api-dotnet-client#2161)."""
    error = refusal(
        lambda: book.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [{"range": "Sheet1!A1", "values": [["x"]], "valueInputOption": "RAW", "data": []}],
            }
        )
    )
    assert error["message"].split("\n") == [
        "Invalid JSON payload received. Unknown name \"valueInputOption\" at 'data[0]': Cannot find field.",
        "Invalid JSON payload received. Unknown name \"data\" at 'data[0]': Cannot find field.",
    ]
    assert [v["field"] for v in error["details"][0]["fieldViolations"]] == ["data[0]", "data[0]"]


def test_a_whole_tab_loses_its_formats_and_merges_and_keeps_its_values(book, emulator):
    """A GridRange of a sheet ID alone is the whole tab (Google's reference: missing indexes are
    unbounded). repeatCell with `userEnteredFormat` in its mask and none in its cell clears every
    format; unmergeCells unmerges every merge in its range, and a range with none is no error."""
    book.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                },
                {
                    "mergeCells": {
                        "range": {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2},
                        "mergeType": "MERGE_ALL",
                    }
                },
            ]
        }
    )
    reset = [
        {"repeatCell": {"range": {"sheetId": 0}, "cell": {}, "fields": "userEnteredFormat"}},
        {"unmergeCells": {"range": {"sheetId": 0}}},
    ]
    assert book.batch_update({"requests": reset + reset})["replies"] == [{}] * 4  # the second time, none left
    tab = book.fetch_sheet_metadata({"fields": "sheets(merges,data.rowData.values.userEnteredFormat)"})
    assert tab == {"sheets": [{"data": [{"rowData": [{"values": [{}, {}]}, {"values": [{}]}]}]}]}  # values, no format
    assert emulator.values(book.id, "Sheet1") == [["a", "b"], ["c"]]  # a merge keeps its first value


def test_unmerging_part_of_a_merge_is_refused(book):
    merge = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 2}
    book.batch_update({"requests": [{"mergeCells": {"range": merge, "mergeType": "MERGE_ALL"}}]})
    part = {**merge, "endColumnIndex": 1}
    assert refusal(lambda: book.batch_update({"requests": [{"unmergeCells": {"range": part}}]}))["message"] == (
        "Invalid requests[0].unmergeCells: The range must not partially span a merge."
    )


def test_hidden_gridlines_sizes_of_a_whole_tab_and_a_sized_chart_deleted_by_its_id(book, emulator):
    chart = {
        "spec": {"title": "Balance", "basicChart": {"chartType": "LINE"}},
        "position": {
            "overlayPosition": {
                "anchorCell": {"sheetId": 0, "rowIndex": 2, "columnIndex": 0},
                "widthPixels": 725,
                "heightPixels": 320,
            }
        },
    }
    replies = book.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": 0, "gridProperties": {"hideGridlines": True}},
                        "fields": "gridProperties.hideGridlines",
                    }
                },
                {
                    "updateDimensionProperties": {
                        "range": {"sheetId": 0, "dimension": "ROWS"},
                        "properties": {"pixelSize": 30},
                        "fields": "pixelSize",
                    }
                },
                {"addChart": {"chart": chart}},
            ]
        }
    )["replies"]
    added = replies[2]["addChart"]["chart"]
    assert added == {"chartId": added["chartId"], **chart}
    assert emulator.sheet_properties(book.id)[0]["gridProperties"]["hideGridlines"] is True
    rows = book.fetch_sheet_metadata({"ranges": "Sheet1", "fields": "sheets.data.rowMetadata.pixelSize"})
    assert rows["sheets"][0]["data"][0]["rowMetadata"] == [{"pixelSize": 30}] * 1000
    assert emulator.charts(book.id)[0]["position"] == chart["position"]
    delete = {"requests": [{"deleteEmbeddedObject": {"objectId": added["chartId"]}}]}
    book.batch_update(delete)
    assert emulator.charts(book.id) == []
    assert refusal(lambda: book.batch_update(delete))["message"] == (
        f"Invalid requests[0].deleteEmbeddedObject: No embedded object with id: {added['chartId']}"
    )
