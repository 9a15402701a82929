"""What every operation shares, on the board and in administration: the result it returns
(`Change`), the checks of what people send (text, whole numbers, dates, counts), keeping a
list's positions 0, 1, 2 …, and locking a row's board before reading the row.

Operations are plain functions taking an explicit actor; they never commit. The entry point
ends the unit of work with `tracker.unit_of_work.commit`, which publishes `Change.event`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from tracker import limits, text
from tracker.errors import DomainError, Invalid
from tracker.extensions import db
from tracker.models import Board, Event, Organisation, User

T = TypeVar("T")

# Fields that hold paragraphs: tab and line breaks allowed (tracker.text). Every other text
# field is a single line. The page forms use a <textarea> for exactly these.
MULTI_LINE_FIELDS = frozenset({"summary", "rag_reason", "barriers", "body", "message", "reason"})

COUNT_MAX = 999  # WIP limits and maximum holders


@dataclass(frozen=True)
class Change(Generic[T]):
    """What an operation did.

    `value`: its result. `event`: the board event to publish after the commit (None when
    nothing a board shows changed). `end_sockets_of`: users whose open sockets must be
    disconnected after the commit (disabled, their organisation deactivated, a token revoked,
    signed out everywhere). `changed`: False when the request asked for what already was, so
    nothing was written.
    """

    value: T
    event: Event | None = None
    end_sockets_of: tuple[int, ...] = ()
    changed: bool = True


def text_field(
    value: Any, field: str, *, max_len: int, required: bool = False, tidy: bool = False
) -> str:
    """Text a person typed, checked by the text rule (`tracker.text`; multi-line only for
    MULTI_LINE_FIELDS) and stripped. `tidy`: names and labels, where runs of white space
    become one space. Raises `Invalid({field: reason})`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid({field: "must be text"})
    value = text.clean(value, field, multiline=field in MULTI_LINE_FIELDS).strip()
    if tidy:
        value = " ".join(value.split())
    if required and not text.visible(value):
        raise Invalid({field: "is required"})
    if len(value) > max_len:
        raise Invalid({field: f"must be at most {max_len} characters (got {len(value)})"})
    return value


def int_field(value: Any, field: str) -> int:
    """A JSON integer (not a boolean, not text)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({field: "must be an integer"})
    return value


def optional_count(value: Any, field: str) -> int | None:
    """None (no limit) or a whole number from 1 to COUNT_MAX."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({field: "must be a whole number, or empty for no limit"})
    if not 1 <= value <= COUNT_MAX:
        raise Invalid({field: f"must be from 1 to {COUNT_MAX}, or empty for no limit"})
    return value


def date_field(value: Any, field: str) -> date | None:
    """A date as YYYY-MM-DD (or a `date`), within the years the tracker serves."""
    if value is None or value == "":
        return None
    day: date | None = None
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        day = limits.parse_day(value)
    if day is None:
        raise Invalid({field: limits.DAY_FORMAT})
    if not limits.day_in_range(day):
        raise Invalid({field: limits.DAY_RANGE})
    return day


def renumber(items: list[Any]) -> None:
    """Positions 0, 1, 2 … in the order given (cards in a cell, stages, role types)."""
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index


_LOCKS: dict[Any, Any] = {}


def _lock_of(model: Any) -> Any:
    """events.lock_board's write, aimed at the board of a `model` row (`:row`) in the same
    statement; built once per model."""
    statement = _LOCKS.get(model)
    if statement is None:
        column = model.id if model is Board else model.board_id
        board_of_row = sa.select(column).where(model.id == sa.bindparam("row")).scalar_subquery()
        statement = _LOCKS[model] = (
            sa.update(Board)
            .where(Board.id == board_of_row)
            .values(last_seq=Board.last_seq)
            .returning(Board.id)
        )
    return statement


def lock_board_of(model: Any, row_id: int, not_found: DomainError) -> int:
    """Take the write lock of the board a row belongs to (a board: its own), then forget what
    the session read before (but the accounts), so the row is next read as committed now.
    Its board's id; raises `not_found` when there is no such row."""
    # The lock is a Core statement, which does not autoflush: write what the session holds
    # first, or expire_all below would drop it.
    db.session.flush()
    board_id = db.session.connection().execute(_lock_of(model), {"row": row_id}).scalar()
    if board_id is None:
        raise not_found
    # Accounts are not guarded by board locks, so reading the actor again here would make it
    # no fresher, only slower: it stays as authenticated for this request.
    for row in list(db.session.identity_map.values()):
        if not isinstance(row, User | Organisation):
            db.session.expire(row)
    return int(board_id)
