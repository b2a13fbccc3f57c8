"""`python -m tests.sheets_emulator --port 8765`: serve until Ctrl-C, printing the base URL."""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading

from .emulator import DEFAULT_EMAIL, Emulator
from .quota import PER_PROJECT, PER_USER, Quota, ScaledClock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sheets_emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--service-account-email", default=DEFAULT_EMAIL, help="who the caller is")
    parser.add_argument(
        "--spreadsheet",
        action="append",
        default=[],
        metavar="TITLE",
        help="create an empty spreadsheet at start and print its ID (repeatable)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--quota", action="store_true", help="count Sheets requests against Google's per-minute quota (429 past it)"
    )
    parser.add_argument(
        "--quota-per-user", type=int, default=PER_USER, metavar="N", help="reads (and writes) a minute per user"
    )
    parser.add_argument("--quota-per-project", type=int, default=PER_PROJECT, metavar="N", help="... per project")
    parser.add_argument(
        "--quota-time-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="the quota's clock runs F times faster than the machine's (60: a quota minute is a second)",
    )
    options = parser.parse_args(argv)
    if importlib.util.find_spec("googleapiclient") is None:  # its discovery documents say what Google accepts
        print(
            "error: the emulator needs the test requirements: scripts/venv requirements.txt requirements-dev.txt",
            file=sys.stderr,
        )
        return 2
    try:
        quota = (
            Quota(ScaledClock(options.quota_time_scale), options.quota_per_user, options.quota_per_project)
            if options.quota
            else None
        )
        emulator = Emulator(options.port, options.host, options.service_account_email, options.verbose, quota)
    except OSError as error:  # the port is taken, or the address is not this machine's
        print(f"error: cannot serve on {options.host}:{options.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(emulator.base_url, flush=True)
    for title in options.spreadsheet:
        print(f"spreadsheet {emulator.create_spreadsheet(title)} {title}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
