"""The one family of domain errors, the one error shape, and the one boundary that answers
them: the JSON error shape under the API, a page everywhere else. Socket.IO handlers answer
with the same shape as an error acknowledgement (`error_body`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from tracker.extensions import db

API_PREFIX = "/api/v1"


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


def init_app(app: Flask, *, current_as_json: Callable[[Any], Any]) -> None:
    """Answer every `DomainError` (after rolling the unit of work back): the error shape under
    API_PREFIX (with `current`, made by `current_as_json`, for a conflict), otherwise the
    site's error page. HTTP errors are answered by `answer_http_error`, which flask-smorest's
    `Api` (it handles them app-wide) hands on."""

    def answer(error: DomainError) -> ResponseReturnValue:
        db.session.rollback()
        if not request.path.startswith(API_PREFIX + "/"):
            return render_template("web/error.html", error=error), error.status, error.headers
        body = error_body(error.code, error.message, error.fields)
        if error.current is not None:
            db.session.refresh(error.current)
            body["current"] = current_as_json(error.current)
        return jsonify(body), error.status, error.headers

    app.register_error_handler(DomainError, answer)


def too_large() -> RequestEntityTooLarge:
    """The 413 every entry point answers with (the API in its error shape, pages as a page).

    From here on the request reads as bodiless: the page's own forms (the sign-out button in
    every page's header) read the form, and reading it again would raise again."""
    current = request._get_current_object()  # type: ignore[attr-defined]
    current.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict(), _cached_data=b"")
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit:
        return RequestEntityTooLarge(
            f"The request is too large: the tracker accepts at most {limit:,} bytes."
        )
    return RequestEntityTooLarge()


FORM_EXPIRED_PAGE = (
    "The form has expired, or was not sent from the tracker's own page, so nothing was "
    "changed. Go back, reload the page and try again."
)


def answer_http_error(error: HTTPException) -> Any:
    """Every HTTP error (404, 405, 413, a refused form token, bad query or body): the error
    shape under the API (webargs' reasons flattened to field → reason), the site's error page
    for a page."""
    if error.code == 413:
        error = too_large()  # says what the limit is
    if not request.path.startswith(API_PREFIX + "/"):
        if isinstance(error, CSRFError):
            # Flask-WTF's reason ("The CSRF session token is missing.") is for developers.
            error = CSRFError(FORM_EXPIRED_PAGE)
        if error.code is not None and 400 <= error.code < 500:
            # Pages get the site's own error page (header, a way back), not Werkzeug's.
            return render_template("web/error.html", error=error), error.code
        return error
    db.session.rollback()
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if messages:
        fields = _flatten(messages)
        message = "; ".join(f"{k}: {v}" for k, v in fields.items())
        return jsonify(error_body("invalid", message, fields)), (400 if code == 400 else 422)
    status_codes = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        422: "invalid",
    }
    body = error_body(
        status_codes.get(code, "error"),
        data.get("message") or error.description or error.name,
        data.get("fields"),
    )
    return jsonify(body), code, data.get("headers", {})


def _flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """webargs nests reasons by location and field; the error shape wants field → reason."""
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "form", "path", "headers"):
                out.update(_flatten(value, ""))
            elif key == "_schema":
                out.update(_flatten(value, prefix.rstrip(".") or "body"))
            else:
                out.update(_flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}"))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "body"] = " ".join(messages)
        else:
            for m in messages:
                out.update(_flatten(m, prefix))
    else:
        out[prefix or "body"] = str(messages)
    return out
