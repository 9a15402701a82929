"""What a weekly report holds: one typed row per section, and the report as a whole.

Every renderer reads these (CSV, XLSX, JSON, HTML) and `api/schemas.py` documents the same
fields in the OpenAPI document (`WeeklyReportSchema`). Times are timezone-aware datetimes in
Europe/London; days are calendar dates in London; spans are days as floats to two decimal
places; counts are ints. `render.as_json` writes dates and datetimes as ISO 8601.

TypedDicts rather than dataclasses: a report is built once, cached as files and walked as
plain dicts and lists (`printable`, `as_json`, the templates), so the typed shape costs nothing
at run time and the JSON stays exactly the dicts' keys.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, TypedDict

# What an initiative's next step is, counted from the report's day (`ReportWeek.as_of_day`).
DueStatus = Literal["overdue", "due", "due soon"]


class ReportBoard(TypedDict):
    id: int
    name: str


class ReportWeek(TypedDict):
    """The week reported on and the instant it is measured at."""

    week: str  # ISO week, "2026-W48"
    starts: datetime  # Monday 00:00
    ends: datetime  # the next Monday 00:00
    last_seq: int  # the last event the report reflects (0: none yet)
    last_at: datetime | None  # when that event happened
    as_of: datetime  # the week's end, or the time the report was built while it runs
    as_of_day: date  # the day due dates count from: the Sunday, or today while it runs
    running: bool  # the week is not over


class ReportFilter(TypedDict):
    """The board filter a report is narrowed by (`tracker.board.filters`); every section
    then covers only the initiatives it kept, as they stood at the report's instant."""

    query: str  # as in the board page's URL, "grand_challenge_id=2&rag=red"; "" for none
    description: list[str]  # each condition in words, "RAG status: Red or Amber"


class StageCount(TypedDict):
    """Live initiatives in one stage at the week's end, and at the end of the week before."""

    stage_id: int
    stage: str
    count: int
    previous: int
    change: int  # count - previous


class RagCount(TypedDict):
    """Live initiatives with one RAG status (a code of `vocabulary.RAG_VALUES`), as `StageCount`."""

    rag: str
    count: int
    previous: int
    change: int


# One change during the week (`from` is a Python keyword, hence the functional form).
Change = TypedDict(
    "Change",
    {
        "at": datetime,
        "seq": int,  # the event's sequence number on the board
        "initiative_id": int | None,  # set for every kind of change listed in `change`
        "initiative": str,  # its title before the change
        "actor": str,
        "organisation": str,  # the actor's
        # created, moved, RAG changed, role claimed, role released, archived, restored
        "change": str,
        "from": str,  # a stage, a RAG code or an organisation; "" when not applicable
        "to": str,
        "detail": str,  # the role, or the RAG reason
    },
)


class StaleInitiative(TypedDict):
    """A live initiative with no activity for `weekly.STALE_AFTER_DAYS` days."""

    initiative_id: int
    initiative: str
    stage: str
    last_update: datetime
    days_without_update: float


class NextStep(TypedDict):
    """A live initiative's next step, overdue or due within `weekly.DUE_WITHIN_DAYS` days."""

    initiative_id: int
    initiative: str
    next_step: str
    due: date
    status: DueStatus
    days_until_due: int  # from the report's day; negative when overdue


class RoleWanted(TypedDict):
    """A role marked wanted on a live initiative at the report's instant (issue 15)."""

    initiative_id: int
    initiative: str
    role: str
    brief: str
    since: datetime  # when it was marked wanted
    days_wanted: float  # to the report's instant
    long_wanted: bool  # wanted for more than `weekly.LONG_WANTED_WEEKS` weeks


class TimeInStage(TypedDict):
    """A live initiative, in board order, with how long it has been in its stage."""

    initiative_id: int
    initiative: str
    grand_challenge: str
    stage: str
    entered: datetime  # when it entered its current stage
    days_in_stage: float  # to the report's instant
    rag: str  # a code of `vocabulary.RAG_VALUES`
    lead: str  # the organisation holding the board's lead role, or ""
    proposed_by: str  # the proposing organisation


class FlowStage(TypedDict):
    stage: str
    count: int  # live initiatives in it at the end of the week


class FlowWeek(TypedDict):
    """One week of the cumulative flow diagram: counts by stage, in board order."""

    week: str
    week_ending: date  # its Sunday
    stages: list[FlowStage]


class StageDuration(TypedDict):
    """Time spent in one stage by every initiative that has been in it (a stint still going
    counts up to the report's instant; archived time counts for no stage)."""

    stage: str
    initiatives: int
    mean_days: float
    max_days: float


class WeeklyReport(TypedDict):
    """Every section, each a list in the order it is shown."""

    board: ReportBoard
    week: ReportWeek
    filter: ReportFilter  # no query and no description: the whole board
    stage_counts: list[StageCount]  # board order
    rag_counts: list[RagCount]  # red, amber, green, not set
    changes: list[Change]  # in event order
    stale: list[StaleInitiative]  # longest without update first
    next_steps: list[NextStep]  # soonest due first
    roles_wanted: list[RoleWanted]  # wanted longest first
    time_in_stage: list[TimeInStage]  # board order
    cumulative_flow: list[FlowWeek]  # `weekly.FLOW_WEEKS` weeks, oldest first
    stage_durations: list[StageDuration]  # board order
