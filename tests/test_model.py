"""The frames between stages are what sync/model/frames.py declares: columns, order and dtypes."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.app.sample import write_sample_book
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.compute.ledger import compute
from sync.config import Config
from sync.model.frames import BOOK_COLUMNS, LEDGER_COLUMNS, Book, Ledger, undeclared
from sync.model.schema import INPUT_TAB_NAMES
from sync.rules.load import input_frames
from sync.rules.validate import validate
from tests.books import small_book, validated

AS_OF = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Book, Ledger]:
    """The demo's book: every kind of contract (hourly, retainer, closed), rate and row."""
    path = tmp_path_factory.mktemp("sample") / "team.xlsx"
    write_sample_book(path, AS_OF)
    book, _ = validate(input_frames(LocalWorkbook(path).read_tabs(list(INPUT_TAB_NAMES))), Config(), AS_OF)
    return book, compute(book, AS_OF)


def test_declarations_cover_every_frame():
    assert list(BOOK_COLUMNS) == list(Book._fields)
    assert list(LEDGER_COLUMNS) == list(Ledger._fields)
    assert all(
        column.dtype for frame in (*BOOK_COLUMNS.values(), *LEDGER_COLUMNS.values()) for column in frame.values()
    )


def test_book_and_ledger_match_their_declarations(sample):
    book, ledger = sample
    assert all(len(frame) for frame in book), "the sample should fill every frame"
    for name, frame in book._asdict().items():
        assert undeclared(frame, BOOK_COLUMNS[name]) == [], f"Book.{name}"
    for name, frame in ledger._asdict().items():
        assert undeclared(frame, LEDGER_COLUMNS[name]) == [], f"Ledger.{name}"


def test_an_inline_book_matches_too():
    book, _ = validated(small_book())
    ledger = compute(book, AS_OF)
    for name, frame in ledger._asdict().items():
        assert undeclared(frame, LEDGER_COLUMNS[name]) == [], f"Ledger.{name}"


def test_a_changed_frame_is_caught(sample):
    book, _ = sample
    renamed = book.payments.rename(columns={"amount": "amount_cents"})
    assert undeclared(renamed, BOOK_COLUMNS["payments"])
    as_float = book.payments.assign(amount=book.payments["amount"].astype(float))
    assert undeclared(as_float, BOOK_COLUMNS["payments"]) == ["amount is float64, declared int64"]
