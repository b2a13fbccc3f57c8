"""A local workbook's client summaries: where each one goes, whether it may go there, writing them.

A Summary Sheet path is resolved, symlinks followed, and must stay inside the team workbook's
folder (or the `summary_folder` setting's); it is never the team workbook itself. A file already
there is only replaced when it is the sync's own summary of that client of this team workbook, or
new (xlsx_marks): checked when the run plans its writes, and again just before each write.

A summary already holding what a run would write is not written again, and one that changed keeps
the parts of its tabs that did not (client_book.plan_book).

A thousand summaries take seconds to write, so a big run shares them out with worker processes.
They are started fresh (spawn), never forked: a fork copies a process whose other threads (numpy's,
pyarrow's) may hold locks the child then waits on forever. Fresh processes also inherit no open
file, so never the workbook's lock, and each dies with the process that started it. (Fresh
processes import the main module again: a script that calls the sync starts with
`if __name__ == "__main__":`, as multiprocessing asks.)
"""

from __future__ import annotations

import ctypes
import hashlib
import multiprocessing
import os
import re
import signal
import sys
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from sync.backends import ClientSummary, Written, client_mark
from sync.backends.files import remove_stale_temps
from sync.backends.xlsx.client_book import encode_fast_tabs, plan_book, write_client_workbook
from sync.backends.xlsx.marks import MARK_BOOK, MARK_CLIENT, check_summary_file
from sync.backends.xlsx.sheet import CellCache
from sync.errors import SummaryRefused

DEFAULT_FOLDER = "clients"  # beside the team workbook, when Summary Sheet is blank
LONGEST_NAME = 200  # characters of a Client ID kept in a file name: names may have 255 bytes, temp files add 14
BOOKS_TOGETHER = 8  # client books whose tabs are encoded together (encode_fast_tabs)
BATCH_ROWS = 20_000  # rows of a batch after which it takes no more books
PARALLEL_ROWS = 300_000  # below this, starting processes takes longer than the writing they share
_LINK = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def summary_path(team: Path, client_id: str, target: str, folder: Path | None = None) -> Path:
    """Where a client's summary goes: `target` relative to the team workbook's folder, or, when
    blank, <Client ID>.xlsx in `folder` (default: clients/ beside the team workbook)."""
    team = team.resolve()
    if _LINK.match(target):
        raise SummaryRefused("is a link; the local workbook needs a path to an .xlsx file")
    path = team.parent / target if target else (folder or team.parent / DEFAULT_FOLDER) / file_name(client_id)
    try:
        path = path.resolve()  # symlinks followed: the file that would really be replaced
    except (OSError, RuntimeError) as error:  # a symlink loop, a name too long
        raise SummaryRefused(f"cannot be followed to a file ({getattr(error, 'strerror', None) or error})") from None
    if path.suffix.lower() != ".xlsx":
        raise SummaryRefused(
            "must be a path to an .xlsx file"
            + (" (it leads to another file)" if target.lower().endswith(".xlsx") else "")
        )
    if path == team or _same_file(path, team):
        raise SummaryRefused("is the team workbook itself")
    roots = [team.parent, *([folder.resolve()] if folder else [])]
    if not any(path.is_relative_to(root) for root in roots):
        where = " or the summary_folder setting's" if folder else ""
        raise SummaryRefused(f"is outside the team workbook's folder{where}")
    return path


def file_name(client_id: str) -> str:
    """'C/1' -> 'C_1.xlsx'; a very long Client ID is cut, with a digest of it that keeps names apart."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", client_id)
    if len(name) > LONGEST_NAME:
        name = name[: LONGEST_NAME - 17] + "-" + hashlib.sha256(client_id.encode("utf-8")).hexdigest()[:16]
    return f"{name}.xlsx"


def check_summary_path(path: Path, client_id: str, book_id: str, title: str) -> None:
    """Raise SummaryRefused unless this client's summary may be written at `path` now."""
    try:
        if path.is_dir():
            raise SummaryRefused("is a folder, not a file")
        check_summary_file(path, client_id, book_id, title)
    except OSError as error:
        raise SummaryRefused(f"cannot be read ({error.strerror or error})") from None


