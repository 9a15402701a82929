"""`tracker run` (and so `make run`) is the production server: gunicorn with one gevent
worker, configured by deploy/gunicorn.conf.py. Stopping it closes its open sockets at once,
so a restart takes a moment rather than the worker's graceful timeout, and the clients
reconnect by themselves."""

from __future__ import annotations

import threading
import time

import socketio

from tests.e2e.conftest import RestartableApp, SeededDatabase, ServedApp

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
