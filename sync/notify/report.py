"""The monthly report: one e-mail per client with Monthly Report Y for the month before, in plain
text and HTML for a mail client (inline styles, no images), and its delivery.

Every figure is read from the client's own tables (sync.shape.report.client_tables), the ones
their summary book shows: the month's Opening, Billed, Paid and Closing are its Statement rows;
the work, charges and payments are its Activity and Payments lines of that month; a retainer's
periods are its Periods rows. Money and dates are spelt as on the client's Summary
(sync.shape.dashboard), never Notes or Person. Which reports are due is sync.shape.state;
delivery never raises, as for alerts (sync.notify.alerts).
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import NamedTuple

import pandas as pd
from babel.dates import format_date

from sync.compute.requests import OPEN_STATUSES
from sync.config import Config
from sync.model.alerts import PENDING, AlertState
from sync.model.figures import hours_of_ms
from sync.model.frames import ClientRow
from sync.model.schema import addresses
from sync.model.table import Table
from sync.notify import alerts
from sync.notify.alerts import send_and_record
from sync.notify.smtp import SmtpSettings, reason
from sync.shape.dashboard import (
    STATUS_SENTENCES,
    STYLES,
    date_words,
    hours_words,
    money_words,
    records,
    status_sentences,
)
from sync.shape.state import report_month

NAVY, GREY, LINE = STYLES["title"]["color"], STYLES["label"]["color"], "#D9D9D9"


class ReportInput(NamedTuple):
    """What one client's report is made of: their Clients row, their tables as their summary book
    holds them, their requests (rows of Ledger.requests) and where their summary is."""

    client: ClientRow
    tables: dict[str, Table]
    requests: pd.DataFrame
    link: str  # the Google link, or the workbook's file name


class Section(NamedTuple):
    """A part of the report: a heading, sentences, and a table (header first) with its last row a total or not."""

    heading: str
    sentences: list[str]
    rows: list[list[str]]
    total: bool = False
    level: int = 2  # 1: a contract's heading; 2: a part of it
    status: str = ""  # a contract's Status word (OK, LOW, OVERDRAWN, CLOSED), beside its heading


def month_words(month: str, locale: str) -> str:
    """ "2026-11" -> "November 2026", in the locale's month names."""
    return format_date(dt.date.fromisoformat(f"{month}-01"), "MMMM y", locale=locale)


