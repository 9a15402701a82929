"""What the entry points call for a weekly report (the API, the reports page, `tracker
export-weekly`): `produce` one format of it, served from the report cache or built within the
user's build slots, and `build` the computed report itself.

A build reads the board and the names a report shows (`Inputs`), computes the sections from
the event log (`weekly.weekly_report`), makes their text printable and renders one format
(`render.py`, `html.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, render_template

from tracker.board import filter_words, filters, load_board, narrowing
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import Board, Event, Organisation, utcnow
from tracker.reports import cache, html
from tracker.reports.printable import printable
from tracker.reports.replay import InitiativeState
from tracker.reports.shapes import ReportFilter, WeeklyReport
from tracker.reports.week import Week
from tracker.reports.weekly import Selector, weekly_report
from tracker.serving import off_event_loop

FORMATS = ("json", "csv", "xlsx", "html")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
# Besides the files: the report as a fragment of the reports page.
PAGE = "page"


@dataclass(frozen=True)
class Inputs:
    """What a report is computed from besides the events: the board and the names it shows
    (each by id)."""

    board: Board
    stage_names: dict[int, str]
    grand_challenge_names: dict[int, str]
    organisation_names: dict[int, str]

    def fingerprint(self) -> list[Any]:
        """Everything here a report shows or decides by (which role leads, for one)."""
        return [
            self.board.id,
            self.board.name,
            sorted(self.stage_names.items()),
            sorted(self.grand_challenge_names.items()),
            sorted(self.organisation_names.items()),
            sorted((r.id, r.name, r.is_lead) for r in self.board.role_types),
        ]


def _inputs(board_id: int) -> Inputs:
    board = load_board(board_id)
    organisations = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)).all())
    return Inputs(
        board=board,
        stage_names={s.id: s.name for s in board.stages},
        grand_challenge_names={g.id: g.name for g in board.grand_challenges},
        organisation_names=organisations,
    )


def selector(rule: filters.CardFilter) -> Selector:
    """The initiatives a report narrowed by `rule` covers: those the board page's filter
    keeps, judged as they stood at the report's instant (their texts, roles and last
    activity then; due dates from the report's day). The live and archived ones alike, so
    that an initiative archived during the week keeps its changes; with `archived`, only
    the archived ones."""

    def select(cards: Sequence[InitiativeState], day: date, moment: datetime) -> set[int]:
        pool = [c for c in cards if c.archived] if rule.archived else list(cards)
        return {c.id for c in narrowing.narrowed_replayed(rule, pool, day=day, moment=moment)}

    return select


def _filter_section(inputs: Inputs, rule: filters.CardFilter) -> ReportFilter:
    return {
        "query": urlencode(rule.args),
        "description": filter_words.describe(rule, inputs.board, inputs.organisation_names),
    }


def _compute(inputs: Inputs, week: Week, rule: filters.CardFilter | None = None) -> WeeklyReport:
    narrowing = rule if rule is not None and rule.active else None
    report: WeeklyReport = printable(
        weekly_report(
            inputs.board,
            week,
            stage_names=inputs.stage_names,
            grand_challenge_names=inputs.grand_challenge_names,
            organisation_names=inputs.organisation_names,
            select=None if narrowing is None else selector(narrowing),
            filter_section=None if narrowing is None else _filter_section(inputs, narrowing),
        )
    )
    return report


def build(board_id: int, week_text: Any, rule: filters.CardFilter | None = None) -> WeeklyReport:
    """The report for a board and an ISO week such as "2026-W48", its text printable;
    narrowed by the board filter `rule` when given."""
    week = Week.parse(week_text)
    return _compute(_inputs(board_id), week, rule)


def file_name(board_id: int, week: Week | str, fmt: str, *, filtered: bool = False) -> str:
    """`weekly-status-board1-2026-W48.xlsx`; `…-filtered.xlsx` for a narrowed report, so
    that a saved file is never taken for the whole board's."""
    return f"weekly-status-board{board_id}-{week}{'-filtered' if filtered else ''}.{fmt}"


