"""Renderings of a computed weekly report. Each takes the dict from `weekly.weekly_report`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from tracker.reports.weekly import as_json

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (sheet / section key, title, columns as (key, header)).
SECTIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
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
            ("days_from_week_end", "Days from week end"),
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


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(as_json(report), ensure_ascii=False, indent=2, sort_keys=True)


def to_csv(report: dict[str, Any]) -> str:
    """One file; the first column names the section, the rest are that section's columns
    (headers repeat per section, as in the XLSX sheets)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "board", "week"] + [f"column {i}" for i in range(1, 10)])
    meta = [report["board"]["name"], report["week"]["week"]]
    for key, title, columns in SECTIONS:
        writer.writerow([title, *meta, *[header for _, header in columns]])
        for row in report[key]:
            writer.writerow([title, *meta, *[neutralise(_cell_text(row[c])) for c, _ in columns]])
    return out.getvalue()


def _cell_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_xlsx(report: dict[str, Any]) -> bytes:
    """One sheet per section: frozen header row, typed dates and numbers, fitted widths, and
    the board and week in the file's properties."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    board, week = report["board"]["name"], report["week"]["week"]
    workbook.properties.title = f"Weekly status {week} — {board}"
    workbook.properties.subject = f"{board}, ISO week {week}"
    workbook.properties.keywords = f"week={week}; board_id={report['board']['id']}"
    workbook.properties.creator = "Initiative Tracker"
    for key, title, columns in SECTIONS:
        sheet = workbook.create_sheet(title[:31])
        sheet.append([header for _, header in columns])
        widths = [len(header) for _, header in columns]
        for row in report[key]:
            values = []
            for index, (column, _) in enumerate(columns):
                value = row[column]
                if isinstance(value, datetime):
                    value = value.replace(tzinfo=None)  # shown in London time; Excel has no zones
                values.append(value)
                widths[index] = max(widths[index], len(_cell_text(value).__str__()))
            sheet.append([neutralise(v) for v in values])
        for index in range(1, len(columns) + 1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = min(max(widths[index - 1] + 2, 8), 60)
            for cell in sheet[letter][1:]:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever it starts with
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def render(report: dict[str, Any], fmt: str) -> str | bytes:
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
