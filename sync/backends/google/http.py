"""The HTTP side of the Google backend: credentials, timeouts, retries, one-line errors.

gspread sends every request through `HTTPClient.request`; this subclass adds what a
nightly job needs and gspread leaves out: request timeouts (its default is none), retries
of 408/429/5xx and dropped connections with truncated exponential backoff and full jitter,
bounded in total time, and never a retry of an answer that will not change (403, 404, 400);
and pacing under Google's per-minute quota, so that a long run waits its turn instead of
learning the quota from 429 answers.

Google's quota (https://developers.google.com/workspace/sheets/api/limits): 60 read and 60 write
requests a minute per user (a service account is one) per project, and 300 of each a minute per
project. Reads are calls that retrieve (get, values get/batchGet, developerMetadata search),
writes those that change (batchUpdate, values update/batchUpdate/append/clear); a batchUpdate
counts once however many requests it holds. Drive API calls are another service's quota.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gspread
import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from gspread.exceptions import APIError
from requests.adapters import HTTPAdapter

from sync.errors import GoogleAccessError

SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive"]
GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
# What a call to Google fails with when Google or the network is to blame: an answer other than 2xx
# (APIError), no answer or one cut short or garbled (requests' errors, its JSONDecodeError included),
# a token that cannot be had or refreshed (GoogleAuthError, TransportError and RefreshError among
# them). Only these are explained in one line (explain); anything else is a bug in the sync and
# must surface as one (InternalError, exit 70), so no `except Exception` around Google's calls.
API_ERRORS: tuple[type[Exception], ...] = (APIError, requests.RequestException, GoogleAuthError)
SHEETS_API = "https://sheets.googleapis.com/"
# POST methods that retrieve rather than change: Google counts them as reads ("such as get or search").
READ_POSTS = (":search", ":getByDataFilter", ":batchGetByDataFilter")
QUOTA_WINDOW_SECONDS = 60.0


class Clock:
    """The time the HTTP client paces itself by and the lease is written in: the machine's. Tests
    and the bench give an object with the same three methods (tests.sheets_emulator.FakeClock),
    whose sleep moves its time on, so that minutes of quota pass at once."""

    @staticmethod
    def monotonic() -> float:
        """Seconds, for intervals."""
        return time.monotonic()

    @staticmethod
    def now() -> dt.datetime:
        """The wall clock, in UTC."""
        return dt.datetime.now(dt.UTC)

    @staticmethod
    def sleep(seconds: float) -> None:
        """Wait `seconds`."""
        time.sleep(seconds)


def quota_kind(method: str, url: str) -> str | None:
    """'read' or 'write': which per-minute quota of the Sheets API a request counts in; None for
    Drive's requests, which do not."""
    if not url.startswith(SHEETS_API):
        return None
    return "read" if method.upper() == "GET" or url.split("?")[0].endswith(READ_POSTS) else "write"


class Pace:
    """At most `per_minute[kind]` requests of a kind in any 60 seconds, on this side of the wire.

    A window that slides keeps under Google's limit however Google's minutes fall. Each request is
    booked at the time it may go, so a sleep that does not wait (a test's) never loops."""

    def __init__(self, per_minute: Mapping[str, int]) -> None:
        """Limits by kind ('read', 'write'); a kind left out, or 0, is not paced."""
        self.per_minute = {kind: limit for kind, limit in per_minute.items() if limit > 0}
        self.booked: dict[str, deque[float]] = {kind: deque() for kind in self.per_minute}

    def book(self, kind: str | None, now: float) -> float:
        """Book a request of `kind` sent at `now` or later: the seconds it must wait first."""
        if kind not in self.per_minute:
            return 0.0
        booked, limit = self.booked[kind], self.per_minute[kind]
        while booked and booked[0] <= now - QUOTA_WINDOW_SECONDS:
            booked.popleft()
        at = now if len(booked) < limit else max(now, booked[-limit] + QUOTA_WINDOW_SECONDS)
        booked.append(at)
        return at - now


