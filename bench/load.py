"""The load process: N Socket.IO viewers and an HTTP writer, in a process of their own.

    .venv/bin/python -m bench.load --url http://127.0.0.1:PORT --viewers 100 --setup FILE

It connects N viewers (WebSocket transport, each joining board 1 the way the browser does),
`--parallel` of them at a time, prints one JSON line `{"ready": …}`, then obeys JSON commands
read one per line from standard input, answering each with one JSON line on standard output:

  {"cmd": "latency", "moves": M, "pause": s}      one move at a time; for each, the time from
                                                   just before the POST until the LAST viewer
                                                   still connected has the event
  {"cmd": "throughput", "seconds": T, "writers": W}
                                                   W writers move their own cards flat out for
                                                   T s; changes per second until every viewer
                                                   has every change
  {"cmd": "connect", "viewers": K, "timeout": s}   K more viewers, as at the start; answers
                                                   like the ready line
  {"cmd": "status"}                                viewers connected, disconnections seen
  {"cmd": "quit"}
Answers to latency and throughput carry `viewers`: how many were still connected (and so
waited for) at the end. Every answer carries `cpu`: this process's CPU time over the wall time
of the command (1.0 is one core, flat out); near 1.0 the load, not the server, set the pace.

The viewers are one asyncio loop of bare WebSocket connections speaking Engine.IO 4 and
Socket.IO 5 themselves (connect with `auth`, `join` with an acknowledgement, pong, events),
not python-socketio clients: 2,000 of those, threaded or asyncio, cost the load process more
CPU per broadcast than the server spends sending it, so the load would set the pace at 1,000
viewers. Here a frame is parsed where it is read and stamped then; an event other than
`board_event` (`presence`) is skipped by its prefix, unparsed.

The writer (requests, in threads) lives here too, so send and arrival times come from one
`time.monotonic` clock. The server under test is either the tracker (POST
/api/v1/initiatives/{id}/move with a bearer token) or the bare stack (bench/bare_app.py),
which answers the same URL by emitting a padded payload of the same size; each event is
recognised by `(initiative_id, data.version)`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests

BOARD = 1
DELIVERY_TIMEOUT = 15.0
EVENT_PREFIX = '42["board_event",'


class Arrivals:
    """For each change `(initiative_id, version)`: how many viewers have it, and when the last
    one got it. Touched only from the event loop."""

    def __init__(self) -> None:
        self.viewers = 0
        self.counting = False
        self.seen: dict[tuple[int, int], list[float]] = {}
        self.waiters: dict[tuple[int, int], asyncio.Future[float]] = {}

    def arrived(self, key: tuple[int, int], now: float) -> None:
        record = self.seen.get(key)
        if record is None:
            record = self.seen[key] = [0, now]
        record[0] += 1
        record[1] = now
        if record[0] >= self.viewers:
            self._settle(key)

    def lose_one(self) -> None:
        """A viewer is gone: changes are no longer waited for at it."""
        self.viewers -= 1
        for key in list(self.waiters):
            self._settle(key)

    def _settle(self, key: tuple[int, int]) -> None:
        record = self.seen.get(key)
        waiter = self.waiters.get(key)
        if record is not None and waiter is not None and record[0] >= self.viewers:
            del self.waiters[key]
            if not waiter.done():
                waiter.set_result(record[1])

    async def wait_all(self, key: tuple[int, int], timeout: float) -> float | None:
        """When the last viewer got `key`, or None if some never did within `timeout`."""
        record = self.seen.get(key)
        if record is not None and record[0] >= self.viewers:
            return record[1]
        waiter = self.waiters.setdefault(key, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            self.waiters.pop(key, None)
            return None


def _mask(payload: bytes, key: bytes) -> bytes:
    """RFC 6455 masking (every client frame is masked), in one big-integer XOR."""
    n = len(payload)
    if n == 0:
        return payload
    pad = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(pad, "big")).to_bytes(n, "big")


def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + _mask(payload, key)


class Viewer(asyncio.Protocol):
    """One browser-like viewer: WebSocket handshake, Engine.IO open, Socket.IO connect with
    the token, `join` board 1 since `since`; then `board_event`s are counted in `arrivals`."""

    def __init__(self, load: Load, host: str, token: str, since: int) -> None:
        self.load = load
        self.host = host
        self.token = token
        self.since = since
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.connected = False

    @property
    def is_joined(self) -> bool:
        joined = self.joined
        return joined.done() and not joined.cancelled() and joined.exception() is None

    # --- transport ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        was = self.connected
        self.connected = False
        self._fail(f"connection lost: {exc!r}")
        if was:
            self.load.disconnected(self)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self._close(f"handshake refused: {bytes(self.buffer[:300])!r}")
                return
            del self.buffer[: end + 4]
            self.upgraded = True
        self._frames(now)

    def _frames(self, now: float) -> None:
        """Every complete frame in the buffer; a partial one waits for more data."""
        buf, pos, size = self.buffer, 0, len(self.buffer)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, start = b1 & 0x7F, pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if size - start < length:
                break
            payload = bytes(buf[start : start + length])
            pos = start + length
            self._frame(b0, payload, now)
            if self.transport is None or self.transport.is_closing():
                return
        del buf[:pos]

    def _frame(self, b0: int, payload: bytes, now: float) -> None:
        opcode = b0 & 0x0F
        if opcode == 0x8:
            self._close("closed by the server")
        elif opcode == 0x9:
            self._send_frame(0xA, payload)
        elif opcode in (0x1, 0x0):
            self.fragments.append(payload)
            if b0 & 0x80:
                text = b"".join(self.fragments).decode()
                self.fragments.clear()
                self._packet(text, now)

    # --- Engine.IO and Socket.IO ---------------------------------------------------------

    def _packet(self, text: str, now: float) -> None:
        if text.startswith(EVENT_PREFIX):
            event = json.loads(text[2:])[1]
            self.load.arrivals.arrived((event["initiative_id"], event["data"]["version"]), now)
        elif text.startswith("42"):
            return  # presence, and anything else the board sends: not measured
        elif text == "2":
            self._send("3")
        elif text.startswith("0"):  # Engine.IO open: connect to the default namespace
            self._send("40" + json.dumps({"token": self.token}))
        elif text.startswith("40"):
            self.connected = True
            self._send("420" + json.dumps(["join", {"board_id": BOARD, "since": self.since}]))
        elif text.startswith("430"):
            ack = json.loads(text[3:])
            if ack and isinstance(ack[0], dict) and "last_seq" in ack[0]:
                if not self.joined.done():
                    self.joined.set_result(None)
            else:
                self._close(f"join refused: {text[:300]}")
        elif text.startswith(("44", "41", "1")):
            self._close(f"refused or disconnected: {text[:300]}")

    def _send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(opcode, payload))

    def _fail(self, reason: str) -> None:
        if not self.joined.done():
            self.joined.set_exception(ConnectionError(reason))
            # Retrieved by whoever awaits it; otherwise asyncio would log it at exit.
            self.joined.exception()

    def _close(self, reason: str) -> None:
        self._fail(reason)
        if self.transport is not None:
            self.transport.close()


class Writer:
    """Moves cards back and forth between two stages, keeping each card's version. Blocking
    (requests): called in threads."""

    def __init__(self, url: str, token: str, cards: list[dict[str, Any]], stages: list[int]):
        self.base = url + "/api/v1"
        self.token = token
        self.cards = cards
        self.stages = stages
        self.local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def move(self, card: dict[str, Any]) -> tuple[tuple[int, int], float, float]:
        """Move `card` to whichever of the two stages it is not in; its event's key, the send
        time, and the response time."""
        card["at"] = 1 if card.get("at") == 0 else 0
        stage = self.stages[card["at"]]
        key = (card["id"], card["version"] + 1)
        started = time.monotonic()
        response = self._session().post(
            f"{self.base}/initiatives/{card['id']}/move",
            json={"stage_id": stage, "position": 0, "version": card["version"]},
            timeout=30,
        )
        answered = time.monotonic()
        if response.status_code != 200:
            raise RuntimeError(f"move {card['id']}: {response.status_code} {response.text[:300]}")
        card["version"] = response.json()["version"]
        if card["version"] != key[1]:
            raise RuntimeError(f"move {card['id']}: version {card['version']}, expected {key[1]}")
        return key, started, answered - started


class Load:
    """The viewers, the writer and what they have seen."""

    def __init__(self, url: str, setup: dict[str, Any], writer: Writer, parallel: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.setup = setup
        self.writer = writer
        self.parallel = parallel
        self.arrivals = Arrivals()
        self.viewers: list[Viewer] = []
        self.disconnects = 0
        self.pool = ThreadPoolExecutor(16)

    def disconnected(self, viewer: Viewer) -> None:
        self.disconnects += 1
        if self.arrivals.counting and viewer.is_joined:
            self.arrivals.lose_one()

    async def connect(self, count: int, timeout: float) -> dict[str, Any]:
        """`count` more viewers, `parallel` at a time, each given until `timeout` (from now)
        to join; the ready line."""
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        deadline = started + timeout
        tokens, since = self.setup["tokens"], self.setup.get("since", 0)
        gate = asyncio.Semaphore(self.parallel)
        errors: list[str] = []
        first = len(self.viewers)
        self.arrivals.counting = False

        async def one(i: int) -> bool:
            async with gate:
                try:
                    _transport, viewer = await asyncio.wait_for(
                        loop.create_connection(
                            lambda: Viewer(self, f"{self.host}:{self.port}", tokens[i], since),
                            self.host,
                            self.port,
                        ),
                        max(0.1, deadline - time.monotonic()),
                    )
                    self.viewers.append(viewer)
                    await asyncio.wait_for(
                        asyncio.shield(viewer.joined), max(0.1, deadline - time.monotonic())
                    )
                    return True
                except (OSError, TimeoutError) as error:
                    errors.append(repr(error))
                    return False

        indexes = [(first + i) % len(tokens) for i in range(count)]
        cpu = _cpu()
        results = await asyncio.gather(*(one(i) for i in indexes))
        took = time.monotonic() - started
        # Whoever did not make it, or is already gone, is not waited for.
        self.arrivals.viewers = sum(v.connected and v.is_joined for v in self.viewers)
        self.arrivals.counting = True
        return {
            "ready": True,
            "joined": sum(results),
            "failed": count - sum(results),
            "errors": errors[:3],
            "connect_s": took,
            "cpu": (_cpu() - cpu) / took if took > 0 else 0.0,
        }

    async def move(self, card: dict[str, Any]) -> tuple[tuple[int, int], float, float]:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self.writer.move, card)

    async def latency(self, moves: int, pause: float) -> dict[str, Any]:
        delivered, http, missed = [], [], 0
        for i in range(moves):
            key, started, took = await self.move(self.writer.cards[i % len(self.writer.cards)])
            http.append(took)
            last = await self.arrivals.wait_all(key, DELIVERY_TIMEOUT)
            if last is None:
                missed += 1
            else:
                delivered.append(last - started)
            await asyncio.sleep(pause)
        return {"latencies": delivered, "http": http, "missed": missed}

    async def throughput(self, seconds: float, writers: int) -> dict[str, Any]:
        """`writers` threads, each on a card of its own, for `seconds`; then wait for
        delivery."""
        errors: list[str] = []
        start = time.monotonic()
        stop_at = start + seconds

        def work(card: dict[str, Any]) -> list[tuple[int, int]]:
            keys = []
            while time.monotonic() < stop_at:
                try:
                    key, _, _ = self.writer.move(card)
                except Exception as error:
                    errors.append(repr(error))
                    break
                keys.append(key)
            return keys

        loop = asyncio.get_running_loop()
        done = await asyncio.gather(
            *(loop.run_in_executor(self.pool, work, self.writer.cards[i]) for i in range(writers))
        )
        written = time.monotonic()
        keys = [key for each in done for key in each]
        last, missed = written, 0
        for key in keys:
            at = await self.arrivals.wait_all(key, DELIVERY_TIMEOUT)
            if at is None:
                missed += 1
            else:
                last = max(last, at)
        return {
            "changes": len(keys),
            "write_s": written - start,
            "delivered_s": last - start,
            "missed": missed,
            "errors": errors[:3],
        }

    def status(self) -> dict[str, Any]:
        return {
            "connected": sum(v.connected and v.is_joined for v in self.viewers),
            "disconnects": self.disconnects,
            "viewers": len(self.viewers),
        }

    async def obey(self, command: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to one command; None to quit."""
        name = command["cmd"]
        if name == "latency":
            answer = await self.latency(command["moves"], command.get("pause", 0.02))
        elif name == "throughput":
            answer = await self.throughput(command["seconds"], command["writers"])
        elif name == "connect":
            return await self.connect(command["viewers"], command.get("timeout", 120))
        elif name == "status":
            return self.status()
        elif name == "quit":
            return None
        else:
            raise ValueError(f"unknown command {name!r}")
        return {**answer, "viewers": self.arrivals.viewers}


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


