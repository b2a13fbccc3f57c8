"""Input frames into typed, valid rows plus the table of every problem found.

A row with an error is left out of every figure; a warning is reported but the row counts.
Rows that refer to another tab (a time entry's contract) are only valid when the row they
refer to is, and the message says which row to fix.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable

import numpy as np
import pandas as pd
from babel.numbers import get_currency_precision, is_currency

from sync.rules import cells
from sync.config import Config
from sync.rules.load import TabCells, display, lookup
from sync.model.frames import AlertThreshold, Book
from sync.model.schema import ADDRESS_SEPARATORS, ERRORS_COLUMNS, INPUT_TAB_NAMES
from sync.rules.suggest import did_you_mean

MAX_RATE = 1_000_000 * cells.MONEY_SCALE  # per hour; keeps hours x rate inside int64
# Alert At items are split at commas and semicolons, except a comma between digits that starts a
# group of exactly three digits: "$2,000.00" is one amount, "75%,100%" and "500, 750" are two items.
# (Alert At's digits are ASCII by then: cells.ascii_digits.)
ALERT_ITEM_SEPARATOR = re.compile(r";|(?<![0-9]),|,(?![0-9]{3}(?![0-9%]))")
PERIODS = {"": 0, "monthly": 1, "quarterly": 3, "yearly": 12}  # Period -> months per period ("" = none)
MAX_EXPIRY_PERIODS = 1200  # Rollover Expires
NOT_AN_AMOUNT = "is not an amount (use 1200, 1,200.00 or $1,200.00)"  # cells.parse_money's message
ALERT_PERCENT = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?\s*%")


class TabCheck:
    """Parses one tab's columns, collecting problems and which rows have errors."""

    def __init__(self, tab: str, cells_of_tab: TabCells) -> None:
        frame = cells_of_tab.frame
        self.tab, self.raw = tab, frame
        self.bad = pd.Series(False, index=frame.index)
        self.found: list[pd.DataFrame] = []
        # A parsed key is kept per distinct cell (by_value) and spread to rows only for the valid
        # rows, in valid(): a million rows of text are copied once, not once per step.
        self.by_value: dict[str, pd.Series] = {}  # parsed distinct values, per key
        self.column_of: dict[str, str] = {}
        self.typed = pd.DataFrame({"row": frame["row"]}, index=frame.index)  # keys set per row
        self.book_columns: list[str] = ["row"]  # every key, in the order of the Book's columns
        self._distinct = dict(cells_of_tab.distinct)

    def distinct(self, column: str) -> tuple[pd.Series, np.ndarray]:
        """A column's distinct cells and where each cell's value is among them (computed once)."""
        if column not in self._distinct:
            self._distinct[column] = cells.distinct(self.raw[column])
        return self._distinct[column]

    def flag_distinct(self, column: str, problems: pd.Series) -> None:
        """Flag problems found on a column's distinct cells, on just the rows holding those cells."""
        if problems.notna().any():
            _, codes = self.distinct(column)
            rows = np.flatnonzero(problems.notna().to_numpy()[codes])
            self.flag(column, pd.Series(problems.to_numpy()[codes[rows]], index=self.raw.index[rows]))

    def per_cell(self, column: str, result: pd.Series) -> pd.Series:
        """A result computed on the column's distinct cells, spread back to every cell."""
        return pd.Series(result.array.take(self.distinct(column)[1]), index=self.raw.index)

    def lookup(self, key: str, table: pd.Series) -> pd.Series:
        """table[value of `key`] for each row, NA where missing: looked up once per distinct cell."""
        return self.per_cell(self.column_of[key], lookup(self.by_value[key], table))

    def flag(self, column: str, messages: pd.Series, severity: str = "error") -> None:
        messages = messages.dropna()
        if messages.empty:
            return
        if severity == "error":
            self.bad.loc[messages.index] = True
        self.found.append(pd.DataFrame({
            "Tab": self.tab, "Row": self.raw.loc[messages.index, "row"], "Column": column,
            "Value": self.raw.loc[messages.index, column].map(_shown), "Problem": messages.astype(str),
            "Severity": severity}))

    def parse(self, column: str, key: str, parser: Callable, required: bool = False) -> pd.Series:
        """parse_cells, then the key's value for every row."""
        self.parse_cells(column, key, parser, required)
        return self.rows(key)

    def parse_cells(self, column: str, key: str, parser: Callable, required: bool = False) -> None:
        """Parse a column's distinct cells into `key`, flagging the rows of the cells with problems."""
        distinct, _ = self.distinct(column)
        values, problems = parser(distinct)
        if required:
            problems = problems.mask(cells.blank_mask(distinct), "is required")
        self.by_value[key], self.column_of[key] = values, column
        self.book_columns.append(key)
        self.flag_distinct(column, problems)

    def money(self, column: str, key: str, currency: pd.Series, minor: pd.Series | None = None,
              negative: bool = False, required: bool = False) -> pd.Series:
        """A money column by contract_money: its amounts (ten-thousandths) become `key`, its problems
        are flagged; returns the amounts, NA where blank or refused."""
        amount, problems = contract_money(self.raw[column], currency, minor, negative)
        if required:
            problems = problems.mask(self.per_cell(column, cells.blank_mask(self.distinct(column)[0])), "is required")
        self.flag(column, problems)
        self.set(key, amount)
        return amount

    def text(self, column: str, key: str, required: bool = False) -> None:
        self.parse_cells(column, key, lambda raw: (cells.parse_text(raw), pd.Series(pd.NA, index=raw.index)),
                         required)

    def rows(self, key: str) -> pd.Series:
        """A key's value for every row."""
        if key in self.typed:
            return self.typed[key]
        return self.per_cell(self.column_of[key], self.by_value[key])

    def set(self, key: str, values: pd.Series) -> None:
        """Give a key a value per row (replacing what it was parsed to)."""
        if key not in self.book_columns:
            self.book_columns.append(key)
        self.by_value.pop(key, None)
        self.typed[key] = values

    def where(self, column: str, condition: pd.Series, message: str | Callable[[pd.Index], pd.Series],
              severity: str = "error") -> None:
        """Flag the rows where `condition` holds; a callable message is built for those rows only."""
        rows = condition.index[condition.fillna(False).to_numpy(dtype=bool)]
        if len(rows):
            text = pd.Series(message, index=rows, dtype=object) if isinstance(message, str) else message(rows)
            self.flag(column, text, severity)

    def duplicates(self, column: str, keys: list[str], what: str, severity: str = "error") -> None:
        """Later rows repeating an earlier row's keys (among rows still valid).

        Each key's parsed values are numbered once per distinct cell; the numbers of all keys are
        folded into one integer per row, so finding repeats is one pd.Series.duplicated."""
        combined = np.zeros(len(self.raw), dtype=np.int64)
        for key in keys:
            numbers = self.value_numbers(key)
            width = int(numbers.max(initial=0)) + 1
            if int(combined.max(initial=0)) >= 2**62 // width:  # renumber before it could overflow
                combined = pd.factorize(combined)[0].astype(np.int64)
            combined *= width
            combined += numbers
        valid = np.flatnonzero(~self.bad.to_numpy())
        folded = pd.Series(combined[valid], index=valid)
        repeat = folded.duplicated().to_numpy()
        if not repeat.any():
            return
        repeated = folded[repeat]
        firsts = folded[~repeat & folded.isin(repeated).to_numpy()]  # the first row of each repeated combination
        first_at = pd.Series(firsts.index, index=firsts.to_numpy()).reindex(repeated.to_numpy()).to_numpy()
        first_row = pd.Series(self.raw["row"].to_numpy()[first_at], index=self.raw.index[repeated.index])
        self.flag(column, what + " row " + first_row.astype(str), severity)

    def value_numbers(self, key: str) -> np.ndarray:
        """Per row, a number standing for its parsed value of `key` (equal values, equal numbers)."""
        if key in self.by_value:
            numbers, _ = pd.factorize(self.by_value[key], use_na_sentinel=False)
            return numbers[self.distinct(self.column_of[key])[1]].astype(np.int64, copy=False)
        return pd.factorize(self.rows(key), use_na_sentinel=False)[0].astype(np.int64)

    def refers_to(self, column: str, key: str, target: pd.DataFrame, target_tab: str, what: str) -> None:
        """Each row's `key` must name a valid row of `target` (indexed by key, with `row`, `valid`).

        Checked once per distinct ID, then spread to the rows; an ID on no row of `target` is told the
        one close to it there is, if any (suggest.did_you_mean)."""
        ids = self.by_value[key]
        known = ids.isin(target.index)
        unknown = pd.Series(f"no {what} with this ID on the {target_tab} tab", index=ids.index, dtype=object)
        typo = ~known & (ids != "")
        unknown = unknown + did_you_mean(ids[typo], target.index).reindex(ids.index).fillna("")
        pointer = lookup(ids, target["row"]).astype("Int64").astype(str)
        invalid = f"{what} " + ids + f" has an error ({target_tab} row " + pointer + ")"
        problems = unknown.where(~known & (ids != "")).fillna(invalid.where(known & ~lookup(
            ids, target["valid"]).fillna(True).astype(bool)))
        self.flag_distinct(column, problems)

    def valid(self) -> pd.DataFrame:
        keep = ~self.bad.to_numpy()
        kept = self.typed[keep]
        spread = {key: self.by_value[key].array.take(self.distinct(self.column_of[key])[1][keep])
                  for key in self.book_columns if key not in kept}
        return kept.assign(**spread)[self.book_columns].reset_index(drop=True)

    def targets(self, key: str) -> pd.DataFrame:
        """Per ID: the row to point at (the first valid one, else the first) and whether it is valid."""
        rows = pd.DataFrame({"row": self.raw["row"], key: self.rows(key), "valid": ~self.bad})
        rows = rows[rows[key] != ""].sort_values(["valid", "row"], ascending=[False, True], kind="stable")
        return rows.drop_duplicates(key).set_index(key)


