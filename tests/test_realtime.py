"""Socket.IO at unit level: Flask-SocketIO's test client with the login cookie. What the
*other* viewers of a board receive, and that refused changes broadcast nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions, last_seq
from tests.factories import make_initiative, make_token, role_type, stage
from tracker.extensions import db, socketio


def events(sock) -> list[dict[str, Any]]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == "board_event"]


def received(sock, name: str) -> list[Any]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == name]


@pytest.fixture
def viewer_socket(app, users, the_board):
    """A signed-in browser's socket, joined to the board, for each account role asked."""
    opened = []

    def open_for(role: str, since: int | None = None):
        client = app.test_client()
        AuthActions(client).login(users[role])
        sock = socketio.test_client(app, flask_test_client=client)
        assert sock.is_connected()
        ack = sock.emit(
            "join",
            {"board_id": the_board.id, "since": last_seq(the_board.id) if since is None else since},
            callback=True,
        )
        assert "last_seq" in ack, ack
        sock.get_received()  # presence and replay so far
        opened.append(sock)
        return sock

    yield open_for
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def test_every_viewer_receives_exactly_one_event_per_committed_change(
    client, the_board, users, viewer_socket
):
    initiative = make_initiative(the_board, users["envoy"])
    envoy_sock, member_sock = viewer_socket("envoy"), viewer_socket("member")
    token = make_token(users["envoy"])
    seq_before = last_seq(the_board.id)

    response = client.post(
        f"/api/v1/initiatives/{initiative.id}/move",
        json={"stage_id": stage(the_board, "Exploring"), "position": 0, "version": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200

    for sock in (envoy_sock, member_sock):
        (event,) = events(sock)
        assert set(event) == {"seq", "board_id", "type", "initiative_id", "actor", "at", "data"}
        assert event["seq"] == seq_before + 1
        assert event["type"] == "initiative_moved"
        assert event["initiative_id"] == initiative.id
        assert event["board_id"] == the_board.id
        assert event["actor"]["user"]["name"] == users["envoy"].name
        assert event["actor"]["organisation"]["name"] == "The LEP"
        assert event["data"]["to"]["stage"] == "Exploring"


def test_refused_changes_broadcast_nothing(client, the_board, users, viewer_socket):
    initiative = make_initiative(the_board, users["envoy"])
    sock = viewer_socket("envoy")
    envoy = {"Authorization": f"Bearer {make_token(users['envoy'])}"}
    viewer = {"Authorization": f"Bearer {make_token(users['viewer'])}"}
    lead = role_type(the_board, "Lead").id
    attempts = [
        ("patch", f"/api/v1/initiatives/{initiative.id}", {"version": 9, "title": "stale"}, envoy),
        (
            "post",
            f"/api/v1/initiatives/{initiative.id}/move",
            {"stage_id": 1, "position": -1, "version": 1},
            envoy,
        ),
        ("post", f"/api/v1/initiatives/{initiative.id}/comments", {"body": "hi"}, viewer),
        (
            "post",
            f"/api/v1/initiatives/{initiative.id}/claims",
            {"role_type_id": lead, "organisation_id": 424242},
            envoy,
        ),
    ]
    for method, path, body, headers in attempts:
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code >= 400
    assert events(sock) == []


def test_join_replays_missed_events_in_order_then_acknowledges(client, app, the_board, users):
    initiative = make_initiative(the_board, users["envoy"])
    since = last_seq(the_board.id)
    token = make_token(users["envoy"])
    for i in range(5):
        client.post(
            f"/api/v1/initiatives/{initiative.id}/comments",
            json={"body": f"note {i}"},
            headers={"Authorization": f"Bearer {token}"},
        )
    sock = socketio.test_client(app, auth={"token": token})
    ack = sock.emit("join", {"board_id": the_board.id, "since": since}, callback=True)
    replayed = events(sock)
    assert [e["seq"] for e in replayed] == list(range(since + 1, since + 6))
    assert [e["data"]["body"] for e in replayed] == [f"note {i}" for i in range(5)]
    assert ack == {"last_seq": since + 5}


def test_join_too_far_behind_asks_for_a_resync(app, the_board, users):
    app.config["REPLAY_LIMIT"] = 2
    for _ in range(4):
        make_initiative(the_board, users["envoy"])
    sock = socketio.test_client(app, auth={"token": make_token(users["viewer"])})
    ack = sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    assert ack == {"last_seq": last_seq(the_board.id), "resync": True}
    assert events(sock) == []
    ahead = sock.emit("join", {"board_id": the_board.id, "since": 10_000}, callback=True)
    assert ahead["resync"] is True


def test_anonymous_and_bad_token_connections_are_refused(app, client):
    assert not socketio.test_client(app, flask_test_client=client).is_connected()
    assert not socketio.test_client(app, auth={"token": "trk_nonsense"}).is_connected()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"board_id": "1", "since": 0}, "board_id"),
        ({"board_id": 1, "since": -1}, "since"),
        ({"board_id": 1, "since": "x"}, "since"),
        ("not an object", "payload"),
        ({"since": 0}, "board_id"),
    ],
)
def test_join_validates_its_payload(app, users, the_board, payload, field):
    sock = socketio.test_client(app, auth={"token": make_token(users["viewer"])})
    ack = sock.emit("join", payload, callback=True)
    assert field in ack["error"]["fields"]