def report_sections(report: ReportInput, month: str, locale: str) -> list[Section]:
    """The report's parts, top to bottom: each contract of the month (its figures, status
    sentence, periods, work, other charges and payments), then the requests."""
    first = dt.date.fromisoformat(f"{month}-01")
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    sentences = status_sentences(report.tables, locale)
    summary = records(report.tables.get("Summary"))
    names = {str(row["Contract ID"]): str(row["Contract"] or row["Contract ID"]) for row in summary}
    currency = {str(row["Contract ID"]): str(row["Currency"]) for row in summary}
    status = {str(row["Contract ID"]): (str(row["Status"]), row["As Of"]) for row in summary}
    retainer = {str(row["Contract ID"]) for row in records(report.tables.get("Periods"))}

    def in_month(name: str, contract_id: str) -> list[dict]:
        return [
            row
            for row in records(report.tables.get(name))
            if str(row["Contract ID"]) == contract_id and row["Date"] and first <= row["Date"] <= last
        ]

    sections = []
    for row in records(report.tables.get("Statement")):
        cid = str(row["Contract ID"])
        if row["Month"] != month or cid not in names:
            continue

        def money(amount: Decimal | None, cid: str = cid) -> str:
            return "" if amount is None else money_words(amount, currency[cid], locale)

        sections.append(
            Section(
                f"{names[cid]} ({cid})",
                [f"As of {date_words(status[cid][1], locale)}: {sentences.get(cid, '')}"],
                [
                    ["", "Amount"],
                    [f"Balance on {date_words(first, locale)}", money(row["Opening"])],
                    ["Paid", money(row["Paid"])],
                    ["Billed", money(row["Billed"])],
                    [f"Balance on {date_words(last, locale)}", money(row["Closing"])],
                ],
                level=1,
                status=status[cid][0],
            )
        )
        for period in records(report.tables.get("Periods")):
            if str(period["Contract ID"]) == cid and period["Period Start"] <= last and period["Period End"] >= first:
                span = f"{date_words(period['Period Start'], locale)} to {date_words(period['Period End'], locale)}"
                sections.append(
                    Section(
                        f"Period {span}",
                        [],
                        [["", "Hours"]]
                        + [[label, hours_words(period[label], locale)] for label in ("Included", "Carried In", "Used")]
                        + [
                            ["Carried Out", hours_words(period["Carried Out"], locale)],
                            ["Overage Hours", hours_words(period["Overage Hours"], locale)],
                            ["Overage Amount", money(period["Overage Amount"])],
                            ["Fee", money(period["Fee"])],
                        ],
                    )
                )
        activity = in_month("Activity", cid)
        work = [a for a in activity if a["Hours"] is not None]

        def amount(value: Decimal | None, cid: str = cid) -> str:
            return "included" if cid in retainer and value == 0 else money(value)

        if work:
            total_hours = sum((a["Hours"] for a in work), Decimal("0.00"))
            total = sum((a["Amount"] or Decimal(0) for a in work), Decimal(0))
            sections.append(
                Section(
                    "Work",
                    [],
                    [["Date", "Task", "Hours", "Amount"]]
                    + [
                        [
                            date_words(a["Date"], locale),
                            str(a["Task"] or a["Work Type"] or ""),
                            hours_words(a["Hours"], locale),
                            amount(a["Amount"]),
                        ]
                        for a in work
                    ]  # fmt: skip
                    + [
                        [
                            f"Total: {len(work)} {'entry' if len(work) == 1 else 'entries'}",
                            "",
                            hours_words(total_hours, locale),
                            amount(total),
                        ]
                    ],  # fmt: skip
                    total=True,
                )
            )
        else:
            sections.append(Section("Work", ["No work was logged this month."], []))
        charges = [a for a in activity if a["Hours"] is None]
        if charges:
            sections.append(
                Section(
                    "Other charges",
                    [],
                    [["Date", "Item", "Amount"]]
                    + [[date_words(a["Date"], locale), str(a["Task"] or ""), money(a["Amount"])] for a in charges],
                )
            )
        paid = in_month("Payments", cid)
        if paid:
            sections.append(
                Section(
                    "Payments received",
                    [],
                    [["Date", "Reference", "Amount"]]
                    + [[date_words(p["Date"], locale), str(p["Reference"] or ""), money(p["Amount"])] for p in paid],
                )
            )
    if not sections:
        sections.append(Section("No contract", ["There were no contract figures for this month."], [], level=1))
    return sections + _requests(report.requests, first, last, locale)


def _requests(requests: pd.DataFrame, first: dt.date, last: dt.date, locale: str) -> list[Section]:
    """The client's visible requests done in the month, and those still open: never their Notes."""
    visible = requests[requests["client_visible"].astype(bool)]
    if visible.empty:
        return []
    done = visible["done"].dt.date
    finished = visible[(visible["status"] == "done") & (done >= first) & (done <= last)]
    requested = visible["requested"].dt.date
    still_open = visible[visible["status"].isin(OPEN_STATUSES) & (requested.isna() | (requested <= last))]

    def hours(ms: int) -> str:
        return hours_words(hours_of_ms(int(ms)), locale)

    completed = [
        [f"{r.request_id} {r.title}".strip(), date_words(r.done.date(), locale), hours(r.hours_ms)]
        for r in finished.itertuples(index=False)
    ]
    waiting = [
        [f"{r.request_id} {r.title}".strip(), date_words(r.requested.date(), locale) if pd.notna(r.requested) else "",
         str(r.status)]
        for r in still_open.itertuples(index=False)
    ]  # fmt: skip
    return [
        Section("Requests completed", [] if completed else ["None this month."],
                [["Request", "Completed", "Hours"], *completed] if completed else [], level=1),
        Section("Requests still open", [] if waiting else ["None."],
                [["Request", "Requested", "Status"], *waiting] if waiting else [], level=1),
    ]  # fmt: skip


