"""Login sessions end on the server: signing out, idle and absolute limits, on pages, the API
(cookie calls) and sockets; the sign-in page says why. And no session is signed with a key
known to the public: the embedded default generates its own into the instance folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from flask_migrate import upgrade

from tests.conftest import AuthActions, FreshContextClient, _config
from tests.factories import PASSWORD, challenge, make_initiative, make_token, make_user
from tracker import ROOT, accounts, create_app
from tracker.extensions import db, socketio
from tracker.models import LoginSession, User

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
frozen = pytest.mark.time_machine(NOW, tick=False)


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def browser_with(app: Flask, cookie: str) -> FlaskClient:
    """Another browser holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def signed_in(app: Flask, user: User) -> tuple[FlaskClient, AuthActions]:
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(user).status_code == 302
    return client, auth


def propose(client: FlaskClient, board_id: int, csrf: str, title: str = "Streetlights") -> Any:
    return client.post(
        f"/api/v1/boards/{board_id}/initiatives",
        json={"title": title, "grand_challenge_id": challenge_of(board_id)},
        headers={"X-CSRFToken": csrf},
    )


def challenge_of(board_id: int) -> int:
    from tracker.models import Board

    return challenge(db.session.get(Board, board_id))


def refused_page(response: Any) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def sign_in_page_says(client: FlaskClient, text: str) -> bool:
    return text in client.get("/login", follow_redirects=True).get_data(as_text=True)


def socket_for(app: Flask, client: FlaskClient) -> Any:
    return socketio.test_client(app, flask_test_client=client)


def board_events(sock: Any) -> list[dict]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == "board_event"]


def someone_comments(client: FlaskClient, users: dict[str, User], the_board: Any) -> None:
    initiative = make_initiative(the_board, users["envoy"])
    bearer = {"Authorization": f"Bearer {make_token(users['envoy'])}"}
    response = client.post(
        f"/api/v1/initiatives/{initiative.id}/comments", json={"body": "x"}, headers=bearer
    )
    assert response.status_code == 201


# --- 1. signing out ends the session on the server -------------------------------------------


def test_logout_a_copied_cookie_no_longer_opens_pages(app, users, the_board):
    client, auth = signed_in(app, users["member"])
    copy = session_cookie(client)
    assert browser_with(app, copy).get("/account").status_code == 200
    auth.logout()
    thief = browser_with(app, copy)
    assert refused_page(thief.get("/account"))
    assert refused_page(thief.get(f"/boards/{the_board.id}"))


def test_logout_a_copied_cookie_no_longer_writes_through_the_api(app, users, the_board):
    client, auth = signed_in(app, users["envoy"])
    csrf = auth.csrf_token("/account")
    copy = session_cookie(client)  # with the CSRF token's secret in it
    assert propose(browser_with(app, copy), the_board.id, csrf, "Before").status_code == 201
    auth.logout()
    response = propose(browser_with(app, copy), the_board.id, csrf, "After")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert browser_with(app, copy).get("/api/v1/boards").status_code == 401


def test_logout_a_copied_cookie_no_longer_opens_sockets(app, users, the_board):
    client, auth = signed_in(app, users["member"])
    copy = session_cookie(client)
    before = socket_for(app, browser_with(app, copy))
    assert before.is_connected()
    auth.logout()
    assert not before.is_connected()  # the sockets of that login session end with it
    assert not socket_for(app, browser_with(app, copy)).is_connected()


def test_logout_leaves_the_users_other_sessions_alone(app, users, the_board):
    _, laptop_auth = signed_in(app, users["member"])
    phone, _ = signed_in(app, users["member"])
    phone_sock = socket_for(app, phone)
    laptop_auth.logout()
    assert phone.get("/account").status_code == 200
    assert phone_sock.is_connected()


def test_logout_ends_the_row_and_sign_in_records_the_browser(app, users):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "Firefox/140.0 (workshop laptop)"
    auth = AuthActions(client)
    auth.login(users["member"])
    row = db.session.scalars(sa.select(LoginSession)).one()
    assert row.user_id == users["member"].id and row.ended_at is None
    assert row.user_agent == "Firefox/140.0 (workshop laptop)"
    # The cookie holds a secret whose hash is the row's id, not the id itself.
    assert row.id not in session_cookie(client)
    auth.logout()
    db.session.expire_all()
    assert row.ended_at is not None and row.ended_reason == accounts.SIGNED_OUT


