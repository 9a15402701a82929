"""Health checks for the proxy and the process manager, and a clear 503 while the database is
unreachable (the connection pool reconnects by itself when it returns)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import AnonymousUserMixin

from tracker.errors import API_PREFIX, error_body
from tracker.extensions import db

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(sa.exc.OperationalError, _database_unavailable)
    app.register_error_handler(sa.exc.InterfaceError, _database_unavailable)


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> ResponseReturnValue:
    """The database and the message queue are reachable; 503 naming each that is not."""
    problems: dict[str, str] = {}
    body: dict[str, Any] = {"status": "ready"}
    try:
        db.session.execute(sa.text("SELECT 1"))
        body["database"] = "ok"
    except Exception as error:
        db.session.rollback()
        problems["database"] = _reason(error)
    queue = current_app.config.get("MESSAGE_QUEUE")
    if not queue:
        body["queue"] = "not configured"
    else:
        try:
            import redis

            redis.Redis.from_url(queue, socket_timeout=2, socket_connect_timeout=2).ping()
            body["queue"] = "ok"
        except Exception as error:
            problems["queue"] = _reason(error)
    if problems:
        message = "Not ready: " + "; ".join(f"{k} {v}" for k, v in problems.items())
        return jsonify(error_body("not_ready", message, problems)), 503
    return jsonify(body)


def _reason(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200] or type(error).__name__


def _database_unavailable(error: Exception) -> ResponseReturnValue:
    db.session.rollback()
    current_app.logger.error("database unavailable: %s", _reason(error))
    message = "The database is unavailable at the moment; please try again shortly."
    if request.path.startswith(API_PREFIX + "/"):
        return (
            jsonify(error_body("database_unavailable", message)),
            503,
            {"Retry-After": "5"},
        )
    # Flask-Login's template context would load the user from the database again.
    g._login_user = AnonymousUserMixin()
    return (
        render_template("web/unavailable.html", message=message),
        503,
        {"Retry-After": "5"},
    )
