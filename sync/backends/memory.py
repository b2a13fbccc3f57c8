"""A whole book held in memory: the fixture for tests, and the reference for the seam."""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from sync.backends import RawTab
from sync.table import Table


class MemoryBook:
    name = "memory"

    def __init__(self, tabs: dict[str, RawTab]) -> None:
        self.tabs = tabs
        self.outputs: dict[str, Table] = {}
        self.summaries: dict[str, dict[str, Table]] = {}
        self.titles: dict[str, str] = {}

    def read_tabs(self, names: list[str]) -> dict[str, RawTab]:
        tabs = self.tabs | {name: [table.columns, *table.rows()] for name, table in self.outputs.items()}
        by_key = {name.strip().casefold(): name for name in tabs}
        found = {name: by_key.get(name.casefold()) for name in names}
        return {name: [list(row) for row in tabs[key]] for name, key in found.items() if key is not None}

    def write_tabs(self, tables: dict[str, Table], hidden: frozenset[str] = frozenset()) -> None:
        self.outputs.update(tables)
        self.hidden = set(hidden)

    def lock(self, wait_seconds: float) -> AbstractContextManager[None]:
        return nullcontext()  # one process holds the book

    api_requests = None

    def summary_location(self, client_id: str, target: str) -> str:
        return target or f"clients/{client_id}"

    def audit_summary(self, location: str, allowed: list[str]) -> list[str]:
        return []  # a file's readers are whoever can read the folder: nothing to audit

    def write_client_summaries(self, summaries: list[tuple[str, str, dict[str, Table]]]) -> None:
        for summary in summaries:
            self.write_client_summary(*summary)

    def write_client_summary(self, location: str, title: str, tables: dict[str, Table]) -> None:
        self.summaries[location] = tables
        self.titles[location] = title
