"""Account security: sign-in rate limits, security headers and the Content-Security-Policy,
cookie flags, and that disabling someone, revoking a token or signing out everywhere ends
access at once — on pages, on the API and on open sockets."""

from __future__ import annotations

import os
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from limits import parse

from tests.conftest import AuthActions, FreshContextClient, _config, last_seq
from tests.factories import PASSWORD, make_initiative, make_token, make_user
from tracker import accounts, create_app, security
from tracker.extensions import db, socketio
from tracker.models import ApiToken

REFUSED = "Too many sign-in attempts"
NO_MATCH = "That e-mail and password do not match an active account."


def board_events(sock) -> list[dict]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == "board_event"]


# --- rate limiting ------------------------------------------------------------------------


def test_eleventh_failed_sign_in_for_one_account_is_refused(client, auth, users):
    member = users["member"]
    for attempt in range(10):
        response = auth.login(member, password=f"wrong {attempt}")
        assert response.status_code == 200
        assert NO_MATCH in response.get_data(as_text=True)
    refused = auth.login(member, password=f"wrong {attempt}")
    assert refused.status_code == 429
    assert REFUSED in refused.get_data(as_text=True)
    # Even the right password is not checked now …
    assert auth.login(member).status_code == 429
    # … but another account's right password still works from the same place.
    assert auth.login(users["envoy"]).status_code == 302


def _attempts_in_parallel(app: Flask, emails: list[str], monkeypatch) -> tuple[list[int], int]:
    """Each e-mail's wrong password from its own browser, all sent at the same moment (one
    client IP); the statuses, and how many of them reached the password check."""
    checked = []
    real = accounts.authenticate

    def spy(email: str, password: str):
        checked.append(email)  # list.append is atomic
        return real(email, password)

    monkeypatch.setattr(accounts, "authenticate", spy)
    browsers = []
    for _ in emails:
        auth = AuthActions(app.test_client())
        browsers.append((auth, auth.csrf_token("/login")))
    start = threading.Barrier(len(emails))

    def attempt(i: int) -> int:
        auth, token = browsers[i]
        start.wait()
        return auth._client.post(
            "/login", data={"email": emails[i], "password": f"guess {i}", "csrf_token": token}
        ).status_code

    with ThreadPoolExecutor(len(emails)) as pool:
        statuses = list(pool.map(attempt, range(len(emails))))
    return statuses, len(checked)


@pytest.mark.parametrize("threads", [20, 40])
def test_parallel_wrong_passwords_reach_the_check_at_most_the_account_limit(
    app, users, monkeypatch, threads
):
    statuses, checked = _attempts_in_parallel(app, [users["member"].email] * threads, monkeypatch)
    assert checked == 10  # the limit, not one more
    assert statuses.count(200) == 10 and statuses.count(429) == threads - 10


def test_parallel_wrong_passwords_from_one_address_reach_the_check_at_most_the_ip_limit(
    app, users, monkeypatch
):
    emails = [f"person{i}@example.org" for i in range(40)]
    statuses, checked = _attempts_in_parallel(app, emails, monkeypatch)
    assert checked == 30
    assert statuses.count(429) == 10


def test_a_refused_attempt_is_refused_without_hashing(client, auth, users, monkeypatch):
    for attempt in range(10):
        auth.login(users["member"], password=f"wrong {attempt}")
    hashed = []
    real = accounts._hasher

    class Spy:
        def __getattr__(self, name: str):
            hashed.append(name)
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", Spy())
    assert auth.login(users["member"]).status_code == 429
    assert hashed == []
    assert auth.login(users["envoy"]).status_code == 302  # the spy sees a real check
    assert "verify" in hashed


def test_a_successful_sign_in_clears_its_accounts_count(client, auth, users):
    member = users["member"]
    for attempt in range(9):
        assert auth.login(member, password=f"wrong {attempt}").status_code == 200
    assert auth.login(member).status_code == 302
    auth.logout()
    for attempt in range(10):
        assert auth.login(member, password=f"wrong again {attempt}").status_code == 200
    assert auth.login(member, password="one too many").status_code == 429


