"""The emulator's Drive v3 files and permissions, and the recordings' fixed IDs."""

from __future__ import annotations

import gspread
import pytest

from tests.sheets_emulator.call import PRIVATE_SPREADSHEET_ID


def test_create_in_a_folder_owned_by_the_caller(emulator, gspread_client):
    book = gspread_client.create("Client summary", folder_id="shared-drive-folder")
    assert [ws.title for ws in book.worksheets()] == ["Sheet1"]
    assert book.sheet1.id == 0
    drive_file = emulator.file(book.id)
    assert (drive_file["name"], drive_file["parents"], drive_file["mimeType"]) == (
        "Client summary",
        ["shared-drive-folder"],
        "application/vnd.google-apps.spreadsheet",
    )
    assert [(p["type"], p["role"], p["emailAddress"]) for p in emulator.permissions(book.id)] == [
        ("user", "owner", emulator.service_account_email)
    ]


def test_drive_answers_the_default_view_unless_fields_ask(emulator, gspread_client):
    session = gspread_client.http_client.session
    created = session.post(
        "https://www.googleapis.com/drive/v3/files",
        params={"supportsAllDrives": "true"},
        json={"name": "Plain", "mimeType": "application/vnd.google-apps.spreadsheet"},
    ).json()
    assert created == {
        "kind": "drive#file",
        "id": created["id"],
        "name": "Plain",
        "mimeType": "application/vnd.google-apps.spreadsheet",
    }
    metadata = session.get(
        f"https://www.googleapis.com/drive/v3/files/{created['id']}",
        params={"fields": "id,name,createdTime,modifiedTime"},
    ).json()
    assert set(metadata) == {"id", "name", "createdTime", "modifiedTime"}
    assert gspread_client.open_by_key(created["id"]).creationTime == metadata["createdTime"]


def test_renaming_the_spreadsheet_renames_the_file(emulator, gspread_client):
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Old"))
    book.update_title("New")
    assert emulator.file(book.id)["name"] == "New"


def test_sharing_through_gspread(emulator, gspread_client):
    book = gspread_client.open_by_key(emulator.create_spreadsheet("Shared"))
    book.share("client@example.com", perm_type="user", role="reader", notify=True, email_message="Your balance")
    book.share("agency.example", perm_type="domain", role="writer", notify=False)
    book.share(None, perm_type="anyone", role="reader")
    listed = [
        (p["type"], p["role"], p.get("emailAddress") or p.get("domain") or p["id"]) for p in book.list_permissions()
    ]
    assert listed == [
        ("user", "owner", emulator.service_account_email),
        ("user", "reader", "client@example.com"),
        ("domain", "writer", "agency.example"),
        ("anyone", "reader", "anyoneWithLink"),
    ]
    emulator.add_permission(book.id, {"type": "group", "role": "writer", "emailAddress": "team@agency.example"})
    assert emulator.permissions(book.id)[-1]["emailAddress"] == "team@agency.example"


def test_permission_answers(emulator, gspread_client):
    book_id = emulator.create_spreadsheet("Shared")
    session = gspread_client.http_client.session
    url = f"https://www.googleapis.com/drive/v3/files/{book_id}/permissions"
    created = session.post(
        url,
        params={"sendNotificationEmail": "false"},
        json={"type": "user", "role": "writer", "emailAddress": "a@example.com"},
    ).json()
    assert created == {"kind": "drive#permission", "id": created["id"], "type": "user", "role": "writer"}
    assert session.get(url).json()["kind"] == "drive#permissionList"
    owner = session.post(url, json={"type": "user", "role": "owner", "emailAddress": "a@example.com"})
    assert owner.status_code == 403 and owner.json()["error"]["errors"][0]["reason"] == "forbidden"
    assert session.post(url, json={"type": "user", "role": "writer"}).status_code == 400


def test_deleted_missing_and_private_spreadsheets(emulator, gspread_client):
    book = gspread_client.create("Short-lived")
    gspread_client.del_spreadsheet(book.id)
    with pytest.raises(gspread.SpreadsheetNotFound) as missing:
        gspread_client.open_by_key(book.id)
    assert missing.value.args[0].json()["error"] == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }
    with pytest.raises(PermissionError) as private:
        gspread_client.open_by_key(PRIVATE_SPREADSHEET_ID)
    assert private.value.__cause__.error == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    gone = gspread_client.http_client.session.get(f"https://www.googleapis.com/drive/v3/files/{book.id}")
    assert gone.status_code == 404 and gone.json()["error"]["errors"][0]["reason"] == "notFound"


def test_access_follows_drive_permissions(emulator, gspread_client):
    book_id = emulator.create_spreadsheet("Client's own", {"Sheet1": [["mine"]]}, owner="client@example.com")
    with pytest.raises(PermissionError):
        gspread_client.open_by_key(book_id)
    emulator.add_permission(book_id, {"type": "user", "role": "reader", "emailAddress": emulator.service_account_email})
    book = gspread_client.open_by_key(book_id)
    assert book.sheet1.get("A1") == [["mine"]]
    with pytest.raises(gspread.exceptions.APIError, match="The caller does not have permission"):
        book.sheet1.update([["ours"]], "A1")
    emulator.add_permission(book_id, {"type": "user", "role": "writer", "emailAddress": emulator.service_account_email})
    book.sheet1.update([["ours"]], "A1")
    assert emulator.values(book_id, "Sheet1") == [["ours"]]
