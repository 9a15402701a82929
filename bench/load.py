"""The load process: N python-socketio viewers and an HTTP writer, in a process of their own.

    .venv/bin/python -m bench.load --url http://127.0.0.1:PORT --viewers 100 --tokens FILE

It connects N viewers (WebSocket transport, each joining board 1 the way the browser does),
prints one JSON line `{"ready": …}`, then obeys JSON commands read one per line from standard
input, answering each with one JSON line on standard output:

  {"cmd": "latency", "moves": M, "pause": s}      one move at a time; for each, the time from
                                                   just before the POST until the LAST viewer
                                                   still connected has the event
  {"cmd": "throughput", "seconds": T, "writers": W}
                                                   W writers move their own cards flat out for
                                                   T s; changes per second until every viewer
                                                   has every change
  {"cmd": "status"}                                viewers connected, disconnections seen
Answers to latency and throughput carry `viewers`: how many were still connected (and so
waited for) at the end.
  {"cmd": "quit"}

The writer lives here too, so send and arrival times come from one `time.monotonic` clock.
The server under test is either the tracker (POST /api/v1/initiatives/{id}/move with a bearer
token) or the bare stack (bench/bare_app.py), which answers the same URL by emitting a padded
payload of the same size; each event is recognised by `(initiative_id, data.version)`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import engineio
import requests
import socketio

BOARD = 1
DELIVERY_TIMEOUT = 15.0


class _SyncEngineIOClient(engineio.Client):
    """python-engineio starts a thread per received message; with 500 viewers in one process
    that thread creation, not the server, would dominate the measured time. Messages are
    handled in the client's read loop instead, where the arrival is stamped."""

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class _Client(socketio.Client):
    def _engineio_client_class(self) -> type[engineio.Client]:
        return _SyncEngineIOClient


class Arrivals:
    """For each change `(initiative_id, version)`: how many viewers have it, and when the last
    one got it."""

    def __init__(self, viewers: int) -> None:
        self.viewers = viewers
        self.cond = threading.Condition()
        self.seen: dict[tuple[int, int], list[float]] = {}

    def arrived(self, key: tuple[int, int]) -> None:
        now = time.monotonic()
        with self.cond:
            record = self.seen.get(key)
            if record is None:
                record = self.seen[key] = [0, now]
            record[0] += 1
            record[1] = now
            if record[0] >= self.viewers:
                self.cond.notify_all()

    def lose_one(self) -> None:
        """A viewer is gone: changes are no longer waited for at it."""
        with self.cond:
            self.viewers -= 1
            self.cond.notify_all()

    def wait_all(self, key: tuple[int, int], timeout: float) -> float | None:
        """When the last viewer got `key`, or None if some never did within `timeout`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                record = self.seen.get(key)
                if record is not None and record[0] >= self.viewers:
                    return record[1]
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


class Viewer:
    def __init__(self, url: str, token: str, since: int, arrivals: Arrivals, stats: Stats) -> None:
        self.since = since
        self.arrivals = arrivals
        self.stats = stats
        self.joined = threading.Event()
        self.client = _Client(reconnection=False)
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", self._on_disconnect)
        self.client.on("board_event", self._on_event)
        self.client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=30)

    def _on_connect(self) -> None:
        def join() -> None:
            ack = self.client.call("join", {"board_id": BOARD, "since": self.since}, timeout=60)
            if isinstance(ack, dict) and "last_seq" in ack:
                self.joined.set()

        # Not in the read loop: the ack arrives there.
        self.client.start_background_task(join)

    def _on_disconnect(self, *_args: Any) -> None:
        with self.stats.lock:
            self.stats.disconnects += 1
        if self.joined.is_set() and self.stats.counting:
            self.arrivals.lose_one()

    def _on_event(self, event: dict[str, Any]) -> None:
        self.arrivals.arrived((event["initiative_id"], event["data"]["version"]))


@dataclass
class Stats:
    lock: threading.Lock
    disconnects: int = 0
    # Set once everyone who will join has: from then on a lost viewer is not waited for.
    counting: bool = False


class Writer:
    """Moves cards back and forth between two stages, keeping each card's version."""

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


