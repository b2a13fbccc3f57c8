"""The bodies of the batchUpdate requests the backend sends, and the tabs as a batchUpdate leaves them.

Building a request sends nothing: these functions only say what to send (add or grow a tab and
format its tables, hide or show it, protect it, and the values to write, for the values:batchUpdate
that follows), so that GoogleSheet.apply can send them, and build them again from a fresh look at
the spreadsheet when a batch was refused. `sheets_after` then tells from a batchUpdate's replies
what the spreadsheet holds now, with no read.

What a write left can be kept and compared the next time, with no read either: the tabs as a
compact record (`tabs_record`, `tabs_of`), a digest of a batch's requests (`digest`) and of each
row block of the values written (`value_digests`, `changed_ranges`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Any

from sync.backends.cells import money_format
from sync.backends.google.cells import a1, format_requests, new_sheet_id, tab_grid
from sync.errors import GoogleAccessError
from sync.model.schema import tab_key
from sync.model.table import Table

OUTPUT_NOTE = "contract-sync output: rewritten by every run; type in the input tabs instead"

Request = dict[str, Any]
BLOCK_ROWS, MAX_BLOCKS = 16, 512  # values are compared in row blocks: at most MAX_BLOCKS digests a tab


class Refused(GoogleAccessError):
    """Google answered 400: the request names what is not there (a tab or chart deleted, a row
    beyond the grid), so it was not done at all."""


def protection(sheet_id: int, account: str, warning_only: bool) -> Request:
    """The protected range of a whole tab the sync writes: only `account` may edit it, or (with
    `warning_only`) anyone may, after a warning."""
    protected: Request = {"range": {"sheetId": sheet_id}, "description": OUTPUT_NOTE, "warningOnly": warning_only}
    if not warning_only:
        protected["editors"] = {"users": [account]}
    return protected


def output_tabs(
    sheets: dict[str, dict[str, Any]],
    tables: dict[str, Table],
    hidden: frozenset[str],
    protect: Callable[[int], Request],
) -> tuple[list[Request], list[Request]]:
    """The batchUpdate requests and the values:batchUpdate data that write `tables` into a
    spreadsheet whose tabs are `sheets` (keyed by tab_key): each tab added or grown and formatted,
    hidden (if named in `hidden`) or shown, protected (`protect(sheet_id)`) unless it is already."""
    requests: list[Request] = []
    data = []
    for name, table in tables.items():
        sheet = sheets.get(tab_key(name))
        blocks = [(0, table)]
        sheet_id, title, size = prepare(sheet, name, blocks, requests)
        if (sheet or {}).get("properties", {}).get("hidden", False) != (name in hidden):
            requests.append(
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": sheet_id, "hidden": name in hidden},
                        "fields": "hidden",
                    }
                }
            )
        protections = (sheet or {}).get("protectedRanges", [])
        if not any(p.get("description") == OUTPUT_NOTE for p in protections):
            requests.append({"addProtectedRange": {"protectedRange": protect(sheet_id)}})
        data.append({"range": f"{a1(title)}!A1", "values": tab_grid(blocks, size)})
    return requests, data


def prepare(
    sheet: dict[str, Any] | None,
    name: str,
    blocks: list[tuple[int, Table]],
    requests: list[Request],
    money: Callable[[int], str] = money_format,
) -> tuple[int, str, tuple[int, int]]:
    """Append to `requests` those that add the tab (`sheet` None) or grow it, its header row frozen,
    and format its blocks (each a table and the row it starts on; money in `money(places)`); its
    id, title and grid size (rows, columns)."""
    rows = max(2, max(top + len(table.frame) + 1 for top, table in blocks))
    cols = max(1, max(len(table.columns) for _, table in blocks))
    sheet_id, title, size = grow(sheet, name, (rows, cols), requests)
    for top, table in blocks:
        requests += format_requests(sheet_id, top, table, money)
    return sheet_id, title, size


def grow(
    sheet: dict[str, Any] | None,
    name: str,
    size: tuple[int, int],
    requests: list[Request],
    frozen_rows: int = 1,
    gridlines: bool = True,
) -> tuple[int, str, tuple[int, int]]:
    """Append to `requests` the one that adds the tab (`sheet` None) or grows it to at least `size`
    (rows, columns), with `frozen_rows` frozen and, unless `gridlines`, its gridlines hidden; its
    id, title and grid size.

    Tabs only ever grow here: rows below the new figures are written blank, so that if the values
    call fails, the tab still holds the previous run's figures, whole."""
    rows, cols = size
    grid: dict[str, Any] = {"frozenRowCount": frozen_rows, **({} if gridlines else {"hideGridlines": True})}
    if sheet is None:
        sheet_id, title = new_sheet_id(name), name
        grid = {"rowCount": rows, "columnCount": cols, **grid}
        requests.append({"addSheet": {"properties": {"sheetId": sheet_id, "title": name, "gridProperties": grid}}})
    else:
        props = sheet["properties"]
        sheet_id, title, old = props["sheetId"], props["title"], props.get("gridProperties", {})
        rows, cols = max(rows, old.get("rowCount", 0)), max(cols, old.get("columnCount", 0))
        grid = {"rowCount": rows, "columnCount": cols, **grid}
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": grid},
                    "fields": ",".join(f"gridProperties.{key}" for key in grid),
                }
            }
        )
    return sheet_id, title, (rows, cols)


