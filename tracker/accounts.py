"""Accounts: passwords (argon2id), login sessions (Flask-Login over the `login_sessions`
table) and personal API tokens.

A login session is a row per sign-in; the session cookie's `_user_id` is
`"<user id>:<secret>"`, the row's id the secret's SHA-256. Pages, cookie-authenticated API
calls (both through the user loader) and socket connects and events (`realtime`) accept the
cookie only while its row is valid: not ended (sign-out, sign out everywhere, disabled,
organisation deactivated, password set), used within `SESSION_IDLE_MINUTES`, and younger than
`SESSION_MAX_DAYS`. When it is not, the sign-in page says why.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, flash, g, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_url, login_user, logout_user

from tracker import unit_of_work
from tracker.errors import ConfigurationError, Invalid
from tracker.extensions import db, login_manager
from tracker.models import LoginSession, Organisation, User, utcnow
from tracker.serving import off_event_loop
from tracker.vocabulary import AccountRole

# argon2-cffi's defaults are argon2id with the RFC 9106 "low memory" profile.
_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed sign-in the same whether or not the
# account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 12


# Why a login session ended, as stored in `login_sessions.ended_reason`; "idle" and
# "expired" are computed from its times.
SIGNED_OUT = "signed_out"
SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
ACCOUNT_DISABLED = "account_disabled"
ORGANISATION_DEACTIVATED = "organisation_deactivated"
PASSWORD_SET = "password_set"
IDLE = "idle"
EXPIRED = "expired"

# last_seen_at moves on at most this often per session: a write per request would serialise
# every request on SQLite, and the idle limit is counted in hours.
TOUCH_EVERY = timedelta(minutes=1)

_REASON = "tracker_signed_out_reason"
_LOGIN_SESSION = "tracker_login_session"


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in to see the board."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    max_age = _check_lifetimes(app)[1]
    # The cookie's own signature expires a day after the longest a login session lives, so
    # until then the sign-in page can still say why it ended. No remember-me cookie is
    # issued; one would name a login session too, and obey the same limits.
    app.config["PERMANENT_SESSION_LIFETIME"] = max_age + timedelta(days=1)
    app.config["REMEMBER_COOKIE_DURATION"] = max_age
    app.before_request(_load_user_first)


def _check_lifetimes(app: Flask) -> tuple[timedelta, timedelta]:
    """The idle and absolute limits from the config; a clear error for nonsense."""
    values = {}
    for name, unit in (("SESSION_IDLE_MINUTES", "minutes"), ("SESSION_MAX_DAYS", "days")):
        value = app.config.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigurationError(
                f"TRACKER_{name} must be a number of {unit} above 0, not {value!r}."
            )
        values[name] = value
    return (
        timedelta(minutes=values["SESSION_IDLE_MINUTES"]),
        timedelta(days=values["SESSION_MAX_DAYS"]),
    )


def _lifetimes() -> tuple[timedelta, timedelta]:
    return _check_lifetimes(current_app)


def _load_user_first() -> None:
    """Check the login session before the view runs: the loader may then move `last_seen_at`
    on and commit, with nothing of the request's own in the transaction yet."""
    if request.endpoint != "static":
        current_user._get_current_object()


@login_manager.user_loader
def user_from_session_id(value: str | None) -> User | None:
    """The user a session cookie's `_user_id` names, while its login session is valid; its
    reason is kept for the sign-in page when it is not."""
    check = check_login_session(value, touch=True)
    if check.reason is not None:
        setattr(g, _REASON, check.reason)
    if check.user is None:
        return None
    setattr(g, _LOGIN_SESSION, check.key)
    return check.user


@login_manager.unauthorized_handler
def _unauthorized() -> ResponseReturnValue:
    """Flask-Login's redirect to the sign-in page, telling why when a login session ended."""
    reason = signed_out_reason()
    if reason is not None:
        logout_user()  # the cookie forgets the ended session, so this is said once
    flash(
        signed_out_message(reason) if reason else (login_manager.login_message or ""),
        login_manager.login_message_category,
    )
    return redirect(login_url("web.login", next_url=request.url))


