"""Renderings of a computed weekly report. Each takes the `WeeklyReport` from
`weekly.weekly_report` (through `service.build`, which has already made its text printable).

CSV and XLSX show what people read: RAG as Red / Amber / Green / Not set, changes and due
dates in words ("3 days overdue"); the JSON keeps the codes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tracker.reports.html import due_in_words, sentence
from tracker.reports.shapes import WeeklyReport
from tracker.vocabulary import RAG_LABELS

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The sections shown as tables (the week and the flow chart's figures are not).
Table = Literal[
    "stage_counts",
    "rag_counts",
    "changes",
    "stale",
    "next_steps",
    "roles_wanted",
    "time_in_stage",
    "stage_durations",
]

# (sheet / section key, title, columns as (key, header)).
SECTIONS: list[tuple[Table, str, list[tuple[str, str]]]] = [
    (
        "stage_counts",
        "Stages",
        [
            ("stage", "Stage"),
            ("count", "Initiatives"),
            ("previous", "Week before"),
            ("change", "Change"),
        ],
    ),
    (
        "rag_counts",
        "RAG",
        [
            ("rag", "RAG status"),
            ("count", "Initiatives"),
            ("previous", "Week before"),
            ("change", "Change"),
        ],
    ),
    (
        "changes",
        "Changes",
        [
            ("at", "When"),
            ("change", "Change"),
            ("initiative_id", "Initiative id"),
            ("initiative", "Initiative"),
            ("from", "From"),
            ("to", "To"),
            ("detail", "Role or reason"),
            ("actor", "By"),
            ("organisation", "Organisation"),
        ],
    ),
    (
        "stale",
        "No update 14 days",
        [
            ("initiative_id", "Initiative id"),
            ("initiative", "Initiative"),
            ("stage", "Stage"),
            ("last_update", "Last update"),
            ("days_without_update", "Days without update"),
        ],
    ),
    (
        "next_steps",
        "Next steps due",
        [
            ("initiative_id", "Initiative id"),
            ("initiative", "Initiative"),
            ("next_step", "Next step"),
            ("due", "Due"),
            ("status", "Status"),
            ("days_until_due", "Days until due"),
        ],
    ),
    (
        "roles_wanted",
        "Roles wanted",
        [
            ("initiative_id", "Initiative id"),
            ("initiative", "Initiative"),
            ("role", "Role"),
            ("brief", "Brief"),
            ("since", "Wanted since"),
            ("days_wanted", "Days wanted"),
            ("long_wanted", "Wanted for more than 6 weeks"),
        ],
    ),
    (
        "time_in_stage",
        "Time in stage",
        [
            ("initiative_id", "Initiative id"),
            ("initiative", "Initiative"),
            ("grand_challenge", "Grand Challenge"),
            ("stage", "Stage"),
            ("entered", "In stage since"),
            ("days_in_stage", "Days in stage"),
            ("rag", "RAG status"),
            ("lead", "Lead"),
            ("proposed_by", "Proposed by"),
        ],
    ),
    (
        "stage_durations",
        "Stage durations",
        [
            ("stage", "Stage"),
            ("initiatives", "Initiatives that spent time in it"),
            ("mean_days", "Mean days"),
            ("max_days", "Longest days"),
        ],
    ),
]


# A narrowed report's first section (CSV) or sheet (XLSX): the filter's conditions.
FILTER_TITLE = "Filter"
FILTER_HEADER = "Only initiatives matching"


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe (CSV only: an
    XLSX cell is typed as text instead, and keeps the text as it is)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def readable(report: WeeklyReport, key: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A section's row with codes turned into the words people read (dates and numbers stay
    typed): RAG statuses, the kind of change, a due date's status."""
    shown = dict(row)
    if "rag" in shown:
        shown["rag"] = RAG_LABELS.get(shown["rag"], shown["rag"])
    if key == "changes":
        if shown["change"] == "RAG changed":
            shown["from"] = RAG_LABELS.get(shown["from"], shown["from"])
            shown["to"] = RAG_LABELS.get(shown["to"], shown["to"])
        shown["change"] = sentence(shown["change"])
    elif key == "next_steps":
        running = report["week"]["running"]
        shown["status"] = sentence(due_in_words(shown["days_until_due"], running=running))
    elif key == "roles_wanted":
        shown["long_wanted"] = "Yes" if shown["long_wanted"] else "No"
    return shown


