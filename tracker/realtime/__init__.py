"""Live collaboration: committed events reach everyone viewing a board, in order, and each
board shows who is looking at it. `init_app(app)` binds Socket.IO and the socket gate.

Where to read on:
  `state`     — who is connected to this process; what each board's room has been sent
  `publish`   — `publish` (called by `tracker.unit_of_work.commit`): send; retry; the poller
                for events committed by other processes
  `presence`  — who may stay connected (revocation, sign-out), and the `presence` event
  `handlers`  — the Socket.IO handlers: connect, disconnect, join, leave, editing

Server → client events:
  `board_event` — `{seq, board_id, type, initiative_id, actor: {user, organisation}, at, data}`
  `presence`    — `{board_id, viewers: [{user, organisation, editing: initiative_id | null}]}`
  `resync`      — `{board_id, last_seq, reason}`: catch-up is impossible; reload the board.
Client → server events (each acknowledged with a result or `{"error": {...}}`):
  `join {board_id, since}` → replays events after `since`, then acks `{last_seq}`
  `leave {board_id}`, `editing {board_id, initiative_id | null}`
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, session

from tracker import accounts, limits, serving, unit_of_work
from tracker.extensions import socketio

# Importing the handlers registers them on `socketio`, before `init_app` binds it to an app.
from tracker.realtime import handlers  # noqa: F401
from tracker.realtime.presence import end_login_session, end_user_sockets
from tracker.realtime.publish import ensure_poller, publish
from tracker.realtime.roster import LocalRoster, RedisRoster
from tracker.realtime.state import REGISTRY, SOCKET_GATE, LocalSequencer, RedisSequencer, Registry
from tracker.socket_gate import SocketGate

__all__ = ["end_login_session", "end_user_sockets", "init_app", "publish"]


def init_app(app: Flask) -> None:
    """Give the app its registry (and sequencer: through Redis when `MESSAGE_QUEUE` is set),
    bind Socket.IO to it, and put the socket gate in front of Engine.IO."""
    queue = app.config.get("MESSAGE_QUEUE") or None
    node = secrets.token_hex(6)  # this process, in the shared presence roster
    ttl = float(app.config["PRESENCE_NODE_TTL_SECONDS"])
    app.extensions[REGISTRY] = Registry(
        RedisSequencer(queue) if queue else LocalSequencer(),
        RedisRoster(queue, node, ttl) if queue else LocalRoster(),
    )
    unit_of_work.set_publisher(app, publish, end_user_sockets)
    origins = app.config.get("SOCKETIO_ALLOWED_ORIGINS") or None  # None: same origin only
    # Flask-SocketIO keeps the options of an earlier init_app (another app in the same
    # process, as in tests): a queue manager from it must not outlive that app.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        # gevent under gunicorn's gevent worker (production, `tracker run`), else threads.
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE") or serving.async_mode(),
        cors_allowed_origins=origins,
        # Clients send small commands; nothing legitimate comes near this.
        max_http_buffer_size=app.config.get("SOCKETIO_MAX_MESSAGE_BYTES", 16 * 1024),
        # The heartbeat (seconds): how soon a silently dead connection is noticed, by both
        # ends. Keep the interval under the proxy's read timeout (nginx here: 60 s).
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
        # A packet that cannot be read is an error acknowledgement, never a traceback.
        serializer=limits.SocketPacket,
        json=limits.SafeJSON,
        manage_session=False,
        message_queue=queue,
        logger=False,
        engineio_logger=False,
    )
    # Clients that have not signed in hold a small, short-lived share of the server.
    gate = SocketGate(
        app.wsgi_app,
        path=socketio.sockio_mw.engineio_path,
        signed_in=lambda environ: _handshake_signed_in(app, environ),
        on_pending=lambda: ensure_poller(app),
        per_address=int(app.config.get("SOCKETIO_PENDING_PER_ADDRESS", 5)),
        connect_timeout=float(app.config.get("SOCKETIO_CONNECT_TIMEOUT", 10)),
        failures=app.config.get("SOCKETIO_FAILED_CONNECTS_PER_ADDRESS", "30 per minute"),
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI") or "memory://",
        max_body=app.config.get("SOCKETIO_MAX_MESSAGE_BYTES", 16 * 1024),
        logger=app.logger,
    )
    gate.attach(socketio.server)
    app.wsgi_app = gate  # type: ignore[method-assign]
    app.extensions[SOCKET_GATE] = gate


def _handshake_signed_in(app: Flask, environ: dict[str, Any]) -> bool:
    """Whether an Engine.IO handshake carries a signed-in session cookie (the check
    `on_connect` makes again on the CONNECT): such sessions are not counted in their
    address's share of sessions not signed in (see tracker/socket_gate.py)."""
    if app.config["SESSION_COOKIE_NAME"] + "=" not in environ.get("HTTP_COOKIE", ""):
        return False
    try:
        with app.request_context(environ):
            return accounts.check_login_session(session.get("_user_id")).user is not None
    except Exception:  # the database is away: treat it as anonymous, within the bound
        return False
