"""A board and what is on it: stages, Grand Challenges, role types, initiatives, their
claims and progress notes, and the event log every change writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.accounts import Organisation, User
from tracker.models.base import NAME_MAX, NEXT_STEP_MAX, TITLE_MAX, Base, utcnow
from tracker.vocabulary import RAG_VALUES, Rag


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
    # "claim": first come, first served; "request": an organisation asks and the initiative's
    # lead organisation or an envoy agrees (`tracker.board.matching`).
    claim_mode: Mapped[str] = mapped_column(sa.String(8), default="claim", server_default="claim")

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
