"""The Sheets emulator's developer metadata, through unmodified gspread: marks on a spreadsheet,
a sheet, a row; created, updated and deleted by batchUpdate; read by spreadsheets.get, by ID and by
search."""

from __future__ import annotations

import gspread
import pytest

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"
CLIENT_MARK = {
    "metadataKey": "contract-sync-client",
    "metadataValue": "C-1",
    "location": {"spreadsheet": True},
    "visibility": "DOCUMENT",
}
TEAM_MARK = {
    "metadataKey": "contract-sync-team",
    "metadataValue": "1TeamSpreadsheet",
    "location": {"spreadsheet": True},
    "visibility": "DOCUMENT",
}


@pytest.fixture
def book(emulator, gspread_client):
    return gspread_client.open_by_key(emulator.create_spreadsheet("Summary", {"Summary": [["a"]], "Activity": [["b"]]}))


def create(book, *marks: dict) -> list[dict]:
    reply = book.batch_update(
        {"requests": [{"createDeveloperMetadata": {"developerMetadata": mark}} for mark in marks]}
    )
    return [r["createDeveloperMetadata"]["developerMetadata"] for r in reply["replies"]]


def refusal(call) -> dict:
    with pytest.raises(gspread.exceptions.APIError) as refused:
        call()
    return refused.value.error


def search(book, *filters: dict) -> dict:
    return book.client.request(
        "post", f"{SHEETS}/{book.id}/developerMetadata:search", json={"dataFilters": list(filters)}
    ).json()


def by_key(key: str) -> dict:
    return {"developerMetadataLookup": {"metadataKey": key}}


def test_a_mark_on_the_spreadsheet_comes_back_with_its_id_and_location_type(book):
    client, team = create(book, CLIENT_MARK, TEAM_MARK)
    assert client == {
        **CLIENT_MARK,
        "metadataId": client["metadataId"],
        "location": {"locationType": "SPREADSHEET", "spreadsheet": True},
    }
    assert 0 < client["metadataId"] < 2**31 and team["metadataId"] != client["metadataId"]
    # read in the metadata GET the sync makes anyway: no request of its own
    meta = book.fetch_sheet_metadata(params={"fields": "developerMetadata,sheets(properties(sheetId,title))"})
    assert meta == {
        "developerMetadata": [client, team],
        "sheets": [
            {"properties": {"sheetId": 0, "title": "Summary"}},
            {"properties": {"sheetId": meta["sheets"][1]["properties"]["sheetId"], "title": "Activity"}},
        ],
    }
    assert "developerMetadata" not in book.fetch_sheet_metadata(params={"fields": "sheets.properties.title"})
    assert book.fetch_sheet_metadata()["developerMetadata"] == [client, team]  # no mask: everything


def test_an_id_may_be_chosen_and_every_rule_of_the_reference_is_kept(book, emulator):
    [mark] = create(book, {**CLIENT_MARK, "metadataId": 42})
    assert mark["metadataId"] == 42
    for bad, words in [
        ({"metadataId": 42}, "Developer metadata with ID 42 already exists."),
        ({"metadataId": -1}, "metadataId must be positive."),
        ({"metadataKey": ""}, "Developer metadata must always have a key specified."),
        ({"visibility": None}, "Developer metadata must always have visibility specified."),
        ({"location": {}}, "Developer metadata must have exactly one location"),
        ({"location": {"sheetId": 99}}, "No grid with id: 99"),
    ]:
        message = refusal(lambda bad=bad: create(book, TEAM_MARK, {**CLIENT_MARK, **bad}))["message"]
        assert message.startswith("Invalid requests[1].createDeveloperMetadata: " + words), message
    assert [m["metadataId"] for m in emulator.developer_metadata(book.id)] == [42]  # the batch applied none


def test_a_sheets_mark_is_listed_with_the_sheet_and_goes_away_with_it(book, emulator):
    activity = book.worksheet("Activity").id
    [mark] = create(book, {**CLIENT_MARK, "location": {"sheetId": activity}})
    assert mark["location"] == {"locationType": "SHEET", "sheetId": activity}
    meta = book.fetch_sheet_metadata(params={"fields": "developerMetadata,sheets(properties.title,developerMetadata)"})
    assert meta == {
        "sheets": [
            {"properties": {"title": "Summary"}},
            {"properties": {"title": "Activity"}, "developerMetadata": [mark]},
        ]
    }
    book.batch_update({"requests": [{"deleteSheet": {"sheetId": activity}}]})
    assert emulator.developer_metadata(book.id) == []


def test_a_rows_mark_moves_with_its_row_and_goes_away_with_it(book, emulator):
    row_3 = {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}
    [mark] = create(book, {**CLIENT_MARK, "location": row_3})
    assert mark["location"] == {
        "locationType": "ROW",
        "dimensionRange": {"dimension": "ROWS", "startIndex": 2, "endIndex": 3},
    }
    shown = book.fetch_sheet_metadata(
        params={"ranges": "Summary!A1:A4", "fields": "sheets.data.rowMetadata.developerMetadata"}
    )
    assert shown == {"sheets": [{"data": [{"rowMetadata": [{}, {}, {"developerMetadata": [mark]}, {}]}]}]}
    book.batch_update(
        {
            "requests": [
                {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 2}}}
            ]
        }
    )
    [moved] = emulator.developer_metadata(book.id)
    assert moved["location"]["dimensionRange"] == {"dimension": "ROWS", "startIndex": 4, "endIndex": 5}
    book.batch_update(
        {
            "requests": [
                {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 4, "endIndex": 5}}}
            ]
        }
    )
    assert emulator.developer_metadata(book.id) == []
    two_rows = {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 4}}
    assert (
        "must represent a single row or column"
        in refusal(lambda: create(book, {**CLIENT_MARK, "location": two_rows}))["message"]
    )


