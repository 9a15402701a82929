"""The one family of domain errors, the one error shape, and the one boundary that answers
them: the JSON error shape under the API, a page everywhere else. Socket.IO handlers answer
with the same shape as an error acknowledgement (`error_body`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from tracker.extensions import db


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The brief's error shape: `{"error": {"code", "message", "fields": {field: reason}}}`."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        fields: dict[str, str] | None = None,
        *,
        current: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        # For conflicts: the object as the database holds it now.
        self.current = current

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries (e.g. `Retry-After`)."""
        return {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "invalid"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        if message is None:
            message = "; ".join(f"{name}: {reason}" for name, reason in fields.items())
        super().__init__(message, fields)


class ConfigurationError(RuntimeError):
    """The tracker's configuration cannot be used (a public secret key, a limit that is not
    a number): raised by `create_app`, said in one line by the command line."""


def init_app(app: Flask, *, api_prefix: str, current_as_json: Callable[[Any], Any]) -> None:
    """Answer every `DomainError` (after rolling the unit of work back): the error shape under
    `api_prefix` (with `current`, made by `current_as_json`, for a conflict), otherwise the
    site's error page."""

    def answer(error: DomainError) -> ResponseReturnValue:
        db.session.rollback()
        if not request.path.startswith(api_prefix + "/"):
            return render_template("web/error.html", error=error), error.status, error.headers
        body = error_body(error.code, error.message, error.fields)
        if error.current is not None:
            db.session.refresh(error.current)
            body["current"] = current_as_json(error.current)
        return jsonify(body), error.status, error.headers

    app.register_error_handler(DomainError, answer)
