"""Security headers on every response the process serves, whichever layer answers: Flask's
pages, API, static files and errors, Engine.IO's polling answers and errors, and the socket
gate's refusals (which never pass through Flask)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import AuthActions, _config
from tests.factories import make_token
from tracker import create_app
from tracker.extensions import db

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

POLLING = "/socket.io/?EIO=4&transport=polling"


def _assert_headers(response: Any, what: str) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, f"{what}: {name}"
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("default-src") == "'self'", f"{what}: {csp!r}"
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("script-src") == "'self'", what
    assert "Strict-Transport-Security" not in response.headers, what  # not in development


def _signed_in(client: FlaskClient, user: Any) -> FlaskClient:
    AuthActions(client).login(user)
    return client


# Each case: what it is, the status it must answer with, and how to get it.
Request = Callable[[FlaskClient, dict[str, Any]], Any]
CASES: list[tuple[str, int, Request]] = [
    ("sign-in page", 200, lambda c, _: c.get("/login")),
    ("redirect to sign in", 302, lambda c, _: c.get("/")),
    ("board page", 200, lambda c, u: _signed_in(c, u["envoy"]).get(f"/boards/{u['board']}")),
    ("API", 200, lambda c, u: c.get("/api/v1/boards", headers=u["bearer"])),
    ("API error", 401, lambda c, _: c.get("/api/v1/boards")),
    ("static file", 200, lambda c, _: c.get("/static/css/tracker.css")),
    ("not found", 404, lambda c, _: c.get("/no-such-page")),
    ("API not found", 404, lambda c, u: c.get("/api/v1/boards/424242", headers=u["bearer"])),
    (
        "request too large",
        413,
        lambda c, u: c.post(
            f"/api/v1/boards/{u['board']}/initiatives",
            json={"title": "x" * 4096},
            headers=u["bearer"],
        ),
    ),
    ("health", 200, lambda c, _: c.get("/healthz")),
    ("Socket.IO polling handshake", 200, lambda c, _: c.get(POLLING)),
    (
        "Socket.IO polling handshake, signed in",
        200,
        lambda c, u: _signed_in(c, u["envoy"]).get(POLLING),
    ),
    ("Socket.IO unsupported protocol", 400, lambda c, _: c.get("/socket.io/?EIO=3")),
    ("Socket.IO unknown session", 400, lambda c, _: c.get(POLLING + "&sid=nonsense")),
    ("Socket.IO bad method", 405, lambda c, _: c.put(POLLING)),
]


@pytest.mark.parametrize(("what", "status", "request_"), CASES, ids=[c[0] for c in CASES])
def test_every_response_carries_the_security_headers(
    app, client, users, the_board, what, status, request_
):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    context = {
        "envoy": users["envoy"],
        "board": the_board.id,
        "bearer": {"Authorization": f"Bearer {make_token(users['envoy'])}"},
    }
    response = request_(client, context)
    assert response.status_code == status, (what, response.get_data(as_text=True)[:200])
    _assert_headers(response, what)


def test_a_pages_style_hash_survives_beside_the_middleware(client, users, the_board):
    _signed_in(client, users["envoy"])
    response = client.get(f"/boards/{the_board.id}")
    (policy,) = response.headers.getlist("Content-Security-Policy")
    assert "'unsafe-hashes' 'sha256-" in policy
    _assert_headers(response, "board page")


def test_production_adds_hsts_to_socket_responses_too(app_with_production):
    client = app_with_production.test_client()
    for path in ["/login", POLLING, "/socket.io/?EIO=3"]:
        hsts = client.get(path).headers.get("Strict-Transport-Security")
        assert hsts == "max-age=31536000; includeSubDomains", path


@pytest.fixture
def app_with_production(database_path):
    other = create_app({**_config(database_path), "PRODUCTION": True, "SECRET_KEY": "x" * 64})
    yield other
    with other.app_context():
        db.engine.dispose()


def test_the_socket_gates_refusal_carries_the_headers(database_path):
    other = create_app({**_config(database_path), "SOCKETIO_PENDING_PER_ADDRESS": 0})
    try:
        response = other.test_client().get(POLLING)
        assert response.status_code == 429
        assert response.json["error"]["code"] == "too_many_connections"
        _assert_headers(response, "socket gate refusal")
    finally:
        with other.app_context():
            db.engine.dispose()
