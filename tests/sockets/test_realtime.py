"""Socket.IO at unit level: Flask-SocketIO's test client with the login cookie. What the
*other* viewers of a board receive, and that refused changes broadcast nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import AuthActions, last_seq
from tests.factories import make_initiative, make_token, role_type, stage
from tracker.extensions import db, socketio
from tracker.models import Board, Event


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
    # Proposed by the member's organisation, so the member may edit it (and show it).
    initiative = make_initiative(the_board, users["member"])
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


def test_a_busy_board_checks_its_viewers_again_at_most_once_per_recheck_interval(
    app, client, the_board, users
):
    """What no operation here announces (a token revoked by another process) is caught
    before the next change is sent once SOCKET_RECHECK_SECONDS have passed since the viewer
    was last checked; changes within that interval cost no check at all."""
    from tracker.models import ApiToken, utcnow
    from tracker.realtime.state import current_registry

    app.config["SOCKET_RECHECK_SECONDS"] = 60
    initiative = make_initiative(the_board, users["envoy"])
    sock = socketio.test_client(app, auth={"token": make_token(users["viewer"])})
    sock.emit("join", {"board_id": the_board.id, "since": last_seq(the_board.id)}, callback=True)
    sock.get_received()
    envoy = {"Authorization": f"Bearer {make_token(users['envoy'])}"}
    url = f"/api/v1/initiatives/{initiative.id}/comments"
    for row in db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == users["viewer"].id)
    ):
        row.revoked_at = utcnow()  # committed behind the server's back: no socket is ended
    db.session.commit()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.post(url, json={"body": "within the minute"}, headers=envoy).status_code
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    # Checked when it connected, under a minute ago: not again, and no query for it.
    assert sock.is_connected()
    assert [e["data"]["body"] for e in events(sock)] == ["within the minute"]
    assert not [s for s in statements if "api_tokens" in s and "token_hash IN" in s], statements

    with app.app_context():
        for conn in current_registry().connections.values():
            conn.checked_at -= 61  # a minute later
    client.post(url, json={"body": "a minute later"}, headers=envoy)
    assert not sock.is_connected()
    assert [p for p in sock.queue if p["name"] == "board_event"] == []


# --- changes made by another process ---------------------------------------------------------


class OtherProcess:
    """Writes to the board's database through an engine of its own, as the CLI, another
    worker without a queue, or a restore would: this process's server is not told."""

    def __init__(self, app) -> None:
        self.engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

    def comment(self, board_id: int, initiative_id: int, actor, body: str) -> int:
        with Session(self.engine) as session, session.begin():
            session.execute(
                sa.update(Board).where(Board.id == board_id).values(last_seq=Board.last_seq + 1)
            )
            seq = session.scalar(sa.select(Board.last_seq).where(Board.id == board_id))
            session.add(
                Event(
                    board_id=board_id,
                    seq=seq,
                    type="comment_added",
                    initiative_id=initiative_id,
                    actor_user_id=actor.id,
                    actor_organisation_id=actor.organisation_id,
                    actor_name=actor.name,
                    actor_organisation_name=actor.organisation.name,
                    data={"comment_id": None, "body": body},
                )
            )
        return seq

    def restore_to(self, board_id: int, seq: int) -> None:
        """The board's history as an older backup holds it: the events after `seq` gone."""
        with Session(self.engine) as session, session.begin():
            session.execute(sa.delete(Event).where(Event.board_id == board_id, Event.seq > seq))
            session.execute(sa.update(Board).where(Board.id == board_id).values(last_seq=seq))

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def other_process(app):
    other = OtherProcess(app)
    yield other
    other.close()


def wait_for(sock, name: str, timeout: float = 2.0) -> tuple[list[dict[str, Any]], float]:
    """What `sock` received until a `name` arrives (or the timeout), and when it did."""
    started = time.monotonic()
    got: list[dict[str, Any]] = []
    while time.monotonic() - started < timeout:
        got += sock.get_received()
        if any(m["name"] == name for m in got):
            return got, time.monotonic() - started
        time.sleep(0.02)
    return got, float("inf")


def test_an_event_committed_by_another_process_reaches_viewers_within_two_seconds(
    app, the_board, users, viewer_socket, other_process
):
    initiative = make_initiative(the_board, users["envoy"])
    envoy_sock, member_sock = viewer_socket("envoy"), viewer_socket("member")

    seq = other_process.comment(the_board.id, initiative.id, users["member"], "from a script")

    for sock in (envoy_sock, member_sock):
        got, after = wait_for(sock, "board_event")
        assert after < 2.0, f"no board_event within 2 s: {got}"
        (event,) = [m["args"][0] for m in got if m["name"] == "board_event"]
        assert event["seq"] == seq
        assert event["data"]["body"] == "from a script"
        assert event["actor"]["user"]["name"] == users["member"].name


