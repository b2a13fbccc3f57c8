"""Where the traceback of an internal error goes: a log file, never the terminal or cron's e-mail."""

from __future__ import annotations

import datetime as dt
import tempfile
import traceback
from pathlib import Path

from sync.config import LOG_NAME, log_file


def save_traceback(error: BaseException) -> str:
    """Append `error`'s traceback (with its cause) to the log file; the file's path, or, when no
    file can be written, a note saying so."""
    text = "".join(traceback.format_exception(error))
    entry = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} contract-sync internal error\n{text}"
    for path in (log_file(), Path(tempfile.gettempdir()) / LOG_NAME):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as log:
                log.write(entry)
            return str(path)
        except OSError:
            continue
    return "no log file (none could be written)"
