"""Google's published discovery documents for Sheets v4 and Drive v3: which method a request
calls, and what its query and body may hold.

The documents are the ones google-api-python-client ships (a test dependency; only its JSON files
are read, the library is never imported). The emulator refuses what Google's front end refuses
for Sheets (`refusal`); `problems` is stricter, for tests that hold the sync's own requests to the
documents: types, enums, required fields, field masks and lowercase booleans too.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from . import fieldmask

DOCUMENTS = {"sheets": "sheets.v4.json", "drive": "drive.v3.json"}
PREFIXES = {"sheets": "/v4/", "drive": "/drive/v3/"}
# Masks of update requests, and the message each one names fields of when no sibling says so.
MASK_TARGETS = {"UpdateCellsRequest": "CellData", "RepeatCellRequest": "CellData"}
ROOT_IMPLIED = re.compile(r"The root [`'](\w+)[`'] is implied")


@functools.cache
def document(api: str) -> dict:
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("google-api-python-client is not installed: pip install -r requirements-dev.txt")
    folder = Path(next(iter(spec.submodule_search_locations))) / "discovery_cache" / "documents"
    return json.loads((folder / DOCUMENTS[api]).read_text(encoding="utf-8"))


class Method(NamedTuple):
    api: str
    id: str  # e.g. sheets.spreadsheets.values.batchGet
    spec: dict  # the method as the document describes it
    path: dict[str, str]  # path parameters, as sent (still escaped)


@functools.cache
def _methods(api: str) -> list[tuple[str, re.Pattern, dict]]:
    doc = document(api)
    found = []

    def collect(resource: dict) -> None:
        for method in resource.get("methods", {}).values():
            template = "/" + doc["servicePath"] + (method.get("flatPath") or method["path"])
            found.append((method["httpMethod"], _pattern(template), method))
        for child in resource.get("resources", {}).values():
            collect(child)

    collect(doc)
    # A longer literal wins: .../values/{range}:append before .../values/{range}
    found.sort(key=lambda item: -len(re.sub(r"\{[^}]+\}", "", item[1].pattern)))
    return found


def _pattern(template: str) -> re.Pattern:
    def hole(match: re.Match) -> str:
        return f"(?P<{match.group(1)}>{'[^/]+?' if match.group(1) == 'range' else '[^/:]+'})"

    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", hole, re.escape(template)) + "$")


def find(http_method: str, path: str) -> Method | None:
    """The documented method a request calls, or None."""
    for api, prefix in PREFIXES.items():
        if path.startswith(prefix):
            for method_name, pattern, spec in _methods(api):
                found = pattern.match(path)
                if found and method_name == http_method:
                    return Method(api, spec["id"], spec, found.groupdict())
    return None


def schema(api: str, ref: str) -> dict:
    return document(api)["schemas"][ref]


# --- what the emulator refuses, as Google's front end does for Sheets -------------------------


def unknown_query(method: Method, names: list[str]) -> list[str]:
    known = set(method.spec.get("parameters", {})) | set(document(method.api)["parameters"])
    return [name for name in names if name not in known]


def refusal(method: Method, query: dict[str, list[str]], body: Any) -> list[tuple[str, str | None]]:
    """Google's words for each unknown query parameter, else for each unknown body field (Google
    lists them all, a line each: "Unknown name \"valueInputOption\" at 'data': Cannot find
    field.\nInvalid JSON payload received. Unknown name \"data\" at 'data': ...", in
    googleapis/google-api-dotnet-client#2161), else for the first enum value it does not know;
    each with the field it names. Empty when Google would take the request."""
    unknown = unknown_query(method, list(query))
    if unknown:
        return [
            (
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. Field '
                f"'{name}' could not be found in request message.",
                None,
            )
            for name in unknown
        ]
    request = method.spec.get("request")
    found = walk(method.api, body, request, []) if request and isinstance(body, dict) else []
    names = [
        (
            f'Invalid JSON payload received. Unknown name "{p.path[-1]}"'
            f"{f' at {snake_path(p.path[:-1])!r}' if p.path[:-1] else ''}: Cannot find field.",
            snake_path(p.path[:-1]) or None,
        )
        for p in found
        if p.kind == "unknown"
    ]
    if names:
        return names
    return [
        (f"Invalid value at '{snake_path(p.path)}', \"{p.value}\"", snake_path(p.path))
        for p in found
        if p.kind == "enum"
    ][:1]


def snake_path(path: list[str | int]) -> str:
    """requests[0].add_sheet.properties: proto field names, as Google's messages name them."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), part)
    return out


def query_problems(method: Method, query: dict[str, list[str]]) -> list[Problem]:
    """Strictly: every query parameter documented for the method (or for every method), sent
    once unless repeatable, of its type (booleans `true`/`false` in lowercase, as the documents
    write them), in its enum; `fields` naming fields of the answer."""
    problems = []
    documented = {**document(method.api)["parameters"], **method.spec.get("parameters", {})}
    for name, values in query.items():
        spec = documented.get(name)
        if spec is None or spec.get("location") == "path":
            problems.append(Problem("unknown", ["?" + name], values, f"{method.id} has no query parameter {name!r}"))
            continue
        if len(values) > 1 and not spec.get("repeated"):
            problems.append(Problem("type", ["?" + name], values, f"{name} is not repeatable"))
        for value in values:
            if spec.get("type") == "boolean" and value not in ("true", "false"):
                problems.append(Problem("type", ["?" + name], value, f"{name}={value!r}: a boolean is true or false"))
            elif spec.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
                problems.append(Problem("type", ["?" + name], value, f"{name}={value!r} is not an integer"))
            elif "enum" in spec and value not in spec["enum"]:
                problems.append(
                    Problem("enum", ["?" + name], value, f"{name}={value!r} is not one of {', '.join(spec['enum'])}")
                )
        if name == "fields":
            response = method.spec.get("response", {}).get("$ref")
            for value in values:
                problems += mask_problems(method.api, value, response, ["?fields"])
    for name, spec in method.spec.get("parameters", {}).items():
        if spec.get("required") and spec.get("location") == "query" and name not in query:
            problems.append(Problem("required", ["?" + name], None, f"{method.id} requires {name}"))
    return problems


