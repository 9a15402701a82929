"""Expressions of interest: an organisation's interest in an initiative without a role;
an envoy invites it to a named role (accepted: the claim made in the same step; declined)
or closes it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker import policy
from tracker.board.claims import can_hold, place_claim
from tracker.board.fields import organisation_field
from tracker.board.matching.common import (
    append,
    lead_organisation_id,
    locked_row,
    refuse_archived,
    role_type_on,
)
from tracker.board.reading import locked_initiative
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.models import (
    MESSAGE_MAX,
    Claim,
    Initiative,
    Interest,
    User,
    utcnow,
)
from tracker.operations import Change, text_field
from tracker.vocabulary import (
    INTEREST_CLOSED,
    INTEREST_DECLINED,
    INTEREST_INVITED,
    INTEREST_REGISTERED,
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
    refuse_archived(initiative, "interest cannot be registered")
    if _live_interest(initiative.id, organisation.id) is not None:
        raise Conflict(
            f"{organisation.name} has registered interest already.",
            {"organisation_id": "registered interest already"},
        )
    if lead_organisation_id(initiative) == organisation.id:
        raise Conflict(
            f"{organisation.name} leads this initiative: it has no interest to register.",
            {"organisation_id": "leads this initiative"},
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
        interest, append(actor, initiative, INTEREST_REGISTERED, _interest_data(interest))
    )


def _live_interest(initiative_id: int, organisation_id: int) -> Interest | None:
    return db.session.scalar(
        sa.select(Interest).where(
            Interest.initiative_id == initiative_id,
            Interest.organisation_id == organisation_id,
            Interest.status.in_(("open", "invited")),
        )
    )


def _status(interest: Interest, *allowed: str) -> None:
    """Refuse (409) a step the interest's state does not allow, saying where it stands."""
    if interest.status in allowed:
        return
    said = {
        "open": "has not been invited to a role",
        "invited": "has been invited to a role already",
    }.get(interest.status, f"was {interest.status} already")
    raise Conflict(f"This interest {said}.", {"interest_id": said})


def invite(actor: User, interest_id: int, role_type_id: Any) -> Change[Interest]:
    """An envoy turns an open interest into an invitation to a named role. Event
    `interest_invited`, data with `"role_type_id"` and `"role"`."""
    policy.require(policy.may(actor, "invite"), "Only envoys and admins invite to a role.")
    interest, initiative = locked_row(Interest, interest_id, "Interest")
    role_type = role_type_on(initiative, role_type_id)
    _status(interest, "open")
    refuse_archived(initiative, "no one can be invited")
    can_hold(initiative, role_type, interest.organisation)
    interest.status = "invited"
    interest.role_type_id = role_type.id
    interest.invited_by_id = actor.id
    interest.invited_at = utcnow()
    db.session.flush()
    db.session.refresh(interest, ["role_type"])
    return Change(interest, append(actor, initiative, INTEREST_INVITED, _interest_data(interest)))


def accept_invitation(actor: User, interest_id: int) -> Change[Claim]:
    """The invited organisation accepts: it holds the role, in the same step. Event
    `role_claimed` with `"interest_id"`. 409 when the role has filled up meanwhile."""
    interest, initiative = locked_row(Interest, interest_id, "Interest")
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
    interest, initiative = locked_row(Interest, interest_id, "Interest")
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
    return Change(interest, append(actor, initiative, INTEREST_DECLINED, _interest_data(interest)))


def close_interest(actor: User, interest_id: int, reason: Any = "") -> Change[Interest]:
    """An envoy closes an open or invited interest. Event `interest_closed`."""
    policy.require(policy.may(actor, "invite"), "Only envoys and admins close an interest.")
    interest, initiative = locked_row(Interest, interest_id, "Interest")
    text = text_field(reason, "reason", max_len=MESSAGE_MAX)
    _status(interest, "open", "invited")
    interest.status = "closed"
    interest.decided_at = utcnow()
    interest.reason = text
    db.session.flush()
    return Change(interest, append(actor, initiative, INTEREST_CLOSED, _interest_data(interest)))
