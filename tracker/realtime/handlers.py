"""The Socket.IO handlers: connect, disconnect, join, leave, editing.

Flask-SocketIO's handlers run with the request context of the connect, where Flask-Login's
`login_required` does not work: `connect` authenticates (and refuses anyone else), and every
later event checks again that the connection's user may still use it (`current_connection`).
Handlers never write to the session.

Client → server events, each acknowledged with a result or the error shape
`{"error": {"code", "message", "fields"}}` (`tracker.errors.error_body`):
  `join {board_id, since}` → replays events after `since`, then acks `{last_seq}`
  `leave {board_id}` → `{ok: true}`
  `editing {board_id, initiative_id | null}` → `{ok: true}`
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room

from tracker import accounts, limits, policy
from tracker import events as event_log
from tracker.errors import error_body
from tracker.extensions import db, socketio
from tracker.models import Board, Initiative, User
from tracker.realtime.presence import broadcast_presence, still_allowed
from tracker.realtime.publish import board_last_seq, ensure_poller, events_from, fingerprint_at
from tracker.realtime.state import Connection, current_registry, room

SESSION_ENDED = "Your session has ended; sign in again."


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    """Authenticate by the session cookie or `auth: {"token": TOKEN}`; refuse anyone else
    (the client's `connect_error` carries the reason, e.g. "Sign in first.")."""
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
    registry = current_registry()
    with registry.lock:
        registry.connections[conn.sid] = conn


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    """No payload (python-socketio may pass the reason): the boards it watched get the new
    `presence`."""
    for board_id in current_registry().forget(request.sid):  # type: ignore[attr-defined]
        broadcast_presence(board_id)


@socketio.on("join")
def on_join(payload: Any = None) -> dict[str, Any]:
    """`{board_id, since}`: every event after `since`, in order, then the ack `{last_seq}`;
    live `board_event`s follow. When `since` cannot be caught up from (too far behind, or
    ahead of the server), the ack says `{"last_seq", "resync": true}` and nothing is replayed:
    the client reloads the board's state."""
    conn = _current_connection()
    if conn is None:
        return error_body("unauthenticated", SESSION_ENDED)
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

    registry = current_registry()
    limit = current_app.config.get("REPLAY_LIMIT", 1000)
    try:
        guard = registry.sequencer.board(board_id)
        guard.__enter__()
    except Exception:  # queue unreachable: replay what the database holds, without the lock
        guard = None
    try:
        last_seq = board_last_seq(board_id) or 0
        try:
            sent = registry.sequencer.sent(board_id) if guard else None
            if sent is None:
                sent = last_seq
                if guard:
                    fingerprint = fingerprint_at(board_id, sent)
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
            for row in events_from(board_id, since + 1):
                if row.seq > upto:
                    break
                # Straight to this client, not through the queue.
                socketio.emit(
                    "board_event", event_log.envelope(row), to=conn.sid, ignore_queue=True
                )
            ack = {"last_seq": upto}
    finally:
        if guard is not None:
            guard.__exit__(None, None, None)
    broadcast_presence(board_id)
    return ack


@socketio.on("leave")
def on_leave(payload: Any = None) -> dict[str, Any]:
    """`{board_id}`: stop receiving the board's events; acks `{ok: true}`, and the room gets
    the new `presence`."""
    conn = _current_connection()
    if conn is None:
        return error_body("unauthenticated", SESSION_ENDED)
    board_id = _board_id(payload)
    if isinstance(board_id, dict):
        return board_id
    leave_room(room(board_id))
    with current_registry().lock:
        conn.boards.discard(board_id)
        conn.editing.pop(board_id, None)
    broadcast_presence(board_id)
    return {"ok": True}


@socketio.on("editing")
def on_editing(payload: Any = None) -> dict[str, Any]:
    """`{board_id, initiative_id | null}`: this viewer has that initiative open for editing
    (or no longer); acks `{ok: true}` and the room gets the new `presence`. The same rule as
    an edit: the initiative is on that board and the viewer may edit it; otherwise an error
    acknowledgement, and presence stays as it was."""
    conn = _current_connection()
    if conn is None:
        return error_body("unauthenticated", SESSION_ENDED)
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
    with current_registry().lock:
        conn.editing[board_id] = initiative_id
    broadcast_presence(board_id)
    return {"ok": True}


def _board_id(payload: Any) -> int | dict[str, Any]:
    """The payload's `board_id` (a positive 32-bit integer), or the error acknowledgement."""
    if not isinstance(payload, dict):
        return error_body("invalid", "The payload must be an object.", {"payload": "not an object"})
    value = payload.get("board_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        return error_body(
            "invalid", "board_id must be a positive integer.", {"board_id": "invalid"}
        )
    return value


def _current_connection() -> Connection | None:
    """The caller's connection, if its user may still use it; otherwise it is dropped (and
    the boards it watched get the new `presence`)."""
    registry = current_registry()
    with registry.lock:
        conn = registry.connections.get(request.sid)  # type: ignore[attr-defined]
    if conn is None:
        return None
    if not still_allowed(conn):
        boards = registry.forget(conn.sid)
        disconnect()
        for board_id in boards:
            broadcast_presence(board_id)
        return None
    return conn
