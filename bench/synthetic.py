"""Seeded synthetic team books at any size, with cells as messy as real ones."""

from __future__ import annotations

import datetime as dt

import numpy as np

from sync.model.schema import INPUT_TABS
from sync.model.serials import EPOCH  # bench.books and the tests take it from here too

HOUR_TEXTS = np.array(["1:30", "0:45", "90m", "2h", "1h 15m", "0.25", "3"], dtype=object)
BILLABLE = np.array(["", "", "", "Y", "yes", "x", "N", True, False], dtype=object)
TASKS = np.array(
    [
        "Update plugins",
        "Fix checkout bug",
        "Monthly backup check",
        "Renew SSL certificate",
        "Speed audit",
        "Add landing page",
        "Security patch",
        "Client call",
    ],
    dtype=object,
)
PEOPLE = np.array(["Ann", "Ben", "Cy", "Dee", "Eli"], dtype=object)
WORK_TYPES = np.array(["", "maintenance", "support", "emergency"], dtype=object)


def synthetic_book(time_rows: int, seed: int = 1, as_of: dt.date = dt.date(2026, 11, 29)) -> dict[str, list[list]]:
    """Raw tabs as the Sheets API returns them (UNFORMATTED_VALUE, SERIAL_NUMBER dates):
    numbers stay numbers, dates are serials, and people's text is text."""
    rng = np.random.default_rng(seed)
    contracts_n = max(5, time_rows // 2000)
    clients_n = max(3, contracts_n // 2)
    first_day = (as_of - EPOCH).days - 3 * 365
    header = {tab.name: [column.name for column in tab.columns] for tab in INPUT_TABS}
    clients = [[f"C-{i:05d}", f"Client {i}", f"ops{i}@client{i}.example", ""] for i in range(clients_n)]
    contracts = [
        [
            f"K-{i:05d}",
            f"C-{i % clients_n:05d}",
            f"Care plan {i}",
            ["USD", "EUR", "GBP"][i % 3],
            float(rng.integers(80, 160)),
            first_day,
            "",
            [0, 15, 6][i % 3],
            500 if i % 2 else "",
            "",
        ]
        for i in range(contracts_n)
    ]
    rates = [
        [
            f"K-{i:05d}",
            "emergency" if i % 2 else "",
            float(rng.integers(150, 200)),
            first_day + int(rng.integers(0, 900)),
        ]
        for i in range(0, contracts_n, 3)
    ]
    day = first_day + rng.integers(0, 3 * 365, time_rows)
    contract = rng.integers(0, contracts_n, time_rows)
    numeric = rng.random(time_rows) < 0.6
    hours = np.where(
        numeric,
        np.round(rng.integers(1, 32, time_rows) / 4, 2).astype(object),
        HOUR_TEXTS[rng.integers(0, len(HOUR_TEXTS), time_rows)],
    )
    columns = [
        day.tolist(),
        PEOPLE[rng.integers(0, len(PEOPLE), time_rows)].tolist(),
        [f"K-{c:05d}" for c in contract.tolist()],
        TASKS[rng.integers(0, len(TASKS), time_rows)].tolist(),
        WORK_TYPES[rng.integers(0, len(WORK_TYPES), time_rows)].tolist(),
        hours.tolist(),
        BILLABLE[rng.integers(0, len(BILLABLE), time_rows)].tolist(),
        [""] * time_rows,
    ]
    time = [list(row) for row in zip(*columns)]
    for i in range(0, time_rows, 5000):  # a few bad rows, as in any real sheet
        time[i][5] = "25"
    payments_n = max(10, time_rows // 20)
    payments = [
        [first_day + int(d), f"K-{int(c):05d}", a, f"INV-{i}", ""]
        for i, (d, c, a) in enumerate(
            zip(
                rng.integers(0, 3 * 365, payments_n),
                rng.integers(0, contracts_n, payments_n),
                [float(x) if x % 3 else f"${x:,.2f}" for x in rng.integers(500, 5000, payments_n).tolist()],
            )
        )
    ]
    expenses_n = max(5, time_rows // 100)
    expenses = [
        [first_day + int(d), f"K-{int(c):05d}", "Plugin licence", float(a), "Y" if i % 4 else "N", ""]
        for i, (d, c, a) in enumerate(
            zip(
                rng.integers(0, 3 * 365, expenses_n),
                rng.integers(0, contracts_n, expenses_n),
                rng.integers(10, 300, expenses_n).tolist(),
            )
        )
    ]
    return {
        "Clients": [header["Clients"], *clients],
        "Contracts": [header["Contracts"], *contracts],
        "Rates": [header["Rates"], *rates],
        "Time": [header["Time"], *time],
        "Payments": [header["Payments"], *payments],
        "Expenses": [header["Expenses"], *expenses],
    }
