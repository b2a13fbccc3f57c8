"""scripts/bench: seeded synthetic books of several sizes, every stage timed, results in bench/results.md.

For each profile (bench.synthetic: "fixed", a dozen Task strings and blank Notes; "free-text", a
text of its own in every Task and Notes cell) and each size it writes the book as an .xlsx (and as a ledger-cli journal of the same priced
entries), then runs, each in a fresh process (bench/one.py):
  core   - parse + validate + compute from raw cell values, as the Sheets API returns them;
  xlsx   - the whole sync on the local workbook (read, parse, compute, shape, write), and
           `ledger -f JOURNAL balance` on the same entries for comparison;
  google - the whole sync through gspread against the local Sheets/Drive emulator, with the
           number of API requests and the bytes sent and received;
and, once for the largest size, the runs after the first (each its own command, shown with its table):
  nightly - bench.nightly: a local first run, then 100 new rows for 5 clients, nothing new, the
            as-of date a day on;
  quota   - bench.quota: the Google path under Google's per-minute quota (250 and 1,000 clients).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.synthetic import PROFILES

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("read", "parse", "compute", "plan", "shape", "write")
RUNS = ("core", "xlsx", "google")  # bench.one's, per profile and size


def after_the_first(paths: list[str], size: int, profiles: list[str]) -> list[tuple[str, list[str]]]:
    """The sections of runs after the first: (title, bench command) for each chosen in `paths`."""
    sections = []
    if "nightly" in paths:
        sections += [
            (f"Nights after the first (local, {profile})", ["bench.nightly", "--size", str(size), "--profile", profile])
            for profile in profiles
        ]
    if "quota" in paths:
        sections += [
            (f"Google's quota ({clients:,} clients)", ["bench.quota", "--clients", str(clients), "--changed", "10"])
            for clients in (250, 1000)
        ]
    return sections


def section(title: str, command: list[str], timeout: float) -> str:
    """One run-after-the-first section: its title, its command and what it printed."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
        )
        printed = done.stdout.strip() if done.returncode == 0 else f"failed: {done.stderr.strip()[-500:]}"
    except subprocess.TimeoutExpired:
        printed = f"stopped after {timeout:.0f} s"
    said = "" if printed.startswith("Command:") else f"Command: `python -m {' '.join(command)}`\n\n"
    return f"## {title}\n\n{said}{printed}\n"


def prepare(size: int, folder: Path, profile: str = "fixed") -> float:
    """Write the profile's book and journal (bench.books.book_paths) unless they are there
    already; seconds taken."""
    from bench.books import book_paths, write_journal, write_xlsx
    from bench.synthetic import synthetic_book

    book, journal = book_paths(folder, size, profile)
    if book.exists() and journal.exists():
        return 0.0
    start = time.perf_counter()
    tabs = synthetic_book(size, profile=profile)
    write_xlsx(tabs, book)
    write_journal(tabs, journal)
    return time.perf_counter() - start


