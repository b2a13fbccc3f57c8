"""pytest fixtures: a fresh emulator per test, and an unmodified gspread client talking to it.

Enabled for the whole suite by `pytest_plugins = ["tests.sheets_emulator.fixtures"]` in
tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import pytest

from .client import gspread_client as _gspread_client
from .emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A Sheets/Drive emulator on a free port, stopped after the test."""
    server = Emulator()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gspread_client(emulator: Emulator) -> gspread.Client:
    return _gspread_client(emulator)