def write_summaries(summaries: list[ClientSummary], book_id: str, cells: CellCache) -> Written:
    """Write each summary, a few books at a time: which were not written and why, which were left
    as they were.

    With much to write, worker processes (one per core but one) take books too. The batches, the
    largest first, are handed out one at a time as each process finishes its last: to each worker
    when its result comes back, and to this one between its own. So all finish about together,
    whatever the books' sizes; this process writes while the workers start, which takes a fresh
    interpreter half a second. Should a worker die, this process writes what was left."""
    batches = _batches(summaries)
    rows = sum(_rows(summary) for summary in summaries)
    workers = min(_cores() - 1, len(batches) - 1)
    if workers < 1 or rows < PARALLEL_ROWS:
        return Written.joined([write_batch(batch, book_id, cells) for batch in batches])
    done: list[Written] = []
    todo = deque(batches)
    handed: list[tuple[list[ClientSummary], Future]] = []
    lock = threading.Lock()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)) as pool:

        def hand_out(done: Future | None = None) -> None:
            """The next batch to a worker, unless its last one failed (the pool is broken then)."""
            if done is not None and done.exception() is not None:
                return
            with lock:
                if not todo:
                    return
                batch = todo.popleft()
                try:
                    future = pool.submit(_write_in_worker, batch, book_id)
                except (BrokenProcessPool, RuntimeError):  # this process writes it, and what is left
                    todo.appendleft(batch)
                    return
                handed.append((batch, future))
            future.add_done_callback(hand_out)  # in the pool's thread, or at once when done already

        for _ in range(workers):
            hand_out()
        while True:
            with lock:
                if not todo:
                    break
                batch = todo.popleft()
            done.append(write_batch(batch, book_id, cells))
        with lock:  # nothing is handed out once all is: the list is complete
            ours = list(handed)
        for batch, future in ours:
            try:
                done.append(future.result())
            except BrokenProcessPool:  # a worker died (killed, out of memory): its books are not written
                done.append(Written({s.location: "cannot be written (the process writing it died)" for s in batch}))
    return Written.joined(done)


def _batches(summaries: list[ClientSummary]) -> list[list[ClientSummary]]:
    """The summaries in batches whose tabs are encoded together, the largest books first: up to
    BOOKS_TOGETHER books, and as few as one when it has BATCH_ROWS rows (a batch that took long
    would leave the other processes waiting at the end)."""
    batches: list[list[ClientSummary]] = []
    held = 0
    for summary in sorted(summaries, key=_rows, reverse=True):
        if not batches or len(batches[-1]) >= BOOKS_TOGETHER or held >= BATCH_ROWS:
            batches.append([])
            held = 0
        batches[-1].append(summary)
        held += _rows(summary)
    return batches


def _rows(summary: ClientSummary) -> int:
    return sum(len(table.frame) for table in summary.tables.values())


def write_batch(batch: list[ClientSummary], book_id: str, cells: CellCache) -> Written:
    """Write a few summaries whose tabs are encoded together: which were not written and why, which
    were left as they were.

    A summary whose file already holds it is left as it is, and only the tabs that changed are
    encoded (client_book.plan_book)."""
    failed, unchanged = {}, set()
    todo = []
    for summary in batch:
        mark = {MARK_CLIENT: client_mark(summary.client_id), MARK_BOOK: book_id}
        board = summary.board()
        plan = plan_book(Path(summary.location), summary.tables, summary.title, board, mark)
        if plan.unchanged:
            remove_stale_temps(Path(summary.location))  # as a write would: what a killed run left beside it
            unchanged.add(summary.location)
        else:
            todo.append((summary, mark, board, plan))
    encoded = encode_fast_tabs([s.tables for s, *_ in todo], cells, [plan.kept for *_, plan in todo])
    for (summary, mark, board, plan), fast in zip(todo, encoded):

        def check(summary: ClientSummary = summary) -> None:
            check_summary_path(Path(summary.location), summary.client_id, book_id, summary.title)

        try:
            write_client_workbook(
                Path(summary.location), summary.tables, summary.title, cells, fast, mark, check, board, plan
            )
        except SummaryRefused as reason:
            failed[summary.location] = str(reason)
        except OSError as error:
            failed[summary.location] = f"cannot be written ({error.strerror or error})"
    return Written(failed, frozenset(unchanged))


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_worker_cells: CellCache | None = None  # in a worker: the cells of the books it wrote so far


def _start_worker(parent: int) -> None:
    """Die with the parent, however it dies; leave Ctrl-C and SIGTERM to it (it finishes its writes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _write_in_worker(batch: list[ClientSummary], book_id: str) -> Written:
    global _worker_cells
    _worker_cells = _worker_cells or CellCache()
    return write_batch(batch, book_id, _worker_cells)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
