"""E-mail: the outbox (every message, sent once), the weekly report's recipients per board,
and what each person wants by e-mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.accounts import User
from tracker.models.base import ADDRESS_MAX, Base, utcnow


class OutboxMessage(Base):
    """One e-mail to send, written in the transaction that causes it (or by the scheduler) and
    sent later by `tracker.mail.sender`, so that a change never waits for (or fails with) the
    mail server, and nothing is lost while it is away.

    (`recipient`, `kind`, `period_key`) is unique: two nodes, a restart or a re-run of a
    command that queues the same message for the same period find it there and add nothing.
    `attachment` names what to attach, rebuilt when sent (a finished week's report never
    changes): `{"kind": "weekly_report", "board_id": 1, "week": "2026-W48", "format": "xlsx"}`.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(ADDRESS_MAX))
    # The person, when it is one (None: a plain address on a report's list).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # "weekly_report" (and, as they come, "mention", "digest").
    kind: Mapped[str] = mapped_column(sa.String(32))
    # Which period the message is for: "board1:2026-W48" for a weekly report.
    period_key: Mapped[str] = mapped_column(sa.String(100))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    attachment: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not before: now when queued; pushed on while a sender holds it and after each failure.
    send_after: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # When sending stopped for good: the server refused this message permanently (a 5xx reply,
    # such as an unknown mailbox) `sender.GIVE_UP_AFTER` times. It is kept, and shown.
    gave_up_at: Mapped[datetime | None] = mapped_column()
    # Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058).
    headers: Mapped[dict[str, Any] | None] = mapped_column()

    __table_args__ = (sa.UniqueConstraint("recipient", "kind", "period_key"),)


class ReportRecipient(Base):
    """Who gets a board's weekly report by e-mail on Monday: a person (their current address;
    nothing while their account or organisation is disabled) or a plain address."""

    __tablename__ = "report_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str | None] = mapped_column(sa.String(ADDRESS_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("board_id", "user_id"),
        sa.UniqueConstraint("board_id", "address"),
        sa.CheckConstraint("(user_id IS NULL) <> (address IS NULL)", name="person_or_address"),
    )


class MailPreference(Base):
    """What a person wants by e-mail (no row: the defaults). `unsubscribe_generation` is in
    every unsubscribe link sent to them and moves on when one is used, so a link works once."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # A mail at once when someone mentions them (or their organisation).
    mention_email: Mapped[bool] = mapped_column(default=True)
    # One of DIGESTS: everything else they follow, once a day or once a week (Monday), or not.
    digest: Mapped[str] = mapped_column(sa.String(8), default="weekly")
    unsubscribe_generation: Mapped[int] = mapped_column(default=0)
