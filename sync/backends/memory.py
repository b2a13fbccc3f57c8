"""A whole book held in memory: the fixture for tests, and the reference for the seam."""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager, nullcontext

from sync.backends import ClientSummary, Written
from sync.model.raw import RawTab
from sync.model.schema import find_tabs, tab_key
from sync.model.table import Table
from sync.shape.dashboard import Dashboard


class MemoryBook:
    """A Backend whose book is a dict of tabs: what it reads are `tabs`, what it writes is kept in
    `outputs`, `summaries`, `dashboards` and `titles` for a test to look at."""

    name = "memory"
    keeps_records = False

    def __init__(self, tabs: dict[str, RawTab]) -> None:
        """A book of these tabs (name -> cells), nothing written yet."""
        self.tabs = tabs
        self.outputs: dict[str, Table] = {}
        self.summaries: dict[str, dict[str, Table]] = {}
        self.dashboards: dict[str, Dashboard] = {}
        self.titles: dict[str, str] = {}
        self.writes = 0  # write_tabs calls, for fingerprint()

    def read_tabs(self, names: list[str]) -> dict[str, RawTab]:
        """The named tabs that exist, an output written this run in place of the tab it matches."""
        found = find_tabs(self._titles(), names)
        return {name: self._rows(title) for name, title in found.items()}

    def write_tabs(self, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
        """Keep `tables` as outputs, each replacing any output of the same name however spelled."""
        find_tabs(self._titles(), tables)  # as every backend, refuses a book where two tabs match one name
        for name in tables:  # a table replaces the tab it matches, however that is spelled
            self.outputs = {old: table for old, table in self.outputs.items() if tab_key(old) != tab_key(name)}
        self.outputs.update(tables)
        self.hidden = set(hidden)
        self.writes += 1

    def _titles(self) -> list[str]:
        """Every tab's name: each output written takes the place of the given tab it matches."""
        written = {tab_key(name) for name in self.outputs}
        return [name for name in self.tabs if tab_key(name) not in written] + list(self.outputs)

    def _rows(self, title: str) -> list[list]:
        """The tab's cells, header first."""
        if title in self.outputs:
            return [list(self.outputs[title].columns), *self.outputs[title].rows()]
        return [list(row) for row in self.tabs[title]]

    def fingerprint(self) -> str | None:
        """How many times output tabs were written, and a digest of the input tabs' cells: a test's
        edit of `tabs` changes it, as a write does."""
        cells = repr(sorted((name, [list(row) for row in rows]) for name, rows in self.tabs.items()))
        return f"{self.writes}:{hashlib.sha256(cells.encode()).hexdigest()[:16]}"

    def lock(self, wait_seconds: float) -> AbstractContextManager[None]:
        """No lock: one process holds the book."""
        return nullcontext()  # one process holds the book

    def confirm_lock(self) -> None:
        """Nothing to confirm: there is no lock to lose."""

    api_requests = None
    quota_wait_seconds = None

    def summary_location(self, client_id: str, target: str) -> str:
        """`target` as it is, or clients/<ID> when blank."""
        return target or f"clients/{client_id}"

    def check_summary(self, location: str, client_id: str, title: str, allowed: list[str]) -> list[str]:
        """Every summary may be written, and no one to report."""
        return []  # a file's readers are whoever can read the folder: nothing to audit

    def write_client_summaries(self, summaries: list[ClientSummary]) -> Written:
        """Keep each summary's tables and title by location; none fails."""
        for summary in summaries:
            self.summaries[summary.location] = summary.tables
            self.dashboards[summary.location] = summary.board()
            self.titles[summary.location] = summary.title
        return Written({})
