"""The emulator's opt-in quota: Google's per-minute limits of the Sheets API, on a fake clock."""

from __future__ import annotations

import time

import gspread
import pytest
import requests
from gspread.exceptions import APIError

from tests.sheets_emulator import Emulator, FakeClock, Quota, ScaledClock, gspread_client

WRITE_LIMIT = "Write requests per minute per user"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def quota_emulator(clock: FakeClock, **limits: int) -> Emulator:
    return Emulator(quota=Quota(clock, **limits))


def caller(emulator: Emulator, token: str = "emulator-token") -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def write(session: requests.Session, emulator: Emulator, book: str, text: str = "x") -> requests.Response:
    return session.put(
        f"{emulator.base_url}/v4/spreadsheets/{book}/values/Sheet1!A1",
        params={"valueInputOption": "RAW"},
        json={"values": [[text]]},
    )


def read(session: requests.Session, emulator: Emulator, book: str) -> requests.Response:
    return session.get(f"{emulator.base_url}/v4/spreadsheets/{book}/values/Sheet1!A1")


def test_the_61st_write_in_a_minute_gets_googles_429_and_the_next_minute_is_accepted(clock):
    with quota_emulator(clock) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        client = gspread_client(emulator)
        sheet = client.open_by_key(book).sheet1  # a read
        for i in range(60):
            sheet.update([[i]], "A1")
        clock.sleep(59.0)  # still the same minute
        with pytest.raises(APIError) as refused:
            sheet.update([["61st"]], "A1")
        assert refused.value.code == 429
        error = refused.value.error
        assert error["status"] == "RESOURCE_EXHAUSTED"
        assert error["message"] == (
            f"Quota exceeded for quota metric 'Write requests' and limit '{WRITE_LIMIT}' of service "
            "'sheets.googleapis.com' for consumer 'project_number:000000000000'."
        )
        info = error["details"][0]
        assert (info["reason"], info["domain"]) == ("RATE_LIMIT_EXCEEDED", "googleapis.com")
        assert info["metadata"]["quota_limit"] == "WriteRequestsPerMinutePerUser"
        assert info["metadata"]["quota_metric"] == "sheets.googleapis.com/write_requests"
        assert info["metadata"]["quota_limit_value"] == "60"
        assert error["errors"][0]["reason"] == "rateLimitExceeded"
        assert emulator.values(book, "Sheet1") == [[59]]  # the refused write did nothing
        assert emulator.quota.refused == {"write": 1}

        clock.sleep(1.0)  # the next minute
        sheet.update([["next minute"]], "A1")
        assert emulator.values(book, "Sheet1") == [["next minute"]]


def test_reads_and_writes_are_counted_apart(clock):
    with quota_emulator(clock) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        session = caller(emulator)
        assert all(write(session, emulator, book).status_code == 200 for _ in range(60))
        assert all(read(session, emulator, book).status_code == 200 for _ in range(60))  # writes used none of it
        refused = read(session, emulator, book)
        assert refused.status_code == 429
        assert "limit 'Read requests per minute per user'" in refused.json()["error"]["message"]
        assert write(session, emulator, book).status_code == 429
        assert emulator.quota.refused == {"read": 1, "write": 1}


def test_a_developer_metadata_search_is_a_read(clock):
    with quota_emulator(clock, per_user=1) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        session = caller(emulator)
        search = f"{emulator.base_url}/v4/spreadsheets/{book}/developerMetadata:search"
        assert (
            session.post(search, json={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "k"}}]}).status_code
            == 200
        )
        assert write(session, emulator, book).status_code == 200  # the search took no write
        assert (
            session.post(search, json={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "k"}}]}).status_code
            == 429
        )


def test_the_per_project_limit_counts_every_user(clock):
    with quota_emulator(clock, per_user=3, per_project=5) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        ann, ben = caller(emulator, "ann-token"), caller(emulator, "ben-token")
        assert [write(ann, emulator, book).status_code for _ in range(4)] == [200, 200, 200, 429]  # Ann's own 3
        assert [write(ben, emulator, book).status_code for _ in range(3)] == [200, 200, 429]  # the project's 5
        refusal = write(ben, emulator, book).json()["error"]
        assert "limit 'Write requests per minute' of service" in refusal["message"]
        assert refusal["details"][0]["metadata"]["quota_limit_value"] == "5"
        assert refusal["details"][0]["metadata"]["quota_unit"] == "1/min/{project}"
        clock.sleep(60)
        assert write(ben, emulator, book).status_code == 200


def test_drive_requests_are_not_counted(clock):
    with quota_emulator(clock, per_user=1) as emulator:
        session = caller(emulator)
        files = f"{emulator.base_url}/drive/v3/files"
        created = [
            session.post(files, json={"name": f"Book {i}", "mimeType": "application/vnd.google-apps.spreadsheet"})
            for i in range(3)
        ]
        assert [answer.status_code for answer in created] == [200] * 3
        book = created[0].json()["id"]
        assert {session.get(f"{files}/{book}/permissions").status_code for _ in range(3)} == {200}
        assert read(session, emulator, book).status_code == 200  # Drive used none of the Sheets quota
        assert read(session, emulator, book).status_code == 429


def test_without_a_quota_nothing_is_refused():
    with Emulator() as emulator:
        book = emulator.create_spreadsheet("Ledger")
        session = caller(emulator)
        assert {write(session, emulator, book).status_code for _ in range(70)} == {200}
        assert emulator.quota is None


def test_gspread_stops_at_the_quota_and_a_fake_clocks_sleep_lets_it_go_on(clock):
    """What a client's backoff sees: refused in this minute, accepted once its sleep moved the clock on."""
    with quota_emulator(clock, per_user=2) as emulator:
        sheet = gspread_client(emulator).open_by_key(emulator.create_spreadsheet("Ledger")).sheet1
        sheet.update([[1]], "A1")
        sheet.update([[2]], "A1")
        with pytest.raises(gspread.exceptions.APIError):
            sheet.update([[3]], "A1")
        clock.sleep(60)
        sheet.update([[3]], "A1")


def test_a_scaled_clock_makes_a_quota_minute_a_second():
    """For a server in another process (`--quota-time-scale 60`): real time, run faster."""
    with Emulator(quota=Quota(ScaledClock(60), per_user=1)) as emulator:
        book = emulator.create_spreadsheet("Ledger")
        session = caller(emulator)
        # one write a minute: of three sent within milliseconds, at most two minutes' first ones pass
        assert 429 in [write(session, emulator, book).status_code for _ in range(3)]
        time.sleep(1.05)  # a minute and more at 60 times
        assert write(session, emulator, book).status_code == 200
