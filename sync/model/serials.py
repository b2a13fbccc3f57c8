"""Spreadsheet serial numbers: the day each date system counts from, and dates as serials.

A spreadsheet stores a date as a number of days since its epoch, and a time of day as the
fraction of a day. Excel, LibreOffice and Google Sheets count from 1899-12-30 (`EPOCH`); a
workbook whose workbookPr says date1904 (old Mac Excel) counts from 1904-01-01. Here, low in
the stages, so that whatever reads or writes serials (the rules, the Sync Log, the backends, the
sample and the benchmark books) takes the one definition.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

EPOCH = dt.date(1899, 12, 30)  # day 0 of the 1900 date system (Excel, LibreOffice, Google Sheets)
EPOCH_1904 = dt.date(1904, 1, 1)  # day 0 of a workbook that says date1904
EPOCH_MIDNIGHT = dt.datetime.combine(EPOCH, dt.time())  # EPOCH as a datetime, for moments
EPOCH_TIMESTAMP = pd.Timestamp(EPOCH).as_unit("us")  # EPOCH for pandas, in the unit pandas gives "1899-12-30"
# Excel's 1900 system counts a 29 Feb 1900 that never was (serial 60), so its serials are days since
# EPOCH only from 1900-03-01 on; a 1904 workbook's are exact from its epoch.
FIRST_EXACT_1900 = dt.date(1900, 3, 1)


def epoch(date1904: bool = False) -> dt.date:
    """Day 0 of a workbook's date system."""
    return EPOCH_1904 if date1904 else EPOCH


def first_exact_day(date1904: bool = False) -> dt.date:
    """The first day whose serial in Excel is its days since epoch(date1904): earlier ones are off by one."""
    return EPOCH_1904 if date1904 else FIRST_EXACT_1900


def serial_day(day: dt.date, date1904: bool = False) -> int:
    """A date as the serial number of its day."""
    return (day - epoch(date1904)).days


def serial_moment(moment: dt.datetime, date1904: bool = False) -> float:
    """A naive datetime as a serial number: its day, and its time of day as the fraction of a day."""
    midnight = EPOCH_MIDNIGHT if not date1904 else dt.datetime.combine(EPOCH_1904, dt.time())
    return (moment - midnight).total_seconds() / 86400
