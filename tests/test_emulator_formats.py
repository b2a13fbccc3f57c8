"""Number formats in the emulator, as Sheets has them: what typing (USER_ENTERED) does in a cell
that already has a format, and what FORMATTED_VALUE shows for the formats the sync and its users
apply. The sync's own use of them: tests/test_google_typed.py."""

from __future__ import annotations

import pytest

from tests.sheets_emulator import numfmt

TEXT = {"type": "TEXT", "pattern": "@"}
MONEY = {"type": "NUMBER", "pattern": "#,##0.00"}
ISO_DATE = {"type": "DATE", "pattern": "yyyy-mm-dd"}


@pytest.fixture
def sheet(emulator, gspread_client):
    return gspread_client.open_by_key(emulator.create_spreadsheet("Formats", {"Sheet1": [["header"]]})).sheet1


def formatted(sheet, column, number_format):
    sheet.format(f"{column}2:{column}20", {"numberFormat": number_format})


def typed(sheet, column, texts):
    sheet.update([[text] for text in texts], f"{column}2", value_input_option="USER_ENTERED")


def read(sheet, column, n, **options):
    rows = sheet.get(f"{column}2:{column}{n + 1}", pad_values=True, **options)
    return [row[0] if row else "" for row in rows]


def test_a_plain_text_cell_keeps_what_is_typed_as_text(sheet, emulator):
    """Format > Number > Plain text: 1:30 stays 1:30, a formula stays its text."""
    formatted(sheet, "A", TEXT)
    texts = ["1:30", "0.5", "=1+1", "TRUE", "2026-01-06", "25:00", "$1,000.00", "7"]
    typed(sheet, "A", texts)
    assert read(sheet, "A", len(texts), value_render_option="UNFORMATTED_VALUE") == texts
    assert read(sheet, "A", len(texts)) == texts
    assert read(sheet, "A", len(texts), value_render_option="FORMULA") == texts
    assert emulator.cell(sheet.spreadsheet_id, "Sheet1", "A2")["userEnteredValue"] == {"stringValue": "1:30"}
    assert emulator.cell(sheet.spreadsheet_id, "Sheet1", "A2")["userEnteredFormat"]["numberFormat"] == TEXT


def test_a_number_in_a_plain_text_cell_shows_as_it_is(sheet):
    """RAW numbers (and JSON numbers typed: "Numbers will stay as numbers") are numbers still,
    shown plainly, never as the literal "@"."""
    formatted(sheet, "A", TEXT)
    sheet.update([[0.0625], [1234.5]], "A2", value_input_option="RAW")
    sheet.update([[42]], "A4", value_input_option="USER_ENTERED")
    assert read(sheet, "A", 3) == ["0.0625", "1234.5", "42"]
    assert read(sheet, "A", 3, value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING") == [
        0.0625,
        1234.5,
        42,
    ]


def test_a_date_or_time_typed_into_a_number_cell_becomes_a_date_or_time_cell(sheet, emulator):
    """A Number-formatted Amount cell typed 2026-05-03 reads back as a date, 1:30 as a time, 25:00
    as a duration: FORMATTED_STRING tells them from amounts. A plain number keeps the format."""
    formatted(sheet, "B", MONEY)
    typed(sheet, "B", ["2026-05-03", "1:30", "25:00", "1234.5", "1,234.5"])
    assert read(sheet, "B", 5, value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING") == [
        "2026-05-03",
        "1:30:00 AM",
        "25:00:00",
        1234.5,
        1234.5,
    ]
    assert read(sheet, "B", 5) == ["2026-05-03", "1:30:00 AM", "25:00:00", "1,234.50", "1,234.50"]
    kinds = [
        emulator.cell(sheet.spreadsheet_id, "Sheet1", f"B{row}")["userEnteredFormat"]["numberFormat"]["type"]
        for row in range(2, 7)
    ]
    assert kinds == ["DATE", "TIME", "TIME", "NUMBER", "NUMBER"]  # the API has no DURATION type


def test_a_date_typed_into_a_date_cell_keeps_the_cells_look(sheet):
    formatted(sheet, "C", ISO_DATE)
    typed(sheet, "C", ["1/6/2026", "2026-01-07", "46030"])
    assert read(sheet, "C", 3) == ["2026-01-06", "2026-01-07", "2026-01-08"]
    assert read(sheet, "C", 3, value_render_option="UNFORMATTED_VALUE") == [46028, 46029, 46030]


def test_times_and_durations_typed_into_plain_cells(sheet):
    typed(sheet, "D", ["1:30", "1:30 PM", "25:00", "100:30:15", "1:75", "13:30 PM"])
    assert read(sheet, "D", 6, value_render_option="UNFORMATTED_VALUE") == [
        0.0625,
        0.5625,
        25 / 24,
        (100 * 3600 + 30 * 60 + 15) / 86400,
        "1:75",
        "13:30 PM",
    ]
    assert read(sheet, "D", 4) == ["1:30:00 AM", "1:30:00 PM", "25:00:00", "100:30:15"]


def test_a_formula_may_have_spaces_after_the_equals_sign(sheet):
    typed(sheet, "E", ["= 1 + 1", "=  2*3"])
    assert read(sheet, "E", 2, value_render_option="UNFORMATTED_VALUE") == [2, 6]
    assert read(sheet, "E", 2, value_render_option="FORMULA") == ["= 1 + 1", "=  2*3"]


@pytest.mark.parametrize(
    "value, number_format, shown",
    [
        (46000, ISO_DATE, "2025-12-09"),
        (46000.5, {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}, "2025-12-09 12:00:00"),
        (46000.75, {"type": "DATE_TIME", "pattern": "M/d/yyyy H:mm:ss"}, "12/9/2025 18:00:00"),
        (0.0625, {"type": "TIME", "pattern": "h:mm:ss am/pm"}, "1:30:00 AM"),
        (25.5 / 24, {"type": "TIME", "pattern": "[h]:mm:ss"}, "25:30:00"),
        (25.5 / 24, {"type": "TIME", "pattern": "[h]:mm"}, "25:30"),  # minutes, not the month
        (1.9999999, {"type": "TIME", "pattern": "[h]:mm:ss"}, "48:00:00"),  # rounded whole
        (-0.5 / 24, {"type": "TIME", "pattern": "[h]:mm:ss"}, "-0:30:00"),
        (1234.5, MONEY, "1,234.50"),
        (-1234.5, MONEY, "-1,234.50"),
        (-1234.5, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}, "-$1,234.50"),  # the sign before the symbol
        (1.5, {"type": "NUMBER", "pattern": "0.00"}, "1.50"),
        (0.125, {"type": "PERCENT", "pattern": "0.00%"}, "12.50%"),
        (0.0625, TEXT, "0.0625"),
    ],
)
def test_formatted_values_of_the_formats_in_use(value, number_format, shown):
    assert numfmt.render(value, number_format) == shown