@dataclass(frozen=True)
class SessionCheck:
    """What a session cookie's `_user_id` comes to: the user and login session key while it
    is valid; otherwise `user` None and, when its login session ended, `reason`."""

    user: User | None
    key: str | None = None
    reason: str | None = None


def login_session_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def login_session_problem(row: LoginSession, user: User, now: datetime) -> str | None:
    """None while the login session may be used; otherwise why not (a reason constant)."""
    if row.ended_at is not None:
        return row.ended_reason or SIGNED_OUT
    if not user.active:
        return ACCOUNT_DISABLED
    if not user.organisation.active:
        return ORGANISATION_DEACTIVATED
    idle, max_age = _lifetimes()
    expires, idles = row.created_at + max_age, row.last_seen_at + idle
    if now >= min(expires, idles):
        # Whichever limit was passed first.
        return EXPIRED if expires <= idles else IDLE
    return None


def check_login_session(value: object, *, touch: bool = False) -> SessionCheck:
    """Check a session cookie's `_user_id` (`"<user id>:<secret>"`) against its login session.
    With `touch`, a valid session's `last_seen_at` moves on (committed) when it is more than
    TOUCH_EVERY old: only requests at their start touch, never mid-unit-of-work."""
    if not isinstance(value, str):
        return SessionCheck(None)
    user_id, _, secret = value.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 18) or not secret:
        return SessionCheck(None)  # not ours (an older cookie shape): simply signed out
    key = login_session_key(secret)
    # One query for the row, its user and their organisation; fresh, as sockets live long.
    found = db.session.execute(
        sa.select(LoginSession, User)
        .join(User, LoginSession.user_id == User.id)
        .where(LoginSession.id == key, LoginSession.user_id == int(user_id))
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        return SessionCheck(None)
    row, user = found
    now = utcnow()
    reason = login_session_problem(row, user, now)
    if reason is not None:
        return SessionCheck(None, reason=reason)
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        unit_of_work.commit()
    return SessionCheck(user, key)


def valid_login_sessions(keys: Iterable[str]) -> set[str]:
    """Which of these login sessions are still valid (one query for many: live push checks
    every viewer of a board before sending)."""
    wanted = set(keys)
    if not wanted:
        return set()
    rows = db.session.execute(
        sa.select(LoginSession, User)
        .join(User, LoginSession.user_id == User.id)
        .where(LoginSession.id.in_(wanted))
        .execution_options(populate_existing=True)
    ).all()
    now = utcnow()
    return {row.id for row, user in rows if login_session_problem(row, user, now) is None}


def sign_in(user: User) -> str:
    """Start a login session for `user` in this request's cookie (the caller commits);
    returns its key. Rows no cookie can name any more (past the cookie's own lifetime) are
    deleted on the way."""
    secret = secrets.token_urlsafe(32)
    key = login_session_key(secret)
    now = utcnow()
    db.session.execute(
        sa.delete(LoginSession).where(
            LoginSession.created_at < now - current_app.permanent_session_lifetime
        )
    )
    db.session.add(
        LoginSession(
            id=key,
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    login_user(user)
    session["_user_id"] = f"{user.id}:{secret}"
    setattr(g, _LOGIN_SESSION, key)
    return key


def current_login_session() -> str | None:
    """The key of the login session this request's cookie names, while it is valid."""
    if not current_user.is_authenticated:
        return None
    return g.get(_LOGIN_SESSION)


def actor() -> User:
    """Who acts in this request: the API token's user where the API authenticated one
    (`g.actor`), otherwise the signed-in user (views behind `login_required`)."""
    user = g.get("actor")
    return user if user is not None else current_user._get_current_object()


def signed_out_reason() -> str | None:
    """Why this request's cookie names a login session that has ended, if it does."""
    current_user._get_current_object()
    return g.get(_REASON)


def _amount(value: float, unit: str) -> str:
    number = f"{value:g}"
    return f"{number} {unit}" if number == "1" else f"{number} {unit}s"


def signed_out_message(reason: str | None) -> str:
    """What the sign-in page says about a login session that ended for `reason`."""
    minutes = current_app.config["SESSION_IDLE_MINUTES"]
    idle = _amount(minutes / 60, "hour") if minutes % 60 == 0 else _amount(minutes, "minute")
    days = _amount(current_app.config["SESSION_MAX_DAYS"], "day")
    return {
        SIGNED_OUT: "You signed out. Sign in again to continue.",
        SIGNED_OUT_EVERYWHERE: "You signed out on every device. Sign in again to continue.",
        ACCOUNT_DISABLED: "You were signed out: your account has been disabled.",
        ORGANISATION_DEACTIVATED: "You were signed out: your organisation has been deactivated.",
        PASSWORD_SET: "You were signed out because your password was set again. "
        "Sign in with the new password.",
        IDLE: f"You were signed out after {idle} without activity. Please sign in again.",
        EXPIRED: f"You were signed out: your sign-in is older than {days}, please sign in again.",
    }.get(reason or SIGNED_OUT, "Please sign in again.")


def end_login_session(key: str | None, reason: str = SIGNED_OUT) -> None:
    """End one login session (the caller commits; sockets opened with it are the caller's to
    end after the commit: `realtime.end_login_session`)."""
    if key is None:
        return
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.id == key, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


def end_login_sessions(user_ids: Iterable[int], reason: str) -> None:
    """End every login session of these users (the caller commits, then ends their sockets:
    `realtime.end_user_sockets`). Enabling an account later does not bring them back."""
    ids = set(user_ids)
    if not ids:
        return
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id.in_(ids), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


def hash_password(password: str) -> str:
    """The argon2id hash of `password`. Under gevent it is computed on a thread, and the
    calling greenlet waits: call it before the transaction's first write (SQLite)."""
    return off_event_loop(_hasher.hash, password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid({"password": f"must be at least {MIN_PASSWORD_LENGTH} characters"})


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; never says which was wrong."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        off_event_loop(_hasher.verify, stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user


def create_user(
    email: str,
    *,
    organisation_name: str,
    role: str,
    password: str | None,
    name: str | None = None,
    new_organisation: bool = False,
) -> User:
    """Create an account in an existing organisation (its name matched whatever its case).
    A new organisation is made only for the very first account, or when `new_organisation`
    says so: a mistyped name must not quietly start a second "Hertfordshire LEP"."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise Invalid({"email": "must be an e-mail address"})
    if role not in {r.value for r in AccountRole}:
        raise Invalid({"role": "must be one of admin, envoy, member, viewer"})
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Invalid({"email": "an account with this e-mail already exists"})
    wanted = " ".join(organisation_name.split())
    organisation = db.session.scalar(
        sa.select(Organisation).where(sa.func.lower(Organisation.name) == wanted.lower())
    )
    if organisation is None:
        existing = db.session.scalars(sa.select(Organisation.name).order_by(Organisation.name))
        names = list(existing)
        if names and not new_organisation:
            raise Invalid(
                {
                    "organisation": f"no organisation is called “{wanted}” (there are: "
                    f"{', '.join(names[:20])}{' …' if len(names) > 20 else ''}); to add it, "
                    "say so (tracker create-user … --new-org) or add it in Administration"
                }
            )
        organisation = Organisation(name=wanted)
        db.session.add(organisation)
    password_hash = None
    if password is not None:
        check_password_rules(password)
        password_hash = hash_password(password)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        organisation=organisation,
        password_hash=password_hash,
    )
    db.session.add(user)
    db.session.flush()
    return user


def sign_out_everywhere(user: User, reason: str = SIGNED_OUT_EVERYWHERE) -> None:
    """End every login session of this user, for `reason`. (Open sockets are the caller's
    to end after the commit: `realtime.end_user_sockets`.)"""
    end_login_sessions([user.id], reason)
