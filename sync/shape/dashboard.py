"""A client's Summary tab as a one-page dashboard: what goes in which cell, and how it looks.

Both backends draw the same `Dashboard`: a title block (the agency, the client, the As Of date);
for each contract its headline figures in words and large type, a status sentence, and on a
retainer this period's hours; the balance chart under them; then the work of the last 30 days
with its totals. Only what applies is there: no period figures without a retainer, no empty
section. Money is spelt by babel in the currency's own way (`$1,950.00`, `¥195,000`, and
`1.950,00 €` when the `locale` setting asks for it); the cells' looks are named `STYLES`, which
each backend spells in its own terms (XlsxWriter formats, the Sheets API's CellFormat).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_symbol

from sync.compute.requests import OPEN_STATUSES
from sync.model.table import Kind, Table

RECENT_DAYS = 30  # "Work completed in the last 30 days"
RECENT_LINES = 15  # a contract's lines shown there at most; the rest are on the Activity tab
CHART_ROWS = 16  # rows the balance chart covers
CHART_TITLE = "Balance by month"
WIDTHS = (20, 20, 20, 20, 20)  # the dashboard's columns, in characters
COLUMNS = len(WIDTHS)
DATE_WORDS = "d MMM y"  # 25 Jan 2027, in the locale's month names
DAY_FORMAT = "d mmm yyyy"  # the same as a cell's number format
HOURS_FORMAT = "0.00"  # as the tables show hours (sync.backends.cells)
LETTER_TERRITORIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE"}  # where paper is US Letter, not A4

# Each look, in neutral terms: bold, italic, size (points), color and fill (#RRGGBB), align, wrap, border (top).
STYLES: dict[str, dict[str, Any]] = {
    "agency": {"size": 11, "color": "#595959"},
    "title": {"size": 20, "bold": True, "color": "#1F3864"},
    "subtitle": {"size": 11, "italic": True, "color": "#595959"},
    "contract": {"size": 14, "bold": True, "color": "#1F3864"},
    "OK": {"bold": True, "align": "center", "color": "#375623", "fill": "#E2EFDA"},
    "LOW": {"bold": True, "align": "center", "color": "#7F6000", "fill": "#FFF2CC"},
    "OVERDRAWN": {"bold": True, "align": "center", "color": "#9C0006", "fill": "#FFC7CE"},
    "CLOSED": {"bold": True, "align": "center", "color": "#595959", "fill": "#EDEDED"},
    "sentence": {"wrap": True},
    "label": {"size": 9, "color": "#595959"},
    "figure": {"size": 14, "bold": True},
    "section": {"size": 13, "bold": True, "color": "#1F3864"},
    "header": {"bold": True, "fill": "#D9E1F2"},
    "header-number": {"bold": True, "fill": "#D9E1F2", "align": "right"},
    "cell": {"wrap": True},
    "date": {"align": "left"},
    "number": {},
    "note": {"italic": True, "color": "#595959"},
    "number-included": {"italic": True, "color": "#595959", "align": "right"},
    "total": {"bold": True, "border": True},
    "total-included": {"bold": True, "border": True, "italic": True, "align": "right"},
}

STATUS_SENTENCES = {
    "OVERDRAWN": "Balance is below zero: please top up.",
    "LOW": "Balance is running low: please top up soon to keep work going.",
    "OK": "Balance is in good standing.",
    "CLOSED": "This contract is closed.",
}
PACE_WORDS = {
    "ahead": "hours are being used faster than the period is passing",
    "on track": "hours are being used in step with the period",
    "behind": "hours are being used more slowly than the period is passing",
}


class Cell(NamedTuple):
    """One cell: where (0-based), what (a value of a column kind) and how it looks (a STYLES name)."""

    row: int
    col: int
    value: object
    kind: Kind
    style: str
    number_format: str | None = None  # for numbers and dates


def pixels(width: float) -> int:
    """A column's width in pixels, as Excel and Google Sheets show a width in characters (of 7-pixel digits)."""
    return int(width * 7 + 5)


class Chart(NamedTuple):
    """The balance chart: the rows it covers from `top` under the figures, and its data: a table
    of Month and one column per contract (named for the legend), at (`data_row`, `data_col`)."""

    top: int
    data_row: int
    data_col: int
    names: list[str]
    month_kind: Kind
    rows: list[list[object]]
    number_format: str

    @property
    def widths(self) -> list[int]:
        """The data's columns, in characters: Month, then each contract's."""
        return [10] + [max([12, *(len(name) + 2 for name in self.names)])] * len(self.names)