def test_join_unknown_board_is_not_found(app, users, the_board):
    sock = socketio.test_client(app, auth={"token": make_token(users["viewer"])})
    ack = sock.emit("join", {"board_id": 424242, "since": 0}, callback=True)
    assert ack["error"]["code"] == "not_found"


def test_disabled_user_socket_gets_nothing_after_the_change(
    client, the_board, users, viewer_socket
):
    initiative = make_initiative(the_board, users["envoy"])
    member_sock = viewer_socket("member")
    envoy_sock = viewer_socket("envoy")
    users["member"].active = False
    db.session.commit()
    token = make_token(users["envoy"])
    client.post(
        f"/api/v1/initiatives/{initiative.id}/comments",
        json={"body": "after the member was disabled"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert len(events(envoy_sock)) == 1
    assert not member_sock.is_connected()
    # The test client keeps what reached it even after the disconnect.
    assert [p for p in member_sock.queue if p["name"] == "board_event"] == []


def test_signing_out_ends_that_sessions_socket(app, client, the_board, users):
    auth = AuthActions(client)
    auth.login(users["member"])
    sock = socketio.test_client(app, flask_test_client=client)
    sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    assert sock.is_connected()
    auth.logout()
    assert not sock.is_connected()


def test_presence_lists_viewers_and_who_is_editing(the_board, users, viewer_socket):
    initiative = make_initiative(the_board, users["envoy"])
    envoy_sock = viewer_socket("envoy")
    member_sock = viewer_socket("member")
    presence = received(envoy_sock, "presence")[-1]
    assert {(v["user"], v["organisation"]) for v in presence["viewers"]} == {
        (users["envoy"].name, "The LEP"),
        (users["member"].name, "Police"),
    }
    ack = member_sock.emit(
        "editing", {"board_id": the_board.id, "initiative_id": initiative.id}, callback=True
    )
    assert ack == {"ok": True}
    presence = received(envoy_sock, "presence")[-1]
    editing = {v["organisation"]: v["editing"] for v in presence["viewers"]}
    assert editing == {"The LEP": None, "Police": initiative.id}
    member_sock.disconnect()
    presence = received(envoy_sock, "presence")[-1]
    assert [v["organisation"] for v in presence["viewers"]] == ["The LEP"]


def test_revoked_token_and_deactivated_organisation_sockets_get_nothing_more(
    app, client, the_board, users
):
    from tracker.models import ApiToken, utcnow

    initiative = make_initiative(the_board, users["envoy"])
    viewer_token = make_token(users["viewer"])
    member_token = make_token(users["member"])
    by_token = socketio.test_client(app, auth={"token": viewer_token})
    by_member = socketio.test_client(app, auth={"token": member_token})
    for sock in (by_token, by_member):
        sock.emit(
            "join", {"board_id": the_board.id, "since": last_seq(the_board.id)}, callback=True
        )
        sock.get_received()
    for row in db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == users["viewer"].id)
    ):
        row.revoked_at = utcnow()
    users["member"].organisation.active = False
    db.session.commit()
    client.post(
        f"/api/v1/initiatives/{initiative.id}/comments",
        json={"body": "after the revocation"},
        headers={"Authorization": f"Bearer {make_token(users['envoy'])}"},
    )
    for sock in (by_token, by_member):
        assert not sock.is_connected()
        assert [p for p in sock.queue if p["name"] == "board_event"] == []
