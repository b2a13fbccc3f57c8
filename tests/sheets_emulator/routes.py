"""Which handler answers which path. Templates are Google's paths with `{name}` holes; they
are also the keys of `Emulator.counts` and what faults match on."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import unquote

from . import batch_update, developer_metadata, drive, metadata, values_api

SHEETS = "/v4/spreadsheets/{id}"
VALUES = SHEETS + "/values/{range}"
FILES = "/drive/v3/files"

# Order matters: a range may hold an unescaped ":", so the ":append"/":clear" forms come first.
ROUTES: list[tuple[str, str, Callable]] = [
    ("GET", SHEETS, metadata.get),
    ("POST", SHEETS + ":batchUpdate", batch_update.batch_update),
    ("GET", SHEETS + "/developerMetadata/{metadataId}", developer_metadata.get),
    ("POST", SHEETS + "/developerMetadata:search", developer_metadata.search),
    ("GET", SHEETS + "/values:batchGet", values_api.batch_get),
    ("POST", SHEETS + "/values:batchUpdate", values_api.batch_update),
    ("POST", SHEETS + "/values:batchClear", values_api.batch_clear),
    ("POST", VALUES + ":append", values_api.append),
    ("POST", VALUES + ":clear", values_api.clear),
    ("GET", VALUES, values_api.get),
    ("PUT", VALUES, values_api.update),
    ("POST", FILES, drive.create_file),
    ("GET", FILES + "/{id}", drive.get_file),
    ("DELETE", FILES + "/{id}", drive.delete_file),
    ("POST", FILES + "/{id}/permissions", drive.create_permission),
    ("GET", FILES + "/{id}/permissions", drive.list_permissions),
    ("DELETE", FILES + "/{id}/permissions/{permissionId}", drive.delete_permission),
]

# Real Google routes a client might call that the emulator does not model: answered 501 so a
# test fails loudly instead of passing on behaviour nobody wrote.
UNMODELLED = [
    ("GET", FILES),
    ("PATCH", FILES + "/{id}"),
    ("POST", FILES + "/{id}/copy"),
    ("GET", FILES + "/{id}/export"),
    ("GET", FILES + "/{id}/comments"),
    ("PUT", "/upload/drive/v2/files/{id}"),
    ("POST", "/upload/drive/v3/files"),
    ("PATCH", "/upload/drive/v3/files/{id}"),
    ("POST", "/v4/spreadsheets"),
    ("POST", SHEETS + "/sheets/{sheetId}:copyTo"),
    ("POST", SHEETS + "/values:batchGetByDataFilter"),
    ("POST", SHEETS + "/values:batchUpdateByDataFilter"),
    ("POST", SHEETS + "/values:batchClearByDataFilter"),
    ("POST", SHEETS + ":getByDataFilter"),
    ("GET", FILES + "/{id}/permissions/{permissionId}"),
    ("PATCH", FILES + "/{id}/permissions/{permissionId}"),
]


class Match(NamedTuple):
    method: str
    template: str
    handler: Callable | None  # None: a Google route the emulator does not model
    path: dict[str, str]


def _pattern(template: str) -> re.Pattern:
    def hole(match: re.Match) -> str:
        name = match.group(1)
        allowed = "[^/]+?" if name == "range" else "[^/:]+" if template.startswith("/v4/") else "[^/]+"
        return f"(?P<{name}>{allowed})"

    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", hole, re.escape(template)) + "$")


_COMPILED = [(method, template, handler, _pattern(template)) for method, template, handler in ROUTES] + [
    (method, template, None, _pattern(template)) for method, template in UNMODELLED
]


def match(method: str, raw_path: str) -> Match | None:
    """The route for a request; path variables are unescaped only after matching, so an
    escaped `/` or `:` in a sheet title cannot confuse it."""
    for route_method, template, handler, pattern in _COMPILED:
        found = pattern.match(raw_path)
        if found and route_method == method:
            return Match(method, template, handler, {k: unquote(v) for k, v in found.groupdict().items()})
    return None
