"""Who calls the API: a personal token (`Authorization: Bearer trk_…`) for integrations, or
the browser's login session with its CSRF token in `X-CSRFToken` for changes. The caller is
then `accounts.actor()`."""

from __future__ import annotations

import hmac

from flask import current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import validate_csrf

from tracker import accounts, api_tokens
from tracker.api import bp
from tracker.errors import error_body

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@bp.before_request
def authenticate() -> ResponseReturnValue | None:
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
