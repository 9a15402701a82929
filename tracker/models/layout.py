"""Each person's own view of a board: their last visit, collapsed swimlanes, saved views."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import VIEW_NAME_MAX, VIEW_QUERY_MAX, Base, utcnow


class BoardVisit(Base):
    """Where a user's "since you last looked" starts on a board.

    `baseline_seq` is the board's last event when the user's previous visit ended; it moves on
    only when a new visit begins (after a pause), so reloading the page keeps showing the list.
    It is -1 during the user's first visit (`visits.FIRST_VISIT`).
    """

    __tablename__ = "board_visits"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"), primary_key=True)
    baseline_seq: Mapped[int] = mapped_column(default=0)
    last_seen_seq: Mapped[int] = mapped_column(default=0)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollapsedSwimlane(Base):
    """A Grand Challenge swimlane a user keeps collapsed on the board (remembered per user,
    on every device). Gone with the Grand Challenge."""

    __tablename__ = "collapsed_swimlanes"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    grand_challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("grand_challenges.id", ondelete="CASCADE"), primary_key=True
    )


class SavedView(Base):
    """A named board view of one user: the board's filter as its query string, so opening it
    is opening the board with that filter (`tracker.board.filters`)."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(VIEW_NAME_MAX))
    query: Mapped[str] = mapped_column(sa.String(VIEW_QUERY_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "board_id", "name"),)
