"""Publishing committed events to everyone viewing a board.

Entry points end with `tracker.unit_of_work.commit(events)`, which calls `publish` after the
commit: nothing is published before the commit and nothing on failure. The publisher does not
trust the order in which request threads happen to call it: under a per-board lock it sends,
from the event log, every event after the last one it sent, so each viewer gets a board's
events once, in sequence order, with no gaps. `join` replays under the same lock, so a joining
client's catch-up and the live stream meet exactly. With the message queue unreachable the
commit stands and a background retry pushes later.

Events committed elsewhere (`tracker comment`, another worker without a message queue, a
restore) reach open boards too: each process runs one poller (started at its first socket,
ended when no socket is left) that about once a second reads `boards.last_seq` for the boards its
viewers watch, in one query, and sends what was not sent through the same path. When the log
no longer continues what was sent (a restore: `last_seq` went down, or the event last sent is
not there any more), viewers get `resync` instead of events that would not fit. The same
poller sends the people connected here their unread counts when notifications written
elsewhere reach them.

Server → client events sent from here (to room `board:<id>`):
  `board_event` — `{seq, board_id, type, initiative_id, actor: {user, organisation}, at, data}`
  `resync`      — `{board_id, last_seq, reason}`: catch-up is impossible; reload the board.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from tracker import events as event_log
from tracker import notifications
from tracker.events import EventRecord
from tracker.extensions import db, socketio
from tracker.models import Board, Event, Notification
from tracker.realtime.presence import drop_revoked_viewers
from tracker.realtime.state import REGISTRY, SOCKET_GATE, Registry, current_registry, room
from tracker.serving import cooperate
from tracker.socket_gate import SocketGate


def publish(envelopes: list[dict[str, Any]]) -> None:
    """Send envelopes of committed events to their boards' rooms: each board is flushed from
    just before the first of its events here, so the room gets them all, in order."""
    for board_id in sorted({e["board_id"] for e in envelopes}):
        first = min(e["seq"] for e in envelopes if e["board_id"] == board_id)
        flush_board(board_id, first - 1)
    # Each viewer's socket is written by its own greenlet: let them send now, before this
    # request goes on to read and serialise its response.
    cooperate()


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
    sequencer = current_registry().sequencer
    with sequencer.board(board_id):
        mark = sequencer.mark(board_id)
        if mark is None:
            # Nothing sent from here yet: start after the caller's own events.
            if known_before is None:
                return
            _emit_events(board_id, events_from(board_id, known_before + 1))
            return
        sent, fingerprint = mark
        rows = events_from(board_id, sent)
        if sent > 0:
            # The event last sent must still be there, the same one: otherwise the history
            # was restored or replaced, and what follows would not fit what the viewers hold.
            if (
                not rows
                or rows[0].seq != sent
                or fingerprint not in (None, fingerprint_of(rows[0]))
            ):
                last_seq = board_last_seq(board_id) or 0
                reason = (
                    "The board's history was restored from a backup."
                    if sent > last_seq
                    else "The board's history was replaced."
                )
                _resync(board_id, last_seq, reason)
                return
            rows = rows[1:]
        _emit_events(board_id, rows)


def _emit_events(board_id: int, rows: list[EventRecord]) -> None:
    """Send `rows` (in order, after the last event sent) and remember the last of them."""
    if not rows:
        return
    drop_revoked_viewers(board_id)
    for row in rows:
        socketio.emit("board_event", event_log.envelope(row), to=room(board_id))
    current_registry().sequencer.set_sent(board_id, rows[-1].seq, fingerprint_of(rows[-1]))


def _resync(board_id: int, last_seq: int, reason: str) -> None:
    """Tell the viewers to reload the board: what they hold cannot be continued."""
    drop_revoked_viewers(board_id)
    payload = {"board_id": board_id, "last_seq": last_seq, "reason": reason}
    socketio.emit("resync", payload, to=room(board_id))
    current_registry().sequencer.set_sent(board_id, last_seq, fingerprint_at(board_id, last_seq))
    current_app.logger.warning("board %s: viewers asked to reload (%s)", board_id, reason)


def fingerprint_of(row: EventRecord) -> str:
    """Tells one event from another with the same board and seq (a restored history)."""
    envelope = json.dumps(event_log.envelope(row), sort_keys=True, default=str)
    return f"{row.id}-{hashlib.sha256(envelope.encode()).hexdigest()[:16]}"


def fingerprint_at(board_id: int, seq: int) -> str | None:
    """The fingerprint of the board's event `seq`, if there is one."""
    row = db.session.scalar(
        sa.select(Event)
        .where(Event.board_id == board_id, Event.seq == seq)
        .execution_options(populate_existing=True)
    )
    return fingerprint_of(row) if row is not None else None


def _retry_later(board_id: int, known_before: int | None) -> None:
    """Keep trying to push a board's pending events until the queue answers again, so open
    boards converge even if no further change comes."""
    registry = current_registry()
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


_EVENTS_FROM = (
    sa.select(*Event.__table__.c)
    .where(
        Event.__table__.c.board_id == sa.bindparam("board"),
        Event.__table__.c.seq >= sa.bindparam("seq"),
    )
    .order_by(Event.__table__.c.seq)
)


def events_from(board_id: int, seq: int) -> list[EventRecord]:
    """The board's events from `seq` on (inclusive), in order, as committed now (rows, not
    objects: they are only sent)."""
    rows = db.session.connection().execute(_EVENTS_FROM, {"board": board_id, "seq": seq})
    return list(rows)  # type: ignore[arg-type]


def board_last_seq(board_id: int) -> int | None:
    """The board's last committed seq, read fresh (None: no such board)."""
    return db.session.scalar(
        sa.select(Board.last_seq)
        .where(Board.id == board_id)
        .execution_options(populate_existing=True)
    )


# --- events committed elsewhere -------------------------------------------------------------


def ensure_poller(app: Flask) -> None:
    """Start this process's poller unless it runs. Called when there is something to watch
    (a signed-in socket, a join, or a socket not signed in yet), so a process that serves no
    sockets (the CLI, a forking master) starts none."""
    registry: Registry = app.extensions[REGISTRY]
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
    gate: SocketGate = app.extensions[SOCKET_GATE]
    failing = ""
    while True:
        socketio.sleep(interval)
        with registry.lock:
            boards = registry.watched_boards()
            people = registry.connected_users()
            if (
                not boards and not people and not gate.has_pending()
            ) or socketio.server is not server:
                registry.poller = None
                registry.notified_upto = None
                return
        gate.reap()
        if not boards and not people:
            continue
        with app.app_context():
            try:
                if boards:
                    _send_what_others_committed(registry, boards, server)
                if people:
                    _push_what_others_notified(registry, people)
                failing = ""
            except Exception as error:  # the database or queue is away: try again next time
                if str(error) != failing:
                    app.logger.warning("live poll failed: %s", error)
                failing = str(error)
            finally:
                db.session.remove()


def _push_what_others_notified(registry: Registry, people: set[int]) -> None:
    """Notifications written by another process (`tracker comment`, a node without a message
    queue) for people with a socket here: their unread counts, as `notifications.push` sends
    after a commit here. One query a round while nothing is new. A count this process already
    pushed is pushed again: the same number, which the pages take as nothing new."""
    newest = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    upto, registry.notified_upto = registry.notified_upto, newest
    if upto is None or newest <= upto:
        return
    reached = set(
        db.session.scalars(
            sa.select(Notification.user_id)
            .where(Notification.id > upto, Notification.id <= newest)
            .where(Notification.user_id.in_(people))
            .distinct()
        )
    )
    notifications.push(reached)


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
            fingerprint is None or event is None or fingerprint_of(event) == fingerprint
        ):
            continue
        if socketio.server is not server:
            return  # another app took over the socket server meanwhile (tests)
        flush_board(board_id)
