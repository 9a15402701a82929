"""The event log: append an event with the board's next sequence number, and the envelope
every consumer (API, Socket.IO, history, reports) sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Board, Event, User

# Statements of every change, built once (Core, on the session's connection): a move runs
# them on the hot path of every broadcast.
_LOCK_BOARD = (
    sa.update(Board).where(Board.id == sa.bindparam("board")).values(last_seq=Board.last_seq)
)
_NEXT_SEQ = (
    sa.update(Board)
    .where(Board.id == sa.bindparam("board"))
    .values(last_seq=Board.last_seq + 1)
    .returning(Board.last_seq)
)


def lock_board(board_id: int) -> None:
    """Take the board's write lock before reading what a change depends on.

    A write as the first statement of the transaction: on PostgreSQL it locks the board row,
    on SQLite it takes the database write lock (waiting up to the busy timeout). Changes to one
    board are thereby serialised, which is what makes sequence numbers gapless and checks
    such as "is this role full?" race-free.
    """
    db.session.flush()  # as the ORM would before a statement: what the session holds first
    db.session.connection().execute(_LOCK_BOARD, {"board": board_id})


def _next_seq(board_id: int) -> int:
    # Incremented inside the writing transaction: a rollback gives the number back.
    seq = db.session.connection().execute(_NEXT_SEQ, {"board": board_id}).scalar()
    if seq is None:
        raise LookupError(f"board {board_id} does not exist")
    return seq


def append(
    *,
    board_id: int,
    type: str,
    actor: User,
    initiative_id: int | None,
    data: dict[str, Any],
) -> Event:
    event = Event(
        board_id=board_id,
        seq=_next_seq(board_id),
        type=type,
        initiative_id=initiative_id,
        actor_user_id=actor.id,
        actor_organisation_id=actor.organisation_id,
        actor_name=actor.name,
        actor_organisation_name=actor.organisation.name,
        data=data,
    )
    db.session.add(event)
    db.session.flush()
    return event


class EventRecord(Protocol):
    """An event as the log holds it: an `Event`, or a row read with `Event`'s columns."""

    id: int
    seq: int
    board_id: int
    type: str
    initiative_id: int | None
    actor_user_id: int | None
    actor_organisation_id: int | None
    actor_name: str
    actor_organisation_name: str
    at: datetime
    data: dict[str, Any]


def envelope(event: EventRecord) -> dict[str, Any]:
    """`{seq, board_id, type, initiative_id, actor: {user, organisation}, at, data}`."""
    return {
        "seq": event.seq,
        "board_id": event.board_id,
        "type": event.type,
        "initiative_id": event.initiative_id,
        "actor": {
            "user": {"id": event.actor_user_id, "name": event.actor_name},
            "organisation": {
                "id": event.actor_organisation_id,
                "name": event.actor_organisation_name,
            },
        },
        "at": event.at.isoformat(),
        "data": event.data,
    }


def since(board_id: int, after_seq: int, limit: int | None = None) -> list[Event]:
    query = (
        sa.select(Event)
        .where(Event.board_id == board_id, Event.seq > after_seq)
        .order_by(Event.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def for_initiative(initiative_id: int) -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event).where(Event.initiative_id == initiative_id).order_by(Event.seq)
        )
    )
