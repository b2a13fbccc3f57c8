"""One cell: what a client writes into it and what it reads back.

A cell, as handlers see it, is a dict shaped like Google's CellData, holding only what a user
sets: `userEnteredValue` (an ExtendedValue: stringValue / numberValue / boolValue /
formulaValue), `userEnteredFormat`, `note`, and any other CellData field sent through
updateCells (kept and echoed). `grid.py` stores it compactly; `render_stored` reads a value
straight from there.

Formulas are stored, not computed: plain arithmetic on numbers (`=1+1`, `= 1 + 1`, `=(2*3)/4`)
is evaluated; any other formula reads back as its own text with FORMATTED_VALUE and
UNFORMATTED_VALUE (Google would compute it). FORMULA always returns the formula.

USER_ENTERED text is parsed as Sheets parses what a person types, and the cell's number format
takes part, as in the Sheets UI: a cell formatted as plain text (TEXT, `@`) keeps whatever is
typed as text, formulas and `1:30` included; a typed date, time, duration, percentage, currency or
scientific number gets that kind's format unless the cell's format is already of its family (a
date typed into a `yyyy-mm-dd` cell keeps `yyyy-mm-dd`; one typed into `#,##0.00` becomes a date
cell); a plain number keeps any format (`typed_format`).
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from typing import Any

from . import numfmt
from .errors import invalid_argument
from .grid import unpack

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(rf"^{_NUMBER}$"), "plain"),
    (re.compile(rf"^{_NUMBER}[eE][+-]?\d+$"), "scientific"),
    (re.compile(rf"^{_GROUPED}$"), "grouped"),
    (re.compile(rf"^({_NUMBER}|{_GROUPED})%$"), "percent"),
    (re.compile(rf"^([+-]?)\$({_NUMBER}|{_GROUPED})$"), "currency"),
]
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
# h:mm[:ss] with an optional AM/PM; without one, 24 hours or more make a duration (25:00)
_TIME = re.compile(r"^(\d{1,6}):(\d{2})(?::(\d{2}))?(?: ?([AaPp])[Mm])?$")
# Number format families: a typed value of a family keeps a cell's format of the same family.
FAMILIES = {
    "DATE": "date",
    "DATE_TIME": "date",
    "TIME": "date",
    "NUMBER": "number",
    "PERCENT": "percent",
    "CURRENCY": "currency",
    "SCIENTIFIC": "scientific",
    "TEXT": "text",
}


def is_blank(cell: dict | None) -> bool:
    """No value: what the values API treats as an empty cell (a format or note alone is blank)."""
    return not cell or "userEnteredValue" not in cell


def raw_value(value: Any, where: str) -> dict | None:
    """valueInputOption=RAW: stored exactly as sent ("=1+1" and "12" stay strings)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if isinstance(value, str):
        return {"stringValue": value} if value != "" else None
    raise invalid_argument(f"Invalid {where}: {_kind(value)}")


def user_entered_value(value: Any, where: str, current: dict | None = None) -> tuple[dict | None, dict | None]:
    """valueInputOption=USER_ENTERED into a cell whose number format is `current`: (the value,
    the number format the cell gets, or None to keep the one it has)."""
    if not isinstance(value, str):
        return raw_value(value, where), None  # "Numbers will stay as numbers"
    if value == "":
        return None, None
    if value.startswith("'"):
        return {"stringValue": value[1:]}, None
    if is_text_format(current):  # Format > Number > Plain text: what is typed stays as typed
        return {"stringValue": value}, None
    if value.startswith("=") and len(value) > 1:
        return {"formulaValue": value}, None
    text = value.strip()
    if text.upper() in ("TRUE", "FALSE"):
        return {"boolValue": text.upper() == "TRUE"}, None
    parsed = _parse_number(text) or _parse_date(text)
    if parsed:
        return {"numberValue": numfmt.json_number(parsed[0])}, typed_format(current, parsed[1])
    return {"stringValue": value}, None


def is_text_format(number_format: dict | None) -> bool:
    return bool(number_format) and (number_format.get("type") == "TEXT" or number_format.get("pattern") == "@")


def typed_format(current: dict | None, typed: dict | None) -> dict | None:
    """The format a typed number gives its cell (None: the cell keeps its own). A plain number
    keeps any format; a number typed with a look of its own (a date, 50%, $5) brings that look,
    unless the cell already has a format of the same family. Sheets resets a Number-formatted cell
    to a date when a date is typed into it (a maintainer of a Sheets look-alike, comparing with
    Google Sheets: telerik/kendo-ui-core#1686)."""
    if typed is None:
        return None
    if current and current.get("type") and FAMILIES.get(current["type"]) == FAMILIES.get(typed["type"]):
        return None
    return typed


def _kind(value: Any) -> str:
    return "list_value" if isinstance(value, list) else "struct_value" if isinstance(value, dict) else "null_value"


