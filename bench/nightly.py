"""Nightly runs of the local sync: what a run costs when little has changed since the last one.

`python -m bench.nightly --size 100000 [--profile fixed|free-text] [--work DIR]` makes a synthetic
team book (bench.synthetic, bench.books) and runs the sync on it four times, each in a fresh process
as cron would start it:
  first     - no client summary there yet: every one written whole;
  new rows  - 100 Time rows added for 5 clients, the same as-of date;
  same      - nothing new, the same as-of date;
  next day  - nothing new but the as-of date, one day on (each Summary's as-of date and run-out move).
It prints a markdown table: each run's seconds per stage, and how many summary files were written
and left as they were.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.one import AS_OF

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("read", "parse", "compute", "plan", "shape", "write")
NEW_ROWS, NEW_CLIENTS = 100, 5


def new_rows(clients: int, profile: str) -> list[list]:
    """NEW_ROWS Time rows of the last week, shared among the first NEW_CLIENTS clients' first contracts
    (contract i belongs to client i % clients in bench.synthetic)."""
    from bench.synthetic import EPOCH

    today = (AS_OF - EPOCH).days
    words = "with a note about what was done" if profile == "free-text" else ""
    return [
        [today - i % 7, "Ann", f"K-{i % min(NEW_CLIENTS, clients):05d}", f"Nightly task {i}", "", 0.5, "", words]
        for i in range(NEW_ROWS)
    ]


def make_book(work: Path, size: int, profile: str, extra: bool) -> None:
    """The team book at work/team.xlsx, with the new rows when `extra`; the clients/ folder is kept."""
    from bench.books import write_xlsx
    from bench.synthetic import synthetic_book

    tabs = synthetic_book(size, profile=profile)
    if extra:
        tabs["Time"] = tabs["Time"] + new_rows(len(tabs["Clients"]) - 1, profile)
    write_xlsx(tabs, work / "team.xlsx")


def one_run(team: Path, as_of: dt.date) -> dict:
    """The sync, each stage timed (bench.one.Stages)."""
    from bench.one import Stages
    from sync.app import pipeline
    from sync.backends.xlsx.workbook import LocalWorkbook
    from sync.config import Config

    stages = Stages()
    start = time.perf_counter()
    result = pipeline.run(LocalWorkbook(team), Config(), as_of, stage_hook=stages.hook)
    return {"stages": stages.figures, "total_seconds": round(time.perf_counter() - start, 3), "exit": result.exit_code}


def measured(team: Path, as_of: dt.date) -> dict:
    """one_run in a fresh process, with how many client summaries it wrote and left as they were."""
    before = _files(team.parent / "clients")
    done = subprocess.run(
        [sys.executable, "-m", "bench.nightly", "--run", str(team), "--as-of", as_of.isoformat()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    figures = json.loads(done.stdout.splitlines()[-1])
    after = _files(team.parent / "clients")
    figures["untouched"] = sum(1 for name, seen in after.items() if before.get(name) == seen)
    figures["written"] = len(after) - figures["untouched"]
    return figures


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file's inode and modification time: a replaced file has a new inode."""
    if not folder.exists():
        return {}
    return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder.iterdir()}


def table(runs: dict[str, dict]) -> str:
    first = runs["first"]["total_seconds"]
    lines = [
        "| run | " + " | ".join(STAGES) + " | total | against the first | summaries written | left as they were |",
        "|" + "---|" * (len(STAGES) + 5),
    ]
    for name, figures in runs.items():
        stages = " | ".join(
            f"{figures['stages'][s]['seconds']:.2f} s" if s in figures["stages"] else "-" for s in STAGES
        )
        total = figures["total_seconds"]
        lines.append(
            f"| {name} | {stages} | {total:.2f} s | {total / first:.0%} | {figures['written']} | {figures['untouched']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="time rows of the book (default 100000)")
    parser.add_argument("--profile", default="fixed", help="bench.synthetic's profile: fixed or free-text")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "nightly", help="where the book goes")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the whole sequence; each figure the least")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # one timed run of this team book
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        print(json.dumps(one_run(options.run, options.as_of)))
        return
    work = options.work / f"{options.profile}-{options.size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    team = work / "team.xlsx"
    for extra in (False, True):
        make_book(work, options.size, options.profile, extra)
        team.rename(work / f"team-{int(extra)}.xlsx")
    runs: dict[str, dict] = {}
    for _ in range(options.repeat):  # each figure the least of the repeats: others share the machine
        shutil.rmtree(work / "clients", ignore_errors=True)
        shutil.copy(work / "team-0.xlsx", team)
        sequence = {"first": measured(team, AS_OF)}
        shutil.copy(work / "team-1.xlsx", team)
        sequence[f"{NEW_ROWS} new rows, {NEW_CLIENTS} clients"] = measured(team, AS_OF)
        sequence["nothing new"] = measured(team, AS_OF)
        sequence["as-of date a day on"] = measured(team, AS_OF + dt.timedelta(days=1))
        runs = {name: least(runs.get(name), figures) for name, figures in sequence.items()}
    clients = len(list((work / "clients").iterdir()))
    print(
        f"{options.profile} profile, {options.size:,} time rows, {clients} client summaries, least of {options.repeat}"
    )
    print(table(runs))


def least(before: dict | None, figures: dict) -> dict:
    """Each stage's and the total's least seconds of two measures of one run."""
    if before is None:
        return figures
    stages = {
        name: {"seconds": min(stage["seconds"], before["stages"][name]["seconds"])}
        for name, stage in figures["stages"].items()
    }
    return {**figures, "stages": stages, "total_seconds": min(figures["total_seconds"], before["total_seconds"])}


if __name__ == "__main__":
    main()
