"""Loading a board and an initiative as ORM objects, locked reads for operations, and the
order of cards within a cell. The board's listing of every card is `tracker.board.listing`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm

from tracker.errors import NotFound
from tracker.extensions import db
from tracker.models import Board, Initiative
from tracker.operations import lock_board_of


def get_board(board_id: int) -> Board:
    board = db.session.get(Board, board_id)
    if board is None:
        raise NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    return board


def get_initiative(initiative_id: int, *, fresh: bool = False) -> Initiative:
    initiative = db.session.get(
        Initiative,
        initiative_id,
        populate_existing=fresh,
        options=[orm.selectinload(Initiative.claims)],
    )
    if initiative is None:
        raise NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        )
    return initiative


def locked_initiative(initiative_id: int) -> Initiative:
    """Lock the initiative's board, then read the initiative as committed now."""
    lock_board_of(
        Initiative,
        initiative_id,
        NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        ),
    )
    return get_initiative(initiative_id, fresh=True)


def cell_cards(
    board_id: int, stage_id: int, grand_challenge_id: int, exclude: int | None
) -> list[Initiative]:
    """Live initiatives in one stage × Grand Challenge cell, in display order."""
    query = (
        sa.select(Initiative)
        .where(
            Initiative.board_id == board_id,
            Initiative.stage_id == stage_id,
            Initiative.grand_challenge_id == grand_challenge_id,
            Initiative.archived.is_(False),
        )
        .order_by(Initiative.position, Initiative.id)
    )
    if exclude is not None:
        query = query.where(Initiative.id != exclude)
    return list(db.session.scalars(query))


def load_board(board_id: int) -> Board:
    board = db.session.get(
        Board,
        board_id,
        options=[
            orm.selectinload(Board.stages),
            orm.selectinload(Board.grand_challenges),
            orm.selectinload(Board.role_types),
        ],
    )
    if board is None:
        raise NotFound(f"Board {board_id} does not exist.", {"board_id": "no such board"})
    return board
