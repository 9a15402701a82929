"""Listing a board costs a fixed number of SQL queries, whatever the number of cards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.factories import challenge, make_initiative, make_organisation, make_token, role_type
from tracker import board
from tracker.extensions import db


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def fill(the_board, envoy, count: int) -> None:
    """`count` cards spread over stages and swimlanes, each with two claims."""
    lead = role_type(the_board, "Lead").id
    partner = role_type(the_board, "Partner").id
    orgs = [make_organisation().id for _ in range(3)]
    db.session.commit()
    for i in range(count):
        initiative = make_initiative(
            the_board,
            envoy,
            stage_id=the_board.stages[i % len(the_board.stages)].id,
            grand_challenge_id=the_board.grand_challenges[i % 4].id,
        )
        board.claim(envoy, initiative.id, lead, orgs[i % 3])
        board.claim(envoy, initiative.id, partner, orgs[(i + 1) % 3])
    board.add_comment(envoy, initiative.id, "a note")
    db.session.commit()


def queries_for(client, path: str, headers: dict[str, str] | None = None) -> tuple[int, int]:
    # Requests share the test's app context and session: forget what it has loaded.
    db.session.expire_all()
    with counting_queries() as statements:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200
    return len(statements), response


@pytest.mark.parametrize("size", [10, 600])
def test_api_board_query_count_does_not_grow_with_cards(client, the_board, users, size):
    token = make_token(users["envoy"])
    fill(the_board, users["envoy"], 10)
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/api/v1/boards", headers=headers)  # the token's first use records last_used_at
    baseline, _ = queries_for(
        client, f"/api/v1/boards/{the_board.id}", {"Authorization": f"Bearer {token}"}
    )
    if size > 10:
        fill(the_board, users["envoy"], size - 10)
    measured, response = queries_for(
        client, f"/api/v1/boards/{the_board.id}", {"Authorization": f"Bearer {token}"}
    )
    assert len(response.json["initiatives"]) == size
    assert measured == baseline
    assert measured <= 12


def test_board_page_query_count_is_the_same_for_10_and_600_cards(client, auth, the_board, users):
    fill(the_board, users["envoy"], 10)
    auth.login(users["envoy"])
    small, page = queries_for(client, f"/boards/{the_board.id}")
    assert page.get_data(as_text=True).count('class="card ') == 10
    # Past 500 cards: where selectinload would start splitting its IN list.
    fill(the_board, users["envoy"], 590)
    large, page = queries_for(client, f"/boards/{the_board.id}")
    assert page.get_data(as_text=True).count('class="card ') == 600
    assert small == large
    # 12, the viewer's own layout (their collapsed swimlanes and saved views), the header's
    # unread notifications, the board and Grand Challenges they follow, the initiatives
    # they chose to watch or not (the cards' Watch buttons) and the roles marked wanted.
    assert large <= 18


def test_fill_spreads_cards_over_swimlanes(the_board, users):
    fill(the_board, users["envoy"], 8)
    lanes = {i.grand_challenge_id for i in board.board_cards(the_board.id)}
    assert challenge(the_board) in lanes
    assert len(lanes) == 4
