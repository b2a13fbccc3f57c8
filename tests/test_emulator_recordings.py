"""The emulator answers as Google did: every recorded call it models is replayed against it.

The recordings (vcrpy cassettes of gspread's own test suite, shared/sheets-api-recordings beside the checkout
or $SHEETS_RECORDINGS) hold 1821 request/response pairs from Google. Each cassette is replayed
in order on a fresh emulator. IDs Google chose (spreadsheets, sheets, protected ranges, charts)
are mapped to the ones the emulator chose; then the parsed JSON answers and status codes must
be equal, with types (1 is not 1.0, true is not 1). Only Drive timestamps are normalised.

What counts as "in the subset" is decided by `outside_reason` alone, from the emulator's own
route table and batchUpdate handlers: a call is outside if the emulator does not model its
route or one of its request kinds, if it names a file the cassette did not create (files
copied or left by earlier runs), or if it follows an unmodelled change to the same
spreadsheet (after a mergeCells, the recorded answers show merges the emulator never made).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.sheets_emulator import Emulator, batch_update, routes
from tests.sheets_emulator.call import PRIVATE_SPREADSHEET_ID

# shared/ lies beside the project's checkout, on developers' machines and in CI alike.
RECORDINGS = Path(
    os.environ.get("SHEETS_RECORDINGS", Path(__file__).resolve().parents[2] / "shared" / "sheets-api-recordings")
)
RECORDED_ACCOUNT = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"
MISSING_SPREADSHEET_ID = "test"  # the recordings' "does not exist" spreadsheet
FIXED_IDS = {PRIVATE_SPREADSHEET_ID, MISSING_SPREADSHEET_ID}
MODELLED_KINDS = batch_update.MODELLED_KINDS
CASSETTES = sorted(RECORDINGS.glob("*.json"))
NO_RECORDINGS = (
    f"no Google recordings to replay: the *.json cassettes are expected in {RECORDINGS} (the "
    "shared/sheets-api-recordings folder beside the checkout, or the folder $SHEETS_RECORDINGS names)"
)
ID_KEYS = ("sheetId", "protectedRangeId", "chartId", "objectId")


@dataclass
class Replay:
    """One cassette's run: what was compared, what matched, what was left out and why."""

    name: str
    total: int = 0
    in_subset: int = 0
    matched: int = 0
    outside: Counter = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)


class IdMap:
    """Recorded IDs -> the emulator's, learned from creation answers as the replay goes."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.numbers: dict[str, dict[int, int]] = {key: {} for key in ID_KEYS}
        self.tainted: set[str] = set()

    def request_json(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.request_json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.request_json(v, key) for v in value]
        if key in self.numbers and isinstance(value, int):
            return self.numbers[key].get(value, value)
        return value

    def answer_json(self, value: Any, key: str | None = None) -> Any:
        """A recorded answer in the emulator's IDs, timestamps normalised."""
        if isinstance(value, dict):
            return {k: self.answer_json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.answer_json(v, key) for v in value]
        if key in ("createdTime", "modifiedTime"):
            return "<time>"
        if key in self.numbers and isinstance(value, int):
            return self.numbers[key].get(value, value)
        if isinstance(value, str):
            for recorded, actual in self.files.items():
                value = value.replace(recorded, actual)
        return value

    def learn(self, recorded: Any, actual: Any, key: str | None = None) -> None:
        """Pair up IDs appearing at the same place in a recorded and an actual creation answer."""
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for k in recorded.keys() & actual.keys():
                self.learn(recorded[k], actual[k], k)
        elif isinstance(recorded, list) and isinstance(actual, list) and len(recorded) == len(actual):
            for r, a in zip(recorded, actual, strict=False):
                self.learn(r, a, key)
        elif key in self.numbers and isinstance(recorded, int) and isinstance(actual, int):
            self.numbers[key].setdefault(recorded, actual)


def file_id_of(path: str) -> str | None:
    for prefix in ("/v4/spreadsheets/", "/drive/v3/files/", "/upload/drive/v2/files/"):
        if path.startswith(prefix):
            return path[len(prefix) :].split("/")[0].split(":")[0] or None
    return None


def outside_reason(method: str, path: str, body: Any, ids: IdMap) -> str | None:
    """THE definition of the subset: None if the emulator models this call, else why not."""
    found = routes.match(method, path)
    if found is None or found.handler is None:
        return f"unmodelled route {method} {found.template if found else path}"
    kinds = (
        {kind for request in (body or {}).get("requests", []) for kind in request}
        if found.template.endswith(":batchUpdate") and "/values" not in found.template
        else set()
    )
    if kinds - MODELLED_KINDS:
        return "unmodelled batchUpdate request " + ", ".join(sorted(kinds - MODELLED_KINDS))
    file_id = file_id_of(path)
    if file_id and file_id not in ids.files and file_id not in FIXED_IDS:
        return "file not created by this cassette (a copy, or left by an earlier run)"
    if file_id in ids.tainted and not found.template.startswith("/drive/v3/files/{id}"):
        return "follows an unmodelled change to the same spreadsheet"
    return None


