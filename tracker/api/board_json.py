"""The body of `GET /api/v1/boards/{id}`, built as plain dicts.

`BoardSchema` describes this body in the OpenAPI document and dumps the board's own fields,
stages, swimlanes and role types; the initiatives are built here. marshmallow's per-field
dump of 5,000 initiatives and their claims took longer than reading them, so
`initiative_json` writes the same JSON by hand (a test holds it to `InitiativeSchema`'s
output: a field added to the schema must be added here too).
"""

from __future__ import annotations

from typing import Any

from tracker.api.schemas import BoardSchema
from tracker.board.listing import ListedInitiative
from tracker.models import Board

_BOARD_WITHOUT_CARDS = BoardSchema(exclude=("initiatives",))


def initiative_json(card: ListedInitiative) -> dict[str, Any]:
    """An initiative as `InitiativeSchema` dumps it: dates and times in ISO 8601, the claims as
    `ClaimSchema` (role, organisation and claimant by name)."""
    return {
        "id": card.id,
        "board_id": card.board_id,
        "title": card.title,
        "summary": card.summary,
        "grand_challenge_id": card.grand_challenge_id,
        "stage_id": card.stage_id,
        "position": card.position,
        "rag": card.rag,
        "rag_reason": card.rag_reason,
        "next_step": card.next_step,
        "next_step_due": None if card.next_step_due is None else card.next_step_due.isoformat(),
        "barriers": card.barriers,
        "proposing_organisation_id": card.proposing_organisation_id,
        "archived": card.archived,
        "version": card.version,
        "created_at": card.created_at.isoformat(),
        "updated_at": card.updated_at.isoformat(),
        "stage_entered_at": card.stage_entered_at.isoformat(),
        "claims": [
            {
                "id": claim.id,
                "initiative_id": claim.initiative_id,
                "role_type_id": claim.role_type_id,
                "role": claim.role,
                "organisation_id": claim.organisation_id,
                "organisation": claim.organisation,
                "claimed_by": claim.claimed_by,
                "claimed_at": claim.claimed_at.isoformat(),
            }
            for claim in card.claims
        ],
    }


def board_json(the_board: Board, initiatives: list[ListedInitiative]) -> dict[str, Any]:
    """The board as `BoardSchema` describes it, its live cards included."""
    body: dict[str, Any] = _BOARD_WITHOUT_CARDS.dump(the_board)
    body["initiatives"] = [initiative_json(initiative) for initiative in initiatives]
    return body
