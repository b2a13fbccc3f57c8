"""`pip install .` works: the wheel pyproject.toml describes installs into a fresh environment and
its `contract-sync` command and `import sync` run from there, not from this checkout.

The wheel is built offline with the pinned setuptools (requirements-dev.txt); the fresh
environment sees the already-installed dependencies through a .pth file instead of downloading
them again."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: object, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def test_pip_install_gives_the_package_and_the_command(tmp_path):
    clone = tmp_path / "clone"  # what a clone holds of the package: no .venv, no build leftovers
    shutil.copytree(ROOT / "sync", clone / "sync", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, clone / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--quiet",
        "-w",
        tmp_path / "dist",
        clone,
        cwd=tmp_path,
    )
    wheel = next((tmp_path / "dist").glob("contract_sync-*.whl"))

    fresh = tmp_path / "fresh"
    run(sys.executable, "-m", "venv", fresh, cwd=tmp_path)
    python = fresh / "bin" / "python"
    site = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path).stdout.strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=tmp_path)

    where = run(python, "-c", "import sync; print(sync.__file__)", cwd=tmp_path).stdout.strip()
    assert Path(where).is_relative_to(site)
    assert "Usage: contract-sync" in run(fresh / "bin" / "contract-sync", "--help", cwd=tmp_path).stdout
    run(fresh / "bin" / "contract-sync", "init", "--book", tmp_path / "team.xlsx", cwd=tmp_path)
    checked = subprocess.run(
        [fresh / "bin" / "contract-sync", "check", "--book", tmp_path / "team.xlsx"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and checked.stdout.startswith("0 rows read"), checked.stdout + checked.stderr

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requires = run(
        python,
        "-c",
        "from importlib.metadata import requires; print('\\n'.join(requires('contract-sync')))",
        cwd=tmp_path,
    ).stdout.split()
    assert requires == project["dependencies"]
    assert {"gspread>=6.1", "google-auth>=2.30", "pandas>=2.2", "schedule>=1.2"} <= set(requires)