async def serve(args: argparse.Namespace, setup: dict[str, Any]) -> None:
    writer = Writer(
        args.write_url or args.url, setup["writer_token"], setup["cards"], setup["stages"]
    )
    load = Load(args.url, setup, writer, args.parallel)
    _answer(await load.connect(args.viewers, args.join_timeout))
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    while line := await commands.readline():
        started, cpu = time.monotonic(), _cpu()
        try:
            answer = await load.obey(json.loads(line))
        except Exception as error:
            answer = {"error": repr(error)}
        if answer is None:
            break
        took = time.monotonic() - started
        _answer({"cpu": (_cpu() - cpu) / took if took > 0 else 0.0, **answer})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--write-url", default=None, help="where moves go (default: --url)")
    parser.add_argument("--viewers", type=int, required=True)
    parser.add_argument("--setup", required=True, help="JSON: tokens, writer_token, cards, stages")
    parser.add_argument("--parallel", type=int, default=50, help="connections opened at once")
    parser.add_argument("--join-timeout", type=float, default=120, help="for all to join, s")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(args.setup) as f:
        setup = json.load(f)
    asyncio.run(serve(args, setup))
    sys.stdout.flush()
    # Closing thousands of sockets one by one takes seconds; the kernel closes them at once.
    os._exit(0)


def _answer(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