def _shown(value: object) -> str:
    """A raw cell as the Errors tab shows it (load.display): a time of day as the duration it stands
    for (cells.as_duration), and a text's lone surrogates, which no file or terminal can hold, as U+FFFD."""
    return cells.without_surrogates(display(cells.as_duration(value)))


def contract_money(raw: pd.Series, currency: pd.Series, minor: pd.Series | None = None,
                   negative: bool = False) -> cells.Parsed:
    """The one rule for every money cell: its amount in ten-thousandths (cells.parse_money), or its
    first problem of these - not an amount; a currency mark (EUR, €) other than `currency`, the
    contract's (NA: an unknown contract, nothing to check); negative, unless `negative`; then, for
    an amount, more decimals than `minor` (the currency's); for a rate (no `minor`: four decimals
    in any currency), more than 1,000,000 an hour."""
    amount, problems = cells.parse_money(raw)
    marks = cells.currency_marks(raw)
    currency = pd.Series(currency.to_numpy(dtype=object), index=raw.index, dtype=object)
    checked = (marks.notna() & currency.notna()).to_numpy(dtype=bool)
    foreign = checked.copy()
    foreign[checked] = marks[checked].to_numpy() != currency[checked].to_numpy()
    if foreign.any():  # the message for those cells only: a column of a million amounts has few marks
        at = raw.index[foreign]
        problems = _unless(problems, foreign, "is in " + marks[at].astype(str) + " but the contract is in "
                           + currency[at].astype(str))
    if not negative:
        problems = _unless(problems, amount < 0, "must not be negative")
    if minor is None:
        problems = _unless(problems, amount > MAX_RATE, "is more than 1,000,000 an hour")
    else:
        problems = problems.fillna(cells.check_minor_unit(amount, pd.Series(minor.to_numpy(), index=raw.index)))
    return amount.where(problems.isna()), problems


