""" "Since you last looked": what changed on a board since the user's previous visit."""

from __future__ import annotations

from datetime import timedelta

from tracker import events
from tracker.extensions import db
from tracker.models import BoardVisit, Event, utcnow

# A pause longer than this ends a visit: the next page view starts a new one.
VISIT_GAP = timedelta(minutes=30)
LIST_LIMIT = 50


def record_visit(user_id: int, board_id: int, last_seq: int) -> int:
    """Note that the user is looking at the board now; return the sequence number their
    "since you last looked" starts from (the board's last event when their previous visit
    ended). The first visit starts from now: nothing is new to someone who has seen nothing."""
    now = utcnow()
    visit = db.session.get(BoardVisit, (user_id, board_id))
    if visit is None:
        visit = BoardVisit(
            user_id=user_id,
            board_id=board_id,
            baseline_seq=last_seq,
            last_seen_seq=last_seq,
            last_seen_at=now,
        )
        db.session.add(visit)
    elif now - visit.last_seen_at > VISIT_GAP:
        visit.baseline_seq = visit.last_seen_seq
    visit.last_seen_seq = last_seq
    visit.last_seen_at = now
    return visit.baseline_seq


def changes_since(board_id: int, seq: int) -> tuple[int, list[Event]]:
    """How many events came after `seq`, and the newest of them (at most LIST_LIMIT)."""
    missed = events.since(board_id, seq)
    return len(missed), list(reversed(missed[-LIST_LIMIT:]))
