"""Typed models. No queries, commits or `current_app` in here: rules live in `tracker.board`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

from tracker.vocabulary import RAG_VALUES, Rag

# Field limits from the brief, shared by the domain checks, the API schemas and the forms.
TITLE_MAX = 120
SUMMARY_MAX = 2000
NEXT_STEP_MAX = 280
RAG_REASON_MAX = 500
BARRIERS_MAX = 2000
COMMENT_MAX = 5000
NAME_MAX = 200
# An organisation's short name, on board cards' role chips ("NCC" for a county council).
SHORT_NAME_MAX = 16
VIEW_NAME_MAX = 80
# A saved view's filter, as its query string (`tracker.board.filters.PARAMETERS`).
VIEW_QUERY_MAX = 2000
CARD_DENSITIES = ("comfortable", "compact")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC and always reads back timezone-aware, on SQLite (which keeps no zone) too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    # A registry rather than class attributes: Flask-SQLAlchemy subclasses this base.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: sa.JSON()},
    )


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX), unique=True)
    # Shown where space is short (board cards), with `name` for screen readers and on hover;
    # None: the name itself.
    short_name: Mapped[str | None] = mapped_column(sa.String(SHORT_NAME_MAX))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How the board's cards are laid out for this user: one of CARD_DENSITIES (checked by
    # `tracker.board.layout`; a CHECK would mean rebuilding the users table on SQLite).
    card_density: Mapped[str] = mapped_column(
        sa.String(16), default="comfortable", server_default="comfortable"
    )

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("role in ('admin', 'envoy', 'member', 'viewer')", name="role_known"),
    )

    @property
    def is_active(self) -> bool:
        return self.active and self.organisation.active


class LoginSession(Base):
    """One sign-in, from the sign-in form until it ends: signed out, ended with all of the
    user's (sign out everywhere, disabled, organisation deactivated, password set), idle
    past `SESSION_IDLE_MINUTES` or older than `SESSION_MAX_DAYS`.

    The session cookie carries the user id and a random secret (256 bits); only the secret's
    SHA-256 is stored, as `id`. Every page, cookie-authenticated API call and socket checks
    the row, so ending it ends that cookie everywhere at once.
    """

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved on at most once a minute (a write per request would serialise SQLite).
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # Why it ended, for the sign-in page: signed_out, signed_out_everywhere,
    # account_disabled, organisation_deactivated, password_set.
    ended_reason: Mapped[str | None] = mapped_column(sa.String(32))
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")

    user: Mapped[User] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    # SHA-256 of the token: tokens are 256 random bits, so a fast hash is enough to make
    # a stolen table useless while keeping look-up by hash possible.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Board(Base):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    # The last event sequence number handed out; incremented in the writing transaction,
    # so a rolled-back change leaves no gap.
    last_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stages: Mapped[list[Stage]] = relationship(
        order_by="Stage.position", back_populates="board", cascade="all, delete-orphan"
    )
    grand_challenges: Mapped[list[GrandChallenge]] = relationship(
        order_by="GrandChallenge.position", back_populates="board", cascade="all, delete-orphan"
    )
    role_types: Mapped[list[RoleType]] = relationship(
        order_by="RoleType.position", back_populates="board", cascade="all, delete-orphan"
    )


class Stage(Base):
    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    position: Mapped[int]
    wip_limit: Mapped[int | None]

    board: Mapped[Board] = relationship(back_populates="stages")


class GrandChallenge(Base):
    """A swimlane: the Grand Challenge an initiative serves."""

    __tablename__ = "grand_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    position: Mapped[int]

    board: Mapped[Board] = relationship(back_populates="grand_challenges")


class RoleType(Base):
    __tablename__ = "role_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    position: Mapped[int] = mapped_column(default=0)
    # None means any number of organisations may hold the role.
    max_holders: Mapped[int | None]
    # The holder of this role leads the initiative: shown on the card's "Lead" line and in the
    # report's lead column. Data, not the role's name, so an admin may rename it freely. At
    # most one role type per board leads.
    is_lead: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    board: Mapped[Board] = relationship(back_populates="role_types")

    __table_args__ = (
        sa.CheckConstraint("max_holders is null or max_holders >= 1", name="max_holders_positive"),
        sa.Index(
            "uq_role_types_one_lead_per_board",
            "board_id",
            unique=True,
            sqlite_where=sa.text("is_lead"),
            postgresql_where=sa.text("is_lead"),
        ),
    )

    @property
    def exclusive(self) -> bool:
        return self.max_holders == 1


class Initiative(Base):
    __tablename__ = "initiatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    grand_challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("grand_challenges.id"))
    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("stages.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    rag: Mapped[str] = mapped_column(sa.String(8), default=Rag.NOT_SET.value)
    rag_reason: Mapped[str] = mapped_column(sa.Text, default="")
    next_step: Mapped[str] = mapped_column(sa.String(NEXT_STEP_MAX), default="")
    next_step_due: Mapped[date | None]
    barriers: Mapped[str] = mapped_column(sa.Text, default="")
    proposing_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    archived: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)

    stage: Mapped[Stage] = relationship()
    grand_challenge: Mapped[GrandChallenge] = relationship()
    proposing_organisation: Mapped[Organisation] = relationship()
    claims: Mapped[list[Claim]] = relationship(
        back_populates="initiative", order_by="Claim.claimed_at"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="initiative", order_by="Comment.created_at"
    )

    __table_args__ = (
        sa.CheckConstraint(f"rag in ({', '.join(map(repr, RAG_VALUES))})", name="rag_known"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
    )


class Claim(Base):
    """An organisation holding a role on an initiative.

    `slot` numbers the holders of a role with a maximum (0 .. max-1; NULL when any number may
    hold it). The unique constraint on (initiative, role type, slot) is what makes the database
    refuse a second Lead even when two organisations claim in the same millisecond.
    """

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    role_type_id: Mapped[int] = mapped_column(sa.ForeignKey("role_types.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    slot: Mapped[int | None]
    claimed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)

    initiative: Mapped[Initiative] = relationship(back_populates="claims")
    role_type: Mapped[RoleType] = relationship()
    organisation: Mapped[Organisation] = relationship()
    claimed_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("initiative_id", "role_type_id", "organisation_id"),
        sa.UniqueConstraint("initiative_id", "role_type_id", "slot"),
        # A released claim's id must never name a later claim (a stale DELETE would hit it).
        {"sqlite_autoincrement": True},
    )


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    initiative: Mapped[Initiative] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()


class Event(Base):
    """Append-only record of one change. `seq` runs 1, 2, 3 … per board with no gaps."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(sa.ForeignKey("boards.id"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(sa.String(40))
    initiative_id: Mapped[int | None] = mapped_column(sa.ForeignKey("initiatives.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    # Names as they were at the time, so history reads the same after a rename.
    actor_name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    actor_organisation_name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (sa.UniqueConstraint("board_id", "seq"),)


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


class OneTimeLink(Base):
    """An invitation or password-reset link: valid once, until `expires_at`.

    Only the SHA-256 of the link's secret is stored (it is 256 random bits, as for API tokens),
    so the table cannot be used to sign in. Issuing a new link for a user deletes their unused
    ones: only the newest link works.
    """

    __tablename__ = "one_time_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # "invitation" (the account has no password yet) or "reset".
    purpose: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint("purpose in ('invitation', 'reset')", name="purpose_known"),
    )


class AuditEntry(Base):
    """One administrative or account-security action: who, when, what. Append-only.

    `action` is a dotted name (`organisation.created`, `user.disabled`, `stage.deleted` …);
    `summary` is the sentence an admin reads; `data` holds the details (before/after values).
    Names are copied, so the log reads the same after a rename or a deletion.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


# An e-mail address (RFC 5321's limit on a path).
ADDRESS_MAX = 254


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


DIGESTS = ("daily", "weekly", "off")


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
