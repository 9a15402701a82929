"""The production tier with real processes: nginx (Debian's package) on a free port in front of
two gunicorn servers started from `deploy/gunicorn.conf.py`, sharing one fresh PostgreSQL
database and a Redis server of the tests' own.

Every piece can be broken and mended by a test:
  - `Redis.stop()` / `.start()`: the message queue (our own redis-server, never the machine's);
  - `Node.kill()` / `.start()`: one gunicorn server, its whole process group, with SIGKILL;
  - `Forwarder.close()` / `.open()`: the servers reach PostgreSQL through a TCP forwarder on a
    fixed port; closing it drops their connections and refuses new ones, as a PostgreSQL that
    went away would, without touching the machine's PostgreSQL.

The cluster is built once per session (about ten seconds) and shared: each test works on
initiatives it proposed itself, and a test that breaks something mends it before it ends.
nginx's own settings come from `deploy/nginx/tracker-proxy.conf`, included verbatim.

Missing nginx or redis-server skips these tests with the reason, except under CI (`CI` set),
where it fails them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import socketio

from tests.processes import answers, free_port, stop, wait_until

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
BOARD = 1
# Organisations racing for the Lead role, each with a member holding an API token.
RACERS = 20
# Generous bounds for a loaded CI machine; every wait in these tests is one of these.
START_TIMEOUT = 30.0
DELIVERY_TIMEOUT = 10.0
HTTP_TIMEOUT = 10.0

# Where PostgreSQL's administrative connection goes (a database is created per run and dropped
# at the end). TRACKER_TEST_DATABASE_URL, when set, names the server to use.
_PG_SERVER = os.environ.get("TRACKER_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/"


# --- what the machine has -------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    """Skip for a developer; fail under CI, where `.ci/run` installs everything."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def _program(name: str, *extra_places: str) -> str:
    found = shutil.which(name) or next((p for p in extra_places if os.access(p, os.X_OK)), None)
    if found is None:
        _unavailable(f"{name} is not installed; apt-get install {name.replace('-server', '')}")
    return str(found)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, "", ""))