def strict_diff(expected: Any, actual: Any, where: str = "$") -> str | None:
    """First difference, comparing JSON types too (Python says 1 == 1.0 == True)."""
    if type(expected) is not type(actual):
        return f"{where}: expected {expected!r}, got {actual!r}"
    if isinstance(expected, dict):
        for key in expected.keys() | actual.keys():
            if key not in actual or key not in expected:
                return f"{where}.{key}: expected {expected.get(key, '<absent>')!r}, got {actual.get(key, '<absent>')!r}"
            diff = strict_diff(expected[key], actual[key], f"{where}.{key}")
            if diff:
                return diff
        return None
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{where}: expected {len(expected)} items {expected!r}, got {len(actual)} {actual!r}"
        diffs = (strict_diff(e, a, f"{where}[{i}]") for i, (e, a) in enumerate(zip(expected, actual, strict=False)))
        return next(filter(None, diffs), None)
    return None if expected == actual else f"{where}: expected {expected!r}, got {actual!r}"


def without_times(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: without_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return "<time>" if key in ("createdTime", "modifiedTime") else value


def parse(text: str | None) -> Any:
    return json.loads(text) if text and text.strip() else None


def replay(path: Path) -> Replay:
    result, ids = Replay(path.stem), IdMap()
    interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
    with Emulator(service_account_email=RECORDED_ACCOUNT) as emulator, requests.Session() as session:
        for index, interaction in enumerate(interactions):
            result.total += 1
            request, response = interaction["request"], interaction["response"]
            url = urlsplit(request["uri"])
            body = request.get("body")
            try:
                body = parse(body)
            except ValueError:
                pass  # not JSON (a CSV upload): outside the subset anyway
            reason = outside_reason(request["method"], url.path, body, ids)
            file_id = file_id_of(url.path)
            if reason:
                result.outside[reason] += 1
                if request["method"] != "GET" and file_id in ids.files and not url.path.endswith("/copy"):
                    ids.tainted.add(file_id)
                continue
            result.in_subset += 1
            target = url.path + ("?" + url.query if url.query else "")
            for recorded, actual in ids.files.items():
                target = target.replace(recorded, actual)
            answer = session.request(
                request["method"], emulator.base_url + target, json=ids.request_json(body) if body is not None else None
            )
            recorded_body = parse((response.get("body") or {}).get("string"))
            actual_body = parse(answer.text)
            if request["method"] == "POST" and url.path == "/drive/v3/files" and answer.ok:
                ids.files[recorded_body["id"]] = actual_body["id"]
            elif answer.ok and isinstance(recorded_body, dict) and "replies" in recorded_body:
                ids.learn(recorded_body["replies"], actual_body.get("replies"))
            expected = ids.answer_json(recorded_body)
            actual_body = without_times(actual_body)
            diff = (
                None
                if answer.status_code == response["status"]["code"]
                else f"status {answer.status_code}, recorded {response['status']['code']}: {answer.text[:300]}"
            )
            diff = diff or strict_diff(expected, actual_body)
            if diff:
                result.mismatches.append(f"[{index}] {request['method']} {url.path[:90]}: {diff}")
            else:
                result.matched += 1
    return result


@pytest.fixture(scope="module")
def replays() -> dict[str, Replay]:
    if not CASSETTES:
        pytest.skip(NO_RECORDINGS)
    return {path.stem: replay(path) for path in CASSETTES}


# Without cassettes, one test that says where they are expected, not pytest's "got empty parameter set".
@pytest.mark.parametrize(
    "cassette",
    [path.stem for path in CASSETTES]
    or [pytest.param(None, id="no-recordings", marks=pytest.mark.skip(reason=NO_RECORDINGS))],
)
def test_cassette_answers_match_google(replays: dict[str, Replay], cassette: str) -> None:
    result = replays[cassette]
    assert not result.mismatches, "\n".join(result.mismatches[:10])


def test_replay_totals(replays: dict[str, Replay]) -> None:
    results = list(replays.values())
    total = sum(r.total for r in results)
    in_subset = sum(r.in_subset for r in results)
    matched = sum(r.matched for r in results)
    outside = sum((r.outside for r in results), Counter())
    print(f"\n{'cassette':<70} {'total':>5} {'subset':>6} {'match':>5}")
    for r in results:
        print(f"{r.name:<70} {r.total:>5} {r.in_subset:>6} {r.matched:>5}")
    print(
        f"\nrecorded interactions: {total}; in the subset: {in_subset}; matched: {matched}; "
        f"outside the subset: {total - in_subset}"
    )
    for reason, count in outside.most_common():
        print(f"  outside: {count:>4}  {reason}")
    assert total == 1821, "the recordings changed: update the docstrings and the report"
    assert matched == in_subset


def test_without_recordings_the_skip_says_where_they_are_expected(tmp_path: Path) -> None:
    tests = [f"{__file__}::{name}" for name in ("test_cassette_answers_match_google", "test_replay_totals")]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *tests],
        env={**os.environ, "SHEETS_RECORDINGS": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert done.returncode == 0 and "2 skipped" in done.stdout, done.stdout + done.stderr
    assert "empty parameter set" not in done.stdout
    reasons = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(reasons) == 2 and all(
        f"no Google recordings to replay: the *.json cassettes are expected in {tmp_path} (" in line for line in reasons
    ), reasons
