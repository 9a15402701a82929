"""What a request may carry (`tracker.limits`): ids in URLs, JSON nesting, body size.

- Every route with an id in its path, at 2**63, 2**80 and 5,000 digits: 404 (the API's error
  shape naming the id), never an OverflowError from the database driver.
- Every JSON entry point (each API endpoint with a body, `request.get_json`, Socket.IO
  packets) refuses JSON nested 1,000 deep, or beyond JSON_MAX_DEPTH, with 400 and the error
  shape (an error acknowledgement for a socket).
- Bodies over MAX_CONTENT_LENGTH (1 MiB by default), with or without Content-Length: 413, in
  the error shape for the API and as a page otherwise.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from tests import factories
from tests.api.test_permissions import World, assert_error_shape, make_world
from tests.conftest import AuthActions, FreshContextClient, _config
from tests.domain.test_text_rule import snapshot
from tracker import create_app, limits
from tracker.api import views as api_views
from tracker.extensions import db, socketio
from tracker.models import Board, User

MiB = 1024 * 1024


@pytest.fixture
def world(the_board: Board, users: dict[str, User]) -> World:
    return make_world(the_board, users)


@pytest.fixture
def envoy(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens['envoy']}"}


# --- ids in URLs --------------------------------------------------------------------------

HUGE = {"2**63": str(2**63), "2**80": str(2**80), "5000 digits": "9" * 5000}
_VARIABLE = re.compile(r"<(?:(\w+)(?:\((.*?)\))?:)?(\w+)>")


def _url_with(rule: Any, value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        converter, args, _name = match.groups()
        if converter == "int":
            return value
        if converter == "any":
            return args.split(",")[0].strip()
        raise AssertionError(f"{rule.rule}: no test value for <{converter}>")

    with_ids = _VARIABLE.sub(replace, rule.rule)
    return with_ids


def _id_rules(app: Flask) -> list[tuple[Any, str]]:
    """(rule, method) for every route with an integer in its path."""
    found = []
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        found.append((rule, "GET" if "GET" in methods else methods[0]))
    return found


@pytest.mark.parametrize("value", HUGE.values(), ids=HUGE.keys())
def test_every_route_answers_404_for_an_id_beyond_range(
    app: Flask, client: FlaskClient, world: World, value: str
) -> None:
    """GET /initiatives/9223372036854775808 was a 500 (OverflowError), and so were the other
    page routes. Signed in as an admin, so every page and action is reachable."""
    auth = AuthActions(client)
    auth.login(world.users["admin"])
    token = auth.csrf_token("/account")
    rules = _id_rules(app)
    assert len(rules) >= 30
    assert {r.rule for r, _ in rules} >= {
        "/initiatives/<int:initiative_id>",
        "/admin/people/<int:user_id>",
    }
    before = snapshot(world.board.id)
    problems = []
    for rule, method in rules:
        url = _url_with(rule, value)
        try:
            response = client.open(
                url,
                method=method,
                data={"csrf_token": token} if method != "GET" else None,
                headers={"X-CSRFToken": token},
            )
        except Exception as error:  # what a 500 is in the test client
            problems.append(f"{method} {rule.rule}: {error!r}")
            continue
        if response.status_code != 404:
            problems.append(f"{method} {rule.rule}: {response.status_code}")
        elif url.startswith("/api/") and len(value) < 100:
            error = assert_error_shape(response, 404)
            names = [name for name in rule.arguments if name.endswith("_id")]
            assert set(error["fields"]) == set(names), (rule.rule, error)
        elif not url.startswith("/api/"):
            assert response.mimetype == "text/html", (rule.rule, response.mimetype)
    assert problems == []
    assert snapshot(world.board.id) == before


def test_huge_initiative_id_page_says_it_does_not_exist(client: FlaskClient, world: World) -> None:
    AuthActions(client).login(world.users["viewer"])
    response = client.get("/initiatives/9223372036854775808")
    assert response.status_code == 404
    assert "Initiative 9223372036854775808 does not exist." in response.get_data(as_text=True)


def test_api_names_the_id_beyond_range(client: FlaskClient, envoy: dict[str, str]) -> None:
    response = client.get(f"/api/v1/initiatives/{2**63}", headers=envoy)
    error = assert_error_shape(response, 404)
    assert error["code"] == "not_found"
    assert error["fields"] == {"initiative_id": "no such initiative"}


def test_ids_up_to_the_range_still_reach_the_view(client: FlaskClient, world: World) -> None:
    AuthActions(client).login(world.users["viewer"])
    assert client.get(f"/initiatives/{limits.MAX_ID}").status_code == 404
    assert client.get(f"/initiatives/{world.foreign}").status_code == 200


# --- deeply nested JSON -------------------------------------------------------------------


def _json_views() -> list[str]:
    views = []
    for name, view in sorted(vars(api_views).items()):
        parameters = (getattr(view, "_apidoc", None) or {}).get("arguments", {})
        if any(p["in"] == "json" for p in parameters.get("parameters", [])):
            views.append(name)
    return views


JSON_VIEWS = _json_views()
JSON_URLS = {
    "propose_initiative": ("POST", lambda w: f"/api/v1/boards/{w.board.id}/initiatives"),
    "edit_initiative": ("PATCH", lambda w: f"/api/v1/initiatives/{w.foreign}"),
    "move_initiative": ("POST", lambda w: f"/api/v1/initiatives/{w.foreign}/move"),
    "archive_initiative": ("POST", lambda w: f"/api/v1/initiatives/{w.foreign}/archive"),
    "restore_initiative": ("POST", lambda w: f"/api/v1/initiatives/{w.foreign}/restore"),
    "claim_role": ("POST", lambda w: f"/api/v1/initiatives/{w.foreign}/claims"),
    "add_comment": ("POST", lambda w: f"/api/v1/initiatives/{w.foreign}/comments"),
}


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


DEEP_BODIES = {
    "array-1000-deep": nested(1000),
    "array-100000-deep": nested(100_000),
    "in-a-field": '{"title": ' + nested(1000) + ', "version": 1}',
    "objects-33-deep": '{"a": ' * 33 + "1" + "}" * 33,
    "array-33-deep": nested(33),
}


def test_json_walk_covers_every_endpoint_with_a_body() -> None:
    assert JSON_VIEWS and set(JSON_VIEWS) == set(JSON_URLS)


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize("view", JSON_VIEWS)
def test_api_refuses_deeply_nested_json_with_400_and_writes_nothing(
    client: FlaskClient, world: World, envoy: dict[str, str], view: str, body: str
) -> None:
    method, url = JSON_URLS[view]
    before = snapshot(world.board.id)
    response = client.open(
        url(world), method=method, data=body, content_type="application/json", headers=envoy
    )
    error = assert_error_shape(response, 400)
    assert error["fields"] == {"body": "JSON nested more than 32 levels deep is refused."}
    assert snapshot(world.board.id) == before


def test_api_takes_json_nested_up_to_the_limit_as_any_other_body(
    client: FlaskClient, world: World, envoy: dict[str, str]
) -> None:
    """32 levels parse; the schema then names the unknown field (422), as for any body."""
    body = '{"title": ' + nested(31) + "}"
    response = client.post(
        f"/api/v1/boards/{world.board.id}/initiatives",
        data=body,
        content_type="application/json",
        headers=envoy,
    )
    assert assert_error_shape(response, 422)["fields"]["title"]


def test_api_refuses_a_number_too_long_to_convert_with_400(
    client: FlaskClient, world: World, envoy: dict[str, str]
) -> None:
    before = snapshot(world.board.id)
    response = client.post(
        f"/api/v1/boards/{world.board.id}/initiatives",
        data='{"title": "x", "grand_challenge_id": ' + "9" * 5000 + "}",
        content_type="application/json",
        headers=envoy,
    )
    error = assert_error_shape(response, 400)
    assert "4300 digits" in error["fields"]["body"]
    assert snapshot(world.board.id) == before


@pytest.mark.parametrize("body", [nested(1000), nested(40)], ids=["1000-deep", "40-deep"])
def test_request_get_json_refuses_deep_json_as_a_bad_request(app: Flask, body: str) -> None:
    with (
        app.test_request_context(method="POST", data=body, content_type="application/json"),
        pytest.raises(BadRequest),
    ):
        request.get_json()
    with app.test_request_context(method="POST", data="[[1]]", content_type="application/json"):
        assert request.get_json() == [[1]]


# --- Socket.IO packets --------------------------------------------------------------------


@pytest.fixture
def sockets(app: Flask, world: World) -> Iterator[Any]:
    """Sign-in sockets joined to the world's board: (the sender, another viewer)."""
    opened = []
    for role in ("envoy", "member"):
        web = app.test_client()
        AuthActions(web).login(world.users[role])
        sock = socketio.test_client(app, flask_test_client=web)
        assert sock.emit("join", {"board_id": world.board.id, "since": 0}, callback=True)
        opened.append(sock)
    for sock in opened:
        sock.get_received()
    yield opened
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def send_raw(sock: Any, encoded: str) -> Any:
    """Hand the server one Socket.IO packet exactly as written; its acknowledgement."""
    sock.socketio.server._handle_eio_message(sock.eio_sid, encoded)
    ack, sock.acks = sock.acks, None
    return ack["args"][0] if ack else None


