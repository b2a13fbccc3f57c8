"""A realistic team book for `python -m sync demo`: five clients, six hourly contracts and a monthly
retainer, ~14 months of logged time typed the many ways people really type cells, and a few
deliberately bad rows."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import xlsxwriter

from sync.backends.cells import DATE_FORMAT, WORKBOOK_OPTIONS
from sync.model.schema import INPUT_TABS
from sync.model.serials import EPOCH

AGENCY = "Brightline Web Studio"  # the demo's agency_name (its contract-sync.toml)
PEOPLE = ("Maya Chen", "Tom Okafor", "Priya Nair", "Luis Ortega")
CLIENTS = (  # Summary Sheet left blank: the sync fills it in. Reserved .example domains: no real inboxes.
    ("C-001", "Crumb & Co Bakery", "hello@crumbandco.example", None),
    ("C-002", "Hartley & Moss LLP", "office@hartleymoss.example", None),
    ("C-003", "Riverside Food Bank", "volunteers@riversidefoodbank.example", None),
    ("C-004", "Northwind Goods", "shop@northwindgoods.example", None),
    ("C-005", "Harbour Dental Clinic", "frontdesk@harbourdental.example", None),
)
# Contract ID, Client ID, Name, Currency, Rate, start day, end day (days after the book's first day),
# Rounding Minutes, Low Balance, time entries, how it should end up.
CONTRACTS = (
    ("K-001", "C-001", "Website care plan", "USD", 95, 151, None, None, 500, 60, "ok"),
    ("K-002", "C-002", "Website retainer", "USD", 140, 10, None, 15, 1000, 120, "overdrawn"),
    ("K-003", "C-003", "Charity site support", "GBP", 110, 45, None, 0, 500, 55, "low"),
    ("K-004", "C-004", "Shop maintenance", "EUR", 120, 20, None, 15, 400, 60, "ok"),
    ("K-005", "C-004", "Marketing site care", "USD", 125, 220, None, None, None, 35, "ok"),
    ("K-006", "C-001", "Website rebuild aftercare", "USD", 95, 0, 150, 15, None, 30, "closed"),
)
# A monthly retainer: 10 hours a month for a 1,100.00 fee, up to 5 unused hours carried for 3 months,
# hours beyond them billed at 135.00; paid each month, with 600.00 ahead for overage.
RETAINER = ("R-001", "C-005", "Monthly care retainer", "USD", 120, 225, "monthly", 10, 1100, 5, 3, 135)
RETAINER_ENTRIES, RETAINER_BUFFER = 50, 600
# Client requests: Request ID, Contract ID, Title, requested (days before as_of), Requested By, Status,
# done (days before as_of), Estimate, Client Visible, Notes. Time rows of the contract from the day
# it was requested are logged against it (their own random stream: no other cell changes).
REQUESTS = (
    ("REQ-101", "K-001", "Add allergen labels to the menu page", 70, "Dana (owner)", "done", 55, "3", None, None),
    (
        "REQ-102",
        "K-001",
        "New photos for the seasonal menu",
        25,
        "Dana (owner)",
        "In Progress",
        None,
        "2:30",
        "Y",
        None,
    ),
    (
        "REQ-103",
        "K-001",
        "Check why the order form is slow",
        12,
        "Front desk",
        "waiting on client",
        None,
        2,
        "Y",
        "need their hosting login",
    ),
    ("REQ-201", "K-004", "Holiday shipping banner", 40, "Ops team", "Done", 30, "1h", "Y", None),
    ("REQ-202", "K-004", "Quote for a product filter", 18, "Ops team", "open", None, 6, "Y", "upsell: price it high"),
    ("REQ-203", "K-004", "Internal: tidy staging site", 60, "Tom Okafor", "done", 45, None, "N", "not for the client"),
    ("REQ-501", "R-001", "Online booking button on every page", 35, "Practice manager", "done", 20, 4, "Y", None),
    ("REQ-502", "R-001", "Update dentist profiles", 8, "Practice manager", "open", None, "90m", None, None),
)
SPAN_DAYS = 425  # about 14 months, ending at as_of
RATE_RISE_DAY = 220  # K-002 goes from 140 to 150 on this day
TASKS = {
    "maintenance": (
        "Update WordPress plugins",
        "Update WordPress core",
        "Monthly backup check",
        "Security scan",
        "Renew SSL certificate",
        "Uptime monitoring review",
        "Database cleanup",
        "PHP version upgrade",
    ),
    "support": (
        "Fix checkout bug",
        "Fix contact form emails",
        "Change opening hours on homepage",
        "Add new staff profile",
        "Update menu PDF",
        "Add donation campaign page",
        "Resize product images",
        "Investigate slow page loads",
        "Set up Google Analytics 4",
        "Fix blog post formatting",
    ),
    "emergency": (
        "Site down - restore from backup",
        "Malware cleanup",
        "Payment gateway outage",
        "Expired domain - DNS fix",
    ),
}
QUARTER_HOURS: dict[str | None, tuple[int, int]] = {  # an entry's fewest and most quarter hours by work type
    "maintenance": (1, 6),
    "support": (2, 12),
    "emergency": (4, 16),
}
NOTES = (
    "client was rude on the phone",
    "took longer because of their hosting provider",
    "should really have been emergency rate",
    "waiting on login details from client again",
    "tested on staging first",
    "my mistake from last week, fixing for free?",
    "client wants a quote for a redesign",
)


class _Duration(float):
    """A fraction of a day, written with the [h]:mm format people get when they type 1:30 into a cell."""


def write_sample_book(path: Path, as_of: dt.date, seed: int = 7) -> None:
    """Write the demo team book at `path`; the same `as_of` and `seed` always give the same cells."""
    rng = random.Random(seed)
    day = lambda offset: as_of - dt.timedelta(days=SPAN_DAYS - offset)  # days into the book
    ago = lambda days: as_of - dt.timedelta(days=days)
    rates = [
        ("K-002", None, 150, day(RATE_RISE_DAY)),
        ("K-004", "emergency", 180, None),
        ("K-001", "emergency", 140, None),
    ]
    contracts: list[tuple[object, ...]] = []
    time_rows: list[list[object]] = []  # each with the entry's day last, only for sorting
    payments: list[tuple[dt.date, str, float, str]] = []
    billed: dict[str, Fraction] = {}
    for cid, client, name, currency, rate, start, end, rounding, low, entries, outcome in CONTRACTS:
        end_day = day(end) if end is not None else None
        contracts.append(
            (
                cid,
                client,
                name,
                currency,
                rate,
                day(start),
                end_day,
                rounding,
                low,
                "closed" if outcome == "closed" else "active",
            )
        )
        billed[cid] = Fraction(0)
        for _ in range(entries):
            work_type = rng.choices(("maintenance", "support", "emergency", None), (45, 35, 5, 15))[0]
            when = day(rng.randint(start, min(end or SPAN_DAYS, SPAN_DAYS)))
            while when.weekday() >= 5 and work_type != "emergency" and when > day(start):
                when -= dt.timedelta(days=1)  # only emergencies are worked at weekends
            low_q, high_q = QUARTER_HOURS.get(work_type, (1, 8))
            minutes = 15 * rng.randint(low_q, high_q)
            if not rounding and rng.random() < 0.15:  # odd minutes only where rounding would not hide them
                minutes = rng.choice((10, 20, 40, 50))
            billable = rng.random() > 0.08
            if billable:
                billed[cid] += Fraction(minutes * _rate(rate, rates, cid, work_type, when), 60)
            task = rng.choice(TASKS[work_type] if work_type else TASKS["maintenance"] + TASKS["support"])
            note = rng.choice(NOTES) if rng.random() < 0.07 else None
            time_rows.append(_time_row(when, cid, task, work_type, minutes, billable, note, rng))
    retainer_payments = _retainer(contracts, time_rows, day, as_of, random.Random(f"{seed}-retainer"))
    expenses: list[tuple[dt.date, str | None, str, float | str, str, str | None]] = [
        (ago(200), "K-001", "Domain renewal crumbandco.example (1 yr)", 18.99, "Y", None),
        (ago(150), "K-004", "WooCommerce Subscriptions licence", 239, "Y", None),
        (ago(90), "K-005", "Premium forms plugin licence", "$59.00", "yes", None),
        (ago(60), "K-001", "Stock photos for menu page", 45, "N", "bought the wrong size, our cost"),
        (ago(30), None, "Hosting upgrade", 120, "Y", "which contract is this for?"),  # bad: no contract
    ]
    for _when, expense_cid, _what, amount, rebill, _note in expenses:
        if expense_cid and rebill != "N":
            billed[expense_cid] += Fraction(str(amount).lstrip("$"))
    for cid, _client, _name, currency, _base, start, end, *_rest, outcome in CONTRACTS:
        margin = {"overdrawn": -700, "low": 250, "closed": 400}.get(outcome, 100 * rng.randint(25, 40))
        total = int(round((billed[cid] + margin) / 100)) * 100
        amounts = _payment_amounts(total, rng)
        for i, amount in enumerate(amounts):
            offset = start + ((end or SPAN_DAYS) - start) * i // len(amounts) + (rng.randint(-5, 5) if i else 0)
            payments.append((min(day(offset), as_of), cid, amount, currency))
        if outcome == "closed":  # the unused prepayment goes back when the contract ends
            assert end is not None  # a closed contract has an end day
            payments.append((min(day(end + 20), as_of), cid, -float(total - billed[cid]), currency))
    payments += retainer_payments
    payments.sort(key=lambda payment: payment[0])
    payment_rows: list[list[object]] = []
    numbers = dict.fromkeys(range(as_of.year - 2, as_of.year + 1), 0)
    for when, cid, amount, currency in payments:
        numbers[when.year] += 1
        prefix, note = ("CR", "refund of unused balance") if amount < 0 else ("INV", None)
        payment_rows.append(
            [when, cid, _amount_cell(amount, currency, rng), f"{prefix}-{when.year}-{numbers[when.year]:03d}", note]
        )
    payment_rows.append([ago(100), "K-001", "abc", "INV-PENDING", "amount to follow"])  # bad: amount
    payment_rows.sort(key=_sort_day(0))
    time_rows += [  # deliberately bad rows, one problem each; the last cell is only for sorting
        [ago(40), "Luis Ortega", "K-005", "Migrate product catalogue", "support", 25, None, None, ago(40)],
        [ago(75), "Tom Okafor", "K-999", "Update WordPress plugins", "maintenance", 1, "Y", None, ago(75)],
        [
            f"31/02/{as_of.year}",
            "Priya Nair",
            "K-001",
            "Monthly backup check",
            "maintenance",
            "0:30",
            None,
            None,
            ago(50),
        ],
        [
            ago(20),
            "Maya Chen",
            "K-004",
            "Fix checkout bug",
            "support",
            "1h30m",
            "maybe",
            "not sure this is covered",
            ago(20),
        ],
    ]
    request_of = _request_time(time_rows, as_of, random.Random(f"{seed}-requests"))
    time_rows = [row[:-1] + request_of.get(id(row), []) for row in sorted(time_rows, key=_sort_day(-1))]
    copy_at = next(i for i, row in enumerate(time_rows) if row[2] == "K-001" and i > len(time_rows) // 2)
    time_rows.insert(copy_at + 1, list(time_rows[copy_at]))  # pasted twice: only a warning
    _write_book(
        path,
        {
            "Clients": CLIENTS,
            "Contracts": contracts,
            "Rates": rates,
            "Requests": [
                [rid, cid, title, ago(asked), by, status, None if done is None else ago(done), estimate, visible, note]
                for rid, cid, title, asked, by, status, done, estimate, visible, note in REQUESTS
            ],
            "Time": time_rows,
            "Payments": payment_rows,
            "Expenses": expenses,
        },
    )


def _request_time(time_rows: list[list[object]], as_of: dt.date, rng: random.Random) -> dict[int, list[object]]:
    """id(time row) -> [its Request ID]: a few of each request's contract's rows from the day it was
    requested to the day it was done (or as_of)."""
    tagged: dict[int, list[object]] = {}
    for rid, cid, _title, asked, _by, _status, done, *_rest in REQUESTS:
        first, last = as_of - dt.timedelta(days=asked), as_of - dt.timedelta(days=done or 0)
        rows = [row for row in time_rows if row[2] == cid and first <= _sort_day(-1)(row) <= last]
        rows = [row for row in rows if id(row) not in tagged]
        for row in rng.sample(rows, min(len(rows), rng.randint(1, 3))):
            tagged[id(row)] = [rid]
    return tagged


def _sort_day(at: int) -> Callable[[Sequence[object]], dt.date]:
    """A sort key: a row's day, its cell at `at` (a date in every row sorted by it)."""

    def key(row: Sequence[object]) -> dt.date:
        day = row[at]
        assert isinstance(day, dt.date)
        return day

    return key


