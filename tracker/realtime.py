"""Live collaboration: publishing committed events to everyone viewing a board, and the
Socket.IO handlers (connect, join, leave, editing, presence).

Entry points call `commit_and_publish(events)`: nothing is published before the commit and
nothing on failure. The publisher does not trust the order in which request threads happen to
call it: under a per-board lock it sends, from the event log, every event after the last one it
sent, so each viewer gets a board's events once, in sequence order, with no gaps. `join`
replays under the same lock, so a joining client's catch-up and the live stream meet exactly.

Events committed elsewhere (`tracker comment`, another worker without a message queue, a
restore) reach open boards too: each process runs one poller (started at its first join, ended
when nobody watches) that about once a second reads `boards.last_seq` for the boards its
viewers watch, in one query, and sends what was not sent through the same path. When the log
no longer continues what was sent (a restore: `last_seq` went down, or the event last sent is
not there any more), viewers get `resync` instead of events that would not fit.

Server → client events:
  `board_event` — `{seq, board_id, type, initiative_id, actor: {user, organisation}, at, data}`
  `presence`    — `{board_id, viewers: [{user, organisation, editing: initiative_id | null}]}`
  `resync`      — `{board_id, last_seq, reason}`: catch-up is impossible; reload the board.
Client → server events (each acknowledged with a result or `{"error": {...}}`):
  `join {board_id, since}` → replays events after `since`, then acks `{last_seq}`
  `leave {board_id}`, `editing {board_id, initiative_id | null}`
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, request, session
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room

from tracker import accounts, limits, policy
from tracker import events as event_log
from tracker.errors import error_body
from tracker.extensions import db, socketio
from tracker.models import Board, Event, Initiative, Organisation, User
from tracker.socket_gate import SocketGate


def room(board_id: int) -> str:
    return f"board:{board_id}"


# --- per-process state --------------------------------------------------------------------


@dataclass
class Connection:
    sid: str
    user_id: int
    name: str
    organisation: str
    # How the socket authenticated: the login session's key, or the API token.
    login_session: str | None
    token: str | None
    boards: set[int] = field(default_factory=set)
    editing: dict[int, int | None] = field(default_factory=dict)


# What a board's room has been sent: the last seq, and that event's fingerprint (None when not
# known), so that a log which no longer continues it (a restore) is noticed.
Mark = tuple[int, str | None]


class LocalSequencer:
    """What each board's room has been sent, for one process (no message queue)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = defaultdict(threading.Lock)
        self._sent: dict[int, Mark] = {}

    @contextmanager
    def board(self, board_id: int) -> Iterator[None]:
        with self._guard:
            lock = self._locks[board_id]
        with lock:
            yield

    def mark(self, board_id: int) -> Mark | None:
        return self._sent.get(board_id)

    def sent(self, board_id: int) -> int | None:
        mark = self._sent.get(board_id)
        return mark[0] if mark else None

    def set_sent(self, board_id: int, seq: int, fingerprint: str | None = None) -> None:
        self._sent[board_id] = (seq, fingerprint)


