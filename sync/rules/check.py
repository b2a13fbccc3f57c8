"""What validation rules are written with: TabCheck, one input tab being checked, and the codes of problems.

A rule (validate.RULES) is a plain function of a TabCheck and the Context: it parses columns of
the tab into keys of the Book and flags problems. Every problem has a message, which may be
reworded, and a code beside it, which is not: `tab.column.kind` (`time.hours.over-24`), from the
kinds the parsers give (cells.Parsed.kinds) and those the rules name. What acts on a problem reads
its code, never its message. A rule declares the problems it may flag with @flags, so that every
code there is can be listed (codes_of).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sync.config import Config
from sync.model.schema import ERRORS_COLUMNS, INPUT_TAB_NAMES
from sync.rules import cells
from sync.rules.load import TabCells, display, lookup
from sync.rules.suggest import did_you_mean

CODE = "Code"  # the problems table's last column; the Errors tab leaves it out
PROBLEM_COLUMNS = (*ERRORS_COLUMNS, CODE)
MAX_RATE = 1_000_000 * cells.MONEY_SCALE  # per hour; keeps hours x rate inside int64

# Kinds of problem TabCheck's steps flag (the parsers' kinds are in cells).
REQUIRED = "required"
NOT_FOUND, HAS_ERROR = "not-found", "has-error"  # an ID no row has, or a row with an error has (refers_to)
OTHER_CURRENCY, RATE_TOO_HIGH = "other-currency", "rate-too-high"  # contract_money


def code_part(name: str) -> str:
    """A tab or column name as part of a code: 'Rounding Minutes' -> 'rounding-minutes'."""
    return name.strip().lower().replace(" ", "-")


def code(tab: str, column: str, kind: str) -> str:
    """A problem's code: code('Time', 'Hours', 'over-24') -> 'time.hours.over-24'."""
    return f"{code_part(tab)}.{code_part(column)}.{kind}"


@dataclass
class Context:
    """What a tab's rules may use besides the tab: the settings, today, and the tabs checked before it."""

    config: Config
    today: pd.Timestamp
    checks: dict[str, TabCheck] = field(default_factory=dict)  # the tabs checked so far
    valid: dict[str, pd.DataFrame] = field(default_factory=dict)  # their valid rows, as the Book has them
    _cache: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict, init=False, repr=False)

    def targets(self, tab: str, key: str) -> pd.DataFrame:
        """TabCheck.targets of a checked tab, worked out once for every tab that refers to it."""
        if (tab, key) not in self._cache:
            self._cache[tab, key] = self.checks[tab].targets(key)
        return self._cache[tab, key]

    def contracts(self) -> pd.DataFrame:
        """The valid Contracts rows by contract_id."""
        if ("Contracts", "") not in self._cache:
            self._cache["Contracts", ""] = self.valid["Contracts"].set_index("contract_id")
        return self._cache["Contracts", ""]


Rule = Callable[["TabCheck", Context], None]


def flags(*declared: tuple[str, Iterable[str]]) -> Callable[[Rule], Rule]:
    """Declares the problems a rule may flag, as (column, kinds) pairs: on each tab whose rules
    list it, its codes are code(tab, column, kind) (codes_of)."""

    def declare(rule: Rule) -> Rule:
        rule.flags = tuple((column, tuple(kinds)) for column, kinds in declared)  # type: ignore[attr-defined]
        return rule

    return declare


