"""API endpoints for matching organisations to initiatives (issue 15): roles wanted,
requests for by-request roles and their decisions, expressions of interest and invitations.
Each calls one operation of `tracker.board.matching`, commits and publishes its event.
Registered on the API blueprint with `views`."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.typing import ResponseReturnValue
from marshmallow import fields

from tracker import board
from tracker.accounts import actor
from tracker.api import bp
from tracker.api.schemas import ClaimSchema, _id, _text
from tracker.api.views import ERRORS, _check_id, _documented_errors
from tracker.board import matching
from tracker.extensions import db
from tracker.models import BRIEF_MAX, MESSAGE_MAX, Claim, Interest, RoleRequest, WantedRole
from tracker.unit_of_work import commit


class WantedCreateSchema(ma.Schema):
    brief = _text("brief", BRIEF_MAX, min_len=1, required=True)


class WantedRoleSchema(ma.Schema):
    id = fields.Integer(required=True)
    initiative_id = fields.Integer(required=True)
    role_type_id = fields.Integer(required=True)
    role = fields.String(required=True, attribute="role_type.name")
    brief = fields.String(required=True)
    wanted_at = fields.DateTime(required=True)


class RequestCreateSchema(ma.Schema):
    role_type_id = _id(required=True)
    organisation_id = _id(metadata={"description": "Default: the caller's organisation."})
    message = _text("message", MESSAGE_MAX, min_len=1, required=True)


class ReasonSchema(ma.Schema):
    reason = _text("reason", MESSAGE_MAX, load_default="")


class RoleRequestSchema(ma.Schema):
    id = fields.Integer(required=True)
    initiative_id = fields.Integer(required=True)
    role_type_id = fields.Integer(required=True)
    role = fields.String(required=True, attribute="role_type.name")
    organisation_id = fields.Integer(required=True)
    organisation = fields.String(required=True, attribute="organisation.name")
    message = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"description": "open, approved, declined or withdrawn"}
    )
    created_at = fields.DateTime(required=True)
    reason = fields.String(required=True)


class InterestCreateSchema(ma.Schema):
    organisation_id = _id(metadata={"description": "Default: the caller's organisation."})
    message = _text("message", MESSAGE_MAX, min_len=1, required=True)


class InviteSchema(ma.Schema):
    role_type_id = _id(required=True)


class InterestSchema(ma.Schema):
    id = fields.Integer(required=True)
    initiative_id = fields.Integer(required=True)
    organisation_id = fields.Integer(required=True)
    organisation = fields.String(required=True, attribute="organisation.name")
    message = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"description": "open, invited, accepted, declined or closed"}
    )
    role_type_id = fields.Integer(allow_none=True, metadata={"description": "invited to"})
    created_at = fields.DateTime(required=True)
    reason = fields.String(required=True)


class MatchingSchema(ma.Schema):
    lead_organisation_id = fields.Integer(
        required=True,
        metadata={"description": "who decides with envoys: the Lead's holder, else the proposer"},
    )
    wanted = fields.List(fields.Nested(WantedRoleSchema), required=True)
    requests = fields.List(fields.Nested(RoleRequestSchema), required=True)
    interests = fields.List(
        fields.Nested(InterestSchema),
        required=True,
        metadata={"description": "all for those who decide, else the caller's organisation's"},
    )


@bp.route("/initiatives/<int:initiative_id>/matching")
@bp.response(200, MatchingSchema)
@_documented_errors(401, 404)
def get_matching(initiative_id: int) -> Any:
    """Roles wanted, open requests, and the open or invited interests the caller may see."""
    _check_id(initiative_id, "Initiative")
    return matching.overview(actor(), board.get_initiative(initiative_id))


@bp.route("/initiatives/<int:initiative_id>/wanted/<int:role_type_id>", methods=["PUT"])
@bp.arguments(WantedCreateSchema)
@bp.response(201, WantedRoleSchema)
@_documented_errors(*ERRORS)
def want_role(body: dict[str, Any], initiative_id: int, role_type_id: int) -> Any:
    """Mark a role wanted with a one-line brief (the lead organisation, envoys, admins)."""
    _check_id(initiative_id, "Initiative")
    change = matching.want_role(actor(), initiative_id, role_type_id, body["brief"])
    wanted_id = change.value.id
    commit(change.event)
    return db.session.get(WantedRole, wanted_id)


@bp.route("/initiatives/<int:initiative_id>/wanted/<int:role_type_id>", methods=["DELETE"])
@bp.response(204)
@_documented_errors(*ERRORS)
def withdraw_wanted(initiative_id: int, role_type_id: int) -> ResponseReturnValue:
    """The role is no longer wanted."""
    _check_id(initiative_id, "Initiative")
    commit(matching.withdraw_wanted(actor(), initiative_id, role_type_id).event)
    return "", 204


@bp.route("/initiatives/<int:initiative_id>/requests", methods=["POST"])
@bp.arguments(RequestCreateSchema)
@bp.response(201, RoleRequestSchema)
@_documented_errors(*ERRORS)
def request_role(body: dict[str, Any], initiative_id: int) -> Any:
    """Ask for a by-request role for an organisation, with a message."""
    _check_id(initiative_id, "Initiative")
    me = actor()
    change = matching.request_role(
        me,
        initiative_id,
        body["role_type_id"],
        body.get("organisation_id", me.organisation_id),
        body["message"],
    )
    request_id = change.value.id
    commit(change.event)
    return db.session.get(RoleRequest, request_id)


@bp.route("/requests/<int:request_id>/approve", methods=["POST"])
@bp.response(201, ClaimSchema)
@_documented_errors(*ERRORS)
def approve_request(request_id: int) -> Any:
    """Approve an open request: the claim is made with it. 409 when the role is full (the
    request stays open) or the request is no longer open."""
    _check_id(request_id, "Request")
    change = matching.approve_request(actor(), request_id)
    claim_id = change.value.id
    commit(change.event)
    return db.session.get(Claim, claim_id)


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, RoleRequestSchema)
@_documented_errors(*ERRORS)
def decline_request(body: dict[str, Any], request_id: int) -> Any:
    """Decline an open request, with a reason (required)."""
    _check_id(request_id, "Request")
    change = matching.decline_request(actor(), request_id, body["reason"])
    commit(change.event)
    return db.session.get(RoleRequest, request_id)


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@bp.response(200, RoleRequestSchema)
@_documented_errors(*ERRORS)
def withdraw_request(request_id: int) -> Any:
    """The requesting organisation withdraws its open request."""
    _check_id(request_id, "Request")
    change = matching.withdraw_request(actor(), request_id)
    commit(change.event)
    return db.session.get(RoleRequest, request_id)


@bp.route("/initiatives/<int:initiative_id>/interests", methods=["POST"])
@bp.arguments(InterestCreateSchema)
@bp.response(201, InterestSchema)
@_documented_errors(*ERRORS)
def register_interest(body: dict[str, Any], initiative_id: int) -> Any:
    """Register an organisation's interest, without a role, with a message."""
    _check_id(initiative_id, "Initiative")
    me = actor()
    change = matching.register_interest(
        me, initiative_id, body.get("organisation_id", me.organisation_id), body["message"]
    )
    interest_id = change.value.id
    commit(change.event)
    return db.session.get(Interest, interest_id)