MALFORMED_PACKETS = {
    "editing-1000-deep": '27["editing",' + nested(1000) + "]",
    "editing-40-deep": '27["editing",{"board_id":' + nested(40) + "}]",
    "join-100000-deep": '27["join",' + nested(100_000) + "]",
    "number-5000-digits": '27["editing",{"board_id":' + "9" * 5000 + "}]",
    "not-json": '27["editing",{"board_id":',
    "event-not-a-list": '27{"board_id":1}',
    "event-empty-list": "27[]",
    "event-name-not-text": "27[1,2]",
    # Packet types a client may not send: python-socketio would raise on each.
    "connect-error": "47{}",
    "binary-event": '51-7["join",{"_placeholder":true,"num":0}]',
    "binary-ack": '61-7[{"_placeholder":true,"num":0}]',
    "unknown-type": '97["join",{"board_id":1}]',
}


@pytest.mark.parametrize("encoded", MALFORMED_PACKETS.values(), ids=MALFORMED_PACKETS.keys())
def test_socket_packets_that_cannot_be_read_get_an_error_acknowledgement(
    sockets: Any, world: World, encoded: str, caplog: pytest.LogCaptureFixture
) -> None:
    sender, other = sockets
    ack = send_raw(sender, encoded)
    assert ack["error"]["code"] == "bad_request"
    assert ack["error"]["message"]
    assert set(ack["error"]["fields"]) == {"payload"}
    assert sender.is_connected()
    assert other.get_received() == []  # no presence, no event
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    # The connection still works.
    assert sender.emit("join", {"board_id": world.board.id, "since": 0}, callback=True)


