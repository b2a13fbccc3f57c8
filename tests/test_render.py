"""Client summaries as a client sees them: printed by LibreOffice, read back from the PDF.

The demo's book is run as `scripts/demo` runs it, with one client given three contracts (a
retainer and two in two currencies); each client's book is converted to PDF by LibreOffice
headless, its text read with pdftotext, and its first page kept as a PNG in artifacts/render/
to look at (`pdftoppm`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sync.app import pipeline
from sync.app.sample import AGENCY, write_sample_book
from sync.app.sample import CLIENTS as SAMPLE_CLIENTS
from sync.backends.xlsx.workbook import LocalWorkbook
from sync.config import Config
from sync.shape.dashboard import date_words, money_words

TOOLS = ("soffice", "pdftotext", "pdftoppm", "pdfinfo")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]
rendering = pytest.mark.skipif(
    bool(MISSING),
    reason=f"{', '.join(MISSING)} not installed: apt-get install libreoffice-calc-nogui poppler-utils to render summaries",
)
AS_OF = dt.date(2026, 12, 5)
CLIENTS = ["C-001", "C-002", "C-003", "C-004", "C-005"]
THREE = "C-005"  # given K-004 (EUR) and K-005 (USD) beside its retainer
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "render"
LETTER, A4 = "612 x 792", "595.3 x 841.9"  # points, as pdfinfo prints them (rounded here)


def convert(books: list[Path], folder: Path) -> None:
    """Each book as a PDF in `folder`, by LibreOffice with a profile of its own (runs may overlap)."""
    profile = (folder / "profile").as_uri()
    command = ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir"]
    subprocess.run([*command, str(folder), *map(str, books)], check=True, capture_output=True, timeout=300)


def pages(pdf: Path) -> list[str]:
    """The text of each page, its white space made single spaces."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def paper(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups()
    return f"{float(width):.1f} x {float(height):.1f}".replace(".0 ", " ").removesuffix(".0")


def sample(folder: Path, locale: str) -> pipeline.RunResult:
    book = folder / "ledger.xlsx"
    write_sample_book(book, AS_OF)
    workbook = openpyxl.load_workbook(book)
    contracts = workbook["Contracts"]
    for row in contracts.iter_rows(min_row=2):
        if row[0].value in ("K-004", "K-005"):
            row[1].value = THREE
    workbook.save(book)
    return pipeline.run(LocalWorkbook(book), Config(agency_name=AGENCY, locale=locale).checked(), AS_OF)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, pipeline.RunResult]:
    folder = tmp_path_factory.mktemp("render")
    result = sample(folder, "en_US")
    assert sorted(p.stem for p in (folder / "clients").iterdir()) == CLIENTS
    convert(sorted((folder / "clients").iterdir()), folder / "pdf")
    return folder / "pdf", result


@rendering
@pytest.mark.parametrize("client_id", CLIENTS)
def test_the_summary_prints_as_one_page_naming_the_client_the_balance_and_when_it_runs_out(rendered, client_id):
    pdfs, result = rendered
    text = pages(pdfs / f"{client_id}.pdf")
    balances = result.tables["Balances"].frame
    mine = balances[balances["Client ID"] == client_id]
    name = dict((c[0], c[1]) for c in SAMPLE_CLIENTS)[client_id]
    summary, activity = text[0], text[1]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / f"{client_id}-summary"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdfs / f"{client_id}.pdf"), str(png)],
        check=True,
    )
    assert png.with_suffix(".png").stat().st_size > 10_000
    as_of = f"as of {date_words(AS_OF, 'en_US')}" if len(mine) else ": no contract yet"
    assert summary.startswith(f"{AGENCY} {name} Contract summary{' ' if len(mine) else ''}{as_of}")
    assert summary.endswith(f"{name} Summary Page 1 of {len(text)}")  # the footer
    assert activity.startswith("Date Contract ID Task")  # the Summary is one page: the next is Activity's
    assert all(name in page and f"of {len(text)}" in page for page in text)  # every footer: client, page n of N
    if mine.empty:  # C-004's contracts went to C-005
        assert "Balance" not in summary
        return
    for _, contract in mine.iterrows():
        assert money_words(contract["Balance"], contract["Currency"], "en_US") in summary  # $1,950.00, €..., £...
        assert contract["Contract"] in summary
        if contract["Pace"] is not None:
            assert "The period ends on" in summary or "hours are used up" in summary or "run out about" in summary
        elif contract["Status"] in ("OK", "LOW") and contract["Runs Out"] is not None:
            assert f"lasts until about {date_words(contract['Runs Out'], 'en_US')}" in summary
    assert "Work completed in the last 30 days" in summary
    assert paper(pdfs / f"{client_id}.pdf") == LETTER  # en_US


@rendering
def test_a_client_with_three_contracts_in_two_currencies_still_gets_one_page(rendered):
    pdfs, result = rendered
    balances = result.tables["Balances"].frame
    assert sorted(balances[balances["Client ID"] == THREE]["Contract ID"]) == ["K-004", "K-005", "R-001"]
    summary, activity = pages(pdfs / f"{THREE}.pdf")[:2]
    assert "€" in summary and "$" in summary and "Activity" in activity and "Summary" not in activity
    assert "Total EUR" in " ".join(pages(pdfs / f"{THREE}.pdf")[1:])  # Activity's totals, one per currency


@rendering
def test_tables_print_their_full_width_with_the_header_on_every_page(rendered):
    pdfs, _ = rendered
    text = pages(pdfs / "C-001.pdf")
    activity = [page for page in text[1:] if " Activity " in f" {page} " and "Date Contract ID Task" in page]
    assert len(activity) >= 2  # a long Activity tab: its header row again on every page
    assert all("Work Type Hours Billable Amount" in page for page in activity)  # every column on the page


@rendering
def test_a_british_locale_prints_on_a4_and_spells_money_its_way(tmp_path):
    result = sample(tmp_path, "en_GB")
    book = tmp_path / "clients" / "C-003.xlsx"
    convert([book], tmp_path / "pdf")
    pdf = tmp_path / "pdf" / "C-003.pdf"
    assert paper(pdf) == A4
    balances = result.tables["Balances"].frame
    balance = balances[balances["Client ID"] == "C-003"]["Balance"].iloc[0]
    assert money_words(balance, "GBP", "en_GB") in pages(pdf)[0]


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI promises the render tools (.ci/run installs them)")
def test_ci_has_the_render_tools():
    assert not MISSING  # a skip in CI would hide a broken render
