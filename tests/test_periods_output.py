"""Retainer periods as people see them: the Periods tab, Balances' period columns and the client's
current period and Periods history, shaped from a ledger written by hand and written by each backend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pandas as pd
import xlsxwriter
from python_calamine import CalamineWorkbook

from sync.app import pipeline
from sync.backends import ClientSummary
from sync.backends.memory import MemoryBook
from sync.backends.xlsx.client_book import write_client_workbook
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.compute.ledger import compute
from sync.config import Config
from sync.model.frames import Ledger
from sync.model.schema import CLIENT_TABS, OUTPUT_TABS, PERIODS_COLUMNS
from sync.model.table import Table
from sync.rules.cells import MS_PER_HOUR
from sync.shape.report import client_tables, team_tables
from tests.books import AS_OF, sheet, small_book, validated
from tests.test_docs import shown
from tests.test_golden import PERIODIC
from tests.test_google import google, local_book

COMPUTED_AT = dt.datetime(2026, 7, 1, 2, 0)

# The engine's figures, as the ledger holds them: hours here, milliseconds there; money in minor units.
PERIODS = sheet("""
| contract_id | period_start | period_end | included | carried_in | used | carried_out | expired | overage | overage_amount | fee    | minor |
| K-2         | 2026-04-01   | 2026-06-30 | 30       | 0          | 1.5  | 20          | 8.5     | 0       | 0              | 300000 | 2     |
| K-1         | 2026-06-01   | 2026-06-30 | 10       | 6          | 17.5 | 0           | 0       | 1.5     | 22500          | 100000 | 2     |
| K-1         | 2026-05-01   | 2026-05-31 | 10       | 0          | 4    | 6           | 0       | 0       | 0              | 100000 | 2     |
""")
# period_left_ms and pace of each contract's current period (blank: not periodic).
CURRENT = {"K-1": (-1.5, "ahead"), "K-2": (20, "behind"), "K-3": (None, None)}


def ms(hours: str) -> int:
    return int(D(hours) * MS_PER_HOUR)


def ledger_periods(rows: list[list[str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    out = pd.DataFrame(
        {
            "contract_id": frame["contract_id"].astype(object),
            "period_start": pd.to_datetime(frame["period_start"]),
            "period_end": pd.to_datetime(frame["period_end"]),
        }
    )
    for column in ("included", "carried_in", "used", "carried_out", "expired", "overage"):
        out[f"{column}_ms"] = frame[column].map(ms).astype("int64")
    for column in ("overage_amount", "fee", "minor"):
        out[column] = frame[column].astype("int64")
    return out


def hand_ledger(periods: list[list[str]] = PERIODS, current: dict = CURRENT) -> Ledger:
    """The small book's ledger with these periods and current-period figures in place of the engine's."""
    ledger = compute(validated(small_book())[0], AS_OF)
    contracts = ledger.contracts
    left, pace = zip(*(current[cid] for cid in contracts["contract_id"]))
    return ledger._replace(
        contracts=contracts.assign(
            periodic=[h is not None for h in left],
            period_left_ms=pd.array([pd.NA if h is None else ms(str(h)) for h in left], dtype="Int64"),
            pace=pd.Series([pd.NA if p is None else p for p in pace], index=contracts.index, dtype=object),
        ),
        periods=with_positions(ledger_periods(periods), contracts),
    )


def with_positions(periods: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Periods with `contract`, each row's position in Ledger.contracts, as the engine gives them."""
    return periods.assign(contract=pd.Index(contracts["contract_id"]).get_indexer(periods["contract_id"]))


def no_problems() -> pd.DataFrame:
    return validated(small_book())[1]


def tables_of(ledger: Ledger) -> dict[str, Table]:
    return team_tables(ledger, no_problems(), AS_OF, COMPUTED_AT)


def printed(table: Table) -> list[list[str]]:
    return [table.columns, *shown(table)]


# --- the team tabs ----------------------------------------------------------------------


def test_periods_is_written_after_monthly():
    assert (
        list(tables_of(hand_ledger()))
        == list(OUTPUT_TABS)
        == ["Dashboard", "Balances", "Monthly", "Periods", "Requests Summary", "Errors"]
    )


def test_periods_tab_by_contract_then_period_start():
    assert printed(tables_of(hand_ledger())["Periods"]) == sheet("""
| Contract ID | Period Start | Period End | Included | Carried In | Used  | Carried Out | Expired | Overage Hours | Overage Amount | Fee      |
| K-1         | 2026-05-01   | 2026-05-31 | 10.00    | 0.00       | 4.00  | 6.00        | 0.00    | 0.00          | 0.00           | 1,000.00 |
| K-1         | 2026-06-01   | 2026-06-30 | 10.00    | 6.00       | 17.50 | 0.00        | 0.00    | 1.50          | 225.00         | 1,000.00 |
| K-2         | 2026-04-01   | 2026-06-30 | 30.00    | 0.00       | 1.50  | 20.00       | 8.50    | 0.00          | 0.00           | 3,000.00 |
""")


