"""Administrative operations on the shape of boards: create and rename boards; add, rename,
reorder and delete stages (with WIP limits), Grand Challenge swimlanes and role types (with
their maximum holders).

Every change to an existing board takes the board's write lock (as card changes do), appends
one `board_changed` event and one audit entry in the caller's transaction, and returns the
event for the entry point to publish after the commit, so open boards hear of it at once.
The event's data: `{"change": WHAT, KIND: {the item as it is now (as it was, for a
deletion)}, "from": {changed fields before}, "order": [ids in the new order]}` where WHAT is
`board_created`, `board_renamed`, `stage_added|changed|moved|deleted`,
`grand_challenge_added|renamed|moved|deleted` or `role_type_added|changed|moved|deleted`.
What the stage, Grand Challenge and role type operations share (the lock, the event, adding,
changing, moving and deleting an item) is in `tracker.admin.board_items`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tracker import defaults
from tracker.admin import audit, board_items
from tracker.admin.board_items import (
    GRAND_CHALLENGE,
    ROLE,
    STAGE,
    board_changed,
    describe,
    hand_over_lead,
    locked_board,
    locked_item,
    siblings,
    unique_label,
)
from tracker.admin.common import (
    LABEL_MAX,
    quoted_list,
    require_admin,
)
from tracker.errors import Conflict, Invalid
from tracker.extensions import db
from tracker.models import (
    CLAIM_MODES,
    NAME_MAX,
    Board,
    Claim,
    GrandChallenge,
    Initiative,
    Interest,
    RoleRequest,
    RoleType,
    Stage,
    User,
    WantedRole,
)
from tracker.operations import Change, optional_count, text_field

# --- boards -------------------------------------------------------------------------------


def create_board(actor: User, name: object, with_defaults: bool = True) -> Change[Board]:
    """Create a board, with the brief's default stages, Grand Challenges and role types or
    with none. Event `board_changed` (`board_created`, with the whole shape). Audit
    `board.created`."""
    require_admin(actor)
    clean = text_field(name, "name", max_len=NAME_MAX, required=True, tidy=True)
    if db.session.scalar(sa.select(Board.id).where(sa.func.lower(Board.name) == clean.lower())):
        raise Invalid({"name": "a board with this name already exists"})
    if with_defaults:
        board = defaults.create_board(clean)
    else:
        board = Board(name=clean)
        db.session.add(board)
        db.session.flush()
    event = board_changed(
        actor,
        board.id,
        {
            "change": "board_created",
            "board": {"id": board.id, "name": board.name},
            "stages": [describe(s) for s in board.stages],
            "grand_challenges": [describe(g) for g in board.grand_challenges],
            "role_types": [describe(r) for r in board.role_types],
        },
    )
    audit.record(
        actor,
        "board.created",
        "board",
        board.id,
        f"Created board “{clean}”" + (" with the default stages." if with_defaults else "."),
        {"name": clean, "defaults": with_defaults},
    )
    return Change(board, event)


def rename_board(actor: User, board_id: int, name: object) -> Change[Board]:
    """Rename a board. Event `board_changed` (`board_renamed`). Audit `board.renamed`."""
    require_admin(actor)
    board = locked_board(board_id)
    clean = text_field(name, "name", max_len=NAME_MAX, required=True, tidy=True)
    if clean == board.name:
        return Change(board, changed=False)
    taken = db.session.scalar(
        sa.select(Board.id).where(sa.func.lower(Board.name) == clean.lower(), Board.id != board.id)
    )
    if taken:
        raise Invalid({"name": "a board with this name already exists"})
    old, board.name = board.name, clean
    event = board_changed(
        actor,
        board.id,
        {
            "change": "board_renamed",
            "board": {"id": board.id, "name": clean},
            "from": {"name": old},
        },
    )
    audit.record(
        actor,
        "board.renamed",
        "board",
        board.id,
        f"Renamed board “{old}” to “{clean}”.",
        {"from": old, "to": clean},
    )
    return Change(board, event)


def _holding_initiatives(column: Any, item_id: int) -> list[Initiative]:
    return list(
        db.session.scalars(
            sa.select(Initiative).where(column == item_id).order_by(Initiative.title)
        )
    )


def _titles(initiatives: list[Initiative]) -> str:
    return quoted_list(i.title + (" (archived)" if i.archived else "") for i in initiatives)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- stages -------------------------------------------------------------------------------


def add_stage(actor: User, board_id: int, name: object, wip_limit: object = None) -> Change[Stage]:
    """Add a stage at the end of the board. Audit `stage.added`."""
    limit = optional_count(wip_limit, "wip_limit")
    return board_items.add(STAGE, actor, board_id, name, wip_limit=limit)


def change_stage(actor: User, stage_id: int, name: object, wip_limit: object) -> Change[Stage]:
    """Rename a stage and/or set its WIP limit (None: no limit; shown, not enforced). Audit
    `stage.changed`."""
    require_admin(actor)
    stage = locked_item(STAGE, stage_id)
    clean = text_field(name, "name", max_len=LABEL_MAX, required=True, tidy=True)
    limit = optional_count(wip_limit, "wip_limit")
    unique_label(STAGE, stage.board_id, clean, except_id=stage.id)
    return board_items.change(STAGE, actor, stage, {"name": clean, "wip_limit": limit})


def move_stage(actor: User, stage_id: int, position: object) -> Change[Stage]:
    """Put a stage at `position` (0-based) in the board's order. Audit `stage.moved`."""
    return board_items.move(STAGE, actor, stage_id, position)


