"""What the pages and the API show of matching: an initiative's roles wanted, open
requests and the interests the viewer may see; and where an organisation could help."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tracker import policy
from tracker.board.matching.common import (
    lead_organisation_id,
)
from tracker.extensions import db
from tracker.models import (
    Claim,
    Event,
    Initiative,
    Interest,
    RoleRequest,
    RoleType,
    User,
    WantedRole,
)
from tracker.vocabulary import (
    ROLE_CLAIMED,
)

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
    those who decide (`interests.may_see_interests`), else only the viewer's own organisation's."""
    lead = lead_organisation_id(initiative)
    deciding = policy.may_decide(actor, lead)
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
        lead,
        list(wanted),
        list(requests),
        list(interests),
        deciding,
        policy.may(actor, "invite"),
    )


@dataclass(frozen=True)
class Opening:
    """A role wanted that an organisation could take: it has held a role of that name."""

    initiative_id: int
    initiative: str
    board_id: int
    role_type_id: int
    role: str
    brief: str
    since: datetime


def openings_for(organisation_id: int) -> list[Opening]:
    """ "Where you could help": the roles marked wanted on live initiatives, on every board,
    whose name is one the organisation holds or has held (its `role_claimed` events), and
    which it does not hold there already, on initiatives it did not propose; wanted longest
    first. Two queries."""
    e = Event.__table__.c
    held_before = set(
        db.session.scalars(
            sa.select(e.data["role"].as_string())
            .where(
                e.type == ROLE_CLAIMED, e.data["organisation_id"].as_integer() == organisation_id
            )
            .distinct()
        )
    )
    if not held_before:
        return []
    holds_it = (
        sa.select(Claim.id)
        .where(
            Claim.initiative_id == WantedRole.initiative_id,
            Claim.role_type_id == WantedRole.role_type_id,
            Claim.organisation_id == organisation_id,
        )
        .exists()
    )
    rows = db.session.execute(
        sa.select(
            Initiative.id,
            Initiative.title,
            Initiative.board_id,
            RoleType.id,
            RoleType.name,
            WantedRole.brief,
            WantedRole.wanted_at,
        )
        .join(Initiative, Initiative.id == WantedRole.initiative_id)
        .join(RoleType, RoleType.id == WantedRole.role_type_id)
        .where(Initiative.archived.is_(False), RoleType.name.in_(held_before), ~holds_it)
        # What it proposed, it asks others to help with.
        .where(Initiative.proposing_organisation_id != organisation_id)
        .order_by(WantedRole.wanted_at, WantedRole.id)
    )
    return [Opening(*row) for row in rows]