def test_periods_values_are_exact_kinds():
    periods = tables_of(hand_ledger())["Periods"]
    assert list(periods.kinds.values()) == ["text", "date", "date"] + ["hours"] * 6 + ["money"] * 2
    row = periods.rows()[1]
    assert row[1:3] == [dt.date(2026, 6, 1), dt.date(2026, 6, 30)]
    assert row[5] == D("17.50") and row[9] == D("225.00") and all(type(v) is D for v in row[3:])


def test_money_keeps_the_currency_minor_unit():
    yen = [PERIODS[0], ["K-2", "2026-04-01", "2026-06-30", "30", "0", "31", "0", "0", "1", "9000", "300000", "0"]]
    row = tables_of(hand_ledger(yen))["Periods"].rows()[0]
    assert row[-2:] == [D("9000"), D("300000")] and str(row[-1]) == "300000"


def test_a_book_without_periodic_contracts_gets_a_periods_header_alone():
    ledger = hand_ledger(PERIODS[:1], dict.fromkeys(CURRENT, (None, None)))
    periods = tables_of(ledger)["Periods"]
    assert periods.columns == list(PERIODS_COLUMNS) and periods.frame.empty
    balances = tables_of(ledger)["Balances"].frame
    assert balances[["Period Hours Left", "Pace"]].isna().all().all()


def test_balances_period_columns_follow_runs_out():
    balances = tables_of(hand_ledger())["Balances"]
    at = balances.columns.index("Runs Out")
    assert balances.columns[at : at + 4] == ["Runs Out", "Period Hours Left", "Pace", "Last Activity"]
    assert (balances.kinds["Period Hours Left"], balances.kinds["Pace"]) == ("hours", "text")
    frame = balances.frame.set_index("Contract ID")
    assert frame.loc["K-1", "Period Hours Left"] == D("-1.50") and frame.loc["K-1", "Pace"] == "ahead"
    assert frame.loc["K-2", "Period Hours Left"] == D("20.00") and frame.loc["K-2", "Pace"] == "behind"
    assert frame.loc["K-3", "Period Hours Left"] is None and frame.loc["K-3", "Pace"] is None


# --- the client summary -----------------------------------------------------------------


def client(ledger: Ledger, client_id: str) -> dict[str, Table]:
    balances = tables_of(ledger)["Balances"].frame
    return dict(client_tables(ledger, balances, [client_id]))[client_id]


def test_client_summary_shows_the_current_period():
    summary = client(hand_ledger(), "C-1")["Summary"]
    assert summary.columns == list(CLIENT_TABS["Summary"])
    columns = ["Contract ID", "Period Included", "Period Carried", "Period Used", "Period Left", "Pace"]
    assert [[row[summary.columns.index(c)] for c in columns] for row in shown(summary)] == [
        ["K-1", "10.00", "6.00", "17.50", "-1.50", "ahead"],
        ["K-3", "", "", "", "", ""],  # not periodic
    ]


def test_client_summary_leaves_a_period_that_is_over_blank():
    """A periodic contract whose periods are all before the As Of date has no current period."""
    ledger = hand_ledger(PERIODS[:1] + PERIODS[3:], {**CURRENT, "K-1": (None, None)})
    summary = client(ledger, "C-1")["Summary"]
    assert [row[8:13] for row in shown(summary)] == [[""] * 5, [""] * 5]


def test_client_periods_hold_only_their_contracts():
    ledger = hand_ledger()
    one, two = client(ledger, "C-1")["Periods"], client(ledger, "C-2")["Periods"]
    assert one.columns == two.columns == list(CLIENT_TABS["Periods"]) == list(PERIODS_COLUMNS)
    assert shown(one) == shown(tables_of(ledger)["Periods"])[:2]
    assert shown(two) == shown(tables_of(ledger)["Periods"])[2:]
    assert one.kinds == tables_of(ledger)["Periods"].kinds


# --- the backends -----------------------------------------------------------------------


def test_local_team_book_gets_a_periods_tab(tmp_path):
    path = tmp_path / "team.xlsx"
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Clients").write_row(0, 0, ["Client ID", "Name"])
    book.close()
    LocalWorkbook(path).write_tabs(tables_of(hand_ledger()))
    read = CalamineWorkbook.from_path(path)
    assert read.sheet_names == ["Clients", "Dashboard", "Balances", "Monthly", "Periods", "Requests Summary", "Errors"]
    rows = read.get_sheet_by_name("Periods").to_python()
    assert rows[0] == list(PERIODS_COLUMNS)
    assert rows[2][:6] == ["K-1", dt.date(2026, 6, 1), dt.date(2026, 6, 30), 10.0, 6.0, 17.5]
    assert rows[2][9:] == [225.0, 1000.0]


