"""What a client that has not signed in may hold of the socket server: a small bound per
address, for a few seconds.

Socket.IO authenticates in its CONNECT packet (the session cookie, or `auth: {"token"}`),
which comes after an Engine.IO session has been opened. python-engineio keeps a session for
about 50 s when its client stays silent (a ping after 25 s, then 20 s to answer), holds each
long-poll GET up to 25 s, and python-socketio leaves the session open when it refuses the
CONNECT (it is the client's to close: python-socketio#491). So without this gate anyone could
hold server threads by opening sessions and never signing in.

The gate is a WSGI middleware in front of Engine.IO (inside ProxyFix, so the address is the
client's when `TRUSTED_PROXIES` is set), plus hooks on Engine.IO's connect, message and
disconnect events:

- Every session is *pending* until its CONNECT succeeds.
- A handshake without a signed-in session cookie is refused with 429 and the error shape when
  its address already has `SOCKETIO_PENDING_PER_ADDRESS` such pending sessions (default 5).
  Signed-in browsers are not counted: many may share an address (an office behind one NAT)
  and reconnect at once after a restart; their CONNECT still authenticates.
- Any handshake is refused (429) when `SOCKETIO_FAILED_CONNECTS_PER_ADDRESS` sessions from its
  address ended without signing in (default 30 per minute: refused, timed out or abandoned).
  This bounds the rate too: Engine.IO's ping task outlives a closed session by up to 25 s.
  It applies to session cookies as well, since a cookie that looks signed in at the handshake
  may still be refused at the CONNECT (a session ended on the server).
- A pending session may have one long-poll GET at a time (Engine.IO releases only two of
  several overlapping polls when it closes a session; the others wait 45 s), and at most
  `IN_FLIGHT_PER_PENDING` requests at once (a long-poll, a POST and a WebSocket upgrade);
  more are refused with 429.
- A refused CONNECT closes the session at once, after the error packet (so the client still
  learns why): on a WebSocket, or with a long-poll waiting, at once; otherwise right after the
  client's next poll collects the error, or `CLOSE_GRACE_S` later if it never polls.
- A session not signed in within `SOCKETIO_CONNECT_TIMEOUT` seconds (default 10) is closed by
  `reap()`, which the process's live poller calls about once a second.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from tracker.errors import error_body
from tracker.limits import buffer_chunked_body

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SLOT = "tracker.socket_gate.slot"
IN_FLIGHT_PER_PENDING = 3
# How long a refused long-polling client has to collect its error before its session closes.
CLOSE_GRACE_S = 5.0


@dataclass(eq=False)
class _Pending:
    """A session (or a handshake under way) that has not signed in yet."""

    address: str
    opened: float
    counted: bool  # in its address's share (no signed-in session cookie)
    in_flight: int = 1  # the handshake itself
    polling: bool = False  # a long-poll GET is under way
    sid: str | None = None
    done: bool = False


class SocketGate:
    """The WSGI middleware and Engine.IO hooks described above; one per app.

    `signed_in(environ)` says whether a handshake carries a signed-in session cookie;
    `on_pending()` is called for each new session, so that something calls `reap()`."""

    def __init__(
        self,
        wsgi_app: WSGIApplication,
        *,
        path: str,
        signed_in: Callable[[WSGIEnvironment], bool],
        on_pending: Callable[[], None],
        per_address: int = 5,
        connect_timeout: float = 10.0,
        failures: str = "30 per minute",
        storage_uri: str = "memory://",
        max_body: int = 16 * 1024,
        logger: Any = None,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.max_body = max_body
        self.path = path
        self.signed_in = signed_in
        self.on_pending = on_pending
        self.per_address = per_address
        self.connect_timeout = connect_timeout
        self.failure_limit = parse(failures)
        self.failures = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.logger = logger
        self.eio: Any = None
        self.sio: Any = None
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}  # by Engine.IO sid
        self._per_address: Counter[str] = Counter()  # counted pending sessions
        self._handshakes = 0  # pending sessions and handshakes under way
        # Refused sessions on long-polling whose client has not collected the error yet: closed
        # once it has (its next poll), or after CLOSE_GRACE_S if it never comes back.
        self._closing: dict[str, float] = {}

    # --- hooks on the Socket.IO server ---------------------------------------------------

    def attach(self, sio_server: Any) -> None:
        """Wrap the Engine.IO event handlers that python-socketio registered: each runs first,
        then the gate settles the session's slot."""
        self.sio = sio_server
        self.eio = eio = sio_server.eio
        connect = eio.handlers.get("connect")
        message = eio.handlers.get("message")
        disconnect = eio.handlers.get("disconnect")

        def on_connect(sid: str, environ: dict[str, Any]) -> Any:
            self._opened(sid, environ)
            return connect(sid, environ) if connect else None

        def on_message(sid: str, data: Any) -> Any:
            result = message(sid, data) if message else None
            self._after_message(sid, data)
            return result

        def on_disconnect(sid: str, *args: Any) -> Any:
            result = disconnect(sid, *args) if disconnect else None
            slot = self._pending.get(sid)
            if slot is not None:
                self._settle(slot, failed=True)
            return result

        eio.on("connect", on_connect)
        eio.on("message", on_message)
        eio.on("disconnect", on_disconnect)
        eio.disconnect = self._disconnect_without_waiting

    def _opened(self, sid: str, environ: dict[str, Any]) -> None:
        """Engine.IO opened a session for a handshake the gate let through: track it by sid."""
        slot = environ.get(SLOT)
        if isinstance(slot, _Pending):
            with self._lock:
                slot.sid = sid
                self._pending[sid] = slot

    def _after_message(self, sid: str, data: Any) -> None:
        """A pending session's packet was handled: a CONNECT that succeeded settles it; one
        the server refused settles it as failed and closes it once the error has gone out."""
        slot = self._pending.get(sid)
        if slot is None:
            return
        if self._connected(sid):
            self._settle(slot, failed=False)
        elif isinstance(data, str) and data.startswith("0"):
            self._settle(slot, failed=True)
            self._close_after_error(sid)

    def _close_after_error(self, sid: str) -> None:
        """Close a refused session after its queued error packet. On a WebSocket it goes out
        at once. On long-polling, closing before a poll has collected it would lose it (the
        next poll would find no session): the close follows the poll that collects it."""
        if self._upgraded(sid):
            self._close(sid)
            return
        with self._lock:
            self._closing[sid] = time.monotonic()
        # A poll may have collected it already (and ended) meanwhile.
        if self._collected(sid):
            with self._lock:
                mine = self._closing.pop(sid, None) is not None
            if mine:
                self._close(sid)

    def _disconnect_without_waiting(self, sid: str | None = None) -> None:
        """Replaces `eio.disconnect`. Engine.IO ends a session it cannot go on with (a packet
        too long or unreadable) by closing it and *waiting* until the client has collected
        what is queued; a long-polling client that never polls again held that thread for
        good. Close without waiting: its next poll finds the session gone."""
        eio = self.eio
        for one in [sid] if sid is not None else list(eio.sockets):
            socket = eio.sockets.get(one)
            if socket is not None:
                socket.close(wait=False, abort=False, reason=eio.reason.SERVER_DISCONNECT)
            eio.sockets.pop(one, None)

    def _connected(self, eio_sid: str) -> bool:
        manager = self.sio.manager
        sid = manager.sid_from_eio_sid(eio_sid, "/")
        return sid is not None and bool(manager.is_connected(sid, "/"))

    def _collected(self, eio_sid: str) -> bool:
        """Whether the client has taken every packet queued for it."""
        socket = self.eio.sockets.get(eio_sid) if self.eio is not None else None
        return socket is None or socket.queue.empty()

    def _upgraded(self, eio_sid: str) -> bool:
        socket = self.eio.sockets.get(eio_sid) if self.eio is not None else None
        return bool(socket is not None and socket.upgraded)

    def _close(self, eio_sid: str) -> None:
        socket = self.eio.sockets.get(eio_sid) if self.eio is not None else None
        if socket is not None and not socket.closed:
            # Not waiting for the client to collect the packets: it may never come back.
            socket.close(wait=False, abort=False)

    def _settle(self, slot: _Pending, *, failed: bool) -> None:
        with self._lock:
            if slot.done:
                return
            slot.done = True
            if slot.sid is not None:
                self._pending.pop(slot.sid, None)
            self._release(slot)
        if failed:
            try:
                self.failures.hit(self.failure_limit, "socket-failed", slot.address)
            except Exception as error:  # the limiter's storage is away: do not fail requests
                self._warn("socket gate: could not count a failed connect: %s", error)

    def _release(self, slot: _Pending) -> None:
        self._handshakes -= 1
        if not slot.counted:
            return
        self._per_address[slot.address] -= 1
        if self._per_address[slot.address] <= 0:
            del self._per_address[slot.address]

    # --- housekeeping --------------------------------------------------------------------

    def has_pending(self) -> bool:
        """Whether anything is left for `reap()`: sessions not signed in, or refused ones
        still to close (the poller keeps running while there are)."""
        with self._lock:
            return self._handshakes > 0 or bool(self._closing)

    def reap(self, now: float | None = None) -> int:
        """Close the sessions that have not signed in within the timeout; how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            expired = [
                s
                for s in self._pending.values()
                if not s.done and now - s.opened > self.connect_timeout
            ]
        for slot in expired:
            assert slot.sid is not None
            self._close(slot.sid)
            self._settle(slot, failed=True)  # already done if closing called the hook
        with self._lock:
            abandoned = [s for s, at in self._closing.items() if now - at > CLOSE_GRACE_S]
            for sid in abandoned:
                del self._closing[sid]
        for sid in abandoned:
            self._close(sid)
        return len(expired) + len(abandoned)

    # --- the middleware ------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Engine.IO requests pass the gate (body size, handshake bounds, one poll at a time
        per pending session); every other request goes straight through."""
        if not (environ.get("PATH_INFO") or "").startswith(self.path):
            return self.wsgi_app(environ, start_response)
        too_long = self._body_too_long(environ)
        if too_long:
            return _refuse(
                start_response,
                "too_large",
                f"A message may be at most {self.max_body} bytes.",
                status="413 Content Too Large",
            )
        sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
        if sid is None:
            return self._handshake(environ, start_response)
        poll = environ.get("REQUEST_METHOD") == "GET" and "HTTP_UPGRADE" not in environ
        with self._lock:
            slot = self._pending.get(sid)
            if slot is not None and (
                slot.in_flight >= IN_FLIGHT_PER_PENDING or (poll and slot.polling)
            ):
                return _refuse(
                    start_response,
                    "too_many_requests",
                    "Too many requests at once for a connection that has not signed in.",
                )
            if slot is not None:
                slot.in_flight += 1
                slot.polling = slot.polling or poll
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            if slot is not None:
                with self._lock:
                    slot.in_flight -= 1
                    if poll:
                        slot.polling = False
            if poll:
                with self._lock:
                    collected = self._closing.pop(sid, None) is not None
                if collected:  # the refused client has its error now
                    self._close(sid)

    def _body_too_long(self, environ: WSGIEnvironment) -> bool:
        """Whether a request's body is over the largest message a socket may send. A body
        sent without a length (chunked) is read up to one byte past the limit and handed on
        with its length, so Engine.IO reads exactly what was checked; a longer one is
        refused here, before Engine.IO (which would end the session on it) sees it."""
        buffer_chunked_body(environ, self.max_body)
        try:
            return int(environ.get("CONTENT_LENGTH") or 0) > self.max_body
        except ValueError:
            return True

    def _handshake(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)  # Engine.IO answers it (CORS, 405)
        address = environ.get("REMOTE_ADDR") or "unknown"
        try:
            failing = not self.failures.test(self.failure_limit, "socket-failed", address)
        except Exception as error:
            self._warn("socket gate: could not read failed connects: %s", error)
            failing = False
        if failing:
            return _refuse(
                start_response,
                "too_many_failed_connections",
                "Too many connections from your address failed to sign in; try again later.",
                retry_after=self.failure_limit.get_expiry(),
            )
        counted = not self.signed_in(environ)
        with self._lock:
            busy = counted and self._per_address[address] >= self.per_address
            if not busy:
                slot = _Pending(address, time.monotonic(), counted)
                self._handshakes += 1
                if counted:
                    self._per_address[address] += 1
        if busy:
            return _refuse(
                start_response,
                "too_many_connections",
                "Too many connections from your address are waiting to sign in; try again shortly.",
                retry_after=int(self.connect_timeout),
            )
        environ[SLOT] = slot
        self.on_pending()
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            with self._lock:
                slot.in_flight -= 1
                if slot.sid is None and not slot.done:
                    # Engine.IO opened no session (a bad request): nothing to hold.
                    slot.done = True
                    self._release(slot)

    def _warn(self, message: str, *args: Any) -> None:
        if self.logger is not None:
            self.logger.warning(message, *args)


def _refuse(
    start_response: StartResponse,
    code: str,
    message: str,
    retry_after: int = 10,
    status: str = "429 Too Many Requests",
) -> list[bytes]:
    body = json.dumps(error_body(code, message)).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if status.startswith("429"):
        headers.append(("Retry-After", str(max(1, retry_after))))
    else:
        # The unread body is left behind: the connection cannot carry another request.
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [body]