def render_page_fragment(report: WeeklyReport) -> str:
    """The report as it sits inside the reports page (links to initiatives, level-2 heading)."""
    return render_template(
        "reports/_report.html", **html.report_context(report, heading_level=2, links=True)
    )


def _last_event(board_id: int, before: datetime) -> tuple[int, str]:
    """The sequence number and time of the board's last event before `before` (0 and ""
    when none): the last event a report for a week ending then reads. Its time is part of the
    cache key too, so that a database restored from a backup, whose later events reuse the
    same numbers, never meets the files made before the restore."""
    row = db.session.execute(
        sa.select(Event.seq, Event.at)
        .where(Event.board_id == board_id, Event.at < before)
        .order_by(Event.seq.desc())
        .limit(1)
    ).first()
    return (row[0], row[1].isoformat()) if row else (0, "")


def _cache_key(
    inputs: Inputs, week: Week, fmt: str, now: datetime, rule: filters.CardFilter | None
) -> str:
    """Everything the file is made from: the format, the week, the filter, the last event it
    reads and the names it shows (and, through `cache.cache_key`, the code that renders
    it)."""
    seq, at = _last_event(inputs.board.id, week.end)
    # A finished week's report never changes. A running one is measured at the time it is
    # built; within a bucket of REPORT_CACHE_RUNNING_SECONDS, the one built first is served.
    bucket = None
    if now < week.end:
        seconds = max(int(current_app.config["REPORT_CACHE_RUNNING_SECONDS"]), 1)
        bucket = int(now.timestamp()) // seconds
    query = urlencode(rule.args) if rule is not None and rule.active else ""
    return cache.cache_key([fmt, str(week), query, seq, at, bucket, *inputs.fingerprint()])


def _render(report: WeeklyReport, fmt: str) -> bytes:
    if fmt == PAGE:
        return render_page_fragment(report).encode("utf-8")
    # Imported on first use: it loads openpyxl, a quarter of a second that a process which
    # never renders a file (a worker serving pages, most `tracker` commands) should not pay.
    from tracker.reports import render

    if fmt == "html":  # a page template: needs this request's context
        return render.render_bytes(report, fmt)
    # CSV, JSON and XLSX are plain computation (an XLSX of 1,000 initiatives takes most of a
    # second): under gevent, on a thread, so the open sockets are served meanwhile.
    return off_event_loop(render.render_bytes, report, fmt)


@dataclass(frozen=True)
class Produced:
    body: bytes
    filename: str
    media_type: str
    from_cache: bool


def produce(
    board_id: int,
    week_text: Any,
    fmt: str,
    *,
    builder: int | None,
    rule: filters.CardFilter | None = None,
) -> Produced:
    """One format of a report (`FORMATS`, or `PAGE`), from the cache when it holds it, else
    built within `builder`'s build slots (`None`: the command line, not limited) and stored;
    narrowed by the board filter `rule` when given (checked by `filters.parse`).

    Raises `Invalid` (week), `NotFound` (board) or `cache.Busy` (429: the user's slots are
    all taken). The HTML formats need a request context (they are page templates).
    """
    week = Week.parse(week_text)
    now = utcnow()
    if week.start > now:
        # Nothing has happened in it yet: a report would show today's figures as that week's.
        raise Invalid({"week": f"{week} has not begun yet"})
    inputs = _inputs(board_id)
    key = _cache_key(inputs, week, fmt, now, rule)
    name = file_name(board_id, week, fmt, filtered=rule is not None and rule.active)
    media = MEDIA_TYPES.get(fmt, "text/html; charset=utf-8")
    body = cache.cache_get(key)
    if body is not None:
        return Produced(body, name, media, from_cache=True)
    with cache.one_build(key) as waited:
        body = cache.cache_get(key) if waited else None
        if body is not None:
            return Produced(body, name, media, from_cache=True)
        with cache.build_slot(builder):
            body = _render(_compute(inputs, week, rule), fmt)
        cache.cache_put(key, body)
    return Produced(body, name, media, from_cache=False)