@bp.route("/interests/<int:interest_id>/invite", methods=["POST"])
@bp.arguments(InviteSchema)
@bp.response(200, InterestSchema)
@_documented_errors(*ERRORS)
def invite(body: dict[str, Any], interest_id: int) -> Any:
    """Invite the interested organisation to a named role (envoys, admins)."""
    _check_id(interest_id, "Interest")
    commit(matching.invite(actor(), interest_id, body["role_type_id"]).event)
    return db.session.get(Interest, interest_id)


@bp.route("/interests/<int:interest_id>/accept", methods=["POST"])
@bp.response(201, ClaimSchema)
@_documented_errors(*ERRORS)
def accept_invitation(interest_id: int) -> Any:
    """The invited organisation accepts: it holds the role."""
    _check_id(interest_id, "Interest")
    change = matching.accept_invitation(actor(), interest_id)
    claim_id = change.value.id
    commit(change.event)
    return db.session.get(Claim, claim_id)


@bp.route("/interests/<int:interest_id>/decline", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, InterestSchema)
@_documented_errors(*ERRORS)
def decline_invitation(body: dict[str, Any], interest_id: int) -> Any:
    """The invited organisation declines the invitation."""
    _check_id(interest_id, "Interest")
    commit(matching.decline_invitation(actor(), interest_id, body["reason"]).event)
    return db.session.get(Interest, interest_id)


@bp.route("/interests/<int:interest_id>/close", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, InterestSchema)
@_documented_errors(*ERRORS)
def close_interest(body: dict[str, Any], interest_id: int) -> Any:
    """Close an open or invited interest (envoys, admins)."""
    _check_id(interest_id, "Interest")
    commit(matching.close_interest(actor(), interest_id, body["reason"]).event)
    return db.session.get(Interest, interest_id)
