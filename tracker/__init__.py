"""The Initiative Tracker: one shared board of initiatives for a public-private partnership."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tracker.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: str | Path | None = None
) -> Flask:
    """Build the app. Config layers, later ones winning: `tracker.config` defaults →
    `instance/config.py` → `TRACKER_*` environment variables → `test_config`.

    `instance_path` (default: `instance/` beside the code) holds `config.py`, the generated
    secret key and the SQLite database."""
    app = Flask(
        __name__,
        instance_path=str(instance_path or ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object("tracker.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TRACKER")
    if test_config is not None:
        app.config.from_mapping(test_config)
    _configure_database(app)
    _configure_secret_key(app)

    from tracker import (
        accounts,
        admin,
        cli,
        health,
        limits,
        notifications,
        realtime,
        reports,
        security,
    )
    from tracker.api import bp as api_bp
    from tracker.api import init_api
    from tracker.extensions import csrf, db, login_manager, migrate
    from tracker.web import init_web

    limits.init_app(app)  # ids in URLs, JSON parsing: before any route can run
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    accounts.init_app(app)
    init_web(app)
    init_api(app, api_bp)
    realtime.init_app(app)
    reports.init_app(app)
    notifications.init_app(app)
    admin.init_app(app)
    security.init_app(app)  # after the socket middleware, so ProxyFix wraps sockets too
    health.init_app(app)
    cli.init_app(app)
    return app


SQLITE_MINIMUM = (3, 35)


def _configure_database(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or (
        f"sqlite:///{Path(app.instance_path) / 'tracker.sqlite3'}"
    )
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("sqlite"):
        if sqlite3.sqlite_version_info < SQLITE_MINIMUM:
            # Every change runs UPDATE … RETURNING (SQLite 3.35, March 2021).
            raise ConfigurationError(
                f"This Python's SQLite is {sqlite3.sqlite_version}; the tracker needs "
                f"{'.'.join(map(str, SQLITE_MINIMUM))} or later. Use a Python built with a "
                "newer SQLite (Debian 12, Ubuntu 22.04 and python.org builds have one), or "
                "PostgreSQL (TRACKER_DATABASE_URL)."
            )
        options.setdefault("connect_args", {})
        options["connect_args"].setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        options["connect_args"].setdefault("check_same_thread", False)
        # SQLite connections are cheap; a threaded server may hold many at once.
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 40)
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    else:
        options.setdefault("pool_pre_ping", True)
        # A threaded worker may hold one connection per busy thread.
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 30)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _configure_secret_key(app: Flask) -> None:
    """Sign with a key nobody else knows: refuse a public one in any configuration; outside
    production, with none configured, use (and on first start generate) the instance's own."""
    from tracker.config import PUBLIC_SECRET_KEYS

    key = app.config.get("SECRET_KEY") or ""
    if key in PUBLIC_SECRET_KEYS:
        raise ConfigurationError(
            "The configured secret key is public (it was published with the tracker's code), "
            "so anyone could sign session cookies with it. Remove it to have a key generated "
            "into the instance folder, or set TRACKER_SECRET_KEY to a long random value "
            '(python -c "import secrets; print(secrets.token_hex(32))").'
        )
    production = bool(app.config.get("PRODUCTION"))
    if production and len(key) < 32:
        # Every server of a deployment must sign with the same key, so none is generated.
        raise ConfigurationError(
            "TRACKER_SECRET_KEY must be set to a long random value in production "
            '(at least 32 characters: python -c "import secrets; print(secrets.token_hex(32))").'
        )
    if not key:
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path) / "secret_key")


def _instance_secret_key(path: Path) -> str:
    """The key in `path`, generated on first use: 256 random bits, readable by the owner only
    (0600). Several processes starting at once end up with the same key: each writes its own
    candidate to a temporary file and links it into place, and the first link wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another process was first: its key
                os.link(candidate, path)
        finally:
            candidate.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # copied in with looser permissions: nobody else may read it
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigurationError(
            f"{path} holds no usable secret key; delete it to have one generated."
        )
    return key


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Every SQLite connection: enforce foreign keys, let readers and a writer overlap (WAL),
    # and wait for the write lock instead of failing at once.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
