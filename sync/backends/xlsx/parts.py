"""What the editors of an .xlsx package share: its XML namespaces and declaration, and `Parts`,
the few things they ask of the package (package.Package has them).

Below package.py, so that the modules it uses (sheet.py for worksheets and styles, marks.py for
custom properties) can name the package they edit without importing package.py back.
"""

from __future__ import annotations

from typing import Protocol

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# lxml would write the declaration with single quotes, which some readers reject.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class Parts(Protocol):
    """An .xlsx package's parts by name, as the styles and custom properties editors use them."""

    def xml(self, name: str) -> etree._Element:
        """A part parsed, to be edited in place (then `touch` it)."""

    def touch(self, name: str) -> None:
        """Mark a parsed part as edited, to be written anew."""

    def put(self, name: str, data: bytes) -> None:
        """Add or replace a part."""

    def add_override(self, name: str, content_type: str) -> None:
        """Declare a part's content type."""

    def add_rel(self, source: str, rel_type: str, part: str) -> str:
        """Relate `part` to `source`; returns the relationship's id."""

    def target_of(self, source: str, type_suffix: str) -> str | None:
        """The part that `source` relates to by a relationship of this type, if any."""
