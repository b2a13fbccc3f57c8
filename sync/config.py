"""Settings: defaults, then an optional TOML file, then SYNC_* environment variables.

The one place the sync reads its environment: Config's settings (SYNC_<SETTING>), the log file
(log_file), the state folder (state_dir) and the Google credentials (credentials_file). The command line's own options
(--book as SYNC_BOOK, ...) are click's, declared with each option."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import is_currency

from sync.errors import ConfigError

CONFIG_FILE_NAME = "contract-sync.toml"  # looked for beside the team workbook
SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}  # each smtp_security and its usual port


@dataclass(frozen=True)
class Config:
    """The sync's settings, one field each (SYNC_<FIELD> in the environment); `checked()` validates them."""

    currency: str = "USD"  # for contracts whose Currency cell is blank
    agency_name: str = ""  # heads every client's Summary
    locale: str = "en_US"  # how client summaries spell money and dates: en_GB, de_DE, fr_FR... (paper: A4, US Letter)
    date_order: str = ""  # "DMY" or "MDY" lets text like 26/11/2026 be read; blank = ISO only
    # Local workbook only: a folder (relative to the workbook's) for client summaries, besides the workbook's own
    summary_folder: str = ""
    # Google Sheets only:
    team_domain: str = ""  # addresses @ this domain may open client summaries without a warning
    warning_only: bool = False  # output tabs warn before an edit instead of refusing it
    drive_folder: str = ""  # where `share` creates client spreadsheets (a shared-drive folder ID)
    share_notify: bool = True  # e-mail the client when their summary is shared with them
    share_message: str = ""  # the text of that e-mail
    retry_seconds: int = 120  # how long to keep retrying Google's 429/5xx answers and dropped connections
    # Nightly operation:
    lock_wait: int = 600  # seconds to wait for another sync of the same book to finish before giving up (exit 3)
    alert_from: str = ""  # sender of alert e-mails
    alert_to: str = ""  # the team's alert recipients (commas between addresses)
    report_day: int = 1  # monthly reports go out on the first run on or after this day of the month
    # The SMTP server of alert e-mails (SYNC_SMTP_HOST, ...); a blank smtp_host turns alerts off
    smtp_host: str = ""
    smtp_port: int = 0  # 0: the usual port of smtp_security (SMTP_PORTS)
    smtp_security: str = "starttls"  # starttls, ssl or none
    smtp_user: str = ""  # the login; blank: no login
    smtp_password: str = field(default="", repr=False)  # never printed

    def checked(self) -> Config:
        """These settings tidied (codes upper case, the SMTP port filled in); a bad one is a ConfigError."""
        currency = self.currency.strip().upper()
        if not is_currency(currency):
            raise ConfigError(f"config: currency '{self.currency}' is not an ISO 4217 currency code")
        order = self.date_order.strip().upper()
        if order not in ("", "DMY", "MDY"):
            raise ConfigError(f"config: date_order '{self.date_order}' must be DMY, MDY or blank")
        if not 1 <= self.report_day <= 28:
            raise ConfigError(f"config: report_day '{self.report_day}' must be a day from 1 to 28")
        try:
            locale = str(Locale.parse(self.locale.strip().replace("-", "_")))
        except (ValueError, UnknownLocaleError):
            raise ConfigError(
                f"config: locale '{self.locale}' is not a locale babel knows (en_US, en_GB, de_DE...)"
            ) from None
        return replace(self, currency=currency, date_order=order, locale=locale)._smtp_checked()

    def _smtp_checked(self) -> Config:
        """The SMTP settings checked, as SYNC_SMTP_* variables were before they were settings: only
        when there is an SMTP host, since without one they are not used."""
        host = self.smtp_host.strip()
        if not host:
            return replace(self, smtp_host="")
        security = self.smtp_security.strip().lower() or "starttls"
        if security not in SMTP_PORTS:
            raise ConfigError(f"SYNC_SMTP_SECURITY: '{security}' must be starttls, ssl or none")
        if not 0 <= self.smtp_port < 65536:  # 0 is unset (a variable says so with a blank)
            raise ConfigError(f"SYNC_SMTP_PORT: '{self.smtp_port}' must be a port number from 1 to 65535")
        return replace(self, smtp_host=host, smtp_security=security, smtp_port=self.smtp_port or SMTP_PORTS[security])


def load_config(path: Path | None, book: Path | None = None) -> Config:
    """Read `path` (or contract-sync.toml beside the book, when there is one) and SYNC_* variables."""
    if path is None and book is not None and (book.parent / CONFIG_FILE_NAME).is_file():
        path = book.parent / CONFIG_FILE_NAME
    settings: dict[str, Any] = {}  # TOML values of any type: each is checked against its field's type below
    if path is not None:
        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    known = {field.name for field in fields(Config)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting '{unknown[0]}' (known: {', '.join(sorted(known))})")
    types = {field.name: type(field.default) for field in fields(Config)}
    for name in known:
        if f"SYNC_{name.upper()}" in os.environ:
            settings[name] = _from_env(name, os.environ[f"SYNC_{name.upper()}"], types[name])
    for name, value in settings.items():
        if not isinstance(value, types[name]):
            kind = {bool: "true or false", int: "a whole number"}.get(types[name], "text in quotes")
            raise ConfigError(f"config: '{name}' must be {kind}")
    return Config(**settings).checked()


def _from_env(name: str, value: str, kind: type) -> object:
    if name == "smtp_port":  # blank: the usual port, as before SYNC_SMTP_PORT was a setting
        port = value.strip()
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ConfigError(f"SYNC_SMTP_PORT: '{port}' must be a port number from 1 to 65535")
        return int(port) if port else 0
    if kind is int:
        if not value.strip().isdigit():
            raise ConfigError(f"SYNC_{name.upper()}: '{value}' must be a whole number")
        return int(value)
    if kind is not bool:
        return value
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"SYNC_{name.upper()}: '{value}' must be true or false")


LOG_NAME = "contract-sync.log"


def log_file() -> Path:
    """Where an internal error's traceback goes: SYNC_LOG_FILE (the nightly script's log), else
    contract-sync.log in the state folder (state_dir)."""
    if os.environ.get("SYNC_LOG_FILE"):
        return Path(os.environ["SYNC_LOG_FILE"])
    return state_dir() / LOG_NAME


def state_dir() -> Path:
    """The sync's own folder on this machine (what the last --when-changed run left, the log): SYNC_STATE_DIR,
    else contract-sync in the user's state folder ($XDG_STATE_HOME, default ~/.local/state/contract-sync)."""
    if os.environ.get("SYNC_STATE_DIR"):
        return Path(os.environ["SYNC_STATE_DIR"]).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "contract-sync"


def credentials_file(given: Path | None) -> Path | None:
    """The Google credentials file: the one given (--credentials), else SYNC_CREDENTIALS, else
    GOOGLE_APPLICATION_CREDENTIALS; None when there is none."""
    if given:
        return given
    for variable in ("SYNC_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    return None
