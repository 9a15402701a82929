"""Personal API tokens: `Authorization: Bearer trk_…` for the API and `auth: {"token": …}`
for sockets. Only a token's digest is stored; the token itself is shown once, when made."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from tracker import unit_of_work
from tracker.extensions import db
from tracker.models import ApiToken, User, utcnow


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, hex (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "personal token") -> str:
    """Store a new token's hash and return the token itself, which is shown only once."""
    token = "trk_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, token_hash=token_digest(token)))
    db.session.flush()
    return token


def unrevoked(digests: set[str]) -> set[str]:
    """Which of these token digests (`token_digest`) are still unrevoked (one query)."""
    return set(
        db.session.scalars(
            sa.select(ApiToken.token_hash).where(
                ApiToken.token_hash.in_(digests), ApiToken.revoked_at.is_(None)
            )
        )
    )


def digest_is_valid(digest: str, user_id: int) -> bool:
    """Whether the token of this digest still belongs, unrevoked, to this user (sockets
    re-check on events)."""
    return (
        db.session.scalar(
            sa.select(ApiToken.id).where(
                ApiToken.token_hash == digest,
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
            )
        )
        is not None
    )


_TOKEN_USER = (
    sa.select(User, ApiToken.id, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("digest"), ApiToken.revoked_at.is_(None))
)
_TOUCH = (
    sa.update(ApiToken)
    .where(ApiToken.id == sa.bindparam("token"))
    .values(last_used_at=sa.bindparam("now"))
)


def user_for_token(token: str) -> User | None:
    """The active user an unrevoked token belongs to, or None; notes when it was last used.
    (Every API request starts here: one prebuilt query, and only the user loaded as an
    object.)"""
    row = db.session.execute(_TOKEN_USER, {"digest": token_digest(token)}).first()
    if row is None:
        return None
    user, token_id, last_used_at = row
    if not user.is_active:
        return None
    now = utcnow()
    # Coarse on purpose: a write per request would serialise every read on SQLite.
    if last_used_at is None or (now - last_used_at).total_seconds() > 300:
        db.session.execute(
            _TOUCH,
            {"token": token_id, "now": now},
            execution_options={"synchronize_session": False},
        )
        unit_of_work.commit()
    return user


def revoke_token(token: ApiToken) -> bool:
    """Revoke a token at once (requests and socket events check `revoked_at`); False when it
    was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True
