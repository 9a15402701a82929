"""What every change to a board's stages, Grand Challenges and role types shares: the three
kinds of item, the board's write lock, the `board_changed` event, and adding, changing,
moving and deleting an item with its event and audit entry. The operations themselves, with
the checks particular to each kind, are in `tracker.admin.boards`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tracker import events
from tracker.admin import audit
from tracker.admin.common import LABEL_MAX, require_admin
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.models import Board, Event, GrandChallenge, RoleType, Stage, User
from tracker.operations import Change, lock_board_of, renumber, text_field

BOARD_CHANGED = "board_changed"


@dataclass(frozen=True)
class Kind:
    """One sort of labelled, ordered item on a board: its model and how it is named."""

    model: type[Stage] | type[GrandChallenge] | type[RoleType]
    key: str  # in events, audit actions and field names
    label: str  # in sentences


STAGE = Kind(Stage, "stage", "stage")
GRAND_CHALLENGE = Kind(GrandChallenge, "grand_challenge", "Grand Challenge")
ROLE = Kind(RoleType, "role_type", "role type")


def board_changed(actor: User, board_id: int, data: dict[str, Any]) -> Event:
    """Append the board's `board_changed` event (data: see `tracker.admin.boards`)."""
    return events.append(
        board_id=board_id, type=BOARD_CHANGED, actor=actor, initiative_id=None, data=data
    )


def describe(item: Stage | GrandChallenge | RoleType) -> dict[str, Any]:
    """An item as events and audit entries carry it: id, name, position and its limits."""
    out: dict[str, Any] = {"id": item.id, "name": item.name, "position": item.position}
    if isinstance(item, Stage):
        out["wip_limit"] = item.wip_limit
    if isinstance(item, RoleType):
        out["max_holders"] = item.max_holders
        out["is_lead"] = item.is_lead
        out["claim_mode"] = item.claim_mode
    return out


def siblings(kind: Kind, board_id: int) -> list[Any]:
    """The board's items of this kind, in their order."""
    model: Any = kind.model
    return list(
        db.session.scalars(
            sa.select(model).where(model.board_id == board_id).order_by(model.position, model.id)
        )
    )


def unique_label(kind: Kind, board_id: int, name: str, except_id: int | None = None) -> None:
    """Refuse a name another item of this kind on the board has, whatever its case."""
    for item in siblings(kind, board_id):
        if item.id != except_id and item.name.lower() == name.lower():
            raise Invalid({"name": f"this board already has a {kind.label} called “{item.name}”"})


def locked_item(kind: Kind, item_id: int) -> Any:
    """Take the item's board's write lock, then read the item as committed now."""
    label = f"{kind.label[0].upper()}{kind.label[1:]}"
    not_found = NotFound(
        f"{label} {item_id} does not exist.", {f"{kind.key}_id": f"no such {kind.label}"}
    )
    lock_board_of(kind.model, item_id, not_found)
    return db.session.get(kind.model, item_id)


def locked_board(board_id: int) -> Board:
    """Take the board's write lock, then read the board as committed now."""
    not_found = NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    lock_board_of(Board, board_id, not_found)
    board = db.session.get(Board, board_id)
    assert board is not None
    return board