class RedisSequencer:
    """The same, shared by every worker through Redis, so that the events of a board reach
    its viewers once and in order whichever worker committed them."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    @contextmanager
    def board(self, board_id: int) -> Iterator[None]:
        lock = self._redis.lock(
            f"tracker:board:{board_id}:publish", timeout=30, blocking_timeout=10
        )
        if not lock.acquire():
            raise TimeoutError(f"board {board_id}: publish lock not acquired")
        try:
            yield
        finally:
            with suppress(Exception):
                lock.release()

    def mark(self, board_id: int) -> Mark | None:
        # "SEQ" or "SEQ FINGERPRINT" (an older worker wrote the seq alone).
        value = self._redis.get(f"tracker:board:{board_id}:sent")
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else str(value)
        seq, _, fingerprint = text.partition(" ")
        return int(seq), fingerprint or None

    def sent(self, board_id: int) -> int | None:
        mark = self.mark(board_id)
        return mark[0] if mark else None

    def set_sent(self, board_id: int, seq: int, fingerprint: str | None = None) -> None:
        value = f"{seq} {fingerprint}" if fingerprint else str(seq)
        self._redis.set(f"tracker:board:{board_id}:sent", value)


class Registry:
    """Who is connected to this process, and the board sequencer."""

    def __init__(self, sequencer: LocalSequencer | RedisSequencer) -> None:
        self.lock = threading.RLock()
        self.connections: dict[str, Connection] = {}
        self.sequencer = sequencer
        self.retrying: set[int] = set()
        # The background task sending what other processes committed (see `ensure_poller`).
        self.poller: Any = None

    def watched_boards(self) -> set[int]:
        with self.lock:
            return {b for conn in self.connections.values() for b in conn.boards}


def _registry() -> Registry:
    return current_app.extensions["tracker.registry"]


def init_app(app: Flask) -> None:
    queue = app.config.get("MESSAGE_QUEUE") or None
    app.extensions["tracker.registry"] = Registry(
        RedisSequencer(queue) if queue else LocalSequencer()
    )
    origins = app.config.get("SOCKETIO_ALLOWED_ORIGINS") or None  # None: same origin only
    # Flask-SocketIO keeps the options of an earlier init_app (another app in the same
    # process, as in tests): a queue manager from it must not outlive that app.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
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
    app.extensions["tracker.socket_gate"] = gate


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


# --- publishing ---------------------------------------------------------------------------


def publish(envelopes: list[dict[str, Any]]) -> None:
    """Send envelopes of committed events to their boards' rooms: each board is flushed from
    just before the first of its events here, so the room gets them all, in order."""
    for board_id in sorted({e["board_id"] for e in envelopes}):
        first = min(e["seq"] for e in envelopes if e["board_id"] == board_id)
        flush_board(board_id, first - 1)


def commit_and_publish(*events: Event | None) -> None:
    """The unit of work's end: commit, then (and only then) publish."""
    envelopes = [event_log.envelope(e) for e in events if e is not None]
    db.session.commit()
    publish(envelopes)


def flush_board(board_id: int, known_before: int | None = None) -> None:
    """Send the room every committed event it has not been sent yet, in order.

    With the message queue unreachable this gives up quietly: the change is committed, live
    push pauses, and a background retry pushes when the queue returns."""
    try:
        _send_pending(board_id, known_before)
    except Exception as error:  # the queue is down: never fail the committed change
        current_app.logger.warning("live push paused for board %s: %s", board_id, error)
        _retry_later(board_id, known_before)


def _send_pending(board_id: int, known_before: int | None) -> None:
    """Under the board's sequencer lock: emit the events after the last one sent, or `resync`
    when the log no longer continues what was sent. Raises when the queue is unreachable."""
    sequencer = _registry().sequencer
    with sequencer.board(board_id):
        mark = sequencer.mark(board_id)
        if mark is None:
            # Nothing sent from here yet: start after the caller's own events.
            if known_before is None:
                return
            _emit_events(board_id, _events_from(board_id, known_before + 1))
            return
        sent, fingerprint = mark
        last_seq = _last_seq(board_id) or 0
        if sent > last_seq:
            _resync(board_id, last_seq, "The board's history was restored from a backup.")
            return
        rows = _events_from(board_id, sent)
        if sent > 0:
            # The event last sent must still be there, the same one: otherwise the history
            # was replaced, and what follows would not fit what the viewers hold.
            if not rows or rows[0].seq != sent or fingerprint not in (None, _fingerprint(rows[0])):
                _resync(board_id, last_seq, "The board's history was replaced.")
                return
            rows = rows[1:]
        _emit_events(board_id, rows)


def _emit_events(board_id: int, rows: list[Event]) -> None:
    """Send `rows` (in order, after the last event sent) and remember the last of them."""
    if not rows:
        return
    _drop_revoked_viewers(board_id)
    for row in rows:
        socketio.emit("board_event", event_log.envelope(row), to=room(board_id))
    _registry().sequencer.set_sent(board_id, rows[-1].seq, _fingerprint(rows[-1]))