def _rate(base: int, rates: list, cid: str, work_type: str | None, when: dt.date) -> int:
    """A work-type rate beats a from-date rate, which beats the contract's own rate."""
    matches = [
        (wt is not None, start or dt.date.min, rate)
        for c, wt, rate, start in rates
        if c == cid and wt in (None, work_type) and (start is None or start <= when)
    ]
    return max(matches)[2] if matches else base


def _retainer(
    contracts: list[tuple[object, ...]],
    time_rows: list[list[object]],
    day: Callable[[int], dt.date],
    as_of: dt.date,
    rng: random.Random,
) -> list[tuple[dt.date, str, float, str]]:
    """Add the retainer's contract row and time entries; its payments: each started month's fee, the
    first with the overage buffer. Its own random stream, so the other contracts' cells stay as they are."""
    cid, client, name, currency, rate, start, period, included, fee, cap, expires, overage = RETAINER
    contracts.append(
        (cid, client, name, currency, rate, day(start), None, 15, None, "active", None, None, period, included, fee)
        + (cap, expires, overage)
    )
    for _ in range(RETAINER_ENTRIES):
        work_type = rng.choices(("maintenance", "support"), (60, 40))[0]
        when = day(rng.randint(start, SPAN_DAYS))
        while when.weekday() >= 5 and when > day(start):
            when -= dt.timedelta(days=1)
        low_q, high_q = QUARTER_HOURS[work_type]
        minutes = 15 * rng.randint(low_q, high_q)
        task = rng.choice(TASKS[work_type])
        time_rows.append(_time_row(when, cid, task, work_type, minutes, None, None, rng))
    starts = [_add_months(day(start), months) for months in range(SPAN_DAYS // 28)]
    return [
        (when, cid, float(fee + (RETAINER_BUFFER if when == day(start) else 0)), currency)
        for when in starts
        if when <= as_of
    ]


def _time_row(
    when: dt.date,
    cid: str,
    task: str,
    work_type: str | None,
    minutes: int,
    billable: bool | None,
    note: str | None,
    rng: random.Random,
) -> list[object]:
    """A Time row as a person types it (billable None: the Billable cell left blank), with the
    entry's day last, only for sorting."""
    date, person, hours = _date_cell(when, rng), rng.choice(PEOPLE), _hours_cell(minutes, rng)
    billable_cell = None if billable is None else _billable_cell(billable, rng)
    return [date, person, cid, task, work_type, hours, billable_cell, note, when]


def _add_months(start: dt.date, months: int) -> dt.date:
    """Start plus whole months, on Start's day or the month's last day when it is shorter (as periods start)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(start.day, last))


def _payment_amounts(total: int, rng: random.Random) -> list[int]:
    """A prepayment of 2,000-10,000 then top-ups of 1,500-6,000 (round hundreds) adding up to `total`."""
    first = min(total, 10000, max(2000, 500 * round(total * rng.uniform(0.3, 0.5) / 500)))
    amounts, rest = [first], total - first
    while rest > 0:
        step = rest if rest <= 6000 else 100 * rng.randint(15, 60)
        if step < 1500:
            amounts[-1] += rest
            break
        amounts.append(step)
        rest -= step
    return amounts


def _date_cell(when: dt.date, rng: random.Random) -> object:
    pick = rng.random()
    return when if pick < 0.86 else when.isoformat() if pick < 0.96 else (when - EPOCH).days


def _hours_cell(minutes: int, rng: random.Random) -> object:
    hours, rest = divmod(minutes, 60)
    options = [(f"{hours}:{rest:02d}", 3), (f"{minutes}m", 2), (_Duration(minutes / 1440), 1)]
    if minutes % 15 == 0:
        options.append((minutes / 60, 14))
    if hours and rest:
        options += [(f"{hours}h{rest}m", 1), (f"{hours}h {rest}m", 1)]
    if hours and not rest:
        options.append((f"{hours}h", 2))
    values, weights = zip(*options)
    return rng.choices(values, weights)[0]


def _billable_cell(billable: bool, rng: random.Random) -> object:
    if not billable:
        return rng.choice(("N", "no", False))
    return rng.choices((None, "Y", "yes", "TRUE", "x", True), (50, 25, 8, 5, 6, 6))[0]


def _amount_cell(amount: float, currency: str, rng: random.Random) -> object:
    if amount < 0 or amount != int(amount):
        return amount
    styles = (amount, f"${amount:,.2f}", f"{amount:,}") if currency == "USD" else (amount, f"{amount:,}")
    return rng.choices(styles, (6, 2, 2)[: len(styles)])[0]


def _write_book(path: Path, tabs: dict[str, Sequence[Sequence[object]]]) -> None:
    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": DATE_FORMAT})
    duration_format = book.add_format({"num_format": "[h]:mm"})
    for tab in INPUT_TABS:
        sheet = book.add_worksheet(tab.name)
        sheet.write_row(0, 0, [column.name for column in tab.columns], bold)
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, len(tab.columns) - 1, 16)
        for r, values in enumerate(tabs[tab.name], start=1):
            for c, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, _Duration):
                    sheet.write_number(r, c, value, duration_format)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, date_format)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value)
    book.close()