def codes_of(tab: str, rule: Rule) -> tuple[str, ...]:
    """The codes of the problems `rule` may flag on `tab`, as declared by @flags."""
    return tuple(code(tab, column, kind) for column, kinds in getattr(rule, "flags", ()) for kind in kinds)


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
        self.derived: dict[str, pd.Series] = {}  # per row, what a rule works out for later rules of the tab
        self._distinct = dict(cells_of_tab.distinct)
        self._spread: dict[str, pd.Series] = {}  # rows(key) of the keys kept by_value, once asked for

    def distinct(self, column: str) -> tuple[pd.Series, np.ndarray]:
        """A column's distinct cells and where each cell's value is among them (computed once)."""
        if column not in self._distinct:
            self._distinct[column] = cells.distinct(self.raw[column])
        return self._distinct[column]

    def flag_distinct(self, column: str, problems: pd.Series, kinds: pd.Series) -> None:
        """Flag problems found on a column's distinct cells, on just the rows holding those cells."""
        if problems.notna().any():
            _, codes = self.distinct(column)
            rows = np.flatnonzero(problems.notna().to_numpy()[codes])
            at, index = codes[rows], self.raw.index[rows]
            self.flag(
                column, pd.Series(problems.to_numpy()[at], index=index), pd.Series(kinds.to_numpy()[at], index=index)
            )

    def per_cell(self, column: str, result: pd.Series) -> pd.Series:
        """A result computed on the column's distinct cells, spread back to every cell."""
        return pd.Series(result.array.take(self.distinct(column)[1]), index=self.raw.index)

    def lookup(self, key: str, table: pd.Series) -> pd.Series:
        """table[value of `key`] for each row, NA where missing: looked up once per distinct cell."""
        return self.per_cell(self.column_of[key], lookup(self.by_value[key], table))

    def flag(self, column: str, messages: pd.Series, kinds: str | pd.Series, severity: str = "error") -> None:
        """Problems in `column` where `messages` has one, each with the code of its kind: one for all,
        or one per message (`kinds` in the order of `messages`, whose index may repeat a row); an
        error leaves its row out."""
        has = messages.notna().to_numpy()
        if not has.any():
            return
        messages = messages[has]
        if severity == "error":
            self.bad.loc[messages.index] = True
        prefix = f"{code_part(self.tab)}.{code_part(column)}."
        codes = prefix + (
            kinds
            if isinstance(kinds, str)
            else pd.Series(kinds.to_numpy(dtype=object)[has], index=messages.index, dtype=object)
        )
        self.found.append(
            pd.DataFrame(
                {
                    "Tab": self.tab,
                    "Row": self.raw.loc[messages.index, "row"],
                    "Column": column,
                    "Value": self.raw.loc[messages.index, column].map(_shown),
                    "Problem": messages.astype(str),
                    "Severity": severity,
                    CODE: codes,
                }
            )
        )

    def parse(self, column: str, key: str, parser: Callable, required: bool = False) -> pd.Series:
        """parse_cells, then the key's value for every row."""
        self.parse_cells(column, key, parser, required)
        return self.rows(key)

    def parse_cells(
        self, column: str, key: str, parser: Callable[[pd.Series], cells.Parsed], required: bool = False
    ) -> None:
        """Parse a column's distinct cells into `key`, flagging the rows of the cells with problems."""
        distinct, _ = self.distinct(column)
        parsed = parser(distinct)
        values, problems = parsed
        kinds = parsed.kinds
        if required:
            blank = cells.blank_mask(distinct)
            problems, kinds = problems.mask(blank, "is required"), kinds.mask(blank, REQUIRED)
        self.by_value[key], self.column_of[key] = values, column
        self.book_columns.append(key)
        self.flag_distinct(column, problems, kinds)

    def money(
        self,
        column: str,
        key: str,
        currency: pd.Series,
        minor: pd.Series | None = None,
        negative: bool = False,
        required: bool = False,
    ) -> pd.Series:
        """A money column by contract_money: its amounts (ten-thousandths) become `key`, its problems
        are flagged; returns the amounts, NA where blank or refused."""
        parsed = contract_money(self.raw[column], currency, minor, negative)
        amount, problems = parsed
        kinds = parsed.kinds
        if required:
            blank = self.per_cell(column, cells.blank_mask(self.distinct(column)[0])).astype(bool)
            problems, kinds = problems.mask(blank, "is required"), kinds.mask(blank, REQUIRED)
        self.flag(column, problems, kinds)
        self.set(key, amount)
        return amount

    def text(self, column: str, key: str, required: bool = False) -> None:
        """Parse `column` as text into the Book's `key` (required: a blank cell is an error)."""
        self.parse_cells(column, key, _text, required)

    def rows(self, key: str) -> pd.Series:
        """A key's value for every row."""
        if key in self.typed:
            return self.typed[key]
        if key not in self._spread:
            self._spread[key] = self.per_cell(self.column_of[key], self.by_value[key])
        return self._spread[key]

    def set(self, key: str, values: pd.Series) -> None:
        """Give a key a value per row (replacing what it was parsed to)."""
        if key not in self.book_columns:
            self.book_columns.append(key)
        self.by_value.pop(key, None)
        self._spread.pop(key, None)
        self.typed[key] = values

    def where(
        self,
        column: str,
        condition: pd.Series,
        message: str | Callable[[pd.Index], pd.Series],
        kind: str,
        severity: str = "error",
    ) -> None:
        """Flag the rows where `condition` holds; a callable message is built for those rows only."""
        rows = condition.index[condition.fillna(False).to_numpy(dtype=bool)]
        if len(rows):
            text = pd.Series(message, index=rows, dtype=object) if isinstance(message, str) else message(rows)
            self.flag(column, text, kind, severity)

    def duplicates(self, column: str, keys: list[str], what: str, kind: str, severity: str = "error") -> None:
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
        self.flag(column, what + " row " + first_row.astype(str), kind, severity)

    def value_numbers(self, key: str) -> np.ndarray:
        """Per row, a number standing for its parsed value of `key` (equal values, equal numbers)."""
        if key in self.by_value:
            numbers, _ = pd.factorize(self.by_value[key], use_na_sentinel=False)
            return numbers[self.distinct(self.column_of[key])[1]].astype(np.int64, copy=False)
        return pd.factorize(self.rows(key), use_na_sentinel=False)[0].astype(np.int64)

    def refers_to(self, column: str, key: str, target: pd.DataFrame, target_tab: str, what: str) -> None:
        """Each row's `key` must name a valid row of `target` (indexed by key, with `row`, `valid`):
        NOT_FOUND, or HAS_ERROR.

        Checked once per distinct ID, then spread to the rows; an ID on no row of `target` is told the
        one close to it there is, if any (suggest.did_you_mean)."""
        ids = self.by_value[key]
        known = ids.isin(target.index)
        unknown = pd.Series(f"no {what} with this ID on the {target_tab} tab", index=ids.index, dtype=object)
        typo = ~known & (ids != "")
        unknown = unknown + did_you_mean(ids[typo], target.index).reindex(ids.index).fillna("")
        pointer = lookup(ids, target["row"]).astype("Int64").astype(str)
        invalid = f"{what} " + ids + f" has an error ({target_tab} row " + pointer + ")"
        not_found = (~known & (ids != "")).to_numpy()
        has_error = (known & ~lookup(ids, target["valid"]).fillna(True).astype(bool)).to_numpy()
        problems = unknown.where(not_found).fillna(invalid.where(has_error))
        kinds = pd.Series(pd.NA, index=ids.index, dtype=object).mask(not_found, NOT_FOUND).mask(has_error, HAS_ERROR)
        self.flag_distinct(column, problems, kinds)

    def valid(self) -> pd.DataFrame:
        """The tab's rows without an error, with every key parsed so far: its Book frame."""
        keep = ~self.bad.to_numpy()
        kept = self.typed[keep]
        spread = {
            key: self.by_value[key].array.take(self.distinct(self.column_of[key])[1][keep])
            for key in self.book_columns
            if key not in kept
        }
        return kept.assign(**spread)[self.book_columns].reset_index(drop=True)

    def targets(self, key: str) -> pd.DataFrame:
        """Per ID: the row to point at (the first valid one, else the first) and whether it is valid."""
        rows = pd.DataFrame({"row": self.raw["row"], key: self.rows(key), "valid": ~self.bad})
        rows = rows[rows[key] != ""].sort_values(["valid", "row"], ascending=[False, True], kind="stable")
        return rows.drop_duplicates(key).set_index(key)


