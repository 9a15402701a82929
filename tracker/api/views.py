"""API endpoints: parse, call the domain operation, commit and publish, answer."""

from __future__ import annotations

from typing import Any

import flask
import sqlalchemy as sa
from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from tracker import board, events
from tracker.accounts import actor
from tracker.api import bp
from tracker.api.board_json import board_json
from tracker.api.report_schemas import ReportQuerySchema, WeeklyReportSchema
from tracker.api.schemas import (
    MAX_INT,
    ArchiveSchema,
    BoardFilterSchema,
    BoardSchema,
    BoardSummarySchema,
    ClaimCreateSchema,
    ClaimSchema,
    CommentCreateSchema,
    CommentSchema,
    ErrorSchema,
    EventsQuerySchema,
    EventsSchema,
    InitiativeCreateSchema,
    InitiativeDetailSchema,
    InitiativePatchSchema,
    InitiativeSchema,
    MoveSchema,
    OrganisationSchema,
    RestoreSchema,
)
from tracker.board import filters, narrowing
from tracker.errors import NotFound
from tracker.extensions import db
from tracker.models import Board, Claim, Comment, Initiative, Organisation
from tracker.reports.service import produce
from tracker.unit_of_work import commit

ERRORS = (400, 401, 403, 404, 409, 422)


def _documented_errors(*statuses: int) -> Any:
    def decorate(view: Any) -> Any:
        for status in statuses:
            view = bp.alt_response(status, schema=ErrorSchema, description=_REASONS[status])(view)
        return view

    return decorate


_REASONS = {
    400: "Malformed request (not JSON, missing CSRF token).",
    401: "Not signed in and no valid bearer token.",
    403: "The caller's account role or organisation may not do this.",
    404: "No such object.",
    409: "Stale version (the body carries `current`) or the role is full.",
    422: "A field is missing or invalid; `fields` names each.",
}


def _check_id(value: int, what: str) -> int:
    # Path ids beyond the column range cannot exist; answering 404 keeps drivers from failing.
    if not 1 <= value <= MAX_INT:
        raise NotFound(
            f"{what} {value} does not exist.", {f"{what.lower()}_id": f"no such {what.lower()}"}
        )
    return value


@bp.route("/organisations")
@bp.response(200, OrganisationSchema(many=True))
@_documented_errors(401)
def list_organisations() -> Any:
    """Organisations (id, name, short name, active)."""
    return db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()


@bp.route("/boards")
@bp.response(200, BoardSummarySchema(many=True))
@_documented_errors(401)
def list_boards() -> Any:
    """Boards the caller can see."""
    return db.session.scalars(sa.select(Board).order_by(Board.id)).all()


@bp.route("/boards/<int:board_id>")
@bp.arguments(BoardFilterSchema, location="query", as_kwargs=True)
@bp.response(200, BoardSchema)
@_documented_errors(401, 404, 422)
def get_board(board_id: int, **_filters: Any) -> Any:
    """Stages, swimlanes (Grand Challenges), role types, live initiatives with their claims,
    and `last_seq`: the sequence number to join the live feed from. The board page's filters
    narrow the initiatives; a bad value is 422 naming the parameter."""
    _check_id(board_id, "Board")
    the_board = board.load_board(board_id)
    # The schema above checked the types; the same rule as the page's checks the values
    # against this board.
    # flask.request, not an imported name: walks over this module's views (tests) must not
    # meet the proxy outside a request.
    rule = filters.parse(the_board, flask.request.args.to_dict(flat=False))
    initiatives = narrowing.narrowed(
        board_id, rule, board.listed_initiatives(board_id, archived=rule.archived)
    )
    # Already JSON-ready (see board_json), so handed over as a response that flask-smorest
    # passes through; BoardSchema above still documents it.
    return jsonify(board_json(the_board, initiatives))


@bp.route("/boards/<int:board_id>/initiatives", methods=["POST"])
@bp.arguments(InitiativeCreateSchema)
@bp.response(201, InitiativeSchema)
@_documented_errors(*ERRORS)
def propose_initiative(fields: dict[str, Any], board_id: int) -> Any:
    """Propose an initiative."""
    _check_id(board_id, "Board")
    change = board.propose(actor(), board_id, fields)
    commit(change.event)
    return board.get_initiative(change.value.id)


@bp.route("/initiatives/<int:initiative_id>")
@bp.response(200, InitiativeDetailSchema)
@_documented_errors(401, 404)
def get_initiative(initiative_id: int) -> Any:
    """One initiative with its claims and comments."""
    _check_id(initiative_id, "Initiative")
    return board.get_initiative(initiative_id)


@bp.route("/initiatives/<int:initiative_id>", methods=["PATCH"])
@bp.arguments(InitiativePatchSchema)
@bp.response(200, InitiativeSchema)
@_documented_errors(*ERRORS)
def edit_initiative(fields: dict[str, Any], initiative_id: int) -> Any:
    """Edit fields. The body carries the `version` the client saw: a stale one gets 409 with
    the current initiative and changes nothing. Changing `rag` needs a `rag_reason`."""
    _check_id(initiative_id, "Initiative")
    version = fields.pop("version")
    change = board.edit(actor(), initiative_id, version, fields)
    commit(change.event)
    return board.get_initiative(initiative_id)


