"""What one request may carry, checked before any of it reaches the database: the range of an
id, how deeply JSON may nest, and (with `MAX_CONTENT_LENGTH` and `MAX_FORM_MEMORY_SIZE` in
`tracker.config`) how large a body may be.

Every way JSON comes in parses it here: API bodies (through flask-smorest's webargs parser),
`request.get_json`, and Socket.IO and Engine.IO packets. Bad input is a clear error — 400 or
404 with the error shape for the API, a page for pages, an error acknowledgement for a socket —
never a 500 or a traceback.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any
from urllib.parse import unquote_to_bytes

import flask
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from socketio import packet as socketio_packet
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter

from tracker.errors import error_body
from tracker.extensions import socketio

# Ids are 32-bit on every database we support (SQLite would take 64, PostgreSQL's integer
# columns do not): a larger id cannot exist, and must not reach a query (OverflowError).
MAX_ID = 2**31 - 1

# Dates people give (due dates, the as-of day, audit ranges): the years the tracker serves, as
# for report weeks. Outside them a date breaks date arithmetic (9999-12-31 plus a day) and
# browsers' date inputs (a year before 1000 is shown as "1-01-01" and lost on the next save).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
DAY_RANGE = "must be a date from 2000 to 2100"
DAY_FORMAT = "must be a date as YYYY-MM-DD"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_day(text: str) -> date | None:
    """A calendar date written YYYY-MM-DD, or None. Stricter than `date.fromisoformat`, which
    since Python 3.11 also reads "2026-W48" (that week's Monday), "2026-W48-3" and "20261130":
    a week typed where a day was asked for must be refused, not taken as its Monday."""
    if not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def day_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def number_arg(value: str | None) -> int | None:
    """A whole number a request may carry in a query string or a hidden field (ASCII digits,
    at most MAX_ID), or None."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


# Our deepest request is two levels ({"board_id": …}); nothing legitimate nests further.
# Refusing early keeps a 1 MiB "[[[[…" from reaching code that recurses over it.
JSON_MAX_DEPTH = 32

# The event a socket packet we cannot read becomes (see SocketPacket).
MALFORMED_EVENT = "tracker:malformed"
# The server's own events (python-socketio's `reserved_events`), never a client's.
RESERVED_EVENTS = frozenset({"connect", "disconnect"})


# --- JSON ---------------------------------------------------------------------------------


class BadJSON(json.JSONDecodeError):
    """JSON we refuse although `json` may parse it (too deep, a number too long). A
    `JSONDecodeError`, so webargs and Werkzeug treat it as any malformed body: 400."""

    def __init__(self, message: str, document: str) -> None:
        super().__init__(message, document or " ", 0)


def _too_deep(value: Any, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether `value` nests lists and objects more than `limit` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(document: str | bytes) -> Any:
    """`json.loads`, refusing with `BadJSON` what would otherwise fail later or not as a
    `ValueError`: nesting deeper than JSON_MAX_DEPTH (or than Python's stack allows, a
    `RecursionError`) and integers longer than Python converts (4,300 digits)."""
    if isinstance(document, bytes):
        document = document.decode("utf-8")
    too_deep = f"JSON nested more than {JSON_MAX_DEPTH} levels deep is refused."
    try:
        value = json.loads(document)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise BadJSON(too_deep, document) from None
    except ValueError as error:  # "Exceeds the limit (4300 digits) for integer string …"
        raise BadJSON(f"Not JSON we accept: {error}", document) from None
    if isinstance(value, dict | list) and _too_deep(value):
        raise BadJSON(too_deep, document)
    return value


class SafeJSON:
    """A `json` module for python-socketio and python-engineio (their `json=` option)."""

    dumps = staticmethod(json.dumps)
    loads = staticmethod(loads)


class JSONProvider(DefaultJSONProvider):
    """`request.get_json()` parses with `loads`: a refused body is Werkzeug's 400."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class ArgumentsParser(FlaskParser):
    """flask-smorest's webargs parser, reading JSON bodies with `loads`. A body it refuses
    is a 400 naming `body` with the reason."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return loads(_text_of(req))

    def _handle_invalid_json_error(
        self,
        error: json.JSONDecodeError | UnicodeDecodeError,
        req: flask.Request,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        reason = error.msg if isinstance(error, BadJSON) else "Invalid JSON body."
        abort(400, exc=error, messages={"json": [reason]})


def _text_of(req: flask.Request) -> str:
    data = req.get_data(cache=True)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(
            f"Bytes decoding error : {error.reason}", doc=str(error.object), pos=error.start
        ) from error


# --- Socket.IO ----------------------------------------------------------------------------


# What a client may send: connect, disconnect, an event, an acknowledgement. No binary.
CLIENT_PACKET_TYPES = frozenset(
    {
        socketio_packet.CONNECT,
        socketio_packet.DISCONNECT,
        socketio_packet.EVENT,
        socketio_packet.ACK,
    }
)


class SocketPacket(socketio_packet.Packet):
    """python-socketio's packet, never failing to decode.

    A packet it cannot read (bad JSON, too deep, not an event at all) would otherwise raise
    in python-socketio's message handler: a traceback in the log, and a client waiting in
    vain for its acknowledgement. Instead an event becomes `MALFORMED_EVENT`, whose handler
    acknowledges with an error (when the client asked for an acknowledgement); a connect
    packet whose `auth` cannot be read carries none (the session cookie then decides).
    """

    json = SafeJSON

    def __init__(self, *args: Any, encoded_packet: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, encoded_packet=encoded_packet, **kwargs)
        if encoded_packet is not None and not encoded_packet:
            # python-socketio skips decoding an empty packet and would handle it as an event
            # without data.
            self._malformed("The packet is empty.")

    def decode(self, encoded_packet: Any) -> int:
        try:
            count = super().decode(encoded_packet)
        except (ValueError, RecursionError) as error:
            reason = error.msg if isinstance(error, BadJSON) else "The packet is not valid."
            return self._malformed(reason)
        if self.packet_type not in CLIENT_PACKET_TYPES:
            # Unknown types, a CONNECT_ERROR (only servers send those) and binary packets
            # (the tracker's events carry none): python-socketio would raise on them.
            return self._malformed("The packet is not one a client may send.")
        if self.packet_type != socketio_packet.EVENT:
            return count or 0
        data = self.data
        if not (isinstance(data, list) and data and isinstance(data[0], str)):
            return self._malformed("An event must be a list: its name, then its payload.")
        if data[0] in RESERVED_EVENTS:
            # python-socketio would run the server's own connect/disconnect handler for it:
            # a "disconnect" would forget a socket that stays in its rooms.
            return self._malformed(f"“{data[0]}” is not an event a client may send.")
        return count or 0

    def _malformed(self, reason: str) -> int:
        if self.packet_type == socketio_packet.CONNECT:  # type: ignore[has-type]
            self.data = None
        else:
            self.packet_type = socketio_packet.EVENT
            self.data = [MALFORMED_EVENT, reason]
        self.attachment_count = 0
        return 0


@socketio.on(MALFORMED_EVENT)
def on_malformed(reason: Any = None) -> dict[str, Any]:
    """The error acknowledgement for a packet that could not be read."""
    message = reason if isinstance(reason, str) else "The packet is not valid."
    return error_body("bad_request", message, {"payload": message})


@socketio.on("*")
def on_unknown_event(event: Any, *_args: Any) -> dict[str, Any]:
    """The error acknowledgement for an event the server has no handler for: a client that
    asked for an acknowledgement is told, rather than left waiting for one."""
    name = str(event)
    shown = name if len(name) <= 40 else name[:40] + "…"
    return error_body(
        "not_found", f"There is no event called “{shown}”.", {"event": "no such event"}
    )


# --- ids in URLs --------------------------------------------------------------------------


class OutOfRange:
    """What an id converter makes of digits beyond MAX_ID (however many: Python will not even
    convert more than 4,300): no object has that id."""

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __str__(self) -> str:
        return self.digits if len(self.digits) <= 20 else self.digits[:20] + "…"


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: every integer in our URLs is an id. Digits beyond MAX_ID are
    kept as `OutOfRange` (not a failed match, which would answer 405 where the path has a
    route for another method) and answered 404 by `_ids_in_range` before any view runs."""

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_ID)) or int(value) > MAX_ID:
            return OutOfRange(value)
        return super().to_python(value)


class IdNotFound(NotFound):
    """Ids in the URL beyond MAX_ID, `{name: value}`: no such object can exist. Carries the
    fields, so the API's error shape names each as for any unknown id."""

    def __init__(self, beyond: dict[str, object]) -> None:
        said = {name: name.removesuffix("_id").replace("_", " ") for name in beyond}
        name, value = next(iter(beyond.items()))
        what = said[name]
        super().__init__(f"{what[:1].upper()}{what[1:]} {value} does not exist.")
        self.data = {"fields": {name: f"no such {what}" for name, what in said.items()}}


def _ids_in_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id out of range is a 404 before any view runs (pages, admin, reports and API
    alike), not an OverflowError in the database driver; every such id is named."""
    beyond = {
        name: value for name, value in (values or {}).items() if isinstance(value, OutOfRange)
    }
    if beyond:
        raise IdNotFound(beyond)


# --- request size -------------------------------------------------------------------------


class ChunkedBodyLimit:
    """WSGI middleware for bodies sent without a Content-Length (chunked transfer).

    Werkzeug reads such a body only up to MAX_CONTENT_LENGTH and hands the truncated part on
    as if it were all (a form without its CSRF token, JSON cut short): a 400 at best. Here
    the body is read up to one byte past the limit and handed on with its length, so that
    Werkzeug refuses one over the limit with 413 exactly as when the length is declared. At
    most the limit (plus one byte) is held in memory; the rest is never read."""

    def __init__(self, wsgi_app: Any, config: Any) -> None:
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        limit = self.config.get("MAX_CONTENT_LENGTH")
        if limit:
            buffer_chunked_body(environ, limit)
        return self.wsgi_app(environ, start_response)


def buffer_chunked_body(environ: dict[str, Any], limit: int) -> None:
    """A body sent without a length (chunked) read up to one byte past `limit` (bytes) and
    handed on with its length, so that what comes after sees a declared length it can check;
    at most `limit + 1` bytes are held, the rest never read. Other bodies are left alone."""
    if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    stream, parts, size = environ["wsgi.input"], [], 0
    while size <= limit:
        data = stream.read(min(64 * 1024, limit + 1 - size))
        if not data:
            break
        parts.append(data)
        size += len(data)
    environ["wsgi.input"] = io.BytesIO(b"".join(parts))
    environ["CONTENT_LENGTH"] = str(size)
    del environ["HTTP_TRANSFER_ENCODING"]


# --- character set of forms and query strings ---------------------------------------------


def _not_utf8(encoded: bytes) -> bool:
    """Whether a URL-encoded string (`a=1&b=%C3%A9`) holds bytes that are not UTF-8."""
    try:
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _forms_are_utf8() -> None:
    """A query string or form that is not UTF-8 is a 400 before any view runs.

    Werkzeug would decode the bytes leniently and hand on U+FFFD in their place, to be
    stored as if typed (a browser always sends UTF-8, so only a broken or hostile client
    does this). JSON bodies are refused by their own parser."""
    query = request.query_string
    form = request.mimetype == "application/x-www-form-urlencoded"
    if _not_utf8(query) or (form and _not_utf8(request.get_data(cache=True))):
        raise BadRequest(
            "The request could not be read: the tracker takes text in UTF-8, and this "
            f"{'address' if _not_utf8(query) else 'form'} holds bytes that are not UTF-8."
        )


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: their routes take the id converter."""
    app.json = JSONProvider(app)
    app.before_request(_forms_are_utf8)
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config)  # type: ignore[method-assign]
    app.url_map.converters["int"] = IdConverter
    app.url_value_preprocessor(_ids_in_range)
