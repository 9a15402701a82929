"""Live collaboration end to end: a real server process (`tracker run`) with a file database,
and python-socketio clients in this process — the way an integration or a browser sees it."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
import sqlalchemy as sa

from tests.e2e.conftest import ROOT, _tracker_command, run_cli
from tests.processes import free_port, kill, stop
from tracker import accounts, api_tokens, create_app
from tracker.extensions import db
from tracker.models import User

pytestmark = pytest.mark.e2e

ORGANISATIONS = 20


class Server:
    """`tracker run` on a fixed port and database, which a test may kill and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
        self.env.update(
            TRACKER_DATABASE_URL=f"sqlite:///{workdir / 'live.sqlite3'}",
            TRACKER_SECRET_KEY=secrets.token_hex(32),
            PYTHONUNBUFFERED="1",
        )
        self.log = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.tokens: dict[str, str] = {}

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *_tracker_command(),
                    "run",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # gunicorn's master and worker: a kill takes both
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/login", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # refused, or not answered yet (booting)
                time.sleep(0.05)
        raise RuntimeError(self.log.read_text())

    def kill(self) -> None:
        assert self.process is not None
        kill(self.process)

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("live"))
    run_cli(server.env, "db", "upgrade")
    run_cli(server.env, "seed-demo")
    server.tokens = _accounts(server.env["TRACKER_DATABASE_URL"])
    server.start()
    yield server
    server.stop()


