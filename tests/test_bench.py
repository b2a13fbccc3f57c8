"""The benchmark must keep working (it is run by hand, not timed here): a tiny run of each path."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import prepare, table

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
    assert all(f["seconds"] >= 0 and f["peak_mib"] > 0 for f in figures["stages"].values())
    if path == "google":
        assert figures["requests"] > 0 and figures["bytes_received"] > 0
    row = table([{"size": 300, "backend": path, "figures": figures}]).splitlines()[-1]
    assert row.startswith("| 300 | " + path)


def test_the_journal_holds_the_same_priced_entries(tmp_path):
    prepare(300, tmp_path)
    journal = (tmp_path / "book-300.ledger").read_text()
    assert journal.count(":Billed  ") == journal.count(":Prepaid\n") > 250
