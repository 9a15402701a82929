"""The JSON API under /api/v1 and its generated OpenAPI document."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_smorest import Api, Blueprint
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException

from tracker import accounts, api_tokens, errors, limits
from tracker.api.schemas import ErrorSchema, InitiativeSchema
from tracker.errors import error_body
from tracker.extensions import csrf, db

API_PREFIX = "/api/v1"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

bp = Blueprint(
    "api",
    __name__,
    url_prefix=API_PREFIX,
    description="Initiatives, roles, comments and the event log of a board.",
)
# Reads JSON bodies with tracker.limits.loads: too deep or unreadable is a 400.
bp.ARGUMENTS_PARSER = limits.ArgumentsParser()


FORM_EXPIRED_PAGE = (
    "The form has expired, or was not sent from the tracker's own page, so nothing was "
    "changed. Go back, reload the page and try again."
)


class TrackerApi(Api):
    """flask-smorest's Api, answering every API error with the brief's error shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        if error.code == 413:
            error = limits.too_large()  # says what the limit is
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


api = TrackerApi()


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    """Bearer token for integrations; the session cookie plus `X-CSRFToken` for the browser."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = (
            api_tokens.user_for_token(token.strip())
            if hmac.compare_digest(scheme.lower(), "bearer")
            else None
        )
        if user is None:
            body = error_body("unauthenticated", "The API token is not valid.")
            return jsonify(body), 401, {"WWW-Authenticate": "Bearer"}
        g.actor = user
        return None
    if not current_user.is_authenticated:
        # A browser whose login session ended is told why (idle, disabled, …), as pages are.
        reason = accounts.signed_out_reason()
        message = (
            accounts.signed_out_message(reason)
            if reason is not None
            else "Sign in, or send Authorization: Bearer TOKEN."
        )
        return jsonify(error_body("unauthenticated", message)), 401, {"WWW-Authenticate": "Bearer"}
    if request.method in UNSAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except Exception as error:  # flask_wtf raises ValidationError with a reason
            body = error_body(
                "csrf_failed",
                f"The CSRF token is missing or invalid ({error}). Send it in X-CSRFToken.",
                {"X-CSRFToken": "missing or invalid"},
            )
            return jsonify(body), 400
    g.actor = current_user._get_current_object()
    return None


def init_api(app: Flask, blueprint: Blueprint) -> None:
    from tracker.api import views  # noqa: F401  (registers the routes)

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        },
    )
    api.init_app(app)
    api.register_blueprint(blueprint)
    csrf.exempt(blueprint)  # checked in _authenticate, only for cookie-authenticated calls
    errors.init_app(app, api_prefix=API_PREFIX, current_as_json=InitiativeSchema().dump)
