"""Who gets a board's weekly report by e-mail (`tracker.mail.weekly`): admins keep the list.
A recipient is a person (their current address, while their account and organisation are
active) or a plain address (a partner's shared inbox). Each change is in the audit log."""

from __future__ import annotations

import sqlalchemy as sa

from tracker.admin import audit
from tracker.admin.common import require_admin
from tracker.errors import Invalid, NotFound
from tracker.extensions import db
from tracker.mail import addresses
from tracker.models import Board, ReportRecipient, User
from tracker.operations import Change, int_field


def listed(board_id: int) -> list[ReportRecipient]:
    """The board's recipients: people by name, then addresses."""
    rows = db.session.scalars(
        sa.select(ReportRecipient)
        .outerjoin(User, User.id == ReportRecipient.user_id)
        .where(ReportRecipient.board_id == board_id)
        .order_by(User.name.is_(None), User.name, ReportRecipient.address)
    )
    return list(rows)


def _board(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        raise NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    return board


def add_person(actor: User, board_id: int, user_id: object) -> Change[ReportRecipient]:
    """Add a person to the board's list. Audit `report_recipient.added`."""
    require_admin(actor)
    board = _board(board_id)
    person = db.session.get(User, int_field(user_id, "user_id"))
    if person is None:
        raise Invalid({"user_id": "choose a person who has an account"})
    taken = db.session.scalar(
        sa.select(ReportRecipient.id).where(
            ReportRecipient.board_id == board.id, ReportRecipient.user_id == person.id
        )
    )
    if taken is not None:
        raise Invalid({"user_id": f"{person.name} already gets this board's weekly report"})
    recipient = ReportRecipient(board_id=board.id, user_id=person.id)
    db.session.add(recipient)
    db.session.flush()
    audit.record(
        actor,
        "report_recipient.added",
        "board",
        board.id,
        f"{actor.name} added {person.name} to the weekly report of “{board.name}”.",
        {"user": person.email},
    )
    return Change(recipient)


def add_address(actor: User, board_id: int, address: object) -> Change[ReportRecipient]:
    """Add a plain address to the board's list (checked: `addresses.checked`). Audit
    `report_recipient.added`."""
    require_admin(actor)
    board = _board(board_id)
    clean = addresses.checked(address, "address")
    taken = db.session.scalar(
        sa.select(ReportRecipient.id).where(
            ReportRecipient.board_id == board.id, ReportRecipient.address == clean
        )
    )
    if taken is not None:
        raise Invalid({"address": f"{clean} already gets this board's weekly report"})
    recipient = ReportRecipient(board_id=board.id, address=clean)
    db.session.add(recipient)
    db.session.flush()
    audit.record(
        actor,
        "report_recipient.added",
        "board",
        board.id,
        f"{actor.name} added {clean} to the weekly report of “{board.name}”.",
        {"address": clean},
    )
    return Change(recipient)


def remove(actor: User, recipient_id: int) -> Change[None]:
    """Take a recipient off its board's list. Audit `report_recipient.removed`."""
    require_admin(actor)
    recipient = db.session.get(ReportRecipient, recipient_id)
    if recipient is None:
        raise NotFound("That recipient is not on the list.", {"recipient_id": "no such recipient"})
    board = _board(recipient.board_id)
    who = recipient.user.name if recipient.user is not None else str(recipient.address)
    db.session.delete(recipient)
    audit.record(
        actor,
        "report_recipient.removed",
        "board",
        board.id,
        f"{actor.name} removed {who} from the weekly report of “{board.name}”.",
        {"who": who},
    )
    return Change(None)
