"""Seeded synthetic team books at any size, with cells as messy as real ones.

Two profiles. "fixed" (the benchmark's first book, kept as it was so that old figures stay
comparable) draws Task from a few fixed strings and leaves Notes blank, so every shortcut that
works on a column's distinct values pays off. "free-text" is a book as people keep one: every
Task and Notes cell is its own text (Task a few words, Notes a sentence or three, a third of them
blank, some in accented or non-Latin script), Hours as numbers and as typed text (1:30, 45m, 2h,
1h 15m), and fewer, busier contracts and clients (2,000 and 20 at a million rows).
"""

from __future__ import annotations

import datetime as dt
from itertools import islice

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
PROFILES = ("fixed", "free-text")

# Words of the free-text profile; one in a hundred is accented or in another script (_FOREIGN).
_VERB_TEXT = (
    "Fix Update Review Investigate Migrate Configure Deploy Test Refactor Document Install Remove Debug "
    "Optimise Audit Patch Restore Rebuild Translate Design Check Replace Tune Clean Monitor Draft Prepare "
    "Merge Upgrade Move"
)
_WORD_TEXT = (
    "checkout cart page header footer menu login form plugin theme cache database backup server DNS SSL "
    "certificate email newsletter invoice report dashboard search filter image gallery slider video "
    "cookie banner analytics tracking redirect sitemap robots staging production API webhook payment "
    "gateway tax shipping product category tag archive comment spam captcha firewall uptime latency query "
    "index table column migration cron job queue worker log error warning timeout memory disk CPU load "
    "balancer CDN font colour layout mobile tablet desktop accessibility contrast translation locale "
    "currency price discount coupon order customer account password reset profile avatar upload download "
    "export import CSV PDF template block widget sidebar blog post draft release hotfix branch ticket "
    "call meeting client team the a for on with after before from in of and to new old slow broken "
    "missing duplicate wrong"
)
_FOREIGN_TEXT = (
    "café Zürich München São Łódź façade naïve résumé crème brûlée Ærø Ångström Kraków Straße Ελλάδα "
    "Москва 東京 北京 서울 — ✓ €"
)
_VERBS, _WORDS, _FOREIGN = (np.array(text.split(), dtype=object) for text in (_VERB_TEXT, _WORD_TEXT, _FOREIGN_TEXT))


def _sentences(rng: np.random.Generator, count: int, fewest: int, most: int) -> list[str]:
    """`count` texts of `fewest` to `most` words, each its own text."""
    lengths = rng.integers(fewest, most + 1, count)
    total = int(lengths.sum())
    words = np.where(
        rng.random(total) < 0.01,
        _FOREIGN[rng.integers(0, len(_FOREIGN), total)],
        _WORDS[rng.integers(0, len(_WORDS), total)],
    )
    drawn = iter(words.tolist())
    return [" ".join(islice(drawn, n)) for n in lengths.tolist()]


def free_text_columns(rng: np.random.Generator, rows: int) -> tuple[list[str], list[str], list]:
    """Task, Notes and Hours cells of the free-text profile: a Task of three to nine words (half with
    a ticket number), Notes blank on a third of the rows and one to three sentences elsewhere, Hours
    a number on 60% of the rows and typed text (1:30, 45m, 2h, 1h 15m) on the rest."""
    verbs = _VERBS[rng.integers(0, len(_VERBS), rows)].tolist()
    objects = _sentences(rng, rows, 2, 8)
    tickets = np.where(rng.random(rows) < 0.5, rng.integers(100, 100_000, rows), 0).tolist()
    task = [f"{v} {o} #{t}" if t else f"{v} {o}" for v, o, t in zip(verbs, objects, tickets)]
    notes = _sentences(rng, rows, 6, 40)
    blank = np.flatnonzero(rng.random(rows) < 1 / 3).tolist()
    for i in blank:
        notes[i] = ""
    minutes = (rng.integers(1, 97, rows) * 5).tolist()  # 5 minutes to 8 hours
    forms = rng.integers(0, 4, rows).tolist()
    typed = [
        (f"{m // 60}:{m % 60:02d}", f"{m}m", f"{max(m // 60, 1)}h", f"{m // 60}h {m % 60}m" if m >= 60 else f"{m}m")[f]
        for m, f in zip(minutes, forms)
    ]
    numeric = rng.random(rows) < 0.6
    quarters = (rng.integers(1, 32, rows) / 4).tolist()
    hours = [q if n else t for q, t, n in zip(quarters, typed, numeric.tolist())]
    return task, notes, hours


def synthetic_book(
    time_rows: int, seed: int = 1, as_of: dt.date = dt.date(2026, 11, 29), profile: str = "fixed"
) -> dict[str, list[list]]:
    """Raw tabs as the Sheets API returns them (UNFORMATTED_VALUE, SERIAL_NUMBER dates):
    numbers stay numbers, dates are serials, and people's text is text. `profile`: "fixed" or
    "free-text" (module docstring)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    rng = np.random.default_rng(seed)
    if profile == "fixed":
        contracts_n = max(5, time_rows // 2000)
        clients_n = max(3, contracts_n // 2)
    else:
        contracts_n = max(5, time_rows // 500)
        clients_n = max(3, time_rows // 50_000)
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
    if profile == "free-text":  # drawn from a stream of their own, after the fixed profile's draws
        columns[3], columns[7], columns[5] = free_text_columns(np.random.default_rng([seed, 1]), time_rows)
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
