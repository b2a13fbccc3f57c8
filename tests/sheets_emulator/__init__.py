"""A local, stateful emulator of the Google Sheets v4 and Drive v3 calls contract-sync makes.

    from tests.sheets_emulator import Emulator, gspread_client

    with Emulator() as emulator:
        client = gspread_client(emulator)            # unmodified gspread
        book = client.create("Team ledger")          # Drive create, then Sheets metadata
        book.sheet1.update([["a", 1]], "A1")

Answers are checked against 1821 recorded Google answers (tests/test_emulator_recordings.py).
"""

from .client import RedirectAdapter, credentials, gspread_client, session_for
from .emulator import DEFAULT_EMAIL, Emulator
from .faults import Fault, Faults
from .quota import FakeClock, Quota, ScaledClock

__all__ = [
    "DEFAULT_EMAIL",
    "Emulator",
    "FakeClock",
    "Fault",
    "Faults",
    "Quota",
    "RedirectAdapter",
    "ScaledClock",
    "credentials",
    "gspread_client",
    "session_for",
]
