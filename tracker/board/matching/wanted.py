"""Roles wanted: marked, with a one-line brief, by those who decide for the initiative;
withdrawn; filled by a claim of the role (`tracker.board.claims.place_claim`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker import policy
from tracker.board.matching.common import (
    DECIDERS,
    append,
    lead_organisation_id,
    refuse_archived,
    role_type_on,
)
from tracker.board.reading import locked_initiative
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.models import (
    BRIEF_MAX,
    User,
    WantedRole,
    utcnow,
)
from tracker.operations import Change, text_field
from tracker.vocabulary import (
    ROLE_WANTED,
    ROLE_WANTED_WITHDRAWN,
)

# --- roles wanted -------------------------------------------------------------------------


def want_role(actor: User, initiative_id: int, role_type_id: Any, brief: Any) -> Change[WantedRole]:
    """Mark a role wanted, with a one-line brief. Event `role_wanted`, data `{"wanted_id",
    "role_type_id", "role", "brief"}`. 409 when it is wanted already or (exclusive) held."""
    initiative = locked_initiative(initiative_id)
    policy.require(policy.may_decide(actor, lead_organisation_id(initiative)), DECIDERS)
    role_type = role_type_on(initiative, role_type_id, in_path=True)
    text = text_field(brief, "brief", max_len=BRIEF_MAX, required=True, tidy=True)
    refuse_archived(initiative, "roles cannot be wanted")
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
    return Change(wanted, append(actor, initiative, ROLE_WANTED, data | {"brief": text}))


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
    role_type = role_type_on(initiative, role_type_id, in_path=True)
    wanted = _wanted(initiative.id, role_type.id)
    if wanted is None:
        raise Conflict(f"{role_type.name} is not wanted.", {"role_type_id": "is not wanted"})
    data = {"wanted_id": wanted.id, "role_type_id": role_type.id, "role": role_type.name}
    data["brief"] = wanted.brief
    db.session.delete(wanted)
    db.session.flush()
    return Change(None, append(actor, initiative, ROLE_WANTED_WITHDRAWN, data))
