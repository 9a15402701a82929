"""End-to-end fixtures: the real app served by `tracker run`, and a real Chromium.

One server per test session, with its own file SQLite database migrated by `tracker db upgrade`
and loaded by `tracker seed-demo`, exactly as an operator would set it up (once, then copied).
Tests share that database, so each one either works on an initiative it proposed itself
(through the API, with a token from `tracker create-token`) or reads the current state before
asserting on it. A test that stops and restarts its server gets one of its own.

Every test gets a fresh browser context (no cookies carried over). Any console error or
uncaught page error fails the test, and so does a traceback or a 500 in the server's log.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.processes import free_port, kill, stop

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a loaded CI machine, far below pytest-timeout's 300 s.
WAIT_MS = 10_000
BOARD_NAME = "Hertfordshire Local Industrial Strategy"

DEMO = {
    "envoy": ("envoy@demo.herts-lep.example", "demo-envoy-2026"),
    "member": ("member@demo.herts-police.example", "demo-member-2026"),
    "admin": ("admin@demo.herts-lep.example", "demo-admin-2026"),
    "viewer": ("viewer@demo.herts-lep.example", "demo-viewer-2026"),
}


# --- the served app -----------------------------------------------------------------------


def _tracker_command() -> list[str]:
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker.cli"]


def run_cli(env: dict[str, str], *args: str) -> str:
    """Run a `tracker` command with `env` (and so against its database); its standard output."""
    done = subprocess.run(
        [*_tracker_command(), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tracker {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class ServedApp:
    url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]
    log_offset: int = 0

    def cli(self, *args: str) -> str:
        return run_cli(self.env, *args)

    def new_log(self) -> str:
        """What the server logged since the last call."""
        text = self.log_path.read_text(errors="replace")
        new, self.log_offset = text[self.log_offset :], len(text)
        return new


def _wait_until_up(app: ServedApp, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"The server exited early:\n{app.log_path.read_text()}")
        try:
            with urllib.request.urlopen(app.url + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"The server did not answer within {timeout} s:\n{app.log_path.read_text()}")


def _app_env(workdir: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # A developer's own settings must not leak into the served app.
        if not name.startswith(("TRACKER_", "FLASK_"))
    }
    env.update(
        TRACKER_DATABASE_URL=f"sqlite:///{workdir / 'tracker.sqlite3'}",
        TRACKER_SECRET_KEY=secrets.token_hex(32),
        TRACKER_REPORT_CACHE_DIR=str(workdir / "report-cache"),  # not the checkout's instance/
        FLASK_DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_server(
    env: dict[str, str], port: int, log_path: Path, ping: tuple[float, float] | None = None
) -> subprocess.Popen[bytes]:
    """`tracker run` on `port`, appending its output to `log_path`; `ping` is the Engine.IO
    (ping_interval, ping_timeout) in seconds, the configured default (25, 20) if not given."""
    command = _tracker_command()
    if ping is not None:
        env = {
            **env,
            "TRACKER_SOCKETIO_PING_INTERVAL": str(ping[0]),
            "TRACKER_SOCKETIO_PING_TIMEOUT": str(ping[1]),
        }
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                *command,
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            # gunicorn's master and worker in a group of their own, so a kill takes both.
            start_new_session=True,
        )


@dataclass
class SeededDatabase:
    """A database migrated by `tracker db upgrade` and loaded by `tracker seed-demo`, with an
    API token (from `tracker create-token`) for the demo envoy and member. Each served app
    starts from a copy: setting one up costs seconds, copying it does not."""

    path: Path
    tokens: dict[str, str]

    def copy_to(self, workdir: Path) -> None:
        with (
            closing(sqlite3.connect(self.path)) as source,
            closing(sqlite3.connect(workdir / "tracker.sqlite3")) as target,
        ):
            source.backup(target)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> SeededDatabase:
    workdir = tmp_path_factory.mktemp("seeded")
    env = _app_env(workdir)
    run_cli(env, "db", "upgrade")
    run_cli(env, "seed-demo")
    tokens = {
        who: run_cli(env, "create-token", DEMO[who][0], "--name", "e2e").strip().splitlines()[-1]
        for who in ("envoy", "member")
    }
    return SeededDatabase(workdir / "tracker.sqlite3", tokens)


@pytest.fixture(scope="session")
def served_app(
    tmp_path_factory: pytest.TempPathFactory, seeded_database: SeededDatabase
) -> Iterator[ServedApp]:
    workdir = tmp_path_factory.mktemp("e2e")
    env = _app_env(workdir)
    seeded_database.copy_to(workdir)
    port = free_port()
    log_path = workdir / "server.log"
    process = _start_server(env, port, log_path)
    app = ServedApp(f"http://127.0.0.1:{port}", env, log_path, process)
    try:
        _wait_until_up(app)
        app.new_log()  # start-up banner
        yield app
    finally:
        stop(app.process)


@dataclass
class RestartableApp(ServedApp):
    """A served app of one test's own, which the test may stop and start again: the same
    port, the same database, the same secret key (so signed-in browsers stay signed in)."""

    port: int = 0
    ping: tuple[float, float] | None = None

    def stop(self) -> None:
        stop(self.process)

    def kill(self) -> None:
        """Gone at once, as a crashed server or a lost machine: no goodbyes to anyone."""
        kill(self.process)

    def start(self) -> None:
        self.process = _start_server(self.env, self.port, self.log_path, self.ping)
        _wait_until_up(self)


def _own_app(
    tmp_path: Path, seeded_database: SeededDatabase, ping: tuple[float, float] | None = None
) -> Iterator[RestartableApp]:
    env = _app_env(tmp_path)
    seeded_database.copy_to(tmp_path)
    port = free_port()
    log_path = tmp_path / "server.log"
    process = _start_server(env, port, log_path, ping)
    app = RestartableApp(f"http://127.0.0.1:{port}", env, log_path, process, port=port, ping=ping)
    try:
        _wait_until_up(app)
        yield app
    finally:
        if app.process.poll() is None:
            stop(app.process)
    logged = log_path.read_text(errors="replace")
    if "Traceback" in logged or '" 500 ' in logged:
        pytest.fail("The restartable server logged errors:\n" + logged, pytrace=False)


@pytest.fixture
def restartable_app(tmp_path: Path, seeded_database: SeededDatabase) -> Iterator[RestartableApp]:
    yield from _own_app(tmp_path, seeded_database)


@pytest.fixture
def quick_ping_app(tmp_path: Path, seeded_database: SeededDatabase) -> Iterator[RestartableApp]:
    """A served app of the test's own whose Engine.IO heartbeat is 1 s apart with 1 s to
    answer (the default is 25 s and 20 s), so a test can outlive pings cheaply."""
    yield from _own_app(tmp_path, seeded_database, ping=(1, 1))


class TcpRelay:
    """A TCP relay in front of an app, as a proxy or a NAT router would be, that a test can
    make misbehave:

    - `cut()` closes every connection through it (a proxy dropping idle connections, a
      load balancer restarting); new ones get through;
    - `blackhole()` silently stops carrying the connections open now, in both directions, and
      never closes them (the route is gone after a laptop slept or changed network: the
      browser sees a connection that is still open); new ones get through;
    - `hold()` leaves new Socket.IO connections unanswered until `release()` (a handshake in
      flight on a slow network);
    - `refuse_websockets()` closes every WebSocket request (a proxy that does not carry them).
    """

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: list[dict[str, Any]] = []
        self._released = threading.Event()
        self._released.set()
        self._closed = False
        self._no_websockets = False
        self.held = 0  # Socket.IO connections held by `hold()` now
        self.refused = 0  # WebSocket requests closed by `refuse_websockets()`
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            first = client.recv(65536)
            if first.startswith(b"GET /socket.io/"):
                request_line = first.split(b"\r\n", 1)[0]
                if self._no_websockets and b"transport=websocket" in request_line:
                    self.refused += 1
                    client.close()
                    return
                with self._lock:
                    self.held += 1
                self._released.wait()
                with self._lock:
                    self.held -= 1
            upstream = socket.create_connection(("127.0.0.1", self._target), timeout=10)
            upstream.settimeout(None)
            upstream.sendall(first)
        except OSError:
            client.close()
            return
        pair = {"sockets": (client, upstream), "dead": False}
        with self._lock:
            if self._closed:
                pair["dead"] = True
            self._open.append(pair)
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, target, pair), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, pair: dict[str, Any]) -> None:
        try:
            while data := source.recv(65536):
                if not pair["dead"]:
                    target.sendall(data)
        except OSError:
            pass
        if not pair["dead"]:  # a black-holed connection is never closed by the relay
            self._close_pair(pair)

    @staticmethod
    def _close_pair(pair: dict[str, Any]) -> None:
        for sock in pair["sockets"]:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def cut(self) -> None:
        with self._lock:
            pairs, self._open = self._open, []
        for pair in pairs:
            self._close_pair(pair)

    def blackhole(self) -> None:
        with self._lock:
            for pair in self._open:
                pair["dead"] = True

    def refuse_websockets(self) -> None:
        self._no_websockets = True

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self._closed = True
        self._released.set()
        self._listener.close()
        with self._lock:
            pairs, self._open = self._open, []
        for pair in pairs:
            self._close_pair(pair)


@pytest.fixture
def relay(served_app: ServedApp) -> Iterator[TcpRelay]:
    """A relay in front of the session's served app; `relayed(served_app, relay)` is the app
    as seen through it (sign in there: cookies are per host, so any port shares them)."""
    relay = TcpRelay(int(served_app.url.rsplit(":", 1)[1]))
    yield relay
    relay.close()


def relayed(app: ServedApp, relay: TcpRelay) -> ServedApp:
    return dataclasses.replace(app, url=relay.url)


@pytest.fixture(autouse=True)
def _server_log_is_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that made the server log a traceback or answer 500 fails, whatever the page
    showed. Only for tests that use the served app."""
    if "served_app" not in request.fixturenames:
        yield
        return
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser")  # skip (no Chromium) before starting a server
    app: ServedApp = request.getfixturevalue("served_app")
    app.new_log()
    yield
    logged = app.new_log()
    problems = [line for line in logged.splitlines() if "Traceback" in line or '" 500 ' in line]
    if problems:
        pytest.fail("The server logged errors during this test:\n" + logged, pytrace=False)