def _unless(problems: pd.Series, condition: pd.Series | np.ndarray, message: str | pd.Series) -> pd.Series:
    """`problems`, with `message` where a cell has none yet and `condition` holds."""
    condition = pd.Series(condition, index=problems.index).fillna(False).astype(bool)
    return problems.mask(condition & problems.isna(), message)


def validate(frames: dict[str, TabCells], config: Config, as_of: dt.date) -> tuple[Book, pd.DataFrame]:
    """Typed valid rows of every input tab, and the problems as one table (Errors tab columns)."""
    checks = {tab: TabCheck(tab, frames[tab]) for tab in INPUT_TAB_NAMES}
    clients = _clients(checks["Clients"])
    contracts = _contracts(checks["Contracts"], checks["Clients"].targets("client_id"), config)
    contract_ids = checks["Contracts"].targets("contract_id")
    today = pd.Timestamp(as_of)
    rates = _rates(checks["Rates"], contract_ids, contracts, config)
    time, payments, expenses = (_entries(checks[tab], contract_ids, contracts, config, today)
                                for tab in ("Time", "Payments", "Expenses"))
    _work_types_without_rate(checks["Time"], _rate_work_types(checks["Rates"]))
    book = Book(clients, contracts, rates, time, payments, expenses)
    return book, problem_table([part for check in checks.values() for part in check.found])