@pytest.fixture
def app_with(database_path: Path, users):
    """Another app on the same database with some settings of its own (limits small enough
    that a test need not wait for dozens of deliberately slow argon2 checks)."""
    made = []

    def make(**settings: object) -> Flask:
        other = create_app({**_config(database_path), **settings})
        other.test_client_class = FreshContextClient
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_the_ip_limit_is_higher_than_the_account_limit(app):
    account = parse(app.config["RATELIMIT_SIGNIN_PER_ACCOUNT"])
    per_ip = parse(app.config["RATELIMIT_SIGNIN_PER_IP"])
    assert (account.amount, account.get_expiry()) == (10, 60)
    assert per_ip.get_expiry() == 60 and per_ip.amount > account.amount


def test_refusal_does_not_reveal_whether_the_account_exists(app_with, users):
    auth = AuthActions(app_with(RATELIMIT_SIGNIN_PER_ACCOUNT="2 per minute").test_client())
    for _ in range(2):
        auth.login("nobody@example.org", password="guess")
        auth.login(users["member"], password="guess")
    unknown = auth.login("nobody@example.org", password="guess")
    known = auth.login(users["member"], password="guess")
    assert unknown.status_code == known.status_code == 429

    def message(response) -> str:
        page = response.get_data(as_text=True)
        return re.search(r'<p class="flash flash-error">(.*?)</p>', page)[1]

    assert message(unknown) == message(known)
    assert REFUSED in message(known)


def test_the_account_limit_counts_the_address_however_it_is_written(app_with, users):
    auth = AuthActions(app_with(RATELIMIT_SIGNIN_PER_ACCOUNT="2 per minute").test_client())
    member = users["member"]
    auth.login(member.email.upper(), password="wrong")
    auth.login(member.email.title(), password="wrong")
    assert auth.login(member).status_code == 429


def test_per_ip_limit_counts_every_account_and_other_clients_are_unaffected(app_with, users):
    limited = app_with(RATELIMIT_SIGNIN_PER_IP="4 per minute")
    auth = AuthActions(limited.test_client())
    for i in range(4):
        assert auth.login(f"person{i}@example.org", password="wrong").status_code == 200
    assert auth.login(users["member"]).status_code == 429  # this IP has had enough
    elsewhere = limited.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert AuthActions(elsewhere).login(users["member"]).status_code == 302


def test_a_successful_sign_in_is_not_counted(app_with, users):
    client = app_with(RATELIMIT_SIGNIN_PER_ACCOUNT="2 per minute").test_client()
    auth = AuthActions(client)
    for _ in range(3):
        assert auth.login(users["member"]).status_code == 302
        auth.logout()


def test_a_workshop_signing_in_from_one_address_is_limited_only_by_its_failures(app_with, users):
    """Successful sign-ins give their attempt back to the address's count: a room of people
    behind one address all get in, while failures from it still add up."""
    room = app_with(RATELIMIT_SIGNIN_PER_IP="4 per minute")
    people = [make_user("member", users["member"].organisation) for _ in range(8)]
    db.session.commit()
    for person in people:
        auth = AuthActions(room.test_client())
        assert auth.login(person).status_code == 302, person.email
    auth = AuthActions(room.test_client())
    for i in range(4):
        assert auth.login(people[i], password="wrong").status_code == 200
    assert auth.login(people[4]).status_code == 429


def test_limits_belong_to_one_app(app_with, users):
    first = AuthActions(app_with(RATELIMIT_SIGNIN_PER_ACCOUNT="2 per minute").test_client())
    for _ in range(2):
        first.login(users["member"], password="wrong")
    assert first.login(users["member"]).status_code == 429
    second = AuthActions(app_with(RATELIMIT_SIGNIN_PER_ACCOUNT="2 per minute").test_client())
    assert second.login(users["member"]).status_code == 302