def test_local_client_book_gets_a_periods_tab(tmp_path):
    path = tmp_path / "C-1.xlsx"
    write_client_workbook(path, client(hand_ledger(), "C-1"), "Acme Ltd - contract summary")
    read = CalamineWorkbook.from_path(path)
    assert read.sheet_names == ["Summary", "Activity", "Payments", "Statement", "Periods"]  # no requests
    rows = read.get_sheet_by_name("Periods").to_python()
    assert [row[:3] for row in rows] == [
        list(PERIODS_COLUMNS[:3]),
        ["K-1", dt.date(2026, 5, 1), dt.date(2026, 5, 31)],
        ["K-1", dt.date(2026, 6, 1), dt.date(2026, 6, 30)],
    ]
    summary = read.get_sheet_by_name("Summary").to_python()
    assert figure_under(summary, "Hours left this period") == "0.00 of 16.00"  # 17.50 used: 1.50 over
    assert figure_under(summary, "Period ends") == "30 Jun 2026"


def figure_under(grid: list[list], label: str) -> object:
    """On a Summary dashboard, the figure in the cell under `label`."""
    ((row, col),) = [(r, c) for r, cells in enumerate(grid) for c, value in enumerate(cells) if value == label]
    return grid[row + 1][col]


def test_google_writes_the_periods_tabs(emulator):
    ledger = hand_ledger()
    team = emulator.create_spreadsheet("Team", {"Clients": [["Client ID"]]})
    acme = emulator.create_spreadsheet("Acme summary")
    backend = google(emulator, team)
    backend.read_tabs(["Clients"])
    backend.write_tabs(tables_of(ledger))
    summary = ClientSummary(acme, "C-1", "Acme Ltd - contract summary", client(ledger, "C-1"))
    assert backend.write_client_summaries([summary]).failed == {}
    serial = (dt.date(2026, 6, 1) - dt.date(1899, 12, 30)).days
    periods = emulator.values(team, "Periods")
    assert periods[0] == list(PERIODS_COLUMNS) and periods[2][:4] == ["K-1", serial, serial + 29, 10]
    assert periods[2][9:] == [225, 1000]
    mine = emulator.values(acme, "Periods")
    assert [row[0] for row in mine] == ["Contract ID", "K-1", "K-1"]
    summary = emulator.values(acme, "Summary")
    assert figure_under(summary, "Hours left this period") == "0.00 of 16.00"
    assert figure_under(summary, "Period ends") == "30 Jun 2026"


# --- through the whole sync -------------------------------------------------------------


def test_a_closed_period_keeps_its_row_while_later_periods_fill():
    def periods(as_of: dt.date, time: list[list[str]]) -> list[list[str]]:
        book = MemoryBook({**PERIODIC, "Time": time})
        pipeline.run(book, Config(), as_of, computed_at=COMPUTED_AT)
        return shown(book.outputs["Periods"])

    before = periods(dt.date(2026, 3, 30), PERIODIC["Time"])
    later = PERIODIC["Time"] + [
        ["2026-04-02", "Ann", "R-1", "More", "", "6", "", ""],
        ["2026-05-20", "Ann", "R-1", "More", "", "3", "", ""],
    ]
    after = periods(dt.date(2026, 6, 30), later)
    closed = [row for row in before if row[2] < "2026-03-15"]  # ended before the As Of date's period
    assert closed and [row for row in after if row in closed] == closed


def test_local_and_google_books_show_the_same_periods(emulator, tmp_path):
    clients = [PERIODIC["Clients"][0]] + [
        row[:3] + [emulator.create_spreadsheet(f"{row[1]} summary")] for row in PERIODIC["Clients"][1:]
    ]
    spreadsheet = emulator.create_spreadsheet("Team", {**PERIODIC, "Clients": clients})
    on_google = pipeline.run(google(emulator, spreadsheet), Config(), AS_OF, computed_at=COMPUTED_AT)
    local = local_book(tmp_path / "team.xlsx", PERIODIC)
    in_xlsx = pipeline.run(local, Config(), AS_OF, computed_at=COMPUTED_AT)
    assert on_google.exit_code == in_xlsx.exit_code == 0
    for name in ("Balances", "Periods"):
        assert on_google.tables[name].frame.equals(in_xlsx.tables[name].frame), name
    periods = on_google.tables["Periods"]
    assert len(periods.frame) == 8
    assert emulator.values(spreadsheet, "Periods")[0] == list(PERIODS_COLUMNS)
    assert len(emulator.values(spreadsheet, "Periods")) == 9
    read = CalamineWorkbook.from_path(tmp_path / "team.xlsx").get_sheet_by_name("Periods").to_python()
    assert [row[0] for row in read] == ["Contract ID"] + periods.frame["Contract ID"].tolist()
    pine = CalamineWorkbook.from_path(tmp_path / "clients" / "P-1.xlsx").get_sheet_by_name("Periods").to_python()
    assert [row[:2] for row in pine[1:]] == [
        [cid, start] for cid, start in periods.frame[["Contract ID", "Period Start"]].values.tolist()[:6]
    ]
    quay = emulator.values(clients[2][3], "Periods")
    assert [row[0] for row in quay] == ["Contract ID", "R-2", "R-2"]
