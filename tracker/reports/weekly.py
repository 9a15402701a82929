"""The weekly status report, computed once from the event log: `weekly_report` composes one
function per section (each section's shape is in `shapes.py`).

Only events before the week's end are read, so the report for a past week, generated today,
says exactly what it said then. One pass over them (`read_log`) leaves the board as it stood at
the week's end, the counts at each week boundary the report compares or charts, and the week's
changes; every section is computed from those.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from tracker.models import Board, utcnow
from tracker.reports.changes import change_row, title_before
from tracker.reports.replay import BoardReplay, InitiativeState, load_events
from tracker.reports.shapes import (
    Change,
    DueStatus,
    FlowWeek,
    NextStep,
    RagCount,
    ReportFilter,
    ReportWeek,
    RoleWanted,
    StageCount,
    StageDuration,
    StaleInitiative,
    TimeInStage,
    WeeklyReport,
)
from tracker.reports.week import Week, in_days, london
from tracker.vocabulary import RAG_VALUES

STALE_AFTER_DAYS = 14
DUE_WITHIN_DAYS = 14
FLOW_WEEKS = 12
# A role wanted for longer than this is named as such (issue 15: "wanted for more than 6
# weeks").
LONG_WANTED_WEEKS = 6

# Which initiatives a narrowed report covers: given the board's initiatives as they stood at
# the report's instant (archived ones too), the London day due dates count from and that
# instant (UTC), the ids kept. `service` makes one from the board's filters.
Selector = Callable[[Sequence[InitiativeState], date, datetime], Collection[int]]


def weekly_report(
    board: Board,
    week: Week,
    *,
    stage_names: dict[int, str],
    grand_challenge_names: dict[int, str],
    organisation_names: dict[int, str],
    select: Selector | None = None,
    filter_section: ReportFilter | None = None,
) -> WeeklyReport:
    """Every section for `board` and `week`; the names are by id, stages in board order.
    Values are Python dates, datetimes and numbers; `render.as_json` makes the JSON of them.

    With `select`, every section (counts, changes, charts) covers only the initiatives it
    keeps, chosen once as they stood at the report's instant; `filter_section` says so in the
    report. The week's own facts (its last event) stay the board's."""
    flow_weeks = [week.shifted(-i) for i in range(FLOW_WEEKS - 1, -1, -1)]
    log = read_log(board.id, week, stage_names, [w.end for w in flow_weeks] + [week.start])
    instant = measure(week)
    kept = (
        None
        if select is None
        else set(select(list(log.replay.initiatives.values()), instant.day, instant.at))
    )
    counts = {at: count(snapshot, stage_names, kept) for at, snapshot in log.snapshots.items()}
    at_end, before = counts[week.end], counts[week.start]
    live = [c for c in log.replay.live() if kept is None or c.id in kept]
    return {
        "board": {"id": board.id, "name": board.name},
        "week": week_section(week, log.replay, instant),
        "filter": filter_section or {"query": "", "description": []},
        "stage_counts": stage_counts(stage_names, at_end, before),
        "rag_counts": rag_counts(at_end, before),
        "changes": [c for c in log.changes if kept is None or c["initiative_id"] in kept],
        "stale": stale(live, stage_names, instant),
        "next_steps": next_steps(live, instant),
        "roles_wanted": roles_wanted(live, instant),
        "time_in_stage": time_in_stage(
            live, board, instant, stage_names, grand_challenge_names, organisation_names
        ),
        "cumulative_flow": cumulative_flow(flow_weeks, counts, stage_names),
        "stage_durations": stage_durations(log.replay, stage_names, instant.at, kept),
    }


# --- one pass over the log ----------------------------------------------------------------


class Counts(NamedTuple):
    """Live initiatives at one instant: by stage id (every stage named, even when empty) and
    by RAG code (every one of `RAG_VALUES`)."""

    stages: dict[int, int]
    rags: dict[str, int]


# The live initiatives at one instant, as (id, stage id, RAG code).
Snapshot = list[tuple[int, int, str]]


def snapshot(replay: BoardReplay) -> Snapshot:
    return [(c.id, c.stage_id, c.rag) for c in replay.initiatives.values() if not c.archived]


def count(
    snapshot: Snapshot, stage_names: dict[int, str], kept: Collection[int] | None = None
) -> Counts:
    """A snapshot's initiatives (those in `kept`, when given) by stage and by RAG."""
    stages = {sid: 0 for sid in stage_names}
    rags = dict.fromkeys(RAG_VALUES, 0)
    for initiative_id, stage_id, rag in snapshot:
        if kept is None or initiative_id in kept:
            stages[stage_id] = stages.get(stage_id, 0) + 1
            rags[rag] = rags.get(rag, 0) + 1
    return Counts(stages, rags)


