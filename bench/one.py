"""One measured sync in a fresh process: `python -m bench.one --backend B --size N --dir D [--profile P]`.

Prints one JSON object: seconds and peak memory (RSS high-water mark, MiB) per stage, and for the
Google path the API requests and bytes sent and received. CPU seconds too (this process's per stage,
its worker processes' in all, ledger-cli's): on a machine that others share, wall time varies
from run to run and CPU time much less. Each stage's peak is measured on its
own: Linux resets the high-water mark when "5" is written to /proc/self/clear_refs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.synthetic import PROFILES

AS_OF = dt.date(2026, 11, 29)


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux: the peaks are then cumulative


class Stages:
    """Runs stages one after another, recording each one's seconds and peak memory."""

    def __init__(self) -> None:
        self.figures: dict[str, dict[str, float]] = {}

    def __call__(self, name: str, step: Callable[[], Any]) -> Any:
        with self.hook(name):
            return step()

    @contextmanager
    def hook(self, name: str) -> Iterator[None]:
        """pipeline.run's stage_hook: the seconds and peak memory of each stage it runs; a stage run
        more than once (the write: team tabs, client summaries, the Sync State again) adds up."""
        reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        yield
        before = self.figures.get(name, {"seconds": 0.0, "peak_mib": 0, "cpu_seconds": 0.0})
        self.figures[name] = {
            "seconds": round(before["seconds"] + time.perf_counter() - start, 3),
            "peak_mib": max(before["peak_mib"], round(peak_mib())),
            "cpu_seconds": round(before["cpu_seconds"] + time.process_time() - cpu, 3),
        }


def run_core(size: int, profile: str) -> dict[str, Any]:
    """Parse + validate + compute from raw cell values as the Sheets API returns them."""
    from bench.synthetic import synthetic_book
    from sync.compute.ledger import compute
    from sync.config import Config
    from sync.rules.load import input_frames
    from sync.rules.validate import validate

    raw = synthetic_book(size, profile=profile)
    stages = Stages()
    start = time.perf_counter()
    book, problems = stages("parse", lambda: validate(input_frames(raw), Config(), AS_OF))
    stages("compute", lambda: compute(book, AS_OF))
    return {
        "stages": stages.figures,
        "total_seconds": round(time.perf_counter() - start, 3),
        "peak_mib": max(f["peak_mib"] for f in stages.figures.values()),
        "problems": len(problems),
    }


def run_pipeline(backend: Any) -> dict[str, Any]:
    """The real pipeline, each of its stages measured."""
    from sync.app import pipeline
    from sync.config import Config

    stages = Stages()
    start, cpu, workers = time.perf_counter(), time.process_time(), children_cpu()
    result = pipeline.run(backend, Config(), AS_OF, stage_hook=stages.hook)
    return {
        "stages": stages.figures,
        "total_seconds": round(time.perf_counter() - start, 3),
        "cpu_seconds": round(time.process_time() - cpu + children_cpu() - workers, 3),
        "peak_mib": max(f["peak_mib"] for f in stages.figures.values()),
        "rows_read": result.rows_read,
        "written": len(result.written),
    }


def run_xlsx(size: int, folder: Path, profile: str) -> dict[str, Any]:
    from bench.books import book_paths
    from sync.backends.xlsx.workbook import LocalWorkbook

    source, journal = book_paths(folder, size, profile)
    work = folder / f"run-xlsx-{source.stem.removeprefix('book-')}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(source, work / "team.xlsx")
    figures = run_pipeline(LocalWorkbook(work / "team.xlsx"))
    figures["ledger_cli_seconds"], figures["ledger_cli_cpu_seconds"] = ledger_cli(journal)
    return figures


def ledger_cli(journal: Path) -> tuple[float | None, float | None]:
    """Wall and CPU seconds of `ledger -f FILE balance` on the same entries, when ledger-cli is installed."""
    if not shutil.which("ledger") or not journal.exists():
        return None, None
    start, cpu = time.perf_counter(), children_cpu()
    subprocess.run(["ledger", "-f", str(journal), "balance"], check=True, capture_output=True)
    return round(time.perf_counter() - start, 3), round(children_cpu() - cpu, 3)


def children_cpu() -> float:
    """CPU seconds (user and system) of this process's children that have ended."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_google(size: int, profile: str) -> dict[str, Any]:
    from bench.synthetic import synthetic_book
    from sync.backends.google.http import connect
    from sync.backends.google.sheet import GoogleSheet
    from tests.sheets_emulator import FakeClock
    from tests.sheets_emulator.emulator import Emulator

    tabs = synthetic_book(size, profile=profile)
    with Emulator() as emulator:
        for row in tabs["Clients"][1:]:
            row[3] = emulator.create_spreadsheet(row[1])
        spreadsheet = emulator.create_spreadsheet("Team", tabs)
        client, account = connect(None, emulator.base_url)
        # The sync paces itself under Google's per-minute quota: on a fake clock its waits take no
        # time, so the figures are the sync's own speed and the quota it needs is a figure apart.
        client.http_client.use_clock(FakeClock())
        trim_columns(client, spreadsheet, tabs)
        traffic = count_traffic(client.http_client.session)
        emulator.reset_counts()
        figures = run_pipeline(GoogleSheet(spreadsheet, client, account))
        figures |= {"requests": sum(emulator.counts.values()), **traffic}
        figures["quota_minutes"] = client.http_client.quota_wait_seconds / 60
    return figures


def trim_columns(client: Any, spreadsheet: str, tabs: dict[str, list[list]]) -> None:
    """New tabs have 26 columns; a real million-row tab cannot (10,000,000 cells per spreadsheet)."""
    sheets = client.http_client.fetch_sheet_metadata(spreadsheet)["sheets"]
    requests = [
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": sheet["properties"]["sheetId"],
                    "gridProperties": {"columnCount": len(tabs[sheet["properties"]["title"]][0])},
                },
                "fields": "gridProperties.columnCount",
            }
        }
        for sheet in sheets
        if sheet["properties"]["title"] in tabs
    ]
    client.http_client.batch_update(spreadsheet, {"requests": requests})


def count_traffic(session: Any) -> dict[str, int]:
    """Bytes of request bodies sent and response bodies received, counted on the session."""
    totals = {"bytes_sent": 0, "bytes_received": 0}
    send = session.send

    def counting_send(request: Any, **kwargs: Any) -> Any:
        response = send(request, **kwargs)
        body = request.body or b""
        totals["bytes_sent"] += len(body.encode() if isinstance(body, str) else body)
        totals["bytes_received"] += len(response.content)
        return response

    session.send = counting_send
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["core", "xlsx", "google"], required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument(
        "--profile", choices=PROFILES, default="fixed", help="the synthetic book's kind (bench.synthetic)"
    )
    options = parser.parse_args()
    runs = {
        "core": lambda: run_core(options.size, options.profile),
        "xlsx": lambda: run_xlsx(options.size, options.dir, options.profile),
        "google": lambda: run_google(options.size, options.profile),
    }
    print(json.dumps(runs[options.backend]()))


if __name__ == "__main__":
    main()
