"""A board's cards as plain rows: every live card with its claims, in two queries whatever the
board's size.

The board page, a card fragment and `GET /api/v1/boards/{id}` read up to thousands of cards
and change none. Building ORM objects for them (identity map, relationship collections, each
claim's organisation, role type and claimant) cost more than the SQL itself, so the listing
selects columns (Core rows) into named tuples (a frozen dataclass's `__init__` cost as much as
the query). Two shapes: `BoardCard`, what a card on the page shows, and `ListedInitiative`,
every field the API answers; the page reads no summary, no timestamps it does not show. A
board's archived initiatives are listed apart (`ArchivedInitiative`, with who archived each
and when).
Operations that change a card keep using the ORM (`tracker.board.reading`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from tracker.errors import NotFound
from tracker.extensions import db
from tracker.models import (
    Claim,
    Event,
    GrandChallenge,
    Initiative,
    Organisation,
    RoleType,
    Stage,
    User,
    WantedRole,
)
from tracker.vocabulary import INITIATIVE_ARCHIVED


class CardClaim(NamedTuple):
    """A claim as a card shows it."""

    role: str
    is_lead: bool
    organisation_id: int
    organisation: str
    # What a card calls the organisation: its short name, else its name.
    organisation_label: str
    role_type_id: int


class BoardCard(NamedTuple):
    """What a card on the board shows, and what deciding who may move it reads."""

    id: int
    board_id: int
    title: str
    rag: str
    stage_id: int
    grand_challenge_id: int
    archived: bool
    version: int
    stage_entered_at: datetime
    proposing_organisation_id: int
    next_step_due: date | None
    created_at: datetime
    # Oldest first, as `Initiative.claims`; filled in after the card's row is read.
    claims: list[CardClaim]
    # The names of the roles marked wanted (`tracker.board.matching`), oldest first; filled in
    # likewise.
    wanted: list[str]

    @property
    def lead_claim(self) -> CardClaim | None:
        """The claim of the leading role, if any (the last claimed, should a board's lead
        role ever allow more than one holder)."""
        lead = None
        for claim in self.claims:
            if claim.is_lead:
                lead = claim
        return lead

    @property
    def lead(self) -> str | None:
        """The organisation holding the leading role, if any."""
        claim = self.lead_claim
        return None if claim is None else claim.organisation

    @property
    def other_claims(self) -> list[CardClaim]:
        """The claims of roles that do not lead: the card's chips."""
        return [claim for claim in self.claims if not claim.is_lead]


class ListedClaim(NamedTuple):
    """A claim as the API answers it: ids, and the role's, organisation's and claimant's
    names."""

    id: int
    initiative_id: int
    role_type_id: int
    role: str
    organisation_id: int
    organisation: str
    claimed_by: str
    claimed_at: datetime


class ListedInitiative(NamedTuple):
    """Every column of an initiative, and its claims, as the API answers them."""

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
    # Oldest first, as `Initiative.claims`; filled in after the initiative's row is read.
    claims: list[ListedClaim]


# Table columns, not ORM attributes: a Core select hands back plain rows with no ORM
# loading step per row.
_initiatives = Initiative.__table__.c
_claims = Claim.__table__.c
_role_types = RoleType.__table__.c
_organisations = Organisation.__table__.c
_users = User.__table__.c
_CLAIM_COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "id": _claims.id,
    "initiative_id": _claims.initiative_id,
    "role_type_id": _claims.role_type_id,
    "role": _role_types.name,
    "is_lead": _role_types.is_lead,
    "organisation_id": _claims.organisation_id,
    "organisation": _organisations.name,
    "organisation_label": sa.func.coalesce(_organisations.short_name, _organisations.name),
    "claimed_by": _users.name,
    "claimed_at": _claims.claimed_at,
}


def _live_on(board_id: int, archived: bool = False) -> list[sa.ColumnElement[bool]]:
    return [_initiatives.board_id == board_id, _initiatives.archived.is_(archived)]


# The row helpers hand back the result to iterate, not `.all()`: each row is freed as soon as
# it is turned into a tuple. Thousands of rows alive at once were promoted through the garbage
# collector's generations and set off a full collection on most 5,000-card requests.


def _card_rows(fields: Sequence[str], where: list[sa.ColumnElement[bool]]) -> Iterable[Any]:
    """The initiatives matching `where`, the columns `fields` names (up to `claims`), cell by
    cell in display order."""
    columns = [_initiatives[name] for name in fields if name not in ("claims", "wanted")]
    return db.session.execute(
        sa.select(*columns)
        .where(*where)
        # The id settles equal positions the same way on every database.
        .order_by(
            _initiatives.stage_id,
            _initiatives.grand_challenge_id,
            _initiatives.position,
            _initiatives.id,
        )
    )