def _accounts(database_url: str) -> dict[str, str]:
    """Twenty racing organisations with a member each, and tokens, made in one process (a CLI
    call each would cost seconds)."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "setup"})
    with app.app_context():
        envoy = db.session.scalar(sa.select(User).where(User.role == "envoy"))
        made = {"envoy": api_tokens.create_token(envoy)}
        for i in range(ORGANISATIONS):
            member = accounts.create_user(
                f"racer{i}@example.org",
                organisation_name=f"Racer organisation {i}",
                role="member",
                password=None,
                new_organisation=True,
            )
            made[f"racer{i}"] = api_tokens.create_token(member)
        db.session.commit()
        db.engine.dispose()
    return made


@pytest.fixture(scope="module")
def tokens(server: Server) -> dict[str, str]:
    return server.tokens


class Api:
    def __init__(self, server: Server, token: str) -> None:
        self.base = server.url + "/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(
            method, self.base + path, json=body, headers=self.headers, timeout=10
        )

    def board(self) -> dict[str, Any]:
        return self.call("GET", "/boards/1").json()

    def propose(self, title: str) -> dict[str, Any]:
        board = self.board()
        response = self.call(
            "POST",
            "/boards/1/initiatives",
            {"title": title, "grand_challenge_id": board["grand_challenges"][0]["id"]},
        )
        assert response.status_code == 201, response.text
        return response.json()


class Viewer:
    """A python-socketio client that keeps the last seq it applied and rejoins from it on every
    (re)connection — what the browser does."""

    def __init__(self, server: Server, token: str, since: int) -> None:
        self.events: list[dict[str, Any]] = []
        self.pending: dict[int, dict[str, Any]] = {}
        self.arrived: dict[int, float] = {}
        self.resyncs: list[tuple[float, dict[str, Any]]] = []
        self.last_seq = since
        self.joined = threading.Event()
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection_delay=0.2, reconnection_delay_max=1)
        self.client.on("board_event", self._on_event)
        self.client.on("resync", self._on_resync)
        self.client.on("connect", self._on_connect)
        self.client.connect(
            server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10
        )
        assert self.joined.wait(10)

    def _on_connect(self) -> None:
        self.joined.clear()

        def join() -> None:
            try:
                ack = self.client.call("join", {"board_id": 1, "since": self.last_seq}, timeout=10)
            except socketio.exceptions.TimeoutError:
                if not self.client.connected:
                    return  # the connection dropped while waiting: the next connect joins
                raise
            assert "last_seq" in ack, ack
            self.joined.set()

        self.client.start_background_task(join)

    def _on_event(self, event: dict[str, Any]) -> None:
        # python-socketio runs each handler in a thread of its own, so two events can reach
        # this method out of order: hold early ones and apply strictly in sequence.
        with self.lock:
            seq = event["seq"]
            if seq <= self.last_seq or seq in self.pending:
                return  # already applied (a replay overlapping live events)
            self.pending[seq] = event
            while self.last_seq + 1 in self.pending:
                ready = self.pending.pop(self.last_seq + 1)
                self.events.append(ready)
                self.arrived[ready["seq"]] = time.monotonic()
                self.last_seq = ready["seq"]

    def _on_resync(self, payload: dict[str, Any]) -> None:
        # What the browser does: reload the board, which then stands at the server's last_seq.
        with self.lock:
            self.resyncs.append((time.monotonic(), payload))
            self.pending.clear()
            self.last_seq = payload["last_seq"]

    def wait_for_seq(self, seq: int, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.last_seq >= seq:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def viewers(server: Server) -> Iterator[Any]:
    opened: list[Viewer] = []

    def open_viewer(token: str, since: int) -> Viewer:
        viewer = Viewer(server, token, since)
        opened.append(viewer)
        return viewer

    yield open_viewer
    for viewer in opened:
        viewer.close()


def test_two_viewers_receive_a_move_made_over_http_within_a_second(server, tokens, viewers):
    api = Api(server, tokens["envoy"])
    card = api.propose("Moved while watched")
    since = api.board()["last_seq"]
    first, second = viewers(tokens["racer0"], since), viewers(tokens["racer1"], since)
    exploring = next(s["id"] for s in api.board()["stages"] if s["name"] == "Exploring")

    sent = time.monotonic()
    response = api.call(
        "POST",
        f"/initiatives/{card['id']}/move",
        {"stage_id": exploring, "position": 0, "version": card["version"]},
    )
    assert response.status_code == 200

    for viewer in (first, second):
        assert viewer.wait_for_seq(since + 1, timeout=5)
        (event,) = viewer.events
        assert event["type"] == "initiative_moved"
        assert event["initiative_id"] == card["id"]
        assert event["data"]["to"]["stage_id"] == exploring
        assert viewer.arrived[since + 1] - sent < 1.0


def test_a_viewer_that_missed_twenty_changes_rejoins_and_gets_them_in_order(
    server, tokens, viewers
):
    api = Api(server, tokens["envoy"])
    card = api.propose("Busy card")
    since = api.board()["last_seq"]
    viewer = viewers(tokens["racer2"], since)
    viewer.client.disconnect()
    for i in range(20):
        assert (
            api.call(
                "POST", f"/initiatives/{card['id']}/comments", {"body": f"missed {i}"}
            ).status_code
            == 201
        )

    viewer.client.connect(server.url, auth={"token": tokens["racer2"]}, transports=["websocket"])
    assert viewer.joined.wait(10)
    assert viewer.wait_for_seq(since + 20)
    assert [e["seq"] for e in viewer.events] == list(range(since + 1, since + 21))
    assert [e["data"]["body"] for e in viewer.events] == [f"missed {i}" for i in range(20)]

    assert (
        api.call("POST", f"/initiatives/{card['id']}/comments", {"body": "live"}).status_code == 201
    )
    assert viewer.wait_for_seq(since + 21)
    assert viewer.events[-1]["data"]["body"] == "live"
    assert len(viewer.events) == 21


def test_twenty_organisations_claiming_an_exclusive_role_at_once_get_one_201_and_nineteen_409s(
    server, tokens, viewers
):
    envoy = Api(server, tokens["envoy"])
    card = envoy.propose("Contested lead")
    board = envoy.board()
    # Evaluator: exclusive, and claimed (Lead is asked for).
    lead = next(r["id"] for r in board["role_types"] if r["name"] == "Evaluator")
    organisations = {o["name"]: o["id"] for o in envoy.call("GET", "/organisations").json()}
    watchers = [
        viewers(tokens["envoy"], board["last_seq"]),
        viewers(tokens["racer3"], board["last_seq"]),
    ]
    barrier = threading.Barrier(ORGANISATIONS)

    def claim(i: int) -> int:
        api = Api(server, tokens[f"racer{i}"])
        barrier.wait(timeout=20)
        return api.call(
            "POST",
            f"/initiatives/{card['id']}/claims",
            {"role_type_id": lead, "organisation_id": organisations[f"Racer organisation {i}"]},
        ).status_code

    with ThreadPoolExecutor(ORGANISATIONS) as pool:
        statuses = sorted(pool.map(claim, range(ORGANISATIONS)))

    assert statuses == [201] + [409] * (ORGANISATIONS - 1)
    final = envoy.call("GET", f"/initiatives/{card['id']}").json()
    assert len([c for c in final["claims"] if c["role_type_id"] == lead]) == 1
    last = envoy.board()["last_seq"]
    for watcher in watchers:
        assert watcher.wait_for_seq(last)
        claims = [
            e
            for e in watcher.events
            if e["type"] == "role_claimed" and e["initiative_id"] == card["id"]
        ]
        assert len(claims) == 1


def test_foreign_origin_and_anonymous_sockets_are_refused(server, tokens):
    handshake = server.url + "/socket.io/?EIO=4&transport=polling"
    own = requests.get(handshake, headers={"Origin": server.url}, timeout=5)
    assert own.status_code == 200
    foreign = requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=5)
    assert foreign.status_code == 400
    # The same token is fine from the app's own origin, refused from another.
    polling = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        polling.connect(
            server.url,
            auth={"token": tokens["envoy"]},
            transports=["polling"],
            headers={"Origin": "http://evil.example"},
            wait_timeout=5,
        )
    anonymous = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(server.url, transports=["websocket"], wait_timeout=5)


def test_viewers_survive_a_server_restart_and_catch_up(server, tokens, viewers):
    api = Api(server, tokens["envoy"])
    card = api.propose("Through the restart")
    since = api.board()["last_seq"]
    watchers = [viewers(tokens["racer4"], since), viewers(tokens["racer5"], since)]
    assert (
        api.call("POST", f"/initiatives/{card['id']}/comments", {"body": "before"}).status_code
        == 201
    )

    server.kill()
    time.sleep(0.5)
    server.start()
    # Changes made right after the restart, while the clients are still reconnecting.
    for i in range(5):
        assert (
            api.call(
                "POST", f"/initiatives/{card['id']}/comments", {"body": f"after {i}"}
            ).status_code
            == 201
        )
    last = api.board()["last_seq"]

    events = api.call("GET", f"/boards/1/events?since={since}").json()["events"]
    assert [e["seq"] for e in events] == list(range(since + 1, last + 1))
    for watcher in watchers:
        assert watcher.wait_for_seq(last, timeout=20), f"stuck at {watcher.last_seq} of {last}"
        assert [e["seq"] for e in watcher.events] == [e["seq"] for e in events]
        assert watcher.events == events


class CommitWatch:
    """Notes when the board's last_seq in the database becomes `seq` (the commit of another
    process), reading the SQLite file every 10 ms."""

    def __init__(self, server: Server, seq: int) -> None:
        self.path = server.env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")
        self.seq = seq
        self.at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        connection = sqlite3.connect(self.path, timeout=5)
        try:
            while not self._stop.is_set():
                (seq,) = connection.execute("SELECT last_seq FROM boards WHERE id = 1").fetchone()
                if seq == self.seq:
                    self.at = time.monotonic()
                    return
                time.sleep(0.01)
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


DEMO_ENVOY = "envoy@demo.herts-lep.example"


def test_a_tracker_comment_from_another_process_reaches_viewers_within_two_seconds(
    server, tokens, viewers
):
    api = Api(server, tokens["envoy"])
    card = api.propose("Noted from a script")
    since = api.board()["last_seq"]
    watching = [viewers(tokens["racer6"], since), viewers(tokens["racer7"], since)]
    commit = CommitWatch(server, since + 1)

    run_cli(server.env, "comment", str(card["id"]), "From the scheduled job", "--as", DEMO_ENVOY)

    commit.stop()
    assert commit.at is not None
    for viewer in watching:
        assert viewer.wait_for_seq(since + 1, timeout=10), f"stuck at {viewer.last_seq}"
        (event,) = viewer.events
        assert event["type"] == "comment_added"
        assert event["data"]["body"] == "From the scheduled job"
        latency = viewer.arrived[since + 1] - commit.at
        print(f"commit by another process → board_event: {latency:.3f} s")
        assert latency < 2.0


def test_a_mention_written_by_another_process_reaches_the_persons_socket_within_two_seconds(
    server, tokens
):
    """No board open, only the person's socket: a note written by `tracker comment` (another
    process) that names them still updates their unread count live."""
    api = Api(server, tokens["envoy"])
    card = api.propose("Named from a script")
    me = Api(server, tokens["racer8"])
    (found,) = me.call("GET", "/mentionable?q=racer8").json()
    before = me.call("GET", "/notifications").json()["unread"]
    arrived: list[tuple[float, int]] = []
    client = socketio.Client()
    client.on("notifications", lambda data: arrived.append((time.monotonic(), data["unread"])))
    client.connect(
        server.url, auth={"token": tokens["racer8"]}, transports=["websocket"], wait_timeout=10
    )
    try:
        time.sleep(1.5)  # the poller's first round notes where the notifications stand
        run_cli(server.env, "comment", str(card["id"]), f"Over to {found['mention']}",
                "--as", DEMO_ENVOY)  # fmt: skip
        written = time.monotonic()
        deadline = written + 5
        while not arrived and time.monotonic() < deadline:
            time.sleep(0.01)
        assert arrived, "no notifications event"
        at, unread = arrived[0]
        assert unread == before + 1
        print(f"notification by another process → socket: {at - written:.3f} s")
        assert at - written < 2.0
    finally:
        client.disconnect()


def test_restoring_a_backup_while_boards_are_open_makes_them_reload(
    server, tokens, viewers, tmp_path
):
    api = Api(server, tokens["envoy"])
    card = api.propose("Backed up")
    backup_seq = api.board()["last_seq"]
    backup = tmp_path / "backup.sqlite3"
    run_cli(server.env, "backup", str(backup))
    viewer = viewers(tokens["racer8"], backup_seq)
    for body in ("after the backup 1", "after the backup 2"):
        response = api.call("POST", f"/initiatives/{card['id']}/comments", {"body": body})
        assert response.status_code == 201
    assert viewer.wait_for_seq(backup_seq + 2)

    restore = CommitWatch(server, backup_seq)
    run_cli(server.env, "restore", str(backup), "--yes")
    restore.stop()
    assert restore.at is not None

    deadline = restore.at + 5
    while not viewer.resyncs and time.monotonic() < deadline:
        time.sleep(0.01)
    assert viewer.resyncs, "no resync after the restore"
    (arrived, resync), *_ = viewer.resyncs
    print(f"restore → resync: {arrived - restore.at:.3f} s")
    assert arrived - restore.at < 2.0
    assert resync == {
        "board_id": 1,
        "last_seq": backup_seq,
        "reason": "The board's history was restored from a backup.",
    }
    assert [e["seq"] for e in viewer.events] == [backup_seq + 1, backup_seq + 2]
    # The restored board hands out backup_seq + 1 again; the reloaded viewer gets it.
    response = api.call("POST", f"/initiatives/{card['id']}/comments", {"body": "restored"})
    assert response.status_code == 201
    assert viewer.wait_for_seq(backup_seq + 1)
    assert viewer.events[-1]["data"]["body"] == "restored"