def hand_over_lead(board_id: int, role_type_id: int | None) -> None:
    """At most one role type of a board leads: the others stop leading first (the database's
    one-lead index would refuse two)."""
    db.session.execute(
        sa.update(RoleType)
        .where(RoleType.board_id == board_id, RoleType.id != (role_type_id or 0))
        .where(RoleType.is_lead.is_(True))
        .values(is_lead=False),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.flush()


# --- add, change, move, delete -----------------------------------------------------------


def add(kind: Kind, actor: User, board_id: int, name: object, **extra: Any) -> Change[Any]:
    """Add an item at the end of its kind's order (`extra`: its limits, already checked)."""
    require_admin(actor)
    board = locked_board(board_id)
    clean = text_field(name, "name", max_len=LABEL_MAX, required=True, tidy=True)
    unique_label(kind, board.id, clean)
    if extra.get("is_lead"):
        hand_over_lead(board.id, None)
    existing = siblings(kind, board.id)
    item = kind.model(board_id=board.id, name=clean, position=len(existing), **extra)
    db.session.add(item)
    db.session.flush()
    described = describe(item)
    event = board_changed(actor, board.id, {"change": f"{kind.key}_added", kind.key: described})
    audit.record(
        actor,
        f"{kind.key}.added",
        kind.key,
        item.id,
        f"Added {kind.label} “{clean}” to “{board.name}”" + _limits_sentence(item) + ".",
        {"board_id": board.id, **described},
    )
    return Change(item, event)


def _limits_sentence(item: Any) -> str:
    if isinstance(item, Stage):
        return f", WIP limit {item.wip_limit}" if item.wip_limit is not None else ""
    if isinstance(item, RoleType):
        holders = f", at most {item.max_holders} holder(s)" if item.max_holders else ", any number"
        return holders + (", by request" if item.claim_mode == "request" else "")
    return ""


def change(kind: Kind, actor: User, item: Any, values: dict[str, Any]) -> Change[Any]:
    """Apply `values` (already validated) to a locked item; one event and one audit entry."""
    before = {name: getattr(item, name) for name in values if getattr(item, name) != values[name]}
    if not before:
        return Change(item, changed=False)
    for name in before:
        setattr(item, name, values[name])
    db.session.flush()
    described = describe(item)
    event = board_changed(
        actor, item.board_id, {"change": f"{kind.key}_changed", kind.key: described, "from": before}
    )
    parts = []
    for name, old in before.items():
        new = values[name]
        if name == "name":
            parts.append(f"renamed “{old}” to “{new}”")
        elif name == "is_lead":
            parts.append("now leads initiatives" if new else "no longer leads initiatives")
        elif name == "claim_mode":
            parts.append("asked for and agreed" if new == "request" else "claimed by anyone")
        else:
            label = {"wip_limit": "WIP limit", "max_holders": "maximum holders"}[name]
            parts.append(f"{label} {_limit(old)} → {_limit(new)}")
    action = f"{kind.key}.renamed" if kind is GRAND_CHALLENGE else f"{kind.key}.changed"
    audit.record(
        actor,
        action,
        kind.key,
        item.id,
        f"{kind.label[0].upper()}{kind.label[1:]} “{item.name}”: {'; '.join(parts)}.",
        {"board_id": item.board_id, "from": before, "to": {n: values[n] for n in before}},
    )
    return Change(item, event)


def _limit(value: int | None) -> str:
    return "none" if value is None else str(value)


def move(kind: Kind, actor: User, item_id: int, position: object) -> Change[Any]:
    """Put an item at `position` (0-based, clamped to the ends); the others close up."""
    require_admin(actor)
    item = locked_item(kind, item_id)
    if isinstance(position, bool) or not isinstance(position, int):
        raise Invalid({"position": "must be a whole number"})
    ordered = siblings(kind, item.board_id)
    old_index = next(i for i, s in enumerate(ordered) if s.id == item.id)
    new_index = min(max(position, 0), len(ordered) - 1)
    if new_index == old_index:
        return Change(item, changed=False)
    ordered.insert(new_index, ordered.pop(old_index))
    renumber(ordered)
    db.session.flush()
    order = [s.id for s in ordered]
    event = board_changed(
        actor,
        item.board_id,
        {"change": f"{kind.key}_moved", kind.key: describe(item), "order": order},
    )
    audit.record(
        actor,
        f"{kind.key}.moved",
        kind.key,
        item.id,
        f"Moved {kind.label} “{item.name}” from position {old_index + 1} to {new_index + 1}.",
        {"board_id": item.board_id, "from": old_index, "to": new_index, "order": order},
    )
    return Change(item, event)


def delete(kind: Kind, actor: User, item: Any) -> Change[None]:
    """Delete a locked item the caller has found free to go; the others close up."""
    described = describe(item)
    board_id = item.board_id
    db.session.delete(item)
    db.session.flush()
    renumber(siblings(kind, board_id))
    db.session.flush()
    event = board_changed(actor, board_id, {"change": f"{kind.key}_deleted", kind.key: described})
    audit.record(
        actor,
        f"{kind.key}.deleted",
        kind.key,
        described["id"],
        f"Deleted {kind.label} “{described['name']}”.",
        {"board_id": board_id, **described},
    )
    return Change(None, event)