def test_get_by_id(book):
    [mark] = create(book, CLIENT_MARK)
    http = book.client
    assert http.request("get", f"{SHEETS}/{book.id}/developerMetadata/{mark['metadataId']}").json() == mark
    with pytest.raises(gspread.exceptions.APIError) as missing:
        http.request("get", f"{SHEETS}/{book.id}/developerMetadata/7")
    assert (missing.value.error["code"], missing.value.error["status"]) == (404, "NOT_FOUND")
    with pytest.raises(gspread.exceptions.APIError) as bad:
        http.request("get", f"{SHEETS}/{book.id}/developerMetadata/x")
    assert bad.value.error["message"] == "Invalid value at 'metadata_id' (TYPE_INT32), \"x\""


def test_search_by_key_id_type_and_exact_location(book):
    client, team = create(book, CLIENT_MARK, TEAM_MARK)
    on_sheet = create(book, {**CLIENT_MARK, "location": {"sheetId": 0}})[0]
    assert search(book, by_key("contract-sync-team")) == {
        "matchedDeveloperMetadata": [{"developerMetadata": team, "dataFilters": [by_key("contract-sync-team")]}]
    }
    found = search(book, by_key("contract-sync-client"), {"developerMetadataLookup": {"locationType": "SHEET"}})
    assert [(m["developerMetadata"], len(m["dataFilters"])) for m in found["matchedDeveloperMetadata"]] == [
        (client, 1),
        (on_sheet, 2),
    ]  # the spreadsheet's first, then each sheet's
    by_id = {"developerMetadataLookup": {"metadataId": team["metadataId"]}}
    assert search(book, by_id)["matchedDeveloperMetadata"][0]["developerMetadata"] == team
    exact = {
        "developerMetadataLookup": {"metadataLocation": {"sheetId": 0}, "locationMatchingStrategy": "EXACT_LOCATION"}
    }
    assert [m["developerMetadata"] for m in search(book, exact)["matchedDeveloperMetadata"]] == [on_sheet]
    assert search(book, by_key("nobody")) == {}


def test_update_changes_the_masked_fields_of_every_match(book, emulator):
    client, team = create(book, CLIENT_MARK, TEAM_MARK)
    reply = book.batch_update(
        {
            "requests": [
                {
                    "updateDeveloperMetadata": {
                        "dataFilters": [by_key("contract-sync-client")],
                        "fields": "metadataValue",
                        "developerMetadata": {"metadataValue": "C-2", "metadataKey": "ignored: not in the mask"},
                    }
                }
            ]
        }
    )
    changed = {**client, "metadataValue": "C-2"}
    assert reply["replies"] == [{"updateDeveloperMetadata": {"developerMetadata": [changed]}}]
    reply = book.batch_update(
        {
            "requests": [
                {
                    "updateDeveloperMetadata": {
                        "dataFilters": [by_key("contract-sync-client")],
                        "fields": "location",
                        "developerMetadata": {"location": {"sheetId": 0}},
                    }
                }
            ]
        }
    )  # moved onto the first sheet
    moved = {**changed, "location": {"locationType": "SHEET", "sheetId": 0}}
    assert emulator.developer_metadata(book.id) == [team, moved]
    assert (
        "no fields were specified"
        in refusal(
            lambda: book.batch_update(
                {
                    "requests": [
                        {
                            "updateDeveloperMetadata": {
                                "dataFilters": [by_key("contract-sync-client")],
                                "developerMetadata": {},
                            }
                        }
                    ]
                }
            )
        )["message"]
    )


def test_delete_by_lookup(book, emulator):
    client, team = create(book, CLIENT_MARK, TEAM_MARK)
    reply = book.batch_update(
        {
            "requests": [
                {"deleteDeveloperMetadata": {"dataFilter": by_key("contract-sync-team")}},
                {"deleteDeveloperMetadata": {"dataFilter": by_key("contract-sync-team")}},
            ]
        }
    )  # nothing left to delete
    assert reply["replies"] == [
        {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": [team]}},
        {"deleteDeveloperMetadata": {}},
    ]
    assert emulator.developer_metadata(book.id) == [client]


def test_what_is_not_modelled_says_so(book):
    create(book, CLIENT_MARK)
    for data_filter in [
        {"a1Range": "Summary!A1"},
        {"developerMetadataLookup": {"metadataLocation": {"sheetId": 0}}},
    ]:  # INTERSECTING
        assert (
            refusal(
                lambda data_filter=data_filter: book.batch_update(
                    {"requests": [{"deleteDeveloperMetadata": {"dataFilter": data_filter}}]}
                )
            )["code"]
            == 501
        )
