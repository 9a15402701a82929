"""The one unit of work: every write in the tracker ends with `commit`.

`commit(*events, then=[...])` commits the session; then, and only then, it hands the events'
envelopes to the publisher (`tracker.realtime` installs it: live boards get them) and runs
what must follow a commit (ending the sockets of a session that was just ended). A commit that
fails publishes nothing and runs nothing. Nothing else in the code calls
`db.session.commit()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app

from tracker import events as event_log
from tracker.extensions import db
from tracker.models import Event

PUBLISHER = "tracker.publisher"
Publisher = Callable[[list[dict[str, Any]]], None]


def set_publisher(app: Flask, publisher: Publisher) -> None:
    """Where committed events go (one per app): `publisher(envelopes)`."""
    app.extensions[PUBLISHER] = publisher


def commit(*events: Event | None, then: Iterable[Callable[[], None]] = ()) -> None:
    """Commit; then publish `events` (None entries skipped: an operation that changed
    nothing) and run each of `then`, in order."""
    envelopes = [event_log.envelope(e) for e in events if e is not None]
    db.session.commit()
    publisher = current_app.extensions.get(PUBLISHER)
    if envelopes and publisher is not None:
        publisher(envelopes)
    for step in then:
        step()
