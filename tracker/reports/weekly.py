"""The weekly status report, computed once from the event log and rendered many ways.

A week is an ISO week, Monday 00:00 to the next Monday 00:00 in Europe/London (so a week with
a clock change is 167 or 169 hours long). Only events before the week's end are read, so the
report for a past week, generated today, says exactly what it said then.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tracker import board as ops
from tracker.models import utcnow
from tracker.reports.replay import BoardReplay, InitiativeState, load_events
from tracker.reports.week import Week, in_days, london

STALE_AFTER_DAYS = 14
DUE_WITHIN_DAYS = 14
FLOW_WEEKS = 12
RAGS = ("red", "amber", "green", "not_set")


def weekly_report(
    board: Any,
    week: Week,
    *,
    stage_names: dict[int, str],
    lane_names: dict[int, str],
    organisation_names: dict[int, str],
) -> dict[str, Any]:
    """Compute every section for `board` (id and name) and `week`. Values are Python dates,
    datetimes and numbers; `as_json` turns them into the JSON document."""
    previous_end = week.start
    flow_weeks = [week.shifted(-i) for i in range(FLOW_WEEKS - 1, -1, -1)]
    boundaries = [w.end for w in flow_weeks]

    replay = BoardReplay()
    snapshots: dict[datetime, dict[str, Any]] = {}
    changes: list[dict[str, Any]] = []
    pending = sorted(set(boundaries) | {previous_end})

    def snapshot() -> dict[str, Any]:
        live = [c for c in replay.initiatives.values() if not c.archived]
        stages = {sid: 0 for sid in stage_names}
        rags = dict.fromkeys(RAGS, 0)
        for card in live:
            stages[card.stage_id] = stages.get(card.stage_id, 0) + 1
            rags[card.rag] = rags.get(card.rag, 0) + 1
        return {"stages": stages, "rags": rags}

    week_start, week_end = week.start, week.end
    for event in load_events(board.id, before=week_end):
        while pending and event.at >= pending[0]:
            snapshots[pending.pop(0)] = snapshot()
        title_before = (
            replay.initiatives[event.initiative_id].title
            if event.initiative_id in replay.initiatives
            else None
        )
        replay.apply(event)
        if event.at >= week_start:
            row = _change_row(event, replay, title_before, stage_names)
            if row is not None:
                changes.append(row)
    while pending:
        snapshots[pending.pop(0)] = snapshot()

    end_counts, before_counts = snapshots[week.end], snapshots[previous_end]
    stage_counts = [
        {
            "stage_id": sid,
            "stage": name,
            "count": end_counts["stages"].get(sid, 0),
            "previous": before_counts["stages"].get(sid, 0),
            "change": end_counts["stages"].get(sid, 0) - before_counts["stages"].get(sid, 0),
        }
        for sid, name in stage_names.items()
    ]
    rag_counts = [
        {
            "rag": rag,
            "count": end_counts["rags"][rag],
            "previous": before_counts["rags"][rag],
            "change": end_counts["rags"][rag] - before_counts["rags"][rag],
        }
        for rag in RAGS
    ]

    live = [c for c in replay.live()]
    # The report's instant: a week not yet over is measured to now, not to its future end.
    end = min(week.end, utcnow())
    running = end < week.end
    stale = [
        {
            "initiative_id": c.id,
            "initiative": c.title,
            "stage": stage_names.get(c.stage_id, str(c.stage_id)),
            "last_update": london(c.last_activity or c.created_at),
            "days_without_update": in_days(end - (c.last_activity or c.created_at)),
        }
        for c in live
        if (c.last_activity or c.created_at) <= end - timedelta(days=STALE_AFTER_DAYS)
    ]
    stale.sort(key=lambda r: (r["last_update"], r["initiative_id"]))

    # Due and overdue are counted from the report's day: today for a running week (a step
    # due on Thursday is not overdue on Monday), the Sunday for a finished one.
    today = london(end).date() if running else week.sunday
    next_steps = []
    for c in live:
        if c.next_step_due is None:
            continue
        if c.next_step_due <= today:
            status = "overdue" if c.next_step_due < today else "due"
        elif c.next_step_due <= today + timedelta(days=DUE_WITHIN_DAYS):
            status = "due soon"
        else:
            continue
        next_steps.append(
            {
                "initiative_id": c.id,
                "initiative": c.title,
                "next_step": c.next_step,
                "due": c.next_step_due,
                "status": status,
                "days_until_due": (c.next_step_due - today).days,
            }
        )
    next_steps.sort(key=lambda r: (r["due"], r["initiative_id"]))

    # Which role leads is the role type's flag, not its name (an admin may rename it).
    lead_roles = {r.id for r in board.role_types if r.is_lead}
    in_stage = [
        {
            "initiative_id": c.id,
            "initiative": c.title,
            "grand_challenge": lane_names.get(c.grand_challenge_id, ""),
            "stage": stage_names.get(c.stage_id, str(c.stage_id)),
            "entered": london(c.stage_entered_at),
            "days_in_stage": in_days(end - c.stage_entered_at),
            "rag": c.rag,
            "lead": next(
                (cl.organisation for cl in c.claims.values() if cl.role_type_id in lead_roles), ""
            ),
            "proposed_by": organisation_names.get(c.proposing_organisation_id, ""),
        }
        for c in live
    ]

    flow = [
        {
            "week": str(w),
            "week_ending": w.sunday,
            "stages": [
                {"stage": name, "count": snapshots[w.end]["stages"].get(sid, 0)}
                for sid, name in stage_names.items()
            ],
        }
        for w in flow_weeks
    ]

    return {
        "board": {"id": board.id, "name": board.name},
        "week": {
            "week": str(week),
            "starts": london(week.start),
            "ends": london(week.end),
            "last_seq": replay.last_seq,
            "last_at": london(replay.last_at) if replay.last_at else None,
            # The instant the report is measured at, and the day due dates are counted from.
            "as_of": london(end),
            "as_of_day": today,
            "running": running,
        },
        "stage_counts": stage_counts,
        "rag_counts": rag_counts,
        "changes": changes,
        "stale": stale,
        "next_steps": next_steps,
        "time_in_stage": in_stage,
        "cumulative_flow": flow,
        "stage_durations": _stage_durations(replay, stage_names, end),
    }


def _stage_durations(
    replay: BoardReplay, stage_names: dict[int, str], end: datetime
) -> list[dict[str, Any]]:
    """Per stage: how many initiatives have spent time in it, and the mean and longest days
    (a stint still going counts up to the week's end)."""
    spans: dict[int, list[float]] = {sid: [] for sid in stage_names}
    for card in replay.initiatives.values():
        for stage_id, entered, left in card.stints:
            spans.setdefault(stage_id, []).append(in_days((left or end) - entered))
    rows = []
    for sid, name in stage_names.items():
        days = spans.get(sid, [])
        rows.append(
            {
                "stage": name,
                "initiatives": len(days),
                "mean_days": round(sum(days) / len(days), 2) if days else 0.0,
                "max_days": max(days) if days else 0.0,
            }
        )
    return rows


def _change_row(
    event: Any,
    replay: BoardReplay,
    title_before: str | None,
    stage_names: dict[int, str],
) -> dict[str, Any] | None:
    card: InitiativeState | None = replay.initiatives.get(event.initiative_id or 0)
    title = title_before or (card.title if card else "")
    base = {
        "at": london(event.at),
        "seq": event.seq,
        "initiative_id": event.initiative_id,
        "initiative": title,
        "actor": event.actor_name,
        "organisation": event.actor_organisation_name,
    }
    data = event.data
    if event.type == ops.INITIATIVE_CREATED:
        stage = stage_names.get(data["initiative"]["stage_id"], "")
        return {**base, "change": "created", "from": "", "to": stage, "detail": ""}
    if event.type == ops.INITIATIVE_MOVED:
        if data["from"]["stage_id"] == data["to"]["stage_id"]:
            return None  # reordering within a column is not a stage move
        return {
            **base,
            "change": "moved",
            "from": data["from"]["stage"],
            "to": data["to"]["stage"],
            "detail": "",
        }
    if "changes" in data and "rag" in data["changes"]:
        rag = data["changes"]["rag"]
        reason = data["changes"].get("rag_reason", {}).get("to", "")
        return {
            **base,
            "change": "RAG changed",
            "from": rag["from"],
            "to": rag["to"],
            "detail": reason,
        }
    if event.type == ops.ROLE_CLAIMED:
        return {
            **base,
            "change": "role claimed",
            "from": "",
            "to": data["organisation"],
            "detail": data["role"],
        }
    if event.type == ops.ROLE_RELEASED:
        return {
            **base,
            "change": "role released",
            "from": data["organisation"],
            "to": "",
            "detail": data["role"],
        }
    if event.type == ops.INITIATIVE_ARCHIVED:
        return {**base, "change": "archived", "from": "", "to": "", "detail": ""}
    if event.type == ops.INITIATIVE_RESTORED:
        return {**base, "change": "restored", "from": "", "to": "", "detail": ""}
    return None


def as_json(value: Any) -> Any:
    """Dates and datetimes as ISO 8601 strings; everything else as it is."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