@dataclass(frozen=True)
class Log:
    """What one pass over the log up to the week's end leaves."""

    replay: BoardReplay  # the board at the week's end
    snapshots: dict[datetime, Snapshot]  # the live initiatives at each instant asked for
    changes: list[Change]  # during the week, in event order


def read_log(
    board_id: int, week: Week, stage_names: dict[int, str], instants: list[datetime]
) -> Log:
    """Replay the board's events before the week's end, noting the live initiatives as they
    stood at each of `instants` (the first event at or after it is not yet applied) and
    describing each event of the week as the replay applies it."""
    replay = BoardReplay()
    snapshots: dict[datetime, Snapshot] = {}
    changes: list[Change] = []
    pending = sorted(set(instants))
    for event in load_events(board_id, before=week.end):
        while pending and event.at >= pending[0]:
            snapshots[pending.pop(0)] = snapshot(replay)
        title = title_before(replay, event)
        replay.apply(event)
        if event.at >= week.start:
            row = change_row(event, replay, title, stage_names)
            if row is not None:
                changes.append(row)
    while pending:
        snapshots[pending.pop(0)] = snapshot(replay)
    return Log(replay, snapshots, changes)


# --- the instant a report is measured at ---------------------------------------------------


@dataclass(frozen=True)
class Instant:
    at: datetime  # UTC: the week's end, or now while the week runs
    day: date  # the London day due dates are counted from
    running: bool  # the week is not over


def measure(week: Week) -> Instant:
    # A week not yet over is measured to now, not to its future end.
    at = min(week.end, utcnow())
    running = at < week.end
    # Due and overdue are counted from the report's day: today for a running week (a step
    # due on Thursday is not overdue on Monday), the Sunday for a finished one.
    day = london(at).date() if running else week.sunday
    return Instant(at, day, running)


# --- the sections -------------------------------------------------------------------------


def week_section(week: Week, replay: BoardReplay, instant: Instant) -> ReportWeek:
    return {
        "week": str(week),
        "starts": london(week.start),
        "ends": london(week.end),
        "last_seq": replay.last_seq,
        "last_at": london(replay.last_at) if replay.last_at else None,
        # The instant the report is measured at, and the day due dates are counted from.
        "as_of": london(instant.at),
        "as_of_day": instant.day,
        "running": instant.running,
    }


def stage_counts(stage_names: dict[int, str], now: Counts, before: Counts) -> list[StageCount]:
    return [
        {
            "stage_id": sid,
            "stage": name,
            "count": now.stages.get(sid, 0),
            "previous": before.stages.get(sid, 0),
            "change": now.stages.get(sid, 0) - before.stages.get(sid, 0),
        }
        for sid, name in stage_names.items()
    ]


def rag_counts(now: Counts, before: Counts) -> list[RagCount]:
    return [
        {
            "rag": rag,
            "count": now.rags[rag],
            "previous": before.rags[rag],
            "change": now.rags[rag] - before.rags[rag],
        }
        for rag in RAG_VALUES
    ]


def stale(
    live: list[InitiativeState], stage_names: dict[int, str], instant: Instant
) -> list[StaleInitiative]:
    rows: list[StaleInitiative] = [
        {
            "initiative_id": c.id,
            "initiative": c.title,
            "stage": stage_names.get(c.stage_id, str(c.stage_id)),
            "last_update": london(c.last_activity or c.created_at),
            "days_without_update": in_days(instant.at - (c.last_activity or c.created_at)),
        }
        for c in live
        if (c.last_activity or c.created_at) <= instant.at - timedelta(days=STALE_AFTER_DAYS)
    ]
    rows.sort(key=lambda r: (r["last_update"], r["initiative_id"]))
    return rows