def _claim_rows(fields: Sequence[str], where: list[sa.ColumnElement[bool]]) -> Iterable[Any]:
    """The claims on the initiatives matching `where`, oldest first: each row the initiative's
    id, then the columns `fields` names."""
    return db.session.execute(
        sa.select(_claims.initiative_id, *(_CLAIM_COLUMNS[name] for name in fields))
        .select_from(Claim.__table__)
        .join(Initiative.__table__, _claims.initiative_id == _initiatives.id)
        .join(RoleType.__table__, _claims.role_type_id == _role_types.id)
        .join(Organisation.__table__, _claims.organisation_id == _organisations.id)
        .join(User.__table__, _claims.claimed_by_id == _users.id)
        .where(*where)
        .order_by(_claims.claimed_at, _claims.id)
    )


def _board_cards(where: list[sa.ColumnElement[bool]]) -> list[BoardCard]:
    cards = [BoardCard._make((*row, [], [])) for row in _card_rows(BoardCard._fields, where)]
    by_id = {card.id: card for card in cards}
    for initiative_id, *claim in _claim_rows(CardClaim._fields, where):
        by_id[initiative_id].claims.append(CardClaim._make(claim))
    wanted = db.session.execute(
        sa.select(WantedRole.initiative_id, RoleType.name)
        .join(RoleType, RoleType.id == WantedRole.role_type_id)
        .join(Initiative, Initiative.id == WantedRole.initiative_id)
        .where(*where)
        .order_by(WantedRole.wanted_at, WantedRole.id)
    )
    for initiative_id, role in wanted:
        by_id[initiative_id].wanted.append(role)
    return cards


def board_cards(board_id: int, *, archived: bool = False) -> list[BoardCard]:
    """Every live (not archived) card of a board, as the board page shows it: three queries.
    `archived`: the archived ones instead."""
    return _board_cards(_live_on(board_id, archived))


def board_card(initiative_id: int) -> BoardCard:
    """One card, archived or not, as the board shows it."""
    found = _board_cards([_initiatives.id == initiative_id])
    if not found:
        raise NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        )
    return found[0]


def listed_initiatives(board_id: int, *, archived: bool = False) -> list[ListedInitiative]:
    """Every live initiative of a board with all its fields and claims, in board order, as
    the API answers them: two queries. `archived`: the archived ones instead."""
    where = _live_on(board_id, archived)
    initiatives = [
        ListedInitiative._make((*row, [])) for row in _card_rows(ListedInitiative._fields, where)
    ]
    by_id = {initiative.id: initiative for initiative in initiatives}
    for initiative_id, *claim in _claim_rows(ListedClaim._fields, where):
        by_id[initiative_id].claims.append(ListedClaim._make(claim))
    return initiatives


class ArchivedInitiative(NamedTuple):
    """An archived initiative as its board's Archived list shows it, with who archived it
    and when: its latest `initiative_archived` event."""

    id: int
    title: str
    version: int
    stage: str
    grand_challenge: str
    archived_at: datetime | None
    archived_by: str | None
    archived_by_organisation: str | None


def archived_initiatives(board_id: int) -> list[ArchivedInitiative]:
    """The board's archived initiatives, the most recently archived first (one query)."""
    last_archived = (
        sa.select(Event.initiative_id, sa.func.max(Event.seq).label("seq"))
        .where(Event.board_id == board_id, Event.type == INITIATIVE_ARCHIVED)
        .group_by(Event.initiative_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Initiative.id,
            Initiative.title,
            Initiative.version,
            Stage.name,
            GrandChallenge.name,
            Event.at,
            Event.actor_name,
            Event.actor_organisation_name,
        )
        .join(Stage, Stage.id == Initiative.stage_id)
        .join(GrandChallenge, GrandChallenge.id == Initiative.grand_challenge_id)
        .outerjoin(last_archived, last_archived.c.initiative_id == Initiative.id)
        .outerjoin(Event, sa.and_(Event.board_id == board_id, Event.seq == last_archived.c.seq))
        .where(Initiative.board_id == board_id, Initiative.archived.is_(True))
        .order_by(Event.seq.desc().nulls_last(), Initiative.id)
    )
    return [ArchivedInitiative._make(row) for row in rows]
