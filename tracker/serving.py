"""How this process serves: gevent (the production server and `tracker run`, both gunicorn
as deploy/gunicorn.conf.py configures it) or threads (`tracker run --debug`, most tests).

gunicorn's gevent worker monkey-patches the standard library before it loads the app, so
locks, sockets, Redis and PostgreSQL calls already yield to other greenlets. Two kinds of work
do not: CPU-bound C code (Argon2 hashing, about 50 ms a hash) and anything that holds the GIL
for long. `off_event_loop` runs such a call in gevent's thread pool, so one sign-in does not
stall every open socket for its duration.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

T = TypeVar("T")


def gevent_active() -> bool:
    """Whether the standard library's sockets are gevent's (the process serves with gevent)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("socket"))


def async_mode() -> str:
    """Flask-SocketIO's async mode for this process: "gevent" or "threading"."""
    return "gevent" if gevent_active() else "threading"


def cooperate() -> None:
    """Let other greenlets run for a moment, when serving with gevent: a long computation on
    the event loop calls it every few milliseconds of work. Nothing otherwise."""
    if gevent_active():
        import gevent

        # Not sleep(0), which may run the other ready greenlets without polling the
        # sockets: a positive wait goes round the event loop once.
        gevent.sleep(0.000001)


def off_event_loop(function: Callable[..., T], *args: object) -> T:
    """`function(*args)`, in gevent's thread pool when serving with gevent (the calling
    greenlet waits; the others run); directly otherwise. Exceptions propagate."""
    if not gevent_active():
        return function(*args)
    import gevent

    def call() -> tuple[bool, object]:
        # Hand the exception back rather than raising in the pool, where gevent would log
        # it as a failed task (a wrong password is not a failure of the server).
        try:
            return True, function(*args)
        except Exception as error:
            return False, error

    done, result = gevent.get_hub().threadpool.apply(call)
    if not done:
        assert isinstance(result, Exception)
        raise result
    return result  # type: ignore[return-value]


def close_sockets_when_stopping(worker: Any) -> None:
    """Once the gunicorn `worker` is told to stop, close every open Socket.IO connection of
    this process: its clients reconnect (to the restarted server, or another behind nginx)
    and catch up by sequence number. Without this, the worker would wait its whole graceful
    timeout for sockets that never end by themselves, then kill them mid-read."""
    import gevent

    from tracker.extensions import socketio

    def watch() -> None:
        while worker.alive:
            gevent.sleep(0.25)
        with suppress(Exception):  # nothing to close, or already closing
            socketio.server.eio.disconnect()

    gevent.spawn(watch)