@bp.route("/initiatives/<int:initiative_id>/move", methods=["POST"])
@bp.arguments(MoveSchema)
@bp.response(200, InitiativeSchema)
@_documented_errors(*ERRORS)
def move_initiative(body: dict[str, Any], initiative_id: int) -> Any:
    """Move to a stage (and optionally a swimlane) at a position; 409 when the version is
    stale."""
    _check_id(initiative_id, "Initiative")
    change = board.move(
        actor(),
        initiative_id,
        body["version"],
        body["stage_id"],
        body["position"],
        body.get("grand_challenge_id"),
    )
    commit(change.event)
    return board.get_initiative(initiative_id)


@bp.route("/initiatives/<int:initiative_id>/archive", methods=["POST"])
@bp.arguments(ArchiveSchema)
@bp.response(200, InitiativeSchema)
@_documented_errors(*ERRORS)
def archive_initiative(body: dict[str, Any], initiative_id: int) -> Any:
    """Archive (`archived: true`, the default) or restore an initiative. Envoys and admins."""
    _check_id(initiative_id, "Initiative")
    change = board.archive(actor(), initiative_id, body["version"], body["archived"])
    commit(change.event)
    return board.get_initiative(initiative_id)


@bp.route("/initiatives/<int:initiative_id>/restore", methods=["POST"])
@bp.arguments(RestoreSchema)
@bp.response(200, InitiativeSchema)
@_documented_errors(*ERRORS)
def restore_initiative(body: dict[str, Any], initiative_id: int) -> Any:
    """Restore an archived initiative: it returns to the end of its stage and Grand Challenge
    on the board. Envoys and admins, as archiving; 409 when the version is stale. Restoring
    an initiative that is not archived changes nothing."""
    _check_id(initiative_id, "Initiative")
    change = board.archive(actor(), initiative_id, body["version"], False)
    commit(change.event)
    return board.get_initiative(initiative_id)


@bp.route("/initiatives/<int:initiative_id>/claims", methods=["POST"])
@bp.arguments(ClaimCreateSchema)
@bp.response(201, ClaimSchema)
@_documented_errors(*ERRORS)
def claim_role(body: dict[str, Any], initiative_id: int) -> Any:
    """Claim a role for an organisation; 409 when the role is full or already held by it."""
    _check_id(initiative_id, "Initiative")
    me = actor()
    change = board.claim(
        me, initiative_id, body["role_type_id"], body.get("organisation_id", me.organisation_id)
    )
    claim_id = change.value.id
    commit(change.event)
    return db.session.get(Claim, claim_id)


@bp.route("/claims/<int:claim_id>", methods=["DELETE"])
@bp.response(204)
@_documented_errors(*ERRORS)
def release_claim(claim_id: int) -> ResponseReturnValue:
    """Release a claim."""
    _check_id(claim_id, "Claim")
    change = board.release(actor(), claim_id)
    commit(change.event)
    return "", 204


@bp.route("/initiatives/<int:initiative_id>/comments", methods=["POST"])
@bp.arguments(CommentCreateSchema)
@bp.response(201, CommentSchema)
@_documented_errors(*ERRORS)
def add_comment(body: dict[str, Any], initiative_id: int) -> Any:
    """Add a progress note."""
    _check_id(initiative_id, "Initiative")
    change = board.add_comment(actor(), initiative_id, body["body"])
    comment_id = change.value.id
    commit(change.event)
    return db.session.get(Comment, comment_id)


@bp.route("/boards/<int:board_id>/events")
@bp.arguments(EventsQuerySchema, location="query", as_kwargs=True)
@bp.response(200, EventsSchema)
@_documented_errors(401, 404, 422)
def list_events(board_id: int, since: int, limit: int) -> Any:
    """The events after sequence number `since`, in order (at most `limit`). `last_seq` is
    the board's latest: fetch again from the last event's `seq` while it is lower."""
    _check_id(board_id, "Board")
    the_board = board.get_board(board_id)
    return {
        "events": [events.envelope(e) for e in events.since(board_id, since, limit)],
        "last_seq": the_board.last_seq,
    }


__all__ = ["Initiative"]


@bp.route("/boards/<int:board_id>/reports/weekly")
@bp.arguments(ReportQuerySchema, location="query", as_kwargs=True)
@bp.response(200, WeeklyReportSchema)
@bp.doc(
    responses={
        "200": {
            "description": "The report: JSON by default; `format=csv|xlsx|html` downloads a file.",
            "content": {
                "application/json": {"schema": WeeklyReportSchema},
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "text/html": {"schema": {"type": "string"}},
            },
        }
    }
)
@bp.alt_response(
    429,
    schema=ErrorSchema,
    description="The caller already has as many reports being generated as allowed "
    "(`REPORT_BUILDS_PER_USER`); `Retry-After` says when to try again.",
)
@_documented_errors(401, 404, 422)
def weekly_report(board_id: int, week: str, format: str, **_filters: Any) -> Any:
    """The weekly status report for an ISO week (Monday to Sunday, Europe/London): counts by
    stage and RAG and their change, every move, claim, release, RAG change, new and archived
    initiative, stale initiatives, next steps due, time in stage, and chart data.

    A finished week's report is served from a cache after the first request; each user may
    have a few reports being built at a time (429 with `Retry-After` beyond that).

    The board page's filters narrow it: every section then covers only the initiatives they
    keep, and the report says so (`filter`; a first section or sheet in CSV and XLSX)."""
    _check_id(board_id, "Board")
    rule = filters.parse(board.load_board(board_id), flask.request.args.to_dict(flat=False))
    produced = produce(board_id, week, format, builder=actor().id, rule=rule)
    headers = {}
    if format != "json":
        headers["Content-Disposition"] = f'attachment; filename="{produced.filename}"'
    return Response(produced.body, mimetype=produced.media_type.split(";")[0], headers=headers)
