"""Marshmallow schemas: they validate API requests and generate the OpenAPI document."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from tracker import text
from tracker.board.filters import DUE, INVOLVEMENTS
from tracker.limits import MAX_ID, parse_day
from tracker.models import (
    BARRIERS_MAX,
    COMMENT_MAX,
    NEXT_STEP_MAX,
    RAG_REASON_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
)
from tracker.operations import MULTI_LINE_FIELDS
from tracker.vocabulary import RAG_VALUES

# Ids and versions fit a 32-bit integer on every database we support.
MAX_INT = MAX_ID


def _id(**kwargs: object) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_INT), **kwargs)  # type: ignore[arg-type]


def _query_id(**kwargs: object) -> fields.Integer:
    """An id in a query string: digits, not JSON, so not strict; in the id range, as in URLs."""
    return fields.Integer(validate=validate.Range(1, MAX_INT), **kwargs)  # type: ignore[arg-type]


def _version(**kwargs: object) -> fields.Integer:
    """The initiative's version the client saw (a change to a stale one gets 409)."""
    return _id(required=True, **kwargs)


class Day(fields.Date):
    """A date written YYYY-MM-DD (`limits.parse_day`): marshmallow's own reads "2026-W48" as
    that week's Monday."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and parse_day(value) is None:
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class TextRule(validate.Validator):
    """The one text rule (`tracker.text`): no control characters; tab and line breaks only in
    a multi-line field."""

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, value: str) -> str:
        reason = text.problem(value, multiline=self.multiline)
        if reason is not None:
            raise ma.ValidationError(reason)
        return value


def _text(
    name: str, max_len: int, *, min_len: int | None = None, **kwargs: object
) -> fields.String:
    """A text field a person types: its length and the text rule."""
    multiline = name in MULTI_LINE_FIELDS
    rule = "tab and line breaks allowed" if multiline else "one line"
    return fields.String(
        validate=[validate.Length(min_len, max_len), TextRule(multiline)],
        metadata={"description": f"Text without control characters ({rule})."},
        **kwargs,  # type: ignore[arg-type]
    )


class ErrorBodySchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True)
    field_reasons = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.String(),
        data_key="fields",
        metadata={"description": "field name → reason"},
    )


class StrictBoolean(fields.Boolean):
    """JSON `true` or `false` only. marshmallow's Boolean also takes 1, "yes" and "on", which
    the OpenAPI document (type: boolean) does not allow."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# --- requests -----------------------------------------------------------------------------


class InitiativeFieldsSchema(ma.Schema):
    title = _text("title", TITLE_MAX, min_len=1)
    summary = _text("summary", SUMMARY_MAX)
    grand_challenge_id = _id()
    rag = fields.String(validate=validate.OneOf(RAG_VALUES))
    rag_reason = _text("rag_reason", RAG_REASON_MAX)
    next_step = _text("next_step", NEXT_STEP_MAX)
    next_step_due = Day(allow_none=True)
    barriers = _text("barriers", BARRIERS_MAX)


class InitiativeCreateSchema(InitiativeFieldsSchema):
    title = _text("title", TITLE_MAX, min_len=1, required=True)
    grand_challenge_id = _id(required=True)
    stage_id = _id(metadata={"description": "Default: the board's first stage."})
    proposing_organisation_id = _id(
        metadata={"description": "Default: the caller's organisation (members: only that)."}
    )


class InitiativePatchSchema(InitiativeFieldsSchema):
    version = _version(
        metadata={"description": "The version the client saw; a stale one gets 409."}
    )


class MoveSchema(ma.Schema):
    stage_id = _id(required=True)
    position = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(0, MAX_INT),
        metadata={"description": "0-based index in the stage × Grand Challenge cell."},
    )
    version = _version()
    grand_challenge_id = _id(metadata={"description": "Move to another swimlane too."})


class ArchiveSchema(ma.Schema):
    version = _version()
    archived = StrictBoolean(load_default=True)


class RestoreSchema(ma.Schema):
    version = _version()


class ClaimCreateSchema(ma.Schema):
    role_type_id = _id(required=True)
    organisation_id = _id(metadata={"description": "Default: the caller's organisation."})


class CommentCreateSchema(ma.Schema):
    body = _text("body", COMMENT_MAX, min_len=1, required=True)


class EventsQuerySchema(ma.Schema):
    since = fields.Integer(load_default=0, validate=validate.Range(0, MAX_INT))
    limit = fields.Integer(load_default=1000, validate=validate.Range(1, 1000))