def test_a_replayed_cookie_after_sign_out_is_told_it_signed_out(app, users):
    client, auth = signed_in(app, users["member"])
    copy = session_cookie(client)
    auth.logout()
    thief = browser_with(app, copy)
    response = thief.get("/account", follow_redirects=True)
    assert "You signed out." in response.get_data(as_text=True)
    # Said once: the cookie forgot the ended session.
    assert "You signed out." not in thief.get("/login").get_data(as_text=True)


def test_a_cookie_of_an_older_shape_or_forged_id_opens_nothing(app, users):
    member = users["member"]
    values = [f"{member.id}:0", f"{member.id}", f"{member.id}:not-a-session", "x:y", "²:x"]
    for value in [*values, f"{2**64}:x", None, 7]:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = value
        assert refused_page(client.get("/account")), value
        assert not socket_for(app, client).is_connected(), value


def test_sign_out_everywhere_ends_copies_of_every_cookie_with_the_reason(app, users):
    laptop, laptop_auth = signed_in(app, users["member"])
    phone, _ = signed_in(app, users["member"])
    copy = session_cookie(phone)
    laptop.post(
        "/account/sign-out-everywhere", data={"csrf_token": laptop_auth.csrf_token("/account")}
    )
    page = browser_with(app, copy).get("/account", follow_redirects=True).get_data(as_text=True)
    assert "You signed out on every device." in page


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("people/{member}/disable", "your account has been disabled"),
        ("organisations/{organisation}/deactivate", "your organisation has been deactivated"),
    ],
)
def test_cutting_someone_off_ends_their_sessions_with_the_reason(app, users, action, message):
    member = users["member"]
    client, _ = signed_in(app, member)
    copy = session_cookie(client)
    admin, admin_auth = signed_in(app, users["admin"])
    path = "/admin/" + action.format(member=member.id, organisation=member.organisation_id)
    assert (
        admin.post(path, data={"csrf_token": admin_auth.csrf_token("/admin/")}).status_code == 302
    )
    page = browser_with(app, copy).get("/account", follow_redirects=True).get_data(as_text=True)
    assert message in page
    rows = db.session.scalars(sa.select(LoginSession).where(LoginSession.user_id == member.id))
    assert all(row.ended_at is not None for row in rows)


@frozen
def test_last_seen_moves_on_at_most_once_a_minute(app, users, time_machine):
    client, _ = signed_in(app, users["member"])
    row = db.session.scalars(sa.select(LoginSession)).one()
    assert row.last_seen_at == NOW
    for seconds in (20, 40, 59):
        time_machine.move_to(NOW + timedelta(seconds=seconds))
        assert client.get("/account").status_code == 200
        db.session.expire_all()
        assert row.last_seen_at == NOW
    time_machine.move_to(NOW + timedelta(seconds=61))
    client.get("/account")
    db.session.expire_all()
    assert row.last_seen_at == NOW + timedelta(seconds=61)


# --- 2. idle and absolute lifetime ---------------------------------------------------------


def test_lifetime_defaults_are_eight_hours_idle_and_fourteen_days(app):
    assert app.config["SESSION_IDLE_MINUTES"] == 480
    assert app.config["SESSION_MAX_DAYS"] == 14


@frozen
def test_idle_session_is_refused_by_pages_api_and_sockets_and_says_why(
    app, users, the_board, time_machine
):
    client, auth = signed_in(app, users["envoy"])
    csrf = auth.csrf_token("/account")
    time_machine.shift(timedelta(hours=7, minutes=59))
    assert client.get("/account").status_code == 200  # activity: the idle clock restarts
    time_machine.shift(timedelta(hours=7, minutes=59))
    assert propose(client, the_board.id, csrf).status_code == 201
    open_sock = socket_for(app, client)
    assert open_sock.is_connected()
    time_machine.shift(timedelta(hours=8, seconds=1))
    copy = session_cookie(client)
    refused = propose(browser_with(app, copy), the_board.id, csrf)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["message"] == (
        "You were signed out after 8 hours without activity. Please sign in again."
    )
    assert not socket_for(app, browser_with(app, copy)).is_connected()
    ack = open_sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    assert ack["error"]["code"] == "unauthenticated"
    response = client.get("/account", follow_redirects=True)
    assert response.request.path == "/login"
    assert "You were signed out after 8 hours without activity." in response.get_data(as_text=True)


@frozen
def test_open_socket_of_an_idle_session_is_dropped_before_the_next_change(
    app, client, auth, users, the_board, time_machine
):
    auth.login(users["member"])
    sock = socket_for(app, client)
    ack = sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    assert "last_seq" in ack
    sock.get_received()
    time_machine.shift(timedelta(hours=8, minutes=1))
    someone_comments(app.test_client(), users, the_board)
    assert not sock.is_connected()
    assert [p for p in sock.queue if p["name"] == "board_event"] == []


