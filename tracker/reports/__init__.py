"""Weekly status report: compute once (`weekly.py`, from the event log), render as CSV, XLSX,
JSON or HTML (`render.py`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker import board as ops
from tracker.extensions import db
from tracker.models import Organisation
from tracker.reports.weekly import Week, as_json, weekly_report

FORMATS = ("json", "csv", "xlsx", "html")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def build(board_id: int, week_text: Any) -> dict[str, Any]:
    """The report for a board and an ISO week such as "2026-W48"."""
    week = Week.parse(week_text)
    board = ops.load_board(board_id)
    organisations = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)).all())
    return weekly_report(
        board,
        week,
        stage_names={s.id: s.name for s in board.stages},
        lane_names={g.id: g.name for g in board.grand_challenges},
        organisation_names=organisations,
    )


def filename(report: dict[str, Any], fmt: str) -> str:
    return f"weekly-status-board{report['board']['id']}-{report['week']['week']}.{fmt}"


__all__ = ["FORMATS", "MEDIA_TYPES", "Week", "as_json", "build", "filename"]
