"""The Socket.IO handlers: connect, disconnect, join, leave, editing.

Flask-SocketIO's handlers run with the request context of the connect, where Flask-Login's
`login_required` does not work: `connect` authenticates (and refuses anyone else), and every
later event checks again that the connection's user may still use it (`_current_connection`).
Handlers never write to the session.

Client → server events, each acknowledged with a result or the error shape
`{"error": {"code", "message", "fields"}}` (`tracker.errors.error_body`):
  `join {board_id, since}` → replays events after `since`, then acks `{last_seq}`
  `leave {board_id}` → `{ok: true}`
  `editing {board_id, initiative_id | null}` → `{ok: true}`
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, disconnect, join_room, leave_room

from tracker import accounts, api_tokens, limits, policy
from tracker import events as event_log
from tracker.errors import error_body
from tracker.extensions import db, socketio
from tracker.models import Initiative, User
from tracker.notifications import user_room
from tracker.realtime.presence import forget, presence_changed, still_allowed
from tracker.realtime.publish import board_last_seq, ensure_poller, events_from, fingerprint_at
from tracker.realtime.state import Connection, current_registry, room

SESSION_ENDED = "Your session has ended; sign in again."


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    """Authenticate by the session cookie or `auth: {"token": TOKEN}`; refuse anyone else
    (the client's `connect_error` carries the reason, e.g. "Sign in first.")."""
    token = auth.get("token") if isinstance(auth, dict) else None
    # Stamped before the check reads anything: a cut-off committed while it runs falls after
    # this, so the next recheck (SOCKET_RECHECK_SECONDS) sees it.
    checked_at = time.time()
    user: User | None
    login_session: str | None = None
    if isinstance(token, str) and token:
        user = api_tokens.user_for_token(token)
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
    if not policy.may(user, "view"):
        raise ConnectionRefusedError("You may not see the board.")
    conn = Connection(
        sid=request.sid,  # type: ignore[attr-defined]
        user_id=user.id,
        name=user.name,
        organisation=user.organisation.name,
        login_session=login_session,
        token_digest=api_tokens.token_digest(token) if token else None,
        checked_at=checked_at,
    )
    registry = current_registry()
    with registry.lock:
        registry.connections[conn.sid] = conn
    # The person's own notifications reach this socket, and no one else's: the room is
    # chosen here from who signed in, never asked for by the client.
    join_room(user_room(user.id))
    # Notifications written by other processes reach this socket through the poller.
    ensure_poller(current_app._get_current_object())  # type: ignore[attr-defined]


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    """No payload (python-socketio may pass the reason): the boards it watched get the new
    `presence`."""
    for board_id in forget(request.sid):  # type: ignore[attr-defined]
        presence_changed(board_id)


@socketio.on("join")
def on_join(payload: Any = None) -> dict[str, Any]:
    """`{board_id, since}`: every event after `since`, in order, then the ack `{last_seq}`;
    live `board_event`s follow. When `since` cannot be caught up from (too far behind, or
    ahead of the server), the ack says `{"last_seq", "resync": true}` and nothing is replayed:
    the client reloads the board's state."""
    conn = _current_connection()
    if conn is None:
        return error_body("unauthenticated", SESSION_ENDED)
    asked = _join_request(payload)
    if isinstance(asked, dict):
        return asked
    board_id, since = asked
    # The one query of a join with nothing to replay (the board's existence comes with it).
    last_seq = board_last_seq(board_id)
    if last_seq is None:
        return error_body(
            "not_found", f"Board {board_id} does not exist.", {"board_id": "no such board"}
        )
    # The board's lock covers only what must not interleave with a push to the room: what
    # the room was sent, entering it, and the replay.
    with ExitStack() as stack:
        locked = _hold_board(stack, board_id)
        sent = _sent_to_room(board_id, last_seq, locked=locked)
        if since > last_seq or sent > last_seq:
            # Read before the lock: events may have been committed since (or the history
            # restored); only then is it read again.
            last_seq = board_last_seq(board_id) or 0
        upto = min(max(sent, 0), last_seq)
        try:
            join_room(room(board_id))
        except (KeyError, ValueError):  # the client left before its join was handled
            return error_body("gone", "The connection closed before joining.")
        with current_registry().lock:
            conn.boards.add(board_id)
        ack = _catch_up(conn.sid, board_id, since, upto=upto, last_seq=last_seq)
    ensure_poller(current_app._get_current_object())  # type: ignore[attr-defined]
    presence_changed(board_id, joined=conn)
    return ack


def _join_request(payload: Any) -> tuple[int, int] | dict[str, Any]:
    """`(board_id, since)` from a `join` payload, or the error acknowledgement."""
    board_id = _board_id(payload)
    if isinstance(board_id, dict):
        return board_id
    since = payload.get("since", 0)
    if isinstance(since, bool) or not isinstance(since, int) or since < 0:
        return error_body(
            "invalid", "since must be a sequence number (0 or more).", {"since": "invalid"}
        )
    return board_id, since


def _hold_board(stack: ExitStack, board_id: int) -> bool:
    """Hold the board's sequencer lock until `stack` closes, so no event is sent to the room
    while this client catches up; False when the queue is unreachable (then the replay is
    what the database holds, without the lock)."""
    try:
        stack.enter_context(current_registry().sequencer.board(board_id))
    except Exception:  # the queue is unreachable (Redis timed out or refused)
        return False
    return True


def _sent_to_room(board_id: int, last_seq: int, *, locked: bool) -> int:
    """The last seq the board's room has been sent. Nothing sent yet: the room starts at
    `last_seq` (recorded, with its fingerprint, when the lock is held). Without the lock, or
    with the queue failing, the database's `last_seq`."""
    sequencer = current_registry().sequencer
    try:
        sent = sequencer.sent(board_id) if locked else None
        if sent is None:
            sent = last_seq
            if locked:
                sequencer.set_sent(board_id, sent, fingerprint_at(board_id, sent))
    except Exception:
        sent = last_seq
    return sent


def _catch_up(sid: str, board_id: int, since: int, *, upto: int, last_seq: int) -> dict[str, Any]:
    """Send the client the events after `since` up to `upto`; the `join` acknowledgement."""
    if since > last_seq or upto - since > current_app.config.get("REPLAY_LIMIT", 1000):
        return {"last_seq": upto, "resync": True}
    if since >= upto:
        # Nothing to replay; when the page is newer than what the room has been sent (a push
        # still on its way), the live events after `since` follow.
        return {"last_seq": max(since, upto)}
    for row in events_from(board_id, since + 1):
        if row.seq > upto:
            break
        # Straight to this client, not through the queue.
        socketio.emit("board_event", event_log.envelope(row), to=sid, ignore_queue=True)
    return {"last_seq": upto}


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
        was_joined = board_id in conn.boards
        conn.boards.discard(board_id)
        conn.editing.pop(board_id, None)
    if was_joined:
        presence_changed(board_id, gone=conn.sid)
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
        refused = _may_not_edit(conn, board_id, initiative_id)
        if refused is not None:
            return refused
    with current_registry().lock:
        conn.editing[board_id] = initiative_id
    presence_changed(board_id, changed=conn)
    return {"ok": True}


def _may_not_edit(conn: Connection, board_id: int, initiative_id: Any) -> dict[str, Any] | None:
    """The error acknowledgement when `initiative_id` is not an initiative on the board that
    the connection's user may edit."""
    if isinstance(initiative_id, bool) or not isinstance(initiative_id, int):
        return error_body(
            "invalid",
            "initiative_id must be an integer or null.",
            {"initiative_id": "invalid"},
        )
    initiative = (
        db.session.get(Initiative, initiative_id) if 1 <= initiative_id <= limits.MAX_ID else None
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
    return None


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
    # Checked at the connect a moment ago (a page's join follows at once): not again yet.
    now = time.time()
    if now - conn.checked_at < float(current_app.config["SOCKET_RECHECK_SECONDS"]):
        return conn
    if not still_allowed(conn):
        boards = forget(conn.sid)
        disconnect()
        for board_id in boards:
            presence_changed(board_id)
        return None
    conn.checked_at = now  # when the check began: what committed after, the next one sees
    return conn