@frozen
def test_open_socket_of_an_idle_session_gets_no_more_presence(
    app, client, auth, users, the_board, time_machine
):
    auth.login(users["member"])
    sock = socket_for(app, client)
    sock.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    sock.get_received()
    time_machine.shift(timedelta(hours=8, minutes=1))
    envoy = socketio.test_client(app, auth={"token": make_token(users["envoy"])})
    ack = envoy.emit("join", {"board_id": the_board.id, "since": 0}, callback=True)
    assert "last_seq" in ack
    assert not sock.is_connected()
    assert [p for p in sock.queue if p["name"] == "presence"] == []
    viewers = [m["args"][0] for m in envoy.get_received() if m["name"] == "presence"][-1]
    assert [v["user"] for v in viewers["viewers"]] == [users["envoy"].name]


@frozen
def test_session_in_daily_use_ends_after_fourteen_days_and_says_why(
    app, users, the_board, time_machine
):
    client, auth = signed_in(app, users["envoy"])
    csrf = auth.csrf_token("/account")
    for _ in range(55):  # a request every six hours, for 13 days and 18 hours
        time_machine.shift(timedelta(hours=6))
        assert client.get("/account").status_code == 200
    time_machine.move_to(NOW + timedelta(days=14, minutes=-1))
    assert client.get("/account").status_code == 200
    time_machine.move_to(NOW + timedelta(days=14, seconds=1))
    copy = session_cookie(client)
    assert propose(browser_with(app, copy), the_board.id, csrf).status_code == 401
    assert not socket_for(app, browser_with(app, copy)).is_connected()
    response = client.get("/account", follow_redirects=True)
    assert response.request.path == "/login"
    assert "your sign-in is older than 14 days, please sign in again" in response.get_data(
        as_text=True
    )
    # Signing in again starts a new one.
    assert AuthActions(client).login(users["envoy"]).status_code == 302
    assert client.get("/account").status_code == 200


@frozen
def test_lifetimes_are_configurable(database_path, users, time_machine):
    app = create_app({**_config(database_path), "SESSION_IDLE_MINUTES": 30, "SESSION_MAX_DAYS": 1})
    app.test_client_class = FreshContextClient
    with app.app_context():
        client, _ = signed_in(app, users["member"])
        time_machine.shift(timedelta(minutes=29))
        assert client.get("/account").status_code == 200
        time_machine.shift(timedelta(minutes=30, seconds=1))
        response = client.get("/account", follow_redirects=True)
        assert "You were signed out after 30 minutes without activity." in response.get_data(
            as_text=True
        )
        client, _ = signed_in(app, users["member"])
        for _ in range(57):  # a request every 25 minutes, for 23 hours 45 minutes
            time_machine.shift(timedelta(minutes=25))
            assert client.get("/account").status_code == 200
        time_machine.shift(timedelta(minutes=20))
        page = client.get("/account", follow_redirects=True).get_data(as_text=True)
        assert "your sign-in is older than 1 day" in page
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    "settings",
    [{"SESSION_IDLE_MINUTES": 0}, {"SESSION_MAX_DAYS": "fortnight"}, {"SESSION_MAX_DAYS": -1}],
)
def test_nonsense_lifetimes_are_refused_at_start(database_path, settings):
    with pytest.raises(RuntimeError, match="TRACKER_SESSION_"):
        create_app({**_config(database_path), **settings})


@frozen
def test_remember_cookie_obeys_the_same_login_session(app, users, time_machine):
    """No remember-me cookie is issued; one presented (it names a login session too) opens
    nothing once that session is idle, ended or too old."""
    client, _ = signed_in(app, users["member"])
    with client.session_transaction() as session:
        value = session["_user_id"]
    with app.test_request_context():
        remember = encode_cookie(value)

    def with_only_remember() -> FlaskClient:
        other = app.test_client()
        other.set_cookie("remember_token", remember)
        return other

    assert with_only_remember().get("/account").status_code == 200
    time_machine.shift(timedelta(hours=8, seconds=1))
    assert refused_page(with_only_remember().get("/account"))


# --- 3. no public signing key --------------------------------------------------------------

PUBLIC_KEY = "dev-only-not-secret"


