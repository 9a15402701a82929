"""`tracker run` (and so `make run`) is the production server: gunicorn with one gevent
worker, configured by deploy/gunicorn.conf.py. Stopping it closes its open sockets at once,
so a restart takes a moment rather than the worker's graceful timeout, and the clients
reconnect by themselves."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import socketio

from tests.e2e.conftest import ROOT, RestartableApp, SeededDatabase, ServedApp, _tracker_command
from tests.processes import answers, free_port, kill, wait_until

GRACEFUL_TIMEOUT_S = 10  # deploy/gunicorn.conf.py


def test_tracker_run_serves_with_gunicorn_and_one_gevent_worker(served_app: ServedApp):
    log = served_app.log_path.read_text(errors="replace")
    assert "Using worker: gevent" in log
    assert log.count("Booting worker with pid") == 1
    assert "development server" not in log.lower()


def test_stopping_the_server_closes_open_sockets_at_once(
    restartable_app: RestartableApp, seeded_database: SeededDatabase
):
    closed = threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("disconnect", lambda *_: closed.set())
    client.connect(
        restartable_app.url,
        auth={"token": seeded_database.tokens["member"]},
        transports=["websocket"],
        wait_timeout=10,
    )
    assert client.call("join", {"board_id": 1, "since": 0}, timeout=10).get("last_seq") is not None

    started = time.monotonic()
    restartable_app.stop()
    took = time.monotonic() - started

    assert closed.wait(5), "the socket was not closed"
    assert took < GRACEFUL_TIMEOUT_S / 2, f"the stop took {took:.1f} s"
    client.disconnect()


def test_tracker_run_debug_serves_with_werkzeugs_reloader_and_debugger(
    served_app: ServedApp, tmp_path: Path
):
    port = free_port()
    log = tmp_path / "debug.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*_tracker_command(), "run", "--port", str(port), "--debug"],
            env=served_app.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the reloader's child with it
        )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        assert wait_until(lambda: process.poll() is not None or answers(url), 30)
        assert process.poll() is None, log.read_text()
        text = log.read_text()
        assert "Debugger is active" in text, text
        assert "gunicorn" not in text
    finally:
        kill(process)
