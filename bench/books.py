"""Writing a synthetic book as an .xlsx workbook and as a ledger-cli journal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from bench.synthetic import EPOCH


def write_xlsx(tabs: dict[str, list[list]], path: Path) -> None:
    """Serial dates become real date cells, as a person's workbook has them."""
    book = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in tabs.items():
        sheet = book.add_worksheet(name)
        dated = {i for i, column in enumerate(rows[0]) if column in ("Date", "Start", "From")}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                if r and c in dated and isinstance(value, int):
                    sheet.write_datetime(
                        r, c, dt.datetime.combine(EPOCH + dt.timedelta(days=value), dt.time()), date_format
                    )
                else:
                    sheet.write(r, c, value)
    book.close()


def book_paths(folder: Path, size: int, profile: str = "fixed") -> tuple[Path, Path]:
    """Where a profile's book of `size` time rows and its journal go (the fixed profile's names
    are the ones they always had)."""
    stem = f"book-{size}" if profile == "fixed" else f"book-{size}-{profile}"
    return folder / f"{stem}.xlsx", folder / f"{stem}.ledger"


def write_journal(tabs: dict[str, list[list]], path: Path) -> None:
    """The same book's valid time entries, priced by the sync, as a ledger-cli journal; an entry's
    Notes, when it has some, as the transaction's note (so ledger reads the same text)."""
    from sync.compute.ledger import compute
    from sync.config import Config
    from sync.rules.load import input_frames
    from sync.rules.validate import validate

    as_of = dt.date(2026, 11, 29)
    book, _ = validate(input_frames(tabs), Config(), as_of)
    time = compute(book, as_of).time
    from sync.shape.report import money

    currency = time["contract_id"].map(book.contracts.set_index("contract_id")["currency"])
    amount = money(time["amount"], time["minor"]).astype(str)
    lines = (
        time["date"].dt.strftime("%Y/%m/%d")
        + " "
        + time["task"]
        + "\n    Contracts:"
        + time["contract_id"]
        + ":Billed  "
        + amount
        + " "
        + currency
        + "\n    Contracts:"
        + time["contract_id"]
        + ":Prepaid\n"
    )
    notes = time["notes"].fillna("")
    lines = lines.where(notes == "", lines + "    ; " + notes.str.replace("\n", " ") + "\n")
    path.write_text("\n".join(lines), encoding="utf-8")
