"""Faults, request counts and the command line of the Sheets emulator."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import gspread
import pytest
import requests

BATCH = ("POST", "/v4/spreadsheets/{id}:batchUpdate")
GET_VALUES = ("GET", "/v4/spreadsheets/{id}/values/{range}")
ADD_SHEET = {"requests": [{"addSheet": {"properties": {"title": "Balances"}}}]}


@pytest.fixture
def book(emulator, gspread_client):
    return gspread_client.open_by_key(emulator.create_spreadsheet("Faulty", {"Sheet1": [["a"]]}))


def test_counts_by_route_template(book, emulator):
    sheet = book.sheet1  # gspread reads the metadata for this
    emulator.reset_counts()
    sheet.get("A1")
    sheet.get("A2")
    book.batch_update(ADD_SHEET)
    assert emulator.counts == {GET_VALUES: 2, BATCH: 1}


def test_a_429_burst_then_success(book, emulator):
    emulator.reset_counts()
    emulator.faults.fail(status=429, times=3, method="POST", route=BATCH[1])
    for _ in range(3):
        with pytest.raises(gspread.exceptions.APIError) as refused:
            book.batch_update(ADD_SHEET)
        error = refused.value.error
        assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
        assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    book.batch_update(ADD_SHEET)
    assert emulator.counts[BATCH] == 4  # the failed attempts count too
    assert [p["title"] for p in emulator.sheet_properties(book.id)] == ["Sheet1", "Balances"]


@pytest.mark.parametrize("status, name", [(500, "INTERNAL"), (503, "UNAVAILABLE"), (408, "DEADLINE_EXCEEDED")])
def test_server_errors_have_googles_shape(book, emulator, status, name):
    emulator.faults.fail(status=status)
    with pytest.raises(gspread.exceptions.APIError) as refused:
        book.sheet1.get("A1")
    assert (refused.value.error["code"], refused.value.error["status"]) == (status, name)
    assert book.sheet1.get("A1") == [["a"]]


def test_drop_connection_before_or_after_the_change(book, emulator):
    emulator.faults.drop_connection(method="POST", route=BATCH[1])
    with pytest.raises(requests.ConnectionError):
        book.batch_update(ADD_SHEET)
    assert len(emulator.sheet_properties(book.id)) == 1
    emulator.faults.drop_connection(method="POST", route=BATCH[1], applied=True)
    with pytest.raises(requests.ConnectionError):
        book.batch_update(ADD_SHEET)
    assert len(emulator.sheet_properties(book.id)) == 2  # a blind retry would now fail: name taken


def test_slow_answer_times_out_but_the_change_is_made(book, emulator, gspread_client):
    emulator.faults.slow(seconds=1.0, method="POST")
    gspread_client.set_timeout(0.2)
    with pytest.raises(requests.Timeout):
        book.batch_update(ADD_SHEET)
    assert len(emulator.sheet_properties(book.id)) == 2


def test_a_late_request_lands_after_later_ones(book, emulator, gspread_client):
    late, refused = emulator.faults.late(seconds=0.5, method="POST", route=BATCH[1]), []

    def send_first() -> None:
        with pytest.raises(gspread.exceptions.APIError) as error:
            book.batch_update(ADD_SHEET)
        refused.append(error.value.error["message"])

    first = threading.Thread(target=send_first)
    first.start()
    assert late.taken.wait(5)
    book.batch_update({"requests": [{"addSheet": {"properties": {"title": "balances"}}}]})  # lands first
    first.join(5)
    assert late.landed.is_set() and refused == [
        'Invalid requests[0].addSheet: A sheet with the name "Balances" already exists. Please enter another name.'
    ]
    assert [p["title"] for p in emulator.sheet_properties(book.id)] == ["Sheet1", "balances"]


def test_a_late_request_without_an_answer_lands_after_its_retry(book, emulator):
    late = emulator.faults.late(seconds=0.3, method="POST", route=BATCH[1], answer=False)
    with pytest.raises(requests.ConnectionError):
        book.batch_update(ADD_SHEET)
    assert len(emulator.sheet_properties(book.id)) == 1  # not done yet
    book.batch_update(ADD_SHEET)  # the retry
    assert late.landed.wait(5)
    assert [p["title"] for p in emulator.sheet_properties(book.id)] == ["Sheet1", "Balances"]


def test_storage_quota_and_permission_denied(emulator, gspread_client):
    emulator.faults.storage_quota()
    with pytest.raises(gspread.exceptions.APIError) as full:
        gspread_client.create("Summary")
    assert full.value.error == {
        "code": 403,
        "message": "The user's Drive storage quota has been exceeded.",
        "errors": [
            {
                "message": "The user's Drive storage quota has been exceeded.",
                "domain": "usageLimits",
                "reason": "storageQuotaExceeded",
            }
        ],
    }
    emulator.faults.permission_denied(route="/v4/spreadsheets/{id}")
    with pytest.raises(PermissionError):
        gspread_client.create("Summary")  # the Drive create works; opening it is refused
    assert emulator.faults.pending == []


def test_clear_drops_queued_faults(book, emulator):
    emulator.faults.fail(times=5)
    emulator.faults.clear()
    assert book.sheet1.get("A1") == [["a"]]


def test_command_line_prints_the_url_and_serves(tmp_path: Path):
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sheets_emulator", "--port", "0"], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        created = requests.post(
            f"{base_url}/drive/v3/files",
            timeout=5,
            json={"name": "CLI", "mimeType": "application/vnd.google-apps.spreadsheet"},
        )
        sheet = requests.get(f"{base_url}/v4/spreadsheets/{created.json()['id']}", timeout=5).json()
        assert sheet["sheets"][0]["properties"]["title"] == "Sheet1"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_service_disabled_in_both_apis(emulator, gspread_client):
    emulator.faults.service_disabled(times=2)
    with pytest.raises(gspread.exceptions.APIError) as drive:
        gspread_client.create("Summary")
    assert drive.value.error["errors"][0]["reason"] == "accessNotConfigured"
    assert drive.value.error["details"][0]["reason"] == "SERVICE_DISABLED"
    with pytest.raises(PermissionError) as sheets:
        gspread_client.open_by_key(emulator.create_spreadsheet("Team"))
    error = sheets.value.__cause__.error
    assert (error["status"], error["details"][0]["reason"]) == ("PERMISSION_DENIED", "SERVICE_DISABLED")
    assert error["message"].startswith("Google Sheets API has not been used in project")


def test_command_line_on_a_busy_port_says_so_in_one_line(emulator):
    root = Path(__file__).resolve().parent.parent
    port = emulator.base_url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "tests.sheets_emulator", "--port", port],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: cannot serve on 127.0.0.1:{port}: Address already in use\n"
