"""Presence and joins as production times them (tests elsewhere send every presence change
at once): a burst of joins reaches the room as one merged `presence` per interval, a socket
that joins still gets the list when it did not change it, and a join with nothing to replay
costs at most one query."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests import factories
from tests.conftest import AuthActions, last_seq
from tests.processes import wait_until
from tracker.extensions import db, socketio
from tracker.models import Board, User

INTERVAL = 0.5


@pytest.fixture
def timed(app: Flask) -> Flask:
    app.config.update(PRESENCE_INTERVAL_SECONDS=INTERVAL, SOCKET_RECHECK_SECONDS=5)
    return app


def signed_in_socket(app: Flask, user: User) -> Any:
    web = app.test_client()
    AuthActions(web).login(user)
    return web


def join(app: Flask, web: Any, board_id: int) -> Any:
    sock = socketio.test_client(app, flask_test_client=web)
    ack = sock.emit("join", {"board_id": board_id, "since": last_seq(board_id)}, callback=True)
    assert "last_seq" in ack, ack
    return sock


class Inbox:
    """The `presence` lists one socket has received, as sets of user names."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.lists: list[set[str]] = []

    def read(self) -> list[set[str]]:
        for message in self.sock.get_received():
            if message["name"] == "presence":
                self.lists.append({v["user"] for v in message["args"][0]["viewers"]})
        return self.lists


def test_a_burst_of_joins_reaches_the_room_as_one_merged_presence_per_interval(
    timed: Flask, the_board: Board
):
    people = [factories.make_user("member", name=f"Viewer {i:02}") for i in range(12)]
    db.session.commit()
    browsers = [signed_in_socket(timed, person) for person in people]  # sign-ins first
    first = Inbox(join(timed, browsers[0], the_board.id))
    assert wait_until(lambda: {"Viewer 00"} in first.read(), 2.0), first.lists
    first.lists.clear()

    started = time.monotonic()
    others = [join(timed, web, the_board.id) for web in browsers[1:]]
    burst = time.monotonic() - started
    everyone = {p.name for p in people}
    assert wait_until(lambda: everyone in first.read(), 3 * INTERVAL + burst), first.lists

    # One list per interval at most (the burst's first, then merged): not one per join.
    assert len(first.lists) <= math.ceil(burst / INTERVAL) + 1 < len(others)
    for sock in [first.sock, *others]:
        sock.disconnect()


def test_a_second_socket_of_the_same_viewer_still_gets_the_list(
    timed: Flask, the_board: Board, users: dict[str, User]
):
    web = signed_in_socket(timed, users["envoy"])
    one = Inbox(join(timed, web, the_board.id))
    assert wait_until(lambda: bool(one.read()), 2.0)
    two = Inbox(join(timed, web, the_board.id))  # the list is the same: nobody new

    assert wait_until(lambda: bool(two.read()), 3 * INTERVAL), "the second socket got no list"
    assert two.lists[-1] == {users["envoy"].name}
    one.sock.disconnect()
    two.sock.disconnect()


def test_a_join_with_nothing_to_replay_costs_at_most_one_query(
    timed: Flask, the_board: Board, users: dict[str, User]
):
    # Nothing in the background during the count: no poll, and the next presence far off.
    timed.config.update(LIVE_POLL_SECONDS=60, PRESENCE_INTERVAL_SECONDS=60)
    warm = join(timed, signed_in_socket(timed, users["member"]), the_board.id)
    web = signed_in_socket(timed, users["envoy"])
    sock = socketio.test_client(timed, flask_test_client=web)  # connected: authenticated

    board_id = the_board.id
    since = last_seq(board_id)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        ack = sock.emit("join", {"board_id": board_id, "since": since}, callback=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert "last_seq" in ack, ack
    assert len(statements) <= 1, statements
    sock.disconnect()
    warm.disconnect()
