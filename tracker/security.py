"""Account security: sign-in rate limits, security headers with a Content-Security-Policy,
and cookie settings.

Sign-in limits (Flask-Limiter's storage and moving-window strategy): every attempt is counted
against the client IP and then the submitted e-mail address *before* the password is checked,
and one that either count refuses gets 429 without hashing anything, with the same message
whether or not the account exists. Counting first is what makes the limits hold under
concurrency: the storage's hit is atomic (in memory and in Redis), so of N simultaneous
guesses at most the limit reach the password check. A successful sign-in clears its
account's count and gives its one attempt back to the IP's count (a fixed-window counter, so
that one hit can be given back; clearing it would let anyone with an account wipe their
address's failures between guesses at others). So a workshop signing in from one address is
limited by its failures only.

Settings (`TRACKER_` environment variables):
  RATELIMIT_STORAGE_URI        where counts live: `memory://` (one process), `redis://…`
  RATELIMIT_SIGNIN_PER_ACCOUNT sign-ins per e-mail address, not counting those followed by a
                               successful one (default 10 per minute)
  RATELIMIT_SIGNIN_PER_IP      failed (or still running) sign-ins per client IP (default 30
                               per minute)
  TRUSTED_PROXIES              reverse proxies in front (default 0): trust that many
                               X-Forwarded-For/-Proto/-Host hops, so limits see the client's IP
  PRODUCTION                   true: HSTS, and session and remember cookies `Secure`

Security headers: one set (`response_headers`), applied to every response the process serves
by a WSGI middleware around the whole app — Flask's pages, API, static files and errors, and
also what Engine.IO answers and what the socket gate refuses, which never pass through Flask.
Pages get their Content-Security-Policy from Flask (it needs the page's style hashes); every
other response gets the default policy.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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
    app.after_request(_page_policy)
    # Outermost: whatever layer inside answers (Flask, Engine.IO, the socket gate).
    app.wsgi_app = SecurityHeaders(  # type: ignore[method-assign]
        app.wsgi_app, production=bool(app.config.get("PRODUCTION"))
    )


# --- sign-in limits -----------------------------------------------------------------------


def _limiter() -> Limiter:
    return current_app.extensions[EXTENSION]


def _signin_keys(email: str) -> list[tuple[Any, tuple[str, ...]]]:
    config = current_app.config
    account = email.strip().lower()[:254]
    return [
        (parse(config["RATELIMIT_SIGNIN_PER_ACCOUNT"]), ("signin-account", account)),
        (parse(config["RATELIMIT_SIGNIN_PER_IP"]), ("signin-ip", get_remote_address())),
    ]


def _address_counter() -> FixedWindowRateLimiter:
    # The address's count is a plain counter (a fixed window in the limiter's storage, memory
    # or Redis), so that one success can be given back atomically: a moving window cannot
    # take back a single hit, and clearing it would let anyone with an account wipe their
    # address's failures between guesses.
    return FixedWindowRateLimiter(_limiter().limiter.storage)


def signin_attempt(email: str) -> bool:
    """Count a sign-in attempt for this e-mail address from this client; False (refuse with
    429, without checking the password) when either limit is reached. Counting before the
    check keeps both limits under concurrency. The address is counted first: attempts it
    refuses do not count against the account, so guesses from one place cannot keep an
    account's owner out for longer than the account limit says."""
    (account_limit, account_key), (ip_limit, ip_key) = _signin_keys(email)
    allowed = _address_counter().hit(ip_limit, *ip_key) and _limiter().limiter.hit(
        account_limit, *account_key
    )
    if not allowed:
        current_app.logger.info("Sign-in refused (too many attempts) from %s", get_remote_address())
    return allowed


def signin_succeeded(email: str) -> None:
    """The right password: the account's count starts again, and the address gets this
    attempt back (a workshop signing in from one address is not limited by its successes;
    failures from it still add up)."""
    (account_limit, account_key), (ip_limit, ip_key) = _signin_keys(email)
    _limiter().limiter.clear(account_limit, *account_key)
    _limiter().limiter.storage.incr(ip_limit.key_for(*ip_key), ip_limit.get_expiry(), amount=-1)


def signin_failed(email: str) -> None:
    """A wrong password (already counted by `signin_attempt`): log it."""
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


def response_headers(production: bool, style_hashes: list[str] | None = None) -> dict[str, str]:
    """The security headers every response carries (the one definition)."""
    headers = {
        "Content-Security-Policy": content_security_policy(style_hashes),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if production:
        # Browsers ignore it on plain HTTP, so it needs no knowledge of the proxy in front.
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def _page_policy(response: Response) -> Response:
    """A page's policy allows the style attributes it carries (by hash); the middleware adds
    the rest of the headers, and the default policy where Flask set none."""
    hashes = _style_hashes(response)
    if hashes:
        policy = response_headers(False, hashes)["Content-Security-Policy"]
        response.headers.setdefault("Content-Security-Policy", policy)
    return response


class SecurityHeaders:
    """WSGI middleware: add each security header a response does not already carry.

    Around the whole app, so that responses Flask never sees (Engine.IO's polling and error
    answers, the socket gate's refusals) carry the same headers as pages and the API. A
    WebSocket's 101 is written by the WebSocket server itself and has no body to protect."""

    def __init__(self, wsgi_app: WSGIApplication, *, production: bool) -> None:
        self.wsgi_app = wsgi_app
        self.headers = list(response_headers(production).items())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower() for name, _ in headers}
            added = [(n, v) for n, v in self.headers if n.lower() not in present]
            return start_response(status, [*headers, *added], exc_info)

        return self.wsgi_app(environ, start)
