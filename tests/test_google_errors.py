"""On the Google path a bug is a bug too: an exception of the sync's own raised inside a call to
Google (here, in the retry logic of the HTTP client) ends the command as an internal error - exit
70, the traceback in the log file - never as a one-line Google message (exit 2) that would send a
person to check the spreadsheet's sharing, nor as a client summary quietly left unwritten (exit 1).
What Google or the network does (an error answer, no answer, a token refused) is still explained
in one line, as before."""

from __future__ import annotations

import json

import pytest
import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession

from sync import cli
from sync.backends.google import http as google_http
from sync.backends.google.http import GoogleUnavailable, connect
from sync.backends.google.sheet import GoogleSheet
from sync.cli import Target
from sync.errors import GoogleAccessError, InternalError
from tests.test_google import ACCOUNT, team_tabs
from tests.test_internal_errors import broken, one_line

METADATA = ("GET", "/v4/spreadsheets/{id}")  # of the team's: the lease's look is the run's first request
VALUES = ("GET", "/v4/spreadsheets/{id}/values:batchGet")


@pytest.fixture
def log(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNC_LOG_FILE", str(tmp_path / "sync.log"))
    monkeypatch.setenv("SYNC_RETRY_SECONDS", "0")  # a dropped connection gives up at once
    return tmp_path / "sync.log"


def sync(emulator, spreadsheet) -> int:
    """`python -m sync run --sheet ... --api-url ...`, in this process (so that monkeypatch reaches it)."""
    return cli.sync_once(Target(None, spreadsheet, None, emulator.base_url, None), None)


def sync_log(emulator, spreadsheet) -> list[str]:
    return [row[-1] for row in emulator.values(spreadsheet, "Sync Log")[1:]]


@pytest.mark.parametrize(
    "route, where, stage",
    [
        (METADATA, "team", "lock"),  # lease.py
        (VALUES, "team", "read"),  # reads.py, through GoogleSheet.call
        (METADATA, "client", "write"),  # summaries.py: a client's failure is otherwise a warning on Errors
    ],
)
def test_a_bug_inside_a_google_call_is_exit_70_not_a_google_error(
    emulator, log, monkeypatch, capsys, route, where, stage
):
    tabs = team_tabs(emulator)
    spreadsheet = emulator.create_spreadsheet("Team", tabs)
    rate_limited = google_http._rate_limited  # asked of every answer not retried: a 403, the lock's 400 too

    def with_a_bug(error):
        if error.code == 403:
            raise KeyError("errors")
        return rate_limited(error)

    monkeypatch.setattr(google_http, "_rate_limited", with_a_bug)
    emulator.faults.fail(
        status=403,
        times=1,
        method=route[0],
        route=route[1],
        file=spreadsheet if where == "team" else tabs["Clients"][1][3],
    )
    code = sync(emulator, spreadsheet)
    err = one_line(capsys.readouterr().err)
    assert code == InternalError.exit_code == 70, err
    assert err.startswith(f"error: internal error in the {stage} stage (KeyError: 'errors'); this is a bug"), err
    assert f"internal error in the {stage} stage (KeyError: 'errors')" in log.read_text()
    if stage != "lock":  # a run under way logs where the bug is, and says so on its Sync Log row, once
        assert "Traceback" in log.read_text() and "with_a_bug" in log.read_text()
        assert sync_log(emulator, spreadsheet) == [f"failed: internal error in the {stage} stage (KeyError: 'errors')"]


@pytest.mark.parametrize("route, where", [(METADATA, "team"), (VALUES, "team"), (METADATA, "client")])
def test_an_api_error_is_still_one_line_a_person_can_act_on(emulator, log, capsys, route, where):
    tabs = team_tabs(emulator)
    spreadsheet, client = emulator.create_spreadsheet("Team", tabs), tabs["Clients"][1][3]
    emulator.faults.fail(
        status=403, times=1, method=route[0], route=route[1], file=spreadsheet if where == "team" else client
    )
    code = sync(emulator, spreadsheet)
    out, err = capsys.readouterr()
    if where == "team":
        assert (
            code == 2
            and one_line(err) == f"error: no access to spreadsheet {spreadsheet}: share it with {ACCOUNT} as Editor\n"
        )
    else:  # one client's summary not written: a warning on Errors, the others written
        assert code == 1 and err == "", err
        assert any(
            f"no access to client spreadsheet {client}: share it with {ACCOUNT} as Editor" in str(cell)
            for row in emulator.values(spreadsheet, "Errors")
            for cell in row
        )


def test_no_answer_and_a_refused_token_are_still_one_line(emulator, log, monkeypatch, capsys):
    spreadsheet = emulator.create_spreadsheet("Team", team_tabs(emulator))
    emulator.faults.drop_connection(times=1, route=VALUES[1])
    assert sync(emulator, spreadsheet) == 2
    assert (
        one_line(capsys.readouterr().err)
        == f"error: cannot reach Google for spreadsheet {spreadsheet}: ConnectionError (gave up after retrying)\n"
    )
    monkeypatch.setattr(AuthorizedSession, "request", broken(RefreshError("invalid_grant: Token has been revoked.")))
    assert sync(emulator, spreadsheet) == 2
    assert (
        one_line(capsys.readouterr().err)
        == f"error: spreadsheet {spreadsheet}: invalid_grant: Token has been revoked.\n"
    )


class Http:
    """An HTTP client whose every method raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, method: str):
        return broken(self.error)


def answered(code: int, body: str = "") -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = code, body.encode()
    return response


@pytest.mark.parametrize(
    "error, kind, words",
    [
        (
            google_http.APIError(answered(404, json.dumps({"error": {"code": 404, "message": "Not found"}}))),
            GoogleAccessError,
            "spreadsheet X not found: check the ID or link",
        ),
        (requests.ConnectionError("reset"), GoogleUnavailable, "cannot reach Google for spreadsheet X"),
        (
            requests.exceptions.JSONDecodeError("Expecting value", "<html>", 0),
            GoogleAccessError,
            "spreadsheet X: Expecting value",
        ),
        (requests.exceptions.ChunkedEncodingError("cut short"), GoogleAccessError, "spreadsheet X: cut short"),
        (TransportError("DNS lookup failed"), GoogleAccessError, "spreadsheet X: DNS lookup failed"),
    ],
)
def test_call_explains_what_google_and_the_network_do(error, kind, words):
    sheet = GoogleSheet("1SpreadsheetIdSpreadsheetId000", connect(None, "http://127.0.0.1:9")[0], ACCOUNT)
    sheet.http = Http(error)
    with pytest.raises(kind) as raised:
        sheet.call("spreadsheet X", "fetch_sheet_metadata", sheet.id)
    assert str(raised.value).startswith(words)


@pytest.mark.parametrize(
    "bug",
    [
        TypeError("unsupported operand"),
        KeyError("sheets"),
        AttributeError("x"),
        ValueError("bad"),
        IndexError("out of range"),
    ],
)
def test_call_lets_a_bug_through_as_it_is(bug):
    sheet = GoogleSheet("1SpreadsheetIdSpreadsheetId000", connect(None, "http://127.0.0.1:9")[0], ACCOUNT)
    sheet.http = Http(bug)
    with pytest.raises(type(bug)) as raised:
        sheet.call("spreadsheet X", "values_batch_get", sheet.id, ["A1"])
    assert raised.value is bug
