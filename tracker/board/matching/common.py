"""What the matching steps share: who decides for an initiative, and the checks and the
event every step makes."""

from __future__ import annotations

from typing import Any

from tracker import events
from tracker.errors import Conflict, Invalid, NotFound
from tracker.extensions import db
from tracker.models import (
    Event,
    Initiative,
    Organisation,
    RoleType,
    User,
)
from tracker.operations import int_field

DECIDERS = "Only the initiative's lead organisation, envoys and admins decide this."


def lead_organisation_id(initiative: Initiative) -> int:
    """The organisation holding the board's leading role on the initiative, else the one that
    proposed it."""
    for held in initiative.claims:
        if held.role_type.is_lead:
            return held.organisation_id
    return initiative.proposing_organisation_id


def role_type_on(initiative: Initiative, role_type_id: Any, *, in_path: bool = False) -> RoleType:
    """The initiative's board's role type: 422 naming `role_type_id` when there is none, or
    404 when the id names the resource (`in_path`, as `/wanted/{role_type_id}`)."""
    role_type_id = int_field(role_type_id, "role_type_id")
    role_type = db.session.get(RoleType, role_type_id)
    if role_type is None or role_type.board_id != initiative.board_id:
        fields = {"role_type_id": "no such role type on this board"}
        if in_path:
            raise NotFound(f"Role type {role_type_id} is not on this board.", fields)
        raise Invalid(fields)
    return role_type


def refuse_archived(initiative: Initiative, what: str) -> None:
    if initiative.archived:
        raise Invalid({"initiative_id": f"{what} on an archived initiative"})


def append(actor: User, initiative: Initiative, kind: str, data: dict[str, Any]) -> Event:
    return events.append(
        board_id=initiative.board_id,
        type=kind,
        actor=actor,
        initiative_id=initiative.id,
        data=data,
    )


def can_hold(initiative: Initiative, role_type: RoleType, organisation: Organisation) -> None:
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
