"""Settings: defaults, then an optional TOML file, then SYNC_* environment variables."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from babel.numbers import is_currency

from sync.errors import SyncError

CONFIG_FILE_NAME = "contract-sync.toml"  # looked for beside the team workbook


@dataclass(frozen=True)
class Config:
    currency: str = "USD"  # for contracts whose Currency cell is blank
    date_order: str = ""  # "DMY" or "MDY" lets text like 26/11/2026 be read; blank = ISO only

    def checked(self) -> "Config":
        currency = self.currency.strip().upper()
        if not is_currency(currency):
            raise SyncError(f"config: currency '{self.currency}' is not an ISO 4217 currency code")
        order = self.date_order.strip().upper()
        if order not in ("", "DMY", "MDY"):
            raise SyncError(f"config: date_order '{self.date_order}' must be DMY, MDY or blank")
        return replace(self, currency=currency, date_order=order)


def load_config(path: Path | None, book: Path | None = None) -> Config:
    """Read `path` (or contract-sync.toml beside the book, when there is one) and SYNC_* variables."""
    if path is None and book is not None and (book.parent / CONFIG_FILE_NAME).is_file():
        path = book.parent / CONFIG_FILE_NAME
    settings: dict[str, str] = {}
    if path is not None:
        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SyncError(f"config file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SyncError(f"config file {path} is not valid TOML: {error}") from None
    known = {field.name for field in fields(Config)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise SyncError(f"config file {path}: unknown setting '{unknown[0]}' (known: {', '.join(sorted(known))})")
    for name in known:
        if f"SYNC_{name.upper()}" in os.environ:
            settings[name] = os.environ[f"SYNC_{name.upper()}"]
    bad = [name for name, value in settings.items() if not isinstance(value, str)]
    if bad:
        raise SyncError(f"config: '{bad[0]}' must be text in quotes")
    return Config(**settings).checked()