def _resync(board_id: int, last_seq: int, reason: str) -> None:
    """Tell the viewers to reload the board: what they hold cannot be continued."""
    _drop_revoked_viewers(board_id)
    payload = {"board_id": board_id, "last_seq": last_seq, "reason": reason}
    socketio.emit("resync", payload, to=room(board_id))
    _registry().sequencer.set_sent(board_id, last_seq, _fingerprint_at(board_id, last_seq))
    current_app.logger.warning("board %s: viewers asked to reload (%s)", board_id, reason)


def _fingerprint(row: Event) -> str:
    """Tells one event from another with the same board and seq (a restored history)."""
    envelope = json.dumps(event_log.envelope(row), sort_keys=True, default=str)
    return f"{row.id}-{hashlib.sha256(envelope.encode()).hexdigest()[:16]}"


def _fingerprint_at(board_id: int, seq: int) -> str | None:
    row = db.session.scalar(
        sa.select(Event)
        .where(Event.board_id == board_id, Event.seq == seq)
        .execution_options(populate_existing=True)
    )
    return _fingerprint(row) if row is not None else None


def _retry_later(board_id: int, known_before: int | None) -> None:
    """Keep trying to push a board's pending events until the queue answers again, so open
    boards converge even if no further change comes."""
    registry = _registry()
    with registry.lock:
        if board_id in registry.retrying:
            return
        registry.retrying.add(board_id)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def retry() -> None:
        delay = 0.5
        try:
            while True:
                socketio.sleep(delay)
                delay = min(delay * 2, 5.0)
                with app.app_context():
                    try:
                        _send_pending(board_id, known_before)
                        return
                    except Exception:
                        continue
                    finally:
                        db.session.remove()
        finally:
            with registry.lock:
                registry.retrying.discard(board_id)

    socketio.start_background_task(retry)


def _events_from(board_id: int, seq: int) -> list[Event]:
    """The board's events from `seq` on (inclusive), in order, read fresh."""
    with db.session.no_autoflush:
        return list(
            db.session.scalars(
                sa.select(Event)
                .where(Event.board_id == board_id, Event.seq >= seq)
                .order_by(Event.seq)
                .execution_options(populate_existing=True)
            )
        )


# --- events committed elsewhere ---------------------------------------------------------------


def ensure_poller(app: Flask) -> None:
    """Start this process's poller unless it runs. Called when there is something to watch
    (a join, or a socket not signed in yet), so a process that serves no sockets (the CLI, a
    forking master) starts none."""
    registry: Registry = app.extensions["tracker.registry"]
    with registry.lock:
        if registry.poller is not None:
            return
        server = socketio.server
        registry.poller = socketio.start_background_task(_poll, app, registry, server)


def _poll(app: Flask, registry: Registry, server: Any) -> None:
    """About once a second: send what other processes committed to the boards watched here,
    and close sockets that did not sign in in time (the socket gate). Ends when there is
    neither (the next join or socket starts it again), or when this app is no longer the one
    served (tests build an app per test in one process)."""
    interval = float(app.config.get("LIVE_POLL_SECONDS", 1.0))
    gate: SocketGate = app.extensions["tracker.socket_gate"]
    failing = ""
    while True:
        socketio.sleep(interval)
        with registry.lock:
            boards = registry.watched_boards()
            if (not boards and not gate.has_pending()) or socketio.server is not server:
                registry.poller = None
                return
        gate.reap()
        if not boards:
            continue
        with app.app_context():
            try:
                _send_what_others_committed(registry, boards, server)
                failing = ""
            except Exception as error:  # the database or queue is away: try again next time
                if str(error) != failing:
                    app.logger.warning("live poll failed: %s", error)
                failing = str(error)
            finally:
                db.session.remove()