def due_status(due: date, day: date) -> DueStatus | None:
    """Where a next step due on `due` stands on `day`; None when not due within
    `DUE_WITHIN_DAYS` days."""
    if due <= day:
        return "overdue" if due < day else "due"
    if due <= day + timedelta(days=DUE_WITHIN_DAYS):
        return "due soon"
    return None


def next_steps(live: list[InitiativeState], instant: Instant) -> list[NextStep]:
    rows: list[NextStep] = []
    for c in live:
        if c.next_step_due is None:
            continue
        status = due_status(c.next_step_due, instant.day)
        if status is None:
            continue
        rows.append(
            {
                "initiative_id": c.id,
                "initiative": c.title,
                "next_step": c.next_step,
                "due": c.next_step_due,
                "status": status,
                "days_until_due": (c.next_step_due - instant.day).days,
            }
        )
    rows.sort(key=lambda r: (r["due"], r["initiative_id"]))
    return rows


def roles_wanted(live: list[InitiativeState], instant: Instant) -> list[RoleWanted]:
    """The roles marked wanted on live initiatives at the report's instant, wanted longest
    first; those wanted for more than `LONG_WANTED_WEEKS` weeks say so (issue 15)."""
    rows: list[RoleWanted] = [
        {
            "initiative_id": c.id,
            "initiative": c.title,
            "role": wanted.role,
            "brief": wanted.brief,
            "since": london(wanted.since),
            "days_wanted": in_days(instant.at - wanted.since),
            "long_wanted": instant.at - wanted.since > timedelta(weeks=LONG_WANTED_WEEKS),
        }
        for c in live
        for wanted in c.wanted.values()
    ]
    rows.sort(key=lambda r: (r["since"], r["initiative_id"], r["role"]))
    return rows


def time_in_stage(
    live: list[InitiativeState],
    board: Board,
    instant: Instant,
    stage_names: dict[int, str],
    grand_challenge_names: dict[int, str],
    organisation_names: dict[int, str],
) -> list[TimeInStage]:
    # Which role leads is the role type's flag, not its name (an admin may rename it).
    lead_roles = {r.id for r in board.role_types if r.is_lead}
    return [
        {
            "initiative_id": c.id,
            "initiative": c.title,
            "grand_challenge": grand_challenge_names.get(c.grand_challenge_id, ""),
            "stage": stage_names.get(c.stage_id, str(c.stage_id)),
            "entered": london(c.stage_entered_at),
            "days_in_stage": in_days(instant.at - c.stage_entered_at),
            "rag": c.rag,
            "lead": next(
                (cl.organisation for cl in c.claims.values() if cl.role_type_id in lead_roles), ""
            ),
            "proposed_by": organisation_names.get(c.proposing_organisation_id, ""),
        }
        for c in live
    ]


def cumulative_flow(
    flow_weeks: list[Week], counts: dict[datetime, Counts], stage_names: dict[int, str]
) -> list[FlowWeek]:
    return [
        {
            "week": str(w),
            "week_ending": w.sunday,
            "stages": [
                {"stage": name, "count": counts[w.end].stages.get(sid, 0)}
                for sid, name in stage_names.items()
            ],
        }
        for w in flow_weeks
    ]


def stage_durations(
    replay: BoardReplay,
    stage_names: dict[int, str],
    end: datetime,
    kept: Collection[int] | None = None,
) -> list[StageDuration]:
    """Per stage: how many initiatives (of `kept`, when given) have spent time in it, and the
    mean and longest days (a stint still going counts up to `end`, the report's instant)."""
    spans: dict[int, list[float]] = {sid: [] for sid in stage_names}
    for card in replay.initiatives.values():
        if kept is not None and card.id not in kept:
            continue
        for stage_id, entered, left in card.stints:
            spans.setdefault(stage_id, []).append(in_days((left or end) - entered))
    rows: list[StageDuration] = []
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