def _parse_number(text: str) -> tuple[float, dict | None] | None:
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        if kind == "currency":
            amount = float(match.group(2).replace(",", "")) * (-1 if match.group(1) == "-" else 1)
            return amount, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}
        digits = text.rstrip("%").replace(",", "")
        number = float(digits)
        decimals = "." in digits
        if kind == "percent":
            return number / 100, {"type": "PERCENT", "pattern": "0.00%" if decimals else "0%"}
        if kind == "grouped":
            return number, {"type": "NUMBER", "pattern": "#,##0.00" if decimals else "#,##0"}
        if kind == "scientific":
            return number, {"type": "SCIENTIFIC", "pattern": "0.00E+00"}
        return number, None
    return None


def _parse_date(text: str) -> tuple[float, dict] | None:
    """ISO dates keep their look (2026-11-26 shows as 2026-11-26); US dates are M/d/yyyy."""
    for pattern, date_pattern, order in ((_ISO_DATE, "yyyy-mm-dd", "ymd"), (_US_DATE, "M/d/yyyy", "mdy")):
        match = pattern.match(text)
        if not match:
            continue
        parts = dict(zip(order, (int(g) for g in match.groups()[:3]), strict=False))
        hour, minute, second = (int(g) if g else 0 for g in match.groups()[3:6])
        try:
            moment = dt.datetime(parts["y"], parts["m"], parts["d"], hour, minute, second)
        except ValueError:
            return None
        if match.group(4):
            return numfmt.datetime_to_serial(moment), {"type": "DATE_TIME", "pattern": f"{date_pattern} H:mm:ss"}
        return numfmt.datetime_to_serial(moment), {"type": "DATE", "pattern": date_pattern}
    match = _TIME.match(text)
    if match:
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if minute >= 60 or second >= 60:
            return None
        if match.group(4):
            if not 0 < hour <= 12:
                return None
            hour = hour % 12 + (12 if match.group(4).lower() == "p" else 0)
        seconds = hour * 3600 + minute * 60 + second
        if hour >= 24:  # 25:00 is 25 hours, not a time of day: a TIME (the API has no DURATION type)
            return seconds / 86400, {"type": "TIME", "pattern": "[h]:mm:ss"}
        return seconds / 86400, {"type": "TIME", "pattern": "h:mm:ss am/pm"}
    return None


# --- reading ---------------------------------------------------------------------------------

_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def evaluate(formula: str) -> dict | None:
    """The effective value of plain arithmetic (`=1+1`); None for anything else."""
    try:
        # Sheets lets spaces stand around the parts of a formula, after the = too (= 1 + 1 is 2)
        tree = ast.parse(formula[1:].strip().replace("^", "**"), mode="eval")
        return {"numberValue": numfmt.json_number(float(_arithmetic(tree.body)))}
    except ZeroDivisionError:
        return {"errorValue": {"type": "DIVIDE_BY_ZERO", "message": "Function DIVIDE parameter 2 cannot be zero."}}
    except (SyntaxError, ValueError, TypeError, OverflowError):
        return None


def _arithmetic(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_arithmetic(node.left), _arithmetic(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_arithmetic(node.operand))
    raise ValueError("not plain arithmetic")


def effective_value(cell: dict | None) -> dict | None:
    entered = (cell or {}).get("userEnteredValue")
    if entered and "formulaValue" in entered:
        return evaluate(entered["formulaValue"]) or {"stringValue": entered["formulaValue"]}
    return entered


def number_format(cell: dict | None) -> dict | None:
    return ((cell or {}).get("userEnteredFormat") or {}).get("numberFormat")


def formatted_value(cell: dict | None) -> str | None:
    value = effective_value(cell)
    if not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return "TRUE" if value["boolValue"] else "FALSE"
    if "numberValue" in value:
        return numfmt.render(value["numberValue"], number_format(cell))
    return "#DIV/0!" if value["errorValue"]["type"] == "DIVIDE_BY_ZERO" else "#ERROR!"


def render(cell: dict | None, value_option: str, datetime_option: str) -> Any:
    """One cell as the values API returns it; None for an empty cell."""
    if is_blank(cell):
        return None
    entered = cell["userEnteredValue"]
    if value_option == "FORMULA" and "formulaValue" in entered:
        return entered["formulaValue"]
    if value_option == "FORMATTED_VALUE":
        return formatted_value(cell)
    value = effective_value(cell)
    if "numberValue" in value:
        if numfmt.is_date_format(number_format(cell)) and datetime_option == "FORMATTED_STRING":
            return formatted_value(cell)
        return numfmt.json_number(value["numberValue"])
    if "boolValue" in value:
        return value["boolValue"]
    if "stringValue" in value:
        return value["stringValue"]
    return formatted_value(cell)


def render_stored(value: Any, extra: dict | None, value_option: str, datetime_option: str) -> Any:
    """A value as a Grid stores it (the rest of its cell beside it) as the values API returns
    it; None for no value. The same answers as `render` on the whole CellData."""
    kind = type(value)
    if kind is str:
        return value if value != "" else None
    if kind is bool:
        return ("TRUE" if value else "FALSE") if value_option == "FORMATTED_VALUE" else value
    if kind is int or kind is float:
        pattern = number_format(extra)
        if value_option == "FORMATTED_VALUE" or (
            datetime_option == "FORMATTED_STRING" and numfmt.is_date_format(pattern)
        ):
            return numfmt.render(value, pattern)
        return numfmt.json_number(value)
    return render({**(extra or {}), "userEnteredValue": unpack(value)}, value_option, datetime_option)
