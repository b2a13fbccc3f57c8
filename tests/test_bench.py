"""The benchmark must keep working (it is run by hand, not timed here): a tiny run of each path."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import prepare, table
from bench.synthetic import synthetic_book

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", ["core", "xlsx", "google"])
def test_each_benchmark_path_reports_every_stage(tmp_path, path):
    prepare(300, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "bench.one", "--backend", path, "--size", "300", "--dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    stages = {"core": {"parse", "compute"}}.get(path, {"read", "parse", "compute", "plan", "shape", "write"})
    assert set(figures["stages"]) == stages
    assert all(f["seconds"] >= 0 and f["peak_mib"] > 0 and f["cpu_seconds"] >= 0 for f in figures["stages"].values())
    if path == "google":
        assert figures["requests"] > 0 and figures["bytes_received"] > 0
    row = table([{"size": 300, "backend": path, "figures": figures}]).splitlines()[-1]
    assert row.startswith("| fixed | 300 | " + path)


def test_the_free_text_profile_runs_with_a_text_of_its_own_in_every_task(tmp_path):
    tabs = synthetic_book(2000, profile="free-text")
    time = tabs["Time"][1:]
    tasks, notes = [row[3] for row in time], [row[7] for row in time if row[7]]
    assert len(set(tasks)) > 0.99 * len(tasks) and len(set(notes)) > 0.99 * len(notes) > 0.5 * len(time)
    assert any(not text.isascii() for text in tasks + notes)
    assert {type(row[5]) for row in time} == {float, str}
    assert synthetic_book(2000) != synthetic_book(2000, profile="free-text")
    prepare(300, tmp_path, "free-text")
    done = subprocess.run(
        [sys.executable, "-m", "bench.one", "--backend", "xlsx", "--size", "300", "--dir", str(tmp_path)]
        + ["--profile", "free-text"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows_read"] > 300
    row = table([{"profile": "free-text", "size": 300, "backend": "xlsx", "figures": json.loads(done.stdout)}])
    assert row.splitlines()[-1].startswith("| free-text | 300 | xlsx |")


def test_the_journal_holds_the_same_priced_entries(tmp_path):
    prepare(300, tmp_path)
    journal = (tmp_path / "book-300.ledger").read_text()
    assert journal.count(":Billed  ") == journal.count(":Prepaid\n") > 250


def test_the_free_text_journal_carries_each_entrys_notes(tmp_path):
    prepare(300, tmp_path, "free-text")
    journal = (tmp_path / "book-300-free-text.ledger").read_text(encoding="utf-8")
    assert journal.count(":Billed  ") > 250 and journal.count("\n    ; ") > 100