def test_a_change_through_the_server_after_an_outside_one_is_sent_once_in_order(
    client, app, the_board, users, viewer_socket, other_process
):
    initiative = make_initiative(the_board, users["envoy"])
    sock = viewer_socket("viewer")
    outside = other_process.comment(the_board.id, initiative.id, users["envoy"], "outside")
    response = client.post(
        f"/api/v1/initiatives/{initiative.id}/comments",
        json={"body": "through the server"},
        headers={"Authorization": f"Bearer {make_token(users['envoy'])}"},
    )
    assert response.status_code == 201
    time.sleep(1.5)  # a poll or two: nothing more may come
    assert [(e["seq"], e["data"]["body"]) for e in events(sock)] == [
        (outside, "outside"),
        (outside + 1, "through the server"),
    ]


def test_the_poller_starts_once_at_the_first_join_and_stops_when_nobody_watches(
    app, the_board, users, viewer_socket
):
    registry = app.extensions["tracker.registry"]
    assert registry.poller is None  # not at start-up, nor for a request
    first = viewer_socket("envoy")
    task = registry.poller
    assert task is not None and task.is_alive()
    second = viewer_socket("member")
    assert registry.poller is task
    first.disconnect()
    second.disconnect()
    task.join(timeout=5)
    assert not task.is_alive()
    assert registry.poller is None


def test_a_restored_board_sends_viewers_a_resync_not_stale_events(
    client, app, the_board, users, viewer_socket, other_process
):
    initiative = make_initiative(the_board, users["envoy"])
    backup_seq = last_seq(the_board.id)
    sock = viewer_socket("member")
    envoy = {"Authorization": f"Bearer {make_token(users['envoy'])}"}
    for body in ("after the backup 1", "after the backup 2"):
        path = f"/api/v1/initiatives/{initiative.id}/comments"
        assert client.post(path, json={"body": body}, headers=envoy).status_code == 201
    assert [e["seq"] for e in events(sock)] == [backup_seq + 1, backup_seq + 2]

    other_process.restore_to(the_board.id, backup_seq)

    got, after = wait_for(sock, "resync")
    assert after < 2.0, f"no resync within 2 s: {got}"
    (resync,) = [m["args"][0] for m in got if m["name"] == "resync"]
    assert resync["board_id"] == the_board.id
    assert resync["last_seq"] == backup_seq
    assert resync["reason"]
    assert [m for m in got if m["name"] == "board_event"] == []
    # The next change carries the number the restored board hands out, and it is sent.
    path = f"/api/v1/initiatives/{initiative.id}/comments"
    assert client.post(path, json={"body": "after the restore"}, headers=envoy).status_code == 201
    assert [(e["seq"], e["data"]["body"]) for e in events(sock)] == [
        (backup_seq + 1, "after the restore")
    ]


@pytest.mark.parametrize("extra", [0, 2], ids=["same last_seq", "longer history"])
def test_a_board_whose_history_was_replaced_sends_a_resync(
    client, app, the_board, users, viewer_socket, other_process, extra
):
    initiative = make_initiative(the_board, users["envoy"])
    envoy = {"Authorization": f"Bearer {make_token(users['envoy'])}"}
    path = f"/api/v1/initiatives/{initiative.id}/comments"
    assert client.post(path, json={"body": "seen"}, headers=envoy).status_code == 201
    seen = last_seq(the_board.id)
    sock = viewer_socket("member")
    assert client.post(path, json={"body": "also seen"}, headers=envoy).status_code == 201
    assert [e["seq"] for e in events(sock)] == [seen + 1]

    # Another history from `seen` on: as many events (or more), different ones.
    other_process.restore_to(the_board.id, seen)
    for i in range(1 + extra):
        other_process.comment(the_board.id, initiative.id, users["viewer"], f"other {i}")

    got, after = wait_for(sock, "resync")
    assert after < 2.0, f"no resync within 2 s: {got}"
    assert [m for m in got if m["name"] == "board_event"] == []
    (resync,) = [m["args"][0] for m in got if m["name"] == "resync"]
    assert resync["last_seq"] == seen + 1 + extra


@pytest.mark.parametrize("reserved", ["disconnect", "connect"])
def test_a_client_cannot_send_connect_or_disconnect_as_an_event(
    app, client, the_board, users, reserved
):
    """`connect`/`disconnect` are the server's own events: sent by a client they would run
    those handlers (forgetting the socket while it stays in the board's room, so signing
    out would no longer reach it)."""
    auth = AuthActions(client)
    auth.login(users["member"])
    sock = socketio.test_client(app, flask_test_client=client)
    sock.emit("join", {"board_id": the_board.id, "since": last_seq(the_board.id)}, callback=True)
    sock.get_received()
    ack = sock.emit(reserved, {"token": make_token(users["envoy"])}, callback=True)
    assert ack["error"]["code"] == "bad_request"
    assert sock.is_connected()
    auth.logout()
    assert not sock.is_connected()