def _text(raw: pd.Series) -> cells.Parsed:
    """Any cell as text (cells.parse_text): never a problem."""
    none = pd.Series(pd.NA, index=raw.index, dtype=object)
    return cells.Parsed(cells.parse_text(raw), none, none)


def _shown(value: object) -> str:
    """A raw cell as the Errors tab shows it (load.display): a time of day as the duration it stands
    for (cells.as_duration), and a text's lone surrogates, which no file or terminal can hold, as U+FFFD."""
    return str(cells.without_surrogates(display(cells.as_duration(value))))


def money_kinds(rate: bool = False, negative: bool = False) -> tuple[str, ...]:
    """The kinds of problem contract_money may find: of a rate (no `minor`) or an amount, `negative` allowed or not."""
    return (
        *cells.MONEY_KINDS,
        OTHER_CURRENCY,
        *(() if negative else (cells.NEGATIVE,)),
        RATE_TOO_HIGH if rate else cells.CURRENCY_DECIMALS,
    )


def contract_money(
    raw: pd.Series, currency: pd.Series, minor: pd.Series | None = None, negative: bool = False
) -> cells.Parsed:
    """The one rule for every money cell: its amount in ten-thousandths (cells.parse_money), or its
    first problem of these - not an amount; a currency mark (EUR, €) other than `currency`, the
    contract's (NA: an unknown contract, nothing to check); negative, unless `negative`; then, for
    an amount, more decimals than `minor` (the currency's); for a rate (no `minor`: four decimals
    in any currency), more than 1,000,000 an hour. Its kinds: money_kinds."""
    parsed = cells.parse_money(raw)
    amount, problems = parsed
    kinds = parsed.kinds
    marks = cells.currency_marks(raw)
    currency = pd.Series(currency.to_numpy(dtype=object), index=raw.index, dtype=object)
    checked = (marks.notna() & currency.notna()).to_numpy(dtype=bool)
    foreign = checked.copy()
    foreign[checked] = marks[checked].to_numpy() != currency[checked].to_numpy()
    if foreign.any():  # the message for those cells only: a column of a million amounts has few marks
        at = raw.index[foreign]
        problems, kinds = _unless(
            problems,
            kinds,
            foreign,
            "is in " + marks[at].astype(str) + " but the contract is in " + currency[at].astype(str),
            OTHER_CURRENCY,
        )
    if not negative:
        problems, kinds = _unless(problems, kinds, amount < 0, "must not be negative", cells.NEGATIVE)
    if minor is None:
        problems, kinds = _unless(problems, kinds, amount > MAX_RATE, "is more than 1,000,000 an hour", RATE_TOO_HIGH)
    else:
        too_fine = cells.check_minor_unit(amount, pd.Series(minor.to_numpy(), index=raw.index))
        problems, kinds = _unless(problems, kinds, too_fine.notna(), too_fine, cells.CURRENCY_DECIMALS)
    return cells.Parsed(amount.where(problems.isna()), problems, kinds)


def _unless(
    problems: pd.Series, kinds: pd.Series, condition: pd.Series | np.ndarray, message: str | pd.Series, kind: str
) -> tuple[pd.Series, pd.Series]:
    """`problems` and their `kinds`, with `message` and `kind` where a cell has no problem yet and
    `condition` holds."""
    condition = pd.Series(condition, index=problems.index).fillna(False).astype(bool)
    new = condition & problems.isna()
    return problems.mask(new, message), kinds.mask(new, kind)


def problem_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All problems, in tab order then row order: the Errors tab's columns, then each problem's Code."""
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in PROBLEM_COLUMNS})
    table = pd.concat(parts, ignore_index=True)[list(PROBLEM_COLUMNS)]
    table["Row"] = table["Row"].astype("int64")
    tab_order = table["Tab"].map({name: i for i, name in enumerate(INPUT_TAB_NAMES)}).fillna(len(INPUT_TAB_NAMES))
    return (
        table.assign(_tab=tab_order)
        .sort_values(["_tab", "Row"], kind="stable")
        .drop(columns="_tab")
        .reset_index(drop=True)
    )