@dataclass
class Dashboard:
    """The Summary tab of one client's book, for a backend to draw."""

    name: str  # the client's, for the title and every page's footer
    locale: str = "en_US"
    currency: str | None = None  # the one currency of all the client's contracts, else None
    cells: list[Cell] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col
    heights: dict[int, float] = field(default_factory=dict)  # row -> points, where taller than usual
    chart: Chart | None = None
    rows: int = 0  # the printed rows: 0 to rows - 1 of the COLUMNS dashboard columns

    @property
    def paper(self) -> str:
        """ "Letter" where the locale's country prints on it, else "A4"."""
        return "Letter" if Locale.parse(self.locale).territory in LETTER_TERRITORIES else "A4"

    def money_format(self, places: int) -> str | None:
        """The number format of the client's money cells: with the currency's symbol when they have one currency."""
        return currency_format(self.currency, self.locale, places) if self.currency else None

    def footer(self) -> str:
        """The client's name for the page footer (at most 100 characters)."""
        return self.name if len(self.name) <= 100 else self.name[:99] + "…"

    def text(self) -> str:
        """The cells as plain lines, row by row (tab between cells): what the golden files hold."""
        by_row: dict[int, list[Cell]] = {}
        for cell in self.cells:
            by_row.setdefault(cell.row, []).append(cell)
        lines = []
        for row in range(self.rows):
            cells = sorted(by_row.get(row, []), key=lambda c: c.col)
            lines.append("\t".join(shown(c) for c in cells).rstrip())
        return "\n".join(lines) + "\n"


def shown(cell: Cell) -> str:
    """A cell as text: what it holds, spelt roughly as it shows."""
    if cell.value is None:
        return ""
    if isinstance(cell.value, dt.date):
        return f"{cell.value:%Y-%m-%d}"
    return str(cell.value)


