"""Account security: sign-in rate limits, security headers with a Content-Security-Policy,
and cookie settings.

Sign-in limits (Flask-Limiter's storage and moving-window strategy): failed sign-ins are
counted per submitted e-mail address and per client IP; once either count reaches its limit
within the window, further attempts are refused with 429 *before* the password is checked,
and with the same message whether or not the account exists. A correct password for another
account from the same IP still works until the (higher) IP limit is reached.

Settings (`TRACKER_` environment variables):
  RATELIMIT_STORAGE_URI        where counts live: `memory://` (one process), `redis://…`
  RATELIMIT_SIGNIN_PER_ACCOUNT failed sign-ins per e-mail address (default 10 per minute)
  RATELIMIT_SIGNIN_PER_IP      failed sign-ins per client IP (default 30 per minute)
  TRUSTED_PROXIES              reverse proxies in front (default 0): trust that many
                               X-Forwarded-For/-Proto/-Host hops, so limits see the client's IP
  PRODUCTION                   true: HSTS, and session and remember cookies `Secure`
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.middleware.proxy_fix import ProxyFix

EXTENSION = "tracker.limiter"

SIGNIN_REFUSED = (
    "Too many sign-in attempts. Please wait a minute before trying again; if you have "
    "forgotten your password, ask the programme office for a reset link."
)

# Style attributes the pages may carry: a CSS custom property set to a number (the board's
# `style="--stages: 8"`). Each one found in a page is allowed by its hash, and nothing else:
# an injected style attribute would not match and would not apply.
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="(--[a-z][a-z0-9-]*: ?\d{1,4};?)"')

_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_SIGNIN_PER_ACCOUNT", "10 per minute")
    app.config.setdefault("RATELIMIT_SIGNIN_PER_IP", "30 per minute")
    # Flask-Limiter's own default-limit machinery is not used: only sign-ins are limited.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    if app.config.get("PRODUCTION"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")

    # One limiter per app: its storage (and so its counts) belongs to this app alone.
    limiter = Limiter(get_remote_address, app=app)
    app.extensions[EXTENSION] = limiter
    app.after_request(_security_headers)


# --- sign-in limits -----------------------------------------------------------------------


def _limiter() -> Limiter:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def _signin_keys(email: str) -> list[tuple[Any, tuple[str, ...]]]:
    config = current_app.config
    account = email.strip().lower()[:254]
    return [
        (parse(config["RATELIMIT_SIGNIN_PER_ACCOUNT"]), ("signin-account", account)),
        (parse(config["RATELIMIT_SIGNIN_PER_IP"]), ("signin-ip", get_remote_address())),
    ]


def signin_allowed(email: str) -> bool:
    """Whether another sign-in attempt for this e-mail, from this client, may be checked."""
    strategy = _limiter().limiter
    return all(strategy.test(limit, *key) for limit, key in _signin_keys(email))


def signin_failed(email: str) -> None:
    """Count a failed sign-in against the e-mail address and the client IP."""
    strategy = _limiter().limiter
    for limit, key in _signin_keys(email):
        strategy.hit(limit, *key)
    current_app.logger.info("Failed sign-in from %s", get_remote_address())


# --- headers ------------------------------------------------------------------------------


def content_security_policy(style_hashes: list[str] | None = None) -> str:
    directives = dict(_CSP)
    if style_hashes:
        allowed = " ".join(f"'sha256-{h}'" for h in sorted(set(style_hashes)))
        directives["style-src"] = f"'self' 'unsafe-hashes' {allowed}"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _style_hashes(response: Response) -> list[str]:
    if response.mimetype != "text/html" or response.is_streamed:
        return []
    html = response.get_data(as_text=True)
    return [
        base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
        for value in _STYLE_ATTRIBUTE.findall(html)
    ]


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(_style_hashes(response)))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("PRODUCTION"):
        # Browsers ignore it on plain HTTP, so it needs no knowledge of the proxy in front.
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