def _send_what_others_committed(registry: Registry, boards: set[int], server: Any) -> None:
    """One query for the boards' last seq (and that event's fingerprint); flush each board
    whose log moved on, or changed, since what was sent from here."""
    rows = db.session.execute(
        sa.select(Board.id, Board.last_seq, Event)
        .outerjoin(Event, sa.and_(Event.board_id == Board.id, Event.seq == Board.last_seq))
        .where(Board.id.in_(boards))
        .execution_options(populate_existing=True)
    ).all()
    for board_id, last_seq, event in rows:
        mark = registry.sequencer.mark(board_id)
        if mark is None:
            continue  # nothing sent from here yet; the next join or commit starts it
        sent, fingerprint = mark
        if sent == last_seq and (
            fingerprint is None or event is None or _fingerprint(event) == fingerprint
        ):
            continue
        if socketio.server is not server:
            return  # another app took over the socket server meanwhile (tests)
        flush_board(board_id)


def _events_after(board_id: int, seq: int, limit: int | None = None) -> list[dict[str, Any]]:
    # A session of its own: the caller's may be mid-request, or already closed.
    with db.session.no_autoflush:
        rows = db.session.scalars(
            sa.select(Event)
            .where(Event.board_id == board_id, Event.seq > seq)
            .order_by(Event.seq)
            .limit(limit)
            .execution_options(populate_existing=True)
        ).all()
    return [event_log.envelope(row) for row in rows]


def _last_seq(board_id: int) -> int | None:
    return db.session.scalar(
        sa.select(Board.last_seq)
        .where(Board.id == board_id)
        .execution_options(populate_existing=True)
    )


# --- who may stay connected -----------------------------------------------------------------


def _still_allowed(conn: Connection) -> bool:
    user = db.session.get(User, conn.user_id, populate_existing=True)
    if user is None or not user.is_active:
        return False
    if conn.token is not None:
        return accounts.token_is_valid(conn.token, user.id)
    key = conn.login_session
    return key is not None and key in accounts.valid_login_sessions([key])


def _drop_revoked_viewers(board_id: int) -> None:
    """Disconnect viewers of this board who were disabled, signed out (here or everywhere),
    idle or past their sign-in's lifetime, or whose token was revoked, before they are sent
    anything more. A few queries, however many viewers."""
    registry = _registry()
    with registry.lock:
        viewers = [c for c in registry.connections.values() if board_id in c.boards]
    if not viewers:
        return
    rows = db.session.execute(
        sa.select(User.id, User.active, Organisation.active.label("org"))
        .join(Organisation, User.organisation_id == Organisation.id)
        .where(User.id.in_({c.user_id for c in viewers}))
    ).all()
    state = {row.id: row for row in rows}
    tokens = [c.token for c in viewers if c.token is not None]
    live_tokens = accounts.valid_token_digests(tokens) if tokens else set()
    live_sessions = accounts.valid_login_sessions(
        c.login_session for c in viewers if c.token is None and c.login_session
    )
    for conn in viewers:
        row = state.get(conn.user_id)
        if (
            row is None
            or not row.active
            or not row.org
            or (conn.token is None and conn.login_session not in live_sessions)
            or (conn.token is not None and accounts.token_digest(conn.token) not in live_tokens)
        ):
            _forget(conn.sid)
            socketio.server.leave_room(conn.sid, room(board_id), namespace="/")
            socketio.server.disconnect(conn.sid, namespace="/")


def end_login_session(key: str | None) -> None:
    """Disconnect the sockets opened by one login session (on sign-out)."""
    if not key:
        return
    registry = _registry()
    with registry.lock:
        sids = [c.sid for c in registry.connections.values() if c.login_session == key]
    for sid in sids:
        _forget(sid)
        socketio.server.disconnect(sid, namespace="/")


def end_user_sockets(user_id: int) -> None:
    """Disconnect every socket of a user (disabled, or signed out everywhere)."""
    registry = _registry()
    with registry.lock:
        sids = [c.sid for c in registry.connections.values() if c.user_id == user_id]
    for sid in sids:
        _forget(sid)
        socketio.server.disconnect(sid, namespace="/")


# --- presence -----------------------------------------------------------------------------