@functools.lru_cache(maxsize=256)  # a few currencies, asked for by every money cell of every dashboard
def currency_format(currency: str, locale: str, places: int) -> str:
    """A number format with the currency's symbol where the locale puts it: '"$"#,##0.00', '#,##0.00 "€"'."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    symbol = '"' + get_currency_symbol(currency, locale).replace('"', "") + '"'
    number = "#,##0" + ("." + "0" * places if places > 0 else "")
    gap = " " if any(space in pattern for space in ("\u00a0", " ", "\u202f")) else ""
    return f"{symbol}{gap}{number}" if pattern.strip().startswith("¤") else f"{number}{gap}{symbol}"


def money_words(amount: Decimal, currency: str, locale: str) -> str:
    """An amount as the client reads it: $1,950.00, ¥195,000, -$12.50."""
    return format_currency(amount, currency, locale=locale)


def date_words(day: dt.date, locale: str) -> str:
    """A date as the client reads it: 25 Jan 2027."""
    return format_date(day, DATE_WORDS, locale=locale)


def hours_words(hours: Decimal, locale: str) -> str:
    """14.4 -> '14.40'."""
    return format_decimal(hours, "#,##0.00", locale=locale)


def client_dashboard(name: str, tables: dict[str, Table], agency: str = "", locale: str = "en_US") -> Dashboard:
    """The dashboard of a client whose book holds these tables (sync.shape.report.client_tables)."""
    periods = [_Period.of(row) for row in records(tables.get("Periods"))]
    contracts = [_Contract.of(row, periods) for row in records(tables.get("Summary"))]
    currencies = {c.currency for c in contracts}
    board = Dashboard(name, locale, currencies.pop() if len(currencies) == 1 else None)
    draw = _Drawing(board)
    as_of = next((c.as_of for c in contracts if c.as_of), None)
    if agency.strip():
        draw.line(agency.strip(), "agency")
    draw.line(name, "title", height=28)
    draw.line(
        f"Contract summary as of {date_words(as_of, locale)}" if as_of else "Contract summary: no contract yet",
        "subtitle",
    )
    draw.skip()
    for contract in contracts:
        _contract_block(draw, contract, locale)
    requests = records(tables.get("Requests"))
    if requests and as_of is not None:
        _requests(draw, requests, as_of, locale)
    statement = tables.get("Statement")
    if statement is not None and statement.data_rows:
        _chart(draw, statement, {c.contract_id: c.name for c in contracts})
    if as_of is not None:
        recent = records(tables.get("Activity"), _recent_rows(tables.get("Activity"), as_of))
        _recent_work(draw, [_Entry.of(row) for row in recent], contracts, as_of, locale)
    board.rows = draw.row
    return board


def status_sentences(tables: dict[str, Table], locale: str = "en_US") -> dict[str, str]:
    """Each contract's status sentence as its client's Summary says it, by Contract ID (the monthly report's too)."""
    periods = [_Period.of(row) for row in records(tables.get("Periods"))]
    contracts = [_Contract.of(row, periods) for row in records(tables.get("Summary"))]
    return {c.contract_id: _status_sentence(c, locale) for c in contracts}


class _Drawing:
    """Cells laid out from the top, a row at a time."""

    def __init__(self, board: Dashboard) -> None:
        self.board, self.row = board, 0

    def put(self, col: int, value: object, kind: Kind, style: str, number_format: str | None = None) -> None:
        if value is not None:
            self.board.cells.append(Cell(self.row, col, value, kind, style, number_format))

    def line(self, text: str, style: str, height: float | None = None) -> None:
        """A line of text across the dashboard's width."""
        self.put(0, text, "text", style)
        self.merge(0, COLUMNS - 1)
        if height is None and STYLES[style].get("wrap"):
            lines = max(1, math.ceil(len(text) / (sum(WIDTHS) * 0.95)))
            height = 15.0 * lines + 3 if lines > 1 else None
        if height:
            self.board.heights[self.row] = height
        self.row += 1

    def merge(self, first: int, last: int) -> None:
        """This row's cells from column `first` to `last` as one."""
        self.board.merges.append((self.row, first, self.row, last))

    def skip(self, rows: int = 1) -> None:
        self.row += rows


def records(table: Table | None, rows: pd.Series | None = None) -> list[dict[str, Any]]:
    """The table's data rows (not its totals) as dicts, blanks as None; only those `rows` marks, if given."""
    if table is None:
        return []
    frame = table.frame.iloc[: table.data_rows]
    if rows is not None:
        frame = frame[rows.to_numpy(dtype=bool)]
    columns = {str(name): [None if _blank(v) else v for v in values.tolist()] for name, values in frame.items()}
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def _blank(value: object) -> bool:
    """None, NaN, NaT or NA: what pandas holds for a blank cell."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _recent_rows(activity: Table | None, as_of: dt.date) -> pd.Series | None:
    """Which Activity data rows are time entries of the last RECENT_DAYS days: a client's Activity
    may hold a million rows, each made a dict only when it is shown."""
    if activity is None:
        return None
    frame = activity.frame.iloc[: activity.data_rows]
    days = {as_of - dt.timedelta(days=n) for n in range(RECENT_DAYS)}
    return frame["Date"].isin(days) & frame["Hours"].notna()


class _Period(NamedTuple):
    """A Periods row: what the dashboard says of a retainer's period."""

    contract_id: str
    start: dt.date | None
    end: dt.date | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> _Period:
        return cls(str(row["Contract ID"]), row["Period Start"], row["Period End"])


class _Contract(NamedTuple):
    """A Summary row, with the name the client reads and its current period (a retainer's)."""

    contract_id: str
    name: str
    currency: str
    paid: Decimal
    billed: Decimal
    balance: Decimal
    hours_remaining: Decimal | None
    runs_out: dt.date | None
    included: Decimal | None
    carried: Decimal | None
    left: Decimal | None
    pace: str | None
    status: str
    as_of: dt.date | None
    retainer: bool
    period_end: dt.date | None

    @classmethod
    def of(cls, row: dict[str, Any], periods: list[_Period]) -> _Contract:
        cid, as_of = str(row["Contract ID"]), row["As Of"]
        current = [
            p for p in periods if p.contract_id == cid and as_of and p.start and p.end and p.start <= as_of <= p.end
        ]
        retainer = any(p.contract_id == cid for p in periods) or row["Period Left"] is not None
        return cls(
            cid, str(row["Contract"] or cid), str(row["Currency"]), row["Paid"], row["Billed"], row["Balance"],
            row["Hours Remaining"], row["Runs Out"], row["Period Included"], row["Period Carried"],
            row["Period Left"], row["Pace"], str(row["Status"]), as_of, retainer, current[0].end if current else None,
        )  # fmt: skip


class _Entry(NamedTuple):
    """An Activity line."""

    date: dt.date | None
    contract_id: str
    task: str
    hours: Decimal | None
    amount: Decimal | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> _Entry:
        task = row["Task"] or row["Work Type"] or ""
        return cls(row["Date"], str(row["Contract ID"]), str(task), row["Hours"], row["Amount"])


def _contract_block(draw: _Drawing, c: _Contract, locale: str) -> None:
    """A contract's name and status word, its status sentence, and its headline figures under their labels."""
    draw.put(0, c.name, "text", "contract")
    draw.merge(0, COLUMNS - 2)
    draw.put(COLUMNS - 1, c.status, "text", c.status if c.status in STATUS_SENTENCES else "OK")
    draw.board.heights[draw.row] = 21
    draw.row += 1
    draw.line(_status_sentence(c, locale), "sentence")
    if c.retainer:
        labels = ["Balance", "Paid", "Used", "Hours left this period", "Period ends"]
        available = (c.included or Decimal(0)) + (c.carried or Decimal(0))
        left = (
            "—"
            if c.left is None
            else f"{hours_words(max(c.left, Decimal(0)), locale)} of {hours_words(available, locale)}"
        )  # below zero is overage, said in words
        values = [left, date_words(c.period_end, locale) if c.period_end else "—"]
    else:
        labels = ["Balance", "Paid", "Used", "Hours it still buys", "Lasts until about"]
        buys = c.hours_remaining is not None and c.hours_remaining > 0
        lasts = c.runs_out is not None and c.balance > 0 and c.status != "CLOSED"
        values = [
            f"{hours_words(c.hours_remaining, locale)} hours" if buys and c.hours_remaining else "—",
            date_words(c.runs_out, locale) if lasts and c.runs_out else "—",
        ]
    for col, label in enumerate(labels):
        draw.put(col, label, "text", "label")
    draw.row += 1
    money = [money_words(amount, c.currency, locale) for amount in (c.balance, c.paid, c.billed)]
    for col, value in enumerate(money + values):
        draw.put(col, value, "text", "figure")
    draw.board.heights[draw.row] = 24
    draw.row += 2


def _status_sentence(c: _Contract, locale: str) -> str:
    """The status in words, then when the balance (or a retainer's period hours) runs out."""
    said = [STATUS_SENTENCES.get(c.status, "")]
    if c.status == "CLOSED":
        return said[0]
    if c.retainer:
        if c.period_end is None or c.left is None:
            said.append("No period of this retainer is running today.")
        elif c.left <= 0:
            end = date_words(c.period_end, locale)
            said.append(f"This period's hours are used up: more work is billed as overage until {end}.")
        else:
            end = date_words(c.period_end, locale)
            if c.pace in PACE_WORDS:
                said.append(f"This period, {PACE_WORDS[c.pace]}.")
            if c.runs_out:
                said.append(
                    f"At this pace its hours run out about {date_words(c.runs_out, locale)}, before the period ends on {end}."
                )
            else:
                said.append(f"The period ends on {end}.")
    elif c.balance > 0:
        if c.runs_out:
            said.append(f"At the recent pace, the balance lasts until about {date_words(c.runs_out, locale)}.")
        else:
            said.append("There is too little recent work to say when the balance runs out.")
    return " ".join(s for s in said if s)


def _requests(draw: _Drawing, requests: list[dict[str, Any]], as_of: dt.date, locale: str) -> None:
    """The client's requests (their Requests tab) in two lines: those done in As Of's month, and those open."""
    done = [
        r for r in requests
        if r["Status"] == "done" and r["Done"] and (r["Done"].year, r["Done"].month) == (as_of.year, as_of.month)
    ]  # fmt: skip
    hours = sum((r["Hours"] for r in done if r["Hours"] is not None), Decimal("0.00"))
    waiting = [r for r in requests if r["Status"] in OPEN_STATUSES]
    asked = [r["Requested"] for r in waiting if r["Requested"] is not None]
    draw.line("Requests", "section")
    draw.line(f"Completed this month: {_count(len(done), 'request')}, {hours_words(hours, locale)} hours", "sentence")
    oldest = f"; the oldest was requested {_count((as_of - min(asked)).days, 'day')} ago" if asked else ""
    draw.line(f"Open: {_count(len(waiting), 'request')}{oldest}", "sentence")
    draw.skip()


def _count(n: int, word: str) -> str:
    """1 request, 2 requests."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _chart(draw: _Drawing, statement: Table, names: dict[str, str]) -> None:
    """The balance chart under the figures, its data (Balance by month) right of the printed columns."""
    by_month = balance_by_month(statement)
    places = max((_places(v) for row in by_month.rows for v in row[1:] if isinstance(v, Decimal)), default=2)
    number_format = draw.board.money_format(places) or "#,##0" + ("." + "0" * places if places > 0 else "")
    names_shown = [names.get(cid, cid) for cid in by_month.contract_ids]
    draw.board.chart = Chart(draw.row, 0, COLUMNS + 1, names_shown, by_month.month_kind, by_month.rows, number_format)
    draw.skip(CHART_ROWS + 1)


def _recent_work(
    draw: _Drawing, activity: list[_Entry], contracts: list[_Contract], as_of: dt.date, locale: str
) -> None:
    """Each contract's time entries of the last RECENT_DAYS days (newest first), and their totals."""
    since = as_of - dt.timedelta(days=RECENT_DAYS - 1)
    recent = [a for a in activity if a.hours is not None and a.date is not None and since <= a.date <= as_of]
    draw.line(f"Work completed in the last {RECENT_DAYS} days", "section")
    if not recent:
        draw.line(f"No work was logged from {date_words(since, locale)} to {date_words(as_of, locale)}.", "note")
        return
    headers = (
        (0, "Date", "header"),
        (1, "Task", "header"),
        (3, "Hours", "header-number"),
        (4, "Amount", "header-number"),
    )
    for col, header, style in headers:
        draw.put(col, header, "text", style)
    draw.merge(1, 2)  # the Task spans two columns
    draw.row += 1
    several = len({a.contract_id for a in recent}) > 1
    for c in contracts:
        rows = sorted(
            (a for a in recent if a.contract_id == c.contract_id), key=lambda a: a.date or as_of, reverse=True
        )
        if not rows:
            continue
        if several:
            draw.put(0, c.name, "text", "contract")
            draw.merge(0, COLUMNS - 1)
            draw.row += 1
        for a in rows[:RECENT_LINES]:
            draw.put(0, a.date, "date", "date", DAY_FORMAT)
            draw.put(1, a.task, "text", "cell")
            draw.merge(1, 2)
            draw.put(3, a.hours, "hours", "number", HOURS_FORMAT)
            _amount(draw, c, a.amount, "number", locale)
            draw.row += 1
        if len(rows) > RECENT_LINES:
            more = len(rows) - RECENT_LINES
            draw.put(
                1, f"... and {more} earlier {'entry' if more == 1 else 'entries'}: see the Activity tab", "text", "note"
            )
            draw.merge(1, 2)
            draw.row += 1
        amounts = [a.amount for a in rows if a.amount is not None]
        draw.put(0, "Total", "text", "total")
        draw.put(1, f"{len(rows)} {'entry' if len(rows) == 1 else 'entries'}", "text", "total")
        draw.merge(1, 2)
        draw.put(
            3, sum((a.hours for a in rows if a.hours is not None), Decimal("0.00")), "hours", "total", HOURS_FORMAT
        )
        _amount(draw, c, sum(amounts[1:], amounts[0]) if amounts else None, "total", locale)
        draw.row += 2 if several else 1


def _amount(draw: _Drawing, c: _Contract, amount: Decimal | None, style: str, locale: str) -> None:
    """An amount of the work list; on a retainer, time in the period's hours is "included" (nothing beyond the fee)."""
    if c.retainer and amount == 0:
        draw.put(4, "included", "text", f"{style}-included")
    elif amount is not None:
        draw.put(4, amount, "money", style, currency_format(c.currency, locale, _places(amount)))


def _places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def period_fee_text(period: str, start: pd.Timestamp, end: pd.Timestamp, locale: str = "en_US") -> str:
    """An Activity line's Task for a period's fee: 'Monthly fee, Feb 2026', 'Quarterly fee, Jan 2026 - Mar 2026'."""
    first = format_date(start.date(), "MMM y", locale=locale)
    if period == "monthly":
        return f"Monthly fee, {first}"
    return f"{period.capitalize()} fee, {first} - {format_date(end.date(), 'MMM y', locale=locale)}"


class BalanceByMonth(NamedTuple):
    """Each contract's Closing on one shared month axis: what the balance chart plots."""

    month_kind: Kind
    contract_ids: list[str]  # Statement order
    rows: list[list[object]]  # [month, closing of each contract or None], months sorted


def balance_by_month(statement: Table) -> BalanceByMonth:
    """Pivot the Statement to one row per month (the union of all contracts' months) and one column per contract.

    Every line chart series shares the first series' categories in Excel, so the months must be one column.
    """
    ids: list[str] = []
    closings: dict[tuple[str, Any], object] = {}  # (contract, month): months of one kind sort among themselves
    for row in records(statement):
        key: tuple[str, Any] = (str(row["Contract ID"]), row["Month"])
        if key[1] is None:
            raise ValueError(f"Statement row of {key[0]} has no Month")
        if key in closings:
            raise ValueError(f"Statement has two rows for {key[0]} {key[1]}")
        if key[0] not in ids:
            ids.append(key[0])
        closings[key] = row["Closing"]
    months = sorted({month for _, month in closings})
    return BalanceByMonth(
        statement.kinds["Month"], ids, [[month] + [closings.get((cid, month)) for cid in ids] for month in months]
    )
