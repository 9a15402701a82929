"""What the matching steps share: who decides for an initiative, and the checks and the
event every step makes."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa

from tracker import events
from tracker.board.reading import locked_initiative
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.models import Claim, Event, Initiative, RoleType, User
from tracker.operations import int_field

T = TypeVar("T")

DECIDERS = "Only the initiative's lead organisation, envoys and admins decide this."


def lead_organisation_id(initiative: Initiative) -> int:
    """The organisation holding the board's leading role on the initiative, else the one that
    proposed it: one query, whatever the claims (no role type loaded per claim)."""
    holder = db.session.scalar(
        sa.select(Claim.organisation_id)
        .join(RoleType, RoleType.id == Claim.role_type_id)
        .where(Claim.initiative_id == initiative.id, RoleType.is_lead.is_(True))
        .order_by(Claim.id)
        .limit(1)
    )
    return initiative.proposing_organisation_id if holder is None else holder


def locked_row(model: type[T], row_id: Any, what: str) -> tuple[T, Initiative]:
    """A request or an interest (`model`, with an `initiative_id`) by id, its initiative's
    board locked first, then the row as committed now (another decision may have come
    first). Raises `Invalid` for an id that is not a whole number, `NotFound` for none."""
    field = f"{what.lower()}_id"
    row_id = int_field(row_id, field)
    column = model.__table__.c  # type: ignore[attr-defined]
    initiative_id = db.session.scalar(sa.select(column.initiative_id).where(column.id == row_id))
    if initiative_id is None:
        raise NotFound(f"{what} {row_id} does not exist.", {field: f"no such {what.lower()}"})
    initiative = locked_initiative(initiative_id)
    row = db.session.get(model, row_id, populate_existing=True)
    assert row is not None
    return row, initiative


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
