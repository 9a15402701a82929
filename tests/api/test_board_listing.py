"""`GET /api/v1/boards/{id}` builds its cards by hand (`tracker.api.board_json`) for speed:
it must still say exactly what `BoardSchema`, which documents it, would dump from the ORM."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.factories import (
    challenge,
    make_initiative,
    make_organisation,
    make_token,
    role_type,
    stage,
)
from tracker import board
from tracker.api.board_json import board_json
from tracker.api.schemas import BoardSchema
from tracker.extensions import db
from tracker.models import Board, Initiative, User


def fill_varied(the_board: Board, envoy: User) -> None:
    """Cards in several cells with claims of leading and other roles, a due date, text that
    JSON must escape, a card without claims and an archived one."""
    odd = make_organisation('Odd "quoted" <org> & ünïcode')
    plain = make_organisation()
    db.session.commit()
    first = make_initiative(
        the_board,
        envoy,
        title='Quotes " and \\ backslash',
        summary="two\nlines",
        next_step_due=date(2027, 2, 3),
        rag="amber",
        rag_reason="late",
        stage_id=stage(the_board, "Pilot"),
    )
    second = make_initiative(
        the_board, envoy, grand_challenge_id=challenge(the_board, "Clean Growth")
    )
    make_initiative(the_board, envoy, title="No claims")
    archived = make_initiative(the_board, envoy, title="Archived")
    for initiative, role, organisation in (
        (first, "Lead", odd),
        (first, "Partner", plain),
        (first, "Funder", odd),
        (second, "Partner", odd),
        (archived, "Lead", plain),
    ):
        board.claim(envoy, initiative.id, role_type(the_board, role).id, organisation.id)
        db.session.commit()
    board.archive(envoy, archived.id, 1)
    db.session.commit()


def schema_dump(board_id: int) -> dict:
    """The board as marshmallow dumps it from ORM objects (the way the endpoint used to)."""
    the_board = board.load_board(board_id)
    initiatives = db.session.scalars(
        sa.select(Initiative)
        .where(Initiative.board_id == board_id, Initiative.archived.is_(False))
        .order_by(
            Initiative.stage_id, Initiative.grand_challenge_id, Initiative.position, Initiative.id
        )
    ).all()
    return BoardSchema().dump(
        {
            "id": the_board.id,
            "name": the_board.name,
            "last_seq": the_board.last_seq,
            "stages": the_board.stages,
            "grand_challenges": the_board.grand_challenges,
            "role_types": the_board.role_types,
            "initiatives": initiatives,
        }
    )


def test_board_json_is_what_board_schema_dumps(the_board, users):
    fill_varied(the_board, users["envoy"])
    expected = schema_dump(the_board.id)
    assert len(expected["initiatives"]) == 3
    assert sum(len(i["claims"]) for i in expected["initiatives"]) == 4
    built = board_json(board.load_board(the_board.id), board.listed_initiatives(the_board.id))
    assert built == expected


def test_api_board_answers_what_board_schema_dumps(client: FlaskClient, the_board, users):
    fill_varied(the_board, users["envoy"])
    token = make_token(users["viewer"])
    response = client.get(
        f"/api/v1/boards/{the_board.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == schema_dump(the_board.id)