def report_message(report: ReportInput, month: str, config: Config, to: list[str], now: dt.datetime) -> EmailMessage:
    """The e-mail of one client's report for `month` ("2026-11"), to `to` with a copy to alert_to.
    A ValueError is an address the e-mail headers cannot hold."""
    locale, client = config.locale, report.client
    title = f"Monthly report for {month_words(month, locale)}"
    sections = report_sections(report, month, locale)
    where = (
        f"Your contract summary, updated every night: {report.link}"
        if report.link
        else "Your contract summary is updated every night."
    )
    message = EmailMessage()
    message["Subject"] = " ".join(f"{client.name}: {title}".split())  # a name may hold a line break
    message["From"] = config.alert_from
    if to:  # a preview of a client without Email has none
        message["To"] = ", ".join(to)
    copy = [address for address in addresses(config.alert_to) if address not in to]
    if copy:
        message["Cc"] = ", ".join(copy)
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid("contract-sync")
    agency = config.agency_name.strip()
    message.set_content(_plain(agency, client.name, title, sections, where))
    message.add_alternative(_html(agency, client.name, title, sections, report.link), subtype="html")
    return message


def _plain(agency: str, name: str, title: str, sections: list[Section], where: str) -> str:
    lines = [line for line in (agency, name, title) if line] + [""]
    for section in sections:
        heading = f"{section.heading} - {section.status}" if section.status else section.heading
        lines += [heading, ("=" if section.level == 1 else "-") * len(heading)]
        lines += [s for s in section.sentences if s]
        if section.rows:
            widths = [max(len(row[i]) for row in section.rows) for i in range(len(section.rows[0]))]
            for n, row in enumerate(section.rows):
                cells = [
                    cell.ljust(width) if i == 0 or not _numeric(section.rows[0][i]) else cell.rjust(width)
                    for i, (cell, width) in enumerate(zip(row, widths))
                ]
                lines.append("  ".join(cells).rstrip())
                if n == 0 or (section.total and n == len(section.rows) - 2):
                    lines.append("  ".join("-" * width for width in widths))
        lines.append("")
    return "\n".join(lines + [where, ""])


def _numeric(header: str) -> bool:
    return header in ("Amount", "Hours")


def _html(agency: str, name: str, title: str, sections: list[Section], link: str) -> str:
    e = html.escape
    font = "font-family:Arial,Helvetica,sans-serif;"
    out = [
        f'<html><body style="margin:0;padding:0;background:#F2F2F2;">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#F2F2F2;">'
        f'<tr><td align="center" style="padding:24px 12px;">'
        f'<table role="presentation" width="640" cellpadding="0" cellspacing="0" style="max-width:640px;'
        f'width:100%;background:#FFFFFF;border:1px solid {LINE};{font}color:#222222;">'
        f'<tr><td style="padding:24px 28px;">'
    ]
    if agency:
        out.append(f'<div style="font-size:13px;color:{GREY};">{e(agency)}</div>')
    out.append(f'<div style="font-size:24px;font-weight:bold;color:{NAVY};margin:4px 0;">{e(name)}</div>')
    out.append(f'<div style="font-size:14px;font-style:italic;color:{GREY};">{e(title)}</div>')
    for section in sections:
        size, top = ("18px", "28px") if section.level == 1 else ("14px", "16px")
        out.append(
            f'<div style="font-size:{size};font-weight:bold;color:{NAVY};margin:{top} 0 6px 0;">'
            f"{e(section.heading)}{_badge(section.status)}</div>"
        )
        out += [f'<p style="font-size:14px;margin:4px 0 8px 0;">{e(s)}</p>' for s in section.sentences if s]
        if section.rows:
            out.append(_html_table(section))
    if link:
        shown = f'<a href="{e(link)}" style="color:{NAVY};">{e(link)}</a>' if link.startswith("https://") else e(link)
        out.append(
            f'<p style="font-size:14px;margin:28px 0 0 0;border-top:1px solid {LINE};padding-top:12px;">'
            f"Your contract summary, updated every night: {shown}</p>"
        )
    out.append("</td></tr></table></td></tr></table></body></html>\n")
    return "".join(out)