def sheets_after(
    sheets: dict[str, dict[str, Any]], requests: list[Request], replies: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The sheets (tab_key -> resource, as METADATA_FIELDS reads them) after a batchUpdate of
    `requests` answered `replies`: tabs added (the reply holds their properties), resized,
    hidden or deleted, protected ranges and charts added (the replies hold their IDs), charts deleted."""
    by_id = {s["properties"]["sheetId"]: {**s, "properties": dict(s["properties"])} for s in sheets.values()}
    for request, reply in zip(requests, replies):
        ((kind, body),) = request.items()
        if kind == "addSheet":
            props = reply.get("addSheet", {}).get("properties", {})
            by_id[props.get("sheetId", 0)] = {"properties": props}
        elif kind == "deleteSheet":
            by_id.pop(body.get("sheetId", 0), None)
        elif kind == "updateSheetProperties" and body["properties"].get("sheetId", 0) in by_id:
            updated = by_id[body["properties"].get("sheetId", 0)]
            updated["properties"] = _masked(updated["properties"], body["properties"], body["fields"])
        elif kind == "addProtectedRange":
            protected = reply.get("addProtectedRange", {}).get("protectedRange", {})
            sheet = by_id.get(body["protectedRange"]["range"].get("sheetId", 0))
            if sheet is not None:
                sheet["protectedRanges"] = [*sheet.get("protectedRanges", []), protected]
        elif kind == "deleteEmbeddedObject":
            for sheet in by_id.values():
                sheet["charts"] = [c for c in sheet.get("charts", []) if c.get("chartId") != body["objectId"]]
        elif kind == "addChart":
            chart = reply.get("addChart", {}).get("chart", {})
            anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell", {})
            sheet = by_id.get(anchor.get("sheetId", 0))
            if sheet is not None:
                sheet["charts"] = [*sheet.get("charts", []), chart]
    return {tab_key(s["properties"]["title"]): s for s in by_id.values()}


def _masked(old: dict[str, Any], new: dict[str, Any], fields: str) -> dict[str, Any]:
    """`old` with the fields a mask such as `hidden` or `gridProperties.rowCount` names taken from `new`."""
    out = {**old}
    for path in fields.split(","):
        *parents, last = path.strip().split(".")
        into, source = out, new
        for name in parents:
            into[name] = into = dict(into.get(name, {}))
            source = source.get(name, {})
        if last in source:
            into[last] = source[last]
        else:
            into.pop(last, None)
    return out


def tabs_record(sheets: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    """The tabs as compact JSON: title -> [sheetId, rowCount, columnCount, [chartId...]]."""
    out = {}
    for sheet in sheets.values():
        props = sheet["properties"]
        grid = props.get("gridProperties", {})
        charts = [chart["chartId"] for chart in sheet.get("charts", []) if "chartId" in chart]
        out[props["title"]] = [props["sheetId"], grid.get("rowCount", 0), grid.get("columnCount", 0), charts]
    return out


def tabs_of(record: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """The sheets (tab_key -> resource, as METADATA_FIELDS reads them) a tabs_record holds."""
    return {
        tab_key(title): {
            "properties": {
                "sheetId": sheet_id,
                "title": title,
                "gridProperties": {"rowCount": rows, "columnCount": cols},
            },
            "charts": [{"chartId": chart} for chart in charts],
        }
        for title, (sheet_id, rows, cols, charts) in record.items()
    }


def digest(value: object, size: int = 9) -> str:
    """A short digest of anything JSON can write (base64, 4 characters per 3 bytes of `size`)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return base64.urlsafe_b64encode(hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest()).decode()


def value_digests(data: list[Request]) -> dict[str, list[Any]]:
    """Each range of a values:batchUpdate's `data` (all at A1 of a tab), in row blocks: range ->
    [rows a block, the blocks' digests run together, 8 characters each]. Blocks are BLOCK_ROWS
    rows, doubled as often as a big tab needs to keep to MAX_BLOCKS."""
    out = {}
    for entry in data:
        rows: Sequence[Any] = entry["values"]
        size = BLOCK_ROWS
        while len(rows) > size * MAX_BLOCKS:
            size *= 2
        out[entry["range"]] = [size, "".join(digest(rows[i : i + size], 6) for i in range(0, len(rows), size))]
    return out


def changed_ranges(data: list[Request], digests: dict[str, list[Any]], before: dict[str, list[Any]]) -> list[Request]:
    """The part of `data` whose row blocks' `digests` differ from those `before` (value_digests of
    what was written last), and each range's first block too: one range per run of blocks, from
    its first row. So a write names every tab, and Google refuses it (Refused) when one is gone."""
    out = []
    for entry in data:
        size, now = digests[entry["range"]]
        then_size, then = before.get(entry["range"], [size, ""])
        if then_size != size:
            then = ""
        changed = [n for n in range(len(now) // 8) if n == 0 or now[8 * n : 8 * n + 8] != then[8 * n : 8 * n + 8]]
        title = entry["range"].rsplit("!", 1)[0]
        for _, run in groupby(enumerate(changed), lambda pair: pair[1] - pair[0]):  # consecutive blocks
            blocks = [n for _, n in run]
            first, end = blocks[0] * size, (blocks[-1] + 1) * size
            out.append({"range": f"{title}!A{first + 1}", "values": entry["values"][first:end]})
    return out
