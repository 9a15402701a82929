"""Matching organisations to initiatives (issue 15): roles wanted, requests for roles agreed
rather than claimed, and expressions of interest.

Who decides for an initiative: envoys, admins and the members of its lead organisation
(`lead_organisation_id`: the holder of the board's leading role, else the organisation that
proposed it). Every step is one event, written under the board lock like every operation;
an approved request and an accepted invitation are the `role_claimed` event of the claim
they make (`request_id` or `interest_id` in its data), so the claim and the decision are one
step. A refused step writes nothing.

| step                          | who                                   | event                   |
|-------------------------------|---------------------------------------|-------------------------|
| want a role / withdraw it     | `policy.may_decide`                   | role_wanted / _withdrawn|
| request a by-request role     | a member for their organisation       | role_requested          |
| approve / decline a request   | `policy.may_decide`                   | role_claimed / _declined|
| withdraw a request            | the requesting organisation           | role_request_withdrawn  |
| register interest             | a member for their organisation       | interest_registered     |
| invite to a role / close      | envoys, admins                        | interest_invited/_closed|
| accept / decline an invitation| the interested organisation           | role_claimed / _declined|
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tracker import events, policy
from tracker.board.claims import place_claim
from tracker.board.fields import organisation_field
from tracker.board.reading import locked_initiative
from tracker.errors import Conflict, Invalid, NotFound
from tracker.extensions import db
from tracker.models import (
    BRIEF_MAX,
    MESSAGE_MAX,
    Claim,
    Event,
    Initiative,
    Interest,
    Organisation,
    RoleRequest,
    RoleType,
    User,
    WantedRole,
    utcnow,
)
from tracker.operations import Change, int_field, text_field
from tracker.vocabulary import (
    INTEREST_CLOSED,
    INTEREST_DECLINED,
    INTEREST_INVITED,
    INTEREST_REGISTERED,
    ROLE_REQUEST_DECLINED,
    ROLE_REQUEST_WITHDRAWN,
    ROLE_REQUESTED,
    ROLE_WANTED,
    ROLE_WANTED_WITHDRAWN,
)

DECIDERS = "Only the initiative's lead organisation, envoys and admins decide this."


def lead_organisation_id(initiative: Initiative) -> int:
    """The organisation holding the board's leading role on the initiative, else the one that
    proposed it."""
    for held in initiative.claims:
        if held.role_type.is_lead:
            return held.organisation_id
    return initiative.proposing_organisation_id


def _role_type(initiative: Initiative, role_type_id: Any) -> RoleType:
    role_type_id = int_field(role_type_id, "role_type_id")
    role_type = db.session.get(RoleType, role_type_id)
    if role_type is None or role_type.board_id != initiative.board_id:
        raise Invalid({"role_type_id": "no such role type on this board"})
    return role_type


def _live(initiative: Initiative, what: str) -> None:
    if initiative.archived:
        raise Invalid({"initiative_id": f"{what} on an archived initiative"})


def _append(actor: User, initiative: Initiative, kind: str, data: dict[str, Any]) -> Event:
    return events.append(
        board_id=initiative.board_id,
        type=kind,
        actor=actor,
        initiative_id=initiative.id,
        data=data,
    )


def _can_hold(initiative: Initiative, role_type: RoleType, organisation: Organisation) -> None:
    """Refuse (409) a role the organisation holds already, or an exclusive one held."""
    holders = [c for c in initiative.claims if c.role_type_id == role_type.id]
    if any(c.organisation_id == organisation.id for c in holders):
        raise Conflict(
            f"{organisation.name} already holds {role_type.name} on this initiative.",
            {"organisation_id": "already holds this role"},
        )
    if role_type.max_holders is not None and len(holders) >= role_type.max_holders:
        names = ", ".join(c.organisation.name for c in holders)
        raise Conflict(
            f"{role_type.name} is already held by {names}.",
            {"role_type_id": f"{role_type.name} is full"},
        )


# --- roles wanted -------------------------------------------------------------------------


def want_role(actor: User, initiative_id: int, role_type_id: Any, brief: Any) -> Change[WantedRole]:
    """Mark a role wanted, with a one-line brief. Event `role_wanted`, data `{"wanted_id",
    "role_type_id", "role", "brief"}`. 409 when it is wanted already or (exclusive) held."""
    initiative = locked_initiative(initiative_id)
    policy.require(policy.may_decide(actor, lead_organisation_id(initiative)), DECIDERS)
    role_type = _role_type(initiative, role_type_id)
    text = text_field(brief, "brief", max_len=BRIEF_MAX, required=True, tidy=True)
    _live(initiative, "roles cannot be wanted")
    if _wanted(initiative.id, role_type.id) is not None:
        raise Conflict(
            f"{role_type.name} is wanted already.", {"role_type_id": "is wanted already"}
        )
    if role_type.exclusive and any(c.role_type_id == role_type.id for c in initiative.claims):
        raise Conflict(
            f"{role_type.name} is held already.", {"role_type_id": f"{role_type.name} is full"}
        )
    wanted = WantedRole(
        initiative_id=initiative.id,
        role_type_id=role_type.id,
        brief=text,
        wanted_by_id=actor.id,
        wanted_at=utcnow(),
    )
    db.session.add(wanted)
    db.session.flush()
    data = {"wanted_id": wanted.id, "role_type_id": role_type.id, "role": role_type.name}
    return Change(wanted, _append(actor, initiative, ROLE_WANTED, data | {"brief": text}))


def _wanted(initiative_id: int, role_type_id: int) -> WantedRole | None:
    return db.session.scalar(
        sa.select(WantedRole).where(
            WantedRole.initiative_id == initiative_id, WantedRole.role_type_id == role_type_id
        )
    )


def withdraw_wanted(actor: User, initiative_id: int, role_type_id: Any) -> Change[None]:
    """The role is no longer wanted. Event `role_wanted_withdrawn`, data as `role_wanted`."""
    initiative = locked_initiative(initiative_id)
    policy.require(policy.may_decide(actor, lead_organisation_id(initiative)), DECIDERS)
    role_type = _role_type(initiative, role_type_id)
    wanted = _wanted(initiative.id, role_type.id)
    if wanted is None:
        raise Conflict(f"{role_type.name} is not wanted.", {"role_type_id": "is not wanted"})
    data = {"wanted_id": wanted.id, "role_type_id": role_type.id, "role": role_type.name}
    data["brief"] = wanted.brief
    db.session.delete(wanted)
    db.session.flush()
    return Change(None, _append(actor, initiative, ROLE_WANTED_WITHDRAWN, data))


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
    role_type = _role_type(initiative, role_type_id)
    text = text_field(message, "message", max_len=MESSAGE_MAX, required=True)
    if role_type.claim_mode != "request":
        raise Invalid({"role_type_id": f"{role_type.name} is claimed, not asked for: claim it"})
    _live(initiative, "roles cannot be asked for")
    _can_hold(initiative, role_type, organisation)
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
    return Change(request, _append(actor, initiative, ROLE_REQUESTED, data))


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


def _locked_request(request_id: int) -> tuple[RoleRequest, Initiative]:
    request_id = int_field(request_id, "request_id")
    initiative_id = db.session.scalar(
        sa.select(RoleRequest.initiative_id).where(RoleRequest.id == request_id)
    )
    if initiative_id is None:
        raise NotFound(f"Request {request_id} does not exist.", {"request_id": "no such request"})
    initiative = locked_initiative(initiative_id)
    # As committed now: another decision may have come first.
    request = db.session.get(RoleRequest, request_id, populate_existing=True)
    assert request is not None
    return request, initiative


def _still_open(request: RoleRequest) -> None:
    if request.status != "open":
        raise Conflict(
            f"This request was {request.status} already.", {"request_id": f"{request.status}"}
        )


def approve_request(actor: User, request_id: int) -> Change[Claim]:
    """Approve a request: the organisation holds the role, in the same step. Event
    `role_claimed` with `"request_id"`. 409 when the request is no longer open, or the role
    is full (the request stays open)."""
    request, initiative = _locked_request(request_id)
    policy.require(policy.may_decide(actor, lead_organisation_id(initiative)), DECIDERS)
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
    request, initiative = _locked_request(request_id)
    policy.require(policy.may_decide(actor, lead_organisation_id(initiative)), DECIDERS)
    text = text_field(reason, "reason", max_len=MESSAGE_MAX, required=True)
    _still_open(request)
    request.status = "declined"
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.reason = text
    db.session.flush()
    data = _request_data(request) | {"reason": text}
    return Change(request, _append(actor, initiative, ROLE_REQUEST_DECLINED, data))


def withdraw_request(actor: User, request_id: int) -> Change[RoleRequest]:
    """The requesting organisation withdraws its open request. Event
    `role_request_withdrawn`, data as `role_requested` without the message."""
    request, initiative = _locked_request(request_id)
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
        request, _append(actor, initiative, ROLE_REQUEST_WITHDRAWN, _request_data(request))
    )


# --- expressions of interest --------------------------------------------------------------


def may_see_interests(actor: User, initiative: Initiative) -> bool:
    """An initiative's expressions of interest are for its lead organisation, envoys and
    admins (and each interested organisation sees its own)."""
    return policy.may_decide(actor, lead_organisation_id(initiative))


def _interest_data(interest: Interest) -> dict[str, Any]:
    # No message: the history and live updates reach every viewer of the board, and an
    # interest's words are for the lead organisation and envoys.
    data: dict[str, Any] = {
        "interest_id": interest.id,
        "organisation_id": interest.organisation_id,
        "organisation": interest.organisation.name,
    }
    if interest.role_type is not None:
        data |= {"role_type_id": interest.role_type.id, "role": interest.role_type.name}
    return data


def register_interest(
    actor: User, initiative_id: int, organisation_id: Any, message: Any
) -> Change[Interest]:
    """An organisation's interest in an initiative, without a role, with a message. Event
    `interest_registered`, data `{"interest_id", "organisation_id", "organisation"}`. 409 when
    the organisation has an open or invited interest in it already, or holds a role on it."""
    policy.require(policy.may(actor, "request"), "Your account cannot register interest.")
    initiative = locked_initiative(initiative_id)
    organisation = organisation_field(organisation_id)
    policy.require(
        policy.may_act_for(actor, organisation.id),
        "Members can register interest only for their own organisation.",
    )
    text = text_field(message, "message", max_len=MESSAGE_MAX, required=True)
    _live(initiative, "interest cannot be registered")
    if _live_interest(initiative.id, organisation.id) is not None:
        raise Conflict(
            f"{organisation.name} has registered interest already.",
            {"organisation_id": "registered interest already"},
        )
    if any(c.organisation_id == organisation.id for c in initiative.claims):
        raise Conflict(
            f"{organisation.name} holds a role on this initiative already.",
            {"organisation_id": "holds a role already"},
        )
    interest = Interest(
        initiative_id=initiative.id,
        organisation_id=organisation.id,
        registered_by_id=actor.id,
        message=text,
        created_at=utcnow(),
    )
    db.session.add(interest)
    db.session.flush()
    return Change(
        interest, _append(actor, initiative, INTEREST_REGISTERED, _interest_data(interest))
    )


def _live_interest(initiative_id: int, organisation_id: int) -> Interest | None:
    return db.session.scalar(
        sa.select(Interest).where(
            Interest.initiative_id == initiative_id,
            Interest.organisation_id == organisation_id,
            Interest.status.in_(("open", "invited")),
        )
    )


def _locked_interest(interest_id: int) -> tuple[Interest, Initiative]:
    interest_id = int_field(interest_id, "interest_id")
    initiative_id = db.session.scalar(
        sa.select(Interest.initiative_id).where(Interest.id == interest_id)
    )
    if initiative_id is None:
        raise NotFound(
            f"Interest {interest_id} does not exist.", {"interest_id": "no such interest"}
        )
    initiative = locked_initiative(initiative_id)
    interest = db.session.get(Interest, interest_id, populate_existing=True)
    assert interest is not None
    return interest, initiative


def _status(interest: Interest, *allowed: str) -> None:
    if interest.status not in allowed:
        raise Conflict(
            f"This interest was {interest.status} already.",
            {"interest_id": interest.status},
        )


def invite(actor: User, interest_id: int, role_type_id: Any) -> Change[Interest]:
    """An envoy turns an open interest into an invitation to a named role. Event
    `interest_invited`, data with `"role_type_id"` and `"role"`."""
    policy.require(policy.may(actor, "invite"), "Only envoys and admins invite to a role.")
    interest, initiative = _locked_interest(interest_id)
    role_type = _role_type(initiative, role_type_id)
    _status(interest, "open")
    _live(initiative, "no one can be invited")
    _can_hold(initiative, role_type, interest.organisation)
    interest.status = "invited"
    interest.role_type_id = role_type.id
    interest.invited_by_id = actor.id
    interest.invited_at = utcnow()
    db.session.flush()
    db.session.refresh(interest, ["role_type"])
    return Change(interest, _append(actor, initiative, INTEREST_INVITED, _interest_data(interest)))


def accept_invitation(actor: User, interest_id: int) -> Change[Claim]:
    """The invited organisation accepts: it holds the role, in the same step. Event
    `role_claimed` with `"interest_id"`. 409 when the role has filled up meanwhile."""
    interest, initiative = _locked_interest(interest_id)
    policy.require(
        policy.may(actor, "request") and policy.may_act_for(actor, interest.organisation_id),
        "Only the invited organisation can accept.",
    )
    _status(interest, "invited")
    assert interest.role_type is not None
    organisation = organisation_field(interest.organisation_id)
    new_claim, event = place_claim(
        actor, initiative, interest.role_type, organisation, {"interest_id": interest.id}
    )
    interest.status = "accepted"
    interest.decided_at = utcnow()
    db.session.flush()
    return Change(new_claim, event)


def decline_invitation(actor: User, interest_id: int, reason: Any = "") -> Change[Interest]:
    """The invited organisation declines. Event `interest_declined`."""
    interest, initiative = _locked_interest(interest_id)
    policy.require(
        policy.may(actor, "request") and policy.may_act_for(actor, interest.organisation_id),
        "Only the invited organisation can decline.",
    )
    text = text_field(reason, "reason", max_len=MESSAGE_MAX)
    _status(interest, "invited")
    interest.status = "declined"
    interest.decided_at = utcnow()
    interest.reason = text
    db.session.flush()
    return Change(interest, _append(actor, initiative, INTEREST_DECLINED, _interest_data(interest)))


def close_interest(actor: User, interest_id: int, reason: Any = "") -> Change[Interest]:
    """An envoy closes an open or invited interest. Event `interest_closed`."""
    policy.require(policy.may(actor, "invite"), "Only envoys and admins close an interest.")
    interest, initiative = _locked_interest(interest_id)
    text = text_field(reason, "reason", max_len=MESSAGE_MAX)
    _status(interest, "open", "invited")
    interest.status = "closed"
    interest.decided_at = utcnow()
    interest.reason = text
    db.session.flush()
    return Change(interest, _append(actor, initiative, INTEREST_CLOSED, _interest_data(interest)))


# --- reading ------------------------------------------------------------------------------


@dataclass
class Matching:
    """One initiative's roles wanted, open requests and the interests this viewer may see
    (oldest first), and what the viewer may do with them."""

    lead_organisation_id: int
    wanted: list[WantedRole]
    requests: list[RoleRequest]
    interests: list[Interest]
    may_decide: bool
    may_invite: bool


def overview(actor: User, initiative: Initiative) -> Matching:
    """Three queries. Requests are open ones; interests open or invited, all of them for
    those who decide (`may_see_interests`), else only the viewer's own organisation's."""
    deciding = may_see_interests(actor, initiative)
    wanted = db.session.scalars(
        sa.select(WantedRole)
        .where(WantedRole.initiative_id == initiative.id)
        .order_by(WantedRole.wanted_at, WantedRole.id)
    ).all()
    requests = db.session.scalars(
        sa.select(RoleRequest)
        .where(RoleRequest.initiative_id == initiative.id, RoleRequest.status == "open")
        .order_by(RoleRequest.created_at, RoleRequest.id)
    ).all()
    seen = sa.select(Interest).where(
        Interest.initiative_id == initiative.id, Interest.status.in_(("open", "invited"))
    )
    if not deciding:
        seen = seen.where(Interest.organisation_id == actor.organisation_id)
    interests = db.session.scalars(seen.order_by(Interest.created_at, Interest.id)).all()
    return Matching(
        lead_organisation_id(initiative),
        list(wanted),
        list(requests),
        list(interests),
        deciding,
        policy.may(actor, "invite"),
    )