def latency(writer: Writer, arrivals: Arrivals, moves: int, pause: float) -> dict[str, Any]:
    delivered, http, missed = [], [], 0
    for i in range(moves):
        card = writer.cards[i % len(writer.cards)]
        key, started, took = writer.move(card)
        http.append(took)
        last = arrivals.wait_all(key, DELIVERY_TIMEOUT)
        if last is None:
            missed += 1
        else:
            delivered.append(last - started)
        time.sleep(pause)
    return {"latencies": delivered, "http": http, "missed": missed}


def throughput(writer: Writer, arrivals: Arrivals, seconds: float, writers: int) -> dict[str, Any]:
    """`writers` threads, each on a card of its own, for `seconds`; then wait for delivery."""
    keys: list[tuple[int, int]] = []
    lock = threading.Lock()
    errors: list[str] = []
    start = time.monotonic()
    stop_at = start + seconds

    def work(card: dict[str, Any]) -> None:
        while time.monotonic() < stop_at:
            try:
                key, _, _ = writer.move(card)
            except Exception as error:
                errors.append(repr(error))
                return
            with lock:
                keys.append(key)

    threads = [threading.Thread(target=work, args=(writer.cards[i],)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = time.monotonic()
    last, missed = written, 0
    for key in keys:
        at = arrivals.wait_all(key, DELIVERY_TIMEOUT)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--write-url", default=None, help="where moves go (default: --url)")
    parser.add_argument("--viewers", type=int, required=True)
    parser.add_argument("--setup", required=True, help="JSON: tokens, writer_token, cards, stages")
    parser.add_argument("--parallel", type=int, default=8, help="connections opened at once")
    parser.add_argument("--join-timeout", type=float, default=120, help="for all to join, s")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with open(args.setup) as f:
        setup = json.load(f)

    arrivals = Arrivals(args.viewers)
    stats = Stats(threading.Lock())
    tokens = setup["tokens"]
    started = time.monotonic()
    viewers: list[Viewer] = []
    failures: list[str] = []

    def open_one(i: int) -> None:
        try:
            viewers.append(
                Viewer(args.url, tokens[i % len(tokens)], setup.get("since", 0), arrivals, stats)
            )
        except Exception as error:
            failures.append(repr(error))

    with ThreadPoolExecutor(args.parallel) as pool:
        list(pool.map(open_one, range(args.viewers)))
    deadline = started + args.join_timeout
    for viewer in viewers:
        viewer.joined.wait(max(0.0, deadline - time.monotonic()))
    with arrivals.cond:
        joined = sum(v.joined.is_set() and v.client.connected for v in viewers)
        # Whoever did not make it, or is already gone, is not waited for.
        arrivals.viewers = joined
        stats.counting = True
    writer = Writer(
        args.write_url or args.url, setup["writer_token"], setup["cards"], setup["stages"]
    )
    _answer(
        {
            "ready": True,
            "joined": joined,
            "failed": len(failures) + len(viewers) - joined,
            "errors": failures[:3],
            "connect_s": time.monotonic() - started,
        }
    )
    for line in sys.stdin:
        command = json.loads(line)
        name = command["cmd"]
        try:
            if name == "latency":
                answer = latency(writer, arrivals, command["moves"], command.get("pause", 0.02))
                _answer({**answer, "viewers": arrivals.viewers})
            elif name == "throughput":
                answer = throughput(writer, arrivals, command["seconds"], command["writers"])
                _answer({**answer, "viewers": arrivals.viewers})
            elif name == "status":
                _answer(
                    {
                        "connected": sum(v.client.connected for v in viewers),
                        "disconnects": stats.disconnects,
                        "viewers": len(viewers),
                    }
                )
            elif name == "quit":
                break
        except Exception as error:
            _answer({"error": repr(error)})
    sys.stdout.flush()
    # Closing hundreds of clients one by one takes seconds; the kernel closes them at once.
    os._exit(0)


def _answer(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
