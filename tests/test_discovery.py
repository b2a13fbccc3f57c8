"""Every request the Google backend sends is one that Google documents.

A full `init`, `share` and two runs under the lock (the first e-mails alerts to a mail server that
is down, so it writes the team's tabs twice) go to the emulator; each request is held to Google's
discovery documents for Sheets v4 and Drive v3, as google-api-python-client ships them (the
`discovery` module reads them): a documented method, documented query parameters of their types
(booleans `true`/`false`), enums and `fields` masks, and a body of documented fields, types and
enums, with the fields the method requires and update masks that name fields of their message.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import requests

from sync.app import pipeline
from sync.app.google_setup import create_input_tabs, share_summaries
from sync.config import Config
from tests.sheets_emulator import discovery
from tests.test_alerts import local_smtp
from tests.test_google_typed import AS_OF, COMPUTED_AT, google, type_into, typed_book

ALERTING = Config(alert_from="sync@agency.example", alert_to="pm@agency.example", share_notify=False)


def capture(backend) -> list[requests.PreparedRequest]:
    """Every request the backend's session sends from now on (retries included)."""
    sent: list[requests.PreparedRequest] = []
    backend.http.session.hooks["response"].append(lambda response, **_: sent.append(response.request))
    return sent


def problems(request: requests.PreparedRequest) -> list[str]:
    url = urlsplit(request.url)
    method = discovery.find(request.method, url.path)
    if method is None:
        return [f"{request.method} {url.path}: no such method in the discovery documents"]
    found = discovery.query_problems(method, parse_qs(url.query, keep_blank_values=True))
    body = json.loads(request.body) if request.body else None
    if body is not None and "request" not in method.spec:
        found.append(discovery.Problem("unknown", [], body, f"{method.id} takes no body"))
    elif body is not None:
        found += discovery.walk(method.api, body, method.spec["request"], [], method.id, strict=True)
    return [f"{method.id}: {problem}" for problem in found]


def test_every_request_of_init_share_and_runs_is_documented(emulator):
    spreadsheet = emulator.create_spreadsheet("Team")
    sheet = google(emulator, spreadsheet)
    captured = [capture(sheet)]
    create_input_tabs(sheet)
    type_into(emulator, spreadsheet, typed_book(60))
    share_summaries(sheet, ALERTING)
    # the second run a month later: its summaries' layout changed (a month more), so they are redrawn
    for settings, as_of in (({}, AS_OF), ({"warning_only": True}, AS_OF + dt.timedelta(days=31))):
        backend = google(emulator, spreadsheet, **settings)
        captured.append(capture(backend))
        with backend.lock(0):
            result = pipeline.run(backend, ALERTING, as_of, computed_at=COMPUTED_AT, smtp=local_smtp())
        assert result.alerts_pending > 0  # nothing listens for mail: pending, and written again
    sent = [request for requests_of in captured for request in requests_of]
    methods = {discovery.find(request.method, urlsplit(request.url).path).id for request in sent}
    assert {
        "sheets.spreadsheets.get",
        "sheets.spreadsheets.batchUpdate",
        "sheets.spreadsheets.values.batchGet",
        "sheets.spreadsheets.values.batchUpdate",
        "drive.files.create",
        "drive.permissions.create",
        "drive.permissions.list",
    } <= methods
    assert [line for request in sent for line in problems(request)] == []
    kinds = {
        kind
        for request in sent
        if discovery.find(request.method, urlsplit(request.url).path).id == "sheets.spreadsheets.batchUpdate"
        for each in json.loads(request.body)["requests"]
        for kind in each
    }
    # the client summaries' dashboards: formats and merges reset and drawn, sizes, the chart redrawn
    assert {
        "repeatCell",
        "unmergeCells",
        "mergeCells",
        "updateDimensionProperties",
        "deleteEmbeddedObject",
        "addChart",
        "deleteSheet",
    } <= kinds, kinds
    assert emulator.notifications == []  # share_notify = false


def test_the_check_bites_on_what_gspread_sends_to_share(emulator):
    """gspread's insert_permission: Drive v2's withLink, and Python's False for a boolean."""
    spreadsheet = emulator.create_spreadsheet("Summary")
    backend = google(emulator, spreadsheet)
    sent = capture(backend)
    backend.http.insert_permission(spreadsheet, "ops@acme.example", perm_type="user", role="reader", notify=False)
    found = problems(sent[0])
    assert any("withLink" in line for line in found), found
    assert any("sendNotificationEmail='False'" in line for line in found), found


def test_the_check_bites_on_masks_enums_and_unknown_fields():
    method = discovery.find("POST", "/v4/spreadsheets/abc:batchUpdate")
    body = {
        "requests": [
            {"updateSheetProperties": {"properties": {"sheetId": 1, "hidden": True}, "fields": "hiden"}},
            {
                "repeatCell": {
                    "range": {"sheetId": 1},
                    "cell": {"userEnteredFormat": {"numberFormat": {"type": "MONEY"}}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            },
            {"addSheet": {"properties": {"title": "X", "frozen": 1}}},
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": 1, "dimension": "ROWS"},
                    "properties": {"pixelSize": 21},
                    "fields": "pixelSise",
                }
            },
        ]
    }
    found = [str(p) for p in discovery.walk(method.api, body, method.spec["request"], [], method.id, strict=True)]
    assert len(found) == 4 and "hiden" in found[0] and "MONEY" in found[1] and "frozen" in found[2], found
    assert "'pixelSise' names no field of DimensionProperties" in found[3], found
    get = discovery.find("GET", "/v4/spreadsheets/abc")
    assert [
        p.kind for p in discovery.query_problems(get, {"includeGridData": ["False"], "fields": ["sheets.nope"]})
    ] == ["type", "mask"]
