"""Who may stay connected, and who is looking at a board.

A socket authenticated once, at its connect; its user may since have been disabled, signed
out (here or everywhere), gone idle or past the sign-in's lifetime, or had the token revoked.
Such sockets are dropped before they are sent anything more (`drop_revoked_viewers`, called
before every emit to a room) or answered (`still_allowed`, checked on every event), and at
once when an account operation ends them (`end_login_session`, `end_user_sockets`, called by
the entry point after its commit).

Presence is the room's list of viewers, sent to the whole room whenever it changes:
  `presence` — `{board_id, viewers: [{user, organisation, editing: initiative_id | null}]}`
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from tracker import accounts, api_tokens
from tracker.extensions import db, socketio
from tracker.models import Organisation, User
from tracker.realtime.state import Connection, current_registry, room


def still_allowed(conn: Connection) -> bool:
    """Whether the connection's user may still use it (one user, checked fresh)."""
    user = db.session.get(User, conn.user_id, populate_existing=True)
    if user is None or not user.is_active:
        return False
    if conn.token is not None:
        return api_tokens.token_is_valid(conn.token, user.id)
    key = conn.login_session
    return key is not None and key in accounts.valid_login_sessions([key])


def drop_revoked_viewers(board_id: int) -> None:
    """Disconnect viewers of this board who were disabled, signed out (here or everywhere),
    idle or past their sign-in's lifetime, or whose token was revoked, before they are sent
    anything more. A few queries, however many viewers."""
    registry = current_registry()
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
    live_tokens = api_tokens.valid_token_digests(tokens) if tokens else set()
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
            or (conn.token is not None and api_tokens.token_digest(conn.token) not in live_tokens)
        ):
            registry.forget(conn.sid)
            socketio.server.leave_room(conn.sid, room(board_id), namespace="/")
            socketio.server.disconnect(conn.sid, namespace="/")


def end_login_session(key: str | None) -> None:
    """Disconnect the sockets opened by one login session (on sign-out)."""
    if not key:
        return
    registry = current_registry()
    with registry.lock:
        sids = [c.sid for c in registry.connections.values() if c.login_session == key]
    _disconnect(sids)


def end_user_sockets(user_id: int) -> None:
    """Disconnect every socket of a user (disabled, or signed out everywhere)."""
    registry = current_registry()
    with registry.lock:
        sids = [c.sid for c in registry.connections.values() if c.user_id == user_id]
    _disconnect(sids)


def _disconnect(sids: Iterable[str]) -> None:
    registry = current_registry()
    for sid in sids:
        registry.forget(sid)
        socketio.server.disconnect(sid, namespace="/")


def presence_payload(board_id: int) -> dict[str, Any]:
    """The `presence` event's payload: each viewer once (however many sockets), with the
    initiative they have open for editing, ordered by organisation, then name."""
    registry = current_registry()
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


def broadcast_presence(board_id: int) -> None:
    """Send the board's room its `presence`."""
    # Who is looking is for people still allowed to look: drop the others first.
    drop_revoked_viewers(board_id)
    socketio.emit("presence", presence_payload(board_id), to=room(board_id))