def tracker_cli(env: dict[str, str], *args: str, timeout: float = 60) -> str:
    """Run a `tracker` command as an operator would; its standard output."""
    done = subprocess.run(
        [str(BIN / "tracker"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tracker {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- the pieces -----------------------------------------------------------------------------


class Database:
    """A fresh PostgreSQL database for this run, dropped at the end."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"tracker_production_{secrets.token_hex(4)}"
        self.admin_url = _with_database(_PG_SERVER, "postgres")
        try:
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.OperationalError as error:
            _unavailable(f"PostgreSQL is not reachable at {self.admin_url}: {error}")
        self.url = _with_database(_PG_SERVER, self.name)
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 5432

    def url_through(self, port: int) -> str:
        parts = urlsplit(self.url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Forwarder:
    """A TCP forwarder on a fixed local port: open, it passes bytes both ways; closed, it drops
    every connection and nothing listens on the port (connection refused)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        return self._listener is not None

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.1)
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            self._shut(sock)

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._shut(sock)
                with self._lock:
                    self._sockets.discard(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class Redis:
    """Our own redis-server on a free port, with no persistence: stop() loses everything, as a
    restarted cache would."""

    def __init__(self, workdir: Path) -> None:
        self.program = _program("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.program,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        if not wait_until(self.ping, START_TIMEOUT):
            raise RuntimeError("redis-server did not start: " + self._log())

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        stop(self.process)

    def _log(self) -> str:
        path = self.workdir / "redis.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"


class Node:
    """One gunicorn server, as systemd's tracker@PORT runs it."""

    def __init__(self, name: str, workdir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self.launch()
        self.wait_until_up()

    def launch(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--config",
                    str(DEPLOY / "gunicorn.conf.py"),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "wsgi:app",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so that a kill takes the worker with the master.
                start_new_session=True,
            )

    def wait_until_up(self) -> None:
        process = self.process
        assert process is not None
        if (
            not wait_until(
                lambda: process.poll() is not None or answers(self.url + "/healthz"),
                START_TIMEOUT,
                interval=0.1,
            )
            or process.poll() is not None
        ):
            raise RuntimeError(f"gunicorn {self.name} did not start:\n{self.log_text()}")

    def kill(self) -> None:
        """SIGKILL to master and worker at once: a crash, not a shutdown."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # The worker dies a moment after the master; until then the kernel still accepts
        # connections on the port (and resets them). Change when the port refuses.
        assert wait_until(lambda: not self._accepts(), 10), f"{self.name}: port still open"

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"


class Nginx:
    """nginx on a free port with `upstream tracker { ip_hash; … }` over the nodes, and the
    shipped proxy settings included verbatim. It adds `X-Upstream` to every answer so that
    tests can see which node served a request."""

    def __init__(self, workdir: Path, nodes: list[Node]) -> None:
        self.program = _program("nginx", "/usr/sbin/nginx")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = workdir / "nginx"
        self.prefix.mkdir(exist_ok=True)
        self.conf = self.prefix / "nginx.conf"
        servers = "\n".join(
            f"        server 127.0.0.1:{node.port} max_fails=1 fail_timeout=10s;" for node in nodes
        )
        p = self.prefix
        self.conf.write_text(
            f"""
worker_processes 1;
error_log {p}/error.log info;
pid {p}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;

    # As in deploy/nginx/tracker.conf.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream tracker {{
        ip_hash;
{servers}
    }}
    server {{
        listen 127.0.0.1:{self.port};
        add_header X-Upstream $upstream_addr always;
        location / {{
            include {DEPLOY / "nginx" / "tracker-proxy.conf"};
        }}
    }}
}}
"""
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.program,
                "-e",
                str(self.prefix / "error.log"),
                "-p",
                str(self.prefix),
                "-c",
                str(self.conf),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        process = self.process
        if (
            not wait_until(
                lambda: process.poll() is not None or answers(self.url + "/healthz"), START_TIMEOUT
            )
            or process.poll() is not None
        ):
            raise RuntimeError("nginx did not start:\n" + self.error_log())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"


# --- the cluster ----------------------------------------------------------------------------


@dataclass
class Cluster:
    database: Database
    forwarder: Forwarder
    redis: Redis
    nodes: list[Node]
    nginx: Nginx
    env: dict[str, str]
    tokens: dict[str, str]
    emails: dict[str, str]
    # Numbers for the report, printed at the end of the run.
    measurements: dict[str, Any] = field(default_factory=lambda: _MEASUREMENTS)

    def node_at(self, upstream: str) -> Node:
        return next(n for n in self.nodes if upstream.endswith(f":{n.port}"))


def _base_env(database: Database, forwarder: Forwarder, redis: Redis) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # A developer's own settings must not leak into the servers.
        if not name.startswith(("TRACKER_", "FLASK_", "GUNICORN_"))
    }
    env.update(
        TRACKER_PRODUCTION="true",
        TRACKER_SECRET_KEY=secrets.token_hex(32),
        TRACKER_DATABASE_URL=database.url_through(forwarder.port),
        TRACKER_MESSAGE_QUEUE=redis.url,
        TRACKER_RATELIMIT_STORAGE_URI=redis.url.removesuffix("/0") + "/1",
        TRACKER_TRUSTED_PROXIES="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _make_accounts(database_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """The racing organisations, their members and everyone's tokens, in one process (a
    `tracker create-user` each would cost a second apiece)."""
    import sqlalchemy as sa

    from tracker import accounts, api_tokens, create_app
    from tracker.extensions import db
    from tracker.models import User

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "setup", "MESSAGE_QUEUE": ""})
    tokens: dict[str, str] = {}
    emails: dict[str, str] = {}
    with app.app_context():
        for role in ("envoy", "member", "viewer"):
            user = db.session.scalar(sa.select(User).where(User.role == role).order_by(User.id))
            assert user is not None, f"seed-demo made no {role}"
            emails[role] = user.email
        for i in range(RACERS):
            member = accounts.create_user(
                f"racer{i}@example.org",
                organisation_name=f"Racer organisation {i}",
                role="member",
                password=None,
                new_organisation=True,
            )
            tokens[f"racer{i}"] = api_tokens.create_token(member)
            emails[f"racer{i}"] = member.email
        for role in ("envoy", "member", "viewer"):
            user = db.session.scalar(sa.select(User).where(User.email == emails[role]))
            tokens[role] = api_tokens.create_token(user)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tokens, emails


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("production")
    with contextlib.ExitStack() as stack:
        # Look for the programs first: a machine without them skips before doing anything.
        _program("redis-server")
        _program("nginx", "/usr/sbin/nginx")
        database = Database()
        stack.callback(database.drop)
        forwarder = Forwarder((database.host, database.port))
        forwarder.open()
        stack.callback(forwarder.close)
        redis = Redis(workdir)
        redis.start()
        stack.callback(redis.stop)
        env = _base_env(database, forwarder, redis)

        # As an operator would: migrate, then load the demo.
        tracker_cli(env, "db", "upgrade")
        tracker_cli(env, "seed-demo")
        tokens, emails = _make_accounts(database.url)

        nodes = [Node("node1", workdir, env), Node("node2", workdir, env)]
        for node in nodes:  # both at once: each takes seconds to import the app
            node.launch()
            stack.callback(node.stop)
        for node in nodes:
            node.wait_until_up()
        nginx = Nginx(workdir, nodes)
        nginx.start()
        stack.callback(nginx.stop)
        cluster = Cluster(database, forwarder, redis, nodes, nginx, env, tokens, emails)
        yield cluster


@pytest.fixture(autouse=True)
def _servers_log_no_traceback(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test during which a server logged a traceback (an unhandled error, a 500) fails,
    whatever the answers looked like. Expected failures are logged as one line each."""
    if "cluster" not in request.fixturenames:
        yield
        return
    cluster: Cluster = request.getfixturevalue("cluster")
    offsets = {node.name: len(node.log_text()) for node in cluster.nodes}
    yield
    for node in cluster.nodes:
        new = node.log_text()[offsets[node.name] :]
        assert "Traceback" not in new, f"{node.name} logged a traceback:\n{new[-6000:]}"


@pytest.fixture
def api(cluster: Cluster) -> Callable[..., Api]:
    def make(where: str | Node | Nginx, who: str = "envoy") -> Api:
        url = where if isinstance(where, str) else where.url
        return Api(url, cluster.tokens[who])

    return make


@pytest.fixture
def viewers(cluster: Cluster) -> Iterator[Callable[..., Viewer]]:
    opened: list[Viewer] = []

    def open_viewer(where: Node | Nginx, who: str, since: int, **options: Any) -> Viewer:
        viewer = Viewer(where.url, cluster.tokens[who], since, name=who, **options)
        opened.append(viewer)
        return viewer

    yield open_viewer
    for viewer in opened:
        viewer.close()


# --- clients ----------------------------------------------------------------------------


class Api:
    """The JSON API with a bearer token, against one node or nginx."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.base = url + "/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(
            method, self.base + path, json=body, headers=self.headers, timeout=HTTP_TIMEOUT
        )

    def ok(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.call(method, path, body)
        assert response.status_code in (200, 201, 204), (
            f"{method} {path} on {self.url}: {response.status_code} {response.text[:500]}"
        )
        return response.json() if response.content else None

    def board(self) -> dict[str, Any]:
        return self.ok("GET", f"/boards/{BOARD}")  # type: ignore[no-any-return]

    def last_seq(self) -> int:
        return int(self.board()["last_seq"])

    def propose(self, title: str) -> dict[str, Any]:
        board = self.board()
        return self.ok(  # type: ignore[no-any-return]
            "POST",
            f"/boards/{BOARD}/initiatives",
            {"title": title, "grand_challenge_id": board["grand_challenges"][0]["id"]},
        )

    def comment(self, initiative_id: int, body: str) -> requests.Response:
        return self.call("POST", f"/initiatives/{initiative_id}/comments", {"body": body})

    def events_since(self, since: int) -> list[dict[str, Any]]:
        """Every event after `since`, following the API's pages."""
        collected: list[dict[str, Any]] = []
        while True:
            page = self.ok("GET", f"/boards/{BOARD}/events?since={since}")
            collected.extend(page["events"])
            if not page["events"] or page["events"][-1]["seq"] >= page["last_seq"]:
                return collected
            since = page["events"][-1]["seq"]


class Viewer:
    """A python-socketio client that follows the protocol in tracker/realtime/ the way the
    browser does: join with the last seq it applied; apply events strictly in sequence
    (ignoring ones already applied, holding ones that arrive early); on a gap or a reconnect,
    join again from the last applied. It keeps counts for the report: duplicates received,
    joins, reconnections."""

    def __init__(
        self,
        url: str,
        token: str,
        since: int,
        *,
        name: str = "viewer",
        transports: list[str] | None = None,
    ) -> None:
        self.url, self.token, self.name = url, token, name
        self.transports = transports or ["websocket"]
        self.last_seq = since
        self.applied: list[dict[str, Any]] = []
        self.arrived: dict[int, float] = {}
        self.held: dict[int, dict[str, Any]] = {}
        self.received = 0
        self.duplicates = 0
        self.joins = 0
        self.connects = 0
        self.errors: list[Any] = []
        self.joined = threading.Event()
        # Each `presence` list received: the set of (user, organisation) it names.
        self.presence: list[set[tuple[str, str]]] = []
        self._lock = threading.Lock()
        self._join_lock = threading.Lock()
        self._join_again = threading.Event()
        self._closing = False
        self.client = socketio.Client(
            reconnection=True,
            reconnection_attempts=0,
            reconnection_delay=0.2,
            reconnection_delay_max=1,
            randomization_factor=0.2,
        )
        self.client.on("connect", self._on_connect)
        self.client.on("board_event", self._on_event)
        self.client.on("presence", self._on_presence)
        self.client.connect(
            url,
            auth={"token": token},
            transports=self.transports,
            wait_timeout=10,
        )
        assert self.joined.wait(DELIVERY_TIMEOUT), f"{name}: no join ack ({self.errors})"

    # -- protocol ----------------------------------------------------------------------------

    def _on_connect(self) -> None:
        self.connects += 1
        self.joined.clear()
        self._request_join()

    def _request_join(self) -> None:
        self._join_again.set()
        if self._join_lock.acquire(blocking=False):
            self.client.start_background_task(self._join_loop)

    def _join_loop(self) -> None:
        try:
            # Coalesce: however many gaps were seen meanwhile, one join from the last applied.
            while self._join_again.is_set() and not self._closing:
                self._join_again.clear()
                with self._lock:
                    since = self.last_seq
                try:
                    ack = self.client.call(
                        "join", {"board_id": BOARD, "since": since}, timeout=DELIVERY_TIMEOUT
                    )
                except Exception as error:  # disconnected meanwhile: the reconnect joins
                    self.errors.append(repr(error))
                    return
                self.joins += 1
                if not isinstance(ack, dict) or "last_seq" not in ack:
                    self.errors.append(ack)
                    return
                if ack.get("resync"):
                    self.errors.append({"resync": ack})
                self.joined.set()
                with self._lock:
                    gap = bool(self.held)
                if gap and not self._join_again.is_set():
                    # Still missing something the server had not sent when it acked: ask
                    # again shortly (bounded by the test's own deadline).
                    time.sleep(0.2)
                    self._join_again.set()
        finally:
            self._join_lock.release()
        if self._join_again.is_set() and not self._closing:
            self._request_join()

    def _on_event(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        with self._lock:
            self.received += 1
            seq = event["seq"]
            if seq <= self.last_seq or seq in self.held:
                self.duplicates += 1
                return
            self.held[seq] = event
            self.arrived.setdefault(seq, now)
            while self.last_seq + 1 in self.held:
                self.last_seq += 1
                self.applied.append(self.held.pop(self.last_seq))
            gap = bool(self.held)
        if gap:
            self._request_join()

    def _on_presence(self, payload: dict[str, Any]) -> None:
        with self._lock:
            self.presence.append({(v["user"], v["organisation"]) for v in payload["viewers"]})

    # -- for tests ---------------------------------------------------------------------------

    def sees(self) -> set[tuple[str, str]]:
        """Who the last `presence` received lists (nobody before the first)."""
        with self._lock:
            return self.presence[-1] if self.presence else set()

    def wait_for(self, seq: int, timeout: float = DELIVERY_TIMEOUT) -> bool:
        return wait_until(lambda: self.last_seq >= seq, timeout, interval=0.005)

    def seqs(self) -> list[int]:
        with self._lock:
            return [e["seq"] for e in self.applied]

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(Exception):
            self.client.disconnect()


# --- measurements -------------------------------------------------------------------------

_MEASUREMENTS: dict[str, Any] = {}


def summarise(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _MEASUREMENTS:
        terminalreporter.section("production measurements")
        for key, value in _MEASUREMENTS.items():
            terminalreporter.write_line(f"{key}: {value}")