class BoardFilterSchema(ma.Schema):
    """The board's filters (`tracker.board.filters`), as the board page's URL has them: each
    given parameter narrows the initiatives listed; a repeated one is any of its values."""

    q = fields.String(
        metadata={
            "description": "text in the title, summary, next step or barriers; case and "
            "accents are ignored (at most 200 characters)"
        }
    )
    grand_challenge_id = fields.List(
        _query_id(), metadata={"description": "ids of the board's Grand Challenges"}
    )
    stage_id = fields.List(_query_id(), metadata={"description": "ids of the board's stages"})
    rag = fields.List(fields.String(validate=validate.OneOf(RAG_VALUES)))
    organisation_id = _query_id(
        metadata={"description": "an organisation involved (see `involvement`)"}
    )
    involvement = fields.String(
        validate=validate.OneOf(INVOLVEMENTS),
        metadata={
            "description": "how `organisation_id` is involved: `any` (the default: proposed "
            "it or holds a role), `proposed`, `holds`"
        },
    )
    role_type_id = _query_id(
        metadata={"description": "a role held (by `organisation_id` when given, else by anyone)"}
    )
    wanted = fields.String(
        metadata={
            "description": "`any`, or a role type id: an exclusive role (at most one holder) "
            "that nobody holds"
        }
    )
    due = fields.String(
        validate=validate.OneOf(DUE),
        metadata={
            "description": "`overdue`: the next step's due date has passed (London); `soon`: "
            "overdue or due within 14 days"
        },
    )
    stale = fields.Boolean(metadata={"description": "no change of any kind for 14 days"})
    archived = fields.Boolean(
        metadata={"description": "the archived initiatives instead of the live ones"}
    )

    @ma.pre_load
    def _empty_is_not_given(self, data: Any, **_: Any) -> dict[str, Any]:
        """An empty value is no filter, as on the board page (whose form sends every field,
        so that its URLs work here too)."""
        kept: dict[str, Any] = {}
        for name in data:
            value = data[name]
            if isinstance(value, list):
                value = [v for v in value if str(v).strip()]
            if value not in ("", []) and (not isinstance(value, str) or value.strip()):
                kept[name] = value
        return kept


# --- responses ----------------------------------------------------------------------------


class OrganisationSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    short_name = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "what board cards call it; null: its name"},
    )
    active = fields.Boolean(required=True)


class BoardSummarySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    last_seq = fields.Integer(required=True)


class StageSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    position = fields.Integer(required=True)
    wip_limit = fields.Integer(required=True, allow_none=True)


class GrandChallengeSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    position = fields.Integer(required=True)


class RoleTypeSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    max_holders = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: any number"}
    )
    exclusive = fields.Boolean(required=True)
    is_lead = fields.Boolean(
        required=True,
        metadata={"description": "its holder leads the initiative (at most one per board)"},
    )
    claim_mode = fields.String(
        required=True,
        metadata={
            "description": "`claim`: first come, first served; `request`: asked for with "
            "`POST /initiatives/{id}/requests` and approved by the lead organisation or an envoy"
        },
    )


class ClaimSchema(ma.Schema):
    id = fields.Integer(required=True)
    initiative_id = fields.Integer(required=True)
    role_type_id = fields.Integer(required=True)
    role = fields.String(required=True, attribute="role_type.name")
    organisation_id = fields.Integer(required=True)
    organisation = fields.String(required=True, attribute="organisation.name")
    claimed_by = fields.String(required=True, attribute="claimed_by.name")
    claimed_at = fields.DateTime(required=True)


class CommentSchema(ma.Schema):
    id = fields.Integer(required=True)
    initiative_id = fields.Integer(required=True)
    body = fields.String(required=True)
    author = fields.String(required=True, attribute="author.name")
    organisation = fields.String(required=True, attribute="organisation.name")
    created_at = fields.DateTime(required=True)


class InitiativeSchema(ma.Schema):
    id = fields.Integer(required=True)
    board_id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    grand_challenge_id = fields.Integer(required=True)
    stage_id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    rag = fields.String(required=True, validate=validate.OneOf(RAG_VALUES))
    rag_reason = fields.String(required=True)
    next_step = fields.String(required=True)
    next_step_due = fields.Date(required=True, allow_none=True)
    barriers = fields.String(required=True)
    proposing_organisation_id = fields.Integer(required=True)
    archived = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    stage_entered_at = fields.DateTime(required=True)
    claims = fields.List(fields.Nested(ClaimSchema), required=True)


class InitiativeDetailSchema(InitiativeSchema):
    comments = fields.List(fields.Nested(CommentSchema), required=True)


class BoardSchema(BoardSummarySchema):
    stages = fields.List(fields.Nested(StageSchema), required=True)
    grand_challenges = fields.List(
        fields.Nested(GrandChallengeSchema),
        required=True,
        metadata={"description": "The swimlanes."},
    )
    role_types = fields.List(fields.Nested(RoleTypeSchema), required=True)
    initiatives = fields.List(fields.Nested(InitiativeSchema), required=True)


class ActorSchema(ma.Schema):
    user = fields.Dict(required=True, metadata={"description": "{id, name}"})
    organisation = fields.Dict(required=True, metadata={"description": "{id, name}"})


class EventSchema(ma.Schema):
    seq = fields.Integer(required=True)
    board_id = fields.Integer(required=True)
    type = fields.String(required=True)
    initiative_id = fields.Integer(required=True, allow_none=True)
    actor = fields.Nested(ActorSchema, required=True)
    at = fields.String(required=True, metadata={"format": "date-time"})
    data = fields.Dict(required=True)


class EventsSchema(ma.Schema):
    events = fields.List(fields.Nested(EventSchema), required=True)
    last_seq = fields.Integer(required=True)


class ErrorSchema(ma.Schema):
    """`{"error": {"code", "message", "fields"}}`; a conflict on an initiative adds `current`."""

    error = fields.Nested(ErrorBodySchema, required=True)
    current = fields.Nested(InitiativeSchema)