def forge(payload: dict[str, Any], key: str = PUBLIC_KEY) -> str:
    """A session cookie signed with `key`, as anyone who read the old code could make."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps(payload)


@pytest.fixture
def like_make_run(tmp_path, monkeypatch):
    """Apps made as `make run` makes them: nothing configured (no TRACKER_* settings), only
    the instance folder is a fresh one of this test's."""
    for name in list(os.environ):
        if name.startswith("TRACKER_"):
            monkeypatch.delenv(name)
    instance = tmp_path / "instance"
    made: list[Flask] = []

    def make() -> Flask:
        app = create_app(instance_path=instance)
        app.test_client_class = FreshContextClient
        made.append(app)
        return app

    yield make, instance
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_embedded_default_refuses_cookies_forged_with_the_old_public_key(like_make_run):
    make, _ = like_make_run
    app = make()
    with app.app_context():
        upgrade()
        admin = make_user("admin", email="admin@example.org")
        db.session.commit()
        admin_id = admin.id
    client = app.test_client()
    assert AuthActions(client).login("admin@example.org", PASSWORD).status_code == 302
    with client.session_transaction() as session:
        live = dict(session)
    assert client.get("/admin/people").status_code == 200
    # The forgery, and one naming a live login session: neither opens anything.
    for payload in ({"_user_id": f"{admin_id}:0", "_fresh": True}, live):
        forged = browser_with(app, forge(payload))
        assert refused_page(forged.get("/admin/people")), payload
        assert forged.get("/api/v1/boards").status_code == 401
        assert not socket_for(app, forged).is_connected()
    assert app.config["SECRET_KEY"] != PUBLIC_KEY


def test_embedded_default_generates_a_private_key_once_and_reuses_it(like_make_run):
    make, instance = like_make_run
    first = make()
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64 and first.config["SECRET_KEY"] == key
    with first.app_context():
        upgrade()
        make_user("member", email="m@example.org")
        db.session.commit()
    client = first.test_client()
    AuthActions(client).login("m@example.org", PASSWORD)
    cookie = session_cookie(client)
    # The next start uses the same key: sessions survive a restart.
    second = make()
    assert second.config["SECRET_KEY"] == key
    assert browser_with(second, cookie).get("/account").status_code == 200


def test_a_key_file_with_loose_permissions_is_made_private(like_make_run):
    make, instance = like_make_run
    instance.mkdir()
    key_file = instance / "secret_key"
    key_file.write_text("a" * 64 + "\n")
    key_file.chmod(0o644)
    assert make().config["SECRET_KEY"] == "a" * 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_processes_starting_together_share_one_generated_key(tmp_path):
    from tracker import _instance_secret_key

    path = tmp_path / "instance" / "secret_key"
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(_instance_secret_key(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and keys[0] == path.read_text().strip()
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no leftovers


@pytest.mark.parametrize("production", [False, True])
@pytest.mark.parametrize("key", [PUBLIC_KEY, "replace-with-64-hex-characters"])
def test_published_keys_are_refused_in_every_configuration(database_path, key, production):
    settings = {**_config(database_path), "SECRET_KEY": key, "PRODUCTION": production}
    with pytest.raises(RuntimeError, match="public"):
        create_app(settings)


def test_a_sqlite_without_update_returning_is_refused_at_start(
    database_path, monkeypatch, tmp_path
):
    import sqlite3

    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    # A SQLite database whatever the suite runs on (the PostgreSQL run included).
    settings = {**_config(database_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"}
    with pytest.raises(RuntimeError, match=r"SQLite is 3\.34\.1; the tracker needs 3\.35 or later"):
        create_app(settings)


@pytest.mark.parametrize("key", ["", "short-key"])
def test_production_needs_a_long_configured_key(database_path, key):
    settings = {**_config(database_path), "SECRET_KEY": key, "PRODUCTION": True}
    with pytest.raises(RuntimeError, match="TRACKER_SECRET_KEY must be set"):
        create_app(settings)


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("TRACKER_SECRET_KEY", PUBLIC_KEY, "The configured secret key is public"),
        ("TRACKER_SESSION_IDLE_MINUTES", "0", "TRACKER_SESSION_IDLE_MINUTES must be a number"),
    ],
)
def test_the_command_line_says_what_is_wrong_with_the_configuration(
    tmp_path, variable, value, said
):
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
        variable: value,
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("tracker")), "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {said}")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "tracker.sqlite3").exists()


def test_the_generated_key_is_never_committed():
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", "instance/secret_key"],
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, "instance/secret_key is not git-ignored"


def test_the_committed_defaults_hold_no_key():
    from tracker import config

    assert config.SECRET_KEY == ""
    assert PUBLIC_KEY in config.PUBLIC_SECRET_KEYS
