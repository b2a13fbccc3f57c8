"""Input frames into typed, valid rows plus the table of every problem found.

The rules are named plain functions, listed per tab in RULES and run in that order by one loop
(validate), tab after tab: a rule of one tab may use the tabs before it (check.Context). Each
declares the problems it may flag (@flags), and every problem has a code beside its message
(check.code): `time.hours.over-24`.

A row with an error is left out of every figure; a warning is reported but the row counts.
Rows that refer to another tab (a time entry's contract) are only valid when the row they
refer to is, and the message says which row to fix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from babel.numbers import get_currency_precision, is_currency

from sync.config import Config
from sync.model.frames import AlertThreshold, Book
from sync.model.schema import ADDRESS_SEPARATORS, INPUT_TAB_NAMES
from sync.rules import cells
from sync.rules.check import (
    HAS_ERROR,
    NOT_FOUND,
    PROBLEM_COLUMNS,
    REQUIRED,
    Context,
    Rule,
    TabCheck,
    code,
    codes_of,
    contract_money,
    flags,
    money_kinds,
    problem_table,
)
from sync.rules.load import TabCells
from sync.rules.suggest import did_you_mean

__all__ = ["PROBLEM_COLUMNS", "RULES", "SUMMARY_SHEET_WARNING", "all_codes", "problem_table", "validate"]

# Alert At items are split at commas and semicolons, except a comma between digits that starts a
# group of exactly three digits: "$2,000.00" is one amount, "75%,100%" and "500, 750" are two items.
# (Alert At's digits are ASCII by then: cells.ascii_digits.)
ALERT_ITEM_SEPARATOR = re.compile(r";|(?<![0-9]),|,(?![0-9]{3}(?![0-9%]))")
PERIODS = {"": 0, "monthly": 1, "quarterly": 3, "yearly": 12}  # Period -> months per period ("" = none)
MAX_EXPIRY_PERIODS = 1200  # Rollover Expires
ALERT_PERCENT = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?\s*%")

# Kinds of problem the rules name (the last part of a code; the parsers' kinds are in cells).
REPEATED = "repeated"  # an ID (or Rates key) an earlier row has: an error
LOOKS_REPEATED = "looks-repeated"  # a time entry like an earlier one: a warning
NOT_AN_EMAIL = "not-an-email"
NOT_A_CURRENCY = "not-a-currency"
BEFORE_START = "before-start"
UNKNOWN_STATUS = "unknown-status"
NOT_A_PERCENT_OR_AMOUNT = "not-a-percent-or-amount"  # Alert At
UNKNOWN_PERIOD = "unknown-period"
REQUIRED_WITH_PERIOD = "required-with-period"
NOT_USED = "not-used"  # a retainer setting on a contract without a Period
NOT_HOURS_OR_ALL = "not-hours-or-all"  # Rollover Cap
OUTSIDE_CONTRACT = "outside-contract"
IN_FUTURE = "in-future"
NOT_ON_RATES = "not-on-rates"  # a Work Type close to, but not, one of its contract's on the Rates tab
REQUIRED_WHEN_DONE = "required-when-done"  # a done request's Done date
BEFORE_REQUESTED = "before-requested"
OTHER_CONTRACT = "other-contract"  # a time row's request is one of another contract
# A request's Status, any capitals (blank: open); the first three are open, the last two closed.
REQUEST_STATUSES = ("open", "in progress", "waiting on client", "done", "cancelled")
# A Summary Sheet the run cannot use, or found something wrong with (sync.app.pipeline).
SUMMARY_SHEET_WARNING = code("Clients", "Summary Sheet", "summary-warning")


def validate(frames: dict[str, TabCells], config: Config, as_of: dt.date) -> tuple[Book, pd.DataFrame]:
    """Typed valid rows of every input tab, and the problems as one table (PROBLEM_COLUMNS: the
    Errors tab's columns, then Code): each tab's RULES in order, tab after tab."""
    context = Context(config, pd.Timestamp(as_of))
    for tab in INPUT_TAB_NAMES:
        check = TabCheck(tab, frames[tab])
        for rule in RULES[tab]:
            rule(check, context)
        context.checks[tab], context.valid[tab] = check, check.valid()
    book = Book(*(context.valid[tab] for tab in INPUT_TAB_NAMES))
    return book, problem_table([part for check in context.checks.values() for part in check.found])


def all_codes() -> list[str]:
    """Every code a problem may have: those the rules declare, tab by tab, then the pipeline's."""
    return [each for tab, rules in RULES.items() for rule in rules for each in codes_of(tab, rule)] + [
        SUMMARY_SHEET_WARNING
    ]


# --- rules of more than one tab ---------------------------------------------------------------------


@flags(("Contract ID", [REQUIRED]))
def contract_id(check: TabCheck, context: Context) -> None:
    """Contract ID, required."""
    check.text("Contract ID", "contract_id", required=True)


@flags(("Contract ID", [NOT_FOUND, HAS_ERROR]))
def contract_known(check: TabCheck, context: Context) -> None:
    """The Contract ID is a valid row's on the Contracts tab."""
    check.refers_to("Contract ID", "contract_id", context.targets("Contracts", "contract_id"), "Contracts", "contract")


def _dates(config: Config) -> Callable[[pd.Series], cells.Parsed]:
    """The parser of a date column under the settings' date_order."""
    return lambda raw: cells.parse_dates(raw, config.date_order)


@flags(("Date", [REQUIRED, *cells.DATE_KINDS]))
def entry_date(check: TabCheck, context: Context) -> None:
    """A time entry's, payment's or expense's Date, required."""
    check.parse_cells("Date", "date", _dates(context.config), required=True)


@flags(("Amount", [REQUIRED, *money_kinds(negative=True)]))
def amount(check: TabCheck, context: Context) -> None:
    """A payment's or expense's Amount, required, in its contract's currency (minor units); a refund
    may be negative."""
    contract = context.contracts()
    minor = check.lookup("contract_id", contract["minor"]).fillna(2).astype("int64")
    money = check.money(
        "Amount", "amount", check.lookup("contract_id", contract["currency"]), minor, negative=True, required=True
    )
    check.set("amount", cells.to_minor(money.fillna(0), minor))


@flags(("Billable", cells.BILLABLE_KINDS))
def billable(check: TabCheck, context: Context) -> None:
    check.parse_cells("Billable", "billable", cells.parse_billable)


@flags(("Date", [OUTSIDE_CONTRACT]))
def date_in_contract(check: TabCheck, context: Context) -> None:
    """A warning on a Date outside its contract's Start to End."""
    contract = context.contracts()
    date = check.rows("date")
    start, end = check.lookup("contract_id", contract["start"]), check.lookup("contract_id", contract["end"])
    outside = (date < start) | (date > end)

    def span(at: pd.Index) -> pd.Series:
        shown = [values.loc[at].dt.strftime("%Y-%m-%d").fillna("…") for values in (start, end)]
        return "is outside the contract's Start to End (" + shown[0] + " to " + shown[1] + ")"

    check.where("Date", outside & ~check.bad, span, OUTSIDE_CONTRACT, severity="warning")


@flags(("Date", [IN_FUTURE]))
def date_not_in_future(check: TabCheck, context: Context) -> None:
    """A warning on a Date after today."""
    check.where(
        "Date", (check.rows("date") > context.today) & ~check.bad, "is in the future", IN_FUTURE, severity="warning"
    )


# --- Clients ----------------------------------------------------------------------------------------


@flags(("Client ID", [REQUIRED]))
def client_id(check: TabCheck, context: Context) -> None:
    check.text("Client ID", "client_id", required=True)


@flags(("Name", [REQUIRED]))
def client_name(check: TabCheck, context: Context) -> None:
    check.text("Name", "name", required=True)


@flags(("Email", [NOT_AN_EMAIL]))
def client_email(check: TabCheck, context: Context) -> None:
    """Email: addresses between commas, semicolons or spaces; one that is not an address is a warning."""
    check.text("Email", "email")
    addresses = check.rows("email").str.split(ADDRESS_SEPARATORS, regex=True).explode()
    malformed = addresses[(addresses != "") & ~addresses.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+")]
    check.where(
        "Email",
        pd.Series(True, index=malformed.index.unique()).reindex(check.raw.index),
        "is not an e-mail address",
        NOT_AN_EMAIL,
        severity="warning",
    )


def summary_sheet(check: TabCheck, context: Context) -> None:
    """Summary Sheet, as typed: the pipeline checks it where the summaries are (SUMMARY_SHEET_WARNING)."""
    check.text("Summary Sheet", "summary_sheet")


@flags(("Monthly Report", cells.BILLABLE_KINDS))
def monthly_report(check: TabCheck, context: Context) -> None:
    """monthly_report (bool, blank = N); a bad flag is a warning, and the client gets no monthly report."""
    parsed = cells.parse_billable(check.raw["Monthly Report"])
    flag, problems = parsed
    check.flag("Monthly Report", problems + "; the client gets no monthly report", parsed.kinds, severity="warning")
    check.set("monthly_report", flag & problems.isna() & ~cells.blank_mask(check.raw["Monthly Report"]))


@flags(("Client ID", [REPEATED]))
def unique_client_id(check: TabCheck, context: Context) -> None:
    check.duplicates("Client ID", ["client_id"], "repeats the Client ID of", REPEATED)


# --- Contracts --------------------------------------------------------------------------------------


@flags(("Client ID", [REQUIRED]))
def contract_client_id(check: TabCheck, context: Context) -> None:
    check.text("Client ID", "client_id", required=True)


def contract_name(check: TabCheck, context: Context) -> None:
    check.text("Name", "name")


@flags(("Currency", [NOT_A_CURRENCY]))
def currency(check: TabCheck, context: Context) -> None:
    """Currency (blank: the settings' currency) and `minor`, its decimals. The contract's amounts are
    checked against it only when it is an ISO 4217 code: derived["currency"], NA otherwise."""
    check.text("Currency", "currency")
    typed = check.rows("currency").str.upper().replace("", context.config.currency)
    check.set("currency", typed)
    iso = {name: is_currency(name) for name in typed.unique()}
    known = typed.map(iso).astype(bool)
    check.where("Currency", ~known, "is not an ISO 4217 currency code", NOT_A_CURRENCY)
    minor = typed.map({name: get_currency_precision(name) if ok else 2 for name, ok in iso.items()})
    check.set("minor", minor.astype("int64"))
    check.derived["currency"] = typed.where(known)


@flags(("Rate", [REQUIRED, *money_kinds(rate=True)]))
def contract_rate(check: TabCheck, context: Context) -> None:
    check.money("Rate", "rate", check.derived["currency"], required=True)


@flags(("Start", cells.DATE_KINDS))
def start(check: TabCheck, context: Context) -> None:
    check.parse_cells("Start", "start", _dates(context.config))


@flags(("End", [*cells.DATE_KINDS, BEFORE_START]))
def end(check: TabCheck, context: Context) -> None:
    check.parse_cells("End", "end", _dates(context.config))
    check.where("End", check.rows("end") < check.rows("start"), "is before Start", BEFORE_START)


@flags(("Rounding Minutes", cells.WHOLE_NUMBER_KINDS))
def rounding_minutes(check: TabCheck, context: Context) -> None:
    rounding = check.parse("Rounding Minutes", "rounding_minutes", lambda raw: cells.parse_whole_number(raw, 1440))
    check.set("rounding_ms", rounding * 60_000)


@flags(("Low Balance", money_kinds()))
def low_balance(check: TabCheck, context: Context) -> None:
    """Low Balance, in minor units; NA when blank."""
    minor = check.rows("minor")
    low = check.money("Low Balance", "low_balance", check.derived["currency"], minor)
    check.set("low_balance", cells.to_minor(low.fillna(-1), minor).where(low.notna()))


@flags(
    (
        "Alert At",
        [
            NOT_A_PERCENT_OR_AMOUNT,
            cells.NOT_POSITIVE,
            *(kind for kind in money_kinds(negative=True) if kind != cells.UNREAD_AMOUNT),
        ],
    )
)
def alert_at(check: TabCheck, context: Context) -> None:
    """alert_at, a tuple of AlertThreshold. A bad item is a warning: the contract counts, only that
    alert is left out."""
    minor, currency = check.rows("minor"), check.derived["currency"]
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
    parsed = contract_money(amounts, item_currency, item_minor, negative=True)
    amount, problem = parsed
    kinds = parsed.kinds
    unread = (kinds == cells.UNREAD_AMOUNT).fillna(False).astype(bool)
    problem = problem.mask(unread, "is not a percentage (75%) or an amount (2,000.00)")
    kinds = kinds.mask(unread, NOT_A_PERCENT_OR_AMOUNT)
    zero = (amount <= 0).fillna(False).astype(bool) | (hundredths == 0).reindex(items.index, fill_value=False)
    zero = zero & problem.isna()
    problem, kinds = problem.mask(zero, "must be more than 0"), kinds.mask(zero, cells.NOT_POSITIVE)
    bad = problem.notna().to_numpy()
    check.flag(
        "Alert At",
        pd.Series(("'" + items + "' " + problem + "; that alert is ignored")[bad].to_numpy(), index=at[bad]),
        pd.Series(kinds[bad].to_numpy(), index=at[bad]),
        severity="warning",
    )
    minor_units = cells.to_minor(amount.fillna(0), item_minor)
    per_row: dict[int, dict[AlertThreshold, None]] = {}  # a dict keeps the typed order and drops repeats
    for position, row in enumerate(at):
        if not bad[position]:
            threshold = (
                AlertThreshold("percent", int(hundredths[position]))
                if percent[position]
                else AlertThreshold("amount", int(minor_units[position]))
            )
            per_row.setdefault(row, {})[threshold] = None
    check.set(
        "alert_at",
        pd.Series([tuple(per_row.get(row, ())) for row in check.raw.index], index=check.raw.index, dtype=object),
    )


def _percent_hundredths(text: str) -> int:
    """'12.5%' -> 1250: a percentage in exact hundredths."""
    match = ALERT_PERCENT.fullmatch(text)
    assert match is not None  # only items that match are read as percentages
    whole, fraction = match.groups()
    return int(whole) * 100 + int((fraction or "").ljust(2, "0"))


@flags(("Alert Client", cells.BILLABLE_KINDS))
def alert_client(check: TabCheck, context: Context) -> None:
    """alert_client (bool); a bad flag is a warning, and the client is not e-mailed."""
    parsed = cells.parse_billable(check.raw["Alert Client"])
    flag, problems = parsed
    check.flag("Alert Client", problems + "; the client is not e-mailed", parsed.kinds, severity="warning")
    check.set("alert_client", flag & problems.isna() & ~cells.blank_mask(check.raw["Alert Client"]))


# Retainers (see Retainer periods in sheets_schema.md): period, included_ms, fee, rollover_cap_ms,
# rollover_expires, overage_rate. A problem in these columns is an error only on a contract with a
# Period (or an unknown one); without a Period they are not used, and anything typed in them is a
# warning (NOT_USED).


@flags(("Period", [UNKNOWN_PERIOD]))
def period(check: TabCheck, context: Context) -> None:
    """Period; derived["periodic"]: whether the contract has one (an unknown one too, so that its
    other cells are checked as well)."""
    period = cells.parse_text(check.raw["Period"]).str.casefold().replace("none", "")
    check.where("Period", ~period.isin(list(PERIODS)), "is not none, monthly, quarterly or yearly", UNKNOWN_PERIOD)
    check.set("period", period.where(period.isin(list(PERIODS)), ""))
    check.derived["periodic"] = period != ""


@flags(("Start", [REQUIRED_WITH_PERIOD]))
def start_with_period(check: TabCheck, context: Context) -> None:
    check.where(
        "Start",
        check.derived["periodic"] & cells.blank_mask(check.raw["Start"]),
        "is required when Period is set",
        REQUIRED_WITH_PERIOD,
    )


def _periodic_setting(check: TabCheck, column: str, key: str, parsed: cells.Parsed, default: object) -> None:
    """A retainer setting: its problems are errors on a periodic contract, and anything typed on
    another is a warning; `key` is its value on a periodic contract without a problem, else `default`."""
    periodic = check.derived["periodic"]
    values, problems = parsed
    check.flag(column, problems.where(periodic), parsed.kinds)
    check.where(
        column,
        ~periodic & ~cells.blank_mask(check.raw[column]),
        "is not used: the contract has no Period",
        NOT_USED,
        severity="warning",
    )
    check.set(key, values.where(periodic & problems.isna(), default))


@flags(("Included Hours", [REQUIRED_WITH_PERIOD, *cells.ALLOWANCE_KINDS, NOT_USED]))
def included_hours(check: TabCheck, context: Context) -> None:
    included = check.raw["Included Hours"]
    check.where(
        "Included Hours",
        check.derived["periodic"] & cells.blank_mask(included),
        "is required when Period is set",
        REQUIRED_WITH_PERIOD,
    )
    _periodic_setting(check, "Included Hours", "included_ms", cells.parse_allowance(included), 0)


@flags(("Fee", [*money_kinds(), NOT_USED]))
def fee(check: TabCheck, context: Context) -> None:
    minor = check.rows("minor")
    parsed = contract_money(check.raw["Fee"], check.derived["currency"], minor)
    _periodic_setting(
        check,
        "Fee",
        "fee",
        cells.Parsed(cells.to_minor(parsed.values.fillna(0), minor), parsed.problems, parsed.kinds),
        0,
    )


@flags(("Rollover Cap", [NOT_HOURS_OR_ALL, cells.IS_A_DATE, cells.NEGATIVE, cells.TOO_MANY_HOURS, NOT_USED]))
def rollover_cap(check: TabCheck, context: Context) -> None:
    """Rollover Cap: hours, or `all` (-1)."""
    cap = check.raw["Rollover Cap"]
    every = cells.parse_text(cap).str.casefold() == "all"
    parsed = cells.parse_allowance(cap.mask(every, ""))
    cap_ms, problems = parsed
    unread = parsed.kinds.isin([cells.NOT_HOURS, cells.WRONG_TYPE])
    problems = problems.mask(unread, "is not a number of hours or all")
    kinds = parsed.kinds.mask(unread, NOT_HOURS_OR_ALL)
    _periodic_setting(
        check, "Rollover Cap", "rollover_cap_ms", cells.Parsed(cap_ms.mask(every, -1), problems, kinds), 0
    )


@flags(("Rollover Expires", [*cells.WHOLE_NUMBER_KINDS, NOT_USED]))
def rollover_expires(check: TabCheck, context: Context) -> None:
    _periodic_setting(
        check,
        "Rollover Expires",
        "rollover_expires",
        cells.parse_whole_number(check.raw["Rollover Expires"], MAX_EXPIRY_PERIODS),
        0,
    )


@flags(("Overage Rate", [*money_kinds(rate=True), NOT_USED]))
def overage_rate(check: TabCheck, context: Context) -> None:
    _periodic_setting(
        check,
        "Overage Rate",
        "overage_rate",
        contract_money(check.raw["Overage Rate"], check.derived["currency"]),
        pd.NA,
    )


@flags(("Status", [UNKNOWN_STATUS]))
def status(check: TabCheck, context: Context) -> None:
    """Status, and `closed`; one other than active, open or closed is a warning."""
    check.text("Status", "status")
    typed = check.rows("status").str.casefold()
    check.set("closed", typed == "closed")
    check.where(
        "Status",
        ~typed.isin(["", "active", "open", "closed"]),
        "is not active, open or closed; treated as active",
        UNKNOWN_STATUS,
        severity="warning",
    )


@flags(("Client ID", [NOT_FOUND, HAS_ERROR]))
def client_known(check: TabCheck, context: Context) -> None:
    """The Client ID is a valid row's on the Clients tab."""
    check.refers_to("Client ID", "client_id", context.targets("Clients", "client_id"), "Clients", "client")


@flags(("Contract ID", [REPEATED]))
def unique_contract_id(check: TabCheck, context: Context) -> None:
    check.duplicates("Contract ID", ["contract_id"], "repeats the Contract ID of", REPEATED)


# --- Rates ------------------------------------------------------------------------------------------


def rates_work_type(check: TabCheck, context: Context) -> None:
    """Work Type, casefolded as the ledger matches it (blank: every work type)."""
    check.set("work_type", cells.parse_text(check.raw["Work Type"]).str.casefold())


@flags(("Rate", [REQUIRED, *money_kinds(rate=True)]))
def rates_rate(check: TabCheck, context: Context) -> None:
    currency = check.lookup("contract_id", context.contracts()["currency"])
    check.money("Rate", "rate", currency, required=True)


@flags(("From", cells.DATE_KINDS))
def rates_from(check: TabCheck, context: Context) -> None:
    check.parse_cells("From", "from", _dates(context.config))


@flags(("From", [REPEATED]))
def unique_rate(check: TabCheck, context: Context) -> None:
    check.duplicates(
        "From", ["contract_id", "work_type", "from"], "repeats the contract, work type and From of", REPEATED
    )


# --- Time -------------------------------------------------------------------------------------------


def time_texts(check: TabCheck, context: Context) -> None:
    """Person, Task, Notes and Work Type, as typed."""
    for column, key in (("Person", "person"), ("Task", "task"), ("Notes", "notes"), ("Work Type", "work_type")):
        check.text(column, key)


@flags(("Hours", [REQUIRED, *cells.HOURS_KINDS]))
def hours(check: TabCheck, context: Context) -> None:
    check.parse_cells("Hours", "ms", cells.parse_hours, required=True)


@flags(("Hours", [LOOKS_REPEATED]))
def time_repeats(check: TabCheck, context: Context) -> None:
    """A warning on an entry with the date, person, contract, task, work type and hours of an earlier one."""
    check.duplicates(
        "Hours",
        ["date", "person", "contract_id", "task", "work_type", "ms"],
        "looks like a duplicate of",
        LOOKS_REPEATED,
        severity="warning",
    )


@flags(("Work Type", [NOT_ON_RATES]))
def work_type_on_rates(check: TabCheck, context: Context) -> None:
    """A warning on a Time row whose Work Type is on no Rates row of its contract, when one of that
    contract's Work Types there is close to it: it is billed at the usual rate, which a typo makes
    easy to miss. Without a close one, a Work Type is just a label and nothing is said.

    Worked out once per distinct pair of Contract ID and Work Type cells, numbered from the codes of
    the two columns' distinct cells: no per-row text is made for a million rows."""
    rate_types = _rate_work_types(context.checks["Rates"])
    if rate_types.empty:
        return
    contracts, contract_at = check.by_value["contract_id"], check.distinct("Contract ID")[1]
    types, type_at = check.by_value["work_type"], check.distinct("Work Type")[1]
    pair = contract_at.astype(np.int64) * len(types) + type_at
    used = ~check.bad.to_numpy()  # a row left out gets no warning on top
    codes = pd.unique(pair[used])
    pairs = pd.DataFrame(
        {
            "code": codes,
            "contract_id": contracts.to_numpy()[codes // len(types)],
            "shown": types.to_numpy()[codes % len(types)],
        }
    )
    pairs["key"] = pairs["shown"].str.casefold()
    offered = rate_types.groupby("contract_id")["shown"].agg(list)
    matched = pairs.merge(rate_types[["contract_id", "key"]], how="left", indicator=True)["_merge"] == "both"
    pairs = pairs[
        (pairs["key"] != "").to_numpy() & pairs["contract_id"].isin(offered.index).to_numpy() & ~matched.to_numpy()
    ]
    messages = {}
    for contract_id, unmatched in pairs.groupby("contract_id"):  # one look for a contract's Work Types
        hints = did_you_mean(unmatched["shown"], offered[contract_id]).dropna()
        for pair_code, hint in zip(unmatched.loc[hints.index, "code"], hints):
            messages[pair_code] = (
                f"is not a Work Type on the Rates tab for contract {contract_id}, so its usual rate applies{hint}"
            )
    if messages:
        at = np.flatnonzero(np.isin(pair, list(messages)) & used)
        check.flag(
            "Work Type",
            pd.Series(pd.Series(pair[at]).map(messages).to_numpy(), index=check.raw.index[at]),
            NOT_ON_RATES,
            severity="warning",
        )


def _rate_work_types(check: TabCheck) -> pd.DataFrame:
    """The Work Types the valid Rates rows name, per contract: contract_id, key (casefolded, as the
    ledger matches them) and the Work Type as first typed."""
    typed = pd.DataFrame({"contract_id": check.rows("contract_id"), "shown": cells.parse_text(check.raw["Work Type"])})
    typed["key"] = typed["shown"].str.casefold()
    return typed[~check.bad & (typed["key"] != "")].drop_duplicates(["contract_id", "key"])


@flags(("Request ID", [NOT_FOUND, HAS_ERROR, OTHER_CONTRACT]))
def time_request(check: TabCheck, context: Context) -> None:
    """Request ID, blank or a valid request of the row's contract. Otherwise a warning: the time
    counts as any other, toward no request (its request_id is made blank).

    Worked out on the rows with a Request ID only: a million rows with a blank one cost one look."""
    check.text("Request ID", "request_id")
    ids, codes = check.by_value["request_id"], check.distinct("Request ID")[1]
    named = np.flatnonzero((ids != "").to_numpy()[codes] & ~check.bad.to_numpy())
    if not len(named):
        return
    request_id = pd.Series(ids.to_numpy()[codes[named]], index=check.raw.index[named], dtype=object)
    contract_id = check.by_value["contract_id"].to_numpy()[check.distinct("Contract ID")[1][named]]
    targets = context.targets("Requests", "request_id")
    contract_of = context.valid["Requests"].set_index("request_id")["contract_id"]
    found = request_id.isin(targets.index)
    valid = request_id.isin(targets.index[targets["valid"].to_numpy(dtype=bool)])
    theirs = request_id.map(contract_of)
    other = valid & (theirs != contract_id)
    hint = did_you_mean(pd.Series(request_id[~found].unique(), dtype=object), targets.index)
    suggest = dict(zip(request_id[~found].unique(), hint.fillna("")))
    check.where(
        "Request ID",
        ~found,
        lambda at: "no request with this ID on the Requests tab" + request_id[at].map(suggest),
        NOT_FOUND,
        severity="warning",
    )
    check.where(
        "Request ID",
        found & ~valid,
        lambda at: (
            "request "
            + request_id[at]
            + " has an error (Requests row "
            + request_id[at].map(targets["row"]).astype(str)
            + ")"
        ),
        HAS_ERROR,
        severity="warning",
    )
    check.where(
        "Request ID",
        other,
        lambda at: (
            "is a request of contract " + theirs[at] + ", not of " + pd.Series(contract_id, index=other.index)[at]
        ),
        OTHER_CONTRACT,
        severity="warning",
    )
    if not valid.all() or other.any():
        kept = check.rows("request_id").copy()
        kept.loc[request_id.index[~valid | other]] = ""
        check.set("request_id", kept)


# --- Requests ---------------------------------------------------------------------------------------


@flags(("Request ID", [REQUIRED]))
def request_id(check: TabCheck, context: Context) -> None:
    check.text("Request ID", "request_id", required=True)


@flags(("Title", [REQUIRED]))
def request_title(check: TabCheck, context: Context) -> None:
    """Title, required: the client sees it."""
    check.text("Title", "title", required=True)


@flags(("Requested", cells.DATE_KINDS))
def requested(check: TabCheck, context: Context) -> None:
    check.parse_cells("Requested", "requested", _dates(context.config))


def requested_by(check: TabCheck, context: Context) -> None:
    check.text("Requested By", "requested_by")


@flags(("Status", [UNKNOWN_STATUS]))
def request_status(check: TabCheck, context: Context) -> None:
    """Status, any capitals and spacing, blank = open; any other is an error."""
    typed = cells.parse_text(check.raw["Status"]).str.casefold().str.split().str.join(" ").replace("", "open")
    check.set("status", typed)
    check.where(
        "Status",
        ~typed.isin(REQUEST_STATUSES),
        "is not open, in progress, waiting on client, done or cancelled",
        UNKNOWN_STATUS,
    )


@flags(("Done", [*cells.DATE_KINDS, REQUIRED_WHEN_DONE, BEFORE_REQUESTED]))
def request_done(check: TabCheck, context: Context) -> None:
    """Done: required on a done request, not before Requested."""
    check.parse_cells("Done", "done", _dates(context.config))
    done = check.rows("done")
    blank = cells.blank_mask(check.raw["Done"])
    check.where("Done", (check.rows("status") == "done") & blank, "is required when Status is done", REQUIRED_WHEN_DONE)
    check.where("Done", done < check.rows("requested"), "is before Requested", BEFORE_REQUESTED)


@flags(("Estimate", cells.ALLOWANCE_KINDS))
def estimate(check: TabCheck, context: Context) -> None:
    """Estimate, hours in any form (ms; NA when blank)."""
    ms = check.parse("Estimate", "estimate_ms", cells.parse_allowance)
    check.set("estimate_ms", ms.astype("Int64").mask(cells.blank_mask(check.raw["Estimate"])))


@flags(("Client Visible", cells.BILLABLE_KINDS))
def client_visible(check: TabCheck, context: Context) -> None:
    """client_visible (bool, blank = Y); a bad flag is a warning, and the client is not shown the request."""
    parsed = cells.parse_billable(check.raw["Client Visible"])
    flag, problems = parsed
    check.flag("Client Visible", problems + "; the client is not shown this request", parsed.kinds, severity="warning")
    check.set("client_visible", flag & problems.isna())


def request_notes(check: TabCheck, context: Context) -> None:
    check.text("Notes", "notes")


@flags(("Request ID", [REPEATED]))
def unique_request_id(check: TabCheck, context: Context) -> None:
    check.duplicates("Request ID", ["request_id"], "repeats the Request ID of", REPEATED)


# --- Payments and Expenses --------------------------------------------------------------------------


def payment_texts(check: TabCheck, context: Context) -> None:
    check.text("Reference", "reference")
    check.text("Notes", "notes")


def expense_texts(check: TabCheck, context: Context) -> None:
    check.text("Description", "description")
    check.text("Notes", "notes")


# Each tab's rules, run in this order (the order of a row's problems on the Errors tab, and of the
# Book's columns); the tabs in INPUT_TAB_NAMES order, each after those its rules refer to.
RULES: dict[str, tuple[Rule, ...]] = {
    "Clients": (client_id, client_name, client_email, summary_sheet, monthly_report, unique_client_id),
    "Contracts": (
        contract_id,
        contract_client_id,
        contract_name,
        currency,
        contract_rate,
        start,
        end,
        rounding_minutes,
        low_balance,
        alert_at,
        alert_client,
        period,
        start_with_period,
        included_hours,
        fee,
        rollover_cap,
        rollover_expires,
        overage_rate,
        status,
        client_known,
        unique_contract_id,
    ),
    "Rates": (contract_id, rates_work_type, rates_rate, rates_from, contract_known, unique_rate),
    "Requests": (
        request_id,
        contract_id,
        contract_known,
        request_title,
        requested,
        requested_by,
        request_status,
        request_done,
        estimate,
        client_visible,
        request_notes,
        unique_request_id,
    ),
    "Time": (
        entry_date,
        contract_id,
        contract_known,
        time_texts,
        hours,
        billable,
        date_in_contract,
        date_not_in_future,
        time_repeats,
        work_type_on_rates,
        time_request,
    ),
    "Payments": (entry_date, contract_id, contract_known, amount, payment_texts, date_not_in_future),
    "Expenses": (
        entry_date,
        contract_id,
        contract_known,
        amount,
        expense_texts,
        billable,
        date_in_contract,
        date_not_in_future,
    ),
}
