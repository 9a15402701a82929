"""Publishing committed events to the people viewing a board.

Entry points call `commit_and_publish(events)`: nothing is published before the commit and
nothing on failure. Live delivery over Socket.IO plugs in here as a publisher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from tracker import events as event_log
from tracker.extensions import db
from tracker.models import Event

Publisher = Callable[[list[dict[str, Any]]], None]


def init_app(app: Flask) -> None:
    app.extensions["tracker.publishers"] = []


def add_publisher(app: Flask, publisher: Publisher) -> None:
    app.extensions["tracker.publishers"].append(publisher)


def publish(envelopes: list[dict[str, Any]]) -> None:
    """Send envelopes of committed events to every publisher."""
    if not envelopes:
        return
    for publisher in current_app.extensions["tracker.publishers"]:
        publisher(envelopes)


def commit_and_publish(*events: Event | None) -> None:
    """The unit of work's end: commit, then (and only then) publish."""
    envelopes = [event_log.envelope(e) for e in events if e is not None]
    db.session.commit()
    publish(envelopes)
