"""One-time links: invitations (the invitee sets their first password) and password resets.

A link carries 256 random bits; only their SHA-256 is stored. It works once, until it
expires, and only while its account is active; issuing a new link for an account deletes that
account's unused links, so only the newest works.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from tracker import accounts
from tracker.admin import audit
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import OneTimeLink, User, utcnow
from tracker.operations import Change

INVITATION = "invitation"
RESET = "reset"
VALID_FOR = {INVITATION: timedelta(days=7), RESET: timedelta(days=1)}
PASSWORD_MAX = 1024  # argon2 takes any length; this keeps one request from costing much

INVALID_LINK = (
    "This link no longer works: it has been used, it has expired, or a newer link replaced "
    "it. Ask the programme office for a new one."
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(user: User, purpose: str, created_by: User | None) -> str:
    """Store a new link for `user` and return its secret (shown once, never stored)."""
    db.session.execute(
        sa.delete(OneTimeLink).where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None))
    )
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        OneTimeLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(secret),
            created_by_id=created_by.id if created_by else None,
            created_at=now,
            expires_at=now + VALID_FOR[purpose],
        )
    )
    db.session.flush()
    return secret


def find_valid(secret: str) -> OneTimeLink | None:
    """The link this secret opens, if it is unused, unexpired and its account active."""
    if not secret or len(secret) > 100:
        return None
    link = db.session.scalar(
        sa.select(OneTimeLink).where(OneTimeLink.token_hash == _digest(secret))
    )
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    if not link.user.is_active:
        return None
    return link


def redeem(secret: str, password: str) -> Change[User]:
    """Set the account's password from a link, once. Signs the account out everywhere else
    (a reset usually means the old password is not to be trusted). Audit
    `account.password_set`, the account itself as the actor. Its open sockets are to be
    ended after the commit.

    Two tabs submitting the same link at once: the conditional UPDATE lets exactly one win.
    """
    link = find_valid(secret)
    if link is None:
        raise Invalid({"link": INVALID_LINK}, INVALID_LINK)
    if not isinstance(password, str):
        raise Invalid({"password": "must be text"})
    accounts.check_password_rules(password)
    if len(password) > PASSWORD_MAX:
        raise Invalid({"password": f"must be at most {PASSWORD_MAX} characters"})
    # Hash before the first write: hashing waits on a thread (gevent), and a transaction that
    # holds SQLite's write lock meanwhile would stall every other writer of the process.
    password_hash = accounts.hash_password(password)
    used = db.session.execute(
        sa.update(OneTimeLink)
        .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Invalid({"link": INVALID_LINK}, INVALID_LINK)
    user = link.user
    user.password_hash = password_hash
    accounts.sign_out_everywhere(user, accounts.PASSWORD_SET)
    how = "an invitation" if link.purpose == INVITATION else "a password-reset link"
    audit.record(
        user,
        "account.password_set",
        "user",
        user.id,
        f"{user.name} set their password from {how}.",
        {"purpose": link.purpose, "link_id": link.id},
    )
    return Change(user, end_sockets_of=(user.id,))
