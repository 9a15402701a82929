"""Who may stay connected, and who is looking at a board.

A socket authenticated once, at its connect; its user may since have been disabled, signed
out (here or everywhere), gone idle or past the sign-in's lifetime, or had the token revoked.
An account operation ends such sockets at once (`end_login_session`, `end_user_sockets`,
called by the entry point after its commit). What no operation here announces (a change made
by another process, a sign-in that expired) is caught before the socket is sent anything more
(`drop_revoked_viewers`, before every emit to a room) or answered (`still_allowed`, on its
events), each at most `SOCKET_RECHECK_SECONDS` (1 s) after the last check.

Presence is the board's list of viewers (on every node, through `roster`), sent to the room
when it changes, at most once per `PRESENCE_INTERVAL_SECONDS` (1 s) per board:
  `presence` — `{board_id, viewers: [{user, organisation, editing: initiative_id | null}]}`
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from tracker import accounts, api_tokens
from tracker.extensions import db, socketio
from tracker.models import Organisation, User
from tracker.realtime.roster import LocalRoster
from tracker.realtime.state import REGISTRY, Connection, Registry, current_registry, room


def still_allowed(conn: Connection) -> bool:
    """Whether the connection's user may still use it (one user, checked fresh)."""
    user = db.session.get(User, conn.user_id, populate_existing=True)
    if user is None or not user.is_active:
        return False
    if conn.token_digest is not None:
        return api_tokens.digest_is_valid(conn.token_digest, user.id)
    key = conn.login_session
    return key is not None and key in accounts.valid_login_sessions([key])


def drop_revoked_viewers(board_id: int) -> None:
    """Disconnect viewers of this board who were disabled, signed out (here or everywhere),
    idle or past their sign-in's lifetime, or whose token was revoked, before they are sent
    anything more. A few queries, however many viewers; each viewer at most once per
    `SOCKET_RECHECK_SECONDS` (1 s), so a busy board does not pay for it on every change.

    The operations that cut someone off end their sockets at once (`end_user_sockets`,
    `end_login_session`); this catches what no operation here announces (another process's
    change, a sign-in that expired) within that second for the sockets of this process. With
    several nodes, a node's sockets are checked when that node sends to the room, or when
    they send an event; changes another node sends reach them through the queue unchecked."""
    registry = current_registry()
    recheck = float(current_app.config["SOCKET_RECHECK_SECONDS"])
    now = time.time()
    with registry.lock:
        viewers = [
            c
            for c in registry.connections.values()
            if board_id in c.boards and now - c.checked_at >= recheck
        ]
    if not viewers:
        return
    rows = db.session.execute(
        sa.select(User.id, User.active, Organisation.active.label("org"))
        .join(Organisation, User.organisation_id == Organisation.id)
        .where(User.id.in_({c.user_id for c in viewers}))
    ).all()
    state = {row.id: row for row in rows}
    # Each distinct token and login session once, however many sockets share it.
    digests = {c.token_digest for c in viewers if c.token_digest is not None}
    live_tokens = api_tokens.unrevoked(digests) if digests else set()
    live_sessions = accounts.valid_login_sessions(
        {c.login_session for c in viewers if c.token_digest is None and c.login_session}
    )
    for conn in viewers:
        row = state.get(conn.user_id)
        if (
            row is None
            or not row.active
            or not row.org
            or (conn.token_digest is None and conn.login_session not in live_sessions)
            or (conn.token_digest is not None and conn.token_digest not in live_tokens)
        ):
            gone_from = forget(conn.sid)
            socketio.server.leave_room(conn.sid, room(board_id), namespace="/")
            socketio.server.disconnect(conn.sid, namespace="/")
            with registry.lock:  # the others see them go with the next presence sent
                registry.presence.dirty.update(gone_from - {board_id})
        else:
            conn.checked_at = now


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
    for sid in sids:
        boards = forget(sid)
        socketio.server.disconnect(sid, namespace="/")
        for board_id in boards:
            presence_changed(board_id)


def forget(sid: str) -> set[int]:
    """Drop a socket's connection, here and from the shared roster; the boards it watched."""
    boards = current_registry().forget(sid)
    for board_id in boards:
        try:
            current_registry().roster.remove(board_id, sid)
        except Exception as error:  # Redis is away: this node's next refresh corrects it
            current_app.logger.warning("presence: shared list not updated: %s", error)
    return boards


def presence_payload(board_id: int) -> dict[str, Any]:
    """The `presence` event's payload: each viewer once (however many sockets, on whichever
    node), with the initiative they have open for editing, ordered by organisation, then
    name. With the shared roster unreachable, this node's own viewers."""
    registry = current_registry()
    with registry.lock:
        local = [c for c in registry.connections.values() if board_id in c.boards]
    try:
        entries = registry.roster.entries(board_id, local)
    except Exception as error:  # Redis is away: what this node knows
        current_app.logger.warning("presence: shared list unreadable: %s", error)
        entries = LocalRoster().entries(board_id, local)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        key = (entry["user"], entry["organisation"])
        viewer = seen.setdefault(key, {**entry, "editing": None})
        if entry.get("editing") is not None:
            viewer["editing"] = entry["editing"]
    viewers = sorted(seen.values(), key=lambda v: (v["organisation"], v["user"]))
    return {"board_id": board_id, "viewers": viewers}


