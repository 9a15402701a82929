"""What clients that never sign in can hold of a served app (`tracker run`): a small bound per
address, for a few seconds — and everyone else is served meanwhile.

The server trusts one proxy hop (`TRACKER_TRUSTED_PROXIES=1`), so each test plays clients at
addresses of its own through `X-Forwarded-For`, as nginx would pass them on."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
import websocket

from tests.e2e.conftest import (
    DEMO,
    SeededDatabase,
    ServedApp,
    _app_env,
    _start_server,
    _wait_until_up,
)
from tests.processes import free_port, stop

pytestmark = pytest.mark.e2e

PENDING = 5  # anonymous sessions per address (the default)
CONNECT_TIMEOUT = 2  # seconds; 10 by default, shortened so the test need not wait
FAILED_CONNECTS = 8  # per minute and address; 30 by default
POLLING = "/socket.io/?EIO=4&transport=polling"
# Engine.IO's payload separator, and packets: 1 close; 4 message (Socket.IO: 40 connect,
# 44 connect error).
SEP = "\x1e"


@dataclass
class Gated(ServedApp):
    token: str = ""

    def threads(self) -> int:
        """The server process's threads now (Linux)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"^Threads:\s+(\d+)", status, re.M)[1])  # type: ignore[index]


@pytest.fixture(scope="module")
def gated(
    tmp_path_factory: pytest.TempPathFactory, seeded_database: SeededDatabase
) -> Iterator[Gated]:
    workdir = tmp_path_factory.mktemp("gate")
    env = _app_env(workdir)
    env.update(
        TRACKER_TRUSTED_PROXIES="1",
        TRACKER_SOCKETIO_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        TRACKER_SOCKETIO_FAILED_CONNECTS_PER_ADDRESS=f"{FAILED_CONNECTS} per minute",
    )
    seeded_database.copy_to(workdir)
    port = free_port()
    log_path = workdir / "server.log"
    process = _start_server(env, port, log_path)
    app = Gated(
        f"http://127.0.0.1:{port}", env, log_path, process, token=seeded_database.tokens["envoy"]
    )
    try:
        _wait_until_up(app)
        yield app
    finally:
        stop(app.process)
    logged = log_path.read_text(errors="replace")
    if "Traceback" in logged or '" 500 ' in logged:
        pytest.fail("The gated server logged errors:\n" + logged, pytrace=False)


@dataclass
class Answer:
    status: int
    body: str
    seconds: float

    @property
    def sid(self) -> str:
        return json.loads(self.body[1:])["sid"]  # type: ignore[no-any-return]

    @property
    def packets(self) -> list[str]:
        return self.body.split(SEP) if self.body else []


def _call(method: str, url: str, address: str, timeout: float = 10, **kwargs: Any) -> Answer:
    headers = {"X-Forwarded-For": address, **kwargs.pop("headers", {})}
    started = time.monotonic()
    response = requests.request(method, url, headers=headers, timeout=timeout, **kwargs)
    return Answer(response.status_code, response.text, time.monotonic() - started)


def handshake(app: Gated, address: str, **kwargs: Any) -> Answer:
    return _call("GET", app.url + POLLING, address, **kwargs)


def poll(app: Gated, sid: str, address: str, timeout: float = 10) -> Answer:
    return _call("GET", f"{app.url}{POLLING}&sid={sid}", address, timeout=timeout)


def send(app: Gated, sid: str, address: str, packet: str) -> Answer:
    return _call("POST", f"{app.url}{POLLING}&sid={sid}", address, data=packet.encode())


def signed_in(app: Gated, who: str = "member") -> requests.Session:
    browser = requests.Session()
    page = browser.get(app.url + "/login", timeout=10).text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]  # type: ignore[index]
    email, password = DEMO[who]
    response = browser.post(
        app.url + "/login",
        data={"email": email, "password": password, "csrf_token": csrf},
        timeout=10,
    )
    assert response.ok and "/boards/" in response.url, response.url
    return browser