def test_socket_deep_packet_without_an_acknowledgement_is_dropped_quietly(
    sockets: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sender, other = sockets
    assert send_raw(sender, '2["editing",' + nested(5000) + "]") is None
    assert other.get_received() == []
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


@pytest.mark.parametrize("encoded", ["", "4", "6", "7", "8", "9", "5"])
def test_socket_packets_a_client_may_not_send_are_dropped_quietly_without_an_ack_id(
    sockets: Any, world: World, encoded: str, caplog: pytest.LogCaptureFixture
) -> None:
    sender, other = sockets
    assert send_raw(sender, encoded) is None
    assert sender.is_connected()
    assert other.get_received() == []
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert sender.emit("join", {"board_id": world.board.id, "since": 0}, callback=True)


@pytest.mark.parametrize("event", ["move", "claim", "x" * 500, "board_event", "presence"])
def test_socket_event_without_a_handler_gets_an_error_acknowledgement(
    sockets: Any, event: str, caplog: pytest.LogCaptureFixture
) -> None:
    sender, other = sockets
    ack = sender.emit(event, {"board_id": 1}, callback=True)
    assert ack["error"]["code"] == "not_found"
    assert ack["error"]["fields"] == {"event": "no such event"}
    assert len(ack["error"]["message"]) < 80
    assert sender.is_connected()
    assert other.get_received() == []
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


# --- request size -------------------------------------------------------------------------


def _big_json(size: int) -> bytes:
    """A valid comment body of `size` bytes (JSON allows trailing white space)."""
    body = b'{"body": "A long note"}'
    return body + b" " * (size - len(body))


def _chunked(data: bytes) -> dict[str, Any]:
    """Send `data` with no Content-Length, as a server hands on a chunked request."""
    return {
        "input_stream": io.BytesIO(data),
        "environ_overrides": {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
    }


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_api_body_over_the_limit_is_413_with_the_error_shape(
    client: FlaskClient, world: World, envoy: dict[str, str], chunked: bool
) -> None:
    data = _big_json(MiB + 1)
    url = f"/api/v1/initiatives/{world.foreign}/comments"
    before = snapshot(world.board.id)
    if chunked:
        response = client.post(
            url, content_type="application/json", headers=envoy, **_chunked(data)
        )
    else:
        response = client.post(url, data=data, content_type="application/json", headers=envoy)
    error = assert_error_shape(response, 413)
    assert error["code"] == "too_large"
    assert "1,048,576 bytes" in error["message"]
    assert snapshot(world.board.id) == before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_api_body_at_the_limit_is_read(
    client: FlaskClient, world: World, envoy: dict[str, str], chunked: bool
) -> None:
    data = _big_json(MiB)
    url = f"/api/v1/initiatives/{world.foreign}/comments"
    if chunked:
        response = client.post(
            url, content_type="application/json", headers=envoy, **_chunked(data)
        )
    else:
        response = client.post(url, data=data, content_type="application/json", headers=envoy)
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_page_form_over_the_limit_is_413_as_a_page(
    client: FlaskClient, world: World, chunked: bool
) -> None:
    auth = AuthActions(client)
    auth.login(world.users["envoy"])
    token = auth.csrf_token("/account")
    data = f"csrf_token={token}&body=".encode() + b"x" * MiB
    url = f"/initiatives/{world.foreign}/comments"
    form = "application/x-www-form-urlencoded"
    before = snapshot(world.board.id)
    if chunked:
        response = client.post(url, content_type=form, **_chunked(data))
    else:
        response = client.post(url, data=data, content_type=form)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "The request is too large: the tracker accepts at most 1,048,576 bytes." in page
    assert "Back to the board" in page
    assert snapshot(world.board.id) == before


# --- character set ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["form", "query"])
def test_a_form_or_address_that_is_not_utf8_is_refused_and_nothing_is_stored(
    client: FlaskClient, world: World, where: str
) -> None:
    auth = AuthActions(client)
    auth.login(world.users["envoy"])
    token = auth.csrf_token("/account")
    url = f"/initiatives/{world.foreign}/comments"
    form = "application/x-www-form-urlencoded"
    before = snapshot(world.board.id)
    if where == "form":
        data = f"csrf_token={token}&body=".encode() + b"caf%E9+%FF%FE"
        response = client.post(url, data=data, content_type=form)
    else:
        response = client.post(url + "?note=%FF", data={"csrf_token": token, "body": "café"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "bytes that are not UTF-8" in page
    assert snapshot(world.board.id) == before
    # The same text in UTF-8 is stored as typed.
    data = f"csrf_token={token}&body=".encode() + b"caf%C3%A9+%E2%82%AC"
    assert client.post(url, data=data, content_type=form).status_code in (302, 303)
    assert snapshot(world.board.id) != before


def test_api_query_that_is_not_utf8_is_a_400_in_the_error_shape(
    client: FlaskClient, envoy: dict[str, str], world: World
) -> None:
    response = client.get(f"/api/v1/boards/{world.board.id}/initiatives?q=%C3", headers=envoy)
    assert_error_shape(response, 400)
    assert "not UTF-8" in response.get_json()["error"]["message"]


@pytest.fixture
def limited_app(database_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app configured through the environment, as an operator would."""
    monkeypatch.setenv("TRACKER_MAX_CONTENT_LENGTH", "4096")
    monkeypatch.setenv("TRACKER_MAX_FORM_MEMORY_SIZE", "1024")
    app = create_app(_config(database_path))
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_body_limits_are_configurable_through_the_environment(limited_app: Flask) -> None:
    assert limited_app.config["MAX_CONTENT_LENGTH"] == 4096
    assert limited_app.config["MAX_FORM_MEMORY_SIZE"] == 1024
    client = limited_app.test_client()
    form = "application/x-www-form-urlencoded"
    # A form field over 1 KiB: refused, though the body is under 4 KiB.
    multipart = client.post(
        "/login", data={"email": "x" * 2000}, content_type="multipart/form-data"
    )
    assert multipart.status_code == 413
    assert client.post("/login", data=b"email=" + b"x" * 5000, content_type=form).status_code == 413
    # Under both: read (and refused for its missing CSRF token, not for its size).
    assert client.post("/login", data=b"email=" + b"x" * 500, content_type=form).status_code == 400
    token = factories.make_token(factories.make_user("envoy"))
    db.session.commit()
    response = client.post(
        "/api/v1/boards/1/initiatives",
        data=b"{}" + b" " * 5000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert assert_error_shape(response, 413)["message"].endswith("at most 4,096 bytes.")