# --- the API, for arranging state ------------------------------------------------------------


class Api:
    """A bearer-token client of the served JSON API (an integration, not the browser)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> Any:
        response = self.session.get(self.base + path, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any], expect: int = 201) -> Any:
        response = self.session.post(self.base + path, json=body, timeout=10)
        assert response.status_code == expect, response.text
        return response.json()

    def patch(self, path: str, body: dict[str, Any], expect: int = 200) -> Any:
        response = self.session.patch(self.base + path, json=body, timeout=10)
        assert response.status_code == expect, response.text
        return response.json()

    def close(self) -> None:
        self.session.close()


@dataclass
class DemoBoard:
    """The demo board's ids by name, read once from the API."""

    id: int
    stages: dict[str, int]
    lanes: dict[str, int]
    roles: dict[str, int]
    organisations: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="session")
def envoy_api(served_app: ServedApp, seeded_database: SeededDatabase) -> Iterator[Api]:
    api = Api(served_app.url, seeded_database.tokens["envoy"])
    yield api
    api.close()


@pytest.fixture(scope="session")
def member_api(served_app: ServedApp, seeded_database: SeededDatabase) -> Iterator[Api]:
    """The demo member (Hertfordshire Constabulary), as an integration."""
    api = Api(served_app.url, seeded_database.tokens["member"])
    yield api
    api.close()


