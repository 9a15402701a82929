"""Accounts: passwords (argon2id), sessions (Flask-Login) and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask

from tracker.errors import Invalid
from tracker.extensions import db, login_manager
from tracker.models import AccountRole, ApiToken, Organisation, User, utcnow

# argon2-cffi's defaults are argon2id with the RFC 9106 "low memory" profile.
_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed sign-in the same whether or not the
# account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 12


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in to see the board."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def user_from_session_id(session_id: str | None) -> User | None:
    """The user a login session names, if it is still valid (same session generation)."""
    if not isinstance(session_id, str):
        return None
    user_id, _, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_generation != int(generation) or not user.is_active:
        return None
    return user


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid({"password": f"must be at least {MIN_PASSWORD_LENGTH} characters"})


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None; never says which was wrong."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
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
) -> User:
    """Create an account in an existing (or, for the first account, new) organisation."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise Invalid({"email": "must be an e-mail address"})
    if role not in {r.value for r in AccountRole}:
        raise Invalid({"role": "must be one of admin, envoy, member, viewer"})
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Invalid({"email": "an account with this e-mail already exists"})
    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == organisation_name.strip())
    )
    if organisation is None:
        organisation = Organisation(name=organisation_name.strip())
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


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "personal token") -> str:
    """Store a new token's hash and return the token itself, which is shown only once."""
    token = "trk_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, token_hash=_token_digest(token)))
    db.session.flush()
    return token


def token_digest(token: str) -> str:
    return _token_digest(token)


def valid_token_digests(tokens: list[str]) -> set[str]:
    """Which of these tokens are still unrevoked (one query for many)."""
    digests = {_token_digest(t) for t in tokens}
    return set(
        db.session.scalars(
            sa.select(ApiToken.token_hash).where(
                ApiToken.token_hash.in_(digests), ApiToken.revoked_at.is_(None)
            )
        )
    )


def token_is_valid(token: str, user_id: int) -> bool:
    """Whether a token still belongs, unrevoked, to this user (sockets re-check on events)."""
    return (
        db.session.scalar(
            sa.select(ApiToken.id).where(
                ApiToken.token_hash == _token_digest(token),
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
            )
        )
        is not None
    )


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.is_active:
        return None
    now = utcnow()
    # Coarse on purpose: a write per request would serialise every read on SQLite.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        row.last_used_at = now
        db.session.commit()
    return row.user


def set_password(user: User, password: str) -> None:
    """Give the account a new password (at least MIN_PASSWORD_LENGTH characters)."""
    check_password_rules(password)
    user.password_hash = hash_password(password)


def sign_out_everywhere(user: User) -> None:
    """End every login session of this user: the session loader compares generations.
    (Open sockets are the caller's to end after the commit: `realtime.end_user_sockets`.)"""
    user.session_generation += 1


def revoke_token(token: ApiToken) -> bool:
    """Revoke a token at once (requests and socket events check `revoked_at`); False when it
    was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True