def as_json(value: Any) -> Any:
    """Dates and datetimes as ISO 8601 strings; everything else as it is."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_json(report: WeeklyReport) -> str:
    return json.dumps(as_json(report), ensure_ascii=False, indent=2, sort_keys=True)


def to_csv(report: WeeklyReport) -> str:
    """One file for Excel: UTF-8 with a byte-order mark (without it Excel on Windows reads
    "CafÃ©"). Each section is a header row ("Section", "Board", "Week", then the section's own
    column names) and its rows, whose first three cells name the section, board and week so
    that a filter on the first column keeps one section; a blank line separates sections. A
    report narrowed by a board filter starts with a "Filter" section of its conditions."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    meta = [report["board"]["name"], report["week"]["week"]]
    conditions = report["filter"]["description"]
    if conditions:
        # A narrowed report says so first: a file passed on must not pass for the whole board.
        writer.writerow(["Section", "Board", "Week", FILTER_HEADER])
        for condition in conditions:
            writer.writerow([neutralise(v) for v in (FILTER_TITLE, *meta, condition)])
        writer.writerow([])
    for index, (key, title, columns) in enumerate(SECTIONS):
        if index:
            writer.writerow([])
        writer.writerow(["Section", "Board", "Week", *[header for _, header in columns]])
        for row in report[key]:
            shown = readable(report, key, row)
            writer.writerow(
                [neutralise(v) for v in (title, *meta, *[_cell_text(shown[c]) for c, _ in columns])]
            )
    return out.getvalue()


def _cell_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


HEADER_FONT = Font(bold=True)


def _filter_sheet(workbook: Workbook, conditions: list[str]) -> None:
    """A narrowed report's conditions, first, in a sheet and the file's properties."""
    if not conditions:
        return
    workbook.properties.description = f"{FILTER_HEADER}: " + "; ".join(conditions)
    sheet = workbook.create_sheet(FILTER_TITLE)
    sheet.append([FILTER_HEADER])
    sheet["A1"].font = HEADER_FONT
    for condition in conditions:
        sheet.append([condition])
        sheet.cell(row=sheet.max_row, column=1).data_type = "s"
    sheet.column_dimensions["A"].width = min(max(len(c) for c in conditions) + 2, 100)


def to_xlsx(report: WeeklyReport) -> bytes:
    """One sheet per section: a bold, frozen header row, typed dates and numbers, text cells
    typed as text (so "=1+1" or "-20% emissions" is shown as written and never run), fitted
    widths, printing landscape on A4, fitted to the page's width, with the header row on
    every page; the board and week in the file's properties. A report narrowed by a board
    filter starts with a "Filter" sheet of its conditions (and says so in the properties)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    board, week = report["board"]["name"], report["week"]["week"]
    workbook.properties.title = f"Weekly status {week} — {board}"
    workbook.properties.subject = f"{board}, ISO week {week}"
    workbook.properties.keywords = f"week={week}; board_id={report['board']['id']}"
    workbook.properties.creator = "Initiative Tracker"
    _filter_sheet(workbook, report["filter"]["description"])
    for key, title, columns in SECTIONS:
        sheet = workbook.create_sheet(title[:31])
        sheet.append([header for _, header in columns])
        for cell in sheet[1]:
            cell.font = HEADER_FONT
        widths = [len(header) for _, header in columns]
        for row in report[key]:
            shown = readable(report, key, row)
            values = []
            for index, (column, _) in enumerate(columns):
                value = shown[column]
                if isinstance(value, datetime):
                    value = value.replace(tzinfo=None)  # shown in London time; Excel has no zones
                values.append(value)
                widths[index] = max(widths[index], len(str(_cell_text(value))))
            sheet.append(values)
        for index in range(1, len(columns) + 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = min(max(widths[index - 1] + 2, 8), 60)
            for cell in sheet[letter][1:]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str):
                    # openpyxl makes any text starting with "=" a formula: typed as a string
                    # (a shared string in the file), it is only ever shown.
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def render(report: WeeklyReport, fmt: str) -> str | bytes:
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "html":
        from tracker.reports.html import to_html

        return to_html(report)
    raise ValueError(f"unknown format {fmt}")


def render_bytes(report: WeeklyReport, fmt: str) -> bytes:
    """`render`, as the bytes of the file (text formats in UTF-8)."""
    body = render(report, fmt)
    return body if isinstance(body, bytes) else body.encode("utf-8")
