"""Fixtures after Flask's tutorial: `app`, `client`, `runner`, and an `auth` helper.

Each test gets its own file SQLite database, upgraded by the real migrations once per session
and copied per test (copying is much faster than migrating).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade

from tests import factories
from tracker import create_app
from tracker.extensions import db
from tracker.models import Base, Board, User

# `--clock=+365d` runs the whole suite at another time (tests/clock.py).
pytest_plugins = ["tests.clock"]

# Set to a PostgreSQL URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the whole
# suite against PostgreSQL: a template database is migrated once per session and each test
# gets its own copy (CREATE DATABASE … TEMPLATE …), as SQLite tests get a copied file.
TEST_DATABASE_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")


def _config(database: Path | str) -> dict[str, Any]:
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        # Every presence change sent at once, and every socket event checks its user again:
        # tests of what is sent need not wait. Tests of the production timing set their own.
        "PRESENCE_INTERVAL_SECONDS": 0,
        "SOCKET_RECHECK_SECONDS": 0,
    }


def _server(url: str) -> sa.Engine:
    """An engine on the PostgreSQL server's maintenance database, for CREATE/DROP DATABASE."""
    return sa.create_engine(
        sa.make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )


def _with_database(url: str, name: str) -> str:
    return (
        sa.make_url(url)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | str]:
    if TEST_DATABASE_URL:
        template = f"tracker_tests_{os.getpid()}"
        server = _server(TEST_DATABASE_URL)
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{template}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{template}"'))
        url = _with_database(TEST_DATABASE_URL, template)
        app = create_app(_config(url))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield template
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        server.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = create_app(_config(path))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield path


@pytest.fixture
def database_path(migrated_database: Path | str, tmp_path: Path) -> Iterator[Path | str]:
    """This test's own database: a copied SQLite file, or the session's PostgreSQL database
    emptied (every table truncated, ids restarted) — much faster than a new database."""
    if isinstance(migrated_database, str):
        url = _with_database(TEST_DATABASE_URL, migrated_database)
        engine = sa.create_engine(url)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        yield url
        return
    path = tmp_path / "tracker.sqlite3"
    shutil.copy(migrated_database, path)
    yield path


class FreshContextClient(FlaskClient):
    """Each request in its own app context, as in production.

    Tests hold an app context to use `db.session`; without this, requests would share it, and
    with it `g` (Flask-Login's user, Flask-WTF's token) and the test's database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_path: Path, tmp_path: Path) -> Iterator[Flask]:
    # Each test its own report cache, as its own database.
    app = create_app({**_config(database_path), "REPORT_CACHE_DIR": str(tmp_path / "reports")})
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def the_board(app: Flask) -> Board:
    b = factories.make_board()
    db.session.commit()
    return b


@pytest.fixture
def users(app: Flask, the_board: Board) -> dict[str, User]:
    """One user per account role; the member's organisation is separate from the others'."""
    lep = factories.make_organisation("The LEP")
    police = factories.make_organisation("Police")
    made = {
        "admin": factories.make_user("admin", lep),
        "envoy": factories.make_user("envoy", lep),
        "member": factories.make_user("member", police),
        "viewer": factories.make_user("viewer", lep),
    }
    db.session.commit()
    return made


class AuthActions:
    """Sign in through the real form, and fetch the CSRF token as the browser would."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, user: User | str, password: str = factories.PASSWORD) -> Any:
        email = user if isinstance(user, str) else user.email
        token = self.csrf_token("/login")
        return self._client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self) -> Any:
        token = self.csrf_token("/")
        return self._client.post("/logout", data={"csrf_token": token})

    def csrf_token(self, path: str = "/login") -> str:
        page = self._client.get(path, follow_redirects=True).get_data(as_text=True)
        marker = 'name="csrf-token" content="'
        start = page.index(marker) + len(marker)
        return page[start : page.index('"', start)]


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def last_seq(board_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Board.last_seq).where(Board.id == board_id)) or 0
