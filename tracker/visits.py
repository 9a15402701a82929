""" "Since you last looked": what others changed on a board since the user's previous visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import BoardVisit, Event, utcnow

# A pause longer than this ends a visit: the next page view starts a new one.
VISIT_GAP = timedelta(minutes=30)
LIST_LIMIT = 50


# `baseline_seq` during a user's first visit to a board: there is no earlier visit to
# compare with, so nothing is "new" to them yet.
FIRST_VISIT = -1


@dataclass(frozen=True)
class Visit:
    """Where a user's "since you last looked" starts: after event `baseline_seq`; `first`
    when this is their first visit to the board (then nothing is new to them)."""

    baseline_seq: int
    first: bool


def record_visit(user_id: int, board_id: int, last_seq: int) -> Visit:
    """Note that the user is looking at the board now; return where their "since you last
    looked" starts (the board's last event when their previous visit ended). Reloading within
    a visit keeps the same start, the first visit included."""
    now = utcnow()
    visit = db.session.get(BoardVisit, (user_id, board_id))
    if visit is None:
        visit = BoardVisit(
            user_id=user_id,
            board_id=board_id,
            baseline_seq=FIRST_VISIT,
            last_seen_seq=last_seq,
            last_seen_at=now,
        )
        db.session.add(visit)
    elif now - visit.last_seen_at > VISIT_GAP:
        visit.baseline_seq = visit.last_seen_seq
    visit.last_seen_seq = last_seq
    visit.last_seen_at = now
    return Visit(max(visit.baseline_seq, 0), visit.baseline_seq == FIRST_VISIT)


def changes_since(board_id: int, seq: int, user_id: int) -> tuple[int, list[Event]]:
    """How many events others made after `seq`, and the newest of them (at most
    LIST_LIMIT, newest first). The user's own changes are left out: they know them."""
    by_others = sa.and_(
        Event.board_id == board_id,
        Event.seq > seq,
        sa.or_(Event.actor_user_id.is_(None), Event.actor_user_id != user_id),
    )
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(by_others))
    latest = db.session.scalars(
        sa.select(Event).where(by_others).order_by(Event.seq.desc()).limit(LIST_LIMIT)
    ).all()
    return count or 0, list(latest)
