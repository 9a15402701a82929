"""The `editing` Socket.IO event follows the rule of an edit: the initiative is on the board
the viewer joined and the viewer may edit it. Otherwise the sender gets an error
acknowledgement and presence does not change: other viewers receive nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.api.test_permissions import World, make_world
from tests.conftest import AuthActions
from tracker.extensions import db, socketio
from tracker.models import Board, User
from tracker.realtime.presence import presence_payload


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    return make_world(the_board, users)


@pytest.fixture
def elsewhere(world: World) -> int:
    """An initiative on another board, which the envoy may edit."""
    other = factories.make_board("Another programme")
    db.session.commit()
    return factories.make_initiative(other, world.users["envoy"]).id


@pytest.fixture
def joined(app: Flask, world: World) -> Iterator[Callable[[str], Any]]:
    """A signed-in socket of an account role, joined to the world's board."""
    opened = []

    def open_for(role: str) -> Any:
        web = app.test_client()
        AuthActions(web).login(world.users[role])
        sock = socketio.test_client(app, flask_test_client=web)
        ack = sock.emit("join", {"board_id": world.board.id, "since": 0}, callback=True)
        assert "last_seq" in ack, ack
        opened.append(sock)
        for each in opened:
            each.get_received()
        return sock

    yield open_for
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def editing_of(board_id: int) -> dict[str, Any]:
    return {v["user"]: v["editing"] for v in presence_payload(board_id)["viewers"]}


REFUSED: list[Any] = [
    pytest.param("viewer", lambda w, e: w.foreign, "forbidden", id="viewer"),
    pytest.param("member", lambda w, e: w.foreign, "forbidden", id="member-not-involved"),
    pytest.param("envoy", lambda w, e: 999_999, "not_found", id="no-such-initiative"),
    pytest.param("envoy", lambda w, e: 2**31, "not_found", id="id-2**31"),
    pytest.param("envoy", lambda w, e: 2**63, "not_found", id="id-2**63"),
    pytest.param("envoy", lambda w, e: 2**80, "not_found", id="id-2**80"),
    pytest.param("envoy", lambda w, e: 0, "not_found", id="id-0"),
    pytest.param("envoy", lambda w, e: -1, "not_found", id="id-negative"),
    pytest.param("envoy", lambda w, e: e, "not_found", id="initiative-on-another-board"),
    pytest.param("envoy", lambda w, e: "12", "invalid", id="id-text"),
    pytest.param("envoy", lambda w, e: True, "invalid", id="id-bool"),
]


@pytest.mark.parametrize(("role", "initiative", "code"), REFUSED)
def test_editing_is_refused_unless_the_viewer_may_edit_that_initiative_on_that_board(
    world: World,
    elsewhere: int,
    joined: Callable[[str], Any],
    role: str,
    initiative: Callable[[World, int], Any],
    code: str,
) -> None:
    watcher = joined("envoy" if role != "envoy" else "admin")
    sender = joined(role)
    before = editing_of(world.board.id)

    ack = sender.emit(
        "editing",
        {"board_id": world.board.id, "initiative_id": initiative(world, elsewhere)},
        callback=True,
    )

    assert ack["error"]["code"] == code, ack
    assert set(ack["error"]["fields"]) == {"initiative_id"}
    assert watcher.get_received() == []  # no presence change reached anyone
    assert editing_of(world.board.id) == before
    assert all(editing is None for editing in before.values())


ALLOWED: list[Any] = [
    pytest.param("envoy", lambda w: w.foreign, id="envoy-any"),
    pytest.param("admin", lambda w: w.proposed, id="admin-any"),
    pytest.param("member", lambda w: w.proposed, id="member-own-organisation-proposed-it"),
    pytest.param("member", lambda w: w.involved, id="member-own-organisation-holds-a-role"),
]


@pytest.mark.parametrize(("role", "initiative"), ALLOWED)
def test_editing_is_shown_to_others_when_the_viewer_may_edit(
    world: World, joined: Callable[[str], Any], role: str, initiative: Callable[[World], int]
) -> None:
    watcher = joined("viewer")
    sender = joined(role)
    target = initiative(world)

    assert sender.emit(
        "editing", {"board_id": world.board.id, "initiative_id": target}, callback=True
    ) == {"ok": True}
    presence = [m["args"][0] for m in watcher.get_received() if m["name"] == "presence"]
    assert presence, "the watcher was told"
    assert editing_of(world.board.id)[world.users[role].name] == target

    assert sender.emit(
        "editing", {"board_id": world.board.id, "initiative_id": None}, callback=True
    ) == {"ok": True}
    assert editing_of(world.board.id)[world.users[role].name] is None


def test_a_viewer_may_still_say_they_stopped_editing(
    world: World, joined: Callable[[str], Any]
) -> None:
    """`initiative_id: null` claims nothing, so anyone who joined may send it."""
    sender = joined("viewer")
    ack = sender.emit("editing", {"board_id": world.board.id, "initiative_id": None}, callback=True)
    assert ack == {"ok": True}
