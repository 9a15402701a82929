"""Board cards are rendered once per `CardFace` and reused (tracker.web.cards): a reused card
must be exactly what rendering it afresh would give, for this viewer, now."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.factories import make_initiative, make_organisation, role_type, stage
from tracker import board
from tracker.extensions import db
from tracker.models import Board, Initiative, Organisation, Stage, User

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
META_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
CARD = re.compile(r'<li class="card .*?\n</li>', re.DOTALL)


@pytest.fixture
def cards(the_board: Board, users: dict[str, User]) -> dict[str, int]:
    """A card proposed by the LEP with a Partner claim by a council, and one proposed by the
    member's organisation (so the member may move that one only)."""
    lep = make_initiative(the_board, users["envoy"], title="LEP card")
    own = make_initiative(the_board, users["member"], title="Police card")
    council = make_organisation("Council")
    db.session.commit()
    board.claim(users["envoy"], lep.id, role_type(the_board, "Partner").id, council.id)
    db.session.commit()
    return {"lep": lep.id, "own": own.id, "council": council.id}


def signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(user)
    return client


def board_cards(client: FlaskClient, board_id: int) -> tuple[str, dict[int, str]]:
    page = client.get(f"/boards/{board_id}").get_data(as_text=True)
    found = {int(re.search(r'data-initiative-id="(\d+)"', c)[1]): c for c in CARD.findall(page)}
    return page, found


def test_each_viewer_gets_their_own_controls_and_token_whoever_came_first(
    app, the_board, users, cards
):
    clients = {role: signed_in(app, users[role]) for role in ("envoy", "viewer", "member", "admin")}
    for role in ("envoy", "viewer", "member", "admin", "viewer", "envoy"):
        page, found = board_cards(clients[role], the_board.id)
        editable = {
            "envoy": {cards["lep"], cards["own"]},
            "admin": {cards["lep"], cards["own"]},
            "member": {cards["own"]},
            "viewer": set(),
        }[role]
        page_token = META_TOKEN.search(page)[1]
        for card_id, html in found.items():
            may_move = card_id in editable
            assert f'data-draggable="{"true" if may_move else "false"}"' in html, (role, card_id)
            assert ('class="move"' in html) is may_move
            # Each form (Move…, where offered, and Watch) carries this response's own token,
            # never one rendered for someone else.
            assert TOKEN.findall(html) == [page_token] * (2 if may_move else 1)


def test_the_move_form_token_of_a_reused_card_is_accepted(app, the_board, users, cards):
    signed_in(app, users["admin"]).get(f"/boards/{the_board.id}")  # renders the cards first
    envoy = signed_in(app, users["envoy"])
    _, found = board_cards(envoy, the_board.id)
    token = TOKEN.search(found[cards["lep"]])[1]
    pilot = stage(the_board, "Pilot")
    moved = envoy.post(
        f"/initiatives/{cards['lep']}/move",
        data={"csrf_token": token, "version": "1", "stage_id": str(pilot)},
    )
    assert moved.status_code == 302
    _, found = board_cards(envoy, the_board.id)
    assert f'data-stage-id="{pilot}"' in found[cards["lep"]]


def test_a_card_shows_claims_renames_and_a_new_day_at_once(app, the_board, users, cards):
    envoy = signed_in(app, users["envoy"])
    _, before = board_cards(envoy, the_board.id)
    assert "Partner: Council" in before[cards["lep"]]
    assert "0 days in this stage" in before[cards["lep"]]

    # A claim does not change the initiative's version, but it changes the card.
    funder = role_type(the_board, "Funder").id
    board.claim(users["envoy"], cards["lep"], funder, users["member"].organisation_id)
    db.session.commit()
    _, found = board_cards(envoy, the_board.id)
    assert "Funder: Police" in found[cards["lep"]]

    # Renaming an organisation, a role or a stage changes no initiative either.
    db.session.get(Organisation, cards["council"]).name = "Borough Council"
    role_type(the_board, "Partner").name = "Ally"
    db.session.get(Stage, stage(the_board, "Pilot")).name = "Trial"
    db.session.commit()
    _, found = board_cards(envoy, the_board.id)
    assert "Ally: Borough Council" in found[cards["lep"]]
    assert ">Trial</option>" in found[cards["lep"]]
    assert ">Pilot</option>" not in found[cards["lep"]]

    # A day later (moving the clock would end the sign-in), with no change to the card.
    db.session.get(Initiative, cards["lep"]).stage_entered_at -= timedelta(days=1)
    db.session.commit()
    _, found = board_cards(envoy, the_board.id)
    assert "1 day in this stage" in found[cards["lep"]]


def test_the_fetched_card_is_the_card_on_the_board(app, the_board, users, cards):
    for role in ("viewer", "member", "envoy"):
        client = signed_in(app, users[role])
        page, found = board_cards(client, the_board.id)
        token = META_TOKEN.search(page)[1]
        for card_id, html in found.items():
            fetched = client.get(f"/initiatives/{card_id}/card").get_data(as_text=True)
            # Each response has its own token (it embeds the time it was made).
            fetched = TOKEN.sub(f'name="csrf_token" value="{token}"', fetched)
            assert fetched.strip() == html, (role, card_id)
