"""The weekly report's shapes in the OpenAPI document: the JSON `GET
/api/v1/boards/{id}/reports/weekly?format=json` answers (built by `tracker.reports`)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tracker.api.schemas import BoardFilterSchema


class ReportQuerySchema(BoardFilterSchema):
    """The week and format, and the board page's filters: a narrowed report covers only the
    initiatives they keep, judged as they stood at the report's instant (live and archived
    alike; with `archived`, only the archived ones)."""

    week = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}-W\d{2}$"),
        metadata={
            "description": "ISO week, Monday to Sunday in Europe/London",
            "example": "2026-W48",
        },
    )
    format = fields.String(
        load_default="json", validate=validate.OneOf(("json", "csv", "xlsx", "html"))
    )


class _CountSchema(ma.Schema):
    count = fields.Integer(required=True)
    previous = fields.Integer(
        required=True, metadata={"description": "at the end of the week before"}
    )
    change = fields.Integer(required=True)


class StageCountSchema(_CountSchema):
    stage_id = fields.Integer(required=True)
    stage = fields.String(required=True)


class RagCountSchema(_CountSchema):
    rag = fields.String(required=True)


class ReportChangeSchema(ma.Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    seq = fields.Integer(required=True)
    change = fields.String(
        required=True,
        metadata={
            "description": "created, moved, RAG changed, role claimed, role released, "
            "archived, restored"
        },
    )
    initiative_id = fields.Integer(required=True)
    initiative = fields.String(required=True)
    from_ = fields.String(required=True, data_key="from", attribute="from")
    to = fields.String(required=True)
    detail = fields.String(required=True, metadata={"description": "the role, or the RAG reason"})
    actor = fields.String(required=True)
    organisation = fields.String(required=True)


class ReportStaleSchema(ma.Schema):
    initiative_id = fields.Integer(required=True)
    initiative = fields.String(required=True)
    stage = fields.String(required=True)
    last_update = fields.String(required=True, metadata={"format": "date-time"})
    days_without_update = fields.Float(required=True)


class ReportRoleWantedSchema(ma.Schema):
    initiative_id = fields.Integer(required=True)
    initiative = fields.String(required=True)
    role = fields.String(required=True)
    brief = fields.String(required=True)
    since = fields.String(required=True, metadata={"format": "date-time"})
    days_wanted = fields.Float(required=True)
    long_wanted = fields.Boolean(
        required=True, metadata={"description": "wanted for more than 6 weeks"}
    )


class ReportNextStepSchema(ma.Schema):
    initiative_id = fields.Integer(required=True)
    initiative = fields.String(required=True)
    next_step = fields.String(required=True)
    due = fields.String(required=True, metadata={"format": "date"})
    status = fields.String(
        required=True,
        metadata={"description": "overdue, due (on the report's day), due soon (within 14 days)"},
    )
    days_until_due = fields.Integer(
        required=True,
        metadata={
            "description": "days from the report's day (`week.as_of_day`) to the due date; "
            "negative when overdue"
        },
    )


class ReportInStageSchema(ma.Schema):
    initiative_id = fields.Integer(required=True)
    initiative = fields.String(required=True)
    grand_challenge = fields.String(required=True)
    stage = fields.String(required=True)
    entered = fields.String(required=True, metadata={"format": "date-time"})
    days_in_stage = fields.Float(required=True)
    rag = fields.String(required=True)
    lead = fields.String(required=True)
    proposed_by = fields.String(required=True)


class ReportFlowStageSchema(ma.Schema):
    stage = fields.String(required=True)
    count = fields.Integer(required=True)


class ReportFlowSchema(ma.Schema):
    week = fields.String(required=True)
    week_ending = fields.String(required=True, metadata={"format": "date"})
    stages = fields.List(fields.Nested(ReportFlowStageSchema), required=True)


class ReportDurationSchema(ma.Schema):
    stage = fields.String(required=True)
    initiatives = fields.Integer(required=True)
    mean_days = fields.Float(required=True)
    max_days = fields.Float(required=True)


class ReportWeekSchema(ma.Schema):
    week = fields.String(required=True)
    starts = fields.String(required=True, metadata={"format": "date-time"})
    ends = fields.String(required=True, metadata={"format": "date-time"})
    last_seq = fields.Integer(
        required=True,
        metadata={"description": "the last event the report reflects (0: none yet)"},
    )
    last_at = fields.String(
        required=True,
        allow_none=True,
        metadata={"format": "date-time", "description": "when that event happened"},
    )
    as_of = fields.String(
        required=True,
        metadata={
            "format": "date-time",
            "description": "the instant the report is measured at: the week's end, or the "
            "time it was produced while the week is running",
        },
    )
    as_of_day = fields.String(
        required=True,
        metadata={
            "format": "date",
            "description": "the day due dates are counted from: the Sunday, or today while "
            "the week is running",
        },
    )
    running = fields.Boolean(required=True, metadata={"description": "the week is not over"})


class ReportFilterSchema(ma.Schema):
    query = fields.String(
        required=True,
        metadata={
            "description": "the board filter the report is narrowed by, as a query string "
            "(`grand_challenge_id=2&rag=red`); empty: the whole board",
        },
    )
    description = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "each of its conditions in words (empty: the whole board)"},
    )


class ReportBoardSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class WeeklyReportSchema(ma.Schema):
    """Every section of the weekly status report, computed from the event log only."""

    board = fields.Nested(ReportBoardSchema, required=True)
    week = fields.Nested(ReportWeekSchema, required=True)
    filter = fields.Nested(ReportFilterSchema, required=True)
    stage_counts = fields.List(fields.Nested(StageCountSchema), required=True)
    rag_counts = fields.List(fields.Nested(RagCountSchema), required=True)
    changes = fields.List(fields.Nested(ReportChangeSchema), required=True)
    stale = fields.List(
        fields.Nested(ReportStaleSchema),
        required=True,
        metadata={"description": "live initiatives with no update for 14 days"},
    )
    next_steps = fields.List(
        fields.Nested(ReportNextStepSchema),
        required=True,
        metadata={"description": "next steps overdue or due within 14 days of `week.as_of_day`"},
    )
    roles_wanted = fields.List(
        fields.Nested(ReportRoleWantedSchema),
        required=True,
        metadata={"description": "roles marked wanted on live initiatives, longest first"},
    )
    time_in_stage = fields.List(fields.Nested(ReportInStageSchema), required=True)
    cumulative_flow = fields.List(fields.Nested(ReportFlowSchema), required=True)
    stage_durations = fields.List(fields.Nested(ReportDurationSchema), required=True)