@pytest.fixture(scope="session")
def demo_board(envoy_api: Api) -> DemoBoard:
    boards = {b["name"]: b["id"] for b in envoy_api.get("/boards")}
    data = envoy_api.get(f"/boards/{boards[BOARD_NAME]}")
    return DemoBoard(
        id=data["id"],
        stages={s["name"]: s["id"] for s in data["stages"]},
        lanes={g["name"]: g["id"] for g in data["grand_challenges"]},
        roles={r["name"]: r["id"] for r in data["role_types"]},
        organisations={o["name"]: o["id"] for o in envoy_api.get("/organisations")},
    )


@pytest.fixture
def propose(envoy_api: Api, demo_board: DemoBoard) -> Any:
    """Propose a fresh initiative (as the demo envoy) that only the calling test touches."""

    def _propose(stage: str, lane: str, organisation: str = "Hertfordshire LEP") -> dict[str, Any]:
        return envoy_api.post(  # type: ignore[no-any-return]
            f"/boards/{demo_board.id}/initiatives",
            {
                "title": f"E2E {uuid.uuid4().hex[:8]}",
                "summary": "Proposed by an end-to-end test.",
                "stage_id": demo_board.stages[stage],
                "grand_challenge_id": demo_board.lanes[lane],
                "proposing_organisation_id": demo_board.organisations[organisation],
            },
        )

    return _propose


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (set E2E_CHROMIUM to its path)."
        if "CI" in os.environ:
            pytest.fail(f"{reason} CI must run the browser tests, not skip them.", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class BrowserErrors:
    """Console errors and uncaught page errors seen by one test's browser contexts.

    A test that provokes an error on purpose (a form answered with 409 or 422 makes Chromium
    log "Failed to load resource") declares it with `expect(pattern)`; any other fails it.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._expected: list[re.Pattern[str]] = []

    def expect(self, pattern: str) -> None:
        self._expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(p.search(e) for p in self._expected)]


_ERRORS = pytest.StashKey[BrowserErrors]()


@pytest.fixture
def browser_errors(request: pytest.FixtureRequest) -> BrowserErrors:
    errors = BrowserErrors()
    request.node.stash[_ERRORS] = errors
    return errors


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself (not its teardown) when the browser reported errors."""
    result = yield
    errors = item.stash[_ERRORS].unexpected() if _ERRORS in item.stash else []
    if errors:
        pytest.fail("The browser reported errors:\n" + "\n".join(errors), pytrace=False)
    return result


def new_context(browser: Any, served_app: ServedApp, errors: BrowserErrors, **options: Any) -> Any:
    context = browser.new_context(
        base_url=served_app.url, viewport={"width": 1440, "height": 900}, **options
    )
    context.set_default_timeout(WAIT_MS)

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.seen.append(
                f"console error on {message.page.url if message.page else '?'}: "
                f"{message.text} ({message.location})"
            )

    context.on("console", on_console)
    context.on("weberror", lambda error: errors.seen.append(f"page error: {error.error}"))
    return context


@pytest.fixture
def context(browser: Any, served_app: ServedApp, browser_errors: BrowserErrors) -> Iterator[Any]:
    context = new_context(browser, served_app, browser_errors)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def sign_in(page: Any, who: str) -> None:
    """Sign in through the real form as one of the demo accounts; lands on the board."""
    email, password = DEMO[who]
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/boards/*")


# --- checks the issues ask of every new page and state -------------------------------------


def assert_no_axe_violation(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
        for v in violations
    ]
    assert found == [], f"axe-core on {page.url}:\n" + "\n".join(found)


def assert_reflows_at_320_px(page: Page) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 320, f"{page.url} is {wide} px wide at 320 px"
    finally:
        if size:
            page.set_viewport_size(size)
