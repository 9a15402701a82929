"""The printable HTML report: a standalone document (`to_html`, what the API and the command
line hand out) and the same report as a fragment inside the reports page (`report_context`).

Both render `templates/reports/_report.html`. The standalone document carries its stylesheet
(`static/css/report.css`) in a `<style>` element, because a downloaded file is opened from disk
with nothing to link to, and a Content-Security-Policy `<meta>` that allows exactly that
stylesheet (by its hash) and nothing else: no scripts, no requests. The page links the same
stylesheet instead, under the app's policy, which refuses inline styles and scripts.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from flask import current_app, render_template

from tracker.reports import charts
from tracker.reports.shapes import Change, WeeklyReport
from tracker.reports.week import LONDON
from tracker.vocabulary import RAG_LABELS

STATUS_LABELS = {"overdue": "Overdue", "due": "Due at week end", "due soon": "Due soon"}
# While the week is running, due dates are counted from today.
RUNNING_STATUS_LABELS = {**STATUS_LABELS, "due": "Due today"}


# --- formatting (every date and time is shown in Europe/London) ---------------------------


def when(moment: datetime) -> str:
    """`Tue 20 Oct 2026, 11:00`."""
    local = moment.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


def day(value: date | datetime) -> str:
    """`Tue 20 Oct 2026`."""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value:%a} {value.day} {value:%b %Y}"


def long_day(value: date) -> str:
    """`Monday 19 October 2026`."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def short_day(value: date) -> str:
    """`25 Oct`, for chart axes."""
    return f"{value.day} {value:%b}"


def days(value: float) -> str:
    """Days to one decimal place: `12.5`."""
    return f"{value:.1f}"


def signed(value: int) -> str:
    """A change with its sign: `+2`, `−1` (a real minus sign), `0`."""
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"\u2212{-value}"
    return "0"


def due_in_words(days_until_due: int, *, running: bool = False) -> str:
    """`3 days overdue`, `due today` (a running week) or `due on the Sunday`, `due in 1 day`,
    counted from the report's day."""
    if days_until_due < 0:
        n = -days_until_due
        return f"{n} day{'s' if n != 1 else ''} overdue"
    if days_until_due == 0:
        return "due today" if running else "due on the Sunday"
    return f"due in {days_until_due} day{'s' if days_until_due != 1 else ''}"


def number(value: int) -> str:
    """A count with thousands separated: `12,345`."""
    return f"{value:,}"


def sentence(text: str) -> str:
    """First letter up, the rest as written ("RAG changed" stays so; `capitalize` would not)."""
    return text[:1].upper() + text[1:]


def change_value(row: Change, side: Literal["from", "to"]) -> str:
    """The from / to cell of a change: RAG values by their names, everything else as is."""
    value = row[side]
    if row["change"] == "RAG changed":
        return RAG_LABELS.get(value, value)
    return str(value or "")


# --- rendering ----------------------------------------------------------------------------


def stylesheet() -> str:
    return (Path(current_app.static_folder or "static") / "css" / "report.css").read_text("utf-8")


def style_hash(css: str) -> str:
    return base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")


def report_context(report: WeeklyReport, *, heading_level: int, links: bool) -> dict[str, Any]:
    """What `_report.html` needs besides the report: chart geometry, formatting helpers, the
    level of the report's own heading (1 in the standalone document, 2 inside the page) and
    whether initiative names link to their pages (not in a file read away from the app)."""
    week = report["week"]
    ends: datetime = week["ends"]
    running = week["running"]
    live = sum(row["count"] for row in report["stage_counts"])
    overdue = sum(1 for row in report["next_steps"] if row["status"] == "overdue")
    return {
        "report": report,
        "h": heading_level,
        "links": links,
        "flow_chart": charts.cumulative_flow(report["cumulative_flow"]),
        "duration_chart": charts.stage_durations(report["stage_durations"]),
        "first_day": week["starts"].date(),
        "last_day": (ends.astimezone(LONDON).date() - date.resolution),
        "week_number": int(week["week"].split("-W")[1]),
        "week_year": int(week["week"].split("-W")[0]),
        "running": running,
        "generated": week["as_of"] if running else None,
        "as_of_day": week["as_of_day"],
        "summary": {
            "live": live,
            "changes": len(report["changes"]),
            "overdue": overdue,
            "stale": len(report["stale"]),
        },
        "rag_labels": RAG_LABELS,
        "status_labels": RUNNING_STATUS_LABELS if running else STATUS_LABELS,
        "when": when,
        "day": day,
        "long_day": long_day,
        "short_day": short_day,
        "days": days,
        "signed": signed,
        "due_in_words": lambda days: due_in_words(days, running=running),
        "number": number,
        "change_value": change_value,
        "sentence": sentence,
    }


def to_html(report: WeeklyReport) -> str:
    """The report as one standalone HTML document: stylesheet inside, no scripts, nothing
    fetched. Reproducible for a past week: it holds no generation time, only the last event
    it was computed from."""
    css = stylesheet()
    return render_template(
        "reports/weekly.html",
        css=css,
        css_hash=style_hash(css),
        **report_context(report, heading_level=1, links=False),
    )
