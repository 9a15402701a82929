"""Administrative operations on the shape of boards: create and rename boards; add, rename,
reorder and delete stages (with WIP limits) and Grand Challenge swimlanes; role types are in
`tracker.admin.role_types`.

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
    STAGE,
    board_changed,
    describe,
    locked_board,
    locked_item,
    siblings,
    unique_label,
)
from tracker.admin.common import (
    LABEL_MAX,
    counted,
    require_admin,
    titles,
)
from tracker.errors import Conflict, Invalid
from tracker.extensions import db
from tracker.models import (
    NAME_MAX,
    Board,
    GrandChallenge,
    Initiative,
    Stage,
    User,
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
            f"holds {counted(len(holding), 'initiative')}: {titles(holding)}; "
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
            f"holds {counted(len(holding), 'initiative')}: {titles(holding)}; "
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