def _badge(status: str) -> str:
    """A contract's Status word in its colours, as on the Summary."""
    if status not in STATUS_SENTENCES:
        return ""
    look = STYLES[status]
    return (
        f'&nbsp; <span style="font-size:12px;padding:2px 8px;color:{look["color"]};background:{look["fill"]};'
        f'border-radius:3px;vertical-align:middle;">{html.escape(status)}</span>'
    )


def _html_table(section: Section) -> str:
    e = html.escape
    header, *rows = section.rows
    cell = "font-size:13px;padding:5px 8px;border-bottom:1px solid #EEEEEE;"
    align = ["right" if _numeric(h) else "left" for h in header]
    head = "".join(
        f'<th align="{a}" style="{cell}background:#D9E1F2;text-align:{a};">{e(h)}</th>' for h, a in zip(header, align)
    )
    body = []
    for n, row in enumerate(rows):
        bold = "font-weight:bold;border-top:1px solid #999999;" if section.total and n == len(rows) - 1 else ""
        body.append(
            "<tr>"
            + "".join(
                f'<td align="{a}" style="{cell}{bold}text-align:{a};{"white-space:nowrap;" if a == "right" else ""}">'
                f"{e(value)}</td>"
                for value, a in zip(row, align)
            )
            + "</tr>"
        )
    return (
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'style="border-collapse:collapse;margin:0 0 8px 0;"><tr>{head}</tr>{"".join(body)}</table>'
    )


def deliver(
    states: list[AlertState],
    inputs: dict[str, ReportInput],
    config: Config,
    smtp: SmtpSettings | None,
    now: dt.datetime,
) -> tuple[list[AlertState], int, list[AlertState]]:
    """Send each pending report of a client in `inputs` (those with Monthly Report Y and no error),
    over one connection, to the client's Email with a copy to alert_to. Returns the new states,
    how many were sent, and the reports this try left pending, each with its Note saying why."""
    states = list(states)
    due = [i for i, state in enumerate(states) if state.status == PENDING and state.contract_id in inputs]
    if smtp is None or not due:
        return states, 0, []
    ready: dict[int, EmailMessage] = {}
    failed: dict[int, str] = {}
    for i in due:
        report = inputs[states[i].contract_id]
        to = addresses(report.client.email)
        if not config.alert_from.strip():
            failed[i] = "no sender: set alert_from (or SYNC_ALERT_FROM)"
        elif not to:
            failed[i] = "no recipients: the client's Email on the Clients tab is blank"
        else:
            try:
                ready[i] = report_message(report, report_month(states[i]) or "", config, to, now)
            except ValueError as error:  # an address the e-mail headers cannot hold
                failed[i] = reason(error)
    return send_and_record(states, smtp, ready, failed, now)


def unsent_line(unsent: list[AlertState]) -> str:
    """The reports a run could not e-mail, in one line: `1 monthly report not e-mailed, kept pending
    for the next run: C-1 2026-11 (SMTP server mail.example:587: [Errno 111] Connection refused)`."""
    return alerts.unsent_line(unsent, "monthly report", lambda state: f"{state.contract_id} {report_month(state)}")
