import csv
import io
from pathlib import Path

import pytest

from sync.model.table import Table

pytest_plugins = ["tests.sheets_emulator.fixtures"]

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current output")


def table_text(table: Table) -> str:
    """A table as CSV text: what a reviewer reads to see what a person will see."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows():
        writer.writerow(["" if value is None else str(value) for value in row])
    return out.getvalue()


@pytest.fixture
def golden(request):
    """golden(name, table): compare with tests/golden/<name>.csv (or rewrite it with --update-golden);
    golden(name, text): with tests/golden/<name>.txt."""

    def check(name: str, table: Table | str) -> None:
        path = GOLDEN / (f"{name}.txt" if isinstance(table, str) else f"{name}.csv")
        text = table if isinstance(table, str) else table_text(table)
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"{path} is missing: run scripts/test --update-golden"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from {path}"

    return check
