"""Servers under test and the processes that load them.

`TrackerServer` is `tracker run` on a file SQLite database: gunicorn, one gevent worker, as
deploy/gunicorn.conf.py configures production. `BareServer` is bench/bare_app.py under the
same gunicorn configuration, with nothing on top. `LoadProcess` is bench/load.py: N viewers
and a writer in a process of their own. `board_latencies` times the board's API from here.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.processes import free_port, stop

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BOARD = 1
VIEWER_ACCOUNTS = 20  # distinct people watching (presence lists each once)
CARDS = 8  # cards the writer moves; throughput uses one per writer
# Set by `bench.run --profile DIR`: every tracker server is sampled by py-spy into DIR.
PROFILE_DIR: Path | None = None


def raise_fd_limit() -> None:
    """Thousands of sockets per process: lift the soft limit to the hard one (inherited by
    every process started from here)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) in kB and the thread count, from /proc: summed over the
    process and its children (a gunicorn server is a master and its worker)."""
    found: dict[str, int] = {"VmRSS": 0, "VmHWM": 0, "Threads": 0}
    for each in [pid, *_children(pid)]:
        with open(f"/proc/{each}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in found:
                    found[name] += int(value.split()[0])
    return found


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found + [grandchild for child in found for grandchild in _children(child)]


def _clean_env() -> dict[str, str]:
    # A developer's own settings must not leak into the servers.
    return {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}


def quiet_upgrade(upgrade: Any) -> None:
    """Flask-Migrate's `upgrade()` without Alembic's INFO lines in the table's output."""
    logging.disable(logging.INFO)
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)


def prepare_database(path: Path) -> dict[str, Any]:
    """Migrate a SQLite file, load the demo board, and add what the load needs: viewer
    accounts with tokens, an envoy token for the writer, and cards to move. Returns the load
    process's set-up (see bench/load.py)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from tracker import accounts, api_tokens, board, create_app, demo
    from tracker.extensions import db
    from tracker.models import Board, User

    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench-setup"})
    with app.app_context():
        quiet_upgrade(upgrade)
        demo.seed()
        db.session.commit()
        envoy = db.session.scalar(sa.select(User).where(User.role == "envoy"))
        assert envoy is not None
        tokens = []
        for i in range(VIEWER_ACCOUNTS):
            viewer = accounts.create_user(
                f"bench-viewer{i}@example.org",
                organisation_name=f"Bench organisation {i}",
                role="viewer",
                password=None,
                new_organisation=True,
            )
            tokens.append(api_tokens.create_token(viewer, "bench"))
        writer_token = api_tokens.create_token(envoy, "bench writer")
        db.session.commit()
        the_board = board.load_board(BOARD)
        stages = [s.id for s in sorted(the_board.stages, key=lambda s: s.position)]
        lanes = [g.id for g in the_board.grand_challenges]
        cards = []
        for i in range(CARDS):
            change = board.propose(
                envoy,
                BOARD,
                {"title": f"Bench card {i}", "grand_challenge_id": lanes[i % len(lanes)]},
            )
            db.session.commit()
            cards.append({"id": change.value.id, "version": change.value.version})
        since = db.session.scalar(sa.select(Board.last_seq).where(Board.id == BOARD))
        db.session.remove()
        db.engine.dispose()
    # Cards start in the first stage; each move flips between the next two, so every move
    # is a real change with an event.
    return {
        "tokens": tokens,
        "writer_token": writer_token,
        "cards": cards,
        "stages": stages[1:3],
        "since": since,
    }


class Server:
    """A server process on a free port, logging to a file."""

    name = "server"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{self.name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.spy: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {**_clean_env(), "PYTHONUNBUFFERED": "1"}

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    self._profile()
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def _profile(self) -> None:
        """With --profile, py-spy samples this server until it exits: collapsed stacks
        (one line per stack, flamegraph.pl or speedscope read them)."""
        spy = shutil.which("py-spy") or str(BIN / "py-spy")
        if PROFILE_DIR is None or self.name != "tracker" or not os.access(spy, os.X_OK):
            return
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
        output = PROFILE_DIR / f"{self.name}-{time.strftime('%H%M%S')}-{self.port}.txt"
        command = [spy, "record", "--pid", str(self.pid), "--subprocesses", "--format", "raw"]
        command += ["--rate", "100"]
        self.spy = subprocess.Popen(
            [*command, "--nonblocking", "--output", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        stop(self.process)
        if self.spy is not None:
            self.spy.wait(timeout=30)  # py-spy writes its file when the server is gone

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


_RUN = ["run", "--host", "127.0.0.1"]


class TrackerServer(Server):
    """`tracker run`, as `make run` serves the app."""

    name = "tracker"

    def __init__(self, workdir: Path, database: Path) -> None:
        super().__init__(workdir)
        self.database = database

    def command(self) -> list[str]:
        return [str(BIN / "tracker"), *_RUN, "--port", str(self.port)]

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "TRACKER_DATABASE_URL": f"sqlite:///{self.database}",
            "TRACKER_SECRET_KEY": secrets.token_hex(32),
            # Every viewer connects from this machine's one address, many at once.
            "TRACKER_SOCKETIO_PENDING_PER_ADDRESS": "100000",
        }


class BareServer(Server):
    """bench/bare_app.py served as the tracker is (gunicorn, deploy/gunicorn.conf.py: one
    gevent worker), with nothing on top."""

    name = "bare"

    def __init__(self, workdir: Path, payload_bytes: int, board_bytes: int = 2000) -> None:
        super().__init__(workdir)
        self.payload_bytes = payload_bytes
        self.board_bytes = board_bytes

    def command(self) -> list[str]:
        config = str(ROOT / "deploy" / "gunicorn.conf.py")
        bind = f"127.0.0.1:{self.port}"
        return [str(BIN / "gunicorn"), "--config", config, "--bind", bind, "bench.bare_app:app"]

    def env(self) -> dict[str, str]:
        return {
            **super().env(),
            "BENCH_PAYLOAD_BYTES": str(self.payload_bytes),
            "BENCH_BOARD_BYTES": str(self.board_bytes),
        }


def event_size(url: str, token: str, since: int) -> int:
    """The JSON size of the tracker's last `initiative_moved` event after `since`, as the
    Socket.IO server encodes it."""
    response = requests.get(
        f"{url}/api/v1/boards/{BOARD}/events",
        params={"since": since},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    moved = [e for e in response.json()["events"] if e["type"] == "initiative_moved"]
    return len(json.dumps(moved[-1]))


def board_latencies(url: str, token: str, requests_: int) -> tuple[list[float], int]:
    """`GET /api/v1/boards/{id}` `requests_` times, one after another on one keep-alive
    connection with the bearer token: each response time (s), and the body's size."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        address = f"{url}/api/v1/boards/{BOARD}"
        # Not timed: the connection, and whatever the server does on its first request.
        for _ in range(3):
            session.get(address, timeout=30).raise_for_status()
        times, size = [], 0
        for _ in range(requests_):
            started = time.monotonic()
            response = session.get(address, timeout=30)
            times.append(time.monotonic() - started)
            response.raise_for_status()
            size = len(response.content)
        return times, size


