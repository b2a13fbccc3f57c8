"""Google's JSON look (two-space indents, ": " after keys), fast for big grids of values.

`json.dumps(indent=2)` gives that look only through the pure-Python encoder, which takes
seconds for a 100,000-row range. So each grid (a list of rows of scalars) is taken out of the
body, encoded flat by the C encoder and indented by a few string replacements; the rest of
the body, always small, goes through `json.dumps(indent=2)`. The text is the same, character
for character (tests/test_emulator_sheets.py compares them).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from typing import Any

_SCALARS = frozenset((str, int, float, bool, type(None)))


def dumps(body: Any) -> str:
    grids: list[list] = []
    mark = f"\x00grid-{secrets.token_hex(8)}-"  # \x00 is escaped in any JSON string: never in a value
    text = json.dumps(_take_grids(body, grids, mark), ensure_ascii=False, indent=2)
    if not grids:
        return text
    place = re.compile(r'^( *)(.*?)"' + re.escape(json.dumps(mark)[1:-1]) + r'(\d+)"', re.MULTILINE)
    return place.sub(lambda m: m.group(1) + m.group(2) + _grid(grids[int(m.group(3))], m.group(1)), text)


def _take_grids(value: Any, grids: list[list], mark: str) -> Any:
    """The body with every list of rows (lists or tuples) replaced by a marker string."""
    if isinstance(value, dict):
        return {key: _take_grids(item, grids, mark) for key, item in value.items()}
    if isinstance(value, list):
        if value and all(type(row) in (list, tuple) for row in value):
            grids.append(value)
            return f"{mark}{len(grids) - 1}"
        return [_take_grids(item, grids, mark) for item in value]
    return value


def _grid(rows: list[list], indent: str) -> str:
    """`rows` as json.dumps(indent=2) prints them on a line indented by `indent`."""
    if not all(rows) or not _SCALARS.issuperset(map(type, itertools.chain.from_iterable(rows))):
        # an empty row, or rows holding lists or objects: the slow way
        return json.dumps(rows, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)
    outer, inner = indent + "  ", indent + "    "
    # Items come out already on their own lines; between two rows the text is "],\n<inner>[",
    # which nothing else can produce (no item is a list, and no string holds a raw newline).
    flat = json.dumps(rows, ensure_ascii=False, separators=(",\n" + inner, ": "))
    body = flat[2:-2].replace(f"],\n{inner}[", f"\n{outer}],\n{outer}[\n{inner}")
    return f"[\n{outer}[\n{inner}{body}\n{outer}]\n{indent}]"
