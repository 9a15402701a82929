"""Administrative operations on a board's role types: add, change (name, maximum holders,
whether it leads, whether it is claimed or asked for), reorder and delete, each with one
`board_changed` event and one audit entry, as `tracker.admin.boards` does for stages and
Grand Challenges."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker.admin import board_items
from tracker.admin.board_items import ROLE, hand_over_lead, locked_item, unique_label
from tracker.admin.common import LABEL_MAX, counted, require_admin, titles
from tracker.errors import Conflict, Invalid
from tracker.extensions import db
from tracker.models import (
    CLAIM_MODES,
    Claim,
    Initiative,
    Interest,
    RoleRequest,
    RoleType,
    User,
    WantedRole,
)
from tracker.operations import Change, optional_count, text_field


def _lead_flag(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise Invalid({"is_lead": "must be true or false"})


def _claim_mode(value: object) -> str | None:
    if value is None or value in CLAIM_MODES:
        return value  # type: ignore[return-value]
    raise Invalid({"claim_mode": "must be “claim” or “request”"})


def add_role_type(
    actor: User,
    board_id: int,
    name: object,
    max_holders: object = None,
    is_lead: object = False,
    claim_mode: object = "claim",
) -> Change[RoleType]:
    """Add a role type (max_holders None: any number; 1: exclusive; is_lead: its holder leads
    the initiative, taking that over from the board's current lead role; claim_mode "claim",
    first come first served, or "request", asked for and agreed: `tracker.board.matching`).
    Audit `role_type.added`."""
    limit = optional_count(max_holders, "max_holders")
    lead = bool(_lead_flag(is_lead))
    mode = _claim_mode(claim_mode) or "claim"
    return board_items.add(
        ROLE, actor, board_id, name, max_holders=limit, is_lead=lead, claim_mode=mode
    )


def change_role_type(
    actor: User,
    role_type_id: int,
    name: object,
    max_holders: object,
    is_lead: object = None,
    claim_mode: object = None,
) -> Change[RoleType]:
    """Rename a role type and/or change its maximum holders, whether it leads (None: leave
    as it is; true: this role leads, and the board's previous lead role no longer does) and
    whether it is claimed or asked for (`claim_mode`, None: leave it; requests already open
    stay open and can still be decided).
    Lowering the maximum below the organisations holding it on any initiative is refused with
    a conflict naming them.

    Holders of a role with a maximum occupy numbered slots (the database's guard against a
    race for the last place); they are renumbered 0, 1, … here so that the new maximum is
    exactly the number of free slots. Audit `role_type.changed`.
    """
    require_admin(actor)
    role = locked_item(ROLE, role_type_id)
    clean = text_field(name, "name", max_len=LABEL_MAX, required=True, tidy=True)
    limit = optional_count(max_holders, "max_holders")
    unique_label(ROLE, role.board_id, clean, except_id=role.id)
    if limit is not None:
        over = db.session.execute(
            sa.select(Initiative.title, Initiative.archived, sa.func.count(Claim.id))
            .join(Claim, Claim.initiative_id == Initiative.id)
            .where(Claim.role_type_id == role.id)
            .group_by(Initiative.id, Initiative.title, Initiative.archived)
            .having(sa.func.count(Claim.id) > limit)
            .order_by(Initiative.title)
        ).all()
        if over:
            listed = ", ".join(
                f"“{title}”{' (archived)' if archived else ''} has {n}"
                for title, archived, n in over[:5]
            ) + (f" and {len(over) - 5} more" if len(over) > 5 else "")
            reason = (
                f"{counted(len(over), 'initiative')} {'has' if len(over) == 1 else 'have'} more "
                f"than {limit} holder{'s' if limit != 1 else ''} of {role.name} ({listed}); "
                "release claims first"
            )
            raise Conflict(
                f"The maximum of {role.name} cannot be lowered to {limit}: {reason}.",
                {"max_holders": reason},
            )
    if limit != role.max_holders:
        _renumber_slots(role.id, limit)
    values: dict[str, Any] = {"name": clean, "max_holders": limit}
    lead = _lead_flag(is_lead)
    if lead is not None:
        values["is_lead"] = lead
        if lead and not role.is_lead:
            hand_over_lead(role.board_id, role.id)
    mode = _claim_mode(claim_mode)
    if mode is not None:
        values["claim_mode"] = mode
    return board_items.change(ROLE, actor, role, values)


def _renumber_slots(role_type_id: int, limit: int | None) -> None:
    """Slots 0..n-1 per initiative in claim order (NULL for a role with no maximum). All are
    cleared first, so the unique (initiative, role, slot) constraint never sees a clash."""
    db.session.execute(
        sa.update(Claim).where(Claim.role_type_id == role_type_id).values(slot=None),
        execution_options={"synchronize_session": False},
    )
    if limit is None:
        return
    claims = db.session.execute(
        sa.select(Claim.id, Claim.initiative_id)
        .where(Claim.role_type_id == role_type_id)
        .order_by(Claim.initiative_id, Claim.claimed_at, Claim.id)
    ).all()
    next_slot: dict[int, int] = {}
    for claim_id, initiative_id in claims:
        slot = next_slot.get(initiative_id, 0)
        next_slot[initiative_id] = slot + 1
        db.session.execute(
            sa.update(Claim).where(Claim.id == claim_id).values(slot=slot),
            execution_options={"synchronize_session": False},
        )
    db.session.expire_all()


def move_role_type(actor: User, role_type_id: int, position: object) -> Change[RoleType]:
    """Put a role type at `position` (0-based). Audit `role_type.moved`."""
    return board_items.move(ROLE, actor, role_type_id, position)


def delete_role_type(actor: User, role_type_id: int) -> Change[None]:
    """Delete a role type no organisation holds on any initiative; refused naming how many
    claims and on which initiatives. Audit `role_type.deleted`."""
    require_admin(actor)
    role = locked_item(ROLE, role_type_id)
    holding = list(
        db.session.scalars(
            sa.select(Initiative)
            .join(Claim, Claim.initiative_id == Initiative.id)
            .where(Claim.role_type_id == role.id)
            .order_by(Initiative.title)
        ).unique()
    )
    if holding:
        claims = db.session.scalar(
            sa.select(sa.func.count(Claim.id)).where(Claim.role_type_id == role.id)
        )
        reason = (
            f"is held {counted(claims or 0, 'time')} on {counted(len(holding), 'initiative')}: "
            f"{titles(holding)}; release those claims first"
        )
        raise Conflict(
            f"Role type “{role.name}” cannot be deleted: it {reason}.", {"role_type": reason}
        )
    pending = _matching_on(role.id)
    if pending:
        reason = f"is {pending}; withdraw or decide those first"
        raise Conflict(
            f"Role type “{role.name}” cannot be deleted: it {reason}.", {"role_type": reason}
        )
    # Requests decided and interests closed keep their story in the events; their rows go.
    db.session.execute(sa.delete(RoleRequest).where(RoleRequest.role_type_id == role.id))
    db.session.execute(sa.delete(Interest).where(Interest.role_type_id == role.id))
    return board_items.delete(ROLE, actor, role)


def _matching_on(role_type_id: int) -> str:
    """What of matching still waits on a role type (issue 15), in words ("" for nothing):
    marked wanted, asked for in open requests, invitations not yet answered."""
    wanted, asked, invited = db.session.execute(
        sa.select(
            sa.select(sa.func.count(WantedRole.id))
            .where(WantedRole.role_type_id == role_type_id)
            .scalar_subquery(),
            sa.select(sa.func.count(RoleRequest.id))
            .where(RoleRequest.role_type_id == role_type_id, RoleRequest.status == "open")
            .scalar_subquery(),
            sa.select(sa.func.count(Interest.id))
            .where(Interest.role_type_id == role_type_id, Interest.status == "invited")
            .scalar_subquery(),
        )
    ).one()
    parts = [
        f"wanted on {counted(wanted, 'initiative')}" if wanted else "",
        f"asked for in {counted(asked, 'open request')}" if asked else "",
        f"offered in {counted(invited, 'invitation')} not yet answered" if invited else "",
    ]
    return ", ".join(part for part in parts if part)