def measure(backend: str, size: int, folder: Path, timeout: float, profile: str = "fixed") -> dict:
    command = [sys.executable, "-m", "bench.one", "--backend", backend, "--size", str(size), "--dir", str(folder)]
    command += ["--profile", profile]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory = next(
        (
            int(line.split()[1]) // 1024**2
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    ledger = (
        subprocess.run(["ledger", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
        if _has("ledger")
        else ["ledger-cli not installed"]
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} GiB memory, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {ledger[0]}"
    )


def _has(program: str) -> bool:
    from shutil import which

    return which(program) is not None


def cell(figures: dict, stage: str) -> str:
    found = figures.get("stages", {}).get(stage)
    if not found:
        return "-"
    memory = f" / {found['peak_mib']} MiB" if "peak_mib" in found else ""
    return f"{found['seconds']:.2f} s{memory}"


def table(results: list[dict]) -> str:
    lines = [
        "| profile | size | path | "
        + " | ".join(STAGES)
        + " | total | peak | requests | sent / received | ledger-cli |",
        "|" + "---|" * (len(STAGES) + 8),
    ]
    for r in results:
        f, profile = r["figures"], r.get("profile", "fixed")
        if "error" in f:
            lines.append(f"| {profile} | {r['size']:,} | {r['backend']} | {f['error']} |" + " |" * (len(STAGES) + 5))
            continue
        traffic = f"{f['bytes_sent'] / 1e6:.1f} MB / {f['bytes_received'] / 1e6:.1f} MB" if "bytes_sent" in f else "-"
        ledger = "-"
        if f.get("ledger_cli_seconds"):
            ledger = f"{f['ledger_cli_seconds']:.2f} s (sync/ledger {f['total_seconds'] / f['ledger_cli_seconds']:.2f})"
            if f.get("ledger_cli_cpu_seconds") and f.get("cpu_seconds"):
                ledger += (
                    f"; CPU {f['ledger_cli_cpu_seconds']:.2f} s ({f['cpu_seconds'] / f['ledger_cli_cpu_seconds']:.2f})"
                )
        requests = f"{f.get('requests', '-')}"
        if f.get("quota_minutes") is not None:  # the time Google's per-minute quota would add
            requests += f" ({f['quota_minutes']:.1f} min of quota)"
        lines.append(
            f"| {profile} | {r['size']:,} | {r['backend']} | "
            + " | ".join(cell(f, s) for s in STAGES)
            + f" | {f['total_seconds']:.2f} s | {f['peak_mib']} MiB | {requests} | "
            f"{traffic} | {ledger} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="time rows per book, comma-separated (default 10000,100000,1000000)",
    )
    parser.add_argument(
        "--paths", default="core,xlsx,google,nightly,quota", help="which runs (default core,xlsx,google,nightly,quota)"
    )
    parser.add_argument(
        "--profile",
        default=",".join(PROFILES),
        help=f"which synthetic books, comma-separated (default {','.join(PROFILES)}; bench.synthetic)",
    )
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work", help="where the books go")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--timeout", type=float, default=240, help="seconds allowed for one run")
    options = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in options.sizes.split(",")]
    options.work.mkdir(parents=True, exist_ok=True)
    started, results = time.perf_counter(), []
    profiles = options.profile.split(",")
    if unknown := set(profiles) - set(PROFILES):
        parser.error(f"unknown profile {', '.join(sorted(unknown))}: one of {', '.join(PROFILES)}")
    for profile in profiles:
        for size in sizes:
            made = prepare(size, options.work, profile)
            print(f"{profile}, {size:,} rows: books ready ({made:.1f} s)", flush=True)
            for backend in [path for path in options.paths.split(",") if path in RUNS]:
                figures = measure(backend, size, options.work, options.timeout, profile)
                results.append({"profile": profile, "size": size, "backend": backend, "figures": figures})
                print(f"  {backend}: {json.dumps(figures)}", flush=True)
    report = table(results)
    print("\n" + report)
    for title, command in after_the_first(options.paths.split(","), max(sizes), profiles):
        print(f"{title}: python -m {' '.join(command)}", flush=True)
        report += "\n\n" + section(title, command, options.timeout * 4)
        print(report.rsplit("## ", 1)[-1], flush=True)
    command = "scripts/bench " + " ".join(sys.argv[1:])
    options.out.write_text(
        f"# Benchmark results\n\nMeasured {dt.datetime.now():%Y-%m-%d %H:%M} on {machine()}.\n\n"
        f"Command: `{command.strip()}` (whole run {time.perf_counter() - started:.0f} s, books included).\n\n"
        "Profiles: `fixed` draws Task from a dozen strings and leaves Notes blank; `free-text` gives every "
        "Task and Notes cell a text of its own (a third of Notes blank, some non-ASCII), Hours as numbers and "
        "typed text, 2,000 contracts and 20 clients at 1,000,000 rows (bench/synthetic.py). Where the "
        "free-text run's time goes, and what stands between it and ledger-cli's: bench/free-text.md.\n\n"
        "Each cell: wall time / peak resident memory of the process during that stage. `core` is parse + "
        "validate + compute from raw cell values as the Sheets API returns them (no I/O); `xlsx` and `google` "
        "are whole syncs (client summaries included), `google` through unmodified gspread against the local "
        "emulator over HTTP. ledger-cli: `ledger -f book-N.ledger balance` on the same priced time entries "
        "(with their Notes), its wall time, the sync's wall time over it, and CPU seconds: ledger-cli's, and "
        "the sync's over it (the sync's process and its worker processes), which vary less than wall time on a "
        "machine that others share.\n\n" + report + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {options.out}")


if __name__ == "__main__":
    main()