def _presence(board_id: int) -> dict[str, Any]:
    registry = _registry()
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    with registry.lock:
        for conn in registry.connections.values():
            if board_id not in conn.boards:
                continue
            key = (conn.name, conn.organisation)
            entry = seen.setdefault(
                key, {"user": conn.name, "organisation": conn.organisation, "editing": None}
            )
            if conn.editing.get(board_id) is not None:
                entry["editing"] = conn.editing[board_id]
    viewers = sorted(seen.values(), key=lambda v: (v["organisation"], v["user"]))
    return {"board_id": board_id, "viewers": viewers}


def _broadcast_presence(board_id: int) -> None:
    # Who is looking is for people still allowed to look: drop the others first.
    _drop_revoked_viewers(board_id)
    socketio.emit("presence", _presence(board_id), to=room(board_id))


def _forget(sid: str) -> set[int]:
    registry = _registry()
    with registry.lock:
        conn = registry.connections.pop(sid, None)
    return conn.boards if conn else set()


# --- handlers -----------------------------------------------------------------------------


def _board_id(payload: Any) -> int | dict[str, Any]:
    if not isinstance(payload, dict):
        return error_body("invalid", "The payload must be an object.", {"payload": "not an object"})
    value = payload.get("board_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        return error_body(
            "invalid", "board_id must be a positive integer.", {"board_id": "invalid"}
        )
    return value


def _current_connection() -> Connection | None:
    """The caller's connection, if its user may still use it; otherwise it is dropped."""
    registry = _registry()
    with registry.lock:
        conn = registry.connections.get(request.sid)  # type: ignore[attr-defined]
    if conn is None:
        return None
    if not _still_allowed(conn):
        boards = _forget(conn.sid)
        disconnect()
        for board_id in boards:
            _broadcast_presence(board_id)
        return None
    return conn


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    """Authenticate by the session cookie or `auth: {"token": TOKEN}`; refuse anyone else."""
    token = auth.get("token") if isinstance(auth, dict) else None
    user: User | None
    login_session: str | None = None
    if isinstance(token, str) and token:
        user = accounts.user_for_token(token)
        if user is None:
            raise ConnectionRefusedError("The API token is not valid.")
    else:
        # Straight from the session cookie (not Flask-Login's per-context cache): its login
        # session must be valid now, and the socket remembers it, so ending it ends the socket.
        check = accounts.check_login_session(session.get("_user_id"))
        if check.user is None:
            raise ConnectionRefusedError(
                accounts.signed_out_message(check.reason) if check.reason else "Sign in first."
            )
        user, login_session = check.user, check.key
        token = None
    assert user is not None
    conn = Connection(
        sid=request.sid,  # type: ignore[attr-defined]
        user_id=user.id,
        name=user.name,
        organisation=user.organisation.name,
        login_session=login_session,
        token=token,
    )
    registry = _registry()
    with registry.lock:
        registry.connections[conn.sid] = conn


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    for board_id in _forget(request.sid):  # type: ignore[attr-defined]
        _broadcast_presence(board_id)


