"""Personal API tokens: `Authorization: Bearer trk_…` for the API and `auth: {"token": …}`
for sockets. Only a token's digest is stored; the token itself is shown once, when made."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy import orm

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


def user_for_token(token: str) -> User | None:
    """The active user an unrevoked token belongs to, or None; notes when it was last used."""
    row = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
        .options(orm.joinedload(ApiToken.user))
    )
    if row is None or not row.user.is_active:
        return None
    now = utcnow()
    # Coarse on purpose: a write per request would serialise every read on SQLite.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        row.last_used_at = now
        unit_of_work.commit()
    return row.user


def revoke_token(token: ApiToken) -> bool:
    """Revoke a token at once (requests and socket events check `revoked_at`); False when it
    was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True