class RetryingHTTPClient(gspread.http_client.HTTPClient):
    """gspread's client with timeouts, bounded and jittered retries, and pacing under Google's
    per-minute quota; counts its requests, its 429 answers and the seconds it waited on quota."""

    timeout_seconds = (10.0, 120.0)  # connect, read
    retry_budget_seconds = 120.0  # total time spent waiting between attempts, at most
    first_wait, longest_wait = 1.0, 32.0
    # A little under Google's 60 a minute per user: room for a request that Google sees later
    # than it was sent (so in a later minute of its own) and for another tool on the same account.
    reads_per_minute, writes_per_minute = 55, 55

    def __init__(self, auth: Credentials, session: requests.Session | None = None) -> None:
        """gspread's client for `auth` (and `session`), with the timeouts set and no request made yet."""
        super().__init__(auth, session)
        self.timeout = self.timeout_seconds
        self.requests_made = 0
        self.quota_refusals = 0  # 429 answers (each retried)
        self.quota_wait_seconds = 0.0  # waited before sending, to stay under the quota
        self.pace = Pace({"read": self.reads_per_minute, "write": self.writes_per_minute})
        self.clock: Any = Clock()
        self.sleep = time.sleep  # tests replace it to keep retries instant

    def use_clock(self, clock: Any) -> None:
        """Go by `clock` (monotonic, now, sleep) for pacing, retries and the lease: a test's fake one."""
        self.clock, self.sleep = clock, clock.sleep

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        """gspread's request, paced under the quota, retried on 408/429/5xx, rate limits and dropped
        connections until the retry budget is spent; each attempt is counted in `requests_made`."""
        kind = quota_kind(method, endpoint)
        waited, attempt = 0.0, 0
        while True:
            pause = self.pace.book(kind, self.clock.monotonic())
            if pause > 0:
                self.sleep(pause)
                self.quota_wait_seconds += pause
            self.requests_made += 1
            try:
                return super().request(method, endpoint, *args, **kwargs)
            except APIError as error:
                if error.code not in RETRY_STATUSES and not _rate_limited(error):
                    raise
                self.quota_refusals += error.code == 429
                failure: Exception = error
            except (requests.ConnectionError, requests.Timeout) as error:
                failure = error
            wait = random.uniform(0, min(self.longest_wait, self.first_wait * 2**attempt))
            if waited + wait > self.retry_budget_seconds:
                raise failure
            self.sleep(wait)
            waited, attempt = waited + wait, attempt + 1

    # --- Drive permissions, as Drive v3's reference documents them ------------------------------
    # gspread's own send Python's True/False (`sendNotificationEmail=False`) and Drive v2's
    # `withLink`, which Drive v3's Permission does not have; share_notify = false must not e-mail
    # (gspread issue 1351 reports notify=False e-mailing all the same).

    def list_permissions(self, file_id: str) -> list[dict[str, Any]]:
        """Every permission of a file (Drive v3 permissions.list, page after page)."""
        url = f"{DRIVE_FILES}/{file_id}/permissions"
        params = {"supportsAllDrives": "true", "fields": "nextPageToken,permissions"}
        found: list[dict[str, Any]] = []
        while True:
            answer = self.request("get", url, params=params).json()
            found += answer.get("permissions", [])
            if not answer.get("nextPageToken"):
                return found
            params["pageToken"] = answer["nextPageToken"]

    def create_permission(self, file_id: str, email: str, role: str, notify: bool, message: str = "") -> dict:
        """Share a file with one person (Drive v3 permissions.create): e-mailed only when `notify`,
        with `message` in that e-mail."""
        params = {"supportsAllDrives": "true", "sendNotificationEmail": "true" if notify else "false"}
        if notify and message:
            params["emailMessage"] = message
        body = {"type": "user", "role": role, "emailAddress": email}
        return self.request("post", f"{DRIVE_FILES}/{file_id}/permissions", params=params, json=body).json()


def _rate_limited(error: APIError) -> bool:
    """Drive says 'slow down' with a 403 whose reason is a rate limit: that one is worth a retry."""
    reasons = {e.get("reason") for e in error.error.get("errors", []) if isinstance(e, dict)}
    return error.code == 403 and bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded"})