def problem_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All problems, in tab order then row order, with the Errors tab's columns."""
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in ERRORS_COLUMNS})
    table = pd.concat(parts, ignore_index=True)
    table["Row"] = table["Row"].astype("int64")
    tab_order = table["Tab"].map({name: i for i, name in enumerate(INPUT_TAB_NAMES)}).fillna(len(INPUT_TAB_NAMES))
    return table.assign(_tab=tab_order).sort_values(["_tab", "Row"], kind="stable").drop(columns="_tab") \
        .reset_index(drop=True)


def _clients(check: TabCheck) -> pd.DataFrame:
    check.text("Client ID", "client_id", required=True)
    check.text("Name", "name", required=True)
    check.text("Email", "email")
    email = check.rows("email")
    addresses = email.str.split(ADDRESS_SEPARATORS, regex=True).explode()
    malformed = addresses[(addresses != "") & ~addresses.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+")]
    check.where("Email", pd.Series(True, index=malformed.index.unique()).reindex(check.raw.index),
                "is not an e-mail address", severity="warning")
    check.text("Summary Sheet", "summary_sheet")
    check.duplicates("Client ID", ["client_id"], "repeats the Client ID of")
    return check.valid()


def _contracts(check: TabCheck, client_ids: pd.DataFrame, config: Config) -> pd.DataFrame:
    check.text("Contract ID", "contract_id", required=True)
    check.text("Client ID", "client_id", required=True)
    check.text("Name", "name")
    check.text("Currency", "currency")
    currency = check.rows("currency").str.upper().replace("", config.currency)
    check.set("currency", currency)
    codes = {code: is_currency(code) for code in currency.unique()}
    known = currency.map(codes).astype(bool)
    check.where("Currency", ~known, "is not an ISO 4217 currency code")
    minor = currency.map({code: get_currency_precision(code) if ok else 2 for code, ok in codes.items()})
    check.set("minor", minor.astype("int64"))
    currency = currency.where(known)  # an unknown code is the error; amounts are not checked against it
    check.money("Rate", "rate", currency, required=True)
    start = check.parse("Start", "start", lambda raw: cells.parse_dates(raw, config.date_order))
    end = check.parse("End", "end", lambda raw: cells.parse_dates(raw, config.date_order))
    check.where("End", end < start, "is before Start")
    rounding = check.parse("Rounding Minutes", "rounding_minutes", lambda raw: cells.parse_whole_number(raw, 1440))
    check.set("rounding_ms", rounding * 60_000)
    low = check.money("Low Balance", "low_balance", currency, minor)
    check.set("low_balance", cells.to_minor(low.fillna(-1), minor).where(low.notna()))
    _alert_settings(check, minor, currency)
    _retainer_settings(check, minor, currency)
    check.text("Status", "status")
    status = check.rows("status").str.casefold()
    check.set("closed", status == "closed")
    check.where("Status", ~status.isin(["", "active", "open", "closed"]),
                "is not active, open or closed; treated as active", severity="warning")
    check.refers_to("Client ID", "client_id", client_ids, "Clients", "client")
    check.duplicates("Contract ID", ["contract_id"], "repeats the Contract ID of")
    return check.valid()


def _alert_settings(check: TabCheck, minor: pd.Series, currency: pd.Series) -> None:
    """alert_at (a tuple of AlertThreshold) and alert_client (bool). A bad item or flag is a warning:
    the contract counts, only that alert (or the client's copy) is left out."""
    text = cells.ascii_digits(cells.parse_text(check.raw["Alert At"]))
    items = text[text != ""].map(lambda cell: [item.strip() for item in ALERT_ITEM_SEPARATOR.split(cell)]).explode()
    items = items[items.notna() & (items != "")]
    at = items.index  # each item's Contracts row (by position in the tab)
    items = pd.Series(items.to_numpy(dtype=object), dtype=object)
    item_minor = pd.Series(minor.loc[at].to_numpy())
    item_currency = pd.Series(currency.loc[at].to_numpy(dtype=object), dtype=object)
    percent = items.str.fullmatch(ALERT_PERCENT.pattern)
    hundredths = items[percent].map(_percent_hundredths)
    amounts = items.mask(percent, "")  # blank: parse_money leaves it alone
    amount, problem = contract_money(amounts, item_currency, item_minor, negative=True)
    problem = problem.replace(NOT_AN_AMOUNT, "is not a percentage (75%) or an amount (2,000.00)")
    zero = (amount <= 0).fillna(False).astype(bool) | (hundredths == 0).reindex(items.index, fill_value=False)
    problem = problem.mask(problem.isna() & zero, "must be more than 0")
    bad = problem.notna().to_numpy()
    check.flag("Alert At", pd.Series(("'" + items + "' " + problem + "; that alert is ignored")[bad].to_numpy(),
                                     index=at[bad]), severity="warning")
    minor_units = cells.to_minor(amount.fillna(0), item_minor)
    per_row: dict[int, dict[AlertThreshold, None]] = {}  # a dict keeps the typed order and drops repeats
    for position, row in enumerate(at):
        if not bad[position]:
            threshold = AlertThreshold("percent", int(hundredths[position])) if percent[position] else \
                AlertThreshold("amount", int(minor_units[position]))
            per_row.setdefault(row, {})[threshold] = None
    check.set("alert_at", pd.Series([tuple(per_row.get(row, ())) for row in check.raw.index], index=check.raw.index,
                                    dtype=object))
    flag, problems = cells.parse_billable(check.raw["Alert Client"])
    check.flag("Alert Client", problems + "; the client is not e-mailed", severity="warning")
    check.set("alert_client", flag & problems.isna() & ~cells.blank_mask(check.raw["Alert Client"]))


def _retainer_settings(check: TabCheck, minor: pd.Series, currency: pd.Series) -> None:
    """period, included_ms, fee, rollover_cap_ms, rollover_expires, overage_rate (see Retainer periods).

    A problem in these columns is an error only on a contract with a Period (or an unknown one);
    without a Period they are not used, and anything typed in them is a warning."""
    text = cells.parse_text(check.raw["Period"]).str.casefold()
    period = text.replace("none", "")
    check.where("Period", ~period.isin(list(PERIODS)), "is not none, monthly, quarterly or yearly")
    check.set("period", period.where(period.isin(list(PERIODS)), ""))
    periodic = period != ""  # an unknown Period too: its other cells are checked as well
    check.where("Start", periodic & cells.blank_mask(check.raw["Start"]), "is required when Period is set")

    def setting(column: str, key: str, parsed: tuple[pd.Series, pd.Series], default: object) -> pd.Series:
        values, problems = parsed
        check.flag(column, problems.where(periodic))
        check.where(column, ~periodic & ~cells.blank_mask(check.raw[column]),
                    "is not used: the contract has no Period", severity="warning")
        values = values.where(periodic & problems.isna(), default)
        check.set(key, values)
        return values

    included = check.raw["Included Hours"]
    check.where("Included Hours", periodic & cells.blank_mask(included), "is required when Period is set")
    setting("Included Hours", "included_ms", cells.parse_allowance(included), 0)

    fee, problems = contract_money(check.raw["Fee"], currency, minor)
    setting("Fee", "fee", (cells.to_minor(fee.fillna(0), minor), problems), 0)

    cap = check.raw["Rollover Cap"]
    every = cells.parse_text(cap).str.casefold() == "all"
    cap_ms, problems = cells.parse_allowance(cap.mask(every, ""))
    problems = problems.map(lambda problem: "is not a number of hours or all"
                            if isinstance(problem, str) and problem.startswith("is not a number of hours") else problem)
    setting("Rollover Cap", "rollover_cap_ms", (cap_ms.mask(every, -1), problems), 0)

    setting("Rollover Expires", "rollover_expires",
            cells.parse_whole_number(check.raw["Rollover Expires"], MAX_EXPIRY_PERIODS), 0)

    setting("Overage Rate", "overage_rate", contract_money(check.raw["Overage Rate"], currency), pd.NA)


def _percent_hundredths(text: str) -> int:
    """'12.5%' -> 1250: a percentage in exact hundredths."""
    whole, fraction = ALERT_PERCENT.fullmatch(text).groups()
    return int(whole) * 100 + int((fraction or "").ljust(2, "0"))


def _rates(check: TabCheck, contract_ids: pd.DataFrame, contracts: pd.DataFrame, config: Config) -> pd.DataFrame:
    check.text("Contract ID", "contract_id", required=True)
    check.set("work_type", cells.parse_text(check.raw["Work Type"]).str.casefold())
    currency = check.lookup("contract_id", contracts.set_index("contract_id")["currency"])
    check.money("Rate", "rate", currency, required=True)
    check.parse_cells("From", "from", lambda raw: cells.parse_dates(raw, config.date_order))
    check.refers_to("Contract ID", "contract_id", contract_ids, "Contracts", "contract")
    check.duplicates("From", ["contract_id", "work_type", "from"], "repeats the contract, work type and From of")
    return check.valid()


def _rate_work_types(check: TabCheck) -> pd.DataFrame:
    """The Work Types the valid Rates rows name, per contract: contract_id, key (casefolded, as the
    ledger matches them) and the Work Type as first typed."""
    typed = pd.DataFrame({"contract_id": check.rows("contract_id"), "shown": cells.parse_text(check.raw["Work Type"])})
    typed["key"] = typed["shown"].str.casefold()
    return typed[~check.bad & (typed["key"] != "")].drop_duplicates(["contract_id", "key"])


def _work_types_without_rate(check: TabCheck, rate_types: pd.DataFrame) -> None:
    """A warning on a Time row whose Work Type is on no Rates row of its contract, when one of that
    contract's Work Types there is close to it: it is billed at the usual rate, which a typo makes
    easy to miss. Without a close one, a Work Type is just a label and nothing is said.

    Worked out once per distinct pair of Contract ID and Work Type cells, numbered from the codes of
    the two columns' distinct cells: no per-row text is made for a million rows."""
    if rate_types.empty:
        return
    contracts, contract_at = check.by_value["contract_id"], check.distinct("Contract ID")[1]
    types, type_at = check.by_value["work_type"], check.distinct("Work Type")[1]
    pair = contract_at.astype(np.int64) * len(types) + type_at
    used = ~check.bad.to_numpy()  # a row left out gets no warning on top
    codes = pd.unique(pair[used])
    pairs = pd.DataFrame({"code": codes, "contract_id": contracts.to_numpy()[codes // len(types)],
                          "shown": types.to_numpy()[codes % len(types)]})
    pairs["key"] = pairs["shown"].str.casefold()
    offered = rate_types.groupby("contract_id")["shown"].agg(list)
    matched = pairs.merge(rate_types[["contract_id", "key"]], how="left", indicator=True)["_merge"] == "both"
    pairs = pairs[(pairs["key"] != "").to_numpy() & pairs["contract_id"].isin(offered.index).to_numpy()
                  & ~matched.to_numpy()]
    messages = {}
    for contract_id, unmatched in pairs.groupby("contract_id"):  # one look for a contract's Work Types
        hints = did_you_mean(unmatched["shown"], offered[contract_id]).dropna()
        for code, hint in zip(unmatched.loc[hints.index, "code"], hints):
            messages[code] = (f"is not a Work Type on the Rates tab for contract {contract_id}, so its usual "
                              f"rate applies{hint}")
    if messages:
        at = np.flatnonzero(np.isin(pair, list(messages)) & used)
        check.flag("Work Type", pd.Series(pd.Series(pair[at]).map(messages).to_numpy(), index=check.raw.index[at]),
                   severity="warning")


def _entries(check: TabCheck, contract_ids: pd.DataFrame, contracts: pd.DataFrame, config: Config,
             today: pd.Timestamp) -> pd.DataFrame:
    """Time, Payments and Expenses rows: dated, on a contract (a valid one), with hours or an amount."""
    tab = check.tab
    date = check.parse("Date", "date", lambda raw: cells.parse_dates(raw, config.date_order), required=True)
    check.text("Contract ID", "contract_id", required=True)
    check.refers_to("Contract ID", "contract_id", contract_ids, "Contracts", "contract")
    contract = contracts.set_index("contract_id")
    if tab == "Time":
        for column, key in (("Person", "person"), ("Task", "task"), ("Notes", "notes")):
            check.text(column, key)
        check.text("Work Type", "work_type")
        check.parse_cells("Hours", "ms", cells.parse_hours, required=True)
    else:
        minor = check.lookup("contract_id", contract["minor"]).fillna(2).astype("int64")
        amount = check.money("Amount", "amount", check.lookup("contract_id", contract["currency"]), minor,
                             negative=True, required=True)
        check.set("amount", cells.to_minor(amount.fillna(0), minor))
        for column, key in (("Reference", "reference"), ("Description", "description"), ("Notes", "notes")):
            if column in check.raw:
                check.text(column, key)
    if tab != "Payments":
        check.parse_cells("Billable", "billable", cells.parse_billable)
        start, end = check.lookup("contract_id", contract["start"]), check.lookup("contract_id", contract["end"])
        outside = (date < start) | (date > end)

        def span(at: pd.Index) -> pd.Series:
            shown = [values.loc[at].dt.strftime("%Y-%m-%d").fillna("…") for values in (start, end)]
            return "is outside the contract's Start to End (" + shown[0] + " to " + shown[1] + ")"
        check.where("Date", outside & ~check.bad, span, severity="warning")
    check.where("Date", (date > today) & ~check.bad, "is in the future", severity="warning")
    if tab == "Time":
        check.duplicates("Hours", ["date", "person", "contract_id", "task", "work_type", "ms"],
                         "looks like a duplicate of", severity="warning")
    return check.valid()
