"""Plain factory functions: each makes one thing with sensible defaults, overridable."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

import sqlalchemy as sa

from tracker import accounts, api_tokens, board, demo
from tracker.extensions import db
from tracker.models import Board, Initiative, LoginSession, Organisation, RoleType, User

PASSWORD = "correct-horse-battery"
# Hashed once: argon2id is slow on purpose, and tests make many users.
_PASSWORD_HASH = accounts.hash_password(PASSWORD)
_counter = itertools.count(1)


def make_organisation(name: str | None = None, **overrides: Any) -> Organisation:
    org = Organisation(name=name or f"Organisation {next(_counter)}", **overrides)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(
    role: str = "member",
    organisation: Organisation | None = None,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
) -> User:
    organisation = organisation or make_organisation()
    n = next(_counter)
    user = User(
        email=email or f"{role}{n}@example.org",
        name=name or f"{role.title()} {n}",
        role=role,
        organisation=organisation,
        password_hash=_PASSWORD_HASH if password == PASSWORD else accounts.hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_board(name: str = "Test board") -> Board:
    return demo.create_board(name)


def role_type(the_board: Board, name: str) -> RoleType:
    return next(r for r in the_board.role_types if r.name == name)


def stage(the_board: Board, name: str) -> int:
    return next(s.id for s in the_board.stages if s.name == name)


def challenge(the_board: Board, name: str = "Ageing Society") -> int:
    return next(g.id for g in the_board.grand_challenges if g.name == name)


def make_initiative(the_board: Board, actor: User | None = None, **overrides: Any) -> Initiative:
    """Propose an initiative through the domain operation (so it has its event)."""
    if actor is None:
        actor = db.session.scalar(sa.select(User).where(User.role == "envoy")) or make_user("envoy")
    fields: dict[str, Any] = {
        "title": f"Initiative {next(_counter)}",
        "grand_challenge_id": challenge(the_board),
    }
    fields.update(overrides)
    change = board.propose(actor, the_board.id, fields)
    db.session.commit()
    return change.value


def make_token(user: User) -> str:
    token = api_tokens.create_token(user)
    db.session.commit()
    return token


def make_login_session(user: User, **overrides: Any) -> str:
    """A login session for `user`, as signing in makes one; returns what the session cookie's
    `_user_id` holds for it."""
    secret = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(id=accounts.login_session_key(secret), user_id=user.id, **overrides)
    )
    db.session.flush()
    return f"{user.id}:{secret}"
