"""How a client reaches the emulator: an unmodified gspread, with its session pointed here."""

from __future__ import annotations

from typing import Any

import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials
from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class RedirectAdapter(HTTPAdapter):
    """Sends what was addressed to Google's API hosts to the emulator instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        for host in GOOGLE_HOSTS:
            if request.url and request.url.startswith(host):
                request.url = self.base_url + request.url[len(host) :]
        return super().send(request, **kwargs)


def credentials() -> Credentials:
    """A token that never expires and is never checked: gspread's `auth`, and what signs the
    session's requests (`Authorization: Bearer emulator-token`, as on Google)."""
    return Credentials(token="emulator-token")


def session_for(emulator_or_url: Any) -> requests.Session:
    """A requests Session (google-auth's AuthorizedSession) whose Google traffic goes to the
    emulator: pass it as `gspread.Client(auth, session=...)`."""
    base_url = getattr(emulator_or_url, "base_url", emulator_or_url)
    session = AuthorizedSession(credentials())
    adapter = RedirectAdapter(base_url)
    for host in GOOGLE_HOSTS:
        session.mount(host, adapter)
    return session


def gspread_client(emulator_or_url: Any) -> gspread.Client:
    return gspread.Client(credentials(), session=session_for(emulator_or_url))
