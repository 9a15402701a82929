"""What each person follows (watches, whole boards or Grand Challenges) and the
notifications it brings them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Base, utcnow


class Watch(Base):
    """A person's own choice about one initiative: `watching` True follows it whatever their
    organisation's part in it; False stops following one their organisation proposed or
    holds a role on (who follows what: `tracker.notifications.followers`)."""

    __tablename__ = "watches"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    initiative_id: Mapped[int] = mapped_column(
        sa.ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    watching: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BoardFollow(Base):
    """An envoy (or admin) following a whole board, or one Grand Challenge of it: every
    change to its initiatives is theirs to hear about."""

    __tablename__ = "board_follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id", ondelete="CASCADE"))
    # None: the whole board.
    grand_challenge_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("grand_challenges.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "board_id", "grand_challenge_id"),)


class Notification(Base):
    """One change someone hears about in the app: an event on something they follow, made by
    someone else (`reason` "following"), or one that names them or their organisation
    ("mention"). Written in the transaction of the event; its sentence is the history's,
    made when it is shown."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "event_id"),
        # A person's unread ones, newest first: the header's count and the list.
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )
