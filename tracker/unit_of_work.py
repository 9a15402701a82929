"""The one unit of work: every write in the tracker ends with `commit`.

`commit(*events, then=[...])` commits the session; then, and only then, it hands the events'
envelopes to the publisher (`tracker.realtime` installs it: live boards get them) and runs
what must follow a commit (ending the sockets of a session that was just ended). A commit that
fails publishes nothing and runs nothing. Nothing else in the code calls
`db.session.commit()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Flask, current_app

from tracker import events as event_log
from tracker.extensions import db
from tracker.models import Event
from tracker.operations import Change

PUBLISHER = "tracker.publisher"
SOCKET_ENDER = "tracker.socket_ender"
NOTIFIER = "tracker.notifier"
Publisher = Callable[[list[dict[str, Any]]], None]
# Given the events about to be committed, adds what they cause in the same transaction and
# returns what to do once they are committed (`tracker.notifications`).
Notifier = Callable[[list[Event]], Callable[[], None]]


def set_publisher(app: Flask, publisher: Publisher, end_sockets: Callable[[int], None]) -> None:
    """Where committed events go (one per app): `publisher(envelopes)`; and how the open
    sockets of a user who just lost access are ended: `end_sockets(user_id)`."""
    app.extensions[PUBLISHER] = publisher
    app.extensions[SOCKET_ENDER] = end_sockets


def set_notifier(app: Flask, notifier: Notifier) -> None:
    """What each commit of events also writes (notifications), and pushes after it."""
    app.extensions[NOTIFIER] = notifier


def commit(*events: Event | None, then: Iterable[Callable[[], None]] = ()) -> None:
    """Commit, with what the events cause (the notifier's rows); then publish `events` (None
    entries skipped: an operation that changed nothing), push the notifications and run each
    of `then`, in order."""
    written = [e for e in events if e is not None]
    envelopes = [event_log.envelope(e) for e in written]
    notifier = current_app.extensions.get(NOTIFIER)
    after = notifier(written) if notifier is not None and written else None
    db.session.commit()
    publisher = current_app.extensions.get(PUBLISHER)
    if envelopes and publisher is not None:
        publisher(envelopes)
    if after is not None:
        after()
    for step in then:
        step()


def commit_change(change: Change[Any]) -> None:
    """End an operation's unit of work: commit, publish its event, then end the sockets of
    everyone it cut off (`Change.end_sockets_of`)."""
    end_sockets = current_app.extensions.get(SOCKET_ENDER)
    commit(
        change.event,
        then=[partial(end_sockets, user_id) for user_id in change.end_sockets_of]
        if end_sockets is not None
        else [],
    )