def test_anonymous_sessions_from_one_address_are_bounded_and_everyone_else_is_served(gated):
    address = "203.0.113.7"
    threads_before = gated.threads()

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: handshake(gated, address), range(50)))

    opened = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status != 200]
    print(f"50 anonymous handshakes from one address: {len(opened)} held, {len(refused)} refused")
    assert len(opened) == PENDING
    assert {a.status for a in refused} == {429}
    # Refused at once, not after a held session's connect timeout: the one worker answers the
    # 50 in turn, so on a busy 2-core machine the last may take a second or so.
    assert max(a.seconds for a in refused) < CONNECT_TIMEOUT
    error = json.loads(refused[0].body)["error"]
    assert error["code"] == "too_many_connections" and error["message"]

    with ThreadPoolExecutor(2 * PENDING + 4) as pool:
        # One long-poll per session is held; a second at the same time is refused at once.
        held: list[Future[Answer]] = [
            pool.submit(poll, gated, a.sid, address, timeout=CONNECT_TIMEOUT + 8) for a in opened
        ]
        time.sleep(0.3)
        second = [poll(gated, a.sid, address, timeout=3) for a in opened]
        assert {a.status for a in second} == {429}
        peak = gated.threads() - threads_before
        print(f"server threads while held: +{peak}")
        # Each held session: its long-poll and Engine.IO's ping task (and a little slack).
        assert peak <= 2 * PENDING + 6

        # Meanwhile a signed-in user's board and API answer promptly, and their socket
        # (by cookie, from the same address; by token, from another) opens.
        browser = signed_in(gated)
        started = time.monotonic()
        assert browser.get(gated.url + "/boards/1", timeout=5).status_code == 200
        bearer = {"Authorization": f"Bearer {gated.token}"}
        api = requests.get(gated.url + "/api/v1/boards/1", headers=bearer, timeout=5)
        assert api.status_code == 200
        assert time.monotonic() - started < 2.0
        by_cookie = handshake(gated, address, cookies=browser.cookies)
        assert by_cookie.status == 200
        client = socketio.Client(reconnection=False)
        client.connect(
            gated.url,
            auth={"token": gated.token},
            headers={"X-Forwarded-For": "198.51.100.1"},
            transports=["polling"],
            wait_timeout=5,
        )
        ack = client.call("join", {"board_id": 1, "since": 0}, timeout=5)
        assert "last_seq" in ack
        client.disconnect()

        # Sessions that never sign in are closed after the connect timeout.
        ended = [f.result() for f in held]
    assert {a.status for a in ended} == {200}
    assert all("1" in a.packets for a in ended), [a.body for a in ended]
    assert max(a.seconds for a in ended) < CONNECT_TIMEOUT + 2.0
    assert {poll(gated, a.sid, address, timeout=3).status for a in opened} == {400}
    # … which frees the address's share.
    assert handshake(gated, address).status == 200


@pytest.mark.parametrize("auth", [None, {"token": "trk_nonsense"}], ids=["no auth", "bad token"])
def test_a_refused_socket_connect_closes_its_session_at_once(gated, auth):
    address = "203.0.113.20" if auth is None else "203.0.113.21"
    sid = handshake(gated, address).sid
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(poll, gated, sid, address, timeout=5)
        time.sleep(0.2)
        sent = time.monotonic()
        assert send(gated, sid, address, "40" + (json.dumps(auth) if auth else "")).status == 200
        answer = waiting.result()
        assert answer.status == 200
        # The client learns why (connect error) …
        assert answer.packets[0].startswith("44")
        assert json.loads(answer.packets[0][2:])["message"]
        # … and the session ends at once: a close in this answer or the next, or the next
        # finds the session gone.
        closed = "1" in answer.packets
        while not closed and time.monotonic() - sent < 3:
            after = poll(gated, sid, address, timeout=3)
            closed = after.status == 400 or "1" in after.packets
    closed_after = time.monotonic() - sent
    print(f"refused connect → session closed: {closed_after:.3f} s")
    assert closed and closed_after < 1.0
    assert poll(gated, sid, address, timeout=3).status == 400


