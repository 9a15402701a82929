"""`POST /api/v1/initiatives/{id}/restore`: an archived initiative comes back to the end of its
stage and Grand Challenge, with one event; envoys and admins only (the permission matrix has
every role)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.test_permissions import World, make_world
from tests.conftest import last_seq
from tracker.extensions import db
from tracker.models import Board, Event, Initiative, User


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    return make_world(the_board, users)


def restore(client: FlaskClient, world: World, initiative: int, body: object) -> object:
    return client.post(
        f"/api/v1/initiatives/{initiative}/restore",
        json=body,
        headers={"Authorization": f"Bearer {world.tokens['envoy']}"},
    )


def test_restore_returns_the_initiative_to_the_end_of_its_cell_with_one_event(
    client: FlaskClient, world: World
) -> None:
    # `foreign` and `involved` share a cell; `foreign` was first.
    archived = world.archived(world.foreign)
    before = last_seq(world.board.id)

    response = restore(client, world, archived, {"version": world.version(archived)})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["archived"] is False
    assert body["version"] == 3  # proposed 1, archived 2, restored 3
    db.session.expire_all()
    cell = sorted(
        db.session.scalars(
            db.select(Initiative).where(
                Initiative.stage_id == body["stage_id"],
                Initiative.grand_challenge_id == body["grand_challenge_id"],
                Initiative.archived.is_(False),
            )
        ),
        key=lambda i: i.position,
    )
    assert [i.position for i in cell] == list(range(len(cell)))
    assert cell[-1].id == archived
    assert last_seq(world.board.id) == before + 1
    event = db.session.scalar(
        db.select(Event).where(Event.board_id == world.board.id, Event.seq == before + 1)
    )
    assert event is not None
    assert (event.type, event.initiative_id, event.data) == (
        "initiative_restored",
        archived,
        {"version": 3},
    )


def test_a_stale_restore_is_refused_with_the_current_initiative(
    client: FlaskClient, world: World
) -> None:
    archived = world.archived(world.foreign)
    before = last_seq(world.board.id)
    response = restore(client, world, archived, {"version": 1})
    assert response.status_code == 409
    assert response.get_json()["current"]["version"] == 2
    assert last_seq(world.board.id) == before


def test_restoring_an_initiative_on_the_board_changes_nothing(
    client: FlaskClient, world: World
) -> None:
    before = last_seq(world.board.id)
    response = restore(client, world, world.foreign, {"version": world.version(world.foreign)})
    assert response.status_code == 200
    assert response.get_json()["archived"] is False
    assert last_seq(world.board.id) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "version"), ({"version": "2"}, "version"), ({"version": 0}, "version")],
)
def test_a_restore_without_a_usable_version_is_refused_naming_it(
    client: FlaskClient, world: World, body: dict[str, object], field: str
) -> None:
    archived = world.archived(world.foreign)
    before = last_seq(world.board.id)
    response = restore(client, world, archived, body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert last_seq(world.board.id) == before
    db.session.expire_all()
    assert db.session.get(Initiative, archived).archived


def test_restoring_no_such_initiative_is_not_found(client: FlaskClient, world: World) -> None:
    assert restore(client, world, 999999, {"version": 1}).status_code == 404
