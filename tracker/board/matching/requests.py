"""Requests for roles agreed rather than claimed: asked for by an organisation with a
message; approved (the claim made in the same step), declined with a reason, or withdrawn."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker import policy
from tracker.board.claims import can_hold, place_claim
from tracker.board.fields import organisation_field
from tracker.board.matching.common import (
    DECIDERS,
    append,
    lead_organisation_id,
    locked_row,
    refuse_archived,
    role_type_on,
)
from tracker.board.reading import locked_initiative
from tracker.errors import Conflict, Invalid
from tracker.extensions import db
from tracker.models import (
    MESSAGE_MAX,
    Claim,
    Initiative,
    RoleRequest,
    User,
    utcnow,
)
from tracker.operations import Change, text_field
from tracker.vocabulary import (
    ROLE_REQUEST_DECLINED,
    ROLE_REQUEST_WITHDRAWN,
    ROLE_REQUESTED,
)

# --- requests -----------------------------------------------------------------------------


def _request_data(request: RoleRequest) -> dict[str, Any]:
    return {
        "request_id": request.id,
        "role_type_id": request.role_type_id,
        "role": request.role_type.name,
        "organisation_id": request.organisation_id,
        "organisation": request.organisation.name,
    }


def request_role(
    actor: User, initiative_id: int, role_type_id: Any, organisation_id: Any, message: Any
) -> Change[RoleRequest]:
    """Ask for a by-request role for an organisation, with a message. Event `role_requested`,
    data `{"request_id", "role_type_id", "role", "organisation_id", "organisation",
    "message"}`. 422 for a role claimed rather than requested, on an archived initiative;
    409 when the organisation holds it, it is full, or the organisation asked already."""
    policy.require(policy.may(actor, "request"), "Your account cannot ask for roles.")
    initiative = locked_initiative(initiative_id)
    organisation = organisation_field(organisation_id)
    policy.require(
        policy.may_act_for(actor, organisation.id),
        "Members can ask for roles only for their own organisation.",
    )
    role_type = role_type_on(initiative, role_type_id)
    text = text_field(message, "message", max_len=MESSAGE_MAX, required=True)
    if role_type.claim_mode != "request":
        raise Invalid({"role_type_id": f"{role_type.name} is claimed, not asked for: claim it"})
    refuse_archived(initiative, "roles cannot be asked for")
    can_hold(initiative, role_type, organisation)
    if _open_request(initiative.id, role_type.id, organisation.id) is not None:
        raise Conflict(
            f"{organisation.name} has asked for {role_type.name} already.",
            {"role_type_id": "asked for already"},
        )
    request = RoleRequest(
        initiative_id=initiative.id,
        role_type_id=role_type.id,
        organisation_id=organisation.id,
        requested_by_id=actor.id,
        message=text,
        created_at=utcnow(),
    )
    db.session.add(request)
    db.session.flush()
    data = _request_data(request) | {"message": text}
    return Change(request, append(actor, initiative, ROLE_REQUESTED, data))


def _open_request(
    initiative_id: int, role_type_id: int, organisation_id: int
) -> RoleRequest | None:
    return db.session.scalar(
        sa.select(RoleRequest).where(
            RoleRequest.initiative_id == initiative_id,
            RoleRequest.role_type_id == role_type_id,
            RoleRequest.organisation_id == organisation_id,
            RoleRequest.status == "open",
        )
    )


def _still_open(request: RoleRequest) -> None:
    if request.status != "open":
        raise Conflict(
            f"This request was {request.status} already.", {"request_id": f"{request.status}"}
        )


def _may_decide(actor: User, request: RoleRequest, initiative: Initiative) -> None:
    policy.require(policy.may_decide(actor, lead_organisation_id(initiative)), DECIDERS)
    # A member of the lead organisation does not decide their own organisation's request.
    policy.require(
        policy.may(actor, "edit_any") or actor.organisation_id != request.organisation_id,
        "Your organisation's own request is decided by an envoy.",
    )


def approve_request(actor: User, request_id: int) -> Change[Claim]:
    """Approve a request: the organisation holds the role, in the same step. Event
    `role_claimed` with `"request_id"`. 409 when the request is no longer open, or the role
    is full (the request stays open)."""
    request, initiative = locked_row(RoleRequest, request_id, "Request")
    _may_decide(actor, request, initiative)
    _still_open(request)
    organisation = organisation_field(request.organisation_id)
    new_claim, event = place_claim(
        actor, initiative, request.role_type, organisation, {"request_id": request.id}
    )
    request.status = "approved"
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    db.session.flush()
    return Change(new_claim, event)


def decline_request(actor: User, request_id: int, reason: Any) -> Change[RoleRequest]:
    """Decline a request with a reason. Event `role_request_declined`, data as
    `role_requested` with `"reason"` for `"message"`."""
    request, initiative = locked_row(RoleRequest, request_id, "Request")
    _may_decide(actor, request, initiative)
    text = text_field(reason, "reason", max_len=MESSAGE_MAX, required=True)
    _still_open(request)
    request.status = "declined"
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.reason = text
    db.session.flush()
    data = _request_data(request) | {"reason": text}
    return Change(request, append(actor, initiative, ROLE_REQUEST_DECLINED, data))


def withdraw_request(actor: User, request_id: int) -> Change[RoleRequest]:
    """The requesting organisation withdraws its open request. Event
    `role_request_withdrawn`, data as `role_requested` without the message."""
    request, initiative = locked_row(RoleRequest, request_id, "Request")
    policy.require(
        policy.may(actor, "request") and policy.may_act_for(actor, request.organisation_id),
        "Only the organisation that asked can withdraw its request.",
    )
    _still_open(request)
    request.status = "withdrawn"
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    db.session.flush()
    return Change(
        request, append(actor, initiative, ROLE_REQUEST_WITHDRAWN, _request_data(request))
    )