def delete_stage(actor: User, stage_id: int) -> Change[None]:
    """Delete a stage that holds no initiative (archived ones included: they keep their
    stage). Refused with a conflict naming how many and which. Audit `stage.deleted`."""
    require_admin(actor)
    stage = locked_item(STAGE, stage_id)
    holding = _holding_initiatives(Initiative.stage_id, stage.id)
    if holding:
        reason = (
            f"holds {_count(len(holding), 'initiative')}: {_titles(holding)}; "
            "move them to another stage first"
        )
        raise Conflict(f"Stage “{stage.name}” cannot be deleted: it {reason}.", {"stage": reason})
    if len(siblings(STAGE, stage.board_id)) == 1:
        raise Conflict(
            f"Stage “{stage.name}” is the board's only stage; add another before deleting it.",
            {"stage": "a board needs at least one stage"},
        )
    return board_items.delete(STAGE, actor, stage)


# --- Grand Challenges (swimlanes) ---------------------------------------------------------


def add_grand_challenge(actor: User, board_id: int, name: object) -> Change[GrandChallenge]:
    """Add a Grand Challenge swimlane at the bottom of the board. Audit
    `grand_challenge.added`."""
    return board_items.add(GRAND_CHALLENGE, actor, board_id, name)


def rename_grand_challenge(
    actor: User, grand_challenge_id: int, name: object
) -> Change[GrandChallenge]:
    """Rename a swimlane. Audit `grand_challenge.renamed`."""
    require_admin(actor)
    grand_challenge = locked_item(GRAND_CHALLENGE, grand_challenge_id)
    clean = text_field(name, "name", max_len=LABEL_MAX, required=True, tidy=True)
    unique_label(GRAND_CHALLENGE, grand_challenge.board_id, clean, except_id=grand_challenge.id)
    return board_items.change(GRAND_CHALLENGE, actor, grand_challenge, {"name": clean})


def move_grand_challenge(
    actor: User, grand_challenge_id: int, position: object
) -> Change[GrandChallenge]:
    """Put a swimlane at `position` (0-based). Audit `grand_challenge.moved`."""
    return board_items.move(GRAND_CHALLENGE, actor, grand_challenge_id, position)


def delete_grand_challenge(actor: User, grand_challenge_id: int) -> Change[None]:
    """Delete a swimlane that holds no initiative; refused naming how many and which. Audit
    `grand_challenge.deleted`."""
    require_admin(actor)
    grand_challenge = locked_item(GRAND_CHALLENGE, grand_challenge_id)
    holding = _holding_initiatives(Initiative.grand_challenge_id, grand_challenge.id)
    if holding:
        reason = (
            f"holds {_count(len(holding), 'initiative')}: {_titles(holding)}; "
            "move them to another Grand Challenge first"
        )
        raise Conflict(
            f"Grand Challenge “{grand_challenge.name}” cannot be deleted: it {reason}.",
            {"grand_challenge": reason},
        )
    if len(siblings(GRAND_CHALLENGE, grand_challenge.board_id)) == 1:
        raise Conflict(
            f"“{grand_challenge.name}” is the board's only Grand Challenge; "
            "add another before deleting it.",
            {"grand_challenge": "a board needs at least one Grand Challenge"},
        )
    return board_items.delete(GRAND_CHALLENGE, actor, grand_challenge)


# --- role types ---------------------------------------------------------------------------


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
                f"{_count(len(over), 'initiative')} {'has' if len(over) == 1 else 'have'} more "
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
            f"is held {_count(claims or 0, 'time')} on {_count(len(holding), 'initiative')}: "
            f"{_titles(holding)}; release those claims first"
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
        f"wanted on {_count(wanted, 'initiative')}" if wanted else "",
        f"asked for in {_count(asked, 'open request')}" if asked else "",
        f"offered in {_count(invited, 'invitation')} not yet answered" if invited else "",
    ]
    return ", ".join(part for part in parts if part)