def test_the_window_moves_on(app_with, users, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("time.time", lambda: clock[0])
    auth = AuthActions(app_with(RATELIMIT_SIGNIN_PER_ACCOUNT="2 per second").test_client())
    auth.login(users["member"], "wrong")
    auth.login(users["member"], "wrong")
    assert auth.login(users["member"]).status_code == 429
    clock[0] += 1.5
    assert auth.login(users["member"]).status_code == 302


# --- headers and cookies ------------------------------------------------------------------


def test_pages_carry_security_headers_and_a_strict_csp(client, auth, users, the_board):
    auth.login(users["admin"])
    for path in ["/login", f"/boards/{the_board.id}", "/admin/", "/api/v1/boards"]:
        response = client.get(path)
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'", path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # not in development


def test_the_boards_style_attribute_is_allowed_by_its_hash_only(client, auth, users, the_board):
    auth.login(users["envoy"])
    response = client.get(f"/boards/{the_board.id}")
    page = response.get_data(as_text=True)
    assert 'style="--stages: 8"' in page
    csp = response.headers["Content-Security-Policy"]
    style_src = next(d for d in csp.split("; ") if d.startswith("style-src "))
    # sha256 of "--stages: 8", as a browser hashes a style attribute's value.
    assert style_src == (
        "style-src 'self' 'unsafe-hashes' 'sha256-6cARB7jX+wLu7evSGTZk1uVmp8z9OZvW8ViRM+Nawbo='"
    )


def test_only_numeric_custom_property_styles_are_hashed(app):
    from flask import Response

    allowed = Response('<div style="--stages: 8"></div>', mimetype="text/html")
    injected = Response(
        '<div style="background: url(//evil.example/x)"></div>', mimetype="text/html"
    )
    assert len(security._style_hashes(allowed)) == 1
    assert security._style_hashes(injected) == []


def test_style_hash_is_the_browsers(app):
    import base64
    import hashlib

    from flask import Response

    value = "--stages: 8"
    expected = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
    page = Response(f'<div style="{value}"></div>', mimetype="text/html")
    assert security._style_hashes(page) == [expected]
    assert f"'sha256-{expected}'" in security.content_security_policy([expected])


def test_session_cookie_is_httponly_and_lax_but_not_secure_in_development(client, auth, users):
    response = auth.login(users["member"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_production_sends_hsts_and_secure_cookies(app_with, users):
    client = app_with(PRODUCTION=True, SECRET_KEY="x" * 64).test_client()
    response = AuthActions(client).login(users["member"])
    assert "Secure" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    hsts = client.get("/login").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")


def test_trusted_proxy_setting_makes_limits_see_the_client_ip(app_with, users):
    proxied = app_with(TRUSTED_PROXIES=1, RATELIMIT_SIGNIN_PER_IP="2 per minute").test_client()
    auth = AuthActions(proxied)
    proxied.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
    for i in range(2):
        auth.login(f"p{i}@example.org", "wrong")
    assert auth.login(users["member"]).status_code == 429
    proxied.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
    assert auth.login(users["member"]).status_code == 302


# --- ending access at once ----------------------------------------------------------------


def _admin_post(app, users, path: str):
    admin_client = app.test_client()
    admin_auth = AuthActions(admin_client)
    admin_auth.login(users["admin"])
    return admin_client.post(path, data={"csrf_token": admin_auth.csrf_token("/admin/")})


def _joined(sock, board_id: int):
    ack = sock.emit("join", {"board_id": board_id, "since": last_seq(board_id)}, callback=True)
    assert "last_seq" in ack
    sock.get_received()
    return sock


def _someone_comments(client, users, the_board) -> None:
    initiative = make_initiative(the_board, users["envoy"])
    envoy = {"Authorization": f"Bearer {make_token(users['envoy'])}"}
    response = client.post(
        f"/api/v1/initiatives/{initiative.id}/comments", json={"body": "x"}, headers=envoy
    )
    assert response.status_code == 201


def test_disabled_users_open_session_stops_working(app, client, auth, users, the_board):
    auth.login(users["member"])
    assert client.get(f"/boards/{the_board.id}").status_code == 200
    assert _admin_post(app, users, f"/admin/people/{users['member'].id}/disable").status_code == 302
    page = client.get(f"/boards/{the_board.id}")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert client.get("/api/v1/boards").status_code == 401


def test_disabled_users_api_token_stops_working(app, client, users):
    bearer = {"Authorization": f"Bearer {make_token(users['member'])}"}
    assert client.get("/api/v1/boards", headers=bearer).status_code == 200
    assert _admin_post(app, users, f"/admin/people/{users['member'].id}/disable").status_code == 302
    assert client.get("/api/v1/boards", headers=bearer).status_code == 401


def test_disabled_users_sockets_are_disconnected_and_get_nothing_more(
    app, client, auth, users, the_board
):
    member = users["member"]
    auth.login(member)
    token = make_token(member)
    session_sock = _joined(socketio.test_client(app, flask_test_client=client), the_board.id)
    token_sock = _joined(socketio.test_client(app, auth={"token": token}), the_board.id)
    assert _admin_post(app, users, f"/admin/people/{member.id}/disable").status_code == 302
    # Disconnected by the admin's request itself, before anything else happens …
    assert not session_sock.is_connected() and not token_sock.is_connected()
    # … so the next change reaches neither, and a new socket is refused.
    _someone_comments(client, users, the_board)
    assert [p for p in session_sock.queue if p["name"] == "board_event"] == []
    assert [p for p in token_sock.queue if p["name"] == "board_event"] == []
    assert not socketio.test_client(app, auth={"token": token}).is_connected()
    assert not socketio.test_client(app, flask_test_client=client).is_connected()


def test_revoking_a_token_ends_it_on_the_api_and_on_its_socket(app, client, auth, users, the_board):
    member = users["member"]
    token = make_token(member)
    bearer = {"Authorization": f"Bearer {token}"}
    sock = socketio.test_client(app, auth={"token": token})
    sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    assert client.get("/api/v1/boards", headers=bearer).status_code == 200

    auth.login(member)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    response = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": auth.csrf_token("/account")}
    )
    assert response.status_code == 302

    assert client.get("/api/v1/boards", headers=bearer).status_code == 401
    assert not sock.is_connected()
    assert not socketio.test_client(app, auth={"token": token}).is_connected()


def test_admin_revoking_someones_token_ends_it(app, client, users):
    token = make_token(users["viewer"])
    bearer = {"Authorization": f"Bearer {token}"}
    token_id = db.session.scalar(sa.select(ApiToken.id))
    assert _admin_post(app, users, f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/boards", headers=bearer).status_code == 401


def test_sign_out_everywhere_ends_every_session_and_socket(app, users, the_board):
    member = users["member"]
    laptop, phone = app.test_client(), app.test_client()
    laptop_auth, phone_auth = AuthActions(laptop), AuthActions(phone)
    laptop_auth.login(member)
    phone_auth.login(member)
    phone_sock = socketio.test_client(app, flask_test_client=phone)
    phone_sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    token = make_token(member)

    response = laptop.post(
        "/account/sign-out-everywhere", data={"csrf_token": laptop_auth.csrf_token("/account")}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for device in (laptop, phone):
        assert device.get(f"/boards/{the_board.id}").status_code == 302
    assert not phone_sock.is_connected()
    # Tokens are not sessions: they keep working until revoked.
    assert (
        phone.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    # Signing in again works.
    assert phone_auth.login(member).status_code == 302


def test_deactivating_an_organisation_ends_its_peoples_access(app, client, auth, users, the_board):
    member = users["member"]
    colleague = make_user("member", member.organisation)
    db.session.commit()
    auth.login(member)
    sock = socketio.test_client(app, flask_test_client=client)
    sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    token = make_token(colleague)
    response = _admin_post(app, users, f"/admin/organisations/{member.organisation_id}/deactivate")
    assert response.status_code == 302
    assert not sock.is_connected()
    assert client.get(f"/boards/{the_board.id}").status_code == 302
    assert (
        client.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert AuthActions(app.test_client()).login(colleague, PASSWORD).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_admin_pages_refuse_envoys_and_members(client, auth, users, method):
    for role in ("envoy", "member"):
        auth.login(users[role])
        response = getattr(client, method)("/admin/people")
        assert response.status_code in (403, 405), role
        auth.logout()


def _redis_url() -> str | None:
    url = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:
        return None
    return url


def test_workers_share_sign_in_counts_through_redis(app_with, users):
    url = _redis_url()
    if url is None:
        pytest.skip("No Redis at TRACKER_TEST_REDIS_URL (default redis://127.0.0.1:6379/15).")
    settings = {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_SIGNIN_PER_ACCOUNT": "2 per minute"}
    first, second = app_with(**settings), app_with(**settings)
    # An address no other run uses: counts in Redis outlive this test by up to a minute.
    email = f"{uuid.uuid4().hex}@example.org"
    for _ in range(2):
        assert AuthActions(first.test_client()).login(email, "wrong").status_code == 200
    assert AuthActions(second.test_client()).login(email, "wrong").status_code == 429
