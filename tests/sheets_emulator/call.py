"""One API call as the route handlers see it: path variables, query, body, and the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import errors
from .state import Spreadsheet, Store

# The recordings' "private" spreadsheet: it exists on Google but the recorder had no access.
PRIVATE_SPREADSHEET_ID = "1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc"


@dataclass
class Call:
    method: str
    template: str
    path: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    store: Store

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def params(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def flag(self, name: str) -> bool:
        """Google reads booleans case-insensitively (gspread sends Python's "True"/"False")."""
        return (self.param(name) or "").lower() == "true"

    def enum(self, name: str, allowed: tuple[str, ...], proto: str) -> str:
        """A query enum, defaulting to the first allowed value; anything else is refused the way
        the JSON gateway refuses it."""
        value = self.param(name, allowed[0])
        if value not in allowed:
            snake = "".join("_" + c.lower() if c.isupper() else c for c in name)
            raise errors.invalid_argument(
                f"Invalid value at '{snake}' (type.googleapis.com/google.apps.sheets.v4.{proto}), \"{value}\""
            )
        return value

    def json_body(self) -> dict:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise errors.invalid_argument("Invalid JSON payload received. Expected an object.")
        return self.body

    def book(self, write: bool = False) -> Spreadsheet:
        """The spreadsheet in the path, or Google's 404 (none), 403 (no access, or only
        read access for a change)."""
        book_id = self.path["id"]
        if book_id == PRIVATE_SPREADSHEET_ID:
            raise errors.permission_denied()
        book = self.store.spreadsheets.get(book_id)
        if book is None:
            raise errors.not_found()
        role = self.store.role(self.store.files[book_id])
        if role is None or (write and role in ("reader", "commenter")):
            raise errors.permission_denied()
        return book

    @contextmanager
    def change(self) -> Iterator[Spreadsheet]:
        """A working copy that replaces the spreadsheet only if the block finishes: a failed
        request leaves nothing behind."""
        draft = self.book(write=True).copy()
        yield draft
        self.store.commit(draft)
