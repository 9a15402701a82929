"""Request limits against the real server (`tracker run`): bodies over the limit are refused
with and without Content-Length (a chunked body is never read whole), and Socket.IO and
Engine.IO packets nested too deeply get an error, not a traceback. The served app's log is
checked after each test (tests/e2e/conftest.py): any traceback or 500 fails it."""

from __future__ import annotations

import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import Api, DemoBoard, SeededDatabase, ServedApp

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024


def _exchange(app: ServedApp, head: str, body_chunks: Any = ()) -> tuple[int, str, float]:
    """Send a raw HTTP/1.1 request (the head, then each chunk of the body as it goes); the
    status, the response and how long the answer took. The server may answer and close
    before the whole body is sent: that is the point."""
    parts = urlsplit(app.url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as conn:
        conn.sendall(head.encode())
        try:
            for chunk in body_chunks:
                conn.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before we finished: what a limit should do
        received = b""
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                received += data
                if b"\r\n\r\n" in received and _complete(received):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    text = received.decode("utf-8", "replace")
    status = int(text.split(" ", 2)[1]) if text.startswith("HTTP/") else 0
    return status, text, time.monotonic() - started


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _chunks(total: int, size: int = 64 * 1024) -> Any:
    """A chunked-encoded JSON body of about `total` bytes: `{"body": "x…"}`."""
    yield b'10\r\n{"body": "xxxxx"\r\n'
    sent = 16
    while sent < total:
        yield f"{size:x}\r\n".encode() + b" " * size + b"\r\n"
        sent += size
    yield b"1\r\n}\r\n0\r\n\r\n"


def _initiative(envoy_api: Api, demo_board: DemoBoard) -> int:
    return int(envoy_api.get(f"/boards/{demo_board.id}")["initiatives"][0]["id"])


def test_served_api_refuses_a_chunked_body_over_the_limit(
    served_app: ServedApp,
    seeded_database: SeededDatabase,
    envoy_api: Api,
    demo_board: DemoBoard,
) -> None:
    initiative = _initiative(envoy_api, demo_board)
    before = len(envoy_api.get(f"/initiatives/{initiative}")["comments"])
    host = urlsplit(served_app.url).netloc
    head = (
        f"POST /api/v1/initiatives/{initiative}/comments HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {seeded_database.tokens['envoy']}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    )
    status, response, _ = _exchange(served_app, head, _chunks(3 * MiB))
    assert status == 413, response[:500]
    body = json.loads(response.partition("\r\n\r\n")[2])
    assert body["error"]["code"] == "too_large"
    assert len(envoy_api.get(f"/initiatives/{initiative}")["comments"]) == before


def test_served_api_takes_a_chunked_body_under_the_limit(
    served_app: ServedApp,
    seeded_database: SeededDatabase,
    envoy_api: Api,
    demo_board: DemoBoard,
) -> None:
    initiative = _initiative(envoy_api, demo_board)
    host = urlsplit(served_app.url).netloc
    head = (
        f"POST /api/v1/initiatives/{initiative}/comments HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {seeded_database.tokens['envoy']}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    )
    status, response, _ = _exchange(served_app, head, _chunks(256 * 1024))
    assert status == 201, response[:500]


def test_served_api_refuses_a_declared_50_mb_body_without_reading_it(
    served_app: ServedApp, seeded_database: SeededDatabase, envoy_api: Api, demo_board: DemoBoard
) -> None:
    """The issue's eight parallel 50 MB PATCHes: each is refused from its headers."""
    initiative = _initiative(envoy_api, demo_board)
    host = urlsplit(served_app.url).netloc
    head = (
        f"PATCH /api/v1/initiatives/{initiative} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {seeded_database.tokens['envoy']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {50 * MiB}\r\n"
        "Connection: close\r\n\r\n"
    )
    status, response, took = _exchange(served_app, head, [b'{"version": 1, "title": "'])
    assert status == 413, response[:500]
    assert took < 5, "answered without waiting for 50 MB"


def test_served_page_refuses_a_chunked_form_over_the_limit_with_a_page(
    served_app: ServedApp,
) -> None:
    host = urlsplit(served_app.url).netloc
    head = (
        f"POST /login HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    )
    size = 64 * 1024
    chunks = [f"{size:x}\r\n".encode() + b"x" * size + b"\r\n"] * 40 + [b"0\r\n\r\n"]
    status, response, _ = _exchange(served_app, head, chunks)
    assert status == 413, response[:500]
    assert "text/html" in response.partition("\r\n\r\n")[0].lower()
    assert "The request is too large" in response


# --- Socket.IO and Engine.IO packets, over long-polling --------------------------------------


class Polling:
    """A raw Engine.IO long-polling session: what any client (or attacker) can send."""

    def __init__(self, app: ServedApp) -> None:
        self.base = app.url + "/socket.io/?EIO=4&transport=polling"
        self.http = requests.Session()
        opened = self.http.get(self.base, timeout=10)
        assert opened.status_code == 200 and opened.text.startswith("0"), opened.text
        self.sid = json.loads(opened.text[1:])["sid"]

    def send(self, packet: str) -> int:
        return self.http.post(
            f"{self.base}&sid={self.sid}", data=packet.encode(), timeout=10
        ).status_code

    def receive(self) -> list[str]:
        answer = self.http.get(f"{self.base}&sid={self.sid}", timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.text.split("\x1e")

    def close(self) -> None:
        self.http.close()


def _connected(app: ServedApp, token: str) -> Polling:
    polling = Polling(app)
    assert polling.send("40" + json.dumps({"token": token})) == 200
    assert polling.receive()[0].startswith("40{"), "connected to the namespace"
    return polling


def test_served_socket_deep_event_gets_an_error_acknowledgement(
    served_app: ServedApp, seeded_database: SeededDatabase, demo_board: DemoBoard
) -> None:
    polling = _connected(served_app, seeded_database.tokens["envoy"])
    try:
        assert polling.send('427["editing",' + "[" * 1000 + "]" * 1000 + "]") == 200
        (ack,) = polling.receive()
        assert ack.startswith("437"), ack
        error = json.loads(ack[3:])[0]["error"]
        assert error["code"] == "bad_request"
        assert "nested" in error["message"]
        # The socket still works.
        assert polling.send('428["join",' + json.dumps({"board_id": demo_board.id}) + "]") == 200
        assert any(p.startswith("438") for p in polling.receive() + polling.receive())
    finally:
        polling.close()


def test_served_engineio_deep_message_is_dropped_without_a_traceback(
    served_app: ServedApp, seeded_database: SeededDatabase
) -> None:
    """An Engine.IO message is parsed as JSON before Socket.IO sees it: 1,000 deep used to
    raise RecursionError there (a 500 and a traceback)."""
    polling = _connected(served_app, seeded_database.tokens["envoy"])
    try:
        assert polling.send("4" + "[" * 1000 + "]" * 1000) == 200
        assert polling.send("4" + "{" + '"a":{' * 1000 + "}" * 1001) == 200
    finally:
        polling.close()


def test_served_socket_connect_with_deep_auth_is_refused(served_app: ServedApp) -> None:
    """Unreadable `auth` counts as none: without a session cookie, no connection."""
    polling = Polling(served_app)
    try:
        assert polling.send('40{"token":' + "[" * 1000 + "]" * 1000 + "}") == 200
        assert polling.receive()[0].startswith("44"), "connect error"
    finally:
        polling.close()
