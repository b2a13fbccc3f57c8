"""Number formats: how a stored number becomes the text Sheets shows (FORMATTED_VALUE).

Covers the patterns a sync writes and reads: plain numbers (`0`, `0.00`, `#,##0.00`), percent,
currency with a literal or `[$€]` symbol, scientific, and dates/times (`yyyy-mm-dd`,
`M/d/yyyy H:mm:ss`, `mmm d`, `[h]:mm`...). Locale is en_US, like the recordings. Not covered:
conditional sections (`[>100]`), fractions (`# ?/?`), colours beyond skipping them.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

EPOCH = dt.datetime(1899, 12, 30)  # serial 0, as in Sheets and Excel
DATE_TYPES = {"DATE", "TIME", "DATE_TIME"}  # NumberFormatType has no DURATION: [h]:mm:ss is a TIME
DEFAULT_PATTERNS = {
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": '"$"#,##0.00',
    "SCIENTIFIC": "0.00E+00",
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss am/pm",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def json_number(x: float) -> int | float:
    """Whole numbers go out as JSON integers, as Google sends them (42, not 42.0)."""
    if isinstance(x, bool):
        return x
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def general(x: float) -> str:
    """Sheets' automatic format: integers plainly, fractions to at most 10 decimals."""
    if isinstance(x, int) or (x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    if abs(x) >= 1e15 or abs(x) < 1e-10:
        mantissa, exponent = f"{x:.2E}".split("E")
        return f"{mantissa}E{int(exponent):+03d}"
    text = f"{round(x, 10):.10f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def is_date_format(number_format: dict | None) -> bool:
    return bool(number_format) and number_format.get("type") in DATE_TYPES


def render(x: float, number_format: dict | None) -> str:
    if (not number_format or number_format.get("type") in (None, "TEXT", "NUMBER_FORMAT_TYPE_UNSPECIFIED")) and (
        not number_format or not number_format.get("pattern")
    ):
        return general(x)
    pattern = (number_format or {}).get("pattern") or DEFAULT_PATTERNS.get(number_format.get("type"), "")
    if not pattern or pattern.lower() == "general" or number_format.get("type") == "TEXT" or pattern == "@":
        return general(x)  # a number in a plain-text cell shows as it is; "@" only places text
    if _is_date_pattern(pattern):
        return format_date(x, pattern)
    return format_number(x, pattern)


# --- dates -----------------------------------------------------------------------------------

_DATE_TOKEN = re.compile(r'"[^"]*"|\\.|\[h+\]|\[m+\]|\[s+\]|am/pm|a/p|y+|m+|d+|h+|s+|\.0+|.', re.IGNORECASE)


def _is_date_pattern(pattern: str) -> bool:
    stripped = re.sub(r'"[^"]*"|\\.', "", pattern)
    return bool(re.search(r"[ydhs]|\[h\]|am/pm", stripped, re.IGNORECASE)) and "0" not in stripped.replace(".0", "")


def serial_to_datetime(serial: float) -> dt.datetime:
    return EPOCH + dt.timedelta(days=serial)


def datetime_to_serial(value: dt.datetime) -> float:
    delta = value - EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


def format_date(serial: float, pattern: str) -> str:
    seconds = round(serial * 86400)  # shown to the second: 1.9999999 days is 48:00:00
    tokens = _DATE_TOKEN.findall(pattern)
    if any(t.lower().startswith(("[h", "[m", "[s")) for t in tokens):
        return _format_elapsed(seconds, tokens)
    moment = serial_to_datetime(seconds / 86400)
    twelve_hour = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif low.startswith("[h"):
            out.append(str(int(serial * 24)))
        elif low.startswith("[m"):
            out.append(str(int(serial * 1440)))
        elif low.startswith("[s"):
            out.append(str(int(serial * 86400)))
        elif low == "am/pm":
            out.append("AM" if moment.hour < 12 else "PM")
        elif low == "a/p":
            out.append("A" if moment.hour < 12 else "P")
        elif low[0] == "y":
            out.append(f"{moment.year % 100:02d}" if len(low) <= 2 else f"{moment.year:04d}")
        elif low[0] == "m":
            out.append(_month_or_minute(tokens, i, moment))
        elif low[0] == "d":
            weekday = DAYS[moment.weekday()]
            out.append({1: str(moment.day), 2: f"{moment.day:02d}", 3: weekday[:3]}.get(len(low), weekday))
        elif low[0] == "h":
            hour = (moment.hour % 12 or 12) if twelve_hour else moment.hour
            out.append(f"{hour:02d}" if len(low) > 1 else str(hour))
        elif low[0] == "s":
            out.append(f"{moment.second:02d}" if len(low) > 1 else str(moment.second))
        elif low.startswith(".0"):
            out.append("." + f"{moment.microsecond:06d}"[: len(low) - 1])
        else:
            out.append(token)
    return "".join(out)


def _format_elapsed(seconds: int, tokens: list[str]) -> str:
    """A duration (`[h]:mm:ss`, `[mm]:ss`): the bracketed unit counts every hour (or minute,
    second) elapsed, the units after it what is left; a negative one has its sign in front."""
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    out = []
    for token in tokens:
        low = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif low.startswith("[h"):
            out.append(str(seconds // 3600).rjust(len(low) - 2, "0"))
        elif low.startswith("[m"):
            out.append(str(seconds // 60).rjust(len(low) - 2, "0"))
        elif low.startswith("[s"):
            out.append(str(seconds).rjust(len(low) - 2, "0"))
        elif low[0] == "h":
            out.append(str(seconds // 3600 % 24).rjust(len(low), "0"))
        elif low[0] == "m":
            out.append(str(seconds // 60 % 60).rjust(min(len(low), 2), "0"))
        elif low[0] == "s":
            out.append(str(seconds % 60).rjust(min(len(low), 2), "0"))
        elif low.startswith(".0"):
            out.append("." + "0" * (len(low) - 1))  # shown to the second
        else:
            out.append(token)
    return sign + "".join(out)


def _unit(token: str) -> str:
    """The letter a date token counts in: [h] counts hours as h does."""
    low = token.lower()
    return low[1] if low.startswith("[") and len(low) > 1 else low[0]


def _month_or_minute(tokens: list[str], i: int, moment: dt.datetime) -> str:
    token = tokens[i].lower()
    before = [_unit(t) for t in tokens[:i] if t[:1].isalpha() or t.startswith("[")]
    after = [_unit(t) for t in tokens[i + 1 :] if t[:1].isalpha() or t.startswith("[")]
    minutes = len(token) <= 2 and ((before and before[-1] == "h") or (after and after[0] == "s"))
    if minutes:
        return f"{moment.minute:02d}" if len(token) == 2 else str(moment.minute)
    if len(token) == 1:
        return str(moment.month)
    if len(token) == 2:
        return f"{moment.month:02d}"
    name = MONTHS[moment.month - 1]
    return {3: name[:3], 4: name}.get(len(token), name[0])


# --- numbers ---------------------------------------------------------------------------------

_NUMBER_TOKEN = re.compile(r'"[^"]*"|\\.|\[\$([^\]-]*)[^\]]*\]|\[[^\]]*\]|_.|\*.|E[+-]|.', re.IGNORECASE)


def format_number(x: float, pattern: str) -> str:
    sections = _split_sections(pattern)
    section, sign = sections[0], ""
    if x < 0:
        if len(sections) > 1:
            section, x = sections[1], -x
        else:
            sign, x = "-", -x
    elif x == 0 and len(sections) > 2:
        section = sections[2]
    literal, core = _parse_section(section)
    x *= 100 ** literal.count("%")
    number = _format_core(x, core)
    if sign and set(number) <= set("0.,"):
        sign = ""  # Sheets shows "-0.00" as "0.00"
    # The minus sign goes before the whole section, currency symbol included: -$1,234.50
    return sign + literal.replace("\0", number, 1)


def _split_sections(pattern: str) -> list[str]:
    sections, current, quoted = [], "", False
    for char in pattern:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += char
    return sections + [current]


def _parse_section(section: str) -> tuple[str, str]:
    """(literal text with \\0 where the number goes, the number's placeholders)."""
    literal, core, in_core = "", "", False
    for match in _NUMBER_TOKEN.finditer(section):
        token = match.group(0)
        if token[0] in "0#?,." or (token.upper() in ("E+", "E-") and in_core):
            if not in_core:
                literal += "\0"
                in_core = True
            core += token
        elif token.startswith('"'):
            literal += token[1:-1]
        elif token.startswith("\\"):
            literal += token[1:]
        elif token.startswith("[$"):
            literal += match.group(1)
        elif token.startswith("[") or token[0] == "*":
            continue  # colours, conditions, fill characters
        elif token[0] == "_":
            literal += " "
        else:
            literal += token
    return (literal if in_core else literal + "\0"), core


def _format_core(x: float, core: str) -> str:
    if not core:
        return ""
    if "E" in core.upper():
        mantissa, exponent = re.split(r"[Ee][+-]", core)
        decimals = mantissa.split(".")[1].count("0") if "." in mantissa else 0
        text = f"{x:.{decimals}E}"
        digits, power = text.split("E")
        return f"{digits}E{int(power):+0{len(exponent) + 1}d}"
    whole, _, fraction = core.partition(".")
    min_decimals = fraction.count("0")
    max_decimals = min_decimals + fraction.count("#") + fraction.count("?")
    # Sheets rounds half away from zero; Python's round() would round half to even.
    rounded = Decimal(repr(x)).quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP)
    int_part, _, dec_part = f"{rounded:f}".partition(".")
    if max_decimals > min_decimals:
        dec_part = dec_part.rstrip("0").ljust(min_decimals, "0")
    int_part = (int_part.lstrip("0") or "").rjust(whole.count("0"), "0")
    if "," in whole and int_part:
        int_part = f"{int(int_part):,}"
    return (int_part + ("." + dec_part if dec_part else "")) or "0"
