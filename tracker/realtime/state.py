"""Per-process state of live collaboration: who is connected (`Connection`, held by the
`Registry`) and what each board's room has been sent (the sequencers).

Nothing here talks to Socket.IO or the database; the other modules of the package read and
change this state under `Registry.lock`.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from tracker.realtime.roster import LocalRoster, RedisRoster

# Where `init_app` keeps the app's registry (tests read it too) and its socket gate.
REGISTRY = "tracker.registry"
SOCKET_GATE = "tracker.socket_gate"


def room(board_id: int) -> str:
    """The Socket.IO room of a board's viewers."""
    return f"board:{board_id}"


@dataclass
class Connection:
    """One signed-in socket of this process."""

    sid: str
    user_id: int
    name: str
    organisation: str
    # How the socket authenticated: the login session's key, or the API token (its digest,
    # `api_tokens.token_digest`: the token itself is not kept).
    login_session: str | None
    token_digest: str | None
    # When the user was last found still allowed (time.time()): at the connect, then per event.
    checked_at: float = 0.0
    boards: set[int] = field(default_factory=set)
    # Per joined board: the initiative this viewer has open for editing, or None.
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
        """Hold the board's lock: one sender at a time per board."""
        with self._guard:
            lock = self._locks[board_id]
        with lock:
            yield

    def mark(self, board_id: int) -> Mark | None:
        """The last event sent to the board's room (None: nothing sent from here yet)."""
        return self._sent.get(board_id)

    def sent(self, board_id: int) -> int | None:
        """The seq of the last event sent to the board's room."""
        mark = self._sent.get(board_id)
        return mark[0] if mark else None

    def set_sent(self, board_id: int, seq: int, fingerprint: str | None = None) -> None:
        """Remember the last event sent to the board's room."""
        self._sent[board_id] = (seq, fingerprint)


class RedisSequencer:
    """The same, shared by every worker through Redis, so that the events of a board reach
    its viewers once and in order whichever worker committed them."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    @contextmanager
    def board(self, board_id: int) -> Iterator[None]:
        """Hold the board's lock across workers; raises when Redis does not answer."""
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
        """As `LocalSequencer.mark`; raises when Redis does not answer."""
        # "SEQ" or "SEQ FINGERPRINT" (an older worker wrote the seq alone).
        value = self._redis.get(f"tracker:board:{board_id}:sent")
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else str(value)
        seq, _, fingerprint = text.partition(" ")
        return int(seq), fingerprint or None

    def sent(self, board_id: int) -> int | None:
        """As `LocalSequencer.sent`."""
        mark = self.mark(board_id)
        return mark[0] if mark else None

    def set_sent(self, board_id: int, seq: int, fingerprint: str | None = None) -> None:
        """As `LocalSequencer.set_sent`."""
        value = f"{seq} {fingerprint}" if fingerprint else str(seq)
        self._redis.set(f"tracker:board:{board_id}:sent", value)


@dataclass
class PresenceState:
    """What the presence ticker (`presence._tick`) needs between rounds, per board."""

    # Boards whose list changed here and has not been sent since; the sockets that joined.
    dirty: set[int] = field(default_factory=set)
    joiners: dict[int, set[str]] = field(default_factory=dict)
    # When each board's list was last sent (time.monotonic()), and what it was.
    sent_at: dict[int, float] = field(default_factory=dict)
    digest: dict[int, str] = field(default_factory=dict)
    ticker: Any = None
    wake: Any = None  # an event of the server's async mode


class Registry:
    """Who is connected to this process, the board sequencer, and the presence roster."""

    def __init__(
        self,
        sequencer: LocalSequencer | RedisSequencer,
        roster: LocalRoster | RedisRoster | None = None,
    ) -> None:
        # Re-entrant: the poller holds it while asking for `watched_boards`.
        self.lock = threading.RLock()
        self.connections: dict[str, Connection] = {}
        self.sequencer = sequencer
        # Boards whose push is being retried (the queue was away), so one retry each.
        self.retrying: set[int] = set()
        # The background task sending what other processes committed (see `ensure_poller`).
        self.poller: Any = None
        self.roster = roster or LocalRoster()
        self.presence = PresenceState()
        # The newest notification id the poller has looked at (None: not started), so that
        # notifications written by other processes reach this process's sockets too.
        self.notified_upto: int | None = None

    def connected_users(self) -> set[int]:
        """The people with a socket in this process."""
        with self.lock:
            return {conn.user_id for conn in self.connections.values()}

    def watched_boards(self) -> set[int]:
        """The boards some socket of this process has joined."""
        with self.lock:
            return {b for conn in self.connections.values() for b in conn.boards}

    def viewers_by_board(self) -> dict[int, list[Connection]]:
        """This process's connections per joined board."""
        with self.lock:
            found: dict[int, list[Connection]] = {}
            for conn in self.connections.values():
                for board_id in conn.boards:
                    found.setdefault(board_id, []).append(conn)
            return found

    def forget(self, sid: str) -> set[int]:
        """Drop a socket's connection; the boards it was watching."""
        with self.lock:
            conn = self.connections.pop(sid, None)
        return conn.boards if conn else set()


def current_registry() -> Registry:
    """The current app's registry."""
    return current_app.extensions[REGISTRY]