def presence_changed(
    board_id: int,
    *,
    joined: Connection | None = None,
    changed: Connection | None = None,
    gone: str | None = None,
) -> None:
    """A socket `joined` the board, `changed` what it edits there, or is `gone` (its sid):
    record it in the roster, and have the room sent its new `presence`: at once when the
    board was not sent one in the last `PRESENCE_INTERVAL_SECONDS`, otherwise merged with
    whatever else changes until then (one message per board per interval, however many
    viewers join at once). An interval of 0 sends every change at once (tests)."""
    registry = current_registry()
    try:
        if joined is not None or changed is not None:
            registry.roster.put(board_id, joined or changed)  # type: ignore[arg-type]
        if gone is not None:
            registry.roster.remove(board_id, gone)
    except Exception as error:  # Redis is away: the next refresh writes this node's list
        current_app.logger.warning("presence: shared list not updated: %s", error)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if float(app.config["PRESENCE_INTERVAL_SECONDS"]) <= 0:
        broadcast_presence(board_id)
    else:
        with registry.lock:
            registry.presence.dirty.add(board_id)
            if joined is not None:
                registry.presence.joiners.setdefault(board_id, set()).add(joined.sid)
    if registry.roster.shared or float(app.config["PRESENCE_INTERVAL_SECONDS"]) > 0:
        ensure_presence_ticker(app)


def broadcast_presence(
    board_id: int, *, joiners: set[str] | None = None, changed_here: bool = True
) -> None:
    """Send the board's viewers on this node its `presence` (every node sends its own, so
    nothing goes through the message queue). Unless `joiners` is given, always; with it,
    only when the list changed since the last one sent, or else to those sockets alone.
    `changed_here` False: only other nodes' viewers may have changed (the ticker's look at
    the shared list), so this node's viewers are not checked again."""
    # Who is looking is for people still allowed to look: drop the others first.
    if changed_here:
        drop_revoked_viewers(board_id)
    payload = presence_payload(board_id)
    registry = current_registry()
    digest = json.dumps(payload["viewers"], sort_keys=True)
    with registry.lock:
        unchanged = registry.presence.digest.get(board_id) == digest
        registry.presence.digest[board_id] = digest
        registry.presence.sent_at[board_id] = time.monotonic()
    if joiners is None or not unchanged:
        socketio.emit("presence", payload, to=room(board_id), ignore_queue=True)
        return
    for sid in joiners:  # the list is as it was, but these sockets have not had it yet
        socketio.emit("presence", payload, to=sid, ignore_queue=True)


def ensure_presence_ticker(app: Flask) -> None:
    """Start this process's presence ticker unless it runs; wake it."""
    registry: Registry = app.extensions[REGISTRY]
    with registry.lock:
        if registry.presence.ticker is None:
            registry.presence.wake = socketio.server.eio.create_event()
            registry.presence.ticker = socketio.start_background_task(
                _tick, app, registry, socketio.server
            )
        wake = registry.presence.wake
    wake.set()


def _tick(app: Flask, registry: Registry, server: Any) -> None:
    """Send each changed board its presence, at most once per interval; with the shared
    roster, also say this node is alive (every third of the roster's `ttl`) and send boards
    whose list changed on other nodes. Ends when nothing here is watched or changed."""
    interval = float(app.config["PRESENCE_INTERVAL_SECONDS"]) or 1.0
    roster = registry.roster
    beat = getattr(roster, "ttl", 30.0) / 3
    next_beat = 0.0
    state = registry.presence
    while True:
        state.wake.clear()
        now = time.monotonic()
        with registry.lock:
            watched = registry.viewers_by_board()
            if (not watched and not state.dirty) or socketio.server is not server:
                state.ticker = None
                return
            due = {b for b in state.dirty if now - state.sent_at.get(b, -interval) >= interval}
            state.dirty -= due
            joiners = {b: state.joiners.pop(b, set()) for b in due}
            waiting = {b: state.sent_at.get(b, now) + interval for b in state.dirty}
        with app.app_context():
            try:
                if roster.shared and now >= next_beat:
                    roster.refresh(watched)
                    next_beat = now + beat
                remote = set(watched) - due if roster.shared else set()
                for board_id in sorted(due | remote):
                    if board_id in due or now - state.sent_at.get(board_id, -interval) >= interval:
                        broadcast_presence(
                            board_id,
                            joiners=joiners.get(board_id, set()),
                            changed_here=board_id in due,
                        )
            except Exception as error:  # the database or Redis is away: next time
                app.logger.warning("presence: not sent: %s", error)
            finally:
                db.session.remove()
        pause = min(waiting.values(), default=now + interval) - time.monotonic()
        if not roster.shared and not waiting:
            pause = interval * 10  # nothing pending: sleep until woken (or check we still serve)
        state.wake.wait(max(0.0, pause))