class LoadProcess:
    """bench/load.py in a process of its own, driven one JSON command at a time."""

    def __init__(
        self,
        url: str,
        viewers: int,
        setup: dict[str, Any],
        workdir: Path,
        *,
        write_url: str | None = None,
        join_timeout: float = 120,
        parallel: int = 50,
    ) -> None:
        path = workdir / f"load-{secrets.token_hex(4)}.json"
        path.write_text(json.dumps(setup))
        self.log = path.with_suffix(".log")
        command = [
            sys.executable,
            "-m",
            "bench.load",
            "--url",
            url,
            "--viewers",
            str(viewers),
            "--setup",
            str(path),
            "--join-timeout",
            str(join_timeout),
            "--parallel",
            str(parallel),
        ]
        if write_url:
            command += ["--write-url", write_url]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**_clean_env(), "PYTHONUNBUFFERED": "1"},
            )
        self.ready = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        # A blocking read: the load process answers every command, or dies (EOF).
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError(f"load process died:\n{self.log.read_text()[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"load process: {answer['error']}")
        return answer

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.process.stdin.close()
            except (BrokenPipeError, ValueError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> LoadProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def refresh(setup: dict[str, Any], url: str) -> dict[str, Any]:
    """The set-up with the tracker's current state: `since` (so that joining viewers are not
    replayed the run's earlier changes) and each card's version and stage."""
    response = requests.get(
        f"{url}/api/v1/boards/{BOARD}",
        headers={"Authorization": f"Bearer {setup['writer_token']}"},
        timeout=30,
    )
    response.raise_for_status()
    board = response.json()
    by_id = {card["id"]: card for card in board["initiatives"]}
    cards = []
    for card in setup["cards"]:
        now = by_id[card["id"]]
        at = setup["stages"].index(now["stage_id"]) if now["stage_id"] in setup["stages"] else None
        cards.append({"id": card["id"], "version": now["version"], "at": at})
    return {**setup, "since": board["last_seq"], "cards": cards}
