"""`python -m tests.sheets_emulator --port 8765`: serve until Ctrl-C, printing the base URL."""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading

from .emulator import DEFAULT_EMAIL, Emulator


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
    options = parser.parse_args(argv)
    if importlib.util.find_spec("googleapiclient") is None:  # its discovery documents say what Google accepts
        print(
            "error: the emulator needs the test requirements: scripts/venv requirements.txt requirements-dev.txt",
            file=sys.stderr,
        )
        return 2
    try:
        emulator = Emulator(options.port, options.host, options.service_account_email, options.verbose)
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
