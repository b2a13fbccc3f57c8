"""contract-sync as a library: where each client's prepaid maintenance contract stands.

    import sync
    computed = sync.compute_tables({"Clients": clients, "Contracts": contracts, "Time": time,
                                    "Payments": payments}, as_of=datetime.date(2026, 3, 31))
    computed.tables["Balances"]          # the team's tabs as DataFrames: Dashboard, Balances, Monthly, Periods, Errors
    computed.problems                    # every problem: Tab, Row, Column, Value, Problem, Severity, Code

    result = sync.run("team.xlsx")       # or sync.run(sheet="SPREADSHEET_ID", credentials="key.json")
    result.exit_code, result.problems    # 0: every row used, every summary written, every alert sent
    sync.check("team.xlsx")              # the same problems and exit code, writing nothing

Settings are a `Config` (defaults, then contract-sync.toml beside the book, then SYNC_*
variables). A sync that cannot run raises a `SyncError`: `ConfigError`, `BookError`,
`GoogleAccessError` and `InternalError` end the command line with exit 2, 2, 2 and 70, `LockBusy`
with 3 (`error.exit_code`). The command line (`contract-sync`, `python -m sync`) is built on these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "BookError",
    "Computed",
    "Config",
    "ConfigError",
    "GoogleAccessError",
    "InternalError",
    "LockBusy",
    "RunResult",
    "SyncError",
    "check",
    "compute_tables",
    "load_config",
    "run",
]

_HOMES = {
    "Computed": "sync.app.api",
    "compute_tables": "sync.app.api",
    "run": "sync.app.api",
    "check": "sync.app.api",
    "RunResult": "sync.app.pipeline",
    "Config": "sync.config",
    "load_config": "sync.config",
    "SyncError": "sync.errors",
    "ConfigError": "sync.errors",
    "BookError": "sync.errors",
    "GoogleAccessError": "sync.errors",
    "LockBusy": "sync.errors",
    "InternalError": "sync.errors",
}

if TYPE_CHECKING:
    from sync.app.api import Computed, check, compute_tables, run
    from sync.app.pipeline import RunResult
    from sync.config import Config, load_config
    from sync.errors import BookError, ConfigError, GoogleAccessError, InternalError, LockBusy, SyncError


def __getattr__(name: str) -> Any:
    """The public names, imported on first use: `python -m sync` and the writer processes the
    sync starts import only what they need."""
    if name not in _HOMES:
        raise AttributeError(f"module 'sync' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
