"""The code's habits, checked with the suite: ruff's lint and format, and mypy on sync/ (settings in
pyproject.toml). A failure prints what the tool said."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    done = tool("ruff", "check", "--no-cache", "sync", "tests", "bench")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_code_is_formatted_as_ruff_formats_it():
    done = tool("ruff", "format", "--check", "--no-cache", "sync", "tests", "bench")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy_finds_no_type_errors_in_sync():
    done = tool("mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
