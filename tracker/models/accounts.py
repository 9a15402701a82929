"""Organisations, people and how they sign in (sessions, API tokens, one-time links), and
the audit log of what admins did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import NAME_MAX, SHORT_NAME_MAX, Base, utcnow


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
