"""The folders are stages and import only downward; no two modules import each other.

pyproject.toml's import-linter contracts are the rule (run here as `lint-imports`, as a developer
would); the cycle check below also names every pair, and both are shown to catch a breach."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]


@pytest.fixture
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("sync", exclude_type_checking_imports=True, cache_dir=None)


def cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """(a, b) for each direct import a -> b where b also reaches a."""
    return sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )


def upward(graph: grimp.ImportGraph) -> list[object]:
    return list(graph.find_illegal_dependencies_for_layers(layers=LAYERS))


def test_import_linter_contracts_are_kept():
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 kept, 0 broken" in done.stdout


def test_no_module_imports_upward_or_back(graph):
    assert upward(graph) == []
    assert cycles(graph) == []


def test_every_module_is_in_a_stage(graph):
    outside = {
        module
        for module in graph.modules
        if not any(module == layer or module.startswith(layer + ".") for layer in LAYERS)
    }
    assert outside == {"sync", "sync.__main__"}


def test_the_checks_catch_a_breach(graph):
    graph.add_import(importer="sync.model.table", imported="sync.shape.report")  # upward
    graph.add_import(importer="sync.rules.cells", imported="sync.rules.validate")  # validate imports cells
    assert upward(graph)
    assert ("sync.rules.cells", "sync.rules.validate") in cycles(graph)
