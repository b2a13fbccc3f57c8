"""Google's quota, measured: `python -m bench.quota [--clients 250] [--changed 10]`.

The Google path (unmodified gspread, the real pipeline, the lease) against the emulator with its
quota model on (Google's per-minute limits: 60 reads and 60 writes per user, 300 per project),
on a fake clock shared with the sync's HTTP client: every wait moves the clock on, so the minutes
of quota a run needs pass in seconds. A team spreadsheet of `--clients` clients (one contract, a
few rows each, every client a spreadsheet of its own) is synced twice: a first run, then a
nightly run with the same as-of date after `--changed` clients got a new time row, then a run the
next day with nothing new (every Summary's as-of date and run-out move: one write a client). Prints a
markdown table: requests (Sheets reads and writes, Drive), 429s answered, the quota time (the fake
clock's minutes from the lock to its release), the lease's renewals and the wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from typing import Any

from bench.one import AS_OF
from bench.synthetic import EPOCH
from sync.model.schema import INPUT_TABS

TIME_ROWS = 4  # per client


def team_book(summaries: list[str]) -> dict[str, list[list]]:
    """Raw tabs: client i has contract K-i and TIME_ROWS time rows in the last months, paid once."""
    header = {tab.name: [column.name for column in tab.columns] for tab in INPUT_TABS}
    today = (AS_OF - EPOCH).days

    def row(tab: str, **cells: Any) -> list:
        return [cells.get(name.replace(" ", "_").lower(), "") for name in header[tab]]

    tabs: dict[str, list[list]] = {name: [header[name]] for name in ("Clients", "Contracts", "Time", "Payments")}
    for i, summary in enumerate(summaries):
        client, contract = f"C-{i:04d}", f"K-{i:04d}"
        tabs["Clients"].append(row("Clients", client_id=client, name=f"Client {i}", summary_sheet=summary))
        tabs["Contracts"].append(
            row(
                "Contracts",
                contract_id=contract,
                client_id=client,
                name=f"Care plan {i}",
                currency="USD",
                rate=120,
                start=today - 200,
                rounding_minutes=15,
            )
        )
        for n in range(TIME_ROWS):
            tabs["Time"].append(time_row(contract, today - 30 * n - i % 7, n))
        tabs["Payments"].append(
            row("Payments", date=today - 190, contract_id=contract, amount=2000, reference=f"INV-{i}")
        )
    return tabs


def time_row(contract: str, day: int, n: int) -> list:
    """A Time row in the tab's column order: Date, Person, Contract ID, Task, Work Type, Hours, Billable, Notes, Request ID."""
    return [day, "Ann", contract, f"Maintenance {n}", "", 1.5, "", "", ""]


def measured(emulator: Any, clock: Any, run: Any) -> dict[str, Any]:
    """Run `run()` and what it cost: requests by quota (from the emulator), 429s, quota and wall time."""
    from tests.sheets_emulator.quota import kind

    emulator.reset_counts()
    refused_before, start, wall = sum(emulator.quota.refused.values()), clock.monotonic(), time.perf_counter()
    outcome = run()
    kinds: Counter[str] = Counter()
    for (method, route), n in emulator.counts.items():
        kinds[kind(method, route) or "drive"] += n
    return {
        "outcome": outcome,
        "requests": sum(emulator.counts.values()),
        "reads": kinds["read"],
        "writes": kinds["write"],
        "drive": kinds["drive"],
        "429s": sum(emulator.quota.refused.values()) - refused_before,
        "quota_minutes": (clock.monotonic() - start) / 60,
        "wall_seconds": time.perf_counter() - wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quota", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=250)
    parser.add_argument("--changed", type=int, default=10, help="clients with a new row before the nightly run")
    options = parser.parse_args(argv)

    from sync.app import pipeline
    from sync.backends.google.http import connect
    from sync.backends.google.sheet import GoogleSheet
    from sync.config import Config
    from tests.sheets_emulator import Emulator, FakeClock, Quota, gspread_client

    clock = FakeClock()
    with Emulator(quota=Quota(clock)) as emulator:
        summaries = [emulator.create_spreadsheet(f"Client {i} - contract summary") for i in range(options.clients)]
        team = emulator.create_spreadsheet("Team", team_book(summaries))

        def sync(as_of: dt.date = AS_OF) -> str:
            """One run as `python -m sync run` makes it: a new process (client, pace), the lock held."""
            client, account = connect(None, emulator.base_url)
            client.http_client.use_clock(clock)
            backend = GoogleSheet(team, client, account)
            with backend.lock(600):
                result = pipeline.run(backend, Config(), as_of)
                assert backend.lease is not None
                renewals = len(backend.lease.versions) - 1
            waited = client.http_client.quota_wait_seconds / 60
            return f"{result.outcome}; waited {waited:.1f} min; lease renewed {renewals} times"

        first = measured(emulator, clock, sync)
        clock.sleep(3600)  # the next night
        quota, emulator.quota = emulator.quota, None  # a person's edits are not the sync's quota
        new_rows = [time_row(f"K-{i:04d}", (AS_OF - EPOCH).days, 9) for i in range(options.changed)]
        gspread_client(emulator).open_by_key(team).worksheet("Time").append_rows(new_rows, value_input_option="RAW")
        emulator.quota = quota
        nightly = measured(emulator, clock, sync)
        clock.sleep(86400)
        next_day = measured(emulator, clock, lambda: sync(AS_OF + dt.timedelta(days=1)))

    command = "python -m bench.quota" + "".join(f" {arg}" for arg in (argv if argv is not None else sys.argv[1:]))
    print(f"Command: `{command}`\n")
    print("| run | requests | Sheets reads | Sheets writes | Drive | 429s | quota time | wall | result |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, figures in (
        (f"first run, {options.clients} clients", first),
        (f"nightly, {options.changed} clients changed", nightly),
        ("next night, nothing new, as-of a day on", next_day),
    ):
        print(
            f"| {name} | {figures['requests']} | {figures['reads']} | {figures['writes']} | {figures['drive']} "
            f"| {figures['429s']} | {figures['quota_minutes']:.1f} min | {figures['wall_seconds']:.1f} s "
            f"| {figures['outcome']} |"
        )
    nightly_met = nightly["writes"] <= 60 and nightly["quota_minutes"] < 2 and nightly["429s"] == 0
    print(
        f"\nTargets (issue 15): the first run without a 429: {'met' if first['429s'] == 0 else 'NOT met'}; "
        f"the nightly run at most 60 writes inside 2 minutes of quota time: {'met' if nightly_met else 'NOT met'}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
