"""Loading a board and an initiative as ORM objects, locked reads for operations, and the
order of cards within a cell. The board's listing of every card is `tracker.board.listing`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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


def get_initiative(
    initiative_id: int, *, fresh: bool = False, with_claims: bool = True
) -> Initiative:
    initiative = db.session.get(
        Initiative,
        initiative_id,
        populate_existing=fresh,
        options=[orm.selectinload(Initiative.claims)] if with_claims else [],
    )
    if initiative is None:
        raise NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        )
    return initiative


def locked_initiative(initiative_id: int) -> Initiative:
    """Lock the initiative's board, then read the initiative as committed now (its claims
    when first used: many operations never need them)."""
    lock_board_of(
        Initiative,
        initiative_id,
        NotFound(
            f"Initiative {initiative_id} does not exist.", {"initiative_id": "no such initiative"}
        ),
    )
    return get_initiative(initiative_id, fresh=True, with_claims=False)


Cell = tuple[int, int]
"""A stage × Grand Challenge cell of the board: `(stage_id, grand_challenge_id)`."""


def _cells_statement(count: int) -> Any:
    """The order of the live cards in `count` cells (`:board`, `:exclude`, `:stage<i>`,
    `:lane<i>`), built once per count."""
    statement = _CELLS.get(count)
    if statement is None:
        table = Initiative.__table__.c
        statement = _CELLS[count] = (
            sa.select(table.id, table.position, table.stage_id, table.grand_challenge_id)
            .where(
                table.board_id == sa.bindparam("board"),
                table.archived.is_(False),
                table.id != sa.bindparam("exclude"),
                sa.or_(
                    *(
                        sa.and_(
                            table.stage_id == sa.bindparam(f"stage{i}"),
                            table.grand_challenge_id == sa.bindparam(f"lane{i}"),
                        )
                        for i in range(count)
                    )
                ),
            )
            .order_by(table.position, table.id)
        )
    return statement


_CELLS: dict[int, Any] = {}
_PLACE = (
    sa.update(Initiative.__table__)
    .where(Initiative.__table__.c.id == sa.bindparam("card"))
    .values(position=sa.bindparam("to"))
)


def cell_order(
    board_id: int, cells: Iterable[Cell], exclude: int | None
) -> dict[Cell, list[tuple[int, int]]]:
    """The live cards of each cell as `(initiative_id, position)`, in display order (one
    query for all the cells; only what ordering needs, no whole initiatives)."""
    wanted = sorted(set(cells))
    params: dict[str, int] = {"board": board_id, "exclude": -1 if exclude is None else exclude}
    for i, (stage, lane) in enumerate(wanted):
        params[f"stage{i}"], params[f"lane{i}"] = stage, lane
    found: dict[Cell, list[tuple[int, int]]] = {cell: [] for cell in wanted}
    for row in db.session.connection().execute(_cells_statement(len(wanted)), params):
        found[(row.stage_id, row.grand_challenge_id)].append((row.id, row.position))
    return found


def closed_up(cards: list[tuple[int, int]]) -> dict[int, int]:
    """New positions `{initiative_id: position}` that number a cell's cards 0, 1, 2 … in
    their order (only the cards whose position changes)."""
    return {card_id: i for i, (card_id, position) in enumerate(cards) if position != i}


def place(positions: dict[int, int]) -> None:
    """Write positions `{initiative_id: position}` in one statement. Positions are display
    order only: they do not change a card's version."""
    if positions:
        db.session.connection().execute(
            _PLACE, [{"card": card, "to": position} for card, position in positions.items()]
        )


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