# --- the body against its schema ---------------------------------------------------------------


class Problem(NamedTuple):
    kind: str  # unknown | enum | type | required | mask
    path: list[str | int]
    value: Any
    detail: str = ""

    def __str__(self) -> str:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path).lstrip(".") or "(body)"
        return f"{self.kind} at {where}: {self.detail or repr(self.value)[:80]}"


def walk(
    api: str, value: Any, spec: dict, path: list[str | int], method_id: str = "", strict: bool = False
) -> list[Problem]:
    """Problems of `value` against a schema (`{"$ref": ...}` or an inline one). Unknown fields and
    enum values always; with `strict`, JSON types, fields required for `method_id` and field masks."""
    problems: list[Problem] = []
    name = spec.get("$ref")
    spec = schema(api, name) if name else spec
    kind = spec.get("type")
    if kind == "any" or value is None:
        return problems
    if kind == "object":
        if not isinstance(value, dict):
            return [Problem("type", path, value, f"an object expected, got {value!r:.60}")] if strict else []
        properties = spec.get("properties")
        if properties is None:
            extra = spec.get("additionalProperties")
            if extra:
                for key, item in value.items():
                    problems += walk(api, item, extra, [*path, key], method_id, strict)
            return problems
        for key, item in value.items():
            if key not in properties:
                problems.append(Problem("unknown", [*path, key], item, f"{name or 'object'} has no field {key!r}"))
                continue
            problems += walk(api, item, properties[key], [*path, key], method_id, strict)
            if strict and properties[key].get("format") == "google-fieldmask" and isinstance(item, str):
                problems += mask_problems(api, item, _mask_target(api, name, properties), [*path, key])
        if strict and method_id:
            for key, prop in properties.items():
                if method_id in prop.get("annotations", {}).get("required", []) and key not in value:
                    problems.append(Problem("required", [*path, key], None, f"{key} is required by {method_id}"))
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [Problem("type", path, value, f"a list expected, got {value!r:.60}")] if strict else []
        items = spec.get("items", {})
        if items.get("type") == "array" and items.get("items", {}).get("type") == "any":
            return problems  # a grid of values: any JSON at all (ValueRange.values)
        for i, item in enumerate(value):
            problems += walk(api, item, items, [*path, i], method_id, strict)
        return problems
    if "enum" in spec and value not in spec["enum"]:
        return [Problem("enum", path, value, f"{value!r} is not one of {', '.join(spec['enum'])}")]
    if strict and not _json_type_fits(kind, spec.get("format"), value):
        problems.append(Problem("type", path, value, f"{value!r:.60} is not a {spec.get('format') or kind}"))
    return problems


def _json_type_fits(kind: str | None, fmt: str | None, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return True  # the JSON mapping takes 64-bit integers as numbers as well as strings
        return isinstance(value, str)
    return True


def _mask_target(api: str, name: str | None, properties: dict) -> str | None:
    """Which message an update request's `fields` names fields of: the one its description calls
    the root ("The root `properties` is implied"), else the one message beside it, or CellData
    for updateCells and repeatCell."""
    if name in MASK_TARGETS:
        return MASK_TARGETS[name]
    root = ROOT_IMPLIED.search(properties.get("fields", {}).get("description", ""))
    if root and "$ref" in properties.get(root.group(1), {}):
        return properties[root.group(1)]["$ref"]
    messages = [
        prop["$ref"]
        for key, prop in properties.items()
        if "$ref" in prop and prop["$ref"] not in ("GridRange", "DataFilter", "GridCoordinate")
    ]
    return messages[0] if len(messages) == 1 else None


def mask_problems(api: str, mask: str, target: str | None, path: list[str | int]) -> list[Problem]:
    """Paths of a field mask that name no field of `target` (`*` names them all)."""
    if target is None:
        return [Problem("mask", path, mask, "no message for this mask to name fields of")]
    problems: list[Problem] = []

    def check(tree: fieldmask.Mask, spec: dict, where: str) -> None:
        name = spec.get("$ref")
        spec = schema(api, name) if name else spec
        while spec.get("type") == "array":
            spec = spec.get("items", {})
            spec = schema(api, spec["$ref"]) if "$ref" in spec else spec
        properties = spec.get("properties")
        for key, sub in tree.items():
            if key == "*":
                continue
            if properties is None or key not in properties:
                problems.append(Problem("mask", path, mask, f"{where + key!r} names no field of {name or target}"))
                continue
            if sub:
                check(sub, properties[key], f"{where}{key}.")

    check(fieldmask.parse(mask), {"$ref": target}, "")
    return problems
