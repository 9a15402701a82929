"""The board listing as plain rows: every live card of a board with its claims, in two
queries whatever the board's size.

The board page, a card fragment and `GET /api/v1/boards/{id}` read up to thousands of cards
and change none. Building ORM objects for them (identity map, relationship collections, each
claim's organisation, role type and claimant) cost more than the SQL itself, so the listing
selects columns (Core rows) into named tuples (a frozen dataclass's `__init__` cost as much as
the query). Operations that change a card keep using the ORM (`tracker.board.reading`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa

from tracker.errors import NotFound
from tracker.extensions import db
from tracker.models import Claim, Initiative, Organisation, RoleType, User


class ListedClaim(NamedTuple):
    """A claim with the names a card and the API show: its role's and organisation's names,
    whether the role leads, who claimed it."""

    id: int
    initiative_id: int
    role_type_id: int
    role: str
    is_lead: bool
    organisation_id: int
    organisation: str
    claimed_by: str
    claimed_at: datetime


class ListedCard(NamedTuple):
    """An initiative's columns and its claims, oldest claim first (as `Initiative.claims`)."""

    id: int
    board_id: int
    title: str
    summary: str
    grand_challenge_id: int
    stage_id: int
    position: int
    rag: str
    rag_reason: str
    next_step: str
    next_step_due: date | None
    barriers: str
    proposing_organisation_id: int
    archived: bool
    version: int
    created_at: datetime
    updated_at: datetime
    stage_entered_at: datetime
    # Filled in after the card's row is read; the list is the card's own.
    claims: list[ListedClaim]

    @property
    def lead(self) -> str | None:
        """The organisation holding the leading role, if any (the last claimed, should a
        board's lead role ever allow more than one holder)."""
        lead = None
        for claim in self.claims:
            if claim.is_lead:
                lead = claim.organisation
        return lead

    @property
    def other_claims(self) -> list[ListedClaim]:
        """The claims of roles that do not lead: the card's chips."""
        return [claim for claim in self.claims if not claim.is_lead]


CARD_COLUMNS: tuple[str, ...] = tuple(name for name in ListedCard._fields if name != "claims")

# Table columns, not ORM attributes: a Core select hands back plain rows with no ORM
# loading step per row.
_initiatives = Initiative.__table__.c
_claims = Claim.__table__.c
_role_types = RoleType.__table__.c
_organisations = Organisation.__table__.c
_users = User.__table__.c
_CLAIM_COLUMNS = (
    _claims.id,
    _claims.initiative_id,
    _claims.role_type_id,
    _role_types.name,
    _role_types.is_lead,
    _claims.organisation_id,
    _organisations.name,
    _users.name,
    _claims.claimed_at,
)


def _cards(where: Sequence[sa.ColumnElement[bool]]) -> list[ListedCard]:
    """The initiatives matching `where` (in board order) with their claims: two queries."""
    rows = db.session.execute(
        sa.select(*(_initiatives[name] for name in CARD_COLUMNS))
        .where(*where)
        # Cell by cell, each in display order; the id settles equal positions the same way
        # on every database.
        .order_by(
            _initiatives.stage_id,
            _initiatives.grand_challenge_id,
            _initiatives.position,
            _initiatives.id,
        )
    )
    cards = [ListedCard._make((*row, [])) for row in rows.all()]
    by_id = {card.id: card for card in cards}
    claims = db.session.execute(
        sa.select(*_CLAIM_COLUMNS)
        .select_from(Claim.__table__)
        .join(Initiative.__table__, _claims.initiative_id == _initiatives.id)
        .join(RoleType.__table__, _claims.role_type_id == _role_types.id)
        .join(Organisation.__table__, _claims.organisation_id == _organisations.id)
        .join(User.__table__, _claims.claimed_by_id == _users.id)
        .where(*where)
        .order_by(_claims.claimed_at, _claims.id)
    )
    for claim_row in claims.all():
        claim = ListedClaim(*claim_row)
        by_id[claim.initiative_id].claims.append(claim)
    return cards


def listed_cards(board_id: int) -> list[ListedCard]:
    """Every live (not archived) card of a board with its claims, in two queries."""
    return _cards([_initiatives.board_id == board_id, _initiatives.archived.is_(False)])


def listed_card(initiative_id: int) -> ListedCard:
    """One card, archived or not, as the board lists it."""
    found = _cards([_initiatives.id == initiative_id])
    if not found:
        raise NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        )
    return found[0]