class _Redirect(HTTPAdapter):
    """Sends requests for Google's API hosts to another base URL (the local emulator)."""

    def __init__(self, base_url: str) -> None:
        """An adapter sending Google's requests to `base_url`."""
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send `request`, to the emulator when it is for one of Google's hosts."""
        for host in GOOGLE_HOSTS:
            if request.url is not None and request.url.startswith(host):
                request.url = self.base_url + request.url[len(host) :]
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def connect(credentials: Path | None, api_url: str | None = None) -> tuple[gspread.Client, str]:
    """A gspread client and the e-mail of the account it acts as.

    With `api_url` (an emulator), requests go there and credentials are optional.
    """
    auth: Credentials
    if credentials is None and api_url:
        auth, email = user_credentials.Credentials(token="emulator"), "sync@emulator.local"
    else:
        auth, email = load_credentials(credentials)
    session = AuthorizedSession(auth)  # signs every request, refreshing the token as needed
    if api_url:
        for host in GOOGLE_HOSTS:
            session.mount(host, _Redirect(api_url))
    return gspread.Client(auth, session=session, http_client=RetryingHTTPClient), email


def load_credentials(path: Path | None) -> tuple[Credentials, str]:
    """Service-account JSON (the usual case) or an authorized-user OAuth file."""
    if path is None:
        raise GoogleAccessError(
            "no Google credentials: pass --credentials FILE or set SYNC_CREDENTIALS (a service-account JSON key)"
        )
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoogleAccessError(f"credentials file not found: {path}") from None
    except (OSError, ValueError) as error:
        raise GoogleAccessError(f"credentials file {path} is not a JSON key file: {error}") from None
    try:
        if info.get("type") == "service_account":
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
            return creds, creds.service_account_email
        if info.get("type") == "authorized_user":
            return user_credentials.Credentials.from_authorized_user_info(info, SCOPES), info.get("account", "")
    except (ValueError, KeyError) as error:
        raise GoogleAccessError(f"credentials file {path} is incomplete: {error}") from None
    raise GoogleAccessError(f"credentials file {path} is neither a service-account key nor an authorized-user file")


class GoogleUnavailable(GoogleAccessError):
    """Google could not be reached, or kept refusing (429, 5xx), for as long as retries went on."""


def explain(error: Exception, what: str, account: str) -> GoogleAccessError:
    """An API failure as one line a person can act on."""
    if isinstance(error, (requests.ConnectionError, requests.Timeout)):
        return GoogleUnavailable(f"cannot reach Google for {what}: {type(error).__name__} (gave up after retrying)")
    if not isinstance(error, APIError):
        return GoogleAccessError(f"{what}: {error}")
    message = str(error.error.get("message", "")).splitlines()[0] if error.error else ""
    reasons = {
        str(detail.get("reason", ""))
        for detail in error.error.get("errors", []) + error.error.get("details", [])
        if isinstance(detail, dict)
    }
    if error.code == 403 and (
        "SERVICE_DISABLED" in reasons or "has not been used" in message or "is disabled" in message
    ):
        return GoogleAccessError(
            f"the Google Sheets/Drive API is disabled for this project: enable it in the "
            f"Google Cloud console, then run again ({message})"
        )
    if error.code == 403 and "storageQuotaExceeded" in reasons:
        return GoogleAccessError(
            f"{what}: the account {account} has no Drive storage of its own (service accounts "
            "have none); set drive_folder to a folder in a shared drive, or create the "
            "spreadsheet yourself, share it with the account and put its link in Summary Sheet"
        )
    if error.code == 403:
        return GoogleAccessError(f"no access to {what}: share it with {account} as Editor")
    if error.code == 404:
        return GoogleAccessError(f"{what} not found: check the ID or link")
    if error.code == 429:
        return GoogleUnavailable(f"Google's quota was exceeded for {what} even after retrying; run again later")
    kind = GoogleUnavailable if error.code in RETRY_STATUSES else GoogleAccessError
    return kind(f"Google answered {error.code} for {what}: {message}")