def test_a_refused_connect_on_polling_keeps_its_error_for_the_next_poll_then_closes(gated):
    """No long-poll waiting when the CONNECT is refused: the error is not lost with the
    session; the next poll collects it, and the session closes right after."""
    address = "203.0.113.22"
    sid = handshake(gated, address).sid
    assert send(gated, sid, address, "40").status == 200
    time.sleep(0.3)
    answer = poll(gated, sid, address, timeout=5)
    assert answer.status == 200
    assert answer.packets[0].startswith("44")
    collected = time.monotonic()
    closed = "1" in answer.packets
    while not closed and time.monotonic() - collected < 3:
        after = poll(gated, sid, address, timeout=3)
        closed = after.status == 400 or "1" in after.packets
    assert closed and time.monotonic() - collected < 1.0


def test_repeated_failed_connects_from_one_address_are_refused_for_a_while(gated):
    address = "203.0.113.30"
    for _ in range(FAILED_CONNECTS):
        sid = handshake(gated, address).sid
        send(gated, sid, address, "40")
    refused = handshake(gated, address)
    assert refused.status == 429
    assert json.loads(refused.body)["error"]["code"] == "too_many_failed_connections"
    # Other addresses are not affected; this one is, for the rest of the minute, session
    # cookie or not (a cookie that looks signed in may still be refused at the CONNECT).
    assert handshake(gated, "203.0.113.31").status == 200
    browser = signed_in(gated, "viewer")
    assert handshake(gated, address, cookies=browser.cookies).status == 429
    assert handshake(gated, "203.0.113.32", cookies=browser.cookies).status == 200


def test_signed_in_browsers_are_not_counted_but_must_sign_in_in_time(gated):
    address = "203.0.113.50"
    browser = signed_in(gated, "envoy")
    opened = [handshake(gated, address, cookies=browser.cookies) for _ in range(PENDING + 3)]
    assert {a.status for a in opened} == {200}
    # Never sending the CONNECT: closed after the timeout like any other.
    with ThreadPoolExecutor(len(opened)) as pool:
        ended = list(pool.map(lambda a: poll(gated, a.sid, address), opened))
    assert all("1" in a.packets for a in ended), [a.body for a in ended]
    assert max(a.seconds for a in ended) < CONNECT_TIMEOUT + 2.0


def test_anonymous_websockets_are_bounded_and_closed_when_they_do_not_sign_in(gated):
    address = "203.0.113.40"
    url = gated.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    header = [f"X-Forwarded-For: {address}"]
    sockets = [websocket.create_connection(url, header=header, timeout=10) for _ in range(PENDING)]
    try:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(url, header=header, timeout=5)
        assert refused.value.status_code == 429
        opened = time.monotonic()
        for sock in sockets:
            assert sock.recv().startswith("0")  # Engine.IO open
            assert sock.recv() == "1"  # Engine.IO close …
            assert sock.recv() == ""  # … and the WebSocket's close frame
        assert time.monotonic() - opened < CONNECT_TIMEOUT + 2.0
    finally:
        for sock in sockets:
            sock.close()


def test_a_socket_message_over_the_limit_is_413_and_holds_no_thread(gated):
    """A POST longer than the largest message (16 KiB) — declared or chunked — is answered
    413 at once; before, Engine.IO ended the session and then waited for ever for a poll
    that never came: no answer, and a server thread held per attempt."""
    for i in range(12):
        address = f"203.0.113.{100 + i}"
        sid = handshake(gated, address).sid
        body = b"4" + b"x" * 20_000
        data: Any = iter([body[:10_000], body[10_000:]]) if i % 2 else body  # odd: chunked
        refused = _call("POST", f"{gated.url}{POLLING}&sid={sid}", address, data=data, timeout=5)
        assert refused.status == 413, refused.body
        assert json.loads(refused.body)["error"]["code"] == "too_large"
        assert refused.seconds < 2
    assert requests.get(gated.url + "/healthz", timeout=5).status_code == 200


def test_a_session_engineio_ends_on_a_bad_packet_is_answered_at_once(gated):
    """A packet Engine.IO cannot read ends its session with 400, answered at once (the
    server no longer waits for the client to collect the close), and the session is gone."""
    for i in range(6):
        address = f"203.0.113.{120 + i}"
        sid = handshake(gated, address).sid
        bad = send(gated, sid, address, "9not a packet")
        assert bad.status == 400
        assert bad.seconds < 2
        assert poll(gated, sid, address, timeout=5).status == 400
    assert requests.get(gated.url + "/healthz", timeout=5).status_code == 200
