"""Matching organisations to initiatives (issue 15): roles wanted, requests for roles that
are agreed rather than claimed, and expressions of interest. Each row is where a step
stands now; every step is also an event, so the history and the as-of board replay them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.accounts import Organisation
from tracker.models.base import Base, utcnow
from tracker.models.board import RoleType

# A role type is claimed (first come, first served) or asked for and agreed ("request").
CLAIM_MODES = ("claim", "request")
# "Funder wanted: £40k for a 6-month pilot": one line.
BRIEF_MAX = 140
# A request's or an interest's message, and a decision's reason.
MESSAGE_MAX = 1000
REQUEST_STATES = ("open", "approved", "declined", "withdrawn")
INTEREST_STATES = ("open", "invited", "accepted", "declined", "closed")


class WantedRole(Base):
    """A role the initiative is looking for, with a one-line brief. Withdrawn, or filled by a
    claim of that role: the row goes (the events keep it)."""

    __tablename__ = "wanted_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        sa.ForeignKey("initiatives.id", ondelete="CASCADE"), index=True
    )
    role_type_id: Mapped[int] = mapped_column(sa.ForeignKey("role_types.id"))
    brief: Mapped[str] = mapped_column(sa.String(BRIEF_MAX))
    wanted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    wanted_at: Mapped[datetime] = mapped_column(default=utcnow)

    role_type: Mapped[RoleType] = relationship()

    __table_args__ = (sa.UniqueConstraint("initiative_id", "role_type_id"),)


class RoleRequest(Base):
    """An organisation asking for a by-request role, with a message; decided by the
    initiative's lead organisation or an envoy (approved: the claim is made with it), or
    withdrawn by the organisation. At most one open request per organisation and role."""

    __tablename__ = "role_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        sa.ForeignKey("initiatives.id", ondelete="CASCADE"), index=True
    )
    role_type_id: Mapped[int] = mapped_column(sa.ForeignKey("role_types.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(sa.Text, default="")
    # One of REQUEST_STATES.
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    role_type: Mapped[RoleType] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.Index(
            "uq_role_requests_one_open",
            "initiative_id",
            "role_type_id",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )


class Interest(Base):
    """An organisation's interest in an initiative without a role ("We'd like to join the
    detailed discussions"); an envoy may invite it to a named role (which the organisation
    accepts, making the claim, or declines) or close it. At most one live (open or invited)
    interest per organisation and initiative."""

    __tablename__ = "interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        sa.ForeignKey("initiatives.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    registered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(sa.Text, default="")
    # One of INTEREST_STATES.
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The role it was invited to, by whom and when.
    role_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("role_types.id"))
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    invited_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    role_type: Mapped[RoleType | None] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (
        sa.Index(
            "uq_interests_one_live",
            "initiative_id",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'invited')"),
            postgresql_where=sa.text("status IN ('open', 'invited')"),
        ),
    )