@socketio.on("join")
def on_join(payload: Any = None) -> dict[str, Any]:
    """`{board_id, since}`: every event after `since`, in order, then the ack `{last_seq}`;
    live `board_event`s follow. When `since` cannot be caught up from (too far behind, or
    ahead of the server), the ack says `{"last_seq", "resync": true}` and nothing is replayed:
    the client reloads the board's state."""
    conn = _current_connection()
    if conn is None:
        return error_body("unauthenticated", "Your session has ended; sign in again.")
    board_id = _board_id(payload)
    if isinstance(board_id, dict):
        return board_id
    since = payload.get("since", 0)
    if isinstance(since, bool) or not isinstance(since, int) or since < 0:
        return error_body(
            "invalid", "since must be a sequence number (0 or more).", {"since": "invalid"}
        )
    user = db.session.get(User, conn.user_id)
    if user is None or not policy.may(user, "view"):
        return error_body("forbidden", "You may not see this board.")
    if db.session.get(Board, board_id) is None:
        return error_body(
            "not_found", f"Board {board_id} does not exist.", {"board_id": "no such board"}
        )

    registry = _registry()
    limit = current_app.config.get("REPLAY_LIMIT", 1000)
    try:
        guard = registry.sequencer.board(board_id)
        guard.__enter__()
    except Exception:  # queue unreachable: replay what the database holds, without the lock
        guard = None
    try:
        last_seq = _last_seq(board_id) or 0
        try:
            sent = registry.sequencer.sent(board_id) if guard else None
            if sent is None:
                sent = last_seq
                if guard:
                    fingerprint = _fingerprint_at(board_id, sent)
                    registry.sequencer.set_sent(board_id, sent, fingerprint)
        except Exception:
            sent = last_seq
        # Replay only what the room has been sent; what comes after reaches this client live.
        upto = min(max(sent, 0), last_seq)
        try:
            join_room(room(board_id))
        except (KeyError, ValueError):  # the client left before its join was handled
            return error_body("gone", "The connection closed before joining.")
        with registry.lock:
            conn.boards.add(board_id)
        ensure_poller(current_app._get_current_object())  # type: ignore[attr-defined]
        if since > last_seq or upto - since > limit:
            ack = {"last_seq": upto, "resync": True}
        elif since > upto:
            # The page is newer than what the room has been sent (a push still on its way):
            # nothing to replay; the live events after `since` follow.
            ack = {"last_seq": since}
        else:
            for envelope in _events_after(board_id, since):
                if envelope["seq"] > upto:
                    break
                # Straight to this client, not through the queue.
                socketio.emit("board_event", envelope, to=conn.sid, ignore_queue=True)
            ack = {"last_seq": upto}
    finally:
        if guard is not None:
            guard.__exit__(None, None, None)
    _broadcast_presence(board_id)
    return ack


@socketio.on("leave")
def on_leave(payload: Any = None) -> dict[str, Any]:
    conn = _current_connection()
    if conn is None:
        return error_body("unauthenticated", "Your session has ended; sign in again.")
    board_id = _board_id(payload)
    if isinstance(board_id, dict):
        return board_id
    leave_room(room(board_id))
    with _registry().lock:
        conn.boards.discard(board_id)
        conn.editing.pop(board_id, None)
    _broadcast_presence(board_id)
    return {"ok": True}


@socketio.on("editing")
def on_editing(payload: Any = None) -> dict[str, Any]:
    """`{board_id, initiative_id | null}`: this viewer has that initiative open for editing
    (or no longer). The same rule as an edit: the initiative is on that board and the viewer
    may edit it; otherwise an error acknowledgement, and presence stays as it was."""
    conn = _current_connection()
    if conn is None:
        return error_body("unauthenticated", "Your session has ended; sign in again.")
    board_id = _board_id(payload)
    if isinstance(board_id, dict):
        return board_id
    if board_id not in conn.boards:
        return error_body("invalid", "Join the board first.", {"board_id": "not joined"})
    initiative_id = payload.get("initiative_id")
    if initiative_id is not None:
        if isinstance(initiative_id, bool) or not isinstance(initiative_id, int):
            return error_body(
                "invalid",
                "initiative_id must be an integer or null.",
                {"initiative_id": "invalid"},
            )
        initiative = (
            db.session.get(Initiative, initiative_id)
            if 1 <= initiative_id <= limits.MAX_ID
            else None
        )
        if initiative is None or initiative.board_id != board_id:
            return error_body(
                "not_found",
                f"Initiative {initiative_id} is not on board {board_id}.",
                {"initiative_id": "no such initiative on this board"},
            )
        user = db.session.get(User, conn.user_id)
        if user is None or not policy.may_edit(user, initiative):
            return error_body(
                "forbidden",
                "You cannot edit this initiative, so you cannot be shown editing it.",
                {"initiative_id": "you may not edit this initiative"},
            )
    with _registry().lock:
        conn.editing[board_id] = initiative_id
    _broadcast_presence(board_id)
    return {"ok": True}
